package notify

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/store"
)

// The List-Id and the Message-ID's right side stay valid RFC 5322 / 2919
// whatever the page's title and address are.
func TestListIDAndMessageIDHost(t *testing.T) {
	for _, tc := range []struct {
		name, title, base, listID, idHost string
	}{
		{"plain", "Example Hosting Status", "https://status.example.net", "Example Hosting Status <status.example.net>", "status.example.net"},
		{"specials quoted", `Acme "Status" (EU)`, "https://Status.Example.NET:8443/", `"Acme \"Status\" (EU)" <status.example.net>`, "Status.Example.NET"},
		{"non-ASCII encoded", "Statut hébergeur", "https://statut.example.fr", "=?utf-8?q?Statut_h=C3=A9bergeur?= <statut.example.fr>", "statut.example.fr"},
		{"IPv6 page", "Status", "https://[::1]:8443", "Status <--1.herald.invalid>", "[::1]"},
		{"no URL", "", "", `"" <herald.invalid>`, "herald.invalid"},
		{"header injection", "Status\r\nBcc: x@example.net", "https://status.example.net", `"Status  Bcc: x@example.net" <status.example.net>`, "status.example.net"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := listID(tc.title, tc.base); got != tc.listID {
				t.Errorf("listID(%q, %q) = %q, want %q", tc.title, tc.base, got, tc.listID)
			}
			if got := msgIDHost(tc.base); got != tc.idHost {
				t.Errorf("msgIDHost(%q) = %q, want %q", tc.base, got, tc.idHost)
			}
		})
	}
}

// TestMailInThePagesLanguage: a subscriber of a German page gets German
// mail (the templates' words, the headline, dates and times), with the
// operator's title and text as written; an operator's alert channel stays
// English.
func TestMailInThePagesLanguage(t *testing.T) {
	cfg, err := config.Parse("test.yaml", []byte(`
page: {title: Beispiel Status, url: "https://status.example.net", zone: Europe/Berlin, language: de}
groups:
  - id: flexo
    components: [{id: web, name: Webseiten}]
`))
	if err != nil {
		t.Fatal(err)
	}
	n := &Notifier{sign: signer{key: []byte("k")}}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	now := time.Date(2026, 12, 3, 10, 27, 0, 0, berlin)
	p := Payload{Kind: "incident.resolve", Title: "Web sites on flexo not responding", Status: "resolved",
		BodyText: "Operator's words.", URL: "https://status.example.net/incidents/1", Names: []string{"flexo: Webseiten"},
		Started: now.Add(-40 * time.Minute), Resolved: now.Add(-36 * time.Minute)}
	ev := &store.Event{ID: 7, CreatedAt: now}
	m, err := n.composeMail(cfg, ev, p, &store.Subscriber{ID: 3, Address: "ann@example.net"}, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Behoben", "Status: Behoben", "Betroffen: flexo: Webseiten", "Donnerstag, 3. Dezember, 09:47 bis 09:51 Uhr (Ortszeit Berlin) · vier Minuten",
		"Details:", "Sie erhalten diese Nachricht, weil Sie Beispiel Status abonniert haben.", "Web sites on flexo not responding", "Operator's words."} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text part lacks %q:\n%s", want, m.Text)
		}
	}
	if !strings.Contains(m.HTML, `<html lang="de">`) || !strings.Contains(m.HTML, "Details auf der Statusseite") {
		t.Errorf("HTML part not German:\n%s", m.HTML)
	}
	if m.Subject != "[Beispiel Status] Behoben: Web sites on flexo not responding" {
		t.Errorf("subject %q", m.Subject)
	}
	alert, err := n.composeMail(cfg, ev, p, &store.Subscriber{ID: 4, Address: "ops@example.net", Operator: true}, now)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(alert.Text, "Status: Resolved") || alert.Subject != "[Beispiel Status alert] Resolved: Web sites on flexo not responding" {
		t.Errorf("the operator's alert is not English: %q\n%s", alert.Subject, alert.Text)
	}
}

// TestConfirmationMailInGermanAndSpanish: the confirmation a subscriber of
// a German or a Spanish page gets, and an incident's mail to a Spanish
// page's subscriber, in the page's language: the English "Someone (we hope
// you) asked to receive every update from Example Status at this address…"
// as a native writer words it (the catalogs in internal/locale), the link's
// lifetime in words, and not one English word of Herald's.
func TestConfirmationMailInGermanAndSpanish(t *testing.T) {
	english := regexp.MustCompile(`\b(confirm|subscription|Someone|receive|address|message|link works|every update|updates about|Resolved|Details on|Change what|Unsubscribe|days|minutes)\b`)
	for _, c := range []struct {
		lang, zone     string
		subject, body  string
		footer, button string
		incident       []string
	}{
		{"de", "Europe/Berlin", "Beispiel Status: Bitte bestätigen Sie Ihr Abonnement",
			"Jemand (hoffentlich Sie) möchte Meldungen zu flexo: Webseiten von Beispiel Status an diese Adresse erhalten. Bis Sie bestätigen, senden wir nichts.",
			"Dieser Link gilt zwei Tage.", "Abonnement bestätigen",
			[]string{"Status: Behoben", "Donnerstag, 3. Dezember, 09:47 bis 09:51 Uhr (Ortszeit Berlin) · vier Minuten"}},
		{"es", "Europe/Madrid", "Beispiel Status: confirme su suscripción", "", "", "",
			[]string{"Resuelta", "Jueves, 3 de diciembre, 09:47 a 09:51 (hora de Madrid) · cuatro minutos"}},
	} {
		t.Run(c.lang, func(t *testing.T) {
			cfg, err := config.Parse("test.yaml", []byte(`
page: {title: Beispiel Status, url: "https://status.example.net", zone: `+c.zone+`, language: `+c.lang+`}
groups:
  - id: flexo
    components: [{id: web, name: Webseiten}]
`))
			if err != nil {
				t.Fatal(err)
			}
			n := &Notifier{sign: signer{key: []byte("k")}}
			loc, _ := time.LoadLocation(c.zone)
			now := time.Date(2026, 12, 3, 10, 27, 0, 0, loc)
			ev := &store.Event{ID: 7, CreatedAt: now}
			m, err := n.composeMail(cfg, ev, Payload{Kind: KindConfirm, Names: []string{"flexo: Webseiten"}},
				&store.Subscriber{ID: 3, Address: "ann@example.net"}, now)
			if err != nil {
				t.Fatal(err)
			}
			if c.lang == "de" {
				if m.Subject != c.subject {
					t.Errorf("subject %q, want %q", m.Subject, c.subject)
				}
				for _, w := range []string{c.body, c.footer, c.button} {
					if !strings.Contains(m.Text+m.HTML, w) {
						t.Errorf("the confirmation lacks %q:\n%s", w, m.Text)
					}
				}
			} else if !strings.HasPrefix(strings.ToLower(m.Subject), "beispiel status:") {
				t.Errorf("subject %q", m.Subject)
			}
			for _, part := range []string{m.Subject, m.Text} {
				for _, line := range strings.Split(part, "\n") {
					if w := english.FindString(strings.ReplaceAll(line, "https://status.example.net/subscribe/confirm", "")); w != "" {
						t.Errorf("confirmation: English %q in %q", w, line)
					}
				}
			}
			p := Payload{Kind: "incident.resolve", Title: "Web sites on flexo not responding", Status: "resolved",
				BodyText: "Operator's words.", URL: "https://status.example.net/incidents/1", Names: []string{"flexo: Webseiten"},
				Started: now.Add(-40 * time.Minute), Resolved: now.Add(-36 * time.Minute)}
			m, err = n.composeMail(cfg, ev, p, &store.Subscriber{ID: 3, Address: "ann@example.net"}, now)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range c.incident {
				if !strings.Contains(m.Text, w) {
					t.Errorf("the incident's mail lacks %q:\n%s", w, m.Text)
				}
			}
			for _, line := range strings.Split(strings.ReplaceAll(m.Text, "Web sites on flexo not responding", ""), "\n") {
				if w := english.FindString(line); w != "" && !strings.Contains(line, "http") {
					t.Errorf("incident mail: English %q in %q", w, line)
				}
			}
		})
	}
}

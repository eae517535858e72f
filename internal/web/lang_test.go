package web_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// englishWords are words of Herald's English interface that neither German
// nor Spanish writes: one of them on a translated page is a message that
// missed the catalog.
var englishWords = regexp.MustCompile(`\b(Today|Yesterday|Tomorrow|Updated|Updates|Affected|History|[Ii]ncidents?|[Mm]aintenance|Scheduled|Resolved|Identified|Investigating|Operational|[Oo]utages?|[Uu]ptime|days|minutes|hours|seconds|AM|PM|Pacific|time|the|and|of|for|with|Powered|Postmortem|Read|Published|Related|Current|Past|Page|found|Skip|content|reload|feed|calendar|Servers|services|Each|bar|down|degraded|no data|from|since|steps|status|Status of|Sign in|Password|unreachable|locations|Loading|opens|tab|Response|Mean|typically|fastest|slowest|Repeats|Announced|Details on|e-mail)\b`)

// visibleText is what a reader (or a screen reader) gets of a page: its
// text and the attributes that are read out, less what operators wrote
// (the fixture's titles, names and texts, shown as written in every
// language) and the rendered updates and excerpts, which are theirs too.
func visibleText(t *testing.T, page string, operators []string) string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				if a.Key == "class" && (strings.Contains(a.Val, "prose") || strings.Contains(a.Val, "excerpt")) {
					return
				}
			}
			if n.Data == "script" || n.Data == "style" || n.Data == "code" {
				return
			}
			for _, a := range n.Attr {
				switch {
				case a.Key == "aria-label", a.Key == "title", a.Key == "alt",
					a.Key == "content" && n.Data == "meta" && attr(n, "name") == "description":
					b.WriteString(a.Val + "\n")
				}
			}
		}
		if n.Type == html.TextNode {
			b.WriteString(n.Data + "\n")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	text := b.String()
	for _, s := range operators {
		text = strings.ReplaceAll(text, s, "")
	}
	return text
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// TestPagesInGermanAndSpanish renders the fixture's pages with
// page.language set and reads them for their language: the html element's
// lang and the Content-Language header, the catalog's words, dates and times
// in the language's forms, the operators' own texts as written, and not one
// word of Herald's English interface.
func TestPagesInGermanAndSpanish(t *testing.T) {
	operators := []string{"Web sites on flexo interrupted " + evilTitle, "Web sites on mom unreachable",
		"October trouble on flexo mail", "Kernel update " + evilTitle, "Example Hosting Status", "Web sites", "E-mail",
		"flexo", "mom"}
	for _, c := range []struct {
		lang  string
		wants map[string][]string // by path, "" for the front page
	}{
		{"de", map[string][]string{
			"/": {"Aktuelle Störungen", "Aktualisiert", "heute, 10:30 Uhr (Pazifikzeit)", "Letzte 14 Tage",
				"Seit heute, 09:00 Uhr (Pazifikzeit) · bisher 1 Std. 30 Min.", "Ursache gefunden", "Geplante Wartungsarbeiten",
				"Morgen, 23:00 bis 23:05 Uhr (Pazifikzeit)", "Montag, 23. November, 09:48 bis 09:52 Uhr (Pazifikzeit) · vier Minuten",
				"Zeiten sind in Pazifikzeit angegeben.", "Keine Störungen gemeldet.", "Schwerer Ausfall", "Die ganze Nachbetrachtung lesen"},
			"/history":         {"Verlauf: November 2026", "Oktober 2026"},
			"/history/2026-10": {"Montag, 5. Oktober, 14:00 bis 15:13 Uhr (Pazifikzeit) · 1 Std. 13 Min."},
			"incident":         {"Betroffen", "(schlechtester Status während der Störung)", "Meldungen", "Behoben", "Nachbetrachtung"},
			"maintenance":      {"Ankündigung", "Geplant", "Wartung"},
		}},
		{"es", map[string][]string{
			"/": {"Incidencias en curso", "Actualizado", "hoy, 10:30 (hora del Pacífico)", "Últimos 14 días",
				"Desde hoy, 09:00 (hora del Pacífico) · 1 h 30 min hasta ahora", "Causa identificada", "Mantenimientos programados",
				"Mañana, 23:00 a 23:05 (hora del Pacífico)", "Lunes, 23 de noviembre, 09:48 a 09:52 (hora del Pacífico) · cuatro minutos",
				"Las horas se muestran en hora del Pacífico.", "Sin incidencias registradas.", "Interrupción grave", "Leer el análisis completo"},
			"/history":         {"Historial: noviembre de 2026", "Octubre de 2026"},
			"/history/2026-10": {"Lunes, 5 de octubre, 14:00 a 15:13 (hora del Pacífico) · 1 h 13 min"},
			"incident":         {"Afectados", "(peor estado durante la incidencia)", "Actualizaciones", "Resuelta", "Análisis posterior"},
			"maintenance":      {"Aviso", "Programado", "Mantenimiento"},
		}},
	} {
		t.Run(c.lang, func(t *testing.T) {
			f := newPagesFixtureIn(t, c.lang)
			paths := map[string]string{"/": "/", "/history": "/history", "/history/2026-10": "/history/2026-10",
				"incident": fmt.Sprintf("/incidents/%d", f.resolved), "maintenance": fmt.Sprintf("/maintenance/%d", f.maint)}
			for key, path := range paths {
				resp, body := get(t, f.srv.URL+path, nil)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET %s = %s", path, resp.Status)
				}
				page := string(body)
				if got := resp.Header.Get("Content-Language"); got != c.lang {
					t.Errorf("%s: Content-Language %q, want %q", path, got, c.lang)
				}
				if !strings.Contains(page, `<html lang="`+c.lang+`">`) {
					t.Errorf("%s: the html element does not say lang=%q", path, c.lang)
				}
				text := visibleText(t, page, operators)
				for _, w := range c.wants[key] {
					if !strings.Contains(text, w) {
						t.Errorf("%s lacks %q", path, w)
					}
				}
				for _, line := range strings.Split(text, "\n") {
					if m := englishWords.FindString(line); m != "" {
						t.Errorf("%s: English %q in %q", path, m, strings.TrimSpace(line))
					}
				}
			}
			// What operators wrote stays as they wrote it.
			wantAll(t, "incident", f.page(t, paths["incident"]), "Customers on the flexo server experienced a four-minute interruption.",
				"Web sites on flexo interrupted")
			// The 404 page too.
			resp, body := get(t, f.srv.URL+"/incidents/99999", nil)
			if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Content-Language") != c.lang {
				t.Errorf("404: %s, Content-Language %q", resp.Status, resp.Header.Get("Content-Language"))
			}
			for _, line := range strings.Split(visibleText(t, string(body), operators), "\n") {
				if m := englishWords.FindString(line); m != "" {
					t.Errorf("404: English %q in %q", m, strings.TrimSpace(line))
				}
			}
		})
	}
}

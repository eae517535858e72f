package web_test

import (
	"encoding/json"
	"fmt"
	"github.com/heraldhq/herald/internal/auth"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/customers"
	"github.com/heraldhq/herald/internal/notify"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/web"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// noEnglish fails on every line of text that holds a word of Herald's
// English interface (englishWords).
func noEnglish(t *testing.T, what, text string) {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if m := englishWords.FindString(line); m != "" {
			t.Errorf("%s: English %q in %q", what, m, strings.TrimSpace(line))
		}
	}
}

// TestComponentPageInGermanAndSpanish reads a monitored component's page
// (its uptime figures, outages and response-time charts, whose captions and
// descriptions a screen reader reads out) in German and Spanish. The
// charts' English, "Mean response time of the HTTP check over the last 24
// hours, in 10-minute steps: typically 120 ms (median), fastest 120 ms,
// slowest 203 ms (Today, 9:00 AM Pacific time).", is worded as a German or
// Spanish figure caption would word it (internal/locale's catalogs).
func TestComponentPageInGermanAndSpanish(t *testing.T) {
	operators := []string{"Example Hosting Status", "Web sites on flexo interrupted", "Kernel update <b>now</b>", "Web sites", "E-mail", "flexo", "mom"}
	for _, c := range []struct {
		lang  string
		wants []string
	}{
		{"de", []string{"Antwortzeit, letzte 24 Stunden",
			"Mittlere Antwortzeit der HTTP-Prüfung in den letzten 24 Stunden, in 10-Minuten-Schritten: meist 120 ms (Median), am schnellsten 120 ms, am langsamsten 203 ms (heute, 09:00 Uhr (Pazifikzeit)). In einem Abschnitt schlugen Prüfungen fehl, oben mit einem Dreieck markiert.",
			"Mittlere Antwortzeit der HTTP-Prüfung in den letzten 7 Tagen, in Stundenschritten",
			"99,95\u00a0%", "18 Uhr", "Do 13."}},
		{"es", []string{"Tiempo de respuesta, últimas 24 horas",
			"Tiempo medio de respuesta en las últimas 24 horas (Comprobación HTTP), en intervalos de 10 minutos: normalmente 120 ms (mediana), mínimo 120 ms, máximo 203 ms (hoy, 09:00 (hora del Pacífico)). Hubo comprobaciones fallidas en un intervalo, marcado con un triángulo en la parte superior.",
			"Tiempo medio de respuesta en los últimos 7 días (Comprobación HTTP), en intervalos de una hora",
			"99,95\u00a0%", "18 h", "jue 13"}},
	} {
		t.Run(c.lang, func(t *testing.T) {
			f := newUptimeFixtureIn(t, false, c.lang)
			for _, path := range []string{"/components/flexo/web", "/components/mom/web", "/"} {
				text := visibleText(t, f.page(t, path), operators)
				if path == "/components/flexo/web" {
					for _, w := range c.wants {
						if !strings.Contains(text, w) {
							t.Errorf("%s lacks %q", path, w)
						}
					}
				}
				noEnglish(t, path, text)
			}
		})
	}
}

// TestLocatedNotesInGermanAndSpanish: what a component page and an
// incident's page say of a check failing from some places, in German and
// Spanish ("Unreachable from fra-1 since 9:48 AM Pacific time; 2 of 3
// locations fine." in English, TestLocatedPages).
func TestLocatedNotesInGermanAndSpanish(t *testing.T) {
	for _, c := range []struct{ lang, note, after string }{
		{"de", "Nicht erreichbar von fra-1 aus seit 09:48 Uhr (Pazifikzeit); 2 von 3 Standorten in Ordnung.",
			"Nicht erreichbar von fra-1 aus von 09:48:10 bis 09:52:10 Uhr, von ams-1 aus von 09:48:40 bis 09:52:10 Uhr"},
		{"es", "Inaccesible desde fra-1 desde las 09:48 (hora del Pacífico); 2 de 3 ubicaciones sin problemas.",
			"Inaccesible desde fra-1 de 09:48:10 a 09:52:10, desde ams-1 de 09:48:40 a 09:52:10"},
	} {
		t.Run(c.lang, func(t *testing.T) {
			f := newLocatedFixtureIn(t, storetest.SQLite(t), c.lang)
			const comp = "/components/flexo/web"
			sec := func(s int) time.Time { return locT0.Add(time.Duration(s) * time.Second) }
			f.report(sec(0), every(status.LevelUp))
			f.pass(sec(1))
			for _, s := range []int{10, 20} {
				f.report(sec(s), map[string]status.Level{"fra-1": status.LevelDown, "ams-1": status.LevelUp, "nyc-1": status.LevelUp})
			}
			f.pass(sec(21))
			page := f.a.page(t, comp)
			mustContain(t, "the page with path trouble", page, c.note)
			noEnglish(t, "the page with path trouble", visibleText(t, page, []string{"Example hosting", "Web sites", "E-mail", "flexo"}))
			for _, s := range []int{30, 40, 50, 60, 70} {
				lv := map[string]status.Level{"fra-1": status.LevelDown, "ams-1": status.LevelDown, "nyc-1": status.LevelUp}
				if s == 30 {
					lv["ams-1"] = status.LevelUp
				}
				f.report(sec(s), lv)
			}
			f.pass(sec(71))
			f.report(sec(250), every(status.LevelUp))
			f.pass(sec(251))
			page = f.a.page(t, comp)
			mustContain(t, "the page after the outage", page, c.after)
			noEnglish(t, "the page after the outage", visibleText(t, page, []string{"Example hosting", "Web sites", "E-mail", "flexo"}))
		})
	}
}

var (
	feedHeads   = regexp.MustCompile(`<p><strong>([^<]*)</strong>([^<]*)</p>|<content type="html">&lt;p&gt;([^&]*)&lt;/p&gt;|<summary type="html">([^<]*?): `)
	feedLangRe  = regexp.MustCompile(`<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="(\w+)">`)
	icsUnfolded = strings.NewReplacer("\r\n ", "", "\\,", ",", "\\;", ";")
)

// TestFeedsInGermanAndSpanish reads the Atom and RSS feeds and the
// maintenance calendar of a page in German and in Spanish: each declares
// its language (xml:lang, <language>, the calendar's NAME), and what Herald
// writes in them (status words, when each event ran, with its year, as a
// feed read out of context needs it: "25. November 2026", "25 de
// noviembre de 2026") is in the page's language; the operators' titles and
// texts stay as written.
func TestFeedsInGermanAndSpanish(t *testing.T) {
	for _, c := range []struct {
		lang  string
		wants map[string][]string
	}{
		{"de", map[string][]string{
			"/history.atom": {`xml:lang="de"`, "Seit dem 25. November 2026, 09:00 Uhr (Pazifikzeit)",
				"23. November 2026, 09:48 bis 09:52 Uhr (Pazifikzeit) · vier Minuten", "<strong>Ursache gefunden</strong> · 25. November 2026, 09:20 Uhr (Pazifikzeit)",
				"<strong>Nachbetrachtung</strong>", "<strong>Geplant</strong> · 26. November 2026, 23:00 bis 23:05 Uhr (Pazifikzeit)", "<strong>Angekündigt</strong>"},
			"/history.rss":     {"<language>de</language>", "Störungen und Wartungsarbeiten von Example Hosting Status", "Behoben"},
			"/maintenance.ics": {"X-WR-CALNAME:Example Hosting Status: Wartungsarbeiten", "NAME;LANGUAGE=de:Example Hosting Status: Wartungsarbeiten", "Details: /maintenance/"},
		}},
		{"es", map[string][]string{
			"/history.atom": {`xml:lang="es"`, "Desde el 25 de noviembre de 2026, 09:00 (hora del Pacífico)",
				"23 de noviembre de 2026, 09:48 a 09:52 (hora del Pacífico) · cuatro minutos", "<strong>Causa identificada</strong> · 25 de noviembre de 2026, 09:20 (hora del Pacífico)",
				"<strong>Análisis posterior</strong>", "<strong>Programado</strong> · 26 de noviembre de 2026, 23:00 a 23:05 (hora del Pacífico)", "<strong>Anunciado</strong>"},
			"/history.rss":     {"<language>es</language>", "Incidencias y mantenimientos de Example Hosting Status", "Resuelta"},
			"/maintenance.ics": {"X-WR-CALNAME:Example Hosting Status: mantenimientos", "NAME;LANGUAGE=es:Example Hosting Status: mantenimientos", "Detalles: /maintenance/"},
		}},
	} {
		t.Run(c.lang, func(t *testing.T) {
			f := newPagesFixtureIn(t, c.lang)
			for path, wants := range c.wants {
				resp, body := get(t, f.srv.URL+path, nil)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET %s = %s", path, resp.Status)
				}
				doc := html.UnescapeString(string(body))
				if path == "/maintenance.ics" {
					doc = icsUnfolded.Replace(string(body))
				}
				for _, w := range wants {
					if !strings.Contains(doc, w) {
						t.Errorf("%s lacks %q", path, w)
					}
				}
				switch path {
				case "/history.atom":
					if m := feedLangRe.FindStringSubmatch(string(body)); m == nil || m[1] != c.lang {
						t.Errorf("%s: the feed does not declare xml:lang=%q", path, c.lang)
					}
					// What Herald writes: the entries' opening lines, their
					// status words and times, and their summaries' heads.
					for _, m := range feedHeads.FindAllStringSubmatch(doc, -1) {
						noEnglish(t, path, strings.Join(m[1:], " "))
					}
				case "/maintenance.ics":
					for _, line := range strings.Split(doc, "\r\n") {
						name, value, _ := strings.Cut(line, ":")
						if strings.HasPrefix(name, "X-WR-CALNAME") || strings.HasPrefix(name, "NAME") {
							noEnglish(t, path, strings.ReplaceAll(value, "Example Hosting Status", ""))
						}
						if strings.HasPrefix(name, "DESCRIPTION") && !strings.Contains(line, "Details: /maintenance/") && !strings.Contains(line, "Detalles: /maintenance/") {
							t.Errorf("%s: %q lacks its translated details line", path, line)
						}
					}
				}
			}
		})
	}
}

// TestWidgetAndBadgesInGermanAndSpanish: the widget's script carries its
// words in every language a page may be shown in, none of them English but
// English's; a translated page's /api/v2 documents say their language in
// Content-Language (which the script reads across origins: a
// CORS-safelisted header); the framed widget and the badges speak the
// page's language, figures with a decimal comma.
func TestWidgetAndBadgesInGermanAndSpanish(t *testing.T) {
	f := newPagesFixture(t)
	_, body := get(t, f.srv.URL+"/widget.js", nil)
	script := string(body)
	start := strings.Index(script, "var ALL = ")
	end := strings.Index(script[start:], ";\n")
	if start < 0 || end < 0 {
		t.Fatal("widget.js carries no words")
	}
	var all map[string]struct {
		Component, Incident, Maintenance map[string][2]string
		Overall, Window, UI              map[string]string
		Empty                            string
	}
	if err := json.Unmarshal([]byte(script[start+len("var ALL = "):start+end]), &all); err != nil {
		t.Fatal(err)
	}
	if all["en"].UI["full"] != "Full status page" || all["en"].Overall["none"] != "All Systems Operational" ||
		all["de"].UI["full"] != "Vollständige Statusseite" || all["es"].Overall["none"] != "Todos los sistemas operativos" {
		t.Errorf("widget.js words: en %v, de %v", all["en"].UI, all["de"].UI)
	}
	for _, l := range []string{"de", "es"} {
		w := all[l]
		var text []string
		for _, m := range []map[string][2]string{w.Component, w.Incident, w.Maintenance} {
			for _, v := range m {
				text = append(text, v[1])
			}
		}
		for _, m := range []map[string]string{w.Overall, w.Window, w.UI} {
			for _, v := range m {
				text = append(text, v)
			}
		}
		if len(w.UI) < 10 || len(w.Component) < 5 {
			t.Fatalf("%s: too few words in widget.js: %v", l, w)
		}
		noEnglish(t, "widget.js "+l, strings.Join(append(text, w.Empty), "\n"))
	}

	for _, c := range []struct {
		lang                    string
		status, uptime, overall []string
		frame                   []string
	}{
		{"de", []string{`aria-label="Status: Schwerer Dienstausfall"`}, []string{"Verfügbarkeit 30 Tage", "nicht überwacht"},
			[]string{`aria-label="flexo: Betriebsbereit"`}, []string{"Status von flexo", "Stand:", "Vollständige Statusseite", "Geplante Wartung"}},
		{"es", []string{`aria-label="estado: Interrupción grave del servicio"`}, []string{"disponibilidad 30 días", "sin supervisión"},
			[]string{`aria-label="flexo: Operativo"`}, []string{"Estado de flexo", "Actualizado:", "Página de estado completa"}},
	} {
		t.Run(c.lang, func(t *testing.T) {
			f := newPagesFixtureIn(t, c.lang)
			resp, _ := get(t, f.srv.URL+"/api/v2/summary.json", nil)
			if got := resp.Header.Get("Content-Language"); got != c.lang {
				t.Errorf("/api/v2/summary.json: Content-Language %q, want %q", got, c.lang)
			}
			for path, wants := range map[string][]string{"/badges/status.svg": c.status, "/badges/flexo/web/uptime-30d.svg": c.uptime,
				"/badges/flexo.svg": c.overall} {
				resp, body := get(t, f.srv.URL+path, nil)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET %s = %s", path, resp.Status)
				}
				for _, w := range wants[:1] {
					if !strings.Contains(string(body), w) && path != "/badges/flexo/web/uptime-30d.svg" {
						t.Errorf("%s lacks %q: %s", path, w, body)
					}
				}
				svgText := tagRe.ReplaceAllString(string(body), "\n")
				noEnglish(t, path, strings.ReplaceAll(svgText, "Web sites", ""))
			}
			// The uptime badges of a component no monitor watches.
			_, body := get(t, f.srv.URL+"/badges/flexo/web/uptime-30d.svg", nil)
			for _, w := range c.uptime {
				if !strings.Contains(string(body), w) {
					t.Errorf("uptime badge lacks %q: %s", w, body)
				}
			}
			page := f.page(t, "/widget/flexo")
			if !strings.Contains(page, `<html lang="`+c.lang+`">`) {
				t.Errorf("/widget/flexo: not lang=%q", c.lang)
			}
			text := visibleText(t, page, []string{"Example Hosting Status", "Kernel update " + evilTitle, "flexo"})
			for _, w := range c.frame[1:] {
				if !strings.Contains(text+page, w) {
					t.Errorf("/widget/flexo lacks %q", w)
				}
			}
			noEnglish(t, "/widget/flexo", text)
			noEnglish(t, "/widget", visibleText(t, f.page(t, "/widget"), []string{"Example Hosting Status", "Web sites on mom unreachable", "Kernel update " + evilTitle}))
		})
	}
}

// TestDynamicPagesInTheEntrysLanguage: every page Herald answers a
// request with (subscribing, the look-up, a confirmation, manage and
// unsubscribe links, the private pages' sign-in) speaks the language of the
// page it was asked on: an entry of pages: its own, not page:'s. A refused
// address is worded by the page (notify's RefusedError), in English as
// notify writes it.
func TestDynamicPagesInTheEntrysLanguage(t *testing.T) {
	t.Setenv(pageKeyEnv, strings.Repeat("k", 40))
	ctx := t.Context()
	b := storetest.SQLite(t)
	clock := &fixedClock{t: time.Date(2026, 11, 25, 18, 30, 0, 0, time.UTC)}
	svc := service.New(b.Store, clock, nil)
	if err := svc.SyncCatalog(ctx, []store.Group{{ID: "flexo", Name: "flexo"}, {ID: "mom", Name: "mom", Position: 1},
		{ID: "zapp", Name: "zapp", Position: 2}},
		[]store.Component{{ID: "flexo/web", GroupID: "flexo", Name: "Web sites"}, {ID: "mom/web", GroupID: "mom", Name: "Web sites"},
			{ID: "zapp/web", GroupID: "zapp", Name: "Web sites"}}); err != nil {
		t.Fatal(err)
	}
	hash, err := auth.HashPassword("correct horse", auth.Params{Memory: 1024, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("test.yaml", []byte(fmt.Sprintf(`
page: {title: Example Hosting Status, zone: America/Los_Angeles}
pages:
  - {id: acme, title: Acme Status, path: /acme, groups: [mom], language: es}
  - id: secret
    title: Secret Status
    path: /secret
    groups: [zapp]
    language: de
    private: {password_hash: %q, key_env: %s}
groups:
  - id: flexo
    components: [{id: web, name: Web sites}]
  - id: mom
    components: [{id: web, name: Web sites}]
  - id: zapp
    components: [{id: web, name: Web sites}]
`, hash, pageKeyEnv)))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Notify.Email = &config.Email{SMTP: "127.0.0.1:1", From: "status@example.net", TLS: "none", RatePerSecond: 1000}
	cfgFn := func() config.Config { return cfg }
	n, remove, err := notify.New(ctx, b.Store, svc, cfgFn, nil, notify.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(remove)
	site := web.NewSite(svc, cfgFn, nil)
	if err := site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	site.Register(mux)
	web.NewSubscriptions(svc, cfgFn, n, customers.New(b.Store, svc), nil, clock.Now).Register(mux)
	srv := httptest.NewServer(site.Handler(mux))
	t.Cleanup(srv.Close)
	read := func(resp *http.Response, err error) (int, string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(body)
	}
	operators := []string{"Example Hosting Status", "Acme Status", "Secret Status", "Web sites", "mom", "zapp", "flexo"}
	check := func(what, lang, page string, wants ...string) {
		t.Helper()
		if !strings.Contains(page, `<html lang="`+lang+`">`) {
			t.Errorf("%s: not lang=%q", what, lang)
		}
		text := visibleText(t, page, operators)
		for _, w := range wants {
			if !strings.Contains(text, w) {
				t.Errorf("%s lacks %q", what, w)
			}
		}
		if lang != "en" {
			noEnglish(t, what, text)
		}
	}

	for _, path := range []string{"/acme/subscribe", "/acme/lookup", "/acme/subscribe/confirm?token=nope", "/acme/manage?token=nope", "/acme/unsubscribe?token=nope"} {
		_, page := read(http.Get(srv.URL + path))
		check(path, "es", page)
	}
	_, page := read(http.Get(srv.URL + "/acme/subscribe/confirm?token=nope"))
	check("a bad link", "es", page, "Este enlace no es válido")
	code, page := read(http.PostForm(srv.URL+"/acme/subscribe", url.Values{"email": {"not an address"}}))
	if code != http.StatusUnprocessableEntity {
		t.Errorf("a bad address on /acme = %d", code)
	}
	check("a bad address on /acme", "es", page, `"not an address" no es una dirección de correo electrónico (escríbala como nombre@example.com)`)
	_, page = read(http.PostForm(srv.URL+"/acme/subscribe", url.Values{"email": {""}}))
	check("no address on /acme", "es", page, "Indique una dirección de correo electrónico")
	// page: is English, worded as notify words it.
	_, page = read(http.PostForm(srv.URL+"/subscribe", url.Values{"email": {"not an address"}}))
	check("a bad address on page:", "en", page, `"not an address" is not an e-mail address (write it like name@example.com)`)

	// The private page's sign-in, in German.
	code, page = read(http.Get(srv.URL + "/secret/"))
	if code != http.StatusUnauthorized {
		t.Errorf("/secret/ = %d", code)
	}
	check("the sign-in page", "de", page, "Diese Seite ist nicht öffentlich", "Geben Sie das Passwort der Seite ein oder öffnen Sie den Link, den Sie erhalten haben.", "Passwort", "Anmelden")
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/secret/private/sign-in", strings.NewReader(url.Values{"password": {"wrong"}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	_, page = read(http.DefaultClient.Do(req))
	check("a wrong password", "de", page, "Das Passwort stimmt nicht.")
	_, page = read(http.Get(srv.URL + "/secret/?access=1.x.y"))
	check("a bad access link", "de", page, "Dieser Link ist ungültig oder abgelaufen.")
}

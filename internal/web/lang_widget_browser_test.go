package web_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/internal/browsertest"
)

// translatedHost is a customer's page on another origin with two widgets:
// one in the status page's language, one (another server's) told
// data-lang="es".
const translatedHost = `<!doctype html>
<html lang="de">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Beispiel-Shop</title>
<style>body { margin: 0 auto; max-width: 44rem; padding: 1rem; font: 17px/1.5 Georgia, serif; }</style>
</head>
<body>
<main>
<h1>Beispiel-Shop</h1>
<div id="page"><script src="%[1]s/widget.js" data-server="flexo" async></script></div>
<div id="told" lang="es"><script src="%[1]s/widget.js" data-server="mom" data-lang="es" async></script></div>
</main>
</body>
</html>
`

// TestBrowserTranslatedComponentAndWidget opens a monitored component's
// page (its figures, charts and badges) of a German and a Spanish page in
// Chromium at 1280 and 390 pixels wide, and the widget on another origin:
// it speaks the status page's language (read from the Content-Language of
// its /api/v2 documents), or its data-lang. Nothing sticks out sideways,
// axe-core finds nothing (on the German pages), and no English word of
// Herald's shows.
// Screenshots: HERALD_SAVE_SCREENSHOTS=1 saves them in docs/screenshots.
func TestBrowserTranslatedComponentAndWidget(t *testing.T) {
	execPath := browsertest.Chromium(t)
	axe := browsertest.AxeSource(t)
	operators := []string{"Example Hosting Status", "Web sites on flexo interrupted", "Kernel update <b>now</b>", "Web sites", "E-mail", "flexo", "mom", "Beispiel-Shop"}
	for _, c := range []struct {
		lang         string
		page, widget []string
	}{
		{"de", []string{"Antwortzeit", "Verfügbarkeit", "99,95\u00a0%"}, []string{"Vollständige Statusseite"}},
		{"es", []string{"Tiempo de respuesta", "Disponibilidad", "99,95\u00a0%"}, []string{"Página de estado completa"}},
	} {
		t.Run(c.lang, func(t *testing.T) {
			f := newUptimeFixtureIn(t, false, c.lang)
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			host := &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				fmt.Fprintf(w, translatedHost, f.srv.URL)
			})}}
			host.Start()
			defer host.Close()
			bctx := browsertest.Start(t, execPath, browserStep)
			for _, p := range []struct{ name, url, ready string }{
				{"component", f.srv.URL + "/components/flexo/web", "main"},
				{"widget", host.URL + "/", "#told .hw-status"},
			} {
				ctx, cancel := context.WithTimeout(bctx, 2*browserStep)
				for _, width := range []int64{1280, 390} {
					var mobile []chromedp.EmulateViewportOption
					if width < 600 {
						mobile = append(mobile, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
					}
					if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 800, mobile...), chromedp.Navigate(p.url),
						chromedp.WaitVisible(chromedp.CSS(p.ready))); err != nil {
						t.Fatalf("%s at %d: %v", p.name, width, err)
					}
					if p.name == "widget" {
						if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#page .hw-status"))); err != nil {
							t.Fatalf("the page's widget never showed a status: %v", err)
						}
					}
					if err := browsertest.Screenshot(ctx, fmt.Sprintf("browser-%s-%s-%d.png", c.lang, p.name, width)); err != nil {
						t.Fatal(err)
					}
					over, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("document.documentElement.scrollWidth > window.innerWidth + 1"))
					if err != nil {
						t.Fatal(err)
					}
					if over {
						t.Errorf("%s at %d px scrolls sideways", p.name, width)
					}
				}
				sel := "main"
				if p.name == "widget" {
					sel = "#page"
				}
				text, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(() => { const c = document.querySelector(%q).cloneNode(true); c.querySelectorAll("code").forEach(e => e.remove()); return c.innerText })()`, sel)))
				if err != nil {
					t.Fatal(err)
				}
				want := c.page
				if p.name == "widget" {
					want = c.widget
				}
				for _, w := range want {
					if !strings.Contains(text, w) {
						t.Errorf("%s lacks %q: %q", p.name, w, text)
					}
				}
				for _, s := range operators {
					text = strings.ReplaceAll(text, s, "")
				}
				noEnglish(t, p.name, text)
				if p.name == "widget" {
					told, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#told .herald-widget").innerText`))
					if err != nil || !strings.Contains(told, "Página de estado completa") {
						t.Errorf("the widget told data-lang=es reads %q (%v)", told, err)
					}
					lang, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#page .herald-widget").lang`))
					if err != nil || lang != c.lang {
						t.Errorf("the page's widget says lang %q (%v), want %q", lang, err, c.lang)
					}
				}
				// The Spanish pages are the German ones' templates with
				// other words: axe-core reads one language (it is the
				// slowest step, and the package's tests run under -race).
				if c.lang == "de" {
					found, err := browsertest.Axe(ctx, axe)
					if err != nil {
						t.Fatalf("%s: %v", p.name, err)
					}
					for _, v := range found {
						t.Errorf("%s: %s", p.name, v)
					}
				}
				cancel()
			}
		})
	}
}

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

	"github.com/heraldhq/herald/internal/auth"
	"github.com/heraldhq/herald/internal/browsertest"
	"github.com/heraldhq/herald/internal/config"
)

// urlOf is path on the server at base, or path when it is a whole address.
func urlOf(base, path string) string {
	if strings.HasPrefix(path, "http") {
		return path
	}
	return base + path
}

// TestBrowserTranslatedPages opens the public pages of a page in German and
// in Spanish in Chromium: at 1280 and 390 pixels wide (screenshots saved
// with HERALD_SAVE_SCREENSHOTS=1 as docs/screenshots/browser-de-index-390.png
// and so on; browser-de-signin-390.png is a private page's sign-in), with nothing sticking out sideways, axe-core clean in the light
// and the dark scheme, and no word of Herald's English interface in what
// the browser shows (operators' texts, in English here, are left out).
func TestBrowserTranslatedPages(t *testing.T) {
	execPath := browsertest.Chromium(t)
	axe := browsertest.AxeSource(t)
	operators := []string{"Web sites on flexo interrupted", "Web sites on mom unreachable", "Kernel update on flexo",
		"Example Hosting Status", "Web sites", "E-mail", "flexo", "mom", "shop.example"}
	for _, lang := range []string{"de", "es"} {
		t.Run(lang, func(t *testing.T) {
			// The fixture's page, with a private page (of a server of its
			// own) whose sign-in is shown too.
			t.Setenv(pageKeyEnv, strings.Repeat("k", 40))
			hash, err := auth.HashPassword("correct horse", auth.Params{Memory: 1024, Time: 1, Threads: 1})
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Parse("test.yaml", []byte(`
page: {title: "Example Hosting Status", zone: America/Los_Angeles, language: "`+lang+`"}
pages:
  - {id: kunden, title: Example Hosting Status, path: /kunden, groups: [zapp], language: "`+lang+`",
     private: {password_hash: "`+hash+`", key_env: `+pageKeyEnv+`}}
groups:
  - id: flexo
    components: [{id: web, name: Web sites}]
  - id: zapp
    components: [{id: web, name: Web sites}]
`))
			if err != nil {
				t.Fatal(err)
			}
			f := newBrowserFixtureWith(t, &cfg)
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			private := &httptest.Server{Listener: l, Config: &http.Server{Handler: f.site.Handler(http.NotFoundHandler())}}
			private.Start()
			defer private.Close()
			bctx := browsertest.Start(t, execPath, browserStep)
			for _, p := range []struct{ name, path string }{
				{"signin", private.URL + "/kunden/"},
				{"index", "/"},
				{"incident", fmt.Sprintf("/incidents/%d", f.open)},
				{"postmortem", fmt.Sprintf("/incidents/%d", f.resolved)},
				{"maintenance", fmt.Sprintf("/maintenance/%d", f.mnt)},
				{"history", "/history"},
				{"subscribe", "/subscribe"},
				{"lookup", "/lookup?domain=shop.example"},
			} {
				ctx, cancel := context.WithTimeout(bctx, 2*browserStep)
				for _, width := range []int64{1280, 390} {
					var mobile []chromedp.EmulateViewportOption
					if width < 600 {
						mobile = append(mobile, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
					}
					if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 800, mobile...), chromedp.Navigate(urlOf(f.srv.URL, p.path))); err != nil {
						t.Fatalf("%s at %d: %v", p.name, width, err)
					}
					if err := browsertest.Screenshot(ctx, fmt.Sprintf("browser-%s-%s-%d.png", lang, p.name, width)); err != nil {
						t.Fatalf("%s at %d: %v", p.name, width, err)
					}
					over, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("document.documentElement.scrollWidth > window.innerWidth + 1"))
					if err != nil {
						t.Fatal(err)
					}
					if over {
						t.Errorf("%s at %d px scrolls sideways", p.name, width)
					}
				}
				got, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("html"), "lang"))
				if err != nil || got.Value != lang {
					t.Errorf("%s: html lang %q (%v), want %q", p.name, got.Value, err, lang)
				}
				// What the browser shows, less the operators' texts
				// (updates and postmortems are theirs too).
				text, err := chromedp.Run(ctx, chromedp.Evaluate[string](
					`(() => { const c = document.body.cloneNode(true); c.querySelectorAll(".prose, .excerpt, code").forEach(e => e.remove()); return c.innerText })()`))
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range operators {
					text = strings.ReplaceAll(text, s, "")
				}
				for _, line := range strings.Split(text, "\n") {
					if m := englishWords.FindString(line); m != "" {
						t.Errorf("%s: English %q in %q", p.name, m, strings.TrimSpace(line))
					}
				}
				found, err := browsertest.Axe(ctx, axe)
				if err != nil {
					t.Fatalf("%s: %v", p.name, err)
				}
				for _, v := range found {
					t.Errorf("%s: %s", p.name, v)
				}
				cancel()
			}
		})
	}
}

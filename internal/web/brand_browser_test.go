package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/internal/browsertest"
	"github.com/heraldhq/herald/internal/colour"
	"github.com/heraldhq/herald/internal/config"
)

// A provider's brand for the tests: a logo for each scheme, an SVG
// favicon, a purple accent (readable on the light scheme, made lighter for
// the dark one), two footer links and a stylesheet of its own.
const (
	brandLogo = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 150 40">
<rect x="2" y="2" width="36" height="36" rx="9" fill="#6f42c1"/><path d="M13 12h14M13 20h11M13 28h14M13 12v16" stroke="#fff" stroke-width="3.2" stroke-linecap="round" fill="none"/>
<text x="48" y="27" font-family="system-ui, sans-serif" font-size="19" font-weight="700" fill="%s">Example</text></svg>`
	brandFavicon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#6f42c1"/></svg>`
	brandCSS     = "/* Example Hosting's own touches */\n.card, .banner, .days { border-radius: 6px; }\n.brand-links a { font-weight: 600; }\n"
)

// brandedConfig writes the brand's files beside a configuration and loads it.
func brandedConfig(t *testing.T) config.Config {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{"logo.svg": fmt.Sprintf(brandLogo, "#1b1f24"), "logo-dark.svg": fmt.Sprintf(brandLogo, "#e6edf3"),
		"favicon.svg": brandFavicon, "custom.css": brandCSS, "herald.yaml": `page:
  title: Example Hosting Status
  zone: America/Los_Angeles
  logo: {light: logo.svg, dark: logo-dark.svg, alt: Example Hosting}
  accent: "#6f42c1"
  favicon: favicon.svg
  css: custom.css
  footer:
    - {text: Terms of service, url: "https://example.net/terms"}
    - {text: "Support <24/7>", url: "mailto:support@example.net"}
groups:
  - id: flexo
    components: [{id: web, name: Web sites}]
`}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Load(filepath.Join(dir, "herald.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestBrowserBrand opens every kind of public page of a branded site in
// Chromium, in both colour schemes: each shows the logo of its scheme, links
// in the accent, the favicon, the footer links and the provider's
// stylesheet; the page's policy refuses nothing (the console stays quiet);
// axe-core finds nothing. The front page and an incident are saved at 1280
// and 390 pixels in both schemes (to docs/screenshots with
// HERALD_SAVE_SCREENSHOTS=1).
func TestBrowserBrand(t *testing.T) {
	execPath := browsertest.Chromium(t)
	axe := browsertest.AxeSource(t)
	cfg := brandedConfig(t)
	brand := cfg.Page.Brand()
	f := newBrowserFixtureWith(t, &cfg)

	bctx := browsertest.Start(t, execPath, browserStep)
	problems := &browsertest.Problems{}
	if err := chromedp.Listen(bctx, func(ev any) {
		if ev, ok := ev.(*cdplog.EventEntryAdded); ok && ev.Entry != nil && ev.Entry.Level == cdplog.EntryLevelError &&
			!strings.HasSuffix(ev.Entry.URL, "/incidents/999999") { // the not-found page's own status
			problems.Add(fmt.Sprintf("log %s: %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
		}
	}); err != nil {
		t.Fatal(err)
	}
	setScheme := func(ctx context.Context, scheme string) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
		return err
	}
	accent := map[string]string{"light": brand.AccentLight, "dark": brand.AccentDark}

	for _, p := range []struct {
		name, path string
		logo       bool
	}{
		{"front page", "/", true},
		{"incident", fmt.Sprintf("/incidents/%d", f.open), true},
		{"maintenance", fmt.Sprintf("/maintenance/%d", f.mnt), true},
		{"history", "/history", true},
		{"component", "/components/flexo/web", true},
		{"subscribe", "/subscribe", true},
		{"look-up", "/lookup?domain=shop.example", true},
		{"not found", "/incidents/999999", true},
		{"framed widget", "/widget/flexo", false},
	} {
		ctx, cancel := context.WithTimeout(bctx, browserStep)
		for _, scheme := range browsertest.Schemes {
			if err := setScheme(ctx, scheme); err != nil {
				cancel()
				t.Fatal(err)
			}
			if err := chromedp.Do(ctx, chromedp.Navigate(f.srv.URL+p.path)); err != nil {
				cancel()
				t.Fatalf("%s: %v", p.name, err)
			}
			// What the page shows of the brand, read from the page itself.
			got, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`(() => {
				const img = document.querySelector(".brand img.logo");
				const link = document.querySelector("footer.site a, .herald-widget a");
				const own = document.querySelector(".brand-links a");
				const sheets = [...document.styleSheets].map(s => s.href || "");
				return {
					logo: img ? img.currentSrc.replace(location.origin, "") : "",
					logoShown: img ? img.complete && img.naturalWidth > 0 : false,
					alt: img ? img.alt : "",
					link: link ? getComputedStyle(link).color : "",
					icon: (document.querySelector("link[rel=icon]") || {}).href || "",
					footer: [...document.querySelectorAll(".brand-links a")].map(a => a.textContent + " " + a.href).join("; "),
					sheets: sheets.map(h => h.replace(location.origin, "")).join(" "),
					weight: own ? getComputedStyle(own).fontWeight : "",
				};
			})()`))
			if err != nil {
				cancel()
				t.Fatalf("%s (%s): %v", p.name, scheme, err)
			}
			where := fmt.Sprintf("%s (%s)", p.name, scheme)
			if p.logo {
				wantLogo := "logo." + brand.Logo.Sum + ".svg"
				if scheme == "dark" {
					wantLogo = "logo." + brand.LogoDark.Sum + ".svg"
				}
				if !strings.HasSuffix(fmt.Sprint(got["logo"]), wantLogo) || got["logoShown"] != true || got["alt"] != "Example Hosting" {
					t.Errorf("%s: logo %v (shown %v, alt %q), want %s shown", where, got["logo"], got["logoShown"], got["alt"], wantLogo)
				}
				if want := "Terms of service https://example.net/terms; Support <24/7> mailto:support@example.net"; got["footer"] != want {
					t.Errorf("%s: footer links %q, want %q", where, got["footer"], want)
				}
				if got["weight"] != "600" {
					t.Errorf("%s: the provider's stylesheet did not apply (footer links' weight %v)", where, got["weight"])
				}
			}
			if c := colour.MustParse(accent[scheme]); got["link"] != fmt.Sprintf("rgb(%d, %d, %d)", c[0], c[1], c[2]) {
				t.Errorf("%s: links are %v, want the accent %s", where, got["link"], accent[scheme])
			}
			if !strings.Contains(fmt.Sprint(got["icon"]), "/static/favicon."+brand.Favicon.Sum+".svg") {
				t.Errorf("%s: icon %v", where, got["icon"])
			}
			if !strings.Contains(fmt.Sprint(got["sheets"]), "/static/brand."+brand.Sum+".css") {
				t.Errorf("%s: stylesheets %v lack the brand's", where, got["sheets"])
			}
		}
		found, err := browsertest.Axe(ctx, axe)
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		for _, v := range found {
			t.Errorf("%s: %s", p.name, v)
		}
		_ = chromedp.Do(bctx, chromedp.Sleep(50*time.Millisecond)) // late console events
		for _, pr := range problems.Take() {
			t.Errorf("%s: %s", p.name, pr)
		}
	}

	for _, p := range []struct{ name, path string }{{"brand", "/"}, {"brand-incident", fmt.Sprintf("/incidents/%d", f.resolved)}} {
		for _, scheme := range browsertest.Schemes {
			for _, width := range []int64{1280, 390} {
				ctx, cancel := context.WithTimeout(bctx, browserStep)
				var opts []chromedp.EmulateViewportOption
				if width < 600 {
					opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
				}
				if err := setScheme(ctx, scheme); err != nil {
					cancel()
					t.Fatal(err)
				}
				if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 800, opts...), chromedp.Navigate(f.srv.URL+p.path)); err != nil {
					cancel()
					t.Fatal(err)
				}
				if err := browsertest.Screenshot(ctx, fmt.Sprintf("browser-%s-%s-%d.png", p.name, scheme, width)); err != nil {
					cancel()
					t.Fatal(err)
				}
				over, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("document.documentElement.scrollWidth > window.innerWidth + 1"))
				cancel()
				if err != nil {
					t.Fatal(err)
				}
				if over {
					t.Errorf("%s (%s) at %d px scrolls sideways", p.name, scheme, width)
				}
			}
		}
	}
}

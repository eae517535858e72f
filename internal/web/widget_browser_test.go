package web_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/internal/browsertest"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
)

// hostPage is a customer's page on another origin: the widget for two
// servers by script, and the framed one, under a Content-Security-Policy
// that names Herald's origin and nothing else.
const hostPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Example Shop: our hosting</title>
<style>
body { margin: 0; font: 17px/1.5 Georgia, serif; background: #faf7f2; color: #222; }
header, main { max-width: 44rem; margin: 0 auto; padding: 1rem 1.25rem; }
.row { display: flex; flex-wrap: wrap; gap: 1rem; }
.row > * { flex: 1 1 18rem; }
iframe { border: 0; width: 100%%; height: 12rem; }
@media (prefers-color-scheme: dark) { body { background: #111; color: #eee; } }
</style>
</head>
<body>
<header><h1>Example Shop</h1></header>
<main>
<p>Our shop runs on the mom server; its mail on flexo.</p>
<div class="row">
<div id="mom"><h2>mom</h2><script src="%[1]s/widget.js" data-server="mom" async></script></div>
<div id="flexo"><h2>flexo</h2><script src="%[1]s/widget.js" data-server="flexo" async></script></div>
</div>
<h2>Without scripts</h2>
<iframe src="%[1]s/widget/mom" title="Status of mom"></iframe>
</main>
</body>
</html>
`

// TestBrowserWidget embeds the widget in a page served from another
// loopback origin and checks in Chromium that it reads Herald's JSON
// across origins, shows each server's status and what affects it (text
// set as text), passes axe-core in light and dark, and fits at 1280 and
// 390 px; it takes screenshots of it, and of a component page's badges.
func TestBrowserWidget(t *testing.T) {
	execPath := browsertest.Chromium(t)
	axe := browsertest.AxeSource(t)
	f := newBrowserFixture(t)
	ctx := context.Background()
	const evil = `<img src=x onerror=alert(1)>`
	if _, err := f.svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Mail on flexo slow " + evil, Body: "Looking.",
		Components: map[string]status.ComponentStatus{"flexo/email": status.DegradedPerformance}}); err != nil {
		t.Fatal(err)
	}
	if err := f.site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	herald := f.srv.URL
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Security-Policy", fmt.Sprintf("default-src 'self'; script-src %[1]s; style-src 'unsafe-inline' %[1]s; connect-src %[1]s; frame-src %[1]s; img-src 'self'", herald))
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, hostPage, herald)
	})}}
	host.Start()
	defer host.Close()
	if host.URL == herald {
		t.Fatal("the host page must be on another origin")
	}

	bctx := browsertest.Start(t, execPath, browserStep)
	problems := &browsertest.Problems{}
	if err := chromedp.Listen(bctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			problems.Add("exception: " + (&chromedp.ExceptionError{ExceptionDetails: ev.ExceptionDetails}).Error())
		case *cdplog.EventEntryAdded:
			if ev.Entry != nil && ev.Entry.Level == cdplog.EntryLevelError && !strings.HasSuffix(ev.Entry.URL, "/favicon.ico") {
				problems.Add(fmt.Sprintf("log %s: %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	run := func(ctx context.Context, sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q)||{}).innerText||""`, sel)))
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(strings.Fields(s), " ")
	}
	load := func(ctx context.Context) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(host.URL+"/")); err != nil {
			t.Fatal(err)
		}
		// Each widget is in once it has read the JSON and says a status.
		if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#mom .hw-status")), chromedp.WaitVisible(chromedp.CSS("#flexo .hw-status"))); err != nil {
			t.Fatalf("the widgets never showed a status: %v", err)
		}
		// And the frame is in once its document has loaded (a frame out
		// of view may be loaded late: it is brought into view first).
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise(done => {
			document.querySelector("iframe").scrollIntoView();
			const loaded = () => performance.getEntriesByType("resource").some(e => e.initiatorType === "iframe" && e.responseEnd > 0);
			const wait = () => loaded() ? requestAnimationFrame(() => { scrollTo(0, 0); requestAnimationFrame(() => done(true)); }) : setTimeout(wait, 20);
			wait();
		})`, chromedp.EvalAwaitPromise)); err != nil {
			t.Fatalf("the framed widget never loaded: %v", err)
		}
	}

	stepCtx, cancel := context.WithTimeout(bctx, 2*browserStep)
	defer cancel()
	load(stepCtx)
	mom, flexo := run(stepCtx, "#mom .herald-widget"), run(stepCtx, "#flexo .herald-widget")
	for _, w := range []string{"mom", "Major outage", "Web sites on mom unreachable", "Identified", "Full status page"} {
		if !strings.Contains(mom, w) {
			t.Errorf("mom's widget reads %q, lacking %q", mom, w)
		}
	}
	for _, w := range []string{"flexo", "Degraded performance", "Mail on flexo slow " + evil, "Scheduled maintenance", "Kernel update on flexo"} {
		if !strings.Contains(flexo, w) {
			t.Errorf("flexo's widget reads %q, lacking %q", flexo, w)
		}
	}
	if strings.Contains(mom, "flexo") || strings.Contains(flexo, "mom unreachable") {
		t.Errorf("a widget shows another server's news: mom %q, flexo %q", mom, flexo)
	}
	checks, err := chromedp.Run(stepCtx, chromedp.Evaluate[map[string]any](`({
		images: document.querySelectorAll(".herald-widget img").length,
		live: document.querySelectorAll('.herald-widget [role="status"][aria-live="polite"]').length,
		afterScript: [...document.querySelectorAll(".herald-widget")].every(w => w.previousElementSibling && w.previousElementSibling.tagName === "SCRIPT"),
		link: document.querySelector("#mom .hw-link").href,
		sheets: document.querySelectorAll('link[href$="/widget.css"]').length,
	})`))
	if err != nil {
		t.Fatal(err)
	}
	if checks["images"] != 0.0 || checks["live"] != 2.0 || checks["afterScript"] != true || checks["sheets"] != 1.0 ||
		!strings.HasPrefix(fmt.Sprint(checks["link"]), herald+"/incidents/") {
		t.Errorf("widgets: %v; want no image from a title, two polite live regions, each after its script, one stylesheet, links to Herald", checks)
	}
	// The framed widget, read inside its frame.
	framed, err := chromedp.Run(stepCtx, chromedp.Evaluate[string](`new Promise(r => { const f = document.querySelector("iframe"); const go = () => r(f.contentDocument ? "same-origin?" : "cross-origin"); f.complete ? go() : (f.onload = go, setTimeout(go, 50)); })`, chromedp.EvalAwaitPromise))
	if err != nil || framed != "cross-origin" {
		t.Errorf("the frame is %q (%v), want Herald's own cross-origin document", framed, err)
	}
	found, err := browsertest.Axe(stepCtx, axe)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range found {
		t.Errorf("host page with the widget: %s", v)
	}
	for _, p := range problems.Take() {
		t.Errorf("host page: %s", p)
	}
	cancel()

	// The framed widget on its own, and a component page's badges.
	for _, path := range []string{"/widget/mom", "/widget/flexo", "/components/flexo/email"} {
		ctx, cancel := context.WithTimeout(bctx, browserStep)
		if err := chromedp.Do(ctx, chromedp.Navigate(herald+path)); err != nil {
			cancel()
			t.Fatal(err)
		}
		found, err := browsertest.Axe(ctx, axe)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range found {
			t.Errorf("%s: %s", path, v)
		}
	}

	// Light and dark, wide and narrow (screenshots with
	// HERALD_SAVE_SCREENSHOTS=1); nothing may stick out sideways.
	shoot := func(name, url string, widget bool) {
		t.Helper()
		for _, scheme := range []string{"light", "dark"} {
			for _, width := range []int64{1280, 390} {
				ctx, cancel := context.WithTimeout(bctx, browserStep)
				var opts []chromedp.EmulateViewportOption
				if width < 600 {
					opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
				}
				if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
					Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}); err != nil {
					cancel()
					t.Fatal(err)
				}
				// Tall enough to hold the whole host page: Chromium leaves a
				// frame of another origin out of a screenshot beyond the viewport.
				height := int64(800)
				if widget && width < 600 {
					height = 1200
				}
				if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, height, opts...)); err != nil {
					cancel()
					t.Fatal(err)
				}
				if widget {
					load(ctx)
				} else if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
					cancel()
					t.Fatal(err)
				}
				if err := browsertest.Screenshot(ctx, fmt.Sprintf("browser-%s-%s-%d.png", name, scheme, width)); err != nil {
					cancel()
					t.Fatal(err)
				}
				over, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("document.documentElement.scrollWidth > window.innerWidth + 1"))
				cancel()
				if err != nil {
					t.Fatal(err)
				}
				if over {
					t.Errorf("%s (%s) at %d px scrolls sideways", name, scheme, width)
				}
			}
		}
	}
	shoot("widget", host.URL+"/", true)
	shoot("badges", herald+"/components/flexo/email#h-badges", false)
	for _, p := range problems.Take() {
		t.Errorf("light and dark, wide and narrow: %s", p)
	}
}

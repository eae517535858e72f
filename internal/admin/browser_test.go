package admin_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/internal/browsertest"

	"github.com/heraldhq/herald/internal/admin"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// The browser test drives Debian's headless Chromium, as internal/web's
// does: it skips without Chromium unless HERALD_REQUIRE_BROWSER=1, and with
// HERALD_SAVE_SCREENSHOTS=1 it writes every screen at 1280 and 390 pixels to
// docs/screenshots/admin-<screen>-<width>.png.

const browserStep = 30 * time.Second

// browser is one headless Chromium with helpers bound to a test.
type browser struct {
	t        *testing.T
	ctx      context.Context
	problems *browsertest.Problems
	// expect403 lets the console's report of a refused request pass.
	expect403 bool
}

func startBrowser(t *testing.T) *browser {
	execPath := browsertest.Chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(execPath), chromedp.UserDataDir(t.TempDir()), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true), chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("password-store", "basic"), chromedp.Flag("use-mock-keychain", true),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancel)
	watchdog := time.AfterFunc(browserStep, cancel)
	err := chromedp.Do(bctx)
	if !watchdog.Stop() {
		t.Fatalf("starting %s: no browser within %s", execPath, browserStep)
	}
	if err != nil {
		t.Fatalf("starting %s: %v", execPath, err)
	}
	b := &browser{t: t, ctx: bctx, problems: &browsertest.Problems{}}
	if err := chromedp.Listen(bctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			b.problems.Add("exception: " + (&chromedp.ExceptionError{ExceptionDetails: ev.ExceptionDetails}).Error())
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				b.problems.Add(fmt.Sprintf("console.error: %v", ev.Args))
			}
		case *cdplog.EventEntryAdded:
			if ev.Entry == nil || ev.Entry.Level != cdplog.EntryLevelError || strings.HasSuffix(ev.Entry.URL, "/favicon.ico") {
				return
			}
			if b.expect403 && strings.Contains(ev.Entry.Text, "403") {
				return
			}
			b.problems.Add(fmt.Sprintf("log %s: %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
		}
	}); err != nil {
		t.Fatal(err)
	}
	return b
}

// step runs fn within browserStep and reports what the console complained of.
func (b *browser) step(name string, fn func(ctx context.Context)) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStep)
	defer cancel()
	fn(ctx)
	_ = chromedp.Do(ctx, chromedp.Sleep(100*time.Millisecond)) // let late console events arrive
	for _, p := range b.problems.Take() {
		b.t.Errorf("%s: %s", name, p)
	}
}

func (b *browser) do(ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// submit clicks and waits for the page it leads to.
func (b *browser) submit(ctx context.Context, sel string) {
	b.t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(sel)))); err != nil {
		b.t.Fatalf("click %s: %v", sel, err)
	}
}

func (b *browser) text(ctx context.Context, sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.Join(strings.Fields(s), " ")
}

func (b *browser) want(ctx context.Context, sel string, wants ...string) {
	b.t.Helper()
	got := b.text(ctx, sel)
	for _, w := range wants {
		if !strings.Contains(got, w) {
			b.t.Errorf("%s shows %q, lacking %q", sel, got, w)
		}
	}
}

func (b *browser) location(ctx context.Context) string {
	b.t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return loc
}

func (b *browser) eval(ctx context.Context, js string) string {
	b.t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// shots saves a screen at desktop and phone widths and checks nothing sticks out sideways.
func (b *browser) shots(ctx context.Context, name, url string, dark bool) {
	b.t.Helper()
	scheme := "light"
	if dark {
		scheme = "dark"
		name += "-dark"
	}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}); err != nil {
		b.t.Fatal(err)
	}
	for _, width := range []int64{1280, 390} {
		var opts []chromedp.EmulateViewportOption
		if width < 600 {
			opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
		}
		b.do(ctx, name, chromedp.EmulateViewport(width, 900, opts...), chromedp.Navigate(url))
		if err := browsertest.Screenshot(ctx, fmt.Sprintf("admin-%s-%d.png", name, width)); err != nil {
			b.t.Fatal(err)
		}
		over, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("document.documentElement.scrollWidth > window.innerWidth + 1"))
		if err != nil {
			b.t.Fatal(err)
		}
		if over {
			b.t.Errorf("%s at %d px scrolls sideways", name, width)
		}
	}
	b.do(ctx, "reset", chromedp.EmulateViewport(1280, 900))
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
		b.t.Fatal(err)
	}
}

// axe runs axe-core on the page loaded in ctx, light and dark, and fails
// the test on each violation.
func (b *browser) axe(ctx context.Context, name, src string) {
	b.t.Helper()
	found, err := browsertest.Axe(ctx, src)
	if err != nil {
		b.t.Fatalf("%s: %v", name, err)
	}
	for _, v := range found {
		b.t.Errorf("axe on %s: %s", name, v)
	}
}

func TestBrowserOperator(t *testing.T) {
	b := startBrowser(t)
	axe := browsertest.AxeSource(t)
	f := newFixture(t, storetest.SQLite(t), func(d *admin.Deps) { d.Monitoring, d.Subscribers = demoMonitoring(), demoSubscribers() })
	ctx0 := context.Background()
	u := f.srv.URL
	rebuild := func() {
		t.Helper()
		if err := f.site.Rebuild(ctx0); err != nil {
			t.Fatal(err)
		}
	}
	// publicShows reads / and /api/v2/summary.json in the browser.
	// The public documents may be cached for ten seconds: each look asks
	// for a new address, as a reader arriving later would get the new page.
	looks := 0
	publicShows := func(ctx context.Context, what string, index, summary []string, summaryNot ...string) {
		t.Helper()
		rebuild()
		looks++
		b.do(ctx, what, chromedp.Navigate(fmt.Sprintf("%s/?look=%d", u, looks)))
		b.want(ctx, "main", index...)
		b.do(ctx, what, chromedp.Navigate(fmt.Sprintf("%s/api/v2/summary.json?look=%d", u, looks)))
		got := b.text(ctx, "body")
		for _, w := range summary {
			if !strings.Contains(got, w) {
				t.Errorf("%s: summary.json lacks %q:\n%s", what, w, got)
			}
		}
		for _, w := range summaryNot {
			if strings.Contains(got, w) {
				t.Errorf("%s: summary.json still has %q", what, w)
			}
		}
	}
	draftURL := fmt.Sprintf("%s/admin/incidents/%d", u, f.draft)

	b.step("sign in", func(ctx context.Context) {
		b.do(ctx, "open /admin", chromedp.Navigate(u+"/admin"))
		if loc := b.location(ctx); loc != u+"/admin/login" {
			t.Errorf("/admin without a session lands on %s", loc)
		}
		b.shots(ctx, "login", u+"/admin/login", false)
		b.do(ctx, "open the sign-in page", chromedp.Navigate(u+"/admin/login"))
		b.axe(ctx, "login", axe)
		b.do(ctx, "type", chromedp.SendKeys(chromedp.CSS("#username"), "alice"), chromedp.SendKeys(chromedp.CSS("#password"), alicePW))
		b.submit(ctx, "form button[type=submit]")
		if loc := b.location(ctx); loc != u+"/admin" {
			t.Fatalf("after sign-in the browser is at %s", loc)
		}
		b.want(ctx, "#h-drafts", "Drafts awaiting review")
		b.want(ctx, ".banner", "Partially Degraded Service")
		cookies := b.eval(ctx, "document.cookie")
		if strings.Contains(cookies, "herald_session") {
			t.Errorf("the session cookie is readable from script: %q", cookies)
		}
	})

	// Every screen, at 3 AM with a draft waiting, before the operator acts.
	for _, s := range []struct {
		name, path string
		dark       bool
	}{
		{"dashboard", "/admin", false}, {"dashboard", "/admin", true}, {"incidents", "/admin/incidents", false},
		{"incident", fmt.Sprintf("/admin/incidents/%d", f.draft), false}, {"incident", fmt.Sprintf("/admin/incidents/%d", f.draft), true},
		{"incident-open", fmt.Sprintf("/admin/incidents/%d", f.open), false},
		{"incident-resolved", fmt.Sprintf("/admin/incidents/%d", f.resolved), false},
		{"incident-new", "/admin/incidents/new?template=investigating", false}, {"maintenance", "/admin/maintenance", false},
		{"maintenance-detail", fmt.Sprintf("/admin/maintenance/%d", f.tonight), false}, {"monitors", "/admin/monitors", false},
		{"subscribers", "/admin/subscribers?q=example.org", false}, {"audit", "/admin/audit", false}, {"settings", "/admin/settings", false},
		{"users", "/admin/users", false}, {"reports", "/admin/reports", false},
		{"report", "/admin/reports/view?from=2026-11-01&to=2026-11-30&format=html", false},
	} {
		b.step("screen "+s.name, func(ctx context.Context) {
			b.shots(ctx, s.name, u+s.path, s.dark)
			if !s.dark { // Axe checks both schemes
				b.do(ctx, s.name, chromedp.Navigate(u+s.path))
				b.axe(ctx, s.name, axe)
			}
		})
	}

	b.step("publish the draft", func(ctx context.Context) {
		// The draft is not public yet.
		publicShows(ctx, "before publishing", []string{"Slow incoming mail on mom"}, []string{"Slow incoming mail on mom"}, "Web sites on flexo")
		b.do(ctx, "dashboard", chromedp.Navigate(u+"/admin"))
		b.submit(ctx, "#h-drafts + ul a.title")
		if loc := b.location(ctx); loc != draftURL {
			t.Fatalf("review leads to %s, want %s", loc, draftURL)
		}
		// Edit a word of the title, then publish.
		b.do(ctx, "edit title", chromedp.SetValue(chromedp.CSS("#e-title"), "Web sites on flexo are down"))
		b.submit(ctx, `form[action$="/edit"] button`)
		b.want(ctx, "h1", "Web sites on flexo are down")
		b.submit(ctx, `form[action$="/publish"] button`)
		b.want(ctx, ".notice", "Published")
		publicShows(ctx, "published", []string{"Web sites on flexo are down", "Major outage"},
			[]string{"Web sites on flexo are down", `"status":"investigating"`})
	})

	b.step("post identified", func(ctx context.Context) {
		f.clock.Add(20 * time.Minute)
		b.do(ctx, "editor", chromedp.Navigate(draftURL))
		// The starter text fills the form in place (JavaScript), no navigation.
		b.do(ctx, "starter", chromedp.Click(chromedp.CSS(`#updateform a[data-starter][href$="template=identified#update"]`)))
		if v := b.eval(ctx, "document.querySelector('#u-body').value"); !strings.Contains(v, "We have identified the cause") {
			t.Errorf("starter text not filled: %q", v)
		}
		if v := b.eval(ctx, "document.querySelector('#u-status').value"); v != "identified" {
			t.Errorf("starter status %q", v)
		}
		b.do(ctx, "own words", chromedp.SetValue(chromedp.CSS("#u-body"), "Apache on flexo **did not respond** to a graceful reload. Restarting it."))
		b.do(ctx, "preview", chromedp.Click(chromedp.CSS(`#updateform button[data-preview]`)), chromedp.WaitVisible(chromedp.CSS("#updateform .preview strong")))
		b.want(ctx, "#updateform .preview", "did not respond")
		if loc := b.location(ctx); loc != draftURL {
			t.Errorf("the preview navigated to %s", loc)
		}
		b.submit(ctx, `#updateform button.primary`)
		b.want(ctx, ".notice", "Update posted")
		b.want(ctx, "ol.timeline", "Identified", "did not respond")
		publicShows(ctx, "identified", []string{"Identified", "did not respond"}, []string{`"status":"identified"`})
	})

	b.step("resolve and postmortem", func(ctx context.Context) {
		f.clock.Add(10 * time.Minute)
		b.do(ctx, "editor", chromedp.Navigate(draftURL))
		b.do(ctx, "closing words", chromedp.SetValue(chromedp.CSS("#r-body"), "Customers on the flexo server experienced a thirty-minute interruption in Web site service."))
		b.submit(ctx, `form[action$="/resolve"] button.primary`)
		b.want(ctx, ".notice", "Incident resolved")
		publicShows(ctx, "resolved", []string{"Slow incoming mail on mom"}, []string{`"components"`}, "Web sites on flexo are down")
		// The next day the session has expired: sign in again, and land where you were going.
		f.clock.Add(20 * time.Hour)
		b.do(ctx, "editor", chromedp.Navigate(draftURL))
		if loc := b.location(ctx); !strings.HasPrefix(loc, u+"/admin/login?next=") {
			t.Errorf("an expired session still opens %s (at %s)", draftURL, loc)
		}
		b.do(ctx, "type", chromedp.SendKeys(chromedp.CSS("#username"), "alice"), chromedp.SendKeys(chromedp.CSS("#password"), alicePW))
		b.submit(ctx, "form button[type=submit]")
		if loc := b.location(ctx); loc != draftURL {
			t.Errorf("after signing in again the browser is at %s, want %s", loc, draftURL)
		}
		b.eval(ctx, "document.querySelector('#postmortem details').open = true, ''")
		b.do(ctx, "write postmortem", chromedp.SetValue(chromedp.CSS("#pm"), "## What happened\n\nApache did not respond to a graceful reload.\n\n## What we changed\n\nA health check after each reload."))
		b.submit(ctx, `form[action$="/postmortem"] button.primary`)
		b.want(ctx, "#postmortem", "What we changed")
		rebuild()
		b.do(ctx, "public incident", chromedp.Navigate(fmt.Sprintf("%s/incidents/%d?look=pm", u, f.draft)))
		b.want(ctx, "main", "Resolved", "What we changed")
	})

	// A second draft for the forgery to aim at.
	in, err := f.svc.OpenIncident(ctx0, "herald", service.NewIncident{Title: "E-mail on zapp not answering", Body: "Drafted.",
		Components: map[string]status.ComponentStatus{"zapp/email": status.MajorOutage}, Draft: true, Auto: true})
	if err != nil {
		t.Fatal(err)
	}

	b.step("forged cross-site POST", func(ctx context.Context) {
		// Another origin (another port of the same host, so the SameSite cookie
		// is sent) serves a page whose form posts to the admin on load.
		evil := http.NewServeMux()
		evil.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!doctype html><html lang="en"><title>Win a prize</title><body>
<form id="f" method="post" action="%s/admin/incidents/%d/publish"></form>
<script>document.getElementById("f").submit()</script></body></html>`, u, in.ID)
		})
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		es := &httptest.Server{Listener: l, Config: &http.Server{Handler: evil}}
		es.Start()
		defer es.Close()
		b.expect403 = true
		defer func() { b.expect403 = false }()
		b.do(ctx, "visit the other site", chromedp.Navigate(es.URL+"/"), chromedp.WaitVisible(chromedp.CSS(".error")))
		b.want(ctx, ".error", "came from another site")
		got, err := f.svc.Incident(ctx0, in.ID)
		if err != nil || !got.Draft {
			t.Errorf("the forged POST published the draft: %+v %v", got, err)
		}
	})

	b.step("viewer is refused", func(ctx context.Context) {
		b.do(ctx, "dashboard", chromedp.Navigate(u+"/admin"))
		b.submit(ctx, `form[action="/admin/logout"] button`)
		b.want(ctx, ".notice", "You are signed out")
		b.do(ctx, "type", chromedp.SendKeys(chromedp.CSS("#username"), "vic"), chromedp.SendKeys(chromedp.CSS("#password"), vicPW))
		b.submit(ctx, "form button[type=submit]")
		b.want(ctx, ".who", "vic", "viewer")
		b.do(ctx, "a draft", chromedp.Navigate(fmt.Sprintf("%s/admin/incidents/%d", u, in.ID)))
		if n := b.eval(ctx, "String(document.querySelectorAll('form[method=post]:not([action=\"/admin/logout\"])').length)"); n != "0" {
			t.Errorf("a viewer sees %s forms that change things", n)
		}
		b.expect403 = true
		defer func() { b.expect403 = false }()
		// Even a hand-made request from the admin's own page is refused.
		code := b.eval(ctx, fmt.Sprintf(`fetch("/admin/incidents/%d/publish", {method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded"}, body: ""}).then(r => String(r.status))`, in.ID))
		if code != "403" {
			t.Errorf("viewer publish: status %s, want 403", code)
		}
		b.do(ctx, "new incident", chromedp.Navigate(u+"/admin/incidents/new"))
		b.want(ctx, ".error", "may look but not change")
		got, err := f.svc.Incident(ctx0, in.ID)
		if err != nil || !got.Draft {
			t.Errorf("the viewer published the draft: %+v %v", got, err)
		}
	})
}

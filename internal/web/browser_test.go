package web_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/internal/browsertest"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/customers"
	"github.com/heraldhq/herald/internal/notify"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
	"github.com/heraldhq/herald/internal/web"
)

// The browser test drives Debian's headless Chromium over the DevTools
// protocol. Without Chromium it skips, unless HERALD_REQUIRE_BROWSER=1 (CI)
// makes the lack a failure. HERALD_SAVE_SCREENSHOTS=1 also writes the
// screenshots to docs/screenshots/browser-<page>-<width>.png.

// browserStep bounds the work on one page: navigation, queries and screenshots.
const browserStep = 30 * time.Second

type browserClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *browserClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

type browserFixture struct {
	srv                 *httptest.Server
	open, resolved, mnt int64
	svc                 *service.Service
	site                *web.Site
}

func newBrowserFixture(t *testing.T) *browserFixture {
	t.Helper()
	return newBrowserFixtureWith(t, nil)
}

// newBrowserFixtureIn is the fixture with its page in a language (page.language).
func newBrowserFixtureIn(t *testing.T, language string) *browserFixture {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(`
page: {title: "Example Hosting Status", zone: America/Los_Angeles, language: "`+language+`"}
groups:
  - id: flexo
    components: [{id: web, name: Web sites}]
`))
	if err != nil {
		t.Fatal(err)
	}
	return newBrowserFixtureWith(t, &cfg)
}

// newBrowserFixtureWith is newBrowserFixture with the given configuration
// (nil: a plain one).
func newBrowserFixtureWith(t *testing.T, conf *config.Config) *browserFixture {
	t.Helper()
	ctx := context.Background()
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, la)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	b := storetest.SQLite(t)
	svc := service.New(b.Store, &browserClock{t: at("2026-11-25 10:30")}, nil)
	if err := svc.SyncCatalog(ctx,
		[]store.Group{{ID: "flexo", Name: "flexo"}, {ID: "mom", Name: "mom", Position: 1}},
		[]store.Component{
			{ID: "flexo/web", GroupID: "flexo", Name: "Web sites"},
			{ID: "flexo/email", GroupID: "flexo", Name: "E-mail", Position: 1},
			{ID: "mom/web", GroupID: "mom", Name: "Web sites"},
			{ID: "mom/email", GroupID: "mom", Name: "E-mail", Position: 1},
		}); err != nil {
		t.Fatal(err)
	}
	f := &browserFixture{svc: svc}

	in, err := svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Web sites on flexo interrupted",
		Body: "Looking into it.", StartedAt: at("2026-11-23 09:48"),
		Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}})
	if err != nil {
		t.Fatal(err)
	}
	f.resolved = in.ID
	postmortem := "The Apache Web server did not respond to a **graceful reload**. " +
		strings.Repeat("We looked at every log line we had. ", 12) +
		"\n\n```\n" + strings.Repeat("apache2: graceful reload requested, workers did not exit; ", 8) + "\n```" +
		"\n\n## What we changed\n\n- a health check after each reload\n- an alert when it fails\n\nPOSTMORTEM TAIL."
	if _, err := svc.ResolveIncident(ctx, "test", in.ID, service.Resolution{
		Body:       "Customers on the flexo server experienced a four-minute interruption.",
		ResolvedAt: at("2026-11-23 09:52"), Postmortem: postmortem}); err != nil {
		t.Fatal(err)
	}

	in, err = svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Web sites on mom unreachable",
		Body:      "We are **investigating** reports that sites on mom time out.\n\n- HTTP: affected\n- E-mail: *not* affected",
		StartedAt: at("2026-11-25 09:00"), Components: map[string]status.ComponentStatus{"mom/web": status.MajorOutage}})
	if err != nil {
		t.Fatal(err)
	}
	f.open = in.ID
	if _, err := svc.PostIncidentUpdate(ctx, "test", in.ID, service.IncidentUpdate{Status: status.Identified,
		Body: "A failed disk in the `mom` array. Replacing it now.", At: at("2026-11-25 09:20")}); err != nil {
		t.Fatal(err)
	}

	m, err := svc.ScheduleMaintenance(ctx, "test", service.NewMaintenance{Title: "Kernel update on flexo",
		Body: "The server restarts once; expect **five minutes** without service.", Components: []string{"flexo/web", "flexo/email"},
		Start: at("2026-11-26 23:00"), End: at("2026-11-26 23:05")})
	if err != nil {
		t.Fatal(err)
	}
	f.mnt = m.ID

	cfg, err := config.Parse("test.yaml", []byte(`
page: {title: "Example Hosting Status", zone: America/Los_Angeles}
groups:
  - id: flexo
    components: [{id: web, name: Web sites}]
`))
	if err != nil {
		t.Fatal(err)
	}
	if conf != nil {
		cfg = *conf
	}
	site := web.NewSite(svc, func() config.Config { return cfg }, nil)
	if err := site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	f.site = site
	mux := http.NewServeMux()
	site.Register(mux)
	// The pages that answer per request: subscribing and the look-up.
	cfgFn := func() config.Config { return cfg }
	n, remove, err := notify.New(ctx, b.Store, svc, cfgFn, nil, notify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(remove)
	dir := customers.New(b.Store, svc)
	if _, err := dir.Import(ctx, "test", strings.NewReader("shop.example,flexo\n"), customers.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	web.NewSubscriptions(svc, cfgFn, n, dir, nil, nil).Register(mux)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: mux}}
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	return f
}

func TestBrowserPages(t *testing.T) {
	execPath := browsertest.Chromium(t)
	f := newBrowserFixture(t)

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(execPath),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.WindowSize(1280, 800),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	defer cancelBrowser()

	start := time.Now()
	// The first run starts the browser and its first tab, which live as long
	// as the context of that run: so bound it with a timer, not a timeout.
	watchdog := time.AfterFunc(browserStep, cancelBrowser)
	err := chromedp.Do(bctx)
	if !watchdog.Stop() {
		t.Fatalf("starting %s: no browser within %s", execPath, browserStep)
	}
	if err != nil {
		t.Fatalf("starting %s: %v", execPath, err)
	}
	t.Logf("browser started in %s", time.Since(start).Round(time.Millisecond))

	problems := &browsertest.Problems{}
	if err := chromedp.Listen(bctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			problems.Add("exception: " + (&chromedp.ExceptionError{ExceptionDetails: ev.ExceptionDetails}).Error())
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				problems.Add(fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
			}
		case *cdplog.EventEntryAdded:
			if ev.Entry != nil && ev.Entry.Level == cdplog.EntryLevelError {
				// The browser asks for /favicon.ico on its own; the site has
				// none (yet). That is no error of the page itself.
				if strings.HasSuffix(ev.Entry.URL, "/favicon.ico") {
					return
				}
				problems.Add(fmt.Sprintf("log %s: %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
			}
		}
	}); err != nil {
		t.Fatal(err)
	}

	// step runs the checks on one page within browserStep.
	step := func(name string, fn func(ctx context.Context) error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(bctx, browserStep)
		defer cancel()
		began := time.Now()
		if err := fn(ctx); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// Give late console events a moment to arrive before the check.
		_ = chromedp.Do(ctx, chromedp.Sleep(100*time.Millisecond))
		for _, p := range problems.Take() {
			t.Errorf("%s: %s", name, p)
		}
		t.Logf("%s: %s", name, time.Since(began).Round(time.Millisecond))
	}
	text := func(ctx context.Context, sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.Join(strings.Fields(s), " ")
	}
	wantText := func(ctx context.Context, sel string, wants ...string) {
		t.Helper()
		got := text(ctx, sel)
		for _, w := range wants {
			if !strings.Contains(got, w) {
				t.Errorf("%s shows %q, lacking %q", sel, got, w)
			}
		}
	}
	count := func(ctx context.Context, sel string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", sel)))
		if err != nil {
			t.Fatalf("count %s: %v", sel, err)
		}
		return n
	}
	landmarks := func(ctx context.Context, name string) {
		t.Helper()
		for _, sel := range []string{"body > header", "main", "body > footer", "nav", "h1"} {
			if n := count(ctx, sel); n < 1 {
				t.Errorf("%s: no %s element", name, sel)
			}
		}
		if n := count(ctx, "main"); n != 1 {
			t.Errorf("%s: %d main elements", name, n)
		}
		if lang, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("html"), "lang")); err != nil || lang.Value == "" {
			t.Errorf("%s: html has no lang (%v)", name, err)
		}
	}
	screenshots := func(ctx context.Context, name, url string) {
		t.Helper()
		for _, width := range []int64{1280, 390} {
			mobile := []chromedp.EmulateViewportOption{}
			if width < 600 {
				mobile = append(mobile, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
			}
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 800, mobile...), chromedp.Navigate(url)); err != nil {
				t.Fatalf("%s at %d: %v", name, width, err)
			}
			if err := browsertest.Screenshot(ctx, fmt.Sprintf("browser-%s-%d.png", name, width)); err != nil {
				t.Fatalf("%s at %d: %v", name, width, err)
			}
			// Nothing may stick out sideways at either width.
			over, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("document.documentElement.scrollWidth > window.innerWidth + 1"))
			if err != nil {
				t.Fatal(err)
			}
			if over {
				t.Errorf("%s at %d px scrolls sideways", name, width)
			}
		}
		if _, err := chromedp.Run(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
			t.Fatal(err)
		}
	}

	incidentURL := fmt.Sprintf("%s/incidents/%d", f.srv.URL, f.open)
	step("index", func(ctx context.Context) error {
		if err := chromedp.Do(ctx, chromedp.Navigate(f.srv.URL+"/")); err != nil {
			return err
		}
		wantText(ctx, "section.banner h1", "Major Service Outage")
		wantText(ctx, "#h-components", "Servers and services")
		comps := text(ctx, ".groups")
		for _, w := range []string{"flexo", "mom", "Web sites", "E-mail", "Major outage", "Operational"} {
			if !strings.Contains(comps, w) {
				t.Errorf("components %q lack %q", comps, w)
			}
		}
		// Each component says its status in words, not by colour alone.
		if n, m := count(ctx, ".groups ul.components li"), count(ctx, ".groups ul.components li .badge span"); n != 4 || m != 4 {
			t.Errorf("%d components, %d with a status in words; want 4 and 4", n, m)
		}
		wantText(ctx, "#h-open", "Current incidents")
		wantText(ctx, "article.card.incident h3", "Web sites on mom unreachable")
		// The Markdown of the latest update is rendered, not shown raw.
		wantText(ctx, "article.card.incident .prose code", "mom")
		wantText(ctx, "#h-upcoming", "Scheduled maintenance")
		wantText(ctx, "article.card.maint", "Kernel update on flexo", "five minutes")
		landmarks(ctx, "index")
		screenshots(ctx, "index", f.srv.URL+"/")

		// Follow the link to the open incident with a real click.
		if err := chromedp.Do(ctx, chromedp.Navigate(f.srv.URL+"/")); err != nil {
			return err
		}
		if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil,
			chromedp.Click(chromedp.CSS("article.card.incident h3 a")))); err != nil {
			return fmt.Errorf("click the incident: %w", err)
		}
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			return err
		}
		if loc != incidentURL {
			t.Errorf("after the click the browser is at %s, want %s", loc, incidentURL)
		}
		return nil
	})

	step("incident", func(ctx context.Context) error {
		// The clicked page of the open incident: its timeline, newest first.
		wantText(ctx, "h1", "Web sites on mom unreachable")
		wantText(ctx, "ol.timeline", "Identified", "Investigating", "A failed disk", "investigating reports")
		if n := count(ctx, "ol.timeline > li"); n != 2 {
			t.Errorf("open incident timeline has %d entries, want 2", n)
		}
		if first := text(ctx, "ol.timeline > li"); !strings.Contains(first, "Identified") {
			t.Errorf("the timeline starts with %q, not the newest update", first)
		}
		if _, err := chromedp.Run(ctx, chromedp.WaitVisible(chromedp.CSS("ol.timeline"))); err != nil {
			return err
		}
		landmarks(ctx, "incident")

		// The resolved incident, reached from the history's "read the rest" link below,
		// shows its postmortem; check it here too.
		if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/incidents/%d", f.srv.URL, f.resolved))); err != nil {
			return err
		}
		if _, err := chromedp.Run(ctx, chromedp.WaitVisible(chromedp.ID("postmortem"))); err != nil {
			return fmt.Errorf("postmortem not visible: %w", err)
		}
		wantText(ctx, "#postmortem", "Postmortem", "graceful reload", "What we changed", "POSTMORTEM TAIL.")
		wantText(ctx, "#postmortem h2, #postmortem h3", "Postmortem")
		if n := count(ctx, "#postmortem li"); n != 2 {
			t.Errorf("postmortem list has %d items, want 2 (Markdown not rendered?)", n)
		}
		wantText(ctx, "ol.timeline", "Resolved", "four-minute interruption")
		landmarks(ctx, "resolved incident")
		screenshots(ctx, "incident", incidentURL)
		screenshots(ctx, "postmortem", fmt.Sprintf("%s/incidents/%d", f.srv.URL, f.resolved))
		return nil
	})

	step("history", func(ctx context.Context) error {
		if err := chromedp.Do(ctx, chromedp.Navigate(f.srv.URL+"/history")); err != nil {
			return err
		}
		wantText(ctx, "h1", "History: November 2026")
		wantText(ctx, "nav.months", "November 2026", "October 2026")
		wantText(ctx, ".days", "Web sites on mom unreachable", "Web sites on flexo interrupted", "graceful reload")
		more, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("a.more"), "href"))
		if err != nil {
			return err
		}
		if want := fmt.Sprintf("/incidents/%d#postmortem", f.resolved); more.Value != want {
			t.Errorf("read-the-rest link goes to %q, want %q", more.Value, want)
		}
		wantText(ctx, "a.more", "Read the rest of the postmortem")
		if strings.Contains(text(ctx, ".days"), "POSTMORTEM TAIL") {
			t.Error("the history shows the whole postmortem, not an excerpt")
		}
		landmarks(ctx, "history")

		// Following the link lands on the postmortem.
		if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil,
			chromedp.Click(chromedp.CSS("a.more")))); err != nil {
			return fmt.Errorf("click read the rest: %w", err)
		}
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			return err
		}
		if want := fmt.Sprintf("%s/incidents/%d#postmortem", f.srv.URL, f.resolved); loc != want {
			t.Errorf("after read the rest the browser is at %s, want %s", loc, want)
		}
		if _, err := chromedp.Run(ctx, chromedp.WaitVisible(chromedp.ID("postmortem"))); err != nil {
			return err
		}
		screenshots(ctx, "history", f.srv.URL+"/history")
		return nil
	})
	t.Logf("total %s", time.Since(start).Round(time.Millisecond))
}

// TestBrowserBarsWordsAtEachWidth: at 1280 px the bars show 90 days and the
// words beside and under them say 90 days; at 390 px they show 30, and the
// words say 30. What a screen reader gets follows what is shown.
func TestBrowserBarsWordsAtEachWidth(t *testing.T) {
	execPath := browsertest.Chromium(t)
	srv := newMeasuredSite(t)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(execPath), chromedp.UserDataDir(t.TempDir()), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-dev-shm-usage", true))
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	watchdog := time.AfterFunc(browserStep, cancelBrowser)
	err := chromedp.Do(bctx)
	if !watchdog.Stop() || err != nil {
		t.Fatalf("starting %s: %v", execPath, err)
	}
	for _, tc := range []struct {
		width      int64
		bars       int
		want, lack string
	}{
		{1280, 90, "99.99% uptime in the last 90 days. Downtime on one day, Thursday, June 25.", "30 days"},
		{390, 30, "100% uptime in the last 30 days: no downtime.", "90 days"},
	} {
		ctx, cancel := context.WithTimeout(bctx, browserStep)
		var opts []chromedp.EmulateViewportOption
		if tc.width < 600 {
			opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
		}
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(tc.width, 800, opts...), chromedp.Navigate(srv.URL+"/")); err != nil {
			cancel()
			t.Fatalf("at %d px: %v", tc.width, err)
		}
		// innerText leaves out what CSS hides; the sr text is in it too.
		row, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('a[href="/components/flexo/web"]').closest("li").innerText`))
		if err != nil {
			cancel()
			t.Fatalf("at %d px: %v", tc.width, err)
		}
		shown, err := chromedp.Run(ctx, chromedp.Evaluate[int](
			`[...document.querySelector('a[href="/components/flexo/web"]').closest("li").querySelectorAll("svg.bars rect")].filter(r => r.getBoundingClientRect().width > 0).length`))
		cancel()
		if err != nil {
			t.Fatalf("at %d px: %v", tc.width, err)
		}
		row = strings.Join(strings.Fields(row), " ")
		if shown != tc.bars || !strings.Contains(row, tc.want) || strings.Contains(row, tc.lack) {
			t.Errorf("at %d px: %d bars shown (want %d); the row reads %q, want %q and no %q", tc.width, shown, tc.bars, row, tc.want, tc.lack)
		}
	}
}

// TestBrowserAxe runs axe-core over every public page, in the light and
// the dark colour scheme, and fails on any violation it reports.
func TestBrowserAxe(t *testing.T) {
	execPath := browsertest.Chromium(t)
	axe := browsertest.AxeSource(t)
	f := newBrowserFixture(t)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(execPath), chromedp.UserDataDir(t.TempDir()), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.WindowSize(1280, 800),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("force-color-profile", "srgb"))
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	watchdog := time.AfterFunc(browserStep, cancelBrowser)
	err := chromedp.Do(bctx)
	if !watchdog.Stop() || err != nil {
		t.Fatalf("starting %s: %v", execPath, err)
	}
	check := func(name string, load func(ctx context.Context) error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(bctx, browserStep)
		defer cancel()
		if err := load(ctx); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		found, err := browsertest.Axe(ctx, axe)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, v := range found {
			t.Errorf("%s: %s", name, v)
		}
	}
	for _, p := range []struct{ name, path string }{
		{"index", "/"},
		{"open incident", fmt.Sprintf("/incidents/%d", f.open)},
		{"resolved incident with postmortem", fmt.Sprintf("/incidents/%d", f.resolved)},
		{"maintenance", fmt.Sprintf("/maintenance/%d", f.mnt)},
		{"history", "/history"},
		{"history of a month", "/history/2026-10"},
		{"component", "/components/flexo/web"},
		{"subscribe", "/subscribe"},
		{"look-up form", "/lookup"},
		{"look-up answer", "/lookup?domain=shop.example"},
		{"look-up unknown", "/lookup?domain=unknown.example"},
		{"bad confirmation link", "/subscribe/confirm?token=nope"},
		{"bad manage link", "/manage?token=nope"},
		{"bad unsubscribe link", "/unsubscribe?token=nope"},
	} {
		check(p.name, func(ctx context.Context) error { return chromedp.Do(ctx, chromedp.Navigate(f.srv.URL+p.path)) })
	}
	// The front page of a fleet past page.front_bars: figures, no bars.
	figures := newBrowserFixtureWith(t, func() *config.Config {
		cfg, err := config.Parse("test.yaml", []byte(`
page: {title: "Example Hosting Status", zone: America/Los_Angeles, front_bars: 0}
groups:
  - id: flexo
    components: [{id: web, name: Web sites}]
`))
		if err != nil {
			t.Fatal(err)
		}
		return &cfg
	}())
	check("index without bars", func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.Navigate(figures.srv.URL+"/"))
	})
	// The page that answers a subscription.
	check("subscribed", func(ctx context.Context) error {
		if err := chromedp.Do(ctx, chromedp.Navigate(f.srv.URL+"/subscribe"),
			chromedp.SendKeys(chromedp.CSS("input[type=email]"), "ann@example.net")); err != nil {
			return err
		}
		_, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS("main form button[type=submit]"))))
		return err
	})
}

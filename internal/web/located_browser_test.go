package web_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/internal/browsertest"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// locatedStory plays, through the decider, an outage seen from two places
// of three (9:48:10 to 9:52:10 AM, with an incident), then path trouble
// from fra-1 alone since 9:58:10 AM, and returns the incident's id.
func locatedStory(t *testing.T, f *locatedFixture) int64 {
	t.Helper()
	ctx := context.Background()
	sec := func(s int) time.Time { return locT0.Add(time.Duration(s) * time.Second) }
	f.report(sec(0), every(status.LevelUp))
	// Past the locations' settle time (network.go), so their failures count.
	for _, s := range []int{10, 20, 30, 40} {
		f.report(sec(s), map[string]status.Level{"fra-1": status.LevelDown, "ams-1": status.LevelDown, "nyc-1": status.LevelUp})
	}
	f.pass(sec(41))
	in, err := f.a.svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Web sites on flexo unreachable", Body: "Looking into it.",
		StartedAt: sec(10), Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := f.st.Outages(ctx, store.OutageFilter{Open: true})
	if err != nil || len(outs) != 1 {
		t.Fatalf("open outages %v, %v; want one", outs, err)
	}
	o := outs[0]
	o.IncidentID, o.Decision = in.ID, "incident"
	if err := f.st.DecideOutage(ctx, &o, outs[0]); err != nil {
		t.Fatal(err)
	}
	f.report(sec(250), every(status.LevelUp))
	f.pass(sec(251))
	if _, err := f.a.svc.ResolveIncident(ctx, "test", in.ID, service.Resolution{Body: "Back since 9:52 AM.", ResolvedAt: sec(250)}); err != nil {
		t.Fatal(err)
	}
	f.report(sec(600), every(status.LevelUp))
	for _, s := range []int{610, 620} {
		f.report(sec(s), map[string]status.Level{"fra-1": status.LevelDown, "ams-1": status.LevelUp, "nyc-1": status.LevelUp})
	}
	f.pass(sec(640))
	return in.ID
}

// TestBrowserLocated checks with axe-core, in both colour schemes, the
// component page with a note of path trouble and an outage's spans per
// location, and the incident page listing them; it saves both at 1280 and
// 390 pixels (to docs/screenshots with HERALD_SAVE_SCREENSHOTS=1).
func TestBrowserLocated(t *testing.T) {
	execPath := browsertest.Chromium(t)
	axe := browsertest.AxeSource(t)
	f := newLocatedFixture(t, storetest.SQLite(t))
	incident := locatedStory(t, f)
	mux := http.NewServeMux()
	f.a.site.Register(mux)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: f.a.site.Handler(mux)}}
	srv.Start()
	defer srv.Close()

	bctx := browsertest.Start(t, execPath, browserStep)
	for _, p := range []struct{ name, path, want string }{
		{"component-located", "/components/flexo/web", "Unreachable from fra-1 since 9:58 AM Pacific time; 2 of 3 locations fine."},
		{"incident-located", fmt.Sprintf("/incidents/%d", incident), "flexo · Web sites: unreachable from ams-1 from 9:48:10 AM to 9:52:10 AM, from fra-1 from 9:48:10 AM to 9:52:10 AM (Pacific time)."},
	} {
		ctx, cancel := context.WithTimeout(bctx, browserStep)
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+p.path)); err != nil {
			cancel()
			t.Fatalf("%s: %v", p.name, err)
		}
		text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		if !strings.Contains(strings.Join(strings.Fields(text), " "), p.want) {
			t.Errorf("%s does not read %q", p.name, p.want)
		}
		found, err := browsertest.Axe(ctx, axe)
		if err != nil {
			cancel()
			t.Fatalf("%s: %v", p.name, err)
		}
		for _, v := range found {
			t.Errorf("%s: %s", p.name, v)
		}
		for _, width := range []int64{1280, 390} {
			var opts []chromedp.EmulateViewportOption
			if width < 600 {
				opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
			}
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 800, opts...), chromedp.Navigate(srv.URL+p.path)); err != nil {
				cancel()
				t.Fatalf("%s at %d: %v", p.name, width, err)
			}
			if err := browsertest.Screenshot(ctx, fmt.Sprintf("browser-%s-%d.png", p.name, width)); err != nil {
				cancel()
				t.Fatalf("%s at %d: %v", p.name, width, err)
			}
			over, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("document.documentElement.scrollWidth > window.innerWidth + 1"))
			if err != nil || over {
				t.Errorf("%s at %d px scrolls sideways (%v)", p.name, width, err)
			}
		}
		cancel()
	}
}

package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/agent"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/monitor"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
	"github.com/heraldhq/herald/internal/web"
)

// locatedConfig checks flexo/web from three places by majority (two
// failures make a location down) and flexo/email from the server.
func locatedConfig() config.Config {
	web := config.Monitor{Type: "http", URL: "http://127.0.0.1:9/", Interval: config.Duration(10 * time.Second),
		Timeout: config.Duration(5 * time.Second), DownAfter: 2, UpAfter: 1, Locations: []string{"fra-1", "ams-1", "nyc-1"}}
	mail := config.Monitor{Type: "tcp", Address: "127.0.0.1:9", Interval: config.Duration(10 * time.Second),
		Timeout: config.Duration(5 * time.Second), DownAfter: 2, UpAfter: 1}
	return config.Config{
		Page: config.Page{Title: "Example hosting", Zone: "America/Los_Angeles"},
		Groups: []config.Group{{ID: "flexo", Name: "flexo", Components: []config.Component{
			{ID: "web", Name: "Web sites", Monitors: []config.Monitor{web}},
			{ID: "email", Name: "E-mail", Monitors: []config.Monitor{mail}},
		}}},
	}
}

// locatedInstance is one Herald instance's pages over a shared store: a
// service, its site rebuilding in the background, and (on the deciding
// one) the agents' decider.
type locatedInstance struct {
	svc     *service.Service
	site    *web.Site
	decider *agent.Decider
	changes int // OnChange calls
}

type locatedFixture struct {
	t     *testing.T
	st    *store.Store
	clock *fixedClock
	cfg   config.Config
	a     *locatedInstance
}

// t0 is 9:48:00 AM Pacific time on Wednesday, August 12, 2026.
var locT0 = time.Date(2026, 8, 12, 16, 48, 0, 0, time.UTC)

func newLocatedFixture(t *testing.T, b storetest.Backend) *locatedFixture {
	t.Helper()
	return newLocatedFixtureIn(t, b, "")
}

// newLocatedFixtureIn is the fixture with its page in a language (page.language).
func newLocatedFixtureIn(t *testing.T, b storetest.Backend, language string) *locatedFixture {
	t.Helper()
	ctx := context.Background()
	f := &locatedFixture{t: t, st: b.Store, clock: &fixedClock{t: locT0.Add(-time.Hour)}, cfg: locatedConfig()}
	f.cfg.Page.Language = language
	svc := service.New(b.Store, f.clock, nil)
	if err := svc.SyncCatalog(ctx, []store.Group{{ID: "flexo", Name: "flexo"}}, []store.Component{
		{ID: "flexo/web", GroupID: "flexo", Name: "Web sites"},
		{ID: "flexo/email", GroupID: "flexo", Name: "E-mail", Position: 1},
	}); err != nil {
		t.Fatal(err)
	}
	var defs []store.MonitorDef
	for _, sp := range monitor.Specs(f.cfg) {
		defs = append(defs, store.MonitorDef{ID: sp.ID, ComponentID: sp.ComponentID, Kind: sp.Monitor.Type, Target: sp.Target()})
	}
	if err := b.Store.SyncMonitors(ctx, defs, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	f.a = f.instance(svc, true)
	return f
}

// instance starts an instance's site (and decider, when deciding) until the test ends.
func (f *locatedFixture) instance(svc *service.Service, deciding bool) *locatedInstance {
	t := f.t
	in := &locatedInstance{svc: svc}
	in.site = web.NewSite(svc, func() config.Config { return f.cfg }, nil)
	if err := in.site.Rebuild(t.Context()); err != nil {
		t.Fatal(err)
	}
	if deciding {
		in.decider = agent.NewDecider(agent.DeciderOptions{Store: f.st, Config: func() config.Config { return f.cfg },
			Now: f.clock.Now, OnChange: func() {
				in.changes++
				svc.MeasurementsMoved() // as serve wires it (internal/cli/agent.go)
			}})
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); in.site.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return in
}

// report stores one check per location at at, as the agents push them.
func (f *locatedFixture) report(at time.Time, levels map[string]status.Level) {
	f.t.Helper()
	ctx := context.Background()
	for loc, lv := range levels {
		msg := "200 OK"
		if lv != status.LevelUp {
			msg = `connection refused <b>from</b> "` + loc + `"`
		}
		r := store.AgentResult{RID: fmt.Sprintf("%s-%d", loc, at.UnixMilli()), MonitorID: "flexo/web/http", At: at, Level: lv,
			Latency: 80 * time.Millisecond, Message: msg}
		if _, err := f.st.InsertAgentResults(ctx, loc, []store.AgentResult{r}, at); err != nil {
			f.t.Fatal(err)
		}
		if err := f.st.TouchAgent(ctx, loc, "1.4.0", 0, at); err != nil {
			f.t.Fatal(err)
		}
	}
}

// pass runs one decider pass at now and waits (only) until the deciding
// instance's pages show every change it told of.
func (f *locatedFixture) pass(now time.Time) {
	f.t.Helper()
	f.clock.mu.Lock()
	f.clock.t = now
	f.clock.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := f.a.decider.Pass(ctx); err != nil {
		f.t.Fatal(err)
	}
	if !f.a.site.WaitShown(ctx, f.a.svc.Generation()) {
		f.t.Fatal("the pages never showed the pass's changes")
	}
}

func (in *locatedInstance) page(t *testing.T, path string) string {
	t.Helper()
	body, ok := in.site.Documents()[path]
	if !ok {
		t.Fatalf("no document at %s", path)
	}
	return string(body)
}

func every(lv status.Level) map[string]status.Level {
	return map[string]status.Level{"fra-1": lv, "ams-1": lv, "nyc-1": lv}
}

func mustContain(t *testing.T, what, page string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(page, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

func mustLack(t *testing.T, what, page string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(page, w) {
			t.Errorf("%s has %q", what, w)
		}
	}
}

// TestLocatedPages follows one located monitor from path trouble (one
// place of three failing: a note, no outage) to an outage (two of three:
// spans per location on the component page and the incident's) to silence
// (no place reporting: unknown). Each step is one decider pass, after which
// the pages, rendered ahead by the running site, show it: path trouble
// moves no status, so the pass itself must tell the pages.
func TestLocatedPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newLocatedFixture(t, b)
		ctx := context.Background()
		const comp = "/components/flexo/web"
		sec := func(s int) time.Time { return locT0.Add(time.Duration(s) * time.Second) }

		f.report(sec(0), every(status.LevelUp))
		f.pass(sec(1))
		mustContain(t, "the page, all fine", f.a.page(t, comp), "HTTP check from fra-1, ams-1 and nyc-1", ">Up<")
		mustLack(t, "the page, all fine", f.a.page(t, comp), `class="note path"`)

		// fra-1 fails twice: down from there since 9:48:10; the others see it up.
		for _, s := range []int{10, 20} {
			f.report(sec(s), map[string]status.Level{"fra-1": status.LevelDown, "ams-1": status.LevelUp, "nyc-1": status.LevelUp})
		}
		before := f.a.changes
		f.pass(sec(21))
		if f.a.changes == before {
			t.Fatal("a location's interval opened, yet the decider told no one")
		}
		page := f.a.page(t, comp)
		mustContain(t, "the page with path trouble", page,
			`<p class="note path">Unreachable from fra-1 since 9:48 AM Pacific time; 2 of 3 locations fine.</p>`)
		mustLack(t, "the page with path trouble", page, "<b>from</b>", "Down</span>", "Since 9:48")
		if !strings.Contains(page, "No outages measured") {
			t.Error("path trouble is listed as an outage")
		}
		if !strings.Contains(page, "100% uptime") && !strings.Contains(page, "<strong>100%</strong>") {
			t.Error("path trouble costs uptime")
		}

		// Had fra-1's agent lost its own network, its failures would be no note.
		if err := f.st.SetAgentNetwork(ctx, "fra-1", sec(10), time.Time{}); err != nil {
			t.Fatal(err)
		}
		if err := f.a.site.Rebuild(ctx); err != nil {
			t.Fatal(err)
		}
		mustLack(t, "the page with fra-1's own network lost", f.a.page(t, comp), `class="note path"`)
		if err := f.st.SetAgentNetwork(ctx, "fra-1", time.Time{}, time.Time{}); err != nil {
			t.Fatal(err)
		}

		// ams-1 fails too: two of three, an outage from 9:48:40 (ams-1's first failure).
		for _, s := range []int{30, 40, 50, 60, 70} { // past ams-1's settle time
			lv := map[string]status.Level{"fra-1": status.LevelDown, "ams-1": status.LevelDown, "nyc-1": status.LevelUp}
			if s == 30 {
				lv["ams-1"] = status.LevelUp
			}
			f.report(sec(s), lv)
		}
		f.pass(sec(71))
		page = f.a.page(t, comp)
		mustLack(t, "the page during the outage", page, `class="note path"`)
		mustContain(t, "the page during the outage", page, "Since 9:48 AM Pacific time",
			`<p class="meta locations">Unreachable from fra-1 from 9:48:10 AM, from ams-1 from 9:48:40 AM</p>`)

		// An incident joins the outage; both places recover at 9:52:10.
		in, err := f.a.svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Web sites on flexo interrupted", Body: "Looking.",
			StartedAt: sec(40), Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}})
		if err != nil {
			t.Fatal(err)
		}
		outs, err := f.st.Outages(ctx, store.OutageFilter{Open: true})
		if err != nil || len(outs) != 1 {
			t.Fatalf("open outages %v, %v; want one", outs, err)
		}
		if !outs[0].StartedAt.Equal(sec(40)) {
			t.Fatalf("the outage starts at %v, not at ams-1's first failure", outs[0].StartedAt)
		}
		o := outs[0]
		o.IncidentID, o.Decision = in.ID, "incident"
		if err := f.st.DecideOutage(ctx, &o, outs[0]); err != nil {
			t.Fatal(err)
		}
		f.report(sec(250), every(status.LevelUp))
		f.pass(sec(251))
		page = f.a.page(t, comp)
		mustContain(t, "the page after the outage", page,
			`Unreachable from fra-1 from 9:48:10 AM to 9:52:10 AM, from ams-1 from 9:48:40 AM to 9:52:10 AM`,
			`Incident: <a href="/incidents/`)
		incident := f.a.page(t, fmt.Sprintf("/incidents/%d", in.ID))
		mustContain(t, "the incident's page", incident, "Seen from our locations",
			`<span class="name">flexo · Web sites</span>: unreachable from fra-1 from 9:48:10 AM to 9:52:10 AM, from ams-1 from 9:48:40 AM to 9:52:10 AM (Pacific time).`)

		// Every agent falls silent: no place reports, the state is unknown.
		f.pass(sec(300))
		page = f.a.page(t, comp)
		mustContain(t, "the page with no place reporting", page, "HTTP check from fra-1, ams-1 and nyc-1: <span class=\"badge k-none\">",
			"<span>Unknown</span>",
			`<p class="note path">No location reports on this check right now, so its state is unknown: counted neither up nor down.</p>`)
		monitors := page[strings.Index(page, `<ul class="monitors">`):]
		monitors = monitors[:strings.Index(monitors, "</ul>")]
		mustLack(t, "the monitors with no place reporting", monitors, "<span>Up</span>", "<span>Down</span>", "Not decided yet")
	})
}

// TestLocatedPagesOnAnotherInstance: an instance that does not decide (on
// the same PostgreSQL database) shows path trouble too, though no monitor's
// state moved: the deciding pass signals herald_measured and the other
// instance's follower rebuilds its pages.
func TestLocatedPagesOnAnotherInstance(t *testing.T) {
	b := storetest.Postgres(t)
	f := newLocatedFixture(t, b)
	st2, err := store.Open(context.Background(), store.DSN{URL: b.URL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st2.Close() })
	svc2 := service.New(st2, f.clock, nil)
	if err := svc2.ReloadCatalog(context.Background()); err != nil {
		t.Fatal(err)
	}
	moved := make(chan struct{}, 1)
	svc2.OnChange(func() {
		select {
		case moved <- struct{}{}:
		default:
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	follower, err := svc2.Follow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	running, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); follower.Run(running, time.Second) }()
	t.Cleanup(func() { stop(); <-done })
	other := f.instance(svc2, false)

	sec := func(s int) time.Time { return locT0.Add(time.Duration(s) * time.Second) }
	f.report(sec(0), every(status.LevelUp))
	f.pass(sec(1))
	for _, s := range []int{10, 20} {
		f.report(sec(s), map[string]status.Level{"fra-1": status.LevelDown, "ams-1": status.LevelUp, "nyc-1": status.LevelUp})
	}
	f.pass(sec(21))
	const note = `<p class="note path">Unreachable from fra-1 since 9:48 AM Pacific time; 2 of 3 locations fine.</p>`
	mustContain(t, "the deciding instance's page", f.a.page(t, "/components/flexo/web"), note)
	// The other instance rebuilds when its follower hears of it; each
	// rebuild is waited for, until the note shows or the test's time is up.
	for !strings.Contains(other.page(t, "/components/flexo/web"), note) {
		select {
		case <-ctx.Done():
			t.Fatalf("the other instance's page never showed the note:\n%s", other.page(t, "/components/flexo/web"))
		case <-moved:
			other.site.WaitShown(ctx, svc2.Generation())
		}
	}
}

// TestLocatedIncidentPageFollowsALateRecovery: an incident resolved while
// one place still fails keeps that place's span open on its page, and the
// page (resolved, named by no change) is rendered again when that place
// recovers.
func TestLocatedIncidentPageFollowsALateRecovery(t *testing.T) {
	f := newLocatedFixture(t, storetest.SQLite(t))
	ctx := context.Background()
	sec := func(s int) time.Time { return locT0.Add(time.Duration(s) * time.Second) }
	f.report(sec(0), every(status.LevelUp))
	// Past the locations' settle time (network.go), so their failures count.
	for _, s := range []int{10, 20, 30, 40} {
		f.report(sec(s), map[string]status.Level{"fra-1": status.LevelDown, "ams-1": status.LevelDown, "nyc-1": status.LevelUp})
	}
	f.pass(sec(41))
	in, err := f.a.svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Web sites on flexo unreachable", Body: "Looking.",
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
	// ams-1 recovers at 9:52:10 (the outage ends), fra-1 not yet.
	f.report(sec(250), map[string]status.Level{"fra-1": status.LevelDown, "ams-1": status.LevelUp, "nyc-1": status.LevelUp})
	f.pass(sec(251))
	if _, err := f.a.svc.ResolveIncident(ctx, "test", in.ID, service.Resolution{Body: "Back.", ResolvedAt: sec(250)}); err != nil {
		t.Fatal(err)
	}
	if !f.a.site.WaitShown(ctx, f.a.svc.Generation()) {
		t.Fatal("the resolution never showed")
	}
	path := fmt.Sprintf("/incidents/%d", in.ID)
	mustContain(t, "the incident's page while fra-1 fails", f.a.page(t, path),
		"unreachable from ams-1 from 9:48:10 AM to 9:52:10 AM, from fra-1 from 9:48:10 AM (Pacific time).")
	// fra-1 recovers at 9:55:10: its span ends on the resolved incident's page.
	f.report(sec(430), every(status.LevelUp))
	f.pass(sec(431))
	mustContain(t, "the incident's page after fra-1 recovered", f.a.page(t, path),
		"unreachable from ams-1 from 9:48:10 AM to 9:52:10 AM, from fra-1 from 9:48:10 AM to 9:55:10 AM (Pacific time).")
}

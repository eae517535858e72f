package web_test

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/auth"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
	"github.com/heraldhq/herald/internal/testrace"
	"github.com/heraldhq/herald/internal/web"
)

// monitoredFleet gives each of rwComps a monitor and an outage a week ago,
// so that their pages have bars, figures and outage lists to keep.
func monitoredFleet(t *testing.T, st *store.Store, now time.Time) {
	t.Helper()
	ctx := context.Background()
	var defs []store.MonitorDef
	for _, c := range rwComps {
		defs = append(defs, store.MonitorDef{ID: c.ID + "/http", ComponentID: c.ID, Kind: "http", Target: "http://127.0.0.1:1/"})
	}
	if err := st.SyncMonitors(ctx, defs, now.AddDate(0, 0, -30)); err != nil {
		t.Fatal(err)
	}
	for i, c := range rwComps {
		o := store.Outage{ComponentID: c.ID, MonitorID: c.ID + "/http", Severity: status.MonitorDown,
			StartedAt: now.AddDate(0, 0, -7-i), EndedAt: now.AddDate(0, 0, -7-i).Add(3 * time.Minute), Decision: "ignored",
			DetectedAt: now.AddDate(0, 0, -7-i)}
		if err := st.InsertOutage(ctx, &o); err != nil {
			t.Fatal(err)
		}
	}
}

// monitoredService is a service on rwComps (monitoredFleet), its clock at
// 18:30 UTC on 2026-11-25.
func monitoredService(t *testing.T) (*fixedClock, *store.Store, *service.Service) {
	t.Helper()
	clock := &fixedClock{t: time.Date(2026, 11, 25, 18, 30, 0, 0, time.UTC)}
	st := storetest.SQLite(t).Store
	svc := newService(t, st, clock)
	monitoredFleet(t, st, clock.Now())
	return clock, st, svc
}

// pagesUnder are the rendered paths that begin with prefix.
func pagesUnder(paths []string, prefix string) []string {
	var out []string
	for _, p := range paths {
		if strings.HasPrefix(p, prefix) {
			out = append(out, p)
		}
	}
	return out
}

// A write touching one component renders that component's page, and its
// server's other components' when the server's status moves (their badge
// snippets show it), and no other; the page of the incident it names and
// no other incident's; the front page's rows and the badges of the same
// components. So with the front page drawing its bars and without them
// (more components than page.front_bars).
func TestAWriteRendersOnlyThePagesItChanges(t *testing.T) {
	for _, limit := range []int{config.DefaultFrontBars, 1} {
		t.Run(fmt.Sprintf("front_bars=%d", limit), func(t *testing.T) { aWriteRendersOnlyItsPages(t, limit) })
	}
}

// componentBadges are the components whose badges are among paths.
func componentBadges(paths []string) []string {
	var ids []string
	for _, p := range pagesUnder(paths, "/badges/") {
		id, _, _ := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(p, "/badges/"), ".svg"), "/uptime-")
		if strings.Contains(id, "/") && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// renderedComponents checks that site's last rebuild rendered the front
// page, and of the components, the pages components names and no other,
// and their front page rows and badges (the others' kept as they were).
func renderedComponents(t *testing.T, site *web.Site, step string, components []string) {
	t.Helper()
	rendered := site.Rendered()
	if got := pagesUnder(rendered, "/components/"); !slices.Equal(got, components) {
		t.Errorf("%s rendered the component pages %v, want %v", step, got, components)
	}
	if !slices.Contains(rendered, "/") {
		t.Errorf("%s did not render the front page (rendered %v)", step, rendered)
	}
	var rows []string
	for _, c := range components {
		rows = append(rows, strings.TrimPrefix(c, "/components/"))
	}
	if got := site.RenderedRows(); !slices.Equal(got, rows) {
		t.Errorf("%s rendered the front page's rows of %v, want %v", step, got, rows)
	}
	if got := componentBadges(rendered); !slices.Equal(got, rows) {
		t.Errorf("%s rendered the badges of %v, want %v", step, got, rows)
	}
}

// frontBarsConfig is rwConfig with page.front_bars set to limit.
func frontBarsConfig(limit int) config.Config { return withFrontBars(rwConfig, limit) }

// withFrontBars is cfg with page.front_bars set to limit.
func withFrontBars(cfg config.Config, limit int) config.Config {
	cfg.Page.FrontBars = &limit
	return cfg
}

// rwPagesConfig is rwConfig's fleet with pages: a host page in German on
// mom, and either a path page in Spanish on every server (scope gives it
// page:'s own records) or, with private, a private page on flexo (and its
// view of flexo alone), which page: then no longer shows.
func rwPagesConfig(t *testing.T, private bool) config.Config {
	t.Helper()
	third := `
  - id: everything
    title: Estado general
    path: /everything
    language: es
    groups: [flexo, mom]`
	if private {
		t.Setenv(pageKeyEnv, strings.Repeat("k", 40))
		hash, err := auth.HashPassword("correct horse", auth.Params{Memory: 1024, Time: 1, Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		third = fmt.Sprintf(`
  - id: secret
    title: Secret Status
    path: /secret
    groups: [flexo]
    private: {password_hash: %q, key_env: %s}`, hash, pageKeyEnv)
	}
	cfg, err := config.Parse("test.yaml", []byte(`
page: {title: Example Hosting Status, url: "https://status.example.net", zone: America/Los_Angeles}
pages:
  - id: reseller
    title: Reseller Status
    host: status.reseller.example
    language: de
    zone: Europe/Berlin
    groups: [mom]`+third+`
groups:
  - id: flexo
    components: [{id: web, name: Web sites}, {id: email, name: E-mail}]
  - id: mom
    components: [{id: web, name: Web sites}]
`))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// served is what a site serves: page:'s documents under "", and each entry
// of pages:'s (and each private entry's view of one server) under its name.
func served(site *web.Site) map[string]map[string][]byte {
	all, _ := site.PageSets()
	all[""] = site.Documents()
	return all
}

// sameServed is sameDocuments for every page a site serves.
func sameServed(t *testing.T, step string, got, want map[string]map[string][]byte) {
	t.Helper()
	for name, docs := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("after %s, page %q is not served", step, name)
			continue
		}
		sameDocuments(t, fmt.Sprintf("%s (page %q)", step, name), g, docs)
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("after %s, page %q is served and should not be", step, name)
		}
	}
}

func aWriteRendersOnlyItsPages(t *testing.T, limit int) {
	ctx := context.Background()
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	clock := &fixedClock{t: time.Date(2026, 11, 25, 10, 30, 0, 0, la).UTC()}
	b := storetest.SQLite(t)
	svc := newService(t, b.Store, clock)
	monitoredFleet(t, b.Store, clock.Now())
	old, err := svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Old trouble", Body: "Looking.",
		StartedAt: clock.Now().AddDate(0, -1, 0), Components: map[string]status.ComponentStatus{"mom/web": status.PartialOutage}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ResolveIncident(ctx, "test", old.ID, service.Resolution{Body: "Fixed.", ResolvedAt: old.StartedAt.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	site := web.NewSite(svc, func() config.Config { return frontBarsConfig(limit) }, nil)
	if err := site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	front := string(site.Documents()["/"])
	if bars := strings.Contains(front, `class="bars"`); bars != (limit >= len(rwComps)) {
		t.Fatalf("front_bars %d with %d components: the front page draws bars: %v", limit, len(rwComps), bars)
	}
	if got := pagesUnder(site.Rendered(), "/components/"); len(got) != len(rwComps) {
		t.Fatalf("a full rebuild rendered component pages %v, want all %d", got, len(rwComps))
	}
	var in *status.Incident
	steps := []struct {
		name       string
		do         func() error
		components []string // the component pages it must render, exactly
		incidents  bool     // renders the incident's page, and no other incident's
	}{
		{"opening an incident on flexo/web", func() (err error) {
			in, err = svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Web sites on flexo unreachable", Body: "Looking.",
				Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}})
			return err
		}, []string{"/components/flexo/email", "/components/flexo/web"}, true},
		{"an update", func() error {
			_, err := svc.PostIncidentUpdate(ctx, "test", in.ID, service.IncidentUpdate{Status: status.Identified, Body: "Apache hangs."})
			return err
		}, nil, true},
		{"resolving it", func() error {
			_, err := svc.ResolveIncident(ctx, "test", in.ID, service.Resolution{Body: "Restarted."})
			return err
		}, []string{"/components/flexo/email", "/components/flexo/web"}, true},
		{"scheduling a window on mom/web", func() error {
			start := clock.Now().Add(48 * time.Hour).Truncate(time.Minute)
			_, err := svc.ScheduleMaintenance(ctx, "test", service.NewMaintenance{Title: "Kernel update", Body: "Restarting.",
				Components: []string{"mom/web"}, Start: start, End: start.Add(time.Hour)})
			return err
		}, nil, false},
	}
	for _, step := range steps {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if err := site.RebuildChanged(ctx); err != nil {
			t.Fatal(err)
		}
		renderedComponents(t, site, step.name, step.components)
		var want []string
		if step.incidents {
			want = []string{fmt.Sprintf("/incidents/%d", in.ID)}
		}
		if got := pagesUnder(site.Rendered(), "/incidents/"); !slices.Equal(got, want) {
			t.Errorf("%s rendered the incident pages %v, want %v", step.name, got, want)
		}
		for _, c := range rwComps {
			if _, ok := site.Documents()["/badges/"+c.ID+"/uptime-90d.svg"]; !ok {
				t.Errorf("%s: the badge /badges/%s/uptime-90d.svg is gone", step.name, c.ID)
			}
		}
	}
	// The clock alone renders every component page again.
	clock.add(time.Minute)
	if err := site.RebuildChanged(ctx); err != nil {
		t.Fatal(err)
	}
	if got := pagesUnder(site.Rendered(), "/components/"); len(got) != len(rwComps) {
		t.Errorf("a rebuild after a minute with no change rendered component pages %v, want all %d", got, len(rwComps))
	}
	if got := site.RenderedRows(); len(got) != len(rwComps) {
		t.Errorf("a rebuild after a minute with no change rendered the front page's rows of %v, want all %d", got, len(rwComps))
	}
	if got := componentBadges(site.Rendered()); len(got) != len(rwComps) {
		t.Errorf("a rebuild after a minute with no change rendered the badges of %v, want all %d", got, len(rwComps))
	}
}

// After each of a seeded, replayable sequence of random writes (and
// moments passing, and page.front_bars moving below and above the fleet's
// size and back), what the site serves is what rendering everything from
// scratch serves. HERALD_REPLAY_SEED=N replays one sequence.
//
// Invariant: after every step, the incremental site's documents equal a
// fresh full rebuild's, byte for byte, whichever side of the limit the
// front page is on and whichever it was on before.
func TestRandomWritesServeWhatAFullRebuildServes(t *testing.T) {
	// Each step renders everything from scratch to compare: two sequences
	// of 25, one under the race detector (internal/testrace says why;
	// .ci/run runs both without it).
	seeds := []uint64{1, 2}
	if testrace.Enabled {
		seeds = seeds[:1]
	}
	if s := replaySeed(t); s != 0 {
		seeds = []uint64{s}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { randomWrites(t, seed, 25, rwConfig) })
		// And on each of several pages: a path page, a host page and a
		// private page (and its server's view), in other languages and
		// zones.
		t.Run(fmt.Sprintf("%d/pages", seed), func(t *testing.T) { randomWrites(t, seed, 25, rwPagesConfig(t, false)) })
		t.Run(fmt.Sprintf("%d/private", seed), func(t *testing.T) { randomWrites(t, seed, 25, rwPagesConfig(t, true)) })
	}
}

func randomWrites(t *testing.T, seed uint64, n int, base config.Config) {
	ctx := context.Background()
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 99))
	clock := &fixedClock{t: time.Date(2026, 11, 25, 10, 30, 0, 0, la).UTC()}
	b := storetest.SQLite(t)
	svc := newService(t, b.Store, clock)
	monitoredFleet(t, b.Store, clock.Now())
	// The limit moves without a reload's InvalidateAll, so that rows
	// rendered in one mode must not be kept in the other.
	var limit atomic.Int64
	limit.Store(int64(len(rwComps)))
	cfg := func() config.Config { return withFrontBars(base, int(limit.Load())) }
	site := web.NewSite(svc, cfg, nil)
	if err := site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	crossed := map[bool]int{} // times the limit moved to bars (true) and from them
	full := func() map[string]map[string][]byte {
		fresh := web.NewSite(svc, cfg, nil)
		if err := fresh.Rebuild(ctx); err != nil {
			t.Fatal(err)
		}
		return served(fresh)
	}
	var open []int64
	var windows []int64
	comp := func() string { return rwComps[rng.IntN(len(rwComps))].ID }
	sev := []status.ComponentStatus{status.DegradedPerformance, status.PartialOutage, status.MajorOutage}
	for i := range n {
		var what string
		var err error
		var moved string
		if i%6 == 5 {
			// Across the fleet's size, one way then the other (bars drawn
			// at len(rwComps), none below), with a write in the same step:
			// a rebuild of the clock alone renders every row anyway.
			bars := limit.Load() >= int64(len(rwComps))
			limit.Store(int64(len(rwComps)) - map[bool]int64{true: 1, false: 0}[bars])
			moved = fmt.Sprintf("front_bars %d, ", limit.Load())
			crossed[!bars]++
		}
		switch x := rng.IntN(10); {
		case x < 2 || len(open) == 0:
			c := comp()
			what = "open on " + c
			var in *status.Incident
			started := clock.Now().Add(-time.Duration(rng.IntN(90*24)) * time.Hour)
			in, err = svc.OpenIncident(ctx, "test", service.NewIncident{Title: fmt.Sprintf("Trouble %d", i), Body: "Looking.",
				StartedAt: started, Components: map[string]status.ComponentStatus{c: sev[rng.IntN(len(sev))]}})
			if err == nil {
				open = append(open, in.ID)
				// Its monitor saw it: an outage linked to it.
				o := store.Outage{ComponentID: c, MonitorID: c + "/http", Severity: status.MonitorDown, StartedAt: started,
					EndedAt: started.Add(5 * time.Minute), IncidentID: in.ID, Decision: "incident", DetectedAt: started}
				err = b.Store.InsertOutage(ctx, &o)
			}
		case x < 4:
			id := open[rng.IntN(len(open))]
			what = fmt.Sprintf("update %d", id)
			_, err = svc.PostIncidentUpdate(ctx, "test", id, service.IncidentUpdate{Status: status.Identified, Body: fmt.Sprintf("Step %d.", i)})
		case x < 5:
			id := open[rng.IntN(len(open))]
			what = fmt.Sprintf("rename %d", id)
			title := fmt.Sprintf("Trouble renamed at %d", i)
			_, err = svc.EditIncident(ctx, "test", id, service.IncidentEdit{Title: &title})
		case x < 6:
			k := rng.IntN(len(open))
			what = fmt.Sprintf("resolve %d", open[k])
			_, err = svc.ResolveIncident(ctx, "test", open[k], service.Resolution{Body: "Fixed."})
			open = slices.Delete(open, k, k+1)
		case x < 7:
			c := comp()
			what = "window on " + c
			start := clock.Now().Add(time.Duration(1+rng.IntN(72)) * time.Hour).Truncate(time.Minute)
			var m *status.Maintenance
			m, err = svc.ScheduleMaintenance(ctx, "test", service.NewMaintenance{Title: fmt.Sprintf("Window %d", i), Body: "Work.",
				Components: []string{c}, Start: start, End: start.Add(30 * time.Minute)})
			if err == nil {
				windows = append(windows, m.ID)
			}
		case x < 8 && len(windows) > 0:
			k := rng.IntN(len(windows))
			what = fmt.Sprintf("cancel window %d", windows[k])
			_, err = svc.CancelMaintenance(ctx, "test", windows[k], "Not needed.")
			windows = slices.Delete(windows, k, k+1)
		case x < 9:
			c := comp()
			what = "manual status on " + c
			_, err = svc.SetOverride(ctx, "test", c, sev[rng.IntN(len(sev))], "")
		default:
			what = "a minute passing"
			clock.add(time.Minute)
		}
		what = moved + what
		if err != nil {
			t.Fatalf("seed %d step %d (%s): %v", seed, i, what, err)
		}
		if err := site.RebuildChanged(ctx); err != nil {
			t.Fatal(err)
		}
		sameServed(t, fmt.Sprintf("seed %d step %d (%s)", seed, i, what), served(site), full())
		if t.Failed() {
			t.Fatalf("replay: HERALD_REPLAY_SEED=%d go test ./internal/web -run TestRandomWritesServeWhatAFullRebuildServes", seed)
		}
	}
	if crossed[true] == 0 || crossed[false] == 0 {
		t.Errorf("seed %d: the limit was crossed %d times to bars and %d times from them; want both (a longer sequence, or another seed)", seed, crossed[true], crossed[false])
	}
}

// replaySeed is HERALD_REPLAY_SEED, or 0 when unset.
func replaySeed(t *testing.T) uint64 {
	t.Helper()
	s := os.Getenv("HERALD_REPLAY_SEED")
	if s == "" {
		return 0
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 {
		t.Fatalf("HERALD_REPLAY_SEED=%q: want a positive integer", s)
	}
	return n
}

// What monitors measure moves without the change log naming anything: a
// check that changes no state, and a state that moves one component's
// status. The first renders no component page, the second that
// component's and its server's other components' (their badge snippets
// show the server's status) and no other; a minute later the clock's
// rebuild renders every one, with the last check each page shows. So a
// fleet's first states, or a mass outage, do not render every component
// page once per batch of results written.
func TestAMeasurementRendersOnlyTheComponentsItMoves(t *testing.T) {
	ctx := context.Background()
	clock, st, svc := monitoredService(t)
	site := web.NewSite(svc, func() config.Config { return rwConfig }, nil)
	if err := site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	// check writes one check of each monitor, with the states given (up
	// where none is), as the monitors' writer does, and hands the service
	// the components' measured statuses.
	check := func(down map[string]bool) {
		t.Helper()
		now := clock.Now()
		var results []store.CheckResult
		var states []store.Monitor
		measured := map[string]status.ComponentStatus{}
		for _, c := range rwComps {
			m := store.Monitor{ID: c.ID + "/http", ComponentID: c.ID, LastCheckAt: now, LastLevel: status.LevelUp,
				LastLatency: 3 * time.Millisecond, Detector: status.Detector{State: status.MonitorUp, Since: now.Add(-time.Hour)}}
			measured[c.ID] = status.Operational
			if down[c.ID] {
				m.LastLevel, m.Detector = status.LevelDown, status.Detector{State: status.MonitorDown, Since: now}
				measured[c.ID] = status.MajorOutage
			}
			results = append(results, store.CheckResult{MonitorID: m.ID, At: now, Latency: m.LastLatency, Level: m.LastLevel})
			states = append(states, m)
		}
		if err := st.SaveChecks(ctx, results, states, now); err != nil {
			t.Fatal(err)
		}
		svc.SetMeasured(measured)
	}
	check(nil)
	if err := site.RebuildChanged(ctx); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name       string
		down       map[string]bool
		components []string // the component pages it must render, exactly
	}{
		{"a check of every monitor that moves no state", nil, nil},
		{"flexo/web going down", map[string]bool{"flexo/web": true}, []string{"/components/flexo/email", "/components/flexo/web"}},
		{"another check of every monitor, flexo/web still down", map[string]bool{"flexo/web": true}, nil},
		{"mom/web going down too", map[string]bool{"flexo/web": true, "mom/web": true}, []string{"/components/mom/web"}},
	}
	for _, step := range steps {
		clock.add(10 * time.Second)
		check(step.down)
		if err := site.RebuildChanged(ctx); err != nil {
			t.Fatal(err)
		}
		renderedComponents(t, site, step.name, step.components)
	}
	// A minute after every page was last rendered, the next rebuild renders
	// them all, each with its monitor's last check.
	clock.add(time.Minute)
	check(map[string]bool{"flexo/web": true, "mom/web": true})
	if err := site.RebuildChanged(ctx); err != nil {
		t.Fatal(err)
	}
	if got := pagesUnder(site.Rendered(), "/components/"); len(got) != len(rwComps) {
		t.Errorf("a rebuild a minute later rendered component pages %v, want all %d", got, len(rwComps))
	}
	last := `datetime="` + clock.Now().Format(time.RFC3339) + `"`
	for _, c := range rwComps {
		if page := string(site.Documents()["/components/"+c.ID]); !strings.Contains(page, last) {
			t.Errorf("a minute later, /components/%s does not show the last check (%s)", c.ID, last)
		}
	}
	// Once the response times are read again (every ten minutes), what
	// is served is what rendering everything from scratch serves.
	clock.add(10 * time.Minute)
	check(map[string]bool{"flexo/web": true, "mom/web": true})
	if err := site.RebuildChanged(ctx); err != nil {
		t.Fatal(err)
	}
	fresh := web.NewSite(svc, func() config.Config { return rwConfig }, nil)
	if err := fresh.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	sameDocuments(t, "ten minutes later", site.Documents(), fresh.Documents())
}

// A page of pages: showing every server, in another language, lists
// resolved incidents in its own words: page:'s cards, kept between
// rebuilds in page:'s language, are not its.
func TestAPageShowingEveryServerWordsItsOwnCards(t *testing.T) {
	ctx := context.Background()
	clock := &fixedClock{t: time.Date(2026, 11, 25, 18, 30, 0, 0, time.UTC)}
	b := storetest.SQLite(t)
	svc := newService(t, b.Store, clock)
	in, err := svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Old trouble", Body: "Looking.",
		StartedAt: clock.Now().Add(-2 * time.Hour), Components: map[string]status.ComponentStatus{"mom/web": status.PartialOutage}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ResolveIncident(ctx, "test", in.ID, service.Resolution{Body: "Fixed.", ResolvedAt: clock.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	cfg := rwPagesConfig(t, false)
	site := web.NewSite(svc, func() config.Config { return cfg }, nil)
	for _, rebuild := range []func(context.Context) error{site.Rebuild, site.RebuildChanged} {
		if err := rebuild(ctx); err != nil {
			t.Fatal(err)
		}
		docs, _ := site.PageSets()
		es := string(docs["everything"]["/everything/history"])
		if !strings.Contains(es, "Old trouble") || !strings.Contains(es, "Resuelta") || strings.Contains(es, "Resolved") {
			t.Errorf("the Spanish page's history does not list the incident as Resuelta, and only so:\n%s", es)
		}
		en := string(site.Documents()["/history"])
		if !strings.Contains(en, "Resolved") || strings.Contains(en, "Resuelta") {
			t.Errorf("page:'s history does not list the incident as Resolved, and only so:\n%s", en)
		}
	}
}

// On each entry of pages: too, a write renders the component and incident
// pages it changes there and no other, and the clock's rebuild a minute
// later every component page.
func TestAWriteRendersOnlyThePagesItChangesOnEveryPage(t *testing.T) {
	ctx := context.Background()
	clock, _, svc := monitoredService(t)
	cfg := rwPagesConfig(t, true)
	site := web.NewSite(svc, func() config.Config { return cfg }, nil)
	if err := site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	every := map[string][]string{
		"reseller":     {"/components/mom/web"},
		"secret":       {"/components/flexo/email", "/components/flexo/web"},
		"secret/flexo": {"/components/flexo/email", "/components/flexo/web"},
	}
	// check says which component and incident pages each page rendered
	// (open incidents' pages are rendered every time: their durations move).
	check := func(step string, components map[string][]string, incidents map[string][]int64) {
		t.Helper()
		_, rendered := site.PageSets()
		if len(rendered) != len(every) {
			t.Fatalf("%s: pages %v rendered, want %d", step, slices.Sorted(maps.Keys(rendered)), len(every))
		}
		for name, paths := range rendered {
			if got := pagesUnder(paths, "/components/"); !slices.Equal(got, components[name]) {
				t.Errorf("%s rendered on page %q the component pages %v, want %v", step, name, got, components[name])
			}
			var want []string
			for _, id := range incidents[name] {
				want = append(want, fmt.Sprintf("/incidents/%d", id))
			}
			if got := pagesUnder(paths, "/incidents/"); !slices.Equal(got, want) {
				t.Errorf("%s rendered on page %q the incident pages %v, want %v", step, name, got, want)
			}
		}
	}
	check("the first rebuild", every, nil)
	open := func(comp string) int64 {
		t.Helper()
		in, err := svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Trouble on " + comp, Body: "Looking.",
			Components: map[string]status.ComponentStatus{comp: status.MajorOutage}})
		if err != nil {
			t.Fatal(err)
		}
		if err := site.RebuildChanged(ctx); err != nil {
			t.Fatal(err)
		}
		return in.ID
	}
	mom := open("mom/web")
	check("opening an incident on mom/web", map[string][]string{"reseller": {"/components/mom/web"}},
		map[string][]int64{"reseller": {mom}})
	flexo := open("flexo/web")
	check("opening an incident on flexo/web", map[string][]string{"secret": every["secret"], "secret/flexo": every["secret"]},
		map[string][]int64{"reseller": {mom}, "secret": {flexo}, "secret/flexo": {flexo}})
	clock.add(time.Minute)
	if err := site.RebuildChanged(ctx); err != nil {
		t.Fatal(err)
	}
	_, rendered := site.PageSets()
	for name, want := range every {
		if got := pagesUnder(rendered[name], "/components/"); !slices.Equal(got, want) {
			t.Errorf("a minute later, page %q rendered the component pages %v, want %v", name, got, want)
		}
	}
}

// A server's framed widget changes when what it says does, or its minute:
// a write on another server seconds later neither renders it nor changes
// it (the same ETag for a reader's conditional request, and nothing to
// render or compress again: a fleet has a frame per server).
func TestAFrameChangesWithWhatItSaysNotTheSecond(t *testing.T) {
	ctx := context.Background()
	clock := &fixedClock{t: time.Date(2026, 11, 25, 18, 30, 5, 0, time.UTC)}
	b := storetest.SQLite(t)
	svc := newService(t, b.Store, clock)
	site := web.NewSite(svc, func() config.Config { return rwConfig }, nil)
	if err := site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	before := site.Documents()
	clock.add(20 * time.Second)
	if _, err := svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Web sites on flexo unreachable", Body: "Looking.",
		Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}}); err != nil {
		t.Fatal(err)
	}
	if err := site.RebuildChanged(ctx); err != nil {
		t.Fatal(err)
	}
	after := site.Documents()
	rendered := site.Rendered()
	if slices.Contains(rendered, "/widget/mom") || !slices.Contains(rendered, "/widget/flexo") {
		t.Errorf("a write on flexo rendered the frames %v, want flexo's and not mom's", pagesUnder(rendered, "/widget"))
	}
	if !bytes.Equal(before["/widget/mom"], after["/widget/mom"]) {
		t.Errorf("a write on flexo 20 s later changed mom's frame:\n%s\nto\n%s", before["/widget/mom"], after["/widget/mom"])
	}
	if bytes.Equal(before["/widget/flexo"], after["/widget/flexo"]) || !strings.Contains(string(after["/widget/flexo"]), "Web sites on flexo unreachable") {
		t.Errorf("flexo's frame does not show the incident:\n%s", after["/widget/flexo"])
	}
	// A minute on, every frame says so.
	clock.add(time.Minute)
	if err := site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(after["/widget/mom"], site.Documents()["/widget/mom"]) {
		t.Error("mom's frame did not move a minute later")
	}
	// Each server's frame lists what touches it, and only that.
	if _, err := svc.ScheduleMaintenance(ctx, "test", service.NewMaintenance{Title: "Kernel update on mom", Body: "Restarting.",
		Components: []string{"mom/web"}, Start: clock.Now().Add(time.Hour).Truncate(time.Minute), End: clock.Now().Add(2 * time.Hour).Truncate(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := site.RebuildChanged(ctx); err != nil {
		t.Fatal(err)
	}
	docs := site.Documents()
	for frame, want := range map[string][]string{"/widget": {"Kernel update on mom", "Web sites on flexo unreachable"},
		"/widget/mom": {"Kernel update on mom"}, "/widget/flexo": {"Web sites on flexo unreachable"}} {
		for _, title := range []string{"Kernel update on mom", "Web sites on flexo unreachable"} {
			if got := strings.Contains(string(docs[frame]), title); got != slices.Contains(want, title) {
				t.Errorf("%s lists %q: %v, want %v", frame, title, got, !got)
			}
		}
	}
}

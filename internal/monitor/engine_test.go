package monitor

import (
	"container/heap"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/probe"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

func seedFleet(t *testing.T, s *store.Store) {
	t.Helper()
	groups := []store.Group{{ID: "flexo", Name: "flexo"}, {ID: "mom", Name: "mom", Position: 1}}
	comps := []store.Component{
		{ID: "flexo/web", GroupID: "flexo", Name: "Web sites"},
		{ID: "flexo/email", GroupID: "flexo", Name: "E-mail", Position: 1},
		{ID: "mom/web", GroupID: "mom", Name: "Web sites"},
	}
	if err := s.Tx(t.Context(), func(q *store.Queries) error {
		return q.SyncCatalog(t.Context(), groups, comps, time.Unix(0, 0))
	}); err != nil {
		t.Fatal(err)
	}
}

func httpSpec(id, comp, url string, every time.Duration) Spec {
	return Spec{ID: id, ComponentID: comp, GroupID: comp[:len(comp)-len("/web")], Monitor: &config.Monitor{
		Type: "http", URL: url, Interval: config.Duration(every), Timeout: config.Duration(every / 2),
		DownAfter: 2, UpAfter: 1, ExpectStatus: []int{200}}}
}

// The writer, fed results by hand at chosen times (no loops, no sleeping):
// an outage starts at the first failed check of the run that crossed the
// threshold and ends at the first success of the recovering run, and both
// ends are in the store once the batch holding them is written.
func TestWriterMeasuresOutages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := t.Context()
		seedFleet(t, b.Store)
		t0 := time.Date(2026, 8, 12, 16, 47, 30, 0, time.UTC)
		now := t0
		e := New(Options{Store: b.Store, Now: func() time.Time { return now }})
		sp := httpSpec("flexo/web/http", "flexo/web", "http://127.0.0.1:1/", 30*time.Second)
		if err := b.Store.Tx(ctx, func(q *store.Queries) error {
			return q.SyncMonitors(ctx, []store.MonitorDef{{ID: sp.ID, ComponentID: sp.ComponentID, Kind: "http", Target: sp.Target()}}, t0)
		}); err != nil {
			t.Fatal(err)
		}
		e.adopt(ctx, []Spec{sp}, map[string]bool{sp.ID: true}, nil, nil, t0)
		feed := func(i int, o probe.Outcome, msg string) *store.Outage {
			at := t0.Add(time.Duration(i) * 30 * time.Second)
			now = at.Add(time.Second)
			r, changed, _ := e.observe(check{id: sp.ID, planned: at, at: at, res: probe.Result{Outcome: o, Latency: time.Millisecond, Message: msg}})
			if err := e.flush(ctx, []store.CheckResult{r}); err != nil {
				t.Fatal(err)
			}
			return changed
		}
		feed(0, probe.Up, "200 OK")
		if o := feed(1, probe.Down, "no HTTP response within 15s"); o != nil {
			t.Fatalf("one failure opened an outage: %+v", o)
		}
		opened := feed(2, probe.Down, "no HTTP response within 15s")
		if opened == nil || !opened.StartedAt.Equal(t0.Add(30*time.Second)) || opened.Cause != "no HTTP response within 15s" {
			t.Fatalf("second failure: outage %+v, want one starting at the first failure", opened)
		}
		open, err := b.Store.Outages(ctx, store.OutageFilter{Open: true})
		if err != nil || len(open) != 1 || open[0].ID != opened.ID {
			t.Fatalf("stored open outages: %+v %v", open, err)
		}
		if got := e.Measured()["flexo/web"]; got != status.MajorOutage {
			t.Errorf("measured status while down = %q", got)
		}
		// The reactor decides on the outage; later checks do not undo it.
		decided := open[0]
		decided.Decision = store.DecisionIgnored
		if err := b.Store.DecideOutage(ctx, &decided, open[0]); err != nil {
			t.Fatal(err)
		}
		feed(3, probe.Down, "connection refused")
		closed := feed(4, probe.Up, "200 OK")
		if closed == nil || !closed.EndedAt.Equal(t0.Add(2*time.Minute)) {
			t.Fatalf("recovery: outage %+v, want one ending at the first success", closed)
		}
		all, err := b.Store.Outages(ctx, store.OutageFilter{})
		if err != nil || len(all) != 1 {
			t.Fatalf("outages: %+v %v", all, err)
		}
		if d := all[0].EndedAt.Sub(all[0].StartedAt); d != 90*time.Second {
			t.Errorf("stored outage lasted %v, want 1m30s", d)
		}
		if all[0].Decision != store.DecisionIgnored {
			t.Errorf("the writer overwrote the decision: %q", all[0].Decision)
		}
		checks, err := b.Store.Checks(ctx, store.CheckFilter{MonitorID: sp.ID, Since: t0})
		if err != nil || len(checks) != 5 {
			t.Fatalf("checks stored: %d %v", len(checks), err)
		}
		// A restart reads the state back: a new engine knows the monitor is up.
		rows, err := b.Store.Monitors(ctx)
		if err != nil {
			t.Fatal(err)
		}
		e2 := New(Options{Store: b.Store, Now: func() time.Time { return now }})
		e2.adopt(ctx, []Spec{sp}, map[string]bool{sp.ID: true}, rows, nil, now)
		if st := e2.Statuses()[sp.ID]; st.State != status.MonitorUp || !st.Since.Equal(t0.Add(2*time.Minute)) {
			t.Errorf("after restart: %+v", st)
		}
	})
}

// Removing a monitor while it is down ends its outage at the removal.
func TestRemovedMonitorEndsItsOutage(t *testing.T) {
	b := storetest.SQLite(t)
	ctx := t.Context()
	seedFleet(t, b.Store)
	t0 := time.Date(2026, 3, 28, 4, 54, 0, 0, time.UTC)
	e := New(Options{Store: b.Store, Now: func() time.Time { return t0 }})
	sp := httpSpec("flexo/web/http", "flexo/web", "http://127.0.0.1:1/", 30*time.Second)
	sp.Monitor.DownAfter = 1
	if err := b.Store.SyncMonitors(ctx, []store.MonitorDef{{ID: sp.ID, ComponentID: sp.ComponentID, Kind: "http", Target: "x"}}, t0); err != nil {
		t.Fatal(err)
	}
	e.adopt(t.Context(), []Spec{sp}, map[string]bool{sp.ID: true}, nil, nil, t0)
	r, _, _ := e.observe(check{id: sp.ID, at: t0, res: probe.Result{Outcome: probe.Down}})
	if err := e.flush(ctx, []store.CheckResult{r}); err != nil {
		t.Fatal(err)
	}
	e.adopt(t.Context(), nil, nil, nil, nil, t0.Add(8*time.Minute))
	if err := e.flush(ctx, nil); err != nil {
		t.Fatal(err)
	}
	all, err := b.Store.Outages(ctx, store.OutageFilter{})
	if err != nil || len(all) != 1 || !all[0].EndedAt.Equal(t0.Add(8*time.Minute)) {
		t.Fatalf("outages: %+v %v", all, err)
	}
	if _, ok := e.Statuses()[sp.ID]; ok {
		t.Errorf("removed monitor still listed")
	}
}

func TestPhaseSpreadsAndSlots(t *testing.T) {
	interval := 30 * time.Second
	seen := map[time.Duration]bool{}
	for _, id := range []string{"flexo/web/http", "flexo/email/smtp", "mom/web/http", "mom/email/smtp", "zapp/web/http"} {
		p := phase(id, interval)
		if p < 0 || p >= interval {
			t.Fatalf("phase(%s) = %v, outside [0, %v)", id, p, interval)
		}
		if p != phase(id, interval) {
			t.Fatalf("phase(%s) not stable", id)
		}
		seen[p] = true
	}
	if len(seen) < 5 {
		t.Errorf("five monitors share phases: %v", seen)
	}
	now := time.Date(2026, 1, 1, 0, 0, 10, 0, time.UTC)
	if got := firstSlot(now, interval, 5*time.Second); !got.Equal(now.Add(25 * time.Second)) {
		t.Errorf("firstSlot past the phase = %v", got)
	}
	if got := firstSlot(now, interval, 20*time.Second); !got.Equal(now.Add(10 * time.Second)) {
		t.Errorf("firstSlot before the phase = %v", got)
	}
}

// waitFor polls cond until it holds, failing after a generous deadline. It
// waits for a state, never asserts how long anything took.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The whole engine against real servers on loopback: a web server that
// starts failing, a listener that accepts and never answers, and a reload
// that changes one monitor's target without losing its state.
func TestEngineLive(t *testing.T) {
	b := storetest.SQLite(t)
	seedFleet(t, b.Store)
	var failing atomic.Bool
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	defer web.Close()
	hang, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hang.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := hang.Accept()
			if err != nil {
				return
			}
			held = append(held, c) // accepted, never answered
		}
	}()

	transitions := make(chan struct{}, 100)
	e := New(Options{Store: b.Store, FlushEvery: 20 * time.Millisecond, OnTransition: func() {
		select {
		case transitions <- struct{}{}:
		default:
		}
	}})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); e.Run(ctx) }()
	defer func() { cancel(); <-done }()

	webSpec := httpSpec("flexo/web/http", "flexo/web", web.URL+"/", 100*time.Millisecond)
	hangSpec := httpSpec("mom/web/http", "mom/web", "http://"+hang.Addr().String()+"/", 100*time.Millisecond)
	if err := e.Apply(ctx, []Spec{webSpec, hangSpec}); err != nil {
		t.Fatal(err)
	}
	state := func(id string) status.MonitorState { return e.Statuses()[id].State }
	waitFor(t, "flexo up", func() bool { return state(webSpec.ID) == status.MonitorUp })
	waitFor(t, "the hanging server marked down", func() bool { return state(hangSpec.ID) == status.MonitorDown })
	if msg := e.Statuses()[hangSpec.ID].LastMessage; msg == "" {
		t.Errorf("hanging server: no message")
	}

	failing.Store(true)
	waitFor(t, "flexo down", func() bool { return state(webSpec.ID) == status.MonitorDown })
	failing.Store(false)
	waitFor(t, "flexo back up", func() bool { return state(webSpec.ID) == status.MonitorUp })
	outs, err := b.Store.Outages(t.Context(), store.OutageFilter{ComponentID: "flexo/web"})
	if err != nil || len(outs) != 1 || outs[0].EndedAt.IsZero() {
		t.Fatalf("flexo outages: %+v %v", outs, err)
	}
	checks, err := b.Store.Checks(t.Context(), store.CheckFilter{MonitorID: webSpec.ID, Since: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	// The outage's ends are the times of real checks: the first failure and the first success after.
	var firstFail, firstOK time.Time
	for _, c := range checks {
		if c.Level == status.LevelDown && firstFail.IsZero() {
			firstFail = c.At
		}
		if !firstFail.IsZero() && c.Level == status.LevelUp && firstOK.IsZero() {
			firstOK = c.At
		}
	}
	if !outs[0].StartedAt.Equal(firstFail) || !outs[0].EndedAt.Equal(firstOK) {
		t.Errorf("outage [%v, %v), checks say [%v, %v)", outs[0].StartedAt, outs[0].EndedAt, firstFail, firstOK)
	}

	// Reload: mom's monitor now points at the working server; its state is kept until checks change it.
	since := e.Statuses()[hangSpec.ID].Since
	moved, movedMon := hangSpec, *hangSpec.Monitor
	movedMon.URL = web.URL + "/"
	moved.Monitor = &movedMon // a new configuration's, as a reload parses
	if err := e.Apply(ctx, []Spec{webSpec, moved}); err != nil {
		t.Fatal(err)
	}
	if st := e.Statuses()[hangSpec.ID]; st.Since != since && st.State != status.MonitorUp {
		t.Errorf("reload lost mom's state: %+v", st)
	}
	waitFor(t, "mom up after the reload", func() bool { return state(hangSpec.ID) == status.MonitorUp })
	if len(transitions) == 0 {
		t.Errorf("OnTransition never called")
	}
}

// A burst of state changes (a fleet's first checks, many targets failing
// together) is written in a few transactions, not one each: every result
// and every state still reaches the store, and OnTransition is told.
func TestBurstOfChangesIsWrittenTogether(t *testing.T) {
	b := storetest.SQLite(t)
	ctx := t.Context()
	seedFleet(t, b.Store)
	t0 := time.Date(2026, 8, 12, 16, 47, 30, 0, time.UTC)
	const n = 200
	var specs []Spec
	var defs []store.MonitorDef
	configured := map[string]bool{}
	for i := range n {
		sp := httpSpec(fmt.Sprintf("flexo/web/http-%d", i), "flexo/web", "http://127.0.0.1:1/", 30*time.Second)
		specs = append(specs, sp)
		defs = append(defs, store.MonitorDef{ID: sp.ID, ComponentID: sp.ComponentID, Kind: "http", Target: sp.Target()})
		configured[sp.ID] = true
	}
	if err := b.Store.Tx(ctx, func(q *store.Queries) error { return q.SyncMonitors(ctx, defs, t0) }); err != nil {
		t.Fatal(err)
	}
	var told atomic.Int64
	e := New(Options{Store: b.Store, Now: func() time.Time { return t0.Add(time.Second) }, FlushEvery: time.Hour,
		OnTransition: func() { told.Add(1) }})
	e.adopt(ctx, specs, configured, nil, nil, t0)
	// Every monitor's first check is a change (unknown to up); all are
	// queued before the writer starts, as when it falls behind.
	for _, sp := range specs {
		e.results <- check{id: sp.ID, planned: t0, at: t0, res: probe.Result{Outcome: probe.Up, Latency: time.Millisecond, Message: "status 200"}}
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); e.Run(rctx) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "every state written", func() bool {
		rows, err := b.Store.Monitors(ctx)
		if err != nil {
			t.Fatal(err)
		}
		up := 0
		for _, r := range rows {
			if r.Detector.State == status.MonitorUp {
				up++
			}
		}
		return up == n
	})
	waitFor(t, "OnTransition told", func() bool { return told.Load() > 0 })
	if got := told.Load(); got >= n/2 {
		t.Errorf("%d changes queued together were written in %d transactions", n, got)
	}
	for _, sp := range specs {
		checks, err := b.Store.Checks(ctx, store.CheckFilter{MonitorID: sp.ID, Since: time.Unix(0, 0)})
		if err != nil || len(checks) != 1 || !checks[0].At.Equal(t0) {
			t.Fatalf("%s: checks %+v %v", sp.ID, checks, err)
		}
	}
}

// gatedProber holds every check until release is closed, counting the
// checks that ran at once.
type gatedProber struct {
	release       chan struct{}
	running, most atomic.Int32
}

func (g *gatedProber) Probe(ctx context.Context) probe.Result {
	n := g.running.Add(1)
	for {
		m := g.most.Load()
		if n <= m || g.most.CompareAndSwap(m, n) {
			break
		}
	}
	defer g.running.Add(-1)
	select {
	case <-g.release:
	case <-ctx.Done():
	}
	return probe.Result{Outcome: probe.Up}
}

// Checks run on checkers: a burst runs all at once (none waits behind
// another), every result reaches the writer once, afterwards at most
// maxIdleCheckers stay, and they end when the engine stops.
func TestCheckersBurstAndStop(t *testing.T) {
	e := New(Options{Store: storetest.SQLite(t).Store})
	g := &gatedProber{release: make(chan struct{})}
	const burst = 5 * maxIdleCheckers
	planned := time.Date(2026, 8, 12, 16, 0, 0, 0, time.UTC)
	for round := range 3 {
		e.mu.Lock()
		for i := range burst {
			sp := &Spec{ID: fmt.Sprintf("c/web/m%d", i), Monitor: &config.Monitor{Type: "http"}}
			e.start(&runner{spec: sp, prober: g, done: make(chan struct{})}, planned.Add(time.Duration(round)*time.Minute))
		}
		e.mu.Unlock()
		if round == 0 {
			// A guard against a hang, not a timing assertion.
			for deadline := time.Now().Add(10 * time.Second); g.running.Load() < burst && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			if n := g.running.Load(); n != burst {
				t.Fatalf("%d of a burst of %d checks running at once; the others wait behind them", n, burst)
			}
			close(g.release)
		}
		seen := map[string]bool{}
		for range burst {
			c := <-e.results
			if seen[c.id] || !c.planned.Equal(planned.Add(time.Duration(round)*time.Minute)) {
				t.Fatalf("round %d: result %s (planned %s) twice or from another round", round, c.id, c.planned)
			}
			seen[c.id] = true
		}
		for deadline := time.Now().Add(10 * time.Second); e.idle.Load() < maxIdleCheckers && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		if n := e.idle.Load(); n != maxIdleCheckers {
			t.Errorf("round %d: %d checkers wait after a burst of %d, want %d", round, n, burst, maxIdleCheckers)
		}
	}
	e.stopAll() // returns once every checker has ended (wg)
	if n := e.idle.Load(); n != 0 {
		t.Errorf("%d checkers still waiting after the engine stopped", n)
	}
}

// A check in flight when its monitor stops (removed, or its shard gone)
// runs to its end and its result is dropped; the engine's stop ends the
// checks still in flight rather than waiting out their timeouts.
func TestChecksInFlightOfStoppedMonitors(t *testing.T) {
	e := New(Options{Store: storetest.SQLite(t).Store})
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		// A guard against a hang, not a timing assertion.
		for deadline := time.Now().Add(10 * time.Second); !ok(); {
			if time.Now().After(deadline) {
				t.Fatalf("gave up waiting: %s", what)
			}
			time.Sleep(time.Millisecond)
		}
	}
	planned := time.Date(2026, 8, 12, 16, 0, 0, 0, time.UTC)

	removed := &gatedProber{release: make(chan struct{})}
	r := &runner{spec: &Spec{ID: "c/web/removed", Monitor: &config.Monitor{Type: "http"}}, prober: removed, done: make(chan struct{})}
	e.mu.Lock()
	e.start(r, planned)
	e.mu.Unlock()
	waitFor("the check to start", func() bool { return removed.running.Load() == 1 })
	e.mu.Lock()
	close(r.done) // as apply does when the monitor leaves
	e.mu.Unlock()
	close(removed.release)
	waitFor("the checker to finish the check", func() bool { return e.idle.Load() == 1 })
	if n := len(e.results); n != 0 {
		t.Fatalf("%d results of a monitor stopped mid-check reached the writer", n)
	}

	// Never released: only the engine's stop ends it.
	hanging := &gatedProber{release: make(chan struct{})}
	e.mu.Lock()
	e.runners["c/web/hanging"] = &runner{spec: &Spec{ID: "c/web/hanging", Monitor: &config.Monitor{Type: "http"}}, prober: hanging, done: make(chan struct{})}
	e.start(e.runners["c/web/hanging"], planned)
	e.mu.Unlock()
	waitFor("the hanging check to start", func() bool { return hanging.running.Load() == 1 })
	stopped := make(chan struct{})
	go func() { e.stopAll(); close(stopped) }()
	waitFor("the engine to stop with a check in flight", func() bool {
		select {
		case <-stopped:
			return true
		default:
			return false
		}
	})
	if n := len(e.results); n != 0 {
		t.Fatalf("%d results of checks ended by the stop reached the writer", n)
	}
}

// A publish gives a new status to the monitors checked since the last one
// and leaves the others' as they were (at ten thousand monitors a copy of
// every state per publish was most of the engine's garbage); a state
// change is published at once, a check that changes nothing within
// publishEvery; monitors that come or go change the set.
func TestPublishReplacesOnlyWhatWasChecked(t *testing.T) {
	e := New(Options{Store: storetest.SQLite(t).Store})
	at := time.Date(2026, 8, 12, 16, 0, 0, 0, time.UTC)
	for _, id := range []string{"c/web/a", "c/web/b"} {
		e.mons[id] = &monState{spec: &Spec{ID: id, ComponentID: "c/web", Monitor: &config.Monitor{DownAfter: 1, UpAfter: 1}}, cell: new(statusCell)}
	}
	e.setMoved = true
	e.publish(false)
	seen := func() map[string]*MonitorStatus {
		out := map[string]*MonitorStatus{}
		for id, s := range e.EachStatus() {
			out[id] = s
		}
		return out
	}
	first := seen()
	if len(first) != 2 || first["c/web/a"].State != status.MonitorUnknown {
		t.Fatalf("published after the set moved: %v", first)
	}

	// a's first check changes its state (unknown to up): published at once.
	e.observe(check{id: "c/web/a", at: at, res: probe.Result{Outcome: probe.Up, Message: "status 200"}})
	e.publish(true)
	second := seen()
	if a := second["c/web/a"]; a == first["c/web/a"] || a.State != status.MonitorUp || !a.LastCheckAt.Equal(at) {
		t.Errorf("a after its check: %+v (the same status: %v)", a, a == first["c/web/a"])
	}
	if second["c/web/b"] != first["c/web/b"] {
		t.Error("b, not checked, was given a new status")
	}

	// A check that changes nothing waits for publishEvery.
	e.observe(check{id: "c/web/a", at: at.Add(30 * time.Second), res: probe.Result{Outcome: probe.Up}})
	e.publish(false)
	if got := seen()["c/web/a"]; got != second["c/web/a"] {
		t.Errorf("a steady check published before publishEvery: %+v", got)
	}
	e.publishedAt = e.publishedAt.Add(-publishEvery)
	e.publish(false)
	if got := seen()["c/web/a"]; !got.LastCheckAt.Equal(at.Add(30*time.Second)) || got.Checks[status.LevelUp] != 2 {
		t.Errorf("a after publishEvery: %+v", got)
	}

	// b leaves: the set is made anew without it.
	delete(e.mons, "c/web/b")
	e.setMoved = true
	e.publish(false)
	if got := seen(); len(got) != 1 || got["c/web/a"] == nil {
		t.Errorf("after b left: %v", got)
	}
}

// The scheduler wakes once for every check planned within the start window
// of the first one due, not once per check. Over a whole interval of a
// dense fleet (3,000 monitors at 30 s, 100 checks a second), played on a
// clock that moves by exactly the waits startDue asks for, with the least
// window and with the one Apply gives that fleet: every monitor starts
// exactly once, never after its slot and never more than the window before
// it, and the wakes stay within one per window, fewer than half the checks.
func TestChecksStartTogetherWithinTheWindow(t *testing.T) {
	const n, interval = 3000, 30 * time.Second
	for _, window := range []time.Duration{0, windowFor(n/interval.Seconds(), interval)} {
		effective := window
		if effective == 0 {
			effective = startWindow
		}
		t.Run(effective.String(), func(t *testing.T) {
			t0 := time.Date(2026, 8, 12, 16, 47, 30, 0, time.UTC)
			e := New(Options{Now: func() time.Time { return t0 }})
			e.window = window
			slot := map[string]time.Time{}
			for i := range n {
				sp := httpSpec(fmt.Sprintf("flexo/web/http-%d", i), "flexo/web", "http://127.0.0.1:1/", interval)
				r := &runner{spec: &sp, interval: interval, timeout: interval / 2, next: firstSlot(t0, interval, phase(sp.ID, interval))}
				slot[sp.ID] = r.next
				heap.Push(&e.heap, r)
			}
			now := t0
			started := map[string]int{}
			wakes := 0
			for now.Before(t0.Add(interval)) {
				wait := e.startDue(now, func(r *runner, planned time.Time) {
					if planned.Sub(slot[r.spec.ID])%interval != 0 {
						t.Fatalf("%s started for %v, off its slots (%v and every %v)", r.spec.ID, planned, slot[r.spec.ID], interval)
					}
					if now.After(planned) || planned.Sub(now) > effective {
						t.Fatalf("%s started at %v for its slot at %v: more than %v early, or late", r.spec.ID, now, planned, effective)
					}
					if planned.Before(t0.Add(interval)) {
						started[r.spec.ID]++
					}
				})
				wakes++
				if wait <= effective {
					t.Fatalf("at %v the next wake is asked for in %v, within the window just served", now, wait)
				}
				now = now.Add(wait)
			}
			for id := range slot {
				if started[id] != 1 {
					t.Errorf("%s started %d times in one interval", id, started[id])
				}
			}
			if most := int(interval / effective); wakes > most {
				t.Errorf("%d wakes in one interval, more than one per window (%d)", wakes, most)
			}
			// 100 checks a second, 2.5 per 25 ms window: without the window a wake each.
			if wakes > n/2 {
				t.Errorf("%d checks in %d wakes: not started together", n, wakes)
			}
		})
	}
}

// The window a fleet's checks may start early is long enough for a wake to
// start about checksPerWake of them, between startWindow and
// maxStartWindow, and Apply sets it from the monitors that run here, never
// above a quarter of the shortest interval.
func TestStartWindowFollowsTheFleet(t *testing.T) {
	for _, c := range []struct {
		rate float64
		want time.Duration
	}{
		{0, maxStartWindow},
		{1.0 / 60, maxStartWindow},                  // one monitor a minute
		{100, 100 * time.Millisecond},               // 1,000 monitors at 10 s
		{10000.0 / 30, 30 * time.Millisecond},       // 10,000 at 30 s
		{1000, startWindow},                         // 10,000 at 10 s
		{200, checksPerWake * 5 * time.Millisecond}, // 2,000 at 10 s
	} {
		if got := windowFor(c.rate, time.Hour); got != c.want {
			t.Errorf("windowFor(%v, 1h) = %v, want %v", c.rate, got, c.want)
		}
	}
	b := storetest.SQLite(t)
	seedFleet(t, b.Store)
	e := New(Options{Store: b.Store})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); e.Run(ctx) }()
	defer func() { cancel(); <-done }()
	specs := make([]Spec, 0, 2000)
	for i := range 2000 {
		specs = append(specs, httpSpec(fmt.Sprintf("flexo/web/http-%d", i), "flexo/web", "http://127.0.0.1:1/", 10*time.Second))
	}
	if err := e.Apply(ctx, specs); err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	got := e.window
	e.mu.Unlock()
	// 2,000 monitors at 10 s: 200 checks a second, ten in 50 ms.
	if want := 50 * time.Millisecond; got != want {
		t.Errorf("after Apply of 2,000 monitors at 10 s the window is %v, want %v", got, want)
	}
	// One monitor every 120 ms among them: a window of 50 ms would start
	// its next check in the same wake and skip it; a quarter of its interval.
	fast := httpSpec("flexo/web/fast", "flexo/web", "http://127.0.0.1:1/", 120*time.Millisecond)
	if err := e.Apply(ctx, append(specs, fast)); err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	got = e.window
	e.mu.Unlock()
	if want := 30 * time.Millisecond; got != want {
		t.Errorf("with a monitor every 120 ms the window is %v, want %v", got, want)
	}
}

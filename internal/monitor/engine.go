// Package monitor runs Herald's monitors: a loop per monitor on its own
// interval, spread so they do not fire together, with bounded concurrency; a
// single writer that applies the detection thresholds, stores results in
// batches and turns state changes into outage intervals; and the reactor that
// opens and resolves automatic incidents from those outages.
package monitor

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"iter"
	"log/slog"
	"maps"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/lease"
	"github.com/heraldhq/herald/internal/probe"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

// Spec is one configured monitor, placed in its component and group.
type Spec struct {
	ID          string // component id + "/" + name: "flexo/web/http"
	ComponentID string
	GroupID     string
	// Monitor is the configuration's own (a pointer into the Config the
	// specs were listed from, which is never changed once parsed): a copy
	// per spec was some 300 bytes a monitor, 3 MB at ten thousand.
	Monitor *config.Monitor
}

// Target is what the monitor checks, for lists and logs.
func (s Spec) Target() string {
	switch {
	case s.Monitor.URL != "":
		return s.Monitor.URL
	case s.Monitor.Address != "":
		return s.Monitor.Address
	}
	return s.Monitor.Type
}

// Specs lists the configuration's monitors in file order.
func Specs(cfg config.Config) []Spec { return specsOf(cfg, nil) }

// LocatedSpecs lists the configuration's monitors with locations (those
// agents check), in file order. The decider asks for them every second: the
// others are skipped before a Spec is built.
func LocatedSpecs(cfg config.Config) []Spec {
	return specsOf(cfg, located)
}

// specsOf lists the monitors keep accepts (nil: all).
func specsOf(cfg config.Config, keep func(*config.Monitor) bool) []Spec {
	var out []Spec
	// By index: a range copy of every monitor's configuration (some 300
	// bytes) is work for nothing when keep skips most of them, as the
	// decider's pass each second does.
	for gi := range cfg.Groups {
		g := &cfg.Groups[gi]
		for ci := range g.Components {
			c := &g.Components[ci]
			compID := ""
			for mi := range c.Monitors {
				m := &c.Monitors[mi]
				if keep != nil && !keep(m) {
					continue
				}
				if compID == "" {
					compID = g.ID + "/" + c.ID // one string for the component's monitors
				}
				out = append(out, Spec{ID: config.MonitorID(g.ID, c.ID, *m), ComponentID: compID, GroupID: g.ID, Monitor: m})
			}
		}
	}
	return out
}

// Options configure an engine. Store is required.
type Options struct {
	Store *store.Store
	// Env is what probes dial and read through.
	Env probe.Env
	// Now tells the time; nil is the real clock.
	Now func() time.Time
	// Speed is how many times faster than the wall clock Now runs (the demo
	// plays an hour in a minute); intervals and timeouts are in Now's time.
	// 0 means 1.
	Speed int
	// Concurrency caps checks in flight at once; 0 means 4096. A check that
	// hangs holds its slot only until its timeout, so the cap is generous:
	// a thousand hanging targets must not delay the others.
	Concurrency int
	// FlushEvery is how often results are written when nothing changes state; 0 means 1 s.
	// A change of state is written sooner (see transitionGap).
	FlushEvery time.Duration
	// OnTransition is called after a batch with state changes is committed.
	OnTransition func()
	// OnUnrecorded is called when a batch with state changes could not be
	// written: the states are published all the same, so pages and /metrics
	// show what was measured while the database is down, and OnTransition
	// follows once a write succeeds.
	OnUnrecorded func()
	Log          *slog.Logger
	Metrics      *Metrics
	// Fence, when set, makes the engine run only the monitors of the shards
	// this instance holds (lease.ShardOf of the monitor's id; see Own), and
	// is called in every transaction that writes results: it lists the
	// shards held now and keeps them from changing hands until the
	// transaction ends, and results of monitors of other shards are not
	// written. Several instances on one database then share the monitors.
	Fence func(ctx context.Context, q *store.Queries) (map[int]bool, error)
}

// Engine runs the monitors.
type Engine struct {
	o       Options
	log     *slog.Logger
	sem     chan struct{}
	results chan check
	cmds    chan func()
	// quiet holds the results that cannot change their monitor's state
	// (see check), for the writer to take at its next write or before the
	// next result it is sent; quietMu guards it.
	quietMu sync.Mutex
	quiet   []check

	mu      sync.Mutex // guards runners, heap and window
	runners map[string]*runner
	heap    schedule
	window  time.Duration  // how early a check may start (windowFor); 0: startWindow
	wakeup  chan struct{}  // the schedule changed
	wg      sync.WaitGroup // the scheduler and the checkers
	// jobs hands a check to an idle checker; quit, closed when the engine
	// stops, ends the idle ones (see checker).
	jobs     chan job
	quit     chan struct{}
	quitOnce sync.Once
	// checks is every check's context, ended when the engine stops.
	checks     context.Context
	stopChecks context.CancelFunc
	idle       atomic.Int32 // checkers waiting on jobs

	// mons is owned by the writer goroutine; states is its published copy.
	mons map[string]*monState
	// states holds a cell per running monitor; the map is replaced only
	// when monitors come or go (setMoved), and a cell only when its
	// monitor was checked or moved (unpublished), so a publish costs what
	// changed, not a copy of every monitor.
	states      atomic.Pointer[map[string]*statusCell]
	publishedAt time.Time     // owned by the writer
	setMoved    bool          // owned by the writer: monitors came or went
	unpublished []*monState   // owned by the writer: checked since the last publish
	stopped     chan struct{} // closed when Run returns

	// batch is the results not written yet, and transitioned says a
	// monitor's state changed since the last write; owned by the writer.
	batch        []store.CheckResult
	transitioned bool
	// dirty lists the monitors whose dirty flag is set (see markDirty):
	// a write visits them, not every monitor.
	dirty []*monState
	// transitionWritten is when a batch with a state change was last
	// written (the wall clock; see transitionGap).
	transitionWritten time.Time

	// applyMu orders Apply and Own; all is the last applied configuration
	// and owned the shards held (nil: every monitor runs here).
	applyMu sync.Mutex
	all     []Spec
	owned   map[int]bool
	// others are the states, as last read from the database, of the
	// configured monitors other instances run (see LoadOthers).
	others atomic.Pointer[map[string]MonitorStatus]
}

// MonitorStatus is a monitor's current state, as pages and the admin read it.
type MonitorStatus struct {
	Spec        *Spec // shared, never changed: do not modify
	State       status.MonitorState
	Since       time.Time
	LastCheckAt time.Time
	LastLevel   status.Level
	LastMessage string
	LastLatency time.Duration
	// Checks counts the checks run since Herald started, by level (up,
	// degraded, down), for /metrics.
	Checks [3]uint64
}

// statusCell is one monitor's published state: the writer stores a new
// MonitorStatus, never changes one stored, and readers load it.
type statusCell = atomic.Pointer[MonitorStatus]

type monState struct {
	spec *Spec
	cell *statusCell // what readers see of it
	// unpublished is set while it is in Engine.unpublished.
	unpublished bool
	writtenAt   time.Time // the check time its row was last written with
	checks      [3]uint64 // checks run since start, by level: up, degraded, down
	row         stateRow
	outage      *store.Outage // the open one, if any
	// ended are outages that ended and were followed by another before a
	// write took them (results kept while the database refused writes, a
	// fast flapping monitor): each is written at the next write all the same.
	ended []*store.Outage
	// measured is set when the outage opened, worsened or ended since the
	// last write; moved when the state changed at all.
	measured, moved bool
	dirty           bool
	removed         bool
	// leaving is set when the monitor's shard goes to another instance:
	// its state is written once more, and it is dropped, its outage left
	// open for the next holder to continue.
	leaving bool
}

// stateRow is what the writer keeps of a monitor's row: what it writes
// back (store.Queries.SaveChecks) and publishes. The row's other fields
// (its target, component, creation) are the configuration's or unused
// here, and at ten thousand monitors took 1.3 MB more.
type stateRow struct {
	Detector    status.Detector
	LastCheckAt time.Time
	LastLevel   status.Level
	LastMessage string
	LastLatency time.Duration
}

func stateOf(m *store.Monitor) stateRow {
	return stateRow{Detector: m.Detector, LastCheckAt: m.LastCheckAt, LastLevel: m.LastLevel, LastMessage: m.LastMessage,
		LastLatency: m.LastLatency}
}

// monitor is the row of monitor id to write back.
func (r stateRow) monitor(id string) store.Monitor {
	return store.Monitor{ID: id, Detector: r.Detector, LastCheckAt: r.LastCheckAt, LastLevel: r.LastLevel,
		LastMessage: r.LastMessage, LastLatency: r.LastLatency}
}

// check is one check's result on its way to the writer.
type check struct {
	id      string
	planned time.Time
	at      time.Time
	res     probe.Result
	// r, when set, is the runner whose sent count (see runner.sent) the
	// writer lowers once it has applied the result.
	r *runner
}

type runner struct {
	// spec is the applied configuration's (shared with the writer's
	// monState and the published states, not a copy per monitor); it is
	// replaced, under Engine.mu, when a new configuration keeps it.
	spec   *Spec
	prober probe.Prober
	// done is closed when the monitor stops running here: a check in
	// flight runs to its end (at most its timeout) and its result is
	// dropped. (A context per runner cost a map of its checks' contexts per
	// monitor, kept for its life: 4 MB at ten thousand monitors.)
	done              chan struct{}
	interval, timeout time.Duration
	next              time.Time   // the next planned check, in the engine's clock
	busy              atomic.Bool // a check is in flight
	// upRun counts the monitor's last checks in a row that were up; only
	// the check in flight (busy) reads and writes it.
	upRun int
	// sent counts its results sent to the writer and not yet applied: a
	// quiet result (see Engine.check) waits only when none is, so that
	// the monitor's results are applied in the order they were measured.
	sent    atomic.Int32
	index   int  // in the schedule's heap
	catchUp bool // next is a catch-up check off the slots
}

// catchUpSpread spreads the first checks of monitors taken over from another
// instance.
const catchUpSpread = 3 * time.Second

// schedule is a heap of runners by their next planned check: one goroutine
// and one timer run every monitor's slots, and a check has a goroutine only
// while it runs, so ten thousand monitors cost no ten thousand stacks.
type schedule []*runner

func (h schedule) Len() int           { return len(h) }
func (h schedule) Less(i, j int) bool { return h[i].next.Before(h[j].next) }
func (h schedule) Swap(i, j int)      { h[i], h[j] = h[j], h[i]; h[i].index = i; h[j].index = j }
func (h *schedule) Push(x any)        { r := x.(*runner); r.index = len(*h); *h = append(*h, r) }
func (h *schedule) Pop() any {
	old := *h
	r := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	r.index = -1
	return r
}

// New makes an engine; call Run, then Apply with the configured monitors.
func New(o Options) *Engine {
	if o.Now == nil {
		o.Now = func() time.Time { return time.Now().UTC() }
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4096
	}
	if o.Speed <= 0 {
		o.Speed = 1
	}
	if o.FlushEvery <= 0 {
		o.FlushEvery = time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{o: o, log: o.Log, sem: make(chan struct{}, o.Concurrency),
		results: make(chan check, 4096), cmds: make(chan func()), runners: map[string]*runner{}, wakeup: make(chan struct{}, 1),
		mons: map[string]*monState{}, stopped: make(chan struct{}), jobs: make(chan job), quit: make(chan struct{})}
	e.checks, e.stopChecks = context.WithCancel(context.Background())
	e.states.Store(&map[string]*statusCell{})
	e.others.Store(&map[string]MonitorStatus{})
	if o.Fence != nil {
		e.owned = map[int]bool{} // nothing until shards are claimed (Own)
	}
	return e
}

// Statuses returns every monitor's state, by monitor id: those running here
// as measured, and those other instances run as last read (LoadOthers).
// It is a new map; EachStatus reads the same without making one.
func (e *Engine) Statuses() map[string]MonitorStatus {
	out := make(map[string]MonitorStatus, len(*e.states.Load())+len(*e.others.Load()))
	for id, s := range e.EachStatus() {
		out[id] = *s
	}
	return out
}

// EachStatus yields every monitor's state, as Statuses has it, in no
// particular order. A yielded status is shared: do not modify it.
func (e *Engine) EachStatus() iter.Seq2[string, *MonitorStatus] {
	return func(yield func(string, *MonitorStatus) bool) {
		local, others := *e.states.Load(), *e.others.Load()
		for id, c := range local {
			if !yield(id, c.Load()) {
				return
			}
		}
		for id := range others {
			if _, ok := local[id]; ok {
				continue
			}
			s := others[id]
			if !yield(id, &s) {
				return
			}
		}
	}
}

// runsHere reports whether this instance runs the monitor with this id.
func (e *Engine) runsHere(id string) bool {
	return e.owned == nil || e.owned[lease.ShardOf(id)]
}

// Own makes this instance run the monitors of the held shards (and no
// others), continuing each from its stored state; a monitor whose shard is
// no longer held has its state written and stops. It returns once done.
func (e *Engine) Own(ctx context.Context, held map[int]bool) error {
	e.applyMu.Lock()
	defer e.applyMu.Unlock()
	e.owned = maps.Clone(held)
	if e.owned == nil {
		e.owned = map[int]bool{}
	}
	if err := e.apply(ctx, e.all, false); err != nil {
		return err
	}
	return e.loadOthers(ctx)
}

// LoadOthers reads the states of the monitors other instances run from the
// database, for Statuses and Measured; a no-op when every monitor runs here.
func (e *Engine) LoadOthers(ctx context.Context) error {
	e.applyMu.Lock()
	defer e.applyMu.Unlock()
	return e.loadOthers(ctx)
}

func (e *Engine) loadOthers(ctx context.Context) error {
	if e.owned == nil {
		return nil
	}
	rows, err := e.o.Store.Monitors(ctx)
	if err != nil {
		return err
	}
	byID := make(map[string]*store.Monitor, len(rows))
	for i := range rows {
		byID[rows[i].ID] = &rows[i]
	}
	next := map[string]MonitorStatus{}
	for i := range e.all {
		sp := &e.all[i]
		if e.runsHere(sp.ID) {
			continue
		}
		r := byID[sp.ID]
		state := r.Detector.State
		if state == "" {
			state = status.MonitorUnknown
		}
		next[sp.ID] = MonitorStatus{Spec: sp, State: state, Since: r.Detector.Since, LastCheckAt: r.LastCheckAt,
			LastLevel: r.LastLevel, LastMessage: r.LastMessage, LastLatency: r.LastLatency}
	}
	e.others.Store(&next)
	return nil
}

// Measured is the component status each component's monitors amount to.
func (e *Engine) Measured() map[string]status.ComponentStatus {
	byComp := map[string][]status.MonitorState{}
	for _, m := range e.EachStatus() {
		byComp[m.Spec.ComponentID] = append(byComp[m.Spec.ComponentID], m.State)
	}
	out := make(map[string]status.ComponentStatus, len(byComp))
	for id, states := range byComp {
		if s, ok := status.MeasuredStatus(states); ok {
			out[id] = s
		}
	}
	return out
}

// ErrStopped is returned by Apply once the engine has stopped.
var ErrStopped = errors.New("monitor engine stopped")

// Apply makes the running monitors those of specs: new ones start, changed
// ones restart with their state kept, removed ones stop (an outage they had
// open ends now). It returns once the store agrees. With shards (Fence),
// only the monitors of the shards held run here.
func (e *Engine) Apply(ctx context.Context, specs []Spec) error {
	e.applyMu.Lock()
	defer e.applyMu.Unlock()
	if err := e.apply(ctx, specs, true); err != nil {
		return err
	}
	return e.loadOthers(ctx)
}

// apply runs the monitors of all that run here; sync (a new configuration)
// stores the configured set first, and builds every monitor's probe (which
// registers heartbeat tokens, so that any instance takes their pings).
func (e *Engine) apply(ctx context.Context, all []Spec, sync bool) error {
	probers := make(map[string]probe.Prober, len(all))
	defs := make([]store.MonitorDef, 0, len(all))
	var specs []Spec // those that run here
	allHere := true
	for _, sp := range all {
		here := e.runsHere(sp.ID)
		if here || sync {
			p, err := probe.New(*sp.Monitor, e.o.Env)
			if err != nil {
				return fmt.Errorf("monitor %s: %w", sp.ID, err)
			}
			probers[sp.ID] = p
		}
		defs = append(defs, store.MonitorDef{ID: sp.ID, ComponentID: sp.ComponentID, Kind: sp.Monitor.Type, Target: sp.Target()})
		if here {
			specs = append(specs, sp)
		}
		allHere = allHere && here
	}
	if allHere {
		// One copy of the configured monitors: the runners and the
		// writer's states point into it.
		specs = all
	}
	e.all = all
	now := e.o.Now()
	if sync {
		if err := e.o.Store.Tx(ctx, func(q *store.Queries) error { return q.SyncMonitors(ctx, defs, now) }); err != nil {
			return err
		}
	}
	rows, err := e.o.Store.Monitors(ctx)
	if err != nil {
		return err
	}
	lastCheck := make(map[string]time.Time, len(rows))
	for _, r := range rows {
		lastCheck[r.ID] = r.LastCheckAt
	}
	open, err := e.o.Store.Outages(ctx, store.OutageFilter{Open: true})
	if err != nil {
		return err
	}
	configured := make(map[string]bool, len(all))
	for _, sp := range all {
		configured[sp.ID] = true
	}
	done := make(chan struct{})
	apply := func() {
		defer close(done)
		e.adopt(ctx, specs, configured, rows, open, now)
	}
	select {
	case e.cmds <- apply:
	case <-e.stopped:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	<-done

	e.mu.Lock()
	defer e.mu.Unlock()
	want := make(map[string]*Spec, len(specs))
	for i := range specs {
		want[specs[i].ID] = &specs[i]
	}
	inUse := map[string]bool{}
	for _, sp := range all {
		if sp.Monitor.Type == "heartbeat" {
			inUse[os.Getenv(sp.Monitor.TokenEnv)] = true
		}
	}
	for id, r := range e.runners {
		sp, ok := want[id]
		if ok && reflect.DeepEqual(*sp, *r.spec) {
			r.spec = sp // the new configuration's copy, so the old one can go
			continue
		}
		// A check in flight runs to its end; its result is dropped.
		close(r.done)
		heap.Remove(&e.heap, r.index)
		delete(e.runners, id)
		// A heartbeat URL no monitor reads any more stops answering.
		if tok := os.Getenv(r.spec.Monitor.TokenEnv); r.spec.Monitor.Type == "heartbeat" && !inUse[tok] && e.o.Env.Heartbeats != nil {
			e.o.Env.Heartbeats.Forget(tok)
		}
	}
	for i := range specs {
		sp := &specs[i]
		if _, ok := e.runners[sp.ID]; ok || sp.Located() {
			continue // a monitor with locations is checked by agents (quorum.go)
		}
		interval := sp.Monitor.Interval.D()
		if interval <= 0 {
			interval = 30 * time.Second
		}
		timeout := sp.Monitor.Timeout.D()
		if timeout <= 0 || timeout >= interval {
			timeout = interval * 9 / 10
		}
		r := &runner{spec: sp, prober: probers[sp.ID], done: make(chan struct{}), interval: interval, timeout: timeout,
			next: firstSlot(now, interval, phase(sp.ID, interval))}
		if last := lastCheck[sp.ID]; e.o.Fence != nil && !last.IsZero() && now.Sub(last) > interval+timeout {
			// Taken over from an instance that stopped checking it: check
			// it soon (spread over a few seconds) rather than at its slot.
			r.next, r.catchUp = now.Add(phase(sp.ID, min(interval, catchUpSpread))), true
		}
		e.runners[sp.ID] = r
		heap.Push(&e.heap, r)
	}
	var rate float64 // checks a second, in the engine's clock
	shortest := time.Duration(math.MaxInt64)
	for _, r := range e.runners {
		rate += float64(time.Second) / float64(r.interval)
		shortest = min(shortest, r.interval)
	}
	e.window = windowFor(rate, shortest)
	select {
	case e.wakeup <- struct{}{}:
	default:
	}
	return nil
}

// adopt runs in the writer: it takes the new set of monitors, loading the
// state of those it did not know from the store. Monitors configured but
// run elsewhere now have their state written and are dropped.
func (e *Engine) adopt(ctx context.Context, specs []Spec, configured map[string]bool, rows []store.Monitor, open []store.Outage, now time.Time) {
	byID := make(map[string]*store.Monitor, len(rows))
	for i := range rows {
		byID[rows[i].ID] = &rows[i]
	}
	openBy := map[string]*store.Outage{}
	for i := range open {
		openBy[open[i].MonitorID] = &open[i]
	}
	keep := map[string]bool{}
	for i := range specs {
		sp := &specs[i]
		keep[sp.ID] = true
		if m, ok := e.mons[sp.ID]; ok {
			m.spec = sp
			continue
		}
		m := &monState{spec: sp, outage: openBy[sp.ID], cell: new(statusCell)}
		if r, ok := byID[sp.ID]; ok {
			m.row = stateOf(r)
		}
		e.mons[sp.ID] = m
	}
	e.setMoved = true // specs replaced, monitors added, removed or leaving
	leaving := false
	for id, m := range e.mons {
		if keep[id] {
			continue
		}
		if configured[id] {
			m.leaving, leaving = true, true
			e.markDirty(m)
			continue
		}
		// A monitor no longer configured says nothing more: an outage it
		// had open ends now, so uptime does not count it down forever.
		if m.outage != nil {
			m.outage.EndedAt = now
		}
		m.removed = true
		e.markDirty(m)
	}
	if leaving {
		// Written now, before the shard is given up, so the next holder
		// continues from here.
		e.flushAll(ctx)
	}
	e.publish(true)
}

// phase spreads monitors over their interval by a hash of their id, so a
// fleet configured all at once does not fire all at once, and a monitor
// keeps its slot across restarts.
func phase(id string, interval time.Duration) time.Duration {
	if interval <= 0 {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(id))
	return time.Duration(h.Sum64() % uint64(interval))
}

// firstSlot is the first planned check at or after now: checks are planned at
// k*interval + phase since the Unix epoch.
func firstSlot(now time.Time, interval, ph time.Duration) time.Time {
	slot := now.Truncate(interval).Add(ph)
	if slot.Before(now) {
		slot = slot.Add(interval)
	}
	return slot
}

// startWindow is how early a check may start: each time the scheduler wakes,
// it starts every check planned within startWindow from now, rather than
// waking for each one. A wake per check took the process from idle to busy
// and back hundreds of times a second at a large fleet, and each turn cost
// more than the check's own work: Go's monitor thread (sysmon), asleep while
// every processor is idle, is woken by the next system call and then polls
// every 20 µs until all are idle again (a fifth of the CPU in a profile of
// bench/probes, 2,200 wakes a second), and the kernel switches threads for
// each. bench/probes at 10,000 monitors: 0.50-0.65 ms of CPU per check with
// a wake per check, 0.29 with this window (README, Performance).
//
// A slot is a point placed by a hash of the monitor's id (phase), so a check
// started up to this much before it tells the same; its record carries the
// time it ran. A late start is still late: the start-lag metric counts the
// checks started after their slot. The window is in the engine's clock, so a
// fast clock (the demo's) batches almost nothing and keeps its timing.
//
// startWindow is the least window: a fleet that plans more checks a second
// fills a wake in less. A smaller fleet gets a longer one (windowFor), up
// to maxStartWindow.
const startWindow = 25 * time.Millisecond

// maxStartWindow is the longest window, and checksPerWake the checks a wake
// starts on average that windowFor aims at. At 1,000 monitors every 10 s
// (100 checks a second), a 25 ms window started two or three checks a wake
// and the wakes still cost more than the checks: bench/probesrun at that
// fleet measured 0.372 and 0.385 ms of CPU per check with 25 ms, 0.233
// with 100 ms and 0.223 with 250 ms. Ten checks a wake takes most of that
// gain while a wake's burst stays small (the checks started together
// measure a little of each other's time on the machine), and a check is
// never more than a tenth of a second early.
const (
	maxStartWindow = 100 * time.Millisecond
	checksPerWake  = 10
)

// windowFor is the start window for a schedule of rate checks a second
// whose shortest interval is shortest: long enough for a wake to start
// about checksPerWake checks, at most maxStartWindow, and at most a quarter
// of the shortest interval (a window as long as a monitor's interval would
// start its next check in the same wake, and skip it), but never under
// startWindow, which every fleet had before.
func windowFor(rate float64, shortest time.Duration) time.Duration {
	w := maxStartWindow
	if rate > 0 {
		w = min(w, time.Duration(checksPerWake/rate*float64(time.Second)))
	}
	return max(min(w, shortest/4), startWindow)
}

// scheduler starts each monitor's checks at their planned times (up to the
// start window early) until ctx ends.
func (e *Engine) scheduler(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		timer.Reset(e.startDue(e.o.Now(), e.start))
		select {
		case <-ctx.Done():
			return
		case <-e.wakeup:
		case <-timer.C:
		}
	}
}

// startDue starts, through start, every check planned up to the start
// window after now, and says how long (on the wall) until the next one is due.
func (e *Engine) startDue(now time.Time, start func(r *runner, planned time.Time)) time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	window := e.window
	if window <= 0 {
		window = startWindow
	}
	horizon := now.Add(window)
	for len(e.heap) > 0 && !e.heap[0].next.After(horizon) {
		r := e.heap[0]
		start(r, r.next)
		if r.catchUp {
			r.catchUp = false
			r.next = firstSlot(horizon.Add(time.Nanosecond), r.interval, phase(r.spec.ID, r.interval))
			heap.Fix(&e.heap, 0)
			continue
		}
		// The next slot after now: a late scheduler skips, never bunches.
		for r.next = r.next.Add(r.interval); !r.next.After(now); r.next = r.next.Add(r.interval) {
			e.o.Metrics.skipped()
		}
		heap.Fix(&e.heap, 0)
	}
	if len(e.heap) == 0 {
		return time.Hour
	}
	return e.heap[0].next.Sub(now) / time.Duration(e.o.Speed)
}

// job is one check to run: r's, planned for planned.
type job struct {
	r       *runner
	id      string
	planned time.Time
	upAfter int // the monitor's up_after, read with r.spec under Engine.mu
}

// maxIdleCheckers is how many checkers wait for the next check; one that
// finds this many waiting ends. A steady load needs a few at a time (a
// check takes a millisecond or two); a burst starts more, which end after.
const maxIdleCheckers = 16

// start runs one check of r, planned for planned, on an idle checker or a
// new one. A monitor whose previous check is still running skips this
// slot: a check never queues behind a slow one. Called with e.mu held.
func (e *Engine) start(r *runner, planned time.Time) {
	if !r.busy.CompareAndSwap(false, true) {
		e.o.Metrics.skipped()
		return
	}
	j := job{r: r, id: r.spec.ID, planned: planned, upAfter: r.spec.Monitor.UpAfter} // r.spec may be replaced once e.mu is released
	select {
	case e.jobs <- j:
	default:
		e.wg.Go(func() { e.checker(j) })
	}
}

// checker runs checks, j first, then whatever start hands it, while fewer
// than maxIdleCheckers others wait, until the engine stops. A check then
// starts on a goroutine whose stack has already grown to what dialing and
// reading a response take, rather than a new one growing it again: at
// hundreds of checks a second, those stack copies were a tenth of the
// checks' own CPU. As many checkers run as checks run at once (a thousand
// hanging targets hold a thousand); all but a few end once the load falls.
func (e *Engine) checker(j job) {
	for {
		e.check(j)
		if e.idle.Add(1) > maxIdleCheckers {
			e.idle.Add(-1)
			return
		}
		select {
		case j = <-e.jobs:
			e.idle.Add(-1)
		case <-e.quit:
			e.idle.Add(-1)
			return
		}
	}
}

// check runs one check and hands its result to the writer.
func (e *Engine) check(j job) {
	r := j.r
	defer r.busy.Store(false)
	select {
	case e.sem <- struct{}{}:
	case <-r.done:
		return
	}
	at := e.o.Now()
	var res probe.Result
	if speed := time.Duration(e.o.Speed); speed == 1 {
		// The probe applies the monitor's timeout itself.
		res = r.prober.Probe(e.checks)
	} else {
		// On a fast clock the timeout, in the clock's time, is shorter on the wall.
		cctx, cancel := context.WithTimeout(e.checks, r.timeout/speed)
		res = r.prober.Probe(cctx)
		cancel()
	}
	<-e.sem
	select {
	case <-r.done:
		return // stopped mid-check: the result is not trusted
	default:
	}
	c := check{id: j.id, planned: j.planned, at: at, res: res}
	// A success after at least up_after successes in a row cannot change
	// the monitor's state (status.Detector moves to up on the up_after-th
	// at the latest, and only failures move it elsewhere): it waits for the
	// writer's next write instead of waking the writer. A wake per check was
	// a thread woken and put back to sleep for each check at a steady fleet;
	// anything that may change a state still goes to the writer at once.
	quiet := res.Outcome == probe.Up && r.upRun >= max(j.upAfter, 1) && r.sent.Load() == 0
	if res.Outcome == probe.Up {
		r.upRun = min(r.upRun+1, 1<<20)
	} else {
		r.upRun = 0
	}
	if quiet {
		e.quietMu.Lock()
		if len(e.quiet) < cap(e.results) { // past that, the writer is behind: wait for it below
			e.quiet = append(e.quiet, c)
			e.quietMu.Unlock()
			return
		}
		e.quietMu.Unlock()
	}
	c.r = r
	r.sent.Add(1)
	select {
	case e.results <- c:
	case <-r.done:
		r.sent.Add(-1)
	}
}

// applied tells c's runner that the writer has applied c.
func (c check) applied() {
	if c.r != nil {
		c.r.sent.Add(-1)
	}
}

// takeQuiet applies the quiet results (see check) in the writer, in the
// order they came: before any result sent after them, and before a write.
func (e *Engine) takeQuiet() {
	e.quietMu.Lock()
	quiet := e.quiet
	e.quiet = nil
	e.quietMu.Unlock()
	for _, c := range quiet {
		r, _, _ := e.observe(c) // a quiet result moves no state
		e.batch = append(e.batch, r)
	}
}

// Run is the writer: it applies results to the monitors' states and writes
// them in batches, until ctx ends; then it stops every monitor and writes
// what it holds.
func (e *Engine) Run(ctx context.Context) {
	defer close(e.stopped)
	e.wg.Go(func() { e.scheduler(ctx) })
	tick := time.NewTicker(e.o.FlushEvery)
	defer tick.Stop()
	// gap is armed while a state change waits for transitionGap to pass
	// since the last write of one.
	var gap *time.Timer
	var gapC <-chan time.Time
	for {
		select {
		case c := <-e.results:
			e.takeQuiet() // what came before it
			r, _, moved := e.observe(c)
			c.applied()
			e.batch = append(e.batch, r)
			if moved {
				e.transitioned = true
			}
			switch {
			case e.transitioned && gapC == nil:
				if wait := transitionGap - time.Since(e.transitionWritten); wait > 0 {
					gap = time.NewTimer(wait)
					gapC = gap.C
				} else {
					e.flushAll(ctx)
				}
			case len(e.batch) >= 2000:
				e.flushAll(ctx)
			}
		case <-gapC:
			gapC = nil
			e.takeQuiet()
			e.flushAll(ctx)
		case fn := <-e.cmds:
			e.takeQuiet() // a command (a new configuration) applies after what was measured
			fn()
		case <-tick.C:
			e.takeQuiet()
			e.flushAll(ctx)
		case <-ctx.Done():
			if gap != nil {
				gap.Stop()
			}
			e.stopAll()
			// Results already sent are drained and written with a detached context.
			e.takeQuiet()
			for drained := false; !drained; {
				select {
				case c := <-e.results:
					r, _, _ := e.observe(c)
					c.applied()
					e.batch = append(e.batch, r)
				default:
					drained = true
				}
			}
			fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			e.flushAll(fctx)
			cancel()
			return
		}
	}
}

// flushAll writes the results and states the writer holds; on failure it
// keeps them for the next try. It runs in the writer.
func (e *Engine) flushAll(ctx context.Context) {
	if len(e.batch) == 0 && !e.anyDirty() {
		return
	}
	if e.transitioned {
		e.transitionWritten = time.Now()
	}
	if err := e.flush(ctx, e.batch); err != nil {
		e.log.Error("write check results; keeping them for the next try", slog.Int("results", len(e.batch)), slog.Any("err", err))
		if len(e.batch) > 100_000 {
			e.batch = e.batch[len(e.batch)-100_000:]
		}
		if e.transitioned {
			e.publish(true)
			if e.o.OnUnrecorded != nil {
				e.o.OnUnrecorded()
			}
		}
		return
	}
	e.batch = e.batch[:0]
	if e.transitioned && e.o.OnTransition != nil {
		e.o.OnTransition()
	}
	e.transitioned = false
}

func (e *Engine) stopAll() {
	e.mu.Lock()
	for id, r := range e.runners {
		close(r.done)
		delete(e.runners, id)
	}
	e.heap = nil
	e.mu.Unlock()
	// Checks in flight end with the checks' context, those blocked sending
	// a result on their runner's done, idle checkers on quit; the
	// scheduler stops on the writer's.
	e.stopChecks()
	e.quitOnce.Do(func() { close(e.quit) })
	e.wg.Wait()
}

func (e *Engine) anyDirty() bool { return len(e.dirty) > 0 }

// markDirty has m written at the next write. It runs in the writer.
func (e *Engine) markDirty(m *monState) {
	if !m.dirty {
		m.dirty = true
		e.dirty = append(e.dirty, m)
	}
}

// observe applies one result in the writer; it returns the stored result,
// the outage when the monitor's state changed so that an outage opened,
// worsened or closed, and whether its state changed at all (down to
// degraded moves no outage but changes what the page shows).
func (e *Engine) observe(c check) (store.CheckResult, *store.Outage, bool) {
	level := status.Level(c.res.Outcome)
	r := store.CheckResult{MonitorID: c.id, At: c.at, Latency: c.res.Latency, Level: level, Message: c.res.Message}
	m, ok := e.mons[c.id]
	if !ok || m.removed || m.leaving {
		return r, nil, false
	}
	e.o.Metrics.observe(c, m.spec.Monitor.Type)
	m.checks[min(level, status.LevelDown)]++
	m.row.LastCheckAt, m.row.LastLevel, m.row.LastMessage, m.row.LastLatency = c.at, level, c.res.Message, c.res.Latency
	if !m.unpublished {
		m.unpublished = true
		e.unpublished = append(e.unpublished, m)
	}
	tr, changed := m.row.Detector.Observe(level, c.at, m.spec.Monitor.DownAfter, m.spec.Monitor.UpAfter)
	// A monitor that is up and stays up changes nothing worth a write but
	// its last check: its row is written at most every steadyWrite then
	// (its result is stored every time). Anything else is written at the
	// next write, a change of state within transitionGap.
	if changed || level != status.LevelUp || m.row.Detector.State != status.MonitorUp || c.at.Sub(m.writtenAt) >= steadyWrite {
		e.markDirty(m)
	}
	if !changed {
		return r, nil, false
	}
	m.moved = true
	e.log.Info("monitor state changed", slog.String("monitor", c.id), slog.String("from", string(tr.From)),
		slog.String("to", string(tr.To)), slog.Time("at", tr.At), slog.String("message", c.res.Message))
	switch {
	case tr.Opens():
		if m.outage != nil { // ended, not written yet
			m.ended = append(m.ended, m.outage)
		}
		m.outage = &store.Outage{ComponentID: m.spec.ComponentID, MonitorID: c.id, Severity: tr.To,
			StartedAt: tr.At, Cause: c.res.Message, DetectedAt: c.at}
		e.o.Metrics.outageOpened(m.spec.ComponentID)
	case tr.Closes() && m.outage != nil:
		m.outage.EndedAt = tr.At
	case m.outage != nil && tr.To == status.MonitorDown:
		m.outage.Severity = status.MonitorDown // the worst seen
	default:
		return r, nil, true
	}
	m.measured = true
	return r, m.outage, true
}

// flush writes the batch, the monitors' states and their outages in one transaction.
func (e *Engine) flush(ctx context.Context, batch []store.CheckResult) error {
	var states []store.Monitor
	var outs []*store.Outage
	signal := false // a state or an outage moved: other instances' pages show it
	for _, m := range e.dirty {
		if !m.removed {
			states = append(states, m.row.monitor(m.spec.ID))
			m.writtenAt = m.row.LastCheckAt
		}
		outs = append(outs, m.ended...)
		if m.outage != nil && (m.measured || m.removed) {
			outs = append(outs, m.outage)
		}
		signal = signal || m.moved || m.measured || m.removed
	}
	// One order for the rows' locks, whoever writes them.
	slices.SortFunc(states, func(a, b store.Monitor) int { return strings.Compare(a.ID, b.ID) })
	var inserted []*store.Outage
	start := time.Now()
	err := e.o.Store.Tx(ctx, func(q *store.Queries) error {
		if e.o.Fence != nil {
			// Only what this instance still runs: a shard taken by another
			// instance meanwhile (this one was paused past its lease) is
			// the other's to write.
			held, err := e.o.Fence(ctx, q)
			if err != nil {
				return err
			}
			batch, states, outs = fenced(held, batch, states, outs)
			if signal {
				if err := q.SignalMeasured(ctx); err != nil {
					return err
				}
			}
		}
		if err := q.SaveChecks(ctx, batch, states, e.o.Now()); err != nil {
			return err
		}
		for _, o := range outs {
			if o.ID == 0 {
				if err := q.InsertOutage(ctx, o); err != nil {
					return err
				}
				inserted = append(inserted, o)
				continue
			}
			// Only what was measured: the reactor's decision on it stands.
			if err := q.MeasureOutage(ctx, o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// An outage inserted in the rolled-back transaction has no row after all.
		for _, o := range inserted {
			o.ID = 0
		}
		return err
	}
	e.o.Metrics.flushed(time.Since(start), len(batch))
	// Only a monitor marked dirty has measured, moved, removed or leaving
	// set (each is set with it).
	changed := len(inserted) > 0
	for _, m := range e.dirty {
		changed = changed || m.measured || m.removed || m.moved
		m.dirty, m.measured, m.moved = false, false, false
		m.ended = nil
		if m.outage != nil && !m.outage.EndedAt.IsZero() {
			m.outage = nil
		}
		if (m.removed || m.leaving) && e.mons[m.spec.ID] == m {
			delete(e.mons, m.spec.ID)
			e.setMoved = true
		}
	}
	clear(e.dirty)
	e.dirty = e.dirty[:0]
	e.publish(changed)
	return nil
}

// fenced keeps what belongs to the held shards.
func fenced(held map[int]bool, batch []store.CheckResult, states []store.Monitor, outs []*store.Outage) ([]store.CheckResult, []store.Monitor, []*store.Outage) {
	mine := func(id string) bool { return held[lease.ShardOf(id)] }
	var (
		b []store.CheckResult
		s []store.Monitor
		o []*store.Outage
	)
	for _, r := range batch {
		if mine(r.MonitorID) {
			b = append(b, r)
		}
	}
	for _, m := range states {
		if mine(m.ID) {
			s = append(s, m)
		}
	}
	for _, x := range outs {
		if mine(x.MonitorID) {
			o = append(o, x)
		}
	}
	return b, s, o
}

// transitionGap is the least time between two writes of state changes. A
// change is written at once when none was written in the last
// transitionGap, else when that much has passed, with every change and
// result that came meanwhile: each write of a change is followed by work
// that reads every monitor (the published states, the measured component
// statuses, the page and the reactor), so a burst of changes (a fleet's
// first checks, a thousand targets going down together) must not pay it
// per change. The detection time stored with an outage is its check's and
// does not move; only the page shows it up to this much later.
const transitionGap = 200 * time.Millisecond

// steadyWrite is how often the row of a monitor that stays up is written.
const steadyWrite = time.Minute

// publishEvery is how stale the last-check fields readers see may get;
// state changes are published at once.
const publishEvery = 5 * time.Second

// publish makes the writer's states readable by others: at once when a
// state changed, else at most every publishEvery. Only the monitors checked
// since the last publish get a new status; the map of cells is made anew
// only when monitors came or went (then every cell is refreshed, since a
// new configuration may have replaced a monitor's spec).
func (e *Engine) publish(changed bool) {
	if e.setMoved {
		cells := make(map[string]*statusCell, len(e.mons))
		for id, m := range e.mons {
			if m.removed || m.leaving {
				continue
			}
			m.cell.Store(m.status())
			cells[id] = m.cell
		}
		e.states.Store(&cells)
		e.setMoved = false
		e.publishedAt = time.Now()
	} else if !changed && time.Since(e.publishedAt) < publishEvery {
		return
	} else {
		e.publishedAt = time.Now()
		for _, m := range e.unpublished {
			if !m.removed && !m.leaving {
				m.cell.Store(m.status())
			}
		}
	}
	for _, m := range e.unpublished {
		m.unpublished = false
	}
	clear(e.unpublished)
	e.unpublished = e.unpublished[:0]
}

// status is what readers see of m now.
func (m *monState) status() *MonitorStatus {
	d := m.row.Detector
	state := d.State
	if state == "" {
		state = status.MonitorUnknown
	}
	return &MonitorStatus{Spec: m.spec, State: state, Since: d.Since, LastCheckAt: m.row.LastCheckAt,
		LastLevel: m.row.LastLevel, LastMessage: m.row.LastMessage, LastLatency: m.row.LastLatency, Checks: m.checks}
}

// Check builds every monitor's probe without running it, so a reload can
// refuse a configuration whose monitors cannot run (a heartbeat token
// missing from the environment, say) before anything changes.
func Check(specs []Spec, env probe.Env) error {
	// A refused configuration must leave no trace: its heartbeat tokens go
	// to a registry of their own.
	env.Heartbeats = probe.NewHeartbeats()
	var errs []error
	for _, sp := range specs {
		if _, err := probe.New(*sp.Monitor, env); err != nil {
			errs = append(errs, fmt.Errorf("monitor %s: %w", sp.ID, err))
		}
	}
	return errors.Join(errs...)
}

// RollUp folds raw results older than keep into hourly and daily rollups.
// guard, when set, runs first in the roll-up's transaction and stops it
// with an error (the lease it runs under was lost).
func (e *Engine) RollUp(ctx context.Context, keep time.Duration, guard func(context.Context, *store.Queries) error) (int64, error) {
	var n int64
	err := e.o.Store.TxContext(ctx, func(ctx context.Context, q *store.Queries) error {
		if guard != nil {
			if err := guard(ctx, q); err != nil {
				return err
			}
		}
		var err error
		n, err = q.RollUp(ctx, e.o.Now().Add(-keep))
		return err
	})
	return n, err
}

// RunRollups rolls results up every hour until ctx ends; keep reads the
// configured retention each time, so a reload changes it.
func (e *Engine) RunRollups(ctx context.Context, keep func() time.Duration, guard func(context.Context, *store.Queries) error) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := e.RollUp(ctx, keep(), guard); err != nil && ctx.Err() == nil {
			e.log.Error("roll up check results", slog.Any("err", err))
		} else if n > 0 {
			e.log.Info("check results rolled up", slog.Int64("results", n))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

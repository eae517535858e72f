package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/lease"
	"github.com/heraldhq/herald/internal/monitor"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

// Alerter queues a notice for the operator channels inside a transaction
// (notify.Notifier does).
type Alerter interface {
	AlertOperators(ctx context.Context, q *store.Queries, key, title, body string, comps []string) error
}

// MonitorState is a located monitor's state by quorum, as pages read it.
type MonitorState struct {
	ComponentID string
	State       status.MonitorState
	Since       time.Time
}

// DeciderOptions configure a Decider. Store and Config are required.
type DeciderOptions struct {
	Store  *store.Store
	Config func() config.Config
	// Alerts receives the operator alerts; nil logs them only.
	Alerts Alerter
	// Lease makes one instance of several decide; nil decides here.
	Lease *lease.Keeper
	Now   func() time.Time
	Log   *slog.Logger
	// OnChange runs after a pass changed a monitor's state or a location's
	// interval of trouble, once it committed (the page and the reactor take
	// it from there).
	OnChange func()
	// Every is how often the decider looks for results; 0 means 1 s.
	Every time.Duration
}

type locKey struct{ monitor, location string }

// located is a monitor with locations, as the decider holds it.
type located struct {
	row     store.Monitor // Detector.State and Since are the quorum's verdict
	outage  *store.Outage // the open one
	ended   time.Time     // when the last outage ended
	written time.Time     // the last check its row was written with
	dirty   bool
}

// Decider turns the results agents pushed into states per location, and
// those into each monitor's state by quorum: outages, notes of path trouble
// and operator alerts. The database is its one input: results are read from
// agent_results whichever instance took them, and only the holder of the
// lease decides. What it holds in memory is a cache of what it wrote, loaded
// again whenever it (re)gains the lease or a write fails.
type Decider struct {
	o    DeciderOptions
	wake chan struct{}

	// Owned by Run.
	loaded    bool
	heldSince time.Time
	locs      map[locKey]*store.LocationState
	mons      map[string]*located
	intervals map[locKey]*store.LocationInterval // the open ones
	silent    map[string]time.Time               // location -> since when counted out
	// frontier is each location's latest check seen; done is the
	// watermark up to which results were applied (see ready).
	frontier map[string]time.Time
	done     time.Time
	changed  bool
	prunedAt time.Time
	net      network // the locations' own networks (network.go)

	published atomic.Pointer[map[string]MonitorState]
}

// NewDecider makes a decider; call Run.
func NewDecider(o DeciderOptions) *Decider {
	if o.Now == nil {
		o.Now = func() time.Time { return time.Now().UTC() }
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Every <= 0 {
		o.Every = time.Second
	}
	d := &Decider{o: o, wake: make(chan struct{}, 1)}
	empty := map[string]MonitorState{}
	d.published.Store(&empty)
	return d
}

// States is every located monitor's state, by monitor id.
func (d *Decider) States() map[string]MonitorState { return *d.published.Load() }

// Wake asks for a pass soon (results were just stored).
func (d *Decider) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run decides until ctx ends.
func (d *Decider) Run(ctx context.Context) {
	t := time.NewTicker(d.o.Every)
	defer t.Stop()
	if d.o.Lease != nil {
		// Another instance takes over at once rather than after the lease's time.
		defer func() { _ = d.o.Lease.Release(context.Background()) }()
	}
	for {
		if err := d.Pass(ctx); err != nil && ctx.Err() == nil {
			if _, down := store.Unavailable(err); down || errors.Is(err, store.ErrLeaseLost) {
				d.o.Log.Warn("agents: decide later", slog.Any("err", err))
			} else {
				d.o.Log.Error("agents: decide", slog.Any("err", err))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.wake:
		}
	}
}

// specs are the configured monitors with locations, by id.
func (d *Decider) specs() map[string]monitor.Spec {
	out := map[string]monitor.Spec{}
	for _, sp := range monitor.LocatedSpecs(d.o.Config()) {
		out[sp.ID] = sp
	}
	return out
}

// Pass applies the results stored since the last one and looks for silent agents.
func (d *Decider) Pass(ctx context.Context) error {
	specs := d.specs()
	if len(specs) == 0 {
		// No monitor has locations: nothing to decide, no lease to hold,
		// no transaction a second for nothing.
		if len(d.States()) > 0 {
			d.published.Store(&map[string]MonitorState{})
		}
		d.loaded = false
		return nil
	}
	held := true
	if d.o.Lease != nil {
		var err error
		if held, err = d.o.Lease.Hold(ctx); err != nil {
			return err
		}
	}
	if !held {
		d.loaded = false
		return d.follow(ctx, specs)
	}
	loaded := !d.loaded
	if loaded {
		if err := d.load(ctx, specs); err != nil {
			return err
		}
	}
	d.plan()
	fetched, err := d.o.Store.UndecidedAgentResults(ctx, 5000)
	if err != nil {
		return err
	}
	results := d.ready(specs, fetched)
	agents, err := d.o.Store.Agents(ctx)
	if err != nil {
		return err
	}
	d.changed = false
	now := d.o.Now()
	err = d.o.Store.TxContext(ctx, func(ctx context.Context, q *store.Queries) error {
		if d.o.Lease != nil {
			if err := d.o.Lease.Check(ctx, q); err != nil {
				return err
			}
		}
		if err := d.decide(ctx, q, specs, results, agents, now); err != nil {
			return err
		}
		if d.changed {
			// The other instances' pages read it again (herald_measured).
			return q.SignalMeasured(ctx)
		}
		return nil
	})
	if err != nil {
		d.loaded = false // what is held may be ahead of what was written
		return err
	}
	for k, li := range d.intervals {
		if !li.EndedAt.IsZero() {
			delete(d.intervals, k)
		}
	}
	d.publish(specs)
	// Told after its first pass too: the page has had no located state
	// before (at a start, a located monitor down would show as fine until
	// some other monitor changed).
	if (d.changed || loaded) && d.o.OnChange != nil {
		d.o.OnChange()
	}
	// Applied results are kept as long as the server's own raw results.
	if days := d.o.Config().Monitoring.RawResultsDays; days > 0 && now.Sub(d.prunedAt) >= time.Hour {
		d.prunedAt = now
		if n, err := d.o.Store.PruneAgentResults(ctx, now.Add(-time.Duration(days)*24*time.Hour)); err != nil {
			return err
		} else if n > 0 {
			d.o.Log.Info("agents: old results pruned", slog.Int64("results", n))
		}
	}
	return nil
}

// load reads what the decider holds from the store.
func (d *Decider) load(ctx context.Context, specs map[string]monitor.Spec) error {
	d.locs, d.mons, d.intervals, d.silent = map[locKey]*store.LocationState{}, map[string]*located{}, map[locKey]*store.LocationInterval{}, map[string]time.Time{}
	states, err := d.o.Store.LocationStates(ctx)
	if err != nil {
		return err
	}
	for i := range states {
		d.locs[locKey{states[i].MonitorID, states[i].Location}] = &states[i]
	}
	rows, err := d.o.Store.Monitors(ctx)
	if err != nil {
		return err
	}
	for _, r := range rows {
		d.mons[r.ID] = &located{row: r}
	}
	open, err := d.o.Store.Outages(ctx, store.OutageFilter{Open: true})
	if err != nil {
		return err
	}
	for i := range open {
		if m, ok := d.mons[open[i].MonitorID]; ok {
			m.outage = &open[i]
		}
	}
	ivs, err := d.o.Store.LocationIntervals(ctx, true, "", time.Time{})
	if err != nil {
		return err
	}
	var earliest time.Time
	for i := range ivs {
		d.intervals[locKey{ivs[i].MonitorID, ivs[i].Location}] = &ivs[i]
		if earliest.IsZero() || ivs[i].StartedAt.Before(earliest) {
			earliest = ivs[i].StartedAt
		}
	}
	// When each monitor's last outage ended: a quorum regained from an
	// interval that began before it starts where it ended (outages never
	// overlap), after a restart or a change of lease holder too. Only
	// outages ending after the earliest open interval's start can matter.
	if !earliest.IsZero() {
		ended, err := d.o.Store.Outages(ctx, store.OutageFilter{Since: earliest})
		if err != nil {
			return err
		}
		for _, o := range ended {
			if m, ok := d.mons[o.MonitorID]; ok && !o.EndedAt.IsZero() && o.EndedAt.After(m.ended) {
				m.ended = o.EndedAt
			}
		}
	}
	agents, err := d.o.Store.Agents(ctx)
	if err != nil {
		return err
	}
	for _, a := range agents {
		if !a.SilentSince.IsZero() {
			d.silent[a.Location] = a.SilentSince
		}
	}
	d.frontier, d.done = map[string]time.Time{}, time.Time{}
	for _, ls := range states {
		if ls.LastCheckAt.After(d.frontier[ls.Location]) {
			d.frontier[ls.Location] = ls.LastCheckAt
		}
		if ls.LastCheckAt.After(d.done) {
			d.done = ls.LastCheckAt
		}
	}
	d.loadNetwork(specs, agents)
	d.loaded, d.heldSince = true, d.o.Now()
	return nil
}

// ready picks the results to apply now, in the order of their checks.
// Locations push on their own schedules, so a quorum decided in arrival
// order would pair one place's check of 9:48 with another's of 9:50. Results
// wait until every reporting location has reported past them (the
// watermark: the earliest of their latest checks), then go in time order.
// A silent location is not waited for; what it sends late, once back, is
// applied as it comes (its own order kept), since the quorum has moved on.
func (d *Decider) ready(specs map[string]monitor.Spec, fetched []store.AgentResult) []store.AgentResult {
	for _, r := range fetched {
		if r.At.After(d.frontier[r.Location]) {
			d.frontier[r.Location] = r.At
		}
	}
	assigned := map[string]bool{}
	for _, sp := range specs {
		for _, l := range sp.Monitor.Locations {
			assigned[l] = true
		}
	}
	var w time.Time
	waiting := false
	for l := range assigned {
		f, ok := d.frontier[l]
		if !ok || !d.reporting(l) {
			continue
		}
		if !waiting || f.Before(w) {
			w, waiting = f, true
		}
	}
	if !waiting {
		w = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if w.Before(d.done) {
		w = d.done // a location back from silence does not hold back what went on
	}
	var out []store.AgentResult
	for _, r := range fetched {
		if !r.At.After(w) {
			out = append(out, r)
		}
	}
	if waiting {
		d.done = w
	}
	slices.SortStableFunc(out, func(a, b store.AgentResult) int { return a.At.Compare(b.At) })
	return out
}

// follow is what an instance without the lease does: it reads the states
// the holder wrote, for its own pages.
func (d *Decider) follow(ctx context.Context, specs map[string]monitor.Spec) error {
	if len(specs) == 0 {
		return nil
	}
	rows, err := d.o.Store.Monitors(ctx)
	if err != nil {
		return err
	}
	next := map[string]MonitorState{}
	moved := false
	prev := d.States()
	for _, r := range rows {
		if sp, ok := specs[r.ID]; ok {
			st := r.Detector.State
			if st == "" {
				st = status.MonitorUnknown
			}
			next[r.ID] = MonitorState{ComponentID: sp.ComponentID, State: st, Since: r.Detector.Since}
			moved = moved || prev[r.ID].State != st
		}
	}
	d.published.Store(&next)
	if moved && d.o.OnChange != nil {
		d.o.OnChange()
	}
	return nil
}

func (d *Decider) publish(specs map[string]monitor.Spec) {
	next := make(map[string]MonitorState, len(specs))
	for id, sp := range specs {
		st := status.MonitorUnknown
		var since time.Time
		if m, ok := d.mons[id]; ok && m.row.Detector.State != "" {
			st, since = m.row.Detector.State, m.row.Detector.Since
		}
		next[id] = MonitorState{ComponentID: sp.ComponentID, State: st, Since: since}
	}
	d.published.Store(&next)
}

// shortest is the shortest interval of the monitors assigned to location.
func shortest(specs map[string]monitor.Spec, location string) time.Duration {
	var s time.Duration
	for _, sp := range specs {
		if slices.Contains(sp.Monitor.Locations, location) {
			iv := sp.Monitor.Interval.D()
			if iv <= 0 {
				iv = 30 * time.Second
			}
			if s == 0 || iv < s {
				s = iv
			}
		}
	}
	return s
}

func (d *Decider) decide(ctx context.Context, q *store.Queries, specs map[string]monitor.Spec, results []store.AgentResult, agents []store.Agent, now time.Time) error {
	touched := map[locKey]bool{}
	ids := make([]int64, 0, len(results))
	for _, r := range results {
		ids = append(ids, r.ID)
		if IsReference(r.MonitorID) {
			if err := d.reference(ctx, q, specs, r, touched, now); err != nil {
				return err
			}
			continue
		}
		sp, ok := specs[r.MonitorID]
		if !ok || !slices.Contains(sp.Monitor.Locations, r.Location) {
			continue // no longer assigned there: kept, decides nothing
		}
		// Failures of this monitor that count by now do so before this check.
		if err := d.confirm(ctx, q, specs, sp.ID, r.At, now); err != nil {
			return err
		}
		ls := d.record(r, touched)
		m := d.mon(sp)
		if r.At.After(m.row.LastCheckAt) {
			// A monitor that stays up has its row written at most once a
			// minute, as the engine does; any other news at once.
			if r.Level != status.LevelUp || m.row.LastLevel != r.Level || r.At.Sub(m.written) >= time.Minute {
				m.dirty = true
			}
			m.row.LastCheckAt, m.row.LastLevel, m.row.LastMessage, m.row.LastLatency = r.At, r.Level, r.Message, r.Latency
		}
		tr, moved := ls.Detector.Observe(r.Level, r.At, sp.Monitor.DownAfter, sp.Monitor.UpAfter)
		if !moved {
			continue
		}
		if err := d.locationMoved(ctx, q, sp, r.Location, tr, r.Message); err != nil {
			return err
		}
		if tr.Opens() {
			// It counts (and is told) once the location is known sound.
			from, _ := d.countsFrom(sp.ID, r.Location, tr.At)
			d.wait(sp.ID, r.Location, from.Add(d.net.settle[r.Location]))
		}
		// The measured moment: a restoration ends at the first success of
		// the run that restored it, not at the check that crossed up_after.
		if err := d.evaluate(ctx, q, sp, tr.At, r.Location+": "+r.Message, now); err != nil {
			return err
		}
		if tr.Opens() {
			// Its references may have answered since it began.
			if err := d.confirm(ctx, q, specs, sp.ID, r.At, now); err != nil {
				return err
			}
		}
		d.recount(sp)
		if err := d.classify(ctx, q, specs, r.At, now); err != nil {
			return err
		}
	}
	if err := d.silence(ctx, q, specs, agents, now); err != nil {
		return err
	}
	// After silence: a place counted in again has its failures that are
	// due by now count in this pass, not the next.
	if err := d.confirm(ctx, q, specs, "", d.done, now); err != nil {
		return err
	}
	var states []store.LocationState
	for k := range touched {
		states = append(states, *d.locs[k])
	}
	if err := q.SaveLocationStates(ctx, states); err != nil {
		return err
	}
	var rows []store.Monitor
	for _, m := range d.mons {
		if m.dirty {
			rows = append(rows, m.row)
		}
	}
	if err := q.SaveChecks(ctx, nil, rows, now); err != nil {
		return err
	}
	for _, m := range d.mons {
		if m.dirty {
			m.written = m.row.LastCheckAt
		}
		m.dirty = false
	}
	return q.MarkAgentResultsDecided(ctx, ids)
}

func (d *Decider) mon(sp monitor.Spec) *located {
	m := d.mons[sp.ID]
	if m == nil {
		m = &located{row: store.Monitor{ID: sp.ID, ComponentID: sp.ComponentID, Kind: sp.Monitor.Type, Target: sp.Target()}}
		d.mons[sp.ID] = m
	}
	return m
}

// locationMoved keeps the location's interval of trouble: the timeline
// ("unreachable from fra-1 from 9:48:10") and the note of path trouble.
func (d *Decider) locationMoved(ctx context.Context, q *store.Queries, sp monitor.Spec, location string, tr status.Transition, msg string) error {
	k := locKey{sp.ID, location}
	li := d.intervals[k]
	switch {
	case tr.Opens():
		li = &store.LocationInterval{MonitorID: sp.ID, ComponentID: sp.ComponentID, Location: location, Severity: tr.To, StartedAt: tr.At, Cause: msg}
		d.intervals[k] = li
		d.changed = true // the pages show it, though no monitor state may move
		return q.InsertLocationInterval(ctx, li)
	case tr.Closes() && li != nil:
		li.EndedAt = tr.At
		d.changed = true
		return q.UpdateLocationInterval(ctx, li)
	case li != nil && tr.To == status.MonitorDown && li.Severity != status.MonitorDown:
		li.Severity = status.MonitorDown
		d.changed = true
		return q.UpdateLocationInterval(ctx, li)
	}
	return nil
}

// reporting reports whether location counts: its agent is not silent.
func (d *Decider) reporting(location string) bool { return d.silent[location].IsZero() }

// evaluate applies the quorum to sp's locations; at is when what triggered
// it happened (the check, or the moment an agent was counted out).
func (d *Decider) evaluate(ctx context.Context, q *store.Queries, sp monitor.Spec, at time.Time, cause string, now time.Time) error {
	views := make([]monitor.LocationView, 0, len(sp.Monitor.Locations))
	for _, l := range sp.Monitor.Locations {
		lv := monitor.LocationView{Location: l, State: status.MonitorUnknown, Reporting: d.credible(l)}
		if ls := d.locs[locKey{sp.ID, l}]; ls != nil && ls.Detector.State != "" {
			lv.State, lv.Since = ls.Detector.State, ls.Detector.Since
			// A failing location counts from the start of its interval
			// (the first failed check of its run), whatever worsened since,
			// once the location is known sound (network.go).
			if li := d.intervals[locKey{sp.ID, l}]; li != nil && lv.State.Bad() {
				if from, counts := d.countsFrom(sp.ID, l, li.StartedAt); counts {
					lv.Since = from
				} else {
					lv.State = status.MonitorUp // its word as before, until the failure counts
				}
			}
		}
		views = append(views, lv)
	}
	v := monitor.Decide(sp.Monitor.Quorum, views)
	if v.State.Bad() {
		v.At = d.afterLeaving(sp, views, v)
	}
	m := d.mon(sp)
	from := m.row.Detector.State
	if from == "" {
		from = status.MonitorUnknown
	}
	if from == v.State {
		return nil
	}
	when := at
	if v.State.Bad() {
		when = v.At
		// A quorum lost and regained at once: one place recovered just as
		// another, whose failing run began before, reached its threshold.
		// Outages do not overlap: the next starts where the last ended.
		if !from.Bad() && when.Before(m.ended) {
			when = m.ended
		}
	}
	m.row.Detector = status.Detector{State: v.State, Since: when}
	m.dirty, d.changed = true, true
	// Outages are written as they change: one pass may close one and open the next.
	switch {
	case !from.Bad() && v.State.Bad():
		m.outage = &store.Outage{ComponentID: sp.ComponentID, MonitorID: sp.ID, Severity: v.State, StartedAt: when,
			Cause: cause, DetectedAt: now}
		if err := q.InsertOutage(ctx, m.outage); err != nil {
			return err
		}
	case from.Bad() && !v.State.Bad() && m.outage != nil:
		// Ends at the first success of the run that restored the quorum,
		// or when the last reporting location fell silent (then unknown:
		// not counted either way from here).
		m.outage.EndedAt = when
		if m.outage.EndedAt.Before(m.outage.StartedAt) {
			m.outage.EndedAt = m.outage.StartedAt
		}
		if err := q.MeasureOutage(ctx, m.outage); err != nil {
			return err
		}
		m.outage, m.ended = nil, m.outage.EndedAt
	case v.State == status.MonitorDown && m.outage != nil && m.outage.Severity != status.MonitorDown:
		m.outage.Severity = status.MonitorDown
		if err := q.MeasureOutage(ctx, m.outage); err != nil {
			return err
		}
	}
	d.o.Log.Info("located monitor state changed", slog.String("monitor", sp.ID), slog.String("from", string(from)),
		slog.String("to", string(v.State)), slog.Time("at", when), slog.Int("bad", v.Bad), slog.Int("reporting", v.Reporting), slog.Int("need", v.Need))
	return nil
}

// pathAlert tells the operators of a failure seen from fewer locations than
// the quorum: a note, not an outage.
func (d *Decider) pathAlert(ctx context.Context, q *store.Queries, sp monitor.Spec, location string, tr status.Transition, msg string) error {
	fine := 0
	for _, l := range sp.Monitor.Locations {
		if ls := d.locs[locKey{sp.ID, l}]; l != location && d.credible(l) && ls != nil && ls.Detector.State == status.MonitorUp {
			fine++
		}
	}
	word := "unreachable"
	if tr.To == status.MonitorDegraded {
		word = "degraded"
	}
	title := fmt.Sprintf("%s %s from %s", sp.ID, word, location)
	body := fmt.Sprintf("%s is %s from %s since %s (%s); %d of %d locations fine. Below the quorum (%s): no outage, no incident.",
		sp.ID, word, location, d.clock(tr.At), msg, fine, len(sp.Monitor.Locations), quorumWord(sp.Monitor.Quorum))
	return d.alert(ctx, q, fmt.Sprintf("path:%s:%s:%d", sp.ID, location, tr.At.UnixMilli()), title, body, []string{sp.ComponentID})
}

func quorumWord(q string) string {
	if q == "" {
		return config.QuorumMajority
	}
	return q
}

func (d *Decider) clock(t time.Time) string {
	return t.In(d.o.Config().Location()).Format("3:04:05 PM MST")
}

func (d *Decider) alert(ctx context.Context, q *store.Queries, key, title, body string, comps []string) error {
	d.o.Log.Warn("agents: operator alert", slog.String("title", title), slog.String("body", body))
	if d.o.Alerts == nil {
		return nil
	}
	return d.o.Alerts.AlertOperators(ctx, q, key, title, body, comps)
}

// silence counts out an agent heard from for no longer than twice its
// shortest interval, and back in once it reports again.
func (d *Decider) silence(ctx context.Context, q *store.Queries, specs map[string]monitor.Spec, agents []store.Agent, now time.Time) error {
	for _, a := range agents {
		short := shortest(specs, a.Location)
		if short == 0 {
			continue
		}
		// An instance that just took over (or started after being down)
		// gives every agent its own two intervals to get through.
		heard := a.LastSeenAt
		if heard.Before(d.heldSince) {
			heard = d.heldSince
		}
		quiet := now.Sub(heard) > 2*short
		was := !d.silent[a.Location].IsZero()
		if was && !quiet && !d.caughtUp(specs, a.Location) {
			// Back, but not yet caught up: its detectors are as they were
			// when it fell silent. Counted in, such a stale failure would
			// make a quorum of moments long past.
			continue
		}
		if quiet == was {
			continue
		}
		var title, body string
		if quiet {
			d.silent[a.Location] = now
			title = fmt.Sprintf("agent %s is silent", a.Location)
			body = fmt.Sprintf("Nothing heard from the agent at %s since %s (more than twice its shortest interval, %s). Its location leaves the quorum's count until it reports again.",
				a.Location, d.clock(a.LastSeenAt), short)
		} else {
			delete(d.silent, a.Location)
			title = fmt.Sprintf("agent %s reports again", a.Location)
			body = fmt.Sprintf("The agent at %s reports again (last contact %s); its location counts again.", a.Location, d.clock(a.LastSeenAt))
		}
		if err := q.SetAgentSilent(ctx, a.Location, d.silent[a.Location]); err != nil {
			return err
		}
		kind := map[bool]string{true: "silent", false: "back"}[quiet]
		if err := d.alert(ctx, q, fmt.Sprintf("agent-%s:%s:%d", kind, a.Location, now.UnixMilli()), title, body, nil); err != nil {
			return err
		}
		var ids []string
		for id, sp := range specs {
			if slices.Contains(sp.Monitor.Locations, a.Location) {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		for _, id := range ids {
			if err := d.evaluate(ctx, q, specs[id], now, "agent "+a.Location+" "+kind, now); err != nil {
				return err
			}
		}
		d.recountAll(specs) // its word left (or joined) the others' counts
		if err := d.classify(ctx, q, specs, now, now); err != nil {
			return err
		}
	}
	return nil
}

// caughtUp reports whether location, heard from again after it was counted
// out, has caught up: its checks have reached the others' (when others
// report), and of each monitor and reference target it checks, the latest
// check it reported was made after it was counted out. Until then a
// detector of it may still say what the location saw before its silence (a
// buffer still being sent, or an agent restarted that has not checked
// everything yet), and counting that in would make, or end, an outage at a
// moment the location said nothing about. A check it has never reported
// holds nothing stale.
func (d *Decider) caughtUp(specs map[string]monitor.Spec, location string) bool {
	if d.frontier[location].Before(d.done) {
		return false
	}
	since := d.silent[location]
	stale := func(id string) bool {
		ls := d.locs[locKey{id, location}]
		return ls != nil && !ls.LastCheckAt.IsZero() && ls.LastCheckAt.Before(since)
	}
	for id, sp := range specs {
		if slices.Contains(sp.Monitor.Locations, location) && stale(id) {
			return false
		}
	}
	return !slices.ContainsFunc(d.net.refs[location], stale)
}

// record notes r as its location's latest check of its monitor (or
// reference target) and marks the state to be written.
func (d *Decider) record(r store.AgentResult, touched map[locKey]bool) *store.LocationState {
	k := locKey{r.MonitorID, r.Location}
	ls := d.locs[k]
	if ls == nil {
		ls = &store.LocationState{MonitorID: r.MonitorID, Location: r.Location}
		d.locs[k] = ls
	}
	touched[k] = true
	ls.LastCheckAt, ls.LastLevel, ls.LastMessage = r.At, r.Level, r.Message
	return ls
}

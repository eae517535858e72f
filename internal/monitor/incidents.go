package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/lease"
	"github.com/heraldhq/herald/internal/prose"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

// actor is who the change log names for what monitors open and resolve.
const actor = "herald (monitors)"

// Reactor is the decision pipeline's owner: it turns measured outages into
// incidents, restorations and resolutions, and through the service's change
// hooks into the notices queued for subscribers.
//
// Who writes what. The engine's writer is the only party that writes what
// was measured about an outage (its start, severity and end); the reactor is
// the only party that writes what was decided about it (maintenance, ignored,
// or the incident it belongs to), and it does so by compare-and-set on the
// decision it read (store.DecideOutage), never by saving a copy of the row.
// So a recovery measured while a pass was deciding cannot be overwritten, and
// two deciders (or one working from a stale read) cannot both decide: the
// loser's transaction rolls back. With several instances on one database,
// one of them holds the reactor at a time; the compare-and-set keeps even an
// overlap of two holders from doubling a decision.
//
// One pass, one transaction. A pass reads the undecided outages and the open
// automatic incidents inside a transaction and makes every decision it calls
// for in that same transaction: an incident opened together with the
// outages attached to it and the notices queued for it, a restoration posted
// together with its components turned operational. A crash or a failed read
// or write anywhere ends the pass with nothing written, and the next pass
// (one second later, or at the next measurement) decides again from the
// records. A failed read never leads to a decision.
//
// The rules:
//   - an outage that starts inside a maintenance window on its component is
//     maintenance downtime and raises no incident (unless it outlasts the
//     window, and then only from the window's end);
//   - with incidents.auto off, outages are recorded and nothing is opened;
//   - an outage joins the open network incident, or an open automatic
//     incident of its server;
//   - otherwise it is held for incidents.hold after its detection (by
//     default the longest monitor interval plus its timeout: the time within
//     which every server failing together is detected); if meanwhile most
//     servers have gone down within incidents.network_window of each other,
//     one network incident tells the story from its first update, naming
//     every server down; else, at the end of the hold, the server's own
//     incident opens. Nobody is told anything about an outage while it is
//     held, so no incident is ever told and then folded into another;
//   - when a server in a network incident comes back, its components return
//     to operational and an update says so ("We restored service to all
//     servers except flexo at 2:59 AM");
//   - an incident whose outages have all ended is resolved with the measured
//     times, saying what was not affected, and linked to an earlier incident
//     of the same component within a week.
type Reactor struct {
	svc   *service.Service
	st    *store.Store
	cfg   func() config.Config
	log   *slog.Logger
	wake  chan struct{}
	speed atomic.Int64
	// due is the clock time (Unix ns) at which a held outage's hold ends,
	// or 0: Run makes a pass then.
	due atomic.Int64
	// lease, when set, is held by the one instance that decides.
	lease *lease.Keeper
}

// SetLease makes the reactor decide only while this instance holds k (set
// before Run): with several instances on one database, one decides.
func (r *Reactor) SetLease(k *lease.Keeper) { r.lease = k }

// NewReactor makes a reactor; call Run.
func NewReactor(svc *service.Service, st *store.Store, cfg func() config.Config, log *slog.Logger) *Reactor {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Reactor{svc: svc, st: st, cfg: cfg, log: log, wake: make(chan struct{}, 1)}
	r.speed.Store(1)
	return r
}

// SetSpeed says how many times faster than the wall clock the service's clock
// runs (the demo's), so holds end on time.
func (r *Reactor) SetSpeed(speed int) {
	if speed < 1 {
		speed = 1
	}
	r.speed.Store(int64(speed))
}

// Wake asks for a pass soon; many calls coalesce.
func (r *Reactor) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// reactEvery bounds the time between passes, so windows that end and
// network windows that close are noticed without an outage event; a pass
// that failed is retried after retryEvery.
const (
	reactEvery = 5 * time.Second
	retryEvery = time.Second
)

// Run makes passes when woken, when a hold ends and every few seconds until
// ctx ends; with a lease, only while it holds it, and it releases it on the way out.
func (r *Reactor) Run(ctx context.Context) {
	t := time.NewTimer(reactEvery)
	defer t.Stop()
	if r.lease != nil {
		defer func() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			if err := r.lease.Release(rctx); err != nil {
				r.log.Warn("release the decisions lease", slog.Any("err", err))
			}
		}()
	}
	for {
		wait := reactEvery
		if held, err := r.holds(ctx); err != nil || !held {
			if err != nil && ctx.Err() == nil {
				r.log.Error("automatic incidents: cannot read the decisions lease; retrying", slog.Any("err", err))
			}
			wait = retryEvery
		} else if err := r.Pass(ctx); err != nil && ctx.Err() == nil {
			r.log.Error("automatic incidents: pass failed, nothing decided; retrying", slog.Any("err", err))
			wait = retryEvery
		}
		if due := r.due.Load(); due != 0 {
			d := time.Duration(due-r.svc.Now().UnixNano()) / time.Duration(r.speed.Load())
			wait = max(min(wait, d+time.Millisecond), 0)
		}
		t.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
			if !t.Stop() {
				select {
				case <-t.C:
				default:
				}
			}
		case <-t.C:
		}
	}
}

// world is what one pass knows.
type world struct {
	q       *store.Queries
	now     time.Time
	cfg     config.Config
	hold    time.Duration
	page    prose.Page
	cat     *service.Catalog
	windows []status.Maintenance
	// open automatic incidents, and the outages attached to each.
	incidents map[int64]*status.Incident
	attached  map[int64][]store.Outage
	// joined are outages that joined an incident in this pass on a component new to it.
	joined map[int64][]store.Outage
	// decided are the outages decided in this pass.
	decided map[int64]bool
	// groupsWithMonitors lists monitored servers in page order.
	groupsWithMonitors []string
	// due is the earliest end of a hold still running.
	due time.Time
	// dep is what the pass knows of declared dependencies (depends.go).
	dep depState
}

func (w *world) groupOf(componentID string) string {
	if c, ok := w.cat.Component(componentID); ok {
		return c.GroupID
	}
	return ""
}

func (w *world) groupName(id string) string {
	for _, g := range w.cat.Groups {
		if g.ID == id {
			return g.Name
		}
	}
	return id
}

func (w *world) service(componentID string) string {
	c, ok := w.cat.Component(componentID)
	if !ok {
		return componentID
	}
	local := componentID[strings.LastIndexByte(componentID, '/')+1:]
	return prose.ServiceNoun(local, c.Name)
}

// groupsOf lists the servers an incident's outages touch, in page order.
func (w *world) groupsOf(id int64) []string {
	var out []string
	for _, g := range w.groupsWithMonitors {
		if slices.ContainsFunc(w.attached[id], func(o store.Outage) bool { return w.groupOf(o.ComponentID) == g }) {
			out = append(out, g)
		}
	}
	return out
}

func (w *world) isNetwork(id int64) bool {
	return len(w.groupsOf(id)) > 1
}

// spansServers reports whether outages touch more than one server.
func spansServers(w *world, outs []store.Outage) bool {
	for _, o := range outs {
		if w.groupOf(o.ComponentID) != w.groupOf(outs[0].ComponentID) {
			return true
		}
	}
	return false
}

func (r *Reactor) holds(ctx context.Context) (bool, error) {
	if r.lease == nil {
		return true, nil
	}
	return r.lease.Hold(ctx)
}

// Pass makes one round of decisions, all in one transaction (which, with a
// lease, first checks that this instance still holds it).
func (r *Reactor) Pass(ctx context.Context) error {
	return r.st.TxContext(ctx, func(ctx context.Context, q *store.Queries) error {
		if r.lease != nil {
			if err := r.lease.Check(ctx, q); err != nil {
				return err
			}
		}
		return r.pass(ctx, q)
	})
}

func (r *Reactor) pass(ctx context.Context, q *store.Queries) error {
	undecided, err := q.Outages(ctx, store.OutageFilter{Undecided: true})
	if err != nil {
		return err
	}
	open, err := q.Outages(ctx, store.OutageFilter{Open: true})
	if err != nil {
		return err
	}
	w, err := r.look(ctx, q)
	if err != nil {
		return err
	}
	inWindow := slices.ContainsFunc(open, func(o store.Outage) bool {
		return o.Decision == store.DecisionMaintenance || o.Decision == store.DecisionDependency
	})
	if len(undecided) == 0 && len(w.incidents) == 0 && !inWindow {
		r.due.Store(0)
		return nil // nothing to decide or resolve: the usual pass, kept cheap
	}
	if w.windows, err = q.Maintenances(ctx, store.MaintenanceFilter{}); err != nil {
		return err
	}
	undecided = append(undecided, w.overruns(open)...)
	overruns, err := w.dependencyOverruns(ctx, open)
	if err != nil {
		return err
	}
	undecided = append(undecided, overruns...)
	uncovered, err := r.uncoveredDependents(ctx, w)
	if err != nil {
		return err
	}
	undecided = append(undecided, uncovered...)
	sort.SliceStable(undecided, func(i, j int) bool { return w.start(&undecided[i]).Before(w.start(&undecided[j])) })
	// An outage waiting for its parent's decision is looked at again once
	// an outage was decided (the parent may have been, later in the order).
	for sweep := 0; sweep < 8; sweep++ {
		decided := len(w.decided)
		w.dep.waiting = false
		for i := range undecided {
			if w.decided[undecided[i].ID] {
				continue
			}
			if err := r.decide(ctx, w, undecided, i); err != nil {
				return fmt.Errorf("outage %d: %w", undecided[i].ID, err)
			}
		}
		if !w.dep.waiting || len(w.decided) == decided {
			break
		}
	}
	if err := r.announce(ctx, w); err != nil {
		return err
	}
	if err := r.listDependents(ctx, w); err != nil {
		return err
	}
	if err := r.linkDependents(ctx, w); err != nil {
		return err
	}
	for _, id := range slices.Sorted(maps.Keys(w.incidents)) {
		if err := r.backdate(ctx, w, id); err != nil {
			return fmt.Errorf("start of incident %d: %w", id, err)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(w.incidents)) {
		if err := r.restore(ctx, w, id); err != nil {
			return fmt.Errorf("restorations of incident %d: %w", id, err)
		}
		if err := r.restoreDependents(ctx, w, id); err != nil {
			return fmt.Errorf("dependents of incident %d: %w", id, err)
		}
		if err := r.maybeResolve(ctx, w, id); err != nil {
			return fmt.Errorf("resolve incident %d: %w", id, err)
		}
	}
	if w.due.IsZero() {
		r.due.Store(0)
	} else {
		r.due.Store(w.due.UnixNano())
	}
	return nil
}

func (r *Reactor) look(ctx context.Context, q *store.Queries) (*world, error) {
	cfg := r.cfg()
	loc := cfg.Location()
	now := r.svc.Now()
	w := &world{q: q, now: now, cfg: cfg, hold: cfg.HoldFor(), cat: r.svc.Catalog(),
		page:      prose.Page{Loc: loc, Zone: config.ZoneName(loc), Now: now, Lang: cfg.Page.Lang()},
		incidents: map[int64]*status.Incident{}, attached: map[int64][]store.Outage{}, joined: map[int64][]store.Outage{},
		decided: map[int64]bool{},
		dep: depState{listing: map[int64][]covered{}, listed: map[int64][]store.Outage{}, was: map[int64]store.Outage{},
			newsAt: map[int64]time.Time{}}}
	for _, state := range []string{"open", "draft"} {
		list, err := q.Incidents(ctx, store.IncidentFilter{State: state})
		if err != nil {
			return nil, err
		}
		for i := range list {
			in := list[i]
			if in.Auto && in.Status != status.Resolved {
				w.incidents[in.ID] = &in
			}
		}
	}
	for id := range w.incidents {
		outs, err := q.Outages(ctx, store.OutageFilter{IncidentID: id})
		if err != nil {
			return nil, err
		}
		// Outages told because a parent was down point at the incident
		// but are not its own: they neither keep it open nor widen it.
		for _, o := range outs {
			if isDependency(o) {
				w.dep.listed[id] = append(w.dep.listed[id], o)
			}
		}
		w.attached[id] = slices.DeleteFunc(outs, isDependency)
	}
	for _, g := range cfg.Groups {
		if slices.ContainsFunc(g.Components, func(c config.Component) bool { return len(c.Monitors) > 0 }) {
			w.groupsWithMonitors = append(w.groupsWithMonitors, g.ID)
		}
	}
	return w, nil
}

// windowAt finds a maintenance window on the component that covers t, by
// the one rule of what a window covers (status.Maintenance.Covers), which
// the page's status derivation follows too.
func (w *world) windowAt(componentID string, t time.Time) *status.Maintenance {
	for i := range w.windows {
		if w.windows[i].Covers(componentID, t) {
			return &w.windows[i]
		}
	}
	return nil
}

// windowEnd is when the window o was counted in ends, or ended (its Span);
// ok is false when that window is gone or was cancelled before it ran.
func (w *world) windowEnd(o *store.Outage) (time.Time, bool) {
	for i := range w.windows {
		if m := &w.windows[i]; m.ID == o.MaintenanceID {
			_, end, ok := m.Span()
			return end, ok
		}
	}
	return time.Time{}, false
}

// overruns are outages counted as maintenance whose window is over while
// they last: from the window's end they are news. They are returned as
// undecided, with the decision stored still in was (see decideAs).
func (w *world) overruns(open []store.Outage) []store.Outage {
	var out []store.Outage
	for _, o := range open {
		if o.Decision != store.DecisionMaintenance {
			continue
		}
		if end, ok := w.windowEnd(&o); !ok || !w.now.Before(end) {
			o.Decision = store.DecisionNone
			out = append(out, o)
		}
	}
	return out
}

// start is when an outage became news: its measured start, or the end of the
// maintenance window it outlasted.
func (w *world) start(o *store.Outage) time.Time {
	if o.MaintenanceID != 0 {
		if end, ok := w.windowEnd(o); ok && end.After(o.StartedAt) && !w.now.Before(end) {
			return end
		}
	}
	return o.StartedAt
}

// detected is when Herald knew an outage was news: its detection, or the end
// of the maintenance window it outlasted.
func (w *world) detected(o *store.Outage) time.Time {
	d := o.DetectedAt
	if s := w.start(o); s.After(d) {
		d = s
	}
	if t := w.dep.newsAt[o.ID]; t.After(d) {
		d = t // outlasted its parent's incident: news from its end
	}
	return d
}

// decideAs stores a decision on o, by compare-and-set on what was stored:
// an outage coming back from a completed window was stored as maintenance.
func (w *world) decideAs(ctx context.Context, o *store.Outage) error {
	was := *o
	was.Decision, was.IncidentID = store.DecisionNone, 0
	if o.MaintenanceID != 0 && o.Decision != store.DecisionMaintenance {
		// An overrun: stored as maintenance of its window until now.
		was.Decision = store.DecisionMaintenance
	}
	if o.Decision == store.DecisionMaintenance {
		was.MaintenanceID = 0
	}
	if prev, ok := w.dep.was[o.ID]; ok {
		// Covered by a parent's incident, now over.
		was.Decision, was.IncidentID = prev.Decision, prev.IncidentID
	}
	w.decided[o.ID] = true
	return w.q.DecideOutage(ctx, o, was)
}

// decide decides undecided[i], or holds it.
func (r *Reactor) decide(ctx context.Context, w *world, undecided []store.Outage, i int) error {
	o := &undecided[i]
	if o.MaintenanceID == 0 {
		if m := w.windowAt(o.ComponentID, o.StartedAt); m != nil {
			o.Decision, o.MaintenanceID = store.DecisionMaintenance, m.ID
			r.log.Info("outage inside maintenance: no incident", slog.Int64("outage", o.ID), slog.String("component", o.ComponentID),
				slog.Int64("maintenance", m.ID))
			return w.decideAs(ctx, o)
		}
	}
	if w.cfg.Incidents.Auto == config.AutoOff {
		o.Decision = store.DecisionIgnored
		return w.decideAs(ctx, o)
	}
	if done, err := r.dependent(ctx, w, o); done || err != nil {
		return err
	}
	group := w.groupOf(o.ComponentID)
	// Join the open network incident, or the open incident of the same server.
	for _, id := range slices.Sorted(maps.Keys(w.incidents)) {
		if w.isNetwork(id) {
			return r.join(ctx, w, id, o)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(w.incidents)) {
		if slices.Contains(w.groupsOf(id), group) {
			return r.join(ctx, w, id, o)
		}
	}
	troubled, err := r.troubled(ctx, w, o)
	if err != nil {
		return err
	}
	until := w.detected(o).Add(w.hold)
	if troubled == nil && !w.now.Before(until) {
		if until, err = r.awaitLocated(ctx, w, o, until); err != nil {
			return err
		}
	}
	if troubled != nil && (len(troubled) == len(w.groupsWithMonitors) || !w.now.Before(until)) {
		// Most servers are down: once all are, or the hold is over, the
		// network incident opens naming every server down by then.
		return r.openNetwork(ctx, w, undecided, i, troubled)
	}
	if w.now.Before(until) {
		// Held: nobody hears of it until we know whether it is alone.
		w.wakeAt(until)
		return nil
	}
	return r.openServer(ctx, w, o)
}

// awaitLocated is until, or later while a located monitor of another server
// has a place failing since near o's start (within the network window) that
// has not made an outage: the agents' decider counts a place's failure only
// once the place is known sound, up to its settle time after the failure
// began (config.LocationSettle), so the outages of located monitors failing
// with o may be decided well after o's own hold. Should they make most
// servers troubled, o is told as part of that network event from its first
// word. The wait ends once the failure made an outage (or ended), and at the
// latest the place's settle time and a hold after the failure began.
func (r *Reactor) awaitLocated(ctx context.Context, w *world, o *store.Outage, until time.Time) (time.Time, error) {
	window := w.cfg.Incidents.NetworkWindow.D()
	if window <= 0 || len(w.groupsWithMonitors) < 2 || !counts(o) {
		return until, nil
	}
	settle := w.cfg.LocationSettle()
	if len(settle) == 0 {
		return until, nil
	}
	ivs, err := w.q.LocationIntervals(ctx, true, "", time.Time{})
	if err != nil || len(ivs) == 0 {
		return until, err
	}
	start, group := w.start(o), w.groupOf(o.ComponentID)
	near, err := w.q.Outages(ctx, store.OutageFilter{Since: start.Add(-window)})
	if err != nil {
		return until, fmt.Errorf("outages near outage %d: %w", o.ID, err)
	}
	made := map[string]bool{} // monitors with an outage lasting near o
	for i := range near {
		made[near[i].MonitorID] = true
	}
	for _, li := range ivs {
		if li.Severity != status.MonitorDown || made[li.MonitorID] || w.groupOf(li.ComponentID) == group ||
			li.StartedAt.Before(start.Add(-window)) || li.StartedAt.After(start.Add(window)) {
			continue
		}
		if due := li.StartedAt.Add(settle[li.Location] + w.hold); due.After(until) {
			until = due
		}
	}
	return until, nil
}

// wakeAt asks for a pass at t.
func (w *world) wakeAt(t time.Time) {
	if w.due.IsZero() || t.Before(w.due) {
		w.due = t
	}
}

// counts reports whether an outage counts towards a network event (an
// outage covered by a down parent does not: see depends.go).
func counts(o *store.Outage) bool {
	return o.Severity == status.MonitorDown && o.Decision != store.DecisionMaintenance && o.Decision != store.DecisionIgnored &&
		!isDependency(*o)
}

func isDependency(o store.Outage) bool { return o.Decision == store.DecisionDependency }

// troubled returns the servers in trouble together with o's, when they are
// most of the monitored servers; nil otherwise.
func (r *Reactor) troubled(ctx context.Context, w *world, o *store.Outage) ([]string, error) {
	n := len(w.groupsWithMonitors)
	window := w.cfg.Incidents.NetworkWindow.D()
	if n < 2 || window <= 0 || !counts(o) {
		return nil, nil
	}
	start := w.start(o)
	near, err := w.q.Outages(ctx, store.OutageFilter{Since: start.Add(-window), Until: start.Add(window)})
	if err != nil {
		return nil, fmt.Errorf("outages near outage %d: %w", o.ID, err)
	}
	var groups []string
	for i := range near {
		x := &near[i]
		if x.ID == o.ID {
			x = o // as being decided (an overrun is stored with its old decision)
		}
		if !counts(x) || x.StartedAt.Before(start.Add(-window)) || w.windowAt(x.ComponentID, x.StartedAt) != nil {
			continue
		}
		if x.Decision == store.DecisionNone && x.ID != o.ID {
			if _, wait, ok, err := w.parentOf(ctx, x); err != nil {
				return nil, err
			} else if wait || ok {
				continue // its parent's trouble, not the network's
			}
		}
		if g := w.groupOf(x.ComponentID); g != "" && !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	if len(groups) >= 2 && len(groups)*2 > n {
		return groups, nil
	}
	return nil, nil
}

func componentStatus(o *store.Outage) status.ComponentStatus {
	if o.Severity == status.MonitorDegraded {
		return status.DegradedPerformance
	}
	return status.MajorOutage
}

func (w *world) proseOutage(o *store.Outage) prose.Outage {
	return prose.Outage{Server: w.groupName(w.groupOf(o.ComponentID)), Service: w.service(o.ComponentID),
		Start: w.start(o), End: o.EndedAt, Degraded: o.Severity == status.MonitorDegraded}
}

func (r *Reactor) openServer(ctx context.Context, w *world, o *store.Outage) error {
	text, err := prose.InvestigatingIn(w.proseOutage(o), w.page.Lang)
	if err != nil {
		return err
	}
	in, err := r.svc.OpenIncident(ctx, actor, service.NewIncident{Title: text.Title, Status: status.Investigating,
		Body: text.Body, Components: map[string]status.ComponentStatus{o.ComponentID: componentStatus(o)},
		StartedAt: w.start(o), Draft: w.cfg.Incidents.Auto == config.AutoDraft, Auto: true})
	if err != nil {
		return err
	}
	r.log.Info("incident opened from an outage", slog.Int64("incident", in.ID), slog.String("component", o.ComponentID),
		slog.Time("started_at", o.StartedAt), slog.Bool("draft", in.Draft))
	return r.attach(ctx, w, in, o)
}

func (r *Reactor) attach(ctx context.Context, w *world, in *status.Incident, o *store.Outage) error {
	o.Decision, o.IncidentID = store.DecisionIncident, in.ID
	if err := w.decideAs(ctx, o); err != nil {
		return err
	}
	w.incidents[in.ID] = in
	w.attached[in.ID] = append(w.attached[in.ID], *o)
	return nil
}

// join adds an outage to an open incident. Components new to the incident,
// or back in trouble after their restoration was told, are named there in one
// change at the end of the pass (see announce), so a network event going down
// server by server is not told component by component.
func (r *Reactor) join(ctx context.Context, w *world, id int64, o *store.Outage) error {
	if st, listed := w.incidents[id].ComponentStatusOf(o.ComponentID); !listed || st == status.Operational {
		w.joined[id] = append(w.joined[id], *o)
	}
	return r.attach(ctx, w, w.incidents[id], o)
}

// announce names, per incident, the components that joined it in this pass.
func (r *Reactor) announce(ctx context.Context, w *world) error {
	for _, id := range slices.Sorted(maps.Keys(w.joined)) {
		outs := w.joined[id]
		if _, open := w.incidents[id]; !open {
			continue
		}
		var told []prose.Outage
		comps := map[string]status.ComponentStatus{}
		for i := range outs {
			if _, seen := comps[outs[i].ComponentID]; seen {
				continue
			}
			comps[outs[i].ComponentID] = componentStatus(&outs[i])
			told = append(told, w.proseOutage(&outs[i]))
		}
		var in *status.Incident
		var err error
		if w.isNetwork(id) {
			// Its text already says most servers are down: name the
			// components; subscribers of the new ones hear of it now.
			if in, err = r.svc.SetIncidentComponents(ctx, actor, id, comps); err != nil {
				return err
			}
			// Most servers became all of them: the title says so.
			if ev, _ := w.networkEvent(id); len(ev.Unaffected) == 0 {
				if text, terr := prose.NetworkInvestigatingIn(ev, w.page.Lang); terr == nil && text.Title != in.Title {
					in, err = r.svc.EditIncident(ctx, actor, id, service.IncidentEdit{Title: &text.Title})
				}
			}
		} else {
			var body string
			if body, err = prose.AlsoAffectedIn(told, w.page.Lang); err != nil {
				return err
			}
			in, err = r.svc.PostIncidentUpdate(ctx, actor, id, service.IncidentUpdate{Body: body, Components: comps})
		}
		if err != nil {
			return err
		}
		w.incidents[id] = in
	}
	clear(w.joined)
	return nil
}

// backdate moves an incident's start back to its earliest outage's: an
// outage that began before the incident's first one, but was detected after
// it (a monitor with a longer interval or a higher down_after), joins it.
func (r *Reactor) backdate(ctx context.Context, w *world, id int64) error {
	in := w.incidents[id]
	earliest := in.StartedAt
	for i := range w.attached[id] {
		if s := w.start(&w.attached[id][i]); s.Before(earliest) {
			earliest = s
		}
	}
	if !earliest.Before(in.StartedAt) {
		return nil
	}
	in, err := r.svc.EditIncident(ctx, actor, id, service.IncidentEdit{StartedAt: &earliest})
	if err != nil {
		return err
	}
	w.incidents[id] = in
	return nil
}

// openNetwork tells a network-wide event as one incident whose first update
// names every server down: the held outages of the troubled servers are
// attached to it at once. An incident of one of those servers already
// published (its hold ended before most servers were down) becomes the
// network incident; no published incident is folded into another.
func (r *Reactor) openNetwork(ctx context.Context, w *world, undecided []store.Outage, i int, troubled []string) error {
	o := &undecided[i]
	window := w.cfg.Incidents.NetworkWindow.D()
	start := w.start(o)
	// The outages told from the first word: those undecided of the servers
	// in trouble, within the window, outside maintenance.
	var members []*store.Outage
	for j := range undecided {
		x := &undecided[j]
		if w.decided[x.ID] || !slices.Contains(troubled, w.groupOf(x.ComponentID)) {
			continue
		}
		if xs := w.start(x); xs.Before(start.Add(-window)) || xs.After(start.Add(window)) {
			continue
		}
		if x.MaintenanceID == 0 && w.windowAt(x.ComponentID, x.StartedAt) != nil {
			continue // decided as maintenance in its turn
		}
		members = append(members, x)
	}
	var existing int64
	for _, id := range slices.Sorted(maps.Keys(w.incidents)) {
		in := w.incidents[id]
		if !in.StartedAt.Before(start.Add(-window)) && slices.ContainsFunc(w.groupsOf(id), func(g string) bool { return slices.Contains(troubled, g) }) {
			existing = id
			break
		}
	}
	ev := prose.NetworkEvent{Start: start}
	for _, g := range w.groupsWithMonitors {
		if slices.Contains(troubled, g) {
			ev.Servers = append(ev.Servers, prose.Restoration{Server: w.groupName(g)})
		} else {
			ev.Unaffected = append(ev.Unaffected, w.groupName(g))
		}
	}
	for _, x := range members {
		if s := w.start(x); s.Before(ev.Start) {
			ev.Start = s
		}
	}
	if existing != 0 && w.incidents[existing].StartedAt.Before(ev.Start) {
		ev.Start = w.incidents[existing].StartedAt
	}
	told := make([]store.Outage, 0, len(members))
	for _, x := range members {
		told = append(told, *x)
	}
	var err error
	if ev.FromOutside, err = r.fromOutside(ctx, w, told); err != nil {
		return err
	}
	text, err := prose.NetworkInvestigatingIn(ev, w.page.Lang)
	if err != nil {
		return err
	}
	comps := map[string]status.ComponentStatus{}
	for _, x := range members {
		comps[x.ComponentID] = status.Worst(comps[x.ComponentID], componentStatus(x))
	}
	var in *status.Incident
	if existing == 0 {
		in, err = r.svc.OpenIncident(ctx, actor, service.NewIncident{Title: text.Title, Status: status.Investigating,
			Body: text.Body, Components: comps, StartedAt: ev.Start, Draft: w.cfg.Incidents.Auto == config.AutoDraft, Auto: true})
		if err != nil {
			return err
		}
		r.log.Info("network incident opened", slog.Int64("incident", in.ID), slog.Any("servers", troubled))
	} else {
		title := text.Title
		started := ev.Start
		if _, err = r.svc.EditIncident(ctx, actor, existing, service.IncidentEdit{Title: &title, StartedAt: &started}); err != nil {
			return err
		}
		if in, err = r.svc.PostIncidentUpdate(ctx, actor, existing, service.IncidentUpdate{Body: text.Body, Components: comps}); err != nil {
			return err
		}
		r.log.Info("server incident widened to a network incident", slog.Int64("incident", existing), slog.Any("servers", troubled))
	}
	for _, x := range members {
		if err := r.attach(ctx, w, in, x); err != nil {
			return err
		}
	}
	return nil
}

// restore tells, in an open network incident, the servers that came back
// since the last word: their components return to operational and an update
// gives the restoration so far. A server down again after its restoration
// was told is named in trouble again (see join). The last server's return
// is told by the resolution instead.
func (r *Reactor) restore(ctx context.Context, w *world, id int64) error {
	in, ok := w.incidents[id]
	if !ok || !w.isNetwork(id) {
		return nil
	}
	ev, back := w.networkEvent(id)
	if ev.Start.IsZero() {
		return nil
	}
	down := 0
	for _, s := range ev.Servers {
		if s.Restored.IsZero() {
			down++
		}
	}
	if down == 0 {
		return nil // maybeResolve tells it all
	}
	// Servers back since the last word are told once the first of them has
	// been back for the hold, so servers coming back together are told in
	// one update, in the order they came back; a server whose components the
	// incident already shows operational was told before.
	comps := map[string]status.ComponentStatus{}
	var first time.Time
	fresh := map[string]bool{}
	for _, g := range back {
		for _, o := range w.attached[id] {
			if w.groupOf(o.ComponentID) != g {
				continue
			}
			if st, _ := in.ComponentStatusOf(o.ComponentID); st != status.Operational {
				comps[o.ComponentID] = status.Operational
				fresh[w.groupName(g)] = true
				if first.IsZero() || o.EndedAt.Before(first) {
					first = o.EndedAt
				}
			}
		}
	}
	if len(comps) == 0 {
		return nil // nothing new since the last word
	}
	if until := first.Add(w.hold); w.now.Before(until) {
		w.wakeAt(until)
		return nil
	}
	for i := range ev.Servers {
		ev.Servers[i].Told = !ev.Servers[i].Restored.IsZero() && !fresh[ev.Servers[i].Server]
	}
	body, err := prose.NetworkRestored(ev, w.page)
	if err != nil {
		return err
	}
	if in, err = r.svc.PostIncidentUpdate(ctx, actor, id, service.IncidentUpdate{Body: body, Components: comps}); err != nil {
		return err
	}
	w.incidents[id] = in
	r.log.Info("restoration told", slog.Int64("incident", id), slog.Int("components", len(comps)))
	return nil
}

// networkEvent is a network incident's story so far: when it began, and per
// server in page order when it came back (zero while any of its outages in
// the incident lasts); back lists the servers whose outages have all ended.
func (w *world) networkEvent(id int64) (prose.NetworkEvent, []string) {
	outs := w.attached[id]
	ev := prose.NetworkEvent{}
	restored := map[string]time.Time{}
	lasting := map[string]bool{}
	for i := range outs {
		o := &outs[i]
		if s := w.start(o); ev.Start.IsZero() || s.Before(ev.Start) {
			ev.Start = s
		}
		g := w.groupOf(o.ComponentID)
		if o.EndedAt.IsZero() {
			lasting[g] = true
		} else if o.EndedAt.After(restored[g]) {
			restored[g] = o.EndedAt
		}
	}
	var back []string
	for _, g := range w.groupsWithMonitors {
		t, affected := restored[g]
		switch {
		case lasting[g]:
			ev.Servers = append(ev.Servers, prose.Restoration{Server: w.groupName(g)})
		case affected:
			ev.Servers = append(ev.Servers, prose.Restoration{Server: w.groupName(g), Restored: t})
			back = append(back, g)
		default:
			ev.Unaffected = append(ev.Unaffected, w.groupName(g))
		}
	}
	return ev, back
}

// maybeResolve resolves an automatic incident once every outage in it has ended.
func (r *Reactor) maybeResolve(ctx context.Context, w *world, id int64) error {
	outs := w.attached[id]
	if len(outs) == 0 {
		return nil
	}
	end := time.Time{}
	for _, o := range outs {
		if o.EndedAt.IsZero() {
			return nil
		}
		if o.EndedAt.After(end) {
			end = o.EndedAt
		}
	}
	var body string
	var po prose.Outage
	var first *status.Incident
	var err error
	if w.isNetwork(id) {
		ev, _ := w.networkEvent(id)
		if ev.FromOutside, err = r.fromOutside(ctx, w, outs); err != nil {
			return err
		}
		body, err = prose.NetworkResolved(ev, w.page)
	} else {
		body, po, first, err = r.serverText(ctx, w, id)
	}
	if err != nil {
		return err
	}
	if end.After(w.now) {
		end = w.now
	}
	if _, err := r.svc.ResolveIncident(ctx, actor, id, service.Resolution{Body: body, ResolvedAt: end}); err != nil {
		var conflict *service.ConflictError
		if errors.As(err, &conflict) {
			// Resolved by an operator in the meantime: their word stands.
			delete(w.incidents, id)
			return nil
		}
		return err
	}
	delete(w.incidents, id)
	r.log.Info("incident resolved from measured outages", slog.Int64("incident", id), slog.Time("resolved_at", end))
	if first == nil {
		return nil
	}
	// The problem happened again: say so on the first incident of the
	// chain, as the posts did, and link the two.
	again, err := prose.Recurrence(po, w.page)
	if err != nil || again == "" {
		return err
	}
	if _, err := r.svc.LinkIncidents(ctx, actor, first.ID, id); err != nil {
		return err
	}
	_, err = r.svc.PostIncidentUpdate(ctx, actor, first.ID, service.IncidentUpdate{Body: again})
	return err
}

// serverText drafts the resolution of one server's incident, and finds the
// first incident of the same component's outages within a week, if any.
func (r *Reactor) serverText(ctx context.Context, w *world, id int64) (string, prose.Outage, *status.Incident, error) {
	outs := w.attached[id]
	sort.Slice(outs, func(i, j int) bool { return outs[i].StartedAt.Before(outs[j].StartedAt) })
	first := outs[0]
	po := w.proseOutage(&first)
	po.Degraded = true
	affected := map[string]bool{}
	for _, o := range outs {
		if s := w.start(&o); s.Before(po.Start) {
			po.Start = s
		}
		if o.EndedAt.After(po.End) {
			po.End = o.EndedAt
		}
		if o.Severity == status.MonitorDown {
			po.Degraded = false
		}
		affected[o.ComponentID] = true
	}
	group := w.groupOf(first.ComponentID)
	for _, c := range w.cat.Active() {
		if c.GroupID == group && c.ID != first.ComponentID {
			po.Others = append(po.Others, prose.OtherService{Service: w.service(c.ID), Affected: affected[c.ID]})
		}
	}
	// Other servers down at the same time, outside maintenance.
	around, err := w.q.Outages(ctx, store.OutageFilter{Since: po.Start, Until: po.End})
	if err != nil {
		return "", po, nil, err
	}
	for _, x := range around {
		g := w.groupOf(x.ComponentID)
		if g == group || x.Decision == store.DecisionMaintenance {
			continue
		}
		if name := w.groupName(g); !slices.Contains(po.OtherServers, name) {
			po.OtherServers = append(po.OtherServers, name)
		}
	}
	// The same component's previous outage within a week, told in an incident.
	prev, err := w.q.Outages(ctx, store.OutageFilter{ComponentID: first.ComponentID, Since: po.Start.Add(-prose.RecurrenceWindow), Until: po.Start})
	if err != nil {
		return "", po, nil, err
	}
	var earliest *status.Incident
	for _, p := range prev {
		if p.IncidentID == 0 || p.IncidentID == id || isDependency(p) || p.EndedAt.IsZero() || p.EndedAt.After(po.Start) {
			continue
		}
		in, err := w.q.Incident(ctx, p.IncidentID)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted since
		}
		if err != nil {
			return "", po, nil, err
		}
		// A network-wide event is not this server's problem happening again.
		if mates, err := w.q.Outages(ctx, store.OutageFilter{IncidentID: p.IncidentID}); err != nil {
			return "", po, nil, err
		} else if spansServers(w, slices.DeleteFunc(mates, isDependency)) {
			continue
		}
		po.Earlier = append(po.Earlier, prose.Earlier{Start: w.start(&p), End: p.EndedAt, Title: in.Title})
		if earliest == nil || in.StartedAt.Before(earliest.StartedAt) {
			earliest = in
		}
	}
	body, err := prose.Resolved(po, w.page)
	return body, po, earliest, err
}

// fromOutside reports whether agents elsewhere saw the servers of outs fail:
// each server has an outage of a monitor with locations (decided by quorum)
// that every location counted saw failing during it (a location whose
// agent is silent, or has lost its own network, is not counted). Only then
// do the texts say "from the Internet"; a check from inside cannot tell.
func (r *Reactor) fromOutside(ctx context.Context, w *world, outs []store.Outage) (bool, error) {
	located := map[string]Spec{}
	for _, sp := range Specs(w.cfg) {
		if sp.Located() {
			located[sp.ID] = sp
		}
	}
	if len(located) == 0 || len(outs) == 0 {
		return false, nil
	}
	agents, err := w.q.Agents(ctx)
	if err != nil {
		return false, err
	}
	out := map[string]bool{}
	for _, a := range agents {
		out[a.Location] = !a.SilentSince.IsZero() || !a.NetworkLostSince.IsZero()
	}
	seen := map[string]bool{} // server -> seen failing from outside
	for i := range outs {
		o := &outs[i]
		g := w.groupOf(o.ComponentID)
		sp, ok := located[o.MonitorID]
		if _, has := seen[g]; !has {
			seen[g] = false
		}
		if !ok || seen[g] {
			continue
		}
		ivs, err := w.q.LocationIntervals(ctx, false, o.ComponentID, o.StartedAt)
		if err != nil {
			return false, err
		}
		end := o.EndedAt
		if end.IsZero() {
			end = w.now
		}
		failing := map[string]bool{}
		for _, li := range ivs {
			if li.MonitorID == o.MonitorID && li.StartedAt.Before(end) {
				failing[li.Location] = true
			}
		}
		counted, all := 0, true
		for _, l := range sp.Monitor.Locations {
			if out[l] {
				continue
			}
			counted++
			all = all && failing[l]
		}
		seen[g] = counted > 0 && all
	}
	for _, ok := range seen {
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

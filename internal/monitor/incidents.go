package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/prose"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

// actor is who the change log names for what monitors open and resolve.
const actor = "herald (monitors)"

// Reactor turns measured outages into incidents. It is level-triggered: each
// pass reads the outages Herald has not decided on yet and the automatic
// incidents still open, and does what they call for, recording each decision
// on the outage. A crash between an outage and its incident therefore costs
// nothing: the next pass picks the outage up.
//
// The rules:
//   - an outage that starts inside a maintenance window on its component is
//     maintenance downtime and raises no incident (unless it outlasts the
//     window, and then only from the window's end);
//   - with incidents.auto off, outages are recorded and nothing is opened;
//   - an outage joins an open automatic incident of its server, or the open
//     network incident;
//   - when most servers go down within incidents.network_window of each
//     other, one network incident tells the story instead of one per server;
//   - an incident whose outages have all ended is resolved with the measured
//     times, saying what was not affected, and linked to an earlier incident
//     of the same component within a week.
type Reactor struct {
	svc  *service.Service
	st   *store.Store
	cfg  func() config.Config
	log  *slog.Logger
	wake chan struct{}
}

// NewReactor makes a reactor; call Run.
func NewReactor(svc *service.Service, st *store.Store, cfg func() config.Config, log *slog.Logger) *Reactor {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Reactor{svc: svc, st: st, cfg: cfg, log: log, wake: make(chan struct{}, 1)}
}

// Wake asks for a pass soon; many calls coalesce.
func (r *Reactor) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// reactEvery bounds the time between passes, so windows that end and
// network windows that close are noticed without an outage event.
const reactEvery = 5 * time.Second

// Run makes passes when woken and every few seconds until ctx ends.
func (r *Reactor) Run(ctx context.Context) {
	t := time.NewTicker(reactEvery)
	defer t.Stop()
	for {
		if err := r.Pass(ctx); err != nil && ctx.Err() == nil {
			r.log.Error("automatic incidents", slog.Any("err", err))
		}
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		case <-t.C:
		}
	}
}

// world is what one pass knows.
type world struct {
	now     time.Time
	cfg     config.Config
	page    prose.Page
	cat     *service.Catalog
	windows []status.Maintenance
	// open automatic incidents, and the outages attached to each.
	incidents map[int64]*status.Incident
	attached  map[int64][]store.Outage
	// joined are outages that joined an incident in this pass on a component new to it.
	joined map[int64][]store.Outage
	// groupsWithMonitors lists monitored servers in page order.
	groupsWithMonitors []string
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

// groupsOf lists the servers an incident's outages touch.
func (w *world) groupsOf(id int64) []string {
	var out []string
	for _, o := range w.attached[id] {
		if g := w.groupOf(o.ComponentID); !slices.Contains(out, g) {
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

// Pass makes one round of decisions.
func (r *Reactor) Pass(ctx context.Context) error {
	undecided, err := r.st.Outages(ctx, store.OutageFilter{Undecided: true})
	if err != nil {
		return err
	}
	open, err := r.st.Outages(ctx, store.OutageFilter{Open: true})
	if err != nil {
		return err
	}
	w, err := r.look(ctx)
	if err != nil {
		return err
	}
	inWindow := slices.ContainsFunc(open, func(o store.Outage) bool { return o.Decision == store.DecisionMaintenance })
	if len(undecided) == 0 && len(w.incidents) == 0 && !inWindow {
		return nil // nothing to decide or resolve: the usual pass, kept cheap
	}
	if w.windows, err = r.svc.Maintenances(ctx, store.MaintenanceFilter{}); err != nil {
		return err
	}
	undecided = append(undecided, w.overruns(open)...)
	sort.Slice(undecided, func(i, j int) bool { return undecided[i].StartedAt.Before(undecided[j].StartedAt) })
	for i := range undecided {
		if err := r.decide(ctx, w, &undecided[i]); err != nil {
			return fmt.Errorf("outage %d: %w", undecided[i].ID, err)
		}
	}
	if err := r.announce(ctx, w); err != nil {
		return err
	}
	for id := range w.incidents {
		if err := r.maybeResolve(ctx, w, id); err != nil {
			return fmt.Errorf("resolve incident %d: %w", id, err)
		}
	}
	return nil
}

func (r *Reactor) look(ctx context.Context) (*world, error) {
	cfg := r.cfg()
	loc := cfg.Location()
	now := r.svc.Now()
	w := &world{now: now, cfg: cfg, cat: r.svc.Catalog(), page: prose.Page{Loc: loc, Zone: config.ZoneName(loc), Now: now},
		incidents: map[int64]*status.Incident{}, attached: map[int64][]store.Outage{}, joined: map[int64][]store.Outage{}}
	for _, state := range []string{"open", "draft"} {
		list, err := r.svc.Incidents(ctx, store.IncidentFilter{State: state})
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
		outs, err := r.st.Outages(ctx, store.OutageFilter{IncidentID: id})
		if err != nil {
			return nil, err
		}
		w.attached[id] = outs
	}
	for _, g := range cfg.Groups {
		if slices.ContainsFunc(g.Components, func(c config.Component) bool { return len(c.Monitors) > 0 }) {
			w.groupsWithMonitors = append(w.groupsWithMonitors, g.ID)
		}
	}
	return w, nil
}

// windowAt finds a maintenance window on the component that covers t: one
// running or completed then, or one scheduled to be running then that the
// maintenance clock has not moved along yet (it may be a moment late).
func (w *world) windowAt(componentID string, t time.Time) *status.Maintenance {
	for i := range w.windows {
		m := &w.windows[i]
		if !slices.Contains(m.Components, componentID) {
			continue
		}
		switch m.Status {
		case status.Scheduled:
			if !t.Before(m.ScheduledFor) && t.Before(m.ScheduledUntil) {
				return m
			}
		case status.InProgress, status.Completed:
			start := m.StartedAt
			if start.IsZero() {
				start = m.ScheduledFor
			}
			if t.Before(start) || (m.Status == status.Completed && !t.Before(m.CompletedAt)) {
				continue
			}
			return m
		}
	}
	return nil
}

// overruns are outages counted as maintenance whose window has completed
// while they last: from the window's end they are news.
func (w *world) overruns(open []store.Outage) []store.Outage {
	var out []store.Outage
	for _, o := range open {
		if o.Decision != store.DecisionMaintenance {
			continue
		}
		for _, m := range w.windows {
			if m.ID == o.MaintenanceID && (m.Status == status.Completed || m.Status == status.Cancelled) {
				o.Decision = store.DecisionNone
				out = append(out, o)
			}
		}
	}
	return out
}

// start is when an outage became news: its measured start, or the end of the
// maintenance window it outlasted.
func (w *world) start(o *store.Outage) time.Time {
	if o.MaintenanceID != 0 {
		for _, m := range w.windows {
			if m.ID == o.MaintenanceID && !m.CompletedAt.IsZero() && m.CompletedAt.After(o.StartedAt) {
				return m.CompletedAt
			}
		}
	}
	return o.StartedAt
}

func (r *Reactor) decide(ctx context.Context, w *world, o *store.Outage) error {
	if o.MaintenanceID == 0 {
		if m := w.windowAt(o.ComponentID, o.StartedAt); m != nil {
			o.Decision, o.MaintenanceID = store.DecisionMaintenance, m.ID
			r.log.Info("outage inside maintenance: no incident", slog.Int64("outage", o.ID), slog.String("component", o.ComponentID),
				slog.Int64("maintenance", m.ID))
			return r.st.SaveOutage(ctx, o)
		}
	}
	if w.cfg.Incidents.Auto == config.AutoOff {
		o.Decision = store.DecisionIgnored
		return r.st.SaveOutage(ctx, o)
	}
	group := w.groupOf(o.ComponentID)
	// Join the open network incident, or the open incident of the same server.
	for id := range w.incidents {
		if w.isNetwork(id) {
			return r.join(ctx, w, id, o)
		}
	}
	for id := range w.incidents {
		if slices.Contains(w.groupsOf(id), group) {
			return r.join(ctx, w, id, o)
		}
	}
	if troubled := r.troubled(ctx, w, o); troubled != nil {
		return r.openNetwork(ctx, w, o, troubled)
	}
	return r.openServer(ctx, w, o)
}

// troubled returns the servers in trouble together with o's, when they are
// most of the monitored servers; nil otherwise.
func (r *Reactor) troubled(ctx context.Context, w *world, o *store.Outage) []string {
	n := len(w.groupsWithMonitors)
	window := w.cfg.Incidents.NetworkWindow.D()
	if n < 2 || window <= 0 {
		return nil
	}
	near, err := r.st.Outages(ctx, store.OutageFilter{Since: o.StartedAt.Add(-window), Until: o.StartedAt.Add(window)})
	if err != nil {
		r.log.Warn("network check", slog.Any("err", err))
		return nil
	}
	var groups []string
	for _, x := range near {
		if x.Decision == store.DecisionMaintenance || x.Decision == store.DecisionIgnored || x.Severity != status.MonitorDown {
			continue
		}
		if x.StartedAt.Before(o.StartedAt.Add(-window)) {
			continue
		}
		if g := w.groupOf(x.ComponentID); g != "" && !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	if len(groups) >= 2 && len(groups)*2 > n {
		return groups
	}
	return nil
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
	text, err := prose.Investigating(w.proseOutage(o))
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
	if err := r.st.SaveOutage(ctx, o); err != nil {
		return err
	}
	w.incidents[in.ID] = in
	w.attached[in.ID] = append(w.attached[in.ID], *o)
	return nil
}

// join adds an outage to an open incident. Components new to the incident
// are named there in one update at the end of the pass (see announce), so a
// network event going down server by server is not told component by component.
func (r *Reactor) join(ctx context.Context, w *world, id int64, o *store.Outage) error {
	if _, listed := w.incidents[id].ComponentStatusOf(o.ComponentID); !listed {
		w.joined[id] = append(w.joined[id], *o)
	}
	return r.attach(ctx, w, w.incidents[id], o)
}

// announce posts, per incident, the components that joined it in this pass.
func (r *Reactor) announce(ctx context.Context, w *world) error {
	for id, outs := range w.joined {
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
			// components without an update per server found.
			in, err = r.svc.SetIncidentComponents(ctx, actor, id, comps)
		} else {
			var body string
			if body, err = prose.AlsoAffected(told); err != nil {
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

// openNetwork tells a network-wide event as one incident: a server incident
// already open in the window becomes it, others are folded into it.
func (r *Reactor) openNetwork(ctx context.Context, w *world, o *store.Outage, troubled []string) error {
	window := w.cfg.Incidents.NetworkWindow.D()
	var existing []int64
	for id, in := range w.incidents {
		if in.StartedAt.After(o.StartedAt.Add(-window)) {
			existing = append(existing, id)
		}
	}
	sort.Slice(existing, func(i, j int) bool { return existing[i] < existing[j] })
	ev := prose.NetworkEvent{Start: o.StartedAt}
	for _, g := range troubled {
		ev.Servers = append(ev.Servers, prose.Restoration{Server: w.groupName(g)})
	}
	for _, id := range existing {
		if s := w.incidents[id].StartedAt; s.Before(ev.Start) {
			ev.Start = s
		}
	}
	text, err := prose.NetworkInvestigating(ev)
	if err != nil {
		return err
	}
	comps := map[string]status.ComponentStatus{o.ComponentID: componentStatus(o)}
	var in *status.Incident
	if len(existing) == 0 {
		in, err = r.svc.OpenIncident(ctx, actor, service.NewIncident{Title: text.Title, Status: status.Investigating,
			Body: text.Body, Components: comps, StartedAt: ev.Start, Draft: w.cfg.Incidents.Auto == config.AutoDraft, Auto: true})
		if err != nil {
			return err
		}
		r.log.Info("network incident opened", slog.Int64("incident", in.ID), slog.Any("servers", troubled))
		return r.attach(ctx, w, in, o)
	}
	// The first server incident becomes the network incident.
	first := existing[0]
	title := text.Title
	if in, err = r.svc.EditIncident(ctx, actor, first, service.IncidentEdit{Title: &title}); err != nil {
		return err
	}
	if in, err = r.svc.PostIncidentUpdate(ctx, actor, first, service.IncidentUpdate{Body: text.Body, Components: comps}); err != nil {
		return err
	}
	w.incidents[first] = in
	r.log.Info("server incident widened to a network incident", slog.Int64("incident", first), slog.Any("servers", troubled))
	for _, id := range existing[1:] {
		for _, x := range w.attached[id] {
			if err := r.join(ctx, w, first, &x); err != nil {
				return err
			}
		}
		delete(w.attached, id)
		if _, err := r.svc.LinkIncidents(ctx, actor, id, first); err != nil {
			return err
		}
		if _, err := r.svc.ResolveIncident(ctx, actor, id, service.Resolution{Body: prose.FoldedIntoNetwork(title, first)}); err != nil {
			return err
		}
		delete(w.incidents, id)
	}
	return r.attach(ctx, w, in, o)
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
		body, err = r.networkText(w, id)
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
	around, err := r.st.Outages(ctx, store.OutageFilter{Since: po.Start, Until: po.End})
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
	prev, err := r.st.Outages(ctx, store.OutageFilter{ComponentID: first.ComponentID, Since: po.Start.Add(-prose.RecurrenceWindow), Until: po.Start})
	if err != nil {
		return "", po, nil, err
	}
	var earliest *status.Incident
	for _, p := range prev {
		if p.IncidentID == 0 || p.IncidentID == id || p.EndedAt.IsZero() || p.EndedAt.After(po.Start) {
			continue
		}
		in, err := r.svc.Incident(ctx, p.IncidentID)
		if err != nil {
			continue // deleted since
		}
		// A network-wide event is not this server's problem happening again.
		if mates, err := r.st.Outages(ctx, store.OutageFilter{IncidentID: p.IncidentID}); err != nil {
			return "", po, nil, err
		} else if spansServers(w, mates) {
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

// networkText drafts a network incident's resolution: when each server came back.
func (r *Reactor) networkText(w *world, id int64) (string, error) {
	outs := w.attached[id]
	ev := prose.NetworkEvent{}
	restored := map[string]time.Time{}
	for _, o := range outs {
		if s := w.start(&o); ev.Start.IsZero() || s.Before(ev.Start) {
			ev.Start = s
		}
		g := w.groupOf(o.ComponentID)
		if o.EndedAt.After(restored[g]) {
			restored[g] = o.EndedAt
		}
	}
	for _, g := range w.groupsWithMonitors {
		if t, ok := restored[g]; ok {
			ev.Servers = append(ev.Servers, prose.Restoration{Server: w.groupName(g), Restored: t})
		} else {
			ev.Unaffected = append(ev.Unaffected, w.groupName(g))
		}
	}
	return prose.NetworkResolved(ev, w.page)
}

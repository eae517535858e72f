package monitor

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/heraldhq/herald/internal/prose"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

// Declared dependencies (depends_on in the configuration): the reactor's
// rules for an outage on a component that needs another (a router, a
// storage array) to work. The parent's incident tells the story.
//
//   - An outage is covered when it starts while one of its component's
//     parents (config.Parents) is down, or at most incidents.hold before the
//     parent's outage starts (the parent's monitor may notice later), and
//     that parent's outage belongs to an open automatic incident. It is then
//     decided "dependency", pointing at that incident: it is measured, stored
//     and counted in uptime as any outage, but opens no incident and is told
//     to nobody on its own; the parent's incident lists its component and an
//     update names it ("Web site service on the flexo server is affected too,
//     because it depends on the router server.").
//   - While the parent's outage is still held (undecided), the child waits
//     for it rather than being decided alone.
//   - A parent's outage counts only when it is a down (not degraded) outage
//     that is not maintenance downtime; so a child is covered only by a
//     parent whose own trouble is news. Covered children do not count
//     towards a network event: a router taking four servers down is the
//     router's incident, not "most servers unreachable".
//   - A child back while its parent's incident is open returns to
//     operational in it, silently (the incident's text told it as affected
//     because of its parent; the resolution tells the end).
//   - A child that outlasts its parent's incident (the incident resolved
//     while the child is still down) becomes news of its own: it is decided
//     again as any lone outage, held for incidents.hold from the parent's
//     resolution (the child's monitor needs a check to see it back), and
//     opens or joins an incident if it is still down then.
//   - A child found down after its parent's incident was resolved, that
//     started while the parent was down and has ended too, points at that
//     incident but is not added to it: a resolved incident is not changed by
//     the monitors.
//   - A child decided covered because its parent was down when it was
//     decided, whose parent's outage then turned out to have ended before the
//     child's began (the parent's recovery is known only once its monitor
//     confirmed it, and is dated from its first good check), was not covered:
//     it is decided again as any lone outage, held from its own detection,
//     and its component shows operational again in the parent's incident
//     (which keeps naming it: what was told stays told). The same for a
//     child whose covering parent's outage is gone from the incident.
//   - A parent going down after a child's own incident was opened does not
//     fold that incident away (what was told stays told): the two incidents
//     are linked, so each page points at the other.

// depState is what one pass knows of dependencies.
type depState struct {
	// listing are the covered outages decided in this pass, per incident:
	// their components are named there at the end of the pass.
	listing map[int64][]covered
	// listed are the covered outages pointing at each open incident, as read.
	listed map[int64][]store.Outage
	// was are the stored decisions of covered outages whose parent's
	// incident is over, being decided again (see decideAs).
	was map[int64]store.Outage
	// newsAt is when such an outage became news: its parent's resolution.
	newsAt map[int64]time.Time
	// waiting is set when an outage waits for its parent's decision.
	waiting bool
}

// covered is a child's outage with the parent outage that covers it.
type covered struct {
	child, parent store.Outage
}

// parentOf finds the outage of one of o's parents that covers o. It returns
// the parent's outage; wait when that outage is not decided yet, ok when o
// is covered.
func (w *world) parentOf(ctx context.Context, o *store.Outage) (parent store.Outage, wait, ok bool, err error) {
	parents := w.cfg.Parents(o.ComponentID)
	if len(parents) == 0 {
		return parent, false, false, nil
	}
	near, err := w.q.Outages(ctx, store.OutageFilter{Since: o.StartedAt, Until: o.StartedAt.Add(w.hold).Add(time.Nanosecond)})
	if err != nil {
		return parent, false, false, fmt.Errorf("outages of the parents of %s: %w", o.ComponentID, err)
	}
	slices.SortFunc(near, func(a, b store.Outage) int { return a.StartedAt.Compare(b.StartedAt) })
	var ended *store.Outage
	for i := range near {
		x := &near[i]
		if x.ID == o.ID || !slices.Contains(parents, x.ComponentID) || x.Severity != status.MonitorDown {
			continue
		}
		if !x.EndedAt.IsZero() && !x.EndedAt.After(o.StartedAt) {
			continue
		}
		switch x.Decision {
		case store.DecisionNone:
			wait = true
			parent = *x
		case store.DecisionIncident, store.DecisionDependency:
			if _, open := w.incidents[x.IncidentID]; open && x.IncidentID != 0 {
				return *x, false, true, nil
			}
			if ended == nil && x.IncidentID != 0 {
				ended = x
			}
		}
	}
	if wait {
		return parent, true, false, nil
	}
	if ended != nil && !o.EndedAt.IsZero() {
		// Over before Herald knew: it points at the parent's incident.
		return *ended, false, true, nil
	}
	return parent, false, false, nil
}

// dependent decides o as covered by a down parent, or holds it while the
// parent's outage is undecided; done reports whether o is taken care of.
func (r *Reactor) dependent(ctx context.Context, w *world, o *store.Outage) (done bool, err error) {
	parent, wait, ok, err := w.parentOf(ctx, o)
	if err != nil || (!wait && !ok) {
		return false, err
	}
	if wait {
		w.dep.waiting = true
		return true, nil
	}
	o.Decision, o.IncidentID = store.DecisionDependency, parent.IncidentID
	if err := w.decideAs(ctx, o); err != nil {
		return false, err
	}
	r.log.Info("outage while a parent is down: told in the parent's incident", slog.Int64("outage", o.ID),
		slog.String("component", o.ComponentID), slog.String("parent", parent.ComponentID), slog.Int64("incident", parent.IncidentID))
	if _, open := w.incidents[parent.IncidentID]; open {
		w.dep.listing[parent.IncidentID] = append(w.dep.listing[parent.IncidentID], covered{*o, parent})
	}
	return true, nil
}

// dependencyOverruns are covered outages still lasting whose parent's
// incident is over: they are returned as undecided, to be decided again
// (their stored decision kept in dep.was for the compare-and-set).
func (w *world) dependencyOverruns(ctx context.Context, open []store.Outage) ([]store.Outage, error) {
	var out []store.Outage
	for _, o := range open {
		if o.Decision != store.DecisionDependency {
			continue
		}
		if _, live := w.incidents[o.IncidentID]; live {
			continue
		}
		// News from the parent incident's end (when it was resolved, or
		// last changed when no longer automatic or gone: then from the
		// outage's detection), never from "now", or the hold would never end.
		at := o.DetectedAt
		if in, err := w.q.Incident(ctx, o.IncidentID); err == nil {
			at = in.UpdatedAt
			if !in.ResolvedAt.IsZero() {
				at = in.ResolvedAt
			}
		} else if !store.IsNotFound(err) {
			return nil, err
		}
		w.dep.was[o.ID] = o
		w.dep.newsAt[o.ID] = at
		o.Decision, o.IncidentID = store.DecisionNone, 0
		out = append(out, o)
	}
	return out, nil
}

// uncoveredDependents are the covered outages of open incidents that no
// parent's outage covers any more (see above), made undecided again, in
// the store too, and returned to be decided. Their components show operational again in the
// incident, unless something of the incident's still keeps them down.
func (r *Reactor) uncoveredDependents(ctx context.Context, w *world) ([]store.Outage, error) {
	var out []store.Outage
	for _, id := range slices.Sorted(maps.Keys(w.dep.listed)) {
		in, open := w.incidents[id]
		if !open {
			continue
		}
		var kept, gone []store.Outage
		for _, o := range w.dep.listed[id] {
			_, wait, ok, err := w.parentOf(ctx, &o)
			if err != nil {
				return nil, err
			}
			if wait || ok {
				kept = append(kept, o)
				continue
			}
			gone = append(gone, o)
		}
		if len(gone) == 0 {
			continue
		}
		w.dep.listed[id] = kept
		lasting := map[string]bool{}
		for _, o := range append(slices.Clone(kept), w.attached[id]...) {
			if o.EndedAt.IsZero() {
				lasting[o.ComponentID] = true
			}
		}
		comps := map[string]status.ComponentStatus{}
		for _, o := range gone {
			r.log.Info("outage no longer covered: its parent's outage ended before it began", slog.Int64("outage", o.ID),
				slog.String("component", o.ComponentID), slog.Int64("incident", id))
			if st, listed := in.ComponentStatusOf(o.ComponentID); listed && st != status.Operational && !lasting[o.ComponentID] {
				comps[o.ComponentID] = status.Operational
			}
			// Undecided again in the store at once: until it is decided
			// anew (after its hold), it is nobody's dependent.
			was := o
			o.Decision, o.IncidentID = store.DecisionNone, 0
			if err := w.q.DecideOutage(ctx, &o, was); err != nil {
				return nil, err
			}
			out = append(out, o)
		}
		if len(comps) > 0 {
			in, err := r.svc.SetIncidentComponents(ctx, actor, id, comps)
			if err != nil {
				return nil, err
			}
			w.incidents[id] = in
		}
	}
	return out, nil
}

// listDependents names, per open incident, the components of the outages
// covered by it in this pass that it does not show in trouble already.
func (r *Reactor) listDependents(ctx context.Context, w *world) error {
	for _, id := range slices.Sorted(maps.Keys(w.dep.listing)) {
		in, open := w.incidents[id]
		if !open {
			continue
		}
		comps := map[string]status.ComponentStatus{}
		var told []prose.Dependent
		list := w.dep.listing[id]
		slices.SortStableFunc(list, func(a, b covered) int { return w.position(a.child.ComponentID) - w.position(b.child.ComponentID) })
		for _, c := range list {
			// restoreDependents, later in the pass, sees it (it may be over already).
			w.dep.listed[id] = append(w.dep.listed[id], c.child)
			if st, listed := in.ComponentStatusOf(c.child.ComponentID); listed && st != status.Operational {
				continue
			}
			if _, seen := comps[c.child.ComponentID]; seen {
				continue
			}
			comps[c.child.ComponentID] = componentStatus(&c.child)
			d := prose.Dependent{Outage: w.proseOutage(&c.child), ParentServer: w.groupName(w.groupOf(c.parent.ComponentID))}
			if !slices.Contains(w.cfg.DependsOn(c.child.ComponentID), w.groupOf(c.parent.ComponentID)) {
				d.ParentService = w.service(c.parent.ComponentID)
			}
			told = append(told, d)
		}
		if len(told) == 0 {
			continue
		}
		body, err := prose.DependentsAffectedIn(told, w.page.Lang)
		if err != nil {
			return err
		}
		if in, err = r.svc.PostIncidentUpdate(ctx, actor, id, service.IncidentUpdate{Body: body, Components: comps}); err != nil {
			return err
		}
		w.incidents[id] = in
	}
	clear(w.dep.listing)
	return nil
}

// linkDependents links an open incident of a parent with the open incidents
// of its children's outages that began before the parent's (and so were
// told on their own): what was told stays, and each points at the other.
func (r *Reactor) linkDependents(ctx context.Context, w *world) error {
	for _, pid := range slices.Sorted(maps.Keys(w.incidents)) {
		for _, x := range w.attached[pid] {
			if x.Severity != status.MonitorDown || !x.EndedAt.IsZero() {
				continue
			}
			for _, cid := range slices.Sorted(maps.Keys(w.incidents)) {
				if cid == pid || slices.Contains(w.incidents[pid].Links, cid) {
					continue
				}
				if !slices.ContainsFunc(w.attached[cid], func(o store.Outage) bool {
					return o.EndedAt.IsZero() && slices.Contains(w.cfg.Parents(o.ComponentID), x.ComponentID)
				}) {
					continue
				}
				in, err := r.svc.LinkIncidents(ctx, actor, pid, cid)
				if err != nil {
					return err
				}
				w.incidents[pid] = in
				r.log.Info("parent's incident linked with a dependent's own", slog.Int64("incident", pid), slog.Int64("dependent", cid))
			}
		}
	}
	return nil
}

// position is a component's place on the page (groups, then components, as configured).
func (w *world) position(componentID string) int {
	n := 0
	for _, g := range w.cfg.Groups {
		for _, cp := range g.Components {
			if g.ID+"/"+cp.ID == componentID {
				return n
			}
			n++
		}
	}
	return n
}

// restoreDependents shows operational, in an open incident, the components
// listed there because of a parent whose covered outages have all ended
// and that have no outage of the incident's own still lasting.
func (r *Reactor) restoreDependents(ctx context.Context, w *world, id int64) error {
	in, open := w.incidents[id]
	if !open || len(w.dep.listed[id]) == 0 {
		return nil
	}
	lasting := map[string]bool{}
	for _, o := range append(slices.Clone(w.dep.listed[id]), w.attached[id]...) {
		if o.EndedAt.IsZero() {
			lasting[o.ComponentID] = true
		}
	}
	comps := map[string]status.ComponentStatus{}
	for _, o := range w.dep.listed[id] {
		if st, listed := in.ComponentStatusOf(o.ComponentID); listed && st != status.Operational && !lasting[o.ComponentID] {
			comps[o.ComponentID] = status.Operational
		}
	}
	if len(comps) == 0 {
		return nil
	}
	in, err := r.svc.SetIncidentComponents(ctx, actor, id, comps)
	if err != nil {
		return err
	}
	w.incidents[id] = in
	return nil
}

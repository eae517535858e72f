package service

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/heraldhq/herald/internal/prose"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

// SetMeasured hands the service what monitors measure now, per component id,
// once it is written to the database. Pages show it through the derived
// statuses; a change rebuilds them.
func (s *Service) SetMeasured(m map[string]status.ComponentStatus) { s.setMeasured(m, false) }

// SetMeasuredUnrecorded is SetMeasured for what monitors measured but could
// not write yet (the database is down, read-only or full): pages show it all
// the same, marked as not yet recorded, until SetMeasured says it is written.
func (s *Service) SetMeasuredUnrecorded(m map[string]status.ComponentStatus) { s.setMeasured(m, true) }

func (s *Service) setMeasured(m map[string]status.ComponentStatus, unrecorded bool) {
	m = maps.Clone(m)
	prev := s.measured.Swap(&m)
	was := s.unrecorded.Swap(unrecorded)
	if prev == nil || !maps.Equal(*prev, m) || was != unrecorded {
		s.changed()
	}
}

// Unrecorded reports whether what monitors measure now is not written to
// the database yet (SetMeasuredUnrecorded).
func (s *Service) Unrecorded() bool { return s.unrecorded.Load() }

// Measured returns the statuses monitors measure now.
func (s *Service) Measured() map[string]status.ComponentStatus {
	if m := s.measured.Load(); m != nil {
		return *m
	}
	return nil
}

// SetOverride sets a component's status by hand: it wins over incidents,
// maintenance and monitors until cleared.
func (s *Service) SetOverride(ctx context.Context, actor, componentID string, st status.ComponentStatus, note string) (*store.Override, error) {
	if err := s.checkComponents([]string{componentID}); err != nil {
		return nil, err
	}
	if !st.Valid() {
		return nil, invalidf("status %q is not a component status (operational, degraded_performance, partial_outage, major_outage, under_maintenance)", st)
	}
	if err := checkText("note", note, maxTitle, false); err != nil {
		return nil, err
	}
	o := store.Override{ComponentID: componentID, Status: st, Note: note, SetBy: actor, SetAt: s.Now()}
	err := s.store.Tx(ctx, func(q *store.Queries) error {
		before, err := overrideOf(ctx, q, componentID)
		if err != nil {
			return err
		}
		if err := q.SetOverride(ctx, o); err != nil {
			return err
		}
		return s.record(ctx, q, o.SetAt, actor, "component.override", "component:"+componentID, before, o)
	})
	if err != nil {
		return nil, err
	}
	s.changedAfter(ctx)
	return &o, nil
}

// ClearOverride gives a component back to its derived status.
func (s *Service) ClearOverride(ctx context.Context, actor, componentID string) error {
	found := false
	err := s.store.Tx(ctx, func(q *store.Queries) error {
		before, err := overrideOf(ctx, q, componentID)
		if err != nil {
			return err
		}
		if found, err = q.ClearOverride(ctx, componentID); err != nil || !found {
			return err
		}
		return s.record(ctx, q, s.Now(), actor, "component.override.clear", "component:"+componentID, before, nil)
	})
	if err != nil {
		return err
	}
	if !found {
		return &NotFoundError{fmt.Sprintf("component %s has no manual status", componentID)}
	}
	s.changedAfter(ctx)
	return nil
}

func overrideOf(ctx context.Context, q *store.Queries, componentID string) (*store.Override, error) {
	all, err := q.Overrides(ctx)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].ComponentID == componentID {
			return &all[i], nil
		}
	}
	return nil, nil
}

// Overrides lists the manual statuses in force.
func (s *Service) Overrides(ctx context.Context) ([]store.Override, error) {
	return s.store.Overrides(ctx)
}

// maintenanceReport drafts the completion of a window from the downtime
// measured on its components while it ran: per server, overlapping outages
// of one server counted once. It is empty when no monitor watches the
// window's components, since then nothing was measured and nothing is claimed.
func (s *Service) maintenanceReport(ctx context.Context, q *store.Queries, m *status.Maintenance, end time.Time) (string, error) {
	start, _, _ := m.Span()
	if !end.After(start) {
		return "", nil
	}
	watched, err := q.Monitors(ctx)
	if err != nil {
		return "", err
	}
	hasMonitor := map[string]bool{}
	for _, mon := range watched {
		if mon.RemovedAt.IsZero() {
			hasMonitor[mon.ComponentID] = true
		}
	}
	cat := s.Catalog()
	var order []string
	spans := map[string][]prose.Span{}
	measured := false
	for _, cid := range m.Components {
		c, ok := cat.Component(cid)
		if !ok {
			continue
		}
		if _, seen := spans[c.GroupID]; !seen {
			order = append(order, c.GroupID)
			spans[c.GroupID] = nil
		}
		if !hasMonitor[cid] {
			continue
		}
		measured = true
		outs, err := q.Outages(ctx, store.OutageFilter{ComponentID: cid, Since: start, Until: end})
		if err != nil {
			return "", err
		}
		for _, o := range outs {
			if o.Severity == status.MonitorDown {
				spans[c.GroupID] = append(spans[c.GroupID], prose.Span{Start: o.StartedAt, End: o.EndedAt})
			}
		}
	}
	if !measured {
		return "", nil
	}
	report := prose.Maintenance{Planned: m.ScheduledUntil.Sub(m.ScheduledFor)}
	window := prose.Span{Start: start, End: end}
	for _, gid := range order {
		name := gid
		for _, g := range cat.Groups {
			if g.ID == gid {
				name = g.Name
			}
		}
		report.Servers = append(report.Servers, prose.ServerDowntime{Server: name, Downtime: prose.Downtime(window, spans[gid])})
	}
	return prose.MaintenanceCompletedIn(report, s.language())
}

// SetIncidentComponents sets component statuses within an open incident
// without posting an update: a network incident whose text already says
// "all of our servers" names the components it reaches as monitors find them.
// The changes are recorded on the incident's latest update, so its timeline
// and the worst status each component had stay true; the change log records
// it like any other change.
func (s *Service) SetIncidentComponents(ctx context.Context, actor string, id int64, comps map[string]status.ComponentStatus) (*status.Incident, error) {
	if len(comps) == 0 {
		return nil, invalidf("no components given")
	}
	if err := s.checkComponentStatuses(comps); err != nil {
		return nil, err
	}
	return s.change(ctx, actor, "incident.components", id, func(q *store.Queries, in *status.Incident, now time.Time) error {
		if in.Status == status.Resolved {
			return conflictf("incident %d is resolved", id)
		}
		changes := applyComponents(in, comps)
		in.UpdatedAt = now
		if err := q.SaveIncident(ctx, in); err != nil {
			return err
		}
		if len(in.Updates) == 0 || len(changes) == 0 {
			return nil
		}
		return q.AddIncidentUpdateChanges(ctx, in.Updates[0].ID, changes)
	})
}

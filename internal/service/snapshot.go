package service

import (
	"context"
	"time"

	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

// ComponentState is a component with its derived status.
type ComponentState struct {
	store.Component
	Status status.ComponentStatus
}

// Snapshot is the state of the page at one moment: every status in it is
// derived from the records, never read from a stored status.
type Snapshot struct {
	Overall    status.Overall
	Groups     []store.Group
	Components []ComponentState // configured ones, in page order
	Open       []status.Incident
	Active     []status.Maintenance // in progress
	Upcoming   []status.Maintenance // scheduled, soonest first
	// Unrecorded says the statuses include what monitors measured but could
	// not write to the database yet.
	Unrecorded bool
	// Stale says the records are those read last, because the database
	// cannot be read now (Rederive); the measured statuses are current.
	Stale bool

	records snapshotRecords
	// groups is each group's status, worked out once by derive: a page
	// asks for every group's, and looking through every component for each
	// was a fleet's groups times its components. Nil in a snapshot made by
	// hand.
	groups map[string]status.ComponentStatus
}

// snapshotRecords are the records a snapshot is derived from.
type snapshotRecords struct {
	open      []status.Incident
	pending   []status.Maintenance
	overrides []store.Override
}

// Snapshot reads and derives the current state.
func (s *Service) Snapshot(ctx context.Context) (*Snapshot, error) {
	return s.SnapshotIn(ctx, s.store.Queries)
}

// SnapshotIn reads and derives the state as q sees it: inside a change's
// transaction (a hook), the state the change makes.
func (s *Service) SnapshotIn(ctx context.Context, q *store.Queries) (*Snapshot, error) {
	open, err := q.Incidents(ctx, store.IncidentFilter{State: "open"})
	if err != nil {
		return nil, err
	}
	pending, err := q.Maintenances(ctx, store.MaintenanceFilter{State: "pending"})
	if err != nil {
		return nil, err
	}
	overrides, err := q.Overrides(ctx)
	if err != nil {
		return nil, err
	}
	return s.derive(snapshotRecords{open: open, pending: pending, overrides: overrides}), nil
}

// Rederive derives the state again from the records prev was derived from
// and what monitors measure now, reading nothing: while the database cannot
// be read, the page still shows what is measured. The result is Stale.
func (s *Service) Rederive(prev *Snapshot) *Snapshot {
	snap := s.derive(prev.records)
	snap.Stale = true
	return snap
}

func (s *Service) derive(r snapshotRecords) *Snapshot {
	open, pending, overrides := r.open, r.pending, r.overrides
	cat := s.Catalog()
	snap := &Snapshot{Open: open, records: r, Unrecorded: s.Unrecorded()}
	for _, g := range cat.Groups {
		if g.RemovedAt.IsZero() {
			snap.Groups = append(snap.Groups, g)
		}
	}
	for _, m := range pending {
		if m.Status == status.InProgress {
			snap.Active = append(snap.Active, m)
		} else {
			snap.Upcoming = append(snap.Upcoming, m)
		}
	}
	// Active and Upcoming list windows as the clock last moved them; what a
	// component shows follows the windows' times (Maintenance.Covers), as
	// the outage decisions do.
	now := s.Now()
	in := status.Inputs{Incidents: open, Maintenances: pending, At: now, Measured: map[string]status.ComponentStatus{},
		Manual: map[string]status.ComponentStatus{}}
	// What monitors measure counts, except on a component a window covers:
	// downtime there is the maintenance announced, not news.
	for id, st := range s.Measured() {
		if !coveredAt(pending, id, now) {
			in.Measured[id] = st
		}
	}
	for _, o := range overrides {
		in.Manual[o.ComponentID] = o.Status
	}
	active := cat.Active()
	derived := make(map[string]status.ComponentStatus, len(active))
	snap.Components = make([]ComponentState, 0, len(active))
	members := make(map[string][]status.ComponentStatus, len(snap.Groups))
	for _, c := range active {
		st := status.DeriveComponent(c.ID, in)
		derived[c.ID] = st
		snap.Components = append(snap.Components, ComponentState{Component: c, Status: st})
		members[c.GroupID] = append(members[c.GroupID], st)
	}
	snap.Overall = status.DeriveOverall(derived, open)
	snap.groups = make(map[string]status.ComponentStatus, len(members))
	for id, list := range members {
		snap.groups[id] = status.DeriveGroup(list...)
	}
	return snap
}

// GroupStatus is a group's status (status.DeriveGroup) from its components here.
func (s *Snapshot) GroupStatus(groupID string) status.ComponentStatus {
	if s.groups != nil {
		if st, ok := s.groups[groupID]; ok {
			return st
		}
		return status.DeriveGroup() // a group with no component
	}
	var members []status.ComponentStatus
	for _, c := range s.Components {
		if c.GroupID == groupID {
			members = append(members, c.Status)
		}
	}
	return status.DeriveGroup(members...)
}

func coveredAt(windows []status.Maintenance, componentID string, t time.Time) bool {
	for i := range windows {
		if windows[i].Covers(componentID, t) {
			return true
		}
	}
	return false
}

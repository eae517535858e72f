package service_test

import (
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// What monitors measure shows on the page, except inside a maintenance
// window on the component; a manual status beats everything until cleared,
// and both its setting and its clearing are in the change log.
func TestMeasuredAndManualStatuses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b)
		ctx := t.Context()
		changes := 0
		e.svc.OnChange(func() { changes++ })
		e.svc.SetMeasured(comps{"flexo/web": status.MajorOutage, "mom/email": status.Operational})
		checkStatuses(t, e, comps{"flexo/web": status.MajorOutage})
		before := changes
		e.svc.SetMeasured(comps{"flexo/web": status.MajorOutage, "mom/email": status.Operational})
		if changes != before {
			t.Errorf("the same measurement again triggered a rebuild")
		}

		m := e.schedule(t, e.clock.Now().Add(time.Minute), e.clock.Now().Add(time.Hour), "flexo/web")
		e.clock.Add(2 * time.Minute)
		e.advance(t, e.svc)
		if got := e.maintenance(t, m.ID); got.Status != status.InProgress {
			t.Fatalf("window %s", got.Status)
		}
		checkStatuses(t, e, comps{"flexo/web": status.UnderMaintenance})

		if _, err := e.svc.SetOverride(ctx, "user:amy", "flexo/web", "broken", ""); err == nil {
			t.Errorf("an unknown status was accepted")
		}
		if _, err := e.svc.SetOverride(ctx, "user:amy", "nope/web", status.MajorOutage, ""); err == nil {
			t.Errorf("an unknown component was accepted")
		}
		must(e.svc.SetOverride(ctx, "user:amy", "flexo/web", status.PartialOutage, "Half the disks"))(t)
		checkStatuses(t, e, comps{"flexo/web": status.PartialOutage})
		log := must(e.svc.Changes(ctx, "component:flexo/web", 0))(t)
		if len(log) != 1 || log[0].Actor != "user:amy" || log[0].Action != "component.override" {
			t.Errorf("change log: %+v", log)
		}
		if err := e.svc.ClearOverride(ctx, "user:amy", "flexo/web"); err != nil {
			t.Fatal(err)
		}
		checkStatuses(t, e, comps{"flexo/web": status.UnderMaintenance})
		err := e.svc.ClearOverride(ctx, "user:amy", "flexo/web")
		wantErr[*service.NotFoundError](t, err, "no manual status")
	})
}

// A resolved incident takes a later note, as the posts add "Update: the
// problem happened a second time", and stays resolved.
func TestNoteOnResolvedIncident(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b)
		ctx := t.Context()
		in := e.open(t, "flexo down", comps{"flexo/web": status.MajorOutage})
		e.clock.Add(time.Minute)
		must(e.svc.ResolveIncident(ctx, "user:bob", in.ID, service.Resolution{Body: "Fixed."}))(t)
		e.clock.Add(72 * time.Hour)
		got := must(e.svc.PostIncidentUpdate(ctx, "user:bob", in.ID, service.IncidentUpdate{Body: "The problem happened a second time."}))(t)
		if got.Status != status.Resolved || got.Updates[0].Body != "The problem happened a second time." || got.Updates[0].Status != status.Resolved {
			t.Errorf("note: %s %+v", got.Status, got.Updates[0])
		}
		_, err := e.svc.PostIncidentUpdate(ctx, "user:bob", in.ID, service.IncidentUpdate{Body: "x", Components: comps{"flexo/web": status.MajorOutage}})
		wantErr[*service.ConflictError](t, err, "reopen it")
	})
}

// A window covers its components from its start to its end as scheduled,
// whether or not the maintenance clock has moved it along yet: the page shows
// what the outage decisions count (status.Maintenance.Covers), not what the
// clock last wrote, so the two never disagree for the seconds in between.
func TestWindowCoversByItsTimesNotTheClocksLastStep(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b)
		start, end := t0.Add(10*time.Minute), t0.Add(20*time.Minute)
		e.schedule(t, start, end, "flexo/web")
		e.svc.SetMeasured(comps{"flexo/web": status.MajorOutage})

		e.clock.Set(start.Add(-time.Millisecond))
		checkStatuses(t, e, comps{"flexo/web": status.MajorOutage})

		e.clock.Set(start.Add(3 * time.Second)) // the clock has not run yet
		checkStatuses(t, e, comps{"flexo/web": status.UnderMaintenance})
		e.advance(t, e.svc)
		checkStatuses(t, e, comps{"flexo/web": status.UnderMaintenance})

		e.clock.Set(end.Add(3 * time.Second)) // still in_progress in the record
		checkStatuses(t, e, comps{"flexo/web": status.MajorOutage})
		e.advance(t, e.svc)
		checkStatuses(t, e, comps{"flexo/web": status.MajorOutage})
	})
}

// A group's status is its worst component's, maintenance above operational
// and below any trouble; every screen asks the snapshot for it.
func TestGroupStatus(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b)
		e.schedule(t, t0.Add(time.Minute), t0.Add(time.Hour), "flexo/email", "mom/email")
		e.clock.Set(t0.Add(2 * time.Minute))
		e.svc.SetMeasured(comps{"flexo/web": status.PartialOutage, "zapp/web": status.DegradedPerformance})
		_, snap := e.statuses(t)
		for group, want := range map[string]status.ComponentStatus{"flexo": status.PartialOutage, "mom": status.UnderMaintenance,
			"elzar": status.Operational, "zapp": status.DegradedPerformance, "nosuch": status.Operational} {
			if got := snap.GroupStatus(group); got != want {
				t.Errorf("GroupStatus(%s) = %s, want %s", group, got, want)
			}
			// A snapshot made by hand, with no statuses worked out ahead, says the same.
			if got := (&service.Snapshot{Components: snap.Components}).GroupStatus(group); got != want {
				t.Errorf("a snapshot made by hand: GroupStatus(%s) = %s, want %s", group, got, want)
			}
		}
	})
}

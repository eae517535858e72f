package store_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

func TestSyncMonitorsKeepsState(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		s, ctx := b.Store, t.Context()
		seedCatalog(t, s)
		defs := []store.MonitorDef{
			{ID: "web/front/http", ComponentID: "web/front", Kind: "http", Target: "http://127.0.0.1:1/"},
			{ID: "api/db/tcp", ComponentID: "api/db", Kind: "tcp", Target: "127.0.0.1:2"},
		}
		if err := s.SyncMonitors(ctx, defs, base); err != nil {
			t.Fatal(err)
		}
		mons, err := s.Monitors(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(mons) != 2 || mons[0].ID != "api/db/tcp" || mons[0].Detector.State != status.MonitorUnknown {
			t.Fatalf("after first sync: %+v", mons)
		}
		// A state saved, then the target changed and the other monitor dropped.
		m := mons[1]
		var d status.Detector
		d.Observe(status.LevelDown, base.Add(time.Minute), 2, 1)
		d.Observe(status.LevelDown, base.Add(2*time.Minute), 2, 1)
		m.Detector, m.LastCheckAt, m.LastLevel, m.LastMessage, m.LastLatency = d, msUTC(base.Add(2*time.Minute)), status.LevelDown, "connection refused", 1500*time.Microsecond
		results := []store.CheckResult{
			{MonitorID: m.ID, At: base.Add(time.Minute), Latency: time.Millisecond, Level: status.LevelDown, Message: "connection refused"},
			{MonitorID: m.ID, At: base.Add(2 * time.Minute), Latency: 1500 * time.Microsecond, Level: status.LevelDown, Message: "connection refused"},
		}
		if err := s.SaveChecks(ctx, results, []store.Monitor{m}, base.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		defs[0].Target = "http://127.0.0.1:3/"
		if err := s.SyncMonitors(ctx, defs[:1], base.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		mons, err = s.Monitors(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := mons[1]
		if got.Target != "http://127.0.0.1:3/" || !got.RemovedAt.IsZero() {
			t.Errorf("changed monitor: target %q removed %v", got.Target, got.RemovedAt)
		}
		wantD := d
		wantD.Since, wantD.BadStart, wantD.DownStart = msUTC(d.Since), msUTC(d.BadStart), msUTC(d.DownStart)
		if !reflect.DeepEqual(got.Detector, wantD) {
			t.Errorf("detector after reload:\n got %+v\nwant %+v", got.Detector, wantD)
		}
		if got.LastMessage != "connection refused" || got.LastLevel != status.LevelDown || got.LastLatency != 1500*time.Microsecond {
			t.Errorf("last check: %+v", got)
		}
		if mons[0].RemovedAt.IsZero() {
			t.Errorf("dropped monitor not marked removed")
		}
		checks, err := s.Checks(ctx, store.CheckFilter{MonitorID: m.ID, Since: base})
		if err != nil {
			t.Fatal(err)
		}
		if len(checks) != 2 || !checks[0].At.Before(checks[1].At) || checks[1].Latency != 1500*time.Microsecond {
			t.Errorf("checks: %+v", checks)
		}
	})
}

func TestRollUpAndLatency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		s, ctx := b.Store, t.Context()
		seedCatalog(t, s)
		if err := s.SyncMonitors(ctx, []store.MonitorDef{{ID: "web/front/http", ComponentID: "web/front", Kind: "http", Target: "x"}}, base); err != nil {
			t.Fatal(err)
		}
		hour := time.Date(2026, 8, 12, 16, 0, 0, 0, time.UTC)
		var results []store.CheckResult
		// Two hours of checks a minute apart: up at 10 ms, but three down and one degraded at 50 ms.
		for i := range 120 {
			r := store.CheckResult{MonitorID: "web/front/http", At: hour.Add(time.Duration(i) * time.Minute), Latency: 10 * time.Millisecond}
			switch i {
			case 5, 6, 7:
				r.Level, r.Latency = status.LevelDown, 3*time.Second
			case 70:
				r.Level, r.Latency = status.LevelDegraded, 50*time.Millisecond
			}
			results = append(results, r)
		}
		if err := s.SaveChecks(ctx, results, nil, hour); err != nil {
			t.Fatal(err)
		}
		// Roll up the first hour and a half, then the rest: rollups add up.
		for _, cut := range []time.Time{hour.Add(90 * time.Minute), hour.Add(3 * time.Hour)} {
			if err := s.Tx(ctx, func(q *store.Queries) error { _, err := q.RollUp(ctx, cut); return err }); err != nil {
				t.Fatal(err)
			}
		}
		left, err := s.Checks(ctx, store.CheckFilter{MonitorID: "web/front/http", Since: hour})
		if err != nil {
			t.Fatal(err)
		}
		if len(left) != 0 {
			t.Errorf("%d raw checks left after rolling everything up", len(left))
		}
		hours, err := s.Rollups(ctx, "web/front/http", "hour", hour)
		if err != nil {
			t.Fatal(err)
		}
		want := []store.Rollup{
			{MonitorID: "web/front/http", Period: "hour", Start: hour, Checks: 60, Up: 57, Down: 3, LatencySum: 570 * time.Millisecond, LatencyMax: 10 * time.Millisecond},
			{MonitorID: "web/front/http", Period: "hour", Start: hour.Add(time.Hour), Checks: 60, Up: 59, Degraded: 1, LatencySum: 640 * time.Millisecond, LatencyMax: 50 * time.Millisecond},
		}
		if !reflect.DeepEqual(hours, want) {
			t.Errorf("hourly rollups:\n got %+v\nwant %+v", hours, want)
		}
		days, err := s.Rollups(ctx, "web/front/http", "day", hour.Add(-24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(days) != 1 || days[0].Checks != 120 || days[0].Down != 3 || days[0].Degraded != 1 {
			t.Errorf("daily rollups: %+v", days)
		}
		pts, err := s.Latency(ctx, "web/front/http", hour, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if len(pts) != 2 || pts[0].Mean != 10*time.Millisecond || pts[0].Failed != 3 || pts[1].Max != 50*time.Millisecond {
			t.Errorf("latency from rollups: %+v", pts)
		}
	})
}

func TestOutagesAndOverrides(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		s, ctx := b.Store, t.Context()
		seedCatalog(t, s)
		t0 := msUTC(base)
		a := store.Outage{ComponentID: "web/front", MonitorID: "web/front/http", Severity: status.MonitorDegraded, StartedAt: t0, Cause: "slow", DetectedAt: t0.Add(time.Minute)}
		c := store.Outage{ComponentID: "api/db", MonitorID: "api/db/tcp", Severity: status.MonitorDown, StartedAt: t0.Add(time.Hour), EndedAt: t0.Add(2 * time.Hour), DetectedAt: t0.Add(time.Hour), Decision: store.DecisionIgnored}
		for _, o := range []*store.Outage{&a, &c} {
			if err := s.InsertOutage(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		a.Severity, a.EndedAt = status.MonitorDown, t0.Add(4*time.Minute)
		if err := s.MeasureOutage(ctx, &a); err != nil {
			t.Fatal(err)
		}
		all, err := s.Outages(ctx, store.OutageFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 2 || all[0].ID != c.ID || !reflect.DeepEqual(all[1], a) {
			t.Errorf("outages newest first:\n got %+v\nwant [%+v %+v]", all, c, a)
		}
		open, err := s.Outages(ctx, store.OutageFilter{Open: true})
		if err != nil || len(open) != 0 {
			t.Errorf("open outages: %+v %v", open, err)
		}
		undecided, err := s.Outages(ctx, store.OutageFilter{Undecided: true})
		if err != nil || len(undecided) != 1 || undecided[0].ID != a.ID {
			t.Errorf("undecided outages: %+v %v", undecided, err)
		}
		late, err := s.Outages(ctx, store.OutageFilter{Since: t0.Add(5 * time.Minute)})
		if err != nil || len(late) != 1 || late[0].ID != c.ID {
			t.Errorf("outages lasting past +5m: %+v %v", late, err)
		}
		if err := s.MeasureOutage(ctx, &store.Outage{ID: 999, Severity: status.MonitorDown}); err == nil {
			t.Errorf("measuring a missing outage: no error")
		}

		o := store.Override{ComponentID: "web/front", Status: status.MajorOutage, Note: "moving racks", SetBy: "user:amy", SetAt: t0}
		if err := s.SetOverride(ctx, o); err != nil {
			t.Fatal(err)
		}
		o.Status = status.PartialOutage
		if err := s.SetOverride(ctx, o); err != nil {
			t.Fatal(err)
		}
		got, err := s.Overrides(ctx)
		if err != nil || !reflect.DeepEqual(got, []store.Override{o}) {
			t.Errorf("overrides: %+v %v", got, err)
		}
		if ok, err := s.ClearOverride(ctx, "web/front"); !ok || err != nil {
			t.Errorf("clear: %v %v", ok, err)
		}
		if ok, err := s.ClearOverride(ctx, "web/front"); ok || err != nil {
			t.Errorf("clear again: %v %v", ok, err)
		}
	})
}

// TestDecideOutageWritesOnlyTheDecision is the phantom incident's cause
// closed: a decision taken on an old copy of an outage must not undo the
// recovery the monitors measured since, and a decision taken on a stale
// copy must not apply at all.
func TestDecideOutageWritesOnlyTheDecision(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		s, ctx := b.Store, t.Context()
		seedCatalog(t, s)
		t0 := msUTC(base)
		o := store.Outage{ComponentID: "web/front", MonitorID: "web/front/http", Severity: status.MonitorDown, StartedAt: t0, DetectedAt: t0}
		if err := s.InsertOutage(ctx, &o); err != nil {
			t.Fatal(err)
		}
		stale := o // the decider's copy, read while the outage was open
		measured := o
		measured.EndedAt = t0.Add(46 * time.Millisecond)
		if err := s.MeasureOutage(ctx, &measured); err != nil {
			t.Fatal(err)
		}
		decided := stale
		decided.Decision, decided.MaintenanceID = store.DecisionMaintenance, 0
		if err := s.DecideOutage(ctx, &decided, stale); err != nil {
			t.Fatal(err)
		}
		got, err := s.Outages(ctx, store.OutageFilter{})
		if err != nil || len(got) != 1 {
			t.Fatalf("outages: %+v %v", got, err)
		}
		if !got[0].EndedAt.Equal(measured.EndedAt) || got[0].Decision != store.DecisionMaintenance {
			t.Errorf("after a decision on an old copy: ended %v decision %q; want the measured end %v and the decision",
				got[0].EndedAt, got[0].Decision, measured.EndedAt)
		}
		// A second decider still holding the undecided copy loses.
		again := stale
		again.Decision = store.DecisionIgnored
		if err := s.DecideOutage(ctx, &again, stale); !errors.Is(err, store.ErrStale) {
			t.Errorf("deciding from a stale copy: %v, want ErrStale", err)
		}
		if got, _ := s.Outages(ctx, store.OutageFilter{}); got[0].Decision != store.DecisionMaintenance {
			t.Errorf("stale decision applied: %q", got[0].Decision)
		}
	})
}

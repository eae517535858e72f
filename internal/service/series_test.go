package service_test

import (
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// Times in 2026, around the US change to daylight-saving time on Sunday, March 8.
var (
	march1 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC) // a Sunday, 16:00 PST on Feb 28
	la, _  = time.LoadLocation("America/Los_Angeles")
)

func (e *env) series(t *testing.T, rule, start string, dur time.Duration) *status.Series {
	t.Helper()
	w, err := time.Parse(status.WallLayout, start)
	if err != nil {
		t.Fatal(err)
	}
	return must(e.svc.CreateSeries(t.Context(), "user:alice", service.NewSeries{
		Title: "Weekly restarts", Body: "The servers restart.", Rule: rule, Start: w,
		Zone: "America/Los_Angeles", Duration: dur, Components: []string{"flexo/web", "mom/web"}}))(t)
}

func (e *env) occurrences(t *testing.T, id int64) []status.Maintenance {
	t.Helper()
	list := must(e.svc.Maintenances(t.Context(), store.MaintenanceFilter{SeriesID: id}))(t)
	// Soonest first.
	for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
		list[i], list[j] = list[j], list[i]
	}
	return list
}

func TestSeriesMaterializesAcrossDST(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b)
		e.clock.Set(march1)
		e.svc.SetAhead(10 * 24 * time.Hour)
		// Every Sunday at 2 AM Pacific time, for two hours.
		sr := e.series(t, "FREQ=WEEKLY;BYDAY=SU", "2026-03-01T02:00", 2*time.Hour)
		got := e.occurrences(t, sr.ID)
		// Within ten days: March 1 (2 AM PST) and March 8, when 2 AM does
		// not exist and the window starts at 3 AM PDT, 10:00 UTC both.
		want := []time.Time{time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), time.Date(2026, 3, 8, 10, 0, 0, 0, time.UTC)}
		if len(got) != len(want) {
			t.Fatalf("%d windows, want %d: %+v", len(got), len(want), got)
		}
		for i, m := range got {
			checkTime(t, "start", m.ScheduledFor, want[i])
			checkTime(t, "occurrence", m.Occurrence, want[i])
			checkTime(t, "end", m.ScheduledUntil, want[i].Add(2*time.Hour))
			if m.SeriesID != sr.ID || m.Status != status.Scheduled || m.Title != "Weekly restarts" ||
				len(m.Components) != 2 || len(m.Updates) != 1 {
				t.Errorf("window %d: %+v", i, m)
			}
		}
		// Each was announced as a window is: a maintenance.create in the change log.
		for _, m := range got {
			changes := must(e.svc.Changes(t.Context(), "maintenance:"+itoa(m.ID), 0))(t)
			if len(changes) != 1 || changes[0].Action != "maintenance.create" {
				t.Errorf("window %d: changes %+v, want one maintenance.create", m.ID, changes)
			}
		}

		// Again: nothing new.
		if n := must(e.svc.MaterializeSeries(t.Context()))(t); n != 0 {
			t.Errorf("a second pass made %d windows, want 0", n)
		}
		// A week on, March 15 (2 AM PDT, 09:00 UTC) comes within the horizon.
		e.clock.Set(march1.Add(7 * 24 * time.Hour))
		if n := must(e.svc.MaterializeSeries(t.Context()))(t); n != 1 {
			t.Errorf("a week on: made %d windows, want 1", n)
		}
		got = e.occurrences(t, sr.ID)
		checkTime(t, "third start", got[2].ScheduledFor, time.Date(2026, 3, 15, 9, 0, 0, 0, time.UTC))
		if local := got[2].ScheduledFor.In(la); local.Hour() != 2 {
			t.Errorf("after the change the window starts at %s, want 2 AM local", local)
		}
		// The clock moved March 1's window along meanwhile: started and completed.
		e.advance(t, e.svc)
		if m := e.maintenance(t, got[0].ID); m.Status != status.Completed {
			t.Errorf("March 1's window is %s, want completed", m.Status)
		}
	})
}

func TestSeriesFallBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b)
		e.clock.Set(time.Date(2026, 10, 24, 0, 0, 0, 0, time.UTC))
		e.svc.SetAhead(16 * 24 * time.Hour)
		// 1:30 AM happens twice on November 1: the first (PDT) is the one.
		sr := e.series(t, "FREQ=WEEKLY;BYDAY=SU", "2026-10-25T01:30", time.Hour)
		got := e.occurrences(t, sr.ID)
		want := []time.Time{
			time.Date(2026, 10, 25, 8, 30, 0, 0, time.UTC), // PDT
			time.Date(2026, 11, 1, 8, 30, 0, 0, time.UTC),  // the first 1:30, PDT
			time.Date(2026, 11, 8, 9, 30, 0, 0, time.UTC),  // PST
		}
		if len(got) != len(want) {
			t.Fatalf("%d windows, want %d", len(got), len(want))
		}
		for i := range want {
			checkTime(t, "start", got[i].ScheduledFor, want[i])
		}
	})
}

func TestSeriesCancelOccurrenceAndEnd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b)
		ctx := t.Context()
		e.clock.Set(march1)
		e.svc.SetAhead(20 * 24 * time.Hour)
		sr := e.series(t, "FREQ=WEEKLY;BYDAY=SU", "2026-03-01T02:00", time.Hour)
		got := e.occurrences(t, sr.ID)
		if len(got) != 3 {
			t.Fatalf("%d windows, want 3 (March 1, 8, 15)", len(got))
		}
		// One occurrence cancelled on its own: the others stay, the series'
		// calendar sequence steps, and it is not made again.
		if _, err := e.svc.CancelMaintenance(ctx, "user:alice", got[1].ID, ""); err != nil {
			t.Fatal(err)
		}
		if s := must(e.svc.Series(ctx, sr.ID))(t); s.Sequence != 1 {
			t.Errorf("series sequence %d after a cancelled occurrence, want 1", s.Sequence)
		}
		e.clock.Add(time.Minute)
		must(e.svc.MaterializeSeries(ctx))(t)
		after := e.occurrences(t, sr.ID)
		if len(after) != 3 || after[1].Status != status.Cancelled || after[0].Status != status.Scheduled || after[2].Status != status.Scheduled {
			t.Fatalf("after cancelling one: %+v", after)
		}
		// An occurrence moved on its own keeps its occurrence start.
		moved := got[2].ScheduledFor.Add(time.Hour)
		m := must(e.svc.EditMaintenance(ctx, "user:alice", got[2].ID, service.MaintenanceEdit{Start: &moved}))(t)
		checkTime(t, "moved start", m.ScheduledFor, moved)
		checkTime(t, "occurrence", m.Occurrence, got[2].Occurrence)

		// March 1, 2:30 AM PST: the first window runs; the series ends.
		e.clock.Set(time.Date(2026, 3, 1, 10, 30, 0, 0, time.UTC))
		e.advance(t, e.svc)
		ended := must(e.svc.EndSeries(ctx, "user:alice", sr.ID, ""))(t)
		checkTime(t, "ended", ended.EndedAt, e.clock.Now())
		after = e.occurrences(t, sr.ID)
		if after[0].Status != status.InProgress || after[2].Status != status.Cancelled {
			t.Errorf("after the end: running one %s (want in_progress), later one %s (want cancelled)", after[0].Status, after[2].Status)
		}
		// Nothing more is made, however far the clock goes.
		e.clock.Add(60 * 24 * time.Hour)
		if n := must(e.svc.MaterializeSeries(ctx))(t); n != 0 {
			t.Errorf("an ended series made %d windows", n)
		}
		_, err := e.svc.EndSeries(ctx, "user:alice", sr.ID, "")
		wantErr[*service.ConflictError](t, err, "already ended")
	})
}

func TestSeriesMonthlyMakesTheNextOne(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b)
		e.clock.Set(time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC))
		// First Sunday of the month; the next, February 1, is beyond the
		// two weeks ahead but made all the same, so the page shows it.
		sr := e.series(t, "FREQ=MONTHLY;BYDAY=1SU", "2026-01-04T02:00", time.Hour)
		got := e.occurrences(t, sr.ID)
		if len(got) != 1 {
			t.Fatalf("%d windows, want 1", len(got))
		}
		checkTime(t, "next", got[0].ScheduledFor, time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC))
	})
}

func TestSeriesValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b)
		w := time.Date(2026, 1, 4, 2, 0, 0, 0, time.UTC)
		ok := service.NewSeries{Title: "x", Body: "y", Rule: "FREQ=WEEKLY", Start: w, Zone: "UTC",
			Duration: time.Hour, Components: []string{"flexo/web"}}
		cases := []struct {
			name string
			edit func(*service.NewSeries)
			want string
		}{
			{"rule", func(r *service.NewSeries) { r.Rule = "FREQ=SECONDLY" }, "repeats DAILY"},
			{"component", func(r *service.NewSeries) { r.Components = []string{"nope/web"} }, "unknown component"},
			{"title", func(r *service.NewSeries) { r.Title = "" }, "title"},
			{"over", func(r *service.NewSeries) { r.Rule = "FREQ=WEEKLY;COUNT=2" }, "no occurrence still to come"},
		}
		e.clock.Set(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
		for _, c := range cases {
			req := ok
			c.edit(&req)
			_, err := e.svc.CreateSeries(t.Context(), "user:alice", req)
			wantErr[*service.InvalidError](t, err, c.want)
		}
		if list := must(e.svc.AllSeries(t.Context()))(t); len(list) != 0 {
			t.Errorf("refused series were stored: %+v", list)
		}
	})
}

// Two instances sharing the database make each occurrence's window once.
func TestMaterializeTwoInstances(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b)
		ctx := t.Context()
		e.clock.Set(march1)
		other, err := store.Open(ctx, store.DSN{URL: b.URL, DataDir: b.DataDir})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { other.Close() })
		second := service.New(other, e.clock, nil)
		if err := second.ReloadCatalog(ctx); err != nil {
			t.Fatal(err)
		}
		sr := e.series(t, "FREQ=DAILY", "2026-03-01T02:00", time.Hour)
		made := len(e.occurrences(t, sr.ID))
		for round := range 3 {
			e.clock.Add(24 * time.Hour)
			var wg sync.WaitGroup
			counts, errs := make([]int, 2), make([]error, 2)
			ready := make(chan struct{})
			for i, svc := range []*service.Service{e.svc, second} {
				wg.Go(func() {
					<-ready
					counts[i], errs[i] = svc.MaterializeSeries(ctx)
				})
			}
			close(ready)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("round %d, instance %d: %v", round, i, err)
				}
			}
			if counts[0]+counts[1] != 1 {
				t.Errorf("round %d: the instances made %v windows, want 1 in total", round, counts)
			}
			made += counts[0] + counts[1]
		}
		list := e.occurrences(t, sr.ID)
		if len(list) != made {
			t.Errorf("%d windows stored, %d made", len(list), made)
		}
		seen := map[time.Time]bool{}
		for _, m := range list {
			if seen[m.Occurrence] {
				t.Errorf("occurrence %s made twice", m.Occurrence)
			}
			seen[m.Occurrence] = true
		}
	})
}

func TestSyncSeries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b)
		ctx := t.Context()
		e.clock.Set(march1)
		declared := status.Series{Key: "Weekly restarts", Title: "Weekly restarts", Body: "Restarts.", Rule: "FREQ=WEEKLY;BYDAY=SU",
			Start: time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC), Zone: "America/Los_Angeles", Duration: time.Hour,
			Components: []string{"flexo/web"}}
		sync := func(want ...status.Series) []status.Series {
			t.Helper()
			if err := e.svc.SyncSeries(ctx, want); err != nil {
				t.Fatal(err)
			}
			return must(e.svc.AllSeries(ctx))(t)
		}
		list := sync(declared)
		if len(list) != 1 || list[0].Key != "Weekly restarts" || len(e.occurrences(t, list[0].ID)) == 0 {
			t.Fatalf("after the first sync: %+v", list)
		}
		first := list[0].ID
		// The same again: nothing changes.
		if list = sync(declared); len(list) != 1 || list[0].ID != first || !list[0].EndedAt.IsZero() {
			t.Fatalf("after the same sync: %+v", list)
		}
		// A new body is taken in place.
		edited := declared
		edited.Body = "Restarts, with the new kernel."
		if list = sync(edited); len(list) != 1 || list[0].ID != first || list[0].Body != edited.Body {
			t.Fatalf("after a new body: %+v", list)
		}
		// Only the configuration ends a series it declares.
		_, err := e.svc.EndSeries(ctx, "user:alice", first, "")
		wantErr[*service.ConflictError](t, err, "declared in the configuration")
		// A new hour ends the series and starts another; its windows to come are cancelled.
		moved := edited
		moved.Start = moved.Start.Add(time.Hour)
		list = sync(moved)
		if len(list) != 2 || list[0].EndedAt.IsZero() == list[1].EndedAt.IsZero() {
			t.Fatalf("after a new hour: %+v", list)
		}
		for _, m := range e.occurrences(t, first) {
			if m.Status != status.Cancelled && m.Status != status.Completed && m.Status != status.InProgress {
				t.Errorf("the old series' window %d is %s", m.ID, m.Status)
			}
		}
		// Removed from the configuration: ended; one made through the API stays.
		api := e.series(t, "FREQ=MONTHLY;BYDAY=1SU", "2026-04-05T02:00", time.Hour)
		list = sync()
		for _, s := range list {
			if (s.ID == api.ID) != s.EndedAt.IsZero() {
				t.Errorf("series %d (%q) ended at %v", s.ID, s.Key, s.EndedAt)
			}
		}
	})
}

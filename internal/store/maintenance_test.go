package store_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

func newMaintenance(title string, st status.MaintenanceStatus, from, until time.Duration) *status.Maintenance {
	return &status.Maintenance{
		Title:          title,
		Body:           "We will upgrade " + title + ".",
		Status:         st,
		ScheduledFor:   base.Add(from),
		ScheduledUntil: base.Add(until),
		CreatedAt:      base.Add(-24 * time.Hour),
		UpdatedAt:      base.Add(-24 * time.Hour),
	}
}

func insertMaintenance(t *testing.T, q *store.Queries, m *status.Maintenance) {
	t.Helper()
	if err := q.InsertMaintenance(t.Context(), m); err != nil {
		t.Fatalf("InsertMaintenance %q: %v", m.Title, err)
	}
	if m.ID == 0 {
		t.Fatalf("InsertMaintenance %q left the ID zero", m.Title)
	}
}

func loadMaintenance(t *testing.T, s *store.Store, id int64) *status.Maintenance {
	t.Helper()
	m, err := s.Maintenance(t.Context(), id)
	if err != nil {
		t.Fatalf("Maintenance(%d): %v", id, err)
	}
	return m
}

// storedMaintenance is a window as it comes back from the store.
func storedMaintenance(m *status.Maintenance) *status.Maintenance {
	out := m.Clone()
	for _, p := range []*time.Time{&out.ScheduledFor, &out.ScheduledUntil, &out.StartedAt, &out.CompletedAt,
		&out.CreatedAt, &out.UpdatedAt} {
		*p = msUTC(*p)
	}
	if len(out.Components) == 0 {
		out.Components = nil
	}
	if len(out.Updates) == 0 {
		out.Updates = nil
	}
	for i := range out.Updates {
		out.Updates[i].CreatedAt = msUTC(out.Updates[i].CreatedAt)
		out.Updates[i].DisplayAt = msUTC(out.Updates[i].DisplayAt)
		out.Updates[i].Rendered = rendered(out.Updates[i].Body)
	}
	out.Rendered = rendered(out.Body)
	return out
}

func checkMaintenance(t *testing.T, got, want *status.Maintenance) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("maintenance %d:\n got %+v\nwant %+v", want.ID, *got, *want)
	}
}

func TestMaintenanceRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		seedCatalog(t, b.Store)
		m := newMaintenance("the database", status.Scheduled, time.Hour, 3*time.Hour)
		m.Components = []string{"api/db", "web/front"} // read back in page order
		insertMaintenance(t, b.Store.Queries, m)

		announced := &status.MaintenanceUpdate{MaintenanceID: m.ID, Status: status.Scheduled, Body: "Planned.",
			CreatedAt: base, DisplayAt: base}
		started := &status.MaintenanceUpdate{MaintenanceID: m.ID, Status: status.InProgress, Body: "Started.",
			CreatedAt: base.Add(time.Hour), DisplayAt: base.Add(time.Hour)}
		backdated := &status.MaintenanceUpdate{MaintenanceID: m.ID, Status: status.Scheduled, Body: "Reminder.",
			CreatedAt: base.Add(2 * time.Hour), DisplayAt: base.Add(30 * time.Minute)}
		for _, u := range []*status.MaintenanceUpdate{announced, started, backdated} {
			if err := b.Store.InsertMaintenanceUpdate(t.Context(), u); err != nil {
				t.Fatalf("InsertMaintenanceUpdate: %v", err)
			}
			if u.ID == 0 {
				t.Fatal("InsertMaintenanceUpdate left the ID zero")
			}
		}

		want := m.Clone()
		want.Components = []string{"web/front", "api/db"}
		want.Updates = []status.MaintenanceUpdate{*started, *backdated, *announced}
		checkMaintenance(t, loadMaintenance(t, b.Store, m.ID), storedMaintenance(want))

		cases := []struct {
			name   string
			change func(m *status.Maintenance)
		}{
			{"fields", func(m *status.Maintenance) {
				m.Title, m.Body, m.Status = "the primary database", "Longer.", status.InProgress
				m.ScheduledUntil = base.Add(4 * time.Hour)
				m.StartedAt, m.UpdatedAt, m.Sequence = base.Add(time.Hour), base.Add(time.Hour), 2
			}},
			{"components replaced", func(m *status.Maintenance) { m.Components = []string{"api/gateway"} }},
			{"completed", func(m *status.Maintenance) {
				m.Status, m.CompletedAt, m.Components = status.Completed, base.Add(4*time.Hour), nil
			}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				cur := loadMaintenance(t, b.Store, m.ID)
				tc.change(cur)
				want := cur.Clone()
				cur.CreatedAt = base.Add(99 * time.Hour) // not saved
				if err := b.Store.SaveMaintenance(t.Context(), cur); err != nil {
					t.Fatalf("SaveMaintenance: %v", err)
				}
				checkMaintenance(t, loadMaintenance(t, b.Store, m.ID), storedMaintenance(want))
			})
		}

		missing := newMaintenance("nothing", status.Scheduled, time.Hour, 2*time.Hour)
		missing.ID = m.ID + 1000
		if err := b.Store.SaveMaintenance(t.Context(), missing); !store.IsNotFound(err) {
			t.Errorf("SaveMaintenance of a missing window = %v, want not found", err)
		}
		if _, err := b.Store.Maintenance(t.Context(), m.ID+1000); !store.IsNotFound(err) {
			t.Errorf("Maintenance of a missing id = %v, want not found", err)
		}
	})
}

func TestMaintenanceUnknownComponent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		seedCatalog(t, b.Store)
		err := b.Store.Tx(t.Context(), func(q *store.Queries) error {
			m := newMaintenance("nowhere", status.Scheduled, time.Hour, 2*time.Hour)
			m.Components = []string{"web/nope"}
			return q.InsertMaintenance(t.Context(), m)
		})
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), "foreign key") {
			t.Fatalf("err = %v, want a foreign key violation", err)
		}
		if n := count(t, b.Store, `SELECT COUNT(*) FROM maintenances`); n != 0 {
			t.Errorf("%d windows left after the failed transaction, want 0", n)
		}
	})
}

func TestMaintenancesFilter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		for _, m := range []*status.Maintenance{
			newMaintenance("later", status.Scheduled, 2*time.Hour, 3*time.Hour),
			newMaintenance("soon", status.Scheduled, time.Hour, 4*time.Hour),
			newMaintenance("running", status.InProgress, -time.Hour, time.Hour),
			newMaintenance("done", status.Completed, -48*time.Hour, -47*time.Hour),
			newMaintenance("called off", status.Cancelled, -24*time.Hour, -23*time.Hour),
			newMaintenance("running longer", status.InProgress, -2*time.Hour, 30*time.Minute),
		} {
			insertMaintenance(t, b.Store.Queries, m)
		}
		cases := []struct {
			name   string
			filter store.MaintenanceFilter
			want   []string
		}{
			{"all, newest first", store.MaintenanceFilter{},
				[]string{"later", "soon", "running", "running longer", "called off", "done"}},
			{"upcoming, soonest first", store.MaintenanceFilter{State: "upcoming"}, []string{"soon", "later"}},
			{"active", store.MaintenanceFilter{State: "active"}, []string{"running longer", "running"}},
			{"pending", store.MaintenanceFilter{State: "pending"}, []string{"running longer", "running", "soon", "later"}},
			{"past, newest first", store.MaintenanceFilter{State: "past"}, []string{"called off", "done"}},
			{"upcoming limit", store.MaintenanceFilter{State: "upcoming", Limit: 1}, []string{"soon"}},
			{"all limit", store.MaintenanceFilter{Limit: 2}, []string{"later", "soon"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				list, err := b.Store.Maintenances(t.Context(), tc.filter)
				if err != nil {
					t.Fatalf("Maintenances: %v", err)
				}
				var got []string
				for _, m := range list {
					got = append(got, m.Title)
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("Maintenances(%+v) = %q, want %q", tc.filter, got, tc.want)
				}
			})
		}
		if _, err := b.Store.Maintenances(t.Context(), store.MaintenanceFilter{State: "soon"}); err == nil {
			t.Error("Maintenances with an unknown state succeeded")
		}
	})
}

func TestNextMaintenanceTransition(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		cases := []struct {
			name    string
			windows []*status.Maintenance
			want    time.Time
		}{
			{"none", nil, time.Time{}},
			{"only finished", []*status.Maintenance{
				newMaintenance("done", status.Completed, -3*time.Hour, -2*time.Hour),
				newMaintenance("called off", status.Cancelled, time.Hour, 2*time.Hour),
			}, time.Time{}},
			{"scheduled: the soonest start", []*status.Maintenance{
				newMaintenance("later", status.Scheduled, 3*time.Hour, 4*time.Hour),
				newMaintenance("soon", status.Scheduled, time.Hour, 5*time.Hour),
			}, base.Add(time.Hour)},
			{"in progress: its end, not its start", []*status.Maintenance{
				newMaintenance("running", status.InProgress, -2*time.Hour, 2*time.Hour),
			}, base.Add(2 * time.Hour)},
			{"an end before a start", []*status.Maintenance{
				newMaintenance("soon", status.Scheduled, time.Hour, 2*time.Hour),
				newMaintenance("running", status.InProgress, -time.Hour, 30*time.Minute),
			}, base.Add(30 * time.Minute)},
			{"a start before an end", []*status.Maintenance{
				newMaintenance("soon", status.Scheduled, 10*time.Minute, 2*time.Hour),
				newMaintenance("running", status.InProgress, -time.Hour, 30*time.Minute),
				newMaintenance("done", status.Completed, -time.Hour, time.Minute),
			}, base.Add(10 * time.Minute)},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				// Each case writes in a transaction that is rolled back, so cases do not mix.
				err := b.Store.Tx(t.Context(), func(q *store.Queries) error {
					for _, m := range tc.windows {
						if err := q.InsertMaintenance(t.Context(), m); err != nil {
							return err
						}
					}
					got, err := q.NextMaintenanceTransition(t.Context())
					if err != nil {
						return err
					}
					if want := msUTC(tc.want); !got.Equal(want) || got.IsZero() != want.IsZero() {
						t.Errorf("NextMaintenanceTransition = %v, want %v", got, want)
					}
					return errRollback
				})
				if !errors.Is(err, errRollback) {
					t.Fatalf("Tx: %v", err)
				}
			})
		}
	})
}

func TestMoveMaintenance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		m := newMaintenance("the database", status.Scheduled, time.Hour, 2*time.Hour)
		insertMaintenance(t, b.Store.Queries, m)

		m.Status, m.StartedAt, m.UpdatedAt = status.InProgress, base.Add(time.Hour), base.Add(time.Hour)
		moved, err := b.Store.MoveMaintenance(t.Context(), m, status.Scheduled)
		if err != nil || !moved {
			t.Fatalf("MoveMaintenance from scheduled = %v, %v; want true, nil", moved, err)
		}
		// Another instance tries the same step: it has already been taken.
		moved, err = b.Store.MoveMaintenance(t.Context(), m, status.Scheduled)
		if err != nil || moved {
			t.Fatalf("MoveMaintenance again = %v, %v; want false, nil", moved, err)
		}
		checkMaintenance(t, loadMaintenance(t, b.Store, m.ID), storedMaintenance(m))
	})
}

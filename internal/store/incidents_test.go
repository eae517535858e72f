package store_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// newIncident returns an incident with no components; a published one was published when it started.
func newIncident(title string, st status.IncidentStatus, draft bool, started time.Time) *status.Incident {
	in := &status.Incident{
		Title:     title,
		Impact:    status.ImpactMinor,
		Status:    st,
		Draft:     draft,
		StartedAt: started,
		CreatedAt: started,
		UpdatedAt: started,
	}
	if !draft {
		in.PublishedAt = started
	}
	return in
}

func insertIncident(t *testing.T, s *store.Store, in *status.Incident) {
	t.Helper()
	if err := s.InsertIncident(t.Context(), in); err != nil {
		t.Fatalf("InsertIncident %q: %v", in.Title, err)
	}
	if in.ID == 0 {
		t.Fatalf("InsertIncident %q left the ID zero", in.Title)
	}
}

func insertIncidentUpdate(t *testing.T, s *store.Store, u *status.IncidentUpdate) {
	t.Helper()
	if err := s.InsertIncidentUpdate(t.Context(), u); err != nil {
		t.Fatalf("InsertIncidentUpdate: %v", err)
	}
	if u.ID == 0 {
		t.Fatal("InsertIncidentUpdate left the ID zero")
	}
}

func loadIncident(t *testing.T, s *store.Store, id int64) *status.Incident {
	t.Helper()
	in, err := s.Incident(t.Context(), id)
	if err != nil {
		t.Fatalf("Incident(%d): %v", id, err)
	}
	return in
}

// stored is an incident as it comes back from the store: times in UTC to the millisecond.
func stored(in *status.Incident) *status.Incident {
	out := in.Clone()
	for _, p := range []*time.Time{&out.StartedAt, &out.IdentifiedAt, &out.MonitoringAt, &out.ResolvedAt,
		&out.PublishedAt, &out.CreatedAt, &out.UpdatedAt, &out.PostmortemPublishedAt} {
		*p = msUTC(*p)
	}
	if len(in.Updates) == 0 {
		out.Updates = nil
	}
	for i := range out.Updates {
		out.Updates[i].CreatedAt = msUTC(out.Updates[i].CreatedAt)
		out.Updates[i].DisplayAt = msUTC(out.Updates[i].DisplayAt)
		out.Updates[i].Rendered = rendered(out.Updates[i].Body)
	}
	out.PostmortemRendered = rendered(out.Postmortem)
	return out
}

func checkIncident(t *testing.T, got, want *status.Incident) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("incident %d:\n got %+v\nwant %+v", want.ID, *got, *want)
	}
}

func titles(list []status.Incident) []string {
	var out []string
	for _, in := range list {
		out = append(out, in.Title)
	}
	return out
}

func TestIncidentRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		seedCatalog(t, b.Store)
		in := &status.Incident{
			Title:                 "Database slow",
			Impact:                status.ImpactMajor,
			Status:                status.Identified,
			Auto:                  true,
			StartedAt:             base,
			IdentifiedAt:          base.Add(5 * time.Minute),
			PublishedAt:           base.Add(time.Minute),
			CreatedAt:             base.Add(time.Minute),
			UpdatedAt:             base.Add(6 * time.Minute),
			Postmortem:            "## What happened\n\nA full disk.",
			PostmortemPublishedAt: base.Add(24 * time.Hour),
			// Given out of page order; read back in it.
			Components: []status.AffectedComponent{
				{ComponentID: "api/db", Status: status.MajorOutage},
				{ComponentID: "web/front", Status: status.DegradedPerformance},
			},
		}
		insertIncident(t, b.Store, in)

		first := &status.IncidentUpdate{IncidentID: in.ID, Status: status.Investigating, Body: "Looking.",
			CreatedAt: base.Add(time.Minute), DisplayAt: base,
			Changes: []status.ComponentChange{{ComponentID: "api/db", Old: status.Operational, New: status.MajorOutage}}}
		identified := &status.IncidentUpdate{IncidentID: in.ID, Status: status.Identified, Body: "A full disk.",
			CreatedAt: base.Add(5 * time.Minute), DisplayAt: base.Add(5 * time.Minute),
			Changes: []status.ComponentChange{
				{ComponentID: "api/db", Old: status.MajorOutage, New: status.PartialOutage},
				{ComponentID: "web/front", Old: status.Operational, New: status.DegradedPerformance},
			}}
		// Written last, shown between the two.
		backdated := &status.IncidentUpdate{IncidentID: in.ID, Status: status.Investigating, Body: "Backdated note.",
			CreatedAt: base.Add(10 * time.Minute), DisplayAt: base.Add(2 * time.Minute)}
		// Shown at the same time as identified, written after: the later one comes first.
		tie := &status.IncidentUpdate{IncidentID: in.ID, Status: status.Identified, Body: "Same minute.",
			CreatedAt: base.Add(11 * time.Minute), DisplayAt: base.Add(5 * time.Minute)}
		for _, u := range []*status.IncidentUpdate{first, identified, backdated, tie} {
			insertIncidentUpdate(t, b.Store, u)
		}

		want := in.Clone()
		want.Components = []status.AffectedComponent{in.Components[1], in.Components[0]}
		want.Updates = []status.IncidentUpdate{*tie, *identified, *backdated, *first}
		want.Links = nil
		got := loadIncident(t, b.Store, in.ID)
		checkIncident(t, got, stored(want))
		if got.StartedAt.Location() != time.UTC {
			t.Errorf("StartedAt in %v, want UTC", got.StartedAt.Location())
		}
	})
}

func TestSaveIncident(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		seedCatalog(t, b.Store)
		in := newIncident("Slow pages", status.Investigating, true, base)
		in.Components = []status.AffectedComponent{
			{ComponentID: "web/front", Status: status.DegradedPerformance},
			{ComponentID: "api/db", Status: status.DegradedPerformance},
		}
		insertIncident(t, b.Store, in)
		u := &status.IncidentUpdate{IncidentID: in.ID, Status: status.Investigating, Body: "Looking.",
			CreatedAt: base, DisplayAt: base}
		insertIncidentUpdate(t, b.Store, u)

		cases := []struct {
			name   string
			change func(in *status.Incident)
		}{
			{"fields", func(in *status.Incident) {
				in.Title, in.Impact, in.Status = "Database down", status.ImpactCritical, status.Resolved
				in.Draft, in.Auto = false, true
				in.StartedAt = base.Add(-time.Hour) // backdated
				in.IdentifiedAt, in.MonitoringAt = base.Add(time.Minute), base.Add(2*time.Minute)
				in.ResolvedAt, in.PublishedAt = base.Add(3*time.Minute), base.Add(30*time.Second)
				in.UpdatedAt = base.Add(3 * time.Minute)
				in.Postmortem, in.PostmortemPublishedAt = "It was the disk.", base.Add(48*time.Hour)
			}},
			{"components replaced", func(in *status.Incident) {
				in.Components = []status.AffectedComponent{{ComponentID: "api/gateway", Status: status.MajorOutage}}
			}},
			{"components cleared", func(in *status.Incident) { in.Components = nil }},
			{"times cleared", func(in *status.Incident) {
				in.Status, in.ResolvedAt, in.PostmortemPublishedAt = status.Monitoring, time.Time{}, time.Time{}
			}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				cur := loadIncident(t, b.Store, in.ID)
				tc.change(cur)
				want := cur.Clone()
				cur.CreatedAt = base.Add(99 * time.Hour) // not saved: it was created once
				if err := b.Store.SaveIncident(t.Context(), cur); err != nil {
					t.Fatalf("SaveIncident: %v", err)
				}
				checkIncident(t, loadIncident(t, b.Store, in.ID), stored(want))
			})
		}

		missing := newIncident("never stored", status.Investigating, false, base)
		missing.ID = in.ID + 1000
		if err := b.Store.SaveIncident(t.Context(), missing); !store.IsNotFound(err) {
			t.Errorf("SaveIncident of a missing incident = %v, want not found", err)
		}
		if _, err := b.Store.Incident(t.Context(), in.ID+1000); !store.IsNotFound(err) {
			t.Errorf("Incident of a missing id = %v, want not found", err)
		}
	})
}

func TestIncidentsFilter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		seedCatalog(t, b.Store)
		resolved := func(in *status.Incident, at time.Time) *status.Incident {
			in.ResolvedAt = at
			return in
		}
		for _, in := range []*status.Incident{
			newIncident("open", status.Identified, false, base.Add(-time.Hour)),
			resolved(newIncident("resolved long ago", status.Resolved, false, base.Add(-48*time.Hour)), base.Add(-47*time.Hour)),
			newIncident("draft", status.Investigating, true, base.Add(-30*time.Minute)),
			resolved(newIncident("resolved lately", status.Resolved, false, base.Add(-3*time.Hour)), base.Add(-10*time.Minute)),
			resolved(newIncident("resolved draft", status.Resolved, true, base.Add(-72*time.Hour)), base.Add(-71*time.Hour)),
			newIncident("open for days", status.Monitoring, false, base.Add(-100*time.Hour)),
			// Same start as "open", stored later: it comes first.
			newIncident("open too", status.Investigating, false, base.Add(-time.Hour)),
		} {
			insertIncident(t, b.Store, in)
		}
		since := base.Add(-2 * time.Hour)
		cases := []struct {
			name   string
			filter store.IncidentFilter
			want   []string
		}{
			{"all", store.IncidentFilter{},
				[]string{"draft", "open too", "open", "resolved lately", "resolved long ago", "resolved draft", "open for days"}},
			{"open", store.IncidentFilter{State: "open"}, []string{"open too", "open", "open for days"}},
			{"resolved", store.IncidentFilter{State: "resolved"}, []string{"resolved lately", "resolved long ago"}},
			{"draft", store.IncidentFilter{State: "draft"}, []string{"draft", "resolved draft"}},
			{"published", store.IncidentFilter{State: "published"},
				[]string{"open too", "open", "resolved lately", "resolved long ago", "open for days"}},
			{"since", store.IncidentFilter{Since: since},
				[]string{"draft", "open too", "open", "resolved lately", "open for days"}},
			{"open since", store.IncidentFilter{State: "open", Since: since}, []string{"open too", "open", "open for days"}},
			{"resolved since", store.IncidentFilter{State: "resolved", Since: since}, []string{"resolved lately"}},
			{"draft since", store.IncidentFilter{State: "draft", Since: since}, []string{"draft"}},
			{"limit", store.IncidentFilter{Limit: 2}, []string{"draft", "open too"}},
			{"published limit", store.IncidentFilter{State: "published", Limit: 3}, []string{"open too", "open", "resolved lately"}},
			{"since in the future", store.IncidentFilter{State: "resolved", Since: base.Add(time.Hour)}, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				list, err := b.Store.Incidents(t.Context(), tc.filter)
				if err != nil {
					t.Fatalf("Incidents: %v", err)
				}
				if got := titles(list); !slices.Equal(got, tc.want) {
					t.Errorf("Incidents(%+v) = %q, want %q", tc.filter, got, tc.want)
				}
			})
		}
		if _, err := b.Store.Incidents(t.Context(), store.IncidentFilter{State: "closed"}); err == nil {
			t.Error("Incidents with an unknown state succeeded")
		}
	})
}

func TestIncidentLinks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		var ids [3]int64
		for i := range ids {
			in := newIncident(fmt.Sprintf("incident %d", i), status.Investigating, false, base.Add(time.Duration(i)*time.Minute))
			insertIncident(t, b.Store, in)
			ids[i] = in.ID
		}
		links := func(t *testing.T) map[int64][]int64 {
			t.Helper()
			list, err := b.Store.Incidents(t.Context(), store.IncidentFilter{})
			if err != nil {
				t.Fatalf("Incidents: %v", err)
			}
			out := map[int64][]int64{}
			for _, in := range list {
				if one := loadIncident(t, b.Store, in.ID); !slices.Equal(one.Links, in.Links) {
					t.Errorf("incident %d: Incident() links %v, Incidents() links %v", in.ID, one.Links, in.Links)
				}
				if in.Links != nil {
					out[in.ID] = in.Links
				}
			}
			return out
		}
		steps := []struct {
			name string
			do   func() error
			want map[int64][]int64
		}{
			{"link", func() error { return b.Store.LinkIncidents(t.Context(), ids[0], ids[1]) },
				map[int64][]int64{ids[0]: {ids[1]}, ids[1]: {ids[0]}}},
			{"link again, reversed", func() error { return b.Store.LinkIncidents(t.Context(), ids[1], ids[0]) },
				map[int64][]int64{ids[0]: {ids[1]}, ids[1]: {ids[0]}}},
			{"link a third", func() error { return b.Store.LinkIncidents(t.Context(), ids[2], ids[0]) },
				map[int64][]int64{ids[0]: {ids[1], ids[2]}, ids[1]: {ids[0]}, ids[2]: {ids[0]}}},
			{"unlink", func() error { return b.Store.UnlinkIncidents(t.Context(), ids[1], ids[0]) },
				map[int64][]int64{ids[0]: {ids[2]}, ids[2]: {ids[0]}}},
			{"unlink again", func() error { return b.Store.UnlinkIncidents(t.Context(), ids[0], ids[1]) },
				map[int64][]int64{ids[0]: {ids[2]}, ids[2]: {ids[0]}}},
		}
		for _, step := range steps {
			t.Run(step.name, func(t *testing.T) {
				if err := step.do(); err != nil {
					t.Fatal(err)
				}
				if got := links(t); !reflect.DeepEqual(got, step.want) {
					t.Errorf("links = %v, want %v", got, step.want)
				}
			})
		}
		if err := b.Store.LinkIncidents(t.Context(), ids[0], ids[2]+1000); err == nil {
			t.Error("linking to a missing incident succeeded")
		}
	})
}

func TestDeleteIncident(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		seedCatalog(t, b.Store)
		doomed := newIncident("doomed", status.Investigating, false, base)
		doomed.Components = []status.AffectedComponent{{ComponentID: "api/db", Status: status.MajorOutage}}
		insertIncident(t, b.Store, doomed)
		other := newIncident("other", status.Investigating, false, base)
		insertIncident(t, b.Store, other)
		var updateIDs []string
		for i := range 2 {
			u := &status.IncidentUpdate{IncidentID: doomed.ID, Status: status.Investigating, Body: "Still down.",
				CreatedAt: base.Add(time.Duration(i) * time.Minute), DisplayAt: base.Add(time.Duration(i) * time.Minute),
				Changes: []status.ComponentChange{{ComponentID: "api/db", Old: status.Operational, New: status.MajorOutage}}}
			insertIncidentUpdate(t, b.Store, u)
			updateIDs = append(updateIDs, fmt.Sprint(u.ID))
		}
		if err := b.Store.LinkIncidents(t.Context(), doomed.ID, other.ID); err != nil {
			t.Fatalf("LinkIncidents: %v", err)
		}

		if err := b.Store.DeleteIncident(t.Context(), doomed.ID); err != nil {
			t.Fatalf("DeleteIncident: %v", err)
		}
		if _, err := b.Store.Incident(t.Context(), doomed.ID); !store.IsNotFound(err) {
			t.Errorf("Incident after delete = %v, want not found", err)
		}
		for _, q := range []string{
			fmt.Sprintf(`SELECT COUNT(*) FROM incident_updates WHERE incident_id = %d`, doomed.ID),
			`SELECT COUNT(*) FROM incident_update_changes WHERE update_id IN (` + strings.Join(updateIDs, ", ") + `)`,
			fmt.Sprintf(`SELECT COUNT(*) FROM incident_components WHERE incident_id = %d`, doomed.ID),
			fmt.Sprintf(`SELECT COUNT(*) FROM incident_links WHERE a = %d OR b = %d`, doomed.ID, doomed.ID),
		} {
			if n := count(t, b.Store, q); n != 0 {
				t.Errorf("%s = %d after delete, want 0", q, n)
			}
		}
		if got := loadIncident(t, b.Store, other.ID); got.Links != nil {
			t.Errorf("the other incident still links to %v", got.Links)
		}
		if err := b.Store.DeleteIncident(t.Context(), doomed.ID); !store.IsNotFound(err) {
			t.Errorf("deleting it again = %v, want not found", err)
		}
	})
}

func TestIncidentUnknownComponent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		seedCatalog(t, b.Store)
		unknown := []status.AffectedComponent{{ComponentID: "web/nope", Status: status.MajorOutage}}
		cases := []struct {
			name string
			fn   func(q *store.Queries) error
		}{
			{"insert", func(q *store.Queries) error {
				in := newIncident("bad", status.Investigating, false, base)
				in.Components = unknown
				return q.InsertIncident(t.Context(), in)
			}},
			{"save", func(q *store.Queries) error {
				in := newIncident("bad later", status.Investigating, false, base)
				if err := q.InsertIncident(t.Context(), in); err != nil {
					return fmt.Errorf("insert a good incident: %w (should not fail)", err)
				}
				in.Components = unknown
				return q.SaveIncident(t.Context(), in)
			}},
			{"update change", func(q *store.Queries) error {
				in := newIncident("bad update", status.Investigating, false, base)
				if err := q.InsertIncident(t.Context(), in); err != nil {
					return fmt.Errorf("insert a good incident: %w (should not fail)", err)
				}
				return q.InsertIncidentUpdate(t.Context(), &status.IncidentUpdate{IncidentID: in.ID,
					Status: status.Investigating, Body: "?", CreatedAt: base, DisplayAt: base,
					Changes: []status.ComponentChange{{ComponentID: "web/nope", Old: status.Operational, New: status.MajorOutage}}})
			}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				err := b.Store.Tx(t.Context(), tc.fn)
				if err == nil || !strings.Contains(strings.ToLower(err.Error()), "foreign key") {
					t.Fatalf("err = %v, want a foreign key violation", err)
				}
				if n := count(t, b.Store, `SELECT COUNT(*) FROM incidents`); n != 0 {
					t.Errorf("%d incidents left after the failed transaction, want 0", n)
				}
			})
		}
	})
}

// TestManyIncidents loads more incidents than one IN-query chunk holds, so
// components, updates, changes and links are read in several batches.
func TestManyIncidents(t *testing.T) {
	const n = 1200
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		seedCatalog(t, b.Store)
		comps := catalogComponents()
		ids := make([]int64, n) // ids[i] is the i-th newest
		err := b.Store.Tx(t.Context(), func(q *store.Queries) error {
			for i := range n {
				in := newIncident(fmt.Sprintf("incident %04d", i), status.Investigating, false, base.Add(-time.Duration(i)*time.Minute))
				c := comps[i%len(comps)].ID
				in.Components = []status.AffectedComponent{{ComponentID: c, Status: status.PartialOutage}}
				if err := q.InsertIncident(t.Context(), in); err != nil {
					return err
				}
				ids[i] = in.ID
				u := &status.IncidentUpdate{IncidentID: in.ID, Status: status.Investigating, Body: "update for " + in.Title,
					CreatedAt: in.StartedAt, DisplayAt: in.StartedAt,
					Changes: []status.ComponentChange{{ComponentID: c, Old: status.Operational, New: status.PartialOutage}}}
				if err := q.InsertIncidentUpdate(t.Context(), u); err != nil {
					return err
				}
			}
			// One link within the first chunk, one across chunks.
			if err := q.LinkIncidents(t.Context(), ids[0], ids[1]); err != nil {
				return err
			}
			return q.LinkIncidents(t.Context(), ids[0], ids[n-1])
		})
		if err != nil {
			t.Fatalf("store %d incidents: %v", n, err)
		}

		list, err := b.Store.Incidents(t.Context(), store.IncidentFilter{})
		if err != nil {
			t.Fatalf("Incidents: %v", err)
		}
		if len(list) != n {
			t.Fatalf("Incidents returned %d, want %d", len(list), n)
		}
		wantLinks := map[int64][]int64{
			ids[0]:   {ids[1], ids[n-1]},
			ids[1]:   {ids[0]},
			ids[n-1]: {ids[0]},
		}
		for i, in := range list {
			if in.ID != ids[i] {
				t.Fatalf("incident %d has id %d, want %d (newest first)", i, in.ID, ids[i])
			}
			c := comps[i%len(comps)].ID
			if len(in.Components) != 1 || in.Components[0].ComponentID != c {
				t.Errorf("incident %d components = %+v, want %s", i, in.Components, c)
			}
			if len(in.Updates) != 1 {
				t.Errorf("incident %d has %d updates, want 1", i, len(in.Updates))
				continue
			}
			u := in.Updates[0]
			if u.IncidentID != in.ID || u.Body != "update for "+in.Title {
				t.Errorf("incident %d (%q) has the update of incident %d (%q)", in.ID, in.Title, u.IncidentID, u.Body)
			}
			if len(u.Changes) != 1 || u.Changes[0].ComponentID != c {
				t.Errorf("incident %d update changes = %+v, want one on %s", i, u.Changes, c)
			}
			if !slices.Equal(in.Links, wantLinks[in.ID]) {
				t.Errorf("incident %d links = %v, want %v", i, in.Links, wantLinks[in.ID])
			}
		}
	})
}

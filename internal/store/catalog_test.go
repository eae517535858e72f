package store_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// Sync times: each re-sync happens later, so UpdatedAt shows which one touched a row.
var (
	sync1 = base
	sync2 = base.Add(time.Hour)
	sync3 = base.Add(2 * time.Hour)
)

// stamped returns the configured catalog as stored at one sync time.
func stampedGroups(at time.Time) []store.Group {
	gs := catalogGroups()
	for i := range gs {
		gs[i].CreatedAt, gs[i].UpdatedAt = msUTC(at), msUTC(at)
	}
	return gs
}

func stampedComponents(at time.Time) []store.Component {
	cs := catalogComponents()
	for i := range cs {
		cs[i].CreatedAt, cs[i].UpdatedAt = msUTC(at), msUTC(at)
	}
	return cs
}

func without[T any](list []T, drop func(T) bool) []T {
	var out []T
	for _, v := range list {
		if !drop(v) {
			out = append(out, v)
		}
	}
	return out
}

func checkCatalog(t *testing.T, s *store.Store, wantGroups []store.Group, wantComponents []store.Component) {
	t.Helper()
	groups, err := s.Groups(t.Context())
	if err != nil {
		t.Fatalf("Groups: %v", err)
	}
	if !reflect.DeepEqual(groups, wantGroups) {
		t.Errorf("Groups:\n got %+v\nwant %+v", groups, wantGroups)
	}
	comps, err := s.Components(t.Context())
	if err != nil {
		t.Fatalf("Components: %v", err)
	}
	if !reflect.DeepEqual(comps, wantComponents) {
		t.Errorf("Components:\n got %+v\nwant %+v", comps, wantComponents)
	}
}

func syncCatalog(t *testing.T, s *store.Store, groups []store.Group, comps []store.Component, at time.Time) {
	t.Helper()
	if err := s.SyncCatalog(t.Context(), groups, comps, at); err != nil {
		t.Fatalf("SyncCatalog: %v", err)
	}
}

func TestSyncCatalogInsertsInOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		empty, err := b.Store.Components(t.Context())
		if err != nil {
			t.Fatalf("Components: %v", err)
		}
		if len(empty) != 0 {
			t.Fatalf("a new database has components: %+v", empty)
		}
		syncCatalog(t, b.Store, catalogGroups(), catalogComponents(), sync1)
		checkCatalog(t, b.Store, stampedGroups(sync1), stampedComponents(sync1))
	})
}

func TestSyncCatalogUnchangedKeepsUpdatedAt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		syncCatalog(t, b.Store, catalogGroups(), catalogComponents(), sync1)
		syncCatalog(t, b.Store, catalogGroups(), catalogComponents(), sync2)
		checkCatalog(t, b.Store, stampedGroups(sync1), stampedComponents(sync1))
	})
}

func TestSyncCatalogRename(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		syncCatalog(t, b.Store, catalogGroups(), catalogComponents(), sync1)

		groups, comps := catalogGroups(), catalogComponents()
		groups[1].Name = "Public API"
		comps[3].Name = "Primary database"
		comps[0].Description = "The shop"
		syncCatalog(t, b.Store, groups, comps, sync2)

		wantG, wantC := stampedGroups(sync1), stampedComponents(sync1)
		wantG[1].Name, wantG[1].UpdatedAt = "Public API", msUTC(sync2)
		wantC[3].Name, wantC[3].UpdatedAt = "Primary database", msUTC(sync2)
		wantC[0].Description, wantC[0].UpdatedAt = "The shop", msUTC(sync2)
		checkCatalog(t, b.Store, wantG, wantC)
	})
}

func TestSyncCatalogReorders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		syncCatalog(t, b.Store, catalogGroups(), catalogComponents(), sync1)

		groups, comps := catalogGroups(), catalogComponents()
		groups[0].Position, groups[1].Position = 1, 0 // api before web
		comps[2].Position, comps[3].Position = 1, 0   // api/db before api/gateway
		syncCatalog(t, b.Store, groups, comps, sync2)

		wantG, wantC := stampedGroups(sync1), stampedComponents(sync1)
		wantG[0].Position, wantG[0].UpdatedAt = 1, msUTC(sync2)
		wantG[1].Position, wantG[1].UpdatedAt = 0, msUTC(sync2)
		wantC[2].Position, wantC[2].UpdatedAt = 1, msUTC(sync2)
		wantC[3].Position, wantC[3].UpdatedAt = 0, msUTC(sync2)
		checkCatalog(t, b.Store,
			[]store.Group{wantG[1], wantG[0]},
			[]store.Component{wantC[3], wantC[2], wantC[0], wantC[1]})
	})
}

func TestSyncCatalogRemovedAndReadded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		syncCatalog(t, b.Store, catalogGroups(), catalogComponents(), sync1)

		// An incident on the component that is about to go.
		in := newIncident("CDN errors", status.Investigating, false, base)
		in.Components = []status.AffectedComponent{{ComponentID: "web/cdn", Status: status.PartialOutage}}
		insertIncident(t, b.Store, in)
		insertIncidentUpdate(t, b.Store, &status.IncidentUpdate{IncidentID: in.ID, Status: status.Investigating,
			Body: "Looking.", CreatedAt: base, DisplayAt: base,
			Changes: []status.ComponentChange{{ComponentID: "web/cdn", Old: status.Operational, New: status.PartialOutage}}})

		isCDN := func(c store.Component) bool { return c.ID == "web/cdn" }
		syncCatalog(t, b.Store, catalogGroups(), without(catalogComponents(), isCDN), sync2)

		wantC := stampedComponents(sync1)
		removed := wantC[1]
		removed.RemovedAt, removed.UpdatedAt = msUTC(sync2), msUTC(sync2)
		checkCatalog(t, b.Store, stampedGroups(sync1), append(without(wantC, isCDN), removed))

		got, err := b.Store.Incident(t.Context(), in.ID)
		if err != nil {
			t.Fatalf("an incident on a removed component: %v", err)
		}
		if len(got.Components) != 1 || got.Components[0].ComponentID != "web/cdn" {
			t.Errorf("incident components = %+v, want web/cdn", got.Components)
		}
		if len(got.Updates) != 1 || len(got.Updates[0].Changes) != 1 {
			t.Errorf("incident updates = %+v, want one with one change", got.Updates)
		}

		// Removing it again (still unconfigured) leaves its RemovedAt alone.
		syncCatalog(t, b.Store, catalogGroups(), without(catalogComponents(), isCDN), sync3)
		checkCatalog(t, b.Store, stampedGroups(sync1), append(without(wantC, isCDN), removed))

		// Configured again, it is back in its place.
		syncCatalog(t, b.Store, catalogGroups(), catalogComponents(), sync3)
		wantC[1].UpdatedAt = msUTC(sync3)
		checkCatalog(t, b.Store, stampedGroups(sync1), wantC)
	})
}

func TestSyncCatalogRemovedGroup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		syncCatalog(t, b.Store, catalogGroups(), catalogComponents(), sync1)

		isWeb := func(g store.Group) bool { return g.ID == "web" }
		inWeb := func(c store.Component) bool { return c.GroupID == "web" }
		syncCatalog(t, b.Store, without(catalogGroups(), isWeb), without(catalogComponents(), inWeb), sync2)

		wantG, wantC := stampedGroups(sync1), stampedComponents(sync1)
		wantG[0].RemovedAt, wantG[0].UpdatedAt = msUTC(sync2), msUTC(sync2)
		for i := 0; i < 2; i++ {
			wantC[i].RemovedAt, wantC[i].UpdatedAt = msUTC(sync2), msUTC(sync2)
		}
		checkCatalog(t, b.Store,
			[]store.Group{wantG[1], wantG[0]},
			[]store.Component{wantC[2], wantC[3], wantC[0], wantC[1]})
	})
}

func TestSyncCatalogUnknownGroup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		comps := append(catalogComponents(), store.Component{ID: "ops/pager", GroupID: "ops", Name: "Pager"})
		err := b.Store.Tx(t.Context(), func(q *store.Queries) error {
			return q.SyncCatalog(t.Context(), catalogGroups(), comps, sync1)
		})
		if err == nil {
			t.Fatal("SyncCatalog with a component in an unknown group succeeded")
		}
		if n := count(t, b.Store, `SELECT COUNT(*) FROM components`); n != 0 {
			t.Errorf("%d components stored after a failed sync in a transaction, want 0", n)
		}
	})
}

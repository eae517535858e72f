package service_test

import (
	"context"
	"testing"

	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// Two services in one process (tests, or two instances) each run their own
// hooks and only theirs.
func TestHooksBelongToTheirService(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		a := setup(t, b)
		other := service.New(b.Store, a.clock, nil)
		if err := other.ReloadCatalog(t.Context()); err != nil {
			t.Fatal(err)
		}
		var seenA, seenOther []string
		defer a.svc.OnRecord(func(_ context.Context, _ *store.Queries, c store.Change) error {
			seenA = append(seenA, c.Action)
			return nil
		})()
		removeOther := other.OnRecord(func(_ context.Context, _ *store.Queries, c store.Change) error {
			seenOther = append(seenOther, c.Action)
			return nil
		})
		a.open(t, "Web sites on flexo not responding", map[string]status.ComponentStatus{"flexo/web": status.MajorOutage})
		if len(seenA) != 1 || seenA[0] != "incident.create" {
			t.Errorf("the service's own hook saw %v, want [incident.create]", seenA)
		}
		if len(seenOther) != 0 {
			t.Errorf("another service's hook saw %v of a change it did not make", seenOther)
		}
		removeOther()
		if _, err := other.OpenIncident(t.Context(), "user:bob", service.NewIncident{Title: "E-mail on mom delayed",
			Body: "Looking.", Components: map[string]status.ComponentStatus{"mom/email": status.DegradedPerformance}}); err != nil {
			t.Fatal(err)
		}
		if len(seenA) != 1 || len(seenOther) != 0 {
			t.Errorf("after the other service's change: first saw %v, other (removed) saw %v", seenA, seenOther)
		}
	})
}

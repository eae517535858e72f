package service_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

func TestGenerationMovesBeforeListenersRun(t *testing.T) {
	e := setup(t, storetest.SQLite(t))
	seen := make(chan uint64, 8)
	e.svc.OnChange(func() { seen <- e.svc.Generation() })
	before := e.svc.Generation()
	e.open(t, "Web sites on flexo unreachable", map[string]status.ComponentStatus{"flexo/web": status.MajorOutage})
	select {
	case g := <-seen:
		if g <= before {
			t.Errorf("a listener saw generation %d, not past %d: a reader could miss the change", g, before)
		}
	default:
		t.Fatal("no listener ran")
	}
	if e.svc.Generation() <= before {
		t.Error("the generation did not move")
	}
}

// otherProcess is a second service on the same database through a store of
// its own, as another instance or a `herald` command would be.
func otherProcess(t *testing.T, b storetest.Backend, clock service.Clock) *service.Service {
	t.Helper()
	st, err := store.Open(t.Context(), store.DSN{URL: b.URL, DataDir: b.DataDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := service.New(st, clock, nil)
	if err := svc.ReloadCatalog(t.Context()); err != nil {
		t.Fatal(err)
	}
	return svc
}

func openMail(t *testing.T, svc *service.Service) *status.Incident {
	t.Helper()
	return must(svc.OpenIncident(t.Context(), "user:bob", service.NewIncident{Title: "Mail on mom delayed", Body: "Looking.",
		Components: map[string]status.ComponentStatus{"mom/email": status.PartialOutage}}))(t)
}

// A Follower makes a change made by another process reach this one.
func TestFollowerBringsOtherProcessesChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx, cancel := context.WithCancel(context.Background())
		here := setup(t, b)
		there := otherProcess(t, b, here.clock)
		changed := make(chan struct{}, 64)
		here.svc.OnChange(func() { changed <- struct{}{} })
		f := must(here.svc.Follow(ctx))(t)
		// On PostgreSQL the signal must carry it: nothing polls for an hour.
		every := time.Hour
		if b.Name == "sqlite" {
			every = 20 * time.Millisecond
		}
		var wg sync.WaitGroup
		wg.Go(func() { f.Run(ctx, every) })
		defer func() { cancel(); wg.Wait() }()

		deadline := time.After(guard) // a failure guard, not a timing assertion
		for i := range 2 {
			// The first may arrive through the wake Run gives itself once
			// listening; the second can only come through a signal.
			in := openMail(t, there)
			select {
			case <-changed:
			case <-deadline:
				t.Fatalf("change %d (incident %d), made by another process, never arrived", i+1, in.ID)
			}
			snap := must(here.svc.Snapshot(ctx))(t)
			if n := len(snap.Open); n != i+1 || snap.Open[0].ID != in.ID {
				t.Errorf("%d open incidents here, want %d, the newest %d", n, i+1, in.ID)
			}
		}
	})
}

// A change made through this process's own store is news to nobody here:
// the change itself told the listeners.
func TestFollowerSkipsOwnChanges(t *testing.T) {
	b := storetest.SQLite(t)
	e := setup(t, b)
	there := otherProcess(t, b, e.clock)
	calls := 0
	e.svc.OnChange(func() { calls++ })
	f := must(e.svc.Follow(t.Context()))(t)

	e.open(t, "Web sites on flexo unreachable", map[string]status.ComponentStatus{"flexo/web": status.MajorOutage})
	if calls != 1 {
		t.Fatalf("%d change notices from the change itself, want 1", calls)
	}
	if err := f.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("%d change notices after the follower read its own change, want still 1", calls)
	}
	openMail(t, there)
	openMail(t, there)
	if err := f.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	if calls != 2 {
		t.Errorf("%d change notices after two changes from elsewhere, want 2: one per read", calls)
	}
	if err := f.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	if calls != 2 {
		t.Errorf("%d change notices after reading nothing new, want still 2", calls)
	}
}

// A fleet changed by another instance's configuration reaches this one's
// catalog; a configuration that changes nothing leaves no trace.
func TestFollowerLoadsAnotherInstancesCatalog(t *testing.T) {
	b := storetest.SQLite(t)
	e := setup(t, b)
	there := otherProcess(t, b, e.clock)
	f := must(e.svc.Follow(t.Context()))(t)
	groups, comps := catalog()
	if err := there.SyncCatalog(t.Context(), groups, comps); err != nil {
		t.Fatal(err)
	}
	if n := len(must(e.svc.Changes(t.Context(), service.CatalogSubject, 0))(t)); n != 1 {
		t.Errorf("%d catalog changes recorded, want 1: the first sync only", n)
	}
	comps = append(comps, store.Component{ID: "zapp/ftp", GroupID: "zapp", Name: "FTP", Position: 2})
	if err := there.SyncCatalog(t.Context(), groups, comps); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.svc.Catalog().Component("zapp/ftp"); ok {
		t.Fatal("the component is here before the follower read the log")
	}
	if err := f.Step(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.svc.Catalog().Component("zapp/ftp"); !ok {
		t.Error("a component another instance configured is not in this one's catalog")
	}
}

func TestUnrecordedMeasurementsShowInTheSnapshot(t *testing.T) {
	e := setup(t, storetest.SQLite(t))
	ctx := t.Context()
	calls := 0
	e.svc.OnChange(func() { calls++ })
	down := map[string]status.ComponentStatus{"zapp/web": status.MajorOutage}
	e.svc.SetMeasuredUnrecorded(down)
	snap := must(e.svc.Snapshot(ctx))(t)
	if !snap.Unrecorded || snap.Stale {
		t.Errorf("Unrecorded %v, Stale %v; want true, false", snap.Unrecorded, snap.Stale)
	}
	if got := statusOf(snap, "zapp/web"); got != status.MajorOutage {
		t.Errorf("zapp/web is %s, want what was measured, major_outage", got)
	}
	// The same statuses, now written: the mark goes, and that is a change.
	e.svc.SetMeasured(down)
	if snap := must(e.svc.Snapshot(ctx))(t); snap.Unrecorded {
		t.Error("still unrecorded after SetMeasured")
	}
	if calls != 2 {
		t.Errorf("%d change notices, want 2 (measured unrecorded, then recorded)", calls)
	}
}

func TestRederiveUsesLastRecordsAndLiveMeasurements(t *testing.T) {
	b := storetest.SQLite(t)
	e := setup(t, b)
	ctx := t.Context()
	e.open(t, "Mail on mom delayed", map[string]status.ComponentStatus{"mom/email": status.PartialOutage})
	snap := must(e.svc.Snapshot(ctx))(t)
	if err := b.Store.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Snapshot(ctx); err == nil {
		t.Fatal("a snapshot read from a closed database")
	}
	e.svc.SetMeasuredUnrecorded(map[string]status.ComponentStatus{"flexo/web": status.MajorOutage})
	live := e.svc.Rederive(snap)
	if !live.Stale || !live.Unrecorded {
		t.Errorf("Stale %v, Unrecorded %v; want both", live.Stale, live.Unrecorded)
	}
	if got := statusOf(live, "flexo/web"); got != status.MajorOutage {
		t.Errorf("flexo/web is %s, want the live measurement, major_outage", got)
	}
	if got := statusOf(live, "mom/email"); got != status.PartialOutage {
		t.Errorf("mom/email is %s, want partial_outage from the incident last read", got)
	}
	if len(live.Open) != 1 || live.Overall.Indicator != status.IndicatorCritical {
		t.Errorf("open %d, overall %+v", len(live.Open), live.Overall)
	}
}

func statusOf(snap *service.Snapshot, id string) status.ComponentStatus {
	for _, c := range snap.Components {
		if c.ID == id {
			return c.Status
		}
	}
	return ""
}

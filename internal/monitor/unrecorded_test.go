package monitor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// With the database gone, what the monitors measure still reaches readers:
// the states are published though they cannot be written, OnUnrecorded
// says so, and /metrics shows the component down.
func TestStatesArePublishedWhenTheyCannotBeWritten(t *testing.T) {
	b := storetest.SQLite(t)
	seedFleet(t, b.Store)
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer failing.Close()

	unrecorded := make(chan struct{}, 16)
	transitions := 0
	e := New(Options{Store: b.Store, FlushEvery: 20 * time.Millisecond,
		OnTransition: func() { transitions++ },
		OnUnrecorded: func() {
			select {
			case unrecorded <- struct{}{}:
			default:
			}
		}})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { e.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()
	sp := httpSpec("flexo/web/http", "flexo/web", failing.URL, 50*time.Millisecond)
	if err := e.Apply(ctx, []Spec{sp}); err != nil {
		t.Fatal(err)
	}
	// The database goes away before the monitor crosses its threshold.
	if err := b.Store.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-unrecorded:
	case <-time.After(10 * time.Second): // a failure guard, not a timing assertion
		t.Fatalf("no OnUnrecorded; states: %+v", e.Statuses())
	}
	if st := e.Statuses()[sp.ID].State; st != status.MonitorDown {
		t.Errorf("published state %q, want down though it was not written", st)
	}
	if got := e.Measured()["flexo/web"]; got != status.MajorOutage {
		t.Errorf("measured %q, want major_outage", got)
	}
	if transitions != 0 {
		t.Errorf("OnTransition ran %d times though nothing was written", transitions)
	}
	families := gatherText(t, e, nil)
	down := -1.0
	for _, f := range families {
		if f.GetName() != "herald_component_down" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "component" && l.GetValue() == "flexo/web" {
					down = m.GetGauge().GetValue()
				}
			}
		}
	}
	if down != 1 {
		t.Errorf("herald_component_down{component=\"flexo/web\"} = %v, want 1", down)
	}
}

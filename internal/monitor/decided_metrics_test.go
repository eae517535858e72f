package monitor

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// A monitor with locations is held by the engine but not run: /metrics
// reads its state from the decider (CollectorWith), not the engine's stale
// copy, and its component's herald_component_down follows it.
func TestMetricsOfDecidedMonitors(t *testing.T) {
	b := storetest.SQLite(t)
	seedFleet(t, b.Store)
	e := New(Options{Store: b.Store})
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { e.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()
	located := httpSpec("flexo/web/http", "flexo/web", "http://127.0.0.1:9/", time.Second)
	located.Monitor.Locations = []string{"fra-1", "ams-1", "nyc-1"}
	if err := e.Apply(ctx, []Spec{located}); err != nil {
		t.Fatal(err)
	}
	since := time.Date(2026, 8, 12, 16, 48, 40, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		decided func() map[string]Decided
		state   float64
		down    float64
	}{
		{"without a decider", nil, -1, 0},
		{"decided down", func() map[string]Decided {
			return map[string]Decided{located.ID: {State: status.MonitorDown, Since: since}}
		}, 2, 1},
		{"decided up", func() map[string]Decided {
			return map[string]Decided{located.ID: {State: status.MonitorUp, Since: since}}
		}, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			reg.MustRegister(e.CollectorWith(tc.decided))
			families, err := reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]float64{}
			for _, f := range families {
				for _, m := range f.GetMetric() {
					got[f.GetName()] = m.GetGauge().GetValue()
				}
			}
			if got["herald_monitor_state"] != tc.state || got["herald_component_down"] != tc.down {
				t.Errorf("state %v, component down %v; want %v and %v", got["herald_monitor_state"], got["herald_component_down"], tc.state, tc.down)
			}
			if tc.decided != nil && got["herald_monitor_state_since_seconds"] != float64(since.Unix()) {
				t.Errorf("since %v, want %v", got["herald_monitor_state_since_seconds"], since.Unix())
			}
		})
	}
}

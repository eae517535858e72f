package monitor

import (
	"bytes"
	"context"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// A monitor with locations is held by the engine but not run: /metrics
// reads its state from the decider (WriteMetrics' decided), not the engine's stale
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
			families := gatherText(t, e, tc.decided)
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

// gatherText is what /metrics shows of the engine: WriteMetrics' output,
// read back by Prometheus' own text parser (which refuses a malformed
// line, a family repeated or a sample without its family's type).
func gatherText(t *testing.T, e *Engine, decided func() map[string]Decided) map[string]*dto.MetricFamily {
	t.Helper()
	var b bytes.Buffer
	if err := e.WriteMetrics(&b, decided); err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(&b)
	if err != nil {
		t.Fatalf("WriteMetrics wrote what Prometheus cannot read: %v\n%s", err, b.String())
	}
	return families
}

// Every monitor has its series, with its labels and its figures, and label
// values that need escaping arrive as they were.
func TestWriteMetricsSeries(t *testing.T) {
	b := storetest.SQLite(t)
	seedFleet(t, b.Store)
	// A clock that stands still: no check comes due, so every series is
	// that of a monitor not checked yet.
	t0 := time.Date(2026, 8, 12, 16, 0, 0, 0, time.UTC)
	e := New(Options{Store: b.Store, Now: func() time.Time { return t0 }})
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { e.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()
	// Two monitors of one component, one with characters the text format
	// escapes in its name.
	odd := httpSpec("flexo/web/say \"hi\" \\ there", "flexo/web", "http://127.0.0.1:9/", time.Hour)
	plain := httpSpec("flexo/web/http", "flexo/web", "http://127.0.0.1:9/", time.Hour)
	if err := e.Apply(ctx, []Spec{odd, plain}); err != nil {
		t.Fatal(err)
	}
	families := gatherText(t, e, nil)
	byMonitor := func(name string) map[string]*dto.Metric {
		out := map[string]*dto.Metric{}
		for _, m := range families[name].GetMetric() {
			var id, result string
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "monitor":
					id = l.GetValue()
				case "result":
					result = l.GetValue()
				}
			}
			if result != "" {
				id += " " + result
			}
			out[id] = m
		}
		return out
	}
	states := byMonitor("herald_monitor_state")
	for _, sp := range []Spec{odd, plain} {
		m, ok := states[sp.ID]
		if !ok {
			t.Fatalf("no herald_monitor_state for %q; have %v", sp.ID, states)
		}
		if v := m.GetGauge().GetValue(); v != -1 {
			t.Errorf("%q state %v, want -1 (not checked yet)", sp.ID, v)
		}
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["component"] != "flexo/web" || labels["type"] != "http" {
			t.Errorf("%q labels %v", sp.ID, labels)
		}
		checks := byMonitor("herald_probe_checks_total")
		for _, r := range []string{"up", "degraded", "down"} {
			if c, ok := checks[sp.ID+" "+r]; !ok || c.GetCounter().GetValue() != 0 {
				t.Errorf("%q checks{result=%q} = %v (present %v), want 0", sp.ID, r, c.GetCounter().GetValue(), ok)
			}
		}
	}
	if n := len(families["herald_monitor_last_duration_seconds"].GetMetric()); n != 0 {
		t.Errorf("%d last durations before any check, want none", n)
	}
	if got := families["herald_component_down"].GetMetric(); len(got) != 1 || got[0].GetGauge().GetValue() != 0 {
		t.Errorf("herald_component_down %v, want flexo/web 0", got)
	}
}

// sample writes the figures as the format reads them back.
func TestSampleRoundTrip(t *testing.T) {
	for _, v := range []float64{0, -1, 2, 0.000123, 1.7650123456789e9, 12345678901234, math.Inf(1)} {
		line := sample(nil, "x", v, "monitor", "a\"b\\c\nd")
		p := expfmt.NewTextParser(model.UTF8Validation)
		f, err := p.TextToMetricFamilies(strings.NewReader("# TYPE x gauge\n" + string(line)))
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		m := f["x"].GetMetric()[0]
		if got := m.GetGauge().GetValue(); got != v {
			t.Errorf("%q read back as %v, want %v", line, got, v)
		}
		if got := m.GetLabel()[0].GetValue(); got != "a\"b\\c\nd" {
			t.Errorf("%q: label read back as %q", line, got)
		}
	}
}

package monitor

import (
	"bufio"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heraldhq/herald/internal/status"
)

// Metrics are the monitoring figures /metrics exposes. A nil *Metrics
// records nothing, so tests and tools need not build one.
type Metrics struct {
	latency   *prometheus.HistogramVec
	lag       prometheus.Histogram
	skips     prometheus.Counter
	outages   *prometheus.CounterVec
	batch     prometheus.Histogram
	batchSize prometheus.Histogram
}

// NewMetrics registers the monitoring metrics with reg, and a collector that
// reads each monitor's state from the engine at scrape time.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		// By type, not by monitor: a histogram per monitor is thousands of
		// series; each monitor's last duration is a gauge read at scrape time.
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "herald_probe_duration_seconds", Help: "How long checks took, by monitor type.",
			Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}, []string{"type"}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "herald_probe_start_lag_seconds", Help: "How late checks started after their planned time.",
			Buckets: []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5},
		}),
		skips: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "herald_probe_skipped_total", Help: "Planned checks skipped because the previous one of the monitor ran past them.",
		}),
		outages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_outages_total", Help: "Outages opened, by component.",
		}, []string{"component"}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "herald_check_write_seconds", Help: "How long writing a batch of check results took.",
			Buckets: prometheus.DefBuckets,
		}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "herald_check_write_batch_size", Help: "Check results per written batch.",
			Buckets: []float64{1, 10, 100, 500, 1000, 2000, 5000},
		}),
	}
	reg.MustRegister(m.latency, m.lag, m.skips, m.outages, m.batch, m.batchSize)
	return m
}

func (m *Metrics) observe(c check, kind string) {
	if m == nil {
		return
	}
	m.latency.WithLabelValues(kind).Observe(c.res.Latency.Seconds())
	m.lag.Observe(max(c.at.Sub(c.planned), 0).Seconds())
}

func (m *Metrics) skipped() {
	if m != nil {
		m.skips.Inc()
	}
}

func (m *Metrics) outageOpened(component string) {
	if m != nil {
		m.outages.WithLabelValues(component).Inc()
	}
}

func (m *Metrics) flushed(took time.Duration, n int) {
	if m != nil {
		m.batch.Observe(took.Seconds())
		m.batchSize.Observe(float64(n))
	}
}

// Decided is a monitor's state decided outside the engine: by quorum, from
// the results probe agents pushed (internal/agent).
type Decided struct {
	State status.MonitorState
	Since time.Time
}

// The per-monitor series, written by WriteMetrics. Their names are
// documented in README's Monitoring section.
var monitorFamilies = []struct{ name, kind, help string }{
	{"herald_monitor_state", "gauge", "Monitor state: 0 up, 1 degraded, 2 down, -1 not checked yet."},
	{"herald_monitor_state_since_seconds", "gauge", "When the monitor's state began (Unix time, measured)."},
	{"herald_probe_checks_total", "counter", "Checks run since Herald started, by monitor and result (up, degraded, down); read every few seconds from the engine."},
	{"herald_monitor_last_duration_seconds", "gauge", "How long the monitor's last check took."},
	{"herald_component_down", "gauge", "1 while the component's monitors measure an outage."},
}

// WriteMetrics writes the engine's series of every monitor, in Prometheus'
// text format (version 0.0.4), sorted by monitor: herald_monitor_state (0
// up, 1 degraded, 2 down, -1 not checked yet), its _since_seconds,
// herald_probe_checks_total{monitor,result}, herald_monitor_last_duration_seconds
// and herald_component_down (1 while a component has an outage open). The
// states of the monitors decided elsewhere (those with locations, which the
// engine holds but does not run) are read from decided, which may be nil.
//
// It writes each line straight from the published states: at ten thousand
// monitors these are some 60,000 series, and building a metric object for
// each (as a prometheus.Collector must) cost more CPU and memory per scrape
// than everything else /metrics serves together.
func (e *Engine) WriteMetrics(w io.Writer, decided func() map[string]Decided) error {
	var dec map[string]Decided
	if decided != nil {
		dec = decided()
	}
	// Each monitor's status read once, with its decided state; the
	// published statuses are shared with every reader and are not changed.
	type entry struct {
		id    string
		m     *MonitorStatus
		state status.MonitorState
		since time.Time
	}
	all := make([]entry, 0, len(*e.states.Load()))
	for id, m := range e.EachStatus() {
		en := entry{id: id, m: m, state: m.State, since: m.Since}
		if d, ok := dec[id]; ok {
			en.state, en.since = d.State, d.Since
		}
		all = append(all, en)
	}
	slices.SortFunc(all, func(a, b entry) int { return strings.Compare(a.id, b.id) })
	down := map[string]bool{}
	for _, en := range all {
		down[en.m.Spec.ComponentID] = down[en.m.Spec.ComponentID] || en.state.Bad()
	}
	bw := bufio.NewWriterSize(w, 32<<10)
	var line []byte
	for i, f := range monitorFamilies {
		line = append(line[:0], "# HELP "...)
		line = append(line, f.name...)
		line = append(line, ' ')
		line = append(line, f.help...)
		line = append(line, "\n# TYPE "...)
		line = append(line, f.name...)
		line = append(line, ' ')
		line = append(line, f.kind...)
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return err
		}
		if f.name == "herald_component_down" {
			for _, comp := range slices.Sorted(maps.Keys(down)) {
				v := 0.0
				if down[comp] {
					v = 1
				}
				line = sample(line[:0], f.name, v, "component", comp)
				if _, err := bw.Write(line); err != nil {
					return err
				}
			}
			continue
		}
		for _, en := range all {
			id, m := en.id, en.m
			line = line[:0]
			switch i {
			case 0:
				line = sample(line, f.name, stateValue(en.state), "component", m.Spec.ComponentID, "monitor", id, "type", m.Spec.Monitor.Type)
			case 1:
				if !en.since.IsZero() {
					line = sample(line, f.name, float64(en.since.UnixMilli())/1000, "monitor", id)
				}
			case 2:
				for level, n := range m.Checks {
					line = sample(line, f.name, float64(n), "monitor", id, "result", status.Level(level).String())
				}
			case 3:
				if !m.LastCheckAt.IsZero() {
					line = sample(line, f.name, m.LastLatency.Seconds(), "monitor", id)
				}
			}
			if _, err := bw.Write(line); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

// stateValue is herald_monitor_state's number for a state.
func stateValue(s status.MonitorState) float64 {
	switch s {
	case status.MonitorUp:
		return 0
	case status.MonitorDegraded:
		return 1
	case status.MonitorDown:
		return 2
	}
	return -1
}

// sample appends one line of the text format: name{k="v",...} value. The
// label names come sorted; the values are escaped as the format asks
// (backslash, double quote, line feed).
func sample(b []byte, name string, v float64, labels ...string) []byte {
	b = append(b, name...)
	b = append(b, '{')
	for i := 0; i+1 < len(labels); i += 2 {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, labels[i]...)
		b = append(b, '=', '"')
		for j := 0; j < len(labels[i+1]); j++ {
			switch c := labels[i+1][j]; c {
			case '\\':
				b = append(b, '\\', '\\')
			case '"':
				b = append(b, '\\', '"')
			case '\n':
				b = append(b, '\\', 'n')
			default:
				b = append(b, c)
			}
		}
		b = append(b, '"')
	}
	b = append(b, '}', ' ')
	b = strconv.AppendFloat(b, v, 'g', -1, 64)
	return append(b, '\n')
}

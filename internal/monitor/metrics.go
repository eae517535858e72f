package monitor

import (
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

// stateCollector reports each monitor's state and each component's open outage at scrape time.
type stateCollector struct {
	e                                *Engine
	decided                          func() map[string]Decided
	state, since, open, checks, last *prometheus.Desc
}

// Decided is a monitor's state decided outside the engine: by quorum, from
// the results probe agents pushed (internal/agent).
type Decided struct {
	State status.MonitorState
	Since time.Time
}

// Collector exposes the engine's monitor states: herald_monitor_state (0 up,
// 1 degraded, 2 down, -1 not checked yet), herald_monitor_state_since_seconds
// and herald_component_down (1 while a component has an outage open).
func (e *Engine) Collector() prometheus.Collector { return e.CollectorWith(nil) }

// CollectorWith is Collector with the states of the monitors decided
// elsewhere (those with locations, which the engine holds but does not
// run) read from decided at each scrape; decided may be nil.
func (e *Engine) CollectorWith(decided func() map[string]Decided) prometheus.Collector {
	return &stateCollector{e: e, decided: decided,
		state: prometheus.NewDesc("herald_monitor_state", "Monitor state: 0 up, 1 degraded, 2 down, -1 not checked yet.",
			[]string{"monitor", "component", "type"}, nil),
		since: prometheus.NewDesc("herald_monitor_state_since_seconds", "When the monitor's state began (Unix time, measured).",
			[]string{"monitor"}, nil),
		open: prometheus.NewDesc("herald_component_down", "1 while the component's monitors measure an outage.",
			[]string{"component"}, nil),
		checks: prometheus.NewDesc("herald_probe_checks_total", "Checks run since Herald started, by monitor and result (up, degraded, down); read every few seconds from the engine.",
			[]string{"monitor", "result"}, nil),
		last: prometheus.NewDesc("herald_monitor_last_duration_seconds", "How long the monitor's last check took.",
			[]string{"monitor"}, nil),
	}
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.state
	ch <- c.since
	ch <- c.open
	ch <- c.checks
	ch <- c.last
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	down := map[string]float64{}
	var decided map[string]Decided
	if c.decided != nil {
		decided = c.decided()
	}
	for id, m := range c.e.Statuses() {
		if d, ok := decided[id]; ok {
			m.State, m.Since = d.State, d.Since
		}
		v := -1.0
		switch m.State {
		case status.MonitorUp:
			v = 0
		case status.MonitorDegraded:
			v = 1
		case status.MonitorDown:
			v = 2
		}
		ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, v, id, m.Spec.ComponentID, m.Spec.Monitor.Type)
		if !m.Since.IsZero() {
			ch <- prometheus.MustNewConstMetric(c.since, prometheus.GaugeValue, float64(m.Since.UnixMilli())/1000, id)
		}
		for level, n := range m.Checks {
			ch <- prometheus.MustNewConstMetric(c.checks, prometheus.CounterValue, float64(n), id, status.Level(level).String())
		}
		if !m.LastCheckAt.IsZero() {
			ch <- prometheus.MustNewConstMetric(c.last, prometheus.GaugeValue, m.LastLatency.Seconds(), id)
		}
		if _, ok := down[m.Spec.ComponentID]; !ok {
			down[m.Spec.ComponentID] = 0
		}
		if m.State.Bad() {
			down[m.Spec.ComponentID] = 1
		}
	}
	for comp, v := range down {
		ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, v, comp)
	}
}

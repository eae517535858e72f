package cli

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"

	"github.com/heraldhq/herald/internal/agent"
	"github.com/heraldhq/herald/internal/buildinfo"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/lease"
	"github.com/heraldhq/herald/internal/monitor"
	"github.com/heraldhq/herald/internal/probe"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
)

// monitoring is the monitors, the automatic incidents and /metrics, as serve wires them.
type monitoring struct {
	engine     *monitor.Engine
	reactor    *monitor.Reactor
	heartbeats *probe.Heartbeats
	env        probe.Env
	registry   *prometheus.Registry
	svc        *service.Service
	st         *store.Store
	log        *slog.Logger
	shared     *instances
	// shards, with several instances on one database, is this instance's
	// share of the monitors; nil when every monitor runs here.
	shards *lease.Shards
	// located is the quorum's state of the monitors with locations (agent.go).
	located atomic.Pointer[func() map[string]agent.MonitorState]
}

func newMonitoring(st *store.Store, svc *service.Service, cfg func() config.Config, log *slog.Logger, speed int, shared *instances) *monitoring {
	m := &monitoring{heartbeats: probe.NewHeartbeats(), registry: prometheus.NewRegistry(), svc: svc, st: st, log: log, shared: shared}
	m.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), buildInfoMetric())
	m.env = probe.Env{Heartbeats: m.heartbeats}
	m.reactor = monitor.NewReactor(svc, st, cfg, log)
	m.reactor.SetSpeed(speed)
	// One instance decides, whatever number share the database.
	decisions := lease.New(st, "decisions", 0)
	m.reactor.SetLease(decisions)
	opts := monitor.Options{Store: st, Env: m.env, Log: log, Metrics: monitor.NewMetrics(m.registry),
		Now: svc.Now, Speed: speed, OnTransition: m.transitioned, OnUnrecorded: m.unrecorded}
	if shared.shared() {
		// The monitors are split in shards among the live instances; a
		// job's heartbeat may reach any of them.
		m.shards = lease.NewShards(st, 0, log)
		opts.Fence = m.shards.Fence
		m.heartbeats.Share(st)
		shared.onRelease("shard:", m.shards.Wake)
		shared.onRelease("instance:", m.shards.Wake)
		shared.onRelease("decisions", m.reactor.Wake)
		svc.OnMeasuredElsewhere(m.measuredElsewhere)
	}
	m.engine = monitor.New(opts)
	return m
}

// buildInfoMetric is herald_build_info{version,commit,goversion} 1: which
// build each instance runs, for dashboards and for alerts on a fleet left
// half upgraded.
func buildInfoMetric() prometheus.Collector {
	in := buildinfo.Read()
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "herald_build_info",
		Help:        "Always 1; the labels name the build of Herald this process runs.",
		ConstLabels: prometheus.Labels{"version": in.Version, "commit": in.Commit, "goversion": in.GoVersion},
	}, func() float64 { return 1 })
}

// transitioned runs after a state change is stored: the page shows it and
// the reactor decides what to tell.
func (m *monitoring) transitioned() {
	m.svc.SetMeasured(m.measured())
	m.reactor.Wake()
}

// measuredElsewhere runs when another instance wrote what its monitors
// measured: the page shows it, and the decisions (if this instance makes
// them) take it in.
func (m *monitoring) measuredElsewhere(ctx context.Context) {
	if err := m.engine.LoadOthers(ctx); err != nil {
		m.log.Warn("read the states of other instances' monitors", slog.Any("err", err))
		return
	}
	m.svc.SetMeasured(m.measured())
	m.reactor.Wake()
}

// own runs the monitors of the shards this instance holds.
func (m *monitoring) own(ctx context.Context, held map[int]bool) error {
	if err := m.engine.Own(ctx, held); err != nil {
		return err
	}
	m.svc.SetMeasured(m.measured())
	m.reactor.Wake()
	return nil
}

// unrecorded runs when a state change could not be stored (the database is
// down or full): the page shows what was measured all the same, marked as
// not yet recorded, until transitioned runs.
func (m *monitoring) unrecorded() {
	m.svc.SetMeasuredUnrecorded(m.measured())
}

// check refuses a configuration whose monitors cannot run.
func (m *monitoring) check(cfg config.Config) error {
	return monitor.Check(monitor.Specs(cfg), m.env)
}

// apply runs the configuration's monitors; state is kept across calls.
func (m *monitoring) apply(ctx context.Context, cfg config.Config) error {
	if err := m.engine.Apply(ctx, monitor.Specs(cfg)); err != nil {
		return err
	}
	m.svc.SetMeasured(m.measured())
	m.reactor.Wake()
	return nil
}

// start runs the engine, the reactor and the rollups until work ends, and
// applies the first configuration.
func (m *monitoring) start(ctx, work context.Context, wg *sync.WaitGroup, cfg func() config.Config) error {
	wg.Go(func() { m.engine.Run(work) })
	if err := m.apply(ctx, cfg()); err != nil {
		return fmt.Errorf("start the monitors: %w", err)
	}
	if m.shards != nil {
		wg.Go(func() { m.shards.Run(work, m.own) })
	}
	wg.Go(func() { m.reactor.Run(work) })
	// Rolling up twice at once would count results twice: under a lease,
	// checked in the roll-up's own transaction.
	rollups := m.shared.keeper("rollups")
	var guard func(context.Context, *store.Queries) error
	if rollups != nil {
		guard = rollups.Check
	}
	wg.Go(func() {
		m.shared.under(work, rollups, func(ctx context.Context) {
			m.engine.RunRollups(ctx, func() time.Duration {
				return time.Duration(cfg().Monitoring.RawResultsDays) * 24 * time.Hour
			}, guard)
		})
	})
	n := len(monitor.Specs(cfg()))
	if m.shards != nil {
		m.log.Info("monitors configured; this instance runs those of the probe shards it takes", slog.Int("monitors", n),
			slog.Int("shards", lease.ShardCount), slog.String("instance", m.shards.Holder()))
	} else {
		m.log.Info("monitors running", slog.Int("monitors", n))
	}
	return nil
}

// metrics is the /metrics handler, for whoever serves it (register, or a
// --metrics-listen server), behind its gate: Prometheus' text format
// (0.0.4), gzipped when the client accepts it. The registry's metrics (Go's,
// the process's, the probes' histograms) are gathered and encoded; the
// series of every monitor follow, written by the engine straight from its
// states (monitor.Engine.WriteMetrics), since at thousands of monitors those
// are most of the answer.
func (m *monitoring) metrics() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		families, err := m.registry.Gather()
		if err != nil {
			m.log.Warn("/metrics: gather", slog.Any("err", err))
			http.Error(w, "gathering the metrics failed: "+err.Error(), http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
		h.Add("Vary", "Accept-Encoding")
		var out io.Writer = w
		if acceptsGzip(r.Header.Values("Accept-Encoding")) {
			h.Set("Content-Encoding", "gzip")
			gz, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
			defer gz.Close()
			out = gz
		}
		bw := bufio.NewWriterSize(out, 32<<10)
		for _, f := range families {
			if _, err := expfmt.MetricFamilyToText(bw, f); err != nil {
				return // the client went away
			}
		}
		if err := m.engine.WriteMetrics(bw, m.decided); err != nil {
			return
		}
		_ = bw.Flush()
	})
}

// acceptsGzip reports whether an Accept-Encoding header lists gzip with a
// quality above 0.
func acceptsGzip(values []string) bool {
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
				continue
			}
			q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			if q, ok := strings.CutPrefix(q, "q="); ok {
				if f, err := strconv.ParseFloat(q, 64); err == nil && f <= 0 {
					return false
				}
			}
			return true
		}
	}
	return false
}

// register adds /metrics (unless metrics is nil: it is served elsewhere)
// and the heartbeat endpoint.
func (m *monitoring) register(mux *routeMux, metrics http.Handler) {
	if metrics != nil {
		mux.Handle("GET /metrics", metrics)
	}
	beat := func(w http.ResponseWriter, r *http.Request) {
		// The token is the credential; nothing is read from the body.
		r.Body = http.MaxBytesReader(w, r.Body, 1<<10)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := m.st.WritesRefused(); err != nil {
			// No monitors run here (a standby, a disk in trouble): a beat
			// would be lost, so the sender is told to send it elsewhere.
			code, msg, _ := service.Safe(err)
			w.WriteHeader(code)
			_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"status": code, "message": msg}})
			return
		}
		known, err := m.heartbeats.BeatShared(r.Context(), r.PathValue("token"), m.svc.Now())
		if err != nil {
			m.log.Error("heartbeat: record the ping for the other instances", slog.Any("err", err))
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"error":{"status":503,"message":"the ping could not be recorded; try again"}}` + "\n"))
			return
		}
		if !known {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error":{"status":404,"message":"no heartbeat monitor has this token"}}` + "\n"))
			return
		}
		_, _ = w.Write([]byte(`{"ok":true}` + "\n"))
	}
	mux.HandleFunc("POST /api/v1/heartbeat/{token}", beat)
	mux.HandleFunc("GET /api/v1/heartbeat/{token}", beat)
}

// decided is the quorum's state of the monitors with locations, for the
// metrics (the engine holds them but does not run them).
func (m *monitoring) decided() map[string]monitor.Decided {
	f := m.located.Load()
	if f == nil {
		return nil
	}
	states := (*f)()
	out := make(map[string]monitor.Decided, len(states))
	for id, s := range states {
		out[id] = monitor.Decided{State: s.State, Since: s.Since}
	}
	return out
}

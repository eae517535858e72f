package cli

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/heraldhq/herald/internal/agent"
	"github.com/heraldhq/herald/internal/buildinfo"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/lease"
	"github.com/heraldhq/herald/internal/notify"
	"github.com/heraldhq/herald/internal/probe"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

// runAgent is `herald agent`: a probe agent in the foreground.
func runAgent(ctx context.Context, env *Env, args []string) error {
	var (
		o      agent.Options
		source string
	)
	fs := newFlags(env, "agent", "agent --server URL --token TOKEN --location NAME [--data DIR] [--buffer N] [--source-address IP]")
	fs.StringVar(&o.Server, "server", "", "the Herald server's URL (http://127.0.0.1:8080); required")
	fs.StringVar(&o.Token, "token", "", "an agent token for the location (herald token create --scope agent --location NAME); or HERALD_AGENT_TOKEN")
	fs.StringVar(&o.Location, "location", "", "the location this agent checks from (fra-1); required")
	fs.StringVar(&o.Dir, "data", "", "folder for the result buffer and the last assignment (kept across restarts); default a temporary folder")
	fs.IntVar(&o.BufferLimit, "buffer", 100_000, "results kept while the server cannot be reached; past it the oldest are dropped and counted")
	fs.StringVar(&source, "source-address", "", "the local address checks are made from (on a host with several)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.Token == "" {
		o.Token = env.Getenv("HERALD_AGENT_TOKEN")
	}
	switch {
	case o.Server == "" || o.Token == "" || o.Location == "":
		return usagef("--server, --token (or HERALD_AGENT_TOKEN) and --location are required")
	case config.ValidLocation(o.Location) != nil:
		return usagef("%v", config.ValidLocation(o.Location))
	case o.BufferLimit < 1:
		return usagef("--buffer must be at least 1")
	}
	if source != "" {
		ip := net.ParseIP(source)
		if ip == nil {
			return usagef("--source-address %q is not an IP address", source)
		}
		o.Env.Dial = probe.NewDialer(&net.TCPAddr{IP: ip}).DialContext
	}
	if o.Dir == "" {
		dir, err := os.MkdirTemp("", "herald-agent-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		o.Dir = dir
	}
	o.Version = buildinfo.Read().Version
	o.Log = slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	o.Client = &http.Client{Timeout: 90 * time.Second}
	a, err := agent.New(o)
	if err != nil {
		return err
	}
	o.Log.Info("herald agent running", slog.String("location", o.Location), slog.String("server", o.Server), slog.String("data", o.Dir))
	return a.Run(ctx)
}

// agents is the server's side of probe agents, as serve wires it.
type agents struct {
	decider *agent.Decider
	server  *agent.Server
}

func newAgents(st *store.Store, svc *service.Service, notifier *notify.Notifier, cfg func() config.Config, log *slog.Logger, mon *monitoring) *agents {
	o := agent.DeciderOptions{Store: st, Config: cfg, Lease: lease.New(st, "agents", 0), Now: svc.Now, Log: log,
		OnChange: func() {
			mon.transitioned()
			// A location's path trouble moves no status, yet the component
			// page shows it: the pages read it again all the same.
			svc.MeasurementsMoved()
		}}
	if notifier != nil {
		o.Alerts = notifier
	}
	d := agent.NewDecider(o)
	states := d.States
	mon.located.Store(&states)
	return &agents{decider: d, server: agent.NewServer(svc, st, cfg, d, log)}
}

// measured is the component status each component's monitors amount to:
// the engine's for the monitors the server checks, the quorum's for those
// with locations. A component whose monitors are all unknown (no location
// reporting) has none: unknown, counted neither up nor down.
func (m *monitoring) measured() map[string]status.ComponentStatus {
	located := m.located.Load()
	if located == nil {
		return m.engine.Measured()
	}
	byComp := map[string][]status.MonitorState{}
	for _, s := range m.engine.EachStatus() {
		if s.Spec.Located() {
			continue
		}
		byComp[s.Spec.ComponentID] = append(byComp[s.Spec.ComponentID], s.State)
	}
	for _, s := range (*located)() {
		byComp[s.ComponentID] = append(byComp[s.ComponentID], s.State)
	}
	out := make(map[string]status.ComponentStatus, len(byComp))
	for id, states := range byComp {
		if s, ok := status.MeasuredStatus(states); ok {
			out[id] = s
		}
	}
	return out
}

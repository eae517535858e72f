package agent

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/monitor"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// alertLog records operator alerts.
type alertLog struct {
	mu   sync.Mutex
	keys []string
	text []string
}

func (a *alertLog) AlertOperators(_ context.Context, _ *store.Queries, key, title, body string, _ []string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.keys = append(a.keys, key)
	a.text = append(a.text, title+": "+body)
	return nil
}

func (a *alertLog) titles() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.text...)
}

// harness is a store with a catalog and monitors, a service and a clock.
type harness struct {
	st    *store.Store
	svc   *service.Service
	cfg   atomic.Pointer[config.Config]
	clock *clock
}

var t0 = time.Date(2026, 8, 12, 16, 48, 0, 0, time.UTC)

// testConfig has flexo/web checked from three locations (quorum q), and
// flexo/email by the server.
func testConfig(q string) config.Config {
	loc := func(m config.Monitor, l ...string) config.Monitor { m.Locations, m.Quorum = l, q; return m }
	web := config.Monitor{Type: "http", URL: "http://127.0.0.1:9/", Interval: config.Duration(10 * time.Second),
		Timeout: config.Duration(5 * time.Second), DownAfter: 2, UpAfter: 1}
	mail := config.Monitor{Type: "tcp", Address: "127.0.0.1:9", Interval: config.Duration(10 * time.Second),
		Timeout: config.Duration(5 * time.Second), DownAfter: 2, UpAfter: 1}
	return config.Config{
		Page: config.Page{Title: "t", Zone: "America/Los_Angeles"},
		Groups: []config.Group{{ID: "flexo", Name: "flexo", Components: []config.Component{
			{ID: "web", Name: "Web", Monitors: []config.Monitor{loc(web, "fra-1", "ams-1", "nyc-1")}},
			{ID: "email", Name: "E-mail", Monitors: []config.Monitor{mail}},
		}}},
	}
}

func newHarness(t *testing.T, b storetest.Backend, cfg config.Config) *harness {
	t.Helper()
	h := &harness{st: b.Store, clock: &clock{now: t0}}
	h.svc = service.New(b.Store, h.clock, nil)
	h.sync(t, cfg)
	return h
}

func newService(st *store.Store, c *clock) *service.Service { return service.New(st, c, nil) }

// sync makes cfg the configuration, with its components and monitors stored.
func (h *harness) sync(t *testing.T, cfg config.Config) { h.syncB(t, cfg) }

func (h *harness) syncB(t testing.TB, cfg config.Config) {
	t.Helper()
	h.cfg.Store(&cfg)
	var groups []store.Group
	var comps []store.Component
	for gi, g := range cfg.Groups {
		groups = append(groups, store.Group{ID: g.ID, Name: g.Name, Position: gi})
		for ci, c := range g.Components {
			comps = append(comps, store.Component{ID: g.ID + "/" + c.ID, GroupID: g.ID, Name: c.Name, Position: ci})
		}
	}
	ctx := context.Background()
	if err := h.svc.SyncCatalog(ctx, groups, comps); err != nil {
		t.Fatal(err)
	}
	var defs []store.MonitorDef
	for _, sp := range monitor.Specs(cfg) {
		defs = append(defs, store.MonitorDef{ID: sp.ID, ComponentID: sp.ComponentID, Kind: sp.Monitor.Type, Target: sp.Target()})
	}
	if err := h.st.Tx(ctx, func(q *store.Queries) error { return q.SyncMonitors(ctx, defs, t0) }); err != nil {
		t.Fatal(err)
	}
}

func (h *harness) config() config.Config { return *h.cfg.Load() }

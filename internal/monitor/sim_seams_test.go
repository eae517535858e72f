package monitor

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/notify"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/web"
)

// The seams: the only places the simulation reaches into Herald's pipeline.
// Everything else in sim_*_test.go is the simulated world and the checks,
// so a new pipeline changes this file and little else.
//
//   - startProcess builds one Herald process the way herald serve wires it:
//     the service on the simulated clock with the configured catalog, the
//     notifier's change hook (which queues deliveries in each change's
//     transaction), the public site when the history checks it, the engine
//     (monitor.New with Options{Store, Now, OnTransition}) and its Apply,
//     which loads the monitors' rows and the open outages from the store,
//     and the reactor. The harness then runs the maintenance clock's first
//     step and the reactor's first pass, as serve's goroutines would.
//   - observe and flush are the engine's writer, called synchronously:
//     Engine.observe for each result, Engine.flush when Engine.Run would
//     (at once after a state change, else on its FlushEvery ticker), and
//     OnTransition after a flush that carried a transition, as Run does.
//   - pass is Reactor.Pass. The harness runs one when Reactor.Run would: at
//     start, after each OnTransition (the reactor's Wake), and otherwise a
//     reactEvery after the last pass, or when the first hold ends
//     (nextPass). The decisions lease is not taken: one process decides.
//   - crash drops everything in memory: results not yet flushed are lost.
//
// No probe runs and no scheduler goroutine: the harness plans each
// monitor's checks at the slots Apply gave its runner (phase + k*interval).
// Engine.Measured is read only where serve reads it (OnTransition, Apply),
// so the engine's wall-clock publishing throttle never reaches a history.
// The public site, in the histories that serve it, runs Site.Run in a
// goroutine as serve does; the harness reads /api/v2/components.json the
// moment an operator's write returns.

// simSlot is one monitor's plan of checks in a process.
type simSlot struct {
	mon               int
	next              time.Time
	interval, timeout time.Duration
}

type simProcess struct {
	h        *simHarness
	svc      *service.Service
	engine   *Engine
	reactor  *Reactor
	unhook   func()
	site     *web.Site
	stopSite context.CancelFunc
	siteDone chan struct{}
	pump     chan struct{}

	// The writer's loop state, as in Engine.Run.
	batch        []store.CheckResult
	transitioned bool
	slots        []simSlot
	// agents is the agent side (its server endpoint and decider) in located histories.
	agents   SimAgents
	notifier *notify.Notifier
}

// simCatalog is the configuration's groups and components, as serve stores them.
func simCatalog(cfg config.Config) ([]store.Group, []store.Component) {
	var groups []store.Group
	var comps []store.Component
	for gi, g := range cfg.Groups {
		groups = append(groups, store.Group{ID: g.ID, Name: g.Name, Description: g.Description, Position: gi})
		for ci, c := range g.Components {
			comps = append(comps, store.Component{ID: g.ID + "/" + c.ID, GroupID: g.ID, Name: c.Name, Description: c.Description, Position: ci})
		}
	}
	return groups, comps
}

func (h *simHarness) startProcess() (*simProcess, error) {
	ctx := h.ctx
	cfg := func() config.Config { return h.fleet.cfg }
	p := &simProcess{h: h}
	p.svc = service.New(h.st, h.clock, nil)
	p.svc.SetSettle(h.fleet.cfg.SettleFor()) // as serve does
	groups, comps := simCatalog(h.fleet.cfg)
	if err := p.svc.SyncCatalog(ctx, groups, comps); err != nil {
		return nil, err
	}
	notifier, unhook, err := notify.New(ctx, h.st, p.svc, cfg, nil, notify.Options{Clock: h.clock})
	if err != nil {
		return nil, err
	}
	p.unhook, p.notifier = unhook, notifier
	if h.plan.site {
		p.site = web.NewSite(p.svc, cfg, nil)
		if err := p.site.Rebuild(ctx); err != nil {
			unhook()
			return nil, err
		}
		sctx, cancel := context.WithCancel(context.Background())
		p.stopSite, p.siteDone = cancel, make(chan struct{})
		go func() {
			defer close(p.siteDone)
			p.site.Run(sctx)
		}()
	}
	p.svc.OnChange(h.changed)
	p.engine = New(Options{Store: h.st, Now: p.svc.Now, OnTransition: p.onTransition})
	// Apply hands its work to the writer goroutine; without Run, this pump
	// stands in for Run's `case fn := <-e.cmds: fn()` while Apply waits.
	p.pump = make(chan struct{})
	go func() {
		for {
			select {
			case fn := <-p.engine.cmds:
				fn()
			case <-p.pump:
				return
			}
		}
	}()
	if err := p.engine.Apply(ctx, Specs(h.fleet.cfg)); err != nil {
		p.crash()
		return nil, err
	}
	p.svc.SetMeasured(p.measured()) // as serve's monitoring.apply
	p.reactor = NewReactor(p.svc, h.st, cfg, nil)
	p.engine.mu.Lock()
	for id, r := range p.engine.runners {
		p.slots = append(p.slots, simSlot{mon: h.fleet.byID[id], next: r.next, interval: r.interval, timeout: r.timeout})
	}
	p.engine.mu.Unlock()
	slices.SortFunc(p.slots, func(a, b simSlot) int { return a.mon - b.mon })
	return p, nil
}

// onTransition is serve's monitoring.transitioned: the page gets what was
// measured and the reactor is woken.
func (p *simProcess) onTransition() {
	p.svc.SetMeasured(p.measured())
	p.h.wake()
}

// observe applies one result in the writer; it says what changed, if
// anything, and whether an outage opened.
func (p *simProcess) observe(c check) (transition, opened bool, what string) {
	m := p.engine.mons[c.id]
	var before status.MonitorState
	if m != nil {
		before = m.row.Detector.State
	}
	r, changed, _ := p.engine.observe(c)
	p.batch = append(p.batch, r)
	if m == nil || m.row.Detector.State == before {
		return false, false, ""
	}
	what = fmt.Sprintf("%s %s→%s (from %s)", c.id, before, m.row.Detector.State, p.h.rel(m.row.Detector.Since))
	// Any change of state is written at once and told (OnTransition): down
	// to degraded moves no outage but changes what the page shows.
	p.transitioned = true
	if changed == nil {
		return false, false, what
	}
	return true, !before.Bad() && m.row.Detector.State.Bad(), what
}

// flush is Run's flush: it writes the batch and the monitors' states, and
// calls OnTransition after a batch with a transition. wrote says whether a
// monitor's state or an outage changed in the store.
func (p *simProcess) flush() (wrote bool, err error) {
	if len(p.batch) == 0 && !p.engine.anyDirty() {
		return false, nil
	}
	if err := p.engine.flush(p.h.ctx, p.batch); err != nil {
		return false, err
	}
	p.batch = p.batch[:0]
	wrote = p.transitioned
	if p.transitioned && p.engine.o.OnTransition != nil {
		p.engine.o.OnTransition()
	}
	p.transitioned = false
	return wrote, nil
}

// pending says whether the writer holds something its ticker would write.
func (p *simProcess) pending() bool { return len(p.batch) > 0 || p.engine.anyDirty() }

func (p *simProcess) pass() error { return p.reactor.Pass(p.h.ctx) }

// nextPass is how long Reactor.Run waits after a pass unless woken: a
// reactor period (a retry period after a failed pass), or until the end of
// the hold that ends first.
func (p *simProcess) nextPass(failed bool) time.Duration {
	wait := reactEvery
	if failed {
		wait = retryEvery
	}
	if due := p.reactor.due.Load(); due != 0 {
		d := time.Duration(due - p.svc.Now().UnixNano())
		wait = max(min(wait, d+time.Millisecond), 0)
	}
	return wait
}

// holding says an outage is held: the reactor passes again when its hold ends.
func (p *simProcess) holding() bool { return p.reactor.due.Load() != 0 }

// crash drops the process: nothing more is written, nothing is flushed.
func (p *simProcess) crash() {
	close(p.pump)
	p.engine.stopAll()
	p.unhook()
	if p.site != nil {
		p.stopSite()
		<-p.siteDone
	}
}

// publicComponents reads /api/v2/components.json as a client would once an
// operator's write has returned: the admin API's answer waits until the
// documents show every change made so far (web.Site.Consistent), and so
// does this.
func (p *simProcess) publicComponents() (map[string]status.ComponentStatus, error) {
	wctx, cancel := context.WithTimeout(p.h.ctx, web.WriteWait)
	shown := p.site.WaitShown(wctx, p.svc.Generation())
	cancel()
	if !shown {
		return nil, fmt.Errorf("the public documents did not show the write within %s", web.WriteWait)
	}
	rec := httptest.NewRecorder()
	p.site.Handler(http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v2/components.json", nil))
	if rec.Code != http.StatusOK {
		return nil, fmt.Errorf("GET /api/v2/components.json: %d", rec.Code)
	}
	var doc struct {
		Components []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"components"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		return nil, err
	}
	out := map[string]status.ComponentStatus{}
	for _, c := range doc.Components {
		out[c.ID] = status.ComponentStatus(c.Status)
	}
	return out, nil
}

// simReactorActor is who the change log names for the pipeline's own writes.
const simReactorActor = actor

// simReactEvery is how often the pipeline looks again without being woken.
const simReactEvery = reactEvery

// simFlushEvery is the writer's ticker (Options.FlushEvery's default).
const simFlushEvery = time.Second

package monitor

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

// Declared dependencies in the simulation: fleets where servers depend on a
// router (the first server) and some services on another server's service,
// histories where parents fail and take random children with them, at
// random offsets (before the parent's monitor noticed, during, just before
// it came back) and for random lengths (some outlasting it), among lone
// failures, flaps and slowness, and crashes. Every invariant of the plain
// histories holds, and three more (16 to 18):
//
//	HERALD_SIM_SEEDS=N go test ./internal/monitor -run TestSimulationDependsOn   # N histories per database
//	HERALD_SIM_SEED=S go test ./internal/monitor -run 'TestSimulationDependsOn$' -v

func init() {
	simInvariants = append(simInvariants,
		simInvariant{16, "no incident of its own for an outage that began while a parent was down", simInvNoOwnIncident},
		simInvariant{17, "a dependency outage points at its parent's incident", simInvDependencyJustified},
		simInvariant{18, "a covered outage is listed in its parent's open incident", simInvDependentListed},
	)
}

// simDependsStream seeds the dependency histories apart from the others.
const simDependsStream = 0xdeb5_dead_beef_0001

func TestSimulationDependsOn(t *testing.T) {
	seeds := simSeeds(t)
	histories := 0
	for _, be := range simBackends {
		t.Run(be.name, func(t *testing.T) {
			for _, seed := range seeds {
				t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
					b := be.open(t)
					plan, err := randomDependsPlan(seed)
					if err != nil {
						t.Fatal(err)
					}
					replay := fmt.Sprintf("HERALD_SIM_SEED=%d go test ./internal/monitor -run 'TestSimulationDependsOn$/%s' -v", seed, be.name)
					runSimHistory(t, b, plan, simRuntimeSeed(seed), replay)
					histories++
				})
			}
		})
	}
	t.Logf("%d dependency histories", histories)
}

// withDepends gives a fleet's configuration depends_on entries: per group
// id or component id ("mom/web"), what it depends on.
func withDepends(f *simFleet, deps map[string][]string) error {
	y := string(f.yaml)
	for _, node := range slices.Sorted(func(yield func(string) bool) {
		for k := range deps {
			if !yield(k) {
				return
			}
		}
	}) {
		list := "depends_on: [" + strings.Join(deps[node], ", ") + "]"
		g, c, isComp := strings.Cut(node, "/")
		if !isComp {
			head := fmt.Sprintf("  - id: %s\n    name: %s\n", g, g)
			if !strings.Contains(y, head) {
				return fmt.Errorf("no group %s in the fleet", g)
			}
			y = strings.Replace(y, head, head+"    "+list+"\n", 1)
			continue
		}
		at := strings.Index(y, fmt.Sprintf("  - id: %s\n", g))
		head := fmt.Sprintf("      - id: %s\n", c)
		i := strings.Index(y[at:], head)
		if at < 0 || i < 0 {
			return fmt.Errorf("no component %s in the fleet", node)
		}
		i += at + len(head)
		y = y[:i] + "        " + list + "\n" + y[i:]
	}
	cfg, err := config.Parse("sim.yaml", []byte(y))
	if err != nil {
		return fmt.Errorf("the fleet with dependencies: %w\n%s", err, y)
	}
	f.yaml, f.cfg = []byte(y), cfg
	return nil
}

// randomDependsPlan is a history of a fleet behind a router.
func randomDependsPlan(seed uint64) (*simPlan, error) {
	r := rand.New(rand.NewPCG(seed, simDependsStream))
	auto := config.AutoPublish
	if r.IntN(5) == 0 {
		auto = config.AutoDraft
	}
	f, err := randomSimFleet(r, auto, nil)
	if err != nil {
		return nil, err
	}
	// The first server is the router: each other server depends on it,
	// most wholly, some by one service; one service may depend on another
	// server's (a storage array), always on an earlier server, so no cycle.
	router := f.servers[0]
	deps := map[string][]string{}
	children := map[string][]int{} // parent entry -> component indexes covered
	for _, g := range f.servers[1:] {
		switch k := r.IntN(10); {
		case k < 7:
			deps[g] = []string{router}
		case k < 9:
			for _, i := range f.serverComps(g) {
				if r.IntN(2) == 0 {
					deps[f.comp(i)] = append(deps[f.comp(i)], router)
				}
			}
		}
	}
	if len(f.servers) > 2 && r.IntN(2) == 0 {
		storage := f.comp(f.serverComps(f.servers[1])[1]) // the second server's e-mail, say
		for _, g := range f.servers[2:] {
			if r.IntN(2) == 0 {
				c := f.comp(f.serverComps(g)[r.IntN(2)])
				deps[c] = append(deps[c], storage)
			}
		}
	}
	if err := withDepends(f, deps); err != nil {
		return nil, err
	}
	parents := map[string][]int{} // a parent component -> the component indexes depending on it
	for i := range f.mons {
		for _, p := range f.cfg.Parents(f.comp(i)) {
			parents[p] = append(parents[p], i)
		}
	}
	for p, kids := range parents {
		children[p] = kids
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.Int64N(int64(360 * 24 * time.Hour)))).Truncate(time.Millisecond)
	p := &simPlan{name: fmt.Sprintf("depends seed %d", seed), fleet: f, auto: auto, start: start}
	p.subscribers = f.defaultSubscribers(r)
	pl := &simPlanner{r: r, f: f, p: p}
	at := start.Add(time.Minute)
	last := at
	for range 3 + r.IntN(4) {
		if r.IntN(10) < 3 {
			at = at.Add(-pl.dur(0, 2*time.Minute))
		} else {
			at = at.Add(pl.dur(20*time.Second, 4*time.Minute))
		}
		var ends time.Time
		switch k := r.IntN(100); {
		case k < 60 && len(children) > 0:
			ends = pl.parentDown(at, children)
		case k < 75:
			ends = pl.serviceDown(at)
		case k < 88:
			ends = pl.flap(at)
		default:
			ends = pl.slow(at)
		}
		last = maxTime(last, ends)
		at = ends
	}
	for range r.IntN(3) {
		pl.crash(start.Add(pl.dur(time.Minute, last.Sub(start))))
	}
	if auto == config.AutoDraft {
		for t := start.Add(5 * time.Minute); t.Before(last); t = t.Add(pl.dur(4*time.Minute, 15*time.Minute)) {
			pl.publishDraft(t)
		}
	}
	p.end = last.Add(f.maxHold + 3*f.maxIntv + 2*time.Minute)
	slices.SortStableFunc(p.actions, func(a, b simAction) int { return a.at.Compare(b.at) })
	return p, nil
}

// parentDown: a parent (the router wholly, or one service) fails; some of
// its children fail from a hold before it to just before it comes back,
// some for longer than it.
func (pl *simPlanner) parentDown(at time.Time, children map[string][]int) time.Time {
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range children {
			if !yield(k) {
				return
			}
		}
	})
	parent := keys[pl.r.IntN(len(keys))]
	var comps []int
	if g := pl.f.mons[pl.f.byComp[parent]].server; g == pl.f.servers[0] && pl.r.IntN(2) == 0 {
		comps = pl.f.serverComps(g) // the whole router
	} else {
		comps = []int{pl.f.byComp[parent]}
	}
	d := pl.dur(40*time.Second, 6*time.Minute)
	st := pl.downKind()
	for _, c := range comps {
		pl.effect(c, at, at.Add(d), st)
	}
	end := at.Add(d)
	kids := map[int]bool{}
	for _, c := range comps {
		for _, k := range children[pl.f.comp(c)] {
			kids[k] = true
		}
	}
	for _, k := range slices.Sorted(func(yield func(int) bool) {
		for k := range kids {
			if !yield(k) {
				return
			}
		}
	}) {
		if pl.r.IntN(10) < 3 {
			continue // this one stays up
		}
		hold := pl.f.mons[k].hold()
		from := at.Add(pl.dur(-hold, d))
		kd := pl.dur(10*time.Second, d)
		if pl.r.IntN(4) == 0 {
			kd = pl.dur(d, d+4*time.Minute) // outlasts its parent
		}
		pl.effect(k, from, from.Add(kd), pl.downKind())
		end = maxTime(end, from.Add(kd))
	}
	return end.Add(5 * time.Second)
}

// The dependency invariants. A parent outage covers an outage o when it is
// on one of o's parents (config.Parents), down, not maintenance downtime,
// started at most a hold after o did, and had not ended when o began.
func (h *simHarness) coveringParents(w *simWorld, o *store.Outage) []*store.Outage {
	parents := h.fleet.cfg.Parents(o.ComponentID)
	if len(parents) == 0 {
		return nil
	}
	var out []*store.Outage
	for i := range w.outages {
		x := &w.outages[i]
		if x.ID == o.ID || !slices.Contains(parents, x.ComponentID) || x.Severity != status.MonitorDown ||
			x.Decision == store.DecisionMaintenance || x.Decision == store.DecisionIgnored {
			continue
		}
		if x.StartedAt.After(o.StartedAt.Add(h.fleet.cfg.HoldFor())) || (!x.EndedAt.IsZero() && !x.EndedAt.After(o.StartedAt)) {
			continue
		}
		out = append(out, x)
	}
	return out
}

func (w *simWorld) incident(id int64) *status.Incident {
	for i := range w.incidents {
		if w.incidents[i].ID == id {
			return &w.incidents[i]
		}
	}
	return nil
}

// simDependsSlack is how long after a parent's outage is detected the
// pipeline may still not know of it: the writer's batch and a pass.
const simDependsSlack = simReactEvery + simSlack

// 16. An outage covered by a parent's outage told in an incident opens no
// incident of its own (and so no notice of its own), except: one told
// before the parent's outage was known (its hold ended before the parent's
// detection and a pass), or one that outlasted the parent's incident (told
// after that incident was resolved, while it was still down then).
func simInvNoOwnIncident(h *simHarness, w *simWorld) []string {
	var out []string
	for i := range w.outages {
		o := &w.outages[i]
		if o.Decision != store.DecisionIncident {
			continue
		}
		own := w.incident(o.IncidentID)
		if own == nil {
			continue
		}
		for _, x := range h.coveringParents(w, o) {
			if x.IncidentID == 0 || x.IncidentID == o.IncidentID {
				continue
			}
			pin := w.incident(x.IncidentID)
			// (A hanging check is known once its timeout is over.)
			if pin == nil || own.CreatedAt.Before(x.DetectedAt.Add(h.monOf(x).timeout+simDependsSlack)) {
				continue // told before its parent was known
			}
			if pin.Status == status.Resolved && !own.CreatedAt.Before(pin.ResolvedAt) && (o.EndedAt.IsZero() || o.EndedAt.After(pin.ResolvedAt)) {
				continue // outlasted the parent's incident
			}
			if pin.Status == status.Resolved && pin.UpdatedAt.Before(own.CreatedAt) && h.operatorResolved[pin.ID] {
				continue // the operator resolved the parent's by hand
			}
			out = append(out, fmt.Sprintf("%s began while its parent %s was down (incident #%d), yet opened or joined incident #%d %q of its own (created %s)",
				h.describe(o), h.describe(x), x.IncidentID, own.ID, own.Title, h.rel(own.CreatedAt)))
		}
	}
	return out
}

// 17. An outage decided "dependency" points at an incident to which an
// outage covering it belongs (attached, or itself a dependency of it).
func simInvDependencyJustified(h *simHarness, w *simWorld) []string {
	if h.flushGenAtPass != h.flushGen {
		// The writer stored what the monitors measured since the last
		// pass (perhaps the end of a parent's outage, dated from its first
		// good check, before a child decided covered began): decisions are
		// the next pass's to make again.
		return nil
	}
	var out []string
	for i := range w.outages {
		o := &w.outages[i]
		if o.Decision != store.DecisionDependency {
			continue
		}
		if !slices.ContainsFunc(h.coveringParents(w, o), func(x *store.Outage) bool { return x.IncidentID == o.IncidentID }) {
			out = append(out, fmt.Sprintf("%s is a dependency of incident #%d, but no outage of its parents %v covering it is told there",
				h.describe(o), o.IncidentID, h.fleet.cfg.Parents(o.ComponentID)))
		}
	}
	return out
}

// 18. While the incident a dependency outage points at is open, it names
// the outage's component (the decision and the naming are one write).
func simInvDependentListed(h *simHarness, w *simWorld) []string {
	var out []string
	for id, outs := range w.dependents {
		in := w.incident(id)
		if in == nil || in.Status == status.Resolved {
			continue
		}
		for _, o := range outs {
			if _, listed := in.ComponentStatusOf(o.ComponentID); !listed {
				out = append(out, fmt.Sprintf("%s is a dependency of open incident #%d %q, which does not name %s", h.describe(&o), id, in.Title, o.ComponentID))
			}
		}
	}
	return out
}

// The dependency histories are what their seeds say, and have dependents.
func TestSimulationDependsOnPlans(t *testing.T) {
	covered := 0
	for seed := uint64(1); seed <= 20; seed++ {
		p, err := randomDependsPlan(seed)
		if err != nil {
			t.Fatal(err)
		}
		for i := range p.fleet.mons {
			if len(p.fleet.cfg.Parents(p.fleet.comp(i))) > 0 {
				covered++
			}
		}
	}
	if covered == 0 {
		t.Fatal("20 dependency plans declared no dependency")
	}
}

// wasDependent reports whether component c may be named in incident in as a
// dependent: it has declared parents and an outage during the incident
// that is or was a dependency of it (sim invariant 2 allows it; 17 and 18
// check the decisions themselves).
func (h *simHarness) wasDependent(w *simWorld, in *status.Incident, c string) bool {
	if len(h.fleet.cfg.Parents(c)) == 0 {
		return false
	}
	if h.toldDependent[in.ID][c] {
		// Told in it as a dependent once, and decided again since (its
		// parent's outage turned out to end before it began): what was
		// told stays told.
		return true
	}
	end := in.ResolvedAt
	if in.Status != status.Resolved {
		end = w.now
	}
	return slices.ContainsFunc(w.outages, func(o store.Outage) bool {
		// (A dependent may begin, and end, up to a hold before its parent.)
		return o.ComponentID == c && o.StartedAt.Before(end) && (o.EndedAt.IsZero() || !o.EndedAt.Before(in.StartedAt.Add(-h.fleet.cfg.HoldFor()))) &&
			(o.Decision == store.DecisionDependency || o.Decision == store.DecisionIncident)
	})
}

// End to end through the real engine, reactor, service and notifier: the
// seed's fleet where mom depends on flexo; flexo hangs from 9:48 to 9:56
// and mom refuses from 9:48:20 to 9:56:10. One incident, flexo's, naming
// both servers' services; mom's outages measured in full, told in it.
func TestSimulationDependsOnStory(t *testing.T) {
	for _, be := range simBackends {
		t.Run(be.name, func(t *testing.T) {
			b := be.open(t)
			s := newStory(t, "router", pt(8, 12, 9, 40, 0), pt(8, 12, 10, 10, 0))
			if err := withDepends(s.p.fleet, map[string][]string{"mom": {"flexo"}}); err != nil {
				t.Fatal(err)
			}
			s.down("flexo", "", targetHang, pt(8, 12, 9, 48, 0), pt(8, 12, 9, 56, 0))
			s.down("mom", "", targetRefuse, pt(8, 12, 9, 48, 20), pt(8, 12, 9, 56, 10))
			s.p.after = func(h *simHarness) {
				list := h.incidentsByAge(t)
				if len(list) != 1 {
					t.Fatalf("%d incidents, want flexo's alone", len(list))
				}
				in := list[0]
				if comps := componentsEver(&in); !slices.Equal(comps, []string{"flexo/email", "flexo/web", "mom/email", "mom/web"}) {
					t.Errorf("incident names %v, want flexo's and mom's services", comps)
				}
				if in.Status != status.Resolved || !strings.Contains(in.Title, "flexo") {
					t.Errorf("incident %q %s, want flexo's, resolved", in.Title, in.Status)
				}
				told := false
				for _, u := range in.Updates {
					told = told || strings.Contains(u.Body, "on the mom server is affected too, because it depends on the flexo server") ||
						strings.Contains(u.Body, "because they depend on the flexo server: Web site and E-mail service on the mom server")
				}
				if !told {
					t.Errorf("no update names mom's services as depending on flexo: %+v", in.Updates)
				}
				outs, err := h.st.Outages(h.ctx, store.OutageFilter{})
				if err != nil {
					t.Fatal(err)
				}
				measured := map[string]time.Duration{}
				for _, o := range outs {
					if o.EndedAt.IsZero() {
						t.Errorf("%s still open", h.describe(&o))
						continue
					}
					measured[o.ComponentID] += o.EndedAt.Sub(o.StartedAt)
					want := store.DecisionIncident
					if strings.HasPrefix(o.ComponentID, "mom/") {
						want = store.DecisionDependency
					}
					if o.Decision != want || o.IncidentID != in.ID {
						t.Errorf("%s decided %q in #%d, want %q in #%d", h.describe(&o), o.Decision, o.IncidentID, want, in.ID)
					}
				}
				// Measured to the checks: within one interval and a timeout of the truth.
				for _, c := range serverComponents("flexo", "mom") {
					if d := measured[c]; d < 7*time.Minute || d > 9*time.Minute {
						t.Errorf("%s measured down %v, want about eight minutes", c, d)
					}
				}
			}
			slices.SortStableFunc(s.p.actions, func(a, b simAction) int { return a.at.Compare(b.at) })
			runSimHistory(t, b, s.p, 1, fmt.Sprintf("go test ./internal/monitor -run 'TestSimulationDependsOnStory/%s' -v", be.name))
		})
	}
}

// A child decided covered while its parent was still down, whose parent's
// outage then turned out to have ended before the child's began: flexo's
// monitors confirm a recovery only after four good checks, and the outage
// is dated from the first; mom, which depends on flexo, refuses from 40 s
// after flexo is back, and its monitors (one failed check is enough) see
// it before flexo's recovery is confirmed. mom's outage was not covered:
// it is told in an incident of its own, flexo's incident ends with flexo's
// outage and shows mom operational again, having told it.
func TestSimulationDependsOnParentBackFirst(t *testing.T) {
	for _, be := range simBackends {
		t.Run(be.name, func(t *testing.T) {
			b := be.open(t)
			servers := []string{"flexo", "mom", "elzar", "zapp"}
			var mons []simMonitorSpec
			for _, g := range servers {
				for _, local := range []string{"web", "email"} {
					m := simMonitorSpec{interval: 30 * time.Second, timeout: 10 * time.Second, downAfter: 2, upAfter: 1, server: g, local: local, kind: "http"}
					if local == "email" {
						m.kind = "smtp"
					}
					switch g {
					case "flexo":
						m.upAfter = 4
					case "mom":
						m.downAfter = 1
					}
					mons = append(mons, m)
				}
			}
			f, err := newSimFleet(config.AutoPublish, servers, mons)
			if err != nil {
				t.Fatal(err)
			}
			if err := withDepends(f, map[string][]string{"mom": {"flexo"}}); err != nil {
				t.Fatal(err)
			}
			s := &story{t: t, p: &simPlan{name: "story parent back first", fleet: f, auto: config.AutoPublish,
				start: pt(8, 12, 9, 40, 0), end: pt(8, 12, 10, 20, 0), subscribers: f.defaultSubscribers(nil)}}
			s.down("flexo", "", targetRefuse, pt(8, 12, 9, 48, 0), pt(8, 12, 9, 56, 0))
			s.down("mom", "", targetRefuse, pt(8, 12, 9, 56, 40), pt(8, 12, 10, 6, 0))
			s.p.after = func(h *simHarness) {
				outs, err := h.st.Outages(h.ctx, store.OutageFilter{})
				if err != nil {
					t.Fatal(err)
				}
				var flexoEnd time.Time
				for _, o := range outs {
					if strings.HasPrefix(o.ComponentID, "flexo/") && o.EndedAt.After(flexoEnd) {
						flexoEnd = o.EndedAt
					}
				}
				list := h.incidentsByAge(t)
				if len(list) != 2 {
					t.Fatalf("%d incidents, want flexo's and then mom's own", len(list))
				}
				fin, min := list[0], list[1]
				if !strings.Contains(fin.Title, "flexo") || fin.Status != status.Resolved || !fin.ResolvedAt.Equal(flexoEnd) {
					t.Errorf("first incident %q %s, resolved %v; want flexo's, resolved at flexo's end %v", fin.Title, fin.Status, fin.ResolvedAt, flexoEnd)
				}
				if !strings.Contains(min.Title, "mom") || strings.Contains(min.Title, "flexo") {
					t.Errorf("second incident %q, want mom's own", min.Title)
				}
				for _, o := range outs {
					if !strings.HasPrefix(o.ComponentID, "mom/") {
						continue
					}
					if !o.StartedAt.After(flexoEnd) {
						t.Fatalf("%s began before flexo's outage ended (%v): the story did not play as written", h.describe(&o), flexoEnd)
					}
					if o.Decision != store.DecisionIncident || o.IncidentID != min.ID {
						t.Errorf("%s decided %q in #%d, want its own incident #%d", h.describe(&o), o.Decision, o.IncidentID, min.ID)
					}
				}
				named := false
				for _, c := range serverComponents("mom") {
					if st, listed := fin.ComponentStatusOf(c); listed {
						named = true
						if st != status.Operational {
							t.Errorf("flexo's incident ends with %s %s, want operational", c, st)
						}
					}
				}
				if !named {
					t.Errorf("flexo's incident never named mom: the story did not play as written (mom seen while flexo was down)")
				}
			}
			runSimHistory(t, b, s.p, 1, fmt.Sprintf("go test ./internal/monitor -run 'TestSimulationDependsOnParentBackFirst/%s' -v", be.name))
		})
	}
}

package monitor

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/status"
)

// This file makes the simulated world: a fleet (servers × Web and E-mail,
// each component watched by one monitor with its own interval, timeout and
// thresholds) and a plan of what happens to it (targets that fail, hang,
// slow down, flap and recover; network events; maintenance windows;
// operator writes; crashes). A plan is a pure function of its seed.

// simServerNames are the servers a fleet takes, in page order.
var simServerNames = []string{"flexo", "mom", "elzar", "zapp", "bender", "leela", "fry", "hermes"}

// simMon is one monitored component.
type simMon struct {
	spec   Spec
	server string // the group id
	local  string // "web" or "email"
	// interval and timeout as the engine runs them.
	interval, timeout time.Duration
	degradedOver      time.Duration
	// holdFor is how long the pipeline holds a lone server's outage before
	// telling anyone: the configuration's incidents.hold (config.HoldFor).
	holdFor time.Duration
}

// hold is how long the pipeline holds an outage of this monitor. The
// simulation's network-event invariant uses it to say which outages began
// "together", and the harness to know when a pass is due without a wake.
func (m *simMon) hold() time.Duration { return m.holdFor }

type simFleet struct {
	yaml    []byte
	cfg     config.Config
	servers []string
	mons    []simMon
	byID    map[string]int // monitor id → index in mons
	byComp  map[string]int // component id → index in mons
	maxHold time.Duration
	maxIntv time.Duration
}

// simMonitorSpec is one monitor's settings, as the fleet's YAML gives them.
type simMonitorSpec struct {
	interval, timeout   time.Duration
	downAfter, upAfter  int
	degradedOver        time.Duration
	server, local, kind string
	// locations and quorum: checked by agents there (sim_located_test.go).
	locations []string
	quorum    string
}

// newSimFleet writes the fleet's configuration and parses it the way Herald
// does, so the monitors carry the defaults and validation of a real file.
func newSimFleet(auto string, servers []string, mons []simMonitorSpec) (*simFleet, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "page: {title: Example Hosting Status, url: https://status.example.net, zone: America/Los_Angeles}\n")
	fmt.Fprintf(&b, "incidents: {auto: %s}\ngroups:\n", auto)
	port := 18000
	for _, g := range servers {
		fmt.Fprintf(&b, "  - id: %s\n    name: %s\n    components:\n", g, g)
		for _, m := range mons {
			if m.server != g {
				continue
			}
			port++
			name, target := "Web sites", fmt.Sprintf("url: \"http://127.0.0.1:%d/\"", port)
			if m.local == "email" {
				name, target = "E-mail", fmt.Sprintf("address: \"127.0.0.1:%d\"", port)
			}
			extra := ""
			if m.degradedOver > 0 {
				extra = ", degraded_over: " + m.degradedOver.String()
			}
			if len(m.locations) > 0 {
				extra += ", locations: [" + strings.Join(m.locations, ", ") + "]"
				if m.quorum != "" {
					extra += ", quorum: \"" + m.quorum + "\""
				}
			}
			fmt.Fprintf(&b, "      - id: %s\n        name: %s\n        monitors: [{type: %s, %s, interval: %s, timeout: %s, down_after: %d, up_after: %d%s}]\n",
				m.local, name, m.kind, target, m.interval, m.timeout, m.downAfter, m.upAfter, extra)
		}
	}
	cfg, err := config.Parse("sim.yaml", []byte(b.String()))
	if err != nil {
		return nil, fmt.Errorf("the simulated fleet's configuration: %w\n%s", err, b.String())
	}
	f := &simFleet{yaml: []byte(b.String()), cfg: cfg, servers: servers, byID: map[string]int{}, byComp: map[string]int{}}
	for _, sp := range Specs(cfg) {
		interval, timeout := sp.Monitor.Interval.D(), sp.Monitor.Timeout.D()
		m := simMon{spec: sp, server: sp.GroupID, local: sp.ComponentID[len(sp.GroupID)+1:],
			interval: interval, timeout: timeout, degradedOver: sp.Monitor.DegradedOver.D(), holdFor: cfg.HoldFor()}
		f.byID[sp.ID] = len(f.mons)
		f.byComp[sp.ComponentID] = len(f.mons)
		f.mons = append(f.mons, m)
		f.maxHold = max(f.maxHold, m.hold())
		f.maxIntv = max(f.maxIntv, interval)
	}
	return f, nil
}

// randomSimFleet is 3 to 8 servers with Web (http) and E-mail (smtp), each
// monitor with a random interval (10 s to 60 s), timeout below it, down_after
// 1 to 3, up_after 1 to 2, and on some a latency limit.
// locate, when not nil, gives some monitors locations before the fleet is made.
func randomSimFleet(r *rand.Rand, auto string, locate func([]simMonitorSpec)) (*simFleet, error) {
	n := 3 + r.IntN(6)
	servers := simServerNames[:n]
	var mons []simMonitorSpec
	for _, g := range servers {
		for _, local := range []string{"web", "email"} {
			interval := time.Duration(10+r.IntN(51)) * time.Second
			timeout := time.Duration(2+r.IntN(int(interval/time.Second)-2)) * time.Second
			if r.IntN(4) == 0 {
				timeout = interval - time.Second // a hung check ends just before the next starts
			}
			m := simMonitorSpec{interval: interval, timeout: timeout, downAfter: 1 + r.IntN(3), upAfter: 1 + r.IntN(2),
				server: g, local: local, kind: "http"}
			if local == "email" {
				m.kind = "smtp"
			}
			if timeout >= 3*time.Second && r.IntN(10) < 4 {
				m.degradedOver = timeout / 3
				m.degradedOver = m.degradedOver.Truncate(100 * time.Millisecond)
			}
			mons = append(mons, m)
		}
	}
	if locate != nil {
		locate(mons)
	}
	return newSimFleet(auto, servers, mons)
}

// simTarget is what a monitored service does at a moment.
type simTarget int

// Target states, from best to worst: where effects overlap, the worst wins.
const (
	targetUp     simTarget = iota
	targetSlow             // answers, slowly
	targetRefuse           // refuses connections
	targetHang             // accepts and never answers (or is unreachable)
)

func (s simTarget) String() string {
	return [...]string{"up", "slow", "refuses", "hangs"}[s]
}

// simEffect makes one component's target behave some way during [from, to).
type simEffect struct {
	comp     int // index in the fleet's monitors
	from, to time.Time
	st       simTarget
}

// simAction is something that happens at a moment: a maintenance window
// scheduled or edited, an operator's write, a crash.
type simAction struct {
	at    time.Time
	label string
	// needsProcess actions wait for a running Herald (an operator's API call
	// fails while it is down and is made again once it is back).
	needsProcess bool
	do           func(h *simHarness) error
}

// simPlan is one history.
type simPlan struct {
	name       string
	fleet      *simFleet
	auto       string
	start, end time.Time
	effects    []simEffect
	actions    []simAction
	// site: the history also serves the public documents and checks them
	// after each operator write.
	site bool
	// subscribers: e-mail addresses and the components each covers (none: everything).
	subscribers []simSubscriber
	// after runs once the history has ended and been reported, for a
	// story's own assertions on what Herald published.
	after func(h *simHarness)
	// located: some monitors are checked from locations by agents (nil: none).
	located *simLocatedPlan
}

type simSubscriber struct {
	address string
	comps   []string
}

// serverComps lists the component indexes of one server.
func (f *simFleet) serverComps(server string) []int {
	var out []int
	for i, m := range f.mons {
		if m.server == server {
			out = append(out, i)
		}
	}
	return out
}

func (f *simFleet) comp(i int) string { return f.mons[i].spec.ComponentID }

// defaultSubscribers: two to everything, one per server, one per component
// for a few components.
func (f *simFleet) defaultSubscribers(r *rand.Rand) []simSubscriber {
	subs := []simSubscriber{{address: "all-1@example.net"}, {address: "all-2@example.net"}}
	for _, g := range f.servers {
		var comps []string
		for _, i := range f.serverComps(g) {
			comps = append(comps, f.comp(i))
		}
		subs = append(subs, simSubscriber{address: g + "@example.net", comps: comps})
	}
	for i := range f.mons {
		if r == nil || r.IntN(3) == 0 {
			c := f.comp(i)
			subs = append(subs, simSubscriber{address: strings.ReplaceAll(c, "/", "-") + "@example.net", comps: []string{c}})
		}
	}
	return subs
}

// simPlanner builds a random history.
type simPlanner struct {
	r    *rand.Rand
	f    *simFleet
	p    *simPlan
	keys int
}

func (pl *simPlanner) dur(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(pl.r.Int64N(int64(hi-lo)))
}

func (pl *simPlanner) effect(comp int, from, to time.Time, st simTarget) {
	pl.p.effects = append(pl.p.effects, simEffect{comp: comp, from: from, to: to, st: st})
}

func (pl *simPlanner) key(prefix string) string {
	pl.keys++
	return fmt.Sprintf("%s%d", prefix, pl.keys)
}

func (pl *simPlanner) server() string { return pl.f.servers[pl.r.IntN(len(pl.f.servers))] }

// someComps is one of a server's components, or both.
func (pl *simPlanner) someComps(server string) []int {
	comps := pl.f.serverComps(server)
	if pl.r.IntN(10) < 6 {
		i := pl.r.IntN(len(comps))
		return comps[i : i+1]
	}
	return comps
}

func (pl *simPlanner) downKind() simTarget {
	if pl.r.IntN(2) == 0 {
		return targetRefuse
	}
	return targetHang
}

// randomSimPlan is a history of half an hour or so of simulated time, rich
// in events: episodes follow each other closely and often overlap, their
// lengths of the order of the monitors' intervals (what matters to the
// pipeline is how events fall against intervals, holds and passes, not how
// long an outage lasts), and quiet stretches are skipped (skipQuiet).
func randomSimPlan(seed uint64) (*simPlan, error) { return randomPlan(seed, false) }

// randomPlan is randomSimPlan's history, and with located some monitors
// checked from three locations by agents, with the agents' own episodes
// (sim_located_test.go). Plain histories draw nothing more: a seed's plain
// history is the same with or without this code.
func randomPlan(seed uint64, located bool) (*simPlan, error) {
	stream := uint64(0x5eed_5eed_5eed_5eed)
	if located {
		stream = simLocatedStream
	}
	r := rand.New(rand.NewPCG(seed, stream))
	auto := config.AutoPublish
	if r.IntN(5) == 0 {
		auto = config.AutoDraft
	}
	var locate func([]simMonitorSpec)
	if located {
		locate = func(mons []simMonitorSpec) { locateSome(r, mons) }
	}
	f, err := randomSimFleet(r, auto, locate)
	if err != nil {
		return nil, err
	}
	// Somewhere in 2026, at any hour, so the words cross midnights and DST.
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.Int64N(int64(360 * 24 * time.Hour)))).Truncate(time.Millisecond)
	p := &simPlan{name: fmt.Sprintf("seed %d", seed), fleet: f, auto: auto, start: start, site: r.IntN(6) == 0}
	if located {
		p.name = fmt.Sprintf("located seed %d", seed)
		p.located = &simLocatedPlan{}
	}
	p.subscribers = f.defaultSubscribers(r)
	pl := &simPlanner{r: r, f: f, p: p}
	at := start.Add(time.Minute) // the monitors' first checks, all up
	episodes := 3 + r.IntN(4)
	last := at
	for range episodes {
		if r.IntN(10) < 3 {
			at = at.Add(-pl.dur(0, 2*time.Minute)) // overlaps the one before
		} else {
			at = at.Add(pl.dur(20*time.Second, 4*time.Minute))
		}
		var ends time.Time
		if located && r.IntN(100) < 45 {
			ends = pl.agentEpisode(at)
			if ends.After(last) {
				last = ends
			}
			at = ends
			continue
		}
		switch k := r.IntN(100); {
		case k < 22:
			ends = pl.serviceDown(at)
		case k < 34:
			ends = pl.flap(at)
		case k < 44:
			ends = pl.slow(at)
		case k < 66:
			ends = pl.network(at)
		case k < 84:
			ends = pl.maintenance(at)
		default:
			ends = pl.operator(at)
		}
		if ends.After(last) {
			last = ends
		}
		at = ends
	}
	// Crashes and restarts between any two steps.
	for range r.IntN(4) {
		pl.crash(start.Add(pl.dur(time.Minute, last.Sub(start))))
	}
	if auto == config.AutoDraft {
		for t := start.Add(5 * time.Minute); t.Before(last); t = t.Add(pl.dur(4*time.Minute, 15*time.Minute)) {
			pl.publishDraft(t)
		}
	}
	// Everything is up for the last minutes: time for every hold, pass and
	// recovery threshold to play out.
	p.end = last.Add(f.maxHold + 3*f.maxIntv + 2*time.Minute)
	if located {
		pl.agents(last)
		// Time for the agents' buffers to drain and the decider to apply them.
		p.end = p.end.Add(time.Minute)
	}
	slices.SortStableFunc(p.actions, func(a, b simAction) int { return a.at.Compare(b.at) })
	return p, nil
}

// serviceDown: one service or both on a server refuse or hang, then recover;
// sometimes it happens again a few minutes later.
func (pl *simPlanner) serviceDown(at time.Time) time.Time {
	g := pl.server()
	comps := pl.someComps(g)
	var d time.Duration
	switch k := pl.r.IntN(100); {
	case k < 35:
		d = pl.dur(20*time.Second, 90*time.Second)
	case k < 85:
		d = pl.dur(90*time.Second, 5*time.Minute)
	default:
		d = pl.dur(5*time.Minute, 12*time.Minute)
	}
	st := pl.downKind()
	for _, c := range comps {
		// The services of one server fail a few seconds apart.
		off := pl.dur(0, 5*time.Second)
		pl.effect(c, at.Add(off), at.Add(off+d), st)
	}
	end := at.Add(d + 5*time.Second)
	if pl.r.IntN(4) == 0 {
		again := end.Add(pl.dur(time.Minute, 4*time.Minute))
		d2 := pl.dur(30*time.Second, 4*time.Minute)
		pl.effect(comps[0], again, again.Add(d2), pl.downKind())
		end = again.Add(d2)
	}
	return end
}

// flap: a service fails and recovers within seconds, once or a few times.
func (pl *simPlanner) flap(at time.Time) time.Time {
	c := pl.someComps(pl.server())[0]
	for range 1 + pl.r.IntN(3) {
		d := pl.dur(time.Second, 15*time.Second)
		pl.effect(c, at, at.Add(d), pl.downKind())
		at = at.Add(d + pl.dur(5*time.Second, 40*time.Second))
	}
	return at
}

// slow: a service answers slowly for minutes; sometimes it stops answering
// for a while in the middle (down, then degraded again, then up).
func (pl *simPlanner) slow(at time.Time) time.Time {
	c := pl.someComps(pl.server())[0]
	d := pl.dur(90*time.Second, 5*time.Minute)
	pl.effect(c, at, at.Add(d), targetSlow)
	if pl.r.IntN(10) < 4 {
		mid := at.Add(d / 4)
		pl.effect(c, mid, mid.Add(pl.dur(d/8, d/2)), targetHang)
	}
	return at.Add(d)
}

// network: most or all servers fail within a few seconds, or up to one
// interval, of each other (sometimes only a few do), and come back one by
// one: some seconds apart, some in the same minute, some minutes apart,
// sometimes one much later than the rest.
func (pl *simPlanner) network(at time.Time) time.Time {
	n := len(pl.f.servers)
	k := n
	switch x := pl.r.IntN(100); {
	case x < 25:
		k = n/2 + 1 + pl.r.IntN(n-n/2)
	case x < 35:
		k = 1 + pl.r.IntN(max(n/2, 1))
	}
	order := pl.r.Perm(n)[:k]
	spread := pl.dur(0, 5*time.Second)
	if pl.r.IntN(2) == 0 {
		spread = pl.dur(0, pl.f.maxIntv)
	}
	st := targetHang
	switch x := pl.r.IntN(20); {
	case x < 5:
		st = targetRefuse
	case x < 7:
		st = targetSlow // "unreachable (or very slow)"
	}
	webOnly := pl.r.IntN(10) < 3
	restored := at.Add(pl.dur(2*time.Minute, 8*time.Minute))
	straggler := -1
	if pl.r.IntN(10) < 3 {
		straggler = order[pl.r.IntN(k)]
	}
	end := at
	for i, si := range order {
		g := pl.f.servers[si]
		fail := at.Add(pl.dur(0, spread+time.Millisecond))
		if i > 0 {
			switch x := pl.r.IntN(10); {
			case x < 3:
				restored = restored.Add(pl.dur(time.Second, 30*time.Second))
			case x < 5:
				restored = restored.Add(pl.dur(0, 50*time.Second))
			default:
				restored = restored.Add(pl.dur(time.Minute, 3*time.Minute))
			}
		}
		back := restored
		if si == straggler {
			back = back.Add(pl.dur(3*time.Minute, 10*time.Minute))
		}
		for _, c := range pl.f.serverComps(g) {
			if webOnly && pl.f.mons[c].local != "web" {
				continue
			}
			pl.effect(c, fail, back, st)
		}
		end = maxTime(end, back)
	}
	return end
}

// maintenance: a window announced ahead on some servers, which restart
// inside it; sometimes a server is added by an edit, a server overruns the
// window, a second window overlaps it, or it is cancelled.
func (pl *simPlanner) maintenance(at time.Time) time.Time {
	n := len(pl.f.servers)
	servers := pl.r.Perm(n)[:1+pl.r.IntN(min(3, n))]
	start := at.Add(pl.dur(time.Minute, 4*time.Minute)).Truncate(time.Minute)
	length := pl.dur(4*time.Minute, 10*time.Minute).Truncate(time.Minute)
	end := start.Add(length)
	announce := maxTime(pl.p.start.Add(30*time.Second), start.Add(-pl.dur(2*time.Minute, 20*time.Minute)))
	key := pl.key("m")
	var comps []string
	for _, si := range servers {
		for _, c := range pl.f.serverComps(pl.f.servers[si]) {
			comps = append(comps, pl.f.comp(c))
		}
	}
	pl.p.actions = append(pl.p.actions, simAction{at: announce, label: "schedule maintenance " + key + " on " + strings.Join(comps, ","),
		needsProcess: true, do: func(h *simHarness) error { return h.scheduleMaintenance(key, comps, start, end) }})
	cancelled := pl.r.IntN(8) == 0
	if cancelled {
		when := announce.Add(pl.dur(time.Second, start.Sub(announce)))
		pl.p.actions = append(pl.p.actions, simAction{at: when, label: "cancel maintenance " + key, needsProcess: true,
			do: func(h *simHarness) error { return h.cancelMaintenance(key) }})
		return end
	}
	restart := func(g string, overrun bool) {
		from := start.Add(pl.dur(0, length/2))
		d := pl.dur(20*time.Second, 2*time.Minute)
		if overrun {
			d = end.Sub(from) + pl.dur(time.Minute, 4*time.Minute)
		}
		for _, c := range pl.f.serverComps(g) {
			pl.effect(c, from, from.Add(d), targetRefuse)
		}
		end = maxTime(end, from.Add(d))
	}
	windowEnd := end
	for i, si := range servers {
		restart(pl.f.servers[si], i == 0 && pl.r.IntN(5) == 0)
	}
	if len(servers) < n && pl.r.IntN(3) == 0 {
		// "Update: We're also going to include the zapp server."
		var extra string
		for _, si := range pl.r.Perm(n) {
			if !slices.Contains(servers, si) {
				extra = pl.f.servers[si]
				break
			}
		}
		var add []string
		for _, c := range pl.f.serverComps(extra) {
			add = append(add, pl.f.comp(c))
		}
		when := announce.Add(pl.dur(time.Second, windowEnd.Sub(announce)/2))
		pl.p.actions = append(pl.p.actions, simAction{at: when, label: "add " + extra + " to maintenance " + key, needsProcess: true,
			do: func(h *simHarness) error { return h.addToMaintenance(key, add) }})
		if when.Before(start) {
			restart(extra, false)
		}
	}
	if pl.r.IntN(4) == 0 {
		// A second window overlapping the first.
		return maxTime(end, pl.maintenance(start.Add(-pl.dur(time.Minute, 3*time.Minute))))
	}
	return end
}

// operator: an update on an open incident, a manual incident opened and
// resolved later, and rarely an automatic incident resolved by hand.
func (pl *simPlanner) operator(at time.Time) time.Time {
	switch x := pl.r.IntN(10); {
	case x < 4:
		pl.p.actions = append(pl.p.actions, simAction{at: at, label: "operator posts an update", needsProcess: true,
			do: func(h *simHarness) error { return h.postUpdate() }})
	case x < 9:
		key := pl.key("i")
		c := pl.f.comp(pl.r.IntN(len(pl.f.mons)))
		st := status.DegradedPerformance
		if pl.r.IntN(2) == 0 {
			st = status.PartialOutage
		}
		pl.p.actions = append(pl.p.actions, simAction{at: at, label: "operator opens incident " + key + " on " + c, needsProcess: true,
			do: func(h *simHarness) error { return h.openManual(key, c, st) }})
		at = at.Add(pl.dur(time.Minute, 6*time.Minute))
		pl.p.actions = append(pl.p.actions, simAction{at: at, label: "operator resolves incident " + key, needsProcess: true,
			do: func(h *simHarness) error { return h.resolveManual(key) }})
	default:
		pl.p.actions = append(pl.p.actions, simAction{at: at, label: "operator resolves an automatic incident by hand", needsProcess: true,
			do: func(h *simHarness) error { return h.resolveAutoByHand() }})
	}
	return at
}

func (pl *simPlanner) publishDraft(at time.Time) {
	pl.p.actions = append(pl.p.actions, simAction{at: at, label: "operator publishes a draft", needsProcess: true,
		do: func(h *simHarness) error { return h.publishDraft() }})
}

// crash: the process dies (what it had not written is lost) and comes back
// after a while, the way herald serve starts.
func (pl *simPlanner) crash(at time.Time) {
	down := pl.dur(time.Second, 90*time.Second)
	pl.p.actions = append(pl.p.actions, simAction{at: at, label: fmt.Sprintf("crash (back after %s)", down.Round(time.Millisecond)),
		do: func(h *simHarness) error { h.crash(down); return nil }})
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

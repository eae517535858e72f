package monitor

import (
	"container/heap"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/probe"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

// The discrete-event loop. Time is the fake clock's; nothing sleeps. Events
// are ordered by time, then by the order they were made, so a history is a
// pure function of its plan and the code under test.
//
// Concurrency is simulated, not raced: the reactor runs beside the writer
// in Herald, so a pass takes simulated time, and the writer's work due in
// that time (check results, flushes) happens at the pass's commit points:
// each change it makes through the service, as the service tells its
// listeners once the change's transaction has committed. With a pass that
// commits change by change, that is how a recovery the engine measures can
// land between the reactor's read of an outage and its write of it
// (seen #1) — deterministically, from the seed; with a pass in one
// transaction, the writer's work lands after it, as the database would
// order it.

type simKind int

const (
	evCheck      simKind = iota // a planned check starts
	evResult                    // its result reaches the writer
	evFlush                     // the writer's ticker
	evPass                      // the reactor, woken
	evTick                      // the reactor's timer
	evClock                     // the maintenance clock
	evAction                    // a planned action
	evRestart                   // the process comes back
	evCheckpoint                // a time-bound invariant is due
	// Located histories (sim_located_test.go):
	evAgentCheck   // an agent's planned check starts
	evAgentResult  // its result is made
	evAgentPush    // the agent tries to push its buffer
	evAgentDeliver // a push reaches the server
	evDecide       // the decider, woken (gen 0) or its ticker (gen 1)
)

var simKindNames = [...]string{"check", "result", "flush", "pass", "tick", "clock", "action", "restart", "checkpoint",
	"agent-check", "agent-result", "agent-push", "agent-deliver", "decide"}

// agent events belong to the agents, which run whether Herald does or not.
func (k simKind) agent() bool { return k >= evAgentCheck && k <= evAgentDeliver }

func (k simKind) writer() bool { return k <= evFlush }

type simEvent struct {
	at     time.Time
	seq    int64
	kind   simKind
	inc    int // the process incarnation it belongs to
	slot   int
	c      check
	action *simAction
	gen    int
	loc    string          // agent events: the agent's place
	ar     *SimAgentResult // evAgentResult: what its check found
}

type simQueue []*simEvent

func (q simQueue) Len() int { return len(q) }
func (q simQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q simQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *simQueue) Push(x any)   { *q = append(*q, x.(*simEvent)) }
func (q *simQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// simFailure is one invariant broken at one step.
type simFailure struct {
	inv  int
	step int
	at   time.Time
	msg  string
}

type simHarness struct {
	ctx   context.Context
	st    *store.Store
	plan  *simPlan
	fleet *simFleet
	clock *fakeClock
	rt    *rand.Rand // choices made while the history runs

	writerQ, otherQ simQueue
	seq             int64

	proc        *simProcess
	inc         int
	procStart   time.Time
	restartAt   time.Time
	downs       [][2]time.Time // when Herald was down
	flushTicked bool           // a writer tick is queued
	passQueued  bool
	woken       bool
	clockGen    int
	tickGen     int // the reactor's timer: only the latest one set fires
	checkpoints map[int64]bool

	inPass, interleaving bool
	passAt               time.Time
	changes              int // service changes seen (OnChange)

	// Idle ticks (idleTick): gen counts changes to what the pipeline reads.
	gen, passGen int
	// flushGen counts the writer's flushes that stored something (what the
	// monitors measured); flushGenAtPass is its value when the last pass
	// began: decisions on a measurement are due at the next pass.
	flushGen, flushGenAtPass int
	passIdle                 bool
	holdUntil                time.Time // the end of the latest hold running (a new outage's)
	idleTicks                int

	// Quiet stretches (skipQuiet).
	lastBusy     time.Time // the last change to the store, action or start
	quietTry     time.Time // no skip is tried before this
	quietChanges int       // h.changes when unresolved was counted
	unresolved   int       // incidents not resolved, drafts included
	quietCounted bool
	skipped      time.Duration

	// What the harness remembers across crashes (nothing of Herald's).
	windows          map[string]int64
	manual           map[string]int64
	operatorResolved map[int64]bool
	everAttached     map[int64]map[int64]bool
	subs             []store.Subscriber
	// served is /api/v2/components.json as read the moment an operator's
	// write returned (histories with the site), for invariant 7.
	served    map[string]status.ComponentStatus
	servedErr error
	cached    *simWorld // what read last read through the service's records

	hash     hash.Hash
	events   int
	counts   [len(simKindNames)]int // events handled, by kind
	recent   []string               // the last notable events, for a failure's dump
	step     int
	checks   int
	failures []simFailure
	broken   map[int]bool // invariants already reported in this history
	// toldDependent are the components each incident was seen to have as
	// dependents (outages decided covered by a parent's outage in it).
	toldDependent map[int64]map[string]bool
	// endSeen is when each outage's end was first seen stored.
	endSeen   map[int64]time.Time
	firstDump string
	fatal     error

	loc   *simLocatedRun // the agents and the decider, in located histories
	ended bool           // the history has ended: the last check of all
}

// simResult is what one history did.
type simResult struct {
	steps, checks int
	hash          string
	failures      []simFailure
	dump          string
	fatal         error
}

func newSimHarness(ctx context.Context, st *store.Store, plan *simPlan, runtimeSeed uint64) *simHarness {
	return &simHarness{ctx: ctx, st: st, plan: plan, fleet: plan.fleet, clock: &fakeClock{t: plan.start},
		rt: rand.New(rand.NewPCG(runtimeSeed, 0x0dd_ba11)), checkpoints: map[int64]bool{},
		windows: map[string]int64{}, manual: map[string]int64{}, operatorResolved: map[int64]bool{},
		everAttached: map[int64]map[int64]bool{}, hash: sha256.New(), broken: map[int]bool{}, toldDependent: map[int64]map[string]bool{}, endSeen: map[int64]time.Time{}}
}

// rel is a time relative to the history's start, for logs: "T+01:02:03.456".
func (h *simHarness) rel(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := t.Sub(h.plan.start)
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	return fmt.Sprintf("T%s%02d:%02d:%02d.%03d", sign, int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60, d.Milliseconds()%1000)
}

// trace records an event in the history's hash; note also keeps it for dumps.
func (h *simHarness) trace(format string, a ...any) {
	h.events++
	fmt.Fprintf(h.hash, "%s "+format+"\n", append([]any{h.rel(h.clock.Now())}, a...)...)
}

func (h *simHarness) note(format string, a ...any) {
	h.trace(format, a...)
	line := h.rel(h.clock.Now()) + " " + fmt.Sprintf(format, a...)
	h.recent = append(h.recent, line)
	if len(h.recent) > 30 {
		h.recent = h.recent[len(h.recent)-30:]
	}
}

func (h *simHarness) push(e *simEvent) {
	h.seq++
	e.seq = h.seq
	if e.kind.writer() {
		heap.Push(&h.writerQ, e)
	} else {
		heap.Push(&h.otherQ, e)
	}
}

func (h *simHarness) next() *simEvent {
	switch {
	case len(h.writerQ) == 0 && len(h.otherQ) == 0:
		return nil
	case len(h.otherQ) == 0:
		return heap.Pop(&h.writerQ).(*simEvent)
	case len(h.writerQ) == 0 || h.otherFirst():
		return heap.Pop(&h.otherQ).(*simEvent)
	}
	return heap.Pop(&h.writerQ).(*simEvent)
}

// otherFirst reports whether the other queue's head comes before the writer's.
func (h *simHarness) otherFirst() bool {
	w, o := h.writerQ[0], h.otherQ[0]
	if !w.at.Equal(o.at) {
		return o.at.Before(w.at)
	}
	return o.seq < w.seq
}

func (h *simHarness) advance(t time.Time) {
	if t.After(h.clock.Now()) {
		h.clock.set(t)
	}
}

func (h *simHarness) now() time.Time { return h.clock.Now() }

// run plays the history and checks the invariants after every step.
func (h *simHarness) run() *simResult {
	for i := range h.plan.actions {
		h.push(&simEvent{at: h.plan.actions[i].at, kind: evAction, action: &h.plan.actions[i]})
	}
	if h.plan.located != nil {
		h.startAgents()
	}
	h.start()
	if h.fatal == nil {
		h.fatal = h.subscribe()
	}
	for h.fatal == nil {
		h.skipQuiet()
		ev := h.next()
		if ev == nil || ev.at.After(h.plan.end) {
			break
		}
		h.advance(ev.at)
		wrote := h.handle(ev)
		if h.woken && !h.inPass && h.proc != nil && !h.passQueued {
			h.woken, h.passQueued = false, true
			h.push(&simEvent{at: h.now().Add(time.Millisecond), kind: evPass, inc: h.inc})
		}
		if wrote && h.fatal == nil {
			h.step++
			h.checkAll()
		}
	}
	if h.fatal == nil {
		h.advance(h.plan.end)
		h.step++
		h.ended = true
		h.note("the history ends")
		h.checkAll()
	}
	if h.proc != nil {
		h.proc.crash() // stop its goroutines; the store is the test's
		h.proc = nil
	}
	res := &simResult{steps: h.step, checks: h.checks, hash: fmt.Sprintf("%x", h.hash.Sum(nil)), failures: h.failures,
		fatal: h.fatal, dump: h.firstDump}
	return res
}

// handle runs one event; it reports whether the store changed in a way the
// invariants read.
func (h *simHarness) handle(ev *simEvent) bool {
	h.counts[ev.kind]++
	if ev.kind != evAction && ev.kind != evRestart && ev.kind != evCheckpoint && !ev.kind.agent() && (h.proc == nil || ev.inc != h.inc) {
		return false // belonged to a process that crashed
	}
	switch ev.kind {
	case evCheck:
		h.checkStarts(ev)
	case evResult:
		return h.result(ev)
	case evFlush:
		h.flushTicked = false
		return h.flush()
	case evPass:
		h.passQueued = false
		return h.pass()
	case evTick:
		if ev.gen != h.tickGen {
			return false // the reactor was woken since: its timer was reset
		}
		if h.idleTick() {
			h.idleTicks++
			h.trace("idle tick")
			h.tickGen++
			h.push(&simEvent{at: h.now().Add(simReactEvery), kind: evTick, inc: h.inc, gen: h.tickGen})
			return false
		}
		return h.pass()
	case evClock:
		if ev.gen != h.clockGen {
			return false
		}
		return h.maintenanceClock()
	case evAction:
		return h.act(ev)
	case evRestart:
		h.note("restart")
		h.start()
		return true
	case evCheckpoint:
		delete(h.checkpoints, ev.at.UnixMilli())
		return true
	case evAgentCheck:
		h.agentCheck(ev)
	case evAgentResult:
		h.agentResult(ev)
	case evAgentPush:
		h.agentPush(ev)
	case evAgentDeliver:
		h.agentDeliver(ev)
	case evDecide:
		return h.decide(ev)
	}
	return false
}

// start makes a new process, the way herald serve starts.
func (h *simHarness) start() {
	p, err := h.startProcess()
	if err != nil {
		h.fatal = fmt.Errorf("start Herald: %w", err)
		return
	}
	h.inc++
	h.gen++
	h.proc, h.procStart, h.lastBusy = p, h.now(), h.now()
	h.flushTicked, h.passQueued, h.woken = false, false, false
	// serve's goroutines: the maintenance clock steps at once, the reactor
	// makes its first pass once the monitors are applied, then ticks.
	h.clockGen++
	h.push(&simEvent{at: h.now(), kind: evClock, inc: h.inc, gen: h.clockGen})
	h.push(&simEvent{at: h.now(), kind: evPass, inc: h.inc})
	h.passQueued = true
	for i, s := range p.slots {
		h.push(&simEvent{at: s.next, kind: evCheck, inc: h.inc, slot: i})
	}
	if h.plan.located != nil {
		// serve's decider goroutine: a pass at once, then its ticker.
		if err := h.startDecider(p); err != nil {
			h.fatal = fmt.Errorf("start the agents' side: %w", err)
			return
		}
		h.decidePass()
		h.push(&simEvent{at: h.now().Add(time.Second), kind: evDecide, inc: h.inc, gen: 1})
	}
}

// subscribe adds the history's confirmed e-mail subscribers.
func (h *simHarness) subscribe() error {
	err := h.st.Tx(h.ctx, func(q *store.Queries) error {
		for _, s := range h.plan.subscribers {
			if _, err := q.InsertConfirmedEmails(h.ctx, []string{s.address}, s.comps, h.now()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("subscribers: %w", err)
	}
	h.subs, err = h.st.Subscribers(h.ctx, store.SubscriberFilter{})
	return err
}

// targetAt is what a component's target does at t: the worst of the effects on it.
func (h *simHarness) targetAt(comp int, t time.Time) simTarget {
	st := targetUp
	for _, e := range h.plan.effects {
		if e.comp == comp && !t.Before(e.from) && t.Before(e.to) && e.st > st {
			st = e.st
		}
	}
	return st
}

// probeResult is what a check of a target in state st finds, and how long it takes.
func (h *simHarness) probeResult(m *simMon, st simTarget) probe.Result {
	ms := func(lo, hi int) time.Duration { return time.Duration(lo+h.rt.IntN(hi-lo+1)) * time.Millisecond }
	noun := "HTTP response"
	if m.local == "email" {
		noun = "SMTP banner"
	}
	switch st {
	case targetSlow:
		if m.degradedOver > 0 {
			lat := m.degradedOver + time.Duration(h.rt.Int64N(int64(m.timeout-m.degradedOver)))
			return probe.Result{Outcome: probe.Degraded, Latency: lat, Message: fmt.Sprintf("slow: %s, over %s", lat.Round(time.Millisecond), m.degradedOver)}
		}
		return probe.Result{Outcome: probe.Up, Latency: m.timeout/2 + time.Duration(h.rt.Int64N(int64(m.timeout/2))), Message: "OK, slowly"}
	case targetRefuse:
		return probe.Result{Outcome: probe.Down, Latency: ms(1, 4), Message: "connection refused"}
	case targetHang:
		return probe.Result{Outcome: probe.Down, Latency: m.timeout, Message: fmt.Sprintf("no %s within %s", noun, m.timeout)}
	}
	return probe.Result{Outcome: probe.Up, Latency: ms(3, 80), Message: "OK"}
}

// checkStarts runs a planned check: the target's state now decides the
// result, which reaches the writer once the check's latency has passed.
func (h *simHarness) checkStarts(ev *simEvent) {
	s := &h.proc.slots[ev.slot]
	m := &h.fleet.mons[s.mon]
	res := h.probeResult(m, h.targetAt(s.mon, ev.at))
	h.trace("check %s %s %s", m.spec.ID, res.Outcome, res.Latency)
	h.push(&simEvent{at: ev.at.Add(res.Latency), kind: evResult, inc: h.inc,
		c: check{id: m.spec.ID, planned: ev.at, at: ev.at, res: res}})
	s.next = ev.at.Add(s.interval)
	h.push(&simEvent{at: s.next, kind: evCheck, inc: h.inc, slot: ev.slot})
}

func (h *simHarness) result(ev *simEvent) bool {
	transition, opened, what := h.proc.observe(ev.c)
	if what != "" {
		h.note("monitor %s: %s", what, ev.c.res.Message)
	}
	if opened {
		h.holdUntil = maxTime(h.holdUntil, h.now().Add(h.fleet.mons[h.fleet.byID[ev.c.id]].hold()+simReactEvery))
	}
	if transition {
		// Run writes a transition at once, or, within transitionGap (200
		// ms of the wall clock) of the last, together with what came
		// meanwhile; the histories model the first, which tells pages
		// and the reactor sooner, and their time bounds have seconds of slack.
		return h.flush()
	}
	if !h.flushTicked {
		// Run's ticker fires every FlushEvery since the process started.
		k := h.now().Sub(h.procStart)/simFlushEvery + 1
		h.push(&simEvent{at: h.procStart.Add(k * simFlushEvery), kind: evFlush, inc: h.inc})
		h.flushTicked = true
	}
	return false
}

func (h *simHarness) flush() bool {
	wrote, err := h.proc.flush()
	if err != nil {
		h.fatal = fmt.Errorf("flush: %w", err)
		return false
	}
	if wrote {
		h.lastBusy = h.now()
		h.gen++
		h.flushGen++
		h.note("flushed")
		// The time-bound invariants (3, 5, 9) are due a hold and a pass after a change.
		h.checkpoint(h.now().Add(h.fleet.maxHold + simReactEvery + simSlack))
	}
	if h.proc.pending() && !h.flushTicked {
		k := h.now().Sub(h.procStart)/simFlushEvery + 1
		h.push(&simEvent{at: h.procStart.Add(k * simFlushEvery), kind: evFlush, inc: h.inc})
		h.flushTicked = true
	}
	return wrote
}

// checkpoint makes sure the invariants are checked at about t (rounded up to 10 s).
func (h *simHarness) checkpoint(t time.Time) {
	t = t.Truncate(10 * time.Second).Add(10 * time.Second)
	if h.checkpoints[t.UnixMilli()] || t.After(h.plan.end) {
		return
	}
	h.checkpoints[t.UnixMilli()] = true
	h.push(&simEvent{at: t, kind: evCheckpoint})
}

// wake is the reactor's Wake, from OnTransition.
func (h *simHarness) wake() { h.woken = true }

// changed is called after every change the service commits. Inside a pass
// it is a commit point: the writer gets the simulated time the write took.
func (h *simHarness) changed() {
	h.changes++
	h.gen++
	h.lastBusy = h.now()
	if !h.inPass || h.interleaving {
		return
	}
	h.interleaving = true
	h.passAt = h.passAt.Add(h.writeTakes())
	h.runWriterUntil(h.passAt)
	h.advance(h.passAt) // the pass's next write is made then
	h.interleaving = false
}

// writeTakes is how long one of the reactor's writes takes: mostly
// milliseconds, now and then seconds (a loaded machine; the demo's clock
// runs sixty times faster than the wall, so 50 ms there are 3 s here).
func (h *simHarness) writeTakes() time.Duration {
	if h.rt.IntN(100) < 80 {
		return time.Duration(1+h.rt.IntN(40)) * time.Millisecond
	}
	return time.Duration(100+h.rt.IntN(2900)) * time.Millisecond
}

// runWriterUntil lets the writer do its work due by t.
func (h *simHarness) runWriterUntil(t time.Time) {
	for len(h.writerQ) > 0 && !h.writerQ[0].at.After(t) && h.fatal == nil {
		ev := heap.Pop(&h.writerQ).(*simEvent)
		h.advance(ev.at)
		h.handle(ev)
	}
}

func (h *simHarness) pass() bool {
	before := h.changes
	h.passGen, h.passIdle = h.gen, false
	h.flushGenAtPass = h.flushGen
	h.inPass, h.passAt = true, h.now()
	err := h.proc.pass()
	h.inPass = false
	h.advance(h.passAt)
	// Run sets its timer after every pass.
	h.tickGen++
	h.push(&simEvent{at: h.now().Add(h.proc.nextPass(err != nil)), kind: evTick, inc: h.inc, gen: h.tickGen})
	if err != nil {
		h.note("reactor pass failed: %v", err)
		h.fail(0, "the reactor's pass failed: %v", err)
		return true
	}
	if h.changes != before {
		h.note("reactor pass made %d changes", h.changes-before)
		return true
	}
	undecided, err := h.st.Outages(h.ctx, store.OutageFilter{Undecided: true})
	if err != nil {
		h.fatal = err
		return false
	}
	h.passIdle = len(undecided) == 0
	h.trace("reactor pass")
	return false
}

// idleTick says a timed pass would change nothing, so the harness skips
// it: the last pass changed nothing and left nothing undecided, nothing the
// pipeline reads has changed since (no state change flushed, no change
// through the service, no restart), and no hold is running (no outage
// opened within its monitor's hold and a period). A pass is a function
// of the stored state and of time only through holds, so it would see what
// the last one saw and do what it did: nothing. A pipeline with other timers
// must say so here.
func (h *simHarness) idleTick() bool {
	return h.passIdle && h.passGen == h.gen && !h.now().Before(h.holdUntil) && !h.proc.holding()
}

func (h *simHarness) maintenanceClock() bool {
	taken, err := h.proc.svc.AdvanceMaintenance(h.ctx)
	if err != nil {
		h.fatal = fmt.Errorf("maintenance clock: %w", err)
		return false
	}
	if taken > 0 {
		h.note("maintenance clock took %d steps", taken)
	}
	// RunClock sleeps until the next transition, or a minute at most.
	wait := time.Minute
	if next, err := h.proc.svc.NextClockStep(h.ctx); err == nil && !next.IsZero() {
		wait = min(wait, max(next.Sub(h.now())+5*time.Millisecond, 0))
	}
	h.push(&simEvent{at: h.now().Add(wait), kind: evClock, inc: h.inc, gen: h.clockGen})
	return taken > 0
}

// wakeClock is the service's wakeClock after a window is written.
func (h *simHarness) wakeClock() {
	h.clockGen++
	h.push(&simEvent{at: h.now(), kind: evClock, inc: h.inc, gen: h.clockGen})
}

func (h *simHarness) act(ev *simEvent) bool {
	a := ev.action
	if a.needsProcess && h.proc == nil {
		// Herald is down: the operator tries again once it is back.
		h.push(&simEvent{at: maxTime(h.restartAt, h.now()).Add(time.Second), kind: evAction, action: a})
		return false
	}
	before := h.changes
	h.lastBusy = h.now()
	err := a.do(h)
	var invalid *service.InvalidError
	var conflict *service.ConflictError
	var notFound *service.NotFoundError
	switch {
	case err == nil:
		h.note("%s", a.label)
	case errors.As(err, &invalid) || errors.As(err, &conflict) || errors.As(err, &notFound):
		h.note("%s: refused: %v", a.label, err)
	default:
		h.fatal = fmt.Errorf("%s: %w", a.label, err)
		return false
	}
	if a.needsProcess && h.changes != before && h.proc.site != nil {
		h.served, h.servedErr = h.proc.publicComponents()
	}
	return true
}

// crash: the process dies between two steps and comes back after down.
func (h *simHarness) crash(down time.Duration) {
	if h.proc == nil {
		return
	}
	h.proc.crash()
	h.proc = nil
	if h.loc != nil {
		h.loc.side = nil
	}
	h.restartAt = h.now().Add(down)
	h.downs = append(h.downs, [2]time.Time{h.now(), h.restartAt})
	h.push(&simEvent{at: h.restartAt, kind: evRestart})
}

// The operator's writes, through the service as the API and CLI make them.
const simOperator = "operator@example.net"

func (h *simHarness) scheduleMaintenance(key string, comps []string, start, end time.Time) error {
	m, err := h.proc.svc.ScheduleMaintenance(h.ctx, simOperator, service.NewMaintenance{Title: "Server restarts",
		Body:       "The servers will be restarted to install an updated kernel. Service will be unavailable for approximately five minutes.",
		Components: comps, Start: start, End: end})
	if err != nil {
		return err
	}
	h.windows[key] = m.ID
	h.wakeClock()
	return nil
}

func (h *simHarness) addToMaintenance(key string, add []string) error {
	id, ok := h.windows[key]
	if !ok {
		return nil
	}
	server := strings.Split(add[0], "/")[0]
	_, err := h.proc.svc.EditMaintenance(h.ctx, simOperator, id, service.MaintenanceEdit{Add: add,
		Update: "We're also going to include the " + server + " server in this maintenance."})
	h.wakeClock()
	return err
}

func (h *simHarness) cancelMaintenance(key string) error {
	id, ok := h.windows[key]
	if !ok {
		return nil
	}
	_, err := h.proc.svc.CancelMaintenance(h.ctx, simOperator, id, "")
	h.wakeClock()
	return err
}

// pick chooses one of the incidents the filter keeps, by id order.
func (h *simHarness) pick(state string, keep func(*status.Incident) bool) (*status.Incident, error) {
	list, err := h.proc.svc.Incidents(h.ctx, store.IncidentFilter{State: state})
	if err != nil {
		return nil, err
	}
	list = slices.DeleteFunc(list, func(in status.Incident) bool { return !keep(&in) })
	if len(list) == 0 {
		return nil, nil
	}
	slices.SortFunc(list, func(a, b status.Incident) int { return int(a.ID - b.ID) })
	return &list[h.rt.IntN(len(list))], nil
}

func (h *simHarness) postUpdate() error {
	in, err := h.pick("open", func(*status.Incident) bool { return true })
	if err != nil || in == nil {
		return err
	}
	st := []status.IncidentStatus{"", status.Identified, status.Monitoring}[h.rt.IntN(3)]
	_, err = h.proc.svc.PostIncidentUpdate(h.ctx, simOperator, in.ID, service.IncidentUpdate{Status: st,
		Body: "Our engineers are working on it."})
	return err
}

func (h *simHarness) openManual(key, comp string, st status.ComponentStatus) error {
	in, err := h.proc.svc.OpenIncident(h.ctx, simOperator, service.NewIncident{Title: "Control panel problems",
		Status: status.Investigating, Body: "Some customers cannot log in to the control panel.",
		Components: map[string]status.ComponentStatus{comp: st}})
	if err != nil {
		return err
	}
	h.manual[key] = in.ID
	return nil
}

func (h *simHarness) resolveManual(key string) error {
	id, ok := h.manual[key]
	if !ok {
		return nil
	}
	_, err := h.proc.svc.ResolveIncident(h.ctx, simOperator, id, service.Resolution{Body: "The control panel works again."})
	return err
}

func (h *simHarness) resolveAutoByHand() error {
	in, err := h.pick("open", func(in *status.Incident) bool { return in.Auto })
	if err != nil || in == nil {
		return err
	}
	if _, err := h.proc.svc.ResolveIncident(h.ctx, simOperator, in.ID, service.Resolution{Body: "Resolved by hand."}); err != nil {
		return err
	}
	h.operatorResolved[in.ID] = true
	return nil
}

func (h *simHarness) publishDraft() error {
	in, err := h.pick("draft", func(in *status.Incident) bool { return in.Status != status.Resolved })
	if err != nil || in == nil {
		return err
	}
	_, err = h.proc.svc.PublishIncident(h.ctx, simOperator, in.ID)
	return err
}

// skipQuiet jumps over a quiet stretch: every target and every monitor up,
// no outage and no unresolved incident, nothing for the writer to write, no
// pass due, no window to move and no action before the jump's end, and all
// quiet for longer than any hold and two reactor periods. In such a stretch
// every check finds up, every pass and every clock step finds nothing to do,
// so skipping it changes nothing but the monitors' last-check times. The
// history goes on a few intervals before the next thing planned, on each
// monitor's own slots and the reactor's own ticks.
func (h *simHarness) skipQuiet() {
	p := h.proc
	now := h.now()
	if h.plan.located != nil {
		return // the agents' events are not planned around jumps
	}
	if p == nil || h.inPass || h.passQueued || h.woken || now.Before(h.quietTry) ||
		now.Before(h.lastBusy.Add(h.fleet.maxHold+2*simReactEvery+simSlack)) || p.pending() {
		return
	}
	h.quietTry = now.Add(10 * time.Second)
	if slices.ContainsFunc(h.writerQ, func(ev *simEvent) bool { return ev.kind == evResult && ev.inc == h.inc }) {
		return
	}
	for i := range h.fleet.mons {
		if h.targetAt(i, now) != targetUp {
			return
		}
	}
	for _, m := range p.engine.mons {
		if m.row.Detector.State != status.MonitorUp || m.outage != nil {
			return
		}
	}
	next := h.plan.end
	for _, e := range h.plan.effects {
		if e.from.After(now) && e.from.Before(next) {
			next = e.from
		}
	}
	for _, ev := range h.otherQ {
		if ev.kind == evAction || ev.kind == evRestart {
			next = minTime(next, ev.at)
		}
	}
	t, err := h.st.NextMaintenanceTransition(h.ctx)
	if err != nil {
		h.fatal = err
		return
	}
	if !t.IsZero() && !t.After(now) {
		t = t.Add(h.fleet.cfg.SettleFor()) // a completion waiting to settle
	}
	if !t.IsZero() {
		next = minTime(next, t)
	}
	target := next.Add(-(2*h.fleet.maxIntv + 5*time.Second))
	if target.Sub(now) < time.Minute {
		return
	}
	if !h.quietCounted || h.quietChanges != h.changes {
		h.unresolved = 0
		for _, state := range []string{"open", "draft"} {
			list, err := h.st.Incidents(h.ctx, store.IncidentFilter{State: state})
			if err != nil {
				h.fatal = err
				return
			}
			for _, in := range list {
				if in.Status != status.Resolved {
					h.unresolved++
				}
			}
		}
		h.quietCounted, h.quietChanges = true, h.changes
	}
	if h.unresolved > 0 {
		return
	}
	// Jump: each monitor's next check to its first slot at or after target,
	// the reactor's ticker and the clock likewise; no check is due in between.
	for _, ev := range h.writerQ {
		if ev.kind == evCheck && ev.inc == h.inc {
			s := &p.slots[ev.slot]
			for ev.at.Before(target) {
				ev.at = ev.at.Add(s.interval)
			}
			s.next = ev.at
		}
	}
	h.writerQ = slices.DeleteFunc(h.writerQ, func(ev *simEvent) bool { return ev.kind == evFlush })
	h.flushTicked = false
	heap.Init(&h.writerQ)
	h.otherQ = slices.DeleteFunc(h.otherQ, func(ev *simEvent) bool { return ev.kind == evCheckpoint && ev.at.Before(target) })
	for _, ev := range h.otherQ {
		switch {
		case ev.kind == evTick && ev.inc == h.inc:
			ev.at = maxTime(ev.at, target)
		case ev.kind == evClock && ev.at.Before(target):
			ev.at = target
		}
	}
	heap.Init(&h.otherQ)
	h.skipped += target.Sub(now)
	h.clock.set(target)
	h.note("quiet: skipped %s", target.Sub(now).Round(time.Second))
}

package monitor

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/store/storetest"
	"github.com/heraldhq/herald/internal/testrace"
)

// The deterministic simulation (issue 10, item 8). It runs the real engine
// (its writer: detection and writing), the real reactor, the real service on
// a simulated clock, the real notifier's hook queuing deliveries to confirmed
// subscribers, and in some histories the real public site, against simulated
// targets, over seeded random fleet histories: services that fail, hang,
// slow down, flap and recover; network events; maintenance windows
// scheduled, edited, overlapping, overrun and cancelled; operator writes;
// crashes and restarts between any two steps. After every step it checks
// the invariants in sim_invariants_test.go.
//
//	HERALD_SIM_SEEDS=N go test ./internal/monitor -run Simulation   # N random histories per database
//	HERALD_SIM_SEED=S go test ./internal/monitor -run 'TestSimulation$' -v   # replay one
//
// PostgreSQL runs too when HERALD_TEST_POSTGRES is set. TestSimulation
// prints "simulation: N histories, M invariant checks, D database(s)" on
// stdout; go test shows a passing package's output with -v or when run in
// the package's directory, not in package-list mode (./...). Files:
// sim_seams_test.go (the only code that touches the pipeline),
// sim_harness_test.go (the event loop and the operator), sim_plan_test.go
// (fleets and histories), sim_invariants_test.go, sim_stories_test.go (the
// seed posts' five stories), sim_located_test.go and sim_agents_test.go
// (monitors checked from three places by agents, decided by quorum:
// TestSimulationLocated, with invariants 10 to 15).

// simDefaultSeeds is how many random histories run on each database when
// HERALD_SIM_SEEDS is not set, and simRaceSeeds under the race detector
// (internal/testrace says why): .ci/run runs them both ways.
const (
	simDefaultSeeds = 4
	simRaceSeeds    = 1
)

func simSeeds(t *testing.T) []uint64 {
	t.Helper()
	if s := os.Getenv("HERALD_SIM_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("HERALD_SIM_SEED=%q: %v", s, err)
		}
		return []uint64{v}
	}
	n := simDefaultSeeds
	if testrace.Enabled {
		n = simRaceSeeds
	}
	if s := os.Getenv("HERALD_SIM_SEEDS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			t.Fatalf("HERALD_SIM_SEEDS=%q: want a positive number", s)
		}
		n = v
	}
	seeds := make([]uint64, n)
	for i := range seeds {
		seeds[i] = uint64(i + 1)
	}
	return seeds
}

var simBackends = []struct {
	name string
	open func(testing.TB) storetest.Backend
}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}}

// simRuntimeSeed seeds the choices made while a history runs (latencies,
// how long the reactor's writes take, which incident an operator picks).
func simRuntimeSeed(seed uint64) uint64 { return seed ^ 0x9e37_79b9_7f4a_7c15 }

func TestSimulation(t *testing.T) {
	seeds := simSeeds(t)
	histories, checks, dbs := 0, 0, 0
	for _, be := range simBackends {
		t.Run(be.name, func(t *testing.T) {
			ran := false
			for _, seed := range seeds {
				t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
					b := be.open(t)
					ran = true
					plan, err := randomSimPlan(seed)
					if err != nil {
						t.Fatal(err)
					}
					replay := fmt.Sprintf("HERALD_SIM_SEED=%d go test ./internal/monitor -run 'TestSimulation$/%s' -v", seed, be.name)
					if b.URL != "" {
						replay = "HERALD_TEST_POSTGRES=... " + replay
					}
					res := runSimHistory(t, b, plan, simRuntimeSeed(seed), replay)
					histories++
					checks += res.checks
				})
			}
			if ran {
				dbs++
			}
		})
	}
	summary := fmt.Sprintf("simulation: %d histories, %d invariant checks, %d database(s)\n", histories, checks, dbs)
	fmt.Print(summary)
	if !testing.Verbose() {
		// `go test ./...` shows a passing package's output only with -v:
		// the summary goes to the go command's own standard output too, so
		// `HERALD_SIM_SEEDS=N go test ./... -run Simulation` says what ran.
		if tty, err := os.OpenFile(fmt.Sprintf("/proc/%d/fd/1", os.Getppid()), os.O_WRONLY|os.O_APPEND, 0); err == nil {
			_, _ = tty.WriteString(summary)
			tty.Close()
		}
	}
}

// runSimHistory plays one history on a fresh store and reports what broke.
func runSimHistory(t *testing.T, b storetest.Backend, plan *simPlan, runtimeSeed uint64, replay string) *simResult {
	t.Helper()
	h := newSimHarness(t.Context(), b.Store, plan, runtimeSeed)
	res := h.run()
	t.Logf("%s on %s: %s of simulated time (%s of it quiet, skipped), %d steps, %d checks, events by kind %v",
		plan.name, b.Name, plan.end.Sub(plan.start).Round(time.Second), h.skipped.Round(time.Second), res.steps, res.checks, h.counts)
	t.Logf("idle ticks skipped %d, site %v", h.idleTicks, plan.site)
	if s := h.agentsSummary(); s != "" {
		t.Logf("%s", s)
	}
	if res.fatal != nil {
		t.Fatalf("simulation %s on %s: the harness could not go on after step %d: %v\nreplay: %s\n%s", plan.name, b.Name, res.steps, res.fatal, replay, res.dump)
	}
	if len(res.failures) > 0 {
		var msg strings.Builder
		fmt.Fprintf(&msg, "simulation %s on %s: %d invariant(s) broken (T+0 = %s)\nreplay: %s\n", plan.name, b.Name, len(res.failures),
			plan.start.Format("2006-01-02T15:04:05Z"), replay)
		for _, f := range res.failures {
			fmt.Fprintf(&msg, "  invariant %d (%s), step %d, %s:\n    %s\n", f.inv, simInvariantName(f.inv), f.step, h.rel(f.at), f.msg)
		}
		msg.WriteString(res.dump)
		t.Error(msg.String())
	}
	if plan.after != nil {
		plan.after(h)
	}
	return res
}

// The harness itself is deterministic: the same seed twice gives the same
// history, event for event.
func TestSimulationDeterministic(t *testing.T) {
	plan, err := randomSimPlan(35)
	if err != nil {
		t.Fatal(err)
	}
	var hashes [2]string
	var steps [2]int
	for i := range hashes {
		b := storetest.SQLite(t)
		h := newSimHarness(t.Context(), b.Store, plan, simRuntimeSeed(35))
		res := h.run()
		if res.fatal != nil {
			t.Fatalf("run %d: %v", i, res.fatal)
		}
		hashes[i], steps[i] = res.hash, res.steps
		if h.events < 300 || h.counts[evRestart] == 0 || len(h.windows) == 0 {
			t.Fatalf("run %d: %d events, %d restarts, %d windows: not the rich history this test needs", i, h.events, h.counts[evRestart], len(h.windows))
		}
	}
	if hashes[0] != hashes[1] || steps[0] != steps[1] {
		t.Fatalf("seed 35 twice: event logs %s (%d steps) and %s (%d steps)", hashes[0], steps[0], hashes[1], steps[1])
	}
}

// Command agentsrun is the engine of bench/agents: three `herald agent`
// processes sharing a fleet of HTTP monitors, pushing to one `herald
// serve` on SQLite, measured against the same fleet checked by the server
// itself in the same invocation.
//
//	go run ./bench/agentsrun --herald ./herald --monitors 10000 --interval 30s --windows 3
//
// Subcommands: `run` (the default) and `target` (the loopback web server the
// monitors check, started by run as a child process so that its CPU is not
// counted as Herald's).
//
// Two phases, each with a warm-up of one interval, and longer until the
// target sees the planned rate of checks (at most --settle more: at
// start every monitor's first check is a change of state, and the server
// writes each of those at once, which takes a while on a busy machine; the
// time is printed), and then WINDOWS windows of one interval each; every
// figure is the median of the windows (with the lowest and highest):
//
//  1. the reference: `herald serve` checking every monitor itself, as
//     bench/probes does; CPU per check is the server's CPU (/proc/PID/stat,
//     user + system) over the checks the target answered;
//  2. three agents (fra-1, ams-1, nyc-1), every monitor with
//     `locations: [fra-1, ams-1, nyc-1]` (quorum majority): each monitor is
//     checked three times an interval. Results ingested per second are the
//     agents' stored results (the agents table's counts); server CPU per
//     result is the server's CPU over them; agent CPU per check is the three
//     agents' CPU over the checks the target answered.
//
// The delay from a check to its decision is read from the database: while
// the windows run, the bench reads herald.db (read only) every --poll and
// notes when each result it saw undecided (agent_results.decided = 0) has
// been applied by the decider (decided = 1); a result stored and applied
// between two reads is noted at the second. Each delay runs from the
// check's start (agent_results.at) to the read that first saw it decided,
// so it is at most one poll (plus the read) late. Results checked in the
// windows are followed until all are decided or a minute has passed.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	_ "modernc.org/sqlite"

	"github.com/heraldhq/herald/bench/internal/benchkit"
)

var logf = benchkit.Logger("bench/agents")

func main() {
	benchkit.Main("agentsrun", run, map[string]func([]string) error{"target": benchkit.Target})
}

var places = []string{"fra-1", "ams-1", "nyc-1"}

type options struct {
	herald   string
	monitors int
	interval time.Duration
	timeout  time.Duration
	windows  int
	poll     time.Duration
	settle   time.Duration
	keep     bool
}

type bench struct {
	o      options
	ctx    context.Context
	tmp    string
	target string
}

func run(args []string) error {
	var o options
	fs := flag.NewFlagSet("agentsrun", flag.ContinueOnError)
	fs.StringVar(&o.herald, "herald", "", "the herald binary to run (required)")
	fs.IntVar(&o.monitors, "monitors", 10000, "HTTP monitors, each checked from all three places")
	fs.DurationVar(&o.interval, "interval", 30*time.Second, "each monitor's interval (and the length of a measure window)")
	fs.DurationVar(&o.timeout, "timeout", 0, "each monitor's timeout (0: 10s, or a third of a shorter interval)")
	fs.IntVar(&o.windows, "windows", 3, "measure windows per phase, after a warm-up of one interval")
	fs.DurationVar(&o.poll, "poll", 100*time.Millisecond, "how often the database is read for decisions")
	fs.DurationVar(&o.settle, "settle", 0, "how long a phase may wait for the steady state after its warm-up (0: ten intervals)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary folder")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.settle <= 0 {
		o.settle = 10 * o.interval
	}
	if o.timeout == 0 {
		o.timeout = min(10*time.Second, o.interval/3)
	}
	switch {
	case o.herald == "":
		return errors.New("--herald BINARY is required")
	case o.monitors < 1 || o.monitors > 30000:
		return errors.New("--monitors must be between 1 and 30000")
	case o.windows < 1 || o.windows > 20:
		return errors.New("--windows must be between 1 and 20")
	case o.interval < 5*time.Second || o.interval > 5*time.Minute:
		return errors.New("--interval must be between 5s and 5m")
	case o.timeout >= o.interval:
		return errors.New("--timeout must be less than --interval")
	case o.poll < 10*time.Millisecond || o.poll > 5*time.Second:
		return errors.New("--poll must be between 10ms and 5s")
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	b := &bench{o: o, ctx: ctx}
	var err error
	if b.tmp, err = os.MkdirTemp("", "herald-bench-agents-"); err != nil {
		return err
	}
	if o.keep {
		logf("keeping %s", b.tmp)
	} else {
		defer os.RemoveAll(b.tmp)
	}
	loadBefore := benchkit.LoadAverage()
	tgt, addr, err := benchkit.StartChild(ctx, "target")
	if err != nil {
		return err
	}
	defer tgt.Stop()
	b.target = addr
	logf("target listening on %s (pid %d)", addr, tgt.Pid)

	ref, err := b.reference()
	if err != nil {
		return err
	}
	ag, err := b.agents()
	if err != nil {
		return err
	}
	b.print(ref, ag, loadBefore, benchkit.LoadAverage())
	return nil
}

// --- the phases ---------------------------------------------------------------

// window is one measure window's figures.
type window struct {
	checksPerSec, results, cpuPerCheck, cpuPerResult, agentCPUPerCheck, serverCores, agentCores float64
}

type referenceRun struct {
	windows []window
	settled string // when the steady state came
	rssKB   int64
}

type agentsRun struct {
	windows     []window
	settled     string
	delays      []float64 // seconds, check start to decision seen
	undecided   int       // results of the windows never seen decided
	dropped     int64
	serverRSSKB int64
	agentRSSKB  []int64
}

func (b *bench) monitorLine(located bool) string {
	s := fmt.Sprintf("interval: %s, timeout: %s, down_after: 2, up_after: 1", b.o.interval, b.o.timeout)
	if located {
		s += ", locations: [" + strings.Join(places, ", ") + "], quorum: majority"
	}
	return s
}

// serve writes the configuration, prepares the database and starts herald serve on it.
func (b *bench) serve(name string, located bool) (*benchkit.Proc, string, string, error) {
	dir := filepath.Join(b.tmp, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", "", err
	}
	cfg := filepath.Join(dir, "bench.yaml")
	if err := os.WriteFile(cfg, []byte(benchkit.FleetConfig(b.o.monitors, b.target, b.monitorLine(located))), 0o644); err != nil {
		return nil, "", "", err
	}
	data := filepath.Join(dir, "data")
	if _, err := b.herald("migrate", "--data", data); err != nil {
		return nil, "", "", err
	}
	addr, err := benchkit.FreeAddr()
	if err != nil {
		return nil, "", "", err
	}
	base := "http://" + addr
	p, err := benchkit.StartServer(b.ctx, filepath.Join(dir, "herald.log"), base, 2*time.Minute, b.o.herald,
		"serve", "--config", cfg, "--data", data, "--listen", addr)
	if err != nil {
		return nil, "", "", err
	}
	return p, base, data, nil
}

func (b *bench) herald(args ...string) (string, error) {
	out, err := benchkit.Output(b.ctx, b.o.herald, args...)
	return strings.TrimSpace(out), err
}

// reference is the fleet checked by the server itself, as bench/probes runs it.
func (b *bench) reference() (referenceRun, error) {
	srv, base, data, err := b.serve("reference", false)
	if err != nil {
		return referenceRun{}, err
	}
	defer srv.Stop()
	db, err := openRO(data)
	if err != nil {
		return referenceRun{}, err
	}
	defer db.Close()
	logf("reference: herald serve on %s (pid %d) checking %d monitors every %s itself; warming up for %s at least", base, srv.Pid, b.o.monitors, b.o.interval, b.o.interval)
	var r referenceRun
	if r.settled, err = b.settle(db, b.o.interval, float64(b.o.monitors)/b.o.interval.Seconds()); err != nil {
		return r, err
	}
	for i := range b.o.windows {
		w, err := b.window(srv.Pid, nil, nil)
		if err != nil {
			return r, err
		}
		logf("reference window %d/%d: %.1f checks/s, %.3f ms of CPU per check", i+1, b.o.windows, w.checksPerSec, w.cpuPerCheck)
		r.windows = append(r.windows, w)
	}
	r.rssKB, _ = benchkit.PeakRSS(srv.Pid)
	return r, nil
}

// agents is the fleet checked by three agents, every monitor from all three places.
func (b *bench) agents() (agentsRun, error) {
	var r agentsRun
	srv, base, data, err := b.serve("agents", true)
	if err != nil {
		return r, err
	}
	defer srv.Stop()
	var agents []*benchkit.Proc
	defer func() {
		for _, a := range agents {
			a.Stop()
		}
	}()
	for _, place := range places {
		out, err := b.herald("token", "create", "--data", data, "--scope", "agent", "--location", place)
		if err != nil {
			return r, err
		}
		token := out[strings.LastIndexByte(out, '\n')+1:]
		dir := filepath.Join(b.tmp, "agent-"+place)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return r, err
		}
		a, err := benchkit.Start(b.ctx, filepath.Join(dir, "agent.log"), b.o.herald,
			"agent", "--server", base, "--token", token, "--location", place, "--data", dir)
		if err != nil {
			return r, err
		}
		agents = append(agents, a)
	}
	pids := make([]int, len(agents))
	for i, a := range agents {
		pids[i] = a.Pid
	}
	db, err := openRO(data)
	if err != nil {
		return r, err
	}
	defer db.Close()
	logf("agents: herald serve (pid %d) and agents %v (pids %v), every monitor at all three; warming up for %s at least",
		srv.Pid, places, pids, b.o.interval+5*time.Second)
	if r.settled, err = b.settle(db, b.o.interval+5*time.Second, 3*float64(b.o.monitors)/b.o.interval.Seconds()); err != nil {
		return r, err
	}
	for _, a := range agents {
		select {
		case <-a.Exited:
			benchkit.Tail(a.Log)
			return r, errors.New("an agent exited")
		default:
		}
	}

	start := time.Now()
	w := newWatcher(db)
	watchCtx, stopWatch := context.WithCancel(b.ctx)
	defer stopWatch()
	watched := make(chan error, 1)
	var end time.Time
	endSet := make(chan struct{})
	go func() { watched <- w.run(watchCtx, b.o.poll, start, endSet, &end) }()

	for i := range b.o.windows {
		win, err := b.window(srv.Pid, pids, db)
		if err != nil {
			return r, err
		}
		logf("agents window %d/%d: %.1f checks/s, %.1f results stored/s; %.3f ms of agent CPU per check, %.3f ms of server CPU per result",
			i+1, b.o.windows, win.checksPerSec, win.results, win.agentCPUPerCheck, win.cpuPerResult)
		r.windows = append(r.windows, win)
	}
	end = time.Now()
	close(endSet)
	logf("following the windows' results until they are all decided (a minute at most)")
	select {
	case err := <-watched:
		if err != nil {
			return r, err
		}
	case <-time.After(time.Minute):
		stopWatch()
		if err := <-watched; err != nil && !errors.Is(err, context.Canceled) {
			return r, err
		}
	}
	r.delays, r.undecided = w.delays, w.pendingIn(start, end)
	if err := db.QueryRowContext(b.ctx, `SELECT COALESCE(SUM(dropped), 0) FROM agents`).Scan(&r.dropped); err != nil {
		return r, err
	}
	r.serverRSSKB, _ = benchkit.PeakRSS(srv.Pid)
	for _, pid := range pids {
		kb, _ := benchkit.PeakRSS(pid)
		r.agentRSSKB = append(r.agentRSSKB, kb)
	}
	return r, nil
}

// settle waits warmUp, then until no monitor's state is unknown in the
// database and the target answers at least 95% of the planned rate of
// checks over 5 s (at most --settle more), and says how long it took
// from the start. At start every monitor's first check changes its state,
// and a server that writes those one at a time takes a while on a busy
// machine, its checks waiting meanwhile; the windows measure the steady
// state.
func (b *bench) settle(db *sql.DB, warmUp time.Duration, planned float64) (string, error) {
	start := time.Now()
	if err := benchkit.Sleep(b.ctx, warmUp); err != nil {
		return "", err
	}
	for {
		var unknown int
		if err := db.QueryRowContext(b.ctx, `SELECT COUNT(*) FROM monitors WHERE state = 'unknown' AND removed_at IS NULL`).Scan(&unknown); err != nil {
			return "", err
		}
		n0, err := benchkit.Served(b.target)
		if err != nil {
			return "", err
		}
		t0 := time.Now()
		if err := benchkit.Sleep(b.ctx, 5*time.Second); err != nil {
			return "", err
		}
		n1, err := benchkit.Served(b.target)
		if err != nil {
			return "", err
		}
		rate := (n1 - n0) / time.Since(t0).Seconds()
		took := time.Since(start).Round(time.Second)
		switch {
		case unknown == 0 && rate >= 0.95*planned:
			logf("every monitor's state known and %.1f checks/s of %.1f, %s after the start", rate, planned, took)
			return fmt.Sprintf("every monitor's state known and checked at the planned rate %.0f s after the start", took.Seconds()), nil
		case took > warmUp+b.o.settle:
			logf("still %d monitors unknown and %.1f checks/s of %.1f after %s: measuring anyway", unknown, rate, planned, took)
			return fmt.Sprintf("NOT STEADY: %d monitors still unknown and %.1f checks/s of %.1f planned %.0f s after the start", unknown, rate, planned, took.Seconds()), nil
		}
		logf("%d monitors unknown, %.1f checks/s of %.1f planned, %s after the start; waiting", unknown, rate, planned, took)
	}
}

// openRO opens the server's SQLite database read only, for the bench's looks.
func openRO(data string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "herald.db")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// window measures one interval: the server's CPU (pid), the agents' (agents),
// the checks the target answered and, with db, the results stored.
func (b *bench) window(pid int, agents []int, db *sql.DB) (window, error) {
	type sample struct{ server, agents, served, stored float64 }
	take := func() (sample, error) {
		var s sample
		var err error
		if s.server, err = benchkit.CPUSeconds(pid); err != nil {
			return s, err
		}
		if s.agents, err = benchkit.CPUOf(agents...); err != nil {
			return s, err
		}
		if s.served, err = benchkit.Served(b.target); err != nil {
			return s, err
		}
		if db != nil {
			if err := db.QueryRowContext(b.ctx, `SELECT COALESCE(SUM(results), 0) FROM agents`).Scan(&s.stored); err != nil {
				return s, err
			}
		}
		return s, nil
	}
	s0, err := take()
	if err != nil {
		return window{}, err
	}
	t0 := time.Now()
	if err := benchkit.Sleep(b.ctx, b.o.interval); err != nil {
		return window{}, err
	}
	s1, err := take()
	if err != nil {
		return window{}, err
	}
	wall := time.Since(t0).Seconds()
	checks, stored := s1.served-s0.served, s1.stored-s0.stored
	if checks <= 0 {
		return window{}, errors.New("no checks in a measure window")
	}
	w := window{
		checksPerSec: checks / wall,
		results:      stored / wall,
		cpuPerCheck:  1000 * (s1.server - s0.server) / checks,
		serverCores:  (s1.server - s0.server) / wall,
		agentCores:   (s1.agents - s0.agents) / wall,
	}
	if len(agents) > 0 {
		w.agentCPUPerCheck = 1000 * (s1.agents - s0.agents) / checks
	}
	if stored > 0 {
		w.cpuPerResult = 1000 * (s1.server - s0.server) / stored
	}
	return w, nil
}

// --- the decisions --------------------------------------------------------------

// watcher follows agent_results in the database: each result it saw
// undecided, and each stored and decided between two of its reads, gets
// the delay from its check to the read that saw it decided.
type watcher struct {
	db      *sql.DB
	pending map[int64]int64 // id -> check time (Unix ms), seen undecided
	high    int64           // the highest id seen
	delays  []float64
}

func newWatcher(db *sql.DB) *watcher { return &watcher{db: db, pending: map[int64]int64{}} }

// run reads every poll until ctx ends or, once endSet is closed, no result
// checked in [from, *end] is pending.
func (w *watcher) run(ctx context.Context, poll time.Duration, from time.Time, endSet <-chan struct{}, end *time.Time) error {
	// The first read only notes what is there.
	if err := w.read(ctx, from, time.Time{}); err != nil {
		return err
	}
	w.delays = nil
	t := time.NewTicker(poll)
	defer t.Stop()
	var to time.Time
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		select {
		case <-endSet:
			to = *end
		default:
		}
		if err := w.read(ctx, from, to); err != nil {
			return err
		}
		if !to.IsZero() && w.pendingIn(from, to) == 0 {
			return nil
		}
	}
}

// read takes one consistent look (a read transaction) and notes the
// results decided since the last one whose check was in [from, to] (to
// zero: no end yet).
func (w *watcher) read(ctx context.Context, from, to time.Time) error {
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		return err
	}
	defer conn.ExecContext(context.Background(), "ROLLBACK") //nolint:errcheck // a read transaction
	undecided := map[int64]int64{}
	if err := scanPairs(ctx, conn, `SELECT id, at FROM agent_results WHERE decided = 0`, func(id, at int64) {
		undecided[id] = at
	}); err != nil {
		return err
	}
	var fresh [][2]int64 // stored and decided since the last read
	if err := scanPairs(ctx, conn, `SELECT id, at FROM agent_results WHERE id > ? AND decided = 1`, func(id, at int64) {
		fresh = append(fresh, [2]int64{id, at})
	}, w.high); err != nil {
		return err
	}
	seen := time.Now() // the read is over: every decision it saw was made by now
	in := func(at int64) bool {
		return at >= from.UnixMilli() && (to.IsZero() || at <= to.UnixMilli())
	}
	note := func(at int64) {
		if in(at) {
			w.delays = append(w.delays, seen.Sub(time.UnixMilli(at)).Seconds())
		}
	}
	for id, at := range w.pending {
		if _, still := undecided[id]; !still {
			note(at)
		}
	}
	for _, f := range fresh {
		note(f[1])
		w.high = max(w.high, f[0])
	}
	for id := range undecided {
		w.high = max(w.high, id)
	}
	w.pending = undecided
	return nil
}

// pendingIn counts the results checked in [from, to] not yet seen decided.
func (w *watcher) pendingIn(from, to time.Time) int {
	n := 0
	for _, at := range w.pending {
		if at >= from.UnixMilli() && at <= to.UnixMilli() {
			n++
		}
	}
	return n
}

func scanPairs(ctx context.Context, conn *sql.Conn, query string, each func(a, b int64), args ...any) error {
	rows, err := conn.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var a, b int64
		if err := rows.Scan(&a, &b); err != nil {
			return err
		}
		each(a, b)
	}
	return rows.Err()
}

// --- the figures ------------------------------------------------------------------

// spread is a figure over the windows: "median (lowest-highest)".
func spread(ws []window, f func(window) float64, format string) string {
	v := values(ws, f)
	if len(v) == 1 {
		return fmt.Sprintf(format, v[0])
	}
	return fmt.Sprintf(format+" ("+format+"-"+format+")", median(ws, f), v[0], v[len(v)-1])
}

// values is a figure of each window, sorted.
func values(ws []window, f func(window) float64) []float64 {
	v := make([]float64, len(ws))
	for i, w := range ws {
		v[i] = f(w)
	}
	slices.Sort(v)
	return v
}

func median(ws []window, f func(window) float64) float64 {
	v := values(ws, f)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

func (b *bench) print(ref referenceRun, ag agentsRun, loadBefore, loadAfter string) {
	o := b.o
	fmt.Printf("\n%d HTTP monitors every %s against a loopback target (%d cores, target in another process), herald serve on SQLite;\n",
		o.monitors, o.interval, benchkit.NumCPU())
	fmt.Printf("each figure the median of %d windows of %s after a warm-up of one interval (lowest-highest); load average %s before, %s after\n",
		o.windows, o.interval, loadBefore, loadAfter)
	fmt.Printf("\nthe server checking every monitor itself (as bench/probes):\n")
	fmt.Printf("  %s\n", ref.settled)
	fmt.Printf("  checks/s=%s (expected %.1f)  server_cpu_ms_per_check=%s  server_cores=%s  peak_rss_mb=%.0f\n",
		spread(ref.windows, func(w window) float64 { return w.checksPerSec }, "%.1f"), float64(o.monitors)/o.interval.Seconds(),
		spread(ref.windows, func(w window) float64 { return w.cpuPerCheck }, "%.3f"),
		spread(ref.windows, func(w window) float64 { return w.serverCores }, "%.3f"), float64(ref.rssKB)/1024)
	fmt.Printf("\nthree agents (%s), every monitor checked from all three (locations: [%s], quorum: majority):\n",
		strings.Join(places, ", "), strings.Join(places, ", "))
	fmt.Printf("  %s\n", ag.settled)
	fmt.Printf("  checks/s=%s (expected %.1f)  results_ingested/s=%s  dropped=%d\n",
		spread(ag.windows, func(w window) float64 { return w.checksPerSec }, "%.1f"), 3*float64(o.monitors)/o.interval.Seconds(),
		spread(ag.windows, func(w window) float64 { return w.results }, "%.1f"), ag.dropped)
	var rss []string
	for _, kb := range ag.agentRSSKB {
		rss = append(rss, fmt.Sprintf("%.0f", float64(kb)/1024))
	}
	fmt.Printf("  agent_cpu_ms_per_check=%s  agents_cores=%s (three processes)  agent_peak_rss_mb=%s\n",
		spread(ag.windows, func(w window) float64 { return w.agentCPUPerCheck }, "%.3f"),
		spread(ag.windows, func(w window) float64 { return w.agentCores }, "%.3f"), strings.Join(rss, "/"))
	fmt.Printf("  server_cpu_ms_per_result=%s  server_cores=%s  server_peak_rss_mb=%.0f\n",
		spread(ag.windows, func(w window) float64 { return w.cpuPerResult }, "%.3f"),
		spread(ag.windows, func(w window) float64 { return w.serverCores }, "%.3f"), float64(ag.serverRSSKB)/1024)
	d := slices.Clone(ag.delays)
	slices.Sort(d)
	fmt.Printf("  check to decision: p50=%.2fs p99=%.2fs max=%.2fs over %d results checked in the windows; %d not seen decided within a minute\n",
		quantile(d, 0.5), quantile(d, 0.99), quantile(d, 1), len(d), ag.undecided)
	fmt.Printf("  (from a check's start to the first read of the database that saw it applied; reads every %s, so each is at most that much late)\n", o.poll)
	refCPU := median(ref.windows, func(w window) float64 { return w.cpuPerCheck })
	agentCPU := median(ag.windows, func(w window) float64 { return w.agentCPUPerCheck })
	resultCPU := median(ag.windows, func(w window) float64 { return w.cpuPerResult })
	fmt.Printf("\nratios (medians, this invocation):\n")
	fmt.Printf("  agent CPU per check / the server's own CPU per check = %.2f\n", agentCPU/refCPU)
	fmt.Printf("  server CPU per result from agents / the server's own CPU per check = %.2f\n", resultCPU/refCPU)
	fmt.Printf("  agent_cpu_per_check_ratio=%.2f server_cpu_per_result_ratio=%.2f decision_p50=%.2fs decision_p99=%.2fs\n",
		agentCPU/refCPU, resultCPU/refCPU, quantile(d, 0.5), quantile(d, 0.99))
}

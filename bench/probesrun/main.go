// Command probesrun is the engine of bench/probes: it runs `herald serve`
// with many HTTP monitors against a loopback target in another process and
// measures what it costs Herald, then makes some targets hang and measures
// how soon Herald marks each of them down.
//
//	go run ./bench/probesrun --herald ./herald --monitors 10000 --interval 30s --measure 3m --hang 1000
//
// Subcommands: `run` (the default, the whole benchmark) and `target` (the
// loopback web server, started by run as a child process so that its CPU is
// not counted as Herald's).
//
// What is measured, over the measure window after a warm-up of one interval:
//   - checks/s, from Herald's own herald_probe_checks_total;
//   - CPU seconds per 1,000 checks and cores used, from /proc/PID/stat of the
//     herald process (user + system);
//   - peak RSS, from /proc/PID/status VmHWM;
//   - the p99 lag between a check's planned and actual start, from Herald's
//     herald_probe_start_lag_seconds histogram (interpolated in its bucket,
//     and reported with the bucket bounds so nothing is hidden).
//
// Then HANG targets start accepting connections and never answering. For
// each, the moment Herald marked it down is the detection time stored with
// its outage (when the crossing check began) plus that check's length (the
// timeout); the bound is interval × down_after + timeout + 1 s after the
// target began to hang. Herald's cores used while they go down (every state
// change rebuilds pages) and its peak RSS by then are printed too, not goals.
//
// With --before BINARY, that binary (main's code, say) is measured the same
// way, in pairs of both orders: before then this build, a pause for the
// sockets of those runs to leave the kernel's tables, then this build then
// before (--orders 1 keeps the first pair only). On this kind of machine
// whichever runs second pays 7-15 % more CPU per check, so one order alone
// favours the before; a line per pair and one of both orders' means follow.
// The verdict is this build's against the goals (see goal*), every run of it.
package main

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "modernc.org/sqlite"

	"github.com/heraldhq/herald/bench/internal/benchkit"
)

var logf = benchkit.Logger("bench/probes")

func main() {
	benchkit.Main("probesrun", run, map[string]func([]string) error{"target": benchkit.Target})
}

// --- the run ----------------------------------------------------------------

type options struct {
	herald    string
	monitors  int
	interval  time.Duration
	timeout   time.Duration
	downAfter int
	measure   time.Duration
	hang      int
	keep      bool
	pprof     string
	before    string
	orders    int
	pause     time.Duration
	memLimit  string
}

func run(args []string) error {
	var o options
	fs := flag.NewFlagSet("probesrun", flag.ContinueOnError)
	fs.StringVar(&o.herald, "herald", "", "the herald binary to run (required)")
	fs.IntVar(&o.monitors, "monitors", 10000, "HTTP monitors")
	fs.DurationVar(&o.interval, "interval", 30*time.Second, "each monitor's interval")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "each monitor's timeout")
	fs.IntVar(&o.downAfter, "down-after", 2, "consecutive failures before down")
	fs.DurationVar(&o.measure, "measure", 3*time.Minute, "how long to measure the steady state, after a warm-up of one interval")
	fs.IntVar(&o.hang, "hang", 1000, "targets made to hang after the measurement (0: skip that phase)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary folder")
	fs.StringVar(&o.pprof, "pprof", "", "have herald serve Go's profiles on this loopback address")
	fs.StringVar(&o.before, "before", "", "another herald binary (main's code, say) measured first under the same load, for a before/after")
	fs.IntVar(&o.orders, "orders", 2, "with --before: 2 measures the pair in both orders (before first, then this build first), 1 the before first only")
	fs.DurationVar(&o.pause, "pause", 65*time.Second, "with --orders 2: the wait between the pairs, for the first pair's sockets to leave TIME_WAIT")
	fs.StringVar(&o.memLimit, "memlimit", "", "also measure this build with GOMEMLIMIT set to this (80MiB, say), after the run without it, and print what the limit costs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case o.herald == "":
		return errors.New("--herald BINARY is required")
	case o.monitors < 1 || o.monitors > 100000:
		return errors.New("--monitors must be between 1 and 100000")
	case o.hang > o.monitors:
		return errors.New("--hang cannot exceed --monitors")
	case o.timeout >= o.interval:
		return errors.New("--timeout must be less than --interval")
	case o.orders != 1 && o.orders != 2:
		return errors.New("--orders must be 1 or 2")
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	var (
		pairs [][2]figures // before, this build
		after figures
		err   error
	)
	// measurePair runs the other binary (main's code, say) and this build
	// under the same load in the same invocation, so both meet the same
	// machine, in the order asked.
	measurePair := func(beforeFirst bool, label string) ([2]figures, error) {
		var p [2]figures
		order := []int{0, 1}
		if !beforeFirst {
			order = []int{1, 0}
		}
		for _, i := range order {
			bin, name := o.before, "before"
			if i == 1 {
				bin, name = o.herald, "this build"
			}
			f, err := measure(ctx, o, bin, name+label)
			if err != nil {
				return p, err
			}
			p[i] = f
		}
		return p, nil
	}
	if o.before != "" {
		p, err := measurePair(true, "")
		if err != nil {
			return err
		}
		pairs, after = append(pairs, p), p[1]
		// And in the other order, since the second run of a pair pays more.
		if o.orders == 2 {
			logf("pausing %s between the pairs", o.pause)
			if err := benchkit.Sleep(ctx, o.pause); err != nil {
				return err
			}
			p, err := measurePair(false, " (second pair)")
			if err != nil {
				return err
			}
			pairs, after = append(pairs, p), worst(after, p[1])
		}
	} else if after, err = measure(ctx, o, o.herald, "this build"); err != nil {
		return err
	}
	var limited *figures
	if o.memLimit != "" {
		// The same binary again, with Go's soft memory limit: what it
		// saves in memory and costs in CPU, under the same load.
		prev, had := os.LookupEnv("GOMEMLIMIT")
		if err := os.Setenv("GOMEMLIMIT", o.memLimit); err != nil {
			return err
		}
		l, err := measure(ctx, o, o.herald, "this build, GOMEMLIMIT="+o.memLimit)
		if had {
			_ = os.Setenv("GOMEMLIMIT", prev)
		} else {
			_ = os.Unsetenv("GOMEMLIMIT")
		}
		if err != nil {
			return err
		}
		limited = &l
	}
	printPair := func(label string, before, after figures) {
		fmt.Printf("%s: cpu_ms_per_check %.3f -> %.3f (%.2fx less)  cores %.3f -> %.3f  peak_rss_mb %.1f -> %.1f  p99_lag_ms %.1f -> %.1f  slowest_down_s %.1f -> %.1f\n",
			label, before.cpuMsPerCheck, after.cpuMsPerCheck, before.cpuMsPerCheck/after.cpuMsPerCheck, before.cores, after.cores,
			before.rssMB, after.rssMB, before.p99LagMs, after.p99LagMs, before.slowestDown, after.slowestDown)
	}
	if len(pairs) > 0 {
		fmt.Println()
		printPair("before -> this build (before ran first)", pairs[0][0], pairs[0][1])
	}
	if len(pairs) > 1 {
		printPair("before -> this build (this build ran first)", pairs[1][0], pairs[1][1])
		printPair("before -> this build (mean of both orders)", mean(pairs[0][0], pairs[1][0]), mean(pairs[0][1], pairs[1][1]))
	}
	if limited != nil {
		fmt.Printf("\nthis build -> with GOMEMLIMIT=%s: cpu_ms_per_check %.3f -> %.3f (%+.1f%%)  cores %.3f -> %.3f  peak_rss_mb %.1f -> %.1f  p99_lag_ms %.1f -> %.1f  slowest_down_s %.1f -> %.1f\n",
			o.memLimit, after.cpuMsPerCheck, limited.cpuMsPerCheck, 100*(limited.cpuMsPerCheck/after.cpuMsPerCheck-1), after.cores, limited.cores,
			after.rssMB, limited.rssMB, after.p99LagMs, limited.p99LagMs, after.slowestDown, limited.slowestDown)
	}
	fmt.Printf("load average at the end: %s\n", loadAvg())
	verdict := func(label string, f figures) {
		if f.pass {
			fmt.Printf("verdict%s: PASS\n", label)
		} else {
			fmt.Printf("verdict%s: BELOW GOAL\n", label)
		}
	}
	verdict("", after)
	if limited != nil {
		verdict(" with GOMEMLIMIT="+o.memLimit, *limited)
	}
	return nil
}

// Goals (issue 16): at most 0.1 core and 100 MB of peak RSS for 10,000
// monitors at 30 s; the p99 start lag within the 5 ms bucket and every
// hanging target down within the bound, as before.
const (
	goalCores  = 0.1
	goalRSSMB  = 100
	goalLagSec = 0.005
)

// figures are one binary's results.
type figures struct {
	cpuMsPerCheck, cores, rssMB, p99LagMs, slowestDown float64
	pass                                               bool
}

// mean is the figures' mean, passing when both did.
func mean(a, b figures) figures {
	return figures{cpuMsPerCheck: (a.cpuMsPerCheck + b.cpuMsPerCheck) / 2, cores: (a.cores + b.cores) / 2,
		rssMB: (a.rssMB + b.rssMB) / 2, p99LagMs: (a.p99LagMs + b.p99LagMs) / 2,
		slowestDown: (a.slowestDown + b.slowestDown) / 2, pass: a.pass && b.pass}
}

// worst is the worse of two runs' figures, which the verdict is on.
func worst(a, b figures) figures {
	return figures{cpuMsPerCheck: max(a.cpuMsPerCheck, b.cpuMsPerCheck), cores: max(a.cores, b.cores),
		rssMB: max(a.rssMB, b.rssMB), p99LagMs: max(a.p99LagMs, b.p99LagMs),
		slowestDown: max(a.slowestDown, b.slowestDown), pass: a.pass && b.pass}
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// measure runs the whole benchmark on one herald binary.
func measure(ctx context.Context, o options, bin, label string) (figures, error) {
	var fig figures
	tmp, err := os.MkdirTemp("", "herald-bench-probes-")
	if err != nil {
		return fig, err
	}
	if !o.keep {
		defer os.RemoveAll(tmp)
	}
	tgt, targetAddr, err := benchkit.StartChild(ctx, "target")
	if err != nil {
		return fig, err
	}
	defer tgt.Stop()
	logf("%s: target listening on %s (pid %d)", label, targetAddr, tgt.Pid)

	cfgPath := filepath.Join(tmp, "bench.yaml")
	if err := os.WriteFile(cfgPath, []byte(benchConfig(o, targetAddr)), 0o644); err != nil {
		return fig, err
	}
	addr, err := benchkit.FreeAddr()
	if err != nil {
		return fig, err
	}
	base := "http://" + addr
	dataDir := filepath.Join(tmp, "data")
	hargs := []string{"serve", "--config", cfgPath, "--data", dataDir, "--listen", addr}
	if o.pprof != "" {
		hargs = append(hargs, "--pprof", o.pprof)
	}
	h, err := benchkit.StartServer(ctx, filepath.Join(tmp, "herald.log"), base, 60*time.Second, bin, hargs...)
	if err != nil {
		return fig, err
	}
	defer h.Stop()
	pid := h.Pid
	logf("%s: herald serving on %s (pid %d) with %d monitors every %s; warming up for %s", label, base, pid, o.monitors, o.interval, o.interval)
	if err := benchkit.Sleep(ctx, o.interval); err != nil {
		return fig, err
	}

	m0, err := scrape(base)
	if err != nil {
		return fig, err
	}
	served0, err := benchkit.Served(targetAddr)
	if err != nil {
		return fig, err
	}
	cpu0, err := benchkit.CPUSeconds(pid)
	if err != nil {
		return fig, err
	}
	t0 := time.Now()
	logf("%s: measuring for %s", label, o.measure)
	if err := sleepReporting(ctx, o.measure, base); err != nil {
		return fig, err
	}
	m1, err := scrape(base)
	if err != nil {
		return fig, err
	}
	served1, err := benchkit.Served(targetAddr)
	if err != nil {
		return fig, err
	}
	cpu1, err := benchkit.CPUSeconds(pid)
	if err != nil {
		return fig, err
	}
	wall := time.Since(t0).Seconds()
	hwm, err := benchkit.PeakRSS(pid)
	if err != nil {
		return fig, err
	}
	// Checks are counted by the target (requests it answered), not by
	// Herald's counters, which are read every few seconds.
	checks := served1 - served0
	lag := m1.lag.minus(m0.lag)
	p99, lo, hi := lag.quantile(0.99)
	cores := (cpu1 - cpu0) / wall
	fig.cpuMsPerCheck, fig.cores, fig.rssMB, fig.p99LagMs = 1000*(cpu1-cpu0)/checks, cores, float64(hwm)/1024, p99*1000
	fmt.Printf("\n%s (%s): Herald probing %d HTTP monitors every %s against a loopback target (%d cores, another process; load average %s)\n",
		label, bin, o.monitors, o.interval, benchkit.NumCPU(), loadAvg())
	fmt.Printf("checks/s=%.1f (expected %.1f)  cpu_ms_per_check=%.3f  cpu_s_per_1000_checks=%.3f  cores=%.3f  peak_rss_mb=%.1f\n",
		checks/wall, float64(o.monitors)/o.interval.Seconds(), fig.cpuMsPerCheck, fig.cpuMsPerCheck, cores, fig.rssMB)
	fmt.Printf("memory at the end: go heap in use %.1f MB, goroutine stacks %.1f MB, all Go runtime memory %.1f MB, %0.f goroutines\n",
		m1.heapInuse/1e6, m1.stackInuse/1e6, m1.goSys/1e6, m1.goroutines)
	fmt.Printf("start lag: p99=%.1fms (in bucket %s..%s)  checks measured=%.0f  failures=%.0f\n",
		p99*1000, fmtBound(lo), fmtBound(hi), checks, m1.failed-m0.failed)
	fmt.Printf("goals: cores <= %.1f: %v; peak RSS <= %d MB: %v; p99 lag <= %.0f ms: %v\n",
		goalCores, cores <= goalCores, goalRSSMB, fig.rssMB <= goalRSSMB, goalLagSec*1000, p99 <= goalLagSec)
	fig.pass = cores <= goalCores && fig.rssMB <= goalRSSMB && p99 <= goalLagSec

	if o.hang > 0 {
		hangOK, slowest, err := hangPhase(ctx, o, targetAddr, dataDir, pid)
		if err != nil {
			return fig, err
		}
		fig.pass = fig.pass && hangOK
		fig.slowestDown = slowest
	}
	return fig, nil
}

func hangPhase(ctx context.Context, o options, targetAddr, dataDir string, pid int) (bool, float64, error) {
	// What a mass outage costs: Herald's CPU while the targets go down
	// (every state change rebuilds pages), beside what detection takes.
	cpu0, err := benchkit.CPUSeconds(pid)
	if err != nil {
		return false, 0, err
	}
	resp, err := http.Post("http://"+targetAddr+"/control/hang?n="+strconv.Itoa(o.hang), "text/plain", nil)
	if err != nil {
		return false, 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	hungAt := time.Now()
	bound := time.Duration(o.downAfter)*o.interval + o.timeout + time.Second
	logf("%d targets hang from now; each must be marked down within %s", o.hang, bound)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, "herald.db")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return false, 0, err
	}
	defer db.Close()
	deadline := hungAt.Add(bound + 5*time.Second)
	var downs map[string]time.Time
	for {
		if downs, err = markedDown(ctx, db, hungAt, o.timeout); err != nil {
			return false, 0, err
		}
		if len(downs) >= o.hang || time.Now().After(deadline) {
			break
		}
		if err := benchkit.Sleep(ctx, time.Second); err != nil {
			return false, 0, err
		}
	}
	cpu1, err := benchkit.CPUSeconds(pid)
	if err != nil {
		return false, 0, err
	}
	hangWall := time.Since(hungAt).Seconds()
	hwm, err := benchkit.PeakRSS(pid)
	if err != nil {
		return false, 0, err
	}
	var worst time.Duration
	var lat []float64
	for _, at := range downs {
		d := at.Sub(hungAt)
		lat = append(lat, d.Seconds())
		worst = max(worst, d)
	}
	sort.Float64s(lat)
	med := 0.0
	if len(lat) > 0 {
		med = lat[len(lat)/2]
	}
	fmt.Printf("hanging targets: %d of %d marked down; median %.1fs, slowest %.1fs after they began to hang; bound %s\n",
		len(downs), o.hang, med, worst.Seconds(), bound)
	fmt.Printf("while they went down (%.0fs): cores=%.3f  peak_rss_mb since the start=%.1f\n", hangWall, (cpu1-cpu0)/hangWall, float64(hwm)/1024)
	pass := len(downs) == o.hang && worst <= bound
	fmt.Printf("goal: every hanging target down within the bound: %v\n", pass)
	return pass, worst.Seconds(), nil
}

// markedDown reads, for the monitors of hanging targets, when Herald marked
// them down: the crossing check's start plus its length (the timeout).
func markedDown(ctx context.Context, db *sql.DB, since time.Time, timeout time.Duration) (map[string]time.Time, error) {
	rows, err := db.QueryContext(ctx, `SELECT monitor_id, MIN(detected_at) FROM outages
		WHERE severity = 'down' AND detected_at >= ? GROUP BY monitor_id`, since.Add(-time.Second).UnixMilli())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var id string
		var ms int64
		if err := rows.Scan(&id, &ms); err != nil {
			return nil, err
		}
		out[id] = time.UnixMilli(ms).Add(timeout)
	}
	return out, rows.Err()
}

// benchConfig is the probe benches' fleet, each monitor on its own path of
// the one target.
func benchConfig(o options, addr string) string {
	return benchkit.FleetConfig(o.monitors, addr,
		fmt.Sprintf("interval: %s, timeout: %s, down_after: %d, up_after: 1", o.interval, o.timeout, o.downAfter))
}

// --- measurements -------------------------------------------------------------

type histogram struct {
	bounds []float64 // upper bounds, +Inf last
	counts []float64 // cumulative
}

func (h histogram) minus(o histogram) histogram {
	out := histogram{bounds: h.bounds, counts: make([]float64, len(h.counts))}
	for i := range h.counts {
		out.counts[i] = h.counts[i]
		if i < len(o.counts) {
			out.counts[i] -= o.counts[i]
		}
	}
	return out
}

// quantile interpolates linearly within the bucket holding q, and returns the bucket's bounds.
func (h histogram) quantile(q float64) (v, lo, hi float64) {
	if len(h.counts) == 0 || h.counts[len(h.counts)-1] == 0 {
		return 0, 0, 0
	}
	total := h.counts[len(h.counts)-1]
	rank := q * total
	prevCount, prevBound := 0.0, 0.0
	for i, c := range h.counts {
		if c >= rank {
			b := h.bounds[i]
			if math.IsInf(b, 1) {
				return prevBound, prevBound, b
			}
			frac := (rank - prevCount) / math.Max(c-prevCount, 1)
			return prevBound + frac*(b-prevBound), prevBound, b
		}
		prevCount, prevBound = c, h.bounds[i]
	}
	return prevBound, prevBound, math.Inf(1)
}

func fmtBound(b float64) string {
	if math.IsInf(b, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(b*1000, 'f', -1, 64) + "ms"
}

type metrics struct {
	checks, failed float64
	lag            histogram
	// Go's own view of the process, to tell what the RSS is made of.
	heapInuse, stackInuse, goSys, goroutines float64
}

// scrape reads Herald's /metrics text: the checks counter and the lag histogram.
func scrape(base string) (metrics, error) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return metrics{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return metrics{}, fmt.Errorf("/metrics: %s", resp.Status)
	}
	var m metrics
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		name, rest, ok := strings.Cut(line, " ")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		val, err := strconv.ParseFloat(strings.Fields(rest)[0], 64)
		if err != nil {
			continue
		}
		switch {
		case strings.HasPrefix(name, "herald_probe_checks_total{"):
			m.checks += val
			if strings.Contains(name, `result="down"`) {
				m.failed += val
			}
		case name == "go_memstats_heap_inuse_bytes":
			m.heapInuse = val
		case name == "go_memstats_stack_inuse_bytes":
			m.stackInuse = val
		case name == "go_memstats_sys_bytes":
			m.goSys = val
		case name == "go_goroutines":
			m.goroutines = val
		case strings.HasPrefix(name, "herald_probe_start_lag_seconds_bucket{"):
			le := name[strings.Index(name, `le="`)+4:]
			le = le[:strings.Index(le, `"`)]
			b, err := strconv.ParseFloat(le, 64)
			if err != nil {
				continue
			}
			m.lag.bounds = append(m.lag.bounds, b)
			m.lag.counts = append(m.lag.counts, val)
		}
	}
	return m, sc.Err()
}

// --- helpers ------------------------------------------------------------------

// sleepReporting waits d, printing progress every 30 s.
func sleepReporting(ctx context.Context, d time.Duration, base string) error {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		step := min(30*time.Second, time.Until(end))
		if err := benchkit.Sleep(ctx, step); err != nil {
			return err
		}
		if m, err := scrape(base); err == nil {
			logf("%s left; %.0f checks so far", time.Until(end).Round(time.Second), m.checks)
		}
	}
	return nil
}

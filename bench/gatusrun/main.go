// Command gatusrun is the engine of bench/gatus: Herald and Gatus, one after
// the other, each alone on the machine, checking the same fleet of HTTP
// monitors on a loopback target in another process, and what each costs.
//
//	go run ./bench/gatusrun --herald ./herald --gatus ./gatus --monitors 1000 --interval 10s
//
// Both make a new TCP connection for every check: Herald always does, and
// the target answers "Connection: close" to every request, so Gatus (whose
// client would keep connections alive) does too. Gatus runs as it ships
// (memory store, its monitoring lock), with its log level at WARN so that
// the line it logs per check does not count against it.
//
// A run waits until every monitor has been checked once (Gatus starts its
// endpoints 777 ms apart, so 1,000 take about 13 minutes), then one interval
// more, then measures for --measure:
//   - checks, counted by the target (requests it answered);
//   - CPU seconds per check and cores, from /proc/PID/stat (user + system);
//   - peak RSS (VmHWM) and RSS at the end (VmRSS), from /proc/PID/status.
//
// Gatus keeps the last 100 results of each endpoint in memory, so its
// memory grows for 100 intervals after an endpoint starts; the comparison is
// made when the measurement ends, before that, which favours Gatus. With
// --fill it is kept running until its last endpoint has 100 results and its
// peak RSS is printed again.
//
// The runs are in the order --order gives ("hgh": Herald, Gatus, Herald),
// so that Herald meets the machine both before and after Gatus. The
// verdict (issue 16) is on Herald's worst run: at least 3x less CPU per
// check than Gatus, and a lower peak RSS.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/heraldhq/herald/bench/internal/benchkit"
)

var logf = benchkit.Logger("bench/gatus")

func main() {
	benchkit.Main("gatusrun", run, map[string]func([]string) error{"target": benchkit.Target})
}

type options struct {
	herald, gatus, gatusVersion string
	monitors                    int
	interval, timeout, measure  time.Duration
	order                       string
	fill, keep                  bool
}

// The goals of issue 16 beside Gatus.
const (
	goalCPURatio = 3.0 // Gatus's CPU per check over Herald's, at least
	// Gatus starts its endpoints this far apart (watchdog.Monitor).
	gatusStagger = 777 * time.Millisecond
	// Gatus keeps this many results per endpoint in memory.
	gatusResults = 100
)

func run(args []string) error {
	var o options
	fs := flag.NewFlagSet("gatusrun", flag.ContinueOnError)
	fs.StringVar(&o.herald, "herald", "", "the herald binary (required)")
	fs.StringVar(&o.gatus, "gatus", "", "the gatus binary (required)")
	fs.StringVar(&o.gatusVersion, "gatus-version", "", "Gatus's version, for the report")
	fs.IntVar(&o.monitors, "monitors", 1000, "HTTP monitors, the same in both")
	fs.DurationVar(&o.interval, "interval", 10*time.Second, "each monitor's interval")
	fs.DurationVar(&o.timeout, "timeout", 3*time.Second, "each check's timeout")
	fs.DurationVar(&o.measure, "measure", 2*time.Minute, "how long each run is measured, once every monitor has been checked and an interval has passed")
	fs.StringVar(&o.order, "order", "hgh", "the runs, in order: h for Herald, g for Gatus")
	fs.BoolVar(&o.fill, "fill", false, "after Gatus's measurement, keep it running until every endpoint holds its 100 results, and print its peak RSS then")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary folders")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case o.herald == "" || o.gatus == "":
		return errors.New("--herald BINARY and --gatus BINARY are required")
	case o.monitors < 1 || o.monitors > 10000:
		return errors.New("--monitors must be between 1 and 10000")
	case o.timeout >= o.interval:
		return errors.New("--timeout must be less than --interval")
	case o.measure < o.interval:
		return errors.New("--measure must be at least one interval")
	case strings.Trim(o.order, "hg") != "" || !strings.Contains(o.order, "h") || !strings.Contains(o.order, "g"):
		return errors.New(`--order is made of h (Herald) and g (Gatus), with at least one of each, such as "hgh"`)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()

	var hs, gs []figures
	for _, c := range o.order {
		sys := herald
		if c == 'g' {
			sys = gatus
		}
		f, err := measure(ctx, o, sys)
		if err != nil {
			return err
		}
		if c == 'g' {
			gs = append(gs, f)
		} else {
			hs = append(hs, f)
		}
	}
	h, g := worst(hs), best(gs)
	ratio := g.cpuMsPerCheck / h.cpuMsPerCheck
	fmt.Printf("\nHerald beside Gatus %s: %d HTTP monitors every %s, a new connection per check, one loopback target (%d cores; load average at the end %s)\n",
		o.gatusVersion, o.monitors, o.interval, benchkit.NumCPU(), benchkit.LoadAverage())
	fmt.Printf("cpu_ms_per_check: herald %s, gatus %s: Gatus spends %.2fx Herald's (Herald's worst run against Gatus's best)\n",
		list(hs, func(f figures) float64 { return f.cpuMsPerCheck }, "%.3f"), list(gs, func(f figures) float64 { return f.cpuMsPerCheck }, "%.3f"), ratio)
	fmt.Printf("peak_rss_mb: herald %s, gatus %s\n",
		list(hs, func(f figures) float64 { return f.peakMB }, "%.1f"), list(gs, func(f figures) float64 { return f.peakMB }, "%.1f"))
	fmt.Printf("rss_mb_at_end: herald %s, gatus %s\n",
		list(hs, func(f figures) float64 { return f.endMB }, "%.1f"), list(gs, func(f figures) float64 { return f.endMB }, "%.1f"))
	cpuOK, memOK := ratio >= goalCPURatio, h.peakMB < g.peakMB
	fmt.Printf("goals: Gatus's CPU per check at least %.0fx Herald's: %v; Herald's peak RSS below Gatus's: %v\n", goalCPURatio, cpuOK, memOK)
	if cpuOK && memOK {
		fmt.Println("verdict: PASS")
	} else {
		fmt.Println("verdict: BELOW GOAL")
	}
	return nil
}

// system is how one of the two is started and configured.
type system struct {
	name string
	// start writes its configuration into dir and starts it against the
	// target at addr, serving its own pages on listen.
	start func(ctx context.Context, o options, dir, target, listen string) (*benchkit.Proc, error)
}

var herald = system{name: "herald", start: func(ctx context.Context, o options, dir, target, listen string) (*benchkit.Proc, error) {
	cfg := filepath.Join(dir, "herald.yaml")
	fleet := benchkit.FleetConfig(o.monitors, target,
		fmt.Sprintf("interval: %s, timeout: %s, down_after: 2, up_after: 1", o.interval, o.timeout))
	if err := os.WriteFile(cfg, []byte(fleet), 0o644); err != nil {
		return nil, err
	}
	return benchkit.StartServer(ctx, filepath.Join(dir, "herald.log"), "http://"+listen, time.Minute, o.herald,
		"serve", "--config", cfg, "--data", filepath.Join(dir, "data"), "--listen", listen)
}}

var gatus = system{name: "gatus", start: func(ctx context.Context, o options, dir, target, listen string) (*benchkit.Proc, error) {
	cfg := filepath.Join(dir, "gatus.yaml")
	if err := os.WriteFile(cfg, []byte(gatusConfig(o, target, listen)), 0o644); err != nil {
		return nil, err
	}
	// Gatus reads its configuration's path and its log level from the
	// environment, which the child inherits.
	for k, v := range map[string]string{"GATUS_CONFIG_PATH": cfg, "GATUS_LOG_LEVEL": "WARN"} {
		if err := os.Setenv(k, v); err != nil {
			return nil, err
		}
	}
	log := filepath.Join(dir, "gatus.log")
	p, err := benchkit.Start(ctx, log, o.gatus)
	if err != nil {
		return nil, err
	}
	if err := benchkit.WaitHTTP(ctx, "http://"+listen+"/health", time.Minute, p.Exited); err != nil {
		p.Kill()
		benchkit.Tail(log)
		return nil, err
	}
	return p, nil
}}

// gatusConfig is the same fleet as Herald's, in Gatus's terms: one endpoint
// per path of the target, success on 200.
func gatusConfig(o options, target, listen string) string {
	host, port, _ := strings.Cut(listen, ":")
	var sb strings.Builder
	fmt.Fprintf(&sb, "web:\n  address: %s\n  port: %s\nendpoints:\n", host, port)
	for i := range o.monitors {
		fmt.Fprintf(&sb, "  - name: m%d\n    group: bench\n    url: \"http://%s/m/%d\"\n    interval: %s\n    client:\n      timeout: %s\n    conditions:\n      - \"[STATUS] == 200\"\n",
			i, target, i, o.interval, o.timeout)
	}
	return sb.String()
}

// figures are one run's results.
type figures struct {
	cpuMsPerCheck, cores, checksPerSec, peakMB, endMB float64
}

func worst(fs []figures) figures {
	var w figures
	for _, f := range fs {
		w = figures{max(w.cpuMsPerCheck, f.cpuMsPerCheck), max(w.cores, f.cores), max(w.checksPerSec, f.checksPerSec), max(w.peakMB, f.peakMB), max(w.endMB, f.endMB)}
	}
	return w
}

func best(fs []figures) figures {
	b := fs[0]
	for _, f := range fs[1:] {
		b = figures{min(b.cpuMsPerCheck, f.cpuMsPerCheck), min(b.cores, f.cores), min(b.checksPerSec, f.checksPerSec), min(b.peakMB, f.peakMB), min(b.endMB, f.endMB)}
	}
	return b
}

func list(fs []figures, v func(figures) float64, format string) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = fmt.Sprintf(format, v(f))
	}
	return strings.Join(s, " and ")
}

// measure runs one system alone against a target of its own.
func measure(ctx context.Context, o options, sys system) (figures, error) {
	var fig figures
	dir, err := os.MkdirTemp("", "herald-bench-gatus-")
	if err != nil {
		return fig, err
	}
	if !o.keep {
		defer os.RemoveAll(dir)
	}
	tgt, target, err := benchkit.StartChild(ctx, "target", "--close", "--monitors", strconv.Itoa(o.monitors))
	if err != nil {
		return fig, err
	}
	defer tgt.Stop()
	listen, err := benchkit.FreeAddr()
	if err != nil {
		return fig, err
	}
	p, err := sys.start(ctx, o, dir, target, listen)
	if err != nil {
		return fig, fmt.Errorf("starting %s: %w", sys.name, err)
	}
	defer p.Stop()
	started := time.Now()
	// Every monitor checked once, then an interval: the steady state. Gatus
	// needs its stagger for that; a bound well past it catches a stall.
	bound := time.Duration(o.monitors)*gatusStagger + 2*o.interval + time.Minute
	logf("%s (pid %d) started; waiting until each of the %d monitors has been checked (at most %s)", sys.name, p.Pid, o.monitors, bound.Round(time.Second))
	lastFirst, err := waitAllChecked(ctx, target, o.monitors, started.Add(bound), sys.name)
	if err != nil {
		return fig, err
	}
	if err := benchkit.Sleep(ctx, o.interval); err != nil {
		return fig, err
	}
	served0, err := benchkit.Served(target)
	if err != nil {
		return fig, err
	}
	cpu0, err := benchkit.CPUSeconds(p.Pid)
	if err != nil {
		return fig, err
	}
	t0 := time.Now()
	logf("%s: measuring for %s", sys.name, o.measure)
	if err := benchkit.Sleep(ctx, o.measure); err != nil {
		return fig, err
	}
	served1, err := benchkit.Served(target)
	if err != nil {
		return fig, err
	}
	cpu1, err := benchkit.CPUSeconds(p.Pid)
	if err != nil {
		return fig, err
	}
	wall := time.Since(t0).Seconds()
	peak, err := benchkit.PeakRSS(p.Pid)
	if err != nil {
		return fig, err
	}
	end, err := benchkit.RSS(p.Pid)
	if err != nil {
		return fig, err
	}
	checks := served1 - served0
	if checks <= 0 {
		return fig, fmt.Errorf("%s made no checks in %s", sys.name, o.measure)
	}
	fig = figures{cpuMsPerCheck: 1000 * (cpu1 - cpu0) / checks, cores: (cpu1 - cpu0) / wall, checksPerSec: checks / wall,
		peakMB: float64(peak) / 1024, endMB: float64(end) / 1024}
	fmt.Printf("\n%s (%s): %d HTTP monitors every %s; measured %.0f s from %.0f s after it started (load average %s)\n",
		sys.name, p.Cmd.Path, o.monitors, o.interval, wall, t0.Sub(started).Seconds(), benchkit.LoadAverage())
	fmt.Printf("checks/s=%.1f (expected %.1f)  cpu_ms_per_check=%.3f  cores=%.3f  peak_rss_mb=%.1f  rss_mb_at_end=%.1f\n",
		fig.checksPerSec, float64(o.monitors)/o.interval.Seconds(), fig.cpuMsPerCheck, fig.cores, fig.peakMB, fig.endMB)
	if sys.name == "gatus" && o.fill {
		full := lastFirst.Add(gatusResults * o.interval)
		logf("gatus: waiting %s, until its last endpoint holds %d results", time.Until(full).Round(time.Second), gatusResults)
		if err := benchkit.Sleep(ctx, time.Until(full)); err != nil {
			return fig, err
		}
		peak, err := benchkit.PeakRSS(p.Pid)
		if err != nil {
			return fig, err
		}
		fmt.Printf("gatus with %d results per endpoint (%.0f s after it started): peak_rss_mb=%.1f\n", gatusResults, time.Since(started).Seconds(), float64(peak)/1024)
		fig.peakMB = float64(peak) / 1024
	}
	return fig, nil
}

// waitAllChecked waits until the target has answered each of the n
// monitors' paths at least once, printing progress every 30 s, and returns
// when the last of them was first checked.
func waitAllChecked(ctx context.Context, target string, n int, deadline time.Time, name string) (time.Time, error) {
	lastReport := time.Now()
	for {
		s, err := benchkit.Get("http://" + target + "/control/last")
		if err != nil {
			return time.Time{}, err
		}
		checked := 0
		for _, line := range strings.Fields(s) {
			if line != "0" {
				checked++
			}
		}
		if checked >= n {
			return time.Now(), nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("%s: only %d of %d monitors checked by %s", name, checked, n, deadline.Format(time.TimeOnly))
		}
		if time.Since(lastReport) >= 30*time.Second {
			logf("%s: %d of %d monitors checked so far", name, checked, n)
			lastReport = time.Now()
		}
		if err := benchkit.Sleep(ctx, time.Second); err != nil {
			return time.Time{}, err
		}
	}
}

// Command startrun measures what Herald spends while a fleet's first
// states arrive: `herald serve` on an empty SQLite database with a fleet of
// HTTP monitors (benchkit.FleetConfig) against a loopback target in another
// process, its CPU from /proc over the first WINDOW after the process
// started, and the checks the target answered meanwhile. Every monitor goes
// from unknown to up in its first interval, and the pages are rebuilt as
// the states arrive, as after a restart or in a mass outage.
//
// With --before it alternates two builds, run by run, and prints both and
// the ratio of the medians.
//
//	startrun run --herald BIN [--before BIN] [--monitors 1000] [--interval 10s] [--window 40s] [--runs 3]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/heraldhq/herald/bench/internal/benchkit"
)

func main() {
	benchkit.Main("startrun", run, map[string]func([]string) error{"target": benchkit.Target})
}

type options struct {
	herald, before   string
	monitors, runs   int
	interval, window time.Duration
}

func run(args []string) error {
	var o options
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.StringVar(&o.herald, "herald", "", "the herald binary measured (required)")
	fs.StringVar(&o.before, "before", "", "another herald binary, measured in turn with the first")
	fs.IntVar(&o.monitors, "monitors", 1000, "HTTP monitors")
	fs.DurationVar(&o.interval, "interval", 10*time.Second, "each monitor's interval")
	fs.DurationVar(&o.window, "window", 40*time.Second, "how long after the process starts its CPU is read")
	fs.IntVar(&o.runs, "runs", 3, "runs of each build")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case o.herald == "":
		return errors.New("--herald BINARY is required")
	case o.monitors < 1 || o.monitors > 10000:
		return errors.New("--monitors must be between 1 and 10000")
	case o.window < o.interval:
		return errors.New("--window must be at least one interval")
	case o.runs < 1:
		return errors.New("--runs must be at least 1")
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	tgt, target, err := benchkit.StartChild(ctx, "target", "--close")
	if err != nil {
		return err
	}
	defer tgt.Stop()
	builds := []struct{ name, bin string }{{"after", o.herald}}
	if o.before != "" {
		builds = append([]struct{ name, bin string }{{"before", o.before}}, builds...)
	}
	cpu := map[string][]float64{}
	for i := range o.runs {
		for _, b := range builds {
			c, checks, err := measure(ctx, o, b.bin, target)
			if err != nil {
				return fmt.Errorf("%s, run %d: %w", b.name, i+1, err)
			}
			fmt.Printf("run %d %s: %.2f s of CPU in the first %s, %.0f checks answered\n", i+1, b.name, c, o.window, checks)
			cpu[b.name] = append(cpu[b.name], c)
		}
	}
	fmt.Printf("\nHerald starting with %d HTTP monitors every %s on an empty SQLite database (%d cores; load average at the end %s)\n",
		o.monitors, o.interval, benchkit.NumCPU(), benchkit.LoadAverage())
	for _, b := range builds {
		med, _ := benchkit.MedianMax(cpu[b.name])
		fmt.Printf("cpu_s_first_%s %s: %s (median %.2f)\n", o.window, b.name, list(cpu[b.name]), med)
	}
	if o.before != "" {
		a, _ := benchkit.MedianMax(cpu["after"])
		b, _ := benchkit.MedianMax(cpu["before"])
		fmt.Printf("after/before (medians): %.2f\n", a/b)
	}
	return nil
}

func list(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprintf("%.2f", x)
	}
	return strings.Join(s, ", ")
}

// measure starts bin on a fresh database and reads its CPU seconds window
// after the start, and the checks the target answered meanwhile.
func measure(ctx context.Context, o options, bin, target string) (float64, float64, error) {
	dir, err := os.MkdirTemp("", "herald-bench-start.")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	cfg := filepath.Join(dir, "herald.yaml")
	fleet := benchkit.FleetConfig(o.monitors, target,
		fmt.Sprintf("interval: %s, timeout: 3s, down_after: 2, up_after: 1", o.interval))
	if err := os.WriteFile(cfg, []byte(fleet), 0o644); err != nil {
		return 0, 0, err
	}
	listen, err := benchkit.FreeAddr()
	if err != nil {
		return 0, 0, err
	}
	served0, err := benchkit.Served(target)
	if err != nil {
		return 0, 0, err
	}
	started := time.Now()
	p, err := benchkit.StartServer(ctx, filepath.Join(dir, "herald.log"), "http://"+listen, time.Minute, bin,
		"serve", "--config", cfg, "--data", filepath.Join(dir, "data"), "--listen", listen)
	if err != nil {
		return 0, 0, err
	}
	defer p.Stop()
	if err := benchkit.Sleep(ctx, time.Until(started.Add(o.window))); err != nil {
		return 0, 0, err
	}
	c, err := benchkit.CPUSeconds(p.Pid)
	if err != nil {
		return 0, 0, err
	}
	served1, err := benchkit.Served(target)
	if err != nil {
		return 0, 0, err
	}
	return c, served1 - served0, nil
}

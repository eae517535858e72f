// Command floodrun drives bench/flood: how much one client flooding the
// endpoints that refuse (look-up, subscribe, sign-in, the API with bad
// tokens) slows the cached public page for everyone else.
//
// It starts `herald serve` (SQLite, the fleet of -config with -days of
// seeded history, and a user to sign in as) on 127.0.0.1 and measures a
// normal client: -readers connections asking for / at -rate requests per
// second in all, each request's latency counted from when it was due (so a
// stalled server is not hidden by the client waiting). Phases alternate,
// -runs times: the normal client alone (baseline), then the normal client
// while the flooder runs -flooders connections as fast as they go, cycling
// through the four kinds of request. The flooder is one client (one
// address), as the attacker was.
//
// It prints the normal client's median and p99 on / with and without the
// flood, their ratios, and what the flooder got (answers per kind and
// status), then a verdict against the goal (flood p99 at most 2x baseline).
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/heraldhq/herald/bench/internal/benchkit"
)

func main() { benchkit.Main("floodrun", run, nil) }

type options struct {
	herald, pageseed, config string
	days, runs               int
	duration                 time.Duration
	readers, flooders        int
	rate                     float64
}

func run(args []string) error {
	var o options
	fs := flag.NewFlagSet("floodrun", flag.ExitOnError)
	fs.StringVar(&o.herald, "herald", "", "the herald binary")
	fs.StringVar(&o.pageseed, "pageseed", "", "the pageseed binary")
	fs.StringVar(&o.config, "config", "bench/page.yaml", "the configuration (a fleet without monitors)")
	fs.IntVar(&o.days, "days", 365, "days of seeded history")
	fs.IntVar(&o.runs, "runs", 3, "baseline and flood phases, each")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "length of each phase")
	fs.IntVar(&o.readers, "readers", 2, "the normal client's connections")
	fs.Float64Var(&o.rate, "rate", 200, "the normal client's requests per second, in all")
	fs.IntVar(&o.flooders, "flooders", 4, "the flooder's connections")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.herald == "" || o.pageseed == "" || o.runs < 1 || o.duration <= 0 || o.duration > 2*time.Minute ||
		o.readers < 1 || o.flooders < 1 || o.flooders > 64 || o.rate <= 0 || o.rate > 5000 {
		return errors.New("usage: floodrun -herald BIN -pageseed BIN [-config FILE] [-days N] [-runs N] [-duration D (at most 2m)] [-readers N] [-rate R (at most 5000)] [-flooders N (at most 64)]")
	}
	dir, err := os.MkdirTemp("", "herald-flood-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	data := filepath.Join(dir, "data")

	fmt.Fprintf(os.Stderr, "floodrun: seeding %d days of history\n", o.days)
	seed := exec.Command(o.pageseed, "--data", data, "--config", o.config, "--days", fmt.Sprint(o.days))
	seed.Stderr = os.Stderr
	if out, err := seed.Output(); err != nil {
		return fmt.Errorf("pageseed: %w\n%s", err, out)
	}
	add := exec.Command(o.herald, "user", "add", "--role", "admin", "--password-stdin", "--data", data, "alice")
	add.Stdin = strings.NewReader("alice password 1\n")
	if out, err := add.CombinedOutput(); err != nil {
		return fmt.Errorf("user add: %w\n%s", err, out)
	}

	addr, err := benchkit.FreeAddr()
	if err != nil {
		return err
	}
	base := "http://" + addr
	srv, err := benchkit.StartServer(context.Background(), filepath.Join(dir, "herald.log"), base, 30*time.Second,
		o.herald, "serve", "--config", o.config, "--data", data, "--listen", addr)
	if err != nil {
		return err
	}
	defer srv.Stop()

	var (
		baseline, flooded []time.Duration
		ratios            []float64
		tally             = newTally()
		// Herald's CPU time in each kind of phase, from /proc: a figure the
		// machine's other load moves far less than latency.
		cpuBase, cpuFlood time.Duration
	)
	// Zero where /proc cannot be read.
	cpuTime := func() time.Duration {
		sec, _ := benchkit.CPUSeconds(srv.Pid)
		return time.Duration(math.Round(sec*100)) * time.Second / 100
	}
	// Warm up: the first requests fill caches and connections.
	if _, err := read(base, o.readers, o.rate, time.Second, nil); err != nil {
		return err
	}
	for i := range o.runs {
		c0 := cpuTime()
		b, err := read(base, o.readers, o.rate, o.duration, nil)
		if err != nil {
			return err
		}
		c1 := cpuTime()
		f, err := read(base, o.readers, o.rate, o.duration, func(ctx context.Context) { flood(ctx, base, o.flooders, tally) })
		if err != nil {
			return err
		}
		c2 := cpuTime()
		cpuBase, cpuFlood = cpuBase+c1-c0, cpuFlood+c2-c1
		baseline, flooded = append(baseline, b...), append(flooded, f...)
		ratios = append(ratios, ms(pct(f, 99))/ms(pct(b, 99)))
		fmt.Fprintf(os.Stderr, "floodrun: run %d/%d: baseline p99 %.2f ms, flood p99 %.2f ms\n", i+1, o.runs, ms(pct(b, 99)), ms(pct(f, 99)))
	}
	logBytes, _ := os.ReadFile(srv.Log)
	logLines := strings.Count(string(logBytes), "\n")

	fmt.Printf("a normal client on / (%d connections, %.0f req/s in all, latency from when each request was due), %d x %s per phase\n",
		o.readers, o.rate, o.runs, o.duration)
	fmt.Printf("%-10s %9s %10s %10s\n", "phase", "requests", "median_ms", "p99_ms")
	fmt.Printf("%-10s %9d %10.2f %10.2f\n", "baseline", len(baseline), ms(pct(baseline, 50)), ms(pct(baseline, 99)))
	fmt.Printf("%-10s %9d %10.2f %10.2f\n", "flood", len(flooded), ms(pct(flooded, 50)), ms(pct(flooded, 99)))
	fmt.Println()
	fmt.Printf("the flooder (%d connections from one address, as fast as they go):\n", o.flooders)
	tally.print()
	fmt.Printf("herald wrote %d log lines in all\n", logLines)
	if refused := tally.total(); cpuBase > 0 && refused > 0 {
		perPage := cpuBase / time.Duration(len(baseline))
		// What the flood phase cost beyond the same page load alone, per flood request.
		perRefusal := (cpuFlood - cpuBase*time.Duration(len(flooded))/time.Duration(len(baseline))) / time.Duration(refused)
		fmt.Printf("herald's CPU: %.1f s in the baseline phases, %.1f s in the flood phases; %.0f us per page request, %.0f us per flood request\n",
			cpuBase.Seconds(), cpuFlood.Seconds(), float64(perPage)/1e3, float64(perRefusal)/1e3)
	}
	fmt.Println()
	p99 := ms(pct(flooded, 99)) / ms(pct(baseline, 99))
	sort.Float64s(ratios)
	fmt.Printf("ratio_p99=%.2f ratio_median=%.2f per-run_p99_ratio_median=%.2f baseline_p99=%.2fms flood_p99=%.2fms\n",
		p99, ms(pct(flooded, 50))/ms(pct(baseline, 50)), ratios[len(ratios)/2], ms(pct(baseline, 99)), ms(pct(flooded, 99)))
	if p99 <= 2 {
		fmt.Println("verdict: PASS (goal: p99 on / under the flood at most 2x the baseline)")
	} else {
		fmt.Println("verdict: ABOVE GOAL (goal: p99 on / under the flood at most 2x the baseline)")
	}
	return nil
}

// read runs the normal client for d, while also (when set) runs, and
// returns every request's latency counted from when it was due.
func read(base string, conns int, rate float64, d time.Duration, also func(context.Context)) ([]time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var flooding sync.WaitGroup
	if also != nil {
		flooding.Go(func() { also(ctx) })
	}
	every := time.Duration(float64(time.Second) * float64(conns) / rate)
	var (
		mu   sync.Mutex
		lats []time.Duration
		errs []error
		wg   sync.WaitGroup
	)
	for c := range conns {
		wg.Go(func() {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}, Timeout: 10 * time.Second}
			defer client.CloseIdleConnections()
			due := time.Now().Add(every * time.Duration(c) / time.Duration(conns))
			var mine []time.Duration
			for ctx.Err() == nil {
				if wait := time.Until(due); wait > 0 {
					time.Sleep(wait)
				}
				resp, err := client.Get(base + "/")
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("GET /: %s", resp.Status)
					}
				}
				if err != nil {
					if ctx.Err() != nil {
						break
					}
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				mine = append(mine, time.Since(due))
				due = due.Add(every)
			}
			mu.Lock()
			lats = append(lats, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	cancel()
	flooding.Wait()
	if len(errs) > 0 {
		return nil, errs[0]
	}
	if len(lats) == 0 {
		return nil, errors.New("no request of / finished")
	}
	return lats, nil
}

// flood runs conns connections until ctx ends, each sending in turn a
// look-up, a subscription, a wrong password and an API call with a bad
// token, as fast as the answers come.
func flood(ctx context.Context, base string, conns int, t *tally) {
	var wg sync.WaitGroup
	for c := range conns {
		wg.Go(func() {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1},
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			defer client.CloseIdleConnections()
			for i := 0; ctx.Err() == nil; i++ {
				kind := kinds[(i+c)%len(kinds)]
				req, err := kind.request(ctx, base, i)
				if err != nil {
					panic(err) // the requests are built from fixed text
				}
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						t.add(kind.name, "error")
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				t.add(kind.name, fmt.Sprint(resp.StatusCode))
			}
		})
	}
	wg.Wait()
}

type floodKind struct {
	name    string
	request func(ctx context.Context, base string, i int) (*http.Request, error)
}

func form(ctx context.Context, url string, v url.Values) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(v.Encode()))
	if err == nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req, err
}

var kinds = []floodKind{
	{"look-up", func(ctx context.Context, base string, i int) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/lookup?domain=guess%d.example", base, i), nil)
	}},
	{"subscribe", func(ctx context.Context, base string, i int) (*http.Request, error) {
		return form(ctx, base+"/subscribe", url.Values{"email": {fmt.Sprintf("someone%d@example.net", i)}})
	}},
	{"sign-in", func(ctx context.Context, base string, i int) (*http.Request, error) {
		name := "alice"
		if i%2 == 1 {
			name = fmt.Sprintf("user%d", i)
		}
		return form(ctx, base+"/admin/login", url.Values{"username": {name}, "password": {fmt.Sprintf("guess %d", i)}})
	}},
	{"api bad token", func(ctx context.Context, base string, i int) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/incidents",
			strings.NewReader(`{"title": "x", "body": "y", "components": {"flexo/web": "major_outage"}}`))
		if err == nil {
			var b [32]byte
			_, _ = rand.Read(b[:])
			req.Header.Set("Authorization", "Bearer hrld_"+base64.RawURLEncoding.EncodeToString(b[:]))
			req.Header.Set("Content-Type", "application/json")
		}
		return req, err
	}},
}

// tally counts the flooder's answers per kind and status.
type tally struct {
	mu sync.Mutex
	n  map[string]map[string]int
}

func newTally() *tally { return &tally{n: map[string]map[string]int{}} }

func (t *tally) add(kind, status string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n[kind] == nil {
		t.n[kind] = map[string]int{}
	}
	t.n[kind][status]++
}

func (t *tally) total() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, m := range t.n {
		for _, c := range m {
			n += c
		}
	}
	return n
}

func (t *tally) print() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range kinds {
		var parts []string
		total := 0
		for _, st := range slices.Sorted(maps.Keys(t.n[k.name])) {
			parts = append(parts, fmt.Sprintf("%s x%d", st, t.n[k.name][st]))
			total += t.n[k.name][st]
		}
		fmt.Printf("  %-14s %7d requests: %s\n", k.name, total, strings.Join(parts, ", "))
	}
}

func pct(v []time.Duration, p float64) time.Duration {
	s := slices.Clone(v)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

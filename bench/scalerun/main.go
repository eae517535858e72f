// Command scalerun drives bench/scale: what a large fleet with a long
// history costs the public pages.
//
// For each history length (years, 1, 3 and 10 by default) it seeds a fleet
// of 1,000 components on 250 servers (four services each, one HTTP monitor
// each) with that many years of history at a hosting provider's density:
// 300 incidents a year (one component mostly, sometimes a whole server,
// rarely a part of the network), two maintenance windows a month, an outage
// interval per component a month besides those of incidents and windows,
// and a week of hourly check rollups for the response-time charts. The
// history is written as a Herald export and imported (store.Import: one
// transaction), so seeding takes seconds.
//
// Then `herald serve` runs on it (its monitors checking a loopback target
// every 5 minutes, automatic incidents off) and it measures:
//
//   - start: from starting the process until it answers (the first full
//     rebuild is in it);
//   - the round trip of writes through the admin API, each touching one
//     component: open an incident, post an update, resolve it, schedule a
//     maintenance window. A write answers once the public documents show
//     it (read after write), so this is the rebuild after one write as a
//     client sees it, the database's commit included. The writes are made
//     twice: 10 s after the start, while herald's Go collects garbage at
//     its start's pace (GOGC 25 for the first round of checks, at most two
//     minutes: internal/cli/startgc.go), and once that pace has ended
//     (go_gc_gogc_percent on /metrics moved), at the pace herald keeps
//     from then on. The verdict is the second's: a server's life after its
//     first two minutes;
//   - then, memory at rest: RSS from /proc, the Go heap in use from
//     /metrics;
//   - the sizes of /, /history, a history month six months back and
//     /api/v2/summary.json, plain and gzipped.
//
// With -profile DIR it also saves herald's heap profile at rest, a CPU
// profile of 20 s of more rounds of writes (not counted in the figures) and
// its allocation profiles before and after them (allocs-before and
// allocs-after: go tool pprof -sample_index=alloc_space -diff_base).
//
// It prints a table per history length and a verdict: the steady writes'
// median within 100 ms at the longest history, and memory at rest there
// within twice that of the shortest (today's: the same fleet with one year).
package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/bench/internal/benchkit"
	"github.com/heraldhq/herald/internal/store"
)

func main() {
	benchkit.Main("scalerun", run, map[string]func([]string) error{"target": benchkit.Target})
}

var logf = benchkit.Logger("scalerun")

type options struct {
	herald   string
	years    []int
	servers  int
	perYear  int
	writes   int
	db       string
	keep     string
	profile  string
	settle   time.Duration
	steady   time.Duration
	deadline time.Duration
}

func run(args []string) error {
	var o options
	var years string
	fs := flag.NewFlagSet("scalerun", flag.ContinueOnError)
	fs.StringVar(&o.herald, "herald", "", "the herald binary")
	fs.StringVar(&years, "years", "1,3,10", "history lengths in years, comma-separated")
	fs.IntVar(&o.servers, "servers", 250, "servers (groups) of four components each")
	fs.IntVar(&o.perYear, "incidents", 300, "incidents a year")
	fs.IntVar(&o.writes, "writes", 5, "rounds of writes (open, update, resolve, maintenance) per run")
	fs.StringVar(&o.db, "db", "", "run on PostgreSQL at this postgres:// URL instead of SQLite (a schema is made per run and dropped)")
	fs.StringVar(&o.keep, "keep", "", "keep the seeded SQLite folders under this folder")
	fs.StringVar(&o.profile, "profile", "", "write herald's heap profile at rest and a CPU profile of 20 s of writes (after the measured ones) into this folder")
	fs.DurationVar(&o.settle, "settle", 10*time.Second, "wait after start before the first writes")
	fs.DurationVar(&o.steady, "steady", 3*time.Minute, "wait at most this long after start for herald's start pace of collections to end")
	fs.DurationVar(&o.deadline, "deadline", 25*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, y := range strings.Split(years, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(y))
		if err != nil || n < 1 || n > 20 {
			return fmt.Errorf("-years: %q is not a number of years from 1 to 20", y)
		}
		o.years = append(o.years, n)
	}
	if o.herald == "" || o.servers < 1 || o.writes < 1 {
		return errors.New("usage: scalerun -herald BIN [-years 1,3,10] [-servers 250] [-incidents 300] [-writes 5] [-db URL]")
	}
	if o.profile != "" {
		if err := os.MkdirAll(o.profile, 0o755); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.deadline)
	defer cancel()
	dir, err := os.MkdirTemp("", "herald-scale-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	target, addr, err := benchkit.StartChild(ctx, "target")
	if err != nil {
		return err
	}
	defer target.Stop()

	db := "sqlite"
	if o.db != "" {
		db = "postgres"
	}
	fmt.Printf("bench/scale: %d components on %d servers, %d incidents a year, %s, load average %s\n",
		o.servers*4, o.servers, o.perYear, db, benchkit.LoadAverage())
	var all []*result
	for _, y := range o.years {
		r, err := measure(ctx, o, y, dir, addr)
		if err != nil {
			return fmt.Errorf("%d years: %w", y, err)
		}
		all = append(all, r)
		r.print()
	}
	verdict(all)
	return nil
}

// result is one history length's figures.
type result struct {
	years                    int
	incidents, windows, outs int
	seed, start              time.Duration
	rss, heap                float64 // bytes
	sizes                    []size
	starting, steady         phase // the writes at the start's pace of collections, and after it
}

// phase is the figures of rounds of writes.
type phase struct {
	writes        map[string][]time.Duration
	cpu           map[string][]time.Duration // herald's CPU from each write until it was shown
	stale         int                        // writes the JSON did not show when they answered
	gogc          float64                    // Go's GC percentage in herald as they began
	allocPerWrite float64                    // bytes herald allocated per measured write, with all else it did meanwhile
	gcPerWrite    float64                    // Go's collections per measured write
}

type size struct {
	path     string
	plain, z int
}

var writeKinds = []string{"open", "update", "resolve", "maintenance"}

func (r *result) print() {
	fmt.Printf("\n%d years: %d incidents, %d maintenance windows, %d outage intervals; seeded in %s, started in %s\n",
		r.years, r.incidents, r.windows, r.outs, r.seed.Round(time.Millisecond), r.start.Round(time.Millisecond))
	fmt.Printf("  memory at rest: RSS %.1f MB, Go heap in use %.1f MB\n", r.rss/1e6, r.heap/1e6)
	for _, s := range r.sizes {
		fmt.Printf("  %-28s %9d bytes, %8d gzipped\n", s.path, s.plain, s.z)
	}
	r.starting.print("writes in the start's first minutes")
	r.steady.print("writes after them (the verdict's)")
}

func (p *phase) print(title string) {
	med, _ := medianMax(p.all(p.writes))
	fmt.Printf("  %s, at GOGC %.0f: median %.1f ms\n", title, p.gogc, ms(med))
	for _, k := range writeKinds {
		med, worst := medianMax(p.writes[k])
		cmed, cworst := medianMax(p.cpu[k])
		fmt.Printf("    write %-12s answered median %7.1f ms, worst %7.1f ms; herald CPU until shown median %6.1f ms, worst %6.1f ms (%d writes)\n",
			k, ms(med), ms(worst), ms(cmed), ms(cworst), len(p.writes[k]))
	}
	fmt.Printf("    herald allocated %.1f MB per write (all it did meanwhile included), %.2f collections per write\n", p.allocPerWrite/1e6, p.gcPerWrite)
	fmt.Printf("    writes answered before the JSON showed them: %d of %d (want 0; herald answers after %s anyway)\n", p.stale, 4*len(p.writes["open"]), "5 s")
}

// all is every write's figure of m.
func (p *phase) all(m map[string][]time.Duration) []time.Duration {
	var out []time.Duration
	for _, k := range writeKinds {
		out = append(out, m[k]...)
	}
	return out
}

func verdict(all []*result) {
	first, last := all[0], all[len(all)-1]
	med, _ := medianMax(last.steady.all(last.steady.writes))
	cmed, _ := medianMax(last.steady.all(last.steady.cpu))
	startMed, _ := medianMax(last.starting.all(last.starting.writes))
	fmt.Printf("\ngrowth from %d to %d years: RSS ×%.2f, Go heap ×%.2f", first.years, last.years, last.rss/first.rss, last.heap/first.heap)
	for i := range last.sizes {
		fmt.Printf(", %s ×%.2f", last.sizes[i].path, float64(last.sizes[i].plain)/float64(first.sizes[i].plain))
	}
	fmt.Println()
	okWrite := ms(med) <= 100 && last.steady.stale == 0 && last.starting.stale == 0
	okMem := last.rss <= 2*first.rss
	word := map[bool]string{true: "PASS", false: "FAIL"}
	fmt.Printf("verdict: %s (at %d years a write answered with its pages rebuilt in a median %.1f ms, herald's CPU %.1f ms, goal <= 100 ms: %s"+
		" (in the start's first minutes, at its pace of collections: %.1f ms); RSS %.1f MB vs %.1f MB at %d years (today's), goal <= 2x: %s)\n",
		word[okWrite && okMem], last.years, ms(med), ms(cmed), word[okWrite], ms(startMed), last.rss/1e6, first.rss/1e6, first.years, word[okMem])
}

func measure(ctx context.Context, o options, years int, dir, target string) (*result, error) {
	r := &result{years: years}
	cfgPath := filepath.Join(dir, fmt.Sprintf("scale-%d.yaml", years))
	if err := os.WriteFile(cfgPath, []byte(fleetConfig(o.servers, target)), 0o644); err != nil {
		return nil, err
	}
	var (
		dsn       store.DSN
		storeArgs []string
	)
	if o.db != "" {
		u, drop, err := freshSchema(ctx, o.db, years)
		if err != nil {
			return nil, err
		}
		defer drop()
		dsn, storeArgs = store.DSN{URL: u}, []string{"--db", u}
	} else {
		data := filepath.Join(dir, fmt.Sprintf("data-%d", years))
		if o.keep != "" {
			data = filepath.Join(o.keep, fmt.Sprintf("data-%d", years))
			if err := os.RemoveAll(data); err != nil {
				return nil, err
			}
		}
		dsn, storeArgs = store.DSN{DataDir: data}, []string{"--data", data}
	}
	if _, err := benchkit.Output(ctx, o.herald, append([]string{"migrate"}, storeArgs...)...); err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Hour)
	h := newHistory(o.servers, o.perYear, years, now, target)
	logf("%d years: seeding %d incidents, %d windows, %d outages", years, len(h.incidents), len(h.windows), len(h.outages))
	began := time.Now()
	if err := h.importInto(ctx, dsn); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	r.seed = time.Since(began)
	r.incidents, r.windows, r.outs = len(h.incidents), len(h.windows), len(h.outages)

	token, err := benchkit.Output(ctx, o.herald, append([]string{"token", "create", "--scope", "write"}, storeArgs...)...)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSpace(token), "\n")
	token = strings.TrimSpace(lines[len(lines)-1])
	addr, err := benchkit.FreeAddr()
	if err != nil {
		return nil, err
	}
	base := "http://" + addr
	logPath := filepath.Join(dir, fmt.Sprintf("herald-%d.log", years))
	began = time.Now()
	serveArgs := append([]string{"serve", "--config", cfgPath, "--listen", addr}, storeArgs...)
	var pprofBase string
	if o.profile != "" {
		pa, err := benchkit.FreeAddr()
		if err != nil {
			return nil, err
		}
		pprofBase = "http://" + pa
		serveArgs = append(serveArgs, "--pprof", pa)
	}
	srv, err := benchkit.StartServer(ctx, logPath, base, 3*time.Minute, o.herald, serveArgs...)
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	r.start = time.Since(began)
	if err := benchkit.Sleep(ctx, o.settle); err != nil {
		return nil, err
	}
	c := &client{base: base, token: token}
	rng := rand.New(rand.NewPCG(uint64(years), 7))
	// Each write, then a wait until the JSON shows it: its round trip, and
	// herald's CPU from sending it until it is shown (the rebuild's work,
	// which the machine's load does not move, as a round trip it does).
	step := func(p *phase, kind, path, body, doc, shows string, into any) error {
		cpu0, err := benchkit.CPUSeconds(srv.Pid)
		if err != nil {
			return err
		}
		took, err := c.write(path, body, into)
		if err != nil {
			return err
		}
		p.writes[kind] = append(p.writes[kind], took)
		first := true
		for deadline := time.Now().Add(time.Minute); ; first = false {
			got, err := benchkit.Get(base + doc)
			if err != nil {
				return err
			}
			if strings.Contains(got, shows) {
				break
			}
			if first {
				p.stale++ // answered after herald's WriteWait, not once they showed it
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s never showed %q", doc, shows)
			}
			time.Sleep(20 * time.Millisecond)
		}
		cpu1, err := benchkit.CPUSeconds(srv.Pid)
		if err != nil {
			return err
		}
		p.cpu[kind] = append(p.cpu[kind], time.Duration((cpu1-cpu0)*float64(time.Second)))
		return nil
	}
	round := func(p *phase, i int, mark string) error {
		comp := h.comps[rng.IntN(len(h.comps))]
		var in struct{ ID int64 }
		if err := step(p, "open", "/api/v1/incidents", fmt.Sprintf(`{"title": %q, "body": "Looking into it.", "components": {%q: "major_outage"}}`, mark, comp.id),
			"/api/v2/incidents.json", mark, &in); err != nil {
			return err
		}
		if err := step(p, "update", fmt.Sprintf("/api/v1/incidents/%d/updates", in.ID), fmt.Sprintf(`{"status": "identified", "body": "A disk filled up (%s)."}`, mark),
			"/api/v2/incidents.json", "A disk filled up ("+mark+").", nil); err != nil {
			return err
		}
		if err := step(p, "resolve", fmt.Sprintf("/api/v1/incidents/%d/resolve", in.ID), fmt.Sprintf(`{"body": "Fixed (%s)."}`, mark),
			"/api/v2/incidents.json", "Fixed ("+mark+").", nil); err != nil {
			return err
		}
		start := now.Add(time.Duration(48+24*i) * time.Hour).Format(time.RFC3339)
		return step(p, "maintenance", "/api/v1/maintenance", fmt.Sprintf(`{"title": "Kernel update %s", "body": "A restart.", "components": [%q], "start": %q, "duration": "30m"}`,
			mark, comp.id, start), "/api/v2/scheduled-maintenances.json", "Kernel update "+mark, nil)
	}
	// measured makes o.writes rounds of writes into p, with what herald
	// allocated and how often Go collected meanwhile: steadier than their
	// times on a shared machine, and what the collector's pace turns into
	// work on a write's path.
	measured := func(p *phase, first int, mark string) error {
		p.writes, p.cpu = map[string][]time.Duration{}, map[string][]time.Duration{}
		var err error
		if p.gogc, err = metric(base, "go_gc_gogc_percent"); err != nil {
			return err
		}
		alloc0, gc0, err := allocAndGC(base)
		if err != nil {
			return err
		}
		for i := range o.writes {
			if err := round(p, first+i, fmt.Sprintf("%s-%d", mark, i)); err != nil {
				return err
			}
		}
		alloc1, gc1, err := allocAndGC(base)
		if err != nil {
			return err
		}
		n := float64(4 * o.writes)
		p.allocPerWrite, p.gcPerWrite = (alloc1-alloc0)/n, (gc1-gc0)/n
		return nil
	}
	if err := measured(&r.starting, 0, fmt.Sprintf("scale-%d-start", years)); err != nil {
		return nil, err
	}
	// Then herald's own pace of collections, once its start's has ended.
	for until := began.Add(o.steady); ; {
		gogc, err := metric(base, "go_gc_gogc_percent")
		if err != nil {
			return nil, err
		}
		if gogc != r.starting.gogc {
			break
		}
		if time.Now().After(until) {
			logf("%d years: herald's GOGC is still %.0f %s after its start; measuring at it", years, gogc, o.steady)
			break
		}
		if err := benchkit.Sleep(ctx, time.Second); err != nil {
			return nil, err
		}
	}
	if r.rss, err = rss(srv.Pid); err != nil {
		return nil, err
	}
	if r.heap, err = metric(base, "go_memstats_heap_inuse_bytes"); err != nil {
		return nil, err
	}
	if pprofBase != "" {
		if err := fetchTo(pprofBase+"/debug/pprof/heap", filepath.Join(o.profile, fmt.Sprintf("heap-%dy.pb.gz", years))); err != nil {
			return nil, err
		}
	}
	month := now.AddDate(0, -6, 0).Format("2006-01")
	for _, p := range []string{"/", "/history", "/history/" + month, "/api/v2/summary.json"} {
		plain, z, err := sizes(base + p)
		if err != nil {
			return nil, err
		}
		r.sizes = append(r.sizes, size{p, plain, z})
	}
	if err := measured(&r.steady, o.writes, fmt.Sprintf("scale-%d", years)); err != nil {
		return nil, err
	}
	if pprofBase != "" {
		// Not counted: rounds of writes while herald's CPU is profiled.
		var profiled phase
		profiled.writes, profiled.cpu = map[string][]time.Duration{}, map[string][]time.Duration{}
		// Allocation counts are cumulative: the profile before the rounds is
		// the base (go tool pprof -diff_base) that leaves only theirs.
		if err := fetchTo(pprofBase+"/debug/pprof/allocs", filepath.Join(o.profile, fmt.Sprintf("allocs-before-%dy.pb.gz", years))); err != nil {
			return nil, err
		}
		done := make(chan error, 1)
		const seconds = 20
		go func() {
			done <- fetchTo(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", pprofBase, seconds), filepath.Join(o.profile, fmt.Sprintf("cpu-writes-%dy.pb.gz", years)))
		}()
		for i, until := 2*o.writes, time.Now().Add(seconds*time.Second-time.Second); time.Now().Before(until); i++ {
			if err := round(&profiled, i, fmt.Sprintf("scale-%d-p%d", years, i)); err != nil {
				return nil, err
			}
		}
		if err := <-done; err != nil {
			return nil, err
		}
		if err := fetchTo(pprofBase+"/debug/pprof/allocs", filepath.Join(o.profile, fmt.Sprintf("allocs-after-%dy.pb.gz", years))); err != nil {
			return nil, err
		}
		logf("%d years: %d rounds of writes profiled into %s", years, len(profiled.writes["open"]), o.profile)
	}
	return r, nil
}

// fleetConfig is servers × four services, each watched by one HTTP check
// of the loopback target every 5 minutes; automatic incidents are off, so
// nothing but the bench's writes changes the pages.
func fleetConfig(servers int, target string) string {
	var sb strings.Builder
	sb.WriteString("page: {title: Scale Hosting Status, url: \"http://127.0.0.1/\", zone: America/Los_Angeles}\nincidents: {auto: off}\ngroups:\n")
	for g := range servers {
		fmt.Fprintf(&sb, "  - id: s%03d\n    name: server%03d\n    components:\n", g, g)
		for c, svc := range services {
			fmt.Fprintf(&sb, "      - id: %s\n        name: %s\n        monitors:\n", svc.id, svc.name)
			fmt.Fprintf(&sb, "          - {type: http, name: http, url: \"http://%s/m/%d\", interval: 5m, timeout: 10s}\n", target, g*4+c)
		}
	}
	return sb.String()
}

var services = []struct{ id, name string }{{"web", "Web sites"}, {"email", "E-mail"}, {"db", "Databases"}, {"dns", "DNS"}}

// freshSchema makes an empty schema on the server at base and returns a
// URL to it and what drops it.
func freshSchema(ctx context.Context, base string, years int) (string, func(), error) {
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	var b [4]byte
	for i := range b {
		b[i] = byte(rand.IntN(256))
	}
	schema := fmt.Sprintf("herald_scale_%d_%s", years, hex.EncodeToString(b[:]))
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		return "", nil, err
	}
	drop := func() {
		_, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	}
	u, err := url.Parse(base)
	if err != nil {
		drop()
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}

// --- measuring ----------------------------------------------------------------

// rss is a process's resident memory now, in bytes.
func rss(pid int) (float64, error) {
	kb, err := benchkit.RSS(pid)
	return float64(kb) * 1024, err
}

// metric reads one of herald's /metrics values by its full name.
func metric(base, name string) (float64, error) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, fmt.Errorf("/metrics has no %s (%v)", name, sc.Err())
}

// allocAndGC reads the bytes herald has allocated since it started and the
// collections Go has made.
func allocAndGC(base string) (alloc, gc float64, err error) {
	if alloc, err = metric(base, "go_memstats_alloc_bytes_total"); err != nil {
		return 0, 0, err
	}
	gc, err = metric(base, "go_gc_duration_seconds_count")
	return alloc, gc, err
}

var plainClient = &http.Client{Timeout: time.Minute, Transport: &http.Transport{DisableCompression: true}}

// sizes is a document's length plain and gzipped, as served.
func sizes(u string) (int, int, error) {
	var out [2]int
	for i, enc := range []string{"", "gzip"} {
		req, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			return 0, 0, err
		}
		if enc != "" {
			req.Header.Set("Accept-Encoding", enc)
		}
		resp, err := plainClient.Do(req)
		if err != nil {
			return 0, 0, err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return 0, 0, err
		}
		if resp.StatusCode != http.StatusOK {
			return 0, 0, fmt.Errorf("GET %s: %s", u, resp.Status)
		}
		if enc != "" && resp.Header.Get("Content-Encoding") != "gzip" {
			// Measure what gzip would make of it.
			var z countWriter
			zw := gzip.NewWriter(&z)
			_, _ = zw.Write(b)
			_ = zw.Close()
			b = make([]byte, z.n)
		}
		out[i] = len(b)
	}
	return out[0], out[1], nil
}

// fetchTo saves the body of a GET of u in path.
func fetchTo(u, path string) error {
	resp, err := plainClient.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

type countWriter struct{ n int }

func (c *countWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

type client struct{ base, token string }

var apiClient = &http.Client{Timeout: time.Minute}

// write POSTs body to path and returns the round trip; the answer is
// decoded into into when given.
func (c *client) write(path, body string, into any) (time.Duration, error) {
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	began := time.Now()
	resp, err := apiClient.Do(req)
	if err != nil {
		return 0, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(began)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode >= 300 {
		return 0, fmt.Errorf("POST %s: %s %s", path, resp.Status, b)
	}
	if into != nil {
		if err := json.Unmarshal(b, into); err != nil {
			return 0, fmt.Errorf("POST %s: %w: %s", path, err, b)
		}
	}
	return took, nil
}

func medianMax(v []time.Duration) (time.Duration, time.Duration) {
	if len(v) == 0 {
		return 0, 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2], s[len(s)-1]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

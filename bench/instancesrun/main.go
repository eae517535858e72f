// Command instancesrun is the engine of bench/instances: several `herald
// serve` on one PostgreSQL database sharing a big fleet of monitors.
//
//	go run ./bench/instancesrun --herald ./herald --db postgres://root@127.0.0.1:5432/postgres?sslmode=disable
//
// Subcommands: `run` (the default) and `target` (the loopback web server the
// monitors check, started by run as a child process so that its CPU is not
// counted as Herald's).
//
// It makes a database of its own on the server (dropped at the end) and
// measures, with MONITORS HTTP monitors every INTERVAL:
//
//  1. CPU per check with one instance, then with three sharing the fleet:
//     CPU seconds of the herald processes (/proc/PID/stat, user + system)
//     over a measure window after a warm-up, divided by the checks the
//     target answered in it; and their ratio, which should be about 1 (the
//     work is spread, not repeated);
//  2. the time a change made through one instance takes to show on the
//     others' pages (an incident created through the admin API of one,
//     polled on the other two's /api/v2/incidents.json every 5 ms);
//  3. failover after SIGKILL, KILLS times: the instance killed is the one
//     holding the most shards; the time until every shard it held is held by
//     a live instance, and until every monitor it ran has been checked again
//     (the target records each path's checks). A new instance is started
//     after each kill, and the next kill waits for the shards to spread.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/heraldhq/herald/internal/lease"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "target" {
		if err := target(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "instancesrun target:", err)
			os.Exit(1)
		}
		return
	}
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "run" {
		args = args[1:]
	}
	if err := run(args); err != nil {
		fmt.Fprintln(os.Stderr, "instancesrun:", err)
		os.Exit(1)
	}
}

// --- the target -------------------------------------------------------------

// target answers every /m/N with a small page and remembers when each N was
// last checked; GET /control/count says how many checks it answered, and
// GET /control/last?n=N lists the last check of /m/0 .. /m/N-1 in Unix
// milliseconds, one a line. It prints its address on stdout.
func target(args []string) error {
	fs := flag.NewFlagSet("target", flag.ContinueOnError)
	n := fs.Int("monitors", 10000, "paths /m/0 .. /m/N-1")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	last := make([]atomic.Int64, *n)
	var served atomic.Int64
	body := []byte("<!doctype html><title>ok</title><p>A customer's site.</p>\n")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/control/count":
			fmt.Fprintf(w, "%d\n", served.Load())
			return
		case "/control/last":
			bw := bufio.NewWriter(w)
			for i := range last {
				fmt.Fprintf(bw, "%d\n", last[i].Load())
			}
			_ = bw.Flush()
			return
		}
		if rest, ok := strings.CutPrefix(r.URL.Path, "/m/"); ok {
			if i, err := strconv.Atoi(rest); err == nil && i >= 0 && i < len(last) {
				last[i].Store(time.Now().UnixMilli())
			}
		}
		served.Add(1)
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write(body)
	})
	fmt.Println(ln.Addr().String())
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	go func() { <-stop; _ = srv.Close() }()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// --- the run ----------------------------------------------------------------

type options struct {
	herald   string
	db       string
	monitors int
	interval time.Duration
	measure  time.Duration
	kills    int
	changes  int
}

type bench struct {
	o      options
	ctx    context.Context
	tmp    string
	cfg    string
	dsn    string
	target string
	db     *sql.DB
	token  string
	procs  []*instance
	seq    int
}

type instance struct {
	cmd    *exec.Cmd
	pid    int
	base   string
	exited chan struct{}
	name   string
}

func run(args []string) error {
	var o options
	fs := flag.NewFlagSet("instancesrun", flag.ContinueOnError)
	fs.StringVar(&o.herald, "herald", "", "the herald binary to run (required)")
	fs.StringVar(&o.db, "db", "postgres://root@127.0.0.1:5432/postgres?sslmode=disable", "a PostgreSQL server (loopback) on which to make a database of the bench's own")
	fs.IntVar(&o.monitors, "monitors", 10000, "HTTP monitors")
	fs.DurationVar(&o.interval, "interval", 30*time.Second, "each monitor's interval")
	fs.DurationVar(&o.measure, "measure", time.Minute, "how long CPU is measured with one and with three instances, after a warm-up of one interval")
	fs.IntVar(&o.kills, "kills", 10, "instances killed with SIGKILL, one after another")
	fs.IntVar(&o.changes, "changes", 20, "changes made through one instance and timed on the others")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case o.herald == "":
		return errors.New("--herald BINARY is required")
	case o.monitors < 1 || o.monitors > 100000:
		return errors.New("--monitors must be between 1 and 100000")
	case o.kills < 0 || o.kills > 50:
		return errors.New("--kills must be between 0 and 50")
	}
	u, err := url.Parse(o.db)
	if err != nil {
		return fmt.Errorf("--db: %w", err)
	}
	if host := u.Hostname(); host != "127.0.0.1" && host != "::1" && host != "localhost" {
		return fmt.Errorf("--db must name a loopback server, not %s", host)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	b := &bench{o: o, ctx: ctx}
	if b.tmp, err = os.MkdirTemp("", "herald-bench-instances-"); err != nil {
		return err
	}
	defer os.RemoveAll(b.tmp)

	// A database of the bench's own.
	admin, err := sql.Open("pgx", o.db)
	if err != nil {
		return err
	}
	defer admin.Close()
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	name := "herald_bench_" + hex.EncodeToString(rnd[:])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return fmt.Errorf("create the bench's database: %w", err)
	}
	defer func() {
		if _, err := admin.ExecContext(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			logf("drop database %s: %v", name, err)
		}
	}()
	u.Path = "/" + name
	b.dsn = u.String()
	if b.db, err = sql.Open("pgx", b.dsn); err != nil {
		return err
	}
	defer b.db.Close()

	// The target, in a process of its own.
	self, err := os.Executable()
	if err != nil {
		return err
	}
	tgt := exec.CommandContext(ctx, self, "target", "--monitors", strconv.Itoa(o.monitors))
	tgt.Stderr = os.Stderr
	out, err := tgt.StdoutPipe()
	if err != nil {
		return err
	}
	if err := tgt.Start(); err != nil {
		return err
	}
	defer func() { _ = tgt.Process.Signal(syscall.SIGTERM); _ = tgt.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return fmt.Errorf("target did not start: %w", err)
	}
	b.target = strings.TrimSpace(line)

	b.cfg = filepath.Join(b.tmp, "bench.yaml")
	if err := os.WriteFile(b.cfg, []byte(benchConfig(o, b.target)), 0o644); err != nil {
		return err
	}
	defer b.stopAll()
	return b.phases()
}

func (b *bench) phases() error {
	o := b.o
	// 1. One instance.
	if _, err := b.start(); err != nil {
		return err
	}
	tok, err := exec.CommandContext(b.ctx, o.herald, "token", "create", "--scope", "write", "--db", b.dsn).Output()
	if err != nil {
		return fmt.Errorf("token create: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(tok)), "\n")
	b.token = lines[len(lines)-1]
	logf("one instance, %d monitors every %s: warming up for %s", o.monitors, o.interval, o.interval)
	if err := b.spread(1); err != nil {
		return err
	}
	if err := sleep(b.ctx, o.interval); err != nil {
		return err
	}
	one, err := b.cpuPerCheck()
	if err != nil {
		return err
	}
	// 2. Three instances.
	for range 2 {
		if _, err := b.start(); err != nil {
			return err
		}
	}
	logf("three instances: waiting for the shards to spread, then warming up for %s", o.interval)
	if err := b.spread(3); err != nil {
		return err
	}
	if err := sleep(b.ctx, o.interval); err != nil {
		return err
	}
	three, err := b.cpuPerCheck()
	if err != nil {
		return err
	}
	fmt.Printf("\n%d HTTP monitors every %s against a loopback target (%d cores, target in another process)\n", o.monitors, o.interval, numCPU())
	fmt.Printf("cpu per check: one instance %.3f ms (%.0f checks/s), three instances %.3f ms (%.0f checks/s); ratio three/one = %.2f\n",
		one.msPerCheck, one.checksPerSec, three.msPerCheck, three.checksPerSec, three.msPerCheck/one.msPerCheck)

	// 3. A change through one instance, on the others' pages.
	var lat []float64
	for i := range o.changes {
		from := b.procs[i%len(b.procs)]
		d, err := b.change(from, i)
		if err != nil {
			return err
		}
		lat = append(lat, d.Seconds())
	}
	if len(lat) > 0 {
		med, worst := medianMax(lat)
		fmt.Printf("a change through one instance on the others' pages: median %.0f ms, worst %.0f ms (%d changes)\n", med*1000, worst*1000, len(lat))
	}

	// 4. Failover.
	var shardsBack, checkedBack []float64
	for k := range o.kills {
		s, c, err := b.kill(k)
		if err != nil {
			return err
		}
		shardsBack, checkedBack = append(shardsBack, s.Seconds()), append(checkedBack, c.Seconds())
	}
	if len(shardsBack) > 0 {
		sm, sw := medianMax(shardsBack)
		cm, cw := medianMax(checkedBack)
		fmt.Printf("failover after SIGKILL (%d kills, shard lease %s): its shards held again after median %.1f s, worst %.1f s; all its monitors checked again after median %.1f s, worst %.1f s\n",
			len(shardsBack), lease.ShardTTL, sm, sw, cm, cw)
	}
	return nil
}

type cpuFigures struct{ msPerCheck, checksPerSec float64 }

// cpuPerCheck measures the live instances' CPU over the measure window.
func (b *bench) cpuPerCheck() (cpuFigures, error) {
	cpu := func() (float64, error) {
		var sum float64
		for _, p := range b.procs {
			s, err := cpuSeconds(p.pid)
			if err != nil {
				return 0, err
			}
			sum += s
		}
		return sum, nil
	}
	c0, err := cpu()
	if err != nil {
		return cpuFigures{}, err
	}
	n0, err := b.served()
	if err != nil {
		return cpuFigures{}, err
	}
	t0 := time.Now()
	logf("measuring CPU with %d instance(s) for %s", len(b.procs), b.o.measure)
	if err := sleep(b.ctx, b.o.measure); err != nil {
		return cpuFigures{}, err
	}
	c1, err := cpu()
	if err != nil {
		return cpuFigures{}, err
	}
	n1, err := b.served()
	if err != nil {
		return cpuFigures{}, err
	}
	checks := n1 - n0
	if checks <= 0 {
		return cpuFigures{}, errors.New("no checks in the measure window")
	}
	return cpuFigures{msPerCheck: 1000 * (c1 - c0) / checks, checksPerSec: checks / time.Since(t0).Seconds()}, nil
}

// change creates an incident through from and times until both other
// instances' /api/v2/incidents.json list it.
func (b *bench) change(from *instance, i int) (time.Duration, error) {
	title := fmt.Sprintf("Bench change %d", i)
	body := fmt.Sprintf(`{"title": %q, "body": "Timing.", "impact": "none", "components": {"s0/c0": "operational"}}`, title)
	req, err := http.NewRequestWithContext(b.ctx, http.MethodPost, from.base+"/api/v1/incidents", strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+b.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	made := time.Now()
	if resp.StatusCode != http.StatusCreated {
		return 0, fmt.Errorf("create an incident through %s: %s", from.name, resp.Status)
	}
	for _, to := range b.procs {
		if to == from {
			continue
		}
		for {
			page, err := get(to.base + "/api/v2/incidents.json")
			if err == nil && strings.Contains(page, title) {
				break
			}
			if time.Since(made) > time.Minute {
				return 0, fmt.Errorf("a change through %s not on %s's page after a minute", from.name, to.name)
			}
			if err := sleep(b.ctx, 5*time.Millisecond); err != nil {
				return 0, err
			}
		}
	}
	return time.Since(made), nil
}

// kill SIGKILLs the instance holding the most shards and times the takeover.
func (b *bench) kill(k int) (shards, checked time.Duration, err error) {
	held, err := b.holders()
	if err != nil {
		return 0, 0, err
	}
	count := map[int]int{}
	for _, pid := range held {
		count[pid]++
	}
	var victim *instance
	for _, p := range b.procs {
		if victim == nil || count[p.pid] > count[victim.pid] {
			victim = p
		}
	}
	var mine []int // its monitors
	for i := range b.o.monitors {
		if held[lease.ShardOf(monitorID(b.o, i))] == victim.pid {
			mine = append(mine, i)
		}
	}
	if err := victim.cmd.Process.Kill(); err != nil {
		return 0, 0, err
	}
	killedAt := time.Now()
	<-victim.exited
	b.drop(victim)
	logf("kill %d/%d: SIGKILL to %s (pid %d), which held %d shards and ran %d monitors", k+1, b.o.kills, victim.name, victim.pid, count[victim.pid], len(mine))
	for shards == 0 || checked == 0 {
		if time.Since(killedAt) > 2*time.Minute {
			return 0, 0, errors.New("the killed instance's work was not taken over within two minutes")
		}
		if shards == 0 {
			now, err := b.holders()
			if err != nil {
				return 0, 0, err
			}
			back := len(now) == lease.ShardCount
			for _, pid := range now {
				back = back && pid != victim.pid
			}
			if back {
				shards = time.Since(killedAt)
			}
		}
		if checked == 0 {
			last, err := b.lastChecks()
			if err != nil {
				return 0, 0, err
			}
			all := true
			for _, i := range mine {
				all = all && last[i] > killedAt.UnixMilli()
			}
			if all {
				checked = time.Since(killedAt)
			}
		}
		if err := sleep(b.ctx, 50*time.Millisecond); err != nil {
			return 0, 0, err
		}
	}
	logf("kill %d/%d: shards held again after %.1f s, its monitors all checked again after %.1f s", k+1, b.o.kills, shards.Seconds(), checked.Seconds())
	// Back to three, spread, for the next kill.
	if _, err := b.start(); err != nil {
		return 0, 0, err
	}
	return shards, checked, b.spread(3)
}

// spread waits until every shard is held and each of n instances holds some.
func (b *bench) spread(n int) error {
	fair := lease.ShardCount / n
	for start := time.Now(); ; {
		held, err := b.holders()
		if err != nil {
			return err
		}
		per := map[int]int{}
		for _, pid := range held {
			per[pid]++
		}
		ok := len(held) == lease.ShardCount && len(per) == n
		for _, c := range per {
			ok = ok && c >= fair-1
		}
		if ok {
			return nil
		}
		if time.Since(start) > 2*time.Minute {
			return fmt.Errorf("the shards did not spread over %d instances within two minutes: %v", n, per)
		}
		if err := sleep(b.ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
}

// holders maps each shard held now to its holder's process id.
func (b *bench) holders() (map[int]int, error) {
	rows, err := b.db.QueryContext(b.ctx, `SELECT name, holder FROM leases WHERE name LIKE 'shard:%' AND expires_at > $1`, time.Now().UnixMilli())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int]int{}
	for rows.Next() {
		var name, holder string
		if err := rows.Scan(&name, &holder); err != nil {
			return nil, err
		}
		n, _ := strconv.Atoi(strings.TrimPrefix(name, "shard:"))
		parts := strings.Split(holder, ":")
		if len(parts) >= 3 {
			out[n], _ = strconv.Atoi(parts[len(parts)-2])
		}
	}
	return out, rows.Err()
}

// start starts an instance; one that exits before it answers (a start-up
// read that timed out on a busy machine) is started again, twice at most.
func (b *bench) start() (*instance, error) {
	var err error
	for try := 1; try <= 3; try++ {
		var p *instance
		if p, err = b.startOnce(); err == nil {
			return p, nil
		}
		logf("starting an instance (try %d of 3): %v", try, err)
	}
	return nil, err
}

func (b *bench) startOnce() (*instance, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	b.seq++
	p := &instance{base: "http://127.0.0.1:" + strconv.Itoa(port), exited: make(chan struct{}), name: fmt.Sprintf("instance %d", b.seq)}
	p.cmd = exec.CommandContext(b.ctx, b.o.herald, "serve", "--config", b.cfg, "--db", b.dsn, "--listen", "127.0.0.1:"+strconv.Itoa(port))
	logPath := filepath.Join(b.tmp, fmt.Sprintf("herald-%d.log", b.seq))
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		f.Close()
		return nil, err
	}
	p.pid = p.cmd.Process.Pid
	go func() { _ = p.cmd.Wait(); f.Close(); close(p.exited) }()
	if err := waitHTTP(b.ctx, p.base+"/healthz", 2*time.Minute, p.exited); err != nil {
		_ = p.cmd.Process.Kill()
		<-p.exited
		tail(logPath)
		return nil, err
	}
	b.procs = append(b.procs, p)
	return p, nil
}

func (b *bench) drop(p *instance) {
	for i, q := range b.procs {
		if q == p {
			b.procs = append(b.procs[:i], b.procs[i+1:]...)
			return
		}
	}
}

func (b *bench) stopAll() {
	for _, p := range b.procs {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, p := range b.procs {
		select {
		case <-p.exited:
		case <-time.After(30 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	}
	b.procs = nil
}

func (b *bench) served() (float64, error) {
	s, err := get("http://" + b.target + "/control/count")
	if err != nil {
		return 0, err
	}
	return strconv.ParseFloat(strings.TrimSpace(s), 64)
}

func (b *bench) lastChecks() ([]int64, error) {
	s, err := get("http://" + b.target + "/control/last")
	if err != nil {
		return nil, err
	}
	var out []int64
	for _, f := range strings.Fields(s) {
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// monitorID is the id Herald gives monitor i of benchConfig.
func monitorID(o options, i int) string {
	g, c := layout(o, i)
	return fmt.Sprintf("s%d/c%d/m%d", g, c, i)
}

const groups, comps = 100, 2

func layout(o options, i int) (g, c int) {
	per := (o.monitors + groups*comps - 1) / (groups * comps)
	return i / (per * comps), i / per % comps
}

// benchConfig spreads the monitors over 100 servers with two services each,
// each monitor on its own path of the one target. Automatic incidents are
// off: the fleet stays up, and this measures the sharing of the probe work.
func benchConfig(o options, addr string) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "page: {title: Bench, url: http://127.0.0.1/, zone: UTC}\nincidents: {auto: off}\ngroups:\n")
	lastG, lastC := -1, -1
	for i := range o.monitors {
		g, c := layout(o, i)
		if g != lastG {
			fmt.Fprintf(&sb, "  - id: s%d\n    components:\n", g)
			lastG, lastC = g, -1
		}
		if c != lastC {
			fmt.Fprintf(&sb, "      - id: c%d\n        name: Service %d\n        monitors:\n", c, c)
			lastC = c
		}
		fmt.Fprintf(&sb, "          - {type: http, name: m%d, url: \"http://%s/m/%d\", interval: %s, timeout: %s, down_after: 2, up_after: 1}\n",
			i, addr, i, o.interval, min(10*time.Second, o.interval/3))
	}
	return sb.String()
}

// --- helpers ------------------------------------------------------------------

func medianMax(v []float64) (float64, float64) {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2], s[len(s)-1]
}

func get(u string) (string, error) {
	resp, err := http.Get(u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return string(b), nil
}

// cpuSeconds is a process's user + system CPU time so far.
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The fields after the command name (which may hold spaces) start after ')'.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	utime, err1 := strconv.ParseFloat(f[11], 64)
	stime, err2 := strconv.ParseFloat(f[12], 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return (utime + stime) / 100, nil // USER_HZ is 100 on Linux
}

func numCPU() int {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "\nprocessor") + 1
}

func logf(format string, a ...any) { fmt.Fprintf(os.Stderr, "bench/instances: "+format+"\n", a...) }

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func waitHTTP(ctx context.Context, u string, within time.Duration, exited <-chan struct{}) error {
	deadline := time.Now().Add(within)
	for {
		select {
		case <-exited:
			return fmt.Errorf("herald exited before answering %s", u)
		default:
		}
		if _, err := get(u); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer within %s", u, within)
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func tail(path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	fmt.Fprintf(os.Stderr, "--- %s (end) ---\n%s\n", path, b)
}

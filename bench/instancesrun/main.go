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
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/heraldhq/herald/bench/internal/benchkit"
	"github.com/heraldhq/herald/internal/lease"
)

var logf = benchkit.Logger("bench/instances")

func main() {
	benchkit.Main("instancesrun", run, map[string]func([]string) error{"target": benchkit.Target})
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
	*benchkit.Proc
	base string
	name string
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
	tgt, addr, err := benchkit.StartChild(ctx, "target", "--monitors", strconv.Itoa(o.monitors))
	if err != nil {
		return err
	}
	defer tgt.Stop()
	b.target = addr

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
	tok, err := benchkit.Output(b.ctx, o.herald, "token", "create", "--scope", "write", "--db", b.dsn)
	if err != nil {
		return err
	}
	lines := strings.Split(strings.TrimSpace(tok), "\n")
	b.token = lines[len(lines)-1]
	logf("one instance, %d monitors every %s: warming up for %s", o.monitors, o.interval, o.interval)
	if err := b.spread(1); err != nil {
		return err
	}
	if err := benchkit.Sleep(b.ctx, o.interval); err != nil {
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
	if err := benchkit.Sleep(b.ctx, o.interval); err != nil {
		return err
	}
	three, err := b.cpuPerCheck()
	if err != nil {
		return err
	}
	fmt.Printf("\n%d HTTP monitors every %s against a loopback target (%d cores, target in another process)\n", o.monitors, o.interval, benchkit.NumCPU())
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
		med, worst := benchkit.MedianMax(lat)
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
		sm, sw := benchkit.MedianMax(shardsBack)
		cm, cw := benchkit.MedianMax(checkedBack)
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
			s, err := benchkit.CPUSeconds(p.Pid)
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
	if err := benchkit.Sleep(b.ctx, b.o.measure); err != nil {
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
			page, err := benchkit.Get(to.base + "/api/v2/incidents.json")
			if err == nil && strings.Contains(page, title) {
				break
			}
			if time.Since(made) > time.Minute {
				return 0, fmt.Errorf("a change through %s not on %s's page after a minute", from.name, to.name)
			}
			if err := benchkit.Sleep(b.ctx, 5*time.Millisecond); err != nil {
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
		if victim == nil || count[p.Pid] > count[victim.Pid] {
			victim = p
		}
	}
	var mine []int // its monitors
	for i := range b.o.monitors {
		if held[lease.ShardOf(monitorID(b.o, i))] == victim.Pid {
			mine = append(mine, i)
		}
	}
	if err := victim.Cmd.Process.Kill(); err != nil {
		return 0, 0, err
	}
	killedAt := time.Now()
	<-victim.Exited
	b.drop(victim)
	logf("kill %d/%d: SIGKILL to %s (pid %d), which held %d shards and ran %d monitors", k+1, b.o.kills, victim.name, victim.Pid, count[victim.Pid], len(mine))
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
				back = back && pid != victim.Pid
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
		if err := benchkit.Sleep(b.ctx, 50*time.Millisecond); err != nil {
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
		if err := benchkit.Sleep(b.ctx, 100*time.Millisecond); err != nil {
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
	addr, err := benchkit.FreeAddr()
	if err != nil {
		return nil, err
	}
	b.seq++
	p := &instance{base: "http://" + addr, name: fmt.Sprintf("instance %d", b.seq)}
	p.Proc, err = benchkit.StartServer(b.ctx, filepath.Join(b.tmp, fmt.Sprintf("herald-%d.log", b.seq)), p.base, 2*time.Minute,
		b.o.herald, "serve", "--config", b.cfg, "--db", b.dsn, "--listen", addr)
	if err != nil {
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
		_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, p := range b.procs {
		p.Stop()
	}
	b.procs = nil
}

func (b *bench) served() (float64, error) { return benchkit.Served(b.target) }

func (b *bench) lastChecks() ([]int64, error) {
	s, err := benchkit.Get("http://" + b.target + "/control/last")
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
func monitorID(o options, i int) string { return benchkit.FleetMonitorID(o.monitors, i) }

// benchConfig is the probe benches' fleet, each monitor on its own path of
// the one target. Automatic incidents are off: the fleet stays up, and this
// measures the sharing of the probe work.
func benchConfig(o options, addr string) string {
	return benchkit.FleetConfig(o.monitors, addr,
		fmt.Sprintf("interval: %s, timeout: %s, down_after: 2, up_after: 1", o.interval, min(10*time.Second, o.interval/3)))
}

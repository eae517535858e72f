// Command fanoutrun drives bench/fanout and test/crash: it seeds confirmed
// e-mail subscribers, starts `herald serve` against a loopback SMTP sink,
// opens one incident through the admin API and measures how the notices
// arrive. With -kills N it SIGKILLs the server N times at random points of
// the fan-out, restarting it each time, and then counts, per subscriber, the
// messages the sink received: lost=N duplicates=N.
package main

import (
	"bytes"
	"context"
	crand "crypto/rand"
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
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/heraldhq/herald/bench/internal/benchkit"
	"github.com/heraldhq/herald/internal/notify/smtpsink"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
)

func main() { benchkit.Main("fanoutrun", run, nil) }

type options struct {
	herald      string
	subscribers int
	kills       int
	db          string
	timeout     time.Duration
	keep        bool
	profile     string
	profileSecs int
	connections int
}

func run(args []string) error {
	var o options
	fs := flag.NewFlagSet("fanoutrun", flag.ExitOnError)
	fs.StringVar(&o.herald, "herald", "", "the herald binary")
	fs.IntVar(&o.subscribers, "subscribers", 100000, "confirmed e-mail subscribers")
	fs.IntVar(&o.kills, "kills", 0, "SIGKILL the server this many times during the fan-out")
	fs.StringVar(&o.db, "db", "", "a postgres:// URL on loopback instead of SQLite: a fresh schema is made in it and dropped after, unless it names one (search_path, which must be empty)")
	fs.IntVar(&o.connections, "connections", 0, "notify.email.connections (0: herald's default)")
	fs.DurationVar(&o.timeout, "timeout", 15*time.Minute, "give up after this long")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary folder")
	fs.StringVar(&o.profile, "profile", "", "write CPU profiles of herald (herald.pprof) and of the sink (sink.pprof) into this folder")
	fs.IntVar(&o.profileSecs, "profile-seconds", 20, "how many seconds of the fan-out -profile covers, from its start")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.herald == "" || o.subscribers < 1 || o.subscribers > 1000000 || o.kills < 0 || o.kills > 100 || o.connections < 0 {
		return errors.New("usage: fanoutrun -herald BIN [-subscribers N (at most 1,000,000)] [-kills N (at most 100)] [-db URL] [-connections N]")
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()

	dir, err := os.MkdirTemp("", "herald-fanout-")
	if err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(dir)
	}

	// The sink counts messages per recipient; bodies are not kept.
	if o.db != "" {
		url, drop, err := freshSchema(ctx, o.db)
		if err != nil {
			return err
		}
		defer drop()
		o.db = url
	}

	var (
		mu     sync.Mutex
		perRcp = make(map[string]int, o.subscribers)
		total  int
		last   time.Time // when the sink last accepted a message
	)
	// A message sent again must be the same message: the first Message-ID
	// each recipient got is kept, and a repeat with another one counted.
	msgIDs := make(map[string]string, o.subscribers)
	otherIDs := 0
	sink, err := smtpsink.Start(smtpsink.Options{Discard: true, OnMessage: func(m smtpsink.Message) {
		id := messageID(m.Data)
		mu.Lock()
		for _, to := range m.To {
			perRcp[to]++
			if first, ok := msgIDs[to]; !ok {
				msgIDs[to] = id
			} else if first != id {
				otherIDs++
			}
		}
		total++
		last = time.Now()
		mu.Unlock()
	}})
	if err != nil {
		return err
	}
	defer sink.Close()
	received := func() int {
		mu.Lock()
		defer mu.Unlock()
		return total
	}

	cfgPath := filepath.Join(dir, "herald.yaml")
	cfg := fmt.Sprintf(`page:
  title: Fan-out
  url: https://127.0.0.1:8443
  zone: UTC
groups:
  - id: flexo
    name: flexo
    components:
      - id: web
        name: Web sites
notify:
  email:
    smtp: %s
    from: status@example.net
    tls: none
    rate_per_second: 1000000
`, sink.Addr)
	if o.connections > 0 {
		cfg += fmt.Sprintf("    connections: %d\n", o.connections)
	}
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return err
	}
	dsn := store.DSN{DataDir: filepath.Join(dir, "data"), URL: o.db}
	token, err := seed(ctx, dsn, o.subscribers)
	if err != nil {
		return err
	}

	addr, err := benchkit.FreeAddr()
	if err != nil {
		return err
	}
	serveArgs := []string{"serve", "--config", cfgPath, "--listen", addr}
	pprofAddr := ""
	if o.profile != "" {
		if pprofAddr, err = benchkit.FreeAddr(); err != nil {
			return err
		}
		serveArgs = append(serveArgs, "--pprof", pprofAddr)
	}
	if o.db != "" {
		serveArgs = append(serveArgs, "--db", o.db)
	} else {
		serveArgs = append(serveArgs, "--data", dsn.DataDir)
	}
	srv := &server{bin: o.herald, args: serveArgs, addr: addr, log: filepath.Join(dir, "herald.log")}
	if err := srv.start(ctx); err != nil {
		return err
	}
	defer srv.kill()

	var stopProfiles func() error
	if o.profile != "" {
		if stopProfiles, err = startProfiles(ctx, o.profile, pprofAddr, o.profileSecs); err != nil {
			return err
		}
	}
	start := time.Now()
	if err := openIncident(ctx, addr, token); err != nil {
		return err
	}
	queued := time.Since(start)
	fmt.Fprintf(os.Stderr, "fanoutrun: incident opened in %dms, its transaction queueing %d deliveries\n",
		queued.Milliseconds(), o.subscribers)

	// Kill points: random counts of received messages, spread over the run.
	var points []int
	for range o.kills {
		points = append(points, 1+rand.IntN(max(o.subscribers-1, 1)))
	}
	slices.Sort(points)
	kills := 0
	var restartTime time.Duration
	for kills < len(points) {
		if ctx.Err() != nil {
			return fmt.Errorf("timed out with %d of %d kills done", kills, len(points))
		}
		if received() >= points[kills] {
			srv.kill()
			at := received()
			t0 := time.Now()
			if err := srv.start(ctx); err != nil {
				return err
			}
			restartTime += time.Since(t0)
			kills++
			fmt.Fprintf(os.Stderr, "fanoutrun: SIGKILL %d at %d messages received; restarted\n", kills, at)
			continue
		}
		// Asking the server counts its deliveries table: do it rarely, so
		// the measurement does not slow what it measures.
		if received() >= o.subscribers {
			if done, err := finished(ctx, addr, token); err == nil && done {
				fmt.Fprintf(os.Stderr, "fanoutrun: the fan-out finished before kill %d\n", kills+1)
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	lastAsk := time.Time{}
	for {
		if received() >= o.subscribers || time.Since(lastAsk) > 2*time.Second {
			lastAsk = time.Now()
			done, err := finished(ctx, addr, token)
			if err == nil && done {
				break
			}
		}
		if ctx.Err() != nil {
			return fmt.Errorf("timed out waiting for the queue to empty (%d received)", received())
		}
		time.Sleep(10 * time.Millisecond)
	}
	elapsed := time.Since(start)
	mu.Lock()
	accepted := last.Sub(start)
	mu.Unlock()
	if stopProfiles != nil {
		if err := stopProfiles(); err != nil {
			return err
		}
	}
	counts, err := deliveryCounts(ctx, addr, token)
	if err != nil {
		return err
	}

	mu.Lock()
	lost, dups := 0, 0
	for i := range o.subscribers {
		switch n := perRcp[address(i)]; {
		case n == 0:
			lost++
		case n > 1:
			dups += n - 1
		}
	}
	got := total
	mu.Unlock()
	fmt.Printf("subscribers=%d received=%d recorded_sent=%d dead=%d kills=%d connections=%s elapsed=%.1fs\n",
		o.subscribers, got, counts["sent"], counts["dead"], kills, conns(o.connections), elapsed.Seconds())
	// The last line is what scripts read: the verdict for the benchmark,
	// lost= and duplicates= for the crash test.
	if o.kills == 0 {
		fmt.Printf("lost=%d duplicates=%d\n", lost, dups)
		// The goal: 100,000 messages within 60 s of the request, the
		// clock stopping when the relay accepted the last one; a smaller
		// run is held to the same rate.
		goal := 60 * float64(o.subscribers) / 100000
		verdict := "PASS"
		if accepted.Seconds() > goal || lost > 0 {
			verdict = "FAIL"
		}
		fmt.Printf("fanout %s subscribers=%d seconds=%.1f msgs_per_s=%.0f queue_ms=%d recorded_s=%.1f goal<=%gs %s\n",
			strings.ToLower(dbName(o.db)), o.subscribers, accepted.Seconds(), float64(got)/accepted.Seconds(),
			queued.Milliseconds(), elapsed.Seconds(), goal, verdict)
	} else {
		fmt.Printf("restarts took %.1fs in all; sending went on at %.0f messages/s between them\n",
			restartTime.Seconds(), float64(got)/(elapsed-restartTime).Seconds())
		fmt.Printf("lost=%d duplicates=%d other_message_ids=%d\n", lost, dups, otherIDs)
	}
	if lost > 0 {
		return fmt.Errorf("%d subscribers never received the update", lost)
	}
	if otherIDs > 0 {
		return fmt.Errorf("%d messages sent again under another Message-ID", otherIDs)
	}
	return nil
}

func dbName(url string) string {
	if url == "" {
		return "SQLite"
	}
	return "PostgreSQL"
}

// messageID is the Message-ID header's value in a message's header.
func messageID(data []byte) string {
	head, _, _ := bytes.Cut(data, []byte("\r\n\r\n"))
	for line := range bytes.SplitSeq(head, []byte("\r\n")) {
		if name, value, ok := bytes.Cut(line, []byte(":")); ok && strings.EqualFold(string(name), "Message-ID") {
			return strings.TrimSpace(string(value))
		}
	}
	return ""
}

func conns(n int) string {
	if n == 0 {
		return "default"
	}
	return strconv.Itoa(n)
}

// freshSchema makes an empty schema for the run in the database dbURL names
// (on loopback), unless the URL names one already, and returns the URL
// pointing at it and how to drop it.
func freshSchema(ctx context.Context, dbURL string) (string, func(), error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "", nil, fmt.Errorf("-db: %w", err)
	}
	if host := u.Hostname(); host != "127.0.0.1" && host != "::1" && host != "localhost" {
		return "", nil, fmt.Errorf("-db must name a loopback server, not %s", host)
	}
	q := u.Query()
	if q.Get("search_path") != "" {
		return dbURL, func() {}, nil
	}
	admin, err := sql.Open("pgx", dbURL)
	if err != nil {
		return "", nil, err
	}
	var rnd [6]byte
	_, _ = crand.Read(rnd[:])
	schema := "herald_fanout_" + hex.EncodeToString(rnd[:])
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("create the run's schema: %w", err)
	}
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			fmt.Fprintf(os.Stderr, "fanoutrun: drop schema %s: %v\n", schema, err)
		}
		admin.Close()
	}, nil
}

func address(i int) string { return fmt.Sprintf("user%d@example.net", i) }

// seed migrates the database, stores the catalog, the subscribers and a token.
func seed(ctx context.Context, dsn store.DSN, n int) (string, error) {
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return "", err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return "", err
	}
	svc := service.New(st, service.SystemClock{}, nil)
	if err := svc.SyncCatalog(ctx, []store.Group{{ID: "flexo", Name: "flexo"}},
		[]store.Component{{ID: "flexo/web", GroupID: "flexo", Name: "Web sites"}}); err != nil {
		return "", err
	}
	addrs := make([]string, n)
	for i := range addrs {
		addrs[i] = address(i)
	}
	t0 := time.Now()
	err = st.Tx(ctx, func(q *store.Queries) error {
		added, err := q.InsertConfirmedEmails(ctx, addrs, nil, time.Now().UTC())
		if err == nil && added != n {
			err = fmt.Errorf("seeded %d subscribers, want %d", added, n)
		}
		return err
	})
	if err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "fanoutrun: seeded %d confirmed subscribers in %.1fs\n", n, time.Since(t0).Seconds())
	tok, _, err := svc.CreateToken(ctx, "fanout", service.ScopeWrite)
	return tok, err
}

// server is herald serve, started again after each kill.
type server struct {
	bin  string
	args []string
	addr string
	log  string
	p    *benchkit.Proc
}

func (s *server) start(ctx context.Context) error {
	p, err := benchkit.StartServer(ctx, s.log, "http://"+s.addr, 10*time.Minute, s.bin, s.args...)
	if err != nil {
		return fmt.Errorf("herald did not start: %w", err)
	}
	s.p = p
	return nil
}

// kill sends SIGKILL (a crash, not a stop) and waits for the exit.
func (s *server) kill() {
	s.p.Kill()
	s.p = nil
}

func api(ctx context.Context, method, addr, token, path string, body any, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+addr+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(b)))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func openIncident(ctx context.Context, addr, token string) error {
	return api(ctx, "POST", addr, token, "/api/v1/incidents", map[string]any{
		"title": "Web sites on flexo are not responding", "status": "investigating",
		"body":       "Customers on the flexo server may see errors loading their sites. We are investigating.",
		"components": map[string]string{"flexo/web": "major_outage"},
	}, nil)
}

func deliveryCounts(ctx context.Context, addr, token string) (map[string]int64, error) {
	var out struct {
		Counts map[string]int64 `json:"counts"`
	}
	err := api(ctx, "GET", addr, token, "/api/v1/deliveries?limit=1", nil, &out)
	return out.Counts, err
}

func finished(ctx context.Context, addr, token string) (bool, error) {
	c, err := deliveryCounts(ctx, addr, token)
	if err != nil {
		return false, err
	}
	return c["queued"]+c["sending"] == 0 && c["sent"]+c["dead"] > 0, nil
}

// startProfiles profiles the first seconds of the fan-out: herald through
// its --pprof listener (herald.pprof) and this process, the sink
// (sink.pprof). The returned wait returns once both are written.
func startProfiles(ctx context.Context, dir, pprofAddr string, seconds int) (func() error, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.Create(filepath.Join(dir, "sink.pprof"))
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	got := make(chan error, 1)
	go func() {
		u := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", pprofAddr, seconds)
		err := fetch(ctx, u, filepath.Join(dir, "herald.pprof"))
		pprof.StopCPUProfile()
		f.Close()
		got <- err
	}()
	return func() error { return <-got }, nil
}

func fetch(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

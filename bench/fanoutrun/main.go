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
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

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
}

func run(args []string) error {
	var o options
	fs := flag.NewFlagSet("fanoutrun", flag.ExitOnError)
	fs.StringVar(&o.herald, "herald", "", "the herald binary")
	fs.IntVar(&o.subscribers, "subscribers", 100000, "confirmed e-mail subscribers")
	fs.IntVar(&o.kills, "kills", 0, "SIGKILL the server this many times during the fan-out")
	fs.StringVar(&o.db, "db", "", "a postgres:// URL (an empty schema) instead of SQLite")
	fs.DurationVar(&o.timeout, "timeout", 15*time.Minute, "give up after this long")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary folder")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.herald == "" || o.subscribers < 1 || o.kills < 0 {
		return errors.New("usage: fanoutrun -herald BIN [-subscribers N] [-kills N] [-db URL]")
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
	var (
		mu     sync.Mutex
		perRcp = make(map[string]int, o.subscribers)
		total  int
	)
	sink, err := smtpsink.Start(smtpsink.Options{Discard: true, OnMessage: func(m smtpsink.Message) {
		mu.Lock()
		for _, to := range m.To {
			perRcp[to]++
		}
		total++
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

	start := time.Now()
	if err := openIncident(ctx, addr, token); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "fanoutrun: incident opened in %dms, its transaction queueing %d deliveries\n",
		time.Since(start).Milliseconds(), o.subscribers)

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
	fmt.Printf("subscribers=%d received=%d recorded_sent=%d dead=%d kills=%d elapsed=%.1fs\n",
		o.subscribers, got, counts["sent"], counts["dead"], kills, elapsed.Seconds())
	// The last line is what scripts read: messages/s for the benchmark,
	// lost= and duplicates= for the crash test.
	if o.kills == 0 {
		fmt.Printf("lost=%d duplicates=%d\n", lost, dups)
		fmt.Printf("%.0f messages/s (%d messages, one incident update, %s, into the loopback SMTP sink)\n",
			float64(got)/elapsed.Seconds(), got, dbName(o.db))
	} else {
		fmt.Printf("restarts took %.1fs in all; sending went on at %.0f messages/s between them\n",
			restartTime.Seconds(), float64(got)/(elapsed-restartTime).Seconds())
		fmt.Printf("lost=%d duplicates=%d\n", lost, dups)
	}
	if lost > 0 {
		return fmt.Errorf("%d subscribers never received the update", lost)
	}
	return nil
}

func dbName(url string) string {
	if url == "" {
		return "SQLite"
	}
	return "PostgreSQL"
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

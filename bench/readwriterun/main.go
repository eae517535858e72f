// Command readwriterun drives bench/readwrite: how long after a write the
// public documents show it.
//
// For each database (an empty one, and one with a seeded year of history
// from bench/pageseed) it starts `herald serve` and makes N writes through
// the admin API, in turn opening an incident, posting an update to it and
// resolving it. For each write it measures:
//
//   - write: the request's round trip. A write answers once the public
//     documents show it, so this is the delay a client sees;
//   - visible: from sending the write until a reader polling
//     /api/v2/summary.json every millisecond first sees it;
//   - stale: whether the first read of /api/v2/incidents.json, / and the
//     incident's page after the write answered missed it (want 0).
//
// Then, for the same database, another process (this one, through the
// store, as `herald` commands on the same --data folder do) makes N/3
// writes, and "other" is the time from its commit until the server's
// summary.json shows it: the change log is polled every second on SQLite,
// signalled at once on PostgreSQL.
//
// It prints median and worst of each, per database.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/heraldhq/herald/bench/internal/benchkit"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

func main() { benchkit.Main("readwriterun", run, nil) }

type options struct {
	herald, pageseed, config string
	writes, days             int
	db                       string
}

func run(args []string) error {
	var o options
	fs := flag.NewFlagSet("readwriterun", flag.ExitOnError)
	fs.StringVar(&o.herald, "herald", "", "the herald binary")
	fs.StringVar(&o.pageseed, "pageseed", "", "the pageseed binary (for the year of history)")
	fs.StringVar(&o.config, "config", "bench/page.yaml", "the configuration (a fleet without monitors)")
	fs.IntVar(&o.writes, "writes", 60, "writes through the API per database")
	fs.IntVar(&o.days, "days", 365, "days of history for the seeded database")
	fs.StringVar(&o.db, "db", "", "also run on this postgres:// URL (an empty schema)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.herald == "" || o.pageseed == "" || o.writes < 3 {
		return errors.New("usage: readwriterun -herald BIN -pageseed BIN [-config FILE] [-writes N] [-days N] [-db URL]")
	}
	dir, err := os.MkdirTemp("", "herald-readwrite-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	type db struct {
		name string
		dsn  store.DSN
		args []string
	}
	empty := filepath.Join(dir, "empty")
	year := filepath.Join(dir, "year")
	dbs := []db{
		{"sqlite, empty", store.DSN{DataDir: empty}, []string{"--data", empty}},
		{fmt.Sprintf("sqlite, %d days of history", o.days), store.DSN{DataDir: year}, []string{"--data", year}},
	}
	if o.db != "" {
		dbs = append(dbs, db{"postgres, empty", store.DSN{URL: o.db}, []string{"--db", o.db}})
	}
	fmt.Fprintf(os.Stderr, "readwriterun: seeding %d days of history\n", o.days)
	seed := exec.Command(o.pageseed, "--data", year, "--config", o.config, "--days", fmt.Sprint(o.days))
	seed.Stderr = os.Stderr
	if out, err := seed.Output(); err != nil {
		return fmt.Errorf("pageseed: %w\n%s", err, out)
	}

	fmt.Printf("read-after-write, %d writes through the admin API per database (open, update, resolve in turn)\n", o.writes)
	fmt.Printf("%-28s %-8s %10s %10s\n", "database", "measure", "median_ms", "worst_ms")
	for _, d := range dbs {
		r, err := measure(o, d.dsn, d.args, dir)
		if err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		for _, m := range []struct {
			name string
			v    []time.Duration
		}{{"write", r.write}, {"visible", r.visible}, {"other", r.other}} {
			fmt.Printf("%-28s %-8s %10.1f %10.1f\n", d.name, m.name, ms(median(m.v)), ms(slices.Max(m.v)))
		}
		fmt.Printf("%-28s %-8s %10d reads of %d missed a write that had answered\n", d.name, "stale", r.stale, r.reads)
	}
	return nil
}

type results struct {
	write, visible, other []time.Duration
	stale, reads          int
}

func measure(o options, dsn store.DSN, storeArgs []string, dir string) (*results, error) {
	// token never creates a database; migrate does, as before a first serve.
	if _, err := benchkit.Output(context.Background(), o.herald, append([]string{"migrate"}, storeArgs...)...); err != nil {
		return nil, err
	}
	token, err := benchkit.Output(context.Background(), o.herald, append([]string{"token", "create", "--scope", "write"}, storeArgs...)...)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSpace(token), "\n")
	token = strings.TrimSpace(lines[len(lines)-1])
	addr, err := benchkit.FreeAddr()
	if err != nil {
		return nil, err
	}
	logf, err := os.CreateTemp(dir, "herald-*.log")
	if err != nil {
		return nil, err
	}
	logf.Close()
	base := "http://" + addr
	srv, err := benchkit.StartServer(context.Background(), logf.Name(), base, 60*time.Second,
		o.herald, append([]string{"serve", "--config", o.config, "--listen", addr}, storeArgs...)...)
	if err != nil {
		return nil, fmt.Errorf("%w (log: %s)", err, logf.Name())
	}
	defer srv.Stop()
	c := &apiClient{base: base, token: token}
	r := &results{}
	var id int64
	for i := range o.writes {
		mark := fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), i)
		var (
			path, body string
			method     = http.MethodPost
		)
		switch i % 3 {
		case 0:
			path = "/api/v1/incidents"
			body = fmt.Sprintf(`{"title": %q, "body": "Looking into it.", "components": {"flexo/web": "major_outage"}}`, mark)
		case 1:
			path = fmt.Sprintf("/api/v1/incidents/%d/updates", id)
			body = fmt.Sprintf(`{"status": "identified", "body": %q}`, mark)
		case 2:
			path = fmt.Sprintf("/api/v1/incidents/%d/resolve", id)
			body = fmt.Sprintf(`{"body": %q}`, mark)
		}
		// A reader polls summary.json meanwhile; resolved incidents leave
		// it, so a resolution shows as its title's absence.
		look := mark
		if i%3 == 2 {
			look = ""
		}
		var seenAt atomic.Int64
		stop := make(chan struct{})
		title := ""
		if i%3 != 0 {
			title = c.title
		}
		began := time.Now()
		go func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				doc, err := c.get("/api/v2/summary.json")
				if err == nil && shows(doc, look, title) {
					seenAt.CompareAndSwap(0, int64(time.Since(began)))
					return
				}
				time.Sleep(time.Millisecond)
			}
		}()
		answer, err := c.do(method, path, body)
		took := time.Since(began)
		if err != nil {
			close(stop)
			return nil, err
		}
		if i%3 == 0 {
			var in struct{ ID int64 }
			if err := json.Unmarshal(answer, &in); err != nil {
				close(stop)
				return nil, fmt.Errorf("open: %w: %s", err, answer)
			}
			id, c.title = in.ID, mark
		}
		// The first reads after the answer.
		for _, p := range []string{"/api/v2/incidents.json", "/", fmt.Sprintf("/incidents/%d", id)} {
			doc, err := c.get(p)
			if err != nil {
				close(stop)
				return nil, err
			}
			r.reads++
			if !strings.Contains(doc, mark) {
				r.stale++
			}
		}
		for seenAt.Load() == 0 && time.Since(began) < 10*time.Second {
			time.Sleep(time.Millisecond)
		}
		close(stop)
		r.write = append(r.write, took)
		if v := seenAt.Load(); v > 0 {
			r.visible = append(r.visible, time.Duration(v))
		} else {
			r.visible = append(r.visible, 10*time.Second)
		}
	}
	other, err := otherProcess(dsn, c, max(o.writes/3, 1))
	if err != nil {
		return nil, err
	}
	r.other = other
	return r, nil
}

// otherProcess writes through a store of its own and times until the
// server shows each write.
func otherProcess(dsn store.DSN, c *apiClient, n int) ([]time.Duration, error) {
	ctx := context.Background()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	svc := service.New(st, nil, nil)
	if err := svc.ReloadCatalog(ctx); err != nil {
		return nil, err
	}
	var out []time.Duration
	for i := range n {
		// Writes come at any moment, not in step with the server's poll.
		time.Sleep(rand.N(time.Second))
		mark := fmt.Sprintf("elsewhere-%d-%d", time.Now().UnixNano(), i)
		in, err := svc.OpenIncident(ctx, "bench", service.NewIncident{Title: mark, Body: "Opened by another process.",
			Components: map[string]status.ComponentStatus{"mom/web": status.PartialOutage}})
		if err != nil {
			return nil, err
		}
		committed := time.Now()
		for {
			doc, err := c.get("/api/v2/summary.json")
			if err != nil {
				return nil, err
			}
			if strings.Contains(doc, mark) {
				out = append(out, time.Since(committed))
				break
			}
			if time.Since(committed) > 30*time.Second {
				return nil, fmt.Errorf("the server never showed incident %d, written by another process", in.ID)
			}
			time.Sleep(time.Millisecond)
		}
		if _, err := svc.ResolveIncident(ctx, "bench", in.ID, service.Resolution{Body: "Done."}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// shows reports whether a summary shows mark, or, for a resolution (mark
// empty), no longer lists title.
func shows(doc, mark, title string) bool {
	if mark != "" {
		return strings.Contains(doc, mark)
	}
	return !strings.Contains(doc, `"name":"`+title+`"`)
}

type apiClient struct {
	base, token string
	title       string // the incident being written to
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

func (c *apiClient) do(method, path, body string) ([]byte, error) {
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		return nil, fmt.Errorf("%s %s: %s %s", method, path, resp.Status, b)
	}
	return b, nil
}

func (c *apiClient) get(path string) (string, error) {
	resp, err := httpClient.Get(c.base + path)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func median(v []time.Duration) time.Duration {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/agent"
	"github.com/heraldhq/herald/internal/cli"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// The probe agents' story, with three agents as processes of their own
// against a server on SQLite and on PostgreSQL. Each agent checks from a
// loopback address of its own (--source-address 127.0.0.2, .3, .4), and the
// target answers each by its source: that is each agent's view of the
// target, so the test can break one location's path and not another's.
func TestE2EAgents(t *testing.T) {
	cli.Parallel(t)
	herald(t)
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		agentStory(t, []string{"--data", dir}, store.DSN{DataDir: dir})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		url := storetest.PostgresURL(t)
		agentStory(t, []string{"--db", url}, store.DSN{URL: url})
	})
}

// target is a web server whose answer depends on who asks.
type target struct {
	mu      sync.Mutex
	failing map[string]bool // source IP -> answer 503
	url     string
}

func newTarget(t *testing.T) *target {
	tg := &target{failing: map[string]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		tg.mu.Lock()
		bad := tg.failing[host]
		tg.mu.Unlock()
		if bad {
			http.Error(w, "path trouble", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok\n")
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	tg.url = "http://" + ln.Addr().String() + "/"
	return tg
}

func (tg *target) fail(ip string, bad bool) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	tg.failing[ip] = bad
}

// alerts collects the operator alerts a webhook channel receives, as sent.
type alerts struct {
	mu     sync.Mutex
	titles []string
	url    string
}

func newAlerts(t *testing.T) *alerts {
	a := &alerts{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		a.mu.Lock()
		a.titles = append(a.titles, string(body))
		a.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	a.url = "http://" + ln.Addr().String() + "/hook"
	return a
}

func (a *alerts) has(sub string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range a.titles {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func (a *alerts) all() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return strings.Join(a.titles, "\n")
}

// agentProc is a running `herald agent`.
type agentProc struct {
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan struct{}
}

func startAgent(t *testing.T, serverURL, token, location, source, dir string) *agentProc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, herald(t), "agent", "--server", serverURL, "--token", token, "--location", location,
		"--data", dir, "--source-address", source)
	cmd.Env = baseEnv()
	p := &agentProc{cmd: cmd, log: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-p.done
		}
		cancel()
	})
	return p
}

type apiAgent struct {
	Location    string  `json:"location"`
	State       string  `json:"state"`
	LastSeenAt  *string `json:"last_seen_at"`
	SilentSince *string `json:"silent_since"`
	Results     int64   `json:"results"`
}

type apiOutage struct {
	Monitor   string  `json:"monitor"`
	StartedAt string  `json:"started_at"`
	EndedAt   *string `json:"ended_at"`
	Open      bool    `json:"open"`
}

// eventually polls cond until it holds; a readiness wait, not a timing assertion.
func eventuallyFor(t *testing.T, what string, within time.Duration, cond func() bool, dump func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s\n%s", what, within, dump())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func parseAPITime(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func agentStory(t *testing.T, storeArgs []string, dsn store.DSN) {
	const interval = time.Second
	tg := newTarget(t)
	al := newAlerts(t)
	config := filepath.Join(t.TempDir(), "herald.yaml")
	writeFile(t, config, fmt.Appendf(nil, `page:
  title: Agents
  url: https://status.example.net
  zone: America/Los_Angeles
incidents:
  auto: publish
groups:
  - id: flexo
    name: flexo
    components:
      - id: web
        name: Web sites
        monitors:
          - type: http
            url: %s
            interval: 1s
            timeout: 500ms
            down_after: 2
            up_after: 1
            locations: [fra-1, ams-1, nyc-1]
            quorum: majority
channels:
  - name: ops
    type: webhook
    url: %s
`, tg.url, al.url))

	read := createToken(t, "read", storeArgs...)
	srv := startServer(t, append([]string{"--config", config, "--webhook-allow", "127.0.0.0/8"}, storeArgs...)...)
	sources := map[string]string{"fra-1": "127.0.0.2", "ams-1": "127.0.0.3", "nyc-1": "127.0.0.4"}
	procs := map[string]*agentProc{}
	dirs := map[string]string{}
	for _, loc := range []string{"fra-1", "ams-1", "nyc-1"} {
		r := mustRun(t, nil, append([]string{"token", "create", "--scope", "agent", "--location", loc}, storeArgs...)...)
		tok := r.lastLine()
		if !strings.HasPrefix(tok, "hrld_") {
			t.Fatalf("token create --scope agent: last line %q is not a token", tok)
		}
		// An agent token opens nothing of the admin API.
		if code, body := api(t, http.MethodGet, srv.url+"/api/v1/incidents", tok, ""); code != http.StatusForbidden {
			t.Fatalf("an agent token read the incidents: %d %s", code, body)
		}
		dirs[loc] = t.TempDir()
		procs[loc] = startAgent(t, srv.url, tok, loc, sources[loc], dirs[loc])
	}
	agentsNow := func() map[string]apiAgent {
		var v struct {
			Agents []apiAgent `json:"agents"`
		}
		getJSON(t, srv, read, "/api/v1/agents", &v)
		out := map[string]apiAgent{}
		for _, a := range v.Agents {
			out[a.Location] = a
		}
		return out
	}
	monitorState := func() string {
		var v struct {
			Monitors []struct {
				ID    string `json:"id"`
				State string `json:"state"`
			} `json:"monitors"`
		}
		getJSON(t, srv, read, "/api/v1/monitors", &v)
		for _, m := range v.Monitors {
			if m.ID == "flexo/web/http" {
				return m.State
			}
		}
		return ""
	}
	outages := func() []apiOutage {
		var v struct {
			Outages []apiOutage `json:"outages"`
		}
		getJSON(t, srv, read, "/api/v1/outages", &v)
		return v.Outages
	}
	incidents := func() int {
		var v struct {
			Incidents []json.RawMessage `json:"incidents"`
		}
		getJSON(t, srv, read, "/api/v1/incidents", &v)
		return len(v.Incidents)
	}
	dump := func() string {
		var b strings.Builder
		fmt.Fprintf(&b, "agents: %+v\nmonitor: %s\noutages: %+v\nalerts:\n%s\nserver log:\n%s", agentsNow(), monitorState(), outages(), al.all(), srv.log.String())
		for loc, p := range procs {
			fmt.Fprintf(&b, "\nagent %s log:\n%s", loc, p.log.String())
		}
		return b.String()
	}

	eventuallyFor(t, "three agents report and the monitor is up", 30*time.Second, func() bool {
		ag := agentsNow()
		for _, loc := range []string{"fra-1", "ams-1", "nyc-1"} {
			if ag[loc].State != "reporting" || ag[loc].Results < 2 {
				return false
			}
		}
		return monitorState() == "up"
	}, dump)

	// One location's path fails: a note and an operator alert, no outage.
	tg.fail(sources["fra-1"], true)
	eventuallyFor(t, "an operator alert of path trouble from fra-1", 30*time.Second, func() bool {
		return al.has("flexo/web/http unreachable from fra-1")
	}, dump)
	// Three more intervals of fra-1 failing alone decide nothing.
	time.Sleep(3 * interval)
	if n := len(outages()); n != 0 || monitorState() != "up" || incidents() != 0 {
		t.Fatalf("one location of three failing made %d outages, %d incidents, monitor %s\n%s", n, incidents(), monitorState(), dump())
	}

	// A second location fails: a quorum of two of three; the outage starts
	// at the first failed check of ams-1's run, which came after the break.
	broke := time.Now().UTC()
	tg.fail(sources["ams-1"], true)
	var out apiOutage
	eventuallyFor(t, "an outage once two of three locations fail", 30*time.Second, func() bool {
		o := outages()
		if len(o) == 1 {
			out = o[0]
		}
		return len(o) == 1
	}, dump)
	start := parseAPITime(t, out.StartedAt)
	// The API gives whole seconds; ams-1's first failed check is within one
	// interval of the break (its slots are one interval apart).
	if start.Before(broke.Truncate(time.Second)) || start.After(broke.Add(interval)) {
		t.Fatalf("the outage started at %s; ams-1 broke at %s, so its first failed check is in [%s, %s]\n%s",
			start, broke, broke.Truncate(time.Second), broke.Add(interval), dump())
	}
	eventuallyFor(t, "an incident from the outage", 60*time.Second, func() bool { return incidents() == 1 }, dump)

	// Both paths heal: the outage ends at the first success that restored the quorum.
	healed := time.Now().UTC()
	tg.fail(sources["fra-1"], false)
	tg.fail(sources["ams-1"], false)
	eventuallyFor(t, "the outage ends", 30*time.Second, func() bool {
		o := outages()
		return len(o) == 1 && !o[0].Open && o[0].EndedAt != nil
	}, dump)
	end := parseAPITime(t, *outages()[0].EndedAt)
	if end.Before(healed.Truncate(time.Second)) || end.After(healed.Add(interval)) {
		t.Fatalf("the outage ended at %s; the paths healed at %s\n%s", end, healed, dump())
	}

	// Each location's own intervals are kept: the outage began where ams-1's did.
	var ivs struct {
		Intervals []struct {
			Location  string  `json:"location"`
			StartedAt string  `json:"started_at"`
			EndedAt   *string `json:"ended_at"`
		} `json:"intervals"`
	}
	seen := map[string]string{}
	eventuallyFor(t, "both locations' intervals end", 30*time.Second, func() bool {
		getJSON(t, srv, read, "/api/v1/location-intervals?component=flexo/web", &ivs)
		clear(seen)
		for _, iv := range ivs.Intervals {
			if iv.EndedAt == nil {
				return false
			}
			seen[iv.Location] = iv.StartedAt
		}
		return true
	}, func() string { return fmt.Sprintf("%+v\n%s", ivs, dump()) })
	if len(seen) != 2 || seen["ams-1"] != out.StartedAt || seen["fra-1"] == "" {
		t.Fatalf("location intervals %+v; want fra-1's and ams-1's, the outage (from %s) starting with ams-1's", ivs, out.StartedAt)
	}

	// The server stops for a while; the agents keep checking and send
	// everything once it is back: no result lost.
	srv.stop(t)
	stopped := time.Now().UTC()
	time.Sleep(5 * time.Second)
	srv2, err := tryStartAt(t, strings.TrimPrefix(srv.url, "http://"), append([]string{"--config", config, "--webhook-allow", "127.0.0.0/8"}, storeArgs...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if code := srv2.stop(t); code != 0 {
			t.Errorf("herald serve exited %d on SIGTERM; its log:\n%s", code, srv2.log.String())
		}
	})
	srv = srv2
	back := time.Now().UTC()
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ats := func() []time.Time {
		out, err := st.AgentResultTimes(context.Background(), "fra-1", stopped.Add(-2*time.Second), time.Now().Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	eventuallyFor(t, "the buffered results reach the server", 30*time.Second, func() bool {
		a := ats()
		return len(a) > 0 && a[len(a)-1].After(back)
	}, dump)
	var times []time.Time
	for _, at := range ats() {
		if !at.After(back) {
			times = append(times, at)
		}
	}
	if want := int(back.Sub(stopped.Add(-2*time.Second))/interval) - 2; len(times) < want {
		t.Fatalf("fra-1 has %d results over the %s the server was away (and 2 s before); want at least %d\n%s", len(times), back.Sub(stopped), want, dump())
	}
	for i := 1; i < len(times); i++ {
		if gap := times[i].Sub(times[i-1]); gap > 3*interval {
			t.Fatalf("fra-1's results have a gap of %s while the server was away: lost\n%s", gap, dump())
		}
	}

	// An agent killed without a word: its alert, within twice the interval
	// (the decider looks once a second, and the API gives whole seconds).
	_ = procs["nyc-1"].cmd.Process.Signal(syscall.SIGKILL)
	<-procs["nyc-1"].done
	eventuallyFor(t, "nyc-1 counted out", 30*time.Second, func() bool { return agentsNow()["nyc-1"].State == "silent" }, dump)
	nyc := agentsNow()["nyc-1"]
	last, silent := parseAPITime(t, *nyc.LastSeenAt), parseAPITime(t, *nyc.SilentSince)
	if d := silent.Sub(last); d > 2*interval+2*time.Second {
		t.Fatalf("nyc-1 was counted out %s after its last contact; want within twice its interval (plus a pass)", d)
	}
	eventuallyFor(t, "an operator alert of the silent agent", 30*time.Second, func() bool { return al.has("agent nyc-1 is silent") }, dump)
}

// serverAway is how long TestE2EAgentsServerAway keeps the server stopped:
// the "the server stopped for two minutes".
const serverAway = 2 * time.Minute

// The server stopped for two minutes, three agents checking on meanwhile:
// once it is back, no result is lost. Each agent says, as it stops, how many
// results its run made; every one of them is exactly once either stored
// (the server keeps a result sent twice once) or still in the agent's buffer
// on disk, and the buffer dropped none. SQLite only: the wait is the test,
// and it runs beside the others from the moment the serial tests end, in no
// place of the bound (cli.Waiter), to keep the package's time; TestE2EAgents
// covers PostgreSQL.
func TestE2EAgentsServerAway(t *testing.T) {
	cli.Waiter(t)
	herald(t)
	dir := t.TempDir()
	storeArgs := []string{"--data", dir}
	tg := newTarget(t)
	config := filepath.Join(t.TempDir(), "herald.yaml")
	writeFile(t, config, fmt.Appendf(nil, `page:
  title: Agents
  url: https://status.example.net
  zone: America/Los_Angeles
groups:
  - id: flexo
    name: flexo
    components:
      - id: web
        name: Web sites
        monitors:
          - type: http
            url: %s
            interval: 1s
            timeout: 500ms
            locations: [fra-1, ams-1, nyc-1]
`, tg.url))
	read := createToken(t, "read", storeArgs...)
	serveArgs := append([]string{"--config", config}, storeArgs...)
	srv := startServer(t, serveArgs...)
	places := []string{"fra-1", "ams-1", "nyc-1"}
	sources := map[string]string{"fra-1": "127.0.0.2", "ams-1": "127.0.0.3", "nyc-1": "127.0.0.4"}
	procs := map[string]*agentProc{}
	dirs := map[string]string{}
	for _, loc := range places {
		tok := mustRun(t, nil, append([]string{"token", "create", "--scope", "agent", "--location", loc}, storeArgs...)...).lastLine()
		dirs[loc] = t.TempDir()
		procs[loc] = startAgent(t, srv.url, tok, loc, sources[loc], dirs[loc])
	}
	stored := func(s *server) map[string]int64 {
		var v struct {
			Agents []apiAgent `json:"agents"`
		}
		getJSON(t, s, read, "/api/v1/agents", &v)
		out := map[string]int64{}
		for _, a := range v.Agents {
			out[a.Location] = a.Results
		}
		return out
	}
	dump := func() string {
		var b strings.Builder
		fmt.Fprintf(&b, "server log:\n%s", srv.log.String())
		for _, loc := range places {
			fmt.Fprintf(&b, "\nagent %s log:\n%s", loc, procs[loc].log.String())
		}
		return b.String()
	}
	eventuallyFor(t, "three agents report", 30*time.Second, func() bool {
		n := stored(srv)
		return n["fra-1"] >= 2 && n["ams-1"] >= 2 && n["nyc-1"] >= 2
	}, dump)

	if code := srv.stop(t); code != 0 {
		t.Fatalf("herald serve exited %d on SIGTERM\n%s", code, dump())
	}
	time.Sleep(serverAway)
	srv2, err := tryStartAt(t, strings.TrimPrefix(srv.url, "http://"), serveArgs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv2.stop(t) })
	srv = srv2
	// Each agent has checked once a second all along: once the server has
	// more from each than it was away seconds, their buffers have drained
	// (a readiness wait: what is counted exactly is below).
	eventuallyFor(t, "the buffered results reach the server", 60*time.Second, func() bool {
		n := stored(srv)
		for _, loc := range places {
			if n[loc] < int64(serverAway/time.Second) {
				return false
			}
		}
		return true
	}, dump)

	st, err := store.Open(context.Background(), store.DSN{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, loc := range places {
		p := procs[loc]
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			t.Fatalf("agent %s did not stop within 20 s of SIGTERM\n%s", loc, dump())
		}
		run, made, dropped := agentStopped(t, loc, p.log.String())
		if dropped != 0 {
			t.Errorf("agent %s's buffer dropped %d results", loc, dropped)
		}
		// Every result of the run, by its id (RUN-SEQ, SEQ from 1 up).
		kept := map[string]bool{}
		rows, err := st.DB().QueryContext(context.Background(), `SELECT rid FROM agent_results WHERE location = ?`, loc)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var rid string
			if err := rows.Scan(&rid); err != nil {
				t.Fatal(err)
			}
			kept[rid] = true
		}
		rows.Close()
		storedN := len(kept)
		buf, err := agent.OpenBuffer(filepath.Join(dirs[loc], "buffer"), 100_000)
		if err != nil {
			t.Fatal(err)
		}
		buffered := 0
		for {
			id, rs, ok, err := buf.Oldest()
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			for _, r := range rs {
				kept[r.RID] = true
				buffered++
			}
			buf.Done(id)
		}
		var lost []string
		for seq := int64(1); seq <= made; seq++ {
			if rid := fmt.Sprintf("%s-%d", run, seq); !kept[rid] {
				lost = append(lost, rid)
			}
		}
		if len(lost) > 0 || len(kept) != int(made) {
			t.Errorf("agent %s made %d results; the server holds %d and the buffer %d; missing %d: %v; %d ids not of the run",
				loc, made, storedN, buffered, len(lost), lost[:min(len(lost), 10)], len(kept)-int(made)+len(lost))
		}
		t.Logf("agent %s: made %d results (the server away %s): the server holds %d, the buffer %d at the stop (%d of them both: sent as it stopped, its answer lost)",
			loc, made, serverAway, storedN, buffered, storedN+buffered-len(kept))
	}
}

// agentStopped reads an agent's "agent stopped" log line: its run's id, the
// results it made and those its buffer ever dropped.
func agentStopped(t *testing.T, loc, log string) (run string, made, dropped int64) {
	t.Helper()
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, `msg="agent stopped"`) {
			continue
		}
		found := 0
		for _, f := range strings.Fields(line) {
			k, v, _ := strings.Cut(f, "=")
			var err error
			switch k {
			case "run":
				run, found = v, found+1
			case "made":
				made, err = strconv.ParseInt(v, 10, 64)
				found++
			case "dropped":
				dropped, err = strconv.ParseInt(v, 10, 64)
				found++
			}
			if err != nil {
				t.Fatalf("agent %s: %q in %q: %v", loc, f, line, err)
			}
		}
		if found == 3 {
			return run, made, dropped
		}
	}
	t.Fatalf("agent %s never logged how many results it made:\n%s", loc, log)
	return "", 0, 0
}

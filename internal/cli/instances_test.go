package cli_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/lease"
	"github.com/heraldhq/herald/internal/notify/smtpsink"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// fleetTargets is a loopback web server with one path per monitor: it
// counts and times the checks each path gets, and fails the paths it is told to.
type fleetTargets struct {
	mu      sync.Mutex
	hits    map[string][]time.Time
	failing map[string]time.Time // since when
	srv     *httptest.Server
}

func newFleetTargets(t *testing.T) *fleetTargets {
	f := &fleetTargets{hits: map[string][]time.Time{}, failing: map[string]time.Time{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.hits[r.URL.Path] = append(f.hits[r.URL.Path], time.Now())
		_, down := f.failing[r.URL.Path]
		f.mu.Unlock()
		if down {
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("Welcome"))
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fleetTargets) fail(path string, on bool) time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	if on {
		f.failing[path] = now
	} else {
		delete(f.failing, path)
	}
	return now
}

// checkedAfter reports whether path was checked after at.
func (f *fleetTargets) checkedAfter(path string, at time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.hits[path]
	return len(h) > 0 && h[len(h)-1].After(at)
}

// threeInstanceFleet is 12 servers with a web and a mail component each, a
// monitor on each at 1 s: 24 monitors spread over the probe shards.
func threeInstanceFleet(targets string, smtp string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `page: {title: Test Hosting, url: https://status.example.net, zone: America/Los_Angeles}
incidents: {auto: publish, hold: 2s}
notify:
  email: {smtp: "%s", from: "Status <status@example.net>", tls: none, rate_per_second: 100}
channels:
  - {name: ops, type: email, to: [ops@example.net]}
groups:
`, smtp)
	for i := range 12 {
		fmt.Fprintf(&b, `  - id: s%d
    name: s%d
    components:
      - id: web
        name: Web sites
        monitors:
          - {type: http, url: "%s/s%d/web", interval: 1s, timeout: 500ms, down_after: 2, up_after: 1}
      - id: email
        name: E-mail
        monitors:
          - {type: http, url: "%s/s%d/email", interval: 1s, timeout: 500ms, down_after: 2, up_after: 1}
`, i, i, targets, i, targets, i)
	}
	return b.String()
}

// monitorPath is the target path of monitor "s3/web/http".
func monitorPath(id string) string {
	return "/" + strings.TrimSuffix(id, "/http")
}

// Three `herald serve` on one PostgreSQL database share the monitors and the
// decisions. One of them, the one deciding, is killed with SIGKILL while an
// incident it opened is open; the others take its monitors and decisions
// over: its monitors are checked again within 20 s, an outage starting just
// after the kill is measured from no later than one lease term after it
// began, the incident it opened is resolved and the new one opened and
// resolved, each told once by e-mail, none doubled; and what one instance
// writes is on the others' pages within 2 s.
func TestE2EThreeInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three servers")
	}
	dsn := storetest.FreshDatabase(t)
	sink, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	targets := newFleetTargets(t)
	cfgPath := filepath.Join(t.TempDir(), "herald.yaml")
	writeFile(t, cfgPath, []byte(threeInstanceFleet(targets.srv.URL, sink.Addr)))

	// Started at the same moment on a fresh database: they migrate it together.
	servers := make([]*server, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range servers {
		wg.Go(func() { servers[i], errs[i] = tryStart(t, []string{"--config", cfgPath, "--db", dsn}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
	}
	killed := -1
	t.Cleanup(func() {
		for i, s := range servers {
			if i == killed {
				continue
			}
			if code := s.stop(t); code != 0 {
				t.Errorf("instance %d exited %d on SIGTERM; its log:\n%s", i, code, s.log.String())
			}
		}
	})
	token := createToken(t, "write", "--db", dsn)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	// Every instance takes its share of the shards.
	var holders map[int]int // shard -> instance
	deadline(t, "the shards spread over the three instances", 60*time.Second, func() (bool, string) {
		holders = shardHolders(t, db, servers)
		per := map[int]int{}
		for _, i := range holders {
			per[i]++
		}
		return len(holders) == lease.ShardCount && len(per) == 3 && per[0] >= 20 && per[1] >= 20 && per[2] >= 20, fmt.Sprint(per)
	})
	decider := -1
	deadline(t, "an instance holding the decisions lease", 30*time.Second, func() (bool, string) {
		decider = leaseHolder(t, db, servers, "decisions")
		return decider >= 0, ""
	})
	// The monitors each instance runs, by the shard of their id.
	runs := map[int][]string{}
	for g := range 12 {
		for _, c := range []string{"web", "email"} {
			id := fmt.Sprintf("s%d/%s/http", g, c)
			runs[holders[lease.ShardOf(id)]] = append(runs[holders[lease.ShardOf(id)]], id)
		}
	}
	victim := decider
	if len(runs[victim]) < 2 {
		t.Skipf("the deciding instance runs %d monitors of 24; the test needs two", len(runs[victim]))
	}
	var total int
	for i := range 3 {
		total += len(runs[i])
	}
	if total != 24 {
		t.Fatalf("%d monitors assigned, want 24", total)
	}
	// Every monitor is checked, each by one instance: the checks of a path
	// come about once a second, not three times.
	start := time.Now()
	deadline(t, "every monitor checked", 30*time.Second, func() (bool, string) {
		for _, ids := range runs {
			for _, id := range ids {
				if !targets.checkedAfter(monitorPath(id), start) {
					return false, id
				}
			}
		}
		return true, ""
	})
	windowFrom := time.Now()
	time.Sleep(4 * time.Second)
	windowTo := time.Now()
	targets.mu.Lock()
	for _, ids := range runs {
		for _, id := range ids {
			n := 0
			for _, at := range targets.hits[monitorPath(id)] {
				if at.After(windowFrom) && !at.After(windowTo) {
					n++
				}
			}
			if n > 6 {
				t.Errorf("monitor %s checked %d times in 4 s at a 1 s interval: more than one instance runs it", id, n)
			}
		}
	}
	targets.mu.Unlock()

	// A change made through one instance is on the others' pages within 2 s.
	for from := range 3 {
		title := fmt.Sprintf("Planned note %d", from)
		code, body := api(t, http.MethodPost, servers[from].url+"/api/v1/incidents", token,
			fmt.Sprintf(`{"title": %q, "body": "Looking.", "impact": "none", "components": {"s11/web": "operational"}}`, title))
		if code != http.StatusCreated {
			t.Fatalf("create an incident through instance %d: %d %s", from, code, body)
		}
		made := time.Now()
		for to := range 3 {
			if to == from {
				continue
			}
			deadline(t, fmt.Sprintf("the incident made through instance %d on instance %d's page", from, to), 2*time.Second-time.Since(made), func() (bool, string) {
				_, page := servers[to].get(t, "/api/v2/incidents.json")
				return strings.Contains(string(page), title), ""
			})
		}
	}

	// The victim runs first and second; first fails now and its incident
	// opens, decided by the victim.
	first, second := runs[victim][0], runs[victim][1]
	firstGroup, secondGroup := strings.Split(first, "/")[0], strings.Split(second, "/")[0]
	if firstGroup == secondGroup {
		for _, id := range runs[victim][2:] {
			if strings.Split(id, "/")[0] != firstGroup {
				second, secondGroup = id, strings.Split(id, "/")[0]
				break
			}
		}
	}
	targets.fail(monitorPath(first), true)
	// The measured state shows on every instance's page at about the same
	// time: first on one, on all within 2 s.
	comp := strings.TrimSuffix(first, "/http")
	var firstSeen time.Time
	deadline(t, "the outage of "+first+" on a page", 30*time.Second, func() (bool, string) {
		for _, s := range servers {
			if componentStatus(t, s, comp) == "major_outage" {
				firstSeen = time.Now()
				return true, ""
			}
		}
		return false, ""
	})
	for i, s := range servers {
		deadline(t, fmt.Sprintf("the outage of %s on instance %d's page", first, i), 2*time.Second-time.Since(firstSeen), func() (bool, string) {
			return componentStatus(t, s, comp) == "major_outage", ""
		})
	}
	deadline(t, "the incident of "+firstGroup+" published", 30*time.Second, func() (bool, string) {
		return len(autoIncidents(t, servers[(victim+1)%3], token)) == 1, ""
	})

	// Its e-mail is out first: a delivery in flight when a process is
	// killed is sent again after its claim expires, which a receiver
	// tells by its Message-ID; that is not what this test is about.
	deadline(t, "the incident of "+firstGroup+" e-mailed", 30*time.Second, func() (bool, string) {
		for _, m := range sink.Messages() {
			if h, err := m.Header(); err == nil && strings.Contains(h.Get("Subject"), " on "+firstGroup+" ") {
				return true, ""
			}
		}
		return false, ""
	})

	// SIGKILL the deciding instance; a second monitor it ran fails just after.
	if err := servers[victim].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-servers[victim].done
	killed = victim
	killedAt := time.Now()
	failedAt := targets.fail(monitorPath(second), true)
	live := slices.Delete([]int{0, 1, 2}, victim, victim+1)

	for _, id := range runs[victim] {
		if id == second {
			continue
		}
		deadline(t, "monitor "+id+" of the killed instance checked again", 20*time.Second-time.Since(killedAt), func() (bool, string) {
			return targets.checkedAfter(monitorPath(id), killedAt), ""
		})
	}
	t.Logf("the killed instance's %d monitors were all checked again %s after the kill", len(runs[victim])-1, time.Since(killedAt).Round(time.Millisecond))
	// The outage that began after the kill is measured from no later than
	// one lease term (plus its two failing checks) after it began.
	var started time.Time
	deadline(t, "the outage of "+second+" recorded", 40*time.Second, func() (bool, string) {
		var out struct {
			Outages []struct {
				Monitor   string `json:"monitor"`
				StartedAt string `json:"started_at"`
			} `json:"outages"`
		}
		getJSON(t, servers[live[0]], token, "/api/v1/outages?component="+strings.TrimSuffix(second, "/http"), &out)
		for _, o := range out.Outages {
			if o.Monitor == second {
				started, _ = time.Parse(time.RFC3339Nano, o.StartedAt)
				return true, ""
			}
		}
		return false, fmt.Sprint(out)
	})
	t.Logf("the outage that began after the kill was measured from %s after it began", started.Sub(failedAt).Round(time.Millisecond))
	if late := started.Sub(failedAt); late > lease.ShardTTL+3*time.Second {
		t.Errorf("the outage of %s that began at %s was measured from %s: %s late, more than one lease term (%s)",
			second, failedAt.Format(time.TimeOnly), started.Format(time.TimeOnly), late.Round(time.Millisecond), lease.ShardTTL)
	}

	// Both recover; every incident is resolved, once.
	deadline(t, "the second incident published", 40*time.Second, func() (bool, string) {
		return len(autoIncidents(t, servers[live[0]], token)) == 2, ""
	})
	targets.fail(monitorPath(first), false)
	targets.fail(monitorPath(second), false)
	var incidents []apiIncident
	deadline(t, "both incidents resolved", 60*time.Second, func() (bool, string) {
		incidents = autoIncidents(t, servers[live[1]], token)
		for _, in := range incidents {
			if in.Status != "resolved" {
				return false, in.Title + ": " + in.Status
			}
		}
		return len(incidents) == 2, fmt.Sprint(len(incidents))
	})
	titles := map[string]bool{}
	for _, in := range incidents {
		if titles[in.Title] {
			t.Errorf("incident %q opened twice", in.Title)
		}
		titles[in.Title] = true
		if len(in.Updates) != 2 {
			var bodies []string
			for _, u := range in.Updates {
				bodies = append(bodies, u.Status+": "+u.Body)
			}
			t.Errorf("incident %q has %d updates, want 2 (opened, resolved):\n%s", in.Title, len(in.Updates), strings.Join(bodies, "\n"))
		}
	}
	for _, g := range []string{firstGroup, secondGroup} {
		found := false
		for title := range titles {
			found = found || strings.Contains(title, " on "+g+" ")
		}
		if !found {
			t.Errorf("no incident names %s: %v", g, titles)
		}
	}
	// Every update of every incident is e-mailed to the operators once: the
	// same message (its Message-ID) never twice, none missing.
	want := 0
	for _, in := range incidents {
		want += len(in.Updates)
	}
	deadline(t, "every update e-mailed", 60*time.Second, func() (bool, string) {
		n := 0
		for _, m := range sink.Messages() {
			if h, err := m.Header(); err == nil && strings.Contains(h.Get("Subject"), "not responding") {
				n++
			}
		}
		return n >= want, strconv.Itoa(n)
	})
	time.Sleep(3 * time.Second) // a doubled message would be on its way
	seen := map[string]int{}
	bySubject := map[string]int{}
	for _, m := range sink.Messages() {
		h, err := m.Header()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(h.Get("Subject"), "not responding") {
			continue
		}
		seen[h.Get("Message-Id")]++
		bySubject[h.Get("Subject")]++
	}
	got := 0
	for id, n := range seen {
		got += n
		if n > 1 {
			t.Errorf("e-mail %s sent %d times", id, n)
		}
	}
	if got != want {
		t.Errorf("%d e-mails about the incidents, want one per update (%d): %v", got, want, bySubject)
	}
	if t.Failed() {
		for _, i := range live {
			t.Logf("instance %d's log:\n%s", i, servers[i].log.String())
		}
	}
}

// deadline polls check until it holds, and fails the test if it does not
// within d: an end-to-end deadline on real processes.
func deadline(t *testing.T, what string, d time.Duration, check func() (bool, string)) {
	t.Helper()
	end := time.Now().Add(d)
	for {
		ok, last := check()
		if ok {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("%s: not within %s; last seen: %s", what, d.Round(time.Millisecond), last)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// shardHolders maps each held shard to the instance holding it.
func shardHolders(t *testing.T, db *sql.DB, servers []*server) map[int]int {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), `SELECT name, holder FROM leases WHERE name LIKE 'shard:%' AND expires_at > $1`, time.Now().UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int]int{}
	for rows.Next() {
		var name, holder string
		if err := rows.Scan(&name, &holder); err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.Atoi(strings.TrimPrefix(name, "shard:"))
		if i := instanceOf(holder, servers); i >= 0 {
			out[n] = i
		}
	}
	return out
}

func leaseHolder(t *testing.T, db *sql.DB, servers []*server, name string) int {
	t.Helper()
	var holder string
	err := db.QueryRowContext(context.Background(), `SELECT holder FROM leases WHERE name = $1 AND expires_at > $2`, name, time.Now().UnixMilli()).Scan(&holder)
	if err != nil {
		return -1
	}
	return instanceOf(holder, servers)
}

// instanceOf finds the server whose process id a lease holder names (host:pid:random).
func instanceOf(holder string, servers []*server) int {
	parts := strings.Split(holder, ":")
	if len(parts) < 3 {
		return -1
	}
	pid, _ := strconv.Atoi(parts[len(parts)-2])
	for i, s := range servers {
		if s.cmd.Process.Pid == pid {
			return i
		}
	}
	return -1
}

func componentStatus(t *testing.T, s *server, id string) string {
	t.Helper()
	var v struct {
		Components []struct {
			ID      string `json:"id"`
			Name    string `json:"name"`
			Status  string `json:"status"`
			GroupID string `json:"group_id"`
			Group   bool   `json:"group"`
		} `json:"components"`
	}
	_, body := s.get(t, "/api/v2/components.json")
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("components.json: %v", err)
	}
	group, name := id[:strings.IndexByte(id, '/')], "Web sites"
	if strings.HasSuffix(id, "/email") {
		name = "E-mail"
	}
	groupIDs := map[string]string{}
	for _, c := range v.Components {
		if c.Group && c.Name == group {
			groupIDs[c.ID] = c.Name
		}
	}
	for _, c := range v.Components {
		if c.Name == name && groupIDs[c.GroupID] == group {
			return c.Status
		}
	}
	return ""
}

// autoIncidents lists the incidents opened from outages (the test's own
// notes say "Planned note").
func autoIncidents(t *testing.T, s *server, token string) []apiIncident {
	t.Helper()
	var out struct {
		Incidents []apiIncident `json:"incidents"`
	}
	getJSON(t, s, token, "/api/v1/incidents", &out)
	var auto []apiIncident
	for _, in := range out.Incidents {
		if !strings.HasPrefix(in.Title, "Planned note") {
			auto = append(auto, in)
		}
	}
	return auto
}

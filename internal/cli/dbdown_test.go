package cli_test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/cli"
)

// cluster is a PostgreSQL cluster of a test's own, which it may stop and
// start; the shared server on 5432 is never touched.
type cluster struct {
	version, name, url string
}

// newCluster creates and starts a private cluster on a free port and drops
// it when the test ends. It needs Debian's pg_createcluster and root; the
// test is skipped without them, unless HERALD_REQUIRE_POSTGRES=1.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	missing := func(why string) {
		t.Helper()
		if os.Getenv("HERALD_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("HERALD_REQUIRE_POSTGRES=1 but %s", why)
		}
		t.Skip(why + "; skipping the test that stops PostgreSQL")
	}
	if _, err := exec.LookPath("pg_createcluster"); err != nil {
		missing("pg_createcluster is not installed")
	}
	if os.Geteuid() != 0 {
		missing("pg_createcluster needs root")
	}
	versions, err := os.ReadDir("/etc/postgresql")
	if err != nil || len(versions) == 0 {
		missing("no PostgreSQL version under /etc/postgresql")
	}
	var names []string
	for _, v := range versions {
		names = append(names, v.Name())
	}
	slices.Sort(names)
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	c := &cluster{version: names[len(names)-1], name: "herald_test_" + hex.EncodeToString(b[:])}
	port := freePort(t)
	run := func(args ...string) {
		t.Helper()
		out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("pg_createcluster", c.version, c.name, "-p", fmt.Sprint(port), "--", "--auth=trust")
	t.Cleanup(func() {
		if out, err := exec.Command("pg_dropcluster", "--stop", c.version, c.name).CombinedOutput(); err != nil {
			t.Errorf("drop the test's cluster %s %s: %v\n%s", c.version, c.name, err, out)
		}
	})
	c.url = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	c.ctl(t, "start")
	return c
}

// ctl starts or stops the cluster.
func (c *cluster) ctl(t *testing.T, action string) {
	t.Helper()
	args := []string{"--skip-systemctl-redirect", c.version, c.name, action}
	if action == "stop" {
		args = append(args, "-m", "fast")
	}
	if out, err := exec.Command("pg_ctlcluster", args...).CombinedOutput(); err != nil {
		t.Fatalf("pg_ctlcluster %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// freePort is freeAddr's port.
func freePort(t *testing.T) int {
	t.Helper()
	_, port, err := net.SplitHostPort(freeAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// get fetches a public path.
func (s *server) get(t *testing.T, path string) (int, []byte) {
	t.Helper()
	return api(t, http.MethodGet, s.url+path, "", "")
}

// eventually polls check until it holds; the deadline only turns a hang
// into a failure.
func eventually(t *testing.T, what string, check func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ok, last := check()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never happened; last seen: %s", what, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type liveComponents struct {
	Components []struct{ ID, Name, Status string }
	Live       *struct {
		Recorded bool
		Note     string
	} `json:"live_status"`
}

func (s *server) components(t *testing.T) (liveComponents, string) {
	t.Helper()
	code, body := s.get(t, "/api/v2/components.json")
	var doc liveComponents
	if code != http.StatusOK || json.Unmarshal(body, &doc) != nil {
		t.Fatalf("components.json: %d %s", code, body)
	}
	return doc, string(body)
}

func (doc liveComponents) status(name string) string {
	for _, c := range doc.Components {
		if c.Name == name {
			return c.Status
		}
	}
	return ""
}

func (s *server) readyz(t *testing.T) (int, map[string]string) {
	t.Helper()
	code, body := s.get(t, "/readyz")
	var out map[string]string
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("/readyz: %d %s", code, body)
	}
	return code, out
}

// With PostgreSQL stopped, what the monitors measure still reaches /,
// /api/v2 and /metrics, marked as not yet recorded; /readyz stays 200 and
// says writes fail; writes answer 503. When the database is back, the
// measurement is recorded and the mark goes.
func TestE2ELiveStatusWhileTheDatabaseIsDown(t *testing.T) {
	cli.Parallel(t)
	herald(t)
	pg := newCluster(t)
	var failing atomic.Bool
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if failing.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	defer target.Close()
	config := filepath.Join(t.TempDir(), "herald.yaml")
	writeFile(t, config, []byte(fmt.Sprintf(`page:
  title: Example Hosting Status
  url: https://status.example.net
  zone: America/Los_Angeles
incidents:
  auto: off
groups:
  - id: flexo
    name: flexo
    components:
      - id: web
        name: Web sites
        monitors:
          - type: http
            url: %s/
            interval: 1s
            timeout: 500ms
            down_after: 2
            up_after: 1
`, target.URL)))
	token := createToken(t, "write", "--db", pg.url)
	s := startServer(t, "--config", config, "--db", pg.url)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("herald serve's log:\n%s", s.log.String())
		}
	})

	if code, ready := s.readyz(t); code != http.StatusOK || ready["page"] != "ok" || ready["writes"] != "ok" {
		t.Fatalf("/readyz with the database up: %d %v", code, ready)
	}
	// A check measured, not only the page's default: the instance runs
	// its monitors once it holds their probe shard, which it claims in
	// the database. Stopped before that, it would measure nothing (seen
	// as a flake when the stop came 0.4 s after the start).
	eventually(t, "the first check", func() (bool, string) {
		_, metrics := s.get(t, "/metrics")
		checked := grepLines(string(metrics), "herald_monitor_state{")
		doc, raw := s.components(t)
		return strings.Contains(checked, "flexo/web") && strings.HasSuffix(strings.TrimSpace(checked), " 0") &&
			doc.status("Web sites") == "operational" && doc.Live == nil, raw + "\n" + checked
	})

	pg.ctl(t, "stop")
	failing.Store(true)
	eventually(t, "the failure measured while the database is down reaching components.json", func() (bool, string) {
		doc, raw := s.components(t)
		return doc.status("Web sites") == "major_outage" && doc.Live != nil && !doc.Live.Recorded, raw
	})
	_, metrics := s.get(t, "/metrics")
	if !strings.Contains(string(metrics), `herald_component_down{component="flexo/web"} 1`) {
		t.Errorf("/metrics does not show flexo/web down:\n%s", grepLines(string(metrics), "herald_component_down"))
	}
	_, page := s.get(t, "/")
	if !strings.Contains(string(page), "not yet recorded") {
		t.Error("/ has no not-yet-recorded note")
	}
	eventually(t, "/readyz saying writes fail", func() (bool, string) {
		code, ready := s.readyz(t)
		if code != http.StatusOK || ready["page"] != "ok" {
			t.Fatalf("/readyz with the database down: %d %v; want 200 and page ok: the page is served", code, ready)
		}
		return ready["writes"] == "failing: the database cannot be reached", fmt.Sprint(ready)
	})
	code, body := api(t, http.MethodPost, s.url+"/api/v1/incidents", token,
		`{"title": "Web sites on flexo unreachable", "body": "Looking.", "components": {"flexo/web": "major_outage"}}`)
	if code != http.StatusServiceUnavailable || !strings.Contains(string(body), "database") {
		t.Errorf("a write with the database down: %d %s; want 503 with the reason", code, body)
	}

	pg.ctl(t, "start")
	eventually(t, "the measurement recorded once the database is back", func() (bool, string) {
		doc, raw := s.components(t)
		return doc.status("Web sites") == "major_outage" && doc.Live == nil, raw
	})
	eventually(t, "/readyz saying writes work again", func() (bool, string) {
		_, ready := s.readyz(t)
		return ready["writes"] == "ok", fmt.Sprint(ready)
	})
	var open struct {
		Outages []struct{ Component string }
	}
	getJSON(t, s, token, "/api/v1/outages?open=true", &open)
	if len(open.Outages) != 1 || open.Outages[0].Component != "flexo/web" {
		t.Errorf("open outages once the database is back: %+v; want flexo/web's", open.Outages)
	}
}

func grepLines(s, word string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

package cli_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the pgx database/sql driver

	"github.com/heraldhq/herald/internal/cli"
)

// newReplica makes a hot standby of primary, streaming from it on
// loopback: replication is let in from 127.0.0.1, a second cluster of the
// test's own is emptied and filled by pg_basebackup -R, and started. Both
// are dropped when the test ends (newCluster's cleanup).
func newReplica(t *testing.T, primary *cluster) *cluster {
	t.Helper()
	run := func(args ...string) {
		t.Helper()
		out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	hba := filepath.Join("/etc/postgresql", primary.version, primary.name, "pg_hba.conf")
	f, err := os.OpenFile(hba, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString("\nhost replication all 127.0.0.1/32 trust\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	primary.ctl(t, "reload")

	replica := newCluster(t)
	replica.ctl(t, "stop")
	data := filepath.Join("/var/lib/postgresql", replica.version, replica.name)
	entries, err := os.ReadDir(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(data, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	pu, err := url.Parse(primary.url)
	if err != nil {
		t.Fatal(err)
	}
	run("pg_basebackup", "-h", pu.Hostname(), "-p", pu.Port(), "-U", "postgres", "-D", data, "-R", "-X", "stream", "--checkpoint=fast")
	run("chown", "-R", "postgres:postgres", data)
	run("chmod", "0700", data)
	replica.ctl(t, "start")
	return replica
}

// sqlOn runs one statement on a cluster.
func sqlOn(t *testing.T, c *cluster, query string) {
	t.Helper()
	db, err := sql.Open("pgx", c.url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// postForm sends a form and returns the status and body.
func postForm(t *testing.T, target string, form url.Values) (int, string) {
	t.Helper()
	resp, err := httpClient.PostForm(target, form)
	if err != nil {
		t.Fatalf("POST %s: %v", target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("POST %s: reading the answer: %v", target, err)
	}
	return resp.StatusCode, string(b)
}

const standbyReason = "this Herald is on a read-only standby database; writes go to the primary"

// A Herald started on a PostgreSQL hot standby serves the page, /api/v2 and
// the feeds, follows the primary's changes, refuses every write with a 503
// that says why, and runs no monitor; once the standby is promoted, it
// becomes a full instance without a restart.
func TestE2EReadOnlyStandby(t *testing.T) {
	cli.Parallel(t)
	herald(t)
	primary := newCluster(t)
	var probes atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		probes.Add(1)
		_, _ = w.Write([]byte("ok"))
	}))
	defer target.Close()
	dir := t.TempDir()
	catalog := `page:
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
`
	primaryConfig, standbyConfig := filepath.Join(dir, "primary.yaml"), filepath.Join(dir, "standby.yaml")
	writeFile(t, primaryConfig, []byte(catalog))
	// Only the standby's Herald has a monitor: every probe the target sees is its.
	writeFile(t, standbyConfig, []byte(catalog+fmt.Sprintf(`        monitors:
          - type: http
            url: %s/
            interval: 1s
            timeout: 500ms
`, target.URL)))
	token := createToken(t, "write", "--db", primary.url)
	onPrimary := startServer(t, "--config", primaryConfig, "--db", primary.url)
	replica := newReplica(t, primary)
	s := startServer(t, "--config", standbyConfig, "--db", replica.url)
	s.waitLog(t, "read-only standby", 10*time.Second)

	for _, path := range []string{"/", "/api/v2/summary.json", "/api/v2/components.json", "/history.atom", "/history"} {
		if code, body := s.get(t, path); code != http.StatusOK {
			t.Errorf("GET %s on the standby: %d %.300s", path, code, body)
		}
	}
	if _, body := s.get(t, "/api/v2/components.json"); !strings.Contains(string(body), "Web sites") {
		t.Errorf("the standby's components.json lacks the primary's catalog: %s", body)
	}
	if code, ready := s.readyz(t); code != http.StatusOK || ready["page"] != "ok" || ready["writes"] != "failing: "+standbyReason {
		t.Errorf("/readyz on the standby: %d %v", code, ready)
	}

	// Writes: the admin API, the admin screens' sign-in, the public forms, heartbeats.
	code, body := api(t, http.MethodPost, s.url+"/api/v1/incidents", token,
		`{"title": "Refused here", "body": "b", "components": {"flexo/web": "major_outage"}}`)
	if code != http.StatusServiceUnavailable || !strings.Contains(string(body), standbyReason) || !strings.HasPrefix(string(body), `{"error"`) {
		t.Errorf("an API write on the standby: %d %s; want 503 with the reason in JSON", code, body)
	}
	forms := []struct {
		path string
		form url.Values
	}{
		{"/admin/login", url.Values{"username": {"nobody"}, "password": {"x"}}},
		{"/subscribe", url.Values{"email": {"pat@example.com"}}},
		{"/subscribe/confirm", url.Values{"token": {"x"}}},
		{"/unsubscribe", url.Values{"token": {"x"}}},
	}
	for _, f := range forms {
		code, page := postForm(t, s.url+f.path, f.form)
		if code != http.StatusServiceUnavailable || !strings.Contains(page, standbyReason) || !strings.Contains(page, "<html") {
			t.Errorf("POST %s on the standby: %d %.400s; want a 503 page with the reason", f.path, code, page)
		}
	}
	if code, body := api(t, http.MethodPost, s.url+"/api/v1/heartbeat/anything", "", ""); code != http.StatusServiceUnavailable || !strings.Contains(string(body), standbyReason) {
		t.Errorf("a heartbeat on the standby: %d %s", code, body)
	}

	// The primary's changes reach the standby's page through the change log.
	code, body = api(t, http.MethodPost, onPrimary.url+"/api/v1/incidents", token,
		`{"title": "Web sites on flexo slow", "body": "Looking.", "components": {"flexo/web": "degraded_performance"}}`)
	if code != http.StatusCreated {
		t.Fatalf("an incident on the primary: %d %s", code, body)
	}
	eventually(t, "the primary's incident on the standby's page", func() (bool, string) {
		_, page := s.get(t, "/")
		_, summary := s.get(t, "/api/v2/summary.json")
		return strings.Contains(string(page), "Web sites on flexo slow") && strings.Contains(string(summary), "Web sites on flexo slow"), string(summary)
	})
	if n := probes.Load(); n != 0 || strings.Contains(s.log.String(), "monitors running") {
		t.Errorf("the standby's Herald ran its monitor (%d probes); its log:\n%s", n, s.log.String())
	}

	// Promotion: the same process takes writes and runs its monitor.
	onPrimary.stop(t)
	sqlOn(t, replica, "SELECT pg_promote()")
	eventually(t, "/readyz saying writes work after the promotion", func() (bool, string) {
		_, ready := s.readyz(t)
		return ready["writes"] == "ok", fmt.Sprint(ready)
	})
	s.waitLog(t, "the database was promoted", 10*time.Second)
	code, body = api(t, http.MethodPost, s.url+"/api/v1/incidents", token,
		`{"title": "Written after the promotion", "body": "b", "components": {"flexo/web": "major_outage"}}`)
	if code != http.StatusCreated {
		t.Errorf("a write after the promotion: %d %s", code, body)
	}
	eventually(t, "the promoted Herald's monitor probing", func() (bool, string) {
		return probes.Load() > 0, s.log.String()
	})
	if _, page := s.get(t, "/"); !strings.Contains(string(page), "Written after the promotion") {
		t.Error("the write after the promotion is not on the page")
	}
}

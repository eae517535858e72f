package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/heraldhq/herald/internal/buildinfo"
	"github.com/heraldhq/herald/internal/store"
)

// get fetches a URL and returns its status and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// eventually polls cond until it holds, failing after a generous deadline:
// it waits for a state and never asserts how long anything took.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The whole chain in one server: a monitored web server fails, Herald marks
// it down, publishes an incident and resolves it with the measured times;
// /metrics shows the monitor's state; a heartbeat URL answers only its token.
func TestServeMonitorsToIncidents(t *testing.T) {
	Parallel(t)
	var failing atomic.Bool
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if failing.Load() {
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("Welcome"))
	}))
	defer site.Close()
	const token = "hb-test-token-0123456789"
	// The heartbeat's token is read from the process's environment; no other
	// test reads this variable, so setting it for the whole process is safe
	// beside the parallel tests (t.Setenv is refused in those).
	os.Setenv("HERALD_TEST_HEARTBEAT", token)
	cfg := fmt.Sprintf(`page: {title: Test Hosting, url: https://status.example.net, zone: America/Los_Angeles}
incidents: {auto: publish, hold: 2s}   # the heartbeat's default interval would make the hold 40 s
groups:
  - id: flexo
    components:
      - id: web
        name: Web sites
        monitors:
          - {type: http, url: "%s/", interval: 1s, timeout: 500ms, down_after: 2, up_after: 1, body_contains: Welcome}
      - id: backup
        name: Backups
        monitors:
          - {type: heartbeat, period: 1h, token_env: HERALD_TEST_HEARTBEAT}
`, site.URL)
	path := filepath.Join(t.TempDir(), "herald.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	addrc := make(chan string, 1)
	o := serveOptions{configPath: path, dsn: store.DSN{DataDir: t.TempDir()}, listen: "127.0.0.1:0",
		started: func(addr string) { addrc <- addr }}
	logs := &syncBuffer{}
	env := &Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: logs, Getenv: os.Getenv}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serve(ctx, env, o) }()
	defer func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	var base string
	select {
	case addr := <-addrc:
		base = "http://" + addr
	case err := <-served:
		t.Fatalf("serve returned before listening: %v\n%s", err, logs)
	}

	eventually(t, "the monitor up in /metrics", func() bool {
		_, body := get(t, base+"/metrics")
		return strings.Contains(body, `herald_monitor_state{component="flexo/web",monitor="flexo/web/http",type="http"} 0`)
	})
	if code, _ := get(t, base+"/api/v1/heartbeat/"+token); code != http.StatusOK {
		t.Errorf("heartbeat with its token: %d", code)
	}
	if code, body := get(t, base+"/api/v1/heartbeat/not-the-token-at-all"); code != http.StatusNotFound || !strings.Contains(body, "no heartbeat monitor") {
		t.Errorf("heartbeat with a wrong token: %d %s", code, body)
	}

	type incidents struct {
		Incidents []struct {
			Name, Status string
			Updates      []struct{ Body string } `json:"incident_updates"`
		}
	}
	read := func() incidents {
		var v incidents
		_, body := get(t, base+"/api/v2/incidents.json")
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Fatalf("incidents.json: %v", err)
		}
		return v
	}
	failing.Store(true)
	eventually(t, "an incident opened from the outage", func() bool {
		v := read()
		return len(v.Incidents) == 1 && v.Incidents[0].Status == "investigating"
	})
	if v := read(); v.Incidents[0].Name != "Web sites on flexo not responding" {
		t.Errorf("incident title %q", v.Incidents[0].Name)
	}
	_, comps := get(t, base+"/api/v2/components.json")
	if !strings.Contains(comps, `"major_outage"`) {
		t.Errorf("components.json does not show the outage:\n%s", comps)
	}
	failing.Store(false)
	eventually(t, "the incident resolved from the recovery", func() bool {
		v := read()
		return len(v.Incidents) == 1 && v.Incidents[0].Status == "resolved"
	})
	v := read()
	if body := v.Incidents[0].Updates[0].Body; !strings.HasPrefix(body, "Customers on the flexo server experienced") ||
		!strings.Contains(body, "Pacific time") || !strings.Contains(body, "Backups") {
		t.Errorf("resolution text: %q", body)
	}
	_, metrics := get(t, base+"/metrics")
	bi := buildinfo.Read()
	for _, want := range []string{`herald_outages_total{component="flexo/web"} 1`, `herald_probe_checks_total{monitor="flexo/web/http",result="down"}`,
		"herald_probe_start_lag_seconds_bucket", "herald_probe_duration_seconds_bucket",
		fmt.Sprintf(`herald_build_info{commit=%q,goversion=%q,version=%q} 1`, bi.Commit, bi.GoVersion, bi.Version)} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// The registry's families and the engine's streamed series make one
	// exposition Prometheus reads (a family twice, or a malformed line, is
	// refused by its parser).
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(strings.NewReader(metrics))
	if err != nil {
		t.Fatalf("/metrics is not Prometheus' text format: %v", err)
	}
	for _, name := range []string{"herald_monitor_state", "herald_monitor_state_since_seconds", "herald_probe_checks_total",
		"herald_monitor_last_duration_seconds", "herald_component_down", "herald_outages_total", "go_goroutines"} {
		if len(families[name].GetMetric()) == 0 {
			t.Errorf("/metrics has no %s", name)
		}
	}
}

// /metrics is gzipped for a client that accepts it, and only then.
func TestAcceptsGzip(t *testing.T) {
	Parallel(t)
	for _, tc := range []struct {
		header []string
		want   bool
	}{
		{nil, false},
		{[]string{"gzip"}, true},
		{[]string{"deflate, GZIP;q=0.5"}, true},
		{[]string{"identity", "br, gzip"}, true},
		{[]string{"gzip;q=0"}, false},
		{[]string{"gzip; q=0.0, br"}, false},
		{[]string{"x-gzip"}, false},
	} {
		if got := acceptsGzip(tc.header); got != tc.want {
			t.Errorf("Accept-Encoding %q: gzip %v, want %v", tc.header, got, tc.want)
		}
	}
}

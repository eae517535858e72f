package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/paths"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// TestOpenAPI runs the real server and holds /api/v1/ against its OpenAPI
// description (internal/api/openapi.yaml): every route the server registers
// is described and every described route is registered; every route is
// driven to a success and to an error; every request meant to succeed, and
// every answer, is validated against the description by libopenapi-validator.
func TestOpenAPI(t *testing.T) {
	Parallel(t)
	t.Run("sqlite", func(t *testing.T) { openAPIStory(t, store.DSN{DataDir: t.TempDir()}) })
	t.Run("postgres", func(t *testing.T) { openAPIStory(t, store.DSN{URL: storetest.PostgresURL(t)}) })
}

// openAPIExchange is one request of the story and the status it must get.
type openAPIExchange struct {
	method, path, token string
	body                string
	ctype               string            // default application/json when there is a body
	header              map[string]string // more request headers
	want                int
}

type openAPIRun struct {
	t       *testing.T
	base    string
	v       validator.Validator
	model   *libopenapi.DocumentModel[v3.Document]
	sink    string              // a loopback webhook receiver
	covered map[string]*[2]bool // "GET /api/v1/incidents/{id}": [a success, an error]
}

func openAPIStory(t *testing.T, dsn store.DSN) {
	data, err := api.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := libopenapi.NewDocument(data)
	if err != nil {
		t.Fatal(err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatal(errs)
	}

	// A loopback sink for the operator channel, failing every delivery so
	// that one becomes a dead letter to retry.
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer sink.Close()
	const heartbeat = "openapi-heartbeat-token-0123"
	// The configuration is read with the process's environment. No other test
	// reads this variable, so it is set for the whole process (t.Setenv is
	// refused in a parallel test).
	os.Setenv("HERALD_TEST_OPENAPI_HEARTBEAT", heartbeat)
	cfg := fmt.Sprintf(`page: {title: Test Hosting, url: https://status.example.net, zone: America/Los_Angeles}
groups:
  - id: flexo
    name: flexo
    components:
      - id: web
        name: Web sites
        monitors:
          - {type: heartbeat, period: 1h, token_env: HERALD_TEST_OPENAPI_HEARTBEAT}
      - id: mail
        name: Mail
        monitors:
          - {type: http, url: "%s/", interval: 1h, timeout: 1s, locations: [fra-1], quorum: majority}
      - id: mailman
        name: Mailing lists
        depends_on: [flexo/mail]
maintenance:
  recurring:
    - title: Yearly disk check
      rrule: FREQ=YEARLY
      start: "2026-01-04T02:00"
      duration: 1h
      components: [flexo/mail]
      body: The disks are checked once a year.
channels:
  - name: ops
    type: webhook
    url: %s/hook
`, sink.URL, sink.URL)
	path := filepath.Join(t.TempDir(), "herald.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}

	var (
		routes   []string
		st       *store.Store
		tokens   = map[string]string{}
		addrc    = make(chan string, 1)
		loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	)
	o := serveOptions{configPath: path, dsn: dsn, listen: "127.0.0.1:0",
		started: func(addr string) { addrc <- addr },
		routes:  func(p []string) { routes = p },
		seed: func(ctx context.Context, s *store.Store, svc *service.Service, _ string) error {
			st = s
			for _, scope := range []string{service.ScopeRead, service.ScopeWrite} {
				tok, _, err := svc.CreateToken(ctx, scope, scope)
				if err != nil {
					return err
				}
				tokens[scope] = tok
			}
			tok, _, err := svc.CreateAgentToken(ctx, "fra", "fra-1")
			tokens[service.ScopeAgent] = tok
			return err
		}}
	o.notify.AllowAddrs = loopback
	o.notify.MaxAttempts = 1
	o.notify.Poll = 100 * time.Millisecond
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
	run := &openAPIRun{t: t, v: v, model: model, sink: sink.URL, covered: map[string]*[2]bool{}}
	select {
	case addr := <-addrc:
		run.base = "http://" + addr
	case err := <-served:
		t.Fatalf("serve returned before listening: %v\n%s", err, logs)
	}

	// The routes served are the routes described, both ways.
	described := map[string]bool{}
	for p, item := range model.Model.Paths.PathItems.FromOldest() {
		for m := range item.GetOperations().FromOldest() {
			described[strings.ToUpper(m)+" "+p] = true
		}
	}
	served2 := map[string]bool{}
	for _, p := range routes {
		method, rest, ok := strings.Cut(p, " ")
		if !ok || !strings.HasPrefix(rest, "/api/v1/") {
			if strings.HasPrefix(p, "/api/v1/") && p != "/api/v1/" {
				t.Errorf("route %q under /api/v1/ takes every method: give it one", p)
			}
			continue // the catch-all answering 404 and 405, and the routes outside the API
		}
		served2[method+" "+rest] = true
		if !described[method+" "+rest] {
			t.Errorf("the server has %s, which the OpenAPI description lacks", p)
		}
	}
	for r := range described {
		if !served2[r] {
			t.Errorf("the OpenAPI description has %s, which the server does not serve", r)
		}
	}
	if len(served2) < 50 {
		t.Fatalf("only %d routes under /api/v1/ noted: %v", len(served2), routes)
	}

	run.story(tokens, heartbeat, st)

	for r := range described {
		c := run.covered[r]
		switch {
		case c == nil || !c[0]:
			t.Errorf("%s was never driven to a success", r)
		case !c[1] && r != "GET "+api.OpenAPIPath: // the description itself has no failure to give
			t.Errorf("%s was never driven to an error", r)
		}
	}
}

// story drives every route, in an order that makes the objects each needs.
func (run *openAPIRun) story(tok map[string]string, heartbeat string, st *store.Store) {
	t := run.t
	R, W, A := tok[service.ScopeRead], tok[service.ScopeWrite], tok[service.ScopeAgent]
	const none = ""
	do := run.do
	id := func(v map[string]any, key string) string {
		t.Helper()
		n, ok := v[key].(float64)
		if !ok {
			t.Fatalf("no %s in %v", key, v)
		}
		return fmt.Sprint(int64(n))
	}

	// The description itself, and the status of things.
	_, _, h := run.doH(openAPIExchange{method: "GET", path: api.OpenAPIPath, want: 200})
	do(openAPIExchange{method: "GET", path: api.OpenAPIPath, header: map[string]string{"If-None-Match": h.Get("ETag")}, want: 304})
	do(openAPIExchange{method: "GET", path: "/api/v1/status", token: R, want: 200})
	do(openAPIExchange{method: "GET", path: "/api/v1/status", token: A, want: 403})
	do(openAPIExchange{method: "GET", path: "/api/v1/about", token: R, want: 200})
	do(openAPIExchange{method: "GET", path: "/api/v1/about", token: none, want: 401})
	comps, _ := do(openAPIExchange{method: "GET", path: "/api/v1/components", token: R, want: 200})
	if list, _ := comps["components"].([]any); !slices.ContainsFunc(list, func(c any) bool {
		m, _ := c.(map[string]any)
		return m["id"] == "flexo/mailman" && fmt.Sprint(m["depends_on"]) == "[flexo/mail]"
	}) {
		t.Errorf("no flexo/mailman depending on flexo/mail in %v", comps)
	}
	do(openAPIExchange{method: "GET", path: "/api/v1/components", token: "hrld_" + strings.Repeat("A", 43), want: 401})
	do(openAPIExchange{method: "GET", path: "/api/v1/changes?limit=5", token: R, want: 200})
	do(openAPIExchange{method: "GET", path: "/api/v1/changes?limit=0", token: R, want: 400})

	// Monitoring.
	do(openAPIExchange{method: "GET", path: "/api/v1/outages?component=flexo/web&open=false", token: R, want: 200})
	do(openAPIExchange{method: "GET", path: "/api/v1/outages?open=maybe", token: R, want: 400})
	do(openAPIExchange{method: "GET", path: "/api/v1/uptime?component=flexo/web&from=2026-11-01&to=2026-11-30", token: R, want: 200})
	do(openAPIExchange{method: "GET", path: "/api/v1/uptime?component=flexo/nothing&from=2026-11-01&to=2026-11-30", token: R, want: 400})
	do(openAPIExchange{method: "GET", path: "/api/v1/reports?from=2026-11-01&to=2026-11-30", token: R, want: 200})
	do(openAPIExchange{method: "GET", path: "/api/v1/reports?from=2026-11-01&to=2026-11-30&server=flexo&format=csv&table=outages", token: R, want: 200})
	do(openAPIExchange{method: "GET", path: "/api/v1/reports?from=2026-11-01&to=2026-11-30&format=html", token: R, want: 200})
	do(openAPIExchange{method: "GET", path: "/api/v1/reports?from=2026-11-01", token: R, want: 400})
	do(openAPIExchange{method: "GET", path: "/api/v1/monitors?component=flexo/mail", token: R, want: 200})
	do(openAPIExchange{method: "GET", path: "/api/v1/monitors?kind=http", token: R, want: 400})
	do(openAPIExchange{method: "GET", path: "/api/v1/agents", token: R, want: 200})
	do(openAPIExchange{method: "GET", path: "/api/v1/agents?all=1", token: R, want: 400})
	do(openAPIExchange{method: "GET", path: "/api/v1/location-intervals?component=flexo/mail", token: R, want: 200})
	do(openAPIExchange{method: "GET", path: "/api/v1/location-intervals?since=yesterday", token: R, want: 400})

	// The heartbeat, and the agents' own endpoints.
	do(openAPIExchange{method: "GET", path: "/api/v1/heartbeat/" + heartbeat, want: 200})
	do(openAPIExchange{method: "GET", path: "/api/v1/heartbeat/not-the-token-at-all", want: 404})
	do(openAPIExchange{method: "POST", path: "/api/v1/heartbeat/" + heartbeat, want: 200})
	do(openAPIExchange{method: "POST", path: "/api/v1/heartbeat/not-the-token-at-all", want: 404})
	_, _, h = run.doH(openAPIExchange{method: "GET", path: "/api/v1/agent/assignment", token: A, want: 200})
	do(openAPIExchange{method: "GET", path: "/api/v1/agent/assignment?wait=1s", token: A, header: map[string]string{"If-None-Match": h.Get("ETag")}, want: 304})
	do(openAPIExchange{method: "GET", path: "/api/v1/agent/assignment", token: R, want: 403})
	do(openAPIExchange{method: "GET", path: "/api/v1/agent/assignment?wait=2h", token: A, want: 400})
	at := time.Now().UTC().Format(time.RFC3339)
	do(openAPIExchange{method: "POST", path: "/api/v1/agent/results", token: A, header: map[string]string{"Herald-Agent-Version": "test"},
		body: `{"dropped": 0, "results": [{"rid": "r1", "monitor": "flexo/mail/http", "at": "` + at + `", "level": "up", "latency_us": 1200, "message": ""}]}`, want: 200})
	do(openAPIExchange{method: "POST", path: "/api/v1/agent/results", token: A,
		body: `{"results": [{"rid": "r2", "monitor": "flexo/mail/http", "at": "` + at + `", "level": "sideways"}]}`, want: 400})
	do(openAPIExchange{method: "POST", path: "/api/v1/agent/results", token: W, body: `{"results": []}`, want: 403})

	// Manual statuses.
	do(openAPIExchange{method: "PUT", path: "/api/v1/components/flexo/web/override", token: W, body: `{"status": "partial_outage", "note": "disks"}`, want: 200})
	do(openAPIExchange{method: "PUT", path: "/api/v1/components/flexo/web/override", token: R, body: `{"status": "partial_outage"}`, want: 403})
	do(openAPIExchange{method: "PUT", path: "/api/v1/components/flexo/web/override", token: W, body: `{"status": "a", "status": "b"}`, want: 400})
	do(openAPIExchange{method: "GET", path: "/api/v1/overrides", token: R, want: 200})
	do(openAPIExchange{method: "GET", path: "/api/v1/overrides", token: A, want: 403})
	do(openAPIExchange{method: "DELETE", path: "/api/v1/components/flexo/web/override", token: W, want: 204})
	do(openAPIExchange{method: "DELETE", path: "/api/v1/components/flexo/web/override", token: W, want: 404})

	// Incidents.
	do(openAPIExchange{method: "GET", path: "/api/v1/incident-templates", token: R, want: 200})
	do(openAPIExchange{method: "GET", path: "/api/v1/incident-templates", token: none, want: 401})
	newIncident := `{"title": "Web sites on flexo unreachable", "impact": "major", "body": "We are looking into it.", "components": {"flexo/web": "major_outage"}}`
	in, _ := do(openAPIExchange{method: "POST", path: "/api/v1/incidents", token: W, body: newIncident, want: 201})
	inc := "/api/v1/incidents/" + id(in, "id")
	other, _ := do(openAPIExchange{method: "POST", path: "/api/v1/incidents", token: W, body: newIncident, want: 201})
	do(openAPIExchange{method: "POST", path: "/api/v1/incidents", token: W, body: `{"title": "x", "body": "y", "components": {}}`, want: 422})
	do(openAPIExchange{method: "POST", path: "/api/v1/incidents", token: W, body: `{"title": "x", "colour": "red"}`, want: 400})
	do(openAPIExchange{method: "POST", path: "/api/v1/incidents", token: W, body: newIncident, ctype: "text/plain", want: 415})
	do(openAPIExchange{method: "POST", path: "/api/v1/incidents", token: W, body: `{"title": "` + strings.Repeat("x", api.MaxBody) + `"}`, want: 413})
	do(openAPIExchange{method: "GET", path: "/api/v1/incidents?state=open&limit=10", token: R, want: 200})
	do(openAPIExchange{method: "GET", path: "/api/v1/incidents?state=sideways", token: R, want: 400})
	do(openAPIExchange{method: "GET", path: inc, token: R, want: 200})
	do(openAPIExchange{method: "GET", path: "/api/v1/incidents/999999", token: R, want: 404})
	do(openAPIExchange{method: "PATCH", path: inc, token: W, body: `{"title": "Web sites on flexo slow", "impact": "minor"}`, want: 200})
	do(openAPIExchange{method: "PATCH", path: "/api/v1/incidents/999999", token: W, body: `{"title": "x"}`, want: 404})
	up, _ := do(openAPIExchange{method: "POST", path: inc + "/updates", token: W, body: `{"status": "identified", "body": "Apache did not reload.", "components": {"flexo/web": "partial_outage"}}`, want: 201})
	updates, _ := up["updates"].([]any)
	if len(updates) == 0 {
		t.Fatalf("no updates in %v", up)
	}
	do(openAPIExchange{method: "POST", path: "/api/v1/incidents/999999/updates", token: W, body: `{"body": "x"}`, want: 404})
	do(openAPIExchange{method: "PATCH", path: inc + "/updates/" + id(updates[0].(map[string]any), "id"), token: W, body: `{"body": "Apache did not answer a reload."}`, want: 200})
	do(openAPIExchange{method: "PATCH", path: inc + "/updates/999999", token: W, body: `{"body": "x"}`, want: 404})
	do(openAPIExchange{method: "POST", path: inc + "/links", token: W, body: `{"incident_id": ` + id(other, "id") + `}`, want: 200})
	do(openAPIExchange{method: "POST", path: "/api/v1/incidents/999999/links", token: W, body: `{"incident_id": 1}`, want: 404})
	do(openAPIExchange{method: "DELETE", path: inc + "/links/" + id(other, "id"), token: W, want: 200})
	do(openAPIExchange{method: "DELETE", path: "/api/v1/incidents/999999/links/1", token: W, want: 404})
	do(openAPIExchange{method: "POST", path: inc + "/resolve", token: W, body: `{"body": "Fixed."}`, want: 200})
	do(openAPIExchange{method: "POST", path: inc + "/resolve", token: W, want: 409})
	do(openAPIExchange{method: "PUT", path: inc + "/postmortem", token: W, body: `{"body": "What happened."}`, want: 200})
	do(openAPIExchange{method: "PUT", path: "/api/v1/incidents/999999/postmortem", token: W, body: `{"body": "x"}`, want: 404})
	draft, _ := do(openAPIExchange{method: "POST", path: "/api/v1/incidents", token: W,
		body: `{"title": "Mail delayed", "body": "Checking.", "components": {"flexo/mail": "degraded_performance"}, "draft": true}`, want: 201})
	dr := "/api/v1/incidents/" + id(draft, "id")
	do(openAPIExchange{method: "POST", path: dr + "/publish", token: W, want: 200})
	do(openAPIExchange{method: "POST", path: dr + "/publish", token: W, want: 409})
	do(openAPIExchange{method: "DELETE", path: dr, token: W, want: 204})
	do(openAPIExchange{method: "DELETE", path: dr, token: W, want: 404})

	// Maintenance.
	start := time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
	window := `{"title": "Kernel update", "body": "Restarts.", "components": ["flexo/web"], "start": "` + start + `", "duration": "30m"}`
	m1, _ := do(openAPIExchange{method: "POST", path: "/api/v1/maintenance", token: W, body: window, want: 201})
	now := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	m2, _ := do(openAPIExchange{method: "POST", path: "/api/v1/maintenance", token: W,
		body: `{"title": "Disk swap", "body": "Now.", "components": ["flexo/mail"], "start": "` + now + `", "duration": "1h"}`, want: 201})
	do(openAPIExchange{method: "POST", path: "/api/v1/maintenance", token: W, body: `{"title": "x", "body": "y", "components": ["flexo/web"], "start": "` + start + `", "duration": "30m", "end": "` + start + `"}`, want: 400})
	do(openAPIExchange{method: "POST", path: "/api/v1/maintenance", token: W, body: `{"title": "x", "body": "y", "components": ["flexo/nothing"], "start": "` + start + `", "duration": "30m"}`, want: 422})
	mw := "/api/v1/maintenance/" + id(m1, "id")
	do(openAPIExchange{method: "GET", path: "/api/v1/maintenance?state=upcoming", token: R, want: 200})
	do(openAPIExchange{method: "GET", path: "/api/v1/maintenance?limit=501", token: R, want: 400})
	do(openAPIExchange{method: "GET", path: mw, token: R, want: 200})
	do(openAPIExchange{method: "GET", path: "/api/v1/maintenance/0", token: R, want: 404})
	do(openAPIExchange{method: "PATCH", path: mw, token: W, body: `{"title": "Kernel update on flexo", "duration": "45m"}`, want: 200})
	do(openAPIExchange{method: "PATCH", path: mw, token: W, body: `{"duration": "soon"}`, want: 400})
	do(openAPIExchange{method: "POST", path: mw + "/updates", token: W, body: `{"body": "Moved by a quarter of an hour."}`, want: 201})
	do(openAPIExchange{method: "POST", path: "/api/v1/maintenance/999999/updates", token: W, body: `{"body": "x"}`, want: 404})
	do(openAPIExchange{method: "POST", path: mw + "/cancel", token: W, body: `{"body": "Not needed."}`, want: 200})
	do(openAPIExchange{method: "POST", path: mw + "/cancel", token: W, want: 409})
	m2w := "/api/v1/maintenance/" + id(m2, "id")
	do(openAPIExchange{method: "POST", path: mw + "/complete", token: W, want: 409}) // cancelled
	eventually(t, "the window begun", func() bool {
		v, _ := run.get(m2w, R)
		return v["status"] == "in_progress"
	})
	do(openAPIExchange{method: "POST", path: m2w + "/complete", token: W, body: `{"body": "Done early."}`, want: 200})
	do(openAPIExchange{method: "POST", path: m2w + "/complete", token: W, want: 409})

	// Recurring maintenance: a series made here, and the one the configuration declares.
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	first := time.Now().In(la).Add(48*time.Hour).Format("2006-01-02") + "T02:00"
	weekly := `{"title": "Weekly restarts", "body": "Restarts.", "rrule": "FREQ=WEEKLY", "start": "` + first + `", "duration": "1h", "components": ["flexo/web"]}`
	sr, _ := do(openAPIExchange{method: "POST", path: "/api/v1/maintenance-series", token: W, body: weekly, want: 201})
	srw := "/api/v1/maintenance-series/" + id(sr, "id")
	if sr["zone"] != "America/Los_Angeles" || sr["from_config"] != false {
		t.Errorf("a series without a zone takes the page's and is not the configuration's: %v", sr)
	}
	do(openAPIExchange{method: "POST", path: "/api/v1/maintenance-series", token: W,
		body: `{"title": "x", "body": "y", "rrule": "FREQ=HOURLY", "start": "` + first + `", "duration": "1h", "components": ["flexo/web"]}`, want: 422})
	do(openAPIExchange{method: "POST", path: "/api/v1/maintenance-series", token: W,
		body: `{"title": "x", "body": "y", "rrule": "FREQ=DAILY", "start": "` + first + `", "duration": "25h", "components": ["flexo/web"]}`, want: 422})
	do(openAPIExchange{method: "POST", path: "/api/v1/maintenance-series", token: W,
		body: `{"title": "x", "body": "y", "rrule": "FREQ=DAILY", "start": "tomorrow", "duration": "1h", "components": ["flexo/web"]}`, want: 400})
	do(openAPIExchange{method: "POST", path: "/api/v1/maintenance-series", token: W, body: `{"title": "x", "every": "week"}`, want: 400})
	do(openAPIExchange{method: "POST", path: "/api/v1/maintenance-series", token: R, body: weekly, want: 403})
	do(openAPIExchange{method: "POST", path: "/api/v1/maintenance-series", token: W, body: `{"title": "` + strings.Repeat("x", api.MaxBody) + `"}`, want: 413})
	all, _ := do(openAPIExchange{method: "GET", path: "/api/v1/maintenance-series", token: R, want: 200})
	do(openAPIExchange{method: "GET", path: "/api/v1/maintenance-series", token: none, want: 401})
	var declared string
	for _, x := range all["series"].([]any) {
		if m := x.(map[string]any); m["from_config"] == true {
			declared = id(m, "id")
		}
	}
	if declared == "" {
		t.Fatalf("the configuration's series is not listed: %v", all)
	}
	one, _ := do(openAPIExchange{method: "GET", path: srw, token: R, want: 200})
	if ws, _ := one["windows"].([]any); len(ws) == 0 || fmt.Sprint(ws[0].(map[string]any)["series_id"]) != fmt.Sprint(one["id"]) {
		t.Errorf("the series' windows do not name it: %v", one)
	}
	do(openAPIExchange{method: "GET", path: "/api/v1/maintenance-series/999999", token: R, want: 404})
	ended, _ := do(openAPIExchange{method: "POST", path: srw + "/end", token: W, body: `{"body": "No longer needed."}`, want: 200})
	if ws, _ := ended["windows"].([]any); ended["ended_at"] == nil || len(ws) == 0 || ws[0].(map[string]any)["status"] != "cancelled" {
		t.Errorf("the ended series is not ended with its windows cancelled: %v", ended)
	}
	do(openAPIExchange{method: "POST", path: srw + "/end", token: W, want: 409})
	do(openAPIExchange{method: "POST", path: "/api/v1/maintenance-series/" + declared + "/end", token: W, want: 409})
	do(openAPIExchange{method: "POST", path: "/api/v1/maintenance-series/999999/end", token: W, want: 404})

	// Subscribers, deliveries and the operator channel's test.
	sub, _ := do(openAPIExchange{method: "POST", path: "/api/v1/subscribers", token: W, body: `{"kind": "webhook", "address": "` + run.sink + "/subscriber" + `"}`, want: 201})
	do(openAPIExchange{method: "POST", path: "/api/v1/subscribers", token: W, body: `{"kind": "pigeon", "address": "roof"}`, want: 422})
	do(openAPIExchange{method: "GET", path: "/api/v1/subscribers?kind=webhook&limit=10", token: R, want: 200})
	do(openAPIExchange{method: "GET", path: "/api/v1/subscribers?kind=pigeon", token: R, want: 400})
	sw := "/api/v1/subscribers/" + id(sub["subscriber"].(map[string]any), "id")
	do(openAPIExchange{method: "GET", path: sw, token: R, want: 200})
	do(openAPIExchange{method: "GET", path: "/api/v1/subscribers/999999", token: R, want: 404})
	do(openAPIExchange{method: "DELETE", path: sw, token: W, want: 204})
	do(openAPIExchange{method: "DELETE", path: sw, token: W, want: 404})
	do(openAPIExchange{method: "POST", path: "/api/v1/channels/ops/test", token: W, want: 202})
	do(openAPIExchange{method: "POST", path: "/api/v1/channels/nowhere/test", token: W, want: 404})
	do(openAPIExchange{method: "GET", path: "/api/v1/deliveries?state=queued", token: R, want: 200})
	do(openAPIExchange{method: "GET", path: "/api/v1/deliveries?state=lost", token: R, want: 400})
	var dead string
	eventually(t, "the test message to the failing channel a dead letter", func() bool {
		v, _ := run.get("/api/v1/deliveries/dead", R)
		list, _ := v["deliveries"].([]any)
		if len(list) > 0 {
			dead = id(list[0].(map[string]any), "id")
		}
		return dead != ""
	})
	do(openAPIExchange{method: "GET", path: "/api/v1/deliveries/dead?limit=1", token: R, want: 200})
	do(openAPIExchange{method: "GET", path: "/api/v1/deliveries/dead?event=first", token: R, want: 400})
	do(openAPIExchange{method: "POST", path: "/api/v1/deliveries/" + dead + "/retry", token: W, want: 202})
	do(openAPIExchange{method: "POST", path: "/api/v1/deliveries/999999/retry", token: W, want: 404})

	// Customers.
	do(openAPIExchange{method: "POST", path: "/api/v1/customers/import", token: W, ctype: "text/csv", body: "example.com,flexo\nexample.org,flexo\n", want: 200})
	do(openAPIExchange{method: "POST", path: "/api/v1/customers/import", token: W, body: `{"example.com": "flexo"}`, want: 415})
	do(openAPIExchange{method: "GET", path: "/api/v1/customers", token: R, want: 200})
	do(openAPIExchange{method: "GET", path: "/api/v1/customers", token: A, want: 403})
	do(openAPIExchange{method: "GET", path: "/api/v1/customers/example.com", token: R, want: 200})
	do(openAPIExchange{method: "GET", path: "/api/v1/customers/example.net", token: R, want: 404})
	do(openAPIExchange{method: "DELETE", path: "/api/v1/customers/example.com", token: W, want: 204})
	do(openAPIExchange{method: "DELETE", path: "/api/v1/customers/-", token: W, want: 400})
	do(openAPIExchange{method: "GET", path: "/api/v1/reports?from=2026-11-01&to=2026-11-30&customer=example.org", token: R, want: 200})
	do(openAPIExchange{method: "GET", path: "/api/v1/reports?from=2026-11-01&to=2026-11-30&customer=example.net", token: R, want: 404})

	// A database that takes no writes: a 503 that says so.
	st.RefuseWrites(store.ReasonStandby)
	do(openAPIExchange{method: "POST", path: "/api/v1/incidents", token: W, body: newIncident, want: 503})
	do(openAPIExchange{method: "POST", path: "/api/v1/maintenance-series", token: W, body: weekly, want: 503})
	// Too many bad tokens: a 429 before the next is looked at. A client is
	// allowed a burst of ten and one more now and then (so how many it takes
	// depends on how long ago the one sent above was: a slow run refills);
	// the first refusal comes within a few more than the burst.
	refused := false
	for range 40 {
		if _, code := run.get("/api/v1/status", "hrld_"+strings.Repeat("B", 43)); code == http.StatusTooManyRequests {
			refused = true
			break
		} else if code != http.StatusUnauthorized {
			t.Fatalf("a bad token: %d, want 401 or, past the burst, 429", code)
		}
	}
	if !refused {
		t.Fatal("40 bad tokens in a row were never refused with a 429")
	}
	do(openAPIExchange{method: "GET", path: "/api/v1/status", token: R, want: 429})
}

// get reads a JSON answer without checking it (a wait's poll).
func (run *openAPIRun) get(path, token string) (map[string]any, int) {
	req, _ := http.NewRequest(http.MethodGet, run.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		run.t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&v) // a failed decode leaves it empty: the poll goes on
	return v, resp.StatusCode
}

func (run *openAPIRun) do(ex openAPIExchange) (map[string]any, []byte) {
	v, body, _ := run.doH(ex)
	return v, body
}

// doH sends one request, checks its status, validates it (when it is meant
// to succeed) and its answer (always) against the description, and notes
// the operation as driven to a success or an error.
func (run *openAPIRun) doH(ex openAPIExchange) (map[string]any, []byte, http.Header) {
	t := run.t
	t.Helper()
	name := ex.method + " " + ex.path
	if len(name) > 120 {
		name = name[:120] + "..."
	}
	newReq := func() *http.Request {
		var body io.Reader
		if ex.body != "" {
			body = strings.NewReader(ex.body)
		}
		req, err := http.NewRequest(ex.method, run.base+ex.path, body)
		if err != nil {
			t.Fatal(err)
		}
		if ex.token != "" {
			req.Header.Set("Authorization", "Bearer "+ex.token)
		}
		if ex.body != "" {
			ct := ex.ctype
			if ct == "" {
				ct = "application/json"
			}
			req.Header.Set("Content-Type", ct)
		}
		for k, v := range ex.header {
			req.Header.Set(k, v)
		}
		return req
	}
	ok := ex.want < 400
	if ok {
		if valid, errs := run.v.ValidateHttpRequest(newReq()); !valid {
			for _, e := range errs {
				t.Errorf("%s: the request does not match the description: %s", name, e.Error())
			}
		}
	}
	resp, err := http.DefaultClient.Do(newReq())
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if resp.StatusCode != ex.want {
		t.Errorf("%s: %d, want %d: %s", name, resp.StatusCode, ex.want, body)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	vreq := newReq()
	if valid, errs := run.v.ValidateHttpResponse(vreq, resp); !valid {
		for _, e := range errs {
			t.Errorf("%s: the %d answer does not match the description: %s\n%s", name, resp.StatusCode, e.Error(), body)
		}
	}
	if item, errs, tmpl := paths.FindPath(vreq, &run.model.Model, nil); item != nil && len(errs) == 0 {
		key := ex.method + " " + tmpl
		c := run.covered[key]
		if c == nil {
			c = &[2]bool{}
			run.covered[key] = c
		}
		if resp.StatusCode == ex.want {
			c[map[bool]int{true: 0, false: 1}[ok]] = true
		}
	} else {
		t.Errorf("%s: no path of the description matches: %v", name, errs)
	}
	var v map[string]any
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") && len(body) > 0 {
		if err := json.Unmarshal(body, &v); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	return v, body, resp.Header
}

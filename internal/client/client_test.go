package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

const token = "hrld_test"

// incidentJSON and maintenanceJSON are the examples of docs/api.md.
const incidentJSON = `{
  "id": 12, "title": "Web sites on flexo unreachable", "impact": "major", "status": "identified",
  "draft": false, "auto": false,
  "started_at": "2026-08-12T16:48:00Z", "identified_at": "2026-08-12T16:50:02Z",
  "monitoring_at": null, "resolved_at": null, "published_at": "2026-08-12T16:49:10Z",
  "created_at": "2026-08-12T16:49:10Z", "updated_at": "2026-08-12T16:50:02Z",
  "components": [{"id": "flexo/web", "name": "Web sites", "status": "major_outage"}],
  "updates": [{"id": 31, "status": "identified", "body": "Apache did not answer a graceful reload.",
    "created_at": "2026-08-12T16:50:02Z", "display_at": "2026-08-12T16:50:02Z",
    "changes": [{"component": "flexo/web", "old": "major_outage", "new": "partial_outage"}]}],
  "postmortem": "", "postmortem_published_at": null, "links": [9]}`

const maintenanceJSON = `{
  "id": 4, "title": "Kernel update on flexo, mom and elzar", "body": "The servers will be restarted.",
  "status": "scheduled", "scheduled_for": "2026-04-04T06:00:00Z", "scheduled_until": "2026-04-04T06:05:00Z",
  "started_at": null, "completed_at": null,
  "created_at": "2026-04-01T17:00:00Z", "updated_at": "2026-04-01T17:00:00Z", "sequence": 0,
  "components": [{"id": "flexo/web", "name": "Web sites"}],
  "updates": [{"id": 7, "status": "scheduled", "body": "Planned.", "created_at": "2026-04-01T17:00:00Z", "display_at": "2026-04-01T17:00:00Z"}]}`

// request is what the fake server expects to receive.
type request struct {
	method, path, query string
	body                string // JSON compared by value; "" means no body
}

// fakeAPI serves one canned answer and checks the request it gets.
func fakeAPI(t *testing.T, want request, status int, answer string) *Client {
	t.Helper()
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		checkRequest(t, r, want)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(func() {
		srv.Close()
		if calls != 1 {
			t.Errorf("server got %d requests, want 1", calls)
		}
	})
	c, err := New(srv.URL+"/", token, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func checkRequest(t *testing.T, r *http.Request, want request) {
	t.Helper()
	if r.Method != want.method || r.URL.Path != want.path || r.URL.RawQuery != want.query {
		t.Errorf("request %s %s?%s, want %s %s?%s", r.Method, r.URL.Path, r.URL.RawQuery, want.method, want.path, want.query)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+token {
		t.Errorf("Authorization = %q", got)
	}
	if got := r.Header.Get("User-Agent"); got != "herald-cli" {
		t.Errorf("User-Agent = %q", got)
	}
	body, _ := io.ReadAll(r.Body)
	if want.body == "" {
		if len(body) != 0 {
			t.Errorf("unexpected body %s", body)
		}
		return
	}
	if got := r.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
	var got, exp any
	// Errorf, not Fatalf: this runs on the server's goroutine.
	if err := json.Unmarshal(body, &got); err != nil {
		t.Errorf("body %s: %v", body, err)
	}
	if err := json.Unmarshal([]byte(want.body), &exp); err != nil {
		t.Errorf("bad test: %v", err)
	}
	if !reflect.DeepEqual(got, exp) {
		t.Errorf("body = %s\nwant   %s", body, want.body)
	}
}

func ptr[T any](v T) *T { return &v }

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestCalls(t *testing.T) {
	ctx := context.Background()
	wrap := func(n int) string {
		return `{"incidents": [` + strings.Repeat(incidentJSON+",", n-1) + incidentJSON + `]}`
	}
	cases := []struct {
		name   string
		want   request
		status int
		answer string
		call   func(*Client) (any, []byte, error)
		check  func(t *testing.T, got any)
	}{
		{
			name: "status", want: request{method: "GET", path: "/api/v1/status"},
			answer: `{"indicator": "major", "description": "Partial System Outage"}`,
			call:   func(c *Client) (any, []byte, error) { return c.Status(ctx) },
			check: func(t *testing.T, got any) {
				if s := got.(Status); s.Indicator != "major" || s.Description != "Partial System Outage" {
					t.Errorf("got %+v", s)
				}
			},
		},
		{
			name: "components", want: request{method: "GET", path: "/api/v1/components"},
			answer: `{"components": [{"id": "flexo/web", "group": "flexo", "name": "Web sites", "description": "", "status": "operational", "position": 0, "removed": true}]}`,
			call:   func(c *Client) (any, []byte, error) { return c.Components(ctx) },
			check: func(t *testing.T, got any) {
				if cs := got.([]Component); len(cs) != 1 || cs[0].Group != "flexo" || !cs[0].Removed {
					t.Errorf("got %+v", cs)
				}
			},
		},
		{
			name: "incidents", want: request{method: "GET", path: "/api/v1/incidents", query: "limit=2&state=open"},
			answer: wrap(2),
			call:   func(c *Client) (any, []byte, error) { return c.Incidents(ctx, "open", 2) },
			check: func(t *testing.T, got any) {
				if is := got.([]Incident); len(is) != 2 || is[1].ID != 12 {
					t.Errorf("got %+v", is)
				}
			},
		},
		{
			name: "incidents with defaults", want: request{method: "GET", path: "/api/v1/incidents"},
			answer: `{"incidents": []}`,
			call:   func(c *Client) (any, []byte, error) { return c.Incidents(ctx, "", 0) },
		},
		{
			name: "incident", want: request{method: "GET", path: "/api/v1/incidents/12"},
			answer: incidentJSON,
			call:   func(c *Client) (any, []byte, error) { return c.Incident(ctx, 12) },
			check:  checkIncident,
		},
		{
			name:   "open incident",
			want:   request{method: "POST", path: "/api/v1/incidents", body: `{"title": "Down", "impact": "major", "body": "Looking.", "components": {"flexo/web": "major_outage"}, "started_at": "2026-08-12T16:48:00Z", "draft": true}`},
			status: 201, answer: incidentJSON,
			call: func(c *Client) (any, []byte, error) {
				return c.OpenIncident(ctx, IncidentCreate{Title: "Down", Impact: "major", Body: "Looking.",
					Components: map[string]string{"flexo/web": "major_outage"}, StartedAt: ptr(mustTime("2026-08-12T16:48:00Z")), Draft: true})
			},
			check: checkIncident,
		},
		{
			name:   "update incident",
			want:   request{method: "POST", path: "/api/v1/incidents/12/updates", body: `{"status": "identified", "body": "Found it.", "components": {"flexo/web": "partial_outage"}}`},
			status: 201, answer: incidentJSON,
			call: func(c *Client) (any, []byte, error) {
				return c.UpdateIncident(ctx, 12, IncidentUpdateRequest{Status: "identified", Body: "Found it.", Components: map[string]string{"flexo/web": "partial_outage"}})
			},
			check: checkIncident,
		},
		{
			name:   "resolve incident",
			want:   request{method: "POST", path: "/api/v1/incidents/12/resolve", body: `{"body": "Fixed.", "resolved_at": "2026-08-12T16:52:00-07:00", "postmortem": "# Why"}`},
			answer: incidentJSON,
			call: func(c *Client) (any, []byte, error) {
				return c.ResolveIncident(ctx, 12, IncidentResolve{Body: "Fixed.", ResolvedAt: ptr(mustTime("2026-08-12T16:52:00-07:00")), Postmortem: "# Why"})
			},
		},
		{
			name:   "resolve incident with nothing",
			want:   request{method: "POST", path: "/api/v1/incidents/12/resolve", body: `{}`},
			answer: incidentJSON,
			call:   func(c *Client) (any, []byte, error) { return c.ResolveIncident(ctx, 12, IncidentResolve{}) },
		},
		{
			name: "publish incident", want: request{method: "POST", path: "/api/v1/incidents/12/publish"},
			answer: incidentJSON,
			call:   func(c *Client) (any, []byte, error) { return c.PublishIncident(ctx, 12) },
		},
		{
			name:   "set postmortem",
			want:   request{method: "PUT", path: "/api/v1/incidents/12/postmortem", body: `{"body": "# What happened"}`},
			answer: incidentJSON,
			call:   func(c *Client) (any, []byte, error) { return c.SetPostmortem(ctx, 12, "# What happened") },
		},
		{
			name:   "edit incident",
			want:   request{method: "PATCH", path: "/api/v1/incidents/12", body: `{"title": "New", "started_at": "2026-08-12T16:40:00Z"}`},
			answer: incidentJSON,
			call: func(c *Client) (any, []byte, error) {
				return c.EditIncident(ctx, 12, IncidentEdit{Title: ptr("New"), StartedAt: ptr(mustTime("2026-08-12T16:40:00Z"))})
			},
		},
		{
			name:   "delete incident",
			want:   request{method: "DELETE", path: "/api/v1/incidents/12"},
			status: 204,
			call:   func(c *Client) (any, []byte, error) { return nil, nil, c.DeleteIncident(ctx, 12) },
		},
		{
			name:   "link incidents",
			want:   request{method: "POST", path: "/api/v1/incidents/12/links", body: `{"incident_id": 9}`},
			answer: incidentJSON,
			call:   func(c *Client) (any, []byte, error) { return c.LinkIncidents(ctx, 12, 9) },
		},
		{
			name:   "unlink incidents",
			want:   request{method: "DELETE", path: "/api/v1/incidents/12/links/9"},
			answer: incidentJSON,
			call:   func(c *Client) (any, []byte, error) { return c.UnlinkIncidents(ctx, 12, 9) },
		},
		{
			name: "maintenances", want: request{method: "GET", path: "/api/v1/maintenance", query: "state=upcoming"},
			answer: `{"maintenance": [` + maintenanceJSON + `]}`,
			call:   func(c *Client) (any, []byte, error) { return c.Maintenances(ctx, "upcoming", 0) },
			check: func(t *testing.T, got any) {
				if ms := got.([]Maintenance); len(ms) != 1 || ms[0].ID != 4 {
					t.Errorf("got %+v", ms)
				}
			},
		},
		{
			name: "maintenance", want: request{method: "GET", path: "/api/v1/maintenance/4"},
			answer: maintenanceJSON,
			call:   func(c *Client) (any, []byte, error) { return c.Maintenance(ctx, 4) },
			check:  checkMaintenance,
		},
		{
			name:   "schedule maintenance",
			want:   request{method: "POST", path: "/api/v1/maintenance", body: `{"title": "Kernel", "body": "Reboots.", "components": ["flexo/web", "mom/web"], "start": "2026-04-03T23:00:00-07:00", "duration": "5m"}`},
			status: 201, answer: maintenanceJSON,
			call: func(c *Client) (any, []byte, error) {
				return c.ScheduleMaintenance(ctx, MaintenanceCreate{Title: "Kernel", Body: "Reboots.",
					Components: []string{"flexo/web", "mom/web"}, Start: mustTime("2026-04-03T23:00:00-07:00"), Duration: "5m"})
			},
			check: checkMaintenance,
		},
		{
			name:   "edit maintenance",
			want:   request{method: "PATCH", path: "/api/v1/maintenance/4", body: `{"add_components": ["zapp/web"], "end": "2026-04-04T06:10:00Z", "update": "zapp too"}`},
			answer: maintenanceJSON,
			call: func(c *Client) (any, []byte, error) {
				return c.EditMaintenance(ctx, 4, MaintenanceEdit{AddComponents: []string{"zapp/web"}, End: ptr(mustTime("2026-04-04T06:10:00Z")), Update: "zapp too"})
			},
		},
		{
			name:   "post maintenance update",
			want:   request{method: "POST", path: "/api/v1/maintenance/4/updates", body: `{"body": "Half done."}`},
			status: 201, answer: maintenanceJSON,
			call: func(c *Client) (any, []byte, error) { return c.PostMaintenanceUpdate(ctx, 4, "Half done.") },
		},
		{
			name:   "complete maintenance",
			want:   request{method: "POST", path: "/api/v1/maintenance/4/complete", body: `{"body": "Done."}`},
			answer: maintenanceJSON,
			call:   func(c *Client) (any, []byte, error) { return c.CompleteMaintenance(ctx, 4, "Done.") },
		},
		{
			name:   "cancel maintenance without a message",
			want:   request{method: "POST", path: "/api/v1/maintenance/4/cancel", body: `{}`},
			answer: maintenanceJSON,
			call:   func(c *Client) (any, []byte, error) { return c.CancelMaintenance(ctx, 4, "") },
		},
		{
			name:   "changes",
			want:   request{method: "GET", path: "/api/v1/changes", query: "limit=5&subject=incident%3A12"},
			answer: `{"changes": [{"id": 40, "at": "2026-08-12T16:50:02Z", "actor": "token:3", "action": "incident.update", "subject": "incident:12", "before": {"status": "investigating"}, "after": {"status": "identified"}}]}`,
			call:   func(c *Client) (any, []byte, error) { return c.Changes(ctx, "incident:12", 5) },
			check: func(t *testing.T, got any) {
				cs := got.([]Change)
				if len(cs) != 1 || cs[0].Action != "incident.update" || string(cs[0].After) != `{"status": "identified"}` {
					t.Errorf("got %+v", cs)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status := tc.status
			if status == 0 {
				status = 200
			}
			c := fakeAPI(t, tc.want, status, tc.answer)
			got, raw, err := tc.call(c)
			if err != nil {
				t.Fatal(err)
			}
			if string(raw) != tc.answer {
				t.Errorf("raw answer = %q, want it unchanged", raw)
			}
			if tc.check != nil {
				tc.check(t, got)
			}
		})
	}
}

func checkIncident(t *testing.T, got any) {
	t.Helper()
	inc := got.(Incident)
	switch {
	case inc.ID != 12 || inc.Status != "identified" || inc.Impact != "major":
		t.Errorf("incident = %+v", inc)
	case inc.IdentifiedAt == nil || !inc.IdentifiedAt.Equal(mustTime("2026-08-12T16:50:02Z")):
		t.Errorf("identified_at = %v", inc.IdentifiedAt)
	case inc.MonitoringAt != nil || inc.ResolvedAt != nil || inc.PostmortemPublishedAt != nil:
		t.Errorf("null times decoded as %v %v %v", inc.MonitoringAt, inc.ResolvedAt, inc.PostmortemPublishedAt)
	case len(inc.Components) != 1 || inc.Components[0].Status != "major_outage":
		t.Errorf("components = %+v", inc.Components)
	case len(inc.Updates) != 1 || len(inc.Updates[0].Changes) != 1 || inc.Updates[0].Changes[0].New != "partial_outage":
		t.Errorf("updates = %+v", inc.Updates)
	case !reflect.DeepEqual(inc.Links, []int64{9}):
		t.Errorf("links = %v", inc.Links)
	}
}

func checkMaintenance(t *testing.T, got any) {
	t.Helper()
	m := got.(Maintenance)
	if m.ID != 4 || m.StartedAt != nil || m.ScheduledUntil.Sub(m.ScheduledFor) != 5*time.Minute ||
		len(m.Components) != 1 || len(m.Updates) != 1 || m.Updates[0].Body != "Planned." {
		t.Errorf("maintenance = %+v", m)
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name       string
		status     int
		answer     string
		wantStatus int // 0: not an *APIError
		want       []string
	}{
		{"not found", 404, `{"error": {"status": 404, "message": "incident 12 not found"}}`, 404, []string{"incident 12 not found (404)"}},
		{"bad token", 401, `{"error": {"status": 401, "message": "unknown token"}}`, 401, []string{"unknown token (401)", "check HERALD_TOKEN"}},
		{"read token", 403, `{"error": {"status": 403, "message": "read-only token"}}`, 403, []string{"read-only token (403)", "write scope"}},
		{"conflict", 409, `{"error": {"status": 409, "message": "the incident is already resolved"}}`, 409, []string{"already resolved (409)"}},
		{"proxy page", 502, `<html>Bad Gateway</html>`, 502, []string{"bad gateway", "(502)", "check HERALD_URL"}},
		{"not json", 200, `<html>a blog</html>`, 0, []string{"decoding the answer to GET /api/v1/incidents/12", "HERALD_URL"}},
		{"too large", 200, `{"title": "` + strings.Repeat("x", maxAnswer) + `"}`, 0, []string{"over 8 MiB"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := fakeAPI(t, request{method: "GET", path: "/api/v1/incidents/12"}, tc.status, tc.answer)
			_, _, err := c.Incident(context.Background(), 12)
			if err == nil {
				t.Fatal("no error")
			}
			var ae *APIError
			if isAPI := errors.As(err, &ae); isAPI != (tc.wantStatus != 0) || (isAPI && ae.Status != tc.wantStatus) {
				t.Errorf("error %#v, want an APIError with status %d", err, tc.wantStatus)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close() // nothing listens on its address any more
	c, err := New(srv.URL, token, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Status(context.Background())
	if err == nil || !strings.Contains(err.Error(), "cannot reach Herald at "+srv.URL) || !strings.Contains(err.Error(), "check HERALD_URL") {
		t.Errorf("error = %v", err)
	}
}

func TestTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers
	}))
	defer srv.Close()
	c, err := New(srv.URL, token, &http.Client{Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Status(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no answer in time from Herald at "+srv.URL) {
		t.Errorf("error = %v", err)
	}
}

func TestNew(t *testing.T) {
	cases := []struct {
		name, url, want string // want "" means an error
	}{
		{"plain", "http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"trailing slash", "https://status.example.com/", "https://status.example.com"},
		{"path prefix", "https://example.com/status/", "https://example.com/status"},
		{"api path given", "https://status.example.com/api/v1/", "https://status.example.com"},
		{"no scheme", "status.example.com", ""},
		{"host and port only", "localhost:8080", ""},
		{"relative", "/api/v1", ""},
		{"other scheme", "ftp://example.com", ""},
		{"query", "https://example.com/?a=b", ""},
		{"empty", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.url, token, nil)
			switch {
			case tc.want == "" && err == nil:
				t.Errorf("New(%q) = %q, want an error", tc.url, c.BaseURL())
			case tc.want != "" && err != nil:
				t.Errorf("New(%q): %v", tc.url, err)
			case tc.want != "" && c.BaseURL() != tc.want:
				t.Errorf("New(%q).BaseURL() = %q, want %q", tc.url, c.BaseURL(), tc.want)
			}
		})
	}
}

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/client"
)

const remoteToken = "hrld_test"

// Answers in the shapes of docs/api.md.
const (
	incident12 = `{"id": 12, "title": "Web sites on flexo unreachable", "impact": "major", "status": "identified",
  "draft": false, "auto": false, "started_at": "2026-08-12T16:48:00Z", "identified_at": "2026-08-12T16:50:02Z",
  "monitoring_at": null, "resolved_at": null, "published_at": "2026-08-12T16:49:10Z",
  "created_at": "2026-08-12T16:49:10Z", "updated_at": "2026-08-12T16:50:02Z",
  "components": [{"id": "flexo/web", "name": "Web sites", "status": "partial_outage"}],
  "updates": [
    {"id": 30, "status": "investigating", "body": "We are looking into it.", "created_at": "2026-08-12T16:49:10Z", "display_at": "2026-08-12T16:49:10Z",
     "changes": [{"component": "flexo/web", "old": "operational", "new": "major_outage"}]},
    {"id": 31, "status": "identified", "body": "Apache did not answer a graceful reload.", "created_at": "2026-08-12T16:50:02Z", "display_at": "2026-08-12T16:50:02Z",
     "changes": [{"component": "flexo/web", "old": "major_outage", "new": "partial_outage"}]}],
  "postmortem": "The reload hook timed out.\n\nWe added a health check.", "postmortem_published_at": null, "links": [9]}`
	incident9 = `{"id": 9, "title": "Mail delayed", "impact": "minor", "status": "resolved", "draft": false, "auto": true,
  "started_at": "2026-08-10T10:00:00Z", "identified_at": null, "monitoring_at": null, "resolved_at": "2026-08-10T11:12:00Z",
  "published_at": "2026-08-10T10:01:00Z", "created_at": "2026-08-10T10:01:00Z", "updated_at": "2026-08-10T11:12:00Z",
  "components": [], "updates": [], "postmortem": "", "postmortem_published_at": null, "links": []}`
	incident13 = `{"id": 13, "title": "DNS slow", "impact": "none", "status": "investigating", "draft": true, "auto": false,
  "started_at": "2026-08-12T17:00:00Z", "identified_at": null, "monitoring_at": null, "resolved_at": null,
  "published_at": null, "created_at": "2026-08-12T17:00:00Z", "updated_at": "2026-08-12T17:00:00Z",
  "components": [], "updates": [], "postmortem": "", "postmortem_published_at": null, "links": []}`
	maintenance4 = `{"id": 4, "title": "Kernel update on flexo, mom and elzar", "body": "The servers will be restarted.",
  "status": "scheduled", "scheduled_for": "2026-04-04T06:00:00Z", "scheduled_until": "2026-04-04T06:05:00Z",
  "started_at": null, "completed_at": null, "created_at": "2026-04-01T17:00:00Z", "updated_at": "2026-04-01T17:00:00Z",
  "sequence": 0, "components": [{"id": "flexo/web", "name": "Web sites"}, {"id": "mom/web", "name": "Web sites"}],
  "updates": [{"id": 7, "status": "scheduled", "body": "Expect a minute of downtime.", "created_at": "2026-04-01T17:00:00Z", "display_at": "2026-04-01T17:00:00Z"}]}`
)

// apiRoute is one request the fake server expects, and its answer.
type apiRoute struct {
	method, path, query string
	body                string // expected JSON body, compared by value; "" means none
	status              int    // 0 means 200
	answer              string
	noZone              bool   // answer as a server that does not name the page's zone
	now                 string // the server's time (Herald-Now), RFC 3339; "" means not given
}

// fakeHerald serves the routes given, each expected exactly once, and
// checks the token and the request bodies.
func fakeHerald(t *testing.T, routes ...apiRoute) *httptest.Server {
	t.Helper()
	var mu sync.Mutex
	hits := make([]int, len(routes))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+remoteToken {
			w.WriteHeader(401)
			io.WriteString(w, `{"error": {"status": 401, "message": "unknown token"}}`)
			return
		}
		for i, rt := range routes {
			if rt.method == r.Method && rt.path == r.URL.Path {
				mu.Lock()
				hits[i]++
				mu.Unlock()
				serveAPIRoute(t, w, r, rt)
				return
			}
		}
		t.Errorf("unexpected request %s %s", r.Method, r.URL)
		w.WriteHeader(404)
		io.WriteString(w, `{"error": {"status": 404, "message": "no such route"}}`)
	}))
	t.Cleanup(func() {
		srv.Close()
		for i, n := range hits {
			if n != 1 {
				t.Errorf("%s %s was requested %d times, want once", routes[i].method, routes[i].path, n)
			}
		}
	})
	return srv
}

func serveAPIRoute(t *testing.T, w http.ResponseWriter, r *http.Request, rt apiRoute) {
	if r.URL.RawQuery != rt.query {
		t.Errorf("%s %s: query %q, want %q", r.Method, r.URL.Path, r.URL.RawQuery, rt.query)
	}
	body, _ := io.ReadAll(r.Body)
	if !sameJSONBody(body, rt.body) {
		t.Errorf("%s %s: body %s\nwant %s", r.Method, r.URL.Path, body, rt.body)
	}
	if rt.status == 0 {
		rt.status = 200
	}
	if !rt.noZone {
		w.Header().Set("Herald-Time-Zone", "America/Los_Angeles")
	}
	if rt.now != "" {
		w.Header().Set("Herald-Now", rt.now)
	}
	w.WriteHeader(rt.status)
	io.WriteString(w, rt.answer)
}

func sameJSONBody(got []byte, want string) bool {
	if want == "" || len(got) == 0 {
		return want == "" && len(got) == 0
	}
	var g, w any
	if json.Unmarshal(got, &g) != nil || json.Unmarshal([]byte(want), &w) != nil {
		return false
	}
	return reflect.DeepEqual(g, w)
}

// remoteCase runs one command line against the fake server.
type remoteCase struct {
	name   string
	args   []string
	stdin  string
	noEnv  bool // run without HERALD_URL and HERALD_TOKEN
	routes []apiRoute
	code   int
	// lastLine, when set, must be stdout's last line.
	lastLine string
	// stdout and stderr hold substrings that must appear; lines holds lines
	// that must appear in stdout, compared with runs of spaces squeezed.
	stdout, stderr, lines []string
}

func (tc remoteCase) run(t *testing.T) {
	t.Helper()
	srv := fakeHerald(t, tc.routes...)
	vars := map[string]string{"HERALD_URL": srv.URL, "HERALD_TOKEN": remoteToken}
	if tc.noEnv {
		vars = nil
	}
	var stdout, stderr bytes.Buffer
	env := &Env{
		Stdin: strings.NewReader(tc.stdin), Stdout: &stdout, Stderr: &stderr,
		Getenv: func(k string) string { return vars[k] },
	}
	args := make([]string, len(tc.args))
	for i, a := range tc.args {
		args[i] = strings.ReplaceAll(a, "$URL", srv.URL)
	}
	code := RunEnv(context.Background(), env, args)
	out, errOut := stdout.String(), stderr.String()
	if code != tc.code {
		t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
	}
	if tc.lastLine != "" {
		lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
		if last := lines[len(lines)-1]; last != tc.lastLine {
			t.Errorf("last line %q, want %q\nstdout: %s", last, tc.lastLine, out)
		}
	}
	for _, want := range tc.stdout {
		if !strings.Contains(out, want) {
			t.Errorf("stdout does not contain %q:\n%s", want, out)
		}
	}
	for _, want := range tc.stderr {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr does not contain %q:\n%s", want, errOut)
		}
	}
	squeezed := map[string]bool{}
	for _, l := range strings.Split(out, "\n") {
		squeezed[strings.Join(strings.Fields(l), " ")] = true
	}
	for _, want := range tc.lines {
		if !squeezed[want] {
			t.Errorf("stdout has no line %q:\n%s", want, out)
		}
	}
}

// pacificTS is how the commands print an RFC 3339 time to the minute: in
// the page's zone, which the fake server names, with its abbreviation.
func pacificTS(s string) string { return inPacific(s, "2006-01-02 15:04 MST") }

// pacificStamp is a time to the second, as the timelines print it.
func pacificStamp(s string) string { return inPacific(s, "2006-01-02 15:04:05 MST") }

func inPacific(s, layout string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		panic(err)
	}
	return t.In(la).Format(layout)
}

func TestIncidentCommands(t *testing.T) {
	Parallel(t)
	pmFile := filepath.Join(t.TempDir(), "pm.md")
	if err := os.WriteFile(pmFile, []byte("# What happened\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []remoteCase{
		{
			name: "open",
			args: []string{"incident", "open", "--title", "Web sites on flexo unreachable", "--impact", "major",
				"--component", "flexo/web=major_outage", "--status", "investigating", "--body", "We are looking into it."},
			routes: []apiRoute{{method: "POST", path: "/api/v1/incidents", status: 201, answer: incident12,
				body: `{"title": "Web sites on flexo unreachable", "impact": "major", "status": "investigating",
				"body": "We are looking into it.", "components": {"flexo/web": "major_outage"}}`}},
			stdout:   []string{"Opened incident 12 (major, identified): Web sites on flexo unreachable"},
			lastLine: "12",
		},
		{
			name: "open a backdated draft on two components",
			args: []string{"incident", "open", "--title", "T", "--component", "flexo/web=major_outage", "--component", "mom/web = partial_outage",
				"--body", "B", "--draft", "--started-at", "2026-08-12T16:48:00+02:00"},
			routes: []apiRoute{{method: "POST", path: "/api/v1/incidents", status: 201, answer: incident13,
				body: `{"title": "T", "body": "B", "components": {"flexo/web": "major_outage", "mom/web": "partial_outage"},
				"started_at": "2026-08-12T16:48:00+02:00", "draft": true}`}},
			stdout:   []string{"herald incident publish 13"},
			lastLine: "13",
		},
		{
			name:   "open --json prints the answer only",
			args:   []string{"incident", "open", "--json", "--title", "T", "--component", "flexo/web=major_outage", "--body", "B"},
			routes: []apiRoute{{method: "POST", path: "/api/v1/incidents", status: 201, answer: incident12, body: `{"title": "T", "body": "B", "components": {"flexo/web": "major_outage"}}`}},
			stdout: []string{incident12 + "\n"},
		},
		{
			name: "open from a template",
			args: []string{"incident", "open", "--template", "power", "--component", "flexo/web=partial_outage"},
			routes: []apiRoute{{method: "POST", path: "/api/v1/incidents", status: 201, answer: incident12,
				body: `{"title": "", "body": "", "components": {"flexo/web": "partial_outage"}, "template": "power"}`}},
			stdout: []string{"Opened incident 12"},
		},
		{
			name: "update from a template",
			args: []string{"incident", "update", "12", "--template", "monitoring"},
			routes: []apiRoute{{method: "POST", path: "/api/v1/incidents/12/updates", status: 201, answer: incident12,
				body: `{"body": "", "template": "monitoring"}`}},
		},
		{
			name: "templates",
			args: []string{"incident", "templates"},
			routes: []apiRoute{{method: "GET", path: "/api/v1/incident-templates", answer: `{"templates": [
				{"name": "power", "label": "Power failure", "title": "Power failure", "status": "identified", "impact": "critical",
				 "body": "A power failure has taken flexo offline.", "components": {}, "built_in": false}]}`}},
			stdout: []string{"NAME", "power", "identified", "configuration", "Power failure: A power failure has taken flexo offline."},
		},
		{
			name: "update with flags after the id",
			args: []string{"incident", "update", "12", "--status", "identified", "--body", "Apache did not answer.", "--component", "flexo/web=partial_outage"},
			routes: []apiRoute{{method: "POST", path: "/api/v1/incidents/12/updates", status: 201, answer: incident12,
				body: `{"status": "identified", "body": "Apache did not answer.", "components": {"flexo/web": "partial_outage"}}`}},
			stdout: []string{"Updated incident 12, now identified"},
		},
		{
			name:   "update with flags before the id",
			args:   []string{"incident", "update", "--body", "Still on it.", "12"},
			routes: []apiRoute{{method: "POST", path: "/api/v1/incidents/12/updates", status: 201, answer: incident12, body: `{"body": "Still on it."}`}},
		},
		{
			name: "resolve with a postmortem from a file",
			args: []string{"incident", "resolve", "9", "--body", "Fixed.", "--resolved-at", "2026-08-10T11:12:00Z", "--postmortem-file", pmFile},
			routes: []apiRoute{{method: "POST", path: "/api/v1/incidents/9/resolve", answer: incident9,
				body: `{"body": "Fixed.", "resolved_at": "2026-08-10T11:12:00Z", "postmortem": "# What happened\n"}`}},
			stdout: []string{"Resolved incident 9 after 1 hour 12 minutes: Mail delayed"},
		},
		{
			name:   "resolve with a postmortem from stdin",
			args:   []string{"incident", "resolve", "9", "--postmortem-file", "-"},
			stdin:  "It was DNS.",
			routes: []apiRoute{{method: "POST", path: "/api/v1/incidents/9/resolve", answer: incident9, body: `{"postmortem": "It was DNS."}`}},
		},
		{
			name:   "postmortem from stdin",
			args:   []string{"incident", "postmortem", "12", "--file", "-"},
			stdin:  "# Postmortem\n",
			routes: []apiRoute{{method: "PUT", path: "/api/v1/incidents/12/postmortem", answer: incident12, body: `{"body": "# Postmortem\n"}`}},
			stdout: []string{"Set the postmortem of incident 12"},
		},
		{
			name:   "publish",
			args:   []string{"incident", "publish", "13"},
			routes: []apiRoute{{method: "POST", path: "/api/v1/incidents/13/publish", answer: incident13}},
			stdout: []string{"Published incident 13: DNS slow"},
		},
		{
			name: "edit sends only the fields given",
			args: []string{"incident", "edit", "12", "--title", "Flexo down", "--started-at", "2026-08-12T16:40:00Z"},
			routes: []apiRoute{{method: "PATCH", path: "/api/v1/incidents/12", answer: incident12,
				body: `{"title": "Flexo down", "started_at": "2026-08-12T16:40:00Z"}`}},
		},
		{
			name:   "edit can set an empty impact explicitly",
			args:   []string{"incident", "edit", "12", "--impact", ""},
			routes: []apiRoute{{method: "PATCH", path: "/api/v1/incidents/12", answer: incident12, body: `{"impact": ""}`}},
		},
		{
			name:   "delete",
			args:   []string{"incident", "delete", "13"},
			routes: []apiRoute{{method: "DELETE", path: "/api/v1/incidents/13", status: 204}},
			stdout: []string{"Deleted incident 13"},
		},
		{
			name:   "link",
			args:   []string{"incident", "link", "12", "9"},
			routes: []apiRoute{{method: "POST", path: "/api/v1/incidents/12/links", answer: incident12, body: `{"incident_id": 9}`}},
			stdout: []string{"Linked incidents 12 and 9"},
		},
		{
			name:   "unlink",
			args:   []string{"incident", "link", "12", "9", "--remove"},
			routes: []apiRoute{{method: "DELETE", path: "/api/v1/incidents/12/links/9", answer: incident12}},
		},
		{
			name: "list",
			args: []string{"incident", "list", "--state", "all", "--limit", "3"},
			routes: []apiRoute{{method: "GET", path: "/api/v1/incidents", query: "limit=3&state=all",
				answer: `{"incidents": [` + incident13 + `,` + incident12 + `,` + incident9 + `]}`}},
			lines: []string{
				"ID STATUS IMPACT STARTED DURATION TITLE",
				"9 resolved minor 2026-08-10 03:00 PDT 1 hour 12 minutes Mail delayed",
			},
			stdout: []string{"13  investigating (draft)  none", " so far "},
		},
		{
			name:   "list --json prints the answer",
			args:   []string{"incident", "list", "--json"},
			routes: []apiRoute{{method: "GET", path: "/api/v1/incidents", answer: `{"incidents": []}`}},
			stdout: []string{`{"incidents": []}` + "\n"},
		},
		{
			name:   "list nothing",
			args:   []string{"incident", "list", "--state", "open"},
			routes: []apiRoute{{method: "GET", path: "/api/v1/incidents", query: "state=open", answer: `{"incidents": []}`}},
			stdout: []string{"No incidents."},
		},
		{
			name:   "show",
			args:   []string{"incident", "show", "12"},
			routes: []apiRoute{{method: "GET", path: "/api/v1/incidents/12", answer: incident12}},
			lines: []string{
				"Incident 12: Web sites on flexo unreachable",
				"Status: identified", "Impact: major",
				"Started: 2026-08-12 09:48:00 PDT",
				"Identified: 2026-08-12 09:50:02 PDT",
				"Links: 9",
				"flexo/web Web sites partial_outage",
				"flexo/web: major_outage -> partial_outage",
				"The reload hook timed out.",
			},
			// Newest first, whatever order the answer had.
			stdout: []string{"identified\n    Apache did not answer a graceful reload.\n    flexo/web: major_outage -> partial_outage\n  " +
				pacificStamp("2026-08-12T16:49:10Z") + "  investigating\n    We are looking into it.\n",
				// When it ran, as its page says it (the day's words depend on today).
				"\nWhen:        Since ", "9:48 AM Pacific time · ", " so far\n"},
		},
		{
			// "So far" and "Today" are the server's: a demo's clock runs
			// sixty times faster than this machine's, a server's may be off.
			name: "show by the server's clock",
			args: []string{"incident", "show", "12"},
			routes: []apiRoute{{method: "GET", path: "/api/v1/incidents/12", answer: incident12,
				now: "2026-08-12T16:53:30Z"}},
			stdout: []string{"\nWhen:        Since Today, 9:48 AM Pacific time · five minutes so far\n"},
		},
		{
			name:   "show from a server that does not name its zone",
			args:   []string{"incident", "show", "9"},
			routes: []apiRoute{{method: "GET", path: "/api/v1/incidents/9", answer: incident9, noZone: true}},
			lines:  []string{"Started: 2026-08-10 10:00:00 UTC", "Resolved: 2026-08-10 11:12:00 UTC"},
			stdout: []string{"10:00 to 11:12 AM UTC · 1 hour 12 minutes"},
		},
		{
			name:   "url and token flags replace the environment",
			args:   []string{"incident", "show", "--url", "$URL/", "--token", remoteToken, "12", "--json"},
			noEnv:  true,
			routes: []apiRoute{{method: "GET", path: "/api/v1/incidents/12", answer: incident12}},
			stdout: []string{incident12},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, tc.run)
	}
}

func TestMaintenanceCommands(t *testing.T) {
	Parallel(t)
	cases := []remoteCase{
		{
			name: "schedule with a duration",
			args: []string{"maintenance", "schedule", "--title", "Kernel update", "--component", "flexo/web", "--component", "mom/web",
				"--start", "2026-04-03T23:00:00-07:00", "--duration", "5m", "--body", "The servers will be restarted."},
			routes: []apiRoute{{method: "POST", path: "/api/v1/maintenance", status: 201, answer: maintenance4,
				body: `{"title": "Kernel update", "body": "The servers will be restarted.", "components": ["flexo/web", "mom/web"],
				"start": "2026-04-03T23:00:00-07:00", "duration": "5m"}`}},
			stdout:   []string{"Scheduled maintenance 4, ", "11:00 to 11:05 PM Pacific time · five minutes: Kernel update"},
			lastLine: "4",
		},
		{
			name: "schedule with an end",
			args: []string{"maintenance", "schedule", "--title", "K", "--component", "flexo/web", "--start", "2026-04-04T06:00:00Z",
				"--end", "2026-04-04T06:05:00Z", "--body", "B"},
			routes: []apiRoute{{method: "POST", path: "/api/v1/maintenance", status: 201, answer: maintenance4,
				body: `{"title": "K", "body": "B", "components": ["flexo/web"], "start": "2026-04-04T06:00:00Z", "end": "2026-04-04T06:05:00Z"}`}},
			lastLine: "4",
		},
		{
			name: "update adds a component and posts the body as an update",
			args: []string{"maintenance", "update", "4", "--add-component", "zapp/web", "--body", "zapp is restarted too."},
			routes: []apiRoute{{method: "PATCH", path: "/api/v1/maintenance/4", answer: maintenance4,
				body: `{"add_components": ["zapp/web"], "update": "zapp is restarted too."}`}},
			stdout: []string{"Updated maintenance 4, scheduled"},
		},
		{
			name: "update moves and renames",
			args: []string{"maintenance", "update", "4", "--title", "Kernel", "--remove-component", "mom/web",
				"--start", "2026-04-04T07:00:00Z", "--duration", "10m"},
			routes: []apiRoute{{method: "PATCH", path: "/api/v1/maintenance/4", answer: maintenance4,
				body: `{"title": "Kernel", "remove_components": ["mom/web"], "start": "2026-04-04T07:00:00Z", "duration": "10m"}`}},
		},
		{
			name:   "post",
			args:   []string{"maintenance", "post", "4", "--body", "Half the servers are done."},
			routes: []apiRoute{{method: "POST", path: "/api/v1/maintenance/4/updates", status: 201, answer: maintenance4, body: `{"body": "Half the servers are done."}`}},
		},
		{
			name:   "complete",
			args:   []string{"maintenance", "complete", "4", "--body", "All done."},
			routes: []apiRoute{{method: "POST", path: "/api/v1/maintenance/4/complete", answer: maintenance4, body: `{"body": "All done."}`}},
			stdout: []string{"Completed maintenance 4"},
		},
		{
			name:   "cancel without a message",
			args:   []string{"maintenance", "cancel", "4"},
			routes: []apiRoute{{method: "POST", path: "/api/v1/maintenance/4/cancel", answer: maintenance4, body: `{}`}},
			stdout: []string{"Cancelled maintenance 4"},
		},
		{
			name:   "list",
			args:   []string{"maintenance", "list", "--state", "upcoming"},
			routes: []apiRoute{{method: "GET", path: "/api/v1/maintenance", query: "state=upcoming", answer: `{"maintenance": [` + maintenance4 + `]}`}},
			lines: []string{
				"ID STATUS START END COMPONENTS TITLE",
				"4 scheduled 2026-04-03 23:00 PDT 2026-04-03 23:05 PDT flexo/web,mom/web Kernel update on flexo, mom and elzar",
			},
		},
		{
			name:   "show",
			args:   []string{"maintenance", "show", "4"},
			routes: []apiRoute{{method: "GET", path: "/api/v1/maintenance/4", answer: maintenance4}},
			lines: []string{
				"Maintenance 4: Kernel update on flexo, mom and elzar",
				"Status: scheduled", "Components: flexo/web,mom/web",
				"The servers will be restarted.",
				"2026-04-01 10:00:00 PDT scheduled",
				"Expect a minute of downtime.",
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, tc.run)
	}
}

// TestRemoteErrors covers mistakes caught before any request (exit 2) and
// API errors (exit 1); no case expects a request unless it lists a route.
func TestRemoteErrors(t *testing.T) {
	Parallel(t)
	notFound := `{"error": {"status": 404, "message": "incident 12 not found"}}`
	cases := []remoteCase{
		{
			name: "api error", args: []string{"incident", "show", "12"}, code: 1,
			routes: []apiRoute{{method: "GET", path: "/api/v1/incidents/12", status: 404, answer: notFound}},
			stderr: []string{"herald incident: incident 12 not found (404)\n"},
		},
		{
			name: "conflict", args: []string{"maintenance", "cancel", "4"}, code: 1,
			routes: []apiRoute{{method: "POST", path: "/api/v1/maintenance/4/cancel", status: 409, body: `{}`,
				answer: `{"error": {"status": 409, "message": "maintenance 4 is completed"}}`}},
			stderr: []string{"herald maintenance: maintenance 4 is completed (409)"},
		},
		{
			name: "validation error", args: []string{"incident", "open", "--title", "T", "--component", "nope/web=major_outage", "--body", "B"}, code: 1,
			routes: []apiRoute{{method: "POST", path: "/api/v1/incidents", status: 422, body: `{"title": "T", "body": "B", "components": {"nope/web": "major_outage"}}`,
				answer: `{"error": {"status": 422, "message": "unknown component \"nope/web\""}}`}},
			stderr: []string{`unknown component "nope/web" (422)`},
		},
		{name: "wrong token", args: []string{"incident", "list", "--token", "hrld_wrong"}, code: 1, stderr: []string{"check HERALD_TOKEN"}},
		{name: "unreachable", args: []string{"incident", "list", "--url", "http://127.0.0.1:1"}, code: 1, stderr: []string{"cannot reach Herald at http://127.0.0.1:1", "check HERALD_URL"}},
		{name: "no HERALD_URL", args: []string{"incident", "list"}, noEnv: true, code: 2, stderr: []string{"set HERALD_URL", "HERALD_TOKEN"}},
		{name: "no HERALD_TOKEN", args: []string{"maintenance", "list", "--url", "http://127.0.0.1:1"}, noEnv: true, code: 2, stderr: []string{"set HERALD_TOKEN"}},
		{name: "relative url", args: []string{"incident", "list", "--url", "localhost:8080"}, code: 2, stderr: []string{"want an absolute http:// or https:// URL"}},
		{name: "id not a number", args: []string{"incident", "show", "twelve"}, code: 2, stderr: []string{`ID "twelve" is not an id`}},
		{name: "id missing", args: []string{"incident", "update", "--body", "B"}, code: 2, stderr: []string{"missing ID", "herald incident update ID"}},
		{name: "other id missing", args: []string{"incident", "link", "12"}, code: 2, stderr: []string{"missing OTHER"}},
		{name: "extra argument", args: []string{"incident", "show", "12", "13"}, code: 2, stderr: []string{`unexpected argument "13"`}},
		{name: "component without status", args: []string{"incident", "open", "--title", "T", "--component", "flexo/web", "--body", "B"}, code: 2, stderr: []string{"want ID=STATUS"}},
		{name: "component twice", args: []string{"incident", "update", "12", "--component", "a=major_outage", "--component", "a=operational"}, code: 2, stderr: []string{"given twice"}},
		{name: "bad time", args: []string{"incident", "resolve", "12", "--resolved-at", "yesterday"}, code: 2, stderr: []string{"not an RFC 3339 time"}},
		{name: "bad state", args: []string{"incident", "list", "--state", "closed"}, code: 2, stderr: []string{"want one of open, resolved, draft, all"}},
		{name: "edit nothing", args: []string{"incident", "edit", "12"}, code: 2, stderr: []string{"nothing to change"}},
		{name: "postmortem without file", args: []string{"incident", "postmortem", "12"}, code: 2, stderr: []string{"--file"}},
		{name: "postmortem file missing", args: []string{"incident", "postmortem", "12", "--file", "/nonexistent/pm.md"}, code: 1, stderr: []string{"/nonexistent/pm.md"}},
		{name: "unknown subcommand", args: []string{"incident", "close", "12"}, code: 2, stderr: []string{`unknown subcommand "close"`}},
		{name: "schedule without start", args: []string{"maintenance", "schedule", "--title", "T", "--duration", "5m"}, code: 2, stderr: []string{"--start"}},
		{name: "schedule with duration and end", args: []string{"maintenance", "schedule", "--start", "2026-04-04T06:00:00Z", "--duration", "5m", "--end", "2026-04-04T06:05:00Z"}, code: 2, stderr: []string{"exactly one of --duration and --end"}},
		{name: "bad duration", args: []string{"maintenance", "update", "4", "--duration", "5 minutes"}, code: 2, stderr: []string{"not a positive duration"}},
		{name: "maintenance update nothing", args: []string{"maintenance", "update", "4"}, code: 2, stderr: []string{"nothing to change"}},
		{name: "help", args: []string{"incident", "open", "-h"}, code: 0, stderr: []string{"usage: herald incident open", "-component"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, tc.run)
	}
}

func TestHelpHidesToken(t *testing.T) {
	Parallel(t)
	var stderr bytes.Buffer
	env := &Env{Stdout: io.Discard, Stderr: &stderr, Getenv: func(string) string { return "hrld_secret" }}
	RunEnv(context.Background(), env, []string{"incident", "list", "-h"})
	if strings.Contains(stderr.String(), "hrld_secret") {
		t.Errorf("help shows the token:\n%s", stderr.String())
	}
}

func TestIncidentTable(t *testing.T) {
	Parallel(t)
	start := time.Date(2026, 8, 12, 16, 48, 0, 0, time.UTC)
	ended := start.Add(4 * time.Minute)
	incs := []client.Incident{
		{ID: 113, Title: "Open  draft\nwith a newline", Impact: "major", Status: "investigating", Draft: true, StartedAt: start},
		{ID: 7, Title: "Short", Impact: "minor", Status: "resolved", StartedAt: start, ResolvedAt: &ended},
	}
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := writeIncidentTable(&b, incs, pageTimes{loc: la, name: "Pacific time", now: start.Add(5*time.Minute + 30*time.Second)}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines:\n%s", len(lines), b.String())
	}
	col := strings.Index(lines[0], "TITLE")
	for i, want := range []string{"Open draft with a newline", "Short"} {
		if got := lines[i+1][col:]; got != want {
			t.Errorf("row %d title column %q, want %q (misaligned?)\n%s", i+1, got, want, b.String())
		}
	}
	// Started in the page's zone, labelled; lengths as the pages word them.
	for i, want := range []string{"2026-08-12 09:48 PDT  five minutes so far", "2026-08-12 09:48 PDT  four minutes"} {
		if !strings.Contains(lines[i+1], want) {
			t.Errorf("row %d lacks %q: %s", i+1, want, lines[i+1])
		}
	}
	if !strings.Contains(lines[1], "investigating (draft)") {
		t.Errorf("draft not marked: %s", lines[1])
	}
}

package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/buildinfo"
	"github.com/heraldhq/herald/internal/markdown"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
	"github.com/heraldhq/herald/internal/syncbuf"
)

// t0 is the fake clock's start; the half second checks that answers truncate to seconds.
var t0 = time.Date(2026, 8, 12, 16, 49, 10, 500_000_000, time.UTC)

// fakeClock is a settable clock shared by the service and the test.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func (c *fakeClock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// syncBuffer is a log sink the server's goroutines and the test can share.
type syncBuffer = syncbuf.Buffer

// fixture is a service over a fresh store with the admin API on loopback.
type fixture struct {
	b       storetest.Backend
	svc     *service.Service
	clock   *fakeClock
	logs    *syncBuffer
	srv     *httptest.Server
	write   string // write-scope token
	read    string // read-scope token
	revoked string // a write token that was revoked
}

var groups = []string{"flexo", "mom", "elzar", "zapp"}

// componentNames are the names the catalog gives each group's components.
var componentNames = map[string]string{"web": "Web sites", "email": "E-mail"}

func newFixture(tb testing.TB, b storetest.Backend) *fixture {
	tb.Helper()
	ctx := context.Background()
	f := &fixture{b: b, clock: &fakeClock{now: t0}, logs: &syncBuffer{}}
	logger := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.svc = service.New(b.Store, f.clock, logger)

	var gs []store.Group
	var cs []store.Component
	for i, g := range groups {
		gs = append(gs, store.Group{ID: g, Name: strings.ToUpper(g[:1]) + g[1:], Position: i})
		for j, c := range []string{"web", "email"} {
			cs = append(cs, store.Component{ID: g + "/" + c, GroupID: g, Name: componentNames[c], Position: j})
		}
	}
	if err := f.svc.SyncCatalog(ctx, gs, cs); err != nil {
		tb.Fatalf("sync catalog: %v", err)
	}
	var err error
	if f.write, _, err = f.svc.CreateToken(ctx, "ci", service.ScopeWrite); err != nil {
		tb.Fatalf("create write token: %v", err)
	}
	if f.read, _, err = f.svc.CreateToken(ctx, "dashboard", service.ScopeRead); err != nil {
		tb.Fatalf("create read token: %v", err)
	}
	var rt *store.Token
	if f.revoked, rt, err = f.svc.CreateToken(ctx, "old", service.ScopeWrite); err != nil {
		tb.Fatalf("create token: %v", err)
	}
	if err := f.svc.RevokeToken(ctx, "cli", rt.ID); err != nil {
		tb.Fatalf("revoke token: %v", err)
	}

	mux := http.NewServeMux()
	api.NewAdmin(f.svc, logger).Register(mux)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	f.srv = httptest.NewUnstartedServer(mux)
	f.srv.Listener.Close()
	f.srv.Listener = l
	// A panic in a handler is recovered by net/http and logged here.
	f.srv.Config.ErrorLog = log.New(f.logs, "http: ", 0)
	f.srv.Start()
	tb.Cleanup(f.srv.Close)
	return f
}

// answer is an HTTP response, read whole.
type answer struct {
	code   int
	header http.Header
	body   []byte
}

func (a answer) String() string { return fmt.Sprintf("%d %s", a.code, a.body) }

// send makes a request with a raw body; contentType "" sends none.
func (f *fixture) send(tb testing.TB, method, path, token, contentType string, body []byte) answer {
	tb.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := f.srv.Client().Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v\nlog:\n%s", method, path, err, f.logs.String())
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return answer{code: res.StatusCode, header: res.Header, body: b}
}

// call sends body (a string as is, anything else marshalled) as JSON with the write token.
func (f *fixture) call(tb testing.TB, method, path string, body any) answer {
	tb.Helper()
	return f.callAs(tb, f.write, method, path, body)
}

func (f *fixture) callAs(tb testing.TB, token, method, path string, body any) answer {
	tb.Helper()
	var raw []byte
	switch v := body.(type) {
	case nil:
	case string:
		raw = []byte(v)
	default:
		var err error
		if raw, err = json.Marshal(v); err != nil {
			tb.Fatal(err)
		}
	}
	ct := ""
	if raw != nil {
		ct = "application/json"
	}
	return f.send(tb, method, path, token, ct, raw)
}

// want checks an answer's status and JSON headers, checks its times, and decodes it into v.
func want[T any](tb testing.TB, a answer, code int) T {
	tb.Helper()
	var v T
	if a.code != code {
		tb.Fatalf("status %d, want %d; body %s", a.code, code, a.body)
	}
	checkHeaders(tb, a)
	checkTimes(tb, a.body)
	dec := json.NewDecoder(bytes.NewReader(a.body))
	dec.DisallowUnknownFields() // the answer has the documented fields, no more
	if err := dec.Decode(&v); err != nil {
		tb.Fatalf("decode %s: %v", a.body, err)
	}
	return v
}

func checkHeaders(tb testing.TB, a answer) {
	tb.Helper()
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Errorf("Content-Type %q, want application/json", ct)
	}
	if cc := a.header.Get("Cache-Control"); cc != "no-store" {
		tb.Errorf("Cache-Control %q, want no-store", cc)
	}
}

type errorBody struct {
	Error struct {
		Status  int    `json:"status"`
		Message string `json:"message"`
	} `json:"error"`
}

// wantError checks an error answer: its status, its one shape, and words its message must hold.
func wantError(tb testing.TB, a answer, code int, words ...string) string {
	tb.Helper()
	e := want[errorBody](tb, a, code)
	if e.Error.Status != code {
		tb.Errorf("error.status %d, want %d", e.Error.Status, code)
	}
	if strings.TrimSpace(e.Error.Message) == "" {
		tb.Errorf("empty error message in %s", a.body)
	}
	for _, w := range words {
		if !strings.Contains(e.Error.Message, w) {
			tb.Errorf("message %q does not mention %q", e.Error.Message, w)
		}
	}
	return e.Error.Message
}

var rfc3339Seconds = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)

// isTimeKey says whether a key in an answer holds a time.
func isTimeKey(k string) bool {
	return k == "at" || strings.HasSuffix(k, "_at") || k == "scheduled_for" || k == "scheduled_until"
}

// checkTimes walks an answer and checks that every time is RFC 3339 UTC to the second, or null.
// The change log's before and after are stored objects, not API objects, and are skipped.
func checkTimes(tb testing.TB, body []byte) {
	tb.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		tb.Fatalf("answer is not JSON: %v: %s", err, body)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if k == "before" || k == "after" {
					continue
				}
				if isTimeKey(k) {
					if s, ok := e.(string); e != nil && (!ok || !rfc3339Seconds.MatchString(s)) {
						tb.Errorf("%s.%s = %v, want RFC 3339 UTC seconds or null", path, k, e)
					}
					continue
				}
				walk(path+"."+k, e)
			}
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		}
	}
	walk("", v)
}

// wantNull checks that a key is present in a JSON object and null.
func wantNull(tb testing.TB, body []byte, keys ...string) {
	tb.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		tb.Fatal(err)
	}
	for _, k := range keys {
		if v, ok := m[k]; !ok || string(v) != "null" {
			tb.Errorf("%s = %s (present %v), want null", k, v, ok)
		}
	}
}

// Answers, as docs/api.md describes them.

type incidentJSON struct {
	ID           int64   `json:"id"`
	Title        string  `json:"title"`
	Impact       string  `json:"impact"`
	Status       string  `json:"status"`
	Draft        bool    `json:"draft"`
	Auto         bool    `json:"auto"`
	StartedAt    *string `json:"started_at"`
	IdentifiedAt *string `json:"identified_at"`
	MonitoringAt *string `json:"monitoring_at"`
	ResolvedAt   *string `json:"resolved_at"`
	PublishedAt  *string `json:"published_at"`
	CreatedAt    *string `json:"created_at"`
	UpdatedAt    *string `json:"updated_at"`
	Components   []struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Status string `json:"status"`
	} `json:"components"`
	Updates []struct {
		ID        int64   `json:"id"`
		Status    string  `json:"status"`
		Body      string  `json:"body"`
		CreatedAt *string `json:"created_at"`
		DisplayAt *string `json:"display_at"`
		Changes   []struct {
			Component string `json:"component"`
			Old       string `json:"old"`
			New       string `json:"new"`
		} `json:"changes"`
	} `json:"updates"`
	Postmortem            string  `json:"postmortem"`
	PostmortemPublishedAt *string `json:"postmortem_published_at"`
	Links                 []int64 `json:"links"`
}

type maintenanceJSON struct {
	ID             int64   `json:"id"`
	Title          string  `json:"title"`
	Body           string  `json:"body"`
	Status         string  `json:"status"`
	ScheduledFor   *string `json:"scheduled_for"`
	ScheduledUntil *string `json:"scheduled_until"`
	StartedAt      *string `json:"started_at"`
	CompletedAt    *string `json:"completed_at"`
	CreatedAt      *string `json:"created_at"`
	UpdatedAt      *string `json:"updated_at"`
	Sequence       int     `json:"sequence"`
	Components     []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"components"`
	Updates []struct {
		ID        int64   `json:"id"`
		Status    string  `json:"status"`
		Body      string  `json:"body"`
		CreatedAt *string `json:"created_at"`
		DisplayAt *string `json:"display_at"`
	} `json:"updates"`
	SeriesID   int64   `json:"series_id"`
	Occurrence *string `json:"occurrence"`
}

type componentJSON struct {
	ID          string   `json:"id"`
	Group       string   `json:"group"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Status      string   `json:"status"`
	Position    int      `json:"position"`
	Removed     bool     `json:"removed"`
	DependsOn   []string `json:"depends_on"`
}

type changeJSON struct {
	ID      int64           `json:"id"`
	At      *string         `json:"at"`
	Actor   string          `json:"actor"`
	Action  string          `json:"action"`
	Subject string          `json:"subject"`
	Before  json.RawMessage `json:"before"`
	After   json.RawMessage `json:"after"`
}

type statusJSON struct {
	Indicator   string `json:"indicator"`
	Description string `json:"description"`
}

func str(p *string) string {
	if p == nil {
		return "<null>"
	}
	return *p
}

func ts(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }

func incidentIDs(list []incidentJSON) []int64 {
	var ids []int64
	for _, in := range list {
		ids = append(ids, in.ID)
	}
	return ids
}

func maintenanceIDs(list []maintenanceJSON) []int64 {
	var ids []int64
	for _, m := range list {
		ids = append(ids, m.ID)
	}
	return ids
}

func (f *fixture) componentStatuses(tb testing.TB) map[string]componentJSON {
	tb.Helper()
	list := want[struct {
		Components []componentJSON `json:"components"`
	}](tb, f.callAs(tb, f.read, "GET", "/api/v1/components", nil), 200)
	out := map[string]componentJSON{}
	for _, c := range list.Components {
		out[c.ID] = c
	}
	return out
}

func (f *fixture) incidents(tb testing.TB, query string) []int64 {
	tb.Helper()
	list := want[struct {
		Incidents []incidentJSON `json:"incidents"`
	}](tb, f.callAs(tb, f.read, "GET", "/api/v1/incidents"+query, nil), 200)
	return incidentIDs(list.Incidents)
}

func (f *fixture) maintenances(tb testing.TB, query string) []int64 {
	tb.Helper()
	list := want[struct {
		Maintenance []maintenanceJSON `json:"maintenance"`
	}](tb, f.callAs(tb, f.read, "GET", "/api/v1/maintenance"+query, nil), 200)
	return maintenanceIDs(list.Maintenance)
}

// step is one step of a story; a story stops at its first failed step.
type step struct {
	name string
	fn   func(t *testing.T)
}

func runSteps(t *testing.T, steps []step) {
	t.Helper()
	for _, s := range steps {
		if !t.Run(s.name, s.fn) {
			t.Fatalf("step %q failed; the later steps depend on it", s.name)
		}
	}
}

// /api/v1/about answers this binary's build information, field for field.
func TestAbout(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t))
	a := f.callAs(t, f.read, "GET", "/api/v1/about", nil)
	var got map[string]any
	if err := json.Unmarshal(a.body, &got); a.code != 200 || err != nil {
		t.Fatalf("GET /api/v1/about: %s (%v)", a, err)
	}
	in := buildinfo.Read()
	want := map[string]any{"version": in.Version, "commit": in.Commit, "modified": in.Modified, "build_date": in.Date, "go_version": in.GoVersion}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("about = %v, want %v", got, want)
	}
}

func TestAuth(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		body := `{"title": "t", "body": "b", "components": {"flexo/web": "major_outage"}}`
		cases := []struct {
			name          string
			method, path  string
			authorization string // the whole header; "" sends none
			body          string
			code          int
			challenge     bool // wants WWW-Authenticate
		}{
			{"no header", "GET", "/api/v1/status", "", "", 401, true},
			{"no header on a write", "POST", "/api/v1/incidents", "", body, 401, true},
			{"empty bearer", "GET", "/api/v1/status", "Bearer ", "", 401, true},
			{"basic auth", "GET", "/api/v1/status", "Basic dXNlcjpwYXNz", "", 401, true},
			{"garbage", "GET", "/api/v1/status", "Bearer garbage", "", 401, true},
			{"unknown token", "GET", "/api/v1/status", "Bearer hrld_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "", 401, true},
			{"very long token", "GET", "/api/v1/status", "Bearer hrld_" + strings.Repeat("A", 500), "", 401, true},
			{"revoked token", "GET", "/api/v1/status", "Bearer " + f.revoked, "", 401, true},
			{"revoked token on a write", "POST", "/api/v1/incidents", "Bearer " + f.revoked, body, 401, true},
			{"read token POST", "POST", "/api/v1/incidents", "Bearer " + f.read, body, 403, false},
			{"read token PATCH", "PATCH", "/api/v1/incidents/1", "Bearer " + f.read, `{"title": "x"}`, 403, false},
			{"read token PUT", "PUT", "/api/v1/incidents/1/postmortem", "Bearer " + f.read, `{"body": "x"}`, 403, false},
			{"read token DELETE", "DELETE", "/api/v1/incidents/1", "Bearer " + f.read, "", 403, false},
			{"read token maintenance", "POST", "/api/v1/maintenance", "Bearer " + f.read, `{}`, 403, false},
			{"read token GET status", "GET", "/api/v1/status", "Bearer " + f.read, "", 200, false},
			{"no header on about", "GET", "/api/v1/about", "", "", 401, true},
			{"read token GET about", "GET", "/api/v1/about", "Bearer " + f.read, "", 200, false},
			{"read token GET components", "GET", "/api/v1/components", "Bearer " + f.read, "", 200, false},
			{"read token GET incidents", "GET", "/api/v1/incidents", "Bearer " + f.read, "", 200, false},
			{"read token GET maintenance", "GET", "/api/v1/maintenance", "Bearer " + f.read, "", 200, false},
			{"read token GET changes", "GET", "/api/v1/changes", "Bearer " + f.read, "", 200, false},
			{"write token GET", "GET", "/api/v1/status", "Bearer " + f.write, "", 200, false},
			// The scheme's name is case-insensitive (RFC 9110 section 11.1).
			{"lower-case bearer", "GET", "/api/v1/status", "bearer " + f.read, "", 200, false},
			{"upper-case bearer", "GET", "/api/v1/status", "BEARER " + f.read, "", 200, false},
			{"mixed-case bearer write", "POST", "/api/v1/incidents/1/nothing", "bEaReR  " + f.write, "{}", 404, false},
			{"bearer without a space", "GET", "/api/v1/status", "Bearer" + f.read, "", 401, true},
			{"unknown route without token", "GET", "/api/v1/nothing", "", "", 401, true},
			{"unknown route with read token", "GET", "/api/v1/nothing", "Bearer " + f.read, "", 404, false},
			{"unknown route with write token", "POST", "/api/v1/incidents/1/nothing", "Bearer " + f.write, "{}", 404, false},
			{"unknown method without token", "PUT", "/api/v1/incidents", "", "{}", 401, true},
			{"unknown method with token", "PUT", "/api/v1/incidents", "Bearer " + f.write, "{}", 405, false},
			{"unknown method on an id", "POST", "/api/v1/incidents/1", "Bearer " + f.write, "{}", 405, false},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				var raw []byte
				if tc.body != "" {
					raw = []byte(tc.body)
				}
				req, err := http.NewRequest(tc.method, f.srv.URL+tc.path, bytes.NewReader(raw))
				if err != nil {
					t.Fatal(err)
				}
				if tc.authorization != "" {
					req.Header.Set("Authorization", tc.authorization)
				}
				req.Header.Set("Content-Type", "application/json")
				res, err := f.srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(res.Body)
				res.Body.Close()
				if err != nil {
					t.Fatal(err)
				}
				a := answer{code: res.StatusCode, header: res.Header, body: got}
				if tc.code >= 400 {
					wantError(t, a, tc.code)
				} else {
					want[map[string]any](t, a, tc.code)
				}
				if ch := a.header.Get("WWW-Authenticate"); (ch != "") != tc.challenge {
					t.Errorf("WWW-Authenticate %q, want one: %v", ch, tc.challenge)
				} else if tc.challenge && !strings.HasPrefix(ch, "Bearer ") {
					t.Errorf("WWW-Authenticate %q, want a Bearer challenge", ch)
				}
				wantAllow := map[string]string{"/api/v1/incidents": "GET, POST", "/api/v1/incidents/1": "GET, PATCH, DELETE"}
				if allow := a.header.Get("Allow"); tc.code == 405 && allow != wantAllow[tc.path] {
					t.Errorf("Allow %q, want %q", allow, wantAllow[tc.path])
				}
			})
		}
		// Refused writes wrote nothing.
		if ids := f.incidents(t, ""); len(ids) != 0 {
			t.Errorf("refused requests created incidents %v", ids)
		}
	})
}

func TestStrictDecoding(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		start := ts(t0.Add(time.Hour))
		m := want[maintenanceJSON](t, f.call(t, "POST", "/api/v1/maintenance", map[string]any{
			"title": "Kernel", "body": "Reboots.", "components": []string{"flexo/web"}, "start": start, "duration": "5m"}), 201)
		mpath := fmt.Sprintf("/api/v1/maintenance/%d", m.ID)
		in := want[incidentJSON](t, f.call(t, "POST", "/api/v1/incidents",
			`{"title": "t", "body": "b", "components": {"flexo/web": "major_outage"}}`), 201)
		ipath := fmt.Sprintf("/api/v1/incidents/%d", in.ID)

		huge := `{"title": "` + strings.Repeat("a", api.MaxBody) + `", "body": "b", "components": {"flexo/web": "major_outage"}}`
		cases := []struct {
			name         string
			method, path string
			contentType  string
			body         string
			code         int
			words        []string // the message names these
		}{
			{"unknown field", "POST", "/api/v1/incidents", "application/json", `{"title": "t", "severity": 3}`, 400, []string{`"severity"`}},
			{"unknown nested field", "PATCH", ipath, "application/json", `{"titel": "t"}`, 400, []string{"titel"}},
			{"wrong type", "POST", "/api/v1/incidents", "application/json", `{"title": 12}`, 400, []string{"title"}},
			{"wrong type bool", "POST", "/api/v1/incidents", "application/json", `{"draft": "yes"}`, 400, []string{"draft"}},
			{"wrong type map", "POST", "/api/v1/incidents", "application/json", `{"components": ["flexo/web"]}`, 400, []string{"components"}},
			{"wrong type list", "PATCH", mpath, "application/json", `{"add_components": "zapp/web"}`, 400, []string{"add_components"}},
			{"wrong type id", "POST", ipath + "/links", "application/json", `{"incident_id": "9"}`, 400, []string{"incident_id"}},
			{"not an object", "POST", "/api/v1/incidents", "application/json", `["title"]`, 400, []string{"object"}},
			{"malformed", "POST", "/api/v1/incidents", "application/json", `{"title": `, 400, nil},
			{"malformed syntax", "POST", "/api/v1/incidents", "application/json", `{"title" "t"}`, 400, nil},
			{"single quotes", "POST", "/api/v1/incidents", "application/json", `{'title': 't'}`, 400, nil},
			{"trailing object", "POST", "/api/v1/incidents", "application/json", `{"title": "t"} {"title": "u"}`, 400, []string{"after"}},
			{"trailing garbage", "PATCH", mpath, "application/json", `{"title": "t"}x`, 400, []string{"after"}},
			{"trailing brace", "PUT", ipath + "/postmortem", "application/json", `{"body": "t"}}`, 400, nil},
			{"empty body", "POST", "/api/v1/incidents", "application/json", ``, 400, []string{"body"}},
			{"empty body on update", "POST", ipath + "/updates", "", ``, 400, []string{"body"}},
			{"empty body on postmortem", "PUT", ipath + "/postmortem", "", ``, 400, nil},
			{"empty body on maintenance edit", "PATCH", mpath, "", ``, 400, nil},
			{"too large", "POST", "/api/v1/incidents", "application/json", huge, 413, nil},
			// A key written twice is refused: encoding/json would keep the last one.
			{"duplicate key", "PATCH", mpath, "application/json", `{"title": "t", "title": "u"}`, 400, []string{`"title"`, "twice"}},
			{"duplicate key differing in case", "PATCH", ipath, "application/json", `{"title": "x", "Title": "y"}`, 400, []string{`"Title"`, "twice"}},
			{"duplicate nested key", "POST", "/api/v1/incidents", "application/json",
				`{"title": "t", "body": "b", "components": {"flexo/web": "major_outage", "flexo/web": "operational"}}`, 400, []string{`"flexo/web"`, "twice"}},
			{"duplicate key after a nested object", "POST", "/api/v1/incidents", "application/json",
				`{"title": "t", "components": {"flexo/web": "major_outage"}, "body": "b", "components": {}}`, 400, []string{`"components"`, "twice"}},
			{"duplicate key in a list's object", "PATCH", mpath, "application/json", `{"add_components": [{"a": 1, "a": 2}]}`, 400, []string{`"a"`}},
			{"nested too deeply", "PATCH", mpath, "application/json", strings.Repeat("[", 40) + strings.Repeat("]", 40), 400, []string{"nested"}},
			// Markdown longer than the renderer's limit is refused when written, saying so.
			{"postmortem too long", "PUT", ipath + "/postmortem", "application/json",
				`{"body": "` + strings.Repeat("[a](", markdown.MaxBytes/4+1) + `"}`, 422, []string{"too long", "65536"}},
			{"too large whitespace", "PATCH", mpath, "application/json", `{"title": "t"}` + strings.Repeat(" ", api.MaxBody), 413, nil},
			{"text/plain", "POST", "/api/v1/incidents", "text/plain", `{"title": "t"}`, 415, []string{"application/json"}},
			{"form", "PATCH", mpath, "application/x-www-form-urlencoded", `title=t`, 415, nil},
			{"bad content type", "PATCH", mpath, "json;;;", `{"title": "t"}`, 415, nil},
			{"bad time", "POST", "/api/v1/incidents", "application/json",
				`{"title": "t", "body": "b", "components": {"flexo/web": "major_outage"}, "started_at": "yesterday"}`, 400, []string{"started_at"}},
			{"time without zone", "POST", "/api/v1/maintenance", "application/json",
				`{"title": "t", "body": "b", "components": ["flexo/web"], "start": "2026-08-12T18:00:00", "duration": "5m"}`, 400, []string{"start"}},
			{"bad end", "PATCH", mpath, "application/json", `{"end": "2026-13-01T00:00:00Z"}`, 400, []string{"end"}},
			{"bad resolved_at", "POST", ipath + "/resolve", "application/json", `{"resolved_at": "now"}`, 400, []string{"resolved_at"}},
			{"year before 1 in UTC", "POST", "/api/v1/incidents", "application/json",
				`{"title": "t", "body": "b", "components": {"flexo/web": "major_outage"}, "started_at": "0000-01-01T00:00:00+01:00"}`, 400, []string{"started_at"}},
			{"zero time", "POST", "/api/v1/incidents", "application/json",
				`{"title": "t", "body": "b", "components": {"flexo/web": "major_outage"}, "started_at": "0001-01-01T00:00:00Z"}`, 400, []string{"started_at"}},
			{"year 9999", "POST", "/api/v1/maintenance", "application/json",
				`{"title": "t", "body": "b", "components": ["flexo/web"], "start": "9999-12-31T23:59:00Z", "duration": "1h"}`, 400, []string{"start"}},
			{"year 9999 in UTC", "PATCH", mpath, "application/json", `{"start": "9999-01-01T00:00:00Z"}`, 400, []string{"start"}},
			{"bad duration", "POST", "/api/v1/maintenance", "application/json",
				`{"title": "t", "body": "b", "components": ["flexo/web"], "start": "` + start + `", "duration": "5 minutes"}`, 400, []string{"duration"}},
			{"negative duration", "PATCH", mpath, "application/json", `{"duration": "-5m"}`, 400, []string{"duration"}},
			{"duration and end", "POST", "/api/v1/maintenance", "application/json",
				`{"title": "t", "body": "b", "components": ["flexo/web"], "start": "` + start + `", "duration": "5m", "end": "` + start + `"}`, 400, []string{"duration", "end"}},
			{"unknown component status", "POST", "/api/v1/incidents", "application/json",
				`{"title": "t", "body": "b", "components": {"flexo/web": "on_fire"}}`, 400, []string{"on_fire"}},
			{"unknown component status on update", "POST", ipath + "/updates", "application/json",
				`{"body": "b", "components": {"flexo/web": "broken"}}`, 400, []string{"broken"}},
			{"unknown impact", "POST", "/api/v1/incidents", "application/json",
				`{"title": "t", "body": "b", "impact": "huge", "components": {"flexo/web": "major_outage"}}`, 400, []string{"impact"}},
			{"unknown incident status", "POST", ipath + "/updates", "application/json", `{"status": "fixed", "body": "b"}`, 400, []string{"fixed"}},
			{"unknown component id", "POST", "/api/v1/incidents", "application/json",
				`{"title": "t", "body": "b", "components": {"hermes/web": "major_outage"}}`, 422, []string{"hermes/web"}},
			{"unknown component id in maintenance", "PATCH", mpath, "application/json", `{"add_components": ["nibbler/web"]}`, 422, []string{"nibbler/web"}},
			{"maintenance status in an incident", "POST", "/api/v1/incidents", "application/json",
				`{"title": "t", "body": "b", "components": {"flexo/web": "under_maintenance"}}`, 422, []string{"flexo/web"}},
			{"no components", "POST", "/api/v1/incidents", "application/json", `{"title": "t", "body": "b", "components": {}}`, 422, []string{"component"}},
			{"empty title", "POST", "/api/v1/incidents", "application/json",
				`{"title": "  ", "body": "b", "components": {"flexo/web": "major_outage"}}`, 422, []string{"title"}},
			{"null body", "POST", "/api/v1/incidents", "application/json", `null`, 422, []string{"title"}},
			{"started in the future", "POST", "/api/v1/incidents", "application/json",
				`{"title": "t", "body": "b", "components": {"flexo/web": "major_outage"}, "started_at": "` + start + `"}`, 422, []string{"future"}},
			{"end before start", "POST", "/api/v1/maintenance", "application/json",
				`{"title": "t", "body": "b", "components": ["flexo/web"], "start": "` + start + `", "end": "` + ts(t0.Add(30*time.Minute)) + `"}`, 422, []string{"end"}},
			{"link to nothing", "POST", ipath + "/links", "application/json", `{"incident_id": 0}`, 400, []string{"incident_id"}},
			{"non-numeric id", "GET", "/api/v1/incidents/abc", "", "", 404, []string{"abc"}},
			{"zero id", "GET", "/api/v1/incidents/0", "", "", 404, nil},
			{"negative id", "PATCH", "/api/v1/maintenance/-1", "application/json", `{"title": "t"}`, 404, nil},
			{"huge id", "GET", "/api/v1/maintenance/99999999999999999999", "", "", 404, nil},
			{"non-numeric other", "DELETE", ipath + "/links/x", "", "", 404, []string{"x"}},
			{"missing incident", "GET", "/api/v1/incidents/9999", "", "", 404, []string{"9999"}},
			{"missing maintenance", "POST", "/api/v1/maintenance/9999/cancel", "", "", 404, []string{"9999"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				var raw []byte
				if tc.body != "" || tc.method != "GET" {
					raw = []byte(tc.body)
				}
				a := f.send(t, tc.method, tc.path, f.write, tc.contentType, raw)
				msg := wantError(t, a, tc.code, tc.words...)
				if strings.HasPrefix(msg, "json:") || strings.Contains(msg, "api.") {
					t.Errorf("message %q shows Go internals", msg)
				}
			})
		}
		// PostgreSQL cannot store NUL in text, so Herald refuses control characters on both.
		t.Run("NUL in text", func(t *testing.T) {
			for _, body := range []string{
				`{"title": "t\u0000", "body": "b", "components": {"flexo/web": "major_outage"}}`,
				`{"title": "t", "body": "b\u0000", "components": {"flexo/web": "major_outage"}}`,
			} {
				a := f.call(t, "POST", "/api/v1/incidents", body)
				if a.code != 422 {
					t.Errorf("%s: %s, want 422", body, a)
				}
			}
		})

		// None of that changed the incident or the window.
		if got := want[incidentJSON](t, f.call(t, "GET", ipath, nil), 200); got.Title != "t" || len(got.Updates) != 1 {
			t.Errorf("incident changed by refused requests: %+v", got)
		}
		if got := want[maintenanceJSON](t, f.call(t, "GET", mpath, nil), 200); got.Title != "Kernel" || got.Sequence != 0 || len(got.Components) != 1 {
			t.Errorf("maintenance changed by refused requests: %+v", got)
		}
		// Accepted content types.
		for _, ct := range []string{"", "application/json", "application/json; charset=utf-8", "application/merge-patch+json"} {
			a := f.send(t, "PATCH", mpath, f.write, ct, []byte(`{"body": "Reboots."}`))
			want[maintenanceJSON](t, a, 200)
		}
	})
}

func TestIncidentStory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		var (
			id, other, draft int64
			path             string
		)
		runSteps(t, []step{
			{"open", func(t *testing.T) {
				a := f.call(t, "POST", "/api/v1/incidents", map[string]any{
					"title": "Web sites on flexo unreachable", "impact": "major", "status": "investigating",
					"body": "We are looking into it.", "components": map[string]string{"flexo/web": "major_outage"},
					"started_at": "2026-08-12T09:48:00-07:00"})
				in := want[incidentJSON](t, a, 201)
				id, path = in.ID, fmt.Sprintf("/api/v1/incidents/%d", in.ID)
				if loc := a.header.Get("Location"); loc != path {
					t.Errorf("Location %q, want %q", loc, path)
				}
				if in.ID <= 0 || in.Title != "Web sites on flexo unreachable" || in.Impact != "major" || in.Status != "investigating" || in.Draft || in.Auto {
					t.Errorf("opened %+v", in)
				}
				if str(in.StartedAt) != "2026-08-12T16:48:00Z" || str(in.CreatedAt) != "2026-08-12T16:49:10Z" || str(in.PublishedAt) != "2026-08-12T16:49:10Z" {
					t.Errorf("times started %s created %s published %s", str(in.StartedAt), str(in.CreatedAt), str(in.PublishedAt))
				}
				wantNull(t, a.body, "identified_at", "monitoring_at", "resolved_at", "postmortem_published_at")
				if len(in.Components) != 1 || in.Components[0].ID != "flexo/web" || in.Components[0].Name != "Web sites" || in.Components[0].Status != "major_outage" {
					t.Errorf("components %+v", in.Components)
				}
				if len(in.Updates) != 1 || in.Updates[0].Status != "investigating" || in.Updates[0].Body != "We are looking into it." ||
					len(in.Updates[0].Changes) != 1 || in.Updates[0].Changes[0].Old != "operational" || in.Updates[0].Changes[0].New != "major_outage" {
					t.Errorf("updates %+v", in.Updates)
				}
				if in.Links == nil || len(in.Links) != 0 || in.Postmortem != "" {
					t.Errorf("links %v postmortem %q", in.Links, in.Postmortem)
				}
				if !bytes.Contains(a.body, []byte(`"links":[]`)) {
					t.Errorf("links not an empty list: %s", a.body)
				}
				got := want[incidentJSON](t, f.call(t, "GET", path, nil), 200)
				if got.ID != id || got.Title != in.Title {
					t.Errorf("GET %s = %+v", path, got)
				}
			}},
			{"components", func(t *testing.T) {
				cs := f.componentStatuses(t)
				if len(cs) != 8 {
					t.Errorf("%d components, want 8", len(cs))
				}
				if c := cs["flexo/web"]; c.Status != "major_outage" || c.Group != "flexo" || c.Name != "Web sites" || c.Removed {
					t.Errorf("flexo/web %+v", c)
				}
				if c := cs["flexo/email"]; c.Status != "operational" || c.Name != "E-mail" || c.Position != 1 {
					t.Errorf("flexo/email %+v", c)
				}
			}},
			{"status", func(t *testing.T) {
				comps := map[string]status.ComponentStatus{}
				for id, c := range f.componentStatuses(t) {
					comps[id] = status.ComponentStatus(c.Status)
				}
				wantOverall := status.DeriveOverall(comps, []status.Incident{{Impact: status.ImpactMajor, Status: status.Investigating}})
				got := want[statusJSON](t, f.callAs(t, f.read, "GET", "/api/v1/status", nil), 200)
				if got.Indicator != string(wantOverall.Indicator) || got.Description != wantOverall.Description {
					t.Errorf("status %+v, want %+v", got, wantOverall)
				}
				if got.Indicator != "critical" { // a major outage outranks the major impact
					t.Errorf("indicator %q, want critical", got.Indicator)
				}
			}},
			{"identified", func(t *testing.T) {
				f.clock.Advance(52 * time.Second) // 16:50:02.5
				in := want[incidentJSON](t, f.call(t, "POST", path+"/updates", map[string]any{"status": "identified",
					"body": "Apache did not answer a graceful reload.", "components": map[string]string{"flexo/web": "partial_outage"}}), 201)
				if in.Status != "identified" || str(in.IdentifiedAt) != "2026-08-12T16:50:02Z" || str(in.UpdatedAt) != "2026-08-12T16:50:02Z" {
					t.Errorf("status %s identified_at %s updated_at %s", in.Status, str(in.IdentifiedAt), str(in.UpdatedAt))
				}
				if len(in.Updates) != 2 || in.Updates[0].Status != "identified" || in.Updates[1].Status != "investigating" {
					t.Fatalf("updates not newest first: %+v", in.Updates)
				}
				if ch := in.Updates[0].Changes; len(ch) != 1 || ch[0].Component != "flexo/web" || ch[0].Old != "major_outage" || ch[0].New != "partial_outage" {
					t.Errorf("changes %+v", ch)
				}
				if in.Components[0].Status != "partial_outage" {
					t.Errorf("components %+v", in.Components)
				}
			}},
			{"resolve", func(t *testing.T) {
				f.clock.Advance(2 * time.Minute) // 16:52:02.5
				a := f.call(t, "POST", path+"/resolve", map[string]any{"body": "Apache is back.", "postmortem": "The reload hook timed out."})
				in := want[incidentJSON](t, a, 200)
				if in.Status != "resolved" || str(in.ResolvedAt) != "2026-08-12T16:52:02Z" {
					t.Errorf("status %s resolved_at %s", in.Status, str(in.ResolvedAt))
				}
				for _, c := range in.Components {
					if c.Status != "operational" {
						t.Errorf("component %s is %s after resolving", c.ID, c.Status)
					}
				}
				if in.Postmortem != "The reload hook timed out." || str(in.PostmortemPublishedAt) != "2026-08-12T16:52:02Z" {
					t.Errorf("postmortem %q at %s", in.Postmortem, str(in.PostmortemPublishedAt))
				}
				if len(in.Updates) != 3 || in.Updates[0].Status != "resolved" || in.Updates[0].Body != "Apache is back." {
					t.Errorf("updates %+v", in.Updates)
				}
				if c := f.componentStatuses(t)["flexo/web"]; c.Status != "operational" {
					t.Errorf("flexo/web %s after resolving", c.Status)
				}
				if st := want[statusJSON](t, f.call(t, "GET", "/api/v1/status", nil), 200); st.Indicator != "none" {
					t.Errorf("status %+v after resolving", st)
				}
			}},
			{"resolve again", func(t *testing.T) {
				wantError(t, f.call(t, "POST", path+"/resolve", nil), 409, "resolved")
				wantError(t, f.call(t, "POST", path+"/updates", `{"status": "resolved", "body": "Again."}`), 409)
			}},
			{"postmortem", func(t *testing.T) {
				in := want[incidentJSON](t, f.call(t, "PUT", path+"/postmortem", `{"body": "A better postmortem."}`), 200)
				if in.Postmortem != "A better postmortem." {
					t.Errorf("postmortem %q", in.Postmortem)
				}
			}},
			{"edit", func(t *testing.T) {
				in := want[incidentJSON](t, f.call(t, "PATCH", path, `{"title": "Web sites on flexo down", "impact": "minor"}`), 200)
				if in.Title != "Web sites on flexo down" || in.Impact != "minor" || in.Status != "resolved" {
					t.Errorf("edited %+v", in)
				}
				wantError(t, f.call(t, "PATCH", path, `{"resolved_at": "2026-08-12T16:00:00Z"}`), 422, "before")
				wantError(t, f.call(t, "PATCH", path, `{"title": ""}`), 422, "title")
			}},
			{"links", func(t *testing.T) {
				o := want[incidentJSON](t, f.call(t, "POST", "/api/v1/incidents",
					`{"title": "Mail delayed", "body": "Queues are long.", "components": {"mom/email": "degraded_performance"}}`), 201)
				other = o.ID
				if o.Impact != "minor" { // suggested by the worst component status
					t.Errorf("impact %q, want minor", o.Impact)
				}
				in := want[incidentJSON](t, f.call(t, "POST", path+"/links", map[string]int64{"incident_id": other}), 200)
				if !slices.Equal(in.Links, []int64{other}) {
					t.Errorf("links %v, want [%d]", in.Links, other)
				}
				if o := want[incidentJSON](t, f.call(t, "GET", fmt.Sprintf("/api/v1/incidents/%d", other), nil), 200); !slices.Equal(o.Links, []int64{id}) {
					t.Errorf("other's links %v, want [%d]", o.Links, id)
				}
				want[incidentJSON](t, f.call(t, "POST", path+"/links", map[string]int64{"incident_id": other}), 200) // twice is harmless
				wantError(t, f.call(t, "POST", path+"/links", `{"incident_id": 9999}`), 422, "9999")
				wantError(t, f.call(t, "POST", path+"/links", map[string]int64{"incident_id": id}), 422, "itself")
				in = want[incidentJSON](t, f.call(t, "DELETE", fmt.Sprintf("%s/links/%d", path, other), nil), 200)
				if len(in.Links) != 0 {
					t.Errorf("links %v after unlinking", in.Links)
				}
			}},
			{"lists", func(t *testing.T) {
				if ids := f.incidents(t, "?state=open"); !slices.Equal(ids, []int64{other}) {
					t.Errorf("open %v, want [%d]", ids, other)
				}
				if ids := f.incidents(t, "?state=resolved"); !slices.Equal(ids, []int64{id}) {
					t.Errorf("resolved %v, want [%d]", ids, id)
				}
				if ids := f.incidents(t, ""); !slices.Equal(ids, []int64{other, id}) { // newest first
					t.Errorf("all %v, want [%d %d]", ids, other, id)
				}
				if ids := f.incidents(t, "?state=all&limit=1"); !slices.Equal(ids, []int64{other}) {
					t.Errorf("limit=1 %v, want [%d]", ids, other)
				}
				for _, q := range []string{"?state=bogus", "?state=OPEN", "?limit=0", "?limit=-1", "?limit=ten", "?limit=501"} {
					wantError(t, f.callAs(t, f.read, "GET", "/api/v1/incidents"+q, nil), 400)
				}
			}},
			{"draft", func(t *testing.T) {
				a := f.call(t, "POST", "/api/v1/incidents",
					`{"title": "DNS slow", "body": "Checking.", "components": {"elzar/web": "partial_outage"}, "draft": true}`)
				d := want[incidentJSON](t, a, 201)
				draft = d.ID
				if !d.Draft {
					t.Errorf("draft %v", d.Draft)
				}
				wantNull(t, a.body, "published_at")
				if ids := f.incidents(t, "?state=open"); slices.Contains(ids, draft) {
					t.Errorf("draft %d listed as open: %v", draft, ids)
				}
				if ids := f.incidents(t, "?state=draft"); !slices.Equal(ids, []int64{draft}) {
					t.Errorf("drafts %v, want [%d]", ids, draft)
				}
				if c := f.componentStatuses(t)["elzar/web"]; c.Status != "operational" {
					t.Errorf("a draft moved elzar/web to %s", c.Status)
				}
				p := want[incidentJSON](t, f.call(t, "POST", fmt.Sprintf("/api/v1/incidents/%d/publish", draft), nil), 200)
				if p.Draft || str(p.PublishedAt) != ts(f.clock.Now()) {
					t.Errorf("published %v at %s", p.Draft, str(p.PublishedAt))
				}
				if ids := f.incidents(t, "?state=open"); !slices.Contains(ids, draft) {
					t.Errorf("published %d not open: %v", draft, ids)
				}
				if c := f.componentStatuses(t)["elzar/web"]; c.Status != "partial_outage" {
					t.Errorf("elzar/web %s after publishing", c.Status)
				}
				wantError(t, f.call(t, "POST", fmt.Sprintf("/api/v1/incidents/%d/publish", draft), nil), 409)
			}},
			{"delete", func(t *testing.T) {
				p := fmt.Sprintf("/api/v1/incidents/%d", other)
				a := f.call(t, "DELETE", p, nil)
				if a.code != 204 || len(a.body) != 0 {
					t.Fatalf("DELETE %s = %s, want 204 and no body", p, a)
				}
				wantError(t, f.call(t, "GET", p, nil), 404, fmt.Sprint(other))
				wantError(t, f.call(t, "DELETE", p, nil), 404)
				wantError(t, f.call(t, "POST", p+"/updates", `{"body": "x"}`), 404)
				if ids := f.incidents(t, ""); slices.Contains(ids, other) {
					t.Errorf("deleted %d still listed: %v", other, ids)
				}
			}},
			{"changes", func(t *testing.T) {
				list := want[struct {
					Changes []changeJSON `json:"changes"`
				}](t, f.callAs(t, f.read, "GET", fmt.Sprintf("/api/v1/changes?subject=incident:%d", id), nil), 200)
				var actions []string
				for _, c := range list.Changes {
					actions = append(actions, c.Action)
					if !strings.HasPrefix(c.Actor, "token:") || c.Subject != fmt.Sprintf("incident:%d", id) {
						t.Errorf("change %d by %q on %q", c.ID, c.Actor, c.Subject)
					}
					if len(c.After) == 0 || string(c.After) == "null" {
						t.Errorf("change %d (%s) has no after", c.ID, c.Action)
					}
				}
				wantActions := []string{"incident.unlink", "incident.link", "incident.link", "incident.edit",
					"incident.postmortem", "incident.resolve", "incident.update", "incident.create"}
				if !slices.Equal(actions, wantActions) {
					t.Errorf("actions %v, want %v", actions, wantActions)
				}
				if n := len(list.Changes); n > 0 && string(list.Changes[n-1].Before) != "null" {
					t.Errorf("create has a before: %s", list.Changes[n-1].Before)
				}
				del := want[struct {
					Changes []changeJSON `json:"changes"`
				}](t, f.callAs(t, f.read, "GET", fmt.Sprintf("/api/v1/changes?subject=incident:%d&limit=1", other), nil), 200)
				if len(del.Changes) != 1 || del.Changes[0].Action != "incident.delete" || len(del.Changes[0].Before) < 2 {
					t.Errorf("delete change %+v", del.Changes)
				}
				wantError(t, f.callAs(t, f.read, "GET", "/api/v1/changes?limit=0", nil), 400)
			}},
			{"removed component", func(t *testing.T) {
				cat := f.svc.Catalog()
				comps := slices.DeleteFunc(slices.Clone(cat.Components), func(c store.Component) bool { return c.ID == "zapp/email" })
				if err := f.svc.SyncCatalog(context.Background(), cat.Groups, comps); err != nil {
					t.Fatal(err)
				}
				list := want[struct {
					Components []componentJSON `json:"components"`
				}](t, f.call(t, "GET", "/api/v1/components", nil), 200)
				last := list.Components[len(list.Components)-1]
				if len(list.Components) != 8 || last.ID != "zapp/email" || !last.Removed || last.Status != "" {
					t.Errorf("removed component listed as %+v (last of %d)", last, len(list.Components))
				}
				wantError(t, f.call(t, "POST", "/api/v1/incidents",
					`{"title": "t", "body": "b", "components": {"zapp/email": "major_outage"}}`), 422, "zapp/email")
				// The incident keeps the name of a component it named.
				if in := want[incidentJSON](t, f.call(t, "GET", path, nil), 200); in.Components[0].Name != "Web sites" {
					t.Errorf("components %+v", in.Components)
				}
			}},
		})
	})
}

func TestMaintenanceStory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		start := t0.Add(time.Hour).Truncate(time.Second) // 17:49:10
		pdt := time.FixedZone("PDT", -7*3600)
		var (
			id, cancelled int64
			path          string
		)
		runSteps(t, []step{
			{"schedule", func(t *testing.T) {
				a := f.call(t, "POST", "/api/v1/maintenance", map[string]any{
					"title": "Kernel update on flexo, mom and elzar", "body": "The servers will be restarted.",
					"components": []string{"flexo/web", "mom/web", "elzar/web"},
					"start":      start.In(pdt).Format(time.RFC3339), "duration": "5m"})
				m := want[maintenanceJSON](t, a, 201)
				id, path = m.ID, fmt.Sprintf("/api/v1/maintenance/%d", m.ID)
				if loc := a.header.Get("Location"); loc != path {
					t.Errorf("Location %q, want %q", loc, path)
				}
				if m.Status != "scheduled" || m.Sequence != 0 || str(m.ScheduledFor) != ts(start) || str(m.ScheduledUntil) != ts(start.Add(5*time.Minute)) {
					t.Errorf("scheduled %s seq %d from %s until %s", m.Status, m.Sequence, str(m.ScheduledFor), str(m.ScheduledUntil))
				}
				wantNull(t, a.body, "started_at", "completed_at")
				var ids []string
				for _, c := range m.Components {
					ids = append(ids, c.ID)
					if c.Name != "Web sites" {
						t.Errorf("component %s named %q", c.ID, c.Name)
					}
				}
				if !slices.Equal(ids, []string{"flexo/web", "mom/web", "elzar/web"}) {
					t.Errorf("components %v", ids)
				}
				if len(m.Updates) != 1 || m.Updates[0].Status != "scheduled" {
					t.Errorf("updates %+v", m.Updates)
				}
				c := want[maintenanceJSON](t, f.call(t, "POST", "/api/v1/maintenance", map[string]any{
					"title": "Mail move", "body": "Mail moves.", "components": []string{"zapp/email"},
					"start": ts(start.Add(24 * time.Hour)), "end": ts(start.Add(25 * time.Hour))}), 201)
				cancelled = c.ID
				if str(c.ScheduledUntil) != ts(start.Add(25*time.Hour)) {
					t.Errorf("scheduled_until %s", str(c.ScheduledUntil))
				}
			}},
			{"upcoming", func(t *testing.T) {
				if ids := f.maintenances(t, "?state=upcoming"); !slices.Equal(ids, []int64{id, cancelled}) { // soonest first
					t.Errorf("upcoming %v, want [%d %d]", ids, id, cancelled)
				}
				if ids := f.maintenances(t, "?state=active"); len(ids) != 0 {
					t.Errorf("active %v", ids)
				}
				if ids := f.maintenances(t, "?state=past"); len(ids) != 0 {
					t.Errorf("past %v", ids)
				}
				for _, q := range []string{"?state=bogus", "?state=open", "?limit=0", "?limit=1000"} {
					wantError(t, f.call(t, "GET", "/api/v1/maintenance"+q, nil), 400)
				}
			}},
			{"edit", func(t *testing.T) {
				f.clock.Advance(time.Minute)
				m := want[maintenanceJSON](t, f.call(t, "PATCH", path, `{"add_components": ["zapp/web"], "update": "Zapp joins the window."}`), 200)
				if m.Sequence != 1 || len(m.Components) != 4 || m.Components[3].ID != "zapp/web" {
					t.Errorf("sequence %d components %+v", m.Sequence, m.Components)
				}
				if len(m.Updates) != 2 || m.Updates[0].Body != "Zapp joins the window." || m.Updates[0].Status != "scheduled" {
					t.Errorf("updates %+v", m.Updates)
				}
				if str(m.ScheduledUntil) != ts(start.Add(5*time.Minute)) {
					t.Errorf("an edit of components moved the end to %s", str(m.ScheduledUntil))
				}
				wantError(t, f.call(t, "PATCH", path, map[string]string{"duration": "10m", "end": ts(start.Add(10 * time.Minute))}), 400, "duration", "end")
				wantError(t, f.call(t, "PATCH", path, `{"remove_components": ["flexo/web", "mom/web", "elzar/web", "zapp/web"]}`), 422)
				if m := want[maintenanceJSON](t, f.call(t, "GET", path, nil), 200); m.Sequence != 1 || len(m.Components) != 4 {
					t.Errorf("refused edits changed the window: seq %d, %d components", m.Sequence, len(m.Components))
				}
			}},
			{"update", func(t *testing.T) {
				m := want[maintenanceJSON](t, f.call(t, "POST", path+"/updates", `{"body": "Still on for tonight."}`), 201)
				if m.Sequence != 1 || len(m.Updates) != 3 || m.Updates[0].Body != "Still on for tonight." {
					t.Errorf("sequence %d updates %+v", m.Sequence, m.Updates)
				}
				wantError(t, f.call(t, "POST", path+"/updates", `{"body": ""}`), 422, "body")
			}},
			{"complete too early", func(t *testing.T) {
				wantError(t, f.call(t, "POST", path+"/complete", nil), 409, "not started")
			}},
			{"clock starts it", func(t *testing.T) {
				f.clock.Set(start)
				n, err := f.svc.AdvanceMaintenance(context.Background())
				if err != nil || n != 1 {
					t.Fatalf("AdvanceMaintenance = %d, %v; want 1 step", n, err)
				}
				m := want[maintenanceJSON](t, f.call(t, "GET", path, nil), 200)
				if m.Status != "in_progress" || str(m.StartedAt) != ts(start) {
					t.Errorf("status %s started_at %s", m.Status, str(m.StartedAt))
				}
				cs := f.componentStatuses(t)
				for _, c := range []string{"flexo/web", "mom/web", "elzar/web", "zapp/web"} {
					if cs[c].Status != "under_maintenance" {
						t.Errorf("%s is %s during the window", c, cs[c].Status)
					}
				}
				for _, c := range []string{"flexo/email", "zapp/email"} {
					if cs[c].Status != "operational" {
						t.Errorf("%s is %s, outside the window", c, cs[c].Status)
					}
				}
				if st := want[statusJSON](t, f.call(t, "GET", "/api/v1/status", nil), 200); st.Indicator != "maintenance" {
					t.Errorf("status %+v during the window", st)
				}
				if ids := f.maintenances(t, "?state=active"); !slices.Equal(ids, []int64{id}) {
					t.Errorf("active %v, want [%d]", ids, id)
				}
				if ids := f.maintenances(t, "?state=upcoming"); !slices.Equal(ids, []int64{cancelled}) {
					t.Errorf("upcoming %v, want [%d]", ids, cancelled)
				}
				wantError(t, f.call(t, "PATCH", path, map[string]string{"start": ts(start.Add(time.Hour))}), 409, "started")
			}},
			{"complete", func(t *testing.T) {
				f.clock.Advance(3 * time.Minute)
				m := want[maintenanceJSON](t, f.call(t, "POST", path+"/complete", `{"body": "All three are back."}`), 200)
				if m.Status != "completed" || str(m.CompletedAt) != ts(f.clock.Now()) || m.Updates[0].Body != "All three are back." {
					t.Errorf("status %s completed_at %s updates %+v", m.Status, str(m.CompletedAt), m.Updates)
				}
				if c := f.componentStatuses(t)["flexo/web"]; c.Status != "operational" {
					t.Errorf("flexo/web %s after the window", c.Status)
				}
			}},
			{"finished", func(t *testing.T) {
				wantError(t, f.call(t, "POST", path+"/cancel", nil), 409, "completed")
				wantError(t, f.call(t, "POST", path+"/complete", nil), 409)
				wantError(t, f.call(t, "PATCH", path, `{"title": "Late edit"}`), 409)
			}},
			{"cancel", func(t *testing.T) {
				p := fmt.Sprintf("/api/v1/maintenance/%d", cancelled)
				m := want[maintenanceJSON](t, f.call(t, "POST", p+"/cancel", `{"body": "Postponed."}`), 200)
				if m.Status != "cancelled" || m.Sequence != 1 || m.Updates[0].Body != "Postponed." {
					t.Errorf("status %s sequence %d updates %+v", m.Status, m.Sequence, m.Updates)
				}
				wantError(t, f.call(t, "POST", p+"/cancel", nil), 409)
			}},
			{"past", func(t *testing.T) {
				if ids := f.maintenances(t, "?state=past"); len(ids) != 2 || !slices.Contains(ids, id) || !slices.Contains(ids, cancelled) {
					t.Errorf("past %v, want %d and %d", ids, id, cancelled)
				}
				for _, q := range []string{"?state=upcoming", "?state=active"} {
					if ids := f.maintenances(t, q); len(ids) != 0 {
						t.Errorf("%s %v, want none", q, ids)
					}
				}
				if ids := f.maintenances(t, "?state=all"); len(ids) != 2 {
					t.Errorf("all %v", ids)
				}
			}},
			{"changes", func(t *testing.T) {
				list := want[struct {
					Changes []changeJSON `json:"changes"`
				}](t, f.call(t, "GET", fmt.Sprintf("/api/v1/changes?subject=maintenance:%d", id), nil), 200)
				var actions []string
				for _, c := range list.Changes {
					actions = append(actions, c.Action)
					// The clock's own step is the server's; everything else is the token's.
					if wantHerald := c.Action == "maintenance.start"; wantHerald != (c.Actor == "herald") ||
						(!wantHerald && !strings.HasPrefix(c.Actor, "token:")) {
						t.Errorf("%s by %q", c.Action, c.Actor)
					}
				}
				wantActions := []string{"maintenance.complete", "maintenance.start", "maintenance.update",
					"maintenance.edit", "maintenance.create"}
				if !slices.Equal(actions, wantActions) {
					t.Errorf("changes %q, want %q", actions, wantActions)
				}
			}},
		})
	})
}

func TestInternalErrorsDoNotLeak(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		pathLike := regexp.MustCompile(`/[A-Za-z0-9_.-]+/|\.go\b|\.db\b`)
		check := func(t *testing.T, f *fixture, a answer, path string, logWords ...string) {
			t.Helper()
			msg := wantError(t, a, 500)
			if msg != "internal error; the server log has the details" {
				t.Errorf("message %q, want the generic one", msg)
			}
			low := strings.ToLower(string(a.body))
			for _, w := range []string{"sql", "database", "sqlite", "postgres", "pq:", "no such", "relation"} {
				if strings.Contains(low, w) {
					t.Errorf("answer mentions %q: %s", w, a.body)
				}
			}
			if pathLike.MatchString(string(a.body)) || (b.DataDir != "" && strings.Contains(string(a.body), b.DataDir)) {
				t.Errorf("answer shows a file path: %s", a.body)
			}
			logs := f.logs.String()
			if !strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, "path="+path) {
				t.Errorf("log lacks the error for %s:\n%s", path, logs)
			}
			for _, w := range logWords {
				if !strings.Contains(logs, w) {
					t.Errorf("log lacks %q:\n%s", w, logs)
				}
			}
		}
		t.Run("handler", func(t *testing.T) {
			f := newFixture(t, b)
			want[maintenanceJSON](t, f.call(t, "POST", "/api/v1/maintenance", map[string]any{"title": "Kernel", "body": "Reboots.",
				"components": []string{"flexo/web"}, "start": ts(t0.Add(time.Hour)), "duration": "5m"}), 201)
			// Authentication still works; loading the window's updates fails.
			if _, err := f.b.Store.DB().Exec(`DROP TABLE maintenance_updates`); err != nil {
				t.Fatal(err)
			}
			check(t, f, f.callAs(t, f.read, "GET", "/api/v1/maintenance", nil), "/api/v1/maintenance", "maintenance_updates")
		})
		t.Run("closed store", func(t *testing.T) {
			// A database that cannot be used at all is no internal error but
			// an outage: 503, with the reason in safe words and no details.
			fresh := storetest.SQLite
			if b.Name == "postgres" {
				fresh = storetest.Postgres
			}
			f := newFixture(t, fresh(t))
			if err := f.b.Store.Close(); err != nil {
				t.Fatal(err)
			}
			const closed = "Herald cannot use its database right now: the database is closed. Nothing was changed; try again in a moment."
			for _, tc := range []struct {
				a    answer
				want string
			}{
				{f.callAs(t, f.read, "GET", "/api/v1/incidents", nil), closed},
				{f.call(t, "POST", "/api/v1/incidents", `{"title": "t", "body": "b", "components": {"flexo/web": "major_outage"}}`), closed},
			} {
				if msg := wantError(t, tc.a, 503); msg != tc.want {
					t.Errorf("message %q, want %q", msg, tc.want)
				}
				if got := tc.a.header.Get("Retry-After"); got == "" {
					t.Error("a 503 without Retry-After")
				}
				low := strings.ToLower(string(tc.a.body))
				for _, w := range []string{"sql", "sqlite", "postgres", "pq:"} {
					if strings.Contains(low, w) {
						t.Errorf("answer mentions %q: %s", w, tc.a.body)
					}
				}
				if pathLike.MatchString(string(tc.a.body)) {
					t.Errorf("answer shows a file path: %s", tc.a.body)
				}
			}
			if logs := f.logs.String(); !strings.Contains(logs, "database is closed") {
				t.Errorf("log lacks the error:\n%s", logs)
			}
		})
	})
}

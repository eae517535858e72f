package admin_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/admin"
	"github.com/heraldhq/herald/internal/auth"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
	"github.com/heraldhq/herald/internal/web"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func (c *fakeClock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }

var la = func() *time.Location {
	l, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		panic(err)
	}
	return l
}()

// at reads a Pacific wall-clock time.
func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, la)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

const testConfig = `
page:
  title: Example Hosting Status
  url: https://status.example.net
  zone: America/Los_Angeles
groups:
  - id: flexo
    components: [{id: web, name: Web sites}, {id: email, name: E-mail}]
  - id: mom
    components: [{id: web, name: Web sites}, {id: email, name: E-mail}]
  - id: elzar
    components: [{id: web, name: Web sites}, {id: email, name: E-mail}]
  - id: zapp
    components: [{id: web, name: Web sites}, {id: email, name: E-mail}]
notify:
  email:
    smtp: 127.0.0.1:2525
    from: status@example.net
    tls: none
    username: herald
    password_env: HERALD_SMTP_PASSWORD
channels:
  - name: ops
    type: slack
    url: https://hooks.slack.com/services/T000/B000/SECRETPATHXYZ
  - name: hook
    type: webhook
    url: https://user:hunter2@127.0.0.1:9/hook?token=QUERYSECRET
  - name: teams
    type: teams
    url: https://example.webhook.office.com/workflows/TEAMSPATHSECRET/triggers/manual/paths/invoke?sig=TEAMSSIG
  - name: phones
    type: telegram
    token_env: HERALD_TELEGRAM_TOKEN
    chat_id: "-1001234567890"
    repeat: 30m
`

// testLog sends the admin's error log to the test's log.
type testLog struct{ t testing.TB }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

type fixture struct {
	srv      *httptest.Server
	svc      *service.Service
	accounts *auth.Manager
	clock    *fakeClock
	store    *store.Store
	site     *web.Site
	// seeded records
	draft, open, resolved, tonight, tomorrow, active int64
	series                                           int64 // recurring maintenance
}

// passwords of the seeded users: alice is admin, erin editor, vic viewer.
const (
	alicePW = "alice password 1"
	erinPW  = "erin password 1"
	vicPW   = "vic password 01"
)

func newFixture(t testing.TB, b storetest.Backend, adjust func(*admin.Deps)) *fixture {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.Parse("test.yaml", []byte(testConfig))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{clock: &fakeClock{t: at("2026-11-25 03:10")}, store: b.Store}
	f.svc = service.New(b.Store, f.clock, nil)
	var (
		groups []store.Group
		comps  []store.Component
	)
	for gi, g := range cfg.Groups {
		groups = append(groups, store.Group{ID: g.ID, Name: g.Name, Position: gi})
		for ci, c := range g.Components {
			comps = append(comps, store.Component{ID: g.ID + "/" + c.ID, GroupID: g.ID, Name: c.Name, Position: ci})
		}
	}
	if err := f.svc.SyncCatalog(ctx, groups, comps); err != nil {
		t.Fatal(err)
	}
	f.accounts = auth.New(b.Store, f.clock, nil, auth.Options{Params: auth.Params{Memory: 64, Time: 1, Threads: 1}})
	for _, u := range []struct {
		name string
		role auth.Role
		pw   string
	}{{"alice", auth.Admin, alicePW}, {"erin", auth.Editor, erinPW}, {"vic", auth.Viewer, vicPW}} {
		if _, err := f.accounts.AddUser(ctx, "cli", u.name, u.role, u.pw); err != nil {
			t.Fatal(err)
		}
	}
	f.seed(t)

	deps := admin.Deps{Service: f.svc, Auth: f.accounts, Config: func() config.Config { return cfg }, Database: string(b.Store.Dialect()),
		Log: slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelError}))}
	if adjust != nil {
		adjust(&deps)
	}
	a, err := admin.New(deps)
	if err != nil {
		t.Fatal(err)
	}
	f.site = web.NewSite(f.svc, func() config.Config { return cfg }, nil)
	if err := f.site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	f.site.Register(mux)
	a.Register(mux)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: f.site.Handler(mux)}}
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) seed(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	in, err := f.svc.OpenIncident(ctx, "herald", service.NewIncident{Title: "Web sites on flexo are not responding",
		Body:       "Customers on the flexo server cannot reach their Web sites since 3:02 AM Pacific time. E-mail is not affected.",
		Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}, StartedAt: at("2026-11-25 03:02"),
		Draft: true, Auto: true})
	if err != nil {
		t.Fatal(err)
	}
	f.draft = in.ID
	in, err = f.svc.OpenIncident(ctx, "user:erin", service.NewIncident{Title: "Slow incoming mail on mom",
		Body:       "Incoming mail on mom is **delayed** by up to ten minutes. No mail is lost.",
		Components: map[string]status.ComponentStatus{"mom/email": status.DegradedPerformance}, StartedAt: at("2026-11-25 02:40")})
	if err != nil {
		t.Fatal(err)
	}
	f.open = in.ID
	in, err = f.svc.OpenIncident(ctx, "user:erin", service.NewIncident{Title: "Apache on elzar did not reload",
		Body: "Looking into it.", Components: map[string]status.ComponentStatus{"elzar/web": status.MajorOutage},
		StartedAt: at("2026-11-24 09:48")})
	if err != nil {
		t.Fatal(err)
	}
	f.resolved = in.ID
	if _, err := f.svc.ResolveIncident(ctx, "user:erin", in.ID, service.Resolution{Body: "Customers on the elzar server experienced a four-minute interruption.",
		ResolvedAt: at("2026-11-24 09:52"), Postmortem: "Apache did not respond to a graceful reload."}); err != nil {
		t.Fatal(err)
	}
	m, err := f.svc.ScheduleMaintenance(ctx, "user:erin", service.NewMaintenance{Title: "Kernel update on flexo and mom",
		Body: "The servers restart once; expect **five minutes** without service.", Components: []string{"flexo/web", "flexo/email", "mom/web"},
		Start: at("2026-11-25 23:00"), End: at("2026-11-25 23:05")})
	if err != nil {
		t.Fatal(err)
	}
	f.tonight = m.ID
	m, err = f.svc.ScheduleMaintenance(ctx, "user:erin", service.NewMaintenance{Title: "Disk replacement on zapp",
		Body: "A disk is replaced; no downtime is expected.", Components: []string{"zapp/web", "zapp/email"},
		Start: at("2026-11-27 22:00"), End: at("2026-11-27 23:00")})
	if err != nil {
		t.Fatal(err)
	}
	f.tomorrow = m.ID
	// Recurring maintenance: the first Sunday of each month at 2 AM Pacific time.
	sr, err := f.svc.CreateSeries(ctx, "user:erin", service.NewSeries{Title: "Monthly kernel updates",
		Body: "The servers restart with the month's kernel.", Rule: "FREQ=MONTHLY;BYDAY=1SU",
		Start: time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC), Zone: "America/Los_Angeles", Duration: time.Hour,
		Components: []string{"flexo/web", "mom/web"}})
	if err != nil {
		t.Fatal(err)
	}
	f.series = sr.ID
	m, err = f.svc.ScheduleMaintenance(ctx, "user:erin", service.NewMaintenance{Title: "Mail queue migration on elzar",
		Body: "Mail to elzar is queued, not lost, for up to thirty minutes.", Components: []string{"elzar/email"},
		Start: at("2026-11-25 03:00"), End: at("2026-11-25 03:30")})
	if err != nil {
		t.Fatal(err)
	}
	f.active = m.ID
	if _, err := f.svc.AdvanceMaintenance(ctx); err != nil {
		t.Fatal(err)
	}
}

// client is a browser-like HTTP client that does not follow redirects.
type client struct {
	t   testing.TB
	f   *fixture
	hc  *http.Client
	jar *cookiejar.Jar
}

func (f *fixture) client(t testing.TB) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, f: f, jar: jar, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type resp struct {
	code   int
	header http.Header
	body   string
}

func (c *client) do(method, path string, form url.Values, header map[string]string) resp {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.f.srv.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		// What a browser sends for a form on the admin's own page.
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("Origin", c.f.srv.URL)
	}
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp{res.StatusCode, res.Header, string(b)}
}

func (c *client) get(path string) resp { c.t.Helper(); return c.do("GET", path, nil, nil) }
func (c *client) post(path string, form url.Values) resp {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	return c.do("POST", path, form, nil)
}

// login signs in and fails the test if it does not work.
func (c *client) login(name, pw string) *client {
	c.t.Helper()
	r := c.post("/admin/login", url.Values{"username": {name}, "password": {pw}})
	if r.code != http.StatusSeeOther || r.header.Get("Location") != "/admin" {
		c.t.Fatalf("sign in as %s: %d %s\n%s", name, r.code, r.header.Get("Location"), r.body)
	}
	return c
}

func (f *fixture) as(t testing.TB, name string) *client {
	pw := map[string]string{"alice": alicePW, "erin": erinPW, "vic": vicPW}[name]
	return f.client(t).login(name, pw)
}

func wantCode(t testing.TB, what string, r resp, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("%s: status %d, want %d\n%s", what, r.code, code, snippet(r.body))
	}
}

func wantBody(t testing.TB, what string, r resp, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(r.body, w) {
			t.Errorf("%s: body lacks %q\n%s", what, w, snippet(r.body))
		}
	}
}

func snippet(s string) string {
	if i := strings.Index(s, `<main`); i >= 0 {
		s = s[i:]
	}
	if len(s) > 3000 {
		s = s[:3000] + "…"
	}
	return s
}

func path(format string, a ...any) string { return fmt.Sprintf(format, a...) }

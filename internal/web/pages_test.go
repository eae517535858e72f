package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
	"github.com/heraldhq/herald/internal/web"
)

type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixedClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

const (
	evilTitle = `<script>alert("t")</script> "><img src=x onerror=alert(1)>`
	evilBody  = "Body <script>alert('b')</script> and \"><img src=x onerror=alert(2)> and [x](javascript:alert(3))"
	draftText = "SECRET DRAFT"
)

type pagesFixture struct {
	srv                        *httptest.Server
	site                       *web.Site
	cfg                        config.Config
	svc                        *service.Service
	resolved, open, old, draft int64
	maint                      int64
}

func newPagesFixture(t *testing.T) *pagesFixture { t.Helper(); return newPagesFixtureIn(t, "") }

// newPagesFixtureIn is the fixture with its page in a language (page.language).
func newPagesFixtureIn(t *testing.T, language string) *pagesFixture {
	t.Helper()
	ctx := context.Background()
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, la)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	clock := &fixedClock{t: at("2026-11-25 10:30")}
	b := storetest.SQLite(t)
	svc := service.New(b.Store, clock, nil)
	if err := svc.SyncCatalog(ctx,
		[]store.Group{{ID: "flexo", Name: "flexo"}, {ID: "mom", Name: "mom", Position: 1}},
		[]store.Component{
			{ID: "flexo/web", GroupID: "flexo", Name: "Web sites"},
			{ID: "flexo/email", GroupID: "flexo", Name: "E-mail", Position: 1},
			{ID: "mom/web", GroupID: "mom", Name: "Web sites"},
		}); err != nil {
		t.Fatal(err)
	}
	f := &pagesFixture{}

	// Resolved two days ago, four minutes, with a long postmortem.
	in, err := svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Web sites on flexo interrupted " + evilTitle,
		Body: "Looking. " + evilBody, StartedAt: at("2026-11-23 09:48"),
		Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}})
	if err != nil {
		t.Fatal(err)
	}
	f.resolved = in.ID
	postmortem := "The Apache Web server did not respond to a graceful reload. " + strings.Repeat("We looked at every log line we had. ", 12) +
		"\n\nTHE TAIL OF THE POSTMORTEM " + evilBody
	if _, err := svc.ResolveIncident(ctx, "test", in.ID, service.Resolution{Body: "Customers on the flexo server experienced a four-minute interruption.",
		ResolvedAt: at("2026-11-23 09:52"), Postmortem: postmortem}); err != nil {
		t.Fatal(err)
	}

	// Open since this morning, with a later update.
	in, err = svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Web sites on mom unreachable", Body: "FIRST UPDATE looking.",
		StartedAt: at("2026-11-25 09:00"), Components: map[string]status.ComponentStatus{"mom/web": status.MajorOutage}})
	if err != nil {
		t.Fatal(err)
	}
	f.open = in.ID
	if _, err := svc.PostIncidentUpdate(ctx, "test", in.ID, service.IncidentUpdate{Status: status.Identified,
		Body: "SECOND UPDATE found it.", At: at("2026-11-25 09:20")}); err != nil {
		t.Fatal(err)
	}

	// Last month.
	in, err = svc.OpenIncident(ctx, "test", service.NewIncident{Title: "October trouble on flexo mail", Body: "Mail slow.",
		StartedAt: at("2026-10-05 14:00"), Components: map[string]status.ComponentStatus{"flexo/email": status.DegradedPerformance}})
	if err != nil {
		t.Fatal(err)
	}
	f.old = in.ID
	if _, err := svc.ResolveIncident(ctx, "test", in.ID, service.Resolution{Body: "Fine again.", ResolvedAt: at("2026-10-05 15:13")}); err != nil {
		t.Fatal(err)
	}

	// A draft, never public.
	in, err = svc.OpenIncident(ctx, "test", service.NewIncident{Title: draftText + " title", Body: draftText + " body",
		StartedAt: at("2026-11-24 08:00"), Draft: true, Components: map[string]status.ComponentStatus{"flexo/email": status.MajorOutage}})
	if err != nil {
		t.Fatal(err)
	}
	f.draft = in.ID

	m, err := svc.ScheduleMaintenance(ctx, "test", service.NewMaintenance{Title: "Kernel update " + evilTitle, Body: "Restarts. " + evilBody,
		Components: []string{"flexo/web", "flexo/email"}, Start: at("2026-11-26 23:00"), End: at("2026-11-26 23:05")})
	if err != nil {
		t.Fatal(err)
	}
	f.maint = m.ID

	cfg, err := config.Parse("test.yaml", []byte(`
page: {title: "Example Hosting Status", zone: America/Los_Angeles, language: "`+language+`"}
groups:
  - id: flexo
    components: [{id: web, name: Web sites}]
`))
	if err != nil {
		t.Fatal(err)
	}
	site := web.NewSite(svc, func() config.Config { return cfg }, nil)
	if err := site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	site.Register(mux)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	f.site, f.cfg, f.svc = site, cfg, svc
	return f
}

func (f *pagesFixture) page(t *testing.T, path string) string {
	t.Helper()
	resp, body := get(t, f.srv.URL+path, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %s", path, resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("GET %s: Content-Type %q", path, ct)
	}
	return string(body)
}

func wantAll(t *testing.T, name, page string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(page, w) {
			t.Errorf("%s lacks %q", name, w)
		}
	}
}

func TestIndexPage(t *testing.T) {
	f := newPagesFixture(t)
	page := f.page(t, "/")
	wantAll(t, "/", page,
		"Major Service Outage",        // overall, derived
		"Major outage", "Operational", // component statuses in words
		"Current incidents", "Web sites on mom unreachable",
		"SECOND UPDATE found it.", // the latest update of an open incident
		"Scheduled maintenance", "Tomorrow, 11:00 to 11:05 PM Pacific time",
		"Past 14 days", "No incidents reported.",
		"Monday, November 23, 9:48 to 9:52 AM Pacific time · four minutes",
		fmt.Sprintf(`href="/incidents/%d"`, f.resolved),
		fmt.Sprintf(`href="/maintenance/%d"`, f.maint),
	)
	if strings.Contains(page, "FIRST UPDATE") {
		t.Error("the index shows an older update, not only the latest")
	}
	if n := strings.Count(page, `<section class="day"`); n != 14 {
		t.Errorf("%d days listed, want 14", n)
	}
	// Today and Yesterday come first, by name; yesterday had nothing public.
	today, yesterday := strings.Index(page, ">Today <"), strings.Index(page, ">Yesterday <")
	if today < 0 || yesterday < today {
		t.Errorf("Today at %d, Yesterday at %d", today, yesterday)
	}
	if q := strings.Index(page[yesterday:], "No incidents reported."); q < 0 || q > 300 {
		t.Error("yesterday does not say No incidents reported")
	}
	// Icons and words go with colours.
	wantAll(t, "/", page, `<svg class="icon"`, `<span class="badge k-critical">`)
}

func TestIncidentPage(t *testing.T) {
	f := newPagesFixture(t)
	page := f.page(t, fmt.Sprintf("/incidents/%d", f.open))
	first, second := strings.Index(page, "FIRST UPDATE"), strings.Index(page, "SECOND UPDATE")
	if first < 0 || second < 0 || second > first {
		t.Errorf("timeline not newest first: first at %d, second at %d", first, second)
	}
	wantAll(t, "open incident", page, "Identified", "Investigating", "Today, 9:20 AM Pacific time", "mom · Web sites", "Major outage")

	page = f.page(t, fmt.Sprintf("/incidents/%d", f.resolved))
	wantAll(t, "resolved incident", page,
		`id="postmortem"`, "Postmortem", "THE TAIL OF THE POSTMORTEM", "graceful reload",
		"Resolved", "four minutes", "flexo · Web sites", "Major outage", // the worst status during it
		"Monday, November 23, 9:48 to 9:52 AM Pacific time")
}

func TestMaintenancePage(t *testing.T) {
	f := newPagesFixture(t)
	page := f.page(t, fmt.Sprintf("/maintenance/%d", f.maint))
	wantAll(t, "maintenance", page, "Kernel update", "Scheduled", "Tomorrow, 11:00 to 11:05 PM Pacific time", "flexo: Web sites, E-mail", "Restarts.")
}

func TestHistoryPages(t *testing.T) {
	f := newPagesFixture(t)
	page := f.page(t, "/history")
	if page != f.page(t, "/history/2026-11") {
		t.Error("/history is not the current month")
	}
	wantAll(t, "/history", page, "History: November 2026", `href="/history/2026-10"`, "October 2026",
		"The Apache Web server did not respond", "Read the rest of the postmortem",
		fmt.Sprintf(`href="/incidents/%d#postmortem"`, f.resolved), "Web sites on mom unreachable")
	if strings.Contains(page, "THE TAIL OF THE POSTMORTEM") {
		t.Error("the history shows the whole postmortem, not an excerpt")
	}
	if strings.Contains(page, "October trouble") {
		t.Error("November's page lists an October incident")
	}
	oct := f.page(t, "/history/2026-10")
	wantAll(t, "/history/2026-10", oct, "History: October 2026", "October trouble on flexo mail",
		"Monday, October 5, 2:00 to 3:13 PM Pacific time · 1 hour 13 minutes", `href="/history/2026-11"`)
	if strings.Contains(oct, "Web sites on mom") {
		t.Error("October's page lists a November incident")
	}
}

func TestPagesHideDraftsAndEscapeText(t *testing.T) {
	f := newPagesFixture(t)
	paths := []string{"/", "/history", "/history/2026-10", "/history/2026-09",
		fmt.Sprintf("/incidents/%d", f.resolved), fmt.Sprintf("/incidents/%d", f.open), fmt.Sprintf("/incidents/%d", f.old),
		fmt.Sprintf("/maintenance/%d", f.maint)}
	for _, p := range paths {
		page := f.page(t, p)
		if strings.Contains(page, draftText) {
			t.Errorf("%s shows the draft", p)
		}
		for _, bad := range []string{"<script", "<img", "javascript:", "onerror=alert"} {
			if strings.Contains(strings.ReplaceAll(page, "&#34;&gt;&lt;img src=x onerror=alert", ""), bad) {
				t.Errorf("%s contains unescaped %q", p, bad)
			}
		}
	}
	wantAll(t, "/", f.page(t, "/"), "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;", "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;")
	resp, body := get(t, fmt.Sprintf("%s/incidents/%d", f.srv.URL, f.draft), nil)
	if resp.StatusCode != http.StatusNotFound || strings.Contains(string(body), draftText) {
		t.Errorf("draft incident page: %s", resp.Status)
	}
}

func TestPageHeadersAndNotFound(t *testing.T) {
	f := newPagesFixture(t)
	resp, body := get(t, f.srv.URL+"/", map[string]string{"Accept-Encoding": "gzip"})
	h := resp.Header
	for k, v := range map[string]string{
		"Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
		"Cache-Control":           "public, max-age=10",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "strict-origin-when-cross-origin",
		"Content-Encoding":        "gzip",
	} {
		if h.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, h.Get(k), v)
		}
	}
	if h.Get("Access-Control-Allow-Origin") != "" {
		t.Error("pages send CORS headers")
	}
	if len(body) == 0 || h.Get("ETag") == "" {
		t.Fatal("no body or no ETag")
	}
	if resp, _ := get(t, f.srv.URL+"/", map[string]string{"If-None-Match": h.Get("ETag")}); resp.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: %s", resp.Status)
	}

	page := f.page(t, "/")
	css := regexp.MustCompile(`href="(/static/herald\.[0-9a-f]+\.css)"`).FindStringSubmatch(page)
	if css == nil {
		t.Fatal("no stylesheet link")
	}
	resp, body = get(t, f.srv.URL+css[1], nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") ||
		!strings.Contains(resp.Header.Get("Cache-Control"), "immutable") || !strings.Contains(string(body), "prefers-color-scheme: dark") {
		t.Errorf("stylesheet: %s %q %q", resp.Status, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
	}
	if strings.Contains(page, "<script") || strings.Contains(page, " style=") {
		t.Error("the page carries script or inline style, which the CSP would block")
	}

	for _, p := range []string{"/incidents/999", "/maintenance/999", "/history/1999-01", "/static/nope.css"} {
		resp, body := get(t, f.srv.URL+p, nil)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "Page not found") ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || resp.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("GET %s = %s %q", p, resp.Status, resp.Header.Get("Content-Type"))
		}
	}
}

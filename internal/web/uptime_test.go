package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
	"github.com/heraldhq/herald/internal/web"
)

type uptimeFixture struct {
	srv             *httptest.Server
	incident, maint int64
	st              *store.Store
	clock           *fixedClock
	site            *web.Site
	at              func(string) time.Time
}

// newUptimeFixture seeds, through the store, monitors and outages on
// flexo/web, a later monitor on flexo/email and none on mom/web, then builds
// the pages at 10:30 AM Pacific time on Friday, August 14, 2026.
func newUptimeFixture(t *testing.T, exclude bool) *uptimeFixture {
	t.Helper()
	return newUptimeFixtureIn(t, exclude, "")
}

// newUptimeFixtureIn is the fixture with its page in a language (page.language).
func newUptimeFixtureIn(t *testing.T, exclude bool, language string) *uptimeFixture {
	t.Helper()
	ctx := context.Background()
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04:05", s, la)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	clock := &fixedClock{t: at("2026-05-01 09:00:00")}
	b := storetest.SQLite(t)
	st := b.Store
	svc := service.New(st, clock, nil)
	if err := svc.SyncCatalog(ctx,
		[]store.Group{{ID: "flexo", Name: "flexo"}, {ID: "mom", Name: "mom", Position: 1}},
		[]store.Component{
			{ID: "flexo/web", GroupID: "flexo", Name: "Web sites"},
			{ID: "flexo/email", GroupID: "flexo", Name: "E-mail", Position: 1},
			{ID: "mom/web", GroupID: "mom", Name: "Web sites"},
		}); err != nil {
		t.Fatal(err)
	}
	if err := st.SyncMonitors(ctx, []store.MonitorDef{{ID: "flexo/web/http", ComponentID: "flexo/web", Kind: "http", Target: "http://127.0.0.1:1/"}},
		at("2026-06-01 00:00:00")); err != nil {
		t.Fatal(err)
	}
	if err := st.SyncMonitors(ctx, []store.MonitorDef{
		{ID: "flexo/web/http", ComponentID: "flexo/web", Kind: "http", Target: "http://127.0.0.1:1/"},
		{ID: "flexo/email/smtp", ComponentID: "flexo/email", Kind: "smtp", Target: "127.0.0.1:2"},
	}, at("2026-06-01 12:00:00")); err != nil {
		t.Fatal(err)
	}
	f := &uptimeFixture{st: st, clock: clock, at: at}

	clock.t = at("2026-08-12 09:50:00")
	in, err := svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Web sites on flexo interrupted", Body: "Looking.",
		StartedAt: at("2026-08-12 09:48:00"), Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}})
	if err != nil {
		t.Fatal(err)
	}
	f.incident = in.ID
	clock.t = at("2026-08-12 09:53:00")
	if _, err := svc.ResolveIncident(ctx, "test", in.ID, service.Resolution{Body: "Back.", ResolvedAt: at("2026-08-12 09:52:00")}); err != nil {
		t.Fatal(err)
	}
	clock.t = at("2026-08-13 20:00:00")
	m, err := svc.ScheduleMaintenance(ctx, "test", service.NewMaintenance{Title: "Kernel update <b>now</b>", Body: "Restarts.",
		Components: []string{"flexo/web"}, Start: at("2026-08-13 23:00:00"), End: at("2026-08-13 23:05:00")})
	if err != nil {
		t.Fatal(err)
	}
	f.maint = m.ID

	outages := []store.Outage{
		{ComponentID: "flexo/web", MonitorID: "flexo/web/http", Severity: status.MonitorDown, Cause: "timeout",
			StartedAt: at("2026-08-12 09:48:00"), EndedAt: at("2026-08-12 09:52:00"), IncidentID: f.incident},
		{ComponentID: "flexo/web", MonitorID: "flexo/web/http", Severity: status.MonitorDegraded, Cause: "slow",
			StartedAt: at("2026-08-13 14:00:00"), EndedAt: at("2026-08-13 14:12:30")},
		{ComponentID: "flexo/web", MonitorID: "flexo/web/http", Severity: status.MonitorDown, Cause: "refused",
			StartedAt: at("2026-08-13 23:00:00"), EndedAt: at("2026-08-13 23:03:10"), MaintenanceID: f.maint},
		{ComponentID: "flexo/web", MonitorID: "flexo/web/http", Severity: status.MonitorDown, Cause: "refused",
			StartedAt: at("2026-08-14 10:20:00")},
		// Before the bars' 90 days: not shown, not counted.
		{ComponentID: "flexo/web", MonitorID: "flexo/web/http", Severity: status.MonitorDown, Cause: "old",
			StartedAt: at("2026-05-10 10:00:00"), EndedAt: at("2026-05-10 11:00:00")},
	}
	for i := range outages {
		outages[i].DetectedAt = outages[i].StartedAt
		if err := st.InsertOutage(ctx, &outages[i]); err != nil {
			t.Fatal(err)
		}
	}
	// Response times over the last day: 120 ms a minute apart, one slow
	// check at 9:05 AM and failed checks since the outage began.
	var results []store.CheckResult
	start := at("2026-08-13 10:30:00")
	for i := range 24 * 60 {
		r := store.CheckResult{MonitorID: "flexo/web/http", At: start.Add(time.Duration(i) * time.Minute), Latency: 120 * time.Millisecond}
		if r.At.Equal(at("2026-08-14 09:05:00")) {
			r.Latency = 950 * time.Millisecond
		}
		if !r.At.Before(at("2026-08-14 10:20:00")) {
			r.Level, r.Latency, r.Message = status.LevelDown, 0, "refused"
		}
		results = append(results, r)
	}
	mons, err := st.Monitors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range mons {
		m := &mons[i]
		m.LastCheckAt, m.Detector.State, m.LastLevel, m.LastLatency = at("2026-08-14 10:29:00"), status.MonitorUp, status.LevelUp, 35*time.Millisecond
		if m.ID == "flexo/web/http" {
			m.Detector.State, m.LastLevel, m.LastMessage, m.LastLatency = status.MonitorDown, status.LevelDown, "refused", 0
		}
	}
	if err := st.SaveChecks(ctx, results, mons, at("2026-08-14 10:29:00")); err != nil {
		t.Fatal(err)
	}

	clock.t = at("2026-08-14 10:30:00")
	yaml := "page: {title: \"Example Hosting Status\", zone: America/Los_Angeles, language: \"" + language + "\"}\n"
	if exclude {
		yaml += "maintenance: {exclude_from_uptime: true}\n"
	}
	cfg, err := config.Parse("test.yaml", []byte(yaml+"groups:\n  - id: flexo\n    components: [{id: web, name: Web sites}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	f.site = web.NewSite(svc, func() config.Config { return cfg }, nil)
	if err := f.site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	f.site.Register(mux)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *uptimeFixture) page(t *testing.T, path string) string {
	t.Helper()
	resp, body := get(t, f.srv.URL+path, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %s", path, resp.Status)
	}
	return string(body)
}

var (
	barRe   = regexp.MustCompile(`<a href="(/components/[^"#]+#\d{4}-\d\d-\d\d)" class="[^"]*" tabindex="-1"><title>([^<]*)</title><rect class="b-(\w+)"`)
	tagRe   = regexp.MustCompile(`<[^>]+>`)
	spaceRe = regexp.MustCompile(`\s+`)
)

type bar struct{ url, title, kind string }

// barsOf lists the bars of the uptime SVG that follows a component's link.
func barsOf(t *testing.T, page, componentPath string) []bar {
	t.Helper()
	i := strings.Index(page, `<a href="`+componentPath+`">`)
	if i < 0 {
		t.Fatalf("no link to %s", componentPath)
	}
	rest := page[i:]
	end := strings.Index(rest, "</svg></div>")
	if end < 0 {
		t.Fatalf("no bars after %s", componentPath)
	}
	var out []bar
	for _, m := range barRe.FindAllStringSubmatch(rest[:end], -1) {
		out = append(out, bar{m[1], m[2], m[3]})
	}
	return out
}

// text is a page's words without tags, entities decoded as the tests need.
func text(page string) string {
	s := tagRe.ReplaceAllString(page, " ")
	s = strings.NewReplacer("&#39;", "'", "&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`).Replace(s)
	return spaceRe.ReplaceAllString(s, " ")
}

func TestIndexUptimeBars(t *testing.T) {
	f := newUptimeFixture(t, false)
	page := f.page(t, "/")
	bars := barsOf(t, page, "/components/flexo/web")
	if len(bars) != 90 {
		t.Fatalf("%d bars, want 90", len(bars))
	}
	want := map[int]bar{
		0:  {"/components/flexo/web#2026-05-17", "Sunday, May 17: no data", "nodata"},
		14: {"/components/flexo/web#2026-05-31", "Sunday, May 31: no data", "nodata"},
		15: {"/components/flexo/web#2026-06-01", "Monday, June 1: 100% — no downtime", "ok"},
		87: {"/components/flexo/web#2026-08-12", "Wednesday, August 12: 99.72% — down four minutes (9:48 to 9:52 AM)", "critical"},
		88: {"/components/flexo/web#2026-08-13", "Yesterday, August 13: 99.78% — maintenance downtime three minutes (11:00 to 11:03 PM); degraded 12 minutes (2:00 to 2:12 PM)", "maint"},
		89: {"/components/flexo/web#2026-08-14", "Today, August 14: 98.41% so far — down ten minutes (since 10:20 AM)", "critical"},
	}
	for i, w := range want {
		if bars[i] != w {
			t.Errorf("bar %d:\n got %+v\nwant %+v", i, bars[i], w)
		}
	}
	// 1,030 s down of 6,431,400 s measured (June 1 to now): watched for
	// fewer than the bars' 90 days, the figure says since when, and a phone,
	// which shows the last 30 bars, gets the figure of those 30 days.
	wantAll(t, "/", page,
		`<a href="/components/flexo/web">Web sites</a> <span class="pct w90">99.98%<span class="sr"> uptime since monitoring began</span></span>`+
			` <span class="pct w30">99.95%<span class="sr"> uptime in the last 30 days</span></span>`,
		`<p class="bars-summary w90">99.98% uptime since monitoring began (Monday, June 1, 12:00 AM Pacific time). Downtime on three days, most recently Friday, August 14.</p>`,
		`<p class="bars-summary w30">99.95% uptime in the last 30 days. Downtime on three days, most recently Friday, August 14.</p>`,
		"Each bar is a day; the worse the day, the taller its bar:", "maintenance downtime", "no data")
	if strings.Contains(page, "90 days</span>") || strings.Contains(page, "of the last 90 days") {
		t.Error("a figure measured since June 1 is labelled as the last 90 days'")
	}
	// E-mail is watched from noon on June 1, without an outage.
	email := barsOf(t, page, "/components/flexo/email")
	if email[15].title != "Monday, June 1: 100% — no downtime" || email[14].kind != "nodata" {
		t.Errorf("e-mail's first measured day: %+v, the day before %+v", email[15], email[14])
	}
	wantAll(t, "/", page, `<a href="/components/flexo/email">E-mail</a> <span class="pct w90">100%`,
		"100% uptime since monitoring began (Monday, June 1, 12:00 PM Pacific time): no downtime.",
		"100% uptime in the last 30 days: no downtime.")
	// No monitor on mom: no bars and no figure, rather than a perfect score.
	if strings.Contains(page, `href="/components/mom/web"`) {
		t.Error("mom/web, which no monitor watches, has bars")
	}
	if n := strings.Count(page, `<svg class="bars"`); n != 2 {
		t.Errorf("%d bar charts, want 2", n)
	}
}

func TestComponentPage(t *testing.T) {
	f := newUptimeFixture(t, false)
	page := f.page(t, "/components/flexo/web")
	txt := text(page)
	wantAll(t, "component page", txt,
		"flexo · Web sites",
		"HTTP check: Down last checked Today, 10:29 AM Pacific time",
		// 24 h: 190 s of maintenance downtime and ten minutes now; 7, 30, 90 calendar days.
		"24 hours 99.08% ten minutes down, 3 minutes 10 seconds in maintenance",
		"7 days 99.81% 14 minutes down, 3 minutes 10 seconds in maintenance",
		"30 days 99.95%",
		// Watched since June 1: the longest figure says so, and is not shown as 90 days'.
		"Since monitoring began 99.98% Monday, June 1, 12:00 AM Pacific time 14 minutes down, 3 minutes 10 seconds in maintenance",
		"Downtime inside announced maintenance is shown apart and counts in these figures.",
		"Outages since monitoring began (Monday, June 1, 12:00 AM Pacific time)",
		"Today, August 14 Down Since 10:20 AM Pacific time ten minutes so far",
		"Yesterday, August 13 Maintenance downtime 11:00 to 11:03 PM Pacific time three minutes During maintenance: Kernel update <b>now</b>",
		"Degraded 2:00 to 2:12 PM Pacific time 12 minutes",
		"Wednesday, August 12 Down 9:48 to 9:52 AM Pacific time four minutes Incident: Web sites on flexo interrupted",
		"Response time", "Last 24 hours", "Last 7 days",
		"Mean response time of the HTTP check over the last 24 hours, in 10-minute steps: typically 120 ms (median), fastest 120 ms, slowest 203 ms (Today, 9:00 AM Pacific time). Checks failed in one step, marked with triangles along the top.",
	)
	wantAll(t, "component page", page,
		`<section class="day" id="2026-08-14"`, `<section class="day" id="2026-08-12"`,
		fmt.Sprintf(`href="/incidents/%d"`, f.incident), fmt.Sprintf(`href="/maintenance/%d"`, f.maint),
		"Kernel update &lt;b&gt;now&lt;/b&gt;", `role="img" aria-labelledby="rt-24h-flexo-web-t rt-24h-flexo-web-d"`)
	if n := strings.Count(page, `<section class="day" id=`); n != 3 {
		t.Errorf("%d days of outages, want 3", n)
	}
	if strings.Contains(page, "2026-05-10") || strings.Contains(txt, "refused") || strings.Contains(txt, "127.0.0.1") {
		t.Error("the page shows an outage before the 90 days, or internal check messages or targets")
	}
	if strings.Contains(page, "<script") || strings.Contains(page, " style=") {
		t.Error("the page carries script or inline style")
	}
	if len(barsOf(t, `<a href="/components/flexo/web">`+page, "/components/flexo/web")) != 90 {
		t.Error("no 90 bars on the component page")
	}
	if strings.Contains(txt, "90 days 9") || strings.Contains(txt, "in the last 90 days") {
		t.Error("a component watched since June 1 shows a 90-day figure")
	}

	// A component no monitor watches says so.
	mom := text(f.page(t, "/components/mom/web"))
	wantAll(t, "mom/web", mom, "mom · Web sites", "No monitor watches this service")
	if strings.Contains(mom, "%") {
		t.Error("an unwatched component shows a percentage")
	}
	if resp, _ := get(t, f.srv.URL+"/components/flexo/nope", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown component: %s", resp.Status)
	}
}

func TestUptimeExcludingMaintenance(t *testing.T) {
	f := newUptimeFixture(t, true)
	page := f.page(t, "/")
	bars := barsOf(t, page, "/components/flexo/web")
	if got := bars[88].title; got != "Yesterday, August 13: 100% — maintenance downtime three minutes (11:00 to 11:03 PM); degraded 12 minutes (2:00 to 2:12 PM)" {
		t.Errorf("maintenance day: %q", got)
	}
	// 840 s down of 6,431,210 s counted.
	wantAll(t, "/", page, `<span class="pct w90">99.98%`)
	wantAll(t, "component page", text(f.page(t, "/components/flexo/web")),
		"24 hours 99.30% ten minutes down, 3 minutes 10 seconds in maintenance", "left out of these figures")
}

func TestOutageAcrossMidnight(t *testing.T) {
	f := newUptimeFixture(t, false)
	o := store.Outage{ComponentID: "flexo/web", MonitorID: "flexo/web/http", Severity: status.MonitorDown, Cause: "refused",
		StartedAt: f.at("2026-08-10 23:58:00"), EndedAt: f.at("2026-08-11 00:03:00"), DetectedAt: f.at("2026-08-10 23:59:00")}
	if err := f.st.InsertOutage(t.Context(), &o); err != nil {
		t.Fatal(err)
	}
	if err := f.site.Rebuild(t.Context()); err != nil {
		t.Fatal(err)
	}
	bars := barsOf(t, f.page(t, "/"), "/components/flexo/web")
	if got, w := bars[85].title, "Monday, August 10: 99.86% — down two minutes (11:58 PM to midnight)"; got != w {
		t.Errorf("the outage's first day: %q, want %q", got, w)
	}
	if got, w := bars[86].title, "Tuesday, August 11: 99.79% — down three minutes (12:00 to 12:03 AM)"; got != w {
		t.Errorf("the outage's second day: %q, want %q", got, w)
	}
	txt := text(f.page(t, "/components/flexo/web"))
	span := "Down Monday, August 10, 11:58 PM to Tuesday, August 11, 12:03 AM Pacific time five minutes"
	wantAll(t, "component page", txt, "Tuesday, August 11 "+span+" (began the day before or earlier)", "Monday, August 10 "+span)
}

func TestChartsReadResponseTimesAtMostEveryTenMinutes(t *testing.T) {
	f := newUptimeFixture(t, false)
	ctx := t.Context()
	// A slow answer arrives after the outage; within latencyFresh the
	// charts keep what they read, after it they show it.
	slow := []store.CheckResult{{MonitorID: "flexo/web/http", At: f.at("2026-08-14 10:29:40"), Latency: 5 * time.Second}}
	if err := f.st.SaveChecks(ctx, slow, nil, f.at("2026-08-14 10:29:40")); err != nil {
		t.Fatal(err)
	}
	const before, after = "slowest 203 ms", "slowest 5.0 s"
	if err := f.site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	if txt := text(f.page(t, "/components/flexo/web")); !strings.Contains(txt, before) || strings.Contains(txt, after) {
		t.Errorf("within the minute the chart changed: %v %v", strings.Contains(txt, before), strings.Contains(txt, after))
	}
	f.clock.mu.Lock()
	f.clock.t = f.clock.t.Add(9 * time.Minute)
	f.clock.mu.Unlock()
	if err := f.site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	if txt := text(f.page(t, "/components/flexo/web")); strings.Contains(txt, after) {
		t.Errorf("nine minutes later the chart already read the checks again")
	}
	f.clock.mu.Lock()
	f.clock.t = f.clock.t.Add(time.Minute)
	f.clock.mu.Unlock()
	if err := f.site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	wantAll(t, "component page ten minutes later", text(f.page(t, "/components/flexo/web")), after)
}

// newMeasuredSite serves the pages at 10:30 AM Pacific time on Friday,
// August 14, 2026: flexo/web watched for 100 days with one nine-minute
// outage 50 days ago, flexo/email for three hours with one of six minutes.
func newMeasuredSite(t *testing.T) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 8, 14, 10, 30, 0, 0, la)
	clock := &fixedClock{t: now}
	b := storetest.SQLite(t)
	svc := service.New(b.Store, clock, nil)
	if err := svc.SyncCatalog(ctx, []store.Group{{ID: "flexo", Name: "flexo"}}, []store.Component{
		{ID: "flexo/web", GroupID: "flexo", Name: "Web sites"}, {ID: "flexo/email", GroupID: "flexo", Name: "E-mail", Position: 1}}); err != nil {
		t.Fatal(err)
	}
	old := store.MonitorDef{ID: "flexo/web/http", ComponentID: "flexo/web", Kind: "http", Target: "http://127.0.0.1:1/"}
	if err := b.Store.SyncMonitors(ctx, []store.MonitorDef{old}, now.AddDate(0, 0, -100)); err != nil {
		t.Fatal(err)
	}
	if err := b.Store.SyncMonitors(ctx, []store.MonitorDef{old, {ID: "flexo/email/smtp", ComponentID: "flexo/email", Kind: "smtp", Target: "127.0.0.1:2"}},
		now.Add(-3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	outages := []store.Outage{
		{ComponentID: "flexo/email", MonitorID: "flexo/email/smtp", Severity: status.MonitorDown, Cause: "refused",
			StartedAt: now.Add(-2 * time.Hour), EndedAt: now.Add(-2*time.Hour + 6*time.Minute)},
		{ComponentID: "flexo/web", MonitorID: "flexo/web/http", Severity: status.MonitorDown, Cause: "refused",
			StartedAt: now.AddDate(0, 0, -50), EndedAt: now.AddDate(0, 0, -50).Add(9 * time.Minute)},
	}
	for i := range outages {
		outages[i].DetectedAt = outages[i].StartedAt
		if err := b.Store.InsertOutage(ctx, &outages[i]); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Parse("test.yaml", []byte("page: {title: Status, zone: America/Los_Angeles}\ngroups:\n  - id: flexo\n    components: [{id: web, name: Web sites}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	site := web.NewSite(svc, func() config.Config { return cfg }, nil)
	if err := site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	site.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestUptimeOverWhatWasMeasured: a component watched for three hours shows
// one figure, since monitoring began, not the same number as 24 hours, 7,
// 30 and 90 days; one watched for 100 days shows each period, and the words
// under its bars say 90 days where 90 bars show and 30 where a phone shows
// 30.
func TestUptimeOverWhatWasMeasured(t *testing.T) {
	f := &uptimeFixture{srv: newMeasuredSite(t)}

	// Three hours of e-mail: 6 minutes down of 180.
	email := text(f.page(t, "/components/flexo/email"))
	wantAll(t, "e-mail", email, "Uptime Since monitoring began 96.66% Today, 7:30 AM Pacific time six minutes down Sunday, May 17: no data")
	if m := regexp.MustCompile(`(24 hours|7 days|30 days|90 days) \d`).FindString(email); m != "" {
		t.Errorf("three hours of monitoring shown as a figure of %q", m)
	}
	index := f.page(t, "/")
	wantAll(t, "/", index,
		`<a href="/components/flexo/email">E-mail</a> <span class="pct">96.66%<span class="sr"> uptime since monitoring began</span></span>`,
		`<p class="bars-summary">96.66% uptime since monitoring began (Today, 7:30 AM Pacific time). Downtime on one day, Friday, August 14.</p>`)

	// A hundred days of web sites: every period, and words true at each width.
	web := text(f.page(t, "/components/flexo/web"))
	wantAll(t, "web", web, "24 hours 100% no downtime", "7 days 100%", "30 days 100%", "90 days 99.99% nine minutes down",
		"Outages in the last 90 days")
	if strings.Contains(web, "Since monitoring began") {
		t.Error("a component watched for 100 days says since monitoring began")
	}
	wantAll(t, "/", index,
		`<a href="/components/flexo/web">Web sites</a> <span class="pct w90">99.99%<span class="sr"> uptime in the last 90 days</span></span> <span class="pct w30">100%<span class="sr"> uptime in the last 30 days</span></span>`,
		`<p class="bars-summary w90">99.99% uptime in the last 90 days. Downtime on one day, Thursday, June 25.</p>`,
		`<p class="bars-summary w30">100% uptime in the last 30 days: no downtime.</p>`)
}

package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// Answers of the monitoring endpoints, as docs/api.md describes them.

type outageAnswer struct {
	ID              int64   `json:"id"`
	Component       string  `json:"component"`
	Monitor         string  `json:"monitor"`
	Severity        string  `json:"severity"`
	StartedAt       *string `json:"started_at"`
	EndedAt         *string `json:"ended_at"`
	Open            bool    `json:"open"`
	DurationSeconds float64 `json:"duration_seconds"`
	Cause           string  `json:"cause"`
	MaintenanceID   *int64  `json:"maintenance_id"`
	IncidentID      *int64  `json:"incident_id"`
	Decision        string  `json:"decision"`
	DetectedAt      *string `json:"detected_at"`
}

type totalsAnswer struct {
	MeasuredSeconds    float64  `json:"measured_seconds"`
	DownSeconds        float64  `json:"down_seconds"`
	DegradedSeconds    float64  `json:"degraded_seconds"`
	MaintenanceSeconds float64  `json:"maintenance_seconds"`
	UptimePercent      *float64 `json:"uptime_percent"`
}

type uptimeAnswer struct {
	Component          string       `json:"component"`
	Zone               string       `json:"zone"`
	From               string       `json:"from"`
	To                 string       `json:"to"`
	ExcludeMaintenance bool         `json:"exclude_maintenance"`
	Total              totalsAnswer `json:"total"`
	Days               []struct {
		Date    string  `json:"date"`
		State   string  `json:"state"`
		StartAt *string `json:"start_at"`
		EndAt   *string `json:"end_at"`
		totalsAnswer
	} `json:"days"`
}

type monitorAnswer struct {
	ID             string   `json:"id"`
	Component      string   `json:"component"`
	Kind           string   `json:"kind"`
	Target         string   `json:"target"`
	State          string   `json:"state"`
	StateChangedAt *string  `json:"state_changed_at"`
	LastCheckAt    *string  `json:"last_check_at"`
	LastOutcome    *string  `json:"last_outcome"`
	LastMessage    string   `json:"last_message"`
	LastLatencyMS  *float64 `json:"last_latency_ms"`
	CreatedAt      *string  `json:"created_at"`
	Removed        bool     `json:"removed"`
	RemovedAt      *string  `json:"removed_at"`
}

type monitoringSeed struct {
	maint          int64
	o1, o2, o3, o4 int64 // flexo/web's outages, oldest first
	o5             int64 // mom/email's
}

// newMonitoringFixture is the admin API over seeded monitors and outages,
// with the page zone America/Los_Angeles, at 10:30 AM Pacific time on Friday,
// August 14, 2026.
func newMonitoringFixture(t *testing.T, b storetest.Backend, exclude bool) (*fixture, monitoringSeed) {
	t.Helper()
	ctx := context.Background()
	f := newFixture(t, b)
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
	st := b.Store
	if err := st.SyncMonitors(ctx, []store.MonitorDef{
		{ID: "flexo/web/http", ComponentID: "flexo/web", Kind: "http", Target: "http://127.0.0.1:8081/"},
		{ID: "mom/email/smtp", ComponentID: "mom/email", Kind: "smtp", Target: "127.0.0.1:2525"},
	}, at("2026-08-01 00:00:00")); err != nil {
		t.Fatal(err)
	}
	var seed monitoringSeed
	f.clock.Set(at("2026-08-13 20:00:00"))
	m, err := f.svc.ScheduleMaintenance(ctx, "test", service.NewMaintenance{Title: "Kernel update", Body: "Restarts.",
		Components: []string{"flexo/web"}, Start: at("2026-08-13 23:00:00"), End: at("2026-08-13 23:05:00")})
	if err != nil {
		t.Fatal(err)
	}
	seed.maint = m.ID
	outs := []store.Outage{
		{ComponentID: "flexo/web", MonitorID: "flexo/web/http", Severity: status.MonitorDown, Cause: "timeout after 10s",
			StartedAt: at("2026-08-12 09:48:00"), EndedAt: at("2026-08-12 09:52:00"), Decision: store.DecisionIgnored},
		{ComponentID: "flexo/web", MonitorID: "flexo/web/http", Severity: status.MonitorDegraded, Cause: "slow",
			StartedAt: at("2026-08-13 14:00:00"), EndedAt: at("2026-08-13 14:12:30")},
		{ComponentID: "flexo/web", MonitorID: "flexo/web/http", Severity: status.MonitorDown, Cause: "refused",
			StartedAt: at("2026-08-13 23:00:00"), EndedAt: at("2026-08-13 23:03:10"), MaintenanceID: m.ID, Decision: store.DecisionMaintenance},
		{ComponentID: "flexo/web", MonitorID: "flexo/web/http", Severity: status.MonitorDown, Cause: "refused",
			StartedAt: at("2026-08-14 10:20:00")},
		{ComponentID: "mom/email", MonitorID: "mom/email/smtp", Severity: status.MonitorDown, Cause: "no banner",
			StartedAt: at("2026-08-05 08:00:00"), EndedAt: at("2026-08-05 08:00:30")},
	}
	ids := []*int64{&seed.o1, &seed.o2, &seed.o3, &seed.o4, &seed.o5}
	for i := range outs {
		outs[i].DetectedAt = outs[i].StartedAt.Add(time.Minute)
		if err := st.InsertOutage(ctx, &outs[i]); err != nil {
			t.Fatal(err)
		}
		*ids[i] = outs[i].ID
	}
	mons, err := st.Monitors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range mons {
		if mons[i].ID == "flexo/web/http" {
			mons[i].Detector.State, mons[i].Detector.Since = status.MonitorDown, at("2026-08-14 10:21:00")
			mons[i].LastCheckAt, mons[i].LastLevel, mons[i].LastMessage = at("2026-08-14 10:29:30"), status.LevelDown, "connection refused"
			mons[i].LastLatency = 1500 * time.Microsecond
		}
	}
	if err := st.SaveChecks(ctx, nil, mons, at("2026-08-14 10:29:30")); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(at("2026-08-14 10:30:00"))

	// The admin API again, this time with the configuration.
	yaml := "page: {title: Status, zone: America/Los_Angeles}\n"
	if exclude {
		yaml += "maintenance: {exclude_from_uptime: true}\n"
	}
	cfg, err := config.Parse("test.yaml", []byte(yaml+"groups:\n  - id: flexo\n    components: [{id: web, name: Web sites}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	api.NewAdmin(f.svc, slog.New(slog.NewTextHandler(f.logs, nil))).WithConfig(func() config.Config { return cfg }).Register(mux)
	f.serve(t, mux)
	return f, seed
}

// serve makes mux the fixture's server, in place of the one it had.
func (f *fixture) serve(t *testing.T, mux *http.ServeMux) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.srv.Close()
	f.srv = httptest.NewUnstartedServer(mux)
	f.srv.Listener.Close()
	f.srv.Listener = l
	f.srv.Start()
	t.Cleanup(f.srv.Close)
}

func TestOutagesAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f, seed := newMonitoringFixture(t, b, false)
		get := func(q string) []outageAnswer {
			t.Helper()
			return want[struct {
				Outages []outageAnswer `json:"outages"`
			}](t, f.send(t, "GET", "/api/v1/outages"+q, f.read, "", nil), http.StatusOK).Outages
		}
		ids := func(list []outageAnswer) []int64 {
			out := []int64{}
			for _, o := range list {
				out = append(out, o.ID)
			}
			return out
		}
		all := get("?component=flexo/web")
		if got, w := ids(all), []int64{seed.o4, seed.o3, seed.o2, seed.o1}; fmt.Sprint(got) != fmt.Sprint(w) {
			t.Fatalf("flexo/web outages %v, want %v newest first", got, w)
		}
		open, maint := all[0], all[1]
		if !open.Open || open.EndedAt != nil || open.DurationSeconds != 600 || str(open.StartedAt) != "2026-08-14T17:20:00Z" ||
			open.Severity != "down" || open.MaintenanceID != nil || open.IncidentID != nil || open.Decision != "" ||
			str(open.DetectedAt) != "2026-08-14T17:21:00Z" || open.Monitor != "flexo/web/http" || open.Cause != "refused" {
			t.Errorf("open outage: %+v", open)
		}
		if maint.Open || str(maint.EndedAt) != "2026-08-14T06:03:10Z" || maint.DurationSeconds != 190 ||
			maint.MaintenanceID == nil || *maint.MaintenanceID != seed.maint || maint.Decision != "maintenance" {
			t.Errorf("maintenance outage: %+v", maint)
		}
		if all[2].Severity != "degraded" || all[2].DurationSeconds != 750 {
			t.Errorf("degraded outage: %+v", all[2])
		}
		for q, w := range map[string][]int64{
			"?open=true":           {seed.o4},
			"?open=false":          {seed.o4, seed.o3, seed.o2, seed.o1, seed.o5},
			"?component=mom/email": {seed.o5},
			// Lasting at or after the since, started before the until.
			"?since=" + url.QueryEscape("2026-08-13T00:00:00-07:00"):                             {seed.o4, seed.o3, seed.o2},
			"?until=2026-08-13T07:00:00Z":                                                        {seed.o1, seed.o5},
			"?since=2026-08-05T15:00:20Z&until=2026-08-12T16:50:00Z":                             {seed.o1, seed.o5},
			"?component=flexo/web&since=2026-08-13T00:00:00Z&until=2026-08-14T00:00:00Z&limit=1": {seed.o2},
		} {
			if got := ids(get(q)); fmt.Sprint(got) != fmt.Sprint(w) {
				t.Errorf("%s: %v, want %v", q, got, w)
			}
		}
		for q, words := range map[string][]string{
			"?bogus=1":              {"unknown query parameter bogus", "component, since, until, open, limit"},
			"?component=flexo/nope": {`unknown component "flexo/nope"`},
			"?since=yesterday":      {"since", "RFC 3339"},
			"?until=2026-08-14":     {"until", "RFC 3339"},
			"?since=2026-08-14T00:00:00Z&until=2026-08-13T00:00:00Z": {"until must be after since"},
			"?open=yes":             {"open must be true or false"},
			"?open=true&open=false": {"open is given 2 times"},
			"?limit=0":              {"limit"},
			"?limit=5000":           {"limit"},
			"?component=%zz":        {"malformed"},
		} {
			wantError(t, f.send(t, "GET", "/api/v1/outages"+q, f.read, "", nil), http.StatusBadRequest, words...)
		}
		wantError(t, f.send(t, "GET", "/api/v1/outages", "", "", nil), http.StatusUnauthorized)
		wantError(t, f.send(t, "POST", "/api/v1/outages", f.write, "", nil), http.StatusMethodNotAllowed, "GET")
	})
}

func TestUptimeAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f, _ := newMonitoringFixture(t, b, false)
		u := want[uptimeAnswer](t, f.send(t, "GET", "/api/v1/uptime?component=flexo/web&from=2026-08-12&to=2026-08-15", f.read, "", nil), http.StatusOK)
		if u.Component != "flexo/web" || u.Zone != "America/Los_Angeles" || u.From != "2026-08-12" || u.To != "2026-08-15" || u.ExcludeMaintenance {
			t.Errorf("head: %+v", u)
		}
		if len(u.Days) != 4 {
			t.Fatalf("%d days", len(u.Days))
		}
		type row struct {
			date, state                                string
			start, end                                 string
			measured, down, degraded, maintenance, pct float64
		}
		pct := func(p *float64) float64 {
			if p == nil {
				return -1
			}
			return *p
		}
		wantRows := []row{
			{"2026-08-12", "down", "2026-08-12T07:00:00Z", "2026-08-13T07:00:00Z", 86400, 240, 0, 0, 99.7222},
			{"2026-08-13", "maintenance", "2026-08-13T07:00:00Z", "2026-08-14T07:00:00Z", 86400, 0, 750, 190, 99.78},
			{"2026-08-14", "down", "2026-08-14T07:00:00Z", "2026-08-14T17:30:00Z", 37800, 600, 0, 0, 98.4126}, // today, up to now
			{"2026-08-15", "no_data", "<null>", "<null>", 0, 0, 0, 0, -1},                                     // tomorrow
		}
		for i, w := range wantRows {
			d := u.Days[i]
			got := row{d.Date, d.State, str(d.StartAt), str(d.EndAt), d.MeasuredSeconds, d.DownSeconds, d.DegradedSeconds,
				d.MaintenanceSeconds, pct(d.UptimePercent)}
			if got != w {
				t.Errorf("day %d:\n got %+v\nwant %+v", i, got, w)
			}
		}
		// 1,030 s down (maintenance included) of 210,600 s.
		if tot := u.Total; tot.MeasuredSeconds != 210600 || tot.DownSeconds != 840 || tot.MaintenanceSeconds != 190 ||
			tot.DegradedSeconds != 750 || pct(tot.UptimePercent) != 99.5109 {
			t.Errorf("total: %+v %v", tot, pct(tot.UptimePercent))
		}
		// Before the monitor existed there is no data.
		u = want[uptimeAnswer](t, f.send(t, "GET", "/api/v1/uptime?component=mom/email&from=2026-07-31&to=2026-08-05", f.read, "", nil), http.StatusOK)
		if u.Days[0].State != "no_data" || u.Days[0].UptimePercent != nil || u.Days[1].MeasuredSeconds != 86400 ||
			u.Days[5].DownSeconds != 30 || pct(u.Days[5].UptimePercent) != 99.9652 {
			t.Errorf("mom/email: %+v", u.Days)
		}
		// No monitor on flexo/email: no data at all rather than 100%.
		u = want[uptimeAnswer](t, f.send(t, "GET", "/api/v1/uptime?component=flexo/email&from=2026-08-01&to=2026-08-02", f.read, "", nil), http.StatusOK)
		if u.Total.UptimePercent != nil || u.Days[0].State != "no_data" {
			t.Errorf("unwatched component: %+v", u)
		}
		for q, words := range map[string][]string{
			"":                                     {"component is required"},
			"?component=flexo/web":                 {"from is required"},
			"?component=flexo/web&from=2026-08-01": {"to is required"},
			"?component=nope&from=2026-08-01&to=2026-08-02":                        {`unknown component "nope"`},
			"?component=flexo/web&from=2026-13-01&to=2026-08-02":                   {"from", "not a date"},
			"?component=flexo/web&from=2026-08-01&to=08/02/2026":                   {"to", "not a date"},
			"?component=flexo/web&from=2026-08-02&to=2026-08-01":                   {"before from"},
			"?component=flexo/web&from=2025-01-01&to=2026-08-01":                   {"578 days", "at most 366"},
			"?component=flexo/web&from=2026-08-01&to=2026-08-02&zone=UTC":          {"unknown query parameter zone"},
			"?component=flexo/web&component=mom/web&from=2026-08-01&to=2026-08-02": {"component is given 2 times"},
		} {
			wantError(t, f.send(t, "GET", "/api/v1/uptime"+q, f.read, "", nil), http.StatusBadRequest, words...)
		}
	})
}

func TestUptimeAPIExcludingMaintenance(t *testing.T) {
	f, _ := newMonitoringFixture(t, storetest.SQLite(t), true)
	u := want[uptimeAnswer](t, f.send(t, "GET", "/api/v1/uptime?component=flexo/web&from=2026-08-13&to=2026-08-14", f.read, "", nil), http.StatusOK)
	if !u.ExcludeMaintenance || u.Days[0].UptimePercent == nil || *u.Days[0].UptimePercent != 100 || u.Days[0].MaintenanceSeconds != 190 {
		t.Errorf("maintenance day: %+v", u.Days[0])
	}
	// 600 s down of 124,200 − 190 s counted.
	if p := u.Total.UptimePercent; p == nil || *p != 99.5161 {
		t.Errorf("total: %+v", u.Total)
	}
}

func TestMonitorsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f, _ := newMonitoringFixture(t, b, false)
		list := want[struct {
			Monitors []monitorAnswer `json:"monitors"`
		}](t, f.send(t, "GET", "/api/v1/monitors", f.read, "", nil), http.StatusOK).Monitors
		if len(list) != 2 {
			t.Fatalf("%d monitors", len(list))
		}
		web, mail := list[0], list[1]
		if web.ID != "flexo/web/http" || web.Component != "flexo/web" || web.Kind != "http" || web.Target != "http://127.0.0.1:8081/" ||
			web.State != "down" || str(web.StateChangedAt) != "2026-08-14T17:21:00Z" || str(web.LastCheckAt) != "2026-08-14T17:29:30Z" ||
			str(web.LastOutcome) != "down" || web.LastMessage != "connection refused" || web.LastLatencyMS == nil || *web.LastLatencyMS != 1.5 ||
			str(web.CreatedAt) != "2026-08-01T07:00:00Z" || web.Removed || web.RemovedAt != nil {
			t.Errorf("flexo/web/http: %+v", web)
		}
		if mail.State != "unknown" || mail.LastCheckAt != nil || mail.LastOutcome != nil || mail.LastLatencyMS != nil {
			t.Errorf("never checked: %+v", mail)
		}
		only := want[struct {
			Monitors []monitorAnswer `json:"monitors"`
		}](t, f.send(t, "GET", "/api/v1/monitors?component=mom/email", f.read, "", nil), http.StatusOK).Monitors
		if len(only) != 1 || only[0].ID != "mom/email/smtp" {
			t.Errorf("filtered: %+v", only)
		}
		wantError(t, f.send(t, "GET", "/api/v1/monitors?state=down", f.read, "", nil), http.StatusBadRequest, "unknown query parameter state")
		wantError(t, f.send(t, "GET", "/api/v1/monitors?component=x/y", f.read, "", nil), http.StatusBadRequest, "unknown component")
	})
}

// TestAnswersNameTheZone: every authenticated answer names the page's zone,
// so that the command line can show times as the pages do; UTC without a
// configuration; none before authentication.
func TestAnswersNameTheZone(t *testing.T) {
	f, _ := newMonitoringFixture(t, storetest.SQLite(t), false)
	for _, path := range []string{"/api/v1/status", "/api/v1/outages", "/api/v1/incidents/999999"} {
		if got := f.send(t, "GET", path, f.read, "", nil).header.Get(api.ZoneHeader); got != "America/Los_Angeles" {
			t.Errorf("GET %s: %s %q, want America/Los_Angeles", path, api.ZoneHeader, got)
		}
	}
	if got := f.send(t, "GET", "/api/v1/status", "", "", nil).header.Get(api.ZoneHeader); got != "" {
		t.Errorf("an unauthenticated answer names the zone: %q", got)
	}
	bare := newFixture(t, storetest.SQLite(t))
	if got := bare.send(t, "GET", "/api/v1/status", bare.read, "", nil).header.Get(api.ZoneHeader); got != "UTC" {
		t.Errorf("without a configuration: %s %q, want UTC", api.ZoneHeader, got)
	}
}

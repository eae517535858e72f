package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/customers"
	"github.com/heraldhq/herald/internal/report"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// reportFixture is the monitoring fixture (Pacific time, Friday August 14,
// 2026, 10:30 AM) with the report route, and example.com a customer of mom.
func reportFixture(t *testing.T, b storetest.Backend, exclude bool) (*fixture, monitoringSeed) {
	t.Helper()
	f, seed := newMonitoringFixture(t, b, exclude)
	yaml := "page: {title: Example Hosting status, zone: America/Los_Angeles}\n"
	if exclude {
		yaml += "maintenance: {exclude_from_uptime: true}\n"
	}
	cfg, err := config.Parse("test.yaml", []byte(yaml+"groups:\n  - id: flexo\n    components: [{id: web, name: Web sites}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	dir := customers.New(b.Store, f.svc)
	if _, err := dir.Import(context.Background(), "test", strings.NewReader("example.com,mom\n"),
		customers.ImportOptions{Groups: map[string]bool{"mom": true, "flexo": true}}); err != nil {
		t.Fatal(err)
	}
	admin := api.NewAdmin(f.svc, slog.New(slog.NewTextHandler(f.logs, nil))).WithConfig(func() config.Config { return cfg })
	mux := http.NewServeMux()
	admin.Register(mux)
	admin.RegisterNotify(mux, nil, dir)
	f.serve(t, mux)
	return f, seed
}

func pctOf(p *float64) float64 {
	if p == nil {
		return -1
	}
	return *p
}

// TestReportAPI: an SLA report's figures are the uptime API's (the page's
// bars' computation), a server is down while any of its components is, the
// outages and windows are the range's, and bad asks get clear errors.
func TestReportAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f, seed := reportFixture(t, b, false)
		get := func(q string) report.JSON {
			t.Helper()
			return want[report.JSON](t, f.send(t, "GET", "/api/v1/reports"+q, f.read, "", nil), http.StatusOK)
		}
		rep := get("?from=2026-08-12&to=2026-08-15&component=flexo/web")
		if rep.From != "2026-08-12" || rep.To != "2026-08-15" || rep.Zone != "America/Los_Angeles" || rep.Scope != "component flexo/web" ||
			rep.GeneratedAt != "2026-08-14T17:30:00Z" || len(rep.Servers) != 1 || len(rep.Servers[0].Components) != 1 {
			t.Fatalf("head: %+v", rep)
		}
		// The same range from the uptime API, which the page's bars share.
		u := want[uptimeAnswer](t, f.send(t, "GET", "/api/v1/uptime?component=flexo/web&from=2026-08-12&to=2026-08-15", f.read, "", nil), http.StatusOK)
		c := rep.Servers[0].Components[0]
		if c.ID != "flexo/web" || c.Name != "Web sites" || !c.Monitored || pctOf(c.UptimePercent) != pctOf(u.Total.UptimePercent) ||
			c.MeasuredSeconds != u.Total.MeasuredSeconds || c.DownSeconds != u.Total.DownSeconds ||
			c.DegradedSeconds != u.Total.DegradedSeconds || c.MaintenanceSeconds != u.Total.MaintenanceSeconds {
			t.Errorf("flexo/web in the report %+v (%v%%), in the uptime API %+v (%v%%)", c, pctOf(c.UptimePercent), u.Total, pctOf(u.Total.UptimePercent))
		}
		// 1,030 s down (maintenance included) of 210,600 s measured.
		if pctOf(c.UptimePercent) != 99.5109 || c.UptimeText != "99.51%" || c.DowntimeSeconds != 1030 || c.CountedSeconds != 210600 {
			t.Errorf("flexo/web: %+v", c)
		}
		// Its outages: all four touch the range; the ongoing one to now.
		if len(rep.Outages) != 4 || rep.Outages[0].ID != seed.o1 || rep.Outages[3].ID != seed.o4 ||
			rep.Outages[3].EndedAt != nil || rep.Outages[3].DurationSeconds != 600 || rep.Outages[3].InRangeSeconds != 600 ||
			rep.Outages[2].MaintenanceID == nil || *rep.Outages[2].MaintenanceID != seed.maint || rep.Outages[0].Server != "Flexo" {
			t.Errorf("outages: %+v", rep.Outages)
		}
		// The window: announced 11:00 to 11:05 PM, 3 min 10 s of downtime measured in it.
		if len(rep.Maintenance) != 1 || rep.Maintenance[0].ID != seed.maint || rep.Maintenance[0].MeasuredDowntimeSeconds != 190 ||
			rep.Maintenance[0].AnnouncedFrom != "2026-08-14T06:00:00Z" || rep.Maintenance[0].AnnouncedUntil != "2026-08-14T06:05:00Z" {
			t.Errorf("maintenance: %+v", rep.Maintenance)
		}

		// One day: an outage is clipped to the range.
		rep = get("?from=2026-08-13&to=2026-08-13&server=flexo")
		if rep.Scope != "server flexo" || len(rep.Servers) != 1 || len(rep.Servers[0].Components) != 2 || len(rep.Outages) != 2 {
			t.Fatalf("flexo on the 13th: %+v", rep)
		}
		srv := rep.Servers[0]
		email := srv.Components[1]
		if email.ID != "flexo/email" || email.Monitored || email.UptimePercent != nil || email.UptimeText != "" {
			t.Errorf("flexo/email was never watched, its uptime is unknown: %+v", email)
		}
		// The server: the web component's figures, as e-mail was not measured.
		if pctOf(srv.UptimePercent) != pctOf(srv.Components[0].UptimePercent) || srv.MeasuredSeconds != 86400 || srv.DegradedSeconds != 750 {
			t.Errorf("flexo: %+v", srv)
		}

		// Everything, from August 1st: mom's 30 s outage of the 5th counts for mom.
		rep = get("?from=2026-08-01&to=2026-08-14")
		if rep.Scope != "all" || len(rep.Outages) != 5 {
			t.Fatalf("all: %d outages, scope %q", len(rep.Outages), rep.Scope)
		}
		byID := map[string]report.ServerJSON{}
		for _, s := range rep.Servers {
			byID[s.ID] = s
		}
		if m := byID["mom"]; m.DownSeconds != 30 || !m.Monitored || pctOf(m.UptimePercent) >= 100 {
			t.Errorf("mom: %+v", m)
		}
		if z, ok := byID["zapp"]; !ok || z.Monitored || z.UptimePercent != nil {
			t.Errorf("zapp, never watched, is listed without a figure: %+v (listed %v)", z, ok)
		}

		// A customer's domain is the report of their server, and only that.
		rep = get("?from=2026-08-01&to=2026-08-14&customer=www.Example.com")
		if rep.Scope != "server mom" || len(rep.Servers) != 1 || rep.Servers[0].ID != "mom" || len(rep.Outages) != 1 || rep.Outages[0].ID != seed.o5 {
			t.Errorf("customer example.com: %+v", rep)
		}

		// CSV: one row per server and component, figures to the second.
		a := f.send(t, "GET", "/api/v1/reports?from=2026-08-12&to=2026-08-15&server=flexo&format=csv", f.read, "", nil)
		if a.code != http.StatusOK || a.header.Get("Content-Type") != "text/csv; charset=utf-8" {
			t.Fatalf("csv: %v %v", a, a.header)
		}
		rows, err := csv.NewReader(bytes.NewReader(a.body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 4 || rows[0][0] != "kind" || rows[1][0] != "server" || rows[2][2] != "flexo/web" || rows[2][6] != "99.5109" || rows[3][6] != "" {
			t.Errorf("csv rows: %q", rows)
		}
		a = f.send(t, "GET", "/api/v1/reports?from=2026-08-12&to=2026-08-15&format=csv&table=outages", f.read, "", nil)
		if rows, _ = csv.NewReader(bytes.NewReader(a.body)).ReadAll(); len(rows) != 5 || rows[0][1] != "server" {
			t.Errorf("csv outages: %q", rows)
		}

		// HTML: printable, escaped, the same figures.
		a = f.send(t, "GET", "/api/v1/reports?from=2026-08-12&to=2026-08-15&server=flexo&format=html", f.read, "", nil)
		body := string(a.body)
		for _, w := range []string{"<title>Example Hosting status: service report, August 12, 2026 to August 15, 2026</title>",
			"@page { size: A4;", "99.51%", "not measured", "Kernel update", "Pacific time", "0:03:10"} {
			if !strings.Contains(body, w) {
				t.Errorf("the HTML report lacks %q", w)
			}
		}
		if a.header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("html content type %q", a.header.Get("Content-Type"))
		}

		for q, words := range map[string][]string{
			"":                               {"from is required"},
			"?from=2026-08-01":               {"to is required"},
			"?from=2026-08-02&to=2026-08-01": {"before from"},
			"?from=2000-01-01&to=2026-08-01": {"days", "at most 3700"},
			"?from=2026-08-01&to=2026-08-02&format=pdf":                       {"format \"pdf\"", "csv, json, html"},
			"?from=2026-08-01&to=2026-08-02&format=json&table=outages":        {"csv only"},
			"?from=2026-08-01&to=2026-08-02&server=flexo&component=flexo/web": {"at most one of"},
			"?from=2026-08-01&to=2026-08-02&zone=UTC":                         {"unknown query parameter zone"},
		} {
			wantError(t, f.send(t, "GET", "/api/v1/reports"+q, f.read, "", nil), http.StatusBadRequest, words...)
		}
		wantError(t, f.send(t, "GET", "/api/v1/reports?from=2026-08-01&to=2026-08-02&server=bender", f.read, "", nil), http.StatusNotFound, "server bender not found")
		wantError(t, f.send(t, "GET", "/api/v1/reports?from=2026-08-01&to=2026-08-02&customer=unknown.example", f.read, "", nil), http.StatusNotFound, "not in the customer list")
		wantError(t, f.send(t, "GET", "/api/v1/reports?from=2026-08-01&to=2026-08-02", "", "", nil), http.StatusUnauthorized)
	})
}

// TestReportExcludingMaintenance: with maintenance left out of uptime, the
// window's downtime is shown apart and does not lower the figure.
func TestReportExcludingMaintenance(t *testing.T) {
	f, seed := reportFixture(t, storetest.SQLite(t), true)
	// The window began on time and ended seven minutes late.
	now := f.clock.Now()
	la, _ := time.LoadLocation("America/Los_Angeles")
	f.clock.Set(time.Date(2026, 8, 13, 23, 0, 0, 0, la))
	if _, err := f.svc.AdvanceMaintenance(t.Context()); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(time.Date(2026, 8, 13, 23, 12, 0, 0, la))
	if _, err := f.svc.CompleteMaintenance(t.Context(), "test", seed.maint, ""); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(now)
	rep := want[report.JSON](t, f.send(t, "GET", "/api/v1/reports?from=2026-08-13&to=2026-08-14&component=flexo/web", f.read, "", nil), http.StatusOK)
	c := rep.Servers[0].Components[0]
	// 600 s down of 124,200 − 190 s counted, as the uptime API says.
	if !rep.ExcludeMaintenance || pctOf(c.UptimePercent) != 99.5161 || c.MaintenanceSeconds != 190 || c.DowntimeSeconds != 600 {
		t.Errorf("flexo/web: %+v", c)
	}
	if len(rep.Maintenance) != 1 {
		t.Fatalf("maintenance: %+v", rep.Maintenance)
	}
	if m := rep.Maintenance[0]; m.Status != "completed" || m.StartedAt == nil || *m.StartedAt != "2026-08-14T06:00:00Z" ||
		m.CompletedAt == nil || *m.CompletedAt != "2026-08-14T06:12:00Z" || m.OverrunSeconds != 420 || m.MeasuredDowntimeSeconds != 190 {
		t.Errorf("the window as it went: %+v", m)
	}
}

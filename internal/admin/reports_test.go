package admin_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/report"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// TestReports: any signed-in user asks for a report; it is the report
// package's, served with its own narrow policy; mistakes come back to the
// form with the reason.
func TestReports(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t), nil)
	ctx := t.Context()
	if err := f.store.SyncMonitors(ctx, []store.MonitorDef{{ID: "flexo/web/http", ComponentID: "flexo/web", Kind: "http",
		Target: "http://127.0.0.1:8081/"}}, at("2026-10-01 00:00")); err != nil {
		t.Fatal(err)
	}
	o := store.Outage{ComponentID: "flexo/web", MonitorID: "flexo/web/http", Severity: status.MonitorDown, Cause: "<b>refused</b>",
		StartedAt: at("2026-10-14 09:48"), EndedAt: at("2026-10-14 09:52"), DetectedAt: at("2026-10-14 09:49")}
	if err := f.store.InsertOutage(ctx, &o); err != nil {
		t.Fatal(err)
	}
	c := f.as(t, "vic") // a viewer
	r := c.get("/admin/reports")
	wantCode(t, "form", r, http.StatusOK)
	// The fixture's clock reads November 25th: last month by default.
	wantBody(t, "form", r, `value="2026-10-01"`, `value="2026-10-31"`, `value="server:flexo"`, `value="component:flexo/web"`)

	r = c.get("/admin/reports/view?from=2026-10-01&to=2026-10-31&scope=server:flexo&format=html")
	wantCode(t, "html report", r, http.StatusOK)
	if r.header.Get("Content-Security-Policy") != report.CSP {
		t.Errorf("the HTML report's policy is %q, want the report's own %q", r.header.Get("Content-Security-Policy"), report.CSP)
	}
	wantBody(t, "html report", r, "server flexo", "0:04:00", "&lt;b&gt;refused&lt;/b&gt;")
	if strings.Contains(r.body, "<b>refused") {
		t.Error("the outage's cause is not escaped")
	}

	r = c.get("/admin/reports/view?from=2026-10-01&to=2026-10-31&scope=component:flexo/web&format=csv")
	wantCode(t, "csv report", r, http.StatusOK)
	if !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment;") || !strings.Contains(r.body, "component,flexo,flexo/web") {
		t.Errorf("csv: %v\n%s", r.header, r.body)
	}

	r = c.get("/admin/reports/view?from=2026-10-31&to=2026-10-01&format=html")
	wantCode(t, "backwards range", r, http.StatusBadRequest)
	wantBody(t, "backwards range", r, "is before from", `value="2026-10-31"`)
	r = c.get("/admin/reports/view?from=2026-10-01&to=2026-10-31&scope=server:bender")
	wantCode(t, "unknown server", r, http.StatusNotFound)
	wantBody(t, "unknown server", r, "server bender not found")
}

package cli_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/cli"
	"github.com/heraldhq/herald/internal/customers"
	"github.com/heraldhq/herald/internal/report"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// TestReportCommand writes November 2026's report from the database, in
// Pacific time: a month whose first day is 25 hours long (daylight saving
// ends on November 1st), so the measured time is 30 days and an hour.
func TestReportCommand(t *testing.T) {
	cli.Parallel(t)
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		dbArgs := []string{"--data", b.DataDir}
		if b.URL != "" {
			dbArgs = []string{"--db", b.URL}
		}
		la, err := time.LoadLocation("America/Los_Angeles")
		if err != nil {
			t.Fatal(err)
		}
		at := func(s string) time.Time {
			v, err := time.ParseInLocation(time.DateTime, s, la)
			if err != nil {
				t.Fatal(err)
			}
			return v.UTC()
		}
		svc := service.New(b.Store, service.SystemClock{}, nil)
		if err := svc.SyncCatalog(ctx, []store.Group{{ID: "flexo", Name: "flexo"}, {ID: "mom", Name: "mom", Position: 1}},
			[]store.Component{{ID: "flexo/web", GroupID: "flexo", Name: "Web sites"}, {ID: "mom/web", GroupID: "mom", Name: "Web sites"}}); err != nil {
			t.Fatal(err)
		}
		if err := b.Store.SyncMonitors(ctx, []store.MonitorDef{
			{ID: "flexo/web/http", ComponentID: "flexo/web", Kind: "http", Target: "http://127.0.0.1:8081/"},
			{ID: "mom/web/http", ComponentID: "mom/web", Kind: "http", Target: "http://127.0.0.1:8082/"},
		}, at("2026-10-01 00:00:00")); err != nil {
			t.Fatal(err)
		}
		for _, o := range []store.Outage{
			{ComponentID: "flexo/web", MonitorID: "flexo/web/http", Severity: status.MonitorDown, Cause: "=HYPERLINK(\"x\")",
				StartedAt: at("2026-11-10 09:48:00"), EndedAt: at("2026-11-10 09:52:00")},
			{ComponentID: "flexo/web", MonitorID: "flexo/web/http", Severity: status.MonitorDegraded, Cause: "slow",
				StartedAt: at("2026-11-12 14:00:00"), EndedAt: at("2026-11-12 14:10:00")},
			// Begins on October 31st: only its November part counts.
			{ComponentID: "mom/web", MonitorID: "mom/web/http", Severity: status.MonitorDown, Cause: "refused",
				StartedAt: at("2026-10-31 23:59:00"), EndedAt: at("2026-11-01 00:01:00")},
		} {
			o.DetectedAt = o.StartedAt
			if err := b.Store.InsertOutage(ctx, &o); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := customers.New(b.Store, svc).Import(ctx, "test", strings.NewReader("example.com,mom\n"),
			customers.ImportOptions{Groups: map[string]bool{"flexo": true, "mom": true}}); err != nil {
			t.Fatal(err)
		}
		run := func(args ...string) (int, string, string) {
			t.Helper()
			return runIn(t, "", append(append([]string{"report"}, args...), dbArgs...)...)
		}

		code, out, errs := run("--from", "2026-11-01", "--to", "2026-11-30", "--zone", "America/Los_Angeles")
		if code != 0 {
			t.Fatalf("report: %d %q", code, errs)
		}
		var rep report.JSON
		dec := json.NewDecoder(strings.NewReader(out))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rep); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if len(rep.Servers) != 2 || len(rep.Outages) != 3 {
			t.Fatalf("servers %d, outages %d: %s", len(rep.Servers), len(rep.Outages), out)
		}
		flexo, mom := rep.Servers[0], rep.Servers[1]
		const month = 30*86400 + 3600
		// 240 s down of 30 days and an hour: 99.99075…%, rounded down.
		if flexo.MeasuredSeconds != month || flexo.DownSeconds != 240 || flexo.DegradedSeconds != 600 ||
			flexo.UptimePercent == nil || *flexo.UptimePercent != 99.9907 || flexo.UptimeText != "99.99%" {
			t.Errorf("flexo: %+v", flexo)
		}
		if mom.DownSeconds != 60 || rep.Outages[0].InRangeSeconds != 60 || rep.Outages[0].DurationSeconds != 120 {
			t.Errorf("mom: %+v; its outage %+v", mom, rep.Outages[0])
		}

		// The customer's report is their server's.
		code, out, errs = run("--from", "2026-11-01", "--to", "2026-11-30", "--customer", "shop.example.com", "--format", "csv")
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if code != 0 || err != nil || len(rows) != 3 || rows[1][1] != "mom" || rows[2][2] != "mom/web" {
			t.Errorf("customer report: %d %q %v %q", code, errs, err, rows)
		}
		// A cause a spreadsheet would run as a formula stays text.
		code, out, _ = run("--from", "2026-11-01", "--to", "2026-11-30", "--format", "csv", "--table", "outages")
		if code != 0 || !strings.Contains(out, `'=HYPERLINK(""x"")`) {
			t.Errorf("outages CSV: %d %s", code, out)
		}
		code, out, _ = run("--from", "2026-11-01", "--to", "2026-11-30", "--format", "html", "--server", "flexo", "--zone", "America/Los_Angeles")
		if code != 0 || !strings.Contains(out, "99.99%") || !strings.Contains(out, "=HYPERLINK(&#34;x&#34;)") {
			t.Errorf("HTML report: %d, lacks the figure or escapes the cause wrongly", code)
		}

		for _, c := range []struct {
			args []string
			code int
			msg  string
		}{
			{[]string{"--to", "2026-11-30"}, 2, "from is required"},
			{[]string{"--from", "2026-11-31", "--to", "2026-12-01"}, 2, "not a date"},
			{[]string{"--from", "2026-11-02", "--to", "2026-11-01"}, 2, "before from"},
			{[]string{"--from", "2026-11-01", "--to", "2026-11-30", "--format", "pdf"}, 2, "csv, json, html"},
			{[]string{"--from", "2026-11-01", "--to", "2026-11-30", "--server", "flexo", "--customer", "example.com"}, 2, "at most one"},
			{[]string{"--from", "2026-11-01", "--to", "2026-11-30", "--server", "bender"}, 1, "server bender not found"},
			{[]string{"--from", "2026-11-01", "--to", "2026-11-30", "--customer", "nobody.example"}, 1, "not in the customer list"},
			{[]string{"--from", "2026-11-01", "--to", "2026-11-30", "--zone", "Mars/Olympus"}, 2, "not a time zone"},
		} {
			code, out, errs := run(c.args...)
			if code != c.code || out != "" || !strings.Contains(errs, c.msg) {
				t.Errorf("report %v: exit %d, stdout %q, stderr %q; want exit %d and %q", c.args, code, out, errs, c.code, c.msg)
			}
		}
	})
}

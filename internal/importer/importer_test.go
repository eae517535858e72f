package importer_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/importer"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// fleet is the configured catalog the fixtures are mapped onto.
func fleet(t *testing.T, st *store.Store) {
	t.Helper()
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	err := st.Tx(context.Background(), func(q *store.Queries) error {
		return q.SyncCatalog(context.Background(), []store.Group{{ID: "flexo", Name: "flexo"}},
			[]store.Component{{ID: "flexo/web", GroupID: "flexo", Name: "Web sites"}, {ID: "flexo/email", GroupID: "flexo", Name: "E-mail", Position: 1}}, now)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func counts(r *importer.Report) map[string][2]int {
	out := map[string][2]int{}
	for _, c := range r.Counts {
		out[c.What] = [2]int{c.Imported, c.Already}
	}
	return out
}

func wantCounts(t *testing.T, r *importer.Report, want map[string][2]int) {
	t.Helper()
	got := counts(r)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %v (new, already), want %v", k, got[k], v)
		}
	}
}

func report(r *importer.Report) string {
	var b bytes.Buffer
	r.Write(&b)
	return b.String()
}

func pdt(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func countRows(t *testing.T, st *store.Store, table string) int {
	t.Helper()
	var n int
	if err := st.DB().QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestStatuspageImport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		fleet(t, b.Store)
		dir := filepath.Join("testdata", "statuspage")

		dry, err := importer.Statuspage(ctx, b.Store, dir, importer.Options{DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, b.Store, "incidents") + countRows(t, b.Store, "subscribers") + countRows(t, b.Store, "maintenances"); n != 0 {
			t.Fatalf("a dry run wrote %d records", n)
		}
		if !strings.Contains(report(dry), "dry run: nothing was written") {
			t.Errorf("the dry run's report does not say so:\n%s", report(dry))
		}

		rep, err := importer.Statuspage(ctx, b.Store, dir, importer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][2]int{"components mapped": {2, 0}, "incidents": {2, 0}, "incident updates": {5, 0}, "postmortems": {1, 0},
			"maintenances": {1, 0}, "maintenance updates": {2, 0}, "subscribers": {5, 0}}
		wantCounts(t, dry, want)
		wantCounts(t, rep, want)
		text := report(rep)
		for _, w := range []string{
			`component "DNS": no configured component named "DNS"; its incidents are imported without it`,
			`incident "Something odd": status "exploded" is not an incident's; not imported`,
			`subscriber s3: mode "sms" (Herald subscribes e-mail addresses and webhooks)`,
			`subscriber s2: follows components that are not mapped; subscribed to the mapped ones`,
			"groups:\n  - id: dns\n    name: \"DNS\"\n    components:\n      - id: dns\n        name: \"DNS\"\n",
		} {
			if !strings.Contains(text, w) {
				t.Errorf("report lacks %q:\n%s", w, text)
			}
		}

		ins, err := b.Store.Incidents(ctx, store.IncidentFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(ins) != 2 {
			t.Fatalf("%d incidents", len(ins))
		}
		var web *status.Incident
		for i := range ins {
			if ins[i].Title == "Web sites on flexo not responding" {
				web = &ins[i]
			}
		}
		if web == nil {
			t.Fatal("the flexo incident is missing")
		}
		if !web.StartedAt.Equal(pdt("2026-03-31T06:22:00-07:00")) || !web.ResolvedAt.Equal(pdt("2026-03-31T06:40:00-07:00")) ||
			!web.MonitoringAt.Equal(pdt("2026-03-31T06:31:00-07:00")) || web.Status != status.Resolved || web.Impact != status.ImpactMajor || web.Draft {
			t.Errorf("incident fields: %+v", web)
		}
		if !strings.Contains(web.Postmortem, "graceful reload") || !web.PostmortemPublishedAt.Equal(pdt("2026-04-02T09:00:00-07:00")) {
			t.Errorf("postmortem %q at %v", web.Postmortem, web.PostmortemPublishedAt)
		}
		if len(web.Components) != 1 || web.Components[0] != (status.AffectedComponent{ComponentID: "flexo/web", Status: status.MajorOutage}) {
			t.Errorf("components %+v", web.Components)
		}
		// Herald lists updates newest first: the order and times of Statuspage's.
		var got []string
		for _, u := range web.Updates {
			got = append(got, string(u.Status)+"@"+u.DisplayAt.Format("15:04"))
		}
		if strings.Join(got, " ") != "resolved@13:40 monitoring@13:31 investigating@13:24" {
			t.Errorf("updates %v", got)
		}
		if last := web.Updates[2]; len(last.Changes) != 1 || last.Changes[0] != (status.ComponentChange{ComponentID: "flexo/web", Old: status.Operational, New: status.MajorOutage}) {
			t.Errorf("first update's changes %+v", last.Changes)
		}

		ms, err := b.Store.Maintenances(ctx, store.MaintenanceFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != 1 {
			t.Fatalf("%d maintenances", len(ms))
		}
		m := ms[0]
		if m.Status != status.Completed || !m.ScheduledFor.Equal(pdt("2026-04-03T23:00:00-07:00")) || !m.ScheduledUntil.Equal(pdt("2026-04-03T23:10:00-07:00")) ||
			!m.CompletedAt.Equal(pdt("2026-04-03T23:06:00-07:00")) || m.Body != "The flexo server will be restarted for about five minutes." ||
			strings.Join(m.Components, ",") != "flexo/web,flexo/email" || len(m.Updates) != 2 {
			t.Errorf("maintenance %+v", m)
		}

		subs, err := b.Store.Subscribers(ctx, store.SubscriberFilter{})
		if err != nil {
			t.Fatal(err)
		}
		state := map[string]string{}
		for _, s := range subs {
			st := "active"
			switch {
			case !s.UnsubscribedAt.IsZero():
				st = "unsubscribed"
			case s.ConfirmedAt.IsZero():
				st = "pending"
			}
			if !s.All {
				st += " " + strings.Join(s.Components, ",")
			}
			state[s.Kind+" "+s.Address] = st
		}
		wantSubs := map[string]string{"email ann@example.org": "active", "email bob@example.org": "active flexo/email",
			"webhook https://hooks.example.org/status": "active", "email gone@example.org": "unsubscribed", "email maybe@example.org": "pending"}
		for k, v := range wantSubs {
			if state[k] != v {
				t.Errorf("subscriber %s: %q, want %q", k, state[k], v)
			}
		}
		if n := countRows(t, b.Store, "notify_events") + countRows(t, b.Store, "deliveries"); n != 0 {
			t.Errorf("the import queued %d notifications", n)
		}
		if n := countRows(t, b.Store, "changes"); n != 3 {
			t.Errorf("%d change log entries, want one per incident and window", n)
		}

		again, err := importer.Statuspage(ctx, b.Store, dir, importer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		wantCounts(t, again, map[string][2]int{"incidents": {0, 2}, "maintenances": {0, 1}, "subscribers": {0, 5}})
		if n := countRows(t, b.Store, "incidents"); n != 2 {
			t.Errorf("a second import left %d incidents", n)
		}
	})
}

func TestStatuspageBadInput(t *testing.T) {
	b := storetest.SQLite(t)
	ctx := context.Background()
	empty := t.TempDir()
	if _, err := importer.Statuspage(ctx, b.Store, empty, importer.Options{}); err == nil || !strings.Contains(err.Error(), "holds none of") {
		t.Errorf("an empty folder: %v", err)
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "incidents.json"), []byte(`{"incidents": [{"id": 3}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := importer.Statuspage(ctx, b.Store, bad, importer.Options{}); err == nil || !strings.Contains(err.Error(), "incidents.json") {
		t.Errorf("a mistyped file: %v", err)
	}
	if err := os.WriteFile(filepath.Join(bad, "incidents.json"), []byte(`{"page": {}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := importer.Statuspage(ctx, b.Store, bad, importer.Options{}); err == nil || !strings.Contains(err.Error(), `no "incidents" list`) {
		t.Errorf("a file without its list: %v", err)
	}
}

func TestUptimeKumaImport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		fleet(t, b.Store)
		path := filepath.Join("testdata", "uptime-kuma-backup.json")
		rep, err := importer.UptimeKuma(ctx, b.Store, path, importer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		wantCounts(t, rep, map[string][2]int{"monitors mapped": {2, 0}, "outages": {2, 0}})
		text := report(rep)
		for _, w := range []string{
			`monitor "E-mail": its history ends while down; the last outage is closed at its last beat`,
			`monitor "Shop": no configured component named "Shop"; see the configuration below`,
			`monitor "Containers": no configured component named "Containers"; its type "docker": Herald has no such monitor`,
			"      - id: shop\n        name: \"Shop\"\n        monitors:\n          - type: http\n            url: \"http://127.0.0.1:8082/shop\"\n            body_contains: \"Add to cart\"\n            interval: 120s\n",
		} {
			if !strings.Contains(text, w) {
				t.Errorf("report lacks %q:\n%s", w, text)
			}
		}
		outs, err := b.Store.Outages(ctx, store.OutageFilter{})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]store.Outage{}
		for _, o := range outs {
			got[o.ComponentID] = o
		}
		web := got["flexo/web"]
		if !web.StartedAt.Equal(time.Date(2026, 11, 23, 17, 48, 0, 250e6, time.UTC)) || !web.EndedAt.Equal(time.Date(2026, 11, 23, 17, 52, 0, 0, time.UTC)) ||
			web.Severity != status.MonitorDown || web.Cause != "connect ECONNREFUSED 127.0.0.1:8081" || web.Decision != store.DecisionIgnored ||
			web.MonitorID != "flexo/web/kuma-2" {
			t.Errorf("flexo/web outage %+v", web)
		}
		mail := got["flexo/email"]
		if !mail.StartedAt.Equal(time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)) || !mail.EndedAt.Equal(time.Date(2026, 11, 25, 8, 0, 30, 0, time.UTC)) {
			t.Errorf("flexo/email outage %+v", mail)
		}
		// The component counts as measured from Kuma's first beat, by a monitor nothing runs.
		mons, err := b.Store.Monitors(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(mons) != 2 || mons[1].ID != "flexo/web/kuma-2" || !mons[1].CreatedAt.Equal(time.Date(2026, 11, 23, 17, 40, 0, 0, time.UTC)) ||
			!mons[1].RemovedAt.Equal(time.Date(2026, 11, 24, 3, 1, 0, 0, time.UTC)) || mons[1].Target != "http://127.0.0.1:8081/" {
			t.Errorf("monitors %+v", mons)
		}
		again, err := importer.UptimeKuma(ctx, b.Store, path, importer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		wantCounts(t, again, map[string][2]int{"outages": {0, 2}})
	})
}

func TestUptimeKumaBadInput(t *testing.T) {
	b := storetest.SQLite(t)
	dir := t.TempDir()
	for name, body := range map[string]string{
		"not JSON":   `nope`,
		"no version": `{"monitorList": []}`,
		"version 0":  `{"version": "0.9", "monitorList": []}`,
		"bad beats":  `{"version": "1.23.0", "monitorList": [], "heartbeatList": {"x": []}}`,
	} {
		path := filepath.Join(dir, "b.json")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := importer.UptimeKuma(context.Background(), b.Store, path, importer.Options{}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

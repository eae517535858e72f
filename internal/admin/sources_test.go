package admin

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/monitor"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

func TestMonitorViews(t *testing.T) {
	at := time.Date(2026, 11, 25, 11, 2, 0, 0, time.UTC)
	got := monitorViews(map[string]monitor.MonitorStatus{
		"flexo/web/http": {Spec: &monitor.Spec{ID: "flexo/web/http", ComponentID: "flexo/web",
			Monitor: &config.Monitor{Type: "http", URL: "http://127.0.0.1:8081/"}},
			State: status.MonitorDown, Since: at, LastCheckAt: at.Add(time.Minute), LastMessage: "timeout", LastLatency: 10 * time.Second},
		"flexo/email/smtp": {Spec: &monitor.Spec{ID: "flexo/email/smtp", ComponentID: "flexo/email",
			Monitor: &config.Monitor{Type: "smtp", Address: "127.0.0.1:2525"}}, State: status.MonitorUp},
	})
	if len(got) != 2 || got[0].ID != "flexo/email/smtp" || got[0].Target != "127.0.0.1:2525" || got[0].State != "up" {
		t.Fatalf("views: %+v", got)
	}
	w := got[1]
	if w.Kind != "http" || w.Target != "http://127.0.0.1:8081/" || w.State != "down" || !w.Since.Equal(at) ||
		!w.LastCheck.Equal(at.Add(time.Minute)) || w.LastMessage != "timeout" || w.LastLatency != 10*time.Second {
		t.Errorf("down monitor: %+v", w)
	}
}

func TestStoreSources(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := t.Context()
		base := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
		if err := b.Store.Tx(ctx, func(q *store.Queries) error {
			return q.SyncCatalog(ctx, []store.Group{{ID: "flexo", Name: "flexo"}},
				[]store.Component{{ID: "flexo/web", GroupID: "flexo", Name: "Web sites"}, {ID: "flexo/email", GroupID: "flexo", Name: "E-mail", Position: 1}}, base)
		}); err != nil {
			t.Fatal(err)
		}
		subs := []*store.Subscriber{
			{Kind: "email", Address: "Ann@Example.org", All: true, ConfirmedAt: base, CreatedAt: base},
			{Kind: "email", Address: "bob@example.org", Components: []string{"flexo/web"}, CreatedAt: base},
			{Kind: "email", Address: "=cmd@example.org", Components: []string{"flexo/web", "flexo/email"}, ConfirmedAt: base, CreatedAt: base},
			{Kind: "email", Address: "gone@example.org", All: true, ConfirmedAt: base, UnsubscribedAt: base, CreatedAt: base},
			{Kind: "webhook", Address: "http://127.0.0.1:9/ops", All: true, Operator: true, ConfirmedAt: base, CreatedAt: base, Secret: "s3cret"},
		}
		for _, s := range subs {
			if err := b.Store.InsertSubscriber(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		src := StoreSubscribers{Store: b.Store}
		counts, err := src.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if counts[""] != 1 || counts["flexo/web"] != 2 || counts["flexo/email"] != 1 || len(counts) != 3 {
			t.Errorf("counts (customers still subscribed): %v", counts)
		}
		found, err := src.Search(ctx, "EXAMPLE", 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(found) != 2 || found[0].Address != "Ann@Example.org" || !found[0].Confirmed || found[0].Components != nil ||
			found[1].Address != "bob@example.org" || found[1].Confirmed || len(found[1].Components) != 1 {
			t.Errorf("search: %+v", found)
		}
		var buf bytes.Buffer
		if err := src.Export(ctx, &buf); err != nil {
			t.Fatal(err)
		}
		csv := buf.String()
		for _, w := range []string{"id,kind,address,components,confirmed,created_at\n", ",email,Ann@Example.org,*,true,2026-11-20T08:00:00Z\n",
			",email,'=cmd@example.org,flexo/email flexo/web,true,"} {
			if !strings.Contains(csv, w) {
				t.Errorf("export lacks %q:\n%s", w, csv)
			}
		}
		for _, no := range []string{"gone@example.org", "s3cret", "127.0.0.1:9/ops"} {
			if strings.Contains(csv, no) {
				t.Errorf("export has %q:\n%s", no, csv)
			}
		}

		for _, o := range []*store.Outage{
			{ComponentID: "flexo/web", MonitorID: "flexo/web/http", Severity: status.MonitorDown, StartedAt: base, EndedAt: base.Add(4 * time.Minute), DetectedAt: base},
			{ComponentID: "flexo/email", MonitorID: "flexo/email/smtp", Severity: status.MonitorDegraded, StartedAt: base.Add(time.Hour), DetectedAt: base.Add(time.Hour)},
			{ComponentID: "flexo/web", MonitorID: "flexo/web/http", Severity: status.MonitorDown, StartedAt: base.Add(-48 * time.Hour), EndedAt: base.Add(-47 * time.Hour), DetectedAt: base},
		} {
			if err := b.Store.InsertOutage(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		outs, err := EngineMonitoring{Store: b.Store}.Outages(ctx, base.Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(outs) != 2 {
			t.Fatalf("outages since: %+v", outs)
		}
		byComp := map[string]OutageView{}
		for _, o := range outs {
			byComp[o.ComponentID] = o
		}
		if w := byComp["flexo/web"]; !w.Down || !w.End.Equal(base.Add(4*time.Minute)) || w.InMaintenance {
			t.Errorf("web outage: %+v", w)
		}
		if e := byComp["flexo/email"]; e.Down || !e.End.IsZero() {
			t.Errorf("email outage: %+v", e)
		}
	})
}

package web_test

import (
	"bytes"
	"context"
	"sort"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
	"github.com/heraldhq/herald/internal/web"
)

// roundTripConfig is the configuration both sites are built with.
const roundTripConfig = `
page: {title: "Example Hosting Status", url: "https://status.example.net", zone: America/Los_Angeles}
groups:
  - id: flexo
    components:
      - id: web
        name: Web sites
        monitors: [{type: http, url: "http://127.0.0.1:8081/"}]
      - id: email
        name: E-mail
  - id: mom
    components: [{id: web, name: Web sites}]
`

// TestExportImportGivesTheSamePages: a store with incidents (a postmortem,
// links, a draft), maintenance (done and to come), outages, check results,
// an override, subscribers, customers, a user and the change log is
// exported, imported into a new database, exported again; the second
// export is byte for byte the first, and every public document (pages,
// /api/v2, feeds, badges) rendered from either store at the same clock is
// byte for byte the same.
func TestExportImportGivesTheSamePages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, src storetest.Backend) {
		ctx := context.Background()
		la, _ := time.LoadLocation("America/Los_Angeles")
		at := func(s string) time.Time {
			v, err := time.ParseInLocation("2006-01-02 15:04", s, la)
			if err != nil {
				t.Fatal(err)
			}
			return v.UTC()
		}
		clock := &fixedClock{t: at("2026-11-25 10:30")}
		cfg, err := config.Parse("test.yaml", []byte(roundTripConfig))
		if err != nil {
			t.Fatal(err)
		}
		svc := service.New(src.Store, clock, nil)
		syncCatalog(t, svc, cfg)
		populate(t, svc, src.Store, clock, at)

		var first bytes.Buffer
		if err := src.Store.Export(ctx, &first, clock.Now(), nil); err != nil {
			t.Fatal(err)
		}
		dst := storetest.SQLite(t)
		if src.URL != "" {
			dst = storetest.Postgres(t)
		}
		res, err := dst.Store.Import(ctx, bytes.NewReader(first.Bytes()), nil)
		if err != nil {
			t.Fatal(err)
		}
		rows := map[string]int64{}
		for _, tc := range res.Tables {
			rows[tc.Name] = tc.Rows
		}
		for _, want := range []string{"incidents", "incident_updates", "incident_links", "maintenances", "outages",
			"check_results", "component_overrides", "subscribers", "subscriber_components", "customers", "users", "changes"} {
			if rows[want] == 0 {
				t.Errorf("no rows of %s imported; the test store should have some (%v)", want, rows)
			}
		}
		if sub, err := dst.Store.SubscriberOnPageFor(ctx, "email", "reader@shop.example", "acme", "mom"); err != nil ||
			sub.Group != "mom" || sub.Customer != "shop.example" {
			t.Errorf("the private page's subscription imported as %+v, %v", sub, err)
		}
		var second bytes.Buffer
		if err := dst.Store.Export(ctx, &second, clock.Now(), nil); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Errorf("the export of the imported store differs:\n%s", firstDiff(first.String(), second.String()))
		}

		svc2 := service.New(dst.Store, clock, nil)
		syncCatalog(t, svc2, cfg)
		a, b := documents(t, svc, cfg), documents(t, svc2, cfg)
		if len(a) < 20 {
			t.Fatalf("only %d documents rendered", len(a))
		}
		paths := make([]string, 0, len(a))
		for p := range a {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			if _, ok := b[p]; !ok {
				t.Errorf("%s is missing from the imported store's site", p)
				continue
			}
			if !bytes.Equal(a[p], b[p]) {
				t.Errorf("%s differs:\n%s", p, firstDiff(string(a[p]), string(b[p])))
			}
		}
		for p := range b {
			if _, ok := a[p]; !ok {
				t.Errorf("%s is only on the imported store's site", p)
			}
		}

		// A second import into the now full database is refused and changes nothing.
		if _, err := dst.Store.Import(ctx, bytes.NewReader(first.Bytes()), nil); err == nil {
			t.Error("a second import into the same database was accepted")
		}
		var third bytes.Buffer
		if err := dst.Store.Export(ctx, &third, clock.Now(), nil); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first.Bytes(), third.Bytes()) {
			t.Errorf("the refused import changed the database:\n%s", firstDiff(first.String(), third.String()))
		}
	})
}

func syncCatalog(t *testing.T, svc *service.Service, cfg config.Config) {
	t.Helper()
	var groups []store.Group
	var comps []store.Component
	for i, g := range cfg.Groups {
		groups = append(groups, store.Group{ID: g.ID, Name: g.Name, Position: i})
		for j, c := range g.Components {
			comps = append(comps, store.Component{ID: g.ID + "/" + c.ID, GroupID: g.ID, Name: c.Name, Position: j})
		}
	}
	if err := svc.SyncCatalog(context.Background(), groups, comps); err != nil {
		t.Fatal(err)
	}
}

// populate writes a little of everything the export carries.
func populate(t *testing.T, svc *service.Service, st *store.Store, clock *fixedClock, at func(string) time.Time) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	in, err := svc.OpenIncident(ctx, "user:ann", service.NewIncident{Title: "Web sites on flexo interrupted",
		Body: "Looking into **it**.", StartedAt: at("2026-11-23 09:48"),
		Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}})
	must(err)
	first := in.ID
	_, err = svc.ResolveIncident(ctx, "user:ann", in.ID, service.Resolution{Body: "Back after four minutes.",
		ResolvedAt: at("2026-11-23 09:52"), Postmortem: "Apache did not respond to a graceful reload.\n\n## What we changed\n\nA *timeout*."})
	must(err)
	in, err = svc.OpenIncident(ctx, "user:ann", service.NewIncident{Title: "Web sites on flexo interrupted again",
		Body: "Again.", StartedAt: at("2026-11-25 09:00"),
		Components: map[string]status.ComponentStatus{"flexo/web": status.PartialOutage, "flexo/email": status.DegradedPerformance}})
	must(err)
	_, err = svc.PostIncidentUpdate(ctx, "user:ann", in.ID, service.IncidentUpdate{Status: status.Identified,
		Body: "Found it: a full disk.", At: at("2026-11-25 09:20")})
	must(err)
	_, err = svc.LinkIncidents(ctx, "user:ann", first, in.ID)
	must(err)
	_, err = svc.OpenIncident(ctx, "user:ann", service.NewIncident{Title: "A draft", Body: "Not yet.",
		StartedAt: at("2026-11-24 08:00"), Draft: true, Components: map[string]status.ComponentStatus{"mom/web": status.MajorOutage}})
	must(err)

	m, err := svc.ScheduleMaintenance(ctx, "user:ann", service.NewMaintenance{Title: "Kernel update", Body: "Restarts.",
		Components: []string{"flexo/web", "flexo/email"}, Start: at("2026-11-26 23:00"), End: at("2026-11-26 23:05")})
	must(err)
	_ = m
	done, err := svc.ScheduleMaintenance(ctx, "user:ann", service.NewMaintenance{Title: "Disk swap on mom", Body: "A new disk.",
		Components: []string{"mom/web"}, Start: at("2026-11-25 10:40"), End: at("2026-11-25 11:40")})
	must(err)
	clock.set(at("2026-11-25 10:45"))
	_, err = svc.AdvanceMaintenance(ctx)
	must(err)
	_, err = svc.CompleteMaintenance(ctx, "user:ann", done.ID, "Done early.")
	must(err)
	clock.set(at("2026-11-25 11:30"))

	must(st.Tx(ctx, func(q *store.Queries) error {
		if err := q.SyncMonitors(ctx, []store.MonitorDef{{ID: "flexo/web/http", ComponentID: "flexo/web", Kind: "http",
			Target: "http://127.0.0.1:8081/"}}, at("2026-11-01 00:00")); err != nil {
			return err
		}
		var results []store.CheckResult
		for i := range 200 {
			lvl := status.LevelUp
			if i%37 == 5 {
				lvl = status.LevelDown
			}
			results = append(results, store.CheckResult{MonitorID: "flexo/web/http", At: at("2026-11-24 10:00").Add(time.Duration(i) * 7 * time.Minute),
				Latency: time.Duration(20+i%13) * time.Millisecond, Level: lvl, Message: "ok"})
		}
		if err := q.SaveChecks(ctx, results, nil, at("2026-11-25 10:00")); err != nil {
			return err
		}
		for _, o := range []store.Outage{
			{ComponentID: "flexo/web", MonitorID: "flexo/web/http", Severity: status.MonitorDown, StartedAt: at("2026-11-23 09:48"),
				EndedAt: at("2026-11-23 09:52"), Cause: "connection refused", IncidentID: first, Decision: store.DecisionIncident, DetectedAt: at("2026-11-23 09:49")},
			{ComponentID: "flexo/web", MonitorID: "flexo/web/http", Severity: status.MonitorDegraded, StartedAt: at("2026-10-02 03:00"),
				EndedAt: at("2026-10-02 03:40"), Cause: "slow", Decision: store.DecisionIgnored, DetectedAt: at("2026-10-02 03:01")},
		} {
			if err := q.InsertOutage(ctx, &o); err != nil {
				return err
			}
		}
		if err := q.UpsertCustomers(ctx, []store.Customer{{Domain: "example.org", GroupID: "flexo", UpdatedAt: at("2026-11-01 00:00")}}); err != nil {
			return err
		}
		if err := q.InsertUser(ctx, &store.User{Name: "ann", Role: "admin", PasswordHash: "not-exported", CreatedAt: at("2026-11-01 00:00"),
			UpdatedAt: at("2026-11-01 00:00")}); err != nil {
			return err
		}
		sub := &store.Subscriber{Kind: "email", Address: "reader@example.org", Components: []string{"flexo/web"},
			ConfirmedAt: at("2026-11-02 00:00"), CreatedAt: at("2026-11-01 00:00"), UpdatedAt: at("2026-11-02 00:00")}
		if err := q.InsertSubscriber(ctx, sub); err != nil {
			return err
		}
		// A customer's subscription on a private page, limited to their
		// server and bound to their sign-in's domain.
		if err := q.InsertSubscriber(ctx, &store.Subscriber{Kind: "email", Address: "reader@shop.example", Components: []string{"mom/web"},
			Page: "acme", Group: "mom", Customer: "shop.example", ConfirmedAt: at("2026-11-02 00:00"), CreatedAt: at("2026-11-01 00:00"),
			UpdatedAt: at("2026-11-02 00:00")}); err != nil {
			return err
		}
		return q.InsertSubscriber(ctx, &store.Subscriber{Kind: "webhook", Address: "http://127.0.0.1:9/hook", Operator: true, All: true,
			Secret: "operator secret", ConfirmedAt: at("2026-11-02 00:00"), CreatedAt: at("2026-11-01 00:00"), UpdatedAt: at("2026-11-02 00:00")})
	}))
	_, err = svc.SetOverride(ctx, "user:ann", "mom/web", status.DegradedPerformance, "slow disks")
	must(err)
}

// documents renders every public document of a site over svc.
func documents(t *testing.T, svc *service.Service, cfg config.Config) map[string][]byte {
	t.Helper()
	site := web.NewSite(svc, func() config.Config { return cfg }, nil)
	if err := site.Rebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	return site.Documents()
}

// firstDiff shows where two texts part.
func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-120)
	return "  want …" + a[from:min(len(a), i+120)] + "\n  got  …" + b[from:min(len(b), i+120)]
}

package web_test

import (
	"context"
	"fmt"
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

// BenchmarkWriteOnSeveralPages is the rebuild after one incident update on
// a fleet of 50 servers with 4 monitored services each (a week-old outage
// apiece), shown by page: and by five entries of pages: (four host pages of
// ten servers each and a path page of all fifty), while one incident is
// open: the rebuild each write waits for before it answers.
func BenchmarkWriteOnSeveralPages(b *testing.B) {
	ctx := context.Background()
	clock := &fixedClock{t: time.Date(2026, 11, 25, 18, 30, 0, 0, time.UTC)}
	st := storetest.SQLite(b).Store
	svc := service.New(st, clock, nil)
	const servers, services = 50, 4
	var groups []store.Group
	var comps []store.Component
	var defs []store.MonitorDef
	var yaml strings.Builder
	yaml.WriteString("page: {title: Example Hosting Status, url: \"https://status.example.net\", zone: UTC}\npages:\n")
	for p := range 4 {
		fmt.Fprintf(&yaml, "  - {id: r%d, title: Reseller %d, host: status.r%d.example, groups: [", p, p, p)
		for g := p * 10; g < p*10+10; g++ {
			if g > p*10 {
				yaml.WriteString(", ")
			}
			fmt.Fprintf(&yaml, "s%d", g)
		}
		yaml.WriteString("]}\n")
	}
	yaml.WriteString("  - {id: all, title: Everything, path: /all, groups: [")
	for g := range servers {
		if g > 0 {
			yaml.WriteString(", ")
		}
		fmt.Fprintf(&yaml, "s%d", g)
	}
	yaml.WriteString("]}\ngroups:\n")
	for g := range servers {
		id := fmt.Sprintf("s%d", g)
		groups = append(groups, store.Group{ID: id, Name: id, Position: g})
		fmt.Fprintf(&yaml, "  - id: %s\n    components:\n", id)
		for c := range services {
			cid := fmt.Sprintf("%s/c%d", id, c)
			comps = append(comps, store.Component{ID: cid, GroupID: id, Name: fmt.Sprintf("Service %d", c), Position: c})
			defs = append(defs, store.MonitorDef{ID: cid + "/http", ComponentID: cid, Kind: "http", Target: "http://127.0.0.1:1/"})
			fmt.Fprintf(&yaml, "      - {id: c%d, name: Service %d}\n", c, c)
		}
	}
	cfg, err := config.Parse("bench.yaml", []byte(yaml.String()))
	if err != nil {
		b.Fatal(err)
	}
	if err := svc.SyncCatalog(ctx, groups, comps); err != nil {
		b.Fatal(err)
	}
	if err := st.SyncMonitors(ctx, defs, clock.Now().AddDate(0, 0, -30)); err != nil {
		b.Fatal(err)
	}
	for i, c := range comps {
		at := clock.Now().AddDate(0, 0, -7).Add(time.Duration(i) * time.Minute)
		o := store.Outage{ComponentID: c.ID, MonitorID: c.ID + "/http", Severity: status.MonitorDown,
			StartedAt: at, EndedAt: at.Add(3 * time.Minute), Decision: "ignored", DetectedAt: at}
		if err := st.InsertOutage(ctx, &o); err != nil {
			b.Fatal(err)
		}
	}
	in, err := svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Web sites on s3 unreachable", Body: "Looking.",
		Components: map[string]status.ComponentStatus{"s3/c0": status.MajorOutage}})
	if err != nil {
		b.Fatal(err)
	}
	site := web.NewSite(svc, func() config.Config { return cfg }, nil)
	if err := site.Rebuild(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		if _, err := svc.PostIncidentUpdate(ctx, "test", in.ID, service.IncidentUpdate{Status: status.Identified,
			Body: fmt.Sprintf("Step %d.", i)}); err != nil {
			b.Fatal(err)
		}
		if err := site.RebuildChanged(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

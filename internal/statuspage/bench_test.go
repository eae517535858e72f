package statuspage_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/statuspage"
	"github.com/heraldhq/herald/internal/store"
)

// fleet is bench/scale's page: 250 servers of four services each, the 50
// newest incidents (one open) and windows of a long history, one window in
// eight covering every component, and two windows ahead.
func fleet(b testing.TB) statuspage.Input {
	b.Helper()
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		b.Skipf("no zone data: %v", err)
	}
	created := now.AddDate(-10, 0, 0)
	snap := &service.Snapshot{}
	comps := map[string]store.Component{}
	var ids []string
	for s := range 250 {
		g := store.Group{ID: fmt.Sprintf("s%03d", s), Name: fmt.Sprintf("server%03d", s), Position: s + 1, CreatedAt: created, UpdatedAt: created}
		snap.Groups = append(snap.Groups, g)
		for i, svc := range []string{"web", "email", "ftp", "dns"} {
			c := store.Component{ID: g.ID + "/" + svc, GroupID: g.ID, Name: g.Name + " " + svc, Position: i + 1, CreatedAt: created, UpdatedAt: now.Add(-time.Duration(s) * time.Hour)}
			comps[c.ID] = c
			ids = append(ids, c.ID)
			snap.Components = append(snap.Components, service.ComponentState{Component: c, Status: status.Operational})
		}
	}
	var incidents []status.Incident
	for i := range 50 {
		at := now.Add(-time.Duration(i*29) * time.Hour)
		inc := status.Incident{ID: int64(3000 - i), Title: fmt.Sprintf("Mail delayed on server%03d", i), Impact: status.ImpactMinor,
			Status: status.Resolved, StartedAt: at, PublishedAt: at, CreatedAt: at, UpdatedAt: at.Add(time.Hour), ResolvedAt: at.Add(time.Hour),
			Components: []status.AffectedComponent{{ComponentID: ids[i*4], Status: status.MajorOutage}}}
		for u, st := range []status.IncidentStatus{status.Investigating, status.Identified, status.Resolved} {
			inc.Updates = append(inc.Updates, status.IncidentUpdate{ID: inc.ID*10 + int64(u), IncidentID: inc.ID, Status: st,
				Body: "We are looking into delays in delivering incoming mail.", CreatedAt: at.Add(time.Duration(u) * 20 * time.Minute)})
		}
		if i == 0 {
			inc.Status, inc.ResolvedAt = status.Identified, time.Time{}
			inc.Updates = inc.Updates[:2]
			snap.Open = append(snap.Open, inc)
		}
		incidents = append(incidents, inc)
	}
	var windows []status.Maintenance
	for i := range 52 {
		at := now.AddDate(0, 0, 17-15*i)
		m := status.Maintenance{ID: int64(300 - i), Title: "Kernel update", Status: status.Completed, ScheduledFor: at, ScheduledUntil: at.Add(4 * time.Hour),
			CreatedAt: at.AddDate(0, 0, -7), UpdatedAt: at.Add(time.Hour), StartedAt: at, CompletedAt: at.Add(time.Hour),
			Components: []string{ids[(i*4)%len(ids)]}}
		if i%8 == 0 {
			m.Components = ids
		}
		if i < 2 {
			m.Status, m.StartedAt, m.CompletedAt = status.Scheduled, time.Time{}, time.Time{}
			snap.Upcoming = append(snap.Upcoming, m)
		}
		for u, st := range []status.MaintenanceStatus{status.Scheduled, status.InProgress, status.Completed} {
			if m.Status == status.Scheduled && u > 0 {
				break
			}
			m.Updates = append(m.Updates, status.MaintenanceUpdate{ID: m.ID*10 + int64(u), Status: st,
				Body: "The scheduled maintenance is now in progress.", CreatedAt: at.Add(time.Duration(u) * time.Hour)})
		}
		windows = append(windows, m)
	}
	return statuspage.Input{Page: config.Page{Title: "Example Hosting status", URL: "https://status.example.com"}, Location: loc,
		UpdatedAt: now, Snapshot: snap, Incidents: incidents, Maintenances: windows, Components: comps}
}

// BenchmarkBuild renders every document of bench/scale's page, as each
// write at that size does (go test -bench Build -benchmem ./internal/statuspage).
func BenchmarkBuild(b *testing.B) {
	in := fleet(b)
	b.ReportAllocs()
	var size int
	for b.Loop() {
		docs, err := statuspage.Build(in)
		if err != nil {
			b.Fatal(err)
		}
		size = 0
		for _, d := range docs {
			size += len(d)
		}
	}
	b.ReportMetric(float64(size), "bytes/build")
}

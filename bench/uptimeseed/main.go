// Command uptimeseed serves the public pages over a seeded, deterministic
// monitoring history, for looking at the uptime bars and component pages:
// the seed fleet (flexo, mom, elzar, zapp × Web sites, E-mail) watched for
// 80 days of the bars' 90, with outages, degraded spells, a maintenance
// window and a week of response times.
//
//	go run ./bench/uptimeseed --listen 127.0.0.1:8089
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/web"
)

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

func main() {
	listen := flag.String("listen", "127.0.0.1:8089", "loopback address to serve on")
	dark := flag.Bool("exclude-maintenance", false, "leave maintenance downtime out of uptime")
	flag.Parse()
	if err := run(*listen, *dark); err != nil {
		fmt.Fprintln(os.Stderr, "uptimeseed:", err)
		os.Exit(1)
	}
}

func run(listen string, exclude bool) error {
	ctx := context.Background()
	host, _, err := net.SplitHostPort(listen)
	if err != nil || (host != "127.0.0.1" && host != "::1") {
		return fmt.Errorf("--listen must be a loopback address like 127.0.0.1:8089")
	}
	dir, err := os.MkdirTemp("", "uptimeseed")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(ctx, store.DSN{DataDir: dir})
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	yaml := "page: {title: \"Example Hosting Status\", zone: America/Los_Angeles}\n"
	if exclude {
		yaml += "maintenance: {exclude_from_uptime: true}\n"
	}
	cfg, err := config.Parse("uptimeseed.yaml", []byte(yaml+"groups:\n  - id: flexo\n    components: [{id: web, name: Web sites}]\n"))
	if err != nil {
		return err
	}
	loc := cfg.Location()
	now := time.Now().UTC().Truncate(time.Minute)
	c := &clock{t: now.AddDate(0, 0, -80)}
	svc := service.New(st, c, nil)
	servers := []string{"flexo", "mom", "elzar", "zapp"}
	var groups []store.Group
	var comps []store.Component
	var defs []store.MonitorDef
	for i, g := range servers {
		groups = append(groups, store.Group{ID: g, Name: g, Position: i})
		comps = append(comps,
			store.Component{ID: g + "/web", GroupID: g, Name: "Web sites", Position: 0},
			store.Component{ID: g + "/email", GroupID: g, Name: "E-mail", Position: 1})
		defs = append(defs,
			store.MonitorDef{ID: g + "/web/http", ComponentID: g + "/web", Kind: "http", Target: "http://127.0.0.1:1/"},
			store.MonitorDef{ID: g + "/email/smtp", ComponentID: g + "/email", Kind: "smtp", Target: "127.0.0.1:2"})
	}
	if err := svc.SyncCatalog(ctx, groups, comps); err != nil {
		return err
	}
	if err := st.SyncMonitors(ctx, defs, c.t); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(7, 11))
	var outages []store.Outage
	add := func(comp, mon string, sev status.MonitorState, start time.Time, d time.Duration, maint int64) {
		outages = append(outages, store.Outage{ComponentID: comp, MonitorID: mon, Severity: sev, StartedAt: start,
			EndedAt: start.Add(d), DetectedAt: start, Cause: "seeded", MaintenanceID: maint})
	}
	for _, d := range defs {
		for range 3 + rng.IntN(4) {
			start := now.Add(-time.Duration(rng.Int64N(int64(78 * 24 * time.Hour))))
			sev := status.MonitorDown
			if rng.IntN(3) == 0 {
				sev = status.MonitorDegraded
			}
			add(d.ComponentID, d.ID, sev, start, time.Duration(60+rng.IntN(1500))*time.Second, 0)
		}
	}
	// flexo's web hangs this morning for four minutes, with an incident.
	day := time.Date(now.In(loc).Year(), now.In(loc).Month(), now.In(loc).Day(), 0, 0, 0, 0, loc)
	hang := day.Add(-24*time.Hour + 9*time.Hour + 48*time.Minute)
	c.t = hang.Add(5 * time.Minute)
	in, err := svc.OpenIncident(ctx, "seed", service.NewIncident{Title: "Web sites on flexo interrupted", Body: "Looking.",
		StartedAt: hang, Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}})
	if err != nil {
		return err
	}
	if _, err := svc.ResolveIncident(ctx, "seed", in.ID, service.Resolution{Body: "Customers on the flexo server experienced a four-minute interruption.",
		ResolvedAt: hang.Add(4 * time.Minute)}); err != nil {
		return err
	}
	add("flexo/web", "flexo/web/http", status.MonitorDown, hang, 4*time.Minute, 0)
	outages[len(outages)-1].IncidentID = in.ID
	// A maintenance restart three days ago on every server.
	mstart := day.AddDate(0, 0, -3).Add(23 * time.Hour)
	c.t = mstart.Add(-time.Hour)
	m, err := svc.ScheduleMaintenance(ctx, "seed", service.NewMaintenance{Title: "Kernel update and restart", Body: "About five minutes.",
		Components: []string{"flexo/web", "flexo/email", "mom/web", "mom/email"}, Start: mstart, End: mstart.Add(10 * time.Minute)})
	if err != nil {
		return err
	}
	for i, comp := range []string{"flexo/web", "flexo/email", "mom/web", "mom/email"} {
		add(comp, comp+"/"+map[bool]string{true: "http", false: "smtp"}[i%2 == 0], status.MonitorDown, mstart.Add(time.Minute), 190*time.Second, m.ID)
	}
	// mom's e-mail is slow right now.
	outages = append(outages, store.Outage{ComponentID: "mom/email", MonitorID: "mom/email/smtp", Severity: status.MonitorDegraded,
		StartedAt: now.Add(-25 * time.Minute), DetectedAt: now.Add(-25 * time.Minute), Cause: "seeded"})
	c.t = mstart.Add(12 * time.Minute) // the maintenance clock starts and completes it
	if _, err := svc.AdvanceMaintenance(ctx); err != nil {
		return err
	}
	for i := range outages {
		if err := st.InsertOutage(ctx, &outages[i]); err != nil {
			return err
		}
	}
	// A week of response times, a check a minute.
	var results []store.CheckResult
	for _, d := range defs {
		base := 80 + rng.IntN(80)
		for t := now.Add(-7 * 24 * time.Hour); t.Before(now); t = t.Add(time.Minute) {
			h := t.In(loc).Hour()
			ms := base + rng.IntN(30)
			if h >= 9 && h < 18 {
				ms += 40 // busier in the day
			}
			r := store.CheckResult{MonitorID: d.ID, At: t, Latency: time.Duration(ms) * time.Millisecond}
			for _, o := range outages {
				if o.MonitorID == d.ID && !t.Before(o.StartedAt) && (o.EndedAt.IsZero() || t.Before(o.EndedAt)) {
					if o.Severity == status.MonitorDown {
						r.Level, r.Latency = status.LevelDown, 0
					} else {
						r.Level, r.Latency = status.LevelDegraded, 2*time.Second+time.Duration(rng.IntN(800))*time.Millisecond
					}
				}
			}
			results = append(results, r)
		}
	}
	mons, err := st.Monitors(ctx)
	if err != nil {
		return err
	}
	for i := range mons {
		mons[i].Detector.State, mons[i].LastCheckAt, mons[i].LastLevel, mons[i].LastLatency = status.MonitorUp, now.Add(-time.Minute), status.LevelUp, 120*time.Millisecond
	}
	if err := st.SaveChecks(ctx, results, mons, now); err != nil {
		return err
	}
	c.t = now
	site := web.NewSite(svc, func() config.Config { return cfg }, slog.Default())
	// The first rebuild reads a week of response times per monitor; the next
	// ones, within the minute, reuse them, as a burst of changes does.
	began := time.Now()
	if err := site.Rebuild(ctx); err != nil {
		return err
	}
	first := time.Since(began)
	began = time.Now()
	const rebuilds = 5
	for range rebuilds {
		if err := site.Rebuild(ctx); err != nil {
			return err
		}
	}
	fmt.Printf("%d checks stored; rebuilding every page took %v reading response times, %v reusing them\n",
		len(results), first.Round(time.Millisecond), (time.Since(began) / rebuilds).Round(time.Millisecond))
	mux := http.NewServeMux()
	site.Register(mux)
	fmt.Printf("serving http://%s/ (flexo's web page: http://%s/components/flexo/web)\n", listen, listen)
	srv := &http.Server{Addr: listen, Handler: site.Handler(mux), ReadHeaderTimeout: 10 * time.Second}
	return srv.ListenAndServe()
}

// Command pageseed fills a Herald data folder with a realistic, deterministic
// history for benchmarks: a year (by default) of incidents and maintenance on
// the configured fleet, one incident open now and a couple of windows ahead.
//
//	go run ./bench/pageseed --data DIR --config examples/hosting.yaml --days 365
//
// Every record is entered through the service with a clock stopped at the
// moment it happened, so creation, update and audit times are honest. The same
// flags, seed and day give the same history (times are relative to now,
// rounded down to the hour).
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/heraldhq/herald/bench/internal/benchkit"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

const actor = "pageseed"

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

func main() {
	var (
		dataDir = flag.String("data", "", "data folder for the SQLite database (created if missing); required")
		cfgPath = flag.String("config", "examples/hosting.yaml", "configuration file (YAML)")
		days    = flag.Int("days", 365, "days of history to enter")
		seed    = flag.Uint64("seed", 42, "random seed")
	)
	flag.Parse()
	if *dataDir == "" || *days < 1 {
		fmt.Fprintln(os.Stderr, "usage: pageseed --data DIR [--config FILE] [--days N] [--seed N]")
		os.Exit(2)
	}
	if err := run(context.Background(), *dataDir, *cfgPath, *days, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "pageseed:", err)
		os.Exit(1)
	}
}

// action is one thing an operator did, at a moment in time.
type action struct {
	at  time.Time
	seq int // keeps an incident's own steps in order when times tie
	do  func(ctx context.Context, svc *service.Service) error
	// kind counts the action in the totals.
	kind string
}

func run(ctx context.Context, dataDir, cfgPath string, days int, seed uint64) error {
	began := time.Now()
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}
	st, err := store.Open(ctx, store.DSN{DataDir: dataDir})
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Hour)
	from := now.AddDate(0, 0, -days)

	groups, comps := catalogOf(cfg)
	if err := service.New(st, fixedClock{from.Add(-24 * time.Hour)}, nil).SyncCatalog(ctx, groups, comps); err != nil {
		return fmt.Errorf("store the configured components: %w", err)
	}
	var ids []string
	for _, c := range comps {
		ids = append(ids, c.ID)
	}
	if len(ids) == 0 {
		return fmt.Errorf("%s configures no components", cfgPath)
	}
	fmt.Printf("pageseed: %d components, %d days of history ending %s, seed %d, into %s\n",
		len(ids), days, now.Format(time.RFC3339), seed, dataDir)

	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), loc: cfg.Location(), comps: ids, groups: groupsOf(comps)}
	g.history(from, now)
	g.present(now)

	sort.SliceStable(g.plan, func(i, j int) bool {
		if !g.plan[i].at.Equal(g.plan[j].at) {
			return g.plan[i].at.Before(g.plan[j].at)
		}
		return g.plan[i].seq < g.plan[j].seq
	})
	counts := map[string]int{}
	for i, a := range g.plan {
		svc := service.New(st, fixedClock{a.at}, nil)
		if err := svc.ReloadCatalog(ctx); err != nil {
			return err
		}
		if err := a.do(ctx, svc); err != nil {
			return fmt.Errorf("%s at %s: %w", a.kind, a.at.Format(time.RFC3339), err)
		}
		counts[a.kind]++
		if (i+1)%250 == 0 {
			fmt.Printf("pageseed: %d/%d actions (up to %s)\n", i+1, len(g.plan), a.at.Format("2006-01-02"))
		}
	}
	var keys []string
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, counts[k]))
	}
	fmt.Printf("pageseed: done in %s: incidents=%d (open now: 1) maintenance=%d (future: %d) postmortems=%d links=%d; actions: %s\n",
		time.Since(began).Round(time.Millisecond), g.incidents, g.windows, g.future, g.postmortems, g.links, strings.Join(parts, " "))
	return nil
}

// catalogOf mirrors internal/cli's: groups and components in page order.
func catalogOf(cfg config.Config) ([]store.Group, []store.Component) {
	var (
		groups []store.Group
		comps  []store.Component
	)
	for gi, g := range cfg.Groups {
		groups = append(groups, store.Group{ID: g.ID, Name: g.Name, Description: g.Description, Position: gi})
		for ci, c := range g.Components {
			comps = append(comps, store.Component{ID: g.ID + "/" + c.ID, GroupID: g.ID, Name: c.Name,
				Description: c.Description, Position: ci})
		}
	}
	return groups, comps
}

func groupsOf(comps []store.Component) map[string][]string {
	m := map[string][]string{}
	for _, c := range comps {
		m[c.GroupID] = append(m[c.GroupID], c.ID)
	}
	return m
}

type gen struct {
	r      *rand.Rand
	loc    *time.Location
	comps  []string
	groups map[string][]string
	plan   []action
	seq    int

	incidents, windows, future, postmortems, links int
	// recent incidents by title, for linking recurrences.
	byTitle map[string][]past
}

// past is an incident planned earlier: its id once opened, and its start.
type past struct {
	id    *int64
	start time.Time
}

func (g *gen) add(at time.Time, kind string, do func(ctx context.Context, svc *service.Service) error) {
	g.seq++
	g.plan = append(g.plan, action{at: at.UTC().Truncate(time.Second), seq: g.seq, do: do, kind: kind})
}

func (g *gen) pick(s []string) string { return s[g.r.IntN(len(s))] }

// minutes returns a duration between lo and hi minutes.
func (g *gen) minutes(lo, hi int) time.Duration {
	return time.Duration(lo+g.r.IntN(hi-lo+1)) * time.Minute
}

// history plans incidents (2-4 a week) and maintenance (about 2 a month) in [from, now).
func (g *gen) history(from, now time.Time) {
	g.byTitle = map[string][]past{}
	for week := from; week.Before(now); week = week.AddDate(0, 0, 7) {
		starts := make([]time.Time, 2+g.r.IntN(3))
		for i := range starts {
			starts[i] = week.Add(time.Duration(g.r.Int64N(int64(7 * 24 * time.Hour))))
		}
		// In order, so a recurrence links to the time before it.
		sort.Slice(starts, func(i, j int) bool { return starts[i].Before(starts[j]) })
		for _, start := range starts {
			if start.After(now.Add(-12 * time.Hour)) {
				continue // leave the last hours to the incident open now
			}
			g.incident(start, now)
		}
	}
	for month := from; month.Before(now); month = month.AddDate(0, 0, 15) {
		start := month.Add(time.Duration(g.r.Int64N(int64(14 * 24 * time.Hour))))
		// Maintenance happens at night, page time.
		local := start.In(g.loc)
		start = time.Date(local.Year(), local.Month(), local.Day(), 22+g.r.IntN(4), 15*g.r.IntN(4), 0, 0, g.loc).UTC()
		if start.Add(4 * time.Hour).After(now) {
			continue
		}
		g.maintenance(start, now, false)
	}
}

// present plans the incident open now and a couple of windows ahead.
func (g *gen) present(now time.Time) {
	started := now.Add(-35 * time.Minute)
	var id int64
	g.incidents++
	g.add(now.Add(-32*time.Minute), "incident.open", func(ctx context.Context, svc *service.Service) error {
		in, err := svc.OpenIncident(ctx, actor, service.NewIncident{
			Title: "Incoming mail delayed on mom", Impact: status.ImpactMinor, StartedAt: started,
			Components: map[string]status.ComponentStatus{"mom/email": status.DegradedPerformance},
			Body:       "Incoming mail for customers on the mom server is arriving a few minutes late. No e-mail will be lost; we are looking into the cause.",
		})
		if in != nil {
			id = in.ID
		}
		return err
	})
	g.add(now.Add(-12*time.Minute), "incident.update", func(ctx context.Context, svc *service.Service) error {
		_, err := svc.PostIncidentUpdate(ctx, actor, id, service.IncidentUpdate{Status: status.Identified,
			Body: "A spam run aimed at a few mailboxes on mom has filled the incoming queue. We are filtering it; queued mail is being delivered in order."})
		return err
	})
	for _, ahead := range []int{3, 17} {
		day := now.In(g.loc).AddDate(0, 0, ahead)
		start := time.Date(day.Year(), day.Month(), day.Day(), 23, 0, 0, 0, g.loc).UTC()
		g.maintenance(start, now, true)
	}
}

var (
	causes = []string{
		"an apparent bug in the Linux kernel's network driver",
		"a full disk on the log partition",
		"a failing power supply in one of our switches",
		"a configuration change that was not tested on every server",
		"an unusually large flood of spam aimed at a few mailboxes",
		"a distributed denial of service attack using several thousand addresses",
	}
)

// incident plans one incident starting at start, with 1-4 updates.
func (g *gen) incident(start, now time.Time) {
	g.incidents++
	// Affected components: usually one, sometimes a whole server, rarely the network.
	affected := map[string]status.ComponentStatus{}
	var title, what string
	severity := []status.ComponentStatus{status.DegradedPerformance, status.DegradedPerformance, status.PartialOutage, status.PartialOutage, status.MajorOutage}
	switch x := g.r.IntN(20); {
	case x == 0: // network-wide
		title, what = g.pick(benchkit.NetworkTitles), "our network"
		worst := severity[2+g.r.IntN(3)]
		for _, c := range g.comps {
			if g.r.IntN(3) > 0 {
				affected[c] = worst
			}
		}
		if len(affected) == 0 {
			affected[g.comps[0]] = worst
		}
	case x < 4: // a whole server
		server := strings.Split(g.pick(g.comps), "/")[0]
		title, what = fmt.Sprintf("%s server unreachable", server), "the "+server+" server"
		for _, c := range g.groups[server] {
			affected[c] = status.MajorOutage
		}
	default:
		c := g.pick(g.comps)
		server := strings.Split(c, "/")[0]
		if strings.HasSuffix(c, "/email") {
			title, what = fmt.Sprintf(g.pick(benchkit.MailTitles), server), "e-mail on "+server
		} else {
			title, what = fmt.Sprintf(g.pick(benchkit.WebTitles), server), "Web sites on "+server
		}
		affected[c] = severity[g.r.IntN(len(severity))]
	}

	// Durations: mostly minutes, sometimes hours.
	var length time.Duration
	switch x := g.r.IntN(10); {
	case x < 5:
		length = g.minutes(4, 30)
	case x < 8:
		length = g.minutes(30, 120)
	default:
		length = g.minutes(120, 480)
	}
	if end := start.Add(length); end.After(now.Add(-time.Hour)) {
		length = now.Add(-time.Hour).Sub(start)
	}
	noticed := start.Add(g.minutes(1, 6))
	if noticed.After(start.Add(length)) {
		noticed = start.Add(length)
	}
	end := start.Add(length)
	posted := end.Add(g.minutes(1, 10)) // the resolution is written a little after the fact

	// Middle updates: 0-2 of identified / monitoring, between noticed and end.
	steps := []status.IncidentStatus{}
	switch g.r.IntN(4) {
	case 1:
		steps = []status.IncidentStatus{status.Identified}
	case 2:
		steps = []status.IncidentStatus{status.Monitoring}
	case 3:
		steps = []status.IncidentStatus{status.Identified, status.Monitoring}
	}

	var id int64
	recurOf := g.byTitle[title]
	g.byTitle[title] = append(g.byTitle[title], past{&id, start})
	impact := status.Impact("")
	if g.r.IntN(8) == 0 {
		impact = status.ImpactCritical
	}
	body := fmt.Sprintf(g.pick(benchkit.Investigating), what)
	g.add(noticed, "incident.open", func(ctx context.Context, svc *service.Service) error {
		in, err := svc.OpenIncident(ctx, actor, service.NewIncident{Title: title, Impact: impact, StartedAt: start,
			Components: affected, Body: body})
		if in != nil {
			id = in.ID
		}
		return err
	})
	span := end.Sub(noticed)
	for i, stp := range steps {
		at := noticed.Add(span * time.Duration(i+1) / time.Duration(len(steps)+1))
		stp := stp
		var comps map[string]status.ComponentStatus
		text := g.pick(benchkit.Identified)
		if stp == status.Monitoring {
			text = g.pick(benchkit.Recovering)
			// Recovering: outages ease to degraded performance.
			comps = map[string]status.ComponentStatus{}
			for c := range affected {
				comps[c] = status.DegradedPerformance
			}
		}
		g.add(at, "incident.update", func(ctx context.Context, svc *service.Service) error {
			_, err := svc.PostIncidentUpdate(ctx, actor, id, service.IncidentUpdate{Status: stp, Body: text, Components: comps, At: at})
			return err
		})
	}
	res := g.pick(benchkit.Resolved)
	if strings.Contains(res, "%s") {
		res = fmt.Sprintf(res, humanDuration(length))
	}
	var pm string
	if length > 45*time.Minute && g.r.IntN(3) == 0 || len(recurOf) > 0 && g.r.IntN(2) == 0 {
		pm = g.postmortem(title, what, start, length)
		g.postmortems++
	}
	g.add(posted, "incident.resolve", func(ctx context.Context, svc *service.Service) error {
		_, err := svc.ResolveIncident(ctx, actor, id, service.Resolution{Body: res, ResolvedAt: end, Postmortem: pm})
		return err
	})
	// A recurrence within the history is linked to the previous time, often.
	if len(recurOf) > 0 && start.Sub(recurOf[len(recurOf)-1].start) < 21*24*time.Hour && g.r.IntN(3) > 0 {
		prev := recurOf[len(recurOf)-1].id
		g.links++
		g.add(posted.Add(g.minutes(2, 30)), "incident.link", func(ctx context.Context, svc *service.Service) error {
			_, err := svc.LinkIncidents(ctx, actor, id, *prev)
			return err
		})
	}
}

func humanDuration(d time.Duration) string {
	if d < time.Hour {
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	}
	h, m := int(d.Hours()), int(d.Minutes())%60
	if m == 0 {
		return fmt.Sprintf("%d hours", h)
	}
	return fmt.Sprintf("about %d hours and %d minutes", h, m)
}

// postmortem writes a few paragraphs of Markdown.
func (g *gen) postmortem(title, what string, start time.Time, length time.Duration) string {
	cause := g.pick(causes)
	local := start.In(g.loc)
	return fmt.Sprintf(`## What happened

On %s at %s, %s became unavailable or slow for **%s**. The cause was %s.

## Timeline

- %s: our monitoring alerted the on-call engineer.
- %s: the cause was identified and a fix was started.
- %s: service was fully restored.

## What we are changing

We take reliability seriously, and we are sorry for the trouble this caused. To keep "%s" from happening again we are:

1. adding an alert that fires *before* the problem affects customers;
2. documenting the fix in our runbook, so any engineer can apply it in minutes;
3. reviewing the other servers for the same condition.

If you have questions about this incident, please contact support and mention `+"`incident-%s`"+`.
`,
		local.Format("Monday, January 2"), local.Format("3:04 PM"), what, humanDuration(length), cause,
		local.Add(3*time.Minute).Format("3:04 PM"), local.Add(length/2).Format("3:04 PM"), local.Add(length).Format("3:04 PM"),
		title, local.Format("20060102"))
}

// maintenance plans one window starting at start; a future one is only scheduled.
func (g *gen) maintenance(start, now time.Time, future bool) {
	g.windows++
	if future {
		g.future++
	}
	var comps []string
	var who string
	if g.r.IntN(4) == 0 {
		comps, who = g.comps, "all servers"
	} else {
		server := strings.Split(g.pick(g.comps), "/")[0]
		comps, who = g.groups[server], server+" server"
		if g.r.IntN(2) == 0 {
			comps, who = []string{g.pick(g.groups[server])}, server+" server"
		}
	}
	t := benchkit.MaintTitles[g.r.IntN(len(benchkit.MaintTitles))]
	length := []time.Duration{15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour}[g.r.IntN(4)]
	end := start.Add(length)
	announced := start.Add(-time.Duration(2+g.r.IntN(6)) * 24 * time.Hour)
	if future {
		announced = now.Add(-time.Duration(1+g.r.IntN(20)) * time.Hour)
	}
	body := fmt.Sprintf(t.Body, "the "+who)
	cancelled := !future && g.r.IntN(12) == 0
	var id int64
	g.add(announced, "maintenance.schedule", func(ctx context.Context, svc *service.Service) error {
		m, err := svc.ScheduleMaintenance(ctx, actor, service.NewMaintenance{Title: t.Title, Body: body, Components: comps, Start: start, End: end})
		if m != nil {
			id = m.ID
		}
		return err
	})
	if future {
		return
	}
	if cancelled {
		g.add(start.Add(-time.Duration(1+g.r.IntN(24))*time.Hour), "maintenance.cancel", func(ctx context.Context, svc *service.Service) error {
			_, err := svc.CancelMaintenance(ctx, actor, id, "This maintenance has been postponed; we will announce a new date.")
			return err
		})
		return
	}
	// Herald's clock starts and completes the window at its times.
	g.add(start, "maintenance.start", func(ctx context.Context, svc *service.Service) error {
		_, err := svc.AdvanceMaintenance(ctx)
		return err
	})
	g.add(end, "maintenance.complete", func(ctx context.Context, svc *service.Service) error {
		_, err := svc.AdvanceMaintenance(ctx)
		return err
	})
}

package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/heraldhq/herald/examples"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

// demoNote is shown on the page so nobody mistakes the demo for a real fleet.
const demoNote = "Demo data: the incidents and maintenance on this page are examples entered by herald demo, based on a hosting provider's real status posts."

func runDemo(ctx context.Context, env *Env, args []string) error {
	var (
		o    serveOptions
		keep bool
	)
	fs := newFlags(env, "demo", "demo [--listen 127.0.0.1:8080] [--keep]")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8080", "address to listen on")
	fs.BoolVar(&keep, "keep", false, "keep the temporary data folder on exit")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	dir, err := os.MkdirTemp("", "herald-demo-")
	if err != nil {
		return err
	}
	if keep {
		defer fmt.Fprintf(env.Stderr, "demo data kept in %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	o.dsn = store.DSN{DataDir: dir}
	o.configPath = "examples/hosting.yaml (embedded)"
	o.configData = examples.Hosting
	o.adjust = func(c *config.Config) { c.Page.Description = demoNote }
	o.seed = func(ctx context.Context, st *store.Store, svc *service.Service, addr string) error {
		if err := seedDemo(ctx, st, svc, time.Now().UTC()); err != nil {
			return err
		}
		plain, _, err := svc.CreateToken(ctx, "demo", service.ScopeWrite)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, `
Herald demo: the example fleet (flexo, mom, elzar, zapp) with example incidents
and maintenance, on SQLite in %s.

  Status page:  http://%s/
  Admin API:    http://%s/api/v1/

Try the CLI in another terminal:

  export HERALD_URL=http://%s HERALD_TOKEN=%s
  go run ./cmd/herald incident list
  go run ./cmd/herald incident open --title "Web sites on zapp unreachable" --impact major \
      --component zapp/web=major_outage --status investigating --body "We are looking into it."

A maintenance window on zapp starts one minute from now and completes two minutes
later by Herald's own clock; reload the page to watch it. Ctrl-C stops the demo.

`, dir, addr, addr, addr, plain)
		return nil
	}
	return serve(ctx, env, o)
}

// fixedClock is a clock stopped at one moment, for entering past events.
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// seedDemo enters the seed posts' events, placed in the recent past and near
// future of now, in the page's zone (Pacific time).
func seedDemo(ctx context.Context, st *store.Store, live *service.Service, now time.Time) error {
	pacific, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		return err
	}
	// at gives a wall-clock time in Pacific time, daysAgo days before today.
	at := func(daysAgo, hour, minute int) time.Time {
		d := now.In(pacific).AddDate(0, 0, -daysAgo)
		return time.Date(d.Year(), d.Month(), d.Day(), hour, minute, 0, 0, pacific).UTC()
	}
	// past returns a service whose clock reads t, so records carry honest times.
	var catalogErr error
	past := func(t time.Time) *service.Service {
		s := service.New(st, fixedClock{t}, nil)
		if err := s.ReloadCatalog(ctx); err != nil && catalogErr == nil {
			catalogErr = err
		}
		return s
	}
	const actor = "demo"
	all := []string{"flexo/web", "flexo/email", "mom/web", "mom/email", "elzar/web", "elzar/email", "zapp/web", "zapp/email"}

	// The flexo web server crashes twice in a few days; the second is linked to the first.
	first, err := past(at(12, 21, 56)).OpenIncident(ctx, actor, service.NewIncident{
		Title: "flexo Web server unavailable", Impact: status.ImpactMajor, StartedAt: at(12, 21, 54),
		Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage},
		Body:       "Web sites on the flexo server are not responding. We are investigating.",
	})
	if err != nil {
		return err
	}
	if _, err := past(at(12, 22, 5)).ResolveIncident(ctx, actor, first.ID, service.Resolution{ResolvedAt: at(12, 22, 2),
		Body: "The \"flexo\" Web server was unavailable between 9:54 and 10:02 PM Pacific time. This resulted in an interruption of service for Web sites on that server. (Some e-mail activity was delayed, but no e-mail was lost.)\n\nWe sincerely apologize for this problem. We consider this type of failure to be unacceptable, and are looking into the cause of the problem so that we can take the appropriate steps to prevent it from happening again."}); err != nil {
		return err
	}
	second, err := past(at(9, 6, 24)).OpenIncident(ctx, actor, service.NewIncident{
		Title: "flexo Web server unavailable again", Impact: status.ImpactMajor, StartedAt: at(9, 6, 22),
		Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage},
		Body:       "The problem happened a second time. We are investigating.",
	})
	if err != nil {
		return err
	}
	if _, err := past(at(9, 6, 32)).ResolveIncident(ctx, actor, second.ID, service.Resolution{ResolvedAt: at(9, 6, 31),
		Body:       "The problem happened a second time, from 6:22 to 6:31 AM. However, the second incident gave our engineers enough details to determine the cause, and we have made a technical change that will prevent it from happening again.",
		Postmortem: "We recently had a server that twice \"crashed\" and needed manually restarting. We've identified the cause of that problem, an apparent bug in Linux kernel version 2.6.26, and made some changes to ensure that it doesn't affect our customers again.\n\nHowever, we didn't find any information about this problem when searching the Internet, so we're describing the details here in the hope that it helps someone else.",
	}); err != nil {
		return err
	}
	if _, err := past(at(9, 6, 40)).LinkIncidents(ctx, actor, second.ID, first.ID); err != nil {
		return err
	}

	// A network-wide attack: every server unreachable, flexo restored last.
	everything := map[string]status.ComponentStatus{}
	for _, id := range all {
		everything[id] = status.MajorOutage
	}
	ddos, err := past(at(5, 2, 21)).OpenIncident(ctx, actor, service.NewIncident{
		Title: "Network attack: most servers unreachable", Impact: status.ImpactCritical, StartedAt: at(5, 2, 16),
		Components: everything,
		Body:       "Beginning at 2:16 AM Pacific time, most of our servers have become unreachable (or very slow) from the Internet. We are investigating.",
	})
	if err != nil {
		return err
	}
	if _, err := past(at(5, 2, 40)).PostIncidentUpdate(ctx, actor, ddos.ID, service.IncidentUpdate{Status: status.Identified,
		Body: "We are experiencing a \"distributed denial of service\" attack aimed at our \"flexo\" Web server, using more than 2 Gbps of network bandwidth from several thousand different IP addresses."}); err != nil {
		return err
	}
	restored := map[string]status.ComponentStatus{}
	for _, id := range all {
		if id != "flexo/web" {
			restored[id] = status.Operational
		}
	}
	if _, err := past(at(5, 2, 59)).PostIncidentUpdate(ctx, actor, ddos.ID, service.IncidentUpdate{Status: status.Monitoring,
		Components: restored,
		Body:       "We restored service to all servers except the flexo Web server at 2:59 AM, by getting our network providers to block all packets for certain IP addresses."}); err != nil {
		return err
	}
	if _, err := past(at(5, 3, 35)).ResolveIncident(ctx, actor, ddos.ID, service.Resolution{ResolvedAt: at(5, 3, 29),
		Body:       "We restored service to the flexo server at 3:29 AM, by getting our network providers to identify and block specific characteristics of the attack. All services are now operating normally, and all delayed incoming mail has been delivered.",
		Postmortem: "As we mentioned in an earlier post, someone attacked our network earlier this morning. Although we blocked the attack, we've also been working to identify who attacked our network and why. We now know the answer, and we are almost positive that the problem won't recur.\n\nWe take reliability seriously. Unfortunately, this is by far the largest attack we've seen on our network in ten years. We sincerely regret and apologize for the impact this had on our customers.",
	}); err != nil {
		return err
	}

	// The four-minute Apache interruption.
	apache, err := past(at(2, 9, 49)).OpenIncident(ctx, actor, service.NewIncident{
		Title: "Web sites on flexo interrupted", Impact: status.ImpactMajor, StartedAt: at(2, 9, 48),
		Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage},
		Body:       "Web sites on the flexo server are not responding. We are investigating.",
	})
	if err != nil {
		return err
	}
	if _, err := past(at(2, 9, 55)).ResolveIncident(ctx, actor, apache.ID, service.Resolution{ResolvedAt: at(2, 9, 52),
		Body: "Customers on the \"flexo\" server experienced a four-minute interruption in Web site service between 9:48 and 9:52 AM Pacific time. E-mail was not affected, and customers on other servers were not affected.\n\nThe problem happened when the Apache Web server did not respond to a \"graceful reload\" command when we installed a \"mod_security\" update to block certain attacks against the WordPress blog software."}); err != nil {
		return err
	}

	// Something going on right now.
	if _, err := past(now.Add(-20*time.Minute)).OpenIncident(ctx, actor, service.NewIncident{
		Title: "Incoming mail delayed on mom", Impact: status.ImpactMinor, StartedAt: now.Add(-25 * time.Minute),
		Components: map[string]status.ComponentStatus{"mom/email": status.DegradedPerformance},
		Body:       "Incoming mail for customers on the mom server is arriving a few minutes late. No e-mail will be lost; we are looking into the cause.",
	}); err != nil {
		return err
	}

	// The kernel update, announced ahead and extended to zapp later.
	night := at(-2, 23, 0)
	kernel, err := live.ScheduleMaintenance(ctx, actor, service.NewMaintenance{
		Title: "Server restarts for a kernel update", Start: night, End: night.Add(5 * time.Minute),
		Components: []string{"flexo/web", "flexo/email", "mom/web", "mom/email", "elzar/web", "elzar/email"},
		Body:       "At approximately 11:00 PM Pacific time the \"flexo\", \"mom\" and \"elzar\" servers will be restarted. As a result, Web site and e-mail service for some customers will be unavailable for approximately five minutes.\n\nNo e-mail will be lost, of course; incoming mail will just be slightly delayed. This maintenance is necessary to install an updated \"kernel\" on our servers.",
	})
	if err != nil {
		return err
	}
	if _, err := live.EditMaintenance(ctx, actor, kernel.ID, service.MaintenanceEdit{Add: []string{"zapp/web", "zapp/email"},
		Update: "We're also going to include the \"zapp\" server in this maintenance to replace a disk in the RAID array."}); err != nil {
		return err
	}
	// A short window that starts and completes by the server's clock while you watch.
	if catalogErr != nil {
		return catalogErr
	}
	soon := now.Add(time.Minute).Truncate(time.Second)
	_, err = live.ScheduleMaintenance(ctx, actor, service.NewMaintenance{
		Title: "Disk check on zapp", Start: soon, End: soon.Add(2 * time.Minute),
		Components: []string{"zapp/web"},
		Body:       "A short check of the disks on the zapp server. Web sites on zapp may be slow for up to two minutes.",
	})
	return err
}

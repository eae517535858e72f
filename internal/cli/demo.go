package cli

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/heraldhq/herald/examples"
	"github.com/heraldhq/herald/internal/auth"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/notify/smtpsink"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

// demoNote is shown on the page so nobody mistakes the demo for a real fleet.
func demoNote(speed int) string {
	clock := fmt.Sprintf("on a clock running %d times fast", speed)
	if speed == 1 {
		clock = "in real time"
	}
	return "Demo: a simulated fleet on this machine, watched live by Herald " + clock +
		". Past incidents are examples based on a hosting provider's real status posts."
}

// demoSpeed is how much faster than the wall clock the demo's time runs:
// a minute of the demo is a second on the wall, so the seed posts' stories,
// with their four-minute interruptions and hour-long attacks, play out while
// you watch, with times and durations that read as the posts do.
const demoSpeed = 60

// demoHosts are the seed's servers.
var demoHosts = []string{"flexo", "mom", "elzar", "zapp"}

// demoClock is a clock that starts now and runs speed times faster.
type demoClock struct {
	realStart time.Time
	start     time.Time
	speed     int
}

func (c *demoClock) Now() time.Time {
	return c.start.Add(time.Since(c.realStart) * time.Duration(c.speed)).UTC()
}

func runDemo(ctx context.Context, env *Env, args []string) error {
	var (
		o    serveOptions
		keep bool
	)
	fs := newFlags(env, "demo", "demo [--listen 127.0.0.1:8080] [--speed 60] [--keep]")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8080", "address to listen on")
	fs.IntVar(&o.speed, "speed", demoSpeed, "how many times faster than the wall clock the demo's time runs (1: real time)")
	fs.BoolVar(&keep, "keep", false, "keep the temporary data folder on exit")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	if o.speed < 1 || o.speed > 3600 {
		return usagef("--speed must be between 1 and 3600, not %d", o.speed)
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
	fleet, err := startFleet(demoHosts)
	if err != nil {
		return fmt.Errorf("start the simulated fleet: %w", err)
	}
	defer fleet.close()
	// A mail relay on loopback: what Herald sends its subscribers is shown here.
	sink, err := smtpsink.Start(smtpsink.Options{Discard: true, OnMessage: func(m smtpsink.Message) {
		subject := ""
		if h, err := m.Header(); err == nil {
			subject = h.Get("Subject")
			if dec, err := new(mime.WordDecoder).DecodeHeader(subject); err == nil {
				subject = dec
			}
		}
		fmt.Fprintf(env.Stderr, "demo: e-mail to %s: %s\n", strings.Join(m.To, ", "), subject)
	}})
	if err != nil {
		return fmt.Errorf("start the demo's mail relay: %w", err)
	}
	defer sink.Close()
	clock := &demoClock{realStart: time.Now(), start: time.Now().UTC().Truncate(time.Minute), speed: o.speed}
	o.clock = clock
	o.dsn = store.DSN{DataDir: dir}
	o.configPath = "examples/hosting.yaml (embedded)"
	o.configData = examples.Hosting
	o.adjust = func(c *config.Config) {
		c.Page.Description = demoNote(o.speed)
		c.Incidents.Auto = config.AutoPublish
		// At 60 times the wall clock, a machine busy for half a second
		// delays a check by half a minute of the demo's time: a longer
		// hold keeps servers failing together told together all the same.
		if o.speed > 1 {
			c.Incidents.Hold = config.Duration(max(c.HoldFor(), time.Duration(o.speed)*2*time.Second))
		}
		c.Notify.Email = &config.Email{SMTP: sink.Addr, From: "Example Hosting Status <status@example.net>", TLS: "none", RatePerSecond: 50}
		fleet.point(c)
	}
	playCtx, stopPlay := context.WithCancel(ctx)
	defer stopPlay()
	var played sync.WaitGroup
	defer played.Wait()
	var live *service.Service
	o.seed = func(ctx context.Context, st *store.Store, svc *service.Service, addr string) error {
		live = svc
		if err := seedDemo(ctx, st, svc, clock.Now()); err != nil {
			return err
		}
		plain, _, err := svc.CreateToken(ctx, "demo", service.ScopeWrite)
		if err != nil {
			return err
		}
		// Two customers who confirmed their subscriptions: one to flexo, one to mom.
		for _, sub := range []store.Subscriber{
			{Kind: "email", Address: "owner@flexo-customer.example", Components: []string{"flexo/web", "flexo/email"}},
			{Kind: "email", Address: "owner@mom-customer.example", Components: []string{"mom/web", "mom/email"}},
		} {
			sub.ConfirmedAt, sub.CreatedAt = clock.Now(), clock.Now()
			if err := st.Tx(ctx, func(q *store.Queries) error { return q.InsertSubscriber(ctx, &sub) }); err != nil {
				return fmt.Errorf("demo subscriber: %w", err)
			}
		}
		// An admin account to sign in to /admin with, its password made now.
		var pw [12]byte
		if _, err := rand.Read(pw[:]); err != nil {
			return err
		}
		password := base64.RawURLEncoding.EncodeToString(pw[:])
		if _, err := auth.New(st, nil, nil, auth.Options{}).AddUser(ctx, "demo", "demo", auth.Admin, password); err != nil {
			return fmt.Errorf("demo account: %w", err)
		}
		fmt.Fprintf(env.Stdout, demoIntro, dir, addr, addr, password, addr, addr, plain)
		return nil
	}
	o.started = func(string) {
		steps, err := demoScript(live, fleet)
		if err != nil {
			fmt.Fprintf(env.Stderr, "demo: %v\n", err)
			return
		}
		played.Go(func() {
			err := play(playCtx, clock.start, clock.Now, o.speed, steps, func(format string, a ...any) {
				fmt.Fprintf(env.Stderr, format+"\n", a...)
			})
			if err != nil {
				fmt.Fprintf(env.Stderr, "demo: %v\n", err)
				return
			}
			if playCtx.Err() == nil {
				fmt.Fprintf(env.Stderr, "demo: the script has played; Herald keeps watching the simulated fleet. Ctrl-C stops it.\n")
			}
		})
	}
	return serve(ctx, env, o)
}

const demoIntro = `
Herald demo: the example fleet (flexo, mom, elzar, zapp), each server's Web
and E-mail service simulated on loopback and watched by Herald's monitors,
with past incidents from the seed posts, on SQLite in %s.

  Status page:  http://%s/
  Admin:        http://%s/admin/   (user demo, password %s)
  Admin API:    http://%s/api/v1/

The demo's clock runs 60 times faster than yours: a minute of the page's time
is a second of yours. Keep the page open and reload it; within a minute:

  ~ 6 s   flexo's web server hangs (it accepts and never answers); e-mail stays
          up. Herald marks flexo/web down and opens an incident; at ~10 s it
          resolves it: "a four-minute interruption in Web site service ...
          E-mail was not affected, and customers on other servers were not".
  ~16 s   every server stops answering: ONE network incident, not four. mom,
          elzar and zapp come back at ~22 s, flexo last at ~30 s; the
          resolution gives the restoration timeline per server.
  ~36 s   the kernel-update maintenance on flexo, mom and elzar (zapp was
          added by an update) starts; the servers restart; at ~41 s it
          completes with the measured downtime per server. No incident.
  ~46 s   flexo's web server hangs again: the new incident is linked to the
          first, which gets "The problem happened a second time ...".

Two customers subscribed by e-mail, one to flexo and one to mom; each message
Herald sends them lands in a mail relay on loopback and is shown here as
"demo: e-mail to ...": flexo's customer hears of flexo's troubles, mom's of mom's.

Try the CLI in another terminal:

  export HERALD_URL=http://%s HERALD_TOKEN=%s
  go run ./cmd/herald incident list

Ctrl-C stops the demo.

`

// point aims the configuration's monitors at the simulated fleet.
func (f *simFleet) point(c *config.Config) {
	for gi := range c.Groups {
		g := &c.Groups[gi]
		for ci := range g.Components {
			cp := &g.Components[ci]
			for mi := range cp.Monitors {
				m := &cp.Monitors[mi]
				switch {
				case m.Type == "http" && f.web[g.ID] != nil:
					m.URL = "http://" + f.web[g.ID].addr + "/"
				case m.Type == "smtp" && f.mail[g.ID] != nil:
					m.Address = f.mail[g.ID].addr
				}
			}
		}
	}
}

// kernelWindow is when the demo's live maintenance runs, after the demo starts.
const (
	kernelStart = 36 * time.Minute
	kernelEnd   = 41 * time.Minute
)

// demoScript is what happens to the simulated fleet, at demo times after
// start: the seed posts' stories, played on the live fleet and measured.
func demoScript(svc *service.Service, f *simFleet) ([]demoStep, error) {
	if svc == nil {
		return nil, errors.New("the demo has no service to play against")
	}
	set := func(mode simMode, svcs ...*simService) func(context.Context) error {
		return func(context.Context) error {
			var errs []error
			for _, s := range svcs {
				errs = append(errs, s.set(mode))
			}
			return errors.Join(errs...)
		}
	}
	all := []*simService{}
	for _, h := range demoHosts {
		all = append(all, f.web[h], f.mail[h])
	}
	var kernelID int64
	windows, err := svc.Maintenances(context.Background(), store.MaintenanceFilter{State: "upcoming"})
	if err != nil {
		return nil, err
	}
	for _, m := range windows {
		if m.Title == kernelTitle {
			kernelID = m.ID
		}
	}
	if kernelID == 0 {
		return nil, errors.New("the kernel-update window was not scheduled")
	}
	return []demoStep{
		{2 * time.Minute, "zapp added to the kernel-update maintenance", func(ctx context.Context) error {
			_, err := svc.EditMaintenance(ctx, "demo", kernelID, service.MaintenanceEdit{Add: []string{"zapp/web", "zapp/email"},
				Update: "We're also going to include the \"zapp\" server in this maintenance to replace a disk in the RAID array."})
			return err
		}},
		{6 * time.Minute, "flexo's web server hangs (accepts, never answers)", set(simHang, f.web["flexo"])},
		{10 * time.Minute, "flexo's web server answers again", set(simUp, f.web["flexo"])},
		{16 * time.Minute, "the network is attacked: no server answers", set(simHang, all...)},
		{22 * time.Minute, "mom, elzar and zapp answer again", set(simUp, f.web["mom"], f.mail["mom"], f.web["elzar"], f.mail["elzar"], f.web["zapp"], f.mail["zapp"])},
		{30 * time.Minute, "flexo answers again", set(simUp, f.web["flexo"], f.mail["flexo"])},
		{36*time.Minute + 30*time.Second, "flexo restarts for the kernel update", set(simRefuse, f.web["flexo"], f.mail["flexo"])},
		{37 * time.Minute, "mom restarts", set(simRefuse, f.web["mom"], f.mail["mom"])},
		{37*time.Minute + 20*time.Second, "elzar restarts", set(simRefuse, f.web["elzar"], f.mail["elzar"])},
		{39 * time.Minute, "elzar is back", set(simUp, f.web["elzar"], f.mail["elzar"])},
		{39*time.Minute + 5*time.Second, "mom is back", set(simUp, f.web["mom"], f.mail["mom"])},
		{39*time.Minute + 40*time.Second, "flexo is back", set(simUp, f.web["flexo"], f.mail["flexo"])},
		{46 * time.Minute, "flexo's web server hangs again", set(simHang, f.web["flexo"])},
		{49 * time.Minute, "flexo's web server answers again", set(simUp, f.web["flexo"])},
	}, nil
}

const kernelTitle = "Server restarts for a kernel update"

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

	if catalogErr != nil {
		return catalogErr
	}
	// The kernel update, announced ahead; the demo's script adds zapp by an
	// update, and it starts and completes by Herald's clock while you watch.
	start := now.Truncate(time.Minute).Add(kernelStart)
	if _, err := live.ScheduleMaintenance(ctx, actor, service.NewMaintenance{
		Title: kernelTitle, Start: start, End: now.Truncate(time.Minute).Add(kernelEnd),
		Components: []string{"flexo/web", "flexo/email", "mom/web", "mom/email", "elzar/web", "elzar/email"},
		Body:       "At approximately " + start.In(pacific).Format("3:04 PM") + " Pacific time the \"flexo\", \"mom\" and \"elzar\" servers will be restarted. As a result, Web site and e-mail service for some customers will be unavailable for approximately five minutes.\n\nNo e-mail will be lost, of course; incoming mail will just be slightly delayed. This maintenance is necessary to install an updated \"kernel\" on our servers.",
	}); err != nil {
		return err
	}
	// And one further ahead, to show on the page as upcoming.
	later := at(-3, 23, 0)
	_, err = live.ScheduleMaintenance(ctx, actor, service.NewMaintenance{
		Title: "Network switch replacement", Start: later, End: later.Add(30 * time.Minute),
		Components: all,
		Body:       "We're replacing a network switch. Web site and e-mail service on all servers may be unreachable for up to a minute during the window. No e-mail will be lost.",
	})
	return err
}

package monitor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/lease"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// fleetYAML is the seed's fleet: four servers with Web and E-mail each.
func fleetYAML(auto string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "page: {title: Example Hosting Status, url: https://status.example.net, zone: America/Los_Angeles}\nincidents: {auto: %s}\ngroups:\n", auto)
	for i, g := range []string{"flexo", "mom", "elzar", "zapp"} {
		fmt.Fprintf(&b, "  - id: %s\n    components:\n", g)
		fmt.Fprintf(&b, "      - {id: web, name: Web sites, monitors: [{type: http, url: \"http://127.0.0.1:%d/\"}]}\n", 18081+i)
		fmt.Fprintf(&b, "      - {id: email, name: E-mail, monitors: [{type: smtp, address: \"127.0.0.1:%d\"}]}\n", 12525+i)
	}
	return []byte(b.String())
}

type reactorRig struct {
	t     *testing.T
	st    *store.Store
	svc   *service.Service
	clock *fakeClock
	r     *Reactor
	cfg   config.Config
}

func newRig(t *testing.T, b storetest.Backend, auto string, now time.Time) *reactorRig {
	t.Helper()
	return newRigFrom(t, b, fleetYAML(auto), now)
}

func newRigFrom(t *testing.T, b storetest.Backend, yaml []byte, now time.Time) *reactorRig {
	t.Helper()
	cfg, err := config.Parse("fleet.yaml", yaml)
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: now}
	svc := service.New(b.Store, clock, nil)
	var groups []store.Group
	var comps []store.Component
	for gi, g := range cfg.Groups {
		groups = append(groups, store.Group{ID: g.ID, Name: g.Name, Position: gi})
		for ci, c := range g.Components {
			comps = append(comps, store.Component{ID: g.ID + "/" + c.ID, GroupID: g.ID, Name: c.Name, Position: ci})
		}
	}
	if err := svc.SyncCatalog(t.Context(), groups, comps); err != nil {
		t.Fatal(err)
	}
	var defs []store.MonitorDef
	for _, sp := range Specs(cfg) {
		defs = append(defs, store.MonitorDef{ID: sp.ID, ComponentID: sp.ComponentID, Kind: sp.Monitor.Type, Target: sp.Target()})
	}
	if err := b.Store.SyncMonitors(t.Context(), defs, now); err != nil {
		t.Fatal(err)
	}
	return &reactorRig{t: t, st: b.Store, svc: svc, clock: clock, cfg: cfg,
		r: NewReactor(svc, b.Store, func() config.Config { return cfg }, nil)}
}

func (g *reactorRig) outage(comp string, start, end time.Time) *store.Outage {
	g.t.Helper()
	o := &store.Outage{ComponentID: comp, MonitorID: comp + "/x", Severity: status.MonitorDown, StartedAt: start,
		EndedAt: end, DetectedAt: start.Add(time.Minute)}
	if err := g.st.InsertOutage(g.t.Context(), o); err != nil {
		g.t.Fatal(err)
	}
	return o
}

func (g *reactorRig) end(o *store.Outage, at time.Time) {
	g.t.Helper()
	cur, err := g.st.Outages(g.t.Context(), store.OutageFilter{})
	if err != nil {
		g.t.Fatal(err)
	}
	for _, c := range cur {
		if c.ID == o.ID {
			c.EndedAt = at
			if err := g.st.MeasureOutage(g.t.Context(), &c); err != nil {
				g.t.Fatal(err)
			}
			return
		}
	}
	g.t.Fatalf("outage %d not found", o.ID)
}

func (g *reactorRig) pass(at time.Time) {
	g.t.Helper()
	g.clock.set(at)
	if err := g.r.Pass(g.t.Context()); err != nil {
		g.t.Fatalf("pass at %v: %v", at, err)
	}
}

func (g *reactorRig) incidents() []status.Incident {
	g.t.Helper()
	list, err := g.svc.Incidents(g.t.Context(), store.IncidentFilter{})
	if err != nil {
		g.t.Fatal(err)
	}
	return list
}

var pacific, _ = time.LoadLocation("America/Los_Angeles")

func pt(month time.Month, day, h, m, s int) time.Time {
	return time.Date(2026, month, day, h, m, s, 0, pacific).UTC()
}

// The seed's Apache story, measured: the incident opens at the outage's
// start, resolves at its end, in the post's own words.
func TestReactorServerOutage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		g := newRig(t, b, config.AutoPublish, pt(8, 12, 9, 49, 0))
		o := g.outage("flexo/web", pt(8, 12, 9, 48, 0), time.Time{})
		// Detected at 9:49: held for one interval plus the timeout (40 s),
		// in case the other servers are failing too.
		g.pass(pt(8, 12, 9, 49, 0))
		if list := g.incidents(); len(list) != 0 {
			t.Fatalf("a held outage opened %d incidents at once", len(list))
		}
		g.pass(pt(8, 12, 9, 49, 39))
		if list := g.incidents(); len(list) != 0 {
			t.Fatalf("a held outage opened %d incidents before its hold ended", len(list))
		}
		g.pass(pt(8, 12, 9, 49, 40))
		list := g.incidents()
		if len(list) != 1 {
			t.Fatalf("incidents: %d", len(list))
		}
		in := list[0]
		if !in.Auto || in.Draft || !in.StartedAt.Equal(pt(8, 12, 9, 48, 0)) || in.Title != "Web sites on flexo not responding" {
			t.Errorf("opened: %+v", in)
		}
		if s, _ := in.ComponentStatusOf("flexo/web"); s != status.MajorOutage {
			t.Errorf("flexo/web status %q", s)
		}
		g.pass(pt(8, 12, 9, 50, 0)) // nothing new: nothing happens
		if n := len(g.incidents()); n != 1 {
			t.Fatalf("a second pass opened more: %d", n)
		}
		g.end(o, pt(8, 12, 9, 52, 0))
		g.pass(pt(8, 12, 9, 53, 0))
		got, err := g.svc.Incident(t.Context(), in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != status.Resolved || !got.ResolvedAt.Equal(pt(8, 12, 9, 52, 0)) {
			t.Fatalf("resolved: %s at %v", got.Status, got.ResolvedAt)
		}
		want := "Customers on the flexo server experienced a four-minute interruption in Web site service between 9:48 and 9:52 AM Pacific time this morning (August 12). E-mail was not affected, and customers on other servers were not affected."
		if got.Updates[0].Body != want {
			t.Errorf("resolution:\n got %q\nwant %q", got.Updates[0].Body, want)
		}
	})
}

func TestReactorPolicies(t *testing.T) {
	b := storetest.SQLite(t)
	t.Run("draft", func(t *testing.T) {
		g := newRig(t, b, config.AutoDraft, pt(8, 12, 9, 49, 0))
		g.outage("mom/email", pt(8, 12, 9, 48, 0), time.Time{})
		g.pass(pt(8, 12, 9, 50, 0))
		list := g.incidents()
		if len(list) != 1 || !list[0].Draft || list[0].Title != "E-mail on mom not responding" {
			t.Fatalf("draft policy: %+v", list)
		}
	})
	t.Run("off", func(t *testing.T) {
		b := storetest.SQLite(t)
		g := newRig(t, b, config.AutoOff, pt(8, 12, 9, 49, 0))
		g.outage("mom/email", pt(8, 12, 9, 48, 0), time.Time{})
		g.pass(pt(8, 12, 9, 49, 0))
		if list := g.incidents(); len(list) != 0 {
			t.Fatalf("off policy opened %d", len(list))
		}
		outs, _ := g.st.Outages(t.Context(), store.OutageFilter{})
		if len(outs) != 1 || outs[0].Decision != store.DecisionIgnored {
			t.Errorf("outage decision: %+v", outs)
		}
	})
}

// Inside a window on its component an outage is maintenance downtime, and
// the window's completion reports what was measured.
func TestReactorMaintenance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		g := newRig(t, b, config.AutoPublish, pt(4, 3, 22, 0, 0))
		ctx := t.Context()
		m, err := g.svc.ScheduleMaintenance(ctx, "test", service.NewMaintenance{Title: "Kernel update",
			Body: "The servers will be restarted.", Components: []string{"flexo/web", "flexo/email", "mom/web"},
			Start: pt(4, 3, 23, 0, 0), End: pt(4, 3, 23, 5, 0)})
		if err != nil {
			t.Fatal(err)
		}
		// The maintenance clock is a moment late: the first outage is seen
		// while the window still reads scheduled, and is maintenance all the same.
		a := g.outage("flexo/web", pt(4, 3, 23, 0, 30), time.Time{})
		g.pass(pt(4, 3, 23, 1, 0))
		if list := g.incidents(); len(list) != 0 {
			t.Fatalf("an outage in a window the clock had not started yet opened %d incidents", len(list))
		}
		g.clock.set(pt(4, 3, 23, 1, 0))
		if _, err := g.svc.AdvanceMaintenance(ctx); err != nil {
			t.Fatal(err)
		}
		// flexo's web and e-mail go down together for 3 min 10 s; mom's web for 2 min 5 s.
		g.outage("flexo/email", pt(4, 3, 23, 0, 40), pt(4, 3, 23, 3, 20))
		g.outage("mom/web", pt(4, 3, 23, 1, 0), pt(4, 3, 23, 3, 5))
		g.pass(pt(4, 3, 23, 2, 0))
		if list := g.incidents(); len(list) != 0 {
			t.Fatalf("outages inside maintenance opened %d incidents", len(list))
		}
		g.end(a, pt(4, 3, 23, 3, 40))
		g.clock.set(pt(4, 3, 23, 5, 0))
		if _, err := g.svc.AdvanceMaintenance(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := g.svc.Maintenance(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := "The maintenance was completed with less than five minutes of downtime: flexo 3 minutes 10 seconds, mom 2 minutes 5 seconds."
		if got.Status != status.Completed || got.Updates[0].Body != want {
			t.Errorf("completion: %s %q\nwant %q", got.Status, got.Updates[0].Body, want)
		}
		outs, _ := g.st.Outages(ctx, store.OutageFilter{})
		for _, o := range outs {
			if o.Decision != store.DecisionMaintenance || o.MaintenanceID != m.ID {
				t.Errorf("outage %d: decision %q maintenance %d", o.ID, o.Decision, o.MaintenanceID)
			}
		}
	})
}

// Most servers down within the hold: one incident from its first update,
// naming every server down; restorations told as they happen; resolved with
// the restoration timeline per server.
func TestReactorNetworkEvent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		g := newRig(t, b, config.AutoPublish, pt(8, 1, 2, 17, 0))
		flexo := g.outage("flexo/web", pt(8, 1, 2, 16, 0), time.Time{})
		g.pass(pt(8, 1, 2, 17, 0)) // only flexo so far: held, nobody told
		if list := g.incidents(); len(list) != 0 {
			t.Fatalf("flexo alone, within its hold: %+v", list)
		}
		mom := g.outage("mom/web", pt(8, 1, 2, 16, 20), time.Time{})
		momMail := g.outage("mom/email", pt(8, 1, 2, 16, 25), time.Time{})
		g.pass(pt(8, 1, 2, 17, 20)) // two of four: not most; both held
		if list := g.incidents(); len(list) != 0 {
			t.Fatalf("two servers within their holds: %+v", list)
		}
		elzar := g.outage("elzar/web", pt(8, 1, 2, 16, 40), time.Time{})
		g.pass(pt(8, 1, 2, 17, 30)) // most servers: still gathering until flexo's hold ends
		if list := g.incidents(); len(list) != 0 {
			t.Fatalf("opened before the first hold ended: %+v", list)
		}
		g.pass(pt(8, 1, 2, 17, 40))
		list := g.incidents()
		if len(list) != 1 {
			t.Fatalf("network event: %d incidents, want one: %+v", len(list), list)
		}
		in := list[0]
		if !strings.Contains(in.Title, "servers") || len(in.Components) != 4 || len(in.Updates) != 1 || !in.StartedAt.Equal(pt(8, 1, 2, 16, 0)) {
			t.Errorf("network incident: %q from %v with %d components and %d updates, want every server down in its first update",
				in.Title, in.StartedAt, len(in.Components), len(in.Updates))
		}
		for _, o := range []*store.Outage{mom, momMail, elzar} {
			g.end(o, pt(8, 1, 2, 59, 0))
		}
		g.pass(pt(8, 1, 3, 0, 0))
		got, err := g.svc.Incident(t.Context(), in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status == status.Resolved {
			t.Fatalf("resolved while flexo is still down")
		}
		// Restoration as it happens: mom and elzar are operational again, and an update says so.
		for _, c := range []string{"mom/web", "mom/email", "elzar/web"} {
			if s, _ := got.ComponentStatusOf(c); s != status.Operational {
				t.Errorf("%s after its server came back: %q in the incident, want operational", c, s)
			}
		}
		if s, _ := got.ComponentStatusOf("flexo/web"); s != status.MajorOutage {
			t.Errorf("flexo/web while still down: %q", s)
		}
		if len(got.Updates) != 2 || !strings.Contains(got.Updates[0].Body, "all servers except flexo at 2:59 AM") {
			t.Errorf("restoration update: %d updates, newest %q", len(got.Updates), got.Updates[0].Body)
		}
		g.pass(pt(8, 1, 3, 1, 0)) // nothing new: no second restoration update
		if again, _ := g.svc.Incident(t.Context(), in.ID); len(again.Updates) != 2 {
			t.Errorf("a pass with nothing new posted: %d updates", len(again.Updates))
		}
		g.end(flexo, pt(8, 1, 3, 29, 0))
		g.pass(pt(8, 1, 3, 30, 0))
		got, err = g.svc.Incident(t.Context(), in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != status.Resolved || !got.ResolvedAt.Equal(pt(8, 1, 3, 29, 0)) || !got.StartedAt.Equal(pt(8, 1, 2, 16, 0)) {
			t.Fatalf("network incident: %s %v–%v", got.Status, got.StartedAt, got.ResolvedAt)
		}
		for _, u := range got.Updates {
			if strings.Contains(u.Body, "affected too") || strings.Contains(u.Body, "Also affected") {
				t.Errorf("the network incident tells servers one by one: %q", u.Body)
			}
		}
		if len(got.Updates) != 3 {
			t.Errorf("network incident has %d updates, want 3 (the network, the restoration, the resolution)", len(got.Updates))
		}
		worst := map[string]status.ComponentStatus{}
		for _, u := range got.Updates {
			for _, ch := range u.Changes {
				worst[ch.ComponentID] = status.Worst(worst[ch.ComponentID], ch.New)
			}
		}
		for _, c := range []string{"flexo/web", "mom/web", "mom/email", "elzar/web"} {
			if worst[c] != status.MajorOutage {
				t.Errorf("the timeline gives %s at worst %q, want major_outage", c, worst[c])
			}
		}
		body := got.Updates[0].Body
		for _, want := range []string{"Beginning at 2:16 AM Pacific time", "all servers except flexo at 2:59 AM", "flexo server at 3:29 AM", "zapp"} {
			if !strings.Contains(body, want) {
				t.Errorf("resolution lacks %q:\n%s", want, body)
			}
		}
	})
}

// A server whose hold ended alone has its incident; when most servers then
// fail within the network window, that incident becomes the network
// incident: nobody is told of an incident that is then folded away.
func TestReactorNetworkEventAfterAHold(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		g := newRig(t, b, config.AutoPublish, pt(8, 1, 2, 17, 0))
		g.outage("flexo/web", pt(8, 1, 2, 16, 0), time.Time{})
		g.pass(pt(8, 1, 2, 18, 0))
		list := g.incidents()
		if len(list) != 1 || list[0].Title != "Web sites on flexo not responding" {
			t.Fatalf("flexo alone after its hold: %+v", list)
		}
		g.outage("mom/web", pt(8, 1, 2, 17, 20), time.Time{})
		g.outage("elzar/web", pt(8, 1, 2, 17, 40), time.Time{})
		g.pass(pt(8, 1, 2, 19, 0))
		after := g.incidents()
		if len(after) != 1 || after[0].ID != list[0].ID || !strings.Contains(after[0].Title, "servers") || len(after[0].Components) != 3 {
			t.Fatalf("widened: %+v", after)
		}
		if after[0].Status == status.Resolved {
			t.Errorf("the widened incident was resolved")
		}
	})
}

// A second outage within a week is linked to the first, which says so.
func TestReactorRecurrence(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		g := newRig(t, b, config.AutoPublish, pt(3, 28, 21, 56, 0))
		first := g.outage("flexo/web", pt(3, 28, 21, 54, 0), time.Time{})
		g.pass(pt(3, 28, 21, 56, 0))
		g.end(first, pt(3, 28, 22, 2, 0))
		g.pass(pt(3, 28, 22, 3, 0))
		second := g.outage("flexo/web", pt(3, 31, 6, 22, 0), time.Time{})
		g.pass(pt(3, 31, 6, 24, 0))
		g.end(second, pt(3, 31, 6, 31, 0))
		g.pass(pt(3, 31, 6, 32, 0))
		list := g.incidents()
		if len(list) != 2 {
			t.Fatalf("incidents: %d", len(list))
		}
		var one, two status.Incident
		for _, in := range list {
			if in.StartedAt.Equal(pt(3, 28, 21, 54, 0)) {
				one = in
			} else {
				two = in
			}
		}
		if len(one.Links) != 1 || one.Links[0] != two.ID {
			t.Errorf("first incident links %v, want [%d]", one.Links, two.ID)
		}
		if want := "The problem happened a second time on March 31 from 6:22 to 6:31 AM."; one.Updates[0].Body != want {
			t.Errorf("first incident's update %q, want %q", one.Updates[0].Body, want)
		}
		if two.Status != status.Resolved || !strings.Contains(two.Updates[0].Body, "second time") {
			t.Errorf("second incident: %s %q", two.Status, two.Updates[0].Body)
		}
		// A third time within the week of the first two: told on the first incident too.
		third := g.outage("flexo/web", pt(4, 2, 13, 5, 0), time.Time{})
		g.pass(pt(4, 2, 13, 6, 40))
		g.end(third, pt(4, 2, 13, 7, 30))
		g.pass(pt(4, 2, 13, 8, 0))
		got, err := g.svc.Incident(t.Context(), one.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(got.Updates[0].Body, "The problem happened a third time on April 2") || len(got.Links) != 2 {
			t.Errorf("first incident after the third time: links %v, newest %q", got.Links, got.Updates[0].Body)
		}
	})
}

// A failed write in the middle of a decision ends the pass with nothing of
// it written: widening flexo's incident into the network incident edits its
// title and then posts an update; when the update fails, the title is not
// left changed and the outages are not left attached, and the next pass
// decides again, once.
func TestReactorFailedWriteDecidesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		g := newRig(t, b, config.AutoPublish, pt(8, 1, 2, 17, 0))
		g.outage("flexo/web", pt(8, 1, 2, 16, 0), time.Time{})
		g.pass(pt(8, 1, 2, 18, 0))
		g.outage("mom/web", pt(8, 1, 2, 17, 20), time.Time{})
		g.outage("elzar/web", pt(8, 1, 2, 17, 40), time.Time{})
		fail := true
		remove := g.svc.OnRecord(func(_ context.Context, _ *store.Queries, c store.Change) error {
			if fail && c.Action == "incident.update" {
				return errors.New("disk full")
			}
			return nil
		})
		defer remove()
		g.clock.set(pt(8, 1, 2, 19, 0))
		if err := g.r.Pass(t.Context()); err == nil {
			t.Fatal("a pass whose write failed reported success")
		}
		list := g.incidents()
		if len(list) != 1 || list[0].Title != "Web sites on flexo not responding" || len(list[0].Updates) != 1 {
			t.Fatalf("a failed pass left its changes: %+v", list)
		}
		if undecided, _ := g.st.Outages(t.Context(), store.OutageFilter{Undecided: true}); len(undecided) != 2 {
			t.Fatalf("a failed pass left %d outages undecided, want 2", len(undecided))
		}
		fail = false
		g.pass(pt(8, 1, 2, 19, 1))
		g.pass(pt(8, 1, 2, 19, 2))
		list = g.incidents()
		if len(list) != 1 || len(list[0].Components) != 3 || len(list[0].Updates) != 2 || !strings.Contains(list[0].Title, "servers") {
			t.Fatalf("after the retry: %+v, want flexo's incident widened once", list)
		}
		if undecided, _ := g.st.Outages(t.Context(), store.OutageFilter{Undecided: true}); len(undecided) != 0 {
			t.Errorf("%d outages still undecided", len(undecided))
		}
	})
}

// Two deciders at once (two instances on one database, or an overlap while
// a lease changes hands) never decide the same outage twice: the loser's
// compare-and-set fails and its whole pass, incident included, rolls back.
func TestReactorTwoDecidersOneDecision(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		for round := range 10 {
			g := newRig(t, b, config.AutoPublish, pt(8, 1, 2, 17, 0))
			// A second instance: its own store handle and service on the same database.
			other, err := store.Open(t.Context(), store.DSN{URL: b.URL, DataDir: b.DataDir})
			if err != nil {
				t.Fatal(err)
			}
			svc2 := service.New(other, g.clock, nil)
			if err := svc2.ReloadCatalog(t.Context()); err != nil {
				t.Fatal(err)
			}
			r2 := NewReactor(svc2, other, func() config.Config { return g.cfg }, nil)
			day := time.Duration(round) * 24 * time.Hour
			for _, c := range []string{"flexo/web", "mom/web", "elzar/web", "zapp/email"} {
				g.outage(c, pt(8, 1, 2, 16, 0).Add(day), time.Time{})
			}
			g.outage("zapp/web", pt(8, 1, 2, 16, 0).Add(day), pt(8, 1, 2, 16, 30).Add(day))
			g.clock.set(pt(8, 1, 2, 18, 0).Add(day))
			errs := make(chan error, 2)
			for _, r := range []*Reactor{g.r, r2} {
				go func() { errs <- r.Pass(t.Context()) }()
			}
			stale := 0
			for range 2 {
				if err := <-errs; errors.Is(err, store.ErrStale) {
					stale++
				} else if err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
			}
			t.Logf("round %d: %d of 2 passes lost the race", round, stale)
			g.pass(pt(8, 1, 2, 18, 1).Add(day)) // whoever lost decides nothing new
			var open []status.Incident
			for _, in := range g.incidents() {
				if in.StartedAt.Equal(pt(8, 1, 2, 16, 0).Add(day)) {
					open = append(open, in)
				}
			}
			if len(open) != 1 || len(open[0].Components) != 5 {
				t.Fatalf("round %d (%d passes lost the race): %d incidents for one network event: %+v", round, stale, len(open), open)
			}
			undecided, _ := g.st.Outages(t.Context(), store.OutageFilter{Undecided: true})
			if len(undecided) != 0 {
				t.Fatalf("round %d: %d outages undecided", round, len(undecided))
			}
			other.Close()
			// End this round's outages so the next starts with nothing open.
			outs, _ := g.st.Outages(t.Context(), store.OutageFilter{Open: true})
			for i := range outs {
				g.end(&outs[i], pt(8, 1, 2, 20, 0).Add(day))
			}
			g.pass(pt(8, 1, 2, 21, 0).Add(day))
		}
	})
}

// With a lease, only its holder decides: another instance's pass writes nothing.
func TestReactorDecidesUnderItsLease(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		g := newRig(t, b, config.AutoPublish, pt(8, 1, 2, 17, 0))
		g.r.SetLease(lease.New(b.Store, "decisions", time.Minute))
		other := NewReactor(g.svc, b.Store, func() config.Config { return g.cfg }, nil)
		other.SetLease(lease.New(b.Store, "decisions", time.Minute))
		if held, err := g.r.holds(t.Context()); err != nil || !held {
			t.Fatalf("first instance: held %v, %v", held, err)
		}
		if held, err := other.holds(t.Context()); err != nil || held {
			t.Fatalf("second instance holds the lease too: %v, %v", held, err)
		}
		g.outage("flexo/web", pt(8, 1, 2, 16, 0), time.Time{})
		g.clock.set(pt(8, 1, 2, 18, 0))
		if err := other.Pass(t.Context()); !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("a pass without the lease: %v, want ErrLeaseLost", err)
		}
		if list := g.incidents(); len(list) != 0 {
			t.Fatalf("an instance without the lease decided: %+v", list)
		}
		g.pass(pt(8, 1, 2, 18, 0))
		if list := g.incidents(); len(list) != 1 {
			t.Fatalf("the holder's pass: %d incidents", len(list))
		}
	})
}

// A failed read never leads to a decision (seen: the network check logged
// its database error and opened per-server incidents instead): the pass
// fails, writes nothing, and the next one decides on what it reads.
func TestReactorFailedReadDecidesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		g := newRig(t, b, config.AutoPublish, pt(8, 1, 2, 17, 0))
		for _, c := range []string{"flexo/web", "mom/web", "elzar/web"} {
			g.outage(c, pt(8, 1, 2, 16, 0), time.Time{})
		}
		// The read of the outages near one (the network check) fails.
		ctx := store.WithReadFault(t.Context(), func(query string) error {
			if strings.Contains(query, "FROM outages") && strings.Contains(query, "started_at <") {
				return errors.New("connection reset by peer")
			}
			return nil
		})
		g.clock.set(pt(8, 1, 2, 18, 0))
		if err := g.r.Pass(ctx); err == nil {
			t.Fatal("a pass whose read failed reported success")
		}
		if list := g.incidents(); len(list) != 0 {
			t.Fatalf("a pass whose read failed decided: %+v", list)
		}
		g.pass(pt(8, 1, 2, 18, 1))
		if list := g.incidents(); len(list) != 1 || len(list[0].Components) != 3 {
			t.Fatalf("after the read came back: %+v, want one network incident", list)
		}
	})
}

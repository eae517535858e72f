package monitor

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// routedYAML is the seed's fleet behind one router: every server depends on it.
func routedYAML() []byte {
	var b strings.Builder
	b.WriteString("page: {title: Example Hosting Status, url: https://status.example.net, zone: America/Los_Angeles}\nincidents: {auto: publish}\ngroups:\n")
	b.WriteString("  - id: router\n    components:\n      - {id: core, name: Core router, monitors: [{type: tcp, address: \"127.0.0.1:12600\"}]}\n")
	for i, g := range []string{"flexo", "mom", "elzar", "zapp"} {
		fmt.Fprintf(&b, "  - id: %s\n    depends_on: [router]\n    components:\n", g)
		fmt.Fprintf(&b, "      - {id: web, name: Web sites, monitors: [{type: http, url: \"http://127.0.0.1:%d/\"}]}\n", 18081+i)
		fmt.Fprintf(&b, "      - {id: email, name: E-mail, monitors: [{type: smtp, address: \"127.0.0.1:%d\"}]}\n", 12525+i)
	}
	return []byte(b.String())
}

func (g *reactorRig) outagesByComp() map[string][]store.Outage {
	g.t.Helper()
	outs, err := g.st.Outages(g.t.Context(), store.OutageFilter{})
	if err != nil {
		g.t.Fatal(err)
	}
	m := map[string][]store.Outage{}
	for _, o := range outs {
		m[o.ComponentID] = append(m[o.ComponentID], o)
	}
	return m
}

// The router goes down and takes four servers' services with it: one
// incident, the router's, naming them; not a network event; no incident of
// their own; each outage measured. A service that stays down after the
// router is back is news of its own once the hold after the router's
// resolution is over.
func TestReactorDependsOn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		g := newRigFrom(t, b, routedYAML(), pt(8, 12, 9, 48, 0))
		router := g.outage("router/core", pt(8, 12, 9, 48, 0), time.Time{}) // detected 9:49:00
		// One child failed 30 s before the router's monitor saw it fail
		// (within the hold), the rest after.
		early := g.outage("zapp/web", pt(8, 12, 9, 47, 30), time.Time{})
		kids := []*store.Outage{early}
		for _, c := range []string{"flexo/web", "mom/web", "mom/email", "elzar/web"} {
			kids = append(kids, g.outage(c, pt(8, 12, 9, 48, 10), time.Time{}))
		}
		g.pass(pt(8, 12, 9, 49, 0))
		if n := len(g.incidents()); n != 0 {
			t.Fatalf("%d incidents while the router's outage is held", n)
		}
		g.pass(pt(8, 12, 9, 49, 40))
		list := g.incidents()
		if len(list) != 1 {
			t.Fatalf("%d incidents, want the router's alone: %+v", len(list), list)
		}
		in := list[0]
		if in.Title != "Core router on router not responding" {
			t.Errorf("title %q: not the router's own", in.Title)
		}
		for _, c := range []string{"router/core", "zapp/web", "flexo/web", "mom/web", "mom/email", "elzar/web"} {
			if st, _ := in.ComponentStatusOf(c); st != status.MajorOutage {
				t.Errorf("%s is %q in the router's incident, want major_outage", c, st)
			}
		}
		if _, listed := in.ComponentStatusOf("flexo/email"); listed {
			t.Error("flexo/email, never down, is listed")
		}
		want := "Also affected, because they depend on the router server: Web site service on the flexo server, Web site and E-mail service on the mom server, Web site service on the elzar server and Web site service on the zapp server. We're working on it."
		if in.Updates[0].Body != want {
			t.Errorf("update:\n got %q\nwant %q", in.Updates[0].Body, want)
		}
		for c, outs := range g.outagesByComp() {
			for _, o := range outs {
				wantDecision := store.DecisionDependency
				if c == "router/core" {
					wantDecision = store.DecisionIncident
				}
				if o.Decision != wantDecision || o.IncidentID != in.ID {
					t.Errorf("%s: decision %q incident %d, want %q %d", c, o.Decision, o.IncidentID, wantDecision, in.ID)
				}
			}
		}

		// mom's Web sites come back while the router is still down: shown
		// operational in its incident, without a word.
		g.end(kids[2], pt(8, 12, 9, 50, 30))
		g.pass(pt(8, 12, 9, 50, 40))
		if got, err := g.svc.Incident(t.Context(), in.ID); err != nil {
			t.Fatal(err)
		} else if st, _ := got.ComponentStatusOf("mom/web"); st != status.Operational || len(got.Updates) != len(in.Updates) {
			t.Errorf("mom/web back: %q in the router's incident with %d updates, want operational and still %d", st, len(got.Updates), len(in.Updates))
		} else if st, _ := got.ComponentStatusOf("mom/email"); st != status.MajorOutage {
			t.Errorf("mom/email, still down, is %q", st)
		}
		// The router comes back at 9:52; mom's E-mail and zapp a moment
		// later; flexo's and elzar's web stay down.
		g.end(router, pt(8, 12, 9, 52, 0))
		g.end(kids[0], pt(8, 12, 9, 52, 20))
		g.end(kids[3], pt(8, 12, 9, 52, 20))
		g.pass(pt(8, 12, 9, 52, 5))
		got, err := g.svc.Incident(t.Context(), in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != status.Resolved || !got.ResolvedAt.Equal(pt(8, 12, 9, 52, 0)) {
			t.Fatalf("router's incident %s at %v, want resolved at its end", got.Status, got.ResolvedAt)
		}
		g.pass(pt(8, 12, 9, 52, 30))
		if n := len(g.incidents()); n != 1 {
			t.Fatalf("%d incidents within the hold after the router's return", n)
		}
		g.end(kids[4], pt(8, 12, 9, 52, 35)) // elzar's back before the hold ends
		g.pass(pt(8, 12, 9, 52, 40))
		list = g.incidents()
		if len(list) != 2 {
			t.Fatalf("%d incidents after the hold, want the router's and flexo's", len(list))
		}
		own := list[0]
		if own.ID == in.ID {
			own = list[1]
		}
		if own.Title != "Web sites on flexo not responding" || !own.StartedAt.Equal(pt(8, 12, 9, 48, 10)) {
			t.Errorf("flexo's own incident: %q from %v", own.Title, own.StartedAt)
		}
		byComp := g.outagesByComp()
		if o := byComp["flexo/web"][0]; o.Decision != store.DecisionIncident || o.IncidentID != own.ID {
			t.Errorf("flexo/web: decision %q incident %d, want its own %d", o.Decision, o.IncidentID, own.ID)
		}
		if o := byComp["elzar/web"][0]; o.Decision != store.DecisionDependency || o.IncidentID != in.ID {
			t.Errorf("elzar/web: decision %q incident %d, want the router's", o.Decision, o.IncidentID)
		}
		// Every outage is measured as it was: uptime counts them.
		for c, want := range map[string]time.Duration{"zapp/web": 4*time.Minute + 50*time.Second, "mom/email": 4*time.Minute + 10*time.Second, "mom/web": 2*time.Minute + 20*time.Second,
			"elzar/web": 4*time.Minute + 25*time.Second} {
			o := byComp[c][0]
			if got := o.EndedAt.Sub(o.StartedAt); got != want {
				t.Errorf("%s measured %v, want %v", c, got, want)
			}
		}
	})
}

// A server's own incident, opened before its router failed, stays (it was
// told) and is linked with the router's.
func TestReactorDependsOnParentLater(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		g := newRigFrom(t, b, routedYAML(), pt(8, 12, 9, 40, 0))
		g.outage("flexo/web", pt(8, 12, 9, 40, 0), time.Time{})
		g.pass(pt(8, 12, 9, 41, 40))
		list := g.incidents()
		if len(list) != 1 {
			t.Fatalf("%d incidents, want flexo's", len(list))
		}
		flexo := list[0]
		g.outage("router/core", pt(8, 12, 9, 45, 0), time.Time{})
		g.pass(pt(8, 12, 9, 46, 40))
		list = g.incidents()
		if len(list) != 2 {
			t.Fatalf("%d incidents, want flexo's and the router's", len(list))
		}
		router := list[0]
		if router.ID == flexo.ID {
			router = list[1]
		}
		if router.Title != "Core router on router not responding" || !slices.Contains(router.Links, flexo.ID) {
			t.Errorf("router's incident %q links %v, want a link to flexo's %d", router.Title, router.Links, flexo.ID)
		}
		if _, listed := router.ComponentStatusOf("flexo/web"); listed {
			t.Error("flexo/web, told in its own incident, is listed in the router's too")
		}
		g.pass(pt(8, 12, 9, 47, 0))
		if again, _ := g.svc.Incident(t.Context(), router.ID); len(again.Links) != 1 {
			t.Errorf("links after another pass: %v", again.Links)
		}
	})
}

// A parent in a maintenance window, or merely slow, explains nothing: the
// child's outage is news of its own.
func TestReactorDependsOnNotCovered(t *testing.T) {
	g := newRigFrom(t, storetest.SQLite(t), routedYAML(), pt(8, 12, 9, 48, 0))
	slow := &store.Outage{ComponentID: "router/core", MonitorID: "router/core/tcp", Severity: status.MonitorDegraded,
		StartedAt: pt(8, 12, 9, 48, 0), DetectedAt: pt(8, 12, 9, 49, 0)}
	if err := g.st.InsertOutage(t.Context(), slow); err != nil {
		t.Fatal(err)
	}
	g.outage("flexo/email", pt(8, 12, 9, 48, 10), time.Time{})
	g.pass(pt(8, 12, 9, 50, 0))
	list := g.incidents()
	titles := []string{}
	for _, in := range list {
		titles = append(titles, in.Title)
	}
	slices.Sort(titles)
	if want := []string{"Core router on router responding slowly", "E-mail on flexo not responding"}; !slices.Equal(titles, want) {
		t.Errorf("incidents %q, want %q", titles, want)
	}
}

package monitor

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// Outages decided by quorum of agents count towards a network event like
// the server's own; the texts say "unreachable (or very slow) from the
// Internet", the seed's words, only when every location counted saw each
// server fail (a location that lost its own network is not counted), and
// "unreachable or very slow" when only a quorum did.
func TestReactorNetworkFromOutside(t *testing.T) {
	const outside = "unreachable (or very slow) from the Internet"
	for _, c := range []struct {
		name    string
		failing []string // locations whose intervals show each server failing
		lost    string   // a location counted out for its own network
		want    bool
	}{
		{"every location", []string{"fra-1", "ams-1", "nyc-1"}, "", true},
		{"a quorum only", []string{"ams-1", "nyc-1"}, "", false},
		{"every location counted", []string{"ams-1", "nyc-1"}, "fra-1", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, b storetest.Backend) {
				yaml := strings.ReplaceAll(string(fleetYAML(config.AutoPublish)), `monitors: [{type: http, url:`, `monitors: [{type: http, locations: [fra-1, ams-1, nyc-1], url:`)
				g := newRigFrom(t, b, []byte(yaml), pt(8, 1, 2, 17, 0))
				ctx := t.Context()
				if c.lost != "" {
					if err := g.st.Tx(ctx, func(q *store.Queries) error {
						if err := q.TouchAgent(ctx, c.lost, "test", 0, pt(8, 1, 2, 16, 0)); err != nil {
							return err
						}
						return q.SetAgentNetwork(ctx, c.lost, pt(8, 1, 2, 15, 0), time.Time{})
					}); err != nil {
						t.Fatal(err)
					}
				}
				var outs []*store.Outage
				for i, server := range []string{"flexo", "mom", "elzar"} {
					start := pt(8, 1, 2, 16, 10*i)
					o := &store.Outage{ComponentID: server + "/web", MonitorID: server + "/web/http", Severity: status.MonitorDown,
						StartedAt: start, DetectedAt: start.Add(30 * time.Second)}
					if err := g.st.InsertOutage(ctx, o); err != nil {
						t.Fatal(err)
					}
					outs = append(outs, o)
					for _, l := range c.failing {
						li := &store.LocationInterval{MonitorID: o.MonitorID, ComponentID: o.ComponentID, Location: l,
							Severity: status.MonitorDown, StartedAt: start, Cause: "timeout"}
						if err := g.st.Tx(ctx, func(q *store.Queries) error { return q.InsertLocationInterval(ctx, li) }); err != nil {
							t.Fatal(err)
						}
					}
				}
				g.pass(pt(8, 1, 2, 20, 0))
				list := g.incidents()
				if len(list) != 1 || len(list[0].Components) != 3 {
					t.Fatalf("outages by quorum on three of four servers: %+v, want one network incident", list)
				}
				first := list[0].Updates[len(list[0].Updates)-1].Body
				if strings.Contains(first, outside) != c.want || !strings.Contains(first, "unreachable") {
					t.Errorf("seen failing from %v (counted out: %q): %q; want %q said: %v", c.failing, c.lost, first, outside, c.want)
				}
				for _, o := range outs {
					g.end(o, pt(8, 1, 2, 59, 0))
				}
				g.pass(pt(8, 1, 3, 5, 0))
				got, err := g.svc.Incident(ctx, list[0].ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.Status != status.Resolved || strings.Contains(got.Updates[0].Body, outside) != c.want {
					t.Errorf("resolution (%s): %q; want %q said: %v", got.Status, got.Updates[0].Body, outside, c.want)
				}
			})
		})
	}
}

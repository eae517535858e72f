package agent

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

var places = []string{"fra-1", "ams-1", "nyc-1"}

// span is an interval, printed as offsets from t0.
type span struct{ start, end time.Time }

func (s span) String() string {
	end := "open"
	if !s.end.IsZero() {
		end = s.end.Sub(t0).String()
	}
	return "[" + s.start.Sub(t0).String() + ", " + end + ")"
}

// scenarioConfig has one component per scenario, each with one monitor
// checked from the three places under its own quorum.
func scenarioConfig(g string, quorums []string) config.Config {
	var comps []config.Component
	for i, q := range quorums {
		comps = append(comps, config.Component{ID: fmt.Sprintf("s%d", i), Name: fmt.Sprintf("scenario %d", i), Monitors: []config.Monitor{{
			Type: "http", URL: "http://127.0.0.1:9/", Interval: config.Duration(10 * time.Second), Timeout: config.Duration(5 * time.Second),
			DownAfter: 2, UpAfter: 1, Locations: places, Quorum: q}}})
	}
	return config.Config{Page: config.Page{Title: "t", Zone: "UTC"}, Groups: []config.Group{{ID: g, Name: g, Components: comps}}}
}

// The decider, fed results from three places in time order, in pushes of
// random sizes, some sent twice, with passes at random points (seeded,
// replayable: the seed is in the failure). Invariants, per monitor:
//
//  1. Each place's intervals are exactly what its own results make through
//     status.Detector (down_after 2, up_after 1): per-location state.
//  2. At every check, when the places that have concluded "failing" by then
//     reach the quorum among those reporting, the monitor is in an outage.
//  3. An outage never covers a moment when fewer places than the quorum
//     were inside an interval of their own: no outage below the quorum.
//  4. An outage starts where some place's interval starts (or where the
//     last outage ended) and ends where one ends (measured moments, never
//     the time of a decision), lasts more than nothing, and outages of one
//     monitor never overlap.
//  5. Results sent twice are stored once.
func TestDeciderQuorumSeeded(t *testing.T) {
	seeds := []uint64{1, 2}
	if v := os.Getenv("HERALD_SIM_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("HERALD_SIM_SEED=%q: %v", v, err)
		}
		seeds = []uint64{n}
	}
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		h := newHarness(t, b, config.Config{Page: config.Page{Title: "t", Zone: "UTC"}})
		for _, seed := range seeds {
			t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) { deciderSim(t, h, seed) })
		}
	})
}

// deciderSim runs one seed's history; each seed has a group and an hour of its own.
func deciderSim(t *testing.T, h *harness, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	quorums := []string{"majority", "any", "all", "2", "majority", "1", "", "3"}
	g := fmt.Sprint("g", seed)
	h.sync(t, scenarioConfig(g, quorums))
	base := t0.Add(time.Duration(seed) * time.Hour)
	alerts := &alertLog{}
	d := NewDecider(DeciderOptions{Store: h.st, Config: h.config, Alerts: alerts, Now: h.clock.Now})
	ctx := context.Background()
	// Results: each place's level wanders; the first check of each is up.
	const steps = 45
	var all []store.AgentResult
	for i := range quorums {
		mon := fmt.Sprintf("%s/s%d/http", g, i)
		for p, place := range places {
			level := status.LevelUp
			for k := range steps {
				if k > 0 && rng.IntN(5) == 0 {
					level = []status.Level{status.LevelUp, status.LevelDown, status.LevelDown, status.LevelDegraded}[rng.IntN(4)]
				}
				at := base.Add(time.Duration(k)*10*time.Second + time.Duration(p*300+i)*time.Millisecond)
				all = append(all, store.AgentResult{RID: fmt.Sprintf("%s-%d", mon, k), Location: place, MonitorID: mon, At: at, Level: level, Message: level.String()})
			}
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].At.Before(all[j].At) })

	stored := 0
	for i := 0; i < len(all); {
		n := min(1+rng.IntN(40), len(all)-i)
		batch := all[i:min(i+n, len(all))]
		times := 1 + rng.IntN(2) // some pushes are sent twice (an answer lost)
		for range times {
			byPlace := map[string][]store.AgentResult{}
			for _, r := range batch {
				byPlace[r.Location] = append(byPlace[r.Location], r)
			}
			for _, place := range places {
				if err := h.st.Tx(ctx, func(q *store.Queries) error {
					k, err := q.InsertAgentResults(ctx, place, byPlace[place], batch[len(batch)-1].At)
					stored += k
					return err
				}); err != nil {
					t.Fatal(err)
				}
			}
		}
		i += len(batch)
		h.clock.set(batch[len(batch)-1].At)
		if rng.IntN(2) == 0 {
			if err := d.Pass(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	for range 3 {
		if err := d.Pass(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if stored != len(all) { // 5
		t.Fatalf("seed %d: %d results stored of %d sent (some twice)", seed, stored, len(all))
	}

	// Results past the watermark (the earliest of the places' latest
	// checks) wait for the other places' next checks; none come here.
	latest := map[string]time.Time{}
	for _, r := range all {
		latest[r.Location] = r.At
	}
	watermark := latest[places[0]]
	for _, l := range latest {
		if l.Before(watermark) {
			watermark = l
		}
	}
	ivs, err := h.st.LocationIntervals(ctx, false, "", base)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := h.st.Outages(ctx, store.OutageFilter{Since: base})
	if err != nil {
		t.Fatal(err)
	}
	for i, q := range quorums {
		mon := fmt.Sprintf("%s/s%d/http", g, i)
		fail := func(format string, a ...any) {
			t.Helper()
			t.Fatalf("seed %d, monitor %s (quorum %q): %s", seed, mon, q, fmt.Sprintf(format, a...))
		}

		covers := func(s span, at time.Time) bool {
			return !at.Before(s.start) && (s.end.IsZero() || at.Before(s.end))
		}
		// 1: each place's intervals from its own results alone.
		got := map[string][]span{}
		for _, li := range ivs {
			if li.MonitorID == mon {
				got[li.Location] = append(got[li.Location], span{li.StartedAt, li.EndedAt})
			}
		}
		want := map[string][]span{}
		dets := map[string]*status.Detector{}
		for _, place := range places {
			dets[place] = &status.Detector{}
		}
		var outages []span
		for _, o := range outs {
			if o.MonitorID == mon {
				outages = append(outages, span{o.StartedAt, o.EndedAt})
			}
		}
		slices.SortFunc(outages, func(a, b span) int { return a.start.Compare(b.start) })
		var allIvs []span
		for _, r := range all {
			if r.MonitorID != mon || r.At.After(watermark) {
				continue
			}
			tr, moved := dets[r.Location].Observe(r.Level, r.At, 2, 1)
			if moved && tr.Opens() {
				want[r.Location] = append(want[r.Location], span{start: tr.At})
			}
			if moved && tr.Closes() {
				w := want[r.Location]
				w[len(w)-1].end = tr.At
			}
			// 2: at this check, in an outage iff the quorum of places is failing.
			bad, reporting := 0, 0
			for _, place := range places {
				if s := dets[place].State; s != status.MonitorUnknown && s != "" {
					reporting++
					if s.Bad() {
						bad++
					}
				}
			}
			need := config.QuorumNeed(q, reporting)
			inQuorum := need > 0 && bad >= need
			inOutage := slices.ContainsFunc(outages, func(s span) bool { return covers(s, r.At) })
			if inQuorum && !inOutage {
				fail("at %s %d of %d places fail (quorum %d) but no outage covers it; outages %v", r.At.Sub(t0), bad, reporting, need, outages)
			}
		}
		for _, place := range places {
			if fmt.Sprint(got[place]) != fmt.Sprint(want[place]) {
				fail("%s's intervals are %v; its results alone make %v", place, got[place], want[place])
			}
			allIvs = append(allIvs, got[place]...)
		}
		for _, o := range outages {
			// 3: no moment of an outage below the quorum (3 places report throughout).
			need := config.QuorumNeed(q, 3)
			for _, r := range all {
				if r.MonitorID != mon || !covers(o, r.At) {
					continue
				}
				n := 0
				for _, s := range allIvs {
					if covers(s, r.At) {
						n++
					}
				}
				if n < need {
					fail("outage %v covers %s, when %d places were failing (quorum %d); places: %v", o, r.At.Sub(t0), n, need, got)
				}
			}
			// 4: measured moments.
			// (or where the last outage ended, when the quorum was lost
			// and regained at once: outages never overlap)
			if !slices.ContainsFunc(allIvs, func(s span) bool { return s.start.Equal(o.start) }) &&
				!slices.ContainsFunc(outages, func(s span) bool { return s.end.Equal(o.start) }) {
				fail("outage %v starts where no place's interval starts: %v", o, allIvs)
			}
			if !o.end.IsZero() && !slices.ContainsFunc(allIvs, func(s span) bool { return s.end.Equal(o.end) }) {
				fail("outage %v ends where no place's interval ends: %v", o, allIvs)
			}
			if !o.end.IsZero() && !o.end.After(o.start) {
				fail("outage %v lasts nothing", o)
			}
		}
		for i := 1; i < len(outages); i++ {
			prev := outages[i-1]
			if prev.end.IsZero() || outages[i].start.Before(prev.end) {
				fail("outages %v and %v overlap", prev, outages[i])
			}
		}
	}
	// A place failing below the quorum was told to the operators.
	if !strings.Contains(strings.Join(alerts.titles(), "\n"), "from") {
		t.Fatalf("seed %d: no operator alert of path trouble in %d alerts", seed, len(alerts.titles()))
	}
}

// Silence is not health: an agent heard from for no longer than twice its
// shortest interval leaves the count, with an operator alert; with every
// place silent, the monitor is unknown and its outage ends then (unknown
// is counted neither up nor down).
func TestDeciderSilence(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		h := newHarness(t, b, testConfig(""))
		alerts := &alertLog{}
		d := NewDecider(DeciderOptions{Store: h.st, Config: h.config, Alerts: alerts, Now: h.clock.Now})
		ctx := context.Background()
		const mon = "flexo/web/http"
		rid := 0
		round := func(at time.Time, levels map[string]status.Level) {
			t.Helper()
			h.clock.set(at)
			for _, place := range places {
				l, ok := levels[place]
				if !ok {
					continue // silent
				}
				rid++
				err := h.st.Tx(ctx, func(q *store.Queries) error {
					if err := q.TouchAgent(ctx, place, "test", 0, at); err != nil {
						return err
					}
					_, err := q.InsertAgentResults(ctx, place, []store.AgentResult{{RID: fmt.Sprint(rid), MonitorID: mon, At: at, Level: l}}, at)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			if err := d.Pass(ctx); err != nil {
				t.Fatal(err)
			}
		}
		up, down := status.LevelUp, status.LevelDown
		every := 10 * time.Second
		at := t0
		for range 3 {
			round(at, map[string]status.Level{"fra-1": up, "ams-1": up, "nyc-1": up})
			at = at.Add(every)
		}
		// fra-1 and ams-1 see it down: an outage.
		for range 3 {
			round(at, map[string]status.Level{"fra-1": down, "ams-1": down, "nyc-1": up})
			at = at.Add(every)
		}
		if got := d.States()[mon].State; got != status.MonitorDown {
			t.Fatalf("two of three down: %s", got)
		}
		// nyc-1 falls silent: after twice its interval it is counted out, and told.
		for range 3 {
			round(at, map[string]status.Level{"fra-1": down, "ams-1": down})
			at = at.Add(every)
		}
		agents, err := h.st.Agents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range agents {
			if silent := !a.SilentSince.IsZero(); silent != (a.Location == "nyc-1") {
				t.Fatalf("agent %s silent since %v", a.Location, a.SilentSince)
			}
		}
		if !slices.ContainsFunc(alerts.titles(), func(s string) bool { return strings.HasPrefix(s, "agent nyc-1 is silent") }) {
			t.Fatalf("no alert of nyc-1's silence: %q", alerts.titles())
		}
		// Every place silent: unknown, and the outage ends.
		silentAt := at.Add(3 * every)
		h.clock.set(silentAt)
		if err := d.Pass(ctx); err != nil {
			t.Fatal(err)
		}
		if got := d.States()[mon].State; got != status.MonitorUnknown {
			t.Fatalf("no place reporting: %s, want unknown", got)
		}
		outs, err := h.st.Outages(ctx, store.OutageFilter{})
		if err != nil || len(outs) != 1 {
			t.Fatalf("outages: %+v %v", outs, err)
		}
		if !outs[0].EndedAt.Equal(silentAt) || !outs[0].StartedAt.Equal(t0.Add(3*every)) {
			t.Fatalf("the outage is [%s, %s); want [%s, %s): from the first failed check to when the last place fell silent",
				outs[0].StartedAt, outs[0].EndedAt, t0.Add(3*every), silentAt)
		}
		// The places come back: they count again, and are told.
		round(silentAt.Add(every), map[string]status.Level{"fra-1": up, "ams-1": up, "nyc-1": up})
		round(silentAt.Add(2*every), map[string]status.Level{"fra-1": up, "ams-1": up, "nyc-1": up})
		if got := d.States()[mon].State; got != status.MonitorUp {
			t.Fatalf("back and up: %s", got)
		}
		if !slices.ContainsFunc(alerts.titles(), func(s string) bool { return strings.HasPrefix(s, "agent nyc-1 reports again") }) {
			t.Fatalf("no alert of nyc-1's return: %q", alerts.titles())
		}
	})
}

// Applied results go after monitoring.raw_results_days, as the server's own do.
func TestDeciderPrunes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		cfg := testConfig("")
		cfg.Monitoring.RawResultsDays = 1
		h := newHarness(t, b, cfg)
		d := NewDecider(DeciderOptions{Store: h.st, Config: h.config, Now: h.clock.Now})
		ctx := context.Background()
		for i, place := range places {
			if err := h.st.Tx(ctx, func(q *store.Queries) error {
				_, err := q.InsertAgentResults(ctx, place, []store.AgentResult{{RID: fmt.Sprint(i), MonitorID: "flexo/web/http", At: t0, Level: status.LevelUp}}, t0)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.Pass(ctx); err != nil {
			t.Fatal(err)
		}
		if n, _ := h.st.CountAgentResults(ctx, "fra-1", ""); n != 1 {
			t.Fatalf("a fresh result pruned: %d left", n)
		}
		h.clock.set(t0.Add(49 * time.Hour))
		if err := d.Pass(ctx); err != nil {
			t.Fatal(err)
		}
		for _, place := range places {
			if n, _ := h.st.CountAgentResults(ctx, place, ""); n != 0 {
				t.Fatalf("%s: %d results older than a day kept", place, n)
			}
		}
	})
}

package agent

import (
	"context"
	"fmt"
	"log/slog"
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
// replayable: the seed is in the failure). Each place also checks a
// reference target; in each history one place loses its network for a
// while (every check it makes fails, its reference too), and the places'
// levels otherwise wander, so places also lose their network by the share
// rule (several monitors failing from them alone). Invariants, per monitor:
//
//  1. Each place's intervals are exactly what its own results make through
//     status.Detector (down_after 2, up_after 1): per-location state.
//  2. At every check, when the places whose failures count reach the
//     quorum among those counted, the monitor is in an outage. A failure
//     counts (network.go) from its start, or from the end of an episode of
//     its place's lost network it began in, once its place is known sound:
//     it lasted the settle time (down_after × interval, 20 s) past that, or
//     its place's reference answered since; a place counts neither way
//     during an episode of its lost network.
//  3. An outage never covers a moment at which the failures that count fall
//     short of the quorum among the places counted: a place that lost its
//     network never causes an outage, nor does a failure too short to be
//     told from a place's own trouble.
//  4. An outage starts where some place's failure starts to count (or
//     where the last outage ended) and ends where a failure ends or an
//     episode begins or ends (measured moments, never the time of a
//     decision), lasts more than nothing, and outages of one monitor never
//     overlap.
//  5. Results sent twice are stored once.
//  6. Each episode of a place's lost network is told once when it begins
//     and once when it ends, never twice in a row; the place that went dark
//     is among them.
//  7. A note of path trouble is told only of a failure that counts, never
//     of one during its place's episode or one too short to count.
func TestDeciderQuorumSeeded(t *testing.T) {
	seeds := []uint64{1, 2, 3, 4}
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

// simReference is the reference target every place checks in the simulation.
var simReference = config.Monitor{Name: "resolver", Type: "tcp", Address: "127.0.0.1:9", Interval: config.Duration(10 * time.Second),
	Timeout: config.Duration(5 * time.Second), DownAfter: 2, UpAfter: 1}

const simSettle = 20 * time.Second // down_after × interval of every check in the simulation

// simEpisodes reads each place's episodes of lost network from the alerts'
// keys, checking that they alternate (invariant 6).
func simEpisodes(t *testing.T, seed uint64, alerts *alertLog) map[string][]span {
	t.Helper()
	out := map[string][]span{}
	alerts.mu.Lock()
	defer alerts.mu.Unlock()
	for _, k := range alerts.keys {
		kind, rest, _ := strings.Cut(k, ":")
		if kind != "network-lost" && kind != "network-back" {
			continue
		}
		place, msText, _ := strings.Cut(rest, ":")
		ms, err := strconv.ParseInt(msText, 10, 64)
		if err != nil {
			t.Fatalf("seed %d: alert key %q", seed, k)
		}
		at := time.UnixMilli(ms).UTC()
		eps := out[place]
		open := len(eps) > 0 && eps[len(eps)-1].end.IsZero()
		switch {
		case kind == "network-lost" && !open:
			out[place] = append(eps, span{start: at})
		case kind == "network-back" && open && !at.Before(eps[len(eps)-1].start):
			eps[len(eps)-1].end = at
		default:
			t.Fatalf("seed %d: alert %q out of turn; episodes of %s so far %v", seed, k, place, eps)
		}
	}
	return out
}

// deciderSim runs one seed's history; each seed has a group and an hour of its own.
func deciderSim(t *testing.T, h *harness, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	quorums := []string{"majority", "any", "all", "2", "majority", "1", "", "3"}
	g := fmt.Sprint("g", seed)
	cfg := scenarioConfig(g, quorums)
	cfg.Agents.References = []config.Monitor{simReference}
	h.sync(t, cfg)
	base := t0.Add(time.Duration(seed) * time.Hour)
	alerts := &alertLog{}
	d := NewDecider(DeciderOptions{Store: h.st, Config: h.config, Alerts: alerts, Now: h.clock.Now, Log: simLog()})
	ctx := context.Background()
	const steps = 45
	// One place goes dark for a while: everything it checks fails.
	dark := places[rng.IntN(len(places))]
	darkFrom, darkTo := 10+rng.IntN(10), 25+rng.IntN(10)
	isDark := func(place string, k int) bool { return place == dark && k >= darkFrom && k < darkTo }
	var all []store.AgentResult
	ref := config.ReferencePrefix + simReference.Name
	for p, place := range places {
		for k := range steps {
			level := status.LevelUp
			if isDark(place, k) {
				level = status.LevelDown
			}
			at := base.Add(time.Duration(k)*10*time.Second + time.Duration(p*300+50)*time.Millisecond)
			all = append(all, store.AgentResult{RID: fmt.Sprintf("%s-ref-%d", g, k), Location: place, MonitorID: ref, At: at, Level: level, Message: level.String()})
		}
	}
	// Results: each place's level wanders; the first check of each is up.
	for i := range quorums {
		mon := fmt.Sprintf("%s/s%d/http", g, i)
		for p, place := range places {
			level := status.LevelUp
			for k := range steps {
				if k > 0 && rng.IntN(5) == 0 {
					level = []status.Level{status.LevelUp, status.LevelDown, status.LevelDown, status.LevelDegraded}[rng.IntN(4)]
				}
				l := level
				if isDark(place, k) {
					l = status.LevelDown
				}
				at := base.Add(time.Duration(k)*10*time.Second + time.Duration(p*300+i)*time.Millisecond)
				all = append(all, store.AgentResult{RID: fmt.Sprintf("%s-%d", mon, k), Location: place, MonitorID: mon, At: at, Level: l, Message: l.String()})
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
	episodes := simEpisodes(t, seed, alerts) // 6
	if len(episodes[dark]) == 0 {
		t.Fatalf("seed %d: %s went dark from step %d to %d and no episode of its lost network was told; alerts %q", seed, dark, darkFrom, darkTo, alerts.titles())
	}
	covers := func(s span, at time.Time) bool {
		return !at.Before(s.start) && (s.end.IsZero() || at.Before(s.end))
	}
	inEpisode := func(place string, at time.Time) bool {
		return slices.ContainsFunc(episodes[place], func(s span) bool { return covers(s, at) })
	}
	// refUp lists each place's successful reference checks.
	refUp := map[string][]time.Time{}
	for _, r := range all {
		if r.MonitorID == ref && r.Level == status.LevelUp && !r.At.After(watermark) {
			refUp[r.Location] = append(refUp[r.Location], r.At)
		}
	}
	// countsFrom is when place's failing interval s counts at moment at,
	// and from when it was known to (zero: it does not): from its start,
	// or the end of the last episode before at, once known sound: the
	// settle time past that, or the place's first successful reference
	// check since, whichever is first, if no episode began in between
	// and the failure lasted till then.
	countsFrom := func(place string, s span, at time.Time) (time.Time, time.Time) {
		if !covers(s, at) || inEpisode(place, at) {
			return time.Time{}, time.Time{}
		}
		from := s.start
		for _, e := range episodes[place] {
			if !e.end.IsZero() && !e.end.After(at) && e.end.After(from) {
				from = e.end
			}
		}
		if from.After(at) {
			return time.Time{}, time.Time{}
		}
		known := from.Add(simSettle)
		if i := slices.IndexFunc(refUp[place], func(x time.Time) bool { return !x.Before(from) }); i >= 0 && refUp[place][i].Before(known) {
			known = refUp[place][i]
		}
		if (s.end.IsZero() && known.After(watermark)) || (!s.end.IsZero() && s.end.Before(known)) ||
			slices.ContainsFunc(episodes[place], func(e span) bool { return !e.start.Before(from) && e.start.Before(known) }) {
			return time.Time{}, time.Time{}
		}
		return from, known
	}
	var paths []string
	alerts.mu.Lock()
	for _, k := range alerts.keys {
		if strings.HasPrefix(k, "path:"+g+"/") {
			paths = append(paths, k)
		}
	}
	alerts.mu.Unlock()
	for i, q := range quorums {
		mon := fmt.Sprintf("%s/s%d/http", g, i)
		fail := func(format string, a ...any) {
			t.Helper()
			t.Fatalf("seed %d (%s dark from step %d to %d, episodes %v), monitor %s (quorum %q): %s", seed, dark, darkFrom, darkTo, episodes, mon, q, fmt.Sprintf(format, a...))
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
		// quorumAt is whether the failures that count at moment at reach
		// the quorum among the places counted (those that conclude and are
		// not in an episode; a failure that does not count leaves its
		// place's word up). Known
		// says whether a place's failure is taken as the decider knew it
		// then (its detector at that check: invariant 2) or as measured
		// since (its interval, back to its first failed check: invariant 3);
		// then too a failure counts only once it is known to (2) or
		// whenever it came to be (3).
		quorumAt := func(at time.Time, known bool) (bool, string) {
			bad, reporting := 0, 0
			for _, place := range places {
				if inEpisode(place, at) {
					continue
				}
				failing := slices.IndexFunc(got[place], func(s span) bool { return covers(s, at) })
				if known && !dets[place].State.Bad() {
					failing = -1
				}
				counts := false
				if failing >= 0 {
					from, knownAt := countsFrom(place, got[place][failing], at)
					counts = !from.IsZero() && (!known || !knownAt.After(at))
				}
				switch {
				case counts:
					bad++
					reporting++
				case failing >= 0:
					reporting++ // a failure that does not count leaves its place's word up
				case dets[place].State != status.MonitorUnknown && dets[place].State != "":
					reporting++
				}
			}
			need := config.QuorumNeed(q, reporting)
			return need > 0 && bad >= need, fmt.Sprintf("%d of %d places counted fail (quorum %d)", bad, reporting, need)
		}
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
		}
		for _, place := range places {
			if fmt.Sprint(got[place]) != fmt.Sprint(want[place]) {
				fail("%s's intervals are %v; its results alone make %v", place, got[place], want[place])
			}
		}
		// 2 and 3, at every check (each place's detector as of that check).
		for _, place := range places {
			dets[place] = &status.Detector{}
		}
		for _, r := range all {
			if r.MonitorID != mon || r.At.After(watermark) {
				continue
			}
			dets[r.Location].Observe(r.Level, r.At, 2, 1)
			inOutage := slices.ContainsFunc(outages, func(s span) bool { return covers(s, r.At) })
			if inQuorum, why := quorumAt(r.At, true); inQuorum && !inOutage {
				fail("at %s %s but no outage covers it; outages %v; places %v", r.At.Sub(t0), why, outages, got)
			}
			if inQuorum, why := quorumAt(r.At, false); inOutage && !inQuorum {
				fail("an outage covers %s, when %s; outages %v; places %v", r.At.Sub(t0), why, outages, got)
			}
		}
		// 4: measured moments.
		var starts, ends []time.Time
		for _, place := range places {
			for _, s := range got[place] {
				ends = append(ends, s.end)
				for _, e := range append([]span{{start: s.start}}, episodes[place]...) {
					if !e.start.IsZero() {
						starts = append(starts, e.start)
					}
					if from, _ := countsFrom(place, s, e.start); !from.IsZero() {
						starts = append(starts, from)
					}
					if !e.end.IsZero() {
						if from, _ := countsFrom(place, s, e.end); !from.IsZero() {
							starts = append(starts, from)
						}
					}
				}
			}
			for _, e := range episodes[place] {
				// A place leaving the count lets the others make a quorum
				// from then, or ends one it was part of; back, it can end one.
				starts = append(starts, e.start)
				ends = append(ends, e.start, e.end)
			}
		}
		for _, o := range outages {
			if !slices.ContainsFunc(starts, o.start.Equal) && !slices.ContainsFunc(outages, func(s span) bool { return s.end.Equal(o.start) }) {
				fail("outage %v starts where no place's failure starts to count: places %v", o, got)
			}
			if !o.end.IsZero() && !slices.ContainsFunc(ends, o.end.Equal) {
				fail("outage %v ends where no place's failure ends and no episode begins or ends: places %v", o, got)
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
		// 7: notes of path trouble only of failures that count.
		for _, k := range paths {
			rest := strings.TrimPrefix(k, "path:"+mon+":")
			if rest == k {
				continue
			}
			place, msText, _ := strings.Cut(rest, ":")
			ms, _ := strconv.ParseInt(msText, 10, 64)
			from := time.UnixMilli(ms).UTC()
			if !slices.ContainsFunc(got[place], func(s span) bool { f, _ := countsFrom(place, s, from); return f.Equal(from) }) {
				fail("a note of path trouble from %s at %s, where no failure of its counts (places %v)", place, from.Sub(t0), got)
			}
		}
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

// simLog logs the decider's changes when HERALD_SIM_LOG is set (with
// HERALD_SIM_SEED, to follow one history).
func simLog() *slog.Logger {
	if os.Getenv("HERALD_SIM_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// One place goes dark (everything it checks fails) while a server is
// really down from the two others: the operators hear once that the agent
// lost its network and once that it is back, no note of path trouble names
// it, its failures make no outage under any quorum, and the real outage,
// seen from the two others, is made at its measured start: the first
// failed check of nyc-1, which completed the quorum of the two counted. By the
// reference target, and without one by the share of monitors it fails alone.
func TestDeciderLostNetwork(t *testing.T) {
	for _, withRefs := range []bool{true, false} {
		t.Run(fmt.Sprint("references ", withRefs), func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, b storetest.Backend) {
				quorums := []string{"any", "majority", "all", "1", "majority"}
				cfg := scenarioConfig("g", quorums)
				if withRefs {
					cfg.Agents.References = []config.Monitor{simReference}
				}
				h := newHarness(t, b, cfg)
				alerts := &alertLog{}
				d := NewDecider(DeciderOptions{Store: h.st, Config: h.config, Alerts: alerts, Now: h.clock.Now})
				ctx := context.Background()
				const real = "g/s1/http" // down from ams-1 and nyc-1 in rounds 8 to 13
				darkFrom, darkTo := 5, 20
				var realStart time.Time
				for k := range 30 {
					for p, place := range places {
						at := t0.Add(time.Duration(k)*10*time.Second + time.Duration(p*300)*time.Millisecond)
						dark := place == "fra-1" && k >= darkFrom && k < darkTo
						var rs []store.AgentResult
						for i := range quorums {
							mon := fmt.Sprintf("g/s%d/http", i)
							l := status.LevelUp
							if dark || (mon == real && place != "fra-1" && k >= 8 && k < 14) {
								l = status.LevelDown
							}
							if mon == real && place == "nyc-1" && k == 8 {
								realStart = at
							}
							rs = append(rs, store.AgentResult{RID: fmt.Sprint(mon, k), MonitorID: mon, At: at.Add(time.Duration(i) * time.Millisecond), Level: l})
						}
						if withRefs {
							l := status.LevelUp
							if dark {
								l = status.LevelDown
							}
							rs = append(rs, store.AgentResult{RID: fmt.Sprint("ref", k), MonitorID: config.ReferencePrefix + simReference.Name, At: at.Add(50 * time.Millisecond), Level: l})
						}
						if err := h.st.Tx(ctx, func(q *store.Queries) error {
							_, err := q.InsertAgentResults(ctx, place, rs, at)
							return err
						}); err != nil {
							t.Fatal(err)
						}
					}
					h.clock.set(t0.Add(time.Duration(k)*10*time.Second + time.Second))
					if err := d.Pass(ctx); err != nil {
						t.Fatal(err)
					}
				}
				var lost, back int
				for _, a := range alerts.titles() {
					switch {
					case strings.HasPrefix(a, "agent fra-1 has lost its network"):
						lost++
					case strings.HasPrefix(a, "agent fra-1 has its network back"):
						back++
					case strings.Contains(a, "from fra-1"):
						t.Errorf("a note of path trouble names the place that lost its network: %s", a)
					case strings.HasPrefix(a, "agent "):
						t.Errorf("another place's network told: %s", a)
					}
				}
				if lost != 1 || back != 1 {
					t.Fatalf("told %d times that fra-1 lost its network and %d that it is back, want once each: %q", lost, back, alerts.titles())
				}
				outs, err := h.st.Outages(ctx, store.OutageFilter{})
				if err != nil {
					t.Fatal(err)
				}
				if len(outs) != 1 || outs[0].MonitorID != real || !outs[0].StartedAt.Equal(realStart.Add(time.Millisecond)) || outs[0].EndedAt.IsZero() {
					t.Fatalf("outages %+v; want one, of %s, from nyc-1's first failed check at %s, ended", outs, real, realStart.Add(time.Millisecond))
				}
				agents, err := h.st.Agents(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, a := range agents {
					if !a.NetworkLostSince.IsZero() {
						t.Fatalf("%s still counted out for its network since %s", a.Location, a.NetworkLostSince)
					}
				}
			})
		})
	}
}

package agent

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/monitor"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

// A location that has lost its own network sees everything failing; the
// others see the same servers up. Its failures are then no evidence about
// the servers: one operator alert says so ("agent fra-1 has lost its
// network"), not a note on every component, and the location leaves the
// quorum's count until it is sound again.
//
// The rules, applied in the order of the checks:
//
//   - A location has lost its network when (a) every one of its reference
//     targets (agents.references) is failing from it while at least one
//     other location sees all of its own up, or (b) at least
//     lostMinMonitors of its monitors, and at least half of those it can be
//     compared on, fail from it alone: it sees them degraded or down while
//     most of the other locations that report on them see them up. It is
//     sound again when neither holds (for (b): when it fails at most one
//     monitor alone, or under a quarter of those compared).
//   - A location's failure counts towards a quorum (and is told to the
//     operators as path trouble) only once the location is known sound
//     after it began: every one of its reference targets has succeeded since,
//     or the results of every location have gone settle past its start
//     (settle: the longest down_after × interval of the location's checks,
//     by when every check of a location that lost its network has failed
//     too). A failure that ends sooner is not evidence of anything; one that
//     began while the location had lost its network counts from the end of
//     that episode, as if it began then.
//     Until then the location's word is what it was before (up).
//   - While it has lost its network the location leaves the count, as a
//     silent one does; an outage the others then make starts no earlier.

// lostMinMonitors is the fewest monitors failing from a location alone that
// can mean it lost its network rather than a path or two.
const lostMinMonitors = 3

// network is what the decider knows of each location's own soundness.
type network struct {
	lost map[string]time.Time // location -> since when it has lost its network
	back map[string]time.Time // location -> when its last episode ended
	// alone and compared count, per location, the monitors it fails alone
	// and those other locations report on too; contrib is each monitor's
	// part in them.
	alone, compared map[string]int
	contrib         map[string]map[string]uint8 // monitor -> location -> bits
	// pending are failures waiting to count: monitor -> location -> due.
	pending map[string]map[string]time.Time
	settle  map[string]time.Duration // location -> settle
	refs    map[string][]string      // location -> its reference ids
}

const (
	contribCompared uint8 = 1 << iota
	contribAlone
)

func newNetwork() network {
	return network{lost: map[string]time.Time{}, back: map[string]time.Time{}, alone: map[string]int{}, compared: map[string]int{},
		contrib: map[string]map[string]uint8{}, pending: map[string]map[string]time.Time{}}
}

// IsReference reports whether id names a reference target ("@reference/resolver").
func IsReference(id string) bool { return strings.HasPrefix(id, config.ReferencePrefix) }

// plan reads what the configuration says of each location: its reference
// targets and its settle time.
func (d *Decider) plan() {
	cfg := d.o.Config()
	d.net.settle, d.net.refs = cfg.LocationSettle(), map[string][]string{}
	for l := range d.net.settle {
		for _, m := range cfg.Agents.ReferencesFor(l) {
			d.net.refs[l] = append(d.net.refs[l], config.ReferencePrefix+m.Name)
		}
	}
}

// referenceSpec is location's reference target id, if it has one.
func (d *Decider) referenceSpec(location, id string) (config.Monitor, bool) {
	for _, m := range d.o.Config().Agents.ReferencesFor(location) {
		if config.ReferencePrefix+m.Name == id {
			return m, true
		}
	}
	return config.Monitor{}, false
}

// credible reports whether location's word counts at all: it reports and
// has not lost its network.
func (d *Decider) credible(location string) bool {
	return d.reporting(location) && d.net.lost[location].IsZero()
}

// countsFrom is when location's failure of monitor id, which began at
// start, counts from (start, or the end of an episode it began in), and
// whether it counts yet.
func (d *Decider) countsFrom(id, location string, start time.Time) (time.Time, bool) {
	from := start
	if b := d.net.back[location]; b.After(from) {
		from = b
	}
	_, waiting := d.net.pending[id][location]
	return from, d.credible(location) && !waiting
}

// refsSound reports whether every reference target of location has
// succeeded at or after t (false when it has none).
func (d *Decider) refsSound(location string, t time.Time) bool {
	refs := d.net.refs[location]
	for _, id := range refs {
		ls := d.locs[locKey{id, location}]
		if ls == nil || ls.LastLevel != status.LevelUp || ls.LastCheckAt.Before(t) {
			return false
		}
	}
	return len(refs) > 0
}

// refsView is what location sees of its reference targets.
func (d *Decider) refsView(location string) (allBad, allUp bool) {
	refs := d.net.refs[location]
	if len(refs) == 0 {
		return false, false
	}
	allBad, allUp = true, true
	for _, id := range refs {
		st := status.MonitorUnknown
		if ls := d.locs[locKey{id, location}]; ls != nil && ls.Detector.State != "" {
			st = ls.Detector.State
		}
		allBad = allBad && st.Bad()
		allUp = allUp && st == status.MonitorUp
	}
	return allBad, allUp
}

// recount works out monitor sp's part in each of its locations' counts.
func (d *Decider) recount(sp monitor.Spec) {
	old := d.net.contrib[sp.ID]
	next := map[string]uint8{}
	state := func(l string) status.MonitorState {
		if ls := d.locs[locKey{sp.ID, l}]; ls != nil && ls.Detector.State != "" {
			return ls.Detector.State
		}
		return status.MonitorUnknown
	}
	for _, l := range sp.Monitor.Locations {
		st := state(l)
		if st == status.MonitorUnknown {
			continue
		}
		others, up := 0, 0
		for _, x := range sp.Monitor.Locations {
			if xs := state(x); x != l && d.credible(x) && xs != status.MonitorUnknown {
				others++
				if xs == status.MonitorUp {
					up++
				}
			}
		}
		if others == 0 {
			continue
		}
		bits := contribCompared
		if st.Bad() && up*2 > others {
			bits |= contribAlone
		}
		next[l] = bits
	}
	for l, b := range old {
		d.net.compared[l] -= int(b & contribCompared)
		d.net.alone[l] -= int(b&contribAlone) >> 1
	}
	for l, b := range next {
		d.net.compared[l] += int(b & contribCompared)
		d.net.alone[l] += int(b&contribAlone) >> 1
	}
	d.net.contrib[sp.ID] = next
}

func (d *Decider) recountAll(specs map[string]monitor.Spec) {
	d.net.alone, d.net.compared, d.net.contrib = map[string]int{}, map[string]int{}, map[string]map[string]uint8{}
	for _, sp := range specs {
		d.recount(sp)
	}
}

// lostNow reports whether location has lost its network, by the rules
// above; was is whether it had. The share rule has some hysteresis, so that
// one monitor more or less does not flap it: once lost, a location is
// sound again when it fails at most one monitor alone or under a quarter of
// those compared.
func (d *Decider) lostNow(location string, was bool) bool {
	if allBad, _ := d.refsView(location); allBad {
		for x := range d.net.refs {
			if _, up := d.refsView(x); x != location && up && d.credible(x) {
				return true
			}
		}
	}
	a, c := d.net.alone[location], d.net.compared[location]
	if was {
		return a > 1 && a*4 >= c
	}
	return a >= lostMinMonitors && a*2 >= c
}

// classify looks at every location's network at moment at (a check just
// applied, or the watermark) and acts on each change: an operator alert,
// the location out of (or back in) the count, its monitors re-decided.
func (d *Decider) classify(ctx context.Context, q *store.Queries, specs map[string]monitor.Spec, at, now time.Time) error {
	for changed := true; changed; {
		changed = false
		for _, l := range slices.Sorted(maps.Keys(d.net.settle)) {
			if !d.reporting(l) {
				continue
			}
			was := !d.net.lost[l].IsZero()
			if d.lostNow(l, was) == was {
				continue
			}
			if err := d.networkMoved(ctx, q, specs, l, !was, at, now); err != nil {
				return err
			}
			// Its word changed weight in everybody's counts.
			d.recountAll(specs)
			changed = true
			break
		}
	}
	return nil
}

// networkMoved records that location lost (or regained) its network at at,
// tells the operators once, and re-decides its monitors.
func (d *Decider) networkMoved(ctx context.Context, q *store.Queries, specs map[string]monitor.Spec, location string, lost bool, at, now time.Time) error {
	var title, body, key string
	if lost {
		// It is out of the count from the check that completed the
		// evidence; its failures began earlier, and are told as such.
		d.net.lost[location] = at
		title = fmt.Sprintf("agent %s has lost its network", location)
		body = fmt.Sprintf("At %s the agent at %s sees %s failing (from %s on) while other locations see them up: its own network is in trouble, not the servers. Its location leaves the quorum's count, and its failures make no outage and no note, until it is sound again.",
			d.clock(at), location, d.lostEvidence(location), d.clock(d.lostStart(location, at)))
		key = fmt.Sprintf("network-lost:%s:%d", location, at.UnixMilli())
	} else {
		since := d.net.lost[location]
		delete(d.net.lost, location)
		d.net.back[location] = at
		title = fmt.Sprintf("agent %s has its network back", location)
		body = fmt.Sprintf("The agent at %s is sound again at %s (it had lost its network since %s); its location counts again, its failures once they are known to be its targets'.",
			location, d.clock(at), d.clock(since))
		key = fmt.Sprintf("network-back:%s:%d", location, at.UnixMilli())
		// Failures still open began in the episode, or before it: they
		// count from now, once the location is known sound.
		for k, li := range d.intervals {
			if k.location == location && li.EndedAt.IsZero() {
				d.wait(k.monitor, location, at.Add(d.net.settle[location]))
			}
		}
	}
	if err := q.SetAgentNetwork(ctx, location, d.net.lost[location], d.net.back[location]); err != nil {
		return err
	}
	if err := d.alert(ctx, q, key, title, body, nil); err != nil {
		return err
	}
	var ids []string
	for id, sp := range specs {
		if slices.Contains(sp.Monitor.Locations, location) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	cause := "agent " + location + " lost its network"
	if !lost {
		cause = "agent " + location + " has its network back"
	}
	for _, id := range ids {
		if err := d.evaluate(ctx, q, specs[id], at, cause, now); err != nil {
			return err
		}
	}
	d.changed = true
	return nil
}

// lostStart is the measured start of location's episode: the earliest
// start of its failing runs (references and monitors) that began within
// twice its settle time before at.
func (d *Decider) lostStart(location string, at time.Time) time.Time {
	start := at
	floor := at.Add(-2 * d.net.settle[location])
	for k, ls := range d.locs {
		if k.location != location || !ls.Detector.State.Bad() {
			continue
		}
		s := ls.Detector.Since
		if li := d.intervals[k]; li != nil {
			s = li.StartedAt
		}
		if s.Before(start) && !s.Before(floor) {
			start = s
		}
	}
	return start
}

func (d *Decider) lostEvidence(location string) string {
	if allBad, _ := d.refsView(location); allBad {
		return fmt.Sprintf("its %d reference target(s) and %d of its %d monitors compared", len(d.net.refs[location]), d.net.alone[location], d.net.compared[location])
	}
	return fmt.Sprintf("%d of its %d monitors compared", d.net.alone[location], d.net.compared[location])
}

// wait makes location's failure of monitor id count from due on.
func (d *Decider) wait(id, location string, due time.Time) {
	if d.net.pending[id] == nil {
		d.net.pending[id] = map[string]time.Time{}
	}
	d.net.pending[id][location] = due
}

// confirm lets the failures due by t count (those of monitor id, or all
// when id is empty), and those of locations whose references have all
// succeeded since they began: each is re-decided by quorum and, below it,
// told as path trouble. A failure that ended meanwhile is dropped: it was
// no evidence; one whose location is out of the count waits on.
func (d *Decider) confirm(ctx context.Context, q *store.Queries, specs map[string]monitor.Spec, id string, t, now time.Time) error {
	ids := []string{id}
	if id == "" {
		ids = slices.Sorted(maps.Keys(d.net.pending))
	}
	for _, mid := range ids {
		waiting := d.net.pending[mid]
		for _, l := range slices.Sorted(maps.Keys(waiting)) {
			due := waiting[l]
			k := locKey{mid, l}
			li := d.intervals[k]
			sp, ok := specs[mid]
			if !ok || li == nil || !li.EndedAt.IsZero() {
				delete(waiting, l)
				continue
			}
			if !d.credible(l) {
				// Out of the count (silent, or lost its network): it keeps
				// waiting. Back from silence, its failure counts once known
				// sound, not at once; the end of a lost-network episode
				// makes it wait afresh (networkMoved).
				continue
			}
			from, _ := d.countsFrom(mid, l, li.StartedAt)
			at := due
			switch {
			case !due.After(t):
			case d.refsSound(l, from):
				at = t
			default:
				continue
			}
			delete(waiting, l)
			if err := d.evaluate(ctx, q, sp, at, l+": "+li.Cause, now); err != nil {
				return err
			}
			if !d.mons[mid].row.Detector.State.Bad() {
				if err := d.pathAlert(ctx, q, sp, l, status.Transition{To: li.Severity, At: from}, li.Cause); err != nil {
					return err
				}
			}
		}
		if len(waiting) == 0 {
			delete(d.net.pending, mid)
		}
	}
	return nil
}

// loadNetwork restores what the decider knows of the locations' networks
// from the store, and the failures still waiting to count.
func (d *Decider) loadNetwork(specs map[string]monitor.Spec, agents []store.Agent) {
	d.net = newNetwork()
	d.plan()
	for _, a := range agents {
		if !a.NetworkLostSince.IsZero() {
			d.net.lost[a.Location] = a.NetworkLostSince
		}
		if !a.NetworkBackAt.IsZero() {
			d.net.back[a.Location] = a.NetworkBackAt
		}
	}
	// A failure due by the last check applied has been counted already
	// (or dropped); one a location's references confirmed early waits
	// again for its settle time.
	for k, li := range d.intervals {
		if li.EndedAt.IsZero() {
			from := li.StartedAt
			if b := d.net.back[k.location]; b.After(from) {
				from = b
			}
			if due := from.Add(d.net.settle[k.location]); due.After(d.done) {
				d.wait(k.monitor, k.location, due)
			}
		}
	}
	d.recountAll(specs)
}

// reference applies one check of a location's reference target: its own
// detector (down_after and up_after as configured), then what it says of
// the location's network.
func (d *Decider) reference(ctx context.Context, q *store.Queries, specs map[string]monitor.Spec, r store.AgentResult, touched map[locKey]bool, now time.Time) error {
	m, ok := d.referenceSpec(r.Location, r.MonitorID)
	if !ok {
		return nil // no longer configured there: kept, decides nothing
	}
	ls := d.record(r, touched)
	if r.Level == status.LevelUp && d.refsSound(r.Location, time.Time{}) {
		// Every reference answers: the location's failures waiting to
		// count that began before now do.
		if err := d.confirm(ctx, q, specs, "", r.At, now); err != nil {
			return err
		}
	}
	if _, moved := ls.Detector.Observe(r.Level, r.At, m.DownAfter, m.UpAfter); !moved {
		return nil
	}
	return d.classify(ctx, q, specs, r.At, now)
}

// afterLeaving is when verdict v's outage starts: v.At, or, when a location
// that lost its network since then is what let the others make the quorum,
// the moment it left the count. Its word until then is what it was before
// (up).
func (d *Decider) afterLeaving(sp monitor.Spec, views []monitor.LocationView, v monitor.Verdict) time.Time {
	var left time.Time
	with := slices.Clone(views)
	for i, lv := range with {
		if t := d.net.lost[lv.Location]; t.After(v.At) && d.reporting(lv.Location) {
			with[i].State, with[i].Reporting = status.MonitorUp, true
			if t.After(left) {
				left = t
			}
		}
	}
	if left.IsZero() {
		return v.At
	}
	if w := monitor.Decide(sp.Monitor.Quorum, with); w.State.Bad() {
		return w.At
	}
	return left
}

package monitor

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/prose"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

// The invariants, checked after every step against what is stored, read the
// way the API and the pages read it. Each says what is true of an honest
// record whatever the timing; the comments give the exact definitions.

type simInvariant struct {
	n     int
	name  string
	check func(h *simHarness, w *simWorld) []string
}

var simInvariants = []simInvariant{
	{1, "an outage is open exactly while its monitor is down", simInvOpenWhileDown},
	{2, "a published automatic incident's components and times match its outages", simInvMatchesOutages},
	{3, "one incident per network event", simInvOneNetworkIncident},
	{4, "nothing resolved while an attached outage is open", simInvNoEarlyResolve},
	{5, "nothing left open once everything is up", simInvNothingLeftOpen},
	{6, "each subscriber hears each notice once, and nothing of folded or unpublished incidents", simInvNotices},
	{7, "the public documents equal the derivation from the stored state", simInvDerived},
	{8, "drafted durations equal recorded ones", simInvDurations},
	{9, "a recovered server is not shown down by an open network incident", simInvRestored},
}

func simInvariantName(n int) string {
	if n == 0 {
		return "the pipeline runs without errors"
	}
	for _, inv := range simInvariants {
		if inv.n == n {
			return inv.name
		}
	}
	return fmt.Sprintf("invariant %d", n)
}

// simSlack is how long after a deadline a pass has surely run: one pass's
// longest simulated duration and a second.
const simSlack = 3 * time.Second

// simWorld is the stored state at one step.
type simWorld struct {
	now        time.Time
	monitors   map[string]store.Monitor
	outages    []store.Outage // oldest first
	outByID    map[int64]*store.Outage
	openFilter []store.Outage // store.OutageFilter{Open: true}, as GET /api/v1/outages?open=true reads it
	incidents  []status.Incident
	attached   map[int64][]store.Outage
	// dependents are the outages decided "dependency", by the incident of
	// the parent that covered them (sim_depends_test.go): not attached.
	dependents map[int64][]store.Outage
	windows    []status.Maintenance
	winByID    map[int64]*status.Maintenance
	deliveries []store.DeliveryInfo
	overrides  []store.Override
	lastChange int64 // the change log's newest entry when read
}

func (h *simHarness) read() (*simWorld, error) {
	ctx := h.ctx
	w := &simWorld{now: h.now(), monitors: map[string]store.Monitor{}, outByID: map[int64]*store.Outage{},
		attached: map[int64][]store.Outage{}, dependents: map[int64][]store.Outage{}, winByID: map[int64]*status.Maintenance{}}
	mons, err := h.st.Monitors(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range mons {
		w.monitors[m.ID] = m
	}
	if w.outages, err = h.st.Outages(ctx, store.OutageFilter{}); err != nil {
		return nil, err
	}
	slices.SortFunc(w.outages, func(a, b store.Outage) int { return int(a.ID - b.ID) })
	for i := range w.outages {
		o := &w.outages[i]
		w.outByID[o.ID] = o
		if _, seen := h.endSeen[o.ID]; !seen && !o.EndedAt.IsZero() {
			h.endSeen[o.ID] = h.now()
		}
		if o.Decision == store.DecisionDependency {
			w.dependents[o.IncidentID] = append(w.dependents[o.IncidentID], *o)
			if h.toldDependent[o.IncidentID] == nil {
				h.toldDependent[o.IncidentID] = map[string]bool{}
			}
			h.toldDependent[o.IncidentID][o.ComponentID] = true
		} else if o.IncidentID != 0 {
			w.attached[o.IncidentID] = append(w.attached[o.IncidentID], *o)
		}
	}
	if w.openFilter, err = h.st.Outages(ctx, store.OutageFilter{Open: true}); err != nil {
		return nil, err
	}
	// Incidents, windows, deliveries and overrides change only through the
	// service, each change with its entry in the change log: they are read
	// again only when the log has grown.
	var last int64
	if err := h.st.DB().QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM changes").Scan(&last); err != nil {
		return nil, err
	}
	if c := h.cached; c != nil && c.lastChange == last {
		w.incidents, w.windows, w.deliveries, w.overrides = c.incidents, c.windows, c.deliveries, c.overrides
	} else {
		if w.incidents, err = h.st.Incidents(ctx, store.IncidentFilter{}); err != nil {
			return nil, err
		}
		slices.SortFunc(w.incidents, func(a, b status.Incident) int { return int(a.ID - b.ID) })
		if w.windows, err = h.st.Maintenances(ctx, store.MaintenanceFilter{}); err != nil {
			return nil, err
		}
		slices.SortFunc(w.windows, func(a, b status.Maintenance) int { return int(a.ID - b.ID) })
		if w.deliveries, err = h.st.Deliveries(ctx, store.DeliveryFilter{}); err != nil {
			return nil, err
		}
		if w.overrides, err = h.st.Overrides(ctx); err != nil {
			return nil, err
		}
		h.cached = &simWorld{lastChange: last, incidents: w.incidents, windows: w.windows, deliveries: w.deliveries, overrides: w.overrides}
	}
	for i := range w.windows {
		w.winByID[w.windows[i].ID] = &w.windows[i]
	}
	return w, nil
}

// checkAll reads the store and checks every invariant.
func (h *simHarness) checkAll() {
	w, err := h.read()
	if err != nil {
		h.fatal = fmt.Errorf("read the store: %w", err)
		return
	}
	for _, o := range w.outages {
		if o.IncidentID == 0 || o.Decision == store.DecisionDependency {
			continue
		}
		if h.everAttached[o.IncidentID] == nil {
			h.everAttached[o.IncidentID] = map[int64]bool{}
		}
		h.everAttached[o.IncidentID][o.ID] = true
	}
	for _, inv := range simInvariants {
		h.checks++
		for _, msg := range inv.check(h, w) {
			h.fail(inv.n, "%s", msg)
		}
	}
	h.served, h.servedErr = nil, nil
}

// fail records a broken invariant, once per invariant and history; the
// first failure of a history carries a dump of the recent events and the store.
func (h *simHarness) fail(n int, format string, a ...any) {
	if h.broken[n] {
		return
	}
	h.broken[n] = true
	if len(h.failures) == 0 {
		h.firstDump = h.dump()
	}
	h.failures = append(h.failures, simFailure{inv: n, step: h.step, at: h.now(), msg: fmt.Sprintf(format, a...)})
}

// The helpers every invariant uses.

func (h *simHarness) monOf(o *store.Outage) *simMon {
	if i, ok := h.fleet.byID[o.MonitorID]; ok {
		return &h.fleet.mons[i]
	}
	return nil
}

func (h *simHarness) serverOf(componentID string) string {
	if i, ok := h.fleet.byComp[componentID]; ok {
		return h.fleet.mons[i].server
	}
	return strings.Split(componentID, "/")[0]
}

// newsStart is when an outage became news: its measured start, or the end
// of the maintenance window it began in and outlasted (the window's end by
// its times, status.Maintenance.Span, which the page follows: its
// completion may be written a little later, once measurements settle).
func (w *simWorld) newsStart(o *store.Outage) time.Time {
	if m := w.winByID[o.MaintenanceID]; m != nil {
		if _, end, ok := m.Span(); ok && end.After(o.StartedAt) && !w.now.Before(end) {
			return end
		}
	}
	return o.StartedAt
}

// componentsEver lists every component an incident has named, in any update.
func componentsEver(in *status.Incident) []string {
	set := map[string]bool{}
	for _, c := range in.Components {
		set[c.ComponentID] = true
	}
	for _, u := range in.Updates {
		for _, ch := range u.Changes {
			set[ch.ComponentID] = true
		}
	}
	return sortedSet(set)
}

func sortedSet(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func outageComps(outs []store.Outage) []string {
	set := map[string]bool{}
	for _, o := range outs {
		set[o.ComponentID] = true
	}
	return sortedSet(set)
}

// resolutionUpdate is the update that resolved the incident (the last time
// it went to resolved, in the order the updates were written: a resolution
// is shown at the time it backdates to); notes posted on it afterwards keep
// that status.
func resolutionUpdate(in *status.Incident) *status.IncidentUpdate {
	written := make([]*status.IncidentUpdate, len(in.Updates))
	for i := range in.Updates {
		written[i] = &in.Updates[i]
	}
	slices.SortStableFunc(written, func(a, b *status.IncidentUpdate) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return int(a.ID - b.ID)
	})
	var found *status.IncidentUpdate
	prev := status.IncidentStatus("")
	for _, u := range written {
		if u.Status == status.Resolved && prev != status.Resolved {
			found = u
		}
		prev = u.Status
	}
	return found
}

func (h *simHarness) describe(o *store.Outage) string {
	end := "open"
	if !o.EndedAt.IsZero() {
		end = "to " + h.rel(o.EndedAt)
	}
	return fmt.Sprintf("outage #%d of %s (%s, from %s %s)", o.ID, o.ComponentID, o.Severity, h.rel(o.StartedAt), end)
}

// 1. An outage row is open (no end) exactly while its monitor's stored
// state is down or degraded, one at a time, and the open filter the admin
// API uses lists exactly the outages without an end.
func simInvOpenWhileDown(h *simHarness, w *simWorld) []string {
	var out []string
	openBy := map[string][]store.Outage{}
	var noEnd []int64
	for _, o := range w.outages {
		if o.EndedAt.IsZero() {
			openBy[o.MonitorID] = append(openBy[o.MonitorID], o)
			noEnd = append(noEnd, o.ID)
		}
	}
	for _, m := range h.fleet.mons {
		row := w.monitors[m.spec.ID]
		st, open := row.Detector.State, openBy[m.spec.ID]
		switch {
		case len(open) > 1:
			out = append(out, fmt.Sprintf("monitor %s has %d open outages: %s and %s", m.spec.ID, len(open), h.describe(&open[0]), h.describe(&open[1])))
		case st.Bad() && len(open) == 0:
			out = append(out, fmt.Sprintf("monitor %s is %s since %s, but none of its outages is open", m.spec.ID, st, h.rel(row.Detector.Since)))
		case !st.Bad() && len(open) == 1:
			out = append(out, fmt.Sprintf("%s has no end, but its monitor is %s since %s", h.describe(&open[0]), st, h.rel(row.Detector.Since)))
		}
	}
	var listed []int64
	for _, o := range w.openFilter {
		listed = append(listed, o.ID)
	}
	slices.Sort(listed)
	if !slices.Equal(listed, noEnd) {
		out = append(out, fmt.Sprintf("the open-outage filter (GET /api/v1/outages?open=true) lists %v; the outages without an end are %v", listed, noEnd))
	}
	return out
}

// 2. Every published automatic incident (not one an operator resolved by
// hand) has outages attached; it started at the earliest attached outage's
// start (or the end of the maintenance window that outage outlasted); once
// resolved, it was resolved at the latest attached outage's end; and the
// components it names are exactly those of its outages.
func simInvMatchesOutages(h *simHarness, w *simWorld) []string {
	var out []string
	for i := range w.incidents {
		in := &w.incidents[i]
		if !in.Auto || in.Draft || h.operatorResolved[in.ID] {
			continue
		}
		outs := w.attached[in.ID]
		if len(outs) == 0 {
			out = append(out, fmt.Sprintf("published automatic incident #%d %q (%s, %s to %s) has no outage attached: folded into another or never had one, yet it is public",
				in.ID, in.Title, in.Status, h.rel(in.StartedAt), h.rel(in.ResolvedAt)))
			continue
		}
		first, last, ended := &outs[0], &outs[0], true
		for j := range outs {
			o := &outs[j]
			if w.newsStart(o).Before(w.newsStart(first)) {
				first = o
			}
			if o.EndedAt.IsZero() {
				ended = false
			} else if o.EndedAt.After(last.EndedAt) {
				last = o
			}
		}
		if s := w.newsStart(first); !in.StartedAt.Equal(s) {
			out = append(out, fmt.Sprintf("incident #%d %q started at %s, but its earliest outage began at %s: %s",
				in.ID, in.Title, h.rel(in.StartedAt), h.rel(s), h.describe(first)))
		}
		var listed []string
		for _, c := range in.Components {
			listed = append(listed, c.ComponentID)
		}
		sort.Strings(listed)
		// Besides its outages' components it may name those of the
		// outages told in it because it was their parent's (dependents; a
		// dependent outlasting it is then told on its own, and leaves its
		// component named here): see sim_depends_test.go.
		comps := outageComps(outs)
		extra := slices.DeleteFunc(slices.Clone(listed), func(c string) bool {
			return slices.Contains(comps, c) || h.wasDependent(w, in, c)
		})
		if missing := slices.DeleteFunc(slices.Clone(comps), func(c string) bool { return slices.Contains(listed, c) }); len(missing)+len(extra) > 0 {
			out = append(out, fmt.Sprintf("incident #%d %q names %v, but its outages are on %v (and its dependents' on %v)", in.ID, in.Title, listed, comps,
				outageComps(w.dependents[in.ID])))
		}
		if in.Status == status.Resolved && ended && !in.ResolvedAt.Equal(last.EndedAt) {
			out = append(out, fmt.Sprintf("incident #%d %q was resolved at %s, but its last outage ended at %s: %s",
				in.ID, in.Title, h.rel(in.ResolvedAt), h.rel(last.EndedAt), h.describe(last)))
		}
	}
	return out
}

// 3. One incident per network event. A network event is a set of outages,
// each with severity down and none near a maintenance window on its
// component (starting within a hold of the window's span), whose detections
// all fall within the hold of the first of them (hold: that monitor's
// interval plus its timeout, the pipeline's default; an outage counts if its
// crossing check had returned — begun, plus its timeout at worst — by the
// end of the first one's hold, counted from that one's check), on more than half
// the monitored servers and at least two, each of which was wholly up when
// the event began (no other outage of it open then). Once every one of them
// has had its hold and a pass, all of them are attached to ONE incident
// (which may be a network incident already open that they joined), and no
// other automatic incident was opened for their components from the
// event's start to then (but one about outages that all began before it,
// told at the end of its hold). (An event during which Herald was down is
// left out: its holds were lost with the process.)
func simInvOneNetworkIncident(h *simHarness, w *simWorld) []string {
	if h.proc == nil {
		return nil
	}
	n := len(h.fleet.servers)
	var cands []*store.Outage
	for i := range w.outages {
		o := &w.outages[i]
		// (A component with declared parents is left out: while a parent is
		// down its outages are the parent's story; sim_depends_test.go.)
		if o.Severity == status.MonitorDown && !h.nearWindow(w, o) && !h.toldLate(o) && len(h.fleet.cfg.Parents(o.ComponentID)) == 0 {
			cands = append(cands, o)
		}
	}
	slices.SortStableFunc(cands, func(a, b *store.Outage) int { return a.DetectedAt.Compare(b.DetectedAt) })
	used := map[int64]bool{}
	var out []string
	for i, x := range cands {
		if used[x.ID] {
			continue
		}
		hold := h.monOf(x).hold()
		var members []*store.Outage
		for _, y := range cands[i:] {
			// y's crossing check had returned (at worst a timeout after it
			// began) by the end of x's hold.
			if !y.DetectedAt.Add(h.monOf(y).timeout).After(x.DetectedAt.Add(hold)) {
				members = append(members, y)
			}
		}
		start := members[0].StartedAt
		for _, y := range members {
			if y.StartedAt.Before(start) {
				start = y.StartedAt
			}
		}
		// Servers already in trouble when the event began are not part of it.
		members = slices.DeleteFunc(members, func(y *store.Outage) bool { return !h.upAt(w, h.serverOf(y.ComponentID), start, members) })
		servers := map[string]bool{}
		var detected time.Time
		var longest time.Duration
		for _, y := range members {
			servers[h.serverOf(y.ComponentID)] = true
			detected = maxTime(detected, y.DetectedAt)
			longest = max(longest, h.monOf(y).hold())
		}
		if len(servers) < 2 || 2*len(servers) <= n {
			continue
		}
		deadline := maxTime(detected, h.procStart).Add(longest + simReactEvery + simSlack)
		if w.now.Before(deadline) || slices.ContainsFunc(h.downs, func(d [2]time.Time) bool { return d[0].Before(deadline) && d[1].After(start) }) {
			continue // undecided yet, or Herald was down during it and lost its holds
		}
		comps := map[string]bool{}
		into := map[int64]bool{}
		for _, y := range members {
			used[y.ID] = true
			comps[y.ComponentID] = true
			into[y.IncidentID] = true
		}
		var opened []int64
		for j := range w.incidents {
			in := &w.incidents[j]
			if !in.Auto || in.CreatedAt.Before(start) || in.CreatedAt.After(deadline) {
				continue
			}
			// (One told at the end of its hold about an outage that began
			// before the event, on one of its components, is not another
			// incident for it.)
			earlier := len(h.everAttached[in.ID]) > 0
			for id := range h.everAttached[in.ID] {
				if o := w.outByID[id]; o == nil || !o.StartedAt.Before(start) {
					earlier = false
				}
			}
			if slices.ContainsFunc(componentsEver(in), func(c string) bool { return comps[c] }) && !earlier {
				opened = append(opened, in.ID)
			}
		}
		var holders []int64
		for id := range into {
			holders = append(holders, id)
		}
		slices.Sort(holders)
		// One holder (it may be a network incident already open that they
		// joined), and no other incident opened for them.
		if len(holders) == 1 && holders[0] != 0 && !slices.ContainsFunc(opened, func(id int64) bool { return id != holders[0] }) {
			continue
		}
		out = append(out, fmt.Sprintf("network event: %d of %d servers (%s) went down from %s, detected %s to %s; want one incident holding all %d outages, got incidents %v opened for them and their outages in %v (0: none)",
			len(servers), n, strings.Join(sortedSet(servers), ", "), h.rel(start), h.rel(x.DetectedAt), h.rel(detected), len(members), opened, holders))
	}
	return out
}

// toldLate: a located monitor's outage made by what a place sent once it
// was counted in again (back from silence), detected long after it began:
// it did not begin together with the outages detected beside it.
func (h *simHarness) toldLate(o *store.Outage) bool {
	m := h.monOf(o)
	if m == nil || !m.spec.Located() || h.loc == nil {
		return false
	}
	return slices.ContainsFunc(h.loc.flips, func(f simSilence) bool {
		return !f.silent && slices.Contains(m.spec.Monitor.Locations, f.loc) && !f.at.Before(o.StartedAt) && !f.at.After(o.DetectedAt)
	})
}

// nearWindow: the outage began within a hold of a maintenance window's span
// on its component (a window that never started and was cancelled does not count).
func (h *simHarness) nearWindow(w *simWorld, o *store.Outage) bool {
	hold := h.monOf(o).hold()
	for i := range w.windows {
		m := &w.windows[i]
		if !slices.Contains(m.Components, o.ComponentID) || (m.Status == status.Cancelled && m.StartedAt.IsZero()) {
			continue
		}
		from, until := m.StartedAt, m.CompletedAt
		if from.IsZero() {
			from = m.ScheduledFor
		}
		if until.IsZero() {
			until = maxTime(m.ScheduledUntil, w.now)
		}
		if !o.StartedAt.Before(from.Add(-hold)) && !o.StartedAt.After(until.Add(hold)) {
			return true
		}
	}
	return false
}

// upAt: no outage of the server but those given was open at t.
func (h *simHarness) upAt(w *simWorld, server string, t time.Time, except []*store.Outage) bool {
	for i := range w.outages {
		z := &w.outages[i]
		if h.serverOf(z.ComponentID) != server || slices.ContainsFunc(except, func(y *store.Outage) bool { return y.ID == z.ID }) {
			continue
		}
		if !z.StartedAt.After(t) && (z.EndedAt.IsZero() || z.EndedAt.After(t)) {
			return false
		}
	}
	return true
}

// 4. No published incident (but one an operator resolved by hand) was
// resolved while an outage attached to it — now, or at any earlier step —
// was still open: each such outage ended no later than the moment the
// resolution was written.
func simInvNoEarlyResolve(h *simHarness, w *simWorld) []string {
	var out []string
	for i := range w.incidents {
		in := &w.incidents[i]
		if in.Status != status.Resolved || in.Draft || h.operatorResolved[in.ID] {
			continue
		}
		written := in.ResolvedAt
		if u := resolutionUpdate(in); u != nil {
			written = u.CreatedAt
		}
		var ids []int64
		for id := range h.everAttached[in.ID] {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			o := w.outByID[id]
			if o == nil || (!o.EndedAt.IsZero() && !o.EndedAt.After(written)) {
				continue
			}
			now := ""
			if o.IncidentID != in.ID {
				now = fmt.Sprintf(", attached to it before and now to #%d", o.IncidentID)
			}
			out = append(out, fmt.Sprintf("incident #%d %q was resolved at %s while %s was still open%s", in.ID, in.Title, h.rel(written), h.describe(o), now))
		}
	}
	return out
}

// 5. Once every monitor is up, and a hold and a reactor period have passed
// since the last came back (and since Herald started), no outage and no
// automatic incident (published or draft) is open.
func simInvNothingLeftOpen(h *simHarness, w *simWorld) []string {
	if h.proc == nil {
		return nil
	}
	since := h.procStart
	for _, m := range h.fleet.mons {
		row := w.monitors[m.spec.ID]
		if row.Detector.State != status.MonitorUp {
			return nil
		}
		since = maxTime(since, row.Detector.Since)
	}
	if w.now.Before(since.Add(h.fleet.maxHold + simReactEvery + simSlack)) {
		return nil
	}
	var out []string
	for i := range w.outages {
		if o := &w.outages[i]; o.EndedAt.IsZero() {
			out = append(out, fmt.Sprintf("every monitor is up since %s, yet %s", h.rel(since), h.describe(o)))
		}
	}
	for i := range w.incidents {
		if in := &w.incidents[i]; in.Auto && in.Status != status.Resolved {
			out = append(out, fmt.Sprintf("every monitor is up since %s, yet automatic incident #%d %q (draft: %v) is still %s",
				h.rel(since), in.ID, in.Title, in.Draft, in.Status))
		}
	}
	return out
}

// 6. Notices. For each subscriber and incident: nothing at all about a
// draft, nor about a published automatic incident with no outage of its own
// (folded into another, or phantom); nothing about an incident none of
// whose components (in any update) the subscriber covers; and for one it
// covers, exactly one "incident.create", before any other notice about it,
// and exactly one "incident.resolve" once it is resolved (none before).
func simInvNotices(h *simHarness, w *simWorld) []string {
	type key struct{ sub, incident int64 }
	got := map[key][]store.DeliveryInfo{}
	for _, d := range w.deliveries {
		id, ok := strings.CutPrefix(d.Subject, "incident:")
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			continue
		}
		k := key{d.SubscriberID, n}
		got[k] = append(got[k], d)
	}
	kinds := func(ds []store.DeliveryInfo) []string {
		var out []string
		for _, d := range ds {
			out = append(out, d.EventKind)
		}
		return out
	}
	var out []string
	for i := range w.incidents {
		in := &w.incidents[i]
		ever := componentsEver(in)
		folded := in.Auto && !in.Draft && len(w.attached[in.ID]) == 0
		for _, s := range h.subs {
			ds := got[key{s.ID, in.ID}]
			covers := s.All || slices.ContainsFunc(s.Components, func(c string) bool { return slices.Contains(ever, c) })
			who := fmt.Sprintf("subscriber %s", s.Address)
			switch {
			case in.Draft:
				if len(ds) > 0 {
					out = append(out, fmt.Sprintf("%s was told %v about draft incident #%d %q", who, kinds(ds), in.ID, in.Title))
				}
			case folded:
				if len(ds) > 0 {
					out = append(out, fmt.Sprintf("%s was told %v about incident #%d %q, which has no outage of its own (folded into another, or phantom)",
						who, kinds(ds), in.ID, in.Title))
				}
			case !covers:
				if len(ds) > 0 {
					out = append(out, fmt.Sprintf("%s was told %v about incident #%d %q on %v, none of which they follow", who, kinds(ds), in.ID, in.Title, ever))
				}
			default:
				creates, resolves := 0, 0
				for _, d := range ds {
					switch d.EventKind {
					case "incident.create":
						creates++
					case "incident.resolve":
						resolves++
					}
				}
				switch {
				case creates != 1:
					out = append(out, fmt.Sprintf("%s follows %v of incident #%d %q and got %d \"incident.create\" (want exactly one); their notices: %v",
						who, ever, in.ID, in.Title, creates, kinds(ds)))
				case ds[0].EventKind != "incident.create":
					out = append(out, fmt.Sprintf("%s's first notice of incident #%d %q was %q, not \"incident.create\"; their notices: %v",
						who, in.ID, in.Title, ds[0].EventKind, kinds(ds)))
				case in.Status == status.Resolved && resolves != 1, in.Status != status.Resolved && resolves != 0:
					out = append(out, fmt.Sprintf("%s got %d \"incident.resolve\" for incident #%d %q, which is %s; their notices: %v",
						who, resolves, in.ID, in.Title, in.Status, kinds(ds)))
				}
			}
		}
	}
	return out
}

// derive is each component's status as the stored records give it at the
// step's moment: the open published incidents, the maintenance windows (a
// window counts while it covers the component, status.Maintenance.Covers),
// the monitors' stored states (ignored on a component a window covers), and
// manual overrides, through status.DeriveComponent.
func (h *simHarness) derive(w *simWorld) map[string]status.ComponentStatus {
	in := status.Inputs{At: w.now, Maintenances: w.windows, Measured: map[string]status.ComponentStatus{},
		Manual: map[string]status.ComponentStatus{}}
	for _, inc := range w.incidents {
		if !inc.Draft && inc.Status.Open() {
			in.Incidents = append(in.Incidents, inc)
		}
	}
	states := map[string][]status.MonitorState{}
	for _, m := range h.fleet.mons {
		states[m.spec.ComponentID] = append(states[m.spec.ComponentID], w.monitors[m.spec.ID].Detector.State)
	}
	for c, ss := range states {
		covered := slices.ContainsFunc(w.windows, func(m status.Maintenance) bool { return m.Covers(c, w.now) })
		if s, ok := status.MeasuredStatus(ss); ok && !covered {
			in.Measured[c] = s
		}
	}
	for _, o := range w.overrides {
		in.Manual[o.ComponentID] = o.Status
	}
	out := map[string]status.ComponentStatus{}
	for c := range states {
		out[c] = status.DeriveComponent(c, in)
	}
	return out
}

// 7. The page's snapshot (and, in histories that serve it, the public
// /api/v2/components.json as read the moment an operator's write returned)
// gives every component the status the stored records derive.
func simInvDerived(h *simHarness, w *simWorld) []string {
	if h.proc == nil {
		return nil
	}
	want := h.derive(w)
	var out []string
	snap, err := h.proc.svc.Snapshot(h.ctx)
	if err != nil {
		return []string{fmt.Sprintf("snapshot: %v", err)}
	}
	measured := h.proc.svc.Measured()
	for _, c := range snap.Components {
		if c.Status != want[c.ID] {
			var stored []string
			for _, m := range h.fleet.mons {
				if m.spec.ComponentID == c.ID {
					stored = append(stored, string(w.monitors[m.spec.ID].Detector.State))
				}
			}
			out = append(out, fmt.Sprintf("the page's snapshot shows %s as %s; the stored records derive %s (its monitors stored %v; the page's measured status %q)",
				c.ID, c.Status, want[c.ID], stored, measured[c.ID]))
		}
	}
	if h.servedErr != nil {
		return append(out, h.servedErr.Error())
	}
	for _, c := range sortedKeysOf(want) {
		if h.served != nil && h.served[c] != want[c] {
			out = append(out, fmt.Sprintf("right after an operator's write returned, /api/v2/components.json shows %s as %q; the stored records derive %s",
				c, h.served[c], want[c]))
		}
	}
	return out
}

func sortedKeysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// firstSentence is a drafted text's first sentence: who, what, how long, when.
func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}

// 8. Drafted durations equal recorded ones. The resolution Herald drafted
// for an automatic incident words the recorded interval of its outages as
// package prose words it: for one server, the first sentence ("a
// four-minute interruption … between 9:48 and 9:52 AM") equals prose's for
// the outages' earliest start and latest end, and equals prose's for the
// incident's own recorded start and end (what its page header shows); for a
// network event, the text equals prose's NetworkResolved for the recorded
// start and each server's restoration (worded "from the Internet" or not:
// the reactor's rule, which can say so only of outages of located
// monitors). A maintenance window's completion
// gives each server's downtime as prose.Downtime measures the recorded
// outages in the window.
func simInvDurations(h *simHarness, w *simWorld) []string {
	loc := h.fleet.cfg.Location()
	page := func(at time.Time) prose.Page { return prose.Page{Loc: loc, Zone: config.ZoneName(loc), Now: at} }
	var out []string
	for i := range w.incidents {
		in := &w.incidents[i]
		outs := w.attached[in.ID]
		u := resolutionUpdate(in)
		if !in.Auto || in.Status != status.Resolved || h.operatorResolved[in.ID] || len(outs) == 0 || u == nil {
			continue
		}
		start, end, degraded := w.newsStart(&outs[0]), time.Time{}, true
		servers := map[string]time.Time{}
		ended := true
		for j := range outs {
			o := &outs[j]
			if o.EndedAt.IsZero() {
				ended = false
			}
			start = minTime(start, w.newsStart(o))
			end = maxTime(end, o.EndedAt)
			degraded = degraded && o.Severity == status.MonitorDegraded
			g := h.serverOf(o.ComponentID)
			servers[g] = maxTime(servers[g], o.EndedAt)
		}
		if !ended {
			continue // invariant 4's business
		}
		if len(servers) > 1 {
			ev := prose.NetworkEvent{Start: start}
			for _, g := range h.fleet.servers {
				if t, ok := servers[g]; ok {
					ev.Servers = append(ev.Servers, prose.Restoration{Server: g, Restored: t})
				} else {
					ev.Unaffected = append(ev.Unaffected, g)
				}
			}
			// Seen from outside (agents elsewhere saw every server fail)
			// the text says "from the Internet": that rule is the
			// reactor's (fromOutside, TestReactorNetworkFromOutside); it
			// can hold only when some outage is of a located monitor.
			outside := slices.ContainsFunc(outs, func(o store.Outage) bool { return h.fleet.mons[h.fleet.byComp[o.ComponentID]].spec.Located() })
			want, err := prose.NetworkResolved(ev, page(u.CreatedAt))
			if err == nil && outside && u.Body != want {
				ev.FromOutside = true
				want, err = prose.NetworkResolved(ev, page(u.CreatedAt))
			}
			if err != nil {
				out = append(out, fmt.Sprintf("network incident #%d: %v", in.ID, err))
			} else if u.Body != want {
				out = append(out, fmt.Sprintf("network incident #%d %q: the resolution says %q; the recorded outages read %q", in.ID, in.Title, u.Body, want))
			}
			continue
		}
		got := firstSentence(u.Body)
		var server string
		for g := range servers {
			server = g
		}
		var fromOutages, fromHeader []string
		for _, c := range outageComps(outs) {
			i := h.fleet.byComp[c]
			name := "Web sites"
			if h.fleet.mons[i].local == "email" {
				name = "E-mail"
			}
			po := prose.Outage{Server: server, Service: prose.ServiceNoun(h.fleet.mons[i].local, name), Start: start, End: end, Degraded: degraded}
			if s, err := prose.Resolved(po, page(u.CreatedAt)); err == nil {
				fromOutages = append(fromOutages, firstSentence(s))
			}
			po.Start, po.End = in.StartedAt, in.ResolvedAt
			if s, err := prose.Resolved(po, page(u.CreatedAt)); err == nil {
				fromHeader = append(fromHeader, firstSentence(s))
			}
		}
		switch {
		case !slices.Contains(fromOutages, got):
			out = append(out, fmt.Sprintf("incident #%d %q: the resolution says %q; its outages (%s to %s) read %q",
				in.ID, in.Title, got, h.rel(start), h.rel(end), fromOutages))
		case !slices.Contains(fromHeader, got):
			out = append(out, fmt.Sprintf("incident #%d %q: the resolution says %q; its own start and end (%s to %s, the page header) read %q",
				in.ID, in.Title, got, h.rel(in.StartedAt), h.rel(in.ResolvedAt), fromHeader))
		}
	}
	for i := range w.windows {
		m := &w.windows[i]
		if msg := h.checkCompletion(w, m); msg != "" {
			out = append(out, msg)
		}
	}
	return out
}

// checkCompletion compares a completed window's drafted downtime with
// prose's measure of the outages recorded in it.
func (h *simHarness) checkCompletion(w *simWorld, m *status.Maintenance) string {
	if m.Status != status.Completed {
		return ""
	}
	var body string
	for _, u := range m.Updates { // newest first
		if u.Status == status.Completed {
			body = u.Body
			break
		}
	}
	start := m.StartedAt
	if start.IsZero() {
		start = m.ScheduledFor
	}
	end := m.CompletedAt
	if !end.After(start) {
		return ""
	}
	var order []string
	spans := map[string][]prose.Span{}
	for _, c := range m.Components {
		g := h.serverOf(c)
		if _, seen := spans[g]; !seen {
			order = append(order, g)
			spans[g] = nil
		}
		for _, o := range w.outages {
			if o.ComponentID == c && o.Severity == status.MonitorDown && o.StartedAt.Before(end) && (o.EndedAt.IsZero() || !o.EndedAt.Before(start)) {
				spans[g] = append(spans[g], prose.Span{Start: o.StartedAt, End: o.EndedAt})
			}
		}
	}
	report := prose.Maintenance{Planned: m.ScheduledUntil.Sub(m.ScheduledFor)}
	for _, g := range order {
		report.Servers = append(report.Servers, prose.ServerDowntime{Server: g, Downtime: prose.Downtime(prose.Span{Start: start, End: end}, spans[g])})
	}
	want, err := prose.MaintenanceCompleted(report)
	if err != nil || body == want {
		return ""
	}
	return fmt.Sprintf("maintenance #%d (%s to %s): its completion says %q; the outages recorded in it read %q", m.ID, h.rel(start), h.rel(end), body, want)
}

// 9. Restoration as it happens: while a network incident (an open automatic
// incident with outages on two servers or more) is open, a server all of
// whose outages in it have ended — a hold, a reactor period and a moment
// ago (servers back within a hold of each other are told together) — has
// none of its components shown in it as anything but operational.
func simInvRestored(h *simHarness, w *simWorld) []string {
	if h.proc == nil {
		return nil
	}
	var out []string
	for i := range w.incidents {
		in := &w.incidents[i]
		if !in.Auto || in.Draft || in.Status == status.Resolved {
			continue
		}
		back := map[string]time.Time{}
		known := map[string]time.Time{} // when the last of those ends was stored
		down := map[string]bool{}
		// (A dependent told in it, still down, keeps its server down.)
		for _, o := range append(slices.Clone(w.attached[in.ID]), w.dependents[in.ID]...) {
			g := h.serverOf(o.ComponentID)
			if o.EndedAt.IsZero() {
				down[g] = true
			}
			back[g] = maxTime(back[g], o.EndedAt)
			known[g] = maxTime(known[g], h.endSeen[o.ID])
		}
		if len(back) < 2 {
			continue
		}
		for _, g := range sortedKeysOf(back) {
			// (Counted from when the recovery was known: a monitor that
			// wants several good checks dates it from the first.)
			if down[g] || w.now.Before(maxTime(known[g], h.procStart).Add(h.fleet.maxHold+simReactEvery+simSlack)) {
				continue
			}
			for _, c := range in.Components {
				if h.serverOf(c.ComponentID) == g && c.Status != status.Operational && c.Status != status.UnderMaintenance {
					out = append(out, fmt.Sprintf("%s came back at %s, but open network incident #%d %q still shows %s as %s",
						g, h.rel(back[g]), in.ID, in.Title, c.ComponentID, c.Status))
				}
			}
		}
	}
	return out
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// dump is the recent events and the store, for a failing history's report.
func (h *simHarness) dump() string {
	var b strings.Builder
	fmt.Fprintf(&b, "fleet: %d servers (%s), auto %s, T+0 = %s; monitors:\n", len(h.fleet.servers), strings.Join(h.fleet.servers, ", "),
		h.plan.auto, h.plan.start.Format(time.RFC3339))
	for _, m := range h.fleet.mons {
		fmt.Fprintf(&b, "  %-18s every %-4s timeout %-4s down_after %d up_after %d degraded_over %s", m.spec.ID, m.interval, m.timeout,
			m.spec.Monitor.DownAfter, m.spec.Monitor.UpAfter, m.degradedOver)
		if m.spec.Located() {
			fmt.Fprintf(&b, " locations %v quorum %q", m.spec.Monitor.Locations, m.spec.Monitor.Quorum)
		}
		b.WriteString("\n")
	}
	if lp := h.plan.located; lp != nil {
		fmt.Fprintf(&b, "agents: clocks %v; paths:", lp.skew)
		for _, p := range lp.paths {
			fmt.Fprintf(&b, " %s→%s %s %s-%s;", p.loc, h.fleet.comp(p.comp), p.st, h.rel(p.from), h.rel(p.to))
		}
		b.WriteString(" network cut:")
		for _, c := range lp.cuts {
			fmt.Fprintf(&b, " %s %s-%s;", c.loc, h.rel(c.from), h.rel(c.to))
		}
		b.WriteString(" stopped:")
		for _, c := range lp.stops {
			fmt.Fprintf(&b, " %s %s-%s;", c.loc, h.rel(c.from), h.rel(c.to))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "last events:\n")
	for _, l := range h.recent {
		fmt.Fprintf(&b, "  %s\n", l)
	}
	w, err := h.read()
	if err != nil {
		fmt.Fprintf(&b, "(store unreadable: %v)\n", err)
		return b.String()
	}
	fmt.Fprintf(&b, "outages:\n")
	for i := range w.outages {
		o := &w.outages[i]
		fmt.Fprintf(&b, "  %s detected %s decision %q incident #%d maintenance #%d\n", h.describe(o), h.rel(o.DetectedAt), o.Decision, o.IncidentID, o.MaintenanceID)
	}
	fmt.Fprintf(&b, "incidents:\n")
	for i := range w.incidents {
		in := &w.incidents[i]
		var comps []string
		for _, c := range in.Components {
			comps = append(comps, c.ComponentID+"="+string(c.Status))
		}
		fmt.Fprintf(&b, "  #%d %q auto=%v draft=%v %s, %s to %s, created %s, %s\n", in.ID, in.Title, in.Auto, in.Draft, in.Status,
			h.rel(in.StartedAt), h.rel(in.ResolvedAt), h.rel(in.CreatedAt), strings.Join(comps, " "))
	}
	fmt.Fprintf(&b, "maintenance:\n")
	for i := range w.windows {
		m := &w.windows[i]
		fmt.Fprintf(&b, "  #%d %s %v scheduled %s to %s, ran %s to %s\n", m.ID, m.Status, m.Components, h.rel(m.ScheduledFor), h.rel(m.ScheduledUntil),
			h.rel(m.StartedAt), h.rel(m.CompletedAt))
	}
	return b.String()
}

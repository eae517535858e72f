package web

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/locale"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	wd "github.com/heraldhq/herald/internal/words"
)

// What the pages show of monitors checked from several places (probe
// agents, decided by quorum): a note while locations fail below the quorum
// (path trouble: no outage, no uptime cost), each outage's spans per
// location, and a monitor no location reports on as unknown. The agents'
// decider writes it all to the store; a rebuild reads it with the rest.

// locatedData is what a rebuild reads of the located monitors.
type locatedData struct {
	locations map[string][]string                       // by monitor id: its configured locations
	intervals map[string][]store.LocationInterval       // by monitor id, oldest first, over the bars' days
	states    map[string]map[string]store.LocationState // by monitor id, then location
	reporting map[string]bool                           // locations whose agent reports (not silent)
	// byIncident are the outages of located monitors linked to each
	// incident, oldest first.
	byIncident map[int64][]store.Outage
}

// loadLocated reads the located monitors' intervals and states; nil when
// no monitor has locations, at no cost.
func (s *Site) loadLocated(ctx context.Context, cfg config.Config, since time.Time) (*locatedData, error) {
	l := &locatedData{locations: map[string][]string{}, intervals: map[string][]store.LocationInterval{},
		states: map[string]map[string]store.LocationState{}, reporting: map[string]bool{}}
	for _, g := range cfg.Groups {
		for _, c := range g.Components {
			for _, m := range c.Monitors {
				if len(m.Locations) > 0 {
					l.locations[config.MonitorID(g.ID, c.ID, m)] = m.Locations
				}
			}
		}
	}
	if len(l.locations) == 0 {
		return nil, nil
	}
	ivs, err := s.svc.LocationIntervals(ctx, "", since)
	if err != nil {
		return nil, err
	}
	for _, li := range ivs {
		l.intervals[li.MonitorID] = append(l.intervals[li.MonitorID], li)
	}
	states, err := s.svc.LocationStates(ctx)
	if err != nil {
		return nil, err
	}
	for _, ls := range states {
		if l.states[ls.MonitorID] == nil {
			l.states[ls.MonitorID] = map[string]store.LocationState{}
		}
		l.states[ls.MonitorID][ls.Location] = ls
	}
	agents, err := s.svc.Agents(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range agents {
		// A place silent, or whose agent lost its own network, is counted
		// out: its failures make no note (internal/agent/network.go).
		l.reporting[a.Location] = a.SilentSince.IsZero() && a.NetworkLostSince.IsZero()
	}
	return l, nil
}

// index files the located monitors' outages under their incidents.
func (l *locatedData) index(outages map[string][]store.Outage) {
	l.byIncident = map[int64][]store.Outage{}
	for _, outs := range outages {
		for _, o := range outs {
			if _, ok := l.locations[o.MonitorID]; ok && o.IncidentID != 0 {
				l.byIncident[o.IncidentID] = append(l.byIncident[o.IncidentID], o)
			}
		}
	}
	for _, outs := range l.byIncident {
		slices.SortFunc(outs, func(a, c store.Outage) int {
			if n := a.StartedAt.Compare(c.StartedAt); n != 0 {
				return n
			}
			return cmp.Compare(a.ID, c.ID)
		})
	}
}

// overlapping are mon's intervals overlapping [from, to) (to zero: still
// going on), oldest first.
func (l *locatedData) overlapping(mon string, from, to time.Time) []store.LocationInterval {
	var out []store.LocationInterval
	for _, li := range l.intervals[mon] {
		if (to.IsZero() || li.StartedAt.Before(to)) && (li.EndedAt.IsZero() || li.EndedAt.After(from)) {
			out = append(out, li)
		}
	}
	return out
}

// heard reports how many of mon's locations report a state: their agent
// is not silent and has checked it.
func (l *locatedData) heard(mon string) int {
	n := 0
	for _, loc := range l.locations[mon] {
		if _, ok := l.states[mon][loc]; ok && l.reporting[loc] {
			n++
		}
	}
	return n
}

// troubleWord is how a location's failing interval reads.
func (b *builder) troubleWord(sev status.MonitorState) string {
	if sev == status.MonitorDown {
		return b.t("unreachable")
	}
	return b.t("located.degraded")
}

// maxSpansShown bounds the per-location spans listed for one outage: a
// location that flapped through it is summed up past that.
const maxSpansShown = 6

// locationSpans says where an outage (or a note) was seen from, worst first:
// "unreachable from fra-1 from 9:48:10 to 9:52:10 AM, from ams-1 from
// 9:48:40 AM". ref is the day the times are read against: a time on
// another day names its day.
func (b *builder) locationSpans(ivs []store.LocationInterval, ref time.Time, since bool) string {
	var parts []string
	for _, down := range []bool{true, false} {
		var froms []string
		word := ""
		for _, li := range ivs {
			if (li.Severity == status.MonitorDown) != down {
				continue
			}
			word = b.troubleWord(li.Severity)
			froms = append(froms, b.t("located.from", li.Location, b.spanFrom(li, ref, since)))
		}
		if len(froms) == 0 {
			continue
		}
		if len(froms) > maxSpansShown {
			froms = append(froms[:maxSpansShown], b.t("and %d more", len(froms)-maxSpansShown))
		}
		parts = append(parts, word+" "+strings.Join(froms, ", "))
	}
	return strings.Join(parts, "; ")
}

// spanFrom is one location's interval: "from 9:48:10 AM", "from 9:48:10 to
// 9:52:10 AM", or with since "since 9:48 AM" (a note, to the minute).
func (b *builder) spanFrom(li store.LocationInterval, ref time.Time, since bool) string {
	loc, wr := b.in.Loc, b.w.wr
	at := func(t time.Time, clock func(time.Time, *time.Location) string) string {
		if wd.SameDay(t.In(loc), ref.In(loc)) {
			return clock(t, loc)
		}
		return wr.LongDate(t.In(loc), b.in.Now) + ", " + clock(t, loc)
	}
	switch {
	case since:
		return b.t("since %s", b.t("time.at", at(li.StartedAt, wr.Clock)))
	case li.EndedAt.IsZero():
		return b.t("time.at", b.t("span.from", at(li.StartedAt, wr.ClockSeconds)))
	}
	return b.t("time.at", b.t("span.from.to", at(li.StartedAt, wr.ClockSeconds), at(li.EndedAt, wr.ClockSeconds)))
}

// capitalized is s with its first letter upper case.
func capitalized(s string) string { return locale.Upper(s) }

// locatedNote is what the component page says of a located monitor beside
// its state: path trouble below the quorum ("Unreachable from fra-1 since
// 9:48 AM Pacific time; 2 of 3 locations fine.") or, with no location
// reporting, that its state is unknown. "" when there is nothing to say.
func (b *builder) locatedNote(mon monRow) string {
	l := b.in.Monitoring.located
	if l == nil {
		return ""
	}
	locs, ok := l.locations[mon.ID]
	if !ok {
		return ""
	}
	if l.heard(mon.ID) == 0 {
		return b.t("No location reports on this check right now, so its state is unknown: counted neither up nor down.")
	}
	if mon.State.Bad() {
		return "" // an outage: the outages below say where it was seen from
	}
	open := l.overlapping(mon.ID, b.in.Now, time.Time{})
	open = slices.DeleteFunc(open, func(li store.LocationInterval) bool { return !li.EndedAt.IsZero() || !l.reporting[li.Location] })
	if len(open) == 0 {
		return ""
	}
	fine := 0
	for _, loc := range locs {
		if ls, ok := l.states[mon.ID][loc]; ok && l.reporting[loc] && ls.Detector.State == status.MonitorUp {
			fine++
		}
	}
	return b.t("%s %s; %d of %d locations fine.", capitalized(b.locationSpans(open, b.in.Now, true)),
		b.t("zone.after", b.w.Zone()), fine, len(locs))
}

// monitorWhere says where a located monitor checks from: "from fra-1,
// ams-1 and nyc-1"; "" for one the server checks.
func (b *builder) monitorWhere(id string) string {
	l := b.in.Monitoring.located
	if l == nil || len(l.locations[id]) == 0 {
		return ""
	}
	return b.t("where.from", b.w.wr.List(l.locations[id]))
}

// unheard reports whether a located monitor has no location reporting on
// it: its state is unknown, not "not decided yet".
func (b *builder) unheard(id string) bool {
	l := b.in.Monitoring.located
	if l == nil {
		return false
	}
	_, ok := l.locations[id]
	return ok && l.heard(id) == 0
}

// outageLocations says where an outage of a located monitor was seen from,
// from the locations' intervals overlapping it; "" for others.
func (b *builder) outageLocations(o store.Outage) string {
	l := b.in.Monitoring.located
	if l == nil {
		return ""
	}
	if _, ok := l.locations[o.MonitorID]; !ok {
		return ""
	}
	return b.locationSpans(l.overlapping(o.MonitorID, o.StartedAt, o.EndedAt), o.StartedAt, false)
}

// incidentLocation is one located outage of an incident, as its page lists it.
type incidentLocation struct {
	Component string // "flexo · Web"
	Spans     string // "unreachable from fra-1 from 9:48:10 AM, ... (Pacific time)."
}

// incidentLocations lists where the outages linked to an incident were seen
// from, oldest first: the per-location timeline of a located monitor's outage.
func (b *builder) incidentLocations(id int64) []incidentLocation {
	m := b.in.Monitoring
	if m == nil || m.located == nil {
		return nil
	}
	out := m.located.byIncident[id]
	var list []incidentLocation
	for _, o := range out {
		if s := b.outageLocations(o); s != "" {
			list = append(list, incidentLocation{Component: b.compName(o.ComponentID), Spans: s + " (" + b.w.Zone() + ")."})
		}
	}
	return list
}

// incidentSpanKeys fingerprints, per incident, the location intervals its
// page lists: an interval that ends after the incident was last rendered
// (one location recovering later) renders its page again.
func incidentSpanKeys(m *monitoring) map[int64]string {
	keys := map[int64]string{}
	if m == nil || m.located == nil {
		return keys
	}
	for id, outs := range m.located.byIncident {
		var k strings.Builder
		for _, o := range outs {
			fmt.Fprintf(&k, "%d-%d:", o.ID, o.EndedAt.UnixMilli())
			for _, li := range m.located.overlapping(o.MonitorID, o.StartedAt, o.EndedAt) {
				fmt.Fprintf(&k, "%d/%s/%d,", li.ID, li.Severity, li.EndedAt.UnixMilli())
			}
			k.WriteString(";")
		}
		keys[id] = k.String()
	}
	return keys
}

package prose

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/locale"
	"github.com/heraldhq/herald/internal/words"
)

// NetworkEvent is an event that took most servers down at once, told as one
// incident instead of one per server. The decision pipeline fills it from
// the measured outages: the same value drafts the incident that opens
// (NetworkInvestigating), each restoration while it is open
// (NetworkRestored) and its resolution (NetworkResolved).
type NetworkEvent struct {
	// Start is the first measured failure among the servers.
	Start time.Time
	// Servers are the affected servers, in the page's order, with the
	// measured time each came back; a server still down has a zero
	// Restored.
	Servers []Restoration
	// Unaffected names the servers that stayed up; empty means all were
	// affected.
	Unaffected []string
	// FromOutside says the outages were seen from the Internet: checked by
	// agents in other places (monitors with locations), each server seen
	// failing from every location counted. Only then do the texts say, as
	// the seed does, "unreachable (or very slow) from the Internet"; a
	// check from the server's own network cannot tell that, and the texts
	// say only "unreachable or very slow".
	FromOutside bool
}

// Restoration is when one server's service came back: the end of its last
// outage in the event, to the second (the first successful check). Servers
// are told as restored together only when they came back at the same
// second; otherwise the texts tell them in order.
type Restoration struct {
	Server   string
	Restored time.Time // zero while the server is still down
	// Told says an earlier update already told this restoration:
	// NetworkRestored leaves it out. NetworkResolved tells every one.
	Told bool
}

func (e NetworkEvent) check() error {
	if e.Start.IsZero() {
		return errors.New("prose: the network event has no start")
	}
	if len(e.Servers) == 0 {
		return errors.New("prose: the network event affected no servers")
	}
	for _, s := range e.Servers {
		if plain(s.Server) == "" {
			return errors.New("prose: a server in the network event has no name")
		}
		if !s.Restored.IsZero() && s.Restored.Before(e.Start) {
			return fmt.Errorf("prose: server %q was restored before the network event began", plain(s.Server))
		}
	}
	return nil
}

// seen is how the servers were seen to fail, as far as the checks can tell.
func (e NetworkEvent) seen() string {
	if e.FromOutside {
		return "unreachable (or very slow) from the Internet"
	}
	return "unreachable or very slow"
}

func (e NetworkEvent) most() string {
	if len(e.Unaffected) == 0 {
		return "all"
	}
	return "most"
}

// NetworkInvestigating drafts the incident a network event opens.
//
//	Most servers unreachable or very slow
//	Most of our servers are unreachable (or very slow) from the Internet. We're investigating.
//
// (without FromOutside: "Most of our servers are unreachable or very slow.")
func NetworkInvestigating(e NetworkEvent) (Text, error) {
	return NetworkInvestigatingIn(e, locale.English)
}

// NetworkInvestigatingIn is NetworkInvestigating drafted in language l.
func NetworkInvestigatingIn(e NetworkEvent, l locale.Lang) (Text, error) {
	if err := e.check(); err != nil {
		return Text{}, err
	}
	if v := netVoiceFor(l); v != nil {
		return v.investigating(e), nil
	}
	most := e.most()
	return Text{
		Title: capitalize(most) + " servers unreachable or very slow",
		Body:  capitalize(most) + " of our servers are " + e.seen() + ". We're investigating.",
	}, nil
}

// NetworkResolved drafts the update that resolves a network event: when it
// began, the servers it spared, and the restorations in the order they
// happened. Servers restored at the same second are told together; a time
// is shown to the second where it shares a minute with another time the
// text tells (another restoration, or the start), so that the order reads
// true.
//
//	Beginning at 2:16 AM Pacific time this morning, all of our servers became unreachable (or very slow) from the Internet. We restored service to all servers except flexo at 2:59 AM. We restored service to the flexo server at 3:29 AM. In all, the problem lasted 1 hour 13 minutes. All services are now operating normally.
//
// Called while some servers are still down, it says so instead of claiming
// that all is well; NetworkRestored is the update for that moment.
func NetworkResolved(e NetworkEvent, p Page) (string, error) {
	if err := e.check(); err != nil {
		return "", err
	}
	if err := p.check(); err != nil {
		return "", err
	}
	if v := netVoiceFor(p.Lang); v != nil {
		return v.resolved(e, p), nil
	}
	groups, down := restorationGroups(e.Servers)
	tell := newTeller(e.Start, groups, p)
	start, now := e.Start.In(p.Loc), p.Now.In(p.Loc)
	day := "on " + words.LongDate(start, now)
	if words.SameDay(start, now) {
		day = dayPart(start)
	}
	out := []string{"Beginning at " + tell.clock(e.Start) + " " + plain(p.Zone) + " " + day + ", " +
		e.most() + " of our servers became " + e.seen() + "."}
	if spared := nonEmpty(e.Unaffected); len(spared) > 0 {
		out = append(out, capitalize(servers(spared))+" "+wasWere(len(spared) > 1)+" not affected.")
	}

	var clauses []string
	lastDay := start
	for i, g := range groups {
		var later []string
		for _, h := range groups[i+1:] {
			later = append(later, h.servers...)
		}
		later = append(later, down...)
		at := g.at.In(p.Loc)
		when := tell.clock(g.at)
		if !words.SameDay(at, lastDay) {
			// Name the day once, when the timeline passes midnight.
			when += " on " + words.LongDate(at, now)
			lastDay = at
		}
		clauses = append(clauses, "to "+groupName(g.servers, later, i, len(e.Unaffected) > 0)+" at "+when)
	}
	switch len(clauses) {
	case 0:
	case 1:
		out = append(out, "We restored service "+clauses[0]+".")
	case 2:
		out = append(out, "We restored service "+clauses[0]+".", "We restored service "+clauses[1]+".")
	default:
		rest := clauses[1:]
		last := len(rest) - 1
		out = append(out, "We restored service "+clauses[0]+".",
			"We restored service "+strings.Join(rest[:last], ", ")+", and "+rest[last]+".")
	}
	if len(down) > 0 {
		out = append(out, "We're still working to restore service to "+servers(down)+".")
		return sentences(out...), nil
	}
	span := words.Span{Start: e.Start, End: groups[len(groups)-1].at}
	out = append(out, "In all, the problem lasted "+span.Duration()+".",
		"All services are now operating normally.")
	return sentences(out...), nil
}

// NetworkRestored drafts the update posted when servers come back while a
// network event goes on: the restorations not yet told (Told false), in
// order, and the servers still down.
//
//	We restored service to all servers except flexo at 2:59 AM.
//	We restored service to the mom and elzar servers at 2:59 AM; flexo and zapp are still unreachable.
//	We restored service to the mom server at 2:09:12 AM, the elzar server at 2:09:20 AM and the zapp server at 2:09:22 AM; flexo is still unreachable.
//	We restored service to the elzar server at 3:02 AM; only flexo is still unreachable.
//
// Times are shown as NetworkResolved shows them (to the second where two
// told times share a minute), so the update and the resolution agree. It is
// an error to call it with nothing left to tell. When no server is still
// down it says all are back; NetworkResolved is the resolution.
func NetworkRestored(e NetworkEvent, p Page) (string, error) {
	if err := e.check(); err != nil {
		return "", err
	}
	if err := p.check(); err != nil {
		return "", err
	}
	groups, down := restorationGroups(e.Servers)
	var fresh []Restoration
	earlier := false
	for _, r := range e.Servers {
		switch {
		case r.Restored.IsZero():
		case r.Told:
			earlier = true
		default:
			fresh = append(fresh, r)
		}
	}
	news, _ := restorationGroups(fresh)
	if len(news) == 0 {
		return "", errors.New("prose: no restoration in the network event is left to tell")
	}
	if v := netVoiceFor(p.Lang); v != nil {
		return v.restored(e, p, groups, news, down, earlier), nil
	}
	tell := newTeller(e.Start, groups, p)
	now := p.Now.In(p.Loc)
	clauses := make([]string, len(news))
	for i, g := range news {
		at := tell.clock(g.at)
		if !words.SameDay(g.at.In(p.Loc), now) {
			// Posted on a later day than the restoration: name its day.
			at += " on " + words.LongDate(g.at.In(p.Loc), now)
		}
		clauses[i] = servers(g.servers) + " at " + at
	}
	told := words.List(clauses)
	switch {
	case len(down) == 0:
		return "We restored service to " + told + ". All of our servers are reachable again.", nil
	case !earlier && len(news) == 1 && len(news[0].servers) >= 2 && len(news[0].servers) > len(down):
		// The seed's own words: most came back at once, a few did not.
		return "We restored service to all servers except " + mdList(down) + " at " + strings.TrimPrefix(told, servers(news[0].servers)+" at ") + ".", nil
	}
	still := mdList(down) + " " + isAre(len(down) > 1) + " still unreachable."
	if earlier && len(down) == 1 {
		still = "only " + still
	}
	return "We restored service to " + told + "; " + still, nil
}

// isAre is "are" for a plural subject, else "is".
func isAre(plural bool) string {
	if plural {
		return "are"
	}
	return "is"
}

// teller shows the times a network text tells: to the minute, or to the
// second where a time shares its minute with another told time, so that
// the order of the start and the restorations reads true.
type teller struct {
	w      words.Writer // the page's language
	loc    *time.Location
	perMin map[time.Time]int // distinct told times (to the second) per minute
}

func newTeller(start time.Time, groups []restorationGroup, p Page) teller {
	t := teller{w: words.In(p.Lang), loc: p.Loc, perMin: map[time.Time]int{}}
	seen := map[time.Time]bool{}
	for _, at := range append([]time.Time{start}, groupTimes(groups)...) {
		s := at.Truncate(time.Second)
		if !seen[s] {
			seen[s] = true
			t.perMin[at.Truncate(time.Minute)]++
		}
	}
	return t
}

func groupTimes(groups []restorationGroup) []time.Time {
	out := make([]time.Time, len(groups))
	for i, g := range groups {
		out[i] = g.at
	}
	return out
}

// clock is a told time: "2:59 AM", or "2:59:20 AM" when another told time
// falls in the same minute.
func (t teller) clock(at time.Time) string {
	if t.perMin[at.Truncate(time.Minute)] > 1 {
		return t.w.ClockSeconds(at, t.loc)
	}
	return t.w.Clock(at, t.loc)
}

type restorationGroup struct {
	servers []string  // in the page's order
	at      time.Time // when they came back, to the second
}

// restorationGroups groups the restored servers by the second they came
// back, in order, and lists those still down.
func restorationGroups(rs []Restoration) (groups []restorationGroup, down []string) {
	type restored struct {
		index int
		Restoration
	}
	var up []restored
	for i, r := range rs {
		if r.Restored.IsZero() {
			down = append(down, r.Server)
			continue
		}
		r.Restored = r.Restored.Truncate(time.Second)
		up = append(up, restored{i, r})
	}
	sort.SliceStable(up, func(i, j int) bool { return up[i].Restored.Before(up[j].Restored) })
	for i := 0; i < len(up); {
		j := i
		for j < len(up) && up[j].Restored.Equal(up[i].Restored) {
			j++
		}
		members := append([]restored(nil), up[i:j]...)
		sort.Slice(members, func(a, b int) bool { return members[a].index < members[b].index })
		g := restorationGroup{at: up[i].Restored}
		for _, m := range members {
			g.servers = append(g.servers, m.Server)
		}
		groups = append(groups, g)
		i = j
	}
	return groups, down
}

// groupName names the servers restored together: by name when they are
// few, else as "all servers except" those still to come.
func groupName(members, later []string, index int, someSpared bool) string {
	switch {
	case len(later) == 0 && index == 0 && len(members) > 2:
		if someSpared {
			return "all affected servers"
		}
		return "all servers"
	case len(later) == 0 && len(members) > 3:
		return "all other servers"
	case len(later) == 0 || len(members) <= len(later) || len(members) < 2:
		return servers(members)
	case index == 0:
		return "all servers except " + mdList(later)
	}
	return "all remaining servers except " + mdList(later)
}

func nonEmpty(names []string) []string {
	var out []string
	for _, n := range names {
		if plain(n) != "" {
			out = append(out, n)
		}
	}
	return out
}

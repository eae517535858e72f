package prose

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/words"
)

// RestoredTogether is how close restorations must be to be told as one:
// servers that came back within this much of the first of them are "all
// servers except flexo at 2:59 AM", at the time the last of them came back.
const RestoredTogether = 2 * time.Minute

// NetworkEvent is an event that took most servers down at once, told as one
// incident instead of one per server.
type NetworkEvent struct {
	// Start is the first measured failure among the servers.
	Start time.Time
	// Servers are the affected servers, in the page's order, with the
	// measured time each came back.
	Servers []Restoration
	// Unaffected names the servers that stayed up; empty means all were
	// affected.
	Unaffected []string
}

// Restoration is when one server's service came back.
type Restoration struct {
	Server   string
	Restored time.Time // zero while the server is still down
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

func (e NetworkEvent) most() string {
	if len(e.Unaffected) == 0 {
		return "all"
	}
	return "most"
}

// NetworkInvestigating drafts the incident a network event opens.
//
//	Most servers unreachable or very slow
//	Most of our servers are unreachable or very slow from the Internet. We're investigating.
func NetworkInvestigating(e NetworkEvent) (Text, error) {
	if err := e.check(); err != nil {
		return Text{}, err
	}
	most := e.most()
	return Text{
		Title: capitalize(most) + " servers unreachable or very slow",
		Body:  capitalize(most) + " of our servers are unreachable or very slow from the Internet. We're investigating.",
	}, nil
}

// NetworkResolved drafts the update that resolves a network event: when it
// began, the servers it spared, and the timeline of restoration, grouping
// servers that came back together.
//
//	Beginning at 2:16 AM Pacific time this morning, most of our servers became unreachable or very slow from the Internet. We restored service to all servers except flexo at 2:59 AM. We restored service to the flexo server at 3:29 AM. In all, the problem lasted 1 hour 13 minutes. All services are now operating normally.
//
// Called while some servers are still down, it says so instead of claiming
// that all is well, which makes it usable as a progress update too.
func NetworkResolved(e NetworkEvent, p Page) (string, error) {
	if err := e.check(); err != nil {
		return "", err
	}
	if err := p.check(); err != nil {
		return "", err
	}
	start, now := p.local(e.Start), p.Now.In(p.Loc)
	day := "on " + words.LongDate(start, now)
	if words.SameDay(start, now) {
		day = dayPart(start)
	}
	out := []string{"Beginning at " + start.Format("3:04 PM") + " " + plain(p.Zone) + " " + day + ", " +
		e.most() + " of our servers became unreachable or very slow from the Internet."}
	if spared := nonEmpty(e.Unaffected); len(spared) > 0 {
		out = append(out, capitalize(servers(spared))+" "+wasWere(len(spared) > 1)+" not affected.")
	}

	groups, down := restorationGroups(e.Servers)
	var clauses []string
	lastDay := start
	for i, g := range groups {
		var later []string
		for _, h := range groups[i+1:] {
			later = append(later, h.servers...)
		}
		later = append(later, down...)
		at := p.local(g.at)
		when := at.Format("3:04 PM")
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
	end := p.local(groups[len(groups)-1].at)
	out = append(out, "In all, the problem lasted "+words.Duration(end.Sub(start))+".",
		"All services are now operating normally.")
	return sentences(out...), nil
}

type restorationGroup struct {
	servers []string  // in the page's order
	at      time.Time // when the last of them came back
}

// restorationGroups groups the restored servers by time, and lists those
// still down.
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
		up = append(up, restored{i, r})
	}
	sort.SliceStable(up, func(i, j int) bool { return up[i].Restored.Before(up[j].Restored) })
	for i := 0; i < len(up); {
		first := up[i].Restored
		j := i
		for j < len(up) && up[j].Restored.Sub(first) <= RestoredTogether {
			j++
		}
		members := append([]restored(nil), up[i:j]...)
		sort.Slice(members, func(a, b int) bool { return members[a].index < members[b].index })
		g := restorationGroup{at: up[j-1].Restored}
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

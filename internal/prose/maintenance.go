package prose

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/words"
)

// Maintenance is what Herald measured during a completed maintenance window.
type Maintenance struct {
	// Planned is the downtime the announcement promised ("approximately
	// five minutes"); zero when it promised none.
	Planned time.Duration
	// Servers are the servers in the window, in the order the maintenance
	// names them, each with its measured downtime (see Downtime).
	Servers []ServerDowntime
}

// ServerDowntime is one server's measured downtime during a maintenance.
type ServerDowntime struct {
	Server   string
	Downtime time.Duration
}

// Span is a measured interval. A zero End means it had not ended.
type Span struct {
	Start, End time.Time
}

// Downtime is how much of window the outages cover, counting overlapping
// outages once (a server's Web site and e-mail down together is one stretch
// of downtime). An outage with no end runs to the end of the window.
func Downtime(window Span, outages []Span) time.Duration {
	var in []Span
	for _, o := range outages {
		if o.End.IsZero() || o.End.After(window.End) {
			o.End = window.End
		}
		if o.Start.Before(window.Start) {
			o.Start = window.Start
		}
		if o.End.After(o.Start) {
			in = append(in, o)
		}
	}
	sort.Slice(in, func(i, j int) bool { return in[i].Start.Before(in[j].Start) })
	var total time.Duration
	var cur Span
	for i, o := range in {
		switch {
		case i == 0:
			cur = o
		case !o.Start.After(cur.End):
			if o.End.After(cur.End) {
				cur.End = o.End
			}
		default:
			total += cur.End.Sub(cur.Start)
			cur = o
		}
	}
	if len(in) > 0 {
		total += cur.End.Sub(cur.Start)
	}
	return total
}

// MaintenanceCompleted drafts the update that completes a maintenance, with
// the measured downtime per server, compared honestly with what was
// announced.
//
//	The maintenance was completed with less than five minutes of downtime: flexo 3 minutes 10 seconds, mom 2 minutes 5 seconds, elzar 1 minute 40 seconds, zapp no downtime.
//
// Figures are worded to the second (words.Measured), never abbreviated.
func MaintenanceCompleted(m Maintenance) (string, error) {
	if len(m.Servers) == 0 {
		return "", errors.New("prose: the maintenance names no servers")
	}
	if m.Planned < 0 {
		return "", errors.New("prose: the planned downtime is negative")
	}
	var longest time.Duration
	figures := make([]string, len(m.Servers))
	for i, s := range m.Servers {
		if plain(s.Server) == "" {
			return "", errors.New("prose: a server in the maintenance has no name")
		}
		if s.Downtime < 0 {
			return "", fmt.Errorf("prose: server %q has a negative downtime", plain(s.Server))
		}
		// Compare what is shown: 4 min 59.6 s is shown, and counts, as 5 min.
		d := s.Downtime.Round(time.Second)
		if d == 0 && s.Downtime > 0 {
			d = time.Second
		}
		longest = max(longest, d)
		figure := words.Measured(s.Downtime)
		if s.Downtime == 0 {
			figure = "no downtime"
		}
		figures[i] = md(s.Server) + " " + figure
	}
	list := strings.Join(figures, ", ")
	planned := words.Measured(m.Planned)
	switch {
	case longest == 0:
		return "The maintenance was completed with no downtime.", nil
	case m.Planned == 0:
		return "The maintenance was completed with the following downtime: " + list + ".", nil
	case longest < m.Planned:
		return "The maintenance was completed with less than " + planned + " of downtime: " + list + ".", nil
	case longest == m.Planned:
		return "The maintenance was completed with no more than " + planned + " of downtime: " + list + ".", nil
	}
	return "The maintenance was completed, but took longer than planned: " + list +
		". We had announced approximately " + planned + " of downtime, and we apologize for the longer interruption.", nil
}

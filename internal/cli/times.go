package cli

import (
	"time"

	"github.com/heraldhq/herald/internal/client"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/words"
)

// pageTimes shows times as the status page does: in the page's zone, which
// the server names on every answer (client.Zone), by its name, with spans
// and their lengths by package words' rules. A server that does not name
// its zone gets UTC, labelled as such: a time is never printed without its
// zone.
type pageTimes struct {
	loc  *time.Location
	name string // "Pacific time"
	now  time.Time
}

func timesOf(c *client.Client, now time.Time) pageTimes {
	loc := time.UTC
	if z := c.Zone(); z != "" {
		if l, err := time.LoadLocation(z); err == nil {
			loc = l
		}
	}
	return pageTimes{loc: loc, name: config.ZoneName(loc), now: now}
}

// stamp is a moment to the second, sortable, with the zone's abbreviation:
// "2026-08-12 09:48:10 PDT".
func (p pageTimes) stamp(t time.Time) string { return t.In(p.loc).Format("2006-01-02 15:04:05 MST") }

// minute is a moment to the minute: "2026-08-12 09:48 PDT".
func (p pageTimes) minute(t time.Time) string { return t.In(p.loc).Format("2006-01-02 15:04 MST") }

// interval is a span's line exactly as its page shows it: "Today, 9:48 to
// 9:52 AM Pacific time · four minutes"; a nil end means it goes on.
func (p pageTimes) interval(start time.Time, end *time.Time) string {
	if end == nil {
		return words.Interval(start, time.Time{}, p.now, p.loc, p.name)
	}
	return words.Interval(start, *end, p.now, p.loc, p.name)
}

// length is how long a span lasted, as its page says it: "four minutes",
// or "six minutes so far" while it goes on.
func (p pageTimes) length(start time.Time, end *time.Time) string {
	if end == nil {
		return words.Span{Start: start, End: p.now}.Duration() + " so far"
	}
	return words.Span{Start: start, End: *end}.Duration()
}

// machineTime is a moment for the commands that read the database without
// the configuration (tokens, users), so without the page's zone: in this
// machine's zone, labelled with its abbreviation, "2026-08-12 16:48 UTC".
func machineTime(t time.Time) string { return t.Local().Format("2006-01-02 15:04 MST") }

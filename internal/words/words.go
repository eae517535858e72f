// Package words writes numbers, durations, times and days the way the
// seed posts do: small numbers in words, times in the page's zone with its
// name, days relative to now. Pages and drafted texts both use it.
package words

import (
	"fmt"
	"strings"
	"time"
)

var smallNumbers = [...]string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"}

// NumberWord writes small counts in words, as the seed posts do ("four
// minutes"), and larger ones in digits.
func NumberWord(n int) string {
	if n >= 0 && n < len(smallNumbers) {
		return smallNumbers[n]
	}
	return fmt.Sprint(n)
}

// Plural is unit, with an "s" unless n is one.
func Plural(n int, unit string) string {
	if n == 1 {
		return unit
	}
	return unit + "s"
}

// Duration says how long something lasted: "less than a minute", "four
// minutes", "two hours", "1 hour 13 minutes", "3 days 2 hours". A single unit
// takes words up to ten; a compound one takes digits, which read faster.
// Durations round to the nearest minute.
func Duration(d time.Duration) string {
	if d < time.Minute {
		return "less than a minute"
	}
	mins := int(d.Round(time.Minute) / time.Minute)
	days, hours, minutes := mins/(24*60), mins/60%24, mins%60
	type part struct {
		n    int
		unit string
	}
	var parts []part
	add := func(n int, unit string) {
		if n > 0 {
			parts = append(parts, part{n, Plural(n, unit)})
		}
	}
	if days > 0 {
		// Minutes are noise once a span runs for days.
		add(days, "day")
		add(hours, "hour")
	} else {
		add(hours, "hour")
		add(minutes, "minute")
	}
	if len(parts) == 1 {
		return NumberWord(parts[0].n) + " " + parts[0].unit
	}
	words := make([]string, len(parts))
	for i, p := range parts {
		words[i] = fmt.Sprintf("%d %s", p.n, p.unit)
	}
	return strings.Join(words, " ")
}

// Clock is a time of day in loc: "9:48 AM".
func Clock(t time.Time, loc *time.Location) string { return t.In(loc).Format("3:04 PM") }

// TimeIn is a time of day with its zone's name: "9:48 AM Pacific time".
func TimeIn(t time.Time, loc *time.Location, zone string) string {
	return Clock(t, loc) + " " + zone
}

// Range is a span within one day, as briefly as it reads clearly: "9:48 to
// 9:52 AM", "11:40 AM to 12:10 PM". A span across days names both days:
// "Friday, April 3, 11:00 PM to Saturday, April 4, 1:00 AM". now decides
// whether a year is needed.
func Range(a, b time.Time, loc *time.Location, now time.Time) string {
	a, b = a.In(loc), b.In(loc)
	if !SameDay(a, b) {
		return LongDate(a, now) + ", " + a.Format("3:04 PM") + " to " + LongDate(b, now) + ", " + b.Format("3:04 PM")
	}
	if a.Format("PM") == b.Format("PM") {
		return a.Format("3:04") + " to " + b.Format("3:04 PM")
	}
	return a.Format("3:04 PM") + " to " + b.Format("3:04 PM")
}

// SameDay reports whether a and b fall on the same calendar day, each read
// in its own location (put both in one zone first).
func SameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// LongDate is "Monday, November 23" in t's zone, with the year when it is
// not the current one.
func LongDate(t, now time.Time) string {
	now = now.In(t.Location())
	if t.Year() != now.Year() {
		return t.Format("Monday, January 2, 2006")
	}
	return t.Format("Monday, January 2")
}

// Day names t's day relative to now, both read in loc: "Today", "Yesterday",
// "Tomorrow", else "Monday, November 23".
func Day(t, now time.Time, loc *time.Location) string {
	t, now = t.In(loc), now.In(loc)
	switch {
	case SameDay(t, now):
		return "Today"
	case SameDay(t, now.AddDate(0, 0, -1)):
		return "Yesterday"
	case SameDay(t, now.AddDate(0, 0, 1)):
		return "Tomorrow"
	}
	return LongDate(t, now)
}

// When is a moment in full, for timelines: "Today, 9:48 AM Pacific time",
// "Monday, November 23, 9:48 AM Pacific time".
func When(t, now time.Time, loc *time.Location, zone string) string {
	return Day(t, now, loc) + ", " + TimeIn(t, loc, zone)
}

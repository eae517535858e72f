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
	parts := durationParts(d)
	if len(parts) == 1 {
		return NumberWord(parts[0].n) + " " + Plural(parts[0].n, parts[0].unit)
	}
	words := make([]string, len(parts))
	for i, p := range parts {
		words[i] = fmt.Sprintf("%d %s", p.n, Plural(p.n, p.unit))
	}
	return strings.Join(words, " ")
}

// Adjective says a duration of one unit as a modifier, rounded as Duration
// rounds: "four-minute", "11-minute", "one-hour". ok is false for durations
// under a minute and for compound ones ("1 hour 13 minutes"), which do not
// read well before a noun.
func Adjective(d time.Duration) (s string, ok bool) {
	if d < time.Minute {
		return "", false
	}
	parts := durationParts(d)
	if len(parts) != 1 {
		return "", false
	}
	return NumberWord(parts[0].n) + "-" + parts[0].unit, true
}

type durationPart struct {
	n    int
	unit string // singular
}

// durationParts splits d, rounded to the minute, into days and hours, or
// hours and minutes, leaving out the zero ones.
func durationParts(d time.Duration) []durationPart {
	mins := int(d.Round(time.Minute) / time.Minute)
	days, hours, minutes := mins/(24*60), mins/60%24, mins%60
	var parts []durationPart
	add := func(n int, unit string) {
		if n > 0 {
			parts = append(parts, durationPart{n, unit})
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
	return parts
}

// Short is a measured duration in brief, to the second, for lists of
// figures: "3 min 10 s", "2 min", "45 s", "1 h 5 min" (seconds are dropped
// past an hour). Anything above zero but under half a second is "under 1 s",
// so a short outage never reads as none.
func Short(d time.Duration) string {
	if d <= 0 {
		return "0 s"
	}
	secs := int64(d.Round(time.Second) / time.Second)
	if secs == 0 {
		return "under 1 s"
	}
	if secs >= 3600 {
		mins := int64(d.Round(time.Minute) / time.Minute)
		if mins%60 == 0 {
			return fmt.Sprintf("%d h", mins/60)
		}
		return fmt.Sprintf("%d h %d min", mins/60, mins%60)
	}
	m, s := secs/60, secs%60
	switch {
	case m == 0:
		return fmt.Sprintf("%d s", s)
	case s == 0:
		return fmt.Sprintf("%d min", m)
	}
	return fmt.Sprintf("%d min %d s", m, s)
}

var ordinals = [...]string{"zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"}

// Ordinal is "second", "third" ... "tenth", then "11th", "22nd", "103rd".
func Ordinal(n int) string {
	if n >= 0 && n < len(ordinals) {
		return ordinals[n]
	}
	suffix := "th"
	if n%100 < 11 || n%100 > 13 {
		switch n % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return fmt.Sprintf("%d%s", n, suffix)
}

// List joins items as a sentence does: "a", "a and b", "a, b and c" (no
// serial comma, as in the seed posts: "flexo, mom and elzar").
func List(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
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

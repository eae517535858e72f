// Package words writes numbers, durations, times and days the way the
// seed posts do: small numbers in words, times in the page's zone with its
// name, days relative to now. Pages, drafted texts, feeds, e-mails, the admin
// and the command line all use it, so an interval reads the same everywhere.
//
// The rules for a measured interval (a Span) are kept here and nowhere else:
//
//   - A time is shown as a clock shows it, to the minute with the seconds
//     dropped, never rounded up: 9:48:59 is 9:48.
//   - A span that lasted under a minute (counting whole seconds) is shown to
//     the second instead, its times and its length: "9:48:10 to 9:48:56 AM",
//     "46 seconds". Every span whose start and end fall in one minute is one
//     of these, so its times never read "9:48 to 9:48".
//   - A span's length is the difference of its times as shown, not the
//     measured difference rounded: 9:48:59 to 9:52:00 and 9:48:00 to
//     9:52:59 both read "9:48 to 9:52 AM" and both are four minutes. A page
//     header, a drafted text, a feed, an e-mail and the command line that
//     show the same span therefore show the same length, and it always adds
//     up with the times beside it.
//   - Lengths are worded, never abbreviated: "less than a second", "one
//     second", "46 seconds", "four minutes", "11 minutes", "two hours",
//     "1 hour 13 minutes", "3 days 2 hours" (one unit in words up to ten, a
//     compound one in digits, minutes left out once a span runs for days).
//   - A length that is not one span's (a day's downtime added up, a planned
//     maintenance, a reminder's lead time) rounds to the nearest minute from
//     a minute up (Duration); Measured words such a total to the second.
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

// Duration says how long something lasted: "less than a second", "46
// seconds", "four minutes", "two hours", "1 hour 13 minutes", "3 days 2
// hours". A single unit takes words up to ten; a compound one takes digits,
// which read faster. Under a minute it counts whole seconds; from a minute
// up it rounds to the nearest minute. An interval's length comes from
// Span.Length, which is already whole seconds or whole minutes.
func Duration(d time.Duration) string {
	if d < time.Minute {
		return seconds(d)
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

// seconds words a duration under a minute.
func seconds(d time.Duration) string {
	n := int(d / time.Second)
	if n < 1 {
		return "less than a second"
	}
	return NumberWord(n) + " " + Plural(n, "second")
}

// Adjective says a duration of one unit as a modifier, rounded as Duration
// rounds: "46-second", "four-minute", "11-minute", "one-hour". ok is false
// for durations under a second and for compound ones ("1 hour 13
// minutes"), which do not read well before a noun.
func Adjective(d time.Duration) (s string, ok bool) {
	if d < time.Minute {
		n := int(d / time.Second)
		if n < 1 {
			return "", false
		}
		return NumberWord(n) + "-second", true
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

// Measured words a total of measured time to the second, for figures that
// add several stretches up (a maintenance's downtime on one server, a
// period's downtime): "3 minutes 10 seconds", "46 seconds", "two minutes",
// "less than a second"; from an hour up it is Duration ("1 hour 5
// minutes"). It rounds to the nearest second, so 4 minutes 59.6 seconds is
// "five minutes"; anything above zero is at least "less than a second", so
// a short outage never reads as none. Zero is "no time".
func Measured(d time.Duration) string {
	if d <= 0 {
		return "no time"
	}
	if d >= time.Hour {
		return Duration(d)
	}
	secs := int(d.Round(time.Second) / time.Second)
	m, s := secs/60, secs%60
	switch {
	case m == 0:
		return seconds(d.Round(time.Second))
	case s == 0:
		return Duration(time.Duration(m) * time.Minute)
	}
	return fmt.Sprintf("%d %s %d %s", m, Plural(m, "minute"), s, Plural(s, "second"))
}

// Latency is a response time as the pages and the admin show it: "850
// ms", "2.3 s", "12 s", "under 1 ms".
func Latency(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.0f s", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return "under 1 ms"
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

// Clock is a time of day in loc, to the minute: "9:48 AM".
func Clock(t time.Time, loc *time.Location) string { return t.In(loc).Format("3:04 PM") }

// ClockSeconds is a time of day in loc, to the second: "9:48:10 AM".
func ClockSeconds(t time.Time, loc *time.Location) string { return t.In(loc).Format("3:04:05 PM") }

// TimeIn is a time of day with its zone's name: "9:48 AM Pacific time".
func TimeIn(t time.Time, loc *time.Location, zone string) string {
	return Clock(t, loc) + " " + zone
}

// Span is a measured interval [Start, End), as every page, text, feed,
// e-mail and command shows it (see the package comment for the rules). For
// one still going on, End is now.
type Span struct{ Start, End time.Time }

// Precise reports whether the span is shown to the second: it lasted under
// a minute, counting whole seconds.
func (s Span) Precise() bool {
	return s.End.Truncate(time.Second).Sub(s.Start.Truncate(time.Second)) < time.Minute
}

// unit is what the span's times are shown to.
func (s Span) unit() time.Duration {
	if s.Precise() {
		return time.Second
	}
	return time.Minute
}

// Shown are the span's start and end as they are shown: to the second or
// to the minute, the rest dropped.
func (s Span) Shown() (start, end time.Time) {
	u := s.unit()
	return s.Start.Truncate(u), s.End.Truncate(u)
}

// Length is how long the span lasted as shown: the difference of its shown
// times, so that 9:48:59 to 9:52:00 is four minutes.
func (s Span) Length() time.Duration {
	a, b := s.Shown()
	if b.Before(a) {
		return 0
	}
	return b.Sub(a)
}

// Duration is the span's length in words: "four minutes", "46 seconds".
func (s Span) Duration() string { return Duration(s.Length()) }

// Adjective is the span's length before a noun: "four-minute",
// "46-second"; ok is false when it does not read well there.
func (s Span) Adjective() (string, bool) { return Adjective(s.Length()) }

// Clock is one of the span's times as the span shows it: "9:48 AM", or
// "9:48:10 AM" for a span under a minute.
func (s Span) Clock(t time.Time, loc *time.Location) string {
	if s.Precise() {
		return ClockSeconds(t, loc)
	}
	return Clock(t, loc)
}

// Times are the span's two times within one day joined by join (" to ",
// " and "), folding a shared AM or PM: "9:48 to 9:52 AM", "11:58 AM and
// 12:03 PM", "9:48:10 to 9:48:56 AM".
func (s Span) Times(loc *time.Location, join string) string {
	layout := "3:04"
	if s.Precise() {
		layout = "3:04:05"
	}
	a, b := s.Start.In(loc), s.End.In(loc)
	if a.Format("PM") == b.Format("PM") {
		return a.Format(layout) + join + b.Format(layout+" PM")
	}
	return a.Format(layout+" PM") + join + b.Format(layout+" PM")
}

// Range is the span as briefly as it reads clearly: "9:48 to 9:52 AM",
// "11:40 AM to 12:10 PM", "9:48:10 to 9:48:56 AM", "9:48:10 AM" for one
// under a second. A span across days names both days: "Friday, April 3,
// 11:00 PM to Saturday, April 4, 1:00 AM". now decides whether a year is
// needed.
func (s Span) Range(loc *time.Location, now time.Time) string {
	a, b := s.Start.In(loc), s.End.In(loc)
	switch {
	case s.Length() == 0:
		return s.Clock(a, loc)
	case !SameDay(a, b):
		return LongDate(a, now) + ", " + s.Clock(a, loc) + " to " + LongDate(b, now) + ", " + s.Clock(b, loc)
	}
	return s.Times(loc, " to ")
}

// Range is Span{a, b}.Range(loc, now).
func Range(a, b time.Time, loc *time.Location, now time.Time) string {
	return Span{a, b}.Range(loc, now)
}

// Window is a span with its day and zone, as an incident's header shows it:
// "Today, 9:48 to 9:52 AM Pacific time", both days when it crosses
// midnight, "Since Today, 9:48 AM Pacific time" when end is zero.
func Window(start, end, now time.Time, loc *time.Location, zone string) string {
	return window(start, end, now, loc, zone, func(t time.Time) string { return Day(t, now, loc) })
}

// DatedWindow is Window with the date in full instead of "Today", for what
// is read later than it is written (an e-mail): "Friday, April 3, 11:00 AM
// to 12:00 PM Pacific time".
func DatedWindow(start, end, now time.Time, loc *time.Location, zone string) string {
	return window(start, end, now, loc, zone, func(t time.Time) string { return LongDate(t.In(loc), now) })
}

func window(start, end, now time.Time, loc *time.Location, zone string, day func(time.Time) string) string {
	if end.IsZero() {
		return "Since " + day(start) + ", " + TimeIn(start, loc, zone)
	}
	if SameDay(start.In(loc), end.In(loc)) {
		return day(start) + ", " + Range(start, end, loc, now) + " " + zone
	}
	return Range(start, end, loc, now) + " " + zone
}

// Interval is an incident's one line, the same on its page, in the list of
// incidents, in the admin and on the command line: "Today, 9:48 to 9:52 AM
// Pacific time · four minutes", or "Since Today, 9:48 AM Pacific time · six
// minutes so far" when end is zero.
func Interval(start, end, now time.Time, loc *time.Location, zone string) string {
	return interval(Window(start, end, now, loc, zone), start, end, now)
}

// DatedInterval is Interval with the date in full instead of "Today", for
// what is read later than it is written (an e-mail): "Wednesday, August 12,
// 9:48 to 9:52 AM Pacific time · four minutes".
func DatedInterval(start, end, now time.Time, loc *time.Location, zone string) string {
	return interval(DatedWindow(start, end, now, loc, zone), start, end, now)
}

func interval(window string, start, end, now time.Time) string {
	if end.IsZero() {
		return window + " · " + Span{start, now}.Duration() + " so far"
	}
	return window + " · " + Span{start, end}.Duration()
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

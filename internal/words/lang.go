package words

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/heraldhq/herald/internal/locale"
)

// Writer writes numbers, durations, times and days in one language, by the
// rules of the package comment (the same spans, lengths and rounding in every
// language); only the wording and the forms differ. English is the package's
// own functions; German and Spanish use a 24-hour clock and their own date,
// duration and decimal forms, from the language's catalog (internal/locale).
type Writer struct{ L *locale.Locale }

// In is the writer of language l.
func In(l locale.Lang) Writer { return Writer{locale.For(l)} }

// English writes as the package's functions do.
var English = In(locale.English)

func (w Writer) en() bool { return w.L == nil || w.L.English() }

func (w Writer) t(key string, args ...any) string { return w.L.T(key, args...) }

// Zone is the name of loc's zone as the language writes it: "Pacific time",
// "Pazifikzeit", "hora del Pacífico".
func (w Writer) Zone(zone string) string {
	if w.en() {
		return zone
	}
	if w.L.Has(zone) {
		return w.t(zone)
	}
	if city, ok := strings.CutSuffix(zone, " time"); ok {
		return w.t("zone.city", city)
	}
	return zone
}

// zoneAfter is a zone's name after a time: "Pacific time", "(Pazifikzeit)".
func (w Writer) zoneAfter(zone string) string {
	return w.t("zone.after", w.Zone(zone))
}

// NumberWord is n in words up to ten, else in digits.
func (w Writer) NumberWord(n int) string {
	if w.en() || n < 0 || n > 10 {
		return NumberWord(n)
	}
	return w.t(fmt.Sprintf("num.%d", n))
}

// List joins items as a sentence does: "a, b and c", "a, b und c", "a, b y c".
func (w Writer) List(items []string) string {
	if w.en() || len(items) < 2 {
		return List(items)
	}
	return strings.Join(items[:len(items)-1], ", ") + w.t("list.and") + items[len(items)-1]
}

// Clock is a time of day to the minute: "9:48 AM", "09:48".
func (w Writer) Clock(t time.Time, loc *time.Location) string {
	if w.en() {
		return Clock(t, loc)
	}
	return t.In(loc).Format("15:04")
}

// ClockSeconds is a time of day to the second: "9:48:10 AM", "09:48:10".
func (w Writer) ClockSeconds(t time.Time, loc *time.Location) string {
	if w.en() {
		return ClockSeconds(t, loc)
	}
	return t.In(loc).Format("15:04:05")
}

// TimeIn is a time of day with its zone: "9:48 AM Pacific time", "09:48 Uhr
// (Pazifikzeit)", "09:48 (hora del Pacífico)".
func (w Writer) TimeIn(t time.Time, loc *time.Location, zone string) string {
	if w.en() {
		return TimeIn(t, loc, zone)
	}
	return w.t("time.at", w.Clock(t, loc)) + " " + w.zoneAfter(zone)
}

// spanClock is one of a span's times as the span shows it.
func (w Writer) spanClock(s Span, t time.Time, loc *time.Location) string {
	if s.Precise() {
		return w.ClockSeconds(t, loc)
	}
	return w.Clock(t, loc)
}

// Times are a span's two times within one day joined by join (" to ", " and "
// in English; the language's "range.to" and "range.and"): "9:48 to 9:52 AM",
// "09:48 bis 09:52 Uhr", "09:48 a 09:52".
func (w Writer) Times(s Span, loc *time.Location, join string) string {
	if w.en() {
		return s.Times(loc, join)
	}
	return w.t("time.at", w.spanClock(s, s.Start, loc)+join+w.spanClock(s, s.End, loc))
}

// Range is a span as briefly as it reads clearly (see Span.Range).
func (w Writer) Range(s Span, loc *time.Location, now time.Time) string {
	if w.en() {
		return s.Range(loc, now)
	}
	a, b := s.Start.In(loc), s.End.In(loc)
	switch {
	case s.Length() == 0:
		return w.t("time.at", w.spanClock(s, a, loc))
	case !SameDay(a, b):
		return w.t("range.days", w.LongDate(a, now), w.t("time.at", w.spanClock(s, a, loc)),
			w.LongDate(b, now), w.t("time.at", w.spanClock(s, b, loc)))
	}
	return w.Times(s, loc, w.t("range.to"))
}

// Window is a span with its day and zone (see the package's Window).
func (w Writer) Window(start, end, now time.Time, loc *time.Location, zone string) string {
	if w.en() {
		return Window(start, end, now, loc, zone)
	}
	return w.window(start, end, now, loc, zone, false, false)
}

// DatedWindow is Window with the date in full (see the package's DatedWindow).
func (w Writer) DatedWindow(start, end, now time.Time, loc *time.Location, zone string) string {
	if w.en() {
		return DatedWindow(start, end, now, loc, zone)
	}
	return w.window(start, end, now, loc, zone, true, false)
}

// window is a span with its day and zone, as a line begins it ("Heute,
// 09:48 bis 09:52 Uhr", "Hoy, …"), or with mid within a sentence ("heute,
// …", "hoy, …", "lunes, 23 de noviembre, …").
func (w Writer) window(start, end, now time.Time, loc *time.Location, zone string, dated, mid bool) string {
	begin := locale.Upper
	if mid {
		begin = func(s string) string { return s }
	}
	day := func(t time.Time, mid bool) string {
		if dated {
			return w.LongDate(t.In(loc), now)
		}
		if mid {
			return w.DayMid(t, now, loc)
		}
		return w.Day(t, now, loc)
	}
	if end.IsZero() {
		since := w.t("window.since", day(start, true), w.TimeIn(start, loc, zone))
		if mid {
			// "Seit"/"Desde" begin the line; within one, "seit"/"desde".
			r, n := utf8.DecodeRuneInString(since)
			since = string(unicode.ToLower(r)) + since[n:]
		}
		return since
	}
	s := Span{start, end}
	if SameDay(start.In(loc), end.In(loc)) {
		return begin(day(start, mid) + ", " + w.Range(s, loc, now) + " " + w.zoneAfter(zone))
	}
	return begin(w.Range(s, loc, now) + " " + w.zoneAfter(zone))
}

// Interval is an incident's one line (see the package's Interval).
func (w Writer) Interval(start, end, now time.Time, loc *time.Location, zone string) string {
	if w.en() {
		return Interval(start, end, now, loc, zone)
	}
	return w.interval(w.Window(start, end, now, loc, zone), start, end, now)
}

// IntervalMid is Interval within a sentence: "(früher: heute, 09:48 bis
// 09:52 Uhr …)", "(antes: hoy, …)". (English writes "Today" either way.)
func (w Writer) IntervalMid(start, end, now time.Time, loc *time.Location, zone string) string {
	if w.en() {
		return Interval(start, end, now, loc, zone)
	}
	return w.interval(w.window(start, end, now, loc, zone, false, true), start, end, now)
}

// DatedInterval is Interval with the date in full.
func (w Writer) DatedInterval(start, end, now time.Time, loc *time.Location, zone string) string {
	if w.en() {
		return DatedInterval(start, end, now, loc, zone)
	}
	return w.interval(w.DatedWindow(start, end, now, loc, zone), start, end, now)
}

func (w Writer) interval(window string, start, end, now time.Time) string {
	if end.IsZero() {
		return window + " · " + w.t("duration.so.far", w.Duration(Span{start, now}.Length()))
	}
	return window + " · " + w.Duration(Span{start, end}.Length())
}

// LongDate is a day in full: "Monday, November 23", "Montag, 23. November",
// "lunes, 23 de noviembre", with the year when it is not the current one.
func (w Writer) LongDate(t, now time.Time) string {
	if w.en() {
		return LongDate(t, now)
	}
	now = now.In(t.Location())
	wd, mon := w.t(t.Weekday().String()), w.t(t.Month().String())
	if t.Year() != now.Year() {
		return w.t("date.long.year", wd, t.Day(), mon, t.Year())
	}
	return w.t("date.long", wd, t.Day(), mon)
}

// FullDate is a day with its weekday and year, as a line read days later
// needs it: "Thursday, December 3, 2026", "Donnerstag, 3. Dezember 2026",
// "jueves, 3 de diciembre de 2026".
func (w Writer) FullDate(t time.Time) string {
	if w.en() {
		return t.Format("Monday, January 2, 2006")
	}
	return w.t("date.long.year", w.t(t.Weekday().String()), t.Day(), w.t(t.Month().String()), t.Year())
}

// ShortDate is a day without its weekday: "November 23", "23. November",
// "23 de noviembre".
func (w Writer) ShortDate(t time.Time) string {
	if w.en() {
		return t.Format("January 2")
	}
	return w.t("date.short", t.Day(), w.t(t.Month().String()))
}

// DateYear is a day with its year, as a feed or a calendar read out of
// context needs it: "Mar 14, 2026", "14. März 2026", "14 de marzo de 2026".
func (w Writer) DateYear(t time.Time) string {
	if w.en() {
		return t.Format("Jan 2, 2006")
	}
	return w.t("date.year", t.Day(), w.t(t.Month().String()), t.Year())
}

// Moment is a time with its day, year and zone: "Mar 14, 2026, 3:04 PM
// Pacific time", "14. März 2026, 15:04 Uhr (Pazifikzeit)", "14 de marzo de
// 2026, 15:04 (hora del Pacífico)".
func (w Writer) Moment(t time.Time, loc *time.Location, zone string) string {
	return w.DateYear(t.In(loc)) + ", " + w.TimeIn(t, loc, zone)
}

// YearWindow says when an incident or a window ran, with the year: "Mar
// 14, 2026, 1:00 AM – 3:00 AM Pacific time", both dates when it spans
// midnight, to the second when it lasted under a minute (Span's rules);
// "14. März 2026, 01:00 bis 03:00 Uhr (Pazifikzeit)".
func (w Writer) YearWindow(from, until time.Time, loc *time.Location, zone string) string {
	span := Span{Start: from, End: until}
	f, u := from.In(loc), until.In(loc)
	if w.en() {
		end := w.DateYear(u) + ", " + span.Clock(u, loc)
		if SameDay(f, u) {
			end = span.Clock(u, loc)
		}
		return w.DateYear(f) + ", " + span.Clock(f, loc) + " – " + end + " " + zone
	}
	if SameDay(f, u) {
		return w.DateYear(f) + ", " + w.Times(span, loc, w.t("range.to")) + " " + w.zoneAfter(zone)
	}
	return w.DateYear(f) + ", " + w.t("time.at", w.spanClock(span, f, loc)) + w.t("range.to") +
		w.DateYear(u) + ", " + w.t("time.at", w.spanClock(span, u, loc)) + " " + w.zoneAfter(zone)
}

// Month is a month with its year: "November 2026", "November 2026",
// "noviembre de 2026".
func (w Writer) Month(t time.Time) string {
	if w.en() {
		return t.Format("January 2006")
	}
	return w.t("date.month", w.t(t.Month().String()), t.Year())
}

// Day names t's day relative to now, as a line begins: "Today", "Heute",
// "Hoy", else the date in full.
func (w Writer) Day(t, now time.Time, loc *time.Location) string {
	if w.en() {
		return Day(t, now, loc)
	}
	return locale.Upper(w.DayMid(t, now, loc))
}

// DayMid is Day within a sentence: "heute", "hoy", "Montag, 23. November",
// "lunes, 23 de noviembre". (English writes "Today" either way.)
func (w Writer) DayMid(t, now time.Time, loc *time.Location) string {
	if w.en() {
		return Day(t, now, loc)
	}
	t, now = t.In(loc), now.In(loc)
	switch {
	case SameDay(t, now):
		return w.t("day.today")
	case SameDay(t, now.AddDate(0, 0, -1)):
		return w.t("day.yesterday")
	case SameDay(t, now.AddDate(0, 0, 1)):
		return w.t("day.tomorrow")
	}
	return w.LongDate(t, now)
}

// When is a moment in full: "Today, 9:48 AM Pacific time", "Heute, 09:48
// Uhr (Pazifikzeit)".
func (w Writer) When(t, now time.Time, loc *time.Location, zone string) string {
	if w.en() {
		return When(t, now, loc, zone)
	}
	return w.Day(t, now, loc) + ", " + w.TimeIn(t, loc, zone)
}

// Duration says how long something lasted, by the rules of the package's
// Duration: one unit in words up to ten ("vier Minuten", "cuatro
// minutos"), a compound one in the language's short forms ("1 Std. 13
// Min.", "1 h 13 min").
func (w Writer) Duration(d time.Duration) string {
	if w.en() {
		return Duration(d)
	}
	if d < time.Minute {
		return w.seconds(int(d / time.Second))
	}
	parts := durationParts(d)
	if len(parts) == 1 {
		return w.unit(parts[0].n, parts[0].unit)
	}
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = w.t("unit.short."+p.unit, p.n)
	}
	return strings.Join(out, " ")
}

// Lasting is Duration within a sentence: a compound length in full words,
// joined as a list ("one hour and 13 minutes", "eine Stunde und 13
// Minuten", "una hora y 13 minutos") rather than in Duration's short forms;
// split and rounded as Duration is.
func (w Writer) Lasting(d time.Duration) string {
	if d < time.Minute {
		return w.Duration(d)
	}
	parts := durationParts(d)
	out := make([]string, len(parts))
	for i, p := range parts {
		if w.en() {
			out[i] = NumberWord(p.n) + " " + Plural(p.n, p.unit)
		} else {
			out[i] = w.unit(p.n, p.unit)
		}
	}
	return w.List(out)
}

// unit is n of unit in words: "eine Minute", "vier Minuten", "un minuto".
func (w Writer) unit(n int, unit string) string {
	if n == 1 {
		return w.t("unit.one." + unit)
	}
	return w.t("unit.many."+unit, w.NumberWord(n))
}

func (w Writer) seconds(n int) string {
	if n < 1 {
		return w.t("less than a second")
	}
	return w.unit(n, "second")
}

// Measured words a total of measured time to the second (see the package's
// Measured).
func (w Writer) Measured(d time.Duration) string {
	if w.en() {
		return Measured(d)
	}
	if d <= 0 {
		return w.t("no time")
	}
	if d >= time.Hour {
		return w.Duration(d)
	}
	secs := int(d.Round(time.Second) / time.Second)
	m, s := secs/60, secs%60
	switch {
	case m == 0:
		return w.seconds(secs)
	case s == 0:
		return w.Duration(time.Duration(m) * time.Minute)
	}
	return w.t("unit.short.minute", m) + " " + w.t("unit.short.second", s)
}

// Latency is a response time: "2.3 s", "2,3 s".
func (w Writer) Latency(d time.Duration) string {
	if w.en() {
		return Latency(d)
	}
	if d < time.Millisecond {
		return w.t("under 1 ms")
	}
	return w.L.Decimal(Latency(d))
}

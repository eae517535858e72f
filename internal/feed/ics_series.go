package feed

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/markdown"
	"github.com/heraldhq/herald/internal/status"
)

// splitBySeries sorts windows into those of no listed series and, by
// series, the occurrences of each.
func splitBySeries(windows []status.Maintenance, series []status.Series) ([]status.Maintenance, map[int64][]status.Maintenance) {
	listed := make(map[int64]bool, len(series))
	for _, s := range series {
		listed[s.ID] = true
	}
	var alone []status.Maintenance
	by := map[int64][]status.Maintenance{}
	for _, m := range windows {
		if m.SeriesID != 0 && listed[m.SeriesID] {
			by[m.SeriesID] = append(by[m.SeriesID], m)
		} else {
			alone = append(alone, m)
		}
	}
	return alone, by
}

// series writes a series as one recurring event: DTSTART in its zone (TZID,
// defined by a VTIMEZONE the calendar holds), its RRULE (with an UNTIL once
// it has ended), a DURATION, an EXDATE for each occurrence cancelled on its
// own, and an override (RECURRENCE-ID) for each occurrence edited on its own.
// The start's wall-clock reading in its zone is what calendar programs
// expand, by the same RFC 5545 rule Herald follows for the hours
// daylight-saving changes remove or double (status.Resolve), so the
// calendar and the page agree.
func (w *icsWriter) series(s *status.Series, occurrences []status.Maintenance, base, host string, now time.Time) error {
	loc := s.Location()
	uid := "maintenance-series-" + strconv.FormatInt(s.ID, 10) + "@" + host
	tz := ";TZID=" + s.Zone
	stamp := firstSet(s.UpdatedAt, now)
	start, rule := s.CalendarRule()
	if !s.EndedAt.IsZero() {
		// Ended: no occurrence starts after the end. COUNT and UNTIL may not both be given.
		var parts []string
		for _, p := range strings.Split(rule, ";") {
			if !strings.HasPrefix(p, "UNTIL=") && !strings.HasPrefix(p, "COUNT=") {
				parts = append(parts, p)
			}
		}
		rule = strings.Join(append(parts, "UNTIL="+icsTime(s.EndedAt)), ";")
	}
	slices.SortFunc(occurrences, func(a, b status.Maintenance) int { return a.Occurrence.Compare(b.Occurrence) })
	var exdates []string
	var overrides []status.Maintenance
	for _, m := range occurrences {
		switch {
		case m.Status == status.Cancelled && (s.EndedAt.IsZero() || m.Occurrence.Before(s.EndedAt)):
			// Cancelled on its own (those after the series' end are past its UNTIL).
			exdates = append(exdates, localTime(s.Wall(m.Occurrence)))
		case m.Status != status.Cancelled && m.Sequence > 0:
			overrides = append(overrides, m)
		}
	}
	w.prop("BEGIN", "VEVENT")
	w.prop("UID", uid)
	w.prop("DTSTAMP", icsTime(stamp))
	w.prop("DTSTART"+tz, localTime(start))
	w.prop("DURATION", icsDuration(s.Duration))
	w.prop("RRULE", rule)
	for chunk := range slices.Chunk(exdates, 8) {
		w.prop("EXDATE"+tz, strings.Join(chunk, ","))
	}
	if !s.CreatedAt.IsZero() {
		w.prop("CREATED", icsTime(s.CreatedAt))
	}
	w.prop("LAST-MODIFIED", icsTime(stamp))
	w.prop("SEQUENCE", strconv.Itoa(max(s.Sequence, 0)))
	w.prop("STATUS", "CONFIRMED")
	w.prop("TRANSP", "TRANSPARENT")
	w.text("SUMMARY", s.Title)
	desc := markdown.Render(s.Body).Text
	if desc != "" {
		desc += "\n\n"
	}
	link := strings.TrimRight(base, "/") + "/"
	if next := nextOccurrence(occurrences, now); next != nil {
		link = eventURL(base, "maintenance", next.ID)
	}
	w.text("DESCRIPTION", desc+w.wr.L.T("Repeats: %s (%s %s)", s.Rule, w.wr.Clock(s.Start, s.Start.Location()), s.Zone)+
		"\n\n"+w.wr.L.T("Details:")+" "+link)
	w.prop("URL;VALUE=URI", link)
	w.prop("END", "VEVENT")
	for _, m := range overrides {
		if m.ScheduledFor.IsZero() || !m.ScheduledUntil.After(m.ScheduledFor) {
			return fmt.Errorf("maintenance %d: the window is not a time span", m.ID)
		}
		mstamp := firstSet(m.UpdatedAt, now)
		link := eventURL(base, "maintenance", m.ID)
		w.prop("BEGIN", "VEVENT")
		w.prop("UID", uid)
		w.prop("RECURRENCE-ID"+tz, localTime(s.Wall(m.Occurrence)))
		w.prop("DTSTAMP", icsTime(mstamp))
		w.prop("DTSTART", icsTime(m.ScheduledFor))
		w.prop("DTEND", icsTime(m.ScheduledUntil))
		w.prop("LAST-MODIFIED", icsTime(mstamp))
		w.prop("SEQUENCE", strconv.Itoa(max(s.Sequence, 0)+m.Sequence))
		w.prop("STATUS", icsStatus(m.Status))
		w.prop("TRANSP", "TRANSPARENT")
		w.text("SUMMARY", m.Title)
		w.text("DESCRIPTION", description(m, loc, link, w.wr))
		w.prop("URL;VALUE=URI", link)
		w.prop("END", "VEVENT")
	}
	return nil
}

// nextOccurrence is the first occurrence not over at now and not cancelled, or nil.
func nextOccurrence(occurrences []status.Maintenance, now time.Time) *status.Maintenance {
	for i := range occurrences {
		m := &occurrences[i]
		if m.Status != status.Cancelled && !m.Status.Final() && m.ScheduledUntil.After(now) {
			return m
		}
	}
	return nil
}

// localTime is a wall-clock reading in RFC 5545's local form (no Z).
func localTime(t time.Time) string { return t.Format("20060102T150405") }

// icsDuration writes a length as an RFC 5545 DURATION: PT2H, PT1H30M, P1DT2H.
func icsDuration(d time.Duration) string {
	var b strings.Builder
	b.WriteString("P")
	if days := d / (24 * time.Hour); days > 0 {
		fmt.Fprintf(&b, "%dD", days)
		d -= days * 24 * time.Hour
	}
	if d == 0 {
		return b.String()
	}
	b.WriteString("T")
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{time.Hour, "H"}, {time.Minute, "M"}, {time.Second, "S"}} {
		if n := d / u.unit; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.name)
			d -= n * u.unit
		}
	}
	return b.String()
}

// writeZones writes a VTIMEZONE for each zone the series use.
func writeZones(w *icsWriter, series []status.Series, now time.Time) {
	first := map[string]int{} // zone: the earliest year a series in it starts
	for _, s := range series {
		if y, ok := first[s.Zone]; !ok || s.Start.Year() < y {
			first[s.Zone] = s.Start.Year()
		}
	}
	zones := make([]string, 0, len(first))
	for z := range first {
		zones = append(zones, z)
	}
	slices.Sort(zones)
	for _, z := range zones {
		loc, err := time.LoadLocation(z)
		if err != nil {
			continue // CheckSeries keeps such a series out
		}
		// From the year before the first start, so that an observance
		// begins before it, to a few years past now; the last rule of each
		// kind repeats for ever.
		w.zone(z, loc, first[z]-1, max(now.Year(), first[z])+3)
	}
}

// onset is one change of a zone's offset.
type onset struct {
	at       time.Time // the instant
	wall     time.Time // its wall-clock reading in the offset before it
	from, to int       // offsets, seconds east of UTC
	name     string    // the abbreviation after it
	dst      bool
}

// zoneOnsets lists loc's changes of offset from the start of year from to
// the end of year to: a day's step finds each, a search finds its second.
func zoneOnsets(loc *time.Location, from, to int) []onset {
	var out []onset
	t := time.Date(from, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(to+1, 1, 1, 0, 0, 0, 0, time.UTC)
	_, off := t.In(loc).Zone()
	for t.Before(end) {
		next := t.Add(24 * time.Hour)
		if _, o := next.In(loc).Zone(); o != off {
			lo, hi := t.Unix(), next.Unix() // off at lo, o at hi
			for hi-lo > 1 {
				mid := lo + (hi-lo)/2
				if _, m := time.Unix(mid, 0).In(loc).Zone(); m == off {
					lo = mid
				} else {
					hi = mid
				}
			}
			at := time.Unix(hi, 0).UTC()
			name, to := at.In(loc).Zone()
			out = append(out, onset{at: at, wall: at.Add(time.Duration(off) * time.Second), from: off, to: to,
				name: name, dst: at.In(loc).IsDST()})
			off = to
		}
		t = next
	}
	return out
}

// zone writes a VTIMEZONE for loc from Go's time-zone data: each run of
// yearly changes on the same weekday of the same month at the same hour
// (the second Sunday of March at 2:00) as one observance with a yearly
// RRULE, any other change as an observance of its own. A zone without
// changes gets its one offset.
func (w *icsWriter) zone(tzid string, loc *time.Location, from, to int) {
	onsets := zoneOnsets(loc, from, to)
	w.prop("BEGIN", "VTIMEZONE")
	w.prop("TZID", tzid)
	if len(onsets) == 0 {
		at := time.Date(from, 1, 1, 0, 0, 0, 0, time.UTC)
		name, off := at.In(loc).Zone()
		w.prop("BEGIN", "STANDARD")
		w.prop("DTSTART", "19700101T000000")
		w.prop("TZOFFSETFROM", icsOffset(off))
		w.prop("TZOFFSETTO", icsOffset(off))
		w.text("TZNAME", name)
		w.prop("END", "STANDARD")
		w.prop("END", "VTIMEZONE")
		return
	}
	type run struct {
		key     string
		byday   string
		members []onset
	}
	var runs []*run
	open := map[string]*run{} // by key: the run that may go on
	for _, o := range onsets {
		nth, last := yearlyDay(o.wall)
		placed := false
		for _, byday := range []string{nth, last} {
			key := fmt.Sprintf("%v|%d|%d|%s|%d|%s|%s", o.dst, o.from, o.to, o.name, o.wall.Month(), byday, o.wall.Format("150405"))
			r := open[key]
			if r != nil && r.members[len(r.members)-1].wall.Year() == o.wall.Year()-1 {
				r.members = append(r.members, o)
				placed = true
				break
			}
		}
		if !placed {
			r := &run{byday: nth, members: []onset{o}}
			runs = append(runs, r)
			for _, byday := range []string{nth, last} {
				key := fmt.Sprintf("%v|%d|%d|%s|%d|%s|%s", o.dst, o.from, o.to, o.name, o.wall.Month(), byday, o.wall.Format("150405"))
				open[key] = r
			}
		}
	}
	for _, r := range runs {
		// The weekday form that holds for every member.
		r.byday = commonByday(r.members)
	}
	slices.SortStableFunc(runs, func(a, b *run) int { return cmp.Compare(a.members[0].at.Unix(), b.members[0].at.Unix()) })
	for _, r := range runs {
		first, lastOnset := r.members[0], r.members[len(r.members)-1]
		kind := "STANDARD"
		if first.dst {
			kind = "DAYLIGHT"
		}
		w.prop("BEGIN", kind)
		w.prop("DTSTART", localTime(first.wall))
		if len(r.members) > 1 && r.byday != "" {
			rule := fmt.Sprintf("FREQ=YEARLY;BYMONTH=%d;BYDAY=%s", int(first.wall.Month()), r.byday)
			if lastOnset.wall.Year() < to {
				// The rule stopped within the years looked at.
				rule += ";UNTIL=" + icsTime(lastOnset.at)
			}
			w.prop("RRULE", rule)
		} else if len(r.members) > 1 {
			dates := make([]string, 0, len(r.members)-1)
			for _, m := range r.members[1:] {
				dates = append(dates, localTime(m.wall))
			}
			w.prop("RDATE", strings.Join(dates, ","))
		}
		w.prop("TZOFFSETFROM", icsOffset(first.from))
		w.prop("TZOFFSETTO", icsOffset(first.to))
		w.text("TZNAME", first.name)
		w.prop("END", kind)
	}
	w.prop("END", "VTIMEZONE")
}

// yearlyDay names t's day as RRULE's BYDAY does, counted from the start of
// its month (2SU) and from its end (-1SU).
func yearlyDay(t time.Time) (nth, last string) {
	wd := strings.ToUpper(t.Weekday().String()[:2])
	days := time.Date(t.Year(), t.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
	return strconv.Itoa((t.Day()-1)/7+1) + wd, strconv.Itoa(-((days-t.Day())/7 + 1)) + wd
}

// commonByday is the BYDAY form every onset of a run shares, or "".
func commonByday(members []onset) string {
	nth, last := yearlyDay(members[0].wall)
	for _, m := range members[1:] {
		n, l := yearlyDay(m.wall)
		if n != nth {
			nth = ""
		}
		if l != last {
			last = ""
		}
	}
	return cmp.Or(nth, last)
}

// icsOffset writes a UTC offset as RFC 5545 does: -0800, +0530, +003730.
func icsOffset(sec int) string {
	sign := "+"
	if sec < 0 {
		sign, sec = "-", -sec
	}
	s := fmt.Sprintf("%s%02d%02d", sign, sec/3600, sec/60%60)
	if sec%60 != 0 {
		s += fmt.Sprintf("%02d", sec%60)
	}
	return s
}

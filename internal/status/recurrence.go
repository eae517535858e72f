package status

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/teambition/rrule-go"
)

// Series is maintenance that repeats: an RFC 5545 recurrence rule from a
// first start written as a wall-clock time in a named zone ("02:00 on
// Sunday, Pacific time"), and each window's length. Its occurrences become
// ordinary windows (Maintenance with SeriesID set), made ahead of time by the
// maintenance clock, so each one is announced, reminded, started, completed
// with its measured downtime, and cancelled on its own.
type Series struct {
	ID int64
	// Key names a series declared in the configuration (its title there);
	// empty for one made through the API or the admin.
	Key   string
	Title string
	Body  string // Markdown, each occurrence's announcement
	// Rule is the RRULE value, "FREQ=MONTHLY;BYDAY=1SU", as written.
	Rule string
	// Start is the first occurrence's wall-clock start in Zone, the
	// recurrence's DTSTART: its location is UTC but its reading is local.
	Start    time.Time
	Zone     string // IANA name, "America/Los_Angeles"
	Duration time.Duration

	Components []string
	// EndedAt is when the series was ended (no occurrence starts after it); zero while it runs.
	EndedAt   time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
	// Sequence counts the changes a calendar shows (RFC 5545 SEQUENCE):
	// an occurrence cancelled (EXDATE), the series ended (UNTIL).
	Sequence int
}

// WallLayout is how a series' first start is written: local time, no zone.
const WallLayout = "2006-01-02T15:04"

// Limits on a series.
const (
	// maxExpand bounds the occurrences looked at in one expansion.
	maxExpand = 1000
	// overlapProbe is how many occurrences CheckSeries looks at for overlaps.
	overlapProbe = 400
)

// frequencies a series may use: maintenance repeats by the day at most.
var frequencies = []string{"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}

// ParseRule reads an RRULE value and checks what Herald accepts of it: FREQ
// DAILY, WEEKLY, MONTHLY or YEARLY; no DTSTART inside (the series' start is
// it); no BYHOUR, BYMINUTE or BYSECOND (the start gives the time of day);
// UNTIL, when given, in UTC ("20271231T000000Z"), as RFC 5545 requires with
// a start in a time zone. It returns the rule written back in one form.
func ParseRule(rule string) (string, *rrule.ROption, error) {
	rule = strings.TrimSpace(strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(rule)), "RRULE:"))
	if rule == "" {
		return "", nil, fmt.Errorf("a recurrence rule is required, such as FREQ=MONTHLY;BYDAY=1SU")
	}
	if strings.ContainsAny(rule, "\r\n") {
		return "", nil, fmt.Errorf("the recurrence rule must be one line")
	}
	for _, part := range strings.Split(rule, ";") {
		key, value, _ := strings.Cut(part, "=")
		switch key {
		case "DTSTART":
			return "", nil, fmt.Errorf("the recurrence rule must not hold DTSTART; the series' start is its first occurrence")
		case "BYHOUR", "BYMINUTE", "BYSECOND":
			return "", nil, fmt.Errorf("the recurrence rule must not hold %s; the start gives the time of day", key)
		case "FREQ":
			if !slices.Contains(frequencies, value) {
				return "", nil, fmt.Errorf("FREQ=%s: a maintenance series repeats DAILY, WEEKLY, MONTHLY or YEARLY", value)
			}
		case "UNTIL":
			if !strings.HasSuffix(value, "Z") {
				return "", nil, fmt.Errorf("UNTIL=%s must be a UTC time such as 20271231T000000Z", value)
			}
		}
	}
	opt, err := rrule.StrToROption(rule)
	if err != nil {
		return "", nil, fmt.Errorf("recurrence rule %q: %v", rule, err)
	}
	if opt.Interval < 0 || opt.Count < 0 {
		return "", nil, fmt.Errorf("recurrence rule %q: INTERVAL and COUNT must be positive", rule)
	}
	return rule, opt, nil
}

// CheckSeries validates a series before it is stored: its rule, zone,
// length and components, that it has an occurrence, and that no two of its
// occurrences overlap.
func CheckSeries(s *Series) error {
	rule, _, err := ParseRule(s.Rule)
	if err != nil {
		return err
	}
	s.Rule = rule
	if s.Zone == "" {
		return fmt.Errorf("a time zone is required, such as America/Los_Angeles")
	}
	if _, err := time.LoadLocation(s.Zone); err != nil {
		return fmt.Errorf("unknown time zone %q (use an IANA name such as America/Los_Angeles)", s.Zone)
	}
	if s.Start.IsZero() || s.Start.Year() < 1970 || s.Start.Year() > 9000 {
		return fmt.Errorf("a start (%s, local time) between 1970 and 9000 is required", WallLayout)
	}
	if s.Duration < time.Minute || s.Duration > 31*24*time.Hour {
		return fmt.Errorf("a window's duration must be at least 1m and at most 31 days (744h), not %s", s.Duration)
	}
	if len(s.Components) == 0 {
		return fmt.Errorf("at least one component is required")
	}
	starts, err := s.Occurrences(time.Time{}, overlapProbe)
	if err != nil {
		return err
	}
	if len(starts) == 0 {
		return fmt.Errorf("the rule %s from %s has no occurrence", s.Rule, s.Start.Format(WallLayout))
	}
	for i := 1; i < len(starts); i++ {
		if gap := starts[i].Sub(starts[i-1]); gap < s.Duration {
			return fmt.Errorf("occurrences %s and %s would overlap: they are %s apart and a window lasts %s",
				starts[i-1].Format(time.RFC3339), starts[i].Format(time.RFC3339), gap, s.Duration)
		}
	}
	return nil
}

// Location is the series' zone (UTC if it does not load, which CheckSeries prevents).
func (s *Series) Location() *time.Location {
	if loc, err := time.LoadLocation(s.Zone); err == nil {
		return loc
	}
	return time.UTC
}

// Occurrences returns the starts of up to limit occurrences (in UTC) whose
// window has not ended by after (all from the first, for a zero after),
// in order. Occurrences starting after EndedAt are left out.
//
// The rule is expanded in wall-clock time, then each wall-clock start is
// placed in the zone by Resolve, so a window at 2:00 keeps its local hour
// across a change of daylight-saving time and the nonexistent and doubled
// hours follow RFC 5545's rule.
func (s *Series) Occurrences(after time.Time, limit int) ([]time.Time, error) {
	_, opt, err := ParseRule(s.Rule)
	if err != nil {
		return nil, err
	}
	loc := s.Location()
	opt.Dtstart = floating(s.Start)
	if !opt.Until.IsZero() {
		// UNTIL is an instant; in wall-clock terms it is its local reading.
		opt.Until = floating(opt.Until.In(loc))
	}
	r, err := rrule.NewRRule(*opt)
	if err != nil {
		return nil, fmt.Errorf("recurrence rule %q: %v", s.Rule, err)
	}
	var out []time.Time
	from := opt.Dtstart
	if !after.IsZero() {
		// Wall-clock readings differ from instants by the zone's offset
		// (a day at most): start a little early and filter exactly below.
		from = floating(after.Add(-s.Duration).In(loc)).Add(-26 * time.Hour)
	}
	if from.Before(opt.Dtstart) {
		from = opt.Dtstart
	}
	next := r.Iterator()
	for looked, skipped := 0, 0; len(out) < limit && looked < maxExpand; {
		wall, ok := next()
		if !ok {
			break
		}
		if wall.Before(from) {
			// The iterator starts at DTSTART: a daily series some years
			// old skips a few thousand readings, which is cheap; a bound
			// keeps a pathological rule from spinning.
			if skipped++; skipped > maxSkip {
				return nil, fmt.Errorf("recurrence rule %q: more than %d occurrences before %s", s.Rule, maxSkip, after.Format(time.RFC3339))
			}
			continue
		}
		looked++
		start := Resolve(wall, loc)
		if !s.EndedAt.IsZero() && start.After(s.EndedAt) {
			break
		}
		if !after.IsZero() && !start.Add(s.Duration).After(after) {
			continue
		}
		out = append(out, start)
	}
	return out, nil
}

// maxSkip bounds the occurrences passed over before the ones asked for:
// a daily series for a hundred years.
const maxSkip = 36600

// CalendarRule is the series as a calendar should carry it: its first
// occurrence not over when the series was made (none before it ever was a
// window) as DTSTART's wall-clock reading, and the rule with COUNT reduced
// by the occurrences left out. A series made before its start keeps both.
func (s *Series) CalendarRule() (time.Time, string) {
	if s.CreatedAt.IsZero() {
		return s.Start, s.Rule
	}
	all, err := s.Occurrences(time.Time{}, maxExpand)
	if err != nil {
		return s.Start, s.Rule
	}
	skipped := 0
	for _, t := range all {
		if t.Add(s.Duration).After(s.CreatedAt) {
			break
		}
		skipped++
	}
	if skipped == 0 || skipped == len(all) {
		return s.Start, s.Rule
	}
	parts := strings.Split(s.Rule, ";")
	for i, p := range parts {
		if n, ok := strings.CutPrefix(p, "COUNT="); ok {
			c, err := strconv.Atoi(n)
			if err != nil {
				return s.Start, s.Rule
			}
			parts[i] = "COUNT=" + strconv.Itoa(c-skipped)
		}
	}
	return s.Wall(all[skipped]), strings.Join(parts, ";")
}

// Wall is the wall-clock reading the rule gave the occurrence that starts
// at start (what a calendar's RECURRENCE-ID and EXDATE name): its local
// date at the series' time of day, or the day before when a gap moved it
// past midnight. A start the rule did not give reads as itself.
func (s *Series) Wall(start time.Time) time.Time {
	loc := s.Location()
	l := start.In(loc)
	for _, back := range []int{0, -1} {
		w := time.Date(l.Year(), l.Month(), l.Day()+back, s.Start.Hour(), s.Start.Minute(), s.Start.Second(), 0, time.UTC)
		if Resolve(w, loc).Equal(start) {
			return w
		}
	}
	return floating(l)
}

// floating is t's wall-clock reading as a UTC time, the form the rule is
// expanded in.
func floating(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
}

// Resolve places a wall-clock reading (given as a UTC time) in loc, by RFC
// 5545's rule (§3.3.5) for local times a change of offset makes
// nonexistent or ambiguous:
//   - a time in the gap of a spring-forward change (2:30 AM on the day
//     clocks go from 2:00 to 3:00) is read with the offset before the gap,
//     so it moves forward by the gap's length (to 3:30 AM);
//   - a time that occurs twice in a fall-back change (1:30 AM on the day
//     clocks go from 2:00 back to 1:00) is the first of the two.
func Resolve(wall time.Time, loc *time.Location) time.Time {
	guess := wall.Unix()
	// The offsets in force a little before and a little after: a
	// change of offset between them is the only one that matters.
	_, before := time.Unix(guess-26*3600, 0).In(loc).Zone()
	_, after := time.Unix(guess+26*3600, 0).In(loc).Zone()
	var found []time.Time
	for _, off := range []int{before, after} {
		t := time.Unix(guess-int64(off), int64(wall.Nanosecond())).In(loc)
		if floating(t).Equal(wall.Truncate(time.Second)) {
			found = append(found, t.UTC())
		}
	}
	if len(found) == 0 {
		// In the gap: the offset before it.
		return time.Unix(guess-int64(before), int64(wall.Nanosecond())).UTC()
	}
	return slices.MinFunc(found, func(a, b time.Time) int { return a.Compare(b) })
}

package status

import (
	"strings"
	"testing"
	"time"
)

func wall(t *testing.T, s string) time.Time {
	t.Helper()
	w, err := time.Parse(WallLayout, s)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func utc(t *testing.T, s string) time.Time {
	t.Helper()
	u, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// In 2026 US daylight-saving time begins on Sunday, March 8 (2:00 PST
// becomes 3:00 PDT) and ends on Sunday, November 1 (2:00 PDT becomes 1:00 PST).
func TestOccurrencesAcrossDST(t *testing.T) {
	cases := []struct {
		name, rule, start string
		dur               time.Duration
		want              []string // UTC
	}{
		{
			// 2:00 AM does not exist on March 8: RFC 5545 reads it with the
			// offset before the gap, 3:00 AM PDT; the week after, 2:00 AM PDT.
			name: "weekly 2 AM across spring-forward", rule: "FREQ=WEEKLY;BYDAY=SU", start: "2026-03-01T02:00", dur: time.Hour,
			want: []string{"2026-03-01T10:00:00Z", "2026-03-08T10:00:00Z", "2026-03-15T09:00:00Z"},
		},
		{
			// 2:30 AM is in the gap too: 3:30 AM PDT.
			name: "weekly 2:30 AM across spring-forward", rule: "FREQ=WEEKLY;BYDAY=SU", start: "2026-03-01T02:30", dur: 30 * time.Minute,
			want: []string{"2026-03-01T10:30:00Z", "2026-03-08T10:30:00Z", "2026-03-15T09:30:00Z"},
		},
		{
			// 1:30 AM happens twice on November 1: the first, in PDT.
			name: "weekly 1:30 AM across fall-back", rule: "FREQ=WEEKLY;BYDAY=SU", start: "2026-10-25T01:30", dur: time.Hour,
			want: []string{"2026-10-25T08:30:00Z", "2026-11-01T08:30:00Z", "2026-11-08T09:30:00Z"},
		},
		{
			// 2:00 AM on November 1 exists once, in PST.
			name: "weekly 2 AM across fall-back", rule: "FREQ=WEEKLY;BYDAY=SU", start: "2026-10-25T02:00", dur: 2 * time.Hour,
			want: []string{"2026-10-25T09:00:00Z", "2026-11-01T10:00:00Z", "2026-11-08T10:00:00Z"},
		},
		{
			name: "first Sunday of the month", rule: "FREQ=MONTHLY;BYDAY=1SU", start: "2026-01-04T02:00", dur: time.Hour,
			want: []string{"2026-01-04T10:00:00Z", "2026-02-01T10:00:00Z", "2026-03-01T10:00:00Z", "2026-04-05T09:00:00Z"},
		},
		{
			name: "count ends the series", rule: "FREQ=DAILY;COUNT=2", start: "2026-06-01T23:00", dur: time.Hour,
			want: []string{"2026-06-02T06:00:00Z", "2026-06-03T06:00:00Z"},
		},
		{
			// UNTIL is an instant: 2026-06-03T06:00Z is 23:00 PDT on June 2, the last start.
			name: "until ends the series", rule: "FREQ=DAILY;UNTIL=20260603T060000Z", start: "2026-06-01T23:00", dur: time.Hour,
			want: []string{"2026-06-02T06:00:00Z", "2026-06-03T06:00:00Z"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &Series{Title: "x", Rule: c.rule, Start: wall(t, c.start), Zone: "America/Los_Angeles",
				Duration: c.dur, Components: []string{"flexo/web"}}
			if err := CheckSeries(s); err != nil {
				t.Fatal(err)
			}
			got, err := s.Occurrences(time.Time{}, len(c.want)+1)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(c.rule, "FREQ=DAILY") {
				got = got[:min(len(got), len(c.want))]
			}
			if len(got) != len(c.want) {
				t.Fatalf("%d occurrences %v, want %v", len(got), got, c.want)
			}
			for i := range got {
				if w := utc(t, c.want[i]); !got[i].Equal(w) {
					t.Errorf("occurrence %d at %s, want %s", i, got[i].Format(time.RFC3339), c.want[i])
				}
			}
		})
	}
}

func TestOccurrencesAfter(t *testing.T) {
	s := &Series{Rule: "FREQ=WEEKLY", Start: wall(t, "2026-01-04T02:00"), Zone: "America/Los_Angeles", Duration: 2 * time.Hour}
	// In the middle of the March 1 window (10:00Z to 12:00Z): it is still
	// running, so it is the first returned.
	got, err := s.Occurrences(utc(t, "2026-03-01T11:00:00Z"), 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2026-03-01T10:00:00Z", "2026-03-08T10:00:00Z"}
	if len(got) != 2 || !got[0].Equal(utc(t, want[0])) || !got[1].Equal(utc(t, want[1])) {
		t.Errorf("got %v, want %v", got, want)
	}
	// An ended series has nothing after its end.
	s.EndedAt = utc(t, "2026-03-05T00:00:00Z")
	got, err = s.Occurrences(utc(t, "2026-03-01T12:00:00Z"), 5)
	if err != nil || len(got) != 0 {
		t.Errorf("ended series: %v (%v), want none", got, err)
	}
}

func TestResolve(t *testing.T) {
	la, _ := time.LoadLocation("America/Los_Angeles")
	berlin, _ := time.LoadLocation("Europe/Berlin")
	cases := []struct {
		wall string
		loc  *time.Location
		want string
	}{
		{"2026-07-01T12:00", la, "2026-07-01T19:00:00Z"},
		{"2026-03-08T02:15", la, "2026-03-08T10:15:00Z"}, // gap: 3:15 PDT
		{"2026-11-01T01:15", la, "2026-11-01T08:15:00Z"}, // twice: the first (PDT)
		{"2026-11-01T00:59", la, "2026-11-01T07:59:00Z"},
		{"2026-03-29T02:30", berlin, "2026-03-29T01:30:00Z"}, // gap: 3:30 CEST
		{"2026-10-25T02:30", berlin, "2026-10-25T00:30:00Z"}, // twice: CEST
		{"2026-01-01T00:00", time.UTC, "2026-01-01T00:00:00Z"},
	}
	for _, c := range cases {
		if got := Resolve(wall(t, c.wall), c.loc); !got.Equal(utc(t, c.want)) {
			t.Errorf("%s in %s: %s, want %s", c.wall, c.loc, got.Format(time.RFC3339), c.want)
		}
	}
}

func TestCheckSeriesRefuses(t *testing.T) {
	ok := func() *Series {
		return &Series{Title: "x", Rule: "FREQ=WEEKLY;BYDAY=SU", Start: wall(t, "2026-01-04T02:00"),
			Zone: "America/Los_Angeles", Duration: time.Hour, Components: []string{"flexo/web"}}
	}
	cases := []struct {
		name string
		edit func(*Series)
		want string
	}{
		{"hourly", func(s *Series) { s.Rule = "FREQ=HOURLY" }, "repeats DAILY, WEEKLY, MONTHLY or YEARLY"},
		{"byhour", func(s *Series) { s.Rule = "FREQ=DAILY;BYHOUR=1,2" }, "must not hold BYHOUR"},
		{"dtstart", func(s *Series) { s.Rule = "DTSTART=20260101T000000Z;FREQ=DAILY" }, "must not hold DTSTART"},
		{"local until", func(s *Series) { s.Rule = "FREQ=DAILY;UNTIL=20270101T000000" }, "must be a UTC time"},
		{"garbage", func(s *Series) { s.Rule = "FREQ=WEEKLY;BYDAY=XX" }, "recurrence rule"},
		{"empty", func(s *Series) { s.Rule = " " }, "a recurrence rule is required"},
		{"zone", func(s *Series) { s.Zone = "Mars/Olympus" }, "unknown time zone"},
		{"no zone", func(s *Series) { s.Zone = "" }, "a time zone is required"},
		{"short", func(s *Series) { s.Duration = time.Second }, "at least 1m"},
		{"overlap", func(s *Series) { s.Rule = "FREQ=DAILY"; s.Duration = 25 * time.Hour }, "would overlap"},
		{"none", func(s *Series) { s.Rule = "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30" }, "has no occurrence"},
		{"no components", func(s *Series) { s.Components = nil }, "at least one component"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := ok()
			c.edit(s)
			err := CheckSeries(s)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	s := ok()
	s.Rule = " rrule:freq=weekly;byday=su "
	if err := CheckSeries(s); err != nil || s.Rule != "FREQ=WEEKLY;BYDAY=SU" {
		t.Errorf("lower case rule: %v, rule %q", err, s.Rule)
	}
}

// A calendar carries a series from its first occurrence not over when it
// was made: the ones before never were windows.
func TestCalendarRule(t *testing.T) {
	s := &Series{Rule: "FREQ=WEEKLY;BYDAY=SU;COUNT=10", Start: wall(t, "2026-11-01T02:00"), Zone: "America/Los_Angeles",
		Duration: time.Hour, CreatedAt: utc(t, "2026-11-10T00:00:00Z")}
	start, rule := s.CalendarRule()
	// November 1 and 8 are left out: two of ten.
	if !start.Equal(wall(t, "2026-11-15T02:00")) || rule != "FREQ=WEEKLY;BYDAY=SU;COUNT=8" {
		t.Errorf("from %s with %s", start, rule)
	}
	s.CreatedAt = utc(t, "2026-10-01T00:00:00Z") // made ahead of its start
	if start, rule := s.CalendarRule(); !start.Equal(s.Start) || rule != s.Rule {
		t.Errorf("made ahead: from %s with %s", start, rule)
	}
}

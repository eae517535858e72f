package words

import (
	"testing"
	"time"
)

func TestDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "less than a second"},
		{999 * time.Millisecond, "less than a second"},
		{time.Second, "one second"},
		{10 * time.Second, "ten seconds"},
		{46 * time.Second, "46 seconds"},
		{59*time.Second + 900*time.Millisecond, "59 seconds"},
		{time.Minute, "one minute"},
		{3*time.Minute + 55*time.Second, "four minutes"},
		{4 * time.Minute, "four minutes"},
		{10 * time.Minute, "ten minutes"},
		{11 * time.Minute, "11 minutes"},
		{59 * time.Minute, "59 minutes"},
		{time.Hour, "one hour"},
		{2 * time.Hour, "two hours"},
		{73 * time.Minute, "1 hour 13 minutes"},
		{2*time.Hour + time.Minute, "2 hours 1 minute"},
		{24 * time.Hour, "one day"},
		{26*time.Hour + 10*time.Minute, "1 day 2 hours"},
		{3 * 24 * time.Hour, "three days"},
	} {
		if got := Duration(tc.d); got != tc.want {
			t.Errorf("Duration(%s) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestTimesAndDays(t *testing.T) {
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, la)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	now := at("2026-11-25 10:30")

	if got := TimeIn(at("2026-08-12 09:48"), la, "Pacific time"); got != "9:48 AM Pacific time" {
		t.Errorf("TimeIn = %q", got)
	}
	for _, tc := range []struct{ a, b, want string }{
		{"2026-08-12 09:48", "2026-08-12 09:52", "9:48 to 9:52 AM"},
		{"2026-03-28 21:54", "2026-03-28 22:02", "9:54 to 10:02 PM"},
		{"2026-11-25 11:40", "2026-11-25 12:10", "11:40 AM to 12:10 PM"},
		{"2026-04-03 23:00", "2026-04-04 01:00", "Friday, April 3, 11:00 PM to Saturday, April 4, 1:00 AM"},
		{"2025-12-31 23:30", "2026-01-01 00:30", "Wednesday, December 31, 2025, 11:30 PM to Thursday, January 1, 12:30 AM"},
	} {
		if got := Range(at(tc.a), at(tc.b), la, now); got != tc.want {
			t.Errorf("Range(%s, %s) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
	for _, tc := range []struct{ t, want string }{
		{"2026-11-25 00:00", "Today"},
		{"2026-11-25 23:59", "Today"},
		{"2026-11-24 23:59", "Yesterday"},
		{"2026-11-26 09:00", "Tomorrow"},
		{"2026-11-23 09:00", "Monday, November 23"},
		{"2025-11-23 09:00", "Sunday, November 23, 2025"},
	} {
		if got := Day(at(tc.t), now, la); got != tc.want {
			t.Errorf("Day(%s) = %q, want %q", tc.t, got, tc.want)
		}
	}
	// The day is the zone's day, not UTC's: 5 PM Pacific on the 24th is the 25th in UTC.
	if got := Day(at("2026-11-24 17:00"), now, la); got != "Yesterday" {
		t.Errorf("Day across UTC midnight = %q", got)
	}
	if got := When(at("2026-11-25 09:48"), now, la, "Pacific time"); got != "Today, 9:48 AM Pacific time" {
		t.Errorf("When = %q", got)
	}
}

func TestAdjective(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
		ok   bool
	}{
		{300 * time.Millisecond, "", false},
		{30 * time.Second, "30-second", true},
		{8 * time.Second, "eight-second", true},
		{3*time.Minute + 55*time.Second, "four-minute", true},
		{time.Minute, "one-minute", true},
		{11 * time.Minute, "11-minute", true},
		{59*time.Minute + 40*time.Second, "one-hour", true},
		{2 * time.Hour, "two-hour", true},
		{73 * time.Minute, "", false},
		{48 * time.Hour, "two-day", true},
	} {
		got, ok := Adjective(tc.d)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Adjective(%s) = %q, %v; want %q, %v", tc.d, got, ok, tc.want, tc.ok)
		}
	}
}

func TestMeasured(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "no time"},
		{-time.Second, "no time"},
		{300 * time.Millisecond, "less than a second"},
		{45 * time.Second, "45 seconds"},
		{time.Second, "one second"},
		{2 * time.Minute, "two minutes"},
		{61 * time.Second, "1 minute 1 second"},
		{3*time.Minute + 10*time.Second, "3 minutes 10 seconds"},
		{3*time.Minute + 9600*time.Millisecond, "3 minutes 10 seconds"},
		{4*time.Minute + 59600*time.Millisecond, "five minutes"},
		{59*time.Minute + 59*time.Second, "59 minutes 59 seconds"},
		{time.Hour, "one hour"},
		{time.Hour + 5*time.Minute + 10*time.Second, "1 hour 5 minutes"},
		{time.Hour + 59*time.Minute + 50*time.Second, "two hours"},
		{26 * time.Hour, "1 day 2 hours"},
	} {
		if got := Measured(tc.d); got != tc.want {
			t.Errorf("Measured(%s) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestLatency(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "under 1 ms"},
		{850 * time.Microsecond, "under 1 ms"},
		{850 * time.Millisecond, "850 ms"},
		{2300 * time.Millisecond, "2.3 s"},
		{12400 * time.Millisecond, "12 s"},
	} {
		if got := Latency(tc.d); got != tc.want {
			t.Errorf("Latency(%s) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestOrdinalAndList(t *testing.T) {
	for n, want := range map[int]string{1: "first", 2: "second", 3: "third", 10: "tenth", 11: "11th", 12: "12th", 13: "13th", 21: "21st", 22: "22nd", 23: "23rd", 101: "101st", 111: "111th"} {
		if got := Ordinal(n); got != want {
			t.Errorf("Ordinal(%d) = %q, want %q", n, got, want)
		}
	}
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"flexo"}, "flexo"},
		{[]string{"flexo", "mom"}, "flexo and mom"},
		{[]string{"flexo", "mom", "elzar"}, "flexo, mom and elzar"},
	} {
		if got := List(tc.in); got != tc.want {
			t.Errorf("List(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

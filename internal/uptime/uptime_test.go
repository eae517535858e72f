package uptime_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/uptime"
)

var la = func() *time.Location {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		panic(err)
	}
	return loc
}()

// at reads a wall time in Los Angeles; "2026-11-01 01:30:00 PST" picks the
// second 1:30 of the day the clocks go back.
func at(t *testing.T, s string) time.Time {
	t.Helper()
	layout := "2006-01-02 15:04:05"
	if len(s) > len(layout) {
		layout += " MST"
	}
	v, err := time.ParseInLocation(layout, s, la)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func down(a, b time.Time) uptime.Outage     { return uptime.Outage{Start: a, End: b, Down: true} }
func degraded(a, b time.Time) uptime.Outage { return uptime.Outage{Start: a, End: b} }
func maint(a, b time.Time) uptime.Outage {
	return uptime.Outage{Start: a, End: b, Down: true, Maintenance: true}
}

const sec = time.Second

// dayWant is what one day must add up to, in whole seconds.
type dayWant struct {
	date                                  string
	measured, down, degraded, maintenance int
	state                                 uptime.State
	percent                               string
}

func TestDays(t *testing.T) {
	type tc struct {
		name        string
		outages     []uptime.Outage
		first, last string // dates
		now, since  string
		exclude     bool
		days        []dayWant
		total       string // the total's PercentText
	}
	cases := []func(t *testing.T) tc{
		func(t *testing.T) tc {
			return tc{name: "four minutes down on a summer day",
				outages: []uptime.Outage{down(at(t, "2026-08-12 09:48:00"), at(t, "2026-08-12 09:52:00"))},
				first:   "2026-08-12", last: "2026-08-12", now: "2026-08-20 12:00:00",
				days:  []dayWant{{"2026-08-12", 86400, 240, 0, 0, uptime.Down, "99.72%"}},
				total: "99.72%"}
		},
		func(t *testing.T) tc {
			return tc{name: "two monitors' overlapping outages count once",
				outages: []uptime.Outage{
					down(at(t, "2026-08-12 09:48:00"), at(t, "2026-08-12 09:52:00")),
					down(at(t, "2026-08-12 09:50:30"), at(t, "2026-08-12 09:55:10")),
					down(at(t, "2026-08-12 09:49:00"), at(t, "2026-08-12 09:50:00")), // inside the first
				},
				first: "2026-08-12", last: "2026-08-12", now: "2026-08-20 12:00:00",
				days:  []dayWant{{"2026-08-12", 86400, 430, 0, 0, uptime.Down, "99.50%"}},
				total: "99.50%"}
		},
		func(t *testing.T) tc {
			return tc{name: "degraded around a down stretch is not downtime but is shown",
				outages: []uptime.Outage{
					degraded(at(t, "2026-08-12 09:40:00"), at(t, "2026-08-12 10:00:00")),
					down(at(t, "2026-08-12 09:48:00"), at(t, "2026-08-12 09:52:00")),
				},
				first: "2026-08-12", last: "2026-08-12", now: "2026-08-20 12:00:00",
				days:  []dayWant{{"2026-08-12", 86400, 240, 960, 0, uptime.Down, "99.72%"}},
				total: "99.72%"}
		},
		func(t *testing.T) tc {
			return tc{name: "a degraded day keeps 100%",
				outages: []uptime.Outage{degraded(at(t, "2026-08-12 14:00:00"), at(t, "2026-08-12 14:12:30"))},
				first:   "2026-08-11", last: "2026-08-12", now: "2026-08-20 12:00:00",
				days: []dayWant{
					{"2026-08-11", 86400, 0, 0, 0, uptime.Up, "100%"},
					{"2026-08-12", 86400, 0, 750, 0, uptime.Degraded, "100%"},
				},
				total: "100%"}
		},
		func(t *testing.T) tc {
			return tc{name: "an outage across midnight is split between the days",
				outages: []uptime.Outage{down(at(t, "2026-08-12 23:58:00"), at(t, "2026-08-13 00:03:00"))},
				first:   "2026-08-12", last: "2026-08-13", now: "2026-08-20 12:00:00",
				days: []dayWant{
					{"2026-08-12", 86400, 120, 0, 0, uptime.Down, "99.86%"},
					{"2026-08-13", 86400, 180, 0, 0, uptime.Down, "99.79%"},
				},
				total: "99.82%"} // 300 of 172800 s
		},
		func(t *testing.T) tc {
			return tc{name: "today counts only up to now, and an open outage lasts until now",
				outages: []uptime.Outage{{Start: at(t, "2026-08-12 09:48:00"), Down: true}},
				first:   "2026-08-12", last: "2026-08-12", now: "2026-08-12 10:30:00",
				days:  []dayWant{{"2026-08-12", 37800, 2520, 0, 0, uptime.Down, "93.33%"}},
				total: "93.33%"}
		},
		func(t *testing.T) tc {
			return tc{name: "days before measurement began have no data; its first day counts from then",
				outages: []uptime.Outage{down(at(t, "2026-08-12 18:00:00"), at(t, "2026-08-12 18:01:00"))},
				first:   "2026-08-11", last: "2026-08-12", now: "2026-08-20 12:00:00", since: "2026-08-12 12:00:00",
				days: []dayWant{
					{"2026-08-11", 0, 0, 0, 0, uptime.NoData, ""},
					{"2026-08-12", 43200, 60, 0, 0, uptime.Down, "99.86%"},
				},
				total: "99.86%"}
		},
		func(t *testing.T) tc {
			return tc{name: "days after now have no data",
				first: "2026-08-12", last: "2026-08-13", now: "2026-08-12 06:00:00",
				days: []dayWant{
					{"2026-08-12", 21600, 0, 0, 0, uptime.Up, "100%"},
					{"2026-08-13", 0, 0, 0, 0, uptime.NoData, ""},
				},
				total: "100%"}
		},
		func(t *testing.T) tc {
			// 1:30 PST to 3:30 PDT is one hour; the day is 23 hours long.
			return tc{name: "the spring-forward day has 23 hours",
				outages: []uptime.Outage{down(at(t, "2026-03-08 01:30:00"), at(t, "2026-03-08 03:30:00"))},
				first:   "2026-03-07", last: "2026-03-09", now: "2026-04-01 00:00:00",
				days: []dayWant{
					{"2026-03-07", 86400, 0, 0, 0, uptime.Up, "100%"},
					{"2026-03-08", 82800, 3600, 0, 0, uptime.Down, "95.65%"},
					{"2026-03-09", 86400, 0, 0, 0, uptime.Up, "100%"},
				},
				total: "98.59%"} // 252000 of 255600 s
		},
		func(t *testing.T) tc {
			// From the first 1:30 (PDT) to the second (PST) is one hour; the day is 25 hours long.
			return tc{name: "the fall-back day has 25 hours",
				outages: []uptime.Outage{down(at(t, "2026-11-01 01:30:00 PDT"), at(t, "2026-11-01 01:30:00 PST"))},
				first:   "2026-11-01", last: "2026-11-01", now: "2026-11-20 00:00:00",
				days:  []dayWant{{"2026-11-01", 90000, 3600, 0, 0, uptime.Down, "96.00%"}},
				total: "96.00%"}
		},
		func(t *testing.T) tc {
			return tc{name: "maintenance downtime is kept apart and counts when not excluded",
				outages: []uptime.Outage{maint(at(t, "2026-04-03 23:00:00"), at(t, "2026-04-03 23:03:10"))},
				first:   "2026-04-03", last: "2026-04-03", now: "2026-04-10 00:00:00",
				days:  []dayWant{{"2026-04-03", 86400, 0, 0, 190, uptime.Maintenance, "99.78%"}},
				total: "99.78%"}
		},
		func(t *testing.T) tc {
			return tc{name: "excluded maintenance downtime leaves the figure",
				outages: []uptime.Outage{
					maint(at(t, "2026-04-03 23:00:00"), at(t, "2026-04-03 23:03:10")),
					down(at(t, "2026-04-03 08:00:00"), at(t, "2026-04-03 08:01:00")),
				},
				first: "2026-04-03", last: "2026-04-03", now: "2026-04-10 00:00:00", exclude: true,
				// 60 s down of 86210 s counted.
				days:  []dayWant{{"2026-04-03", 86400, 60, 0, 190, uptime.Down, "99.93%"}},
				total: "99.93%"}
		},
		func(t *testing.T) tc {
			return tc{name: "unplanned downtime wins over maintenance where they overlap",
				outages: []uptime.Outage{
					maint(at(t, "2026-04-03 23:00:00"), at(t, "2026-04-03 23:10:00")),
					down(at(t, "2026-04-03 23:05:00"), at(t, "2026-04-03 23:20:00")),
				},
				first: "2026-04-03", last: "2026-04-03", now: "2026-04-10 00:00:00",
				days:  []dayWant{{"2026-04-03", 86400, 900, 0, 300, uptime.Down, "98.61%"}},
				total: "98.61%"}
		},
		func(t *testing.T) tc {
			return tc{name: "one second of downtime never reads as 100%",
				outages: []uptime.Outage{down(at(t, "2026-08-12 12:00:00"), at(t, "2026-08-12 12:00:01"))},
				first:   "2026-08-12", last: "2026-08-12", now: "2026-08-20 00:00:00",
				days:  []dayWant{{"2026-08-12", 86400, 1, 0, 0, uptime.Down, "99.99%"}},
				total: "99.99%"}
		},
		func(t *testing.T) tc {
			return tc{name: "outages outside the range are ignored",
				outages: []uptime.Outage{
					down(at(t, "2026-08-10 12:00:00"), at(t, "2026-08-11 00:00:00")),
					down(at(t, "2026-08-13 00:00:00"), at(t, "2026-08-13 05:00:00")),
				},
				first: "2026-08-12", last: "2026-08-12", now: "2026-08-20 00:00:00",
				days:  []dayWant{{"2026-08-12", 86400, 0, 0, 0, uptime.Up, "100%"}},
				total: "100%"}
		},
	}
	for _, mk := range cases {
		c := mk(t)
		t.Run(c.name, func(t *testing.T) {
			opt := uptime.Options{Now: at(t, c.now), ExcludeMaintenance: c.exclude}
			if c.since != "" {
				opt.Since = at(t, c.since)
			}
			r := uptime.Days(c.outages, at(t, c.first+" 00:00:00"), at(t, c.last+" 00:00:00"), la, opt)
			if len(r.Days) != len(c.days) {
				t.Fatalf("%d days, want %d", len(r.Days), len(c.days))
			}
			var sum time.Duration
			for i, w := range c.days {
				d := r.Days[i]
				got := dayWant{d.Date.Format("2006-01-02"), int(d.Measured / sec), int(d.Down / sec), int(d.Degraded / sec),
					int(d.Maintenance / sec), d.State, d.PercentText()}
				if got != w {
					t.Errorf("day %d:\n got %+v\nwant %+v", i, got, w)
				}
				if d.Date.Location() != la || d.Date.Hour() != 0 || d.Date.Minute() != 0 {
					t.Errorf("day %d starts at %v, want midnight in Los Angeles", i, d.Date)
				}
				if d.Measured%sec != 0 || d.Down%sec != 0 {
					t.Errorf("day %d: not whole seconds: %v %v", i, d.Measured, d.Down)
				}
				sum += d.Measured
			}
			if r.Total.Measured != sum {
				t.Errorf("total measured %v, days add up to %v", r.Total.Measured, sum)
			}
			if got := r.Total.PercentText(); got != c.total {
				t.Errorf("total %q, want %q", got, c.total)
			}
		})
	}
}

func TestMergeSpans(t *testing.T) {
	from, to := at(t, "2026-08-12 00:00:00"), at(t, "2026-08-13 00:00:00")
	got := uptime.Merge([]uptime.Outage{
		degraded(at(t, "2026-08-12 09:40:00"), at(t, "2026-08-12 10:00:00")),
		down(at(t, "2026-08-12 09:48:00"), at(t, "2026-08-12 09:52:00")),
		down(at(t, "2026-08-12 09:52:00"), at(t, "2026-08-12 09:53:00")), // touches: joined
		maint(at(t, "2026-08-12 23:00:00"), time.Time{}),                 // still lasting
	}, from, to)
	want := []uptime.Span{
		{Start: at(t, "2026-08-12 09:40:00"), End: at(t, "2026-08-12 09:48:00"), State: uptime.Degraded},
		{Start: at(t, "2026-08-12 09:48:00"), End: at(t, "2026-08-12 09:53:00"), State: uptime.Down},
		{Start: at(t, "2026-08-12 09:53:00"), End: at(t, "2026-08-12 10:00:00"), State: uptime.Degraded},
		{Start: at(t, "2026-08-12 23:00:00"), End: to, State: uptime.Maintenance, Ongoing: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("spans:\n got %+v\nwant %+v", got, want)
	}
}

func TestOngoingSpanInDays(t *testing.T) {
	now := at(t, "2026-08-13 00:20:00")
	r := uptime.Days([]uptime.Outage{{Start: at(t, "2026-08-12 23:50:00"), Down: true}},
		at(t, "2026-08-12 00:00:00"), now, la, uptime.Options{Now: now})
	if len(r.Days) != 2 {
		t.Fatalf("%d days", len(r.Days))
	}
	y, td := r.Days[0], r.Days[1]
	if len(y.Spans) != 1 || y.Spans[0].Ongoing || !y.Spans[0].End.Equal(at(t, "2026-08-13 00:00:00")) {
		t.Errorf("yesterday's part: %+v", y.Spans)
	}
	if len(td.Spans) != 1 || !td.Spans[0].Ongoing || !td.Spans[0].End.Equal(now) || td.Down != 20*time.Minute {
		t.Errorf("today's part: %+v down %v", td.Spans, td.Down)
	}
	if td.Measured != 20*time.Minute || td.PercentText() != "0.00%" {
		t.Errorf("today measured %v, %s", td.Measured, td.PercentText())
	}
}

func TestWindowAndPercent(t *testing.T) {
	now := at(t, "2026-08-12 12:00:00")
	outages := []uptime.Outage{
		down(at(t, "2026-08-11 11:00:00"), at(t, "2026-08-11 13:00:00")), // one hour inside the window
		down(at(t, "2026-08-12 11:59:59"), time.Time{}),                  // open: one second
	}
	w := uptime.Window(outages, now.Add(-24*time.Hour), now, uptime.Options{Now: now})
	if w.Measured != 24*time.Hour || w.Down != time.Hour+time.Second {
		t.Fatalf("window: %+v", w)
	}
	p, ok := w.Percent()
	if !ok || p != 95.8321 { // 82799/86400 = 0.958321759...
		t.Errorf("percent %v %v, want 95.8321", p, ok)
	}
	if s := w.PercentText(); s != "95.83%" {
		t.Errorf("text %q", s)
	}
	// Before measurement began, nothing counts.
	w = uptime.Window(outages, now.Add(-24*time.Hour), now, uptime.Options{Now: now, Since: now})
	if w.HasData() || w.PercentText() != "" {
		t.Errorf("no data expected: %+v %q", w, w.PercentText())
	}
	if _, ok := w.Percent(); ok {
		t.Errorf("percent without data")
	}
}

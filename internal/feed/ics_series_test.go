package feed

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
	"github.com/heraldhq/herald/internal/status"
	"github.com/teambition/rrule-go"
)

// A weekly series at 2 AM Pacific time on Sundays across the change to
// daylight-saving time on March 8, 2026, when 2 AM does not exist.
func seriesFixture() (status.Series, []status.Maintenance) {
	sr := status.Series{ID: 7, Title: "Weekly restarts", Body: "We restart *all* servers.", Rule: "FREQ=WEEKLY;BYDAY=SU",
		Start: time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC), Zone: "America/Los_Angeles", Duration: 90 * time.Minute,
		Components: []string{"flexo/web"}, CreatedAt: t0.Add(-30 * 24 * time.Hour), UpdatedAt: t0.Add(-2 * time.Hour), Sequence: 1}
	at := func(day, hour int) time.Time { return time.Date(2026, 3, day, hour, 0, 0, 0, time.UTC) }
	occ := func(id int64, start time.Time, st status.MaintenanceStatus, seq int) status.Maintenance {
		return renderedWindow(status.Maintenance{ID: id, Title: sr.Title, Body: sr.Body, Status: st,
			ScheduledFor: start, ScheduledUntil: start.Add(sr.Duration), SeriesID: sr.ID, Occurrence: start,
			Components: sr.Components, Sequence: seq, CreatedAt: t0.Add(-20 * 24 * time.Hour), UpdatedAt: t0.Add(-2 * time.Hour)})
	}
	moved := occ(23, at(15, 9), status.Scheduled, 1)
	moved.ScheduledFor, moved.ScheduledUntil = at(15, 10), at(15, 10).Add(2*time.Hour)
	moved.Title = "Weekly restarts (an hour later)"
	return sr, []status.Maintenance{
		occ(21, at(1, 10), status.Completed, 0),
		occ(22, at(8, 10), status.Cancelled, 1), // 2 AM that day is 3 AM PDT, 10:00 UTC
		moved,                                   // March 15, 2 AM PDT is 09:00 UTC
		occ(24, at(22, 9), status.Scheduled, 0),
	}
}

func TestICSSeries(t *testing.T) {
	sr, occurrences := seriesFixture()
	alone := windows()
	b, err := ICS(page, append(alone, occurrences...), []status.Series{sr}, t0)
	if err != nil {
		t.Fatal(err)
	}
	checkLines(t, b)
	golden(t, "series.ics", b)
	cal := decodeICS(t, b)

	var master, override *ical.Event
	others := 0
	for _, e := range cal.Events() {
		switch uid := e.Props.Get(ical.PropUID).Value; {
		case uid != "maintenance-series-7@status.example.com":
			if strings.Contains(e.Props.Get(ical.PropSummary).Value, "Weekly") {
				t.Errorf("an occurrence is an event of its own: %s", uid)
			}
			others++
		case e.Props.Get(ical.PropRecurrenceID) == nil:
			master = &e
		default:
			override = &e
		}
	}
	if master == nil || override == nil || others != len(alone) {
		t.Fatalf("master %v, override %v, %d other events (want %d)", master != nil, override != nil, others, len(alone))
	}
	la, _ := time.LoadLocation("America/Los_Angeles")
	start, err := master.DateTimeStart(nil)
	if err != nil || start.Location().String() != "America/Los_Angeles" || !start.Equal(time.Date(2026, 3, 1, 2, 0, 0, 0, la)) {
		t.Errorf("DTSTART %v (%v), want 2 AM March 1 in America/Los_Angeles", start, err)
	}
	if p := master.Props.Get(ical.PropDateTimeStart); p.Params.Get(ical.ParamTimezoneID) != "America/Los_Angeles" {
		t.Errorf("DTSTART has no TZID: %+v", p)
	}
	if d := master.Props.Get(ical.PropDuration); d == nil || d.Value != "PT1H30M" {
		t.Errorf("DURATION %+v, want PT1H30M", d)
	}
	if seq, err := master.Props.Get(ical.PropSequence).Int(); err != nil || seq != 1 {
		t.Errorf("SEQUENCE %d (%v), want 1", seq, err)
	}

	// A calendar program expanding the rule (go-ical with rrule-go, which
	// place a local time by Go's rules) gets the windows Herald made, less
	// the one cancelled.
	set, err := master.RecurrenceSet(nil)
	if err != nil || set == nil {
		t.Fatalf("RecurrenceSet: %v", err)
	}
	got := set.Between(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC), true)
	want := []time.Time{occurrences[0].Occurrence, occurrences[2].Occurrence, occurrences[3].Occurrence}
	if len(got) != len(want) {
		t.Fatalf("the calendar expands to %v, want %v", got, want)
	}
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Errorf("occurrence %d: the calendar says %s, Herald %s", i, got[i].UTC(), want[i])
		}
	}
	// The moved occurrence: its own event, naming the occurrence it replaces.
	rid, err := override.Props.DateTime(ical.PropRecurrenceID, nil)
	if err != nil || !rid.Equal(occurrences[2].Occurrence) {
		t.Errorf("RECURRENCE-ID %v (%v), want %s", rid, err, occurrences[2].Occurrence)
	}
	if s, _ := override.DateTimeStart(nil); !s.Equal(occurrences[2].ScheduledFor) {
		t.Errorf("override DTSTART %v, want %v", s, occurrences[2].ScheduledFor)
	}
	if s, _ := override.Props.Text(ical.PropSummary); s != "Weekly restarts (an hour later)" {
		t.Errorf("override SUMMARY %q", s)
	}
	// The zone the rule is in is defined in the calendar.
	var zones int
	for _, c := range cal.Children {
		if c.Name == ical.CompTimezone && c.Props.Get(ical.PropTimezoneID).Value == "America/Los_Angeles" {
			zones++
		}
	}
	if zones != 1 {
		t.Errorf("%d VTIMEZONE for America/Los_Angeles, want 1", zones)
	}
}

func TestICSSeriesEnded(t *testing.T) {
	sr, occurrences := seriesFixture()
	sr.Rule = "FREQ=WEEKLY;BYDAY=SU;COUNT=20"
	sr.EndedAt = time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC)
	occurrences[3].Status = status.Cancelled // cancelled by the end: past UNTIL, no EXDATE
	b, err := ICS(page, occurrences, []status.Series{sr}, t0)
	if err != nil {
		t.Fatal(err)
	}
	cal := decodeICS(t, b)
	for _, e := range cal.Events() {
		if e.Props.Get(ical.PropRecurrenceID) != nil {
			continue
		}
		if r := e.Props.Get(ical.PropRecurrenceRule).Value; r != "FREQ=WEEKLY;BYDAY=SU;UNTIL=20260316T000000Z" {
			t.Errorf("RRULE %q", r)
		}
		if ex := e.Props.Values(ical.PropExceptionDates); len(ex) != 1 || ex[0].Value != "20260308T020000" {
			t.Errorf("EXDATE %+v, want the one cancelled on its own", ex)
		}
	}
}

// The VTIMEZONE Herald writes gives the offsets Go's zone data gives, for
// every six hours of the years it covers, in zones of both hemispheres and
// one without daylight saving.
func TestICSZonesMatchGo(t *testing.T) {
	for _, name := range []string{"America/Los_Angeles", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata", "America/Sao_Paulo"} {
		t.Run(name, func(t *testing.T) {
			loc, err := time.LoadLocation(name)
			if err != nil {
				t.Fatal(err)
			}
			var w icsWriter
			w.prop("BEGIN", "VCALENDAR")
			w.prop("VERSION", "2.0")
			w.prop("PRODID", "-//test//EN")
			w.zone(name, loc, 2015, 2030)
			w.prop("END", "VCALENDAR")
			cal, err := ical.NewDecoder(bytes.NewReader(w.buf.Bytes())).Decode()
			if err != nil {
				t.Fatalf("%v\n%s", err, w.buf.Bytes())
			}
			type change struct {
				at time.Time
				to int
			}
			var changes []change
			for _, obs := range cal.Children[0].Children {
				from, to := offset(t, obs.Props.Get(ical.PropTimezoneOffsetFrom).Value), offset(t, obs.Props.Get(ical.PropTimezoneOffsetTo).Value)
				wall, err := time.Parse("20060102T150405", obs.Props.Get(ical.PropDateTimeStart).Value)
				if err != nil {
					t.Fatal(err)
				}
				walls := []time.Time{wall}
				if r := obs.Props.Get(ical.PropRecurrenceRule); r != nil {
					opt, err := rrule.StrToROption(r.Value)
					if err != nil {
						t.Fatal(err)
					}
					opt.Dtstart = wall
					if !opt.Until.IsZero() {
						opt.Until = opt.Until.Add(time.Duration(from) * time.Second) // to wall time
					}
					rr, err := rrule.NewRRule(*opt)
					if err != nil {
						t.Fatal(err)
					}
					walls = rr.Between(wall, time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC), true)
				}
				for _, rd := range obs.Props.Values(ical.PropRecurrenceDates) {
					for _, v := range strings.Split(rd.Value, ",") {
						wv, err := time.Parse("20060102T150405", v)
						if err != nil {
							t.Fatal(err)
						}
						walls = append(walls, wv)
					}
				}
				for _, wv := range walls {
					changes = append(changes, change{wv.Add(-time.Duration(from) * time.Second), to})
				}
			}
			if len(changes) == 0 {
				t.Fatal("no observance")
			}
			checked := 0
			for at := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC); at.Before(time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)); at = at.Add(6 * time.Hour) {
				var best *change
				for i := range changes {
					if !changes[i].at.After(at) && (best == nil || changes[i].at.After(best.at)) {
						best = &changes[i]
					}
				}
				if best == nil {
					t.Fatalf("no observance covers %s", at)
				}
				if _, want := at.In(loc).Zone(); best.to != want {
					t.Fatalf("at %s the calendar's offset is %d, Go's %d", at, best.to, want)
				}
				checked++
			}
			if checked < 20000 {
				t.Errorf("checked %d moments", checked)
			}
		})
	}
}

func offset(t *testing.T, s string) int {
	t.Helper()
	if len(s) < 5 {
		t.Fatalf("offset %q", s)
	}
	v, err := time.Parse("1504", s[1:5])
	if err != nil {
		t.Fatalf("offset %q: %v", s, err)
	}
	sec := v.Hour()*3600 + v.Minute()*60
	if s[0] == '-' {
		sec = -sec
	}
	return sec
}

func TestICSDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		2 * time.Hour: "PT2H", 90 * time.Minute: "PT1H30M", 26 * time.Hour: "P1DT2H", 48 * time.Hour: "P2D", 61 * time.Second: "PT1M1S",
	} {
		if got := icsDuration(d); got != want {
			t.Errorf("%s: %s, want %s", d, got, want)
		}
	}
}

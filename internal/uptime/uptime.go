// Package uptime computes a component's uptime exactly from its measured
// outage intervals: the union of overlapping intervals, clipped to each day
// of the page's zone, with degraded time and maintenance downtime kept apart.
// It does no I/O; the pages and the admin API both call it, so a figure reads
// the same wherever it is shown.
package uptime

import (
	"fmt"
	"sort"
	"time"
)

// State is what a moment, or a day at its worst, was.
type State string

// States, from best to worst; NoData is a day nothing was measured.
const (
	NoData      State = "no_data"
	Up          State = "up"
	Degraded    State = "degraded"
	Maintenance State = "maintenance" // down inside a maintenance window
	Down        State = "down"
)

// rank orders the states a span can have; a later one wins an overlap.
func (s State) rank() int {
	switch s {
	case Degraded:
		return 1
	case Maintenance:
		return 2
	case Down:
		return 3
	}
	return 0
}

// Outage is one measured interval [Start, End). End is zero while it lasts.
type Outage struct {
	Start, End  time.Time
	Down        bool // down rather than degraded
	Maintenance bool // inside a maintenance window on the component
}

// state is what the outage makes of the moments it covers. A degraded
// outage is degraded even inside maintenance: only downtime is kept apart.
func (o Outage) state() State {
	switch {
	case o.Down && o.Maintenance:
		return Maintenance
	case o.Down:
		return Down
	}
	return Degraded
}

// Span is a stretch of one state in the union of a component's outages.
type Span struct {
	Start, End time.Time
	State      State
	// Ongoing says the span reaches now because an outage in it has not ended.
	Ongoing bool
}

// Duration is the span's length.
func (s Span) Duration() time.Duration { return s.End.Sub(s.Start) }

// Options say how to read the outages.
type Options struct {
	// Now ends every measurement; an outage that has not ended lasts until now.
	Now time.Time
	// Since is when measurement began (the component's first monitor); time
	// before it is no data. Zero: measured from the start of any range.
	Since time.Time
	// ExcludeMaintenance leaves maintenance downtime out of the uptime
	// figure: it counts as neither down nor up, so it leaves the measured
	// time too. It is reported apart either way.
	ExcludeMaintenance bool
}

// Merge returns the union of the outages within [from, to) as spans of one
// state each, in order and not overlapping: where outages overlap, the worst
// state wins (down, then maintenance downtime, then degraded). Outages still
// lasting end at to. Adjacent spans of one state are joined.
func Merge(outages []Outage, from, to time.Time) []Span {
	type edge struct {
		at    time.Time
		state State
		delta int
		open  bool // the outage has not ended
	}
	var edges []edge
	for _, o := range outages {
		start, end, open := o.Start, o.End, o.End.IsZero()
		if open || end.After(to) {
			end = to
		}
		if start.Before(from) {
			start = from
		}
		if !end.After(start) {
			continue
		}
		st := o.state()
		edges = append(edges, edge{start, st, +1, open}, edge{end, st, -1, open})
	}
	sort.SliceStable(edges, func(i, j int) bool { return edges[i].at.Before(edges[j].at) })
	var (
		count [4]int // covering outages by state rank
		open  [4]int // those of them not ended
		spans []Span
		last  time.Time
	)
	current := func() State {
		for r := 3; r > 0; r-- {
			if count[r] > 0 {
				return [...]State{Up, Degraded, Maintenance, Down}[r]
			}
		}
		return Up
	}
	for i := 0; i < len(edges); {
		at := edges[i].at
		if st := current(); st != Up && at.After(last) {
			spans = appendSpan(spans, Span{Start: last, End: at, State: st, Ongoing: open[st.rank()] > 0 && !at.Before(to)})
		}
		for ; i < len(edges) && edges[i].at.Equal(at); i++ {
			e := edges[i]
			count[e.state.rank()] += e.delta
			if e.open {
				open[e.state.rank()] += e.delta
			}
		}
		last = at
	}
	return spans
}

// appendSpan adds s, joining it to the last span when they touch and agree.
func appendSpan(spans []Span, s Span) []Span {
	if n := len(spans); n > 0 && spans[n-1].State == s.State && spans[n-1].End.Equal(s.Start) {
		spans[n-1].End, spans[n-1].Ongoing = s.End, s.Ongoing
		return spans
	}
	return append(spans, s)
}

// Totals are the measured time of a range and how it went.
type Totals struct {
	Measured    time.Duration // time with measurement, maintenance downtime included
	Down        time.Duration // unplanned downtime
	Degraded    time.Duration // slow or partly failing; not downtime
	Maintenance time.Duration // downtime inside maintenance windows
	// ExcludeMaintenance is the option the totals were made with.
	ExcludeMaintenance bool
}

func (t *Totals) add(o Totals) {
	t.Measured += o.Measured
	t.Down += o.Down
	t.Degraded += o.Degraded
	t.Maintenance += o.Maintenance
}

// Counted is the time the uptime figure is out of, and Downtime the part of
// it that was down.
func (t Totals) Counted() time.Duration {
	if t.ExcludeMaintenance {
		return t.Measured - t.Maintenance
	}
	return t.Measured
}

// Downtime is the downtime the uptime figure counts.
func (t Totals) Downtime() time.Duration {
	if t.ExcludeMaintenance {
		return t.Down
	}
	return t.Down + t.Maintenance
}

// HasData says whether anything was measured (and counted).
func (t Totals) HasData() bool { return t.Counted() > 0 }

// Fraction is the uptime as parts per scale, rounded down, so that any
// downtime at all keeps the figure below scale. ok is false without data.
func (t Totals) Fraction(scale int64) (n int64, ok bool) {
	counted := t.Counted().Milliseconds()
	if counted <= 0 {
		return 0, false
	}
	down := t.Downtime().Milliseconds()
	if down == 0 && t.Downtime() > 0 {
		down = 1 // under a millisecond still is not perfect
	}
	return (counted - down) * scale / counted, true
}

// Percent is the uptime in percent, rounded down to four decimals
// (99.7222); ok is false without data.
func (t Totals) Percent() (p float64, ok bool) {
	n, ok := t.Fraction(1_000_000)
	return float64(n) / 10_000, ok
}

// PercentText is the uptime as the pages show it: "100%" with no downtime at
// all, else rounded down to two decimals ("99.72%", "99.99%" for a second's
// downtime in a day), and "" without data.
func (t Totals) PercentText() string {
	n, ok := t.Fraction(10_000)
	if !ok {
		return ""
	}
	if n == 10_000 {
		return "100%"
	}
	return fmt.Sprintf("%d.%02d%%", n/100, n%100)
}

// Day is one calendar day in the page's zone.
type Day struct {
	Date time.Time // midnight starting the day, in the zone
	// Start and End bound the measured part: the whole day, less the time
	// before measurement began and after now. Equal when nothing was measured.
	Start, End time.Time
	Totals
	State State
	Spans []Span // the day's outage spans, clipped to it
}

// Report is a run of days and their sum.
type Report struct {
	Days  []Day // oldest first
	Total Totals
}

// Days computes each day from first to last (dates in loc; their clock time
// is ignored), both included, and their sum.
func Days(outages []Outage, first, last time.Time, loc *time.Location, opt Options) Report {
	d0 := midnight(first, loc)
	dn := midnight(last, loc)
	var r Report
	r.Total.ExcludeMaintenance = opt.ExcludeMaintenance
	if dn.Before(d0) {
		return r
	}
	spans := Merge(outages, d0, nextDay(dn))
	// Sized once: days are 23 to 25 hours long, so this is the count or one
	// more (grown by append, a report of 90 days allocated twice its size).
	r.Days = make([]Day, 0, int(dn.Sub(d0)/(23*time.Hour))+1)
	for d := d0; !d.After(dn); d = nextDay(d) {
		day := measureDay(spans, d, nextDay(d), opt)
		r.Total.add(day.Totals)
		r.Days = append(r.Days, day)
	}
	return r
}

// Window computes the totals of an arbitrary range [from, to), such as the
// last 24 hours.
func Window(outages []Outage, from, to time.Time, opt Options) Totals {
	d := measureDay(Merge(outages, from, to), from, to, opt)
	return d.Totals
}

func measureDay(spans []Span, start, end time.Time, opt Options) Day {
	day := Day{Date: start, State: NoData}
	day.ExcludeMaintenance = opt.ExcludeMaintenance
	lo, hi := start, end
	if lo.Before(opt.Since) {
		lo = opt.Since
	}
	if !opt.Now.IsZero() && hi.After(opt.Now) {
		hi = opt.Now
	}
	if !hi.After(lo) {
		day.Start, day.End = start, start
		return day
	}
	day.Start, day.End, day.Measured, day.State = lo, hi, hi.Sub(lo), Up
	for _, s := range spans {
		if !s.End.After(lo) || !s.Start.Before(hi) {
			continue
		}
		if s.Start.Before(lo) {
			s.Start = lo
		}
		if s.End.After(hi) {
			s.End = hi
		}
		// Only a span still lasting at now is ongoing; one cut at the day's end is not.
		s.Ongoing = s.Ongoing && s.End.Equal(opt.Now)
		switch s.State {
		case Down:
			day.Down += s.Duration()
		case Degraded:
			day.Degraded += s.Duration()
		case Maintenance:
			day.Maintenance += s.Duration()
		}
		if s.State.rank() > day.State.rank() {
			day.State = s.State
		}
		day.Spans = append(day.Spans, s)
	}
	return day
}

// midnight is the start of t's day in loc. Where a zone skips midnight, the
// day starts at the first moment it has.
func midnight(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// nextDay is the midnight after d: 23 or 25 hours later across a DST change.
func nextDay(d time.Time) time.Time {
	y, m, dd := d.Date()
	return time.Date(y, m, dd+1, 0, 0, 0, 0, d.Location())
}

package status

import "time"

// Level is what one check found: the probe's verdict, ordered best to worst.
type Level int

// Check levels. The numbers are stored; do not reorder.
const (
	LevelUp Level = iota
	LevelDegraded
	LevelDown
)

func (l Level) String() string {
	switch l {
	case LevelUp:
		return "up"
	case LevelDegraded:
		return "degraded"
	case LevelDown:
		return "down"
	}
	return "unknown"
}

// MonitorState is what a monitor concluded from its recent checks.
type MonitorState string

// Monitor states. Unknown is a monitor that has not checked yet.
const (
	MonitorUnknown  MonitorState = "unknown"
	MonitorUp       MonitorState = "up"
	MonitorDegraded MonitorState = "degraded"
	MonitorDown     MonitorState = "down"
)

// Bad reports whether the state counts as an outage.
func (s MonitorState) Bad() bool { return s == MonitorDegraded || s == MonitorDown }

// Detector turns a monitor's checks into states with thresholds: down_after
// consecutive failures before down, up_after consecutive successes before up.
// It keeps the runs of checks that cross a threshold, so a transition carries
// the measured moment it happened: an outage starts at the first failed check
// of the run that crossed the threshold and ends at the first successful check
// of the run that recovered. It is a plain value, saved with each batch of
// results, so a restart or a reload loses nothing.
type Detector struct {
	State MonitorState
	Since time.Time // when State began (the measured moment)

	// Runs of consecutive checks ending with the latest one, with the time of
	// the first check of each run. Bad counts degraded and down checks.
	BadRun, DownRun, DegradedRun, GoodRun         int
	BadStart, DownStart, DegradedStart, GoodStart time.Time
}

// Transition is a change of a monitor's state.
type Transition struct {
	From, To MonitorState
	// At is the measured moment: the first check of the run that caused it.
	At time.Time
}

// Opens reports whether the transition starts an outage.
func (t Transition) Opens() bool { return !t.From.Bad() && t.To.Bad() }

// Closes reports whether the transition ends an outage.
func (t Transition) Closes() bool { return t.From.Bad() && !t.To.Bad() }

// Observe takes one check's level at time at and returns the transition it
// causes, if any. Thresholds below one count as one.
func (d *Detector) Observe(l Level, at time.Time, downAfter, upAfter int) (Transition, bool) {
	downAfter, upAfter = max(downAfter, 1), max(upAfter, 1)
	if d.State == "" {
		d.State = MonitorUnknown
	}
	extend := func(n *int, start *time.Time) {
		if *n == 0 {
			*start = at
		}
		*n++
	}
	switch l {
	case LevelUp:
		extend(&d.GoodRun, &d.GoodStart)
		d.BadRun, d.DownRun, d.DegradedRun = 0, 0, 0
	case LevelDegraded:
		extend(&d.BadRun, &d.BadStart)
		extend(&d.DegradedRun, &d.DegradedStart)
		d.DownRun, d.GoodRun = 0, 0
	default:
		extend(&d.BadRun, &d.BadStart)
		extend(&d.DownRun, &d.DownStart)
		d.DegradedRun, d.GoodRun = 0, 0
	}

	from := d.State
	to, when := from, time.Time{}
	switch from {
	case MonitorUnknown, MonitorUp:
		switch {
		case d.DownRun >= downAfter:
			to, when = MonitorDown, d.BadStart
		case d.BadRun >= downAfter:
			to, when = MonitorDegraded, d.BadStart
		case from == MonitorUnknown && l == LevelUp:
			// A new monitor's first success: up, with no outage behind it.
			to, when = MonitorUp, at
		}
	case MonitorDegraded:
		switch {
		case d.DownRun >= downAfter:
			to, when = MonitorDown, d.DownStart
		case d.GoodRun >= upAfter:
			to, when = MonitorUp, d.GoodStart
		}
	case MonitorDown:
		switch {
		case d.GoodRun >= upAfter:
			to, when = MonitorUp, d.GoodStart
		case d.DegradedRun >= upAfter:
			to, when = MonitorDegraded, d.DegradedStart
		}
	}
	if to == from {
		return Transition{}, false
	}
	d.State, d.Since = to, when
	return Transition{From: from, To: to, At: when}, true
}

// MeasuredStatus is the component status its monitors' states amount to:
// every monitor down is a major outage, some down a partial one, any degraded
// is degraded performance. Monitors that have not checked yet say nothing.
func MeasuredStatus(states []MonitorState) (ComponentStatus, bool) {
	known, down, degraded := 0, 0, 0
	for _, s := range states {
		switch s {
		case MonitorUp:
			known++
		case MonitorDown:
			known++
			down++
		case MonitorDegraded:
			known++
			degraded++
		}
	}
	switch {
	case known == 0:
		return "", false
	case down == known:
		return MajorOutage, true
	case down > 0:
		return PartialOutage, true
	case degraded > 0:
		return DegradedPerformance, true
	}
	return Operational, true
}

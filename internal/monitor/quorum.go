package monitor

import (
	"slices"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/status"
)

// Monitors with locations: configured with `locations:`, they are checked by
// probe agents (internal/agent), not by this engine, and decided by quorum.
// Each location keeps a status.Detector of its own (down_after and up_after
// apply per monitor and location); the monitor's state is what a quorum of
// the reporting locations see. The engine runs no check for them (Apply
// skips them); internal/agent's decider owns their state and outages.

// Located reports whether sp is checked from locations rather than by the server.
func (sp Spec) Located() bool { return located(sp.Monitor) }

// located is the rule of Located, on the configuration alone.
func located(m *config.Monitor) bool { return len(m.Locations) > 0 }

// FirstSlot is the first planned check of monitor id at or after now: the
// same slots the engine plans, so an agent checks when the server would.
func FirstSlot(now time.Time, id string, interval time.Duration) time.Time {
	return firstSlot(now, interval, phase(id, interval))
}

// WakeFor is when an agent starts the check planned for slot: the start of
// the startWindow-long step of the clock that holds the slot. An agent runs
// each monitor on a timer of its own, and timers set to one instant fire on
// one wake, so the checks planned within a step start together, as the
// engine's do (see startWindow): never after their slot, and less than
// startWindow before it.
func WakeFor(slot time.Time) time.Time { return slot.Truncate(startWindow) }

// LocationView is one location's view of a monitor, for the quorum.
type LocationView struct {
	Location string
	// State and Since are the location's detector's state and the measured
	// moment it began.
	State status.MonitorState
	Since time.Time
	// Reporting is false for a location whose agent has fallen silent: it
	// leaves the count.
	Reporting bool
}

// Verdict is what the locations amount to.
type Verdict struct {
	// State is down or degraded when a quorum of the reporting locations
	// see the monitor so, up when they do not, unknown when no location
	// reports (or none has concluded yet).
	State status.MonitorState
	// At is when a bad state began: the moment the quorum was reached, the
	// start of the failing run of the location that completed it. For up
	// and unknown it is zero; the caller knows what restored it.
	At time.Time
	// Bad counts the reporting locations that see the monitor degraded or
	// down, Reporting those counted, Need the quorum among them.
	Bad, Reporting, Need int
}

// Decide applies the quorum rule q (majority, any, all or a number) to the views.
func Decide(q string, views []LocationView) Verdict {
	var down, bad []time.Time
	v := Verdict{State: status.MonitorUnknown}
	for _, lv := range views {
		if !lv.Reporting || lv.State == status.MonitorUnknown || lv.State == "" {
			continue
		}
		v.Reporting++
		switch lv.State {
		case status.MonitorDown:
			down = append(down, lv.Since)
			bad = append(bad, lv.Since)
		case status.MonitorDegraded:
			bad = append(bad, lv.Since)
		}
	}
	v.Bad = len(bad)
	v.Need = config.QuorumNeed(q, v.Reporting)
	if v.Need == 0 {
		return v
	}
	// The quorum was reached when its need-th member began failing.
	nth := func(ts []time.Time) time.Time {
		slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
		return ts[v.Need-1]
	}
	switch {
	case len(down) >= v.Need:
		v.State, v.At = status.MonitorDown, nth(down)
	case len(bad) >= v.Need:
		v.State, v.At = status.MonitorDegraded, nth(bad)
	default:
		v.State = status.MonitorUp
	}
	return v
}

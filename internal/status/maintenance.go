package status

import (
	"fmt"
	"slices"
	"time"
)

// MaintenanceStatus is where a maintenance window stands.
type MaintenanceStatus string

// Maintenance statuses. Scheduled moves to InProgress at the window's start and
// to Completed at its end, by the server's clock; an operator may complete a
// running window early or cancel one that has not completed.
const (
	Scheduled  MaintenanceStatus = "scheduled"
	InProgress MaintenanceStatus = "in_progress"
	Completed  MaintenanceStatus = "completed"
	Cancelled  MaintenanceStatus = "cancelled"
)

// MaintenanceStatuses lists every maintenance status.
var MaintenanceStatuses = []MaintenanceStatus{Scheduled, InProgress, Completed, Cancelled}

// Valid reports whether s is a known maintenance status.
func (s MaintenanceStatus) Valid() bool {
	for _, v := range MaintenanceStatuses {
		if v == s {
			return true
		}
	}
	return false
}

// Final reports whether nothing more can happen to a window in this status.
func (s MaintenanceStatus) Final() bool { return s == Completed || s == Cancelled }

// Label is the status as a page shows it.
func (s MaintenanceStatus) Label() string {
	switch s {
	case Scheduled:
		return "Scheduled"
	case InProgress:
		return "In progress"
	case Completed:
		return "Completed"
	case Cancelled:
		return "Cancelled"
	}
	return string(s)
}

// CheckMaintenanceTransition says whether a window may move from one status to another.
func CheckMaintenanceTransition(from, to MaintenanceStatus) error {
	ok := false
	switch from {
	case Scheduled:
		ok = to == InProgress || to == Completed || to == Cancelled
	case InProgress:
		ok = to == Completed || to == Cancelled
	}
	if !ok {
		if from.Final() {
			return fmt.Errorf("the maintenance is already %s", from)
		}
		return fmt.Errorf("a maintenance cannot go from %s to %s", from, to)
	}
	return nil
}

// Maintenance is a planned window of work on some components.
type Maintenance struct {
	ID    int64
	Title string
	Body  string // Markdown, the announcement
	// Status is stored; DueStatus says what the clock makes of it.
	Status MaintenanceStatus

	ScheduledFor   time.Time // planned start
	ScheduledUntil time.Time // planned end
	StartedAt      time.Time // zero until it starts
	CompletedAt    time.Time // zero until it completes or is cancelled
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// Sequence counts the edits that change what a calendar shows (RFC 5545 SEQUENCE).
	Sequence int

	Components []string // component ids
	Updates    []MaintenanceUpdate

	// SeriesID names the series this window is an occurrence of (0: none),
	// and Occurrence is the start its rule gave it (RFC 5545 RECURRENCE-ID),
	// which stays as it was if the window is moved.
	SeriesID   int64     `json:",omitempty"`
	Occurrence time.Time `json:",omitzero"`

	// Rendered is Body as shown, made when it was written.
	Rendered Rendered `json:"-"`
}

// MaintenanceUpdate is one timestamped entry in a window's timeline.
type MaintenanceUpdate struct {
	ID            int64
	MaintenanceID int64
	Status        MaintenanceStatus
	Body          string // Markdown
	CreatedAt     time.Time
	DisplayAt     time.Time

	// Rendered is Body as shown, made when it was written.
	Rendered Rendered `json:"-"`
}

// Covers reports whether the window covers componentID at t: the component
// is in it and the window runs at t (see Span). It is the one rule for
// "inside a maintenance window": status derivation, the page's snapshot and
// the automatic-incident pass all ask it, so the page and the incident logic
// never disagree about a moment.
//
// A window covers by its times, not by the clock's last step: from
// ScheduledFor it covers even in the seconds before the maintenance clock
// moves it to in_progress, and from ScheduledUntil it no longer does though
// the clock has yet to complete it, because the clock stamps both steps with
// those scheduled times. The record the clock writes is then what was shown.
func (m *Maintenance) Covers(componentID string, t time.Time) bool {
	// The time first: a window not running at t is most of them, and its
	// list of components can be a whole fleet's.
	start, end, ok := m.Span()
	return ok && !t.Before(start) && t.Before(end) && slices.Contains(m.Components, componentID)
}

// Span is when the window runs, ran or is to run, as [start, end): from
// StartedAt (ScheduledFor until the clock stamps it) to CompletedAt once it
// has completed or was cancelled, or else to ScheduledUntil, where the clock
// will complete it. ok is false for a window cancelled before it started:
// it never ran.
func (m *Maintenance) Span() (start, end time.Time, ok bool) {
	start, end = m.StartedAt, m.ScheduledUntil
	if start.IsZero() {
		if m.Status == Cancelled {
			return time.Time{}, time.Time{}, false
		}
		start = m.ScheduledFor
	}
	if m.Status.Final() && !m.CompletedAt.IsZero() {
		end = m.CompletedAt
	}
	return start, end, true
}

// Step is one automatic transition the clock owes a window.
type Step struct {
	To MaintenanceStatus
	At time.Time // the scheduled time the transition belongs to
}

// DueSteps returns the transitions that the clock owes a window at now, in
// order. A window whose whole span passed while the server was down gets both
// steps, each stamped with its scheduled time, so the record stays honest.
//
// Completion waits settle after the scheduled end: an outage that began
// before the end may be detected only after it (a monitor's down_after
// failures and its timeout), and the completion reports the downtime
// measured in the window, so it waits until that can be known. It is stamped
// with the scheduled end all the same, and the window stops covering its
// components at that end (Covers), whatever the clock has written.
func (m *Maintenance) DueSteps(now time.Time, settle time.Duration) []Step {
	var steps []Step
	st := m.Status
	if st == Scheduled && !now.Before(m.ScheduledFor) {
		steps = append(steps, Step{To: InProgress, At: m.ScheduledFor})
		st = InProgress
	}
	if st == InProgress && !now.Before(m.ScheduledUntil.Add(settle)) {
		steps = append(steps, Step{To: Completed, At: m.ScheduledUntil})
	}
	return steps
}

// NextTransition is when the clock next owes this window a step, or zero;
// settle is as for DueSteps.
func (m *Maintenance) NextTransition(settle time.Duration) time.Time {
	switch m.Status {
	case Scheduled:
		return m.ScheduledFor
	case InProgress:
		return m.ScheduledUntil.Add(settle)
	}
	return time.Time{}
}

// CheckWindow validates a window's times.
func CheckWindow(start, end time.Time) error {
	if start.IsZero() {
		return fmt.Errorf("a start time is required")
	}
	if start.Year() < 1970 || end.Year() > 9998 {
		return fmt.Errorf("the window must fall between 1970 and 9998")
	}
	if !end.After(start) {
		return fmt.Errorf("the end (%s) must be after the start (%s)", end.UTC().Format(time.RFC3339), start.UTC().Format(time.RFC3339))
	}
	if end.Sub(start) > 31*24*time.Hour {
		return fmt.Errorf("a maintenance window may last at most 31 days, not %s", end.Sub(start))
	}
	return nil
}

// Clone returns a deep copy.
func (m *Maintenance) Clone() *Maintenance {
	c := *m
	c.Components = append([]string(nil), m.Components...)
	c.Updates = append([]MaintenanceUpdate(nil), m.Updates...)
	return &c
}

package status

import (
	"fmt"
	"strings"
	"time"
)

// IncidentStatus is where an incident stands in its lifecycle.
type IncidentStatus string

// Incident statuses, in lifecycle order.
const (
	Investigating IncidentStatus = "investigating"
	Identified    IncidentStatus = "identified"
	Monitoring    IncidentStatus = "monitoring"
	Resolved      IncidentStatus = "resolved"
)

// IncidentStatuses lists every incident status in lifecycle order.
var IncidentStatuses = []IncidentStatus{Investigating, Identified, Monitoring, Resolved}

// Valid reports whether s is a known incident status.
func (s IncidentStatus) Valid() bool {
	for _, v := range IncidentStatuses {
		if v == s {
			return true
		}
	}
	return false
}

// Open reports whether an incident in this status is still going on.
func (s IncidentStatus) Open() bool { return s.Valid() && s != Resolved }

// Label is the status word as a page shows it.
func (s IncidentStatus) Label() string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(string(s[:1])) + string(s[1:])
}

// ParseIncidentStatus accepts an incident status word.
func ParseIncidentStatus(s string) (IncidentStatus, error) {
	st := IncidentStatus(strings.TrimSpace(s))
	if !st.Valid() {
		return "", fmt.Errorf("unknown incident status %q (want one of %s)", s, joinWords(IncidentStatuses))
	}
	return st, nil
}

// CheckIncidentTransition says whether an update may move an incident from one
// status to another. Open statuses may move freely among themselves (an
// operator may go back to investigating when a fix did not hold); a resolved
// incident is reopened only by an explicit update to an open status, which is
// allowed, but an update may not "resolve" an incident that is already resolved.
func CheckIncidentTransition(from, to IncidentStatus) error {
	if !to.Valid() {
		return fmt.Errorf("unknown incident status %q", to)
	}
	if from == Resolved && to == Resolved {
		return fmt.Errorf("the incident is already resolved")
	}
	return nil
}

// Incident is an event that customers are told about.
type Incident struct {
	ID     int64
	Title  string
	Impact Impact
	Status IncidentStatus
	// Draft incidents are visible to operators only.
	Draft bool
	// Auto is set on incidents that Herald opened from a measured outage.
	Auto bool

	StartedAt    time.Time // when the trouble began (may be backdated)
	IdentifiedAt time.Time // zero until an update says "identified"
	MonitoringAt time.Time // zero until an update says "monitoring"
	ResolvedAt   time.Time // zero while open (may be backdated)
	PublishedAt  time.Time // zero while a draft
	CreatedAt    time.Time
	UpdatedAt    time.Time

	Postmortem            string // Markdown
	PostmortemPublishedAt time.Time

	// Components are the affected components and their status during the incident.
	Components []AffectedComponent
	// Updates are newest first.
	Updates []IncidentUpdate
	// Links are the ids of related incidents, in both directions.
	Links []int64

	// PostmortemRendered is the postmortem as shown, made when it was
	// written.
	PostmortemRendered Rendered `json:"-"`
}

// AffectedComponent is a component's status within one incident.
type AffectedComponent struct {
	ComponentID string
	Status      ComponentStatus
}

// IncidentUpdate is one timestamped entry in an incident's timeline.
type IncidentUpdate struct {
	ID         int64
	IncidentID int64
	Status     IncidentStatus
	Body       string // Markdown
	CreatedAt  time.Time
	// DisplayAt is the time the update is shown at; it differs from CreatedAt
	// when an operator backdates a start or an end.
	DisplayAt time.Time
	Changes   []ComponentChange

	// Rendered is Body as shown, made when it was written.
	Rendered Rendered `json:"-"`
}

// ComponentChange records a component's status moving within an update.
type ComponentChange struct {
	ComponentID string
	Old, New    ComponentStatus
}

// Open reports whether the incident is public and not yet resolved.
func (in *Incident) Open() bool { return !in.Draft && in.Status.Open() }

// ComponentStatusOf returns the incident's status for a component, and whether it is affected.
func (in *Incident) ComponentStatusOf(id string) (ComponentStatus, bool) {
	for _, c := range in.Components {
		if c.ComponentID == id {
			return c.Status, true
		}
	}
	return "", false
}

// Clone returns a deep copy, so a "before" picture survives changes to the original.
func (in *Incident) Clone() *Incident {
	c := *in
	c.Components = append([]AffectedComponent(nil), in.Components...)
	c.Links = append([]int64(nil), in.Links...)
	c.Updates = make([]IncidentUpdate, len(in.Updates))
	for i, u := range in.Updates {
		u.Changes = append([]ComponentChange(nil), u.Changes...)
		c.Updates[i] = u
	}
	return &c
}

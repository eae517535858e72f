// Package status is Herald's domain: components, incidents and maintenance,
// the words for their states, and the rules that derive one from another.
//
// Nothing here touches a database, a clock or the network, so every rule can
// be tested in table form and called alike by the web UI, the API and the CLI.
package status

import (
	"fmt"
	"strings"
)

// ComponentStatus is what a customer sees next to a component.
type ComponentStatus string

// Component statuses, as Statuspage names them.
const (
	Operational         ComponentStatus = "operational"
	DegradedPerformance ComponentStatus = "degraded_performance"
	PartialOutage       ComponentStatus = "partial_outage"
	MajorOutage         ComponentStatus = "major_outage"
	UnderMaintenance    ComponentStatus = "under_maintenance"
)

// ComponentStatuses lists every component status, best first.
var ComponentStatuses = []ComponentStatus{Operational, UnderMaintenance, DegradedPerformance, PartialOutage, MajorOutage}

// severity orders component statuses for "worst wins". Maintenance sits above
// operational and below every kind of trouble: an outage that an incident
// reports during a window is news, a planned restart is not.
func (s ComponentStatus) severity() int {
	switch s {
	case Operational:
		return 0
	case UnderMaintenance:
		return 1
	case DegradedPerformance:
		return 2
	case PartialOutage:
		return 3
	case MajorOutage:
		return 4
	}
	return -1
}

// Valid reports whether s is a known component status.
func (s ComponentStatus) Valid() bool { return s.severity() >= 0 }

// Label is the status in words for a page.
func (s ComponentStatus) Label() string {
	switch s {
	case Operational:
		return "Operational"
	case DegradedPerformance:
		return "Degraded performance"
	case PartialOutage:
		return "Partial outage"
	case MajorOutage:
		return "Major outage"
	case UnderMaintenance:
		return "Under maintenance"
	}
	return string(s)
}

// Worse reports whether s is worse than t.
func (s ComponentStatus) Worse(t ComponentStatus) bool { return s.severity() > t.severity() }

// Worst returns the worst of the statuses given, or Operational for none.
func Worst(statuses ...ComponentStatus) ComponentStatus {
	w := Operational
	for _, s := range statuses {
		if s.Worse(w) {
			w = s
		}
	}
	return w
}

// ParseComponentStatus accepts a status word, with a clear error for anything else.
func ParseComponentStatus(s string) (ComponentStatus, error) {
	cs := ComponentStatus(strings.TrimSpace(s))
	if !cs.Valid() {
		return "", fmt.Errorf("unknown component status %q (want one of %s)", s, joinWords(ComponentStatuses))
	}
	return cs, nil
}

// Impact is how bad an incident is, as its author judges it.
type Impact string

// Incident impacts, from least to most severe.
const (
	ImpactNone     Impact = "none"
	ImpactMinor    Impact = "minor"
	ImpactMajor    Impact = "major"
	ImpactCritical Impact = "critical"
)

// Impacts lists every impact, least severe first.
var Impacts = []Impact{ImpactNone, ImpactMinor, ImpactMajor, ImpactCritical}

func (i Impact) rank() int {
	for n, v := range Impacts {
		if v == i {
			return n
		}
	}
	return -1
}

// Valid reports whether i is a known impact.
func (i Impact) Valid() bool { return i.rank() >= 0 }

// ParseImpact accepts an impact word.
func ParseImpact(s string) (Impact, error) {
	i := Impact(strings.TrimSpace(s))
	if !i.Valid() {
		return "", fmt.Errorf("unknown impact %q (want one of %s)", s, joinWords(Impacts))
	}
	return i, nil
}

// ImpactFor suggests an impact for an incident whose components are in the given state.
func ImpactFor(s ComponentStatus) Impact {
	switch s {
	case DegradedPerformance:
		return ImpactMinor
	case PartialOutage:
		return ImpactMajor
	case MajorOutage:
		return ImpactCritical
	}
	return ImpactNone
}

func joinWords[T ~string](words []T) string {
	parts := make([]string, len(words))
	for i, w := range words {
		parts[i] = string(w)
	}
	return strings.Join(parts, ", ")
}

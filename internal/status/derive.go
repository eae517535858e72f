package status

import "time"

// Inputs are everything a component's shown status is derived from. No
// status is stored: each is computed from these, so it can never go stale.
type Inputs struct {
	// Incidents that are published and open. Drafts and resolved incidents are ignored even if passed.
	Incidents []Incident
	// Maintenances in any status; those that cover a component At count.
	Maintenances []Maintenance
	// At is the moment derived for (now, for a page).
	At time.Time
	// Measured holds the status monitors measured, per component id.
	Measured map[string]ComponentStatus
	// Manual holds statuses an operator set by hand; they win until cleared.
	Manual map[string]ComponentStatus
}

// DeriveComponent returns the status a page shows for one component:
//   - an operator's manual status wins;
//   - otherwise the worst of the open incidents' statuses for it and what its
//     monitors measured, where any trouble beats maintenance;
//   - otherwise under_maintenance while a window covers it (Maintenance.Covers);
//   - otherwise operational.
func DeriveComponent(id string, in Inputs) ComponentStatus {
	if s, ok := in.Manual[id]; ok && s.Valid() {
		return s
	}
	worst := Operational
	for i := range in.Incidents {
		inc := &in.Incidents[i]
		if !inc.Open() {
			continue
		}
		if s, ok := inc.ComponentStatusOf(id); ok {
			worst = Worst(worst, s)
		}
	}
	if s, ok := in.Measured[id]; ok {
		worst = Worst(worst, s)
	}
	if worst != Operational && worst != UnderMaintenance {
		return worst
	}
	for i := range in.Maintenances {
		if in.Maintenances[i].Covers(id, in.At) {
			return UnderMaintenance
		}
	}
	return Operational
}

// DeriveGroup is the status of a group of components (a server): the worst
// of its components' statuses, so one component in trouble is the group's
// trouble and maintenance shows above operational but below any trouble; a
// group with no components is operational. The page, the admin dashboard,
// the Statuspage API and the domain look-up all show this.
func DeriveGroup(components ...ComponentStatus) ComponentStatus { return Worst(components...) }

// DeriveAll derives the status of every component id given.
func DeriveAll(ids []string, in Inputs) map[string]ComponentStatus {
	out := make(map[string]ComponentStatus, len(ids))
	for _, id := range ids {
		out[id] = DeriveComponent(id, in)
	}
	return out
}

// Indicator is the page-wide status in Statuspage's words.
type Indicator string

// Page indicators, as aggregators colour them: none green, minor yellow,
// major orange, critical red; maintenance blue.
const (
	IndicatorNone        Indicator = "none"
	IndicatorMinor       Indicator = "minor"
	IndicatorMajor       Indicator = "major"
	IndicatorCritical    Indicator = "critical"
	IndicatorMaintenance Indicator = "maintenance"
)

// Overall is the page's status, derived from its components and open incidents.
type Overall struct {
	Indicator   Indicator
	Description string
}

var indicatorRank = map[Indicator]int{IndicatorNone: 0, IndicatorMaintenance: 1, IndicatorMinor: 2, IndicatorMajor: 3, IndicatorCritical: 4}

var indicatorWords = map[Indicator]string{
	IndicatorNone:        "All Systems Operational",
	IndicatorMaintenance: "Service Under Maintenance",
	IndicatorMinor:       "Partially Degraded Service",
	IndicatorMajor:       "Partial System Outage",
	IndicatorCritical:    "Major Service Outage",
}

// Description is the indicator's words, as Overall.Description carries
// them: "All Systems Operational".
func (i Indicator) Description() string { return indicatorWords[i] }

func indicatorForComponent(s ComponentStatus) Indicator {
	switch s {
	case UnderMaintenance:
		return IndicatorMaintenance
	case DegradedPerformance:
		return IndicatorMinor
	case PartialOutage:
		return IndicatorMajor
	case MajorOutage:
		return IndicatorCritical
	}
	return IndicatorNone
}

func indicatorForImpact(i Impact) Indicator {
	switch i {
	case ImpactMinor:
		return IndicatorMinor
	case ImpactMajor:
		return IndicatorMajor
	case ImpactCritical:
		return IndicatorCritical
	}
	return IndicatorNone
}

// DeriveOverall computes the page's status: the worst of its components'
// statuses and its open incidents' impacts.
func DeriveOverall(components map[string]ComponentStatus, open []Incident) Overall {
	worst := IndicatorNone
	raise := func(i Indicator) {
		if indicatorRank[i] > indicatorRank[worst] {
			worst = i
		}
	}
	for _, s := range components {
		raise(indicatorForComponent(s))
	}
	for i := range open {
		if open[i].Open() {
			raise(indicatorForImpact(open[i].Impact))
		}
	}
	return Overall{Indicator: worst, Description: indicatorWords[worst]}
}

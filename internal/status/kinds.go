package status

// The visual classes pages give statuses: "ok", "minor", "major",
// "critical", "maint" (and "none" for an impact of none). A page always
// shows a class with an icon and a word beside it, never by colour alone;
// the public pages and the admin screens share these so they read alike.

// Kind is the component status's visual class.
func (s ComponentStatus) Kind() string {
	switch s {
	case UnderMaintenance:
		return "maint"
	case DegradedPerformance:
		return "minor"
	case PartialOutage:
		return "major"
	case MajorOutage:
		return "critical"
	}
	return "ok"
}

// Kind is the page indicator's visual class.
func (i Indicator) Kind() string {
	switch i {
	case IndicatorMaintenance:
		return "maint"
	case IndicatorMinor, IndicatorMajor, IndicatorCritical:
		return string(i)
	}
	return "ok"
}

// Kind is the impact's visual class.
func (i Impact) Kind() string {
	switch i {
	case ImpactMinor, ImpactMajor, ImpactCritical:
		return string(i)
	}
	return "none"
}

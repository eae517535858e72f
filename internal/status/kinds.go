package status

import (
	"fmt"
	"strconv"
	"strings"
)

// The visual classes pages give statuses, and their colours, live here and
// nowhere else: the public pages, the admin screens and chat messages all
// take them from these methods. A page always shows a kind with an icon and a
// word beside it, never by colour alone.
const (
	KindOK       = "ok"
	KindMinor    = "minor"
	KindMajor    = "major"
	KindCritical = "critical"
	KindMaint    = "maint"
	KindNone     = "none"
)

// Kinds lists every kind, for the stylesheets.
var Kinds = []string{KindOK, KindMinor, KindMajor, KindCritical, KindMaint, KindNone}

// Kind is the component status's visual class.
func (s ComponentStatus) Kind() string {
	switch s {
	case UnderMaintenance:
		return KindMaint
	case DegradedPerformance:
		return KindMinor
	case PartialOutage:
		return KindMajor
	case MajorOutage:
		return KindCritical
	}
	return KindOK
}

// Kind is the page indicator's visual class.
func (i Indicator) Kind() string {
	switch i {
	case IndicatorMaintenance:
		return KindMaint
	case IndicatorMinor, IndicatorMajor, IndicatorCritical:
		return string(i)
	}
	return KindOK
}

// Kind is the impact's visual class.
func (i Impact) Kind() string {
	switch i {
	case ImpactMinor, ImpactMajor, ImpactCritical:
		return string(i)
	}
	return KindNone
}

// Kind is the incident status's visual class: trouble while customers are
// still affected, whether or not the cause is known yet (identified is no
// better for them than investigating); minor once a fix is in and watched;
// ok when resolved.
func (s IncidentStatus) Kind() string {
	switch s {
	case Resolved:
		return KindOK
	case Monitoring:
		return KindMinor
	}
	return KindMajor
}

// Kind is the maintenance status's visual class: maintenance while planned
// or running, ok once completed, none when called off.
func (s MaintenanceStatus) Kind() string {
	switch s {
	case Completed:
		return KindOK
	case Cancelled:
		return KindNone
	}
	return KindMaint
}

// Kind is the monitor state's visual class.
func (s MonitorState) Kind() string {
	switch s {
	case MonitorUp:
		return KindOK
	case MonitorDegraded:
		return KindMinor
	case MonitorDown:
		return KindCritical
	}
	return KindNone
}

// Label is the monitor state in words. Unknown is "not decided yet": a
// monitor may have checked and failed fewer times than its threshold.
func (s MonitorState) Label() string {
	switch s {
	case MonitorUp:
		return "Up"
	case MonitorDegraded:
		return "Degraded"
	case MonitorDown:
		return "Down"
	case MonitorUnknown, "":
		return "Not decided yet"
	}
	return string(s)
}

// OutageKind is the visual class of a measured outage: maintenance when a
// window covered it, otherwise by how bad it was.
func OutageKind(severity MonitorState, inMaintenance bool) string {
	if inMaintenance {
		return KindMaint
	}
	if severity == MonitorDown {
		return KindCritical
	}
	return KindMinor
}

// Colour is how a kind is painted, on a light and on a dark background.
type Colour struct{ Light, Dark string }

// KindColour is a kind's colour; an unknown kind is painted as none.
func KindColour(kind string) Colour {
	switch kind {
	case KindOK:
		return Colour{"#197a35", "#3fb950"}
	case KindMinor:
		return Colour{"#8a5d00", "#d8a630"}
	case KindMajor:
		return Colour{"#b54708", "#f0883e"}
	case KindCritical:
		return Colour{"#cf222e", "#ff6b61"}
	case KindMaint:
		return Colour{"#0969da", "#58a6ff"}
	}
	return Colour{"#5f6771", "#8b949e"}
}

// RGB is the light colour as a number, as chat embeds take it.
func (c Colour) RGB() int {
	n, err := strconv.ParseInt(strings.TrimPrefix(c.Light, "#"), 16, 32)
	if err != nil {
		return 0
	}
	return int(n)
}

// PaletteCSS is the kinds' colours as CSS custom properties (--ok, --minor,
// …) for light and dark schemes, and the k-KIND classes that set --k to
// them. The public and the admin stylesheets begin with it.
func PaletteCSS() string {
	var b strings.Builder
	vars := func(pick func(Colour) string) string {
		parts := make([]string, len(Kinds))
		for i, k := range Kinds {
			parts[i] = fmt.Sprintf("--%s: %s;", k, pick(KindColour(k)))
		}
		return strings.Join(parts, " ")
	}
	b.WriteString("/* Status colours: generated from internal/status (KindColour). */\n")
	fmt.Fprintf(&b, ":root { %s }\n", vars(func(c Colour) string { return c.Light }))
	fmt.Fprintf(&b, "@media (prefers-color-scheme: dark) { :root { %s } }\n", vars(func(c Colour) string { return c.Dark }))
	for _, k := range Kinds {
		fmt.Fprintf(&b, ".k-%s { --k: var(--%s); }\n", k, k)
	}
	return b.String()
}

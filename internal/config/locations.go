package config

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
)

// locationName is what a location (an agent's place) may be called: short,
// lower case, fit for a URL and a log line ("fra-1", "ams-1").
var locationName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// ValidLocation reports whether name may name a location.
func ValidLocation(name string) error {
	if !locationName.MatchString(name) {
		return fmt.Errorf("location %q must be 1 to 63 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	return nil
}

// Quorum kinds; a number is also a quorum.
const (
	QuorumMajority = "majority"
	QuorumAny      = "any"
	QuorumAll      = "all"
)

// QuorumNeed is how many of reporting locations must see a monitor failing
// for it to count as failing, by the rule q (majority when empty). It is at
// least 1; with no location reporting the answer is 0: nobody can tell.
func QuorumNeed(q string, reporting int) int {
	if reporting <= 0 {
		return 0
	}
	switch q {
	case "", QuorumMajority:
		return reporting/2 + 1
	case QuorumAny:
		return 1
	case QuorumAll:
		return reporting
	}
	n, err := strconv.Atoi(q)
	if err != nil || n < 1 {
		return reporting/2 + 1 // validation refuses this; never reached from a loaded file
	}
	// A number larger than the locations reporting cannot be met: with two
	// of three agents silent, "2" asks for every one left.
	return min(n, reporting)
}

func (v *validator) monitorLocations(at, label string, m Monitor) {
	if len(m.Locations) == 0 {
		if m.Quorum != "" {
			v.addf(at+".quorum", "monitor %s: quorum needs locations (without them the server checks the monitor itself)", label)
		}
		return
	}
	if m.Type == "heartbeat" {
		v.addf(at+".locations", "monitor %s: heartbeat monitors are pinged, not checked, so they take no locations", label)
	}
	for i, l := range m.Locations {
		if err := ValidLocation(l); err != nil {
			v.addf(fmt.Sprintf("%s.locations[%d]", at, i), "monitor %s: %v", label, err)
		} else if slices.Index(m.Locations, l) != i {
			v.addf(fmt.Sprintf("%s.locations[%d]", at, i), "monitor %s: location %s is listed twice", label, l)
		}
	}
	switch m.Quorum {
	case "", QuorumMajority, QuorumAny, QuorumAll:
	default:
		n, err := strconv.Atoi(m.Quorum)
		if err != nil || n < 1 || n > len(m.Locations) {
			v.addf(at+".quorum", "monitor %s: quorum %q must be majority, any, all or a number from 1 to %d (the locations listed)", label, m.Quorum, len(m.Locations))
		}
	}
}

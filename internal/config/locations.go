package config

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"
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

// Agents is what probe agents check besides their monitors.
//
//	agents:
//	  references:                 # every agent checks these too
//	    - {name: resolver, type: dns, address: 127.0.0.1:53, query: example.net}
//	  locations:
//	    - name: nyc-1
//	      references: [...]      # this location's own, instead of the list above
type Agents struct {
	// References are targets that are up whatever happens to the servers
	// Herald watches (a resolver, a well-known site): an agent that sees
	// every one of them failing, while other agents see theirs up, has
	// lost its own network, and its failures are not evidence about the
	// servers.
	References []Monitor `yaml:"references"`
	// Locations replace the references for some locations.
	Locations []AgentLocation `yaml:"locations"`
}

// AgentLocation is one location's own settings.
type AgentLocation struct {
	Name       string    `yaml:"name"`
	References []Monitor `yaml:"references"`
}

// ReferencesFor lists the reference targets location checks: its own, or the common list.
func (a Agents) ReferencesFor(location string) []Monitor {
	for _, l := range a.Locations {
		if l.Name == location {
			return l.References
		}
	}
	return a.References
}

func (v *validator) agents(c *Config) {
	named := map[string]bool{}
	for _, g := range c.Groups {
		for _, cp := range g.Components {
			for _, m := range cp.Monitors {
				for _, l := range m.Locations {
					named[l] = true
				}
			}
		}
	}
	v.references("agents.references", c.Agents.References)
	for i, l := range c.Agents.Locations {
		at := fmt.Sprintf("agents.locations[%d]", i)
		switch err := ValidLocation(l.Name); {
		case l.Name == "":
			v.addf(at+".name", "agents.locations: name is required (a location, like fra-1)")
		case err != nil:
			v.addf(at+".name", "agents.locations: %v", err)
		case slices.IndexFunc(c.Agents.Locations, func(x AgentLocation) bool { return x.Name == l.Name }) != i:
			v.addf(at+".name", "agents.locations: location %s is listed twice", l.Name)
		case !named[l.Name]:
			v.addf(at+".name", "agents.locations: no monitor lists location %s in its locations", l.Name)
		}
		v.references(at+".references", l.References)
	}
}

// references checks a list of reference targets: monitors in all but their
// place, checked by agents alone, named once each.
func (v *validator) references(at string, refs []Monitor) {
	names := map[string]int{}
	for i, m := range refs {
		mat := fmt.Sprintf("%s[%d]", at, i)
		label := ReferencePrefix + m.Name
		if l, dup := names[m.Name]; dup {
			v.addf(mat, "reference %s: name %q is used twice (first on line %d); give references of one type their own names", label, m.Name, l)
		} else {
			names[m.Name] = v.pos.line(mat)
		}
		before := len(v.errs)
		if len(m.Locations) > 0 || m.Quorum != "" {
			v.addf(mat+".locations", "reference %s: a reference target is checked by every agent (or those of its location), so it takes no locations or quorum", label)
		}
		if m.Type == "heartbeat" {
			v.addf(mat+".type", "reference %s: a heartbeat is pinged, not checked, so it cannot be a reference target", label)
		} else {
			m.Locations, m.Quorum = nil, "" // told above, once
			v.monitor(mat, label, m)
		}
		if v.check != nil && len(v.errs) == before {
			if err := v.check(m); err != nil {
				v.addf(mat, "reference %s: %v", label, err)
			}
		}
	}
}

// ReferencePrefix starts a reference target's id ("@reference/resolver"):
// no monitor's id starts so, and the agents' results name references by it.
const ReferencePrefix = "@reference/"

// LocationSettle is, per location, the longest down_after × interval of the
// checks made from it (its monitors and its reference targets): how long
// after a failure from a place began every check of a place that lost its
// own network has failed too. A place's failure counts towards a quorum once
// the place is known sound or this long has passed (internal/agent), and the
// automatic incidents hold a lone outage while a located failure that began
// near it may still count (internal/monitor).
func (c Config) LocationSettle() map[string]time.Duration {
	settle := map[string]time.Duration{}
	longest := func(l string, m Monitor) {
		iv := m.Interval.D()
		if iv <= 0 {
			iv = defaultInterval
		}
		settle[l] = max(settle[l], time.Duration(max(m.DownAfter, 1))*iv)
	}
	for _, g := range c.Groups {
		for _, cp := range g.Components {
			for _, m := range cp.Monitors {
				for _, l := range m.Locations {
					longest(l, m)
				}
			}
		}
	}
	for l := range settle {
		for _, m := range c.Agents.ReferencesFor(l) {
			longest(l, m)
		}
	}
	return settle
}

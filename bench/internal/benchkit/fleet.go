package benchkit

import (
	"fmt"
	"strings"
)

// The probe benches' fleet: monitors spread over 100 servers with two
// services each, as a fleet would be, monitor i checking path /m/i of one
// target.
const fleetGroups, fleetComps = 100, 2

// fleetLayout is the server (group) and service (component) of monitor i of n.
func fleetLayout(n, i int) (g, c int) {
	per := (n + fleetGroups*fleetComps - 1) / (fleetGroups * fleetComps)
	return i / (per * fleetComps), i / per % fleetComps
}

// FleetMonitorID is the id Herald gives monitor i of FleetConfig(n, ...).
func FleetMonitorID(n, i int) string {
	g, c := fleetLayout(n, i)
	return fmt.Sprintf("s%d/c%d/m%d", g, c, i)
}

// FleetConfig is a configuration of n HTTP monitors against the target at
// addr; monitor is the rest of each monitor's flow mapping ("interval: 30s,
// timeout: 10s, down_after: 2, up_after: 1"). Automatic incidents are off:
// the benches measure the probing, not the pipeline after it.
func FleetConfig(n int, addr, monitor string) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "page: {title: Bench, url: http://127.0.0.1/, zone: UTC}\nincidents: {auto: off}\ngroups:\n")
	lastG, lastC := -1, -1
	for i := range n {
		g, c := fleetLayout(n, i)
		if g != lastG {
			fmt.Fprintf(&sb, "  - id: s%d\n    components:\n", g)
			lastG, lastC = g, -1
		}
		if c != lastC {
			fmt.Fprintf(&sb, "      - id: c%d\n        name: Service %d\n        monitors:\n", c, c)
			lastC = c
		}
		fmt.Fprintf(&sb, "          - {type: http, name: m%d, url: \"http://%s/m/%d\", %s}\n", i, addr, i, monitor)
	}
	return sb.String()
}

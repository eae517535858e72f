package config

import (
	"fmt"
	"strings"
	"testing"
)

// fleetYAML is a configuration of n HTTP monitors, 4 per component and 40
// per server, in the flow style bench/probes writes.
func fleetYAML(n int) []byte {
	var sb strings.Builder
	sb.WriteString("page: {title: Bench, url: http://127.0.0.1/, zone: UTC}\nincidents: {auto: off}\ngroups:\n")
	for i := range n {
		if i%40 == 0 {
			fmt.Fprintf(&sb, "  - id: s%d\n    components:\n", i/40)
		}
		if i%4 == 0 {
			fmt.Fprintf(&sb, "      - id: c%d\n        name: Service %d\n        monitors:\n", i/4, i/4)
		}
		fmt.Fprintf(&sb, "          - {type: http, name: m%d, url: \"http://127.0.0.1:8080/m/%d\", interval: 30s, timeout: 10s}\n", i, i)
	}
	return []byte(sb.String())
}

// BenchmarkParseFleet is what reading a configuration of 10,000 monitors
// costs at start and on each reload (B/op is what it allocates).
func BenchmarkParseFleet(b *testing.B) {
	data := fleetYAML(10000)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("fleet.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}

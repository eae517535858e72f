package benchkit

import (
	"fmt"
	"testing"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/monitor"
)

// The benches name monitors by FleetMonitorID (bench/instances finds the
// shard of each from it): it must be the id Herald gives them.
func TestFleetMonitorIDsAreHeralds(t *testing.T) {
	for _, n := range []int{1, 199, 200, 201, 1000, 3001} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			cfg, err := config.Parse("fleet.yaml", []byte(FleetConfig(n, "127.0.0.1:9", "interval: 30s, timeout: 10s, down_after: 2, up_after: 1, locations: [fra-1, ams-1]")))
			if err != nil {
				t.Fatal(err)
			}
			specs := monitor.Specs(cfg)
			if len(specs) != n {
				t.Fatalf("%d monitors configured, want %d", len(specs), n)
			}
			for i, sp := range specs {
				if want := FleetMonitorID(n, i); sp.ID != want {
					t.Fatalf("monitor %d is %s, FleetMonitorID says %s", i, sp.ID, want)
				}
				if want := fmt.Sprintf("http://127.0.0.1:9/m/%d", i); sp.Monitor.URL != want {
					t.Fatalf("monitor %d checks %s, want %s", i, sp.Monitor.URL, want)
				}
			}
		})
	}
}

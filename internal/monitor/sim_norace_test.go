//go:build !race

package monitor

// underRace is whether this test binary was built with the race detector
// (sim_race_test.go says why it matters).
const underRace = false

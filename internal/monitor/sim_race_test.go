//go:build race

package monitor

// underRace is whether this test binary was built with the race detector.
// The simulations run fewer histories under it (simSeeds): the detector
// finds a race in the first history that has one as well as in the fourth,
// and makes each history about five times dearer (four histories a
// database: TestSimulation 46 s under it, 8.3 s without; TestSimulationLocated
// 80 s and 13.7 s). .ci/run runs the full set again without it.
const underRace = true

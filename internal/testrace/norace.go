//go:build !race

// Package testrace tells tests whether the race detector is on, for the
// seeded property tests and simulations that run a shorter set of histories
// under it: the detector finds a race in the first history that has one as
// well as in the fourth, and makes each history about five times dearer
// (TestSimulation, four histories a database: 46 s under it, 8.3 s
// without). .ci/run runs the full sets again without it.
package testrace

// Enabled is whether the binary was built with the race detector.
const Enabled = false

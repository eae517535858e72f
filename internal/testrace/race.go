//go:build race

package testrace

// Enabled is whether the binary was built with the race detector.
const Enabled = true

package cli

import (
	"runtime/debug"
	"testing"
	"time"
)

// gcPercent reads Go's GC percentage.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

func TestStartupGC(t *testing.T) {
	before := gcPercent()
	defer debug.SetGCPercent(before)
	unset := func(string) string { return "" }
	a := startupGC(unset)
	if p := gcPercent(); p != startGOGC {
		t.Errorf("while starting: GOGC %d, want %d", p, startGOGC)
	}
	b := startupGC(unset) // a second server in the same process
	a()
	a() // twice is once
	if p := gcPercent(); p != startGOGC {
		t.Errorf("one of two starts over: GOGC %d, want %d still", p, startGOGC)
	}
	b()
	if p := gcPercent(); p != steadyGOGC {
		t.Errorf("both starts over: GOGC %d, want the steady %d", p, steadyGOGC)
	}
	before = steadyGOGC
	set := startupGC(func(k string) string {
		if k == "GOGC" {
			return "200"
		}
		return ""
	})
	if p := gcPercent(); p != before {
		t.Errorf("with the operator's GOGC: %d, want it left at %d", p, before)
	}
	set()
	if p := gcPercent(); p != before {
		t.Errorf("after a start with the operator's GOGC: %d, want %d", p, before)
	}
	for _, c := range []struct{ longest, want time.Duration }{
		{40 * time.Second, 40 * time.Second}, {70 * time.Minute, 2 * time.Minute},
	} {
		if got := startupRound(c.longest); got != c.want {
			t.Errorf("startupRound(%s) = %s, want %s", c.longest, got, c.want)
		}
	}
}

package cli

import (
	"runtime/debug"
	"sync"
	"time"
)

// startGOGC is Go's GC percentage while Herald starts (startupGC).
const startGOGC = 25

// steadyGOGC is Go's GC percentage once Herald has started: the heap may
// grow half again over what is live between collections, not twice it. A
// server's live heap is mostly what it keeps (monitors' states, probers,
// pages) and its garbage comes slowly (about 0.5 MB a second at 10,000
// monitors every 30 s, mostly the checks' response parsing), so collecting
// twice as often costs little: bench/probes at 10,000 monitors, GOGC 100 then
// 50, heap in use at the end 68.8 then 57.2 MB, CPU per check within the
// machine's noise (0.228 and 0.258 ms, each the second run of its pair).
const steadyGOGC = 50

// startupGC has Go collect garbage more often while Herald starts, and
// returns the function that sets the steady pace (steadyGOGC). A start makes far more
// short-lived garbage than anything after it: the configuration is read
// through a YAML tree several times the size of what is kept, and the first
// round of checks moves every monitor out of "unknown" while the pages are
// rendered again batch after batch. At Go's default pace (GOGC=100) the heap
// may grow to twice what is live at any instant, and the process keeps the
// memory it grew to: at 10,000 monitors the start set the peak RSS, about a
// fifth above the steady state's (bench/probes). A few more collections in
// the first minute cost little. An operator who sets GOGC keeps it, at the
// start and after.
func startupGC(getenv func(string) string) (restore func()) {
	if getenv("GOGC") != "" {
		return func() {}
	}
	starting.Lock()
	if starting.n == 0 {
		debug.SetGCPercent(startGOGC)
	}
	starting.n++
	starting.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			starting.Lock()
			defer starting.Unlock()
			if starting.n--; starting.n == 0 {
				debug.SetGCPercent(steadyGOGC)
			}
		})
	}
}

// starting counts the starts under way in this process (tests run several
// servers at once; a process serves one): the steady pace is set after the
// last.
var starting struct {
	sync.Mutex
	n int
}

// releaseSetup returns to the system the memory the start's setup used and
// no longer needs (the configuration's YAML tree, the migrations' parser
// buffers, the first pages' rendering), once the server is set up: Go gives
// idle memory back only gradually, and the first round of checks would
// otherwise start on top of it. One collection, once per start; skipped when
// the operator has chosen Go's pace (GOGC or GOMEMLIMIT).
func releaseSetup(getenv func(string) string) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.FreeOSMemory()
}

// startupRound bounds how long startupGC's pace lasts: the first round of
// checks (config.LongestRound), at most two minutes, so a fleet of hourly
// checks does not run at the start's pace for an hour.
func startupRound(longest time.Duration) time.Duration {
	return min(longest, 2*time.Minute)
}

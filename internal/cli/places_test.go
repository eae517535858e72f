package cli

import (
	"flag"
	"runtime"
	"strconv"
	"testing"
)

// This package's tests start servers and agents, most in processes of their
// own, and mostly wait on them. They run in parallel, a bounded number at
// once, except a few that must have the machine to themselves (the demo at
// 60 times the clock, three instances sharing one database, an in-process
// start on a blocked database): those stay
// serial, and Go runs every serial test before any parallel one.
//
// Go's own bound (-parallel) hands its places out in no set order once the
// serial tests are done, so the one test that waits longest
// (TestE2EAgentsServerAway: the agents keep their results through two
// minutes with the server away) could get a place last and end the package
// two minutes after everything else had: 151 s past the others in one run.
// So the bound is kept here instead: every parallel test takes one of
// endToEndParallel places (Parallel), the long waiter takes none (Waiter),
// and Go's -parallel is raised out of the way.

// endToEndParallel is how many of the package's parallel tests run at once
// unless -parallel says otherwise or there are more cores than that.
const endToEndParallel = 6

// places holds the bound; SetUpParallel sizes it.
var places chan struct{}

// SetUpParallel sizes the places from -parallel when it was given, and
// endToEndParallel or the number of cores when not, raising Go's own bound
// out of the way then. TestMain calls it after flag.Parse.
func SetUpParallel() {
	n, set := max(endToEndParallel, runtime.GOMAXPROCS(0)), false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if set {
		var err error
		if n, err = strconv.Atoi(flag.Lookup("test.parallel").Value.String()); err != nil || n < 1 {
			n = 1
		}
	} else if err := flag.Set("test.parallel", "1000"); err != nil {
		panic(err)
	}
	places = make(chan struct{}, n)
}

// Parallel runs t beside the package's other parallel tests, in one of the
// bounded places: call it first thing in a top-level test, instead of
// t.Parallel. (Subtests call t.Parallel: they share their parent's place.)
func Parallel(t *testing.T) {
	t.Helper()
	t.Parallel()
	places <- struct{}{}
	t.Cleanup(func() { <-places })
}

// Waiter runs t beside the others without taking a place: for a test that
// spends most of its time waiting on a clock, which must start as soon as
// the serial tests are done.
func Waiter(t *testing.T) {
	t.Helper()
	t.Parallel()
}

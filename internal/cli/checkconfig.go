package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/probe"
)

// probeCheck builds a monitor's probe as serve will, without running it:
// what only the probe knows (a heartbeat token missing from the
// environment, a DNS query that is no domain name) is then reported with
// the file's other problems, on the monitor's line.
func probeCheck(m config.Monitor) error {
	_, err := probe.New(m, probe.Env{Heartbeats: probe.NewHeartbeats()})
	if err == nil {
		return nil
	}
	if inner := errors.Unwrap(err); inner != nil {
		err = inner
	}
	return errors.New(strings.TrimPrefix(err.Error(), "probe: "))
}

// runCheckConfig lets an operator test a configuration before a deploy or
// reload. Every problem found goes to stdout, one FILE:LINE:COLUMN: line
// each, so editors and grep can jump to them; the count goes to stderr
// through the returned error. It checks what serve checks, probes included
// (a heartbeat's token_env is read from this environment).
func runCheckConfig(_ context.Context, env *Env, args []string) error {
	fs := newFlags(env, "check-config", "check-config FILE")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one FILE, got %d arguments (usage: herald check-config FILE)", len(pos))
	}
	file := pos[0]
	c, err := config.LoadWith(file, probeCheck)
	var problems *config.Errors
	switch {
	case errors.As(err, &problems):
		for _, p := range *problems {
			fmt.Fprintln(env.Stdout, p)
		}
		return fmt.Errorf("%d problem(s) in %s", len(*problems), file)
	case err != nil:
		return err
	}
	// What was taken but changed (an accent made readable) is said, and
	// the file still passes.
	for _, w := range c.Warnings() {
		fmt.Fprintln(env.Stdout, w)
	}
	components, monitors := 0, 0
	for _, g := range c.Groups {
		components += len(g.Components)
		for _, cp := range g.Components {
			monitors += len(cp.Monitors)
		}
	}
	fmt.Fprintf(env.Stdout, "%s: ok (%d groups, %d components, %d monitors)\n", file, len(c.Groups), components, monitors)
	return nil
}

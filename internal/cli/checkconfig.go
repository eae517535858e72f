package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/heraldhq/herald/internal/config"
)

// runCheckConfig lets an operator test a configuration before a deploy or
// reload. Problems go to stdout, one FILE:LINE: line each, so editors and
// grep can jump to them; the count goes to stderr through the returned error.
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
	c, err := config.Load(file)
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

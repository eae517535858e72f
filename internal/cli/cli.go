// Package cli is Herald's command line: it parses subcommands and flags and
// hands off to the packages that do the work. serve.go is the one place that
// wires the server's dependencies together.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/heraldhq/herald/internal/buildinfo"
)

// Env is what a command may touch of the outside world. Tests pass their own.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads the environment (HERALD_URL, HERALD_TOKEN, ...).
	Getenv func(string) string
	// describe, when set, receives a command's flags and usage line in
	// place of its help text: docs.go runs each command with -h to read
	// them, so the completions and the man page list the flags the
	// commands really parse.
	describe func(fs *flag.FlagSet, usage string)
}

// command is one subcommand: a command that runs, or a group (incident,
// maintenance, token) that dispatches again on its first argument to subs.
// This table is the one home of the command line: the help, the shell
// completions and the man page (docs.go) are all made from it.
type command struct {
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
	subs    map[string]command
}

// errUsage marks an error whose message is already a full usage text.
var errUsage = errors.New("usage")

// usageError is a mistake in how a command was called; it exits with 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

func commands() map[string]command {
	return map[string]command{
		"serve":        {summary: "run the server", run: runServe},
		"agent":        {summary: "run a probe agent: check a location's monitors and push the results to the server", run: runAgent},
		"demo":         {summary: "run the server with the example fleet and demo data on a temporary SQLite file", run: runDemo},
		"check-config": {summary: "check a configuration file and list every problem with file:line", run: runCheckConfig},
		"migrate":      {summary: "bring the database schema up to date", run: runMigrate},
		"token":        {summary: "create, list and revoke API tokens (create|list|revoke)", subs: tokenCommands()},
		"user":         {summary: "add, change and disable admin UI users (add|passwd|disable|enable|list)", subs: userCommands()},
		"incident":     {summary: "open, update, resolve, list and show incidents through the API", subs: incidentCommands()},
		"maintenance":  {summary: "schedule, update, complete, cancel and list maintenance through the API", subs: maintenanceCommands()},
		"customers":    {summary: "import the customer list (domain,group CSV) for the look-up", subs: customersCommands()},
		"backup":       {summary: "write a consistent copy of the database while Herald runs (PostgreSQL: runs pg_dump)", run: runBackup},
		"restore":      {summary: "put a backup in place of the database (Herald stopped)", run: runRestore},
		"report":       {summary: "write an SLA report: uptime per server and component, outages, maintenance (csv, json, html)", run: runReport},
		"version":      {summary: "print Herald's version and the commit it was built from", run: runVersion},
		"health":       {summary: "ask a running Herald's /healthz whether it serves (the container's health check)", run: runHealth},
		"completion":   {summary: "print the shell completion script for bash, zsh or fish", run: runCompletion},
		"man":          {summary: "print the man page, herald(1), in roff", run: runMan},
		"publish":      {summary: "write a static copy of the public site to a folder, rsync://… or s3://…", run: runPublish},
		"export":       {summary: "write Herald's whole state as JSON (secrets left out) for herald import herald", run: runExport},
		"import":       {summary: "import a herald export, Statuspage's API JSON or an Uptime Kuma backup (herald|statuspage|uptime-kuma)", subs: importCommands()},
		"page":         {summary: "make a private page's password hash or a signed link to it (password|link)", subs: pageCommands()},
	}
}

// Run runs the command line given and returns the process exit code.
func Run(ctx context.Context, args []string) int {
	env := &Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	return RunEnv(ctx, env, args)
}

// RunEnv is Run with the outside world given explicitly.
func RunEnv(ctx context.Context, env *Env, args []string) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printHelp(env.Stdout, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "herald: unknown command %q\n\n", args[0])
		printHelp(env.Stderr, cmds)
		return 2
	}
	var err error
	if cmd.subs != nil {
		err = subcommand(ctx, env, args[0], args[1:], cmd.subs)
	} else {
		err = cmd.run(ctx, env, args[1:])
	}
	if err == nil {
		return 0
	}
	var ue usageError
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(env.Stderr, "herald %s: %s\n", args[0], ue.msg)
		return 2
	case errors.Is(err, errUsage):
		return 2
	}
	fmt.Fprintf(env.Stderr, "herald %s: %s\n", args[0], err)
	return 1
}

func printHelp(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "herald: status page, incident communication and uptime monitoring")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "usage: herald COMMAND [flags]")
	fmt.Fprintln(w)
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-13s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'herald COMMAND -h' for a command's flags.")
}

// newFlags makes a flag set that reports to the command's stderr and never exits.
func newFlags(env *Env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet("herald "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		if env.describe != nil {
			env.describe(fs, usage)
			return
		}
		fmt.Fprintf(env.Stderr, "usage: herald %s\n\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses flags that may appear before or after positional
// arguments ("incident update 12 --status identified"), and returns the
// positionals in order.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errUsage
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// subcommand dispatches a group command on its first argument.
func subcommand(ctx context.Context, env *Env, group string, args []string, subs map[string]command) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		names := make([]string, 0, len(subs))
		for n := range subs {
			names = append(names, n)
		}
		sort.Strings(names)
		w := env.Stderr
		fmt.Fprintf(w, "usage: herald %s SUBCOMMAND [flags]\n\n", group)
		for _, n := range names {
			fmt.Fprintf(w, "  %-10s %s\n", n, subs[n].summary)
		}
		if len(args) == 0 {
			return errUsage
		}
		return flag.ErrHelp
	}
	sub, ok := subs[args[0]]
	if !ok {
		return usagef("unknown subcommand %q (want one of %s)", args[0], strings.Join(sortedKeys(subs), ", "))
	}
	return sub.run(ctx, env, args[1:])
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func runVersion(_ context.Context, env *Env, args []string) error {
	fs := newFlags(env, "version", "version [--json]")
	asJSON := fs.Bool("json", false, "print the build information as JSON (as /api/v1/about answers)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	in := buildinfo.Read()
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(in)
	}
	fmt.Fprintln(env.Stdout, in)
	return nil
}

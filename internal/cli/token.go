package cli

import (
	"context"
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
)

// tokenCommands are the subcommands of herald token.
func tokenCommands() map[string]command {
	return map[string]command{
		"create": {summary: "create a token and print it (shown only once)", run: runTokenCreate},
		"list":   {summary: "list tokens (never their values)", run: runTokenList},
		"revoke": {summary: "revoke a token by id", run: runTokenRevoke},
	}
}

// withService opens the database named by the flags and runs fn with a service over it.
func withService(ctx context.Context, dsn store.DSN, fn func(*service.Service) error) error {
	st, err := openStore(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(service.New(st, service.SystemClock{}, nil))
}

func runTokenCreate(ctx context.Context, env *Env, args []string) error {
	var (
		dsn                   store.DSN
		scope, name, location string
	)
	fs := newFlags(env, "token create", "token create --scope read|write|agent [--location NAME] [--name NAME] [--data DIR | --db URL]")
	storeFlags(fs, &dsn)
	fs.StringVar(&scope, "scope", "", "read (GET only), write (everything) or agent (a probe agent: its assignment and results); required")
	fs.StringVar(&location, "location", "", "the agent's location (fra-1); required with --scope agent")
	fs.StringVar(&name, "name", "", "a name to recognise the token by in lists and the change log")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case scope != service.ScopeRead && scope != service.ScopeWrite && scope != service.ScopeAgent:
		return usagef("--scope must be read, write or agent")
	case scope == service.ScopeAgent && location == "":
		return usagef("--scope agent needs --location NAME (the location the agent checks from)")
	case scope != service.ScopeAgent && location != "":
		return usagef("--location goes with --scope agent only")
	}
	return withService(ctx, dsn, func(svc *service.Service) error {
		var (
			plain string
			t     *store.Token
			err   error
		)
		if scope == service.ScopeAgent {
			plain, t, err = svc.CreateAgentToken(ctx, name, location)
		} else {
			plain, t, err = svc.CreateToken(ctx, name, scope)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "created %s token %d; it is shown only this once:\n", t.Scope, t.ID)
		fmt.Fprintln(env.Stdout, plain)
		return nil
	})
}

func runTokenList(ctx context.Context, env *Env, args []string) error {
	var dsn store.DSN
	fs := newFlags(env, "token list", "token list [--data DIR | --db URL]")
	storeFlags(fs, &dsn)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	return withService(ctx, dsn, func(svc *service.Service) error {
		tokens, err := svc.Tokens(ctx)
		if err != nil {
			return err
		}
		if len(tokens) == 0 {
			fmt.Fprintln(env.Stdout, "No tokens. Create one with: herald token create --scope write")
			return nil
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tSCOPE\tCREATED\tLAST USED\tSTATE")
		for _, t := range tokens {
			state := "active"
			if !t.RevokedAt.IsZero() {
				state = "revoked " + machineTime(t.RevokedAt)
			}
			last := "never"
			if !t.LastUsedAt.IsZero() {
				last = machineTime(t.LastUsedAt)
			}
			scope := t.Scope
			if t.Location != "" {
				scope += " (" + t.Location + ")"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", t.ID, orDash(t.Name), scope,
				machineTime(t.CreatedAt), last, state)
		}
		return tw.Flush()
	})
}

func runTokenRevoke(ctx context.Context, env *Env, args []string) error {
	var dsn store.DSN
	fs := newFlags(env, "token revoke", "token revoke ID [--data DIR | --db URL]")
	storeFlags(fs, &dsn)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give the id of one token (see herald token list)")
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || id <= 0 {
		return usagef("%q is not a token id", pos[0])
	}
	return withService(ctx, dsn, func(svc *service.Service) error {
		if err := svc.RevokeToken(ctx, "cli", id); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "token %d revoked\n", id)
		return nil
	})
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

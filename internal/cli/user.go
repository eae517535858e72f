package cli

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/heraldhq/herald/internal/auth"
	"github.com/heraldhq/herald/internal/store"
)

// userCommands are the subcommands of herald user.
func userCommands() map[string]command {
	return map[string]command{
		"add":        {summary: "add an admin UI user (--role admin|editor|viewer)", run: runUserAdd},
		"passwd":     {summary: "set a user's password (ends their sessions)", run: runUserPasswd},
		"disable":    {summary: "stop a user signing in (ends their sessions)", run: runUserDisable},
		"enable":     {summary: "let a disabled user sign in again", run: runUserEnable},
		"list":       {summary: "list users (never their passwords)", run: runUserList},
		"totp-reset": {summary: "turn off a user's second factor and drop their recovery codes (a lost phone)", run: runUserTOTPReset},
	}
}

// withAccounts opens the database named by the flags and runs fn with the accounts over it.
func withAccounts(ctx context.Context, dsn store.DSN, fn func(*auth.Manager) error) error {
	st, err := openStore(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(auth.New(st, nil, nil, auth.Options{}))
}

// readPassword reads one line from stdin: the password, without its line ending.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from stdin: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", usagef("no password on stdin (give it as one line, e.g. printf '%%s\\n' \"$PW\" | herald user ...)")
	}
	return pw, nil
}

// randomPassword makes a password for an operator to change later: 120 random bits.
func randomPassword() (string, error) {
	b := make([]byte, 15)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func oneName(pos []string, what string) (string, error) {
	if len(pos) != 1 {
		return "", usagef("give one user name (%s)", what)
	}
	return pos[0], nil
}

func runUserAdd(ctx context.Context, env *Env, args []string) error {
	var (
		dsn       store.DSN
		role      string
		fromStdin bool
	)
	fs := newFlags(env, "user add", "user add --role admin|editor|viewer [--password-stdin] [--data DIR | --db URL] NAME")
	storeFlags(fs, &dsn)
	fs.StringVar(&role, "role", "", "admin (everything), editor (incidents and maintenance) or viewer (reads only); required")
	fs.BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of stdin; without it a random one is made and printed")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	name, err := oneName(pos, "herald user add --role editor alice")
	if err != nil {
		return err
	}
	r, err := auth.ParseRole(role)
	if err != nil {
		return usagef("--role must be admin, editor or viewer")
	}
	if err := auth.CheckName(name); err != nil {
		return usagef("%s", err)
	}
	pw, shown := "", false
	if fromStdin {
		if pw, err = readPassword(env.Stdin); err != nil {
			return err
		}
	} else {
		if pw, err = randomPassword(); err != nil {
			return err
		}
		shown = true
	}
	return withAccounts(ctx, dsn, func(m *auth.Manager) error {
		u, err := m.AddUser(ctx, "cli", name, r, pw)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "added %s user %s (id %d)\n", u.Role, u.Name, u.ID)
		if shown {
			fmt.Fprintf(env.Stderr, "their password, shown only this once:\n")
			fmt.Fprintln(env.Stdout, pw)
		}
		return nil
	})
}

func runUserPasswd(ctx context.Context, env *Env, args []string) error {
	var (
		dsn       store.DSN
		fromStdin bool
	)
	fs := newFlags(env, "user passwd", "user passwd [--password-stdin] [--data DIR | --db URL] NAME")
	storeFlags(fs, &dsn)
	fs.BoolVar(&fromStdin, "password-stdin", false, "read the new password from the first line of stdin; without it a random one is made and printed")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	name, err := oneName(pos, "herald user passwd alice")
	if err != nil {
		return err
	}
	pw, shown := "", false
	if fromStdin {
		if pw, err = readPassword(env.Stdin); err != nil {
			return err
		}
	} else {
		if pw, err = randomPassword(); err != nil {
			return err
		}
		shown = true
	}
	return withAccounts(ctx, dsn, func(m *auth.Manager) error {
		if err := m.SetPassword(ctx, "cli", name, pw); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "password of %s changed; their sessions were ended\n", name)
		if shown {
			fmt.Fprintf(env.Stderr, "the new password, shown only this once:\n")
			fmt.Fprintln(env.Stdout, pw)
		}
		return nil
	})
}

func runUserDisable(ctx context.Context, env *Env, args []string) error {
	return userSwitch(ctx, env, args, "disable", func(m *auth.Manager, name string) error { return m.Disable(ctx, "cli", name) },
		"%s disabled and signed out everywhere\n")
}

func runUserEnable(ctx context.Context, env *Env, args []string) error {
	return userSwitch(ctx, env, args, "enable", func(m *auth.Manager, name string) error { return m.Enable(ctx, "cli", name) },
		"%s may sign in again\n")
}

func runUserTOTPReset(ctx context.Context, env *Env, args []string) error {
	return userSwitch(ctx, env, args, "totp-reset", func(m *auth.Manager, name string) error { return m.ResetTOTP(ctx, "cli", name) },
		"%s signs in with the password alone until a new second factor is set up\n")
}

func userSwitch(ctx context.Context, env *Env, args []string, verb string, fn func(*auth.Manager, string) error, msg string) error {
	var dsn store.DSN
	fs := newFlags(env, "user "+verb, "user "+verb+" [--data DIR | --db URL] NAME")
	storeFlags(fs, &dsn)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	name, err := oneName(pos, "herald user "+verb+" alice")
	if err != nil {
		return err
	}
	return withAccounts(ctx, dsn, func(m *auth.Manager) error {
		if err := fn(m, name); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, msg, name)
		return nil
	})
}

func runUserList(ctx context.Context, env *Env, args []string) error {
	var dsn store.DSN
	fs := newFlags(env, "user list", "user list [--data DIR | --db URL]")
	storeFlags(fs, &dsn)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	return withAccounts(ctx, dsn, func(m *auth.Manager) error {
		users, err := m.Users(ctx)
		if err != nil {
			return err
		}
		if len(users) == 0 {
			fmt.Fprintln(env.Stdout, "No users. Add one with: herald user add --role admin --password-stdin NAME")
			return nil
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tROLE\tCREATED\tLAST SIGN-IN\tSIGNS IN WITH\tSTATE")
		for _, u := range users {
			state := "active"
			if !u.DisabledAt.IsZero() {
				state = "disabled " + machineTime(u.DisabledAt)
			}
			last := "never"
			if !u.LastLoginAt.IsZero() {
				last = machineTime(u.LastLoginAt)
			}
			with := "password"
			switch {
			case u.SSO():
				with = "single-sign-on"
			case u.TOTPSecret != "":
				with = "password+totp"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Name, u.Role, machineTime(u.CreatedAt), last, with, state)
		}
		return tw.Flush()
	})
}

package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldhq/herald/internal/auth"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/web"
)

// pageCommands are the subcommands of herald page: what an operator needs
// to open a private page (see pages: in the README).
func pageCommands() map[string]command {
	return map[string]command{
		"password": {summary: "read a private page's password from stdin and print its password_hash", run: runPagePassword},
		"link":     {summary: "print a signed link to a private page (or one server of it) valid for a while", run: runPageLink},
	}
}

func runPagePassword(_ context.Context, env *Env, args []string) error {
	fs := newFlags(env, "page password", "page password < PASSWORD")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("the password is read from stdin, not given as an argument")
	}
	pw, err := readPassword(env.Stdin)
	if err != nil {
		return err
	}
	if err := auth.CheckPasswordRules(pw); err != nil {
		return usagef("%v", err)
	}
	hash, err := auth.HashPassword(pw, auth.DefaultParams)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, hash)
	return nil
}

func runPageLink(_ context.Context, env *Env, args []string) error {
	var (
		path, id, server string
		valid            time.Duration
	)
	fs := newFlags(env, "page link", "page link --config FILE --page ID [--server GROUP] [--valid 168h]")
	fs.StringVar(&path, "config", "", "configuration file (YAML); required")
	fs.StringVar(&id, "page", "", "the private page's id in pages:; required")
	fs.StringVar(&server, "server", "", "a group (server) of the page: the link shows it alone (a customer's); default the whole page")
	fs.DurationVar(&valid, "valid", 7*24*time.Hour, "how long the link opens the page")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) != 0:
		return usagef("unexpected arguments %q", pos)
	case path == "" || id == "":
		return usagef("--config FILE and --page ID are required")
	case valid <= 0:
		return usagef("--valid must be positive")
	}
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	link, err := web.SignedLink(cfg, id, server, valid, time.Now(), env.Getenv)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, link)
	return nil
}

package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/importer"
	"github.com/heraldhq/herald/internal/store"
)

// Moving in and out: herald export, and herald import from Herald's own
// export, Statuspage's API JSON or an Uptime Kuma backup.

func importCommands() map[string]command {
	return map[string]command{
		"herald":      {summary: "read a herald export into an empty database (same ids, same pages)", run: runImportHerald},
		"statuspage":  {summary: "import Statuspage's API JSON from a folder: components, incidents, maintenances, subscribers", run: runImportStatuspage},
		"uptime-kuma": {summary: "import an Uptime Kuma backup: monitors mapped to components, heartbeats as outages", run: runImportKuma},
	}
}

// progressLine writes counts to stderr on one line, at most five times a second.
type progressLine struct {
	w     io.Writer
	quiet bool
	last  time.Time
	shown bool
}

func (p *progressLine) show(format string, a ...any) {
	if p.quiet || time.Since(p.last) < 200*time.Millisecond {
		return
	}
	p.last = time.Now()
	p.shown = true
	fmt.Fprintf(p.w, "\r"+format+"   ", a...)
}

func (p *progressLine) done() {
	if p.shown {
		fmt.Fprintln(p.w)
	}
}

// openForImport opens the database an import writes to, making it when it
// does not exist yet: moving in usually starts from nothing.
func openForImport(ctx context.Context, dsn store.DSN) (*store.Store, error) {
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if _, err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

func runExport(ctx context.Context, env *Env, args []string) error {
	var (
		dsn   store.DSN
		out   string
		quiet bool
	)
	fs := newFlags(env, "export", "export [--out FILE] [--data DIR | --db URL]")
	storeFlags(fs, &dsn)
	fs.StringVar(&out, "out", "", "write to this file (made anew, only when complete) instead of standard output")
	fs.BoolVar(&quiet, "quiet", false, "no progress display")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q (the file goes in --out)", pos[0])
	}
	st, err := openStore(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	p := &progressLine{w: env.Stderr, quiet: quiet}
	progress := func(table string, rows int64) { p.show("exporting %s: %d rows", table, rows) }
	if out == "" {
		err := st.Export(ctx, env.Stdout, time.Now(), progress)
		p.done()
		return err
	}
	// Written beside the target and renamed: a failed export leaves no half file.
	tmp, err := os.CreateTemp(filepath.Dir(out), ".herald-export-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	err = st.Export(ctx, tmp, time.Now(), progress)
	p.done()
	if err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "exported to %s\n", out)
	return nil
}

func runImportHerald(ctx context.Context, env *Env, args []string) error {
	var (
		dsn   store.DSN
		quiet bool
	)
	fs := newFlags(env, "import herald", "import herald FILE [--data DIR | --db URL]")
	storeFlags(fs, &dsn)
	fs.BoolVar(&quiet, "quiet", false, "no progress display")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give one file written by herald export (- for standard input)")
	}
	var in io.Reader = env.Stdin
	if pos[0] != "-" {
		f, err := os.Open(pos[0])
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	st, err := openForImport(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	p := &progressLine{w: env.Stderr, quiet: quiet}
	res, err := st.Import(ctx, in, func(table string, rows int64) { p.show("importing %s: %d rows", table, rows) })
	p.done()
	if err != nil {
		return err
	}
	var total int64
	for _, t := range res.Tables {
		total += t.Rows
	}
	fmt.Fprintf(env.Stdout, "imported %d rows in %d tables (export of schema %d)\n", total, len(res.Tables), res.Schema)
	for _, t := range res.Tables {
		if t.Rows > 0 {
			fmt.Fprintf(env.Stdout, "  %-24s %d\n", t.Name, t.Rows)
		}
	}
	fmt.Fprintln(env.Stdout, "not carried by an export: users' passwords (herald user passwd), API tokens (herald token create), webhook signing secrets")
	return nil
}

// importFlags are the flags every foreign import takes.
type importFlags struct {
	dsn     store.DSN
	cfgPath string
	dryRun  bool
	quiet   bool
}

func parseImport(env *Env, name, usage, what string, args []string) (*importFlags, string, error) {
	var f importFlags
	fs := newFlags(env, name, usage)
	storeFlags(fs, &f.dsn)
	fs.StringVar(&f.cfgPath, "config", "", "store this configuration's groups and components first (as herald serve does) and map onto them")
	fs.BoolVar(&f.dryRun, "dry-run", false, "map and report everything, write nothing")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress display")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, "", err
	}
	if len(pos) != 1 {
		return nil, "", usagef("give one %s", what)
	}
	return &f, pos[0], nil
}

func runForeignImport(ctx context.Context, env *Env, f *importFlags,
	do func(context.Context, *store.Store, importer.Options) (*importer.Report, error)) error {
	o := importer.Options{DryRun: f.dryRun}
	if f.cfgPath != "" {
		cfg, err := config.Load(f.cfgPath)
		if err != nil {
			return fmt.Errorf("configuration not valid:\n%w", err)
		}
		groups, comps := catalogOf(cfg)
		o.Catalog = func(ctx context.Context, q *store.Queries) error {
			return q.SyncCatalog(ctx, groups, comps, time.Now())
		}
	}
	st, err := openForImport(ctx, f.dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	p := &progressLine{w: env.Stderr, quiet: f.quiet}
	o.Progress = func(what string, n int) { p.show("importing %s: %d", what, n) }
	rep, err := do(ctx, st, o)
	p.done()
	if err != nil {
		return err
	}
	rep.Write(env.Stdout)
	return nil
}

func runImportStatuspage(ctx context.Context, env *Env, args []string) error {
	f, dir, err := parseImport(env, "import statuspage", "import statuspage DIR [--config FILE] [--dry-run] [--data DIR | --db URL]",
		"folder holding Statuspage's components.json, incidents.json, scheduled-maintenances.json, subscribers.json", args)
	if err != nil {
		return err
	}
	return runForeignImport(ctx, env, f, func(ctx context.Context, st *store.Store, o importer.Options) (*importer.Report, error) {
		return importer.Statuspage(ctx, st, dir, o)
	})
}

func runImportKuma(ctx context.Context, env *Env, args []string) error {
	f, path, err := parseImport(env, "import uptime-kuma", "import uptime-kuma FILE.json [--config FILE] [--dry-run] [--data DIR | --db URL]",
		"Uptime Kuma backup file (JSON)", args)
	if err != nil {
		return err
	}
	return runForeignImport(ctx, env, f, func(ctx context.Context, st *store.Store, o importer.Options) (*importer.Report, error) {
		return importer.UptimeKuma(ctx, st, path, o)
	})
}

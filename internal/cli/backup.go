package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/store"
)

// lockSQLiteShared makes the data folder and takes its shared lock, as every
// running server does.
func lockSQLiteShared(dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	unlock, err := lockData(dir, false)
	if errors.Is(err, errDataInUse) {
		return nil, fmt.Errorf("a herald restore is replacing the database in %s; start Herald when it has finished", absPath(dir))
	}
	return unlock, err
}

func runBackup(ctx context.Context, env *Env, args []string) error {
	var (
		dsn   store.DSN
		out   string
		force bool
	)
	fs := newFlags(env, "backup", "backup --out FILE [--data DIR | --db postgres://...] [--force]")
	storeFlags(fs, &dsn)
	fs.StringVar(&out, "out", "", "file to write the backup to; required")
	fs.BoolVar(&force, "force", false, "replace FILE if it exists")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q (the file goes after --out)", pos[0])
	}
	if out == "" {
		return usagef("--out FILE is required (for example --out herald-$(date +%%F).db)")
	}
	if _, err := os.Stat(out); err == nil && !force {
		return fmt.Errorf("%s exists; choose another name or pass --force to replace it", out)
	}
	if dsn.URL != "" {
		return backupPostgres(ctx, env, dsn, out)
	}
	st, err := store.OpenExisting(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	// No migration: a backup leaves the database as it found it.
	start := time.Now()
	tmp, err := tempName(out)
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			os.Remove(tmp)
		}
	}()
	if err := st.BackupSQLite(ctx, tmp); err != nil {
		return err
	}
	sum, err := store.InspectSQLite(ctx, tmp)
	if err != nil {
		return fmt.Errorf("the copy does not check out, nothing was written to %s: %w", out, err)
	}
	if err := syncFile(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, out); err != nil {
		return fmt.Errorf("put the backup in place: %w", err)
	}
	done = true
	if err := syncDir(filepath.Dir(out)); err != nil {
		return err
	}
	fi, err := os.Stat(out)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "backed up %s to %s in %s: %s, integrity ok, %s\n",
		absPath(filepath.Join(dsn.DataDir, store.DBFile)), out, time.Since(start).Round(time.Millisecond), size(fi.Size()), sum)
	return nil
}

// tempName is a file beside path to write to before renaming it into place,
// so that path is either the old file or the whole new one.
func tempName(path string) (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-"+hex.EncodeToString(b[:])), nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return f.Close()
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	// Some file systems refuse to sync a directory; the rename is made all the same.
	_ = f.Sync()
	return nil
}

func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// pgDumpArgs turns Herald's PostgreSQL URL into pg_dump's arguments and
// environment: the password goes in PGPASSWORD, not on a command line that
// ps shows, and search_path (a pgx setting libpq does not know) becomes
// --schema, so that exactly Herald's schema is dumped.
func pgDumpArgs(raw string) (args, env []string, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("the --db URL does not parse: %w", err)
	}
	if pw, ok := u.User.Password(); ok {
		env = append(env, "PGPASSWORD="+pw)
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	if sp := q.Get("search_path"); sp != "" {
		for s := range strings.SplitSeq(sp, ",") {
			if s = strings.TrimSpace(s); s != "" {
				args = append(args, "--schema="+s)
			}
		}
		q.Del("search_path")
		u.RawQuery = q.Encode()
	}
	return append(args, "--dbname="+u.String()), env, nil
}

// backupPostgres runs pg_dump when it is on PATH. PostgreSQL's own tool
// makes a consistent dump (one snapshot, while Herald goes on writing) that
// any PostgreSQL restores, and Herald does not try to do that better.
func backupPostgres(ctx context.Context, env *Env, dsn store.DSN, out string) error {
	st, err := store.OpenExisting(ctx, dsn)
	if err != nil {
		return err
	}
	version, _, err := st.SchemaVersion(ctx)
	st.Close()
	if err != nil {
		return err
	}
	dbArgs, dbEnv, err := pgDumpArgs(dsn.URL)
	if err != nil {
		return err
	}
	pgDump, err := exec.LookPath("pg_dump")
	if err != nil {
		return fmt.Errorf("PostgreSQL is backed up with PostgreSQL's pg_dump, which is not on PATH.\n"+
			"Install the PostgreSQL client of the server's major version or newer (Debian: apt-get install postgresql-client) and run this again, or run it yourself:\n"+
			"  pg_dump --format=custom --file=%s %s\n"+
			"pg_dump reads one consistent snapshot while Herald goes on writing; restore with pg_restore (see README, Backups)",
			out, strings.Join(redactedArgs(dbArgs), " "))
	}
	tmp, err := tempName(out)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	start := time.Now()
	cmd := exec.CommandContext(ctx, pgDump, append([]string{"--format=custom", "--file=" + tmp}, dbArgs...)...)
	cmd.Env = append(os.Environ(), dbEnv...)
	cmd.Stdout = env.Stderr
	cmd.Stderr = env.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pg_dump failed (its messages are above), nothing was written to %s: %w", out, err)
	}
	// pg_restore --list reads the archive's table of contents: a check that
	// the file is whole and readable by the tool that will restore it.
	entries := -1
	if pgRestore, err := exec.LookPath("pg_restore"); err == nil {
		list, err := exec.CommandContext(ctx, pgRestore, "--list", tmp).Output()
		if err != nil {
			return fmt.Errorf("pg_restore cannot read the dump, nothing was written to %s: %w", out, err)
		}
		entries = 0
		for l := range strings.SplitSeq(string(list), "\n") {
			if l != "" && !strings.HasPrefix(l, ";") {
				entries++
			}
		}
	}
	if err := syncFile(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, out); err != nil {
		return fmt.Errorf("put the backup in place: %w", err)
	}
	if err := syncDir(filepath.Dir(out)); err != nil {
		return err
	}
	fi, err := os.Stat(out)
	if err != nil {
		return err
	}
	what := fmt.Sprintf("schema version %d", version)
	if entries >= 0 {
		what += fmt.Sprintf(", %d archive entries (pg_restore --list reads it)", entries)
	}
	fmt.Fprintf(env.Stdout, "backed up %s to %s with pg_dump in %s: %s, %s; restore with pg_restore (see README, Backups)\n",
		store.RedactURL(dsn.URL), out, time.Since(start).Round(time.Millisecond), size(fi.Size()), what)
	return nil
}

func redactedArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--dbname="); ok {
			a = "--dbname='" + store.RedactURL(v) + "'"
		}
		out[i] = a
	}
	return out
}

func runRestore(ctx context.Context, env *Env, args []string) error {
	var (
		dsn   store.DSN
		from  string
		force bool
	)
	fs := newFlags(env, "restore", "restore --from FILE [--data DIR] [--force]")
	storeFlags(fs, &dsn)
	fs.StringVar(&from, "from", "", "backup file written by herald backup; required")
	fs.BoolVar(&force, "force", false, "replace the database in --data (it is kept beside, renamed)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q (the file goes after --from)", pos[0])
	}
	if from == "" {
		return usagef("--from FILE is required")
	}
	if dsn.URL != "" {
		return fmt.Errorf("PostgreSQL is restored with PostgreSQL's pg_restore. Stop every Herald using the database, then run:\n"+
			"  pg_restore --clean --if-exists --no-owner --single-transaction --dbname='%s' %s\n"+
			"  herald migrate --db '%s'\n"+
			"and start Herald again (see README, Backups)", store.RedactURL(dsn.URL), from, store.RedactURL(dsn.URL))
	}
	return restoreSQLite(ctx, env, from, dsn.DataDir, force)
}

// restoreSQLite checks the backup, migrates a copy of it beside the target,
// and only then swaps it in: a failure at any step leaves the data folder as
// it was, and a replaced database is renamed, never deleted.
func restoreSQLite(ctx context.Context, env *Env, from, dir string, force bool) error {
	sum, err := store.InspectSQLite(ctx, from)
	if err != nil {
		return fmt.Errorf("%s cannot be restored: %w", from, err)
	}
	known, err := store.KnownVersion()
	if err != nil {
		return err
	}
	if sum.Version > known {
		return fmt.Errorf("%s has schema version %d, newer than this Herald knows (%d): restore it with the Herald that made it, or a newer one", from, sum.Version, known)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create data folder: %w", err)
	}
	unlock, err := lockData(dir, true)
	if errors.Is(err, errDataInUse) {
		return fmt.Errorf("a Herald is running on %s (it holds %s); stop it before restoring", absPath(dir), lockFile)
	}
	if err != nil {
		return err
	}
	defer unlock()
	target := filepath.Join(dir, store.DBFile)
	// A log left without its database counts as one: SQLite would read it
	// into the restored file.
	exists := false
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if _, err := os.Lstat(target + suffix); err == nil {
			exists = true
		}
	}
	if exists && !force {
		return fmt.Errorf("%s already holds a database; pass --force to replace it (it is kept, renamed, beside the restored one)", absPath(target))
	}

	staging, err := os.MkdirTemp(dir, ".restore-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(staging)
	staged := filepath.Join(staging, store.DBFile)
	if err := copyFile(from, staged); err != nil {
		return err
	}
	st, err := store.Open(ctx, store.DSN{DataDir: staging})
	if err != nil {
		return err
	}
	applied, err := st.Migrate(ctx)
	if err == nil {
		// Everything into the main file, so that the one file moved is whole.
		_, err = st.DB().ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	}
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("migrate the restored database: %w", err)
	}
	if fi, err := os.Stat(staged + "-wal"); err == nil && fi.Size() > 0 {
		return fmt.Errorf("the restored database still has a write-ahead log after closing; nothing was replaced")
	}
	after, err := store.InspectSQLite(ctx, staged)
	if err != nil {
		return fmt.Errorf("the restored database does not check out, nothing was replaced: %w", err)
	}
	if err := syncFile(staged); err != nil {
		return err
	}

	kept := ""
	if exists {
		kept = fmt.Sprintf("herald-replaced-%s.db", time.Now().UTC().Format("20060102T150405Z"))
		// The log files move with it, or the kept database would lose its
		// last writes and the restored one would be read through a stale log.
		for _, suffix := range []string{"", "-wal", "-shm"} {
			err := os.Rename(target+suffix, filepath.Join(dir, kept+suffix))
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("move the old database aside: %w", err)
			}
		}
	}
	if err := os.Rename(staged, target); err != nil {
		return fmt.Errorf("put the restored database in place: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	migrated := ""
	if len(applied) > 0 {
		migrated = fmt.Sprintf(" (migrated from version %d)", sum.Version)
	}
	fmt.Fprintf(env.Stdout, "restored %s into %s: integrity ok, %s%s\n", from, absPath(target), after, migrated)
	if kept != "" {
		fmt.Fprintf(env.Stdout, "the database it replaced is kept as %s\n", absPath(filepath.Join(dir, kept)))
	}
	return nil
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return fmt.Errorf("copy %s: %w", from, err)
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

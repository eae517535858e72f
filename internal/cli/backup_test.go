package cli_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/cli"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// openService opens the SQLite database in dir (already made by migrate)
// the way a running Herald does, with a service over it.
func openService(t *testing.T, dir string) (*store.Store, *service.Service) {
	t.Helper()
	st, err := store.Open(context.Background(), store.DSN{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := service.New(st, service.SystemClock{}, nil)
	if err := svc.SyncCatalog(context.Background(), []store.Group{{ID: "g", Name: "G"}},
		[]store.Component{{ID: "g/c", GroupID: "g", Name: "C"}}); err != nil {
		t.Fatal(err)
	}
	return st, svc
}

// TestBackupRestoreDuringWrites takes a backup while another connection
// opens incidents one after another (each one a transaction writing an
// incident, its component, its first update and a change log entry),
// restores it into a new folder, and checks the restored database: it
// passes integrity_check, and it holds a prefix of the writes: every write
// acknowledged before the backup began, no gap, nothing after the last
// write that could have been in flight when it ended, and every incident
// whole (its update, its component and its change log entry all there).
func TestBackupRestoreDuringWrites(t *testing.T) {
	cli.Parallel(t)
	dir := t.TempDir()
	if code, out, errs := runIn(t, "", "migrate", "--data", dir); code != 0 {
		t.Fatalf("migrate: %d %q %q", code, out, errs)
	}
	st, svc := openService(t, dir)
	// Some bulk, so that the copy takes long enough for writes to land
	// while it runs: 40,000 change log rows of 400 bytes (~20 MB).
	if _, err := st.DB().Exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40000)
		INSERT INTO changes (at, actor, action, subject, before, after)
		SELECT i, 'bulk', 'bulk.load', 'bulk:' || i, NULL, printf('%.400c', 'x') FROM n`); err != nil {
		t.Fatal(err)
	}

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var acked atomic.Int64
	writerDone := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			_, err := svc.OpenIncident(ctx, "test", service.NewIncident{Title: fmt.Sprintf("write %05d", i),
				Body: "body", Components: map[string]status.ComponentStatus{"g/c": status.MajorOutage}})
			if ctx.Err() != nil {
				writerDone <- nil
				return
			}
			if err != nil {
				writerDone <- fmt.Errorf("write %d: %w", i, err)
				return
			}
			acked.Store(int64(i + 1))
		}
	}()
	waitFor := func(n int64) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for acked.Load() < n {
			if time.Now().After(deadline) {
				t.Fatalf("only %d writes acknowledged in a minute, waiting for %d", acked.Load(), n)
			}
			select {
			case err := <-writerDone:
				t.Fatalf("the writer stopped: %v", err)
			case <-time.After(time.Millisecond):
			}
		}
	}
	waitFor(50)

	file := filepath.Join(t.TempDir(), "herald-backup.db")
	before := acked.Load()
	code, out, errs := runIn(t, "", "backup", "--data", dir, "--out", file)
	// The write in flight when the backup ended may or may not be in it.
	atMost := acked.Load() + 1
	if code != 0 {
		t.Fatalf("backup: exit %d, stderr %q", code, errs)
	}
	backupOut := out
	if !strings.Contains(out, "integrity ok, schema version") || !strings.Contains(out, " incidents") {
		t.Errorf("backup output %q does not say what it holds", out)
	}
	// Writes go on after the backup: it stopped nobody.
	waitFor(atMost + 20)
	stop()
	if err := <-writerDone; err != nil {
		t.Fatal(err)
	}

	target := filepath.Join(t.TempDir(), "restored")
	code, out, errs = runIn(t, "", "restore", "--from", file, "--data", target)
	if code != 0 || !strings.Contains(out, "restored "+file) {
		t.Fatalf("restore: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	sum, err := store.InspectSQLite(context.Background(), filepath.Join(target, "herald.db"))
	if err != nil {
		t.Fatalf("the restored database: %v", err)
	}
	var incidents int64 = -1
	for _, c := range sum.Counts {
		if c.What == "incidents" {
			incidents = c.N
		}
	}

	db, err := sql.Open("sqlite", "file:"+filepath.Join(target, "herald.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT i.id, i.title,
		(SELECT count(*) FROM incident_updates u WHERE u.incident_id = i.id),
		(SELECT count(*) FROM incident_components c WHERE c.incident_id = i.id),
		(SELECT count(*) FROM changes ch WHERE ch.subject = 'incident:' || i.id AND ch.action = 'incident.create')
		FROM incidents i ORDER BY i.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		var (
			id                       int64
			title                    string
			updates, comps, logEntry int
		)
		if err := rows.Scan(&id, &title, &updates, &comps, &logEntry); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("write %05d", n); title != want {
			t.Fatalf("incident %d is %q, want %q: the restored writes are not a prefix", id, title, want)
		}
		if updates != 1 || comps != 1 || logEntry != 1 {
			t.Errorf("incident %q is half there: %d updates, %d components, %d change log entries, want 1 each", title, updates, comps, logEntry)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n < before || n > atMost {
		t.Errorf("the backup holds %d writes; want from %d (acknowledged before it began) to %d (begun before it ended)", n, before, atMost)
	}
	if incidents != n {
		t.Errorf("restore's summary counts %d incidents, the database holds %d", incidents, n)
	}
	t.Logf("backup taken after %d acknowledged writes holds %d (%d acknowledged while it ran); %d written in all\n%s",
		before, n, atMost-1-before, acked.Load(), backupOut)
}

// TestRestoreRefusals: restore replaces nothing unless told to, never under
// a running server, and never from a file that is not a whole Herald
// database or is newer than this build.
func TestRestoreRefusals(t *testing.T) {
	cli.Parallel(t)
	dir := t.TempDir()
	if code, out, errs := runIn(t, "", "migrate", "--data", dir); code != 0 {
		t.Fatalf("migrate: %d %q %q", code, out, errs)
	}
	if code, _, errs := runIn(t, "", "token", "create", "--scope", "read", "--name", "original", "--data", dir); code != 0 {
		t.Fatalf("token create: %s", errs)
	}
	file := filepath.Join(t.TempDir(), "b.db")
	if code, _, errs := runIn(t, "", "backup", "--data", dir, "--out", file); code != 0 {
		t.Fatalf("backup: %s", errs)
	}
	if code, _, errs := runIn(t, "", "backup", "--data", dir, "--out", file); code != 1 || !strings.Contains(errs, "exists; choose another name or pass --force") {
		t.Errorf("backup over an existing file: exit %d, stderr %q", code, errs)
	}

	if code, _, errs := runIn(t, "", "restore", "--from", file, "--data", dir); code != 1 || !strings.Contains(errs, "already holds a database; pass --force") {
		t.Errorf("restore over a database without --force: exit %d, stderr %q", code, errs)
	}

	notDB := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notDB, []byte(strings.Repeat("not a database\n", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runIn(t, "", "restore", "--from", notDB, "--data", t.TempDir()); code != 1 || !strings.Contains(errs, "cannot be restored") {
		t.Errorf("restore from a text file: exit %d, stderr %q", code, errs)
	}

	foreign := filepath.Join(t.TempDir(), "foreign.db")
	fdb, err := sql.Open("sqlite", "file:"+foreign)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fdb.Exec(`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)`); err != nil {
		t.Fatal(err)
	}
	fdb.Close()
	if code, _, errs := runIn(t, "", "restore", "--from", foreign, "--data", t.TempDir()); code != 1 || !strings.Contains(errs, "without Herald's tables") {
		t.Errorf("restore from another program's SQLite file: exit %d, stderr %q", code, errs)
	}

	newer := filepath.Join(t.TempDir(), "newer.db")
	if code, _, errs := runIn(t, "", "backup", "--data", dir, "--out", newer); code != 0 {
		t.Fatalf("backup: %s", errs)
	}
	ndb, err := sql.Open("sqlite", "file:"+newer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ndb.Exec(`INSERT INTO goose_db_version (version_id, is_applied) SELECT MAX(version_id) + 1000, 1 FROM goose_db_version`); err != nil {
		t.Fatal(err)
	}
	ndb.Close()
	if code, _, errs := runIn(t, "", "restore", "--from", newer, "--data", t.TempDir()); code != 1 || !strings.Contains(errs, "newer than this Herald knows") {
		t.Errorf("restore from a newer schema: exit %d, stderr %q", code, errs)
	}

	// With --force the old database is kept beside, renamed, and the
	// restored one is the backup's: the token made after it is gone.
	if code, _, errs := runIn(t, "", "token", "create", "--scope", "read", "--name", "after-backup", "--data", dir); code != 0 {
		t.Fatalf("token create: %s", errs)
	}
	code, out, errs := runIn(t, "", "restore", "--from", file, "--data", dir, "--force")
	if code != 0 || !strings.Contains(out, "the database it replaced is kept as") {
		t.Fatalf("restore --force: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	_, out, _ = runIn(t, "", "token", "list", "--data", dir)
	if !strings.Contains(out, "original") || strings.Contains(out, "after-backup") {
		t.Errorf("after restore, tokens are:\n%s\nwant the backup's (original) only", out)
	}
	kept, _ := filepath.Glob(filepath.Join(dir, "herald-replaced-*.db"))
	if len(kept) != 1 {
		t.Fatalf("kept databases: %v, want one", kept)
	}
	// The kept database is whole, with the writes still in its log.
	if _, err := store.InspectSQLite(context.Background(), kept[0]); err != nil {
		t.Errorf("the kept database: %v", err)
	}
	kdb, err := sql.Open("sqlite", "file:"+kept[0]+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer kdb.Close()
	var later int
	if err := kdb.QueryRow(`SELECT count(*) FROM api_tokens WHERE name = 'after-backup'`).Scan(&later); err != nil || later != 1 {
		t.Errorf("the kept database has %d tokens made after the backup (%v), want 1", later, err)
	}
}

// PostgreSQL backups are pg_dump's: herald backup runs it when it is on PATH
// (the archive names Herald's tables and pg_restore reads it), and says
// what to run, without the password, when it is not.
func TestBackupPostgres(t *testing.T) {
	b := storetest.Postgres(t)
	if code, _, errs := runIn(t, "", "token", "create", "--scope", "read", "--name", "pg", "--db", b.URL); code != 0 {
		t.Fatalf("token create: %s", errs)
	}
	if _, err := exec.LookPath("pg_dump"); err != nil {
		if os.Getenv("HERALD_REQUIRE_POSTGRES") == "1" {
			t.Fatal("pg_dump is not on PATH (install postgresql-client)")
		}
		t.Skip("pg_dump is not on PATH")
	}
	file := filepath.Join(t.TempDir(), "herald.dump")
	code, out, errs := runIn(t, "", "backup", "--db", b.URL, "--out", file)
	if code != 0 || !strings.Contains(out, "with pg_dump") || !strings.Contains(out, "archive entries") {
		t.Fatalf("backup: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	list, err := exec.Command("pg_restore", "--list", file).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"TABLE DATA", "api_tokens", "goose_db_version"} {
		if !strings.Contains(string(list), want) {
			t.Errorf("the dump's table of contents has no %q:\n%s", want, list)
		}
	}

	// Without pg_dump: what to run, and no password in it.
	t.Setenv("PATH", t.TempDir())
	withPassword := strings.Replace(b.URL, "root@", "root:s3cret@", 1)
	code, _, errs = runIn(t, "", "backup", "--db", withPassword, "--out", filepath.Join(t.TempDir(), "x.dump"))
	if code != 1 || !strings.Contains(errs, "pg_dump, which is not on PATH") || !strings.Contains(errs, "pg_dump --format=custom --file=") {
		t.Errorf("backup without pg_dump: exit %d, stderr %q", code, errs)
	}
	if strings.Contains(errs, "s3cret") {
		t.Errorf("the message shows the password: %q", errs)
	}
}

// A write-ahead log left in the folder without its database is moved aside
// with --force and refused without: put beside the restored file, SQLite
// would read it into it.
func TestRestoreMovesAStrayLogAside(t *testing.T) {
	cli.Parallel(t)
	dir := t.TempDir()
	if code, out, errs := runIn(t, "", "migrate", "--data", dir); code != 0 {
		t.Fatalf("migrate: %d %q %q", code, out, errs)
	}
	file := filepath.Join(t.TempDir(), "b.db")
	if code, _, errs := runIn(t, "", "backup", "--data", dir, "--out", file); code != 0 {
		t.Fatalf("backup: %s", errs)
	}
	target := t.TempDir()
	if err := os.WriteFile(filepath.Join(target, "herald.db-wal"), []byte("stale"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runIn(t, "", "restore", "--from", file, "--data", target); code != 1 || !strings.Contains(errs, "already holds a database") {
		t.Errorf("restore beside a stray log: exit %d, stderr %q", code, errs)
	}
	if code, _, errs := runIn(t, "", "restore", "--from", file, "--data", target, "--force"); code != 0 {
		t.Fatalf("restore --force: %s", errs)
	}
	if b, err := os.ReadFile(filepath.Join(target, "herald.db-wal")); err == nil && string(b) == "stale" {
		t.Error("the stray log is still beside the restored database")
	}
	if kept, _ := filepath.Glob(filepath.Join(target, "herald-replaced-*.db-wal")); len(kept) != 1 {
		t.Errorf("the stray log was not kept aside: %v", kept)
	}
}

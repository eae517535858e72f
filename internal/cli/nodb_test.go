package cli_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/cli"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// oneOffCommands are every command that opens the database for one job; none
// may create one (grep openStore and OpenExisting in internal/cli).
func oneOffCommands(t *testing.T) [][]string {
	csv := filepath.Join(t.TempDir(), "customers.csv")
	if err := os.WriteFile(csv, []byte("example.com,flexo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return [][]string{
		{"token", "create", "--scope", "write"},
		{"token", "list"},
		{"token", "revoke", "1"},
		{"user", "add", "--role", "admin", "alice"},
		{"user", "list"},
		{"user", "passwd", "alice"},
		{"user", "disable", "alice"},
		{"user", "enable", "alice"},
		{"customers", "import", "--quiet", csv},
		{"backup", "--out", filepath.Join(t.TempDir(), "b.db")},
	}
}

// A one-off command pointed at a folder without a database says where it
// looked and what to pass, and leaves the folder as it was; before, it made
// a new database there and, say, a token the running server never knew.
func TestOneOffCommandsRefuseAFolderWithoutDatabase(t *testing.T) {
	cli.Parallel(t)
	for _, args := range oneOffCommands(t) {
		t.Run(strings.Join(args[:2], " "), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "wrong")
			code, out, errs := runIn(t, "a long enough password\n", append(args, "--data", dir)...)
			want := "no Herald database in " + dir + " (herald.db not found); pass --data with the folder herald serve uses, or --db for PostgreSQL"
			if code != 1 || !strings.Contains(errs, want) {
				t.Errorf("exit %d, stderr %q (stdout %q); want 1 and %q", code, errs, out, want)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("the command made %s (stat: %v); it must leave a wrong folder alone", dir, err)
			}
		})
	}
}

// Left out, --data is ./data; with none there the command refuses too.
func TestTokenWithoutDataFlagRefuses(t *testing.T) {
	t.Chdir(t.TempDir())
	code, _, errs := runIn(t, "", "token", "create", "--scope", "write")
	wd, _ := os.Getwd()
	if want := "no Herald database in " + filepath.Join(wd, "data"); code != 1 || !strings.Contains(errs, want) {
		t.Errorf("exit %d, stderr %q; want 1 and %q", code, errs, want)
	}
	if _, err := os.Stat("data"); !os.IsNotExist(err) {
		t.Errorf("./data was created (stat: %v)", err)
	}
}

// A folder that serve (or migrate) set up works, and one an empty file
// stands in for is refused: an empty herald.db has no Herald tables.
func TestTokenAfterMigrate(t *testing.T) {
	cli.Parallel(t)
	dir := t.TempDir()
	if code, out, errs := runIn(t, "", "migrate", "--data", dir); code != 0 {
		t.Fatalf("migrate: %d %q %q", code, out, errs)
	}
	if code, out, errs := runIn(t, "", "token", "create", "--scope", "read", "--data", dir); code != 0 || !strings.HasPrefix(out, "hrld_") {
		t.Fatalf("token create on a migrated folder: %d %q %q", code, out, errs)
	}
	empty := t.TempDir()
	if err := os.WriteFile(filepath.Join(empty, "herald.db"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runIn(t, "", "token", "list", "--data", empty)
	if want := "no Herald database in " + filepath.Join(empty, "herald.db") + ": it has no Herald tables"; code != 1 || !strings.Contains(errs, want) {
		t.Errorf("exit %d, stderr %q; want 1 and %q", code, errs, want)
	}
}

// PostgreSQL: a database (here a schema) without Herald's tables is refused
// by the one-off commands, which must not fill an empty or foreign database
// with Herald's tables; migrate creates them, after which the commands work.
func TestOneOffCommandsRefuseAPostgresWithoutSchema(t *testing.T) {
	cli.Parallel(t)
	url := storetest.PostgresURL(t)
	for _, args := range oneOffCommands(t) {
		if args[0] == "backup" {
			continue // PostgreSQL backups are pg_dump's; see TestBackupPostgres
		}
		code, out, errs := runIn(t, "a long enough password\n", append(args, "--db", url)...)
		if want := "no Herald database in the PostgreSQL database at " + store.RedactURL(url) + ": it has no Herald tables"; code != 1 || !strings.Contains(errs, want) {
			t.Errorf("%v: exit %d, stderr %q (stdout %q); want 1 and %q", args, code, errs, out, want)
		}
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tables int
	if err := db.QueryRowContext(context.Background(), `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("the refused commands left %d tables in the empty schema", tables)
	}
	if code, out, errs := runIn(t, "", "migrate", "--db", url); code != 0 {
		t.Fatalf("migrate: %d %q %q", code, out, errs)
	}
	if code, out, errs := runIn(t, "", "token", "create", "--scope", "read", "--db", url); code != 0 || !strings.HasPrefix(out, "hrld_") {
		t.Fatalf("token create after migrate: %d %q %q", code, out, errs)
	}
}

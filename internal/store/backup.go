package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// DBFile is the name of the SQLite database inside a data folder.
const DBFile = "herald.db"

// ErrNoDatabase is returned by OpenExisting when the place named holds no
// Herald database.
var ErrNoDatabase = errors.New("no Herald database")

// OpenExisting opens a database that Herald has already created, for the
// one-off commands (token, user, customers, backup): pointed at the wrong
// folder, they must say so rather than make an empty database beside the
// real one and write into it. It does not migrate.
func OpenExisting(ctx context.Context, dsn DSN) (*Store, error) {
	if dsn.URL == "" {
		path := filepath.Join(dsn.DataDir, DBFile)
		abs, err := filepath.Abs(path)
		if err != nil {
			abs = path
		}
		switch fi, err := os.Stat(path); {
		case errors.Is(err, os.ErrNotExist):
			return nil, fmt.Errorf("%w in %s (%s not found); pass --data with the folder herald serve uses, or --db for PostgreSQL (herald migrate creates a new database)",
				ErrNoDatabase, filepath.Dir(abs), DBFile)
		case err != nil:
			return nil, fmt.Errorf("look for the database: %w", err)
		case !fi.Mode().IsRegular():
			return nil, fmt.Errorf("%w: %s is not a file", ErrNoDatabase, abs)
		}
	}
	s, err := Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	ok, err := s.HasSchema(ctx)
	if err == nil && !ok {
		err = fmt.Errorf("%w in %s: it has no Herald tables; check --data or --db names the database herald serve uses (herald migrate creates the schema in a new, empty database)",
			ErrNoDatabase, s.where(dsn))
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// where names a database for messages, without a password.
func (s *Store) where(dsn DSN) string {
	if s.dialect == SQLite {
		path := filepath.Join(dsn.DataDir, DBFile)
		if abs, err := filepath.Abs(path); err == nil {
			return abs
		}
		return path
	}
	return "the PostgreSQL database at " + RedactURL(dsn.URL)
}

// RedactURL drops the password from a database URL, for messages and logs.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(an unreadable URL)"
	}
	return u.Redacted()
}

// HasSchema reports whether Herald's schema is in the database: the
// migrations' version table and Herald's first table. A database that has
// neither is empty or someone else's, and a one-off command must not fill
// it with Herald's tables unasked.
func (s *Store) HasSchema(ctx context.Context) (bool, error) {
	return hasSchema(ctx, s.db, s.dialect)
}

func hasSchema(ctx context.Context, db *sql.DB, d Dialect) (bool, error) {
	var n int
	var err error
	if d == Postgres {
		err = db.QueryRowContext(ctx, `SELECT (CASE WHEN to_regclass('goose_db_version') IS NULL THEN 0 ELSE 1 END) +
			(CASE WHEN to_regclass('components') IS NULL THEN 0 ELSE 1 END)`).Scan(&n)
	} else {
		err = db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('goose_db_version', 'components')`).Scan(&n)
	}
	if err != nil {
		return false, fmt.Errorf("look for Herald's tables: %w", err)
	}
	return n == 2, nil
}

// KnownVersion is the newest schema version this build's migrations reach.
func KnownVersion() (int64, error) {
	entries, err := migrations.ReadDir("migrations/" + string(SQLite))
	if err != nil {
		return 0, err
	}
	var known int64
	for _, e := range entries {
		var v int64
		if _, err := fmt.Sscanf(e.Name(), "%d_", &v); err == nil {
			known = max(known, v)
		}
	}
	return known, nil
}

// BackupSQLite writes a consistent copy of the SQLite database to path with
// VACUUM INTO: it reads one snapshot (a read transaction, which in WAL mode
// lets the running server go on writing) and writes it out compacted. path
// must not exist.
func (s *Store) BackupSQLite(ctx context.Context, path string) error {
	if s.dialect != SQLite {
		return errors.New("BackupSQLite is for SQLite; back PostgreSQL up with pg_dump")
	}
	if _, err := s.db.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("copy the database: %w", err)
	}
	return nil
}

// Count is how many rows one table holds.
type Count struct {
	What string
	N    int64
}

// Summary is what a backup file holds, as Inspect found it.
type Summary struct {
	// Version is the schema version (the newest migration applied).
	Version int64
	// Counts are the rows in the tables an operator knows by name, in a fixed order.
	Counts []Count
}

// String reads "schema version 6; 12 incidents, 3 maintenance windows, ...".
func (s Summary) String() string {
	parts := make([]string, 0, len(s.Counts))
	for _, c := range s.Counts {
		parts = append(parts, fmt.Sprintf("%d %s", c.N, c.What))
	}
	return fmt.Sprintf("schema version %d; %s", s.Version, strings.Join(parts, ", "))
}

// summaryTables are counted in a summary; a table a schema version does not
// have yet is left out of the summary rather than failing it.
var summaryTables = []struct{ table, what string }{
	{"components", "components"},
	{"incidents", "incidents"},
	{"incident_updates", "incident updates"},
	{"maintenances", "maintenance windows"},
	{"subscribers", "subscribers"},
	{"users", "users"},
	{"api_tokens", "API tokens"},
	{"check_results", "check results"},
	{"outages", "outages"},
	{"changes", "changes logged"},
}

// InspectSQLite opens an SQLite file read-only and checks it is a whole
// Herald database: PRAGMA integrity_check passes, Herald's tables are there,
// and it says which schema version it has and what it holds. It changes
// nothing in the file.
func InspectSQLite(ctx context.Context, path string) (Summary, error) {
	var sum Summary
	fi, err := os.Stat(path)
	if err != nil {
		return sum, err
	}
	if !fi.Mode().IsRegular() {
		return sum, fmt.Errorf("%s is not a file", path)
	}
	// immutable=1 would skip locking; mode=ro is enough and still honours
	// a writer, though nobody should be writing a backup file.
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return sum, fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var check string
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return sum, fmt.Errorf("%s is not an SQLite database: %w", path, err)
	}
	var problems []string
	for rows.Next() {
		if err := rows.Scan(&check); err != nil {
			rows.Close()
			return sum, fmt.Errorf("integrity check: %w", err)
		}
		if check != "ok" {
			problems = append(problems, check)
		}
	}
	if err := rows.Close(); err != nil {
		return sum, fmt.Errorf("integrity check: %w", err)
	}
	if err := rows.Err(); err != nil {
		return sum, fmt.Errorf("%s is not an SQLite database: %w", path, err)
	}
	if len(problems) > 0 {
		if len(problems) > 5 {
			problems = append(problems[:5], "...")
		}
		return sum, fmt.Errorf("%s fails SQLite's integrity check: %s", path, strings.Join(problems, "; "))
	}
	ok, err := hasSchema(ctx, db, SQLite)
	if err != nil {
		return sum, err
	}
	if !ok {
		return sum, fmt.Errorf("%w in %s: it is an SQLite file without Herald's tables", ErrNoDatabase, path)
	}
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version WHERE is_applied`).Scan(&sum.Version); err != nil {
		return sum, fmt.Errorf("read the schema version: %w", err)
	}
	for _, t := range summaryTables {
		var present int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, t.table).Scan(&present); err != nil {
			return sum, fmt.Errorf("look for table %s: %w", t.table, err)
		}
		if present == 0 {
			continue
		}
		c := Count{What: t.what}
		// The table name comes from the list above, never from input.
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+t.table).Scan(&c.N); err != nil {
			return sum, fmt.Errorf("count %s: %w", t.what, err)
		}
		sum.Counts = append(sum.Counts, c)
	}
	return sum, nil
}

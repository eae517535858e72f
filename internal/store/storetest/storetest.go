// Package storetest opens fresh, migrated stores for tests: always SQLite in a
// temporary folder, and PostgreSQL when HERALD_TEST_POSTGRES names a server.
//
// With HERALD_REQUIRE_POSTGRES=1 (as .ci/run sets) a missing or unreachable
// PostgreSQL fails the test instead of skipping it, so CI can never pass
// without having run the PostgreSQL half of a suite.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the pgx database/sql driver

	"github.com/heraldhq/herald/internal/store"
)

// Backend is one store under test.
type Backend struct {
	Name  string
	Store *store.Store
	// URL is the database URL for PostgreSQL, empty for SQLite.
	URL string
	// DataDir is the SQLite data folder, empty for PostgreSQL.
	DataDir string
}

// Each runs fn as a subtest against every available backend.
func Each(t *testing.T, fn func(t *testing.T, b Backend)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite opens a migrated SQLite store in a temporary folder: a copy of
// one migrated once per test binary (sqliteTemplate), on which Migrate
// then finds nothing to do.
func SQLite(t testing.TB) Backend {
	t.Helper()
	dir := t.TempDir()
	files, err := sqliteTemplate()
	if err != nil {
		t.Fatalf("migrate the template SQLite database: %v", err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s, err := store.Open(context.Background(), store.DSN{DataDir: dir})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	migrate(t, s)
	return Backend{Name: "sqlite", Store: s, DataDir: dir}
}

// sqliteTemplate is the data folder's files of a SQLite database migrated
// once in this process. Migrating each test's database anew was a tenth of
// the CPU of internal/web's tests under the race detector: goose parses
// every migration with a 4 MiB buffer from a sync.Pool, which the detector
// empties at random, so most lines of SQL allocated and cleared a new one.
var sqliteTemplate = sync.OnceValues(func() (map[string][]byte, error) {
	dir, err := os.MkdirTemp("", "herald-storetest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	s, err := store.Open(ctx, store.DSN{DataDir: dir})
	if err != nil {
		return nil, err
	}
	if _, err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	// Closing the last connection checkpoints the write-ahead log into the
	// database file and removes it: what is left is the whole database.
	if err := s.Close(); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	files := make(map[string][]byte, len(entries))
	for _, e := range entries {
		if files[e.Name()], err = os.ReadFile(filepath.Join(dir, e.Name())); err != nil {
			return nil, err
		}
	}
	return files, nil
})

// PostgresURL returns a URL to a fresh, empty schema on the test server, which
// is dropped when the test ends; it skips (or fails, when required) without one.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("HERALD_TEST_POSTGRES")
	required := os.Getenv("HERALD_REQUIRE_POSTGRES") == "1"
	if base == "" {
		if required {
			t.Fatal("HERALD_REQUIRE_POSTGRES=1 but HERALD_TEST_POSTGRES is not set")
		}
		t.Skip("HERALD_TEST_POSTGRES not set; skipping the PostgreSQL run")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { admin.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		if required {
			t.Fatalf("HERALD_REQUIRE_POSTGRES=1 but PostgreSQL is unreachable: %v", err)
		}
		t.Skipf("PostgreSQL unreachable, skipping: %v", err)
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	schema := "herald_test_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("HERALD_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Postgres opens a migrated store in a fresh schema on the test server.
func Postgres(t testing.TB) Backend {
	t.Helper()
	dsn := PostgresURL(t)
	s, err := store.Open(context.Background(), store.DSN{URL: dsn})
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	migrate(t, s)
	return Backend{Name: "postgres", Store: s, URL: dsn}
}

func migrate(t testing.TB, s *store.Store) {
	t.Helper()
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
}

// ReadOnly makes an SQLite store refuse every write from now on, as a
// read-only file would: PRAGMA query_only on its one remaining connection.
// (Tests may run as root, whom chmod does not stop, and a file already open
// for writing stays writable anyway.) For PostgreSQL, open the schema's URL
// with default_transaction_read_only=on instead.
func ReadOnly(t testing.TB, s *store.Store) {
	t.Helper()
	if s.Dialect() != store.SQLite {
		t.Fatal("storetest.ReadOnly is for SQLite; open PostgreSQL with default_transaction_read_only=on instead")
	}
	db := s.DB()
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	if _, err := db.Exec(`PRAGMA query_only = 1`); err != nil {
		t.Fatalf("make the store read-only: %v", err)
	}
}

// FreshDatabase makes an empty PostgreSQL database of its own on the test
// server (CREATE DATABASE), for tests that need what a schema does not give
// them: a database-wide lock, or several processes started on one URL. It
// is dropped, with every connection still open to it, when the test ends.
// It returns the database's URL, and skips (or fails, when required)
// without a server.
func FreshDatabase(t testing.TB) string {
	t.Helper()
	base := PostgresURL(t) // skips or fails without a server, as every PostgreSQL test does
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("postgres URL: %v", err)
	}
	q := u.Query()
	q.Del("search_path")
	u.RawQuery = q.Encode()
	admin, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { admin.Close() })
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	name := "herald_db_" + hex.EncodeToString(b[:])
	// Generous: creating and dropping a database waits for a checkpoint,
	// slow on a busy machine.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

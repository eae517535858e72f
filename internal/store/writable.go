package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"modernc.org/sqlite"
)

// Writes refused on purpose: a Herald on a read-only standby database, or on
// a disk that is full or read-only, serves what it can read and refuses every
// write before it reaches the database, with the reason. The rule lives here,
// in one place: Tx and the pool's writes ask the gate, the refusal is an
// error that Unavailable explains, and so every surface (the admin API, the
// admin screens, the public forms, /readyz) answers with the same 503 and the
// same words as for a database that is down.

// Reasons for refusing writes, in words shown to clients.
const (
	ReasonStandby  = "this Herald is on a read-only standby database; writes go to the primary"
	ReasonReadOnly = "the disk holding the database is read-only, so Herald serves its pages read-only"
)

// RefusedError is a write this Herald refused without trying it.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return "write refused: " + e.Reason }

// gate says whether writes are refused. The zero gate lets them through.
type gate struct {
	mu      sync.Mutex
	refused *RefusedError
	opened  chan struct{} // closed when writes are allowed again
}

func (g *gate) err() error {
	if g == nil {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.refused == nil {
		return nil
	}
	return g.refused
}

// RefuseWrites makes every write through this store fail at once with a
// *RefusedError carrying reason, until AllowWrites.
func (s *Store) RefuseWrites(reason string) {
	s.gate.mu.Lock()
	defer s.gate.mu.Unlock()
	if s.gate.refused == nil {
		s.gate.opened = make(chan struct{})
	}
	s.gate.refused = &RefusedError{Reason: reason}
}

// AllowWrites lets writes through again.
func (s *Store) AllowWrites() {
	s.gate.mu.Lock()
	defer s.gate.mu.Unlock()
	if s.gate.refused != nil {
		close(s.gate.opened)
	}
	s.gate.refused = nil
	// A failure noted while refused (a standby's own refusal) is not news.
	s.writes.mu.Lock()
	s.writes.at, s.writes.err = time.Time{}, nil
	s.writes.mu.Unlock()
}

// WritesRefused returns the *RefusedError writes fail with now, or nil.
func (s *Store) WritesRefused() error { return s.gate.err() }

// WaitWritable returns once writes are allowed, or with ctx's error.
func (s *Store) WaitWritable(ctx context.Context) error {
	s.gate.mu.Lock()
	refused, opened := s.gate.refused, s.gate.opened
	s.gate.mu.Unlock()
	if refused == nil {
		return nil
	}
	select {
	case <-opened:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// InRecovery reports whether the database is a PostgreSQL hot standby
// (pg_is_in_recovery()); SQLite never is.
func (s *Store) InRecovery(ctx context.Context) (bool, error) {
	if s.dialect != Postgres {
		return false, nil
	}
	var rec bool
	if err := s.db.QueryRowContext(ctx, `SELECT pg_is_in_recovery()`).Scan(&rec); err != nil {
		return false, fmt.Errorf("ask whether the database is a standby: %w", err)
	}
	return rec, nil
}

// ProbeWrites commits a write that changes nothing, past the gate, and
// returns the database's own answer: nil once a full disk has room again.
func (s *Store) ProbeWrites(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	q := &Queries{q: tx, tx: tx, dialect: s.dialect}
	if err := probeWrite(ctx, q); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// probeWrite is a write that changes nothing: on SQLite it sets the file's
// user version to what it is, which a read-only file or a full disk
// refuses; on PostgreSQL an UPDATE of no row of the change log, which a
// server that is down, read-only or a standby refuses.
func probeWrite(ctx context.Context, q *Queries) error {
	if q.dialect == Postgres {
		_, err := q.q.ExecContext(ctx, `UPDATE changes SET id = id WHERE 1 = 0`)
		return err
	}
	var v int64
	if err := q.q.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return err
	}
	_, err := q.q.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, v))
	return err
}

// OpenReadOnly opens an existing SQLite database only to read it, for a
// disk that takes no writes: first as a plain read-only connection, and
// when that cannot even set up its shared memory (a read-only folder whose
// herald.db-shm is missing) as an immutable file, which SQLite reads without
// any lock. Every write through the store is refused with reason. TryWrites
// turns it read-write once the disk takes writes again.
func OpenReadOnly(ctx context.Context, dsn DSN, reason string) (*Store, error) {
	if dsn.URL != "" || dsn.DataDir == "" {
		return nil, fmt.Errorf("a read-only open is for an SQLite data folder")
	}
	if _, err := os.Stat(filepath.Join(dsn.DataDir, "herald.db")); err != nil {
		return nil, fmt.Errorf("no database to read: %w", err)
	}
	const roPragmas = "mode=ro&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
	var errs []error
	for _, extra := range []string{"", "&immutable=1"} {
		db, lite, err := openSQLite(sqliteDSN(dsn.DataDir, sqlitePragmas), sqliteDSN(dsn.DataDir, roPragmas+extra))
		if err != nil {
			return nil, err
		}
		readCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		// A ping opens nothing yet; a read of the schema does.
		var n int
		err = db.QueryRowContext(readCtx, `SELECT count(*) FROM sqlite_master`).Scan(&n)
		cancel()
		if err != nil {
			db.Close()
			errs = append(errs, err)
			continue
		}
		s := &Store{db: db, dialect: SQLite, own: newOwnChanges(), lite: lite}
		s.Queries = &Queries{q: db, dialect: SQLite, own: s.own, gate: &s.gate}
		s.RefuseWrites(reason)
		return s, nil
	}
	return nil, fmt.Errorf("open sqlite read-only: %w", errors.Join(errs...))
}

// DiskTrouble reports whether err, met opening or writing the SQLite
// database in dir, means the disk takes no writes (read-only, full, failing,
// or the folder not writable), and says so in words safe to show a client:
// what the file system says of itself when it can (SQLite reports a full
// disk as an I/O error when it cannot even grow its shared memory), else
// SQLite's or the system's error.
func DiskTrouble(dir string, err error) (reason string, ok bool) {
	var liteErr *sqlite.Error
	switch {
	case errors.As(err, &liteErr):
		switch liteErr.Code() & 0xff {
		case sqliteReadOnly, sqlitePerm, sqliteFull, sqliteIOErr, sqliteCantOpen:
			reason, ok = sqliteReason(liteErr.Code())
		}
	case errors.Is(err, syscall.EROFS):
		reason, ok = "the disk holding the database is read-only", true
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		reason, ok = "the disk holding the database is full", true
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		reason, ok = "the data folder cannot be written to", true
	}
	if !ok {
		return "", false
	}
	if better, known := diskState(dir); known {
		return better, true
	}
	return reason, true
}

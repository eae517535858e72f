package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
)

// Unavailable reports whether err means the database itself could not do
// the work (it cannot be reached, is read-only, its disk is full, it is
// shutting down) rather than anything about the request, and says so in
// words safe to show a client. Such a failure is worth retrying later.
func Unavailable(err error) (reason string, ok bool) {
	if err == nil {
		return "", false
	}
	var (
		pgErr   *pgconn.PgError
		connErr *pgconn.ConnectError
		liteErr *sqlite.Error
		netErr  net.Error
		refused *RefusedError
	)
	switch {
	case errors.As(err, &refused):
		return refused.Reason, true
	case errors.As(err, &connErr):
		return "the database cannot be reached", true
	case errors.As(err, &pgErr):
		return pgReason(pgErr.Code)
	case errors.As(err, &liteErr):
		return sqliteReason(liteErr.Code())
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, io.ErrUnexpectedEOF), errors.As(err, &netErr):
		return "the connection to the database was lost", true
	case strings.Contains(err.Error(), "sql: database is closed"):
		return "the database is closed", true // database/sql does not export this one
	}
	return "", false
}

func pgReason(code string) (string, bool) {
	switch {
	case strings.HasPrefix(code, "08"):
		return "the connection to the database was lost", true
	case code == "57P01" || code == "57P02" || code == "57P03":
		return "the database is shutting down or starting up", true
	case code == "25006":
		return "the database is read-only", true
	case code == "53100":
		return "the database's disk is full", true
	case strings.HasPrefix(code, "53"):
		return "the database is out of resources", true
	}
	return "", false
}

// SQLite's primary result codes (the low byte of an extended one).
const (
	sqlitePerm     = 3
	sqliteBusy     = 5
	sqliteLocked   = 6
	sqliteReadOnly = 8
	sqliteIOErr    = 10
	sqliteFull     = 13
	sqliteCantOpen = 14
)

func sqliteReason(code int) (string, bool) {
	switch code & 0xff {
	case sqliteReadOnly, sqlitePerm:
		return "the database file is read-only", true
	case sqliteFull:
		return "the disk holding the database is full", true
	case sqliteIOErr:
		return "the database file cannot be read or written", true
	case sqliteCantOpen:
		return "the database file cannot be opened", true
	case sqliteBusy, sqliteLocked:
		return "the database is busy", true
	}
	return "", false
}

// writeCheck keeps the last answer of CheckWrites.
type writeCheck struct {
	mu  sync.Mutex
	at  time.Time
	err error
}

// failed notes a transaction that failed because of the database: until
// the next check, CheckWrites says so instead of an older "ok".
func (w *writeCheck) failed(err error) {
	var refused *RefusedError
	if _, ok := Unavailable(err); !ok || errors.As(err, &refused) {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.at, w.err = time.Now(), err
}

// writeCheckEvery is how long CheckWrites keeps its answer: a load balancer
// asking every second costs one tiny write every few seconds.
const writeCheckEvery = 5 * time.Second

// CheckWrites reports whether the database takes writes now: nil, or an
// error saying why not (see Unavailable for its reason in words). It commits
// a write that changes nothing: on SQLite it sets the file's user version to
// what it is, which a read-only file or a full disk refuses; on PostgreSQL
// an UPDATE of no row of the change log, which a server that is down,
// read-only or a standby refuses (a full disk there shows on the next real
// write instead). While writes are refused on purpose, it says so and
// tries nothing.
func (s *Store) CheckWrites(ctx context.Context) error {
	if err := s.gate.err(); err != nil {
		return err // refused on purpose (writable.go): nothing to try
	}
	s.writes.mu.Lock()
	at, last := s.writes.at, s.writes.err
	s.writes.mu.Unlock()
	if !at.IsZero() && time.Since(at) < writeCheckEvery {
		return last
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	err := s.Tx(ctx, func(q *Queries) error { return probeWrite(ctx, q) })
	if ctx.Err() != nil && err != nil && !errors.Is(err, context.Canceled) {
		err = fmt.Errorf("the database did not answer in time: %w", err)
	}
	s.writes.mu.Lock()
	s.writes.at, s.writes.err = time.Now(), err
	s.writes.mu.Unlock()
	return err
}

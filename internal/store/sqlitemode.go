package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net/url"
	"path/filepath"
	"sync"
	"sync/atomic"
)

// SQLite connections that can turn from read-only to read-write without
// reopening the Store: a Herald that had to open its database read-only
// (the disk was full or read-only at start) takes writes again once the
// disk does, while every part of it keeps the same *sql.DB.

// modeConnector opens connections to one SQLite file, read-write or
// read-only as it is told now. Each connection remembers the generation it
// was opened in; when the mode changes the generation moves on, and
// database/sql discards older connections as they come back to the pool
// (IsValid) or are taken from it (ResetSession).
type modeConnector struct {
	drv driver.Driver
	rw  string // the read-write DSN
	mu  sync.Mutex
	ro  string // the read-only DSN while read-only, else ""
	gen atomic.Uint64
}

// sqliteDriver is the driver the "sqlite" name is registered with.
func sqliteDriver() (driver.Driver, error) {
	db, err := sql.Open("sqlite", "")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return db.Driver(), nil
}

// sqliteDSN is the file URI of dir's herald.db with its query.
func sqliteDSN(dir, query string) string {
	return "file:" + (&url.URL{Path: filepath.Join(dir, "herald.db")}).EscapedPath() + "?" + query
}

// openSQLite opens the pool over a modeConnector: read-write, or read-only
// through ro when it is not empty.
func openSQLite(rw, ro string) (*sql.DB, *modeConnector, error) {
	drv, err := sqliteDriver()
	if err != nil {
		return nil, nil, fmt.Errorf("open sqlite: %w", err)
	}
	c := &modeConnector{drv: drv, rw: rw, ro: ro}
	db := sql.OpenDB(c)
	// SQLite has one writer; a few connections let readers run beside it in WAL mode.
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	return db, c, nil
}

// Connect opens a connection in the current mode.
func (c *modeConnector) Connect(context.Context) (driver.Conn, error) {
	c.mu.Lock()
	dsn, gen := c.rw, c.gen.Load()
	if c.ro != "" {
		dsn = c.ro
	}
	c.mu.Unlock()
	conn, err := c.drv.Open(dsn)
	if err != nil {
		return nil, err
	}
	return &modeConn{Conn: conn, c: c, gen: gen}, nil
}

// Driver is the SQLite driver.
func (c *modeConnector) Driver() driver.Driver { return c.drv }

// readOnly reports whether new connections are read-only.
func (c *modeConnector) readOnly() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ro != ""
}

// writable makes every connection from now on read-write.
func (c *modeConnector) writable() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ro = ""
	c.gen.Add(1)
}

// modeConn is a driver connection that knows its generation. It passes on
// what the SQLite connection offers database/sql.
type modeConn struct {
	driver.Conn
	c   *modeConnector
	gen uint64
}

func (m *modeConn) stale() bool { return m.gen != m.c.gen.Load() }

// IsValid is false for a connection of an older mode, which database/sql
// then closes instead of keeping in the pool.
func (m *modeConn) IsValid() bool {
	if m.stale() {
		return false
	}
	if v, ok := m.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// ResetSession refuses a connection of an older mode before it is used again.
func (m *modeConn) ResetSession(ctx context.Context) error {
	if m.stale() {
		return driver.ErrBadConn
	}
	if r, ok := m.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (m *modeConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if b, ok := m.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	return m.Conn.Begin() // the fallback database/sql itself would use
}

func (m *modeConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if p, ok := m.Conn.(driver.ConnPrepareContext); ok {
		return p.PrepareContext(ctx, query)
	}
	return m.Conn.Prepare(query)
}

func (m *modeConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if e, ok := m.Conn.(driver.ExecerContext); ok {
		return e.ExecContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

func (m *modeConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if q, ok := m.Conn.(driver.QueryerContext); ok {
		return q.QueryContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

func (m *modeConn) Ping(ctx context.Context) error {
	if p, ok := m.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

// reopenWritable turns a store opened read-only (OpenReadOnly) read-write
// once a read-write connection of its own can open the file and commit a
// write that changes nothing; until then it returns why not.
func (s *Store) reopenWritable(ctx context.Context) error {
	probe, err := sql.Open("sqlite", s.lite.rw)
	if err != nil {
		return err
	}
	probe.SetMaxOpenConns(1)
	probed := func() error {
		tx, err := probe.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if err := probeWrite(ctx, &Queries{q: tx, tx: tx, dialect: SQLite}); err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	}()
	if cerr := probe.Close(); probed == nil {
		probed = cerr
	}
	if probed != nil {
		return probed
	}
	s.lite.writable()
	// Idle read-only connections go now rather than when next taken.
	s.db.SetMaxIdleConns(0)
	s.db.SetMaxIdleConns(4)
	return nil
}

// TryWrites looks once whether the database takes writes, past the gate:
// nil when it does. A store opened read-only turns read-write first.
func (s *Store) TryWrites(ctx context.Context) error {
	if s.lite != nil && s.lite.readOnly() {
		return s.reopenWritable(ctx)
	}
	return s.ProbeWrites(ctx)
}

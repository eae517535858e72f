// Package store keeps Herald's records in SQLite or PostgreSQL.
//
// One code path serves both: queries are written with '?' placeholders and
// rebound for PostgreSQL, times are Unix milliseconds in both, and each
// aggregate (catalog, incidents, maintenance, tokens, changes) has its file.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("not found")

// ErrSchemaTooNew is returned when the database was migrated by a newer Herald.
var ErrSchemaTooNew = errors.New("database schema is newer than this Herald")

// Dialect names a database flavour.
type Dialect string

// Supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// Store is an open database. Its embedded Queries run outside any
// transaction; Tx runs a function inside one.
type Store struct {
	*Queries
	db      *sql.DB
	dialect Dialect
	// url is the PostgreSQL URL, for the connection that listens for changes.
	url string
	// own remembers the change log ids written through this store (follow.go).
	own *ownChanges
	// writes caches the last check of whether writes work (health.go).
	writes writeCheck
	// gate refuses writes on purpose while it is closed (writable.go).
	gate gate
	// lite opens SQLite's connections, read-only or read-write (sqlitemode.go).
	lite *modeConnector
}

// DSN tells where the database is: a postgres:// URL, or else a data folder for SQLite.
type DSN struct {
	// URL, when set, is a postgres:// or postgresql:// URL.
	URL string
	// DataDir holds herald.db when URL is empty.
	DataDir string
}

// sqlitePragmas are set on every connection through the DSN. busy_timeout
// comes before WAL so that switching the journal waits on a busy file too;
// _txlock=immediate makes a transaction take the write lock at BEGIN, so
// read-then-write transactions never fail with SQLITE_BUSY half-way.
const sqlitePragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate"

// Open connects to the database. It does not migrate: call Migrate or CheckSchema.
func Open(ctx context.Context, dsn DSN) (*Store, error) {
	var (
		db      *sql.DB
		lite    *modeConnector
		dialect Dialect
		err     error
	)
	switch {
	case strings.HasPrefix(dsn.URL, "postgres://") || strings.HasPrefix(dsn.URL, "postgresql://"):
		dialect = Postgres
		db, err = sql.Open("pgx", dsn.URL)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		db.SetMaxOpenConns(16)
		db.SetMaxIdleConns(8)
		db.SetConnMaxIdleTime(5 * time.Minute)
	case dsn.URL != "":
		return nil, fmt.Errorf("unsupported database URL (want postgres://...; leave --db empty for SQLite under --data)")
	default:
		if dsn.DataDir == "" {
			return nil, fmt.Errorf("no data folder given for SQLite")
		}
		if err := os.MkdirAll(dsn.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("create data folder: %w", err)
		}
		dialect = SQLite
		// The connector can turn a read-only open read-write (sqlitemode.go).
		db, lite, err = openSQLite(sqliteDSN(dsn.DataDir, sqlitePragmas), "")
		if err != nil {
			return nil, err
		}
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s database: %w", dialect, err)
	}
	s := &Store{db: db, dialect: dialect, own: newOwnChanges(), lite: lite}
	if dialect == Postgres {
		s.url = dsn.URL
	}
	s.Queries = &Queries{q: db, dialect: dialect, own: s.own, gate: &s.gate}
	if dialect == SQLite {
		// pgx keeps PostgreSQL's statements prepared by itself.
		s.Queries.stmts = &stmtCache{db: db, m: map[string]*sql.Stmt{}}
	}
	return s, nil
}

// Dialect reports which database this is.
func (s *Store) Dialect() Dialect { return s.dialect }

// DB exposes the pool for components that bring their own SQL (the job queue).
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *Store) Close() error {
	s.Queries.stmts.close()
	return s.db.Close()
}

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

func (s *Store) provider() (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations/"+string(s.dialect))
	if err != nil {
		return nil, err
	}
	if s.dialect != Postgres {
		// One process opens a SQLite file for writing at a time.
		return goose.NewProvider(goose.DialectSQLite3, s.db, sub)
	}
	// Instances started together on one database would race in the
	// migrations (the second fails with "duplicate key"): the first to take
	// goose's session lock migrates, the others wait and find nothing to do.
	// The lock is PostgreSQL's advisory lock, database-wide, so its id is
	// made of the schema too: Heralds in other schemas need not wait.
	var where string
	if err := s.db.QueryRow(`SELECT current_database() || '.' || current_schema()`).Scan(&where); err != nil {
		return nil, fmt.Errorf("name the schema: %w", err)
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte("herald migrations " + where))
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64()>>1)),
		// Try every second, for up to ten minutes: a long migration by another instance is waited out.
		lock.WithLockTimeout(1, 600))
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectPostgres, s.db, sub, goose.WithSessionLocker(locker))
}

// SchemaVersion returns the database's schema version and the newest one this build knows.
func (s *Store) SchemaVersion(ctx context.Context) (current, known int64, err error) {
	p, err := s.provider()
	if err != nil {
		return 0, 0, fmt.Errorf("migrations: %w", err)
	}
	for _, src := range p.ListSources() {
		known = max(known, src.Version)
	}
	current, err = p.GetDBVersion(ctx)
	if err != nil {
		return 0, known, fmt.Errorf("read schema version: %w", err)
	}
	return current, known, nil
}

// CheckSchema refuses a database migrated by a newer Herald.
func (s *Store) CheckSchema(ctx context.Context) error {
	current, known, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if current > known {
		return fmt.Errorf("%w: the database is at version %d, this build knows up to %d; upgrade Herald", ErrSchemaTooNew, current, known)
	}
	return nil
}

// Migrate brings the schema up to date, each migration in its own
// transaction, and returns the versions applied.
func (s *Store) Migrate(ctx context.Context) ([]int64, error) {
	if err := s.CheckSchema(ctx); err != nil {
		return nil, err
	}
	p, err := s.provider()
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	applied := make([]int64, 0, len(results))
	for _, r := range results {
		applied = append(applied, r.Source.Version)
	}
	if _, err := s.RenderPending(ctx); err != nil {
		return applied, err
	}
	return applied, nil
}

// Tx runs fn in a transaction, committing when it returns nil. Inside a
// transaction begun by TxContext on this store, fn joins that transaction
// instead: what it writes commits or rolls back with the rest.
func (s *Store) Tx(ctx context.Context, fn func(*Queries) error) error {
	return s.TxContext(ctx, func(_ context.Context, q *Queries) error { return fn(q) })
}

// txKey marks a context carrying a transaction.
type txKey struct{}

// txState is a transaction in progress and what waits for its commit.
type txState struct {
	store       *Store
	q           *Queries
	afterCommit []func()
}

// TxContext runs fn in a transaction and hands it a context that carries the
// transaction, so that every Tx on this store called with that context (a
// service method that opens an incident, say) joins it: a decision made of
// several changes commits as one or not at all. Functions given to
// AfterCommit with that context run once the whole transaction has committed.
func (s *Store) TxContext(ctx context.Context, fn func(ctx context.Context, q *Queries) error) error {
	if ts, ok := ctx.Value(txKey{}).(*txState); ok && ts.store == s {
		return fn(ctx, ts.q)
	}
	if err := s.gate.err(); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		s.writes.failed(err)
		return fmt.Errorf("begin: %w", err)
	}
	ts := &txState{store: s, q: &Queries{q: tx, tx: tx, dialect: s.dialect, own: s.own, gate: &s.gate}}
	if err := fn(context.WithValue(ctx, txKey{}, ts), ts.q); err != nil {
		_ = tx.Rollback()
		s.writes.failed(err)
		return err
	}
	if err := tx.Commit(); err != nil {
		s.writes.failed(err)
		return fmt.Errorf("commit: %w", err)
	}
	for _, f := range ts.afterCommit {
		f()
	}
	return nil
}

// AfterCommit runs f once the transaction ctx carries has committed, or at
// once when ctx carries none. A rolled-back transaction drops f.
func (s *Store) AfterCommit(ctx context.Context, f func()) {
	if ts, ok := ctx.Value(txKey{}).(*txState); ok && ts.store == s {
		ts.afterCommit = append(ts.afterCommit, f)
		return
	}
	f()
}

// Reader is what reads the records: the transaction ctx carries on this
// store, so a decision sees its own writes, or else the pool.
func (s *Store) Reader(ctx context.Context) *Queries {
	if ts, ok := ctx.Value(txKey{}).(*txState); ok && ts.store == s {
		return ts.q
	}
	return s.Queries
}

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Queries holds every query; it runs on the pool or inside a transaction.
type Queries struct {
	q       querier
	tx      *sql.Tx
	dialect Dialect
	own     *ownChanges
	gate    *gate
	stmts   *stmtCache // nil in a transaction and on PostgreSQL
}

// SQLTx is the transaction these queries run in, or nil outside one; the
// job queue uses it to enqueue in the same transaction as a change.
func (q *Queries) SQLTx() *sql.Tx { return q.tx }

// rebind turns '?' placeholders into PostgreSQL's $1, $2, ...
func (q *Queries) rebind(query string) string {
	if q.dialect != Postgres {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

func (q *Queries) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if q.tx == nil { // a write on the pool; one in a transaction passed the gate at BEGIN
		if err := q.gate.err(); err != nil {
			return nil, err
		}
	}
	return q.q.ExecContext(ctx, q.rebind(query), args...)
}

func (q *Queries) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := readFault(ctx, query); err != nil {
		return nil, err
	}
	return q.q.QueryContext(ctx, q.rebind(query), args...)
}

// queryPrepared is query for the reads that run all the time whether or not
// anything happens (the change log's follower, each second): outside a
// transaction on SQLite it runs a statement prepared once per connection,
// where query would parse the text anew each time, half of such a read's
// cost.
func (q *Queries) queryPrepared(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if q.stmts == nil || q.tx != nil {
		return q.query(ctx, query, args...)
	}
	if err := readFault(ctx, query); err != nil {
		return nil, err
	}
	stmt, err := q.stmts.get(ctx, query) // SQLite's placeholders need no rebind
	if err != nil {
		return nil, err
	}
	return stmt.QueryContext(ctx, args...)
}

// stmtCache holds the pool's prepared statements by their text; database/sql
// prepares each on a connection the first time it runs there.
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.m[query] = st
	return st, nil
}

func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, st := range c.m {
		_ = st.Close()
		delete(c.m, k)
	}
}

// faultKey marks a context whose reads a test makes fail.
type faultKey struct{}

// readFault is the error a test's WithReadFault gives a read of query in
// ctx, or nil.
func readFault(ctx context.Context, query string) error {
	if fail, ok := ctx.Value(faultKey{}).(func(string) error); ok {
		return fail(query)
	}
	return nil
}

// WithReadFault returns a context in which every read first asks fail,
// with the query's text, and fails when it returns an error: a read of many
// rows with that error, a read of one row with context.Canceled (database/sql
// makes no Row with an error of ours). A test's way to make one read fail
// where a database would (a dropped connection, a timeout) and see that
// nothing is decided on it, or to see that no read was made at all.
func WithReadFault(ctx context.Context, fail func(query string) error) context.Context {
	return context.WithValue(ctx, faultKey{}, fail)
}

func (q *Queries) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if err := readFault(ctx, query); err != nil {
		dead, cancel := context.WithCancel(ctx)
		cancel()
		return q.q.QueryRowContext(dead, q.rebind(query), args...)
	}
	return q.q.QueryRowContext(ctx, q.rebind(query), args...)
}

// insertID runs an INSERT ... RETURNING id.
func (q *Queries) insertID(ctx context.Context, query string, args ...any) (int64, error) {
	var id int64
	if err := q.queryRow(ctx, query+" RETURNING id", args...).Scan(&id); err != nil {
		return 0, err
	}
	return id, nil
}

// ms stores a time as Unix milliseconds, and the zero time as NULL.
func ms(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// fromMS reads a nullable millisecond column.
func fromMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64).UTC()
}

// placeholders returns "?, ?, ?" for n values.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// lockRow takes a row lock for the rest of the transaction on PostgreSQL, so
// two instances changing one record serialise instead of losing an update.
// SQLite needs nothing: its transactions take the write lock at BEGIN.
func (q *Queries) lockRow(ctx context.Context, table string, id int64) error {
	if q.dialect != Postgres || q.tx == nil {
		return nil
	}
	var got int64
	err := q.queryRow(ctx, `SELECT id FROM `+table+` WHERE id = ? FOR UPDATE`, id).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("lock %s %d: %w", table, id, err)
	}
	return nil
}

// LockIncident holds an incident against concurrent changes until the transaction ends.
func (q *Queries) LockIncident(ctx context.Context, id int64) error {
	return q.lockRow(ctx, "incidents", id)
}

// LockMaintenance holds a window against concurrent changes until the transaction ends.
func (q *Queries) LockMaintenance(ctx context.Context, id int64) error {
	return q.lockRow(ctx, "maintenances", id)
}

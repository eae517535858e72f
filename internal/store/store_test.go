package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/markdown"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// base is deliberately not UTC and not a whole millisecond, so every test
// checks that times come back in UTC, truncated to the millisecond.
var base = time.Date(2025, time.March, 14, 11, 26, 53, 589_793_238, time.FixedZone("CET", 3600))

// errRollback makes a Tx roll back on purpose.
var errRollback = errors.New("roll back")

// msUTC is how a stored time comes back: UTC, to the millisecond, and the
// zero time as the zero time.
// rendered is a text's rendering as the store keeps it.
func rendered(src string) status.Rendered {
	d := markdown.Render(src)
	return status.Rendered{HTML: d.HTML, Text: d.Text}
}

func msUTC(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.Truncate(time.Millisecond).UTC()
}

// catalogGroups and catalogComponents are a catalog whose page order differs
// from alphabetical order, so ordering by id by mistake shows.
func catalogGroups() []store.Group {
	return []store.Group{
		{ID: "web", Name: "Web", Description: "The public site", Position: 0},
		{ID: "api", Name: "API", Position: 1},
	}
}

func catalogComponents() []store.Component {
	return []store.Component{
		{ID: "web/front", GroupID: "web", Name: "Front end", Position: 0},
		{ID: "web/cdn", GroupID: "web", Name: "CDN", Description: "Static files", Position: 1},
		{ID: "api/gateway", GroupID: "api", Name: "Gateway", Position: 0},
		{ID: "api/db", GroupID: "api", Name: "Database", Position: 1},
	}
}

func seedCatalog(t *testing.T, s *store.Store) {
	t.Helper()
	if err := s.SyncCatalog(t.Context(), catalogGroups(), catalogComponents(), base); err != nil {
		t.Fatalf("sync catalog: %v", err)
	}
}

// count runs a SELECT COUNT(*) written without placeholders.
func count(t *testing.T, s *store.Store, query string) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRowContext(t.Context(), query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestOpenRefusesBadDSN(t *testing.T) {
	cases := []struct {
		name string
		dsn  store.DSN
	}{
		{"unsupported URL", store.DSN{URL: "mysql://root@localhost/herald"}},
		{"no data folder", store.DSN{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := store.Open(t.Context(), tc.dsn)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%+v) succeeded, want an error", tc.dsn)
			}
		})
	}
}

func TestDialect(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		want := store.SQLite
		if b.Name == "postgres" {
			want = store.Postgres
		}
		if got := b.Store.Dialect(); got != want {
			t.Errorf("Dialect() = %q, want %q", got, want)
		}
		if err := b.Store.Ping(t.Context()); err != nil {
			t.Errorf("Ping: %v", err)
		}
	})
}

func TestMigrateIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		applied, err := b.Store.Migrate(t.Context())
		if err != nil {
			t.Fatalf("second Migrate: %v", err)
		}
		if len(applied) != 0 {
			t.Errorf("second Migrate applied %v, want nothing", applied)
		}
		current, known, err := b.Store.SchemaVersion(t.Context())
		if err != nil {
			t.Fatalf("SchemaVersion: %v", err)
		}
		if known < 1 || current != known {
			t.Errorf("SchemaVersion = (%d, %d), want current == known >= 1", current, known)
		}
		if err := b.Store.CheckSchema(t.Context()); err != nil {
			t.Errorf("CheckSchema on an up-to-date database: %v", err)
		}
	})
}

func TestSchemaTooNew(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		_, known, err := b.Store.SchemaVersion(t.Context())
		if err != nil {
			t.Fatalf("SchemaVersion: %v", err)
		}
		// What a newer Herald would have left behind.
		if _, err := b.Store.DB().ExecContext(t.Context(), fmt.Sprintf(
			`INSERT INTO goose_db_version (version_id, is_applied) VALUES (%d, TRUE)`, known+1)); err != nil {
			t.Fatalf("insert a newer version: %v", err)
		}
		current, _, err := b.Store.SchemaVersion(t.Context())
		if err != nil {
			t.Fatalf("SchemaVersion: %v", err)
		}
		if current != known+1 {
			t.Errorf("current version = %d, want %d", current, known+1)
		}
		if err := b.Store.CheckSchema(t.Context()); !errors.Is(err, store.ErrSchemaTooNew) {
			t.Errorf("CheckSchema = %v, want ErrSchemaTooNew", err)
		}
		applied, err := b.Store.Migrate(t.Context())
		if !errors.Is(err, store.ErrSchemaTooNew) {
			t.Errorf("Migrate = %v, want ErrSchemaTooNew", err)
		}
		if len(applied) != 0 {
			t.Errorf("Migrate applied %v on a too-new database", applied)
		}
	})
}

func TestSQLiteFile(t *testing.T) {
	b := storetest.SQLite(t)
	if _, err := os.Stat(filepath.Join(b.DataDir, "herald.db")); err != nil {
		t.Fatalf("database file: %v", err)
	}
	pragmas := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"busy_timeout", "10000"},
		{"synchronous", "1"}, // NORMAL
	}
	for _, p := range pragmas {
		t.Run(p.pragma, func(t *testing.T) {
			var got string
			if err := b.Store.DB().QueryRowContext(t.Context(), "PRAGMA "+p.pragma).Scan(&got); err != nil {
				t.Fatalf("PRAGMA %s: %v", p.pragma, err)
			}
			if got != p.want {
				t.Errorf("PRAGMA %s = %q, want %q", p.pragma, got, p.want)
			}
		})
	}

	// What was written is there after the store is opened again.
	seedCatalog(t, b.Store)
	if err := b.Store.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	s, err := store.Open(t.Context(), store.DSN{DataDir: b.DataDir})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if err := s.CheckSchema(t.Context()); err != nil {
		t.Fatalf("CheckSchema after reopening: %v", err)
	}
	comps, err := s.Components(t.Context())
	if err != nil {
		t.Fatalf("Components: %v", err)
	}
	if len(comps) != len(catalogComponents()) {
		t.Errorf("after reopening: %d components, want %d", len(comps), len(catalogComponents()))
	}
}

func TestTx(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		seedCatalog(t, b.Store)
		cases := []struct {
			name    string
			fnErr   error
			wantErr error
			want    int
		}{
			{"rolls back on error", errRollback, errRollback, 0},
			{"commits on nil", nil, nil, 1},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				in := newIncident("in a transaction", status.Investigating, false, base)
				err := b.Store.Tx(t.Context(), func(q *store.Queries) error {
					if q.SQLTx() == nil {
						t.Error("SQLTx() is nil inside Tx")
					}
					if err := q.InsertIncident(t.Context(), in); err != nil {
						return err
					}
					u := &status.IncidentUpdate{IncidentID: in.ID, Status: status.Investigating, Body: "Looking.",
						CreatedAt: base, DisplayAt: base,
						Changes: []status.ComponentChange{{ComponentID: "api/db", Old: status.Operational, New: status.MajorOutage}}}
					if err := q.InsertIncidentUpdate(t.Context(), u); err != nil {
						return err
					}
					// Reads inside the transaction see its writes.
					got, err := q.Incident(t.Context(), in.ID)
					if err != nil {
						return err
					}
					if len(got.Updates) != 1 {
						t.Errorf("inside the transaction: %d updates, want 1", len(got.Updates))
					}
					return tc.fnErr
				})
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Tx = %v, want %v", err, tc.wantErr)
				}
				if n := count(t, b.Store, fmt.Sprintf(`SELECT COUNT(*) FROM incidents WHERE id = %d`, in.ID)); n != tc.want {
					t.Errorf("%d incidents stored, want %d", n, tc.want)
				}
				if n := count(t, b.Store, fmt.Sprintf(`SELECT COUNT(*) FROM incident_updates WHERE incident_id = %d`, in.ID)); n != tc.want {
					t.Errorf("%d updates stored, want %d", n, tc.want)
				}
			})
		}
		if tx := b.Store.SQLTx(); tx != nil {
			t.Error("SQLTx() outside a transaction is not nil")
		}
	})
}

// TestConcurrentWriters guards against SQLITE_BUSY: many transactions that
// read before they write, at once, must all succeed.
func TestConcurrentWriters(t *testing.T) {
	const writers, perWriter = 8, 25
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		seedCatalog(t, b.Store)
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			errs []error
		)
		for w := range writers {
			wg.Go(func() {
				for i := range perWriter {
					err := b.Store.Tx(t.Context(), func(q *store.Queries) error {
						if _, err := q.Incidents(t.Context(), store.IncidentFilter{State: "open", Limit: 1}); err != nil {
							return err
						}
						in := newIncident(fmt.Sprintf("writer %d, incident %d", w, i), status.Investigating, false,
							base.Add(time.Duration(w*perWriter+i)*time.Second))
						return q.InsertIncident(t.Context(), in)
					})
					if err != nil {
						mu.Lock()
						errs = append(errs, fmt.Errorf("writer %d, transaction %d: %w", w, i, err))
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		for _, err := range errs {
			t.Error(err)
		}
		list, err := b.Store.Incidents(t.Context(), store.IncidentFilter{})
		if err != nil {
			t.Fatalf("Incidents: %v", err)
		}
		if len(list) != writers*perWriter {
			t.Errorf("%d incidents stored, want %d", len(list), writers*perWriter)
		}
	})
}

func TestChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		in := []store.Change{
			{At: base, Actor: "user:alice", Action: "incident.create", Subject: "incident:1", After: `{"title":"Down"}`},
			{At: base.Add(time.Minute), Actor: "token:3", Action: "maintenance.create", Subject: "maintenance:1", After: `{}`},
			{At: base.Add(2 * time.Minute), Actor: "user:bob", Action: "incident.update", Subject: "incident:1",
				Before: `{"title":"Down"}`, After: `{"title":"Slow"}`},
			{At: base.Add(3 * time.Minute), Actor: "herald", Action: "incident.delete", Subject: "incident:1", Before: `{"title":"Slow"}`},
		}
		for i := range in {
			if err := b.Store.InsertChange(t.Context(), &in[i]); err != nil {
				t.Fatalf("InsertChange: %v", err)
			}
			if in[i].ID == 0 {
				t.Fatalf("InsertChange left the ID zero")
			}
		}
		want := func(idx ...int) []store.Change {
			var out []store.Change
			for _, i := range idx {
				c := in[i]
				c.At = msUTC(c.At)
				out = append(out, c)
			}
			return out
		}
		cases := []struct {
			name    string
			subject string
			limit   int
			want    []store.Change
		}{
			{"all, newest first", "", 0, want(3, 2, 1, 0)},
			{"one subject", "incident:1", 0, want(3, 2, 0)},
			{"other subject", "maintenance:1", 0, want(1)},
			{"limit", "", 2, want(3, 2)},
			{"subject and limit", "incident:1", 1, want(3)},
			{"unknown subject", "incident:99", 0, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, err := b.Store.Changes(t.Context(), tc.subject, tc.limit)
				if err != nil {
					t.Fatalf("Changes: %v", err)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("Changes(%q, %d):\n got %+v\nwant %+v", tc.subject, tc.limit, got, tc.want)
				}
			})
		}
	})
}

// Several instances started together on a fresh PostgreSQL database migrate
// it at once: one takes goose's session lock and migrates, the others wait
// for it and find nothing left to do. Without the lock the second fails
// with "partial migration error ... duplicate key".
func TestMigrateConcurrently(t *testing.T) {
	dsn := storetest.FreshDatabase(t)
	const n = 6
	errs := make(chan error, n)
	applied := make(chan int, n)
	start := make(chan struct{})
	for range n {
		go func() {
			st, err := store.Open(context.Background(), store.DSN{URL: dsn})
			if err != nil {
				errs <- err
				return
			}
			defer st.Close()
			<-start
			v, err := st.Migrate(context.Background())
			applied <- len(v)
			errs <- err
		}()
	}
	close(start)
	total := 0
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("migrate: %v", err)
		}
	}
	close(applied)
	for k := range applied {
		total += k
	}
	st, err := store.Open(context.Background(), store.DSN{URL: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	current, known, err := st.SchemaVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if current != known {
		t.Errorf("schema at version %d after the concurrent migrations, want %d", current, known)
	}
	// Versions are numbered with gaps while parallel work is merged: count the files.
	files, err := os.ReadDir("migrations/postgres")
	if err != nil {
		t.Fatal(err)
	}
	if total != len(files) {
		t.Errorf("%d migrations applied in all, want each of the %d once", total, len(files))
	}
}

package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

func insertChange(t *testing.T, q *store.Queries, subject string) int64 {
	t.Helper()
	c := &store.Change{At: time.Now(), Actor: "test", Action: "test.change", Subject: subject}
	if err := q.InsertChange(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func commitChange(t *testing.T, s *store.Store, subject string) int64 {
	t.Helper()
	var id int64
	if err := s.Tx(context.Background(), func(q *store.Queries) error {
		id = insertChange(t, q, subject)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

func ids(refs []store.ChangeRef) []int64 {
	out := make([]int64, len(refs))
	for i, r := range refs {
		out[i] = r.ID
	}
	return out
}

func TestChangeCursorReadsEachChangeOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		before := commitChange(t, b.Store, "incident:1")
		cur, err := b.Store.NewChangeCursor(ctx)
		if err != nil {
			t.Fatal(err)
		}
		refs, err := cur.Next(ctx)
		if err != nil || len(refs) != 0 {
			t.Fatalf("a new cursor returned %v, %v; want what commits after it only (not %d)", ids(refs), err, before)
		}
		a := commitChange(t, b.Store, "incident:7")
		c := commitChange(t, b.Store, "maintenance:3")
		refs, err = cur.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(refs) != 2 || refs[0].ID != a || refs[1].ID != c || refs[0].Subject != "incident:7" ||
			refs[1].Subject != "maintenance:3" || refs[0].Action != "test.change" {
			t.Fatalf("Next = %+v, want %d (incident:7) then %d (maintenance:3)", refs, a, c)
		}
		if refs, err := cur.Next(ctx); err != nil || len(refs) != 0 {
			t.Errorf("a second Next returned %v, %v; want nothing", ids(refs), err)
		}
	})
}

func TestWrittenHereTellsThisStoresChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		other, err := store.Open(ctx, store.DSN{URL: b.URL, DataDir: b.DataDir})
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		mine := commitChange(t, b.Store, "incident:1")
		theirs := commitChange(t, other, "incident:2")
		if !b.Store.WrittenHere(mine) {
			t.Error("a change written through the store is not its own")
		}
		if b.Store.WrittenHere(mine) {
			t.Error("WrittenHere answered true twice for one id")
		}
		if b.Store.WrittenHere(theirs) {
			t.Error("another store's change counted as written here")
		}
		if !other.WrittenHere(theirs) {
			t.Error("the other store does not know its own change")
		}
	})
}

// On PostgreSQL ids are handed out at insert, so a change can commit after a
// higher id was read; the cursor must still return it, once.
func TestChangeCursorWaitsForLateCommits(t *testing.T) {
	b := storetest.Postgres(t)
	ctx := context.Background()
	cur, err := b.Store.NewChangeCursor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	cur.SetClock(func() time.Time { return now })

	slow, err := b.Store.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var late int64
	if err := slow.QueryRowContext(ctx, `INSERT INTO changes (at, actor, action, subject) VALUES (1, 'test', 'test.change', 'incident:5') RETURNING id`).Scan(&late); err != nil {
		t.Fatal(err)
	}
	early := commitChange(t, b.Store, "incident:6")
	if early <= late {
		t.Fatalf("ids %d then %d: the test needs the first insert to get the lower id", late, early)
	}
	refs, err := cur.Next(ctx)
	if err != nil || len(refs) != 1 || refs[0].ID != early {
		t.Fatalf("Next = %v, %v; want [%d]", ids(refs), err, early)
	}
	if err := slow.Commit(); err != nil {
		t.Fatal(err)
	}
	refs, err = cur.Next(ctx)
	if err != nil || len(refs) != 1 || refs[0].ID != late {
		t.Fatalf("after the late commit Next = %v, %v; want [%d]", ids(refs), err, late)
	}
	if refs, err := cur.Next(ctx); err != nil || len(refs) != 0 {
		t.Errorf("then Next = %v, %v; want nothing", ids(refs), err)
	}
	if cur.After() != early {
		t.Errorf("cursor at %d, want %d: every id up to it is read", cur.After(), early)
	}

	// A rolled-back insert leaves a hole for good: it is waited on for a
	// while, then passed.
	tx, err := b.Store.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var gone int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO changes (at, actor, action, subject) VALUES (1, 'test', 'test.change', 'incident:8') RETURNING id`).Scan(&gone); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	after := commitChange(t, b.Store, "incident:9")
	if refs, err := cur.Next(ctx); err != nil || len(refs) != 1 || refs[0].ID != after {
		t.Fatalf("Next = %v, %v; want [%d]", ids(refs), err, after)
	}
	if cur.After() >= gone {
		t.Fatalf("cursor passed the hole at %d at once", gone)
	}
	now = now.Add(time.Minute)
	if refs, err := cur.Next(ctx); err != nil || len(refs) != 0 {
		t.Fatalf("Next = %v, %v; want nothing", ids(refs), err)
	}
	if cur.After() != after {
		t.Errorf("cursor at %d a minute on, want %d: the hole at %d is given up", cur.After(), after, gone)
	}
}

func TestListenChangesWakesOnCommit(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		b := storetest.SQLite(t)
		done := make(chan struct{})
		go func() { b.Store.ListenChanges(context.Background(), func(int64) {}, nil); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second): // a failure guard, not a timing assertion
			t.Fatal("ListenChanges on SQLite did not return: it has nothing to listen to")
		}
	})
	t.Run("postgres", func(t *testing.T) {
		b := storetest.Postgres(t)
		other, err := store.Open(context.Background(), store.DSN{URL: b.URL})
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		ctx, cancel := context.WithCancel(context.Background())
		// The channel is database-wide: other tests' schemas may signal on
		// it too, so the test looks for its own ids.
		wake := make(chan int64, 1024)
		var wg sync.WaitGroup
		wg.Go(func() {
			b.Store.ListenChanges(ctx, func(id int64) { wake <- id }, func(err error) { t.Errorf("listen: %v", err) })
		})
		defer func() { cancel(); wg.Wait() }()
		guard := time.After(10 * time.Second) // a failure guard, not a timing assertion
		waitFor := func(want int64, what string) {
			t.Helper()
			for {
				select {
				case id := <-wake:
					if id == want {
						return
					}
				case <-guard:
					t.Fatalf("no wake with %d: %s", want, what)
				}
			}
		}
		waitFor(0, "connected and listening")
		// Fresh schemas all count ids from 1: start this one far away, so
		// the id waited for is this test's.
		if _, err := other.DB().ExecContext(ctx, `SELECT setval('changes_id_seq', $1)`, time.Now().UnixNano()/1000); err != nil {
			t.Fatal(err)
		}
		id := commitChange(t, other, "incident:2")
		waitFor(id, "a change committed by another store")
	})
}

func TestCheckWritesSaysWhyWritesFail(t *testing.T) {
	ctx := context.Background()
	t.Run("sqlite", func(t *testing.T) {
		if err := storetest.SQLite(t).Store.CheckWrites(ctx); err != nil {
			t.Fatalf("a writable database: %v", err)
		}
		b := storetest.SQLite(t)
		storetest.ReadOnly(t, b.Store)
		err := b.Store.CheckWrites(ctx)
		if reason, ok := store.Unavailable(err); !ok || reason != "the database file is read-only" {
			t.Fatalf("a read-only database: %v, reason %q", err, reason)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		b := storetest.Postgres(t)
		if err := b.Store.CheckWrites(ctx); err != nil {
			t.Fatalf("a writable database: %v", err)
		}
		ro, err := store.Open(ctx, store.DSN{URL: b.URL + "&default_transaction_read_only=on"})
		if err != nil {
			t.Fatal(err)
		}
		defer ro.Close()
		err = ro.CheckWrites(ctx)
		if reason, ok := store.Unavailable(err); !ok || reason != "the database is read-only" {
			t.Fatalf("a read-only database: %v, reason %q", err, reason)
		}
	})
	t.Run("closed", func(t *testing.T) {
		b := storetest.SQLite(t)
		b.Store.Close()
		if _, ok := store.Unavailable(b.Store.CheckWrites(ctx)); !ok {
			t.Fatal("a closed database takes writes?")
		}
	})
}

func TestUnavailableLeavesOtherErrorsAlone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		_, err := b.Store.DB().Exec(`SELECT nosuchcolumn FROM changes`)
		if err == nil {
			t.Fatal("no error")
		}
		if reason, ok := store.Unavailable(err); ok {
			t.Errorf("a bad query counts as an outage: %q", reason)
		}
		if _, ok := store.Unavailable(store.ErrNotFound); ok {
			t.Error("ErrNotFound counts as an outage")
		}
		if _, ok := store.Unavailable(errors.New("something")); ok {
			t.Error("any error counts as an outage")
		}
		if !strings.Contains(err.Error(), "nosuchcolumn") {
			t.Errorf("unexpected error %v", err)
		}
	})
}

package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

func writeChange(ctx context.Context, s *store.Store, subject string) error {
	return s.Tx(ctx, func(q *store.Queries) error {
		return q.InsertChange(ctx, &store.Change{At: time.Now(), Actor: "test", Action: "test.write", Subject: subject})
	})
}

// The gate refuses every write with a RefusedError that Unavailable explains,
// on the pool and in a transaction, lets reads through, and lets writes
// through again when opened.
func TestGateRefusesWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := t.Context()
		s := b.Store
		if err := s.WritesRefused(); err != nil {
			t.Fatalf("a fresh store refuses writes: %v", err)
		}
		s.RefuseWrites(store.ReasonStandby)
		err := writeChange(ctx, s, "a")
		var refused *store.RefusedError
		if !errors.As(err, &refused) || refused.Reason != store.ReasonStandby {
			t.Fatalf("a write with the gate closed: %v; want a RefusedError", err)
		}
		if reason, ok := store.Unavailable(err); !ok || reason != store.ReasonStandby {
			t.Errorf("Unavailable says %q, %v", reason, ok)
		}
		if err := s.CheckWrites(ctx); !errors.As(err, &refused) {
			t.Errorf("CheckWrites with the gate closed: %v", err)
		}
		if _, err := s.SigningKey(ctx, "new-key", "secret", time.Now()); !errors.As(err, &refused) {
			t.Errorf("a write on the pool with the gate closed: %v", err)
		}
		if _, err := s.LastChangeID(ctx); err != nil {
			t.Errorf("a read with the gate closed: %v", err)
		}
		waited := make(chan error, 1)
		go func() { waited <- s.WaitWritable(ctx) }()
		s.AllowWrites()
		if err := <-waited; err != nil {
			t.Errorf("WaitWritable: %v", err)
		}
		if err := writeChange(ctx, s, "b"); err != nil {
			t.Errorf("a write with the gate open again: %v", err)
		}
		if err := s.CheckWrites(ctx); err != nil {
			t.Errorf("CheckWrites with the gate open again: %v", err)
		}
	})
}

// A store opened read-only refuses writes and reads; TryWrites turns it
// read-write, and no connection of the read-only kind is used afterwards,
// however many were open.
func TestReadOnlyStoreTurnsWritable(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	rw, err := store.Open(ctx, store.DSN{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rw.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := writeChange(ctx, rw, "before"); err != nil {
		t.Fatal(err)
	}
	if err := rw.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := store.OpenReadOnly(ctx, store.DSN{DataDir: dir}, "the disk holding the database is full")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	last, err := s.LastChangeID(ctx)
	if err != nil || last == 0 {
		t.Fatalf("a read from the read-only store: %d, %v", last, err)
	}
	if err := writeChange(ctx, s, "refused"); err == nil {
		t.Fatal("a read-only store took a write")
	}
	// Open every connection the pool allows, read-only, and put them back.
	var wg, took sync.WaitGroup
	hold := make(chan struct{})
	for range 4 {
		took.Add(1)
		wg.Go(func() {
			conn, err := s.DB().Conn(ctx)
			took.Done()
			if err != nil {
				t.Error(err)
				return
			}
			<-hold
			conn.Close()
		})
	}
	took.Wait() // four connections held at once: the pool opened four read-only ones
	close(hold)
	wg.Wait()

	// One read-only connection is in use while the store turns writable,
	// and comes back to the pool afterwards: it must not be used again.
	busy, err := s.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.TryWrites(ctx); err != nil {
		t.Fatalf("TryWrites on a writable disk: %v", err)
	}
	s.AllowWrites()
	if err := busy.Close(); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if err := writeChange(ctx, s, "after"); err != nil {
			t.Fatalf("write %d after TryWrites: %v", i, err)
		}
	}
	if err := s.CheckWrites(ctx); err != nil {
		t.Errorf("CheckWrites: %v", err)
	}
}

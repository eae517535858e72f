package lease

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func keeper(b storetest.Backend, c *clock, holder string) *Keeper {
	k := New(b.Store, "decisions", 15*time.Second)
	k.holder, k.now = holder, c.now
	return k
}

func TestLeaseChangesHandsByTerm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := t.Context()
		c := &clock{t: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
		a, z := keeper(b, c, "a"), keeper(b, c, "z")
		if held, err := a.Hold(ctx); err != nil || !held {
			t.Fatalf("a free lease: held %v, %v", held, err)
		}
		if held, err := z.Hold(ctx); err != nil || held {
			t.Fatalf("a lease held by a: z holds it too (%v, %v)", held, err)
		}
		// a renews while alive: z never gets it.
		for range 5 {
			c.t = c.t.Add(6 * time.Second)
			if held, err := a.Hold(ctx); err != nil || !held {
				t.Fatalf("a renewing: %v, %v", held, err)
			}
			if held, _ := z.Hold(ctx); held {
				t.Fatal("z took a lease a kept renewing")
			}
		}
		// a pauses past its lease; z takes it with the next term.
		c.t = c.t.Add(16 * time.Second)
		if held, err := z.Hold(ctx); err != nil || !held || z.cur.Term != a.cur.Term+1 {
			t.Fatalf("z after a's lease expired: held %v term %d (a's %d), %v", held, z.cur.Term, a.cur.Term, err)
		}
		// a wakes: its work under the old term is refused, and it cannot renew.
		err := b.Store.TxContext(ctx, func(tctx context.Context, q *store.Queries) error { return a.Check(tctx, q) })
		if !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("a's check after losing the lease: %v, want ErrLeaseLost", err)
		}
		if held, err := a.Hold(ctx); err != nil || held {
			t.Errorf("a after waking: held %v, %v", held, err)
		}
		if err := b.Store.TxContext(ctx, func(tctx context.Context, q *store.Queries) error { return z.Check(tctx, q) }); err != nil {
			t.Errorf("z's check: %v", err)
		}
		// z stops cleanly: a takes over at once, not after the expiry.
		if err := z.Release(ctx); err != nil {
			t.Fatal(err)
		}
		c.t = c.t.Add(time.Second)
		if held, err := a.Hold(ctx); err != nil || !held || a.cur.Term != z.cur.Term+1 {
			t.Errorf("a after z released: held %v term %d, %v", held, a.cur.Term, err)
		}
	})
}

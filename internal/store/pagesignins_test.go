package store_test

import (
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/store/storetest"
)

func TestUseSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
		q := b.Store.Queries
		for i, want := range []bool{true, false, false} {
			first, err := q.UseSignIn(t.Context(), "abc", now.Add(15*time.Minute), now)
			if err != nil {
				t.Fatal(err)
			}
			if first != want {
				t.Errorf("use %d of one nonce = %v, want %v", i+1, first, want)
			}
		}
		if first, err := q.UseSignIn(t.Context(), "def", now.Add(time.Minute), now); err != nil || !first {
			t.Errorf("another nonce = %v, %v", first, err)
		}
		// Once expired it is forgotten; its link is refused by its expiry.
		later := now.Add(time.Hour)
		if first, err := q.UseSignIn(t.Context(), "other", later.Add(time.Minute), later); err != nil || !first {
			t.Fatal(first, err)
		}
		var n int
		if err := b.Store.DB().QueryRowContext(t.Context(), `SELECT COUNT(*) FROM page_sign_ins`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("%d nonces kept, want 1 (the expired ones forgotten)", n)
		}
	})
}

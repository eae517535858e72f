package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

func TestUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := t.Context()
		alice := &store.User{Name: "alice", Role: "admin", PasswordHash: "$argon2id$a", CreatedAt: base, UpdatedAt: base}
		bob := &store.User{Name: "bob", Role: "viewer", PasswordHash: "$argon2id$b", CreatedAt: base, UpdatedAt: base}
		for _, u := range []*store.User{bob, alice} {
			if err := b.Store.InsertUser(ctx, u); err != nil {
				t.Fatalf("InsertUser %s: %v", u.Name, err)
			}
			if u.ID == 0 {
				t.Fatalf("InsertUser %s left the id at 0", u.Name)
			}
		}
		dup := &store.User{Name: "alice", Role: "viewer", PasswordHash: "x", CreatedAt: base, UpdatedAt: base}
		if err := b.Store.InsertUser(ctx, dup); !errors.Is(err, store.ErrDuplicate) {
			t.Errorf("second alice: err = %v, want ErrDuplicate", err)
		}

		got, err := b.Store.UserByName(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != alice.ID || got.Role != "admin" || got.PasswordHash != "$argon2id$a" ||
			!got.CreatedAt.Equal(base.Truncate(time.Millisecond)) || !got.DisabledAt.IsZero() || !got.LastLoginAt.IsZero() {
			t.Errorf("UserByName(alice) = %+v", got)
		}
		if _, err := b.Store.UserByName(ctx, "carol"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UserByName(carol): err = %v, want ErrNotFound", err)
		}
		if _, err := b.Store.UserByID(ctx, 9999); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UserByID(9999): err = %v, want ErrNotFound", err)
		}

		list, err := b.Store.Users(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].Name != "alice" || list[1].Name != "bob" {
			t.Errorf("Users = %+v, want alice then bob", list)
		}

		later := base.Add(time.Hour)
		got.Role, got.PasswordHash, got.UpdatedAt, got.DisabledAt, got.LastLoginAt = "editor", "$argon2id$new", later, later, later
		if err := b.Store.Tx(ctx, func(q *store.Queries) error {
			if err := q.LockUser(ctx, got.ID); err != nil {
				return err
			}
			return q.SaveUser(ctx, got)
		}); err != nil {
			t.Fatalf("SaveUser: %v", err)
		}
		again, err := b.Store.UserByID(ctx, alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := later.Truncate(time.Millisecond)
		if again.Role != "editor" || again.PasswordHash != "$argon2id$new" || !again.DisabledAt.Equal(want) ||
			!again.LastLoginAt.Equal(want) || !again.UpdatedAt.Equal(want) || again.Name != "alice" {
			t.Errorf("after SaveUser: %+v", again)
		}
		if err := b.Store.SaveUser(ctx, &store.User{ID: 9999, UpdatedAt: later}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SaveUser(9999): err = %v, want ErrNotFound", err)
		}

		// alice is disabled now: only bob counts.
		for role, want := range map[string]int{"": 1, "viewer": 1, "admin": 0, "editor": 0} {
			n, err := b.Store.CountUsers(ctx, role)
			if err != nil {
				t.Fatal(err)
			}
			if n != want {
				t.Errorf("CountUsers(%q) = %d, want %d", role, n, want)
			}
		}
	})
}

func TestSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := t.Context()
		u := &store.User{Name: "alice", Role: "editor", PasswordHash: "h", CreatedAt: base, UpdatedAt: base}
		if err := b.Store.InsertUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		s1 := &store.Session{Hash: "hash-1", UserID: u.ID, CreatedAt: base, LastSeenAt: base,
			ExpiresAt: base.Add(time.Hour), Address: "127.0.0.1", UserAgent: "test agent"}
		s2 := &store.Session{Hash: "hash-2", UserID: u.ID, CreatedAt: base, LastSeenAt: base, ExpiresAt: base.Add(2 * time.Hour)}
		for _, s := range []*store.Session{s1, s2} {
			if err := b.Store.InsertSession(ctx, s); err != nil {
				t.Fatalf("InsertSession: %v", err)
			}
		}
		got, user, err := b.Store.SessionByHash(ctx, "hash-1", base.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if got.UserID != u.ID || got.Address != "127.0.0.1" || got.UserAgent != "test agent" ||
			!got.ExpiresAt.Equal(base.Add(time.Hour).Truncate(time.Millisecond)) {
			t.Errorf("SessionByHash = %+v", got)
		}
		if user.Name != "alice" || user.Role != "editor" {
			t.Errorf("session user = %+v", user)
		}
		// Expired at the instant it expires.
		if _, _, err := b.Store.SessionByHash(ctx, "hash-1", base.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("expired session: err = %v, want ErrNotFound", err)
		}
		if _, _, err := b.Store.SessionByHash(ctx, "nope", base); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown session: err = %v, want ErrNotFound", err)
		}

		if err := b.Store.TouchSession(ctx, "hash-1", base.Add(30*time.Minute), base.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		got, _, err = b.Store.SessionByHash(ctx, "hash-1", base.Add(2*time.Hour))
		if err != nil {
			t.Fatalf("touched session: %v", err)
		}
		if !got.LastSeenAt.Equal(base.Add(30 * time.Minute).Truncate(time.Millisecond)) {
			t.Errorf("LastSeenAt = %s", got.LastSeenAt)
		}
		if n, err := b.Store.CountSessions(ctx, u.ID, base.Add(90*time.Minute)); err != nil || n != 2 {
			t.Errorf("CountSessions = %d, %v; want 2", n, err)
		}

		// At 2h30 hash-2 has expired, hash-1 (touched to 3h) has not.
		n, err := b.Store.DeleteExpiredSessions(ctx, base.Add(150*time.Minute))
		if err != nil || n != 1 {
			t.Errorf("DeleteExpiredSessions = %d, %v; want 1", n, err)
		}
		if err := b.Store.DeleteSession(ctx, "hash-1"); err != nil {
			t.Fatal(err)
		}
		if err := b.Store.DeleteSession(ctx, "hash-1"); err != nil {
			t.Errorf("deleting a gone session: %v", err)
		}
		if _, _, err := b.Store.SessionByHash(ctx, "hash-1", base); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted session: err = %v", err)
		}

		for _, h := range []string{"a", "b", "c"} {
			if err := b.Store.InsertSession(ctx, &store.Session{Hash: h, UserID: u.ID, CreatedAt: base, LastSeenAt: base, ExpiresAt: base.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := b.Store.DeleteUserSessions(ctx, u.ID); err != nil || n != 3 {
			t.Errorf("DeleteUserSessions = %d, %v; want 3", n, err)
		}
	})
}

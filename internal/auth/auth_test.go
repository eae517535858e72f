package auth_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/auth"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// cheap keeps tests fast; the format and the check are the same.
var cheap = auth.Params{Memory: 64, Time: 1, Threads: 1}

func TestPasswordHash(t *testing.T) {
	h, err := auth.HashPassword("correct horse battery", auth.DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q does not use the PHC argon2id format with the default cost", h)
	}
	h2, _ := auth.HashPassword("correct horse battery", auth.DefaultParams)
	if h == h2 {
		t.Error("two hashes of one password are equal: no random salt")
	}
	for pw, want := range map[string]bool{"correct horse battery": true, "correct horse batterY": false, "": false} {
		ok, err := auth.CheckPassword(h, pw)
		if err != nil || ok != want {
			t.Errorf("CheckPassword(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
	for _, bad := range []string{"", "plain", "$2a$10$bcrypt", "$argon2id$v=18$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "$argon2id$v=19$m=64,t=1,p=1$!!$aGFzaA"} {
		if ok, err := auth.CheckPassword(bad, "x"); ok || err == nil {
			t.Errorf("CheckPassword(%q) = %v, %v; want an error", bad, ok, err)
		}
	}
}

func TestRoles(t *testing.T) {
	for _, c := range []struct {
		role         auth.Role
		edit, manage bool
	}{{auth.Admin, true, true}, {auth.Editor, true, false}, {auth.Viewer, false, false}} {
		if c.role.CanEdit() != c.edit || c.role.CanManageUsers() != c.manage {
			t.Errorf("%s: CanEdit %v CanManageUsers %v", c.role, c.role.CanEdit(), c.role.CanManageUsers())
		}
	}
	if _, err := auth.ParseRole("root"); err == nil {
		t.Error("ParseRole(root) accepted")
	}
}

func setup(t *testing.T, b storetest.Backend, opts auth.Options) (*auth.Manager, *fakeClock) {
	clock := &fakeClock{t: time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)}
	opts.Params = cheap
	return auth.New(b.Store, clock, nil, opts), clock
}

func TestAccounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := t.Context()
		m, _ := setup(t, b, auth.Options{})
		for _, c := range []struct{ name, role, pw, want string }{
			{"", "admin", "long enough pw", "a user name is required"},
			{"Alice", "admin", "long enough pw", "lower-case"},
			{"-x", "admin", "long enough pw", "start with a letter"},
			{"alice", "root", "long enough pw", `unknown role "root"`},
			{"alice", "admin", "short", "too short"},
			{"alice", "admin", " padded password ", "starts or ends with a space"},
		} {
			_, err := m.AddUser(ctx, "cli", c.name, auth.Role(c.role), c.pw)
			var inv *service.InvalidError
			if !errors.As(err, &inv) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("AddUser(%q, %q, %q) = %v, want InvalidError with %q", c.name, c.role, c.pw, err, c.want)
			}
		}
		if _, err := m.AddUser(ctx, "cli", "alice", auth.Admin, "alice password 1"); err != nil {
			t.Fatal(err)
		}
		if _, err := m.AddUser(ctx, "cli", "alice", auth.Viewer, "other password"); err == nil || !strings.Contains(err.Error(), "already exists") {
			t.Errorf("duplicate alice: %v", err)
		}
		if _, err := m.AddUser(ctx, "user:alice", "bob", auth.Viewer, "bob password 1"); err != nil {
			t.Fatal(err)
		}

		// The last admin cannot be disabled or demoted.
		var conflict *service.ConflictError
		if err := m.Disable(ctx, "cli", "alice"); !errors.As(err, &conflict) || !strings.Contains(err.Error(), "last admin") {
			t.Errorf("disable the last admin: %v", err)
		}
		if err := m.SetRole(ctx, "cli", "alice", auth.Editor); !errors.As(err, &conflict) {
			t.Errorf("demote the last admin: %v", err)
		}
		if err := m.SetRole(ctx, "user:alice", "bob", auth.Editor); err != nil {
			t.Fatal(err)
		}
		if err := m.Disable(ctx, "user:alice", "nobody"); err == nil || !strings.Contains(err.Error(), "no user nobody") {
			t.Errorf("disable nobody: %v", err)
		}

		tok, _, err := m.Login(ctx, "bob", "bob password 1", "127.0.0.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		if err := m.SetPassword(ctx, "user:alice", "bob", "bob password 2"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := m.Session(ctx, tok); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf("session after a new password: %v, want ErrNoSession", err)
		}
		if _, _, err := m.Login(ctx, "bob", "bob password 1", "127.0.0.1", "test"); !errors.Is(err, auth.ErrBadLogin) {
			t.Errorf("old password: %v", err)
		}
		tok, _, err = m.Login(ctx, "bob", "bob password 2", "127.0.0.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Disable(ctx, "user:alice", "bob"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := m.Session(ctx, tok); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf("session after disable: %v", err)
		}
		if _, _, err := m.Login(ctx, "bob", "bob password 2", "127.0.0.1", "test"); !errors.Is(err, auth.ErrBadLogin) {
			t.Errorf("disabled bob signs in: %v", err)
		}
		if err := m.Enable(ctx, "user:alice", "bob"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := m.Login(ctx, "bob", "bob password 2", "127.0.0.1", "test"); err != nil {
			t.Errorf("enabled bob: %v", err)
		}

		users, err := m.Users(ctx)
		if err != nil || len(users) != 2 || users[1].Role != "editor" || users[1].LastLoginAt.IsZero() {
			t.Errorf("Users = %+v, %v", users, err)
		}

		// Every change is in the change log, with actor and before/after, never a hash.
		changes, err := b.Store.Changes(ctx, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range changes {
			got = append([]string{c.Actor + " " + c.Action}, got...)
			if strings.Contains(c.Before+c.After, "argon2") {
				t.Errorf("change %s keeps a password hash: %s %s", c.Action, c.Before, c.After)
			}
		}
		want := []string{"cli user.create", "user:alice user.create", "user:alice user.role", "user:bob user.login",
			"user:alice user.password", "user:bob user.login", "user:alice user.disable", "user:alice user.enable", "user:bob user.login"}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("change log:\n got %q\nwant %q", got, want)
		}
		for _, c := range changes {
			if c.Action == "user.role" && (!strings.Contains(c.Before, `"role":"viewer"`) || !strings.Contains(c.After, `"role":"editor"`)) {
				t.Errorf("role change before %s after %s", c.Before, c.After)
			}
		}
	})
}

func TestSessionsExpire(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := t.Context()
		m, clock := setup(t, b, auth.Options{IdleTimeout: time.Hour, MaxAge: 3 * time.Hour})
		if _, err := m.AddUser(ctx, "cli", "alice", auth.Admin, "alice password 1"); err != nil {
			t.Fatal(err)
		}
		tok, _, err := m.Login(ctx, "alice", "alice password 1", "127.0.0.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		// Used every 50 minutes it stays alive until the maximum age.
		for i := 0; i < 3; i++ {
			clock.Add(50 * time.Minute)
			if _, u, err := m.Session(ctx, tok); err != nil || u.Name != "alice" {
				t.Fatalf("after %d×50 min: %v", i+1, err)
			}
		}
		clock.Add(31 * time.Minute) // 3h01 after sign-in
		if _, _, err := m.Session(ctx, tok); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf("past the maximum age: %v", err)
		}
		tok, _, err = m.Login(ctx, "alice", "alice password 1", "127.0.0.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		clock.Add(61 * time.Minute)
		if _, _, err := m.Session(ctx, tok); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf("idle past the timeout: %v", err)
		}
		if n, err := m.Sweep(ctx); err != nil || n != 2 {
			t.Errorf("Sweep = %d, %v; want the two expired sessions", n, err)
		}
		tok, _, err = m.Login(ctx, "alice", "alice password 1", "127.0.0.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Logout(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if _, _, err := m.Session(ctx, tok); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf("after logout: %v", err)
		}
		for _, bad := range []string{"", "x", strings.Repeat("a", 500)} {
			if _, _, err := m.Session(ctx, bad); !errors.Is(err, auth.ErrNoSession) {
				t.Errorf("Session(%q): %v", bad, err)
			}
		}
	})
}

// An attacker guessing alice's password from one address slows down more
// with each failure, and never keeps alice out from her own address.
func TestLoginLimitSparesTheOwner(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := t.Context()
		m, clock := setup(t, b, auth.Options{FreeFailures: 3, BaseDelay: time.Second, MaxDelay: time.Minute,
			MaxFailuresPerAddress: 1000, LimitWindow: 15 * time.Minute})
		if _, err := m.AddUser(ctx, "cli", "alice", auth.Admin, "alice password 1"); err != nil {
			t.Fatal(err)
		}
		const attacker, owner = "203.0.113.9", "198.51.100.7"
		var (
			waits    []time.Duration
			failures int
		)
		for len(waits) < 9 {
			_, _, err := m.Login(ctx, "alice", fmt.Sprintf("guess %d", failures), attacker, "")
			var lim *auth.LimitedError
			if !errors.As(err, &lim) {
				if !errors.Is(err, auth.ErrBadLogin) {
					t.Fatalf("guess %d: %v, want a wrong password", failures, err)
				}
				failures++
				// The owner, at another address, signs in at once, every time.
				if _, _, err := m.Login(ctx, "alice", "alice password 1", owner, ""); err != nil {
					t.Fatalf("the owner after the attacker's failure %d: %v", failures, err)
				}
				continue
			}
			if len(waits) == 0 {
				if failures != 4 {
					t.Errorf("first wait after %d failures, want 4 (3 free)", failures)
				}
				// While waiting, even the right password is refused from there.
				if _, _, err := m.Login(ctx, "alice", "alice password 1", attacker, ""); !errors.As(err, &lim) {
					t.Errorf("the right password during the wait: %v, want LimitedError", err)
				}
			}
			waits = append(waits, lim.Retry)
			clock.Add(lim.Retry)
		}
		want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second,
			32 * time.Second, time.Minute, time.Minute, time.Minute}
		if fmt.Sprint(waits) != fmt.Sprint(want) {
			t.Errorf("the attacker's waits = %v, want %v (doubling to the ceiling)", waits, want)
		}
		// A refused attempt touches no database (and so hashes no password).
		read := false
		faulty := store.WithReadFault(ctx, func(string) error { read = true; return errors.New("no reads") })
		var lim *auth.LimitedError
		if _, _, err := m.Login(ctx, "alice", "guess", attacker, ""); !errors.Is(err, auth.ErrBadLogin) {
			t.Fatalf("after the wait: %v", err)
		}
		if _, _, err := m.Login(faulty, "alice", "guess", attacker, ""); !errors.As(err, &lim) || read {
			t.Errorf("refused attempt: %v, read the database: %v", err, read)
		}
		// (An attempt that is not refused does read: the hook sees it.)
		clock.Add(lim.Retry)
		if _, _, err := m.Login(faulty, "alice", "guess", attacker, ""); err == nil || !read {
			t.Errorf("admitted attempt with failing reads: %v, read %v", err, read)
		}
	})
}

// One address trying many names is held by the per-client limit; other
// addresses are not.
func TestLoginLimitPerClient(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := t.Context()
		m, clock := setup(t, b, auth.Options{MaxFailuresPerAddress: 5, LimitWindow: 10 * time.Minute})
		if _, err := m.AddUser(ctx, "cli", "alice", auth.Admin, "alice password 1"); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			name := "nobody" + string(rune('a'+i))
			if _, _, err := m.Login(ctx, name, "guess", "2001:db8::1", ""); !errors.Is(err, auth.ErrBadLogin) {
				t.Fatalf("%s: %v", name, err)
			}
		}
		var lim *auth.LimitedError
		if _, _, err := m.Login(ctx, "alice", "alice password 1", "2001:db8::2", ""); !errors.As(err, &lim) {
			t.Errorf("sixth name from the same /64: %v, want LimitedError", err)
		} else if lim.Retry != 10*time.Minute || err.Error() != "too many failed sign-ins; try again in 10 minutes" {
			t.Errorf("limited: retry %s, %q", lim.Retry, err)
		}
		if err := m.Admit("2001:db8::3"); !errors.As(err, &lim) {
			t.Errorf("Admit for the limited /64: %v", err)
		}
		if _, _, err := m.Login(ctx, "alice", "alice password 1", "127.0.0.1", ""); err != nil {
			t.Errorf("another address is not limited: %v", err)
		}
		clock.Add(10*time.Minute + time.Second)
		if _, _, err := m.Login(ctx, "alice", "alice password 1", "2001:db8::1", ""); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
}

// Attempts sent in parallel get no more password checks than attempts sent
// one after another: an attempt holds its place until it is decided. The
// invariant, whatever order the goroutines run in: with the clock standing
// still, one user name from one client gets FreeFailures+1 checks (the
// last of which starts the first wait), and a client across many names
// gets MaxFailuresPerAddress.
func TestLoginLimitHoldsInParallel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := t.Context()
		m, _ := setup(t, b, auth.Options{FreeFailures: 3, MaxFailuresPerAddress: 10})
		if _, err := m.AddUser(ctx, "cli", "alice", auth.Admin, "alice password 1"); err != nil {
			t.Fatal(err)
		}
		attempt := func(n int, name func(i int) string, from string) (bad, limited int) {
			var (
				mu sync.Mutex
				wg sync.WaitGroup
			)
			for i := range n {
				wg.Go(func() {
					_, _, err := m.Login(ctx, name(i), "guess", from, "")
					var lim *auth.LimitedError
					mu.Lock()
					defer mu.Unlock()
					switch {
					case errors.Is(err, auth.ErrBadLogin):
						bad++
					case errors.As(err, &lim):
						limited++
					default:
						t.Errorf("attempt %d: %v", i, err)
					}
				})
			}
			wg.Wait()
			return bad, limited
		}
		// Rounds, since one round may find the pair busy and stop early.
		total := 0
		for range 10 {
			bad, _ := attempt(40, func(int) string { return "alice" }, "203.0.113.9")
			total += bad
		}
		if total != 4 {
			t.Errorf("400 parallel guesses at alice from one client: %d checked, want 4 (3 free, then a wait)", total)
		}
		total = 0
		for range 10 {
			bad, _ := attempt(40, func(i int) string { return fmt.Sprintf("name%d", i) }, "198.51.100.7")
			total += bad
		}
		if total != 10 {
			t.Errorf("400 parallel guesses at many names from one client: %d checked, want 10", total)
		}
	})
}

package admin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// A change made while the database takes no writes answers 503 with the
// reason, not a 500.
func TestChangesToAReadOnlyDatabaseAnswer503(t *testing.T) {
	b := storetest.SQLite(t)
	f := newFixture(t, b, nil)
	c := f.as(t, "erin")
	storetest.ReadOnly(t, b.Store)
	r := c.post("/admin/incidents", url.Values{"title": {"Mail bounces on mom"}, "status": {"investigating"}, "impact": {"auto"},
		"body": {"Mail to *mom* bounces."}, "c:mom/email": {"partial_outage"}, "action": {"publish"}})
	wantCode(t, "create with a read-only database", r, http.StatusServiceUnavailable)
	wantBody(t, "create with a read-only database", r, "the database file is read-only", "Nothing was changed")
	if r.header.Get("Retry-After") == "" {
		t.Error("a 503 without Retry-After")
	}
}

// Every change the admin screens make, and signing in and out, answers 503
// with the reason while the database takes no writes: refused by the
// database (a read-only file) or by this Herald (a standby, a disk in
// trouble: the store's gate). None answers 500 or sends to the sign-in page.
func TestEveryChangeAnswers503WithoutWrites(t *testing.T) {
	for _, outage := range []struct {
		name, reason string
		apply        func(t *testing.T, s *store.Store)
	}{
		{"read-only file", "the database file is read-only", func(t *testing.T, s *store.Store) { storetest.ReadOnly(t, s) }},
		{"refused here", store.ReasonStandby, func(_ *testing.T, s *store.Store) { s.RefuseWrites(store.ReasonStandby) }},
	} {
		t.Run(outage.name, func(t *testing.T) {
			b := storetest.SQLite(t)
			f := newFixture(t, b, nil)
			c := f.as(t, "alice")
			outage.apply(t, b.Store)
			routes := append(writes(f), struct {
				path string
				form url.Values
			}{"/admin/logout", url.Values{}})
			for _, w := range routes {
				r := c.post(w.path, w.form)
				if r.code != http.StatusServiceUnavailable || !strings.Contains(r.body, outage.reason) || r.header.Get("Retry-After") == "" {
					t.Errorf("POST %s: %d, want 503 with %q and Retry-After\n%s", w.path, r.code, outage.reason, snippet(r.body))
				}
			}
			r := f.client(t).post("/admin/login", url.Values{"username": {"erin"}, "password": {erinPW}})
			wantCode(t, "sign-in", r, http.StatusServiceUnavailable)
			wantBody(t, "sign-in", r, outage.reason)
		})
	}
}

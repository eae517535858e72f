package admin_test

import (
	"net/http"
	"net/url"
	"testing"

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

package api_test

import (
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/store/storetest"
)

// A database that takes no writes (a read-only or full SQLite file) answers
// writes with 503 and the reason, and still answers reads.
func TestWritesToAReadOnlyDatabaseAnswer503(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t))
	storetest.ReadOnly(t, f.b.Store)
	a := f.call(t, "POST", "/api/v1/incidents", `{"title": "t", "body": "b", "components": {"flexo/web": "major_outage"}}`)
	if msg := wantError(t, a, 503); msg != "Herald cannot use its database right now: the database file is read-only. Nothing was changed; try again in a moment." {
		t.Errorf("message %q", msg)
	}
	if a.header.Get("Retry-After") == "" {
		t.Error("a 503 without Retry-After")
	}
	if a := f.callAs(t, f.read, "GET", "/api/v1/incidents", nil); a.code != 200 {
		t.Errorf("a read from a read-only database: %s", a)
	}
	if logs := f.logs.String(); !strings.Contains(logs, "readonly") {
		t.Errorf("the log lacks the database's own words:\n%s", logs)
	}
}

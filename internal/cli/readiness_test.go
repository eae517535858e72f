package cli

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/heraldhq/herald/internal/store/storetest"
)

// /readyz is 200 while the page can be served, and its body says whether
// writes work: a read-only SQLite file shows there.
func TestReadinessSaysWhetherWritesWork(t *testing.T) {
	Parallel(t)
	ask := func(t *testing.T, b storetest.Backend) map[string]string {
		t.Helper()
		rec := httptest.NewRecorder()
		readiness(b.Store, slog.New(slog.DiscardHandler)).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("/readyz: %d, want 200: the page is served whatever the database does", rec.Code)
		}
		var out map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("/readyz: %v: %s", err, rec.Body)
		}
		return out
	}
	if got := ask(t, storetest.SQLite(t)); got["page"] != "ok" || got["writes"] != "ok" || len(got) != 2 {
		t.Errorf("a writable database: %v", got)
	}
	b := storetest.SQLite(t)
	storetest.ReadOnly(t, b.Store)
	if got := ask(t, b); got["page"] != "ok" || got["writes"] != "failing: the database file is read-only" {
		t.Errorf("a read-only database: %v", got)
	}
}

package cli

import (
	"fmt"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/store/storetest"
)

// A database Herald cannot migrate (a standby, a disk in trouble) whose
// schema is older than this build's is refused with both versions and what
// to do; a current one is served.
func TestSchemaCurrent(t *testing.T) {
	Parallel(t)
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := t.Context()
		if err := schemaCurrent(ctx, b.Store, "the database is a read-only standby"); err != nil {
			t.Fatalf("a current schema: %v", err)
		}
		current, known, err := b.Store.SchemaVersion(ctx)
		if err != nil || current != known {
			t.Fatalf("schema %d of %d: %v", current, known, err)
		}
		// As if the newest migration had not run yet.
		q := "DELETE FROM goose_db_version WHERE version_id = ?"
		if b.Name == "postgres" {
			q = "DELETE FROM goose_db_version WHERE version_id = $1"
		}
		if _, err := b.Store.DB().ExecContext(ctx, q, known); err != nil {
			t.Fatal(err)
		}
		older, _, err := b.Store.SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		err = schemaCurrent(ctx, b.Store, "the database is a read-only standby")
		want := fmt.Sprintf("the database is a read-only standby, so it cannot be migrated, and its schema is at version %d while this Herald needs version %d", older, known)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "primary") {
			t.Errorf("an older schema: %v; want %q and what to do", err, want)
		}
	})
}

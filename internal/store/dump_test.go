package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// A file that is not a good export is refused with a clear reason, and
// nothing of it is written.
func TestImportRefusesBadExports(t *testing.T) {
	const head = `{"format":"herald-export","version":1,"schema":1,"exported_at":"2026-11-25T18:30:00Z","left_out":[],"tables":[`
	for _, c := range []struct{ name, doc, want string }{
		{"not JSON", `hello`, "not valid JSON"},
		{"cut short", head + `{"name":"customers","columns":["domain","group_id","updated_at"],"rows":[["a.example","flexo",1]`, "not valid JSON"},
		{"another format", `{"format":"other","version":1,"tables":[]}`, `not a Herald export (format "other"`},
		{"unknown field", `{"format":"herald-export","version":1,"colour":"red"}`, `unknown field "colour"`},
		{"no tables", `{"format":"herald-export","version":1}`, `no "tables"`},
		{"newer schema", strings.Replace(head, `"schema":1`, `"schema":9999`, 1) + `]}`, "from a newer Herald (schema 9999"},
		{"unknown table", head + `{"name":"secrets","columns":[],"rows":[]}]}`, `table "secrets" is not one Herald exports`},
		{"unknown column", head + `{"name":"customers","columns":["domain","colour"],"rows":[]}]}`, `column "colour" is unknown`},
		{"secret column", head + `{"name":"users","columns":["id","password_hash"],"rows":[]}]}`, `column "password_hash" is never exported`},
		{"wrong type", head + `{"name":"customers","columns":["domain","group_id","updated_at"],"rows":[["a.example","flexo","yesterday"]]}]}`,
			"table customers row 1, updated_at: a string where the column holds whole numbers"},
		{"short row", head + `{"name":"customers","columns":["domain","group_id","updated_at"],"rows":[["a.example"]]}]}`,
			"table customers row 1: 1 values for 3 columns"},
		{"table twice", head + `{"name":"customers","columns":["domain"],"rows":[]},{"name":"customers","columns":["domain"],"rows":[]}]}`,
			`table "customers" given twice`},
		{"fields out of order", head + `{"columns":[],"name":"customers","rows":[]}]}`, `want the field "name"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := storetest.SQLite(t)
			ctx := context.Background()
			// A good row first, in the same document where possible: it must not stay.
			_, err := b.Store.Import(ctx, strings.NewReader(c.doc), nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
			if n, err := b.Store.CountCustomers(ctx); err != nil || n != 0 {
				t.Errorf("%d customers stayed after a refused import (%v)", n, err)
			}
		})
	}
}

func TestImportNeedsAnEmptyDatabase(t *testing.T) {
	b := storetest.SQLite(t)
	ctx := context.Background()
	if err := b.Store.UpsertCustomers(ctx, []store.Customer{{Domain: "a.example", GroupID: "flexo"}}); err != nil {
		t.Fatal(err)
	}
	doc := `{"format":"herald-export","version":1,"schema":1,"tables":[]}`
	_, err := b.Store.Import(ctx, strings.NewReader(doc), nil)
	if !errors.Is(err, store.ErrNotEmpty) || !strings.Contains(err.Error(), "(customers)") {
		t.Errorf("got %v, want ErrNotEmpty naming customers", err)
	}
}

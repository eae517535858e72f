package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/cli"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// An import from the command line is a change like any other: it lands in
// the change log, made by "cli", with its counts.
func TestCustomersImportIsRecorded(t *testing.T) {
	cli.Parallel(t)
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := t.Context()
		svc := service.New(b.Store, nil, nil)
		if err := svc.SyncCatalog(ctx, []store.Group{{ID: "flexo", Name: "flexo"}, {ID: "mom", Name: "mom"}},
			[]store.Component{{ID: "flexo/web", GroupID: "flexo", Name: "Web sites"}, {ID: "mom/web", GroupID: "mom", Name: "Web sites"}}); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(t.TempDir(), "customers.csv")
		if err := os.WriteFile(file, []byte("domain,group\nshop.example,flexo\nblog.example,mom\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		args := []string{"customers", "import", "--quiet", "--data", b.DataDir}
		if b.URL != "" {
			args = []string{"customers", "import", "--quiet", "--db", b.URL}
		}
		code, out, errs := runIn(t, "", append(args, file)...)
		if code != 0 || !strings.Contains(out, "imported 2 rows (2 domains)") {
			t.Fatalf("customers import: %d %q %q", code, out, errs)
		}
		changes, err := svc.Changes(ctx, "customers", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(changes) != 1 || changes[0].Actor != "cli" || changes[0].Action != "customers.import" ||
			changes[0].After != `{"rows":2,"domains":2}` {
			t.Errorf("change log = %+v, want one customers.import by cli with its counts", changes)
		}
	})
}

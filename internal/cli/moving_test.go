package cli_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/cli"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

const movingConfig = `
page: {title: Example Hosting Status, url: "https://status.example.net", zone: America/Los_Angeles}
groups:
  - id: flexo
    name: flexo
    components:
      - {id: web, name: Web sites}
      - {id: email, name: E-mail}
`

var exportedAt = regexp.MustCompile(`"exported_at":"[^"]*"`)

// From the command line: a Statuspage folder imported (a dry run first)
// into a database never served, exported, read back into a new database
// and exported again gives the same document; a second read into the
// now full database is refused.
func TestImportExportCommands(t *testing.T) {
	cli.Parallel(t)
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		dir := t.TempDir()
		cfg := filepath.Join(dir, "herald.yaml")
		if err := os.WriteFile(cfg, []byte(movingConfig), 0o600); err != nil {
			t.Fatal(err)
		}
		db := func(b storetest.Backend) []string {
			if b.URL != "" {
				return []string{"--db", b.URL}
			}
			return []string{"--data", b.DataDir}
		}
		fixture := filepath.Join("..", "importer", "testdata", "statuspage")

		code, out, errs := runIn(t, "", append([]string{"import", "statuspage", "--dry-run", "--config", cfg, fixture}, db(b)...)...)
		if code != 0 || !strings.Contains(out, "would import (dry run: nothing was written)") || !strings.Contains(out, "incidents                   2 new") {
			t.Fatalf("dry run: %d\n%s\n%s", code, out, errs)
		}
		code, out, errs = runIn(t, "", append([]string{"export"}, db(b)...)...)
		if code != 0 || !strings.Contains(out, `{"name":"incidents","columns":`) || strings.Contains(out, "Web sites on flexo not responding") {
			t.Fatalf("export after a dry run: %d %s\n%s", code, errs, out)
		}

		code, out, errs = runIn(t, "", append([]string{"import", "statuspage", "--quiet", "--config", cfg, fixture}, db(b)...)...)
		if code != 0 || !strings.HasPrefix(out, "imported from Statuspage") || !strings.Contains(out, `component "DNS"`) {
			t.Fatalf("import statuspage: %d\n%s\n%s", code, out, errs)
		}

		file := filepath.Join(dir, "export.json")
		code, _, errs = runIn(t, "", append([]string{"export", "--quiet", "--out", file}, db(b)...)...)
		if code != 0 {
			t.Fatalf("export: %d %s", code, errs)
		}
		first, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(first), "Web sites on flexo not responding") || !strings.Contains(string(first), `"left_out":[`) {
			t.Fatalf("the export lacks the incident or what it leaves out:\n%.400s", first)
		}

		fresh := storetest.SQLite(t)
		if b.URL != "" {
			fresh = storetest.Postgres(t)
		}
		// As after a first herald serve with the configuration: its catalog
		// stored (and logged as synced); the import takes it over.
		svc := service.New(fresh.Store, nil, nil)
		if err := svc.SyncCatalog(t.Context(), []store.Group{{ID: "flexo", Name: "flexo"}},
			[]store.Component{{ID: "flexo/web", GroupID: "flexo", Name: "Web sites"}}); err != nil {
			t.Fatal(err)
		}
		code, out, errs = runIn(t, "", append([]string{"import", "herald", "--quiet", file}, db(fresh)...)...)
		if code != 0 || !strings.Contains(out, "incidents") {
			t.Fatalf("import herald: %d\n%s\n%s", code, out, errs)
		}
		code, second, errs := runIn(t, "", append([]string{"export", "--quiet"}, db(fresh)...)...)
		if code != 0 {
			t.Fatalf("export again: %d %s", code, errs)
		}
		if a, b := exportedAt.ReplaceAllString(string(first), ""), exportedAt.ReplaceAllString(second, ""); a != b {
			t.Errorf("the second export differs from the first:\n%.2000s\n---\n%.2000s", a, b)
		}

		code, _, errs = runIn(t, "", append([]string{"import", "herald", "--quiet", file}, db(fresh)...)...)
		if code != 1 || !strings.Contains(errs, "the database already holds records") || !strings.Contains(errs, "nothing was imported") {
			t.Errorf("a second import herald: %d %q", code, errs)
		}
	})
}

func TestImportUsage(t *testing.T) {
	cli.Parallel(t)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"import"}, 2, "usage: herald import SUBCOMMAND"},
		{[]string{"import", "elsewhere"}, 2, `unknown subcommand "elsewhere"`},
		{[]string{"import", "herald"}, 2, "give one file written by herald export"},
		{[]string{"import", "statuspage"}, 2, "give one folder"},
		{[]string{"import", "uptime-kuma", "a.json", "b.json"}, 2, "give one Uptime Kuma backup file"},
		{[]string{"export", "stray"}, 2, `unexpected argument "stray"`},
	} {
		code, _, errs := runIn(t, "", c.args...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("herald %s: %d %q, want %d and %q", strings.Join(c.args, " "), code, errs, c.code, c.want)
		}
	}
}

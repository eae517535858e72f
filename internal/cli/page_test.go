package cli

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/auth"
)

func TestPageCommands(t *testing.T) {
	Parallel(t)
	run := func(stdin string, getenv func(string) string, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		env := &Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: getenv}
		return RunEnv(context.Background(), env, args), out.String(), errb.String()
	}
	code, out, errs := run("a long page password\n", os.Getenv, "page", "password")
	if code != 0 {
		t.Fatalf("page password = %d: %s", code, errs)
	}
	hash := strings.TrimSpace(out)
	if ok, err := auth.CheckPassword(hash, "a long page password"); !ok || err != nil {
		t.Errorf("page password printed %q, which does not check (%v)", hash, err)
	}
	file := filepath.Join(t.TempDir(), "herald.yaml")
	if err := os.WriteFile(file, []byte(`
page: {title: Status, zone: UTC, url: "http://127.0.0.1:8080"}
pages:
  - {id: acme, title: Acme, path: /acme, groups: [zapp], private: {key_env: ACME_KEY}}
groups:
  - {id: zapp, components: [{id: web, name: Web sites}]}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	key := func(name string) string {
		if name == "ACME_KEY" {
			return strings.Repeat("s", 32)
		}
		return ""
	}
	code, out, errs = run("", key, "page", "link", "--config", file, "--page", "acme", "--server", "zapp", "--valid", "1h")
	if code != 0 {
		t.Fatalf("page link = %d: %s", code, errs)
	}
	u, err := url.Parse(strings.TrimSpace(out))
	if err != nil || u.Host != "127.0.0.1:8080" || u.Path != "/acme/" || !strings.Contains(u.Query().Get("access"), ".zapp.") {
		t.Errorf("page link printed %q", out)
	}
	if code, _, errs := run("", func(string) string { return "" }, "page", "link", "--config", file, "--page", "acme"); code != 1 ||
		!strings.Contains(errs, "ACME_KEY") {
		t.Errorf("page link without the key = %d: %s", code, errs)
	}
	if code, _, _ := run("", key, "page", "link", "--config", file, "--page", "acme", "--server", "flexo"); code != 1 {
		t.Errorf("page link for a server the page does not show = %d, want 1", code)
	}
}

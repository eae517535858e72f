package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := write("good.yaml", `page:
  title: Example Hosting Status
  zone: America/Los_Angeles
groups:
  - id: flexo
    components:
      - id: web
        name: Web sites
        monitors:
          - type: http
            url: http://127.0.0.1:18081/
      - id: email
        name: E-mail
        monitors:
          - type: smtp
            address: 127.0.0.1:12525
`)
	bad := write("bad.yaml", `page:
  title: Example Hosting Status
groups:
  - id: flexo
    components:
      - id: web
        name: Web sites
        monitors:
          - type: tcp
            url: http://127.0.0.1:18081/
`)
	missing := filepath.Join(dir, "missing.yaml")

	tests := []struct {
		name      string
		args      []string
		code      int
		stdout    string
		stderr    string
		anyStderr bool // usage text is newFlags' business, not this test's
	}{
		{"good", []string{"check-config", good}, 0,
			good + ": ok (1 groups, 2 components, 2 monitors)\n", "", false},
		{"bad", []string{"check-config", bad}, 1,
			bad + ":1: page.zone is required (an IANA zone such as America/Los_Angeles, or UTC)\n" +
				bad + ":9: monitor flexo/web/tcp: address HOST:PORT is required for tcp monitors\n" +
				bad + ":10: monitor flexo/web/tcp: url does not apply to tcp monitors\n",
			"herald check-config: 3 problem(s) in " + bad + "\n", false},
		{"missing file", []string{"check-config", missing}, 1, "",
			"herald check-config: open " + missing + ": no such file or directory\n", false},
		{"no file", []string{"check-config"}, 2, "",
			"herald check-config: want one FILE, got 0 arguments (usage: herald check-config FILE)\n", false},
		{"two files", []string{"check-config", good, bad}, 2, "",
			"herald check-config: want one FILE, got 2 arguments (usage: herald check-config FILE)\n", false},
		{"bad flag", []string{"check-config", "-x", good}, 2, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			env := &Env{Stdin: &bytes.Buffer{}, Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
			code := RunEnv(context.Background(), env, tt.args)
			if code != tt.code {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tt.code, stderr.String())
			}
			if stdout.String() != tt.stdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", stdout.String(), tt.stdout)
			}
			if !tt.anyStderr && stderr.String() != tt.stderr {
				t.Errorf("stderr:\n%s\nwant:\n%s", stderr.String(), tt.stderr)
			}
		})
	}
}

// The example that ships with Herald must pass its own check.
func TestCheckConfigExample(t *testing.T) {
	var stdout bytes.Buffer
	env := &Env{Stdout: &stdout, Stderr: &stdout, Getenv: func(string) string { return "" }}
	file := "../../examples/hosting.yaml"
	if code := RunEnv(context.Background(), env, []string{"check-config", file}); code != 0 {
		t.Fatalf("exit code %d: %s", code, stdout.String())
	}
	if want := file + ": ok (4 groups, 8 components, 8 monitors)\n"; stdout.String() != want {
		t.Errorf("stdout %q, want %q", stdout.String(), want)
	}
}

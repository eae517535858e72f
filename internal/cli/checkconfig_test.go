package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckConfig(t *testing.T) {
	Parallel(t)
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
	faint := write("faint.yaml", `page:
  title: Example Hosting Status
  zone: UTC
  accent: "#ffcc00"
groups:
  - id: flexo
    components:
      - id: web
        name: Web sites
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
			bad + ":1:1: page.zone is required (an IANA zone such as America/Los_Angeles, or UTC)\n" +
				bad + ":9:13: monitor flexo/web/tcp: address HOST:PORT is required for tcp monitors\n" +
				bad + ":10:13: monitor flexo/web/tcp: url does not apply to tcp monitors\n",
			"herald check-config: 3 problem(s) in " + bad + "\n", false},
		{"accent adjusted", []string{"check-config", faint}, 0,
			faint + ":4:3: warning: page.accent #ffcc00 has 1.3:1 against the light scheme's backgrounds, below 4.5:1: the light scheme uses #866a00 instead (4.5:1)\n" +
				faint + ": ok (1 groups, 1 components, 0 monitors)\n", "", false},
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
	Parallel(t)
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

// everyKind has twelve problems of different kinds: unknown keys, a value of
// the wrong type, a bad duration, a bad zone, a bad choice, duplicate ids,
// a bad port, a timeout over its interval, a bad channel type, and two that
// only building the probes finds (a heartbeat token missing from the
// environment, a DNS expectation that is no address). Before, a file with
// a decoding problem reported that alone, and the probes' problems only
// came up when serve started.
const everyKind = `page:
  title: Example Hosting Status
  zone: Mars/Olympus_Mons
  colour: blue
incidents:
  auto: sometimes
groups:
  - id: flexo
    components:
      - id: web
        name: Web sites
        monitors:
          - type: http
            url: http://127.0.0.1:18081/
            intervall: 30s
            down_after: two
          - type: tcp
            address: 127.0.0.1:99999
            timeout: soon
          - type: heartbeat
            period: 5m
            token_env: HERALD_TEST_TOKEN_NOBODY_SET
          - type: dns
            address: 127.0.0.1:53
            query: example.net
            expect: [not-an-address]
      - id: web
        name: Web again
  - id: flexo
    components:
      - id: mail
        name: E-mail
        monitors:
          - type: smtp
            address: 127.0.0.1:25
            interval: 5s
channels:
  - name: ops
    type: pager
`

var everyKindProblems = []string{
	`:3:3: page.zone "Mars/Olympus_Mons" is not a known time zone (want an IANA name such as America/Los_Angeles)`,
	`:4:3: unknown key "colour" in page; remove it or use one of title, url, zone, description, logo, accent, accent_dark, accent_contrast, favicon, footer, css, language, front_bars`,
	`:6:3: incidents.auto "sometimes" must be one of publish, draft, off`,
	`:15:13: unknown key "intervall" in a monitor (did you mean "interval"?)`,
	`:16:25: down_after: want a whole number, got text "two"`,
	`:18:13: monitor flexo/web/tcp: address "127.0.0.1:99999" must have a port from 1 to 65535`,
	`:19:22: "soon" is not a duration; write it like 30s, 5m or 1h30m`,
	`:20:13: monitor flexo/web/heartbeat: environment variable HERALD_TEST_TOKEN_NOBODY_SET (token_env) is not set; it must hold the heartbeat token`,
	`:23:13: monitor flexo/web/dns: expect "not-an-address" is not an IPv4 address`,
	`:27:9: component id "web" is used twice in group flexo (first on line 10)`,
	`:29:5: group id "flexo" is used twice (first on line 8)`,
	`:34:13: monitor flexo/mail/smtp: timeout (the default 10s) must be less than interval (5s)`,
	`:39:5: channel ops: type "pager" is not one of email, webhook, slack, discord, teams, telegram, ntfy, gotify, matrix, pagerduty`,
}

// TestCheckConfigListsEveryProblem: check-config reports every problem in
// one run, each with its line and column, and serve refuses the file with
// the very same list.
func TestCheckConfigListsEveryProblem(t *testing.T) {
	Parallel(t)
	file := filepath.Join(t.TempDir(), "every.yaml")
	if err := os.WriteFile(file, []byte(everyKind), 0o644); err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for _, p := range everyKindProblems {
		want.WriteString(file + p + "\n")
	}
	run := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		env := &Env{Stdin: &bytes.Buffer{}, Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
		return RunEnv(context.Background(), env, args), stdout.String(), stderr.String()
	}
	code, out, errs := run("check-config", file)
	if code != 1 || out != want.String() {
		t.Errorf("check-config: exit %d, stdout:\n%s\nwant:\n%s", code, out, want.String())
	}
	if w := fmt.Sprintf("herald check-config: %d problem(s) in %s\n", len(everyKindProblems), file); errs != w {
		t.Errorf("check-config stderr %q, want %q", errs, w)
	}

	dir := t.TempDir()
	code, _, errs = run("serve", "--config", file, "--data", dir, "--listen", "127.0.0.1:0")
	if w := "herald serve: configuration not valid:\n" + want.String(); code != 1 || errs != w {
		t.Errorf("serve: exit %d, stderr:\n%s\nwant:\n%s", code, errs, w)
	}
	if _, err := os.Stat(filepath.Join(dir, "herald.db")); !os.IsNotExist(err) {
		t.Errorf("serve made a database for a configuration it refused (stat: %v)", err)
	}
}

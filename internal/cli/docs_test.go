package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/buildinfo"
)

func runOut(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := &Env{Stdin: &bytes.Buffer{}, Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
	return RunEnv(context.Background(), env, args), stdout.String(), stderr.String()
}

// needShell finds a shell the completion tests run; CI installs them
// (HERALD_REQUIRE_SHELLS=1), so there a missing one fails the run.
func needShell(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("HERALD_REQUIRE_SHELLS") == "1" {
			t.Fatalf("HERALD_REQUIRE_SHELLS=1 but %s is missing (apt-get install %s)", name, name)
		}
		t.Skipf("%s is not installed", name)
	}
	return p
}

// Every command that runs hands its flags to describeCommands when asked
// with -h, so reading the flags never runs a command; and the tree has
// every command of the table, groups included.
func TestDescribeReachesEveryCommand(t *testing.T) {
	Parallel(t)
	docs := describeCommands(context.Background(), commands(), nil)
	var leaves, groups int
	walk(docs, func(d cmdDoc) {
		if d.subs != nil {
			groups++
			return
		}
		leaves++
		if d.usage == "" {
			t.Errorf("herald %s: -h did not reach newFlags; describing it would run it", strings.Join(d.path, " "))
		}
		if !strings.HasPrefix(d.usage, strings.Join(d.path, " ")) {
			t.Errorf("herald %s: usage line %q does not start with the command", strings.Join(d.path, " "), d.usage)
		}
	})
	wantLeaves, wantGroups := 0, 0
	for _, c := range commands() {
		if c.subs == nil {
			wantLeaves++
			continue
		}
		wantGroups++
		wantLeaves += len(c.subs)
	}
	if leaves != wantLeaves || groups != wantGroups {
		t.Errorf("described %d commands and %d groups, the table has %d and %d", leaves, groups, wantLeaves, wantGroups)
	}
	// A flag the serve command parses is found, with its placeholder and default.
	serve := docs[slices.IndexFunc(docs, func(d cmdDoc) bool { return d.path[0] == "serve" })]
	i := slices.IndexFunc(serve.flags, func(f flagDoc) bool { return f.name == "listen" })
	if i < 0 || serve.flags[i].def != "127.0.0.1:8080" || serve.flags[i].arg == "" {
		t.Errorf("serve's --listen described as %+v", serve.flags)
	}
}

func generated(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := runOut(t, args...)
	if code != 0 || out == "" {
		t.Fatalf("herald %s: exit %d, stderr %s", strings.Join(args, " "), code, errs)
	}
	return out
}

// The bash completion, run in bash, offers under each group exactly its
// subcommands and for each command exactly its flags.
func TestBashCompletion(t *testing.T) {
	Parallel(t)
	bash := needShell(t, "bash")
	script := filepath.Join(t.TempDir(), "herald.bash")
	if err := os.WriteFile(script, []byte(generated(t, "completion", "bash")), 0o644); err != nil {
		t.Fatal(err)
	}
	docs := describeCommands(context.Background(), commands(), nil)
	var drive strings.Builder
	fmt.Fprintf(&drive, "source %s\n", sq(script))
	type want struct{ path, words string }
	var wants []want
	ask := func(path []string, cur, words string) {
		w := append(append([]string{"herald"}, path...), cur)
		fmt.Fprintf(&drive, "COMP_WORDS=(")
		for _, x := range w {
			fmt.Fprintf(&drive, "%s ", sq(x))
		}
		fmt.Fprintf(&drive, "); COMP_CWORD=%d; COMPREPLY=(); _herald; echo \"${COMPREPLY[*]}\"\n", len(w)-1)
		wants = append(wants, want{strings.Join(path, " ") + " " + cur, words})
	}
	ask(nil, "", subNames(docs))
	walk(docs, func(d cmdDoc) {
		if d.subs != nil {
			ask(d.path, "", subNames(d.subs))
			return
		}
		ask(d.path, "--", flagNames(d))
		// A flag's value between the command and the word is skipped.
		ask(append(slices.Clone(d.path), "--data", "x"), "--", flagNames(d))
	})
	out, err := exec.Command(bash, "--norc", "-c", drive.String()).CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(got) != len(wants) {
		t.Fatalf("bash printed %d lines for %d questions:\n%s", len(got), len(wants), out)
	}
	for i, w := range wants {
		if got[i] != w.words {
			t.Errorf("herald %s<TAB>: %q, want %q", w.path, got[i], w.words)
		}
	}
}

// fish, asked to complete, offers each group's subcommands and each
// command's flags.
func TestFishCompletion(t *testing.T) {
	Parallel(t)
	fish := needShell(t, "fish")
	script := filepath.Join(t.TempDir(), "herald.fish")
	if err := os.WriteFile(script, []byte(generated(t, "completion", "fish")), 0o644); err != nil {
		t.Fatal(err)
	}
	docs := describeCommands(context.Background(), commands(), nil)
	complete := func(line string) []string {
		t.Helper()
		cmd := exec.Command(fish, "--no-config", "-c", "source "+sq(script)+"; complete -C "+sq(line))
		cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("fish: %v\n%s", err, out)
		}
		var words []string
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if w, _, _ := strings.Cut(l, "\t"); w != "" {
				words = append(words, w)
			}
		}
		slices.Sort(words)
		return words
	}
	check := func(line string, want []string) {
		t.Helper()
		slices.Sort(want)
		if got := complete(line); !slices.Equal(got, want) {
			t.Errorf("fish %q: %v, want %v", line, got, want)
		}
	}
	check("herald ", strings.Fields(subNames(docs)))
	walk(docs, func(d cmdDoc) {
		line := "herald " + strings.Join(d.path, " ") + " "
		if d.subs != nil {
			check(line, strings.Fields(subNames(d.subs)))
		} else if len(d.flags) > 0 {
			check(line+"--", strings.Fields(flagNames(d)))
		}
	})
}

// zsh parses the script, and it names every command and flag.
func TestZshCompletion(t *testing.T) {
	Parallel(t)
	zsh := needShell(t, "zsh")
	text := generated(t, "completion", "zsh")
	script := filepath.Join(t.TempDir(), "_herald")
	if err := os.WriteFile(script, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(zsh, "-n", script).CombinedOutput(); err != nil {
		t.Fatalf("zsh -n: %v\n%s", err, out)
	}
	walk(describeCommands(context.Background(), commands(), nil), func(d cmdDoc) {
		if !strings.Contains(text, "(/"+strings.Join(d.path, "/")+")") {
			t.Errorf("zsh completion lacks herald %s", strings.Join(d.path, " "))
		}
		for _, f := range d.flags {
			if !strings.Contains(text, "'--"+f.name+":") {
				t.Errorf("zsh completion lacks herald %s --%s", strings.Join(d.path, " "), f.name)
			}
		}
	})
}

func TestCompletionRefusesUnknownShell(t *testing.T) {
	Parallel(t)
	for _, args := range [][]string{{"completion"}, {"completion", "tcsh"}, {"completion", "bash", "zsh"}} {
		if code, out, errs := runOut(t, args...); code != 2 || out != "" || !strings.Contains(errs, "bash, zsh or fish") {
			t.Errorf("herald %v: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
}

// The man page has a section for every command with each of its flags,
// and groff reads it without a warning.
func TestManPage(t *testing.T) {
	Parallel(t)
	page := generated(t, "man")
	walk(describeCommands(context.Background(), commands(), nil), func(d cmdDoc) {
		if d.subs != nil {
			return
		}
		name := strings.Join(d.path, " ")
		head := ".SS " + roff("herald "+name) + "\n"
		i := strings.Index(page, head)
		if i < 0 {
			t.Errorf("the man page lacks herald %s", name)
			return
		}
		section, _, _ := strings.Cut(page[i+len(head):], ".SS ")
		for _, f := range d.flags {
			if !strings.Contains(section, `\fB\-\-`+roff(f.name)+`\fR`) {
				t.Errorf("the man page's herald %s lacks --%s", name, f.name)
			}
		}
	})
	groff, err := exec.LookPath("groff")
	if err != nil {
		t.Fatal("groff is missing (it comes with man-db)")
	}
	cmd := exec.Command(groff, "-man", "-Tutf8", "-ww", "-z")
	cmd.Stdin = strings.NewReader(page)
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("groff: %v\n%s", err, out)
	}
}

func TestVersionCommand(t *testing.T) {
	Parallel(t)
	code, out, _ := runOut(t, "version")
	if want := buildinfo.Read().String() + "\n"; code != 0 || out != want {
		t.Errorf("herald version: exit %d, %q, want %q", code, out, want)
	}
	code, out, _ = runOut(t, "version", "--json")
	var got buildinfo.Info
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil || got != buildinfo.Read() {
		t.Errorf("herald version --json: exit %d, %v, %s", code, err, out)
	}
}

func TestHealthCommand(t *testing.T) {
	Parallel(t)
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	if code, out, errs := runOut(t, "health", "--url", srv.URL+"/healthz"); code != 0 || !strings.Contains(out, "200 OK") {
		t.Errorf("healthy server: exit %d, %q %q", code, out, errs)
	}
	status = http.StatusServiceUnavailable
	if code, _, errs := runOut(t, "health", "--url", srv.URL+"/healthz"); code != 1 || !strings.Contains(errs, "503") {
		t.Errorf("unhealthy server: exit %d, %q", code, errs)
	}
	// Nothing listening: a port just closed.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	if code, _, errs := runOut(t, "health", "--url", "http://"+addr+"/healthz"); code != 1 || !strings.Contains(errs, "not healthy") {
		t.Errorf("no server: exit %d, %q", code, errs)
	}
	if code, _, _ := runOut(t, "health", "--timeout", "0s"); code != 2 {
		t.Errorf("--timeout 0s: exit %d, want 2", code)
	}
}

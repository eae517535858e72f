package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/store"
)

// A running server holds its data folder's lock; restore refuses to swap
// the database under it, and goes ahead once it has stopped.
func TestRestoreRefusedWhileServing(t *testing.T) {
	Parallel(t)
	cfgPath, err := filepath.Abs("../../examples/hosting.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	run := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
		code := RunEnv(context.Background(), env, args)
		return code, out.String() + errb.String()
	}
	if code, out := run("migrate", "--data", dir); code != 0 {
		t.Fatal(out)
	}
	file := filepath.Join(t.TempDir(), "b.db")
	if code, out := run("backup", "--data", dir, "--out", file); code != 0 {
		t.Fatal(out)
	}

	addrc := make(chan string, 1)
	o := serveOptions{configPath: cfgPath, dsn: store.DSN{DataDir: dir}, listen: "127.0.0.1:0",
		started: func(addr string) { addrc <- addr }}
	logs := &syncBuffer{}
	env := &Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: logs, Getenv: os.Getenv}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	served := make(chan error, 1)
	go func() { served <- serve(ctx, env, o) }()
	select {
	case <-addrc:
	case err := <-served:
		t.Fatalf("serve returned before listening: %v\n%s", err, logs)
	}

	code, out := run("restore", "--from", file, "--data", dir, "--force")
	if want := "a Herald is running on " + dir + " (it holds herald.lock); stop it before restoring"; code != 1 || !strings.Contains(out, want) {
		t.Errorf("restore under a running server: exit %d, %q; want 1 and %q", code, out, want)
	}
	if kept, _ := filepath.Glob(filepath.Join(dir, "herald-replaced-*")); len(kept) > 0 {
		t.Errorf("the refused restore moved files: %v", kept)
	}

	stop()
	if err := <-served; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if code, out := run("restore", "--from", file, "--data", dir, "--force"); code != 0 {
		t.Errorf("restore after the server stopped: exit %d, %q", code, out)
	}
}

// serve creates the database when there is none, and says so: the line an
// operator finds when a serve pointed at the wrong folder starts empty.
func TestServeLogsANewDatabase(t *testing.T) {
	Parallel(t)
	cfgPath, err := filepath.Abs("../../examples/hosting.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, existing := range []bool{false, true} {
		dir := t.TempDir()
		if existing {
			var out bytes.Buffer
			env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
			if code := RunEnv(context.Background(), env, []string{"migrate", "--data", dir}); code != 0 {
				t.Fatal(out.String())
			}
		}
		addrc := make(chan string, 1)
		o := serveOptions{configPath: cfgPath, dsn: store.DSN{DataDir: dir}, listen: "127.0.0.1:0",
			started: func(addr string) { addrc <- addr }}
		logs := &syncBuffer{}
		env := &Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: logs, Getenv: os.Getenv}
		ctx, stop := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- serve(ctx, env, o) }()
		select {
		case <-addrc:
		case err := <-served:
			t.Fatalf("serve returned before listening: %v\n%s", err, logs)
		}
		stop()
		if err := <-served; err != nil {
			t.Fatal(err)
		}
		want := `msg="created a new, empty SQLite database" path=` + filepath.Join(dir, "herald.db")
		if got := strings.Contains(logs.String(), want); got == existing {
			t.Errorf("database existed before: %v; log has %q: %v\n%s", existing, want, got, logs)
		}
	}
}

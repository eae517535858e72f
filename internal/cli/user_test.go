package cli_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/heraldhq/herald/internal/auth"
	"github.com/heraldhq/herald/internal/cli"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

func runIn(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &cli.Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	code := cli.RunEnv(context.Background(), env, args)
	return code, out.String(), errb.String()
}

func TestUserCommands(t *testing.T) {
	cli.Parallel(t)
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		dbArgs := []string{"--data", b.DataDir}
		if b.URL != "" {
			dbArgs = []string{"--db", b.URL}
		}
		run := func(stdin string, args ...string) (int, string, string) {
			t.Helper()
			return runIn(t, stdin, append(args, dbArgs...)...)
		}
		code, out, errs := run("night shift password\n", "user", "add", "--role", "admin", "--password-stdin", "alice")
		if code != 0 || !strings.Contains(out, "added admin user alice") {
			t.Fatalf("user add: %d %q %q", code, out, errs)
		}
		for _, c := range []struct {
			stdin string
			args  []string
			code  int
			msg   string
		}{
			{"other password 1\n", []string{"user", "add", "--role", "viewer", "--password-stdin", "alice"}, 1, "user alice already exists"},
			{"other password 1\n", []string{"user", "add", "--role", "root", "--password-stdin", "bob"}, 2, "--role must be admin, editor or viewer"},
			{"", []string{"user", "add", "--role", "viewer", "--password-stdin", "bob"}, 2, "no password on stdin"},
			{"short\n", []string{"user", "add", "--role", "viewer", "--password-stdin", "bob"}, 1, "password is too short"},
			{"other password 1\n", []string{"user", "add", "--role", "viewer", "--password-stdin", "Bob"}, 2, "lower-case letters"},
			{"", []string{"user", "add", "--role", "viewer"}, 2, "give one user name"},
			{"", []string{"user", "disable", "alice"}, 1, "alice is the last admin"},
			{"", []string{"user", "disable", "nobody"}, 1, "no user nobody"},
			{"", []string{"user", "frobnicate"}, 2, "unknown subcommand"},
		} {
			code, out, errs := run(c.stdin, c.args...)
			if code != c.code || !strings.Contains(errs, c.msg) {
				t.Errorf("%v: exit %d, stderr %q (stdout %q); want %d and %q", c.args, code, errs, out, c.code, c.msg)
			}
		}

		// Without --password-stdin a random password is made and printed once.
		code, out, errs = run("", "user", "add", "--role", "editor", "erin")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if code != 0 || len(lines) != 2 || len(lines[1]) < 20 || !strings.Contains(errs, "shown only this once") {
			t.Fatalf("user add without a password: %d %q %q", code, out, errs)
		}
		erinPW := lines[1]

		// The passwords work for signing in, through the same store.
		st := b.Store
		m := auth.New(st, nil, nil, auth.Options{})
		if _, _, err := m.Login(t.Context(), "alice", "night shift password", "127.0.0.1", "test"); err != nil {
			t.Errorf("alice cannot sign in: %v", err)
		}
		if _, _, err := m.Login(t.Context(), "erin", erinPW, "127.0.0.1", "test"); err != nil {
			t.Errorf("erin cannot sign in with the printed password: %v", err)
		}

		if code, out, errs := run("erin new password\n", "user", "passwd", "--password-stdin", "erin"); code != 0 || !strings.Contains(out, "password of erin changed") {
			t.Errorf("passwd: %d %q %q", code, out, errs)
		}
		if _, _, err := m.Login(t.Context(), "erin", "erin new password", "127.0.0.1", "test"); err != nil {
			t.Errorf("erin's new password: %v", err)
		}
		if code, out, _ := run("", "user", "disable", "erin"); code != 0 || out != "erin disabled and signed out everywhere\n" {
			t.Errorf("disable: %d %q", code, out)
		}
		code, out, _ = run("", "user", "list")
		if code != 0 || !strings.Contains(out, "alice") || !strings.Contains(out, "admin") || !strings.Contains(out, "disabled") ||
			strings.Contains(out, "argon2") {
			t.Errorf("list: %d\n%s", code, out)
		}
		if code, out, _ := run("", "user", "enable", "erin"); code != 0 || out != "erin may sign in again\n" {
			t.Errorf("enable: %d %q", code, out)
		}

		// totp-reset: for a lost phone, the password alone signs in again.
		if code, _, errs := run("", "user", "totp-reset", "erin"); code != 1 || !strings.Contains(errs, "erin has no second factor") {
			t.Errorf("totp-reset without one: %d %q", code, errs)
		}
		key, err := auth.NewTOTPKey("Herald", "erin")
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		totpCode, err := totp.GenerateCodeCustom(key.Secret(), now, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.EnableTOTP(t.Context(), "user:erin", "erin", key.Secret(), totpCode); err != nil {
			t.Fatal(err)
		}
		if _, _, err := m.Login(t.Context(), "erin", "erin new password", "127.0.0.1", "test"); !errors.As(err, new(*auth.SecondFactorError)) {
			t.Fatalf("erin with a second factor: %v, want a code asked for", err)
		}
		if code, out, _ := run("", "user", "list"); code != 0 || !strings.Contains(out, "password+totp") {
			t.Errorf("list does not show erin's second factor: %d\n%s", code, out)
		}
		if code, out, _ := run("", "user", "totp-reset", "erin"); code != 0 || !strings.Contains(out, "erin signs in with the password alone") {
			t.Errorf("totp-reset: %d %q", code, out)
		}
		if _, _, err := m.Login(t.Context(), "erin", "erin new password", "127.0.0.1", "test"); err != nil {
			t.Errorf("erin after totp-reset: %v", err)
		}

		changes, err := st.Changes(t.Context(), "", 0)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, c := range changes {
			if c.Actor == "cli" && strings.HasPrefix(c.Action, "user.") {
				n++
			}
		}
		if n != 6 { // two adds, passwd, disable, enable, totp-reset
			t.Errorf("%d user changes by cli in the change log, want 6", n)
		}
		_ = store.ErrNotFound
	})
}

// TestUserAddThenSignIn runs the binary as scripts do: the documented
// `herald user add` with the password on stdin, then a browser-like sign-in.
func TestUserAddThenSignIn(t *testing.T) {
	cli.Parallel(t)
	bin := herald(t)
	dir := t.TempDir()
	// user add never creates the database; migrate (or a first serve) does.
	migrate := exec.Command(bin, "migrate", "--data", dir)
	migrate.Env = baseEnv()
	if out, err := migrate.CombinedOutput(); err != nil {
		t.Fatalf("herald migrate: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "user", "add", "--data", dir, "--role", "admin", "--password-stdin", "oncall")
	cmd.Env = baseEnv()
	cmd.Stdin = strings.NewReader("correct horse battery\n")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("herald user add: %v\n%s", err, out.String())
	}
	cfg := filepath.Join(dir, "herald.yaml")
	writeFile(t, cfg, hostingYAML(t))
	s := startServer(t, "--config", cfg, "--data", dir)

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(s.url + "/admin")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/admin/login" {
		t.Fatalf("/admin without a session: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	res, err = c.PostForm(s.url+"/admin/login", url.Values{"username": {"oncall"}, "password": {"correct horse battery"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin" {
		t.Fatalf("sign in: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	res, err = c.Get(s.url + "/admin")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "Signed in as <strong>oncall</strong>") {
		t.Fatalf("dashboard: %d\n%s", res.StatusCode, body)
	}
	// serve hands the admin the running monitors and the stored subscribers.
	for _, page := range []struct{ path, want, not string }{
		{"/admin/monitors", "<h2 id=\"h-mon\">Monitors", "Monitoring is not configured"},
		{"/admin/subscribers", "Per server and service", "Subscriptions are not configured"},
	} {
		res, err := c.Get(s.url + page.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), page.want) || strings.Contains(string(body), page.not) {
			t.Errorf("%s: %d\n%s", page.path, res.StatusCode, body)
		}
	}
	_ = os.Remove
}

package cli_test

// End-to-end tests: they build the real herald binary once and run it as a
// subprocess, the way operators and their scripts do, through the command
// forms that scripts outside the repository rely on.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, to tamper with the schema version

	"github.com/heraldhq/herald/internal/cli"
	"github.com/heraldhq/herald/internal/store/storetest"
	"github.com/heraldhq/herald/internal/syncbuf"
)

// The binary is built on first use, in a folder TestMain removes at the end.
var (
	buildOnce sync.Once
	buildDir  string
	heraldBin string
	moduleDir string
	buildErr  error
)

func TestMain(m *testing.M) {
	flag.Parse()
	cli.SetUpParallel()
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// herald returns the path of the freshly built binary.
func herald(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	buildOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			buildErr = fmt.Errorf("the go tool is not on PATH: %w", err)
			return
		}
		out, err := exec.Command(goTool, "env", "GOMOD").Output()
		if err != nil {
			buildErr = fmt.Errorf("go env GOMOD: %w", err)
			return
		}
		gomod := strings.TrimSpace(string(out))
		if gomod == "" || gomod == os.DevNull {
			buildErr = errors.New("go env GOMOD names no go.mod")
			return
		}
		moduleDir = filepath.Dir(gomod)
		if buildDir, err = os.MkdirTemp("", "herald-e2e-"); err != nil {
			buildErr = err
			return
		}
		heraldBin = filepath.Join(buildDir, "herald")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, goTool, "build", "-o", heraldBin, "./cmd/herald")
		cmd.Dir = moduleDir
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/herald: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return heraldBin
}

// hostingYAML is the example configuration that ships with Herald.
func hostingYAML(t *testing.T) []byte {
	t.Helper()
	herald(t)
	b, err := os.ReadFile(filepath.Join(moduleDir, "examples", "hosting.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// baseEnv is this process's environment without any HERALD_ variable, so a
// developer's own settings cannot leak into a test.
func baseEnv() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "HERALD_") })
}

// result is one finished CLI run.
type result struct {
	stdout, stderr string
	code           int
}

// lastLine is the output's last non-empty line.
func (r result) lastLine() string {
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// runHerald runs the binary once with extra environment variables and a timeout.
func runHerald(t *testing.T, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, herald(t), args...)
	cmd.Env = append(baseEnv(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("herald %s did not finish in 30 s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.stdout, r.stderr)
	case errors.As(err, &exitErr):
		r.code = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("herald %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// mustRun runs the binary and fails the test unless it exits 0.
func mustRun(t *testing.T, env []string, args ...string) result {
	t.Helper()
	r := runHerald(t, env, args...)
	if r.code != 0 {
		t.Fatalf("herald %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// createToken runs `herald token create` and returns the token from the
// last line. It runs `herald migrate` first, as an operator must before the
// first serve: token never creates a database.
func createToken(t *testing.T, scope string, storeArgs ...string) string {
	t.Helper()
	mustRun(t, nil, append([]string{"migrate"}, storeArgs...)...)
	r := mustRun(t, nil, append([]string{"token", "create", "--scope", scope}, storeArgs...)...)
	tok := r.lastLine()
	if !strings.HasPrefix(tok, "hrld_") || strings.ContainsAny(tok, " \t") {
		t.Fatalf("token create: last line %q is not a token alone\nstdout:\n%s", tok, r.stdout)
	}
	return tok
}

// handedOut are the ports freeAddr has returned in this test binary: once
// its listener is closed the kernel may give the same port to the next
// caller, and two servers started together would then share one.
var handedOut struct {
	sync.Mutex
	ports map[string]bool
}

// freeAddr picks a free loopback port, never the same one twice in a run.
// The port is free when picked, not held: what binds it must still expect
// "address already in use" from another process (tryStart does).
func freeAddr(t *testing.T) string {
	t.Helper()
	handedOut.Lock()
	defer handedOut.Unlock()
	if handedOut.ports == nil {
		handedOut.ports = map[string]bool{}
	}
	for {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		if !handedOut.ports[addr] {
			handedOut.ports[addr] = true
			return addr
		}
	}
}

// syncBuffer is a buffer the server's output goroutines and the test share.
type syncBuffer = syncbuf.Buffer

// server is a running `herald serve`.
type server struct {
	cmd    *exec.Cmd
	url    string
	log    *syncBuffer // stdout and stderr
	done   chan struct{}
	code   int // exit code, once done is closed
	cancel context.CancelFunc

	stopOnce sync.Once
	stopCode int
}

var httpClient = &http.Client{Timeout: 5 * time.Second}

// startServer runs `herald serve ARGS --listen 127.0.0.1:PORT` and waits for
// /healthz; t.Cleanup stops it with SIGTERM and checks it exits 0.
func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	return startServerEnv(t, nil, args...)
}

// startServerEnv is startServer with extra environment variables (NAME=value).
func startServerEnv(t *testing.T, env []string, args ...string) *server {
	t.Helper()
	s, err := tryStart(t, args, env...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if code := s.stop(t); code != 0 {
			t.Errorf("herald serve exited %d on SIGTERM; its log:\n%s", code, s.log.String())
		}
	})
	return s
}

// tryStart starts `herald serve` on a free port. The port is free when
// picked but not held, so a server another test started some other way (or
// any other process) may take it first; the server then exits on "address
// already in use" and tryStart tries a new port.
func tryStart(t *testing.T, args []string, env ...string) (*server, error) {
	for attempt := 1; ; attempt++ {
		s, err := tryStartAt(t, freeAddr(t), args, env...)
		if err != nil && attempt < 5 && strings.Contains(err.Error(), "address already in use") {
			continue
		}
		return s, err
	}
}

// listeningLine is what `herald serve` logs once its sockets are open; until
// its log says so, an answer on its address is some other process's.
const listeningLine = "listening; answering once ready"

// tryStartAt is tryStart on a given address (a restart where clients expect it).
func tryStartAt(t *testing.T, addr string, args []string, env ...string) (*server, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := exec.CommandContext(ctx, herald(t), append(append([]string{"serve"}, args...), "--listen", addr)...)
	cmd.Env = append(baseEnv(), env...)
	s := &server{cmd: cmd, url: "http://" + addr, log: &syncBuffer{}, done: make(chan struct{}), cancel: cancel}
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, err
	}
	go func() {
		err := cmd.Wait()
		var exitErr *exec.ExitError
		switch {
		case errors.As(err, &exitErr):
			s.code = exitErr.ExitCode()
		case err != nil:
			s.code = -1
		}
		close(s.done)
	}()
	// A readiness wait, not a timing assertion: a loaded machine may take a
	// while (three instances migrating one database beside CPU-bound work
	// took more than 15 s).
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-s.done:
			cancel()
			return nil, fmt.Errorf("herald serve exited %d before answering /healthz; its log:\n%s", s.code, s.log.String())
		default:
		}
		if strings.Contains(s.log.String(), listeningLine) {
			if resp, err := httpClient.Get(s.url + "/healthz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return s, nil
				}
			}
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-s.done
			cancel()
			return nil, fmt.Errorf("herald serve did not answer /healthz within 60 s; its log:\n%s", s.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestTryStartAtAnotherProcessAnswering is the harness's own check: a
// server whose port another process holds, and answers /healthz on, is not
// taken for started (CI once saw the second of three instances given the
// first's port, its /healthz answered by the first).
func TestTryStartAtAnotherProcessAnswering(t *testing.T) {
	cli.Parallel(t)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok"))
	}))
	defer other.Close()
	config := filepath.Join(t.TempDir(), "herald.yaml")
	writeFile(t, config, hostingYAML(t))
	s, err := tryStartAt(t, other.Listener.Addr().String(), []string{"--config", config, "--data", t.TempDir()})
	if err == nil {
		s.stop(t)
		t.Fatalf("tryStartAt on a port another process answers on reported a started server")
	}
	if !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("the error does not say the port is taken: %v", err)
	}
}

// stop sends SIGTERM and returns the exit code; it kills the server and
// fails the test if it takes more than 20 s. Calling it again is harmless.
func (s *server) stop(t *testing.T) int {
	t.Helper()
	s.stopOnce.Do(func() {
		defer s.cancel()
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
			s.stopCode = s.code
		case <-time.After(20 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
			t.Errorf("herald serve did not stop within 20 s of SIGTERM; its log:\n%s", s.log.String())
			s.stopCode = -1
		}
	})
	return s.stopCode
}

// waitLog polls the server's log until it contains want.
func (s *server) waitLog(t *testing.T, want string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !strings.Contains(s.log.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("the server's log never mentioned %q; it reads:\n%s", want, s.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// api sends one request to the server with a bearer token (none when empty).
func api(t *testing.T, method, url, token, body string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", method, url, err)
	}
	return resp.StatusCode, b
}

// getJSON GETs an admin API path and decodes a 200 answer into v.
func getJSON(t *testing.T, s *server, token, path string, v any) {
	t.Helper()
	code, body := api(t, http.MethodGet, s.url+path, token, "")
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, code, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v in %s", path, err, body)
	}
}

// The admin API's objects, as much of them as the tests read (docs/api.md).
type (
	apiIncident struct {
		ID           int64   `json:"id"`
		Title        string  `json:"title"`
		Impact       string  `json:"impact"`
		Status       string  `json:"status"`
		IdentifiedAt *string `json:"identified_at"`
		ResolvedAt   *string `json:"resolved_at"`
		Postmortem   string  `json:"postmortem"`
		Components   []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"components"`
		Updates []struct {
			Status string `json:"status"`
			Body   string `json:"body"`
		} `json:"updates"`
	}
	apiMaintenance struct {
		ID             int64   `json:"id"`
		Status         string  `json:"status"`
		ScheduledFor   string  `json:"scheduled_for"`
		ScheduledUntil string  `json:"scheduled_until"`
		StartedAt      *string `json:"started_at"`
		CompletedAt    *string `json:"completed_at"`
		Sequence       int     `json:"sequence"`
		Components     []struct {
			ID string `json:"id"`
		} `json:"components"`
		Updates []struct {
			Status string `json:"status"`
			Body   string `json:"body"`
		} `json:"updates"`
	}
	apiComponent struct {
		ID      string `json:"id"`
		Status  string `json:"status"`
		Removed bool   `json:"removed"`
	}
)

func components(t *testing.T, s *server, token string) map[string]apiComponent {
	t.Helper()
	var out struct {
		Components []apiComponent `json:"components"`
	}
	getJSON(t, s, token, "/api/v1/components", &out)
	m := make(map[string]apiComponent, len(out.Components))
	for _, c := range out.Components {
		m[c.ID] = c
	}
	return m
}

func remoteEnv(s *server, token string) []string {
	return []string{"HERALD_URL=" + s.url, "HERALD_TOKEN=" + token}
}

// TestE2EOperatorStory runs an operator's day on both databases: tokens,
// an incident from open to postmortem, and a maintenance window that
// Herald's clock starts and completes by itself.
func TestE2EOperatorStory(t *testing.T) {
	cli.Parallel(t)
	herald(t)
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		operatorStory(t, []string{"--data", t.TempDir()})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		operatorStory(t, []string{"--db", storetest.PostgresURL(t)})
	})
}

func operatorStory(t *testing.T, storeArgs []string) {
	config := filepath.Join(t.TempDir(), "herald.yaml")
	// The story's window lasts three seconds: its completion need not wait
	// the 70 s the example's monitors would need to settle.
	writeFile(t, config, bytes.Replace(hostingYAML(t), []byte("\nmaintenance:\n"), []byte("\nmaintenance:\n  settle: 1s\n"), 1))

	token := createToken(t, "write", storeArgs...)
	s := startServer(t, append([]string{"--config", config}, storeArgs...)...)
	env := remoteEnv(s, token)

	// Open, update, resolve, postmortem, each checked through the API.
	r := mustRun(t, env, "incident", "open", "--title", "Web sites on flexo unreachable", "--impact", "major",
		"--component", "flexo/web=major_outage", "--status", "investigating", "--body", "We are looking into it.")
	id := r.lastLine()
	incPath := "/api/v1/incidents/" + id
	var inc apiIncident
	getJSON(t, s, token, incPath, &inc)
	if fmt.Sprint(inc.ID) != id || inc.Status != "investigating" || inc.Impact != "major" ||
		len(inc.Components) != 1 || inc.Components[0].ID != "flexo/web" || inc.Components[0].Status != "major_outage" {
		t.Fatalf("after open (id %q from the last line of %q): %+v", id, r.stdout, inc)
	}
	if c := components(t, s, token)["flexo/web"]; c.Status != "major_outage" {
		t.Errorf("flexo/web is %q during the incident, want major_outage", c.Status)
	}

	mustRun(t, env, "incident", "update", id, "--status", "identified", "--body", "Apache did not answer a graceful reload.")
	inc = apiIncident{}
	getJSON(t, s, token, incPath, &inc)
	if inc.Status != "identified" || inc.IdentifiedAt == nil || inc.ResolvedAt != nil {
		t.Fatalf("after update: %+v", inc)
	}

	mustRun(t, env, "incident", "resolve", id, "--body", "Web sites on flexo are back.")
	inc = apiIncident{}
	getJSON(t, s, token, incPath, &inc)
	if inc.Status != "resolved" || inc.ResolvedAt == nil || len(inc.Updates) == 0 || inc.Updates[0].Body != "Web sites on flexo are back." {
		t.Fatalf("after resolve: %+v", inc)
	}
	for _, c := range inc.Components {
		if c.Status != "operational" {
			t.Errorf("after resolve, %s is %q within the incident, want operational", c.ID, c.Status)
		}
	}
	if c := components(t, s, token)["flexo/web"]; c.Status != "operational" {
		t.Errorf("flexo/web is %q after the incident, want operational", c.Status)
	}

	postmortem := "## What happened\n\nThe reload hook timed out.\n"
	pmFile := filepath.Join(t.TempDir(), "postmortem.md")
	writeFile(t, pmFile, []byte(postmortem))
	mustRun(t, env, "incident", "postmortem", id, "--file", pmFile)
	inc = apiIncident{}
	getJSON(t, s, token, incPath, &inc)
	if strings.TrimSpace(inc.Postmortem) != strings.TrimSpace(postmortem) {
		t.Errorf("postmortem %q, want %q", inc.Postmortem, postmortem)
	}

	r = mustRun(t, env, "incident", "list", "--json")
	var list struct {
		Incidents []apiIncident `json:"incidents"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		t.Fatalf("incident list --json: %v in %s", err, r.stdout)
	}
	if len(list.Incidents) != 1 || fmt.Sprint(list.Incidents[0].ID) != id || list.Incidents[0].Status != "resolved" {
		t.Errorf("incident list --json: %s", r.stdout)
	}

	// A token made while the server runs works at once (SQLite: thanks to WAL).
	token2 := createToken(t, "write", storeArgs...)
	env = remoteEnv(s, token2)

	// The public page.
	resp, err := httpClient.Get(s.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(string(page), "flexo") || !strings.Contains(string(page), "Web sites") {
		t.Errorf("GET /: %d %q, want 200 text/html naming flexo and Web sites:\n%.2000s",
			resp.StatusCode, resp.Header.Get("Content-Type"), page)
	}

	// Maintenance: a window starting in 3 s (whole seconds) and lasting 3 s.
	start := time.Now().Add(3 * time.Second).Truncate(time.Second).Add(time.Second).UTC()
	r = mustRun(t, env, "maintenance", "schedule", "--title", "Kernel update", "--component", "flexo/web",
		"--component", "mom/web", "--component", "elzar/web", "--start", start.Format(time.RFC3339),
		"--duration", "3s", "--body", "The servers will be restarted.")
	mid := r.lastLine()
	mustRun(t, env, "maintenance", "update", mid, "--add-component", "zapp/web", "--body", "Also zapp")
	mPath := "/api/v1/maintenance/" + mid
	var m apiMaintenance
	getJSON(t, s, token, mPath, &m)
	var ids []string
	for _, c := range m.Components {
		ids = append(ids, c.ID)
	}
	slices.Sort(ids)
	if fmt.Sprint(m.ID) != mid || m.Sequence != 1 || !slices.Equal(ids, []string{"elzar/web", "flexo/web", "mom/web", "zapp/web"}) ||
		m.ScheduledFor != start.Format(time.RFC3339) || m.ScheduledUntil != start.Add(3*time.Second).Format(time.RFC3339) {
		t.Fatalf("after update (id %q from %q): %+v", mid, r.stdout, m)
	}
	if len(m.Updates) == 0 || m.Updates[0].Body != "Also zapp" {
		t.Errorf("the newest update is not the one posted with the edit: %+v", m.Updates)
	}

	// Only GETs from here on: Herald's clock moves the window by itself.
	seen := map[string]bool{}
	deadline := time.Now().Add(20 * time.Second)
	for m.Status != "completed" {
		if time.Now().After(deadline) {
			t.Fatalf("the window did not complete by itself within 20 s (seen %v): %+v", seen, m)
		}
		time.Sleep(50 * time.Millisecond)
		m = apiMaintenance{}
		getJSON(t, s, token, mPath, &m)
		seen[m.Status] = true
	}
	if !seen["in_progress"] {
		t.Errorf("the window was never seen in_progress (seen %v)", seen)
	}
	if m.StartedAt == nil || *m.StartedAt != m.ScheduledFor || m.CompletedAt == nil || *m.CompletedAt != m.ScheduledUntil {
		t.Errorf("started_at %v, completed_at %v; want the scheduled %s and %s",
			deref(m.StartedAt), deref(m.CompletedAt), m.ScheduledFor, m.ScheduledUntil)
	}
}

func deref(p *string) string {
	if p == nil {
		return "null"
	}
	return *p
}

// TestE2EAuthAndErrors checks the token scopes and a CLI error's exit code and message.
func TestE2EAuthAndErrors(t *testing.T) {
	cli.Parallel(t)
	data := t.TempDir()
	config := filepath.Join(t.TempDir(), "herald.yaml")
	writeFile(t, config, hostingYAML(t))
	write := createToken(t, "write", "--data", data)
	read := createToken(t, "read", "--data", data)
	s := startServer(t, "--config", config, "--data", data)

	incident := `{"title": "x", "body": "y", "components": {"flexo/web": "major_outage"}}`
	if code, body := api(t, http.MethodPost, s.url+"/api/v1/incidents", read, incident); code != http.StatusForbidden {
		t.Errorf("POST with a read token: %d %s, want 403", code, body)
	}
	if code, body := api(t, http.MethodPost, s.url+"/api/v1/incidents", "", incident); code != http.StatusUnauthorized {
		t.Errorf("POST without a token: %d %s, want 401", code, body)
	}
	if code, body := api(t, http.MethodGet, s.url+"/api/v1/incidents", "", ""); code != http.StatusUnauthorized {
		t.Errorf("GET without a token: %d %s, want 401", code, body)
	}
	if code, body := api(t, http.MethodGet, s.url+"/api/v1/incidents", read, ""); code != http.StatusOK {
		t.Errorf("GET with a read token: %d %s, want 200", code, body)
	}

	r := runHerald(t, remoteEnv(s, write), "incident", "open", "--title", "T", "--impact", "major",
		"--component", "nosuch/web=major_outage", "--status", "investigating", "--body", "TEXT")
	if r.code != 1 || !strings.Contains(r.stderr, "nosuch/web") {
		t.Errorf("incident open with an unknown component: exit %d, stderr %q; want 1 and a message naming nosuch/web", r.code, r.stderr)
	}
	r = runHerald(t, remoteEnv(s, read), "incident", "open", "--title", "T",
		"--component", "flexo/web=major_outage", "--body", "TEXT")
	if r.code != 1 || !strings.Contains(r.stderr, "403") {
		t.Errorf("incident open with a read token: exit %d, stderr %q; want 1 and the 403", r.code, r.stderr)
	}
}

// TestE2EReload reloads the configuration with SIGHUP: a bad file is
// refused and the server keeps running; a good one changes the components,
// keeping the removed ones' history; no request for /healthz, / or
// summary.json fails meanwhile.
func TestE2EReload(t *testing.T) {
	cli.Parallel(t)
	data := t.TempDir()
	config := filepath.Join(t.TempDir(), "herald.yaml")
	hosting := hostingYAML(t)
	writeFile(t, config, hosting)
	token := createToken(t, "read", "--data", data)
	s := startServer(t, "--config", config, "--data", data)

	// Health checks run beside the reloads, bounded in number.
	stopProbes := make(chan struct{})
	var probes, failures atomic.Int64
	var lastFailure atomic.Value
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				select {
				case <-stopProbes:
					return
				default:
				}
				probes.Add(1)
				resp, err := httpClient.Get(s.url + "/healthz")
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				if err != nil {
					failures.Add(1)
					lastFailure.Store(err.Error())
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
	// And the pages over kept connections, by a client that never retries
	// (restart_e2e_test.go): a reload must not cost a request either.
	pages := startStream(strings.TrimPrefix(s.url, "http://"), 2)
	defer func() {
		close(stopProbes)
		wg.Wait()
		if n := failures.Load(); n > 0 {
			t.Errorf("%d of %d /healthz requests failed during the reloads; the last: %v", n, probes.Load(), lastFailure.Load())
		}
		pages.finish(t, "during the reloads")
	}()

	// An invalid file is refused; the previous configuration keeps serving.
	writeFile(t, config, append(slices.Clip(hosting), []byte("unknown_key: 1\n")...))
	if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	s.waitLog(t, "refused", 10*time.Second)
	if !strings.Contains(s.log.String(), "unknown_key") {
		t.Errorf("the refusal does not name the bad key; the log:\n%s", s.log.String())
	}
	if code, _ := api(t, http.MethodGet, s.url+"/healthz", "", ""); code != http.StatusOK {
		t.Fatalf("/healthz answers %d after a refused reload", code)
	}
	// A file naming a metrics token variable that is not set is refused
	// too, rather than locking everyone out of /metrics.
	unset := "HERALD_TEST_METRICS_TOKEN_NEVER_SET"
	if os.Getenv(unset) != "" {
		t.Fatalf("%s is set in the test's environment", unset)
	}
	writeFile(t, config, []byte(strings.Replace(string(hosting), "server:\n", "server:\n  metrics_token_env: "+unset+"\n", 1)))
	if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(s.log.String(), unset) {
		if time.Now().After(deadline) {
			t.Fatalf("a reload naming an unset metrics token variable was not refused by name within 10 s; the log:\n%s", s.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, _ := api(t, http.MethodGet, s.url+"/metrics", "", ""); code != http.StatusOK {
		t.Errorf("/metrics from this machine answers %d after the refused reload, want 200 as before it", code)
	}

	comps := components(t, s, token)
	if len(comps) != 8 {
		t.Fatalf("after a refused reload, %d components, want the 8 of the example: %v", len(comps), comps)
	}
	for id, c := range comps {
		if c.Removed {
			t.Errorf("after a refused reload, %s is removed", id)
		}
	}

	// A valid file without zapp and with bender.
	text := string(hosting)
	zapp := strings.Index(text, "  - id: zapp\n")
	end := strings.Index(text, "\nmaintenance:")
	if zapp < 0 || end < zapp {
		t.Fatal("examples/hosting.yaml no longer has the zapp group before maintenance:")
	}
	bender := `  - id: bender
    name: bender
    components:
      - id: web
        name: Web sites
        monitors:
          - type: http
            url: http://127.0.0.1:18085/
            interval: 30s
            timeout: 10s
            down_after: 2
            up_after: 1
`
	writeFile(t, config, []byte(text[:zapp]+bender+text[end:]))
	if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		comps = components(t, s, token)
		if b, ok := comps["bender/web"]; ok && !b.Removed && comps["zapp/web"].Removed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the reload did not take effect within 10 s: %+v\nthe log:\n%s", comps, s.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, id := range []string{"zapp/web", "zapp/email"} {
		if c, ok := comps[id]; !ok || !c.Removed {
			t.Errorf("%s: %+v (listed %v), want it listed with removed: true", id, c, ok)
		}
	}
	for _, id := range []string{"flexo/web", "flexo/email", "mom/web", "mom/email", "elzar/web", "elzar/email", "bender/web"} {
		if c, ok := comps[id]; !ok || c.Removed {
			t.Errorf("%s: %+v (listed %v), want it listed and not removed", id, c, ok)
		}
	}
	s.waitLog(t, "configuration reloaded", 5*time.Second)

	// The monitors followed the reload: bender's runs, zapp's are removed.
	code, body := api(t, http.MethodGet, s.url+"/api/v1/monitors", token, "")
	var mons struct {
		Monitors []struct {
			ID      string `json:"id"`
			Removed bool   `json:"removed"`
		} `json:"monitors"`
	}
	if err := json.Unmarshal(body, &mons); code != http.StatusOK || err != nil {
		t.Fatalf("/api/v1/monitors: %d %v %s", code, err, body)
	}
	got := map[string]bool{}
	for _, m := range mons.Monitors {
		got[m.ID] = m.Removed
	}
	if removed, ok := got["bender/web/http"]; !ok || removed {
		t.Errorf("bender's monitor after the reload: listed %v, removed %v", ok, removed)
	}
	for _, id := range []string{"zapp/web/http", "zapp/email/smtp"} {
		if removed, ok := got[id]; !ok || !removed {
			t.Errorf("%s after the reload: listed %v, removed %v", id, ok, removed)
		}
	}
}

// TestE2EGracefulShutdown stops the server with SIGTERM and restarts it on the same data.
func TestE2EGracefulShutdown(t *testing.T) {
	cli.Parallel(t)
	data := t.TempDir()
	config := filepath.Join(t.TempDir(), "herald.yaml")
	writeFile(t, config, hostingYAML(t))
	token := createToken(t, "write", "--data", data)

	s := startServer(t, "--config", config, "--data", data)
	id := mustRun(t, remoteEnv(s, token), "incident", "open", "--title", "Mail delayed on mom", "--impact", "minor",
		"--component", "mom/email=degraded_performance", "--body", "Incoming mail is late.").lastLine()
	if code := s.stop(t); code != 0 {
		t.Fatalf("SIGTERM: exit %d, want 0; the log:\n%s", code, s.log.String())
	}
	stopped := false
	for line := range strings.Lines(s.log.String()) {
		stopped = stopped || strings.Contains(line, "stopped")
	}
	if !stopped {
		t.Errorf("no log line says the server stopped:\n%s", s.log.String())
	}

	s = startServer(t, "--config", config, "--data", data)
	var inc apiIncident
	getJSON(t, s, token, "/api/v1/incidents/"+id, &inc)
	if inc.Title != "Mail delayed on mom" || inc.Status != "investigating" {
		t.Errorf("after a restart: %+v", inc)
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("SIGTERM: exit %d, want 0; the log:\n%s", code, s.log.String())
	}

	r := mustRun(t, nil, "migrate", "--data", data)
	if !strings.Contains(r.stdout, "schema is up to date") {
		t.Errorf("migrate on a current database: %q", r.stdout)
	}
}

// TestE2ESchemaTooNew: a database migrated by a newer Herald is refused by serve and migrate.
func TestE2ESchemaTooNew(t *testing.T) {
	cli.Parallel(t)
	data := t.TempDir()
	config := filepath.Join(t.TempDir(), "herald.yaml")
	writeFile(t, config, hostingYAML(t))
	mustRun(t, nil, "migrate", "--data", data)

	db, err := sql.Open("sqlite", filepath.Join(data, "herald.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO goose_db_version (version_id, is_applied, tstamp)
		SELECT MAX(version_id) + 1000, true, CURRENT_TIMESTAMP FROM goose_db_version`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	r := runHerald(t, nil, "serve", "--config", config, "--data", data, "--listen", freeAddr(t))
	if r.code == 0 || !strings.Contains(r.stderr, "database schema is newer") {
		t.Errorf("serve on a newer schema: exit %d, stderr %q; want non-zero and a message that the schema is newer", r.code, r.stderr)
	}
	r = runHerald(t, nil, "migrate", "--data", data)
	if r.code == 0 || !strings.Contains(r.stderr, "database schema is newer") {
		t.Errorf("migrate on a newer schema: exit %d, stderr %q; want non-zero and a message that the schema is newer", r.code, r.stderr)
	}
}

// TestE2ECommandLine checks exit codes of the commands that need no server.
func TestE2ECommandLine(t *testing.T) {
	cli.Parallel(t)
	hosting := hostingYAML(t)
	example := filepath.Join(moduleDir, "examples", "hosting.yaml")
	if r := runHerald(t, nil, "check-config", example); r.code != 0 || !strings.Contains(r.stdout, "ok") {
		t.Errorf("check-config %s: exit %d\n%s%s", example, r.code, r.stdout, r.stderr)
	}

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	writeFile(t, bad, append(slices.Clip(hosting), []byte("unknown_key: 1\n")...))
	line := bytes.Count(hosting, []byte("\n")) + 1
	r := runHerald(t, nil, "check-config", bad)
	if want := fmt.Sprintf("%s:%d:", bad, line); r.code != 1 || !strings.Contains(r.stdout+r.stderr, want) {
		t.Errorf("check-config of a bad file: exit %d, output %q; want 1 and %q", r.code, r.stdout+r.stderr, want)
	}

	if r := runHerald(t, nil); r.code != 2 {
		t.Errorf("herald with no arguments: exit %d, want 2", r.code)
	}
	if r := runHerald(t, nil, "bogus"); r.code != 2 || !strings.Contains(r.stderr, "bogus") {
		t.Errorf("herald bogus: exit %d, stderr %q; want 2 and a message naming the command", r.code, r.stderr)
	}
}

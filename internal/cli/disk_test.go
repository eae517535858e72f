package cli_test

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the sqlite database/sql driver, for the integrity check

	"github.com/heraldhq/herald/internal/cli"
)

// smallDisk mounts a tmpfs of the test's own of size bytes and unmounts it
// when the test ends: a disk the test can fill or make read-only (root
// ignores file permissions, so chmod would prove nothing). Mounting needs
// root; without it the test is skipped, unless HERALD_REQUIRE_MOUNT=1 (as
// .ci/run sets), which fails it instead.
func smallDisk(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0755", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		why := fmt.Sprintf("cannot mount a tmpfs (%v: %s)", err, strings.TrimSpace(string(out)))
		if os.Getenv("HERALD_REQUIRE_MOUNT") == "1" {
			t.Fatalf("HERALD_REQUIRE_MOUNT=1 but %s: the disk tests need root and mount(8)", why)
		}
		t.Skip(why + "; skipping the test of a full or read-only disk")
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v\n%s", dir, err, out)
		}
	})
	return dir
}

// remount makes the test's tmpfs read-only ("ro") or writable ("rw").
func remount(t *testing.T, dir, mode string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,"+mode, dir).CombinedOutput(); err != nil {
		t.Fatalf("mount -o remount,%s %s: %v\n%s", mode, dir, err, out)
	}
}

// fill writes zeros into dir until the disk is full, and returns the file.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill the disk: %v", err)
			}
			break
		}
	}
	// The last bytes a page short of a whole chunk.
	for {
		if _, err := f.Write([]byte{0}); err != nil {
			break
		}
	}
	return path
}

// integrityOK runs SQLite's own check of the whole database file.
func integrityOK(t *testing.T, dir string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "herald.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil {
		t.Fatalf("integrity check: %v", err)
	}
	if res != "ok" {
		t.Errorf("the database is damaged: integrity_check says %q", res)
	}
}

// diskConfig is a catalog without monitors: nothing writes unless asked.
const diskConfig = `page:
  title: Example Hosting Status
  url: https://status.example.net
  zone: America/Los_Angeles
incidents:
  auto: off
groups:
  - id: flexo
    name: flexo
    components:
      - id: web
        name: Web sites
`

// seedDisk starts Herald on dir once, publishes an incident and stops it
// cleanly, so that the database is all in herald.db.
func seedDisk(t *testing.T, config, dir string) string {
	t.Helper()
	token := createToken(t, "write", "--data", dir)
	s := startServer(t, "--config", config, "--data", dir)
	code, body := api(t, http.MethodPost, s.url+"/api/v1/incidents", token,
		`{"title": "Web sites on flexo slow", "body": "Looking.", "components": {"flexo/web": "degraded_performance"}}`)
	if code != http.StatusCreated {
		t.Fatalf("an incident before the disk trouble: %d %s", code, body)
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("herald serve exited %d; its log:\n%s", code, s.log.String())
	}
	return token
}

// checkReadOnly checks a Herald on a disk in trouble: the page and the API
// read, /readyz names the reason, and every kind of write is a 503 with it.
func checkReadOnly(t *testing.T, s *server, token, reason string) {
	t.Helper()
	for _, path := range []string{"/", "/api/v2/summary.json", "/history.atom"} {
		code, body := s.get(t, path)
		if code != http.StatusOK || (path != "/history.atom" && !strings.Contains(string(body), "Web sites on flexo slow")) {
			t.Errorf("GET %s on a disk in trouble: %d %.300s", path, code, body)
		}
	}
	if code, ready := s.readyz(t); code != http.StatusOK || ready["page"] != "ok" || !strings.HasPrefix(ready["writes"], "failing: "+reason) {
		t.Errorf("/readyz on a disk in trouble: %d %v; want the writes failing because %s", code, ready, reason)
	}
	code, body := api(t, http.MethodPost, s.url+"/api/v1/incidents", token,
		`{"title": "Refused", "body": "b", "components": {"flexo/web": "major_outage"}}`)
	if code != http.StatusServiceUnavailable || !strings.Contains(string(body), reason) {
		t.Errorf("an API write on a disk in trouble: %d %s; want 503 with %q", code, body, reason)
	}
	code, page := postForm(t, s.url+"/subscribe", url.Values{"email": {"pat@example.com"}})
	if code != http.StatusServiceUnavailable || !strings.Contains(page, reason) {
		t.Errorf("a subscription on a disk in trouble: %d %.400s", code, page)
	}
	code, page = postForm(t, s.url+"/admin/login", url.Values{"username": {"erin"}, "password": {"x"}})
	if code != http.StatusServiceUnavailable || !strings.Contains(page, reason) {
		t.Errorf("a sign-in on a disk in trouble: %d %.400s", code, page)
	}
}

// On a read-only disk Herald starts, serves what it reads, refuses writes
// with the reason, and leaves the database whole; remounted writable, the
// same process takes writes again.
func TestE2EReadOnlyDisk(t *testing.T) {
	cli.Parallel(t)
	herald(t)
	dir := smallDisk(t, 8<<20)
	config := filepath.Join(t.TempDir(), "herald.yaml")
	writeFile(t, config, []byte(diskConfig))
	token := seedDisk(t, config, dir)
	remount(t, dir, "ro")
	s := startServer(t, "--config", config, "--data", dir)
	s.waitLog(t, "serving the pages read-only", 5*time.Second)
	checkReadOnly(t, s, token, "the disk holding the database is read-only")
	remount(t, dir, "rw")
	integrityOK(t, dir)
	recovers(t, s, token)
	if code := s.stop(t); code != 0 {
		t.Errorf("herald serve exited %d; its log:\n%s", code, s.log.String())
	}
	integrityOK(t, dir)
}

// On a full disk Herald starts, serves what it reads, refuses writes with
// the reason and leaves the database whole; once there is room, the same
// process takes writes again.
func TestE2EFullDisk(t *testing.T) {
	cli.Parallel(t)
	herald(t)
	dir := smallDisk(t, 8<<20)
	config := filepath.Join(t.TempDir(), "herald.yaml")
	writeFile(t, config, []byte(diskConfig))
	token := seedDisk(t, config, dir)
	filler := fill(t, dir)
	s := startServer(t, "--config", config, "--data", dir)
	s.waitLog(t, "serving the pages read-only", 5*time.Second)
	checkReadOnly(t, s, token, "the disk holding the database is full")
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	integrityOK(t, dir) // SQLite's own reader needs a little room for its shared memory
	recovers(t, s, token)
	if code := s.stop(t); code != 0 {
		t.Errorf("herald serve exited %d; its log:\n%s", code, s.log.String())
	}
	integrityOK(t, dir)
}

// recovers checks that a Herald whose disk takes writes again does too,
// without a restart: /readyz, a write through the API, the page.
func recovers(t *testing.T, s *server, token string) {
	t.Helper()
	eventually(t, "/readyz saying writes work once the disk takes them", func() (bool, string) {
		_, ready := s.readyz(t)
		return ready["writes"] == "ok", fmt.Sprint(ready)
	})
	s.waitLog(t, "the database takes writes again", 5*time.Second)
	code, body := api(t, http.MethodPost, s.url+"/api/v1/incidents", token,
		`{"title": "Written once the disk takes writes", "body": "b", "components": {"flexo/web": "major_outage"}}`)
	if code != http.StatusCreated {
		t.Fatalf("a write once the disk takes writes: %d %s\nlog:\n%s", code, body, s.log.String())
	}
	if _, page := s.get(t, "/"); !strings.Contains(string(page), "Written once the disk takes writes") {
		t.Error("the write is not on the page")
	}
}

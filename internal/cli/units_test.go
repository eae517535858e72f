package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/cli"
)

// unit is a parsed systemd unit file: section, key, values in order.
type unit map[string]map[string][]string

func (u unit) one(t *testing.T, section, key string) string {
	t.Helper()
	v := u[section][key]
	if len(v) != 1 {
		t.Fatalf("[%s] %s= is set %d times, want once", section, key, len(v))
	}
	return v[0]
}

// exampleUnit reads examples/NAME the way systemd does for what is used
// here: sections, key=value lines, comments; no continuation lines.
func exampleUnit(t *testing.T, name string) (unit, string) {
	t.Helper()
	herald(t) // finds the module folder
	path := filepath.Join(moduleDir, "examples", name)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	u := unit{}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[' && line[len(line)-1] == ']':
			section = line[1 : len(line)-1]
			u[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" || strings.HasSuffix(line, `\`) {
				t.Fatalf("%s:%d: not a key=value line in a section: %q", name, n, line)
			}
			k = strings.TrimSpace(k)
			u[section][k] = append(u[section][k], strings.TrimSpace(v))
		}
	}
	return u, string(b)
}

// serviceArgs is herald.service's ExecStart after the binary, with the
// values of --config and --data replaced by the test's.
func serviceArgs(t *testing.T, config, data string) []string {
	t.Helper()
	svc, _ := exampleUnit(t, "herald.service")
	args := strings.Fields(svc.one(t, "Service", "ExecStart"))[1:]
	for i := 0; i+1 < len(args); i++ {
		switch args[i] {
		case "--config":
			args[i+1] = config
		case "--data":
			args[i+1] = data
		}
	}
	return args
}

// TestExampleUnits checks examples/herald.service and herald.socket: what
// the README promises of them, and systemd's own verdict (systemd-analyze
// verify, with ExecStart pointed at the binary just built). Their ExecStart
// and socket run in TestE2ESocketActivation.
func TestExampleUnits(t *testing.T) {
	cli.Parallel(t)
	svc, svcText := exampleUnit(t, "herald.service")
	sock, _ := exampleUnit(t, "herald.socket")

	for key, want := range map[string]string{
		"Type":           "notify",
		"NotifyAccess":   "all", // a new process sends MAINPID= after SIGUSR2
		"ExecReload":     "/bin/kill -HUP $MAINPID",
		"StateDirectory": "herald",
		"ProtectSystem":  "strict",
		"DynamicUser":    "yes",
	} {
		if got := svc.one(t, "Service", key); got != want {
			t.Errorf("herald.service: %s=%s, want %s", key, got, want)
		}
	}
	start := strings.Fields(svc.one(t, "Service", "ExecStart"))
	if len(start) < 2 || !filepath.IsAbs(start[0]) || start[1] != "serve" {
		t.Fatalf("herald.service: ExecStart=%v, want /path/herald serve ...", start)
	}
	if i := slices.Index(start, "--data"); i < 0 || i+1 >= len(start) || start[i+1] != "/var/lib/herald" {
		t.Errorf("herald.service: ExecStart does not keep its data in StateDirectory (/var/lib/herald): %v", start)
	}
	if !strings.Contains(svcText, "systemctl kill --kill-whom=main --signal=SIGUSR2 herald") {
		t.Error("herald.service no longer says how to upgrade (systemctl kill --kill-whom=main --signal=SIGUSR2 herald)")
	}
	if got := svc["Unit"]["Requires"]; !slices.Contains(got, "herald.socket") {
		t.Errorf("herald.service: Requires=%v, want herald.socket", got)
	}

	if got := sock.one(t, "Socket", "FileDescriptorName"); got != "http" {
		t.Errorf("herald.socket: FileDescriptorName=%s, want http", got)
	}
	streams := sock["Socket"]["ListenStream"]
	if len(streams) == 0 {
		t.Fatal("herald.socket has no ListenStream=")
	}
	for _, s := range streams {
		host, _, err := net.SplitHostPort(s)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			t.Errorf("herald.socket: ListenStream=%s, want a loopback address behind a proxy", s)
		}
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("HERALD_REQUIRE_SYSTEMD") == "1" {
			t.Fatal("HERALD_REQUIRE_SYSTEMD=1 but systemd-analyze is missing (apt-get install systemd)")
		}
		t.Skip("systemd-analyze not installed; the units were checked by this test only")
	}
	dir := t.TempDir()
	for _, name := range []string{"herald.service", "herald.socket"} {
		b, err := os.ReadFile(filepath.Join(moduleDir, "examples", name))
		if err != nil {
			t.Fatal(err)
		}
		b = bytes.ReplaceAll(b, []byte(start[0]), []byte(herald(t)))
		writeFile(t, filepath.Join(dir, name), b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, analyze, "verify", "--man=no", "./herald.socket", "./herald.service")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

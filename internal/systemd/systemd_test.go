package systemd

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// passSockets opens n loopback listeners and puts copies of them at the
// descriptors from first on, as a service manager would from 3 on (the test
// process's own 3, 4, ... belong to the Go runtime).
func passSockets(t *testing.T, n, first int) []string {
	t.Helper()
	var addrs []string
	for i := range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		f, err := ln.(*net.TCPListener).File()
		if err != nil {
			t.Fatal(err)
		}
		if err := syscall.Dup3(int(f.Fd()), first+i, 0); err != nil {
			t.Fatal(err)
		}
		f.Close()
		addrs = append(addrs, ln.Addr().String())
		ln.Close()
	}
	return addrs
}

func envOf(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestSockets(t *testing.T) {
	const first = 200
	addrs := passSockets(t, 2, first)
	pid := os.Getpid()
	socks, err := sockets(envOf(map[string]string{
		"LISTEN_PID": strconv.Itoa(pid), "LISTEN_FDS": "2", "LISTEN_FDNAMES": "http:other",
	}), pid, first)
	if err != nil {
		t.Fatal(err)
	}
	if len(socks) != 2 {
		t.Fatalf("%d sockets, want 2", len(socks))
	}
	for i, s := range socks {
		if want := []string{"http", "other"}[i]; s.Name != want {
			t.Errorf("socket %d is named %q, want %q", i, s.Name, want)
		}
		flags, err := fcntl(int(s.File.Fd()))
		if err != nil {
			t.Fatal(err)
		}
		if flags&syscall.FD_CLOEXEC == 0 {
			t.Errorf("socket %d is not close-on-exec", i)
		}
		ln, err := net.FileListener(s.File)
		if err != nil {
			t.Fatalf("socket %d: %v", i, err)
		}
		s.File.Close()
		if got := ln.Addr().String(); got != addrs[i] {
			t.Errorf("socket %d listens on %s, want %s", i, got, addrs[i])
		}
		// The passed socket takes connections.
		c, err := net.Dial("tcp", addrs[i])
		if err != nil {
			t.Fatal(err)
		}
		a, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		a.Close()
		c.Close()
		ln.Close()
	}
}

func TestSocketsUnnamed(t *testing.T) {
	const first = 210
	passSockets(t, 1, first)
	pid := os.Getpid()
	socks, err := sockets(envOf(map[string]string{"LISTEN_PID": strconv.Itoa(pid), "LISTEN_FDS": "1"}), pid, first)
	if err != nil {
		t.Fatal(err)
	}
	if len(socks) != 1 || socks[0].Name != fmt.Sprintf("LISTEN_FD_%d", first) {
		t.Fatalf("sockets %+v, want one named LISTEN_FD_%d", socks, first)
	}
	socks[0].File.Close()
}

func TestSocketsNotOurs(t *testing.T) {
	pid := os.Getpid()
	for name, env := range map[string]map[string]string{
		"no LISTEN_PID":      {"LISTEN_FDS": "1"},
		"another process's":  {"LISTEN_PID": strconv.Itoa(pid + 1), "LISTEN_FDS": "1"},
		"nothing passed yet": {},
	} {
		socks, err := sockets(envOf(env), pid, 220)
		if err != nil || socks != nil {
			t.Errorf("%s: %v, %v; want no sockets and no error", name, socks, err)
		}
	}
}

func TestSocketsBadEnvironment(t *testing.T) {
	pid := strconv.Itoa(os.Getpid())
	for name, tc := range map[string]struct {
		env  map[string]string
		want string
	}{
		"bad pid":        {map[string]string{"LISTEN_PID": "x", "LISTEN_FDS": "1"}, `LISTEN_PID="x"`},
		"bad count":      {map[string]string{"LISTEN_PID": pid, "LISTEN_FDS": "two"}, `LISTEN_FDS="two"`},
		"negative count": {map[string]string{"LISTEN_PID": pid, "LISTEN_FDS": "-1"}, `LISTEN_FDS="-1"`},
		"names mismatch": {map[string]string{"LISTEN_PID": pid, "LISTEN_FDS": "2", "LISTEN_FDNAMES": "http"}, "names 1 sockets"},
	} {
		_, err := sockets(envOf(tc.env), os.Getpid(), 230)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %s", name, err, tc.want)
		}
	}
}

func fcntl(fd int) (int, error) {
	r, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(r), nil
}

func TestNotify(t *testing.T) {
	for _, abstract := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "notify")
		if abstract {
			path = "@herald-test-" + strconv.Itoa(os.Getpid())
		}
		conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
		if err != nil {
			t.Fatal(err)
		}
		if err := Notify(path, "MAINPID=42\nREADY=1"); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		buf := make([]byte, 256)
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(buf[:n]); got != "MAINPID=42\nREADY=1" {
			t.Errorf("%s: the manager got %q", path, got)
		}
		conn.Close()
	}
	if err := Notify("", "READY=1"); err != nil {
		t.Errorf("no NOTIFY_SOCKET: %v, want nothing sent and no error", err)
	}
	if err := Notify("relative", "READY=1"); err == nil {
		t.Error("a relative NOTIFY_SOCKET was accepted")
	}
	if err := Notify(filepath.Join(t.TempDir(), "nobody"), "READY=1"); err == nil {
		t.Error("a socket nobody listens on: no error")
	}
}

package cli_test

// Restarts and upgrades without a failed request: SIGUSR2 hands the
// listener to a new process from the binary on disk; a socket from the
// service manager (LISTEN_FDS) is served, handed over and notified about.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/cli"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// alive says whether the process runs: it exists and is not a zombie (a
// process that handed over is reparented, and its new parent may not reap it).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i >= 0 && i+2 < len(b) && b[i+2] != 'Z'
}

// waitUntil polls cond every 20 ms for up to limit (a readiness wait).
func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool, log func() string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s; the log:\n%s", what, limit, log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// family is a herald serve and the processes that take over from it. They
// all write to one log file (a file, not a pipe: a pipe would keep the
// first process's Wait waiting for its successors) and the pid file names
// the one serving.
type family struct {
	first     *exec.Cmd
	firstDone chan struct{}
	firstCode int
	logPath   string
	pidPath   string
}

func (f *family) log() string {
	b, _ := os.ReadFile(f.logPath)
	return string(b)
}

// pid is the serving process's pid from the pid file, 0 before there is one.
func (f *family) pid() int {
	b, err := os.ReadFile(f.pidPath)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

// startFamily starts name with args (herald, or a program that runs it) and
// stops whichever of its successors serves at the end, by the pid file.
func startFamily(t *testing.T, env []string, name string, args ...string) *family {
	t.Helper()
	dir := t.TempDir()
	f := &family{logPath: filepath.Join(dir, "log"), pidPath: filepath.Join(dir, "pid"), firstDone: make(chan struct{})}
	logFile, err := os.Create(f.logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(name, append(args, "--pid-file", f.pidPath)...)
	cmd.Env = append(baseEnv(), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f.first = cmd
	go func() {
		err := cmd.Wait()
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			f.firstCode = exitErr.ExitCode()
		} else if err != nil {
			f.firstCode = -1
		}
		close(f.firstDone)
	}()
	t.Cleanup(func() {
		for _, pid := range []int{f.pid(), cmd.Process.Pid} {
			if pid == 0 || !alive(pid) {
				continue
			}
			_ = syscall.Kill(pid, syscall.SIGTERM)
			deadline := time.Now().Add(20 * time.Second)
			for alive(pid) && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if alive(pid) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
				t.Errorf("herald (pid %d) did not stop within 20 s of SIGTERM; the log:\n%s", pid, f.log())
			}
		}
	})
	return f
}

// serving waits until the pid file names a live process other than not.
func (f *family) serving(t *testing.T, not int) int {
	t.Helper()
	waitUntil(t, 60*time.Second, "a serving process in the pid file", func() bool {
		p := f.pid()
		return p != 0 && p != not && alive(p)
	}, f.log)
	return f.pid()
}

// servingLine says whether the log has pid's "herald is serving" line.
func servingLine(log string, pid int) bool {
	for line := range strings.Lines(log) {
		if strings.Contains(line, `msg="herald is serving"`) && strings.HasSuffix(strings.TrimSpace(line), fmt.Sprintf(" pid=%d", pid)) {
			return true
		}
	}
	return false
}

// stream sends GETs of / and /api/v2/summary.json over kept connections the
// way wrk does: no retry, a closed connection or a non-2xx answer is a
// failure, "Connection: close" is honoured by connecting again. (Go's own
// client would retry a request lost on a closing connection and hide it.)
type stream struct {
	requests, failures atomic.Int64
	last               atomic.Value
	stop               chan struct{}
	wg                 sync.WaitGroup
}

func startStream(addr string, workers int) *stream {
	s := &stream{stop: make(chan struct{})}
	for range workers {
		s.wg.Go(func() { s.run(addr) })
	}
	return s
}

func (s *stream) fail(err error) {
	s.failures.Add(1)
	s.last.Store(err.Error())
}

func (s *stream) stopped() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}

func (s *stream) run(addr string) {
	paths := []string{"/", "/api/v2/summary.json"}
	// Bounded in count as well as by the test.
	for n := 0; n < 50000 && !s.stopped(); {
		conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			s.fail(err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		r := bufio.NewReader(conn)
		for ; n < 50000 && !s.stopped(); n++ {
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			s.requests.Add(1)
			if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", paths[n%2], addr); err != nil {
				s.fail(err)
				break
			}
			resp, err := http.ReadResponse(r, nil)
			if err != nil {
				s.fail(fmt.Errorf("%s: %w", paths[n%2], err))
				break
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil {
				s.fail(err)
				break
			}
			if resp.StatusCode/100 != 2 {
				s.fail(fmt.Errorf("%s: %s", paths[n%2], resp.Status))
			}
			if resp.Close {
				break
			}
		}
		conn.Close()
	}
}

// finish stops the stream and fails the test if any request failed.
func (s *stream) finish(t *testing.T, during string) {
	t.Helper()
	close(s.stop)
	s.wg.Wait()
	if n := s.failures.Load(); n > 0 {
		t.Errorf("%d of %d requests failed %s; the last: %v", n, s.requests.Load(), during, s.last.Load())
	}
	if s.requests.Load() == 0 {
		t.Errorf("no request was made %s", during)
	}
	t.Logf("%d requests %s, %d failed", s.requests.Load(), during, s.failures.Load())
}

func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := httpClient.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestE2EUpgrade hands the listener over with SIGUSR2 three times while
// requests stream: none fails, each old process exits (the first with 0),
// the new one serves. A new process that cannot start (its configuration
// broken) leaves the old one serving, and says why in the log.
func TestE2EUpgrade(t *testing.T) {
	cli.Parallel(t)
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			db := []string{"--data", t.TempDir()}
			if backend == "postgres" {
				db = []string{"--db", storetest.PostgresURL(t)}
			}
			config := filepath.Join(t.TempDir(), "herald.yaml")
			hosting := hostingYAML(t)
			writeFile(t, config, hosting)
			addr := freeAddr(t)
			f := startFamily(t, nil, herald(t), append([]string{"serve", "--config", config, "--listen", addr}, db...)...)
			pid := f.serving(t, 0)
			if pid != f.first.Process.Pid {
				t.Fatalf("the pid file says %d, the process started is %d", pid, f.first.Process.Pid)
			}

			s := startStream(addr, 4)
			for i := 1; i <= 3; i++ {
				old := pid
				if err := syscall.Kill(old, syscall.SIGUSR2); err != nil {
					t.Fatal(err)
				}
				pid = f.serving(t, old)
				waitUntil(t, 30*time.Second, fmt.Sprintf("the old process %d exits after SIGUSR2 %d", old, i),
					func() bool { return !alive(old) }, f.log)
				if !servingLine(f.log(), pid) {
					t.Fatalf("the log does not show pid %d serving:\n%s", pid, f.log())
				}
			}
			s.finish(t, "across 3 SIGUSR2 handovers")
			<-f.firstDone
			if f.firstCode != 0 {
				t.Errorf("the first process exited %d after handing over; the log:\n%s", f.firstCode, f.log())
			}
			if code := get(t, "http://"+addr+"/api/v2/summary.json"); code != http.StatusOK || !alive(pid) {
				t.Fatalf("after the handovers: summary.json %d, pid %d alive %v", code, pid, alive(pid))
			}

			// The new process reloads its configuration on SIGHUP, as the first did.
			if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			waitUntil(t, 30*time.Second, "the new process reloads on SIGHUP", func() bool {
				return strings.Contains(f.log(), "configuration reloaded")
			}, f.log)

			// A new process that fails leaves this one serving.
			writeFile(t, config, append([]byte("unknown_key: 1\n"), hosting...))
			if err := syscall.Kill(pid, syscall.SIGUSR2); err != nil {
				t.Fatal(err)
			}
			waitUntil(t, 60*time.Second, "the failed upgrade logged", func() bool {
				return strings.Contains(f.log(), "upgrade failed; this process keeps serving")
			}, f.log)
			if !strings.Contains(f.log(), "unknown_key") {
				t.Errorf("the log does not say what was wrong with the new process:\n%s", f.log())
			}
			if f.pid() != pid || !alive(pid) {
				t.Fatalf("after a failed upgrade the pid file says %d (want %d, alive %v)", f.pid(), pid, alive(pid))
			}
			if code := get(t, "http://"+addr+"/"); code != http.StatusOK {
				t.Fatalf("after a failed upgrade / answers %d", code)
			}
			// Mended, the next upgrade goes through.
			writeFile(t, config, hosting)
			if err := syscall.Kill(pid, syscall.SIGUSR2); err != nil {
				t.Fatal(err)
			}
			f.serving(t, pid)
		})
	}
}

// notifications listens where NOTIFY_SOCKET points and collects what is sent.
func notifications(t *testing.T) (string, <-chan string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	got := make(chan string, 100)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			got <- string(buf[:n])
		}
	}()
	return path, got
}

func expectNotification(t *testing.T, got <-chan string, want string, log func() string) {
	t.Helper()
	select {
	case m := <-got:
		if m != want {
			t.Fatalf("the service manager was told %q, want %q", m, want)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("the service manager was not told %q; the log:\n%s", want, log())
	}
}

// socketActivate is Debian's systemd-socket-activate, which CI installs.
func socketActivate(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("systemd-socket-activate")
	if err != nil {
		if os.Getenv("HERALD_REQUIRE_SYSTEMD") == "1" {
			t.Fatal("HERALD_REQUIRE_SYSTEMD=1 but systemd-socket-activate is missing (apt-get install systemd)")
		}
		t.Skip("systemd-socket-activate not installed")
	}
	return p
}

// TestE2ESocketActivation serves the socket systemd-socket-activate opens
// (as systemd would with examples/herald.socket, herald started with
// herald.service's ExecStart), tells the service manager it is
// ready (Type=notify), hands the socket to a new process on SIGUSR2 without
// a failed request, the new one saying MAINPID=, and says STOPPING=1 on SIGTERM.
func TestE2ESocketActivation(t *testing.T) {
	cli.Parallel(t)
	activate := socketActivate(t)
	config := filepath.Join(t.TempDir(), "herald.yaml")
	writeFile(t, config, hostingYAML(t))
	notifyPath, notes := notifications(t)
	// systemd-socket-activate passes only the variables given with -E; it
	// execs herald, so the process started is herald itself.
	// The example units' command line and socket name, on a free port of
	// the example's loopback address.
	sock, _ := exampleUnit(t, "herald.socket")
	host, _, err := net.SplitHostPort(sock.one(t, "Socket", "ListenStream"))
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(freeAddr(t))
	addr := net.JoinHostPort(host, port)
	args := []string{"--listen", addr, "--fdname", sock.one(t, "Socket", "FileDescriptorName"), "-E", "NOTIFY_SOCKET=" + notifyPath, herald(t)}
	args = append(args, serviceArgs(t, config, t.TempDir())...)
	f := startFamily(t, nil, activate, args...)
	// Like systemd, it starts the service at the first connection; that
	// connection is answered once Herald is ready.
	waitUntil(t, 30*time.Second, "systemd-socket-activate listening", func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}, f.log)
	if code := get(t, "http://"+addr+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz through the activated socket: %d", code)
	}
	pid := f.serving(t, 0)
	if pid != f.first.Process.Pid {
		t.Fatalf("pid file %d, process %d", pid, f.first.Process.Pid)
	}
	if !strings.Contains(f.log(), `from="the service manager"`) {
		t.Errorf("the log does not say the socket came from the service manager:\n%s", f.log())
	}
	expectNotification(t, notes, "READY=1", f.log)

	s := startStream(addr, 4)
	if err := syscall.Kill(pid, syscall.SIGUSR2); err != nil {
		t.Fatal(err)
	}
	newPID := f.serving(t, pid)
	expectNotification(t, notes, fmt.Sprintf("MAINPID=%d\nREADY=1", newPID), f.log)
	<-f.firstDone
	s.finish(t, "across a SIGUSR2 handover of an activated socket")
	if f.firstCode != 0 {
		t.Errorf("the activated process exited %d after handing over; the log:\n%s", f.firstCode, f.log())
	}
	if !strings.Contains(f.log(), `from="the previous process"`) {
		t.Errorf("the log does not say the new process took the socket over:\n%s", f.log())
	}
	if code := get(t, "http://"+addr+"/api/v2/summary.json"); code != http.StatusOK {
		t.Fatalf("summary.json from the new process: %d", code)
	}

	if err := syscall.Kill(newPID, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	expectNotification(t, notes, "STOPPING=1", f.log)
	waitUntil(t, 30*time.Second, "the new process stops on SIGTERM", func() bool { return !alive(newPID) }, f.log)
	select {
	case m := <-notes:
		t.Errorf("after STOPPING=1 the service manager was told %q", m)
	default:
	}
}

// TestE2EListenFDs passes two sockets the way systemd does (descriptors 3
// and 4, LISTEN_FDS=2, LISTEN_PID set by the process itself before it
// execs herald, LISTEN_FDNAMES): Herald serves on both and ignores --listen.
func TestE2EListenFDs(t *testing.T) {
	cli.Parallel(t)
	config := filepath.Join(t.TempDir(), "herald.yaml")
	writeFile(t, config, hostingYAML(t))
	var files []*os.File
	var addrs []string
	for range 2 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		file, err := ln.(*net.TCPListener).File()
		if err != nil {
			t.Fatal(err)
		}
		ln.Close() // the copy in file keeps the socket listening
		files = append(files, file)
		addrs = append(addrs, ln.Addr().String())
	}
	listenAddr := freeAddr(t)
	cmd := exec.Command("/bin/sh", "-c", `LISTEN_PID=$$ exec "$0" "$@"`,
		herald(t), "serve", "--config", config, "--data", t.TempDir(), "--listen", listenAddr)
	cmd.Env = append(baseEnv(), "LISTEN_FDS=2", "LISTEN_FDNAMES=http:http6")
	cmd.ExtraFiles = files
	log := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		file.Close()
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("herald on passed sockets: %v\n%s", err, log)
			}
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Errorf("herald did not stop within 20 s of SIGTERM:\n%s", log)
		}
	}()
	for _, a := range addrs {
		if code := get(t, "http://"+a+"/healthz"); code != http.StatusOK {
			t.Fatalf("/healthz on passed socket %s: %d\n%s", a, code, log)
		}
	}
	if c, err := net.Dial("tcp", listenAddr); err == nil {
		c.Close()
		t.Errorf("with sockets passed, Herald also listened on --listen %s", listenAddr)
	}
	if !strings.Contains(log.String(), fmt.Sprintf("addresses=\"[%s %s]\"", addrs[0], addrs[1])) {
		t.Errorf("the log does not list both passed sockets:\n%s", log)
	}
}

// Package benchkit is what the bench programs share: the main dispatch,
// processes they start and stop by pid, waiting for a server to answer, a
// process's CPU and memory from /proc, a loopback address, and the loopback
// web target the probe benches check. One home, so each program says only
// what it measures.
package benchkit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Main runs the subcommand named by the first argument (one of subs), or
// run when it names none ("run" also names run), and exits 1 with
// "name: error" ("name sub: error" for a subcommand) when it fails.
func Main(name string, run func(args []string) error, subs map[string]func(args []string) error) {
	args, prefix, f := os.Args[1:], name, run
	if len(args) > 0 && args[0] == "run" {
		args = args[1:]
	} else if len(args) > 0 && subs[args[0]] != nil {
		f, prefix, args = subs[args[0]], name+" "+args[0], args[1:]
	}
	if err := f(args); err != nil {
		fmt.Fprintln(os.Stderr, prefix+":", err)
		os.Exit(1)
	}
}

// Logger returns a printf to stderr whose lines start with "prefix: ".
func Logger(prefix string) func(format string, a ...any) {
	return func(format string, a ...any) { fmt.Fprintf(os.Stderr, prefix+": "+format+"\n", a...) }
}

// FreeAddr is a loopback address ("127.0.0.1:PORT") free a moment ago.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// Sleep waits d, or until ctx ends.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Get reads url's body; any status but 200 is an error.
func Get(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return string(b), nil
}

// WaitHTTP waits until url answers 200, for at most within; exited (may be
// nil) closing first means the server gave up.
func WaitHTTP(ctx context.Context, url string, within time.Duration, exited <-chan struct{}) error {
	deadline := time.Now().Add(within)
	for {
		select {
		case <-exited:
			return fmt.Errorf("the server exited before answering %s", url)
		default:
		}
		if _, err := Get(url); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer within %s", url, within)
		}
		if err := Sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
}

// CPUSeconds is a process's user + system CPU time so far, from /proc/PID/stat.
func CPUSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The fields after the command name (which may hold spaces) start after ')'.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	utime, err1 := strconv.ParseFloat(f[11], 64)
	stime, err2 := strconv.ParseFloat(f[12], 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return (utime + stime) / 100, nil // USER_HZ is 100 on Linux
}

// CPUOf is the CPU seconds of several processes together.
func CPUOf(pids ...int) (float64, error) {
	var sum float64
	for _, pid := range pids {
		s, err := CPUSeconds(pid)
		if err != nil {
			return 0, err
		}
		sum += s
	}
	return sum, nil
}

// PeakRSS is a process's VmHWM in KiB.
func PeakRSS(pid int) (int64, error) { return procStatusKiB(pid, "VmHWM") }

// RSS is a process's VmRSS in KiB, its resident memory now.
func RSS(pid int) (int64, error) { return procStatusKiB(pid, "VmRSS") }

// procStatusKiB is one of the memory fields of /proc/PID/status, in KiB.
func procStatusKiB(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(strings.Fields(v)[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// NumCPU is how many processors /proc/cpuinfo lists.
func NumCPU() int {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "\nprocessor") + 1
}

// Tail prints the last lines of a log to stderr (after a failure).
func Tail(path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	fmt.Fprintf(os.Stderr, "--- the last lines of %s ---\n", path)
	for _, l := range lines[max(0, len(lines)-20):] {
		fmt.Fprintln(os.Stderr, "  "+l)
	}
}

// MedianMax is the median (the upper one of an even count) and the largest of v.
func MedianMax(v []float64) (float64, float64) {
	if len(v) == 0 {
		return 0, 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2], s[len(s)-1]
}

// LoadAverage is the one-minute load average, from /proc/loadavg.
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

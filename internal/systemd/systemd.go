// Package systemd speaks the two small protocols Herald shares with a
// service manager: sockets handed over at start (LISTEN_FDS, as systemd's
// socket activation and systemd-socket-activate do) and state notifications
// (NOTIFY_SOCKET, for Type=notify). Both are a few lines of environment and
// one datagram, documented in sd_listen_fds(3) and sd_notify(3).
package systemd

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// firstFD is where passed sockets start: after stdin, stdout and stderr.
const firstFD = 3

// Socket is one file descriptor the service manager passed.
type Socket struct {
	File *os.File
	// Name is the socket's FileDescriptorName= (LISTEN_FDNAMES); systemd
	// names unnamed sockets after their unit, e.g. "herald.socket".
	Name string
}

// Variables are the environment variables Sockets reads. A process that
// took its sockets unsets them, so that processes it starts do not take
// them for theirs.
var Variables = []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"}

// Sockets returns the sockets passed to the process pid through getenv's
// LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES, or none when LISTEN_PID is
// unset or names another process (the variables were inherited, not meant
// for this one). The descriptors are marked close-on-exec.
func Sockets(getenv func(string) string, pid int) ([]Socket, error) {
	return sockets(getenv, pid, firstFD)
}

func sockets(getenv func(string) string, pid, first int) ([]Socket, error) {
	pidText := getenv("LISTEN_PID")
	if pidText == "" {
		return nil, nil
	}
	forPID, err := strconv.Atoi(pidText)
	if err != nil {
		return nil, fmt.Errorf("LISTEN_PID=%q is not a process id", pidText)
	}
	if forPID != pid {
		return nil, nil
	}
	countText := getenv("LISTEN_FDS")
	n, err := strconv.Atoi(countText)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("LISTEN_FDS=%q is not a count of sockets", countText)
	}
	var names []string
	if v := getenv("LISTEN_FDNAMES"); v != "" {
		names = strings.Split(v, ":")
		if len(names) != n {
			return nil, fmt.Errorf("LISTEN_FDNAMES names %d sockets, LISTEN_FDS says %d", len(names), n)
		}
	}
	socks := make([]Socket, 0, n)
	for i := range n {
		fd := first + i
		syscall.CloseOnExec(fd)
		name := "LISTEN_FD_" + strconv.Itoa(fd)
		if names != nil {
			name = names[i]
		}
		socks = append(socks, Socket{File: os.NewFile(uintptr(fd), name), Name: name})
	}
	return socks, nil
}

// Notify sends state (such as "READY=1" or "STOPPING=1", several joined by
// newlines) to the service manager's socket at path, the value of
// NOTIFY_SOCKET. An empty path means no service manager listens: nothing is
// sent and the answer is nil. A path starting with "@" is in the abstract
// namespace, which Go's net package understands as it is written.
func Notify(path, state string) error {
	if path == "" {
		return nil
	}
	if path[0] != '/' && path[0] != '@' {
		return fmt.Errorf("NOTIFY_SOCKET=%q is neither a path nor an abstract socket", path)
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("notify the service manager: %w", err)
	}
	defer conn.Close()
	n, err := conn.Write([]byte(state))
	if err == nil && n != len(state) {
		err = errors.New("short write")
	}
	if err != nil {
		return fmt.Errorf("notify the service manager: %w", err)
	}
	return nil
}

package benchkit

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Proc is a process a bench started. It is stopped by its pid only: Stop
// sends SIGTERM and waits (SIGKILL after 30 s), Kill sends SIGKILL.
type Proc struct {
	Cmd    *exec.Cmd
	Pid    int
	Log    string        // where its output goes ("" when the caller took it)
	Exited chan struct{} // closed once it has exited and been waited for
}

// Start starts bin with args, its stdout and stderr appended to logPath.
// ctx ending kills it.
func Start(ctx context.Context, logPath, bin string, args ...string) (*Proc, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	p, err := start(cmd, f)
	if err != nil {
		return nil, err
	}
	p.Log = logPath
	return p, nil
}

// StartServer starts bin with args as Start does, and waits up to within
// for base+"/healthz" to answer; one that does not is killed, its log's
// end printed.
func StartServer(ctx context.Context, logPath, base string, within time.Duration, bin string, args ...string) (*Proc, error) {
	p, err := Start(ctx, logPath, bin, args...)
	if err != nil {
		return nil, err
	}
	if err := WaitHTTP(ctx, base+"/healthz", within, p.Exited); err != nil {
		p.Kill()
		Tail(logPath)
		return nil, err
	}
	return p, nil
}

// StartChild starts this program again with args (a subcommand such as a
// target, in a process of its own so that its CPU is not counted as what
// is measured) and returns the first line it prints on stdout, its
// address. Its stderr is this program's.
func StartChild(ctx context.Context, args ...string) (*Proc, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, "", err
	}
	defer w.Close() // the child holds its own copy
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Stdout, cmd.Stderr = w, os.Stderr
	p, err := start(cmd, r)
	if err != nil {
		return nil, "", err
	}
	rd := bufio.NewReader(r)
	line, err := rd.ReadString('\n')
	if err != nil {
		p.Stop()
		return nil, "", fmt.Errorf("%s did not start: %w", args[0], err)
	}
	go func() { _, _ = io.Copy(io.Discard, rd) }() // whatever else it prints
	return p, strings.TrimSpace(line), nil
}

func start(cmd *exec.Cmd, closeAfter io.Closer) (*Proc, error) {
	if err := cmd.Start(); err != nil {
		if closeAfter != nil {
			closeAfter.Close()
		}
		return nil, err
	}
	p := &Proc{Cmd: cmd, Pid: cmd.Process.Pid, Exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		if closeAfter != nil {
			closeAfter.Close()
		}
		close(p.Exited)
	}()
	return p, nil
}

// Stop sends SIGTERM and waits for the process to exit; one still running
// after 30 s is killed.
func (p *Proc) Stop() {
	if p == nil {
		return
	}
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.Exited:
	case <-time.After(30 * time.Second):
		p.Kill()
	}
}

// Kill sends SIGKILL and waits for the process to exit.
func (p *Proc) Kill() {
	if p == nil {
		return
	}
	_ = p.Cmd.Process.Kill()
	<-p.Exited
}

// Output runs bin with args to the end and returns its stdout; a failure
// carries its stderr.
func Output(ctx context.Context, bin string, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, bin, args...).Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			err = fmt.Errorf("%w: %s", err, exit.Stderr)
		}
		return "", fmt.Errorf("%s %s: %w", bin, strings.Join(args, " "), err)
	}
	return string(out), nil
}

package mirror

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Rsync keeps the copy in a folder on another host, reached over SSH by
// the system's rsync and ssh: rsync://[user@]host[:port]/path. The copy is
// first written to a local staging folder (a Dir), then rsync sends what
// changed. rsync writes each file to a temporary name and renames it into
// place; with --delay-updates it renames them all at the end, so a reader
// never sees a half-written file, and the front page goes in a second run,
// which also removes the files no longer in the copy. The remote folder is
// the copy's: what else is in it is removed.
type Rsync struct {
	User, Host string
	Port       int // 0: ssh's default
	Path       string
	// Key is the private key ssh offers (ssh -i); empty: ssh's defaults.
	Key string
	// KnownHosts holds the host's key; empty: ssh's default file. The host
	// key is always checked (StrictHostKeyChecking=yes).
	KnownHosts string
	// Stage is the local staging folder.
	Stage string
	// Timeout bounds one rsync run; 0 means two minutes.
	Timeout time.Duration
}

func (r *Rsync) String() string {
	host := r.Host
	if r.Port != 0 {
		host = net.JoinHostPort(r.Host, strconv.Itoa(r.Port))
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if r.User != "" {
		host = r.User + "@" + host
	}
	return "rsync://" + host + r.Path
}

// Publish stages the copy and sends it.
func (r *Rsync) Publish(ctx context.Context, files []File) error {
	if err := (Dir{Root: r.Stage}).Publish(ctx, files); err != nil {
		return err
	}
	// First every file but the front pages, put in place together at the
	// end of the run; then the front pages, and the removals.
	var fronts []string
	for _, f := range files {
		if f.Front || f.Name == IndexName {
			fronts = append(fronts, "--exclude=/"+f.Name)
		}
	}
	if err := r.run(ctx, fronts...); err != nil {
		return err
	}
	return r.run(ctx, "--delete-delay")
}

// sshCommand is the remote shell rsync runs; rsync splits it at spaces, so
// NewRsync refuses paths with spaces.
func (r *Rsync) sshCommand() string {
	args := []string{"ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "ConnectTimeout=15"}
	if r.Port != 0 {
		args = append(args, "-p", strconv.Itoa(r.Port))
	}
	if r.Key != "" {
		args = append(args, "-i", r.Key, "-o", "IdentitiesOnly=yes")
	}
	if r.KnownHosts != "" {
		args = append(args, "-o", "UserKnownHostsFile="+r.KnownHosts)
	}
	return strings.Join(args, " ")
}

func (r *Rsync) destination() string {
	host := r.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if r.User != "" {
		host = r.User + "@" + host
	}
	return host + ":" + strings.TrimRight(r.Path, "/") + "/"
}

func (r *Rsync) run(ctx context.Context, extra ...string) error {
	timeout := r.Timeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	args := append([]string{"--recursive", "--times", "--chmod=D755,F644", "--delay-updates", "--mkpath",
		"--exclude=" + tmpPrefix + "*", "-e", r.sshCommand()}, extra...)
	args = append(args, strings.TrimRight(r.Stage, "/")+"/", r.destination())
	cmd := exec.CommandContext(ctx, "rsync", args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if len(msg) > 2000 {
			msg = msg[len(msg)-2000:]
		}
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (after %s)", ctx.Err(), timeout)
		}
		return fmt.Errorf("mirror: rsync to %s: %v: %s", r, err, msg)
	}
	return nil
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudflare/tableflip"

	"github.com/heraldhq/herald/internal/systemd"
)

// Herald opens its sockets before anything else, so that connections made
// while the database opens and migrates wait in the kernel's queue instead
// of being refused, and are answered once the pages are built. The sockets
// come from one of three places, in this order: the process Herald replaces
// on SIGUSR2 (tableflip passes them), the service manager (systemd's socket
// activation, LISTEN_FDS), or --listen.

// handoverName names the i-th listener among the files tableflip passes on.
// The name is fixed rather than the address, so that a process started by
// socket activation, whose addresses --listen does not know, hands over too.
func handoverName(i int) string { return fmt.Sprintf("herald-%d", i) }

// sockets are the listeners Herald serves on and where they came from.
type sockets struct {
	lns []net.Listener
	// upg hands the listeners to a new process on SIGUSR2; nil where
	// upgrades are off (the demo, in-process tests).
	upg  *tableflip.Upgrader
	from string
}

func (s *sockets) addrs() []string {
	out := make([]string, len(s.lns))
	for i, ln := range s.lns {
		out[i] = ln.Addr().String()
	}
	return out
}

func (s *sockets) close() {
	for _, ln := range s.lns {
		ln.Close()
	}
	if s.upg != nil {
		s.upg.Stop()
	}
}

// openSockets opens or takes the listeners. With o.upgrades, it also makes
// the upgrader (one per process: tableflip keeps it in a package variable).
func openSockets(env *Env, o serveOptions) (*sockets, error) {
	s := &sockets{}
	if o.upgrades {
		upg, err := tableflip.New(tableflip.Options{PIDFile: o.pidFile, UpgradeTimeout: upgradeTimeout})
		if err != nil {
			return nil, fmt.Errorf("prepare for upgrades: %w", err)
		}
		s.upg = upg
		if upg.HasParent() {
			for i := 0; ; i++ {
				ln, err := upg.Listener("tcp", handoverName(i))
				if err != nil {
					s.close()
					return nil, fmt.Errorf("take the listener from the previous process: %w", err)
				}
				if ln == nil {
					break
				}
				s.lns = append(s.lns, ln)
			}
			if len(s.lns) == 0 {
				s.close()
				return nil, errors.New("the previous process passed no listener")
			}
			s.from = "the previous process"
			return s, nil
		}
	}
	passed, err := systemd.Sockets(env.Getenv, os.Getpid())
	if err != nil {
		s.close()
		return nil, fmt.Errorf("sockets from the service manager: %w", err)
	}
	if len(passed) > 0 {
		// Taken: a process this one starts (on SIGUSR2) gets them from tableflip.
		for _, v := range systemd.Variables {
			os.Unsetenv(v)
		}
		for _, p := range passed {
			ln, err := net.FileListener(p.File)
			p.File.Close()
			if err != nil {
				s.close()
				return nil, fmt.Errorf("socket %q from the service manager is not a listening stream socket: %w", p.Name, err)
			}
			s.lns = append(s.lns, ln)
		}
		s.from = "the service manager"
	} else {
		ln, err := net.Listen("tcp", o.listen)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("listen on %s: %w", o.listen, err)
		}
		s.lns = []net.Listener{ln}
		s.from = "--listen"
	}
	if s.upg != nil {
		for i, ln := range s.lns {
			tl, ok := ln.(tableflip.Listener)
			if !ok {
				s.close()
				return nil, fmt.Errorf("listener %s cannot be handed over", ln.Addr())
			}
			if err := s.upg.AddListener("tcp", handoverName(i), tl); err != nil {
				s.close()
				return nil, fmt.Errorf("prepare the listener for upgrades: %w", err)
			}
		}
	}
	return s, nil
}

// upgradeTimeout bounds how long a new process may take to become ready
// (its migrations included) before the upgrade counts as failed.
const upgradeTimeout = 5 * time.Minute

// watchUpgrade starts a new process on SIGUSR2 and returns once one is
// ready, leaving the caller to drain (upg.Exit() is closed by then). A new
// process that fails (a broken configuration, a binary that does not start)
// leaves this one serving.
func watchUpgrade(ctx context.Context, log *slog.Logger, usr2 <-chan os.Signal, upg *tableflip.Upgrader) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-usr2:
		}
		if upg == nil {
			log.Error("upgrade refused: this process cannot hand its listener over (only herald serve can)")
			continue
		}
		// tableflip refuses an upgrade while the process this one replaced
		// still drains: one at a time, so the next SIGUSR2 waits for it.
		if err := upg.WaitForParent(ctx); err != nil && ctx.Err() != nil {
			return
		}
		log.Info("upgrade: starting a new process from the binary on disk", slog.String("binary", os.Args[0]))
		if err := upg.Upgrade(); err != nil {
			log.Error("upgrade failed; this process keeps serving", slog.Any("err", err))
			continue
		}
		log.Info("upgrade: the new process is ready")
		return
	}
}

// drainer lets a server stop without failing a request of a client that
// keeps its connection open. Closing an idle keep-alive connection races
// with the client's next request on it (the request is lost, and clients
// such as wrk count an error), so first every response says
// "Connection: close", and the connections are left a moment to end that
// way; only those still open after lingerFor are closed by Shutdown.
type drainer struct {
	draining atomic.Bool
	mu       sync.Mutex
	open     map[net.Conn]struct{}
}

const lingerFor = 2 * time.Second

func newDrainer() *drainer { return &drainer{open: map[net.Conn]struct{}{}} }

// track is the server's ConnState hook.
func (d *drainer) track(c net.Conn, state http.ConnState) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch state {
	case http.StateNew:
		d.open[c] = struct{}{}
	case http.StateClosed, http.StateHijacked:
		delete(d.open, c)
	}
}

func (d *drainer) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.open)
}

// wrap makes responses close their connection once draining.
func (d *drainer) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d.draining.Load() {
			w.Header().Set("Connection", "close")
		}
		h.ServeHTTP(w, r)
	})
}

// drain stops accepting (closing this process's listeners, which another
// process or the service manager may still hold), waits for the servers'
// loops to return, lets connections close after their next response, and
// then shuts the server down, finishing requests in flight within grace.
func (d *drainer) drain(log *slog.Logger, srv interface{ Shutdown(context.Context) error }, lns []net.Listener, served <-chan error, grace time.Duration) {
	d.draining.Store(true)
	for _, ln := range lns {
		if err := ln.Close(); err != nil {
			log.Warn("close the listener", slog.Any("err", err))
		}
	}
	for range lns {
		if err := <-served; err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("http server", slog.Any("err", err))
		}
	}
	deadline := time.Now().Add(lingerFor)
	for d.count() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		log.Warn("some requests did not finish in time", slog.Any("err", err))
	}
}

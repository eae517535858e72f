package benchkit

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Target is the loopback web server the probe benches' monitors check, run
// as a subcommand in a process of its own (StartChild) so that its CPU is
// not counted as Herald's. It prints its address on stdout, then serves
// every path with a small page, as a customer's site, and:
//
//   - GET /control/count says how many checks it has answered;
//   - GET /control/last lists, for /m/0 .. /m/N-1 (N from --monitors), when
//     each was last checked, in Unix milliseconds, one a line;
//   - POST /control/hang?n=N makes /m/0 .. /m/N-1 hang: their connections
//     are taken and never answered, as a hung Apache does.
//
// With --close it answers every request with "Connection: close" and closes
// the connection, so that a prober which would keep connections alive (as
// Gatus's does) opens a new one per check, as Herald's does.
func Target(args []string) error {
	fs := flag.NewFlagSet("target", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address (loopback only)")
	n := fs.Int("monitors", 0, "paths /m/0 .. /m/N-1 whose last check /control/last lists")
	closeEach := fs.Bool("close", false, "close every connection after its answer (no keep-alive)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		return fmt.Errorf("refusing to serve on %s: loopback only", ip)
	}
	var hangBelow, served atomic.Int64
	last := make([]atomic.Int64, max(*n, 0))
	body := []byte("<!doctype html><title>ok</title><p>A customer's site.</p>\n")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/control/count":
			fmt.Fprintf(w, "%d\n", served.Load())
			return
		case "/control/last":
			bw := bufio.NewWriter(w)
			for i := range last {
				fmt.Fprintf(bw, "%d\n", last[i].Load())
			}
			_ = bw.Flush()
			return
		case "/control/hang":
			k, err := strconv.Atoi(r.URL.Query().Get("n"))
			if r.Method != http.MethodPost || err != nil || k < 0 {
				http.Error(w, "POST with n, a count", http.StatusBadRequest)
				return
			}
			hangBelow.Store(int64(k))
			fmt.Fprintf(w, "hanging /m/0 .. /m/%d\n", k-1)
			return
		}
		served.Add(1)
		if rest, ok := strings.CutPrefix(r.URL.Path, "/m/"); ok {
			if i, err := strconv.Atoi(rest); err == nil && i >= 0 {
				if i < len(last) {
					last[i].Store(time.Now().UnixMilli())
				}
				if int64(i) < hangBelow.Load() {
					// The connection is read until the prober gives up and closes it.
					c, _, err := http.NewResponseController(w).Hijack()
					if err == nil {
						_, _ = io.Copy(io.Discard, c)
						c.Close()
					}
					return
				}
			}
		}
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write(body)
	})
	fmt.Println(ln.Addr().String())
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	srv.SetKeepAlivesEnabled(!*closeEach)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	go func() { <-stop; _ = srv.Close() }()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Served asks the target at addr how many checks it has answered.
func Served(addr string) (float64, error) {
	s, err := Get("http://" + addr + "/control/count")
	if err != nil {
		return 0, err
	}
	return strconv.ParseFloat(strings.TrimSpace(s), 64)
}

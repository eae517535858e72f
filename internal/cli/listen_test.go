package cli

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// lockedSQLite is an SQLite data folder whose database another connection
// holds an exclusive lock on until release is called: Herald cannot open
// or migrate it meanwhile (it waits, up to SQLite's busy timeout).
func lockedSQLite(t *testing.T) (store.DSN, func()) {
	t.Helper()
	dir := t.TempDir()
	db, err := sql.Open("sqlite", filepath.Join(dir, "herald.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release := func() {
		once.Do(func() {
			if _, err := conn.ExecContext(context.Background(), "COMMIT"); err != nil {
				t.Error(err)
			}
			conn.Close()
		})
	}
	t.Cleanup(release)
	return store.DSN{DataDir: dir}, release
}

// heldPostgres is a fresh PostgreSQL schema reached through a loopback
// proxy that accepts connections but passes nothing on until release is
// called: to Herald, a database that is slow to answer.
func heldPostgres(t *testing.T) (store.DSN, func()) {
	t.Helper()
	u, err := url.Parse(storetest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	target := u.Host
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last first: the listener closes, then its goroutines are waited for.
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	t.Cleanup(func() { ln.Close() })
	open := make(chan struct{})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				<-open
				s, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer s.Close()
				go func() { io.Copy(s, c); s.Close() }()
				io.Copy(c, s)
			})
		}
	})
	var once sync.Once
	release := func() { once.Do(func() { close(open) }) }
	t.Cleanup(release)
	u.Host = ln.Addr().String()
	return store.DSN{URL: u.String()}, release
}

func loopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestServeListensBeforeTheDatabase starts Herald on a database it cannot
// use yet: a connection made meanwhile is accepted (not refused) and not
// answered; once the database answers, it gets the page.
//
// Serial: beside the package's parallel tests under -race, its in-process
// start on PostgreSQL (migrations, then leases) took over a minute in CI and
// outlasted the 60 s bound on the answer.
func TestServeListensBeforeTheDatabase(t *testing.T) {
	cfgPath, err := filepath.Abs("../../examples/hosting.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name, blocked := range map[string]func(*testing.T) (store.DSN, func()){
		"sqlite": lockedSQLite, "postgres": heldPostgres,
	} {
		t.Run(name, func(t *testing.T) {
			dsn, release := blocked(t)
			addr := loopbackAddr(t)
			logs := &syncBuffer{}
			env := &Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: logs, Getenv: os.Getenv}
			ctx, stop := context.WithCancel(context.Background())
			defer stop()
			served := make(chan error, 1)
			go func() {
				served <- serve(ctx, env, serveOptions{configPath: cfgPath, dsn: dsn, listen: addr, shutdownGrace: 10 * time.Second})
			}()
			defer func() {
				stop()
				release()
				if err := <-served; err != nil {
					t.Errorf("serve: %v\n%s", err, logs)
				}
			}()

			// A readiness wait for the socket, not a timing assertion.
			var conn net.Conn
			deadline := time.Now().Add(20 * time.Second)
			for {
				conn, err = net.Dial("tcp", addr)
				if err == nil {
					break
				}
				select {
				case err := <-served:
					t.Fatalf("serve returned while the database was blocked: %v\n%s", err, logs)
				default:
				}
				if time.Now().After(deadline) {
					t.Fatalf("no connection to %s while the database was blocked: %v\n%s", addr, err, logs)
				}
				time.Sleep(10 * time.Millisecond)
			}
			defer conn.Close()
			fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
			// Not answered while the database is blocked: the pages are not built.
			conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			var one [1]byte
			if n, err := conn.Read(one[:]); n > 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("answered before the database could be read: %d bytes, %v\n%s", n, err, logs)
			}
			if strings.Contains(logs.String(), "herald is serving") {
				t.Fatalf("serving before the database could be read:\n%s", logs)
			}

			release()
			conn.SetReadDeadline(time.Now().Add(60 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("no answer once the database was free: %v\n%s", err, logs)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Example Hosting Status") {
				t.Fatalf("the waiting request got %s:\n%.300s", resp.Status, body)
			}
		})
	}
}

// TestDrainAnswersTheNextRequestOnAKeptConnection: a client that keeps its
// connection gets an answer to the request it sends while the server
// drains (with "Connection: close"), where closing idle connections at
// once would have lost it.
func TestDrainAnswersTheNextRequestOnAKeptConnection(t *testing.T) {
	Parallel(t)
	d := newDrainer()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	srv := &http.Server{
		Handler: d.wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, "ok")
		})),
		ConnState: d.track,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	get := func() (*http.Response, error) {
		if _, err := fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", addr); err != nil {
			return nil, err
		}
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			return nil, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp, err
	}
	resp, err := get()
	if err != nil || resp.Close {
		t.Fatalf("first request: %v, close %v; want a kept connection", err, resp != nil && resp.Close)
	}

	// The connection is idle now; the server starts draining.
	drained := make(chan struct{})
	go func() {
		d.drain(slog.New(slog.DiscardHandler), srv, []net.Listener{ln}, served, 10*time.Second)
		close(drained)
	}()
	for !d.draining.Load() {
		time.Sleep(time.Millisecond)
	}
	// Accepting has stopped (a readiness wait).
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		c.Close()
		time.Sleep(5 * time.Millisecond)
	}

	resp, err = get()
	if err != nil {
		t.Fatalf("the request sent on a kept connection while draining failed: %v", err)
	}
	if resp.StatusCode != http.StatusOK || !resp.Close {
		t.Errorf("while draining: %s, close %v; want 200 and Connection: close", resp.Status, resp.Close)
	}
	if _, err := r.ReadByte(); err != io.EOF {
		t.Errorf("after the last answer the connection was not closed: %v", err)
	}
	<-drained
	if n := d.count(); n != 0 {
		t.Errorf("%d connections still counted open after the drain", n)
	}
}

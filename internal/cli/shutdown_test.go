package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/syncbuf"
)

// syncBuffer is a bytes.Buffer safe for the server's log and the test to share.
type syncBuffer = syncbuf.Buffer

// TestShutdownFinishesRequestsInFlight sends half a request, asks the server
// to stop, then sends the rest: the request must still be answered and its
// change kept, and serve must return only after that.
func TestShutdownFinishesRequestsInFlight(t *testing.T) {
	Parallel(t)
	cfgPath, err := filepath.Abs("../../examples/hosting.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var token string
	addrc := make(chan string, 1)
	o := serveOptions{
		configPath: cfgPath,
		dsn:        store.DSN{DataDir: dir},
		listen:     "127.0.0.1:0",
		seed: func(ctx context.Context, _ *store.Store, svc *service.Service, _ string) error {
			var err error
			token, _, err = svc.CreateToken(ctx, "test", service.ScopeWrite)
			return err
		},
		started:       func(addr string) { addrc <- addr },
		shutdownGrace: 30 * time.Second,
	}
	logs := &syncBuffer{}
	env := &Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: logs, Getenv: os.Getenv}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	served := make(chan error, 1)
	go func() { served <- serve(ctx, env, o) }()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-served:
		t.Fatalf("serve returned before listening: %v\n%s", err, logs)
	}

	body := `{"title":"Web sites on flexo unreachable","components":{"flexo/web":"major_outage"},"body":"Looking into it."}`
	// A raw connection, so that what is written is on the wire at once.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	half := len(body) / 2
	fmt.Fprintf(conn, "POST /api/v1/incidents HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", addr, token, len(body), body[:half])

	// The handler authenticates before it reads the body, recording the
	// token's use: once that is in the database, the request is in flight.
	st, err := store.Open(context.Background(), store.DSN{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for {
		tokens, err := st.Tokens(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(tokens) == 1 && !tokens[0].LastUsedAt.IsZero() {
			break
		}
		select {
		case err := <-served:
			t.Fatalf("serve returned early: %v\n%s", err, logs)
		case <-time.After(5 * time.Millisecond):
		}
	}
	stop()
	for !strings.Contains(logs.String(), "shutting down") {
		select {
		case err := <-served:
			t.Fatalf("serve returned with a request in flight: %v\n%s", err, logs)
		case <-time.After(5 * time.Millisecond):
		}
	}
	if _, err := io.WriteString(conn, body[half:]); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to the request in flight during shutdown: %v\n%s", err, logs)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("request in flight during shutdown: %s\n%s", resp.Status, logs)
	}
	if err := <-served; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if !strings.Contains(logs.String(), "msg=stopped") {
		t.Errorf("no clean stop in the log:\n%s", logs)
	}

	// The change survived the shutdown.
	in, err := st.Incident(context.Background(), 1)
	if err != nil {
		t.Fatalf("incident opened during shutdown is missing: %v", err)
	}
	if in.Title != "Web sites on flexo unreachable" {
		t.Errorf("title = %q", in.Title)
	}
}

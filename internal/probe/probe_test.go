package probe

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
)

// TestEveryConnectionUsesEnvDial is how Herald proves it never dials an
// address it must not: for every kind that connects, the injected dialer
// sees the configured address, and nothing reaches the network past it.
func TestEveryConnectionUsesEnvDial(t *testing.T) {
	cases := []struct {
		kind string
		set  func(m *config.Monitor)
		want string // network and address the dialer must be asked for
	}{
		{"http", func(m *config.Monitor) { m.URL = "http://127.0.0.1:8081/status" }, "tcp 127.0.0.1:8081"},
		{"http", func(m *config.Monitor) { m.URL = "https://[::1]/" }, "tcp [::1]:443"},
		{"https", func(m *config.Monitor) { m.URL = "https://localhost:8443/" }, "tcp localhost:8443"},
		{"tcp", func(m *config.Monitor) { m.Address = "127.0.0.1:22" }, "tcp 127.0.0.1:22"},
		{"smtp", func(m *config.Monitor) { m.Address = "127.0.0.1:2525" }, "tcp 127.0.0.1:2525"},
		{"imap", func(m *config.Monitor) { m.Address = "127.0.0.1:1143" }, "tcp 127.0.0.1:1143"},
		{"pop3", func(m *config.Monitor) { m.Address = "[::1]:1110" }, "tcp [::1]:1110"},
		{"tls", func(m *config.Monitor) { m.Address = "127.0.0.1:993" }, "tcp 127.0.0.1:993"},
		{"dns", func(m *config.Monitor) { m.Address, m.Query = "127.0.0.1:5353", "www.example.test" }, "udp 127.0.0.1:5353"},
	}
	refusal := errors.New("address not allowed by test")
	for _, tc := range cases {
		t.Run(tc.kind+" "+tc.want, func(t *testing.T) {
			var mu sync.Mutex
			var dialed []string
			dial := func(_ context.Context, network, addr string) (net.Conn, error) {
				mu.Lock()
				defer mu.Unlock()
				dialed = append(dialed, network+" "+addr)
				return nil, refusal
			}
			m := monitor(tc.kind)
			tc.set(&m)
			got := mustProbe(t, m, Env{Dial: dial})
			check(t, got, Down, refusal.Error())
			if len(dialed) != 1 || dialed[0] != tc.want {
				t.Errorf("dialer asked for %q, want exactly [%q]", dialed, tc.want)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	cases := []struct {
		name string
		m    func() config.Monitor
		env  Env
		want string
	}{
		{"unknown type", func() config.Monitor { return monitor("gopher") }, Env{}, `monitor type "gopher" is not one of dns, heartbeat, http, https, icmp, imap, pop3, smtp, tcp, tls`},
		{"no timeout", func() config.Monitor { m := monitor("tcp"); m.Address = "127.0.0.1:1"; m.Timeout = 0; return m }, Env{}, "tcp monitor needs a timeout of more than 0"},
		{"http without URL", func() config.Monitor { return monitor("http") }, Env{}, `url "" must be an absolute http or https URL`},
		{"https with http URL", func() config.Monitor { m := monitor("https"); m.URL = "http://127.0.0.1/"; return m }, Env{}, `url "http://127.0.0.1/" must be an absolute https URL`},
		{"bad status", func() config.Monitor {
			m := monitor("http")
			m.URL, m.ExpectStatus = "http://127.0.0.1/", []int{42}
			return m
		}, Env{}, "expect_status 42 is not an HTTP status"},
		{"bad pattern", func() config.Monitor { m := monitor("http"); m.URL, m.BodyMatches = "http://127.0.0.1/", "("; return m }, Env{}, "body_matches is not a valid regular expression"},
		{"address without port", func() config.Monitor { m := monitor("smtp"); m.Address = "127.0.0.1"; return m }, Env{}, `address "127.0.0.1" must be HOST:PORT`},
		{"port out of range", func() config.Monitor { m := monitor("tls"); m.Address = "127.0.0.1:70000"; return m }, Env{}, "must have a port from 1 to 65535"},
		{"icmp with port", func() config.Monitor { m := monitor("icmp"); m.Address = "127.0.0.1:7"; return m }, Env{}, "must be a host name or IP address, without a port"},
		{"dns record", func() config.Monitor {
			m := monitor("dns")
			m.Address, m.Query, m.Record = "127.0.0.1:53", "example.test", "SRV"
			return m
		}, Env{}, `record "SRV" must be one of A, AAAA, CNAME, MX, TXT, NS`},
		{"dns expect not an IPv4 address", func() config.Monitor {
			m := monitor("dns")
			m.Address, m.Query, m.Expect = "127.0.0.1:53", "example.test", []string{"::1"}
			return m
		}, Env{}, `expect "::1" is not an IPv4 address`},
		{"dns without query", func() config.Monitor { m := monitor("dns"); m.Address = "127.0.0.1:53"; return m }, Env{}, `query "" is not a domain name`},
		{"heartbeat without registry", func() config.Monitor { m := monitor("heartbeat"); m.Period = config.Duration(time.Minute); return m }, Env{}, "needs a Heartbeats registry in probe.Env"},
		{"heartbeat without token_env", func() config.Monitor { m := monitor("heartbeat"); m.Period = config.Duration(time.Minute); return m }, Env{Heartbeats: NewHeartbeats()}, "token_env is required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := New(tc.m(), tc.env)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New = %v, %v; want an error containing %q", p, err, tc.want)
			}
		})
	}
}

func TestOutcomeString(t *testing.T) {
	for o, want := range map[Outcome]string{Up: "up", Degraded: "degraded", Down: "down", Outcome(7): "outcome(7)"} {
		if got := o.String(); got != want {
			t.Errorf("Outcome(%d).String() = %q, want %q", int(o), got, want)
		}
	}
}

func TestSeconds(t *testing.T) {
	for d, want := range map[time.Duration]string{
		2300 * time.Millisecond: "2.3s",
		2 * time.Second:         "2s",
		10 * time.Second:        "10s",
		850 * time.Millisecond:  "850ms",
		200 * time.Millisecond:  "200ms",
		420 * time.Microsecond:  "0.42ms",
		300 * time.Microsecond:  "0.3ms",
		3 * time.Millisecond:    "3ms",
	} {
		if got := seconds(d); got != want {
			t.Errorf("seconds(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestCancelled: a caller's cancelled context (a shutdown) ends a check
// that is waiting on a silent server at once, whatever the timeout, and
// says so rather than blaming the server.
func TestCancelled(t *testing.T) {
	cases := []struct {
		kind string
		set  func(m *config.Monitor, addr string)
	}{
		{"http", func(m *config.Monitor, addr string) { m.URL = "http://" + addr + "/" }},
		{"https", func(m *config.Monitor, addr string) { m.URL = "https://" + addr + "/" }},
		{"smtp", func(m *config.Monitor, addr string) { m.Address = addr }},
		{"imap", func(m *config.Monitor, addr string) { m.Address = addr }},
		{"pop3", func(m *config.Monitor, addr string) { m.Address = addr }},
		{"tls", func(m *config.Monitor, addr string) { m.Address = addr }},
	}
	for _, tc := range cases {
		t.Run(tc.kind, func(t *testing.T) {
			accepted := make(chan struct{}, 1)
			addr := lineServer(t, func(c *lineConn) {
				accepted <- struct{}{}
				c.hang()
			})
			m := monitor(tc.kind)
			tc.set(&m, addr)
			m.Timeout = config.Duration(time.Hour) // only the cancellation can end it
			p, err := New(m, Env{})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan Result)
			go func() { done <- p.Probe(ctx) }()
			<-accepted // the check is now waiting on the server
			cancel()
			check(t, <-done, Down, "check cancelled")

			// A caller's deadline is the check's time running out, not a
			// shutdown: the demo's fast clock bounds a 10 s timeout so, and
			// the server's silence is what it says.
			m.Timeout = config.Duration(10 * time.Second)
			if p, err = New(m, Env{}); err != nil {
				t.Fatal(err)
			}
			dctx, dcancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer dcancel()
			res := p.Probe(dctx)
			if res.Outcome != Down || !strings.HasPrefix(res.Message, "no ") || !strings.HasSuffix(res.Message, " within 10s") {
				t.Errorf("under the caller's deadline: %s %q, want down and \"no ... within 10s\"", res.Outcome, res.Message)
			}
		})
	}
}

// A check's connection is used once: the default dialer leaves TCP
// keep-alive off (turning it on costs four system calls per check).
func TestDefaultDialerHasNoKeepAlive(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			defer c.Close()
			_, _ = c.Read(make([]byte, 1))
		}
	}()
	conn, err := Env{}.withDefaults().Dial(t.Context(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	raw, err := conn.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	keepAlive, serr := -1, error(nil)
	if err := raw.Control(func(fd uintptr) {
		keepAlive, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE)
	}); err != nil || serr != nil {
		t.Fatal(err, serr)
	}
	if keepAlive != 0 {
		t.Errorf("SO_KEEPALIVE = %d on a check's connection, want 0", keepAlive)
	}
}

package probe

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
)

func TestHTTP(t *testing.T) {
	clock := newClock()
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("Welcome, visitor")) })
	mux.HandleFunc("/down", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/elsewhere", http.StatusFound) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		clock.Advance(2300 * time.Millisecond) // the page "took" 2.3s
		_, _ = w.Write([]byte("Welcome"))
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		// The word sits just past the first MiB, which a check never reads.
		_, _ = w.Write([]byte(strings.Repeat("x", maxBody) + "Welcome"))
	})
	mux.HandleFunc("/stall", func(w http.ResponseWriter, r *http.Request) {
		// Headers, then nothing: the body never completes.
		w.Header().Set("Content-Length", "100")
		_, _ = w.Write([]byte("Wel"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	cases := []struct {
		name    string
		url     string
		set     func(m *config.Monitor)
		outcome Outcome
		msg     string
	}{
		{"up", srv.URL + "/", nil, Up, "status 200"},
		{"status outside default", srv.URL + "/down", nil, Down, "status 503, want 200-399"},
		{"status not the expected one", srv.URL + "/", func(m *config.Monitor) { m.ExpectStatus = []int{204, 301} }, Down, "status 200, want 204 or 301"},
		{"expected error status", srv.URL + "/down", func(m *config.Monitor) { m.ExpectStatus = []int{503} }, Up, "status 503"},
		{"redirect is the answer, not followed", srv.URL + "/moved", nil, Up, "status 302"},
		{"not found", srv.URL + "/nothing-here", nil, Down, "status 404, want 200-399"},
		{"body contains", srv.URL + "/", func(m *config.Monitor) { m.BodyContains = "Welcome" }, Up, "status 200"},
		{"body lacks", srv.URL + "/", func(m *config.Monitor) { m.BodyContains = "Goodbye" }, Down, `body does not contain "Goodbye"`},
		{"body matches", srv.URL + "/", func(m *config.Monitor) { m.BodyMatches = `Welcome, [a-z]+$` }, Up, "status 200"},
		{"body does not match", srv.URL + "/", func(m *config.Monitor) { m.BodyMatches = `^Goodbye` }, Down, "body does not match ^Goodbye"},
		{"only the first MiB is read", srv.URL + "/big", func(m *config.Monitor) { m.BodyContains = "Welcome" }, Down, `body does not contain "Welcome"`},
		{"slow is degraded", srv.URL + "/slow", func(m *config.Monitor) { m.DegradedOver = config.Duration(2 * time.Second) }, Degraded, "slow: 2.3s, over 2s"},
		{"slow but within the limit", srv.URL + "/slow", func(m *config.Monitor) { m.DegradedOver = config.Duration(3 * time.Second) }, Up, "status 200"},
		{"slow and wrong is down", srv.URL + "/down", func(m *config.Monitor) { m.DegradedOver = config.Duration(time.Nanosecond) }, Down, "status 503, want 200-399"},
		{"accepts and never answers", "http://" + silentServer(t) + "/", func(m *config.Monitor) { m.Timeout = config.Duration(hangTimeout) }, Down, "no HTTP response within 500ms"},
		{"body never completes", srv.URL + "/stall", func(m *config.Monitor) { m.Timeout = config.Duration(hangTimeout) }, Down, "no complete HTTP response within 500ms"},
		{"refused", "http://" + refusedAddr(t) + "/", nil, Down, "connection refused"},
		{"not HTTP", "http://" + lineServer(t, func(c *lineConn) { c.read(); c.say("220 mail ready\r\n") }) + "/", nil, Down, `malformed HTTP status code "mail"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := monitor("http")
			m.URL = tc.url
			if tc.set != nil {
				tc.set(&m)
			}
			got := mustProbe(t, m, Env{Now: clock.Now})
			check(t, got, tc.outcome, tc.msg)
			if !got.CertNotAfter.IsZero() {
				t.Errorf("CertNotAfter = %v for plain http, want zero", got.CertNotAfter)
			}
		})
	}
}

// TestHTTPNewConnectionEachCheck proves there is no keep-alive: each check
// is a connection of its own, and a listener that dies between two checks
// is seen at the second.
func TestHTTPNewConnectionEachCheck(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	m := monitor("http")
	m.URL = srv.URL + "/"
	p, err := New(m, Env{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		check(t, p.Probe(context.Background()), Up, "status 200")
		if n := conns.Load(); n != int32(i+1) {
			t.Fatalf("after check %d the server saw %d connections, want %d", i+1, n, i+1)
		}
	}
	srv.Close()
	check(t, p.Probe(context.Background()), Down, "connection refused")
}

func TestHTTPS(t *testing.T) {
	clock := newClock()
	ca := newCA(t)
	start := func(cert tls.Certificate) string {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/slow" {
				clock.Advance(3 * time.Second)
			}
			_, _ = w.Write([]byte("ok"))
		}))
		srv.TLS = serverTLS(cert)
		srv.Config.ErrorLog = log.New(io.Discard, "", 0) // rejected handshakes are the point
		srv.StartTLS()
		t.Cleanup(srv.Close)
		return srv.URL
	}
	fresh := epoch.Add(90*24*time.Hour + time.Hour)
	soon := epoch.Add(5*24*time.Hour + time.Hour)
	good := start(ca.leaf(t, "127.0.0.1", fresh))
	expiring := start(ca.leaf(t, "127.0.0.1", soon))
	expired := start(ca.leaf(t, "127.0.0.1", epoch.Add(-2*24*time.Hour-time.Hour)))
	otherHost := start(ca.leaf(t, "127.0.0.2", fresh))

	cases := []struct {
		name     string
		url      string
		set      func(m *config.Monitor)
		roots    bool
		outcome  Outcome
		msg      string
		notAfter time.Time
	}{
		{"valid", good + "/", nil, true, Up, "status 200", fresh},
		{"expiry far from the warning", good + "/", func(m *config.Monitor) { m.CertExpiryDays = 14 }, true, Up, "status 200", fresh},
		{"expiry within the warning", expiring + "/", func(m *config.Monitor) { m.CertExpiryDays = 14 }, true, Degraded, "certificate expires in 5 days (Dec 6)", soon},
		{"warning off", expiring + "/", func(m *config.Monitor) { m.CertExpiryDays = 0 }, true, Up, "status 200", soon},
		{"slow and expiring", expiring + "/slow", func(m *config.Monitor) {
			m.CertExpiryDays = 14
			m.DegradedOver = config.Duration(time.Second)
		}, true, Degraded, "slow: 3s, over 1s; certificate expires in 5 days (Dec 6)", soon},
		{"expired", expired + "/", nil, true, Down, "certificate expired 2 days ago (Nov 29)", epoch.Add(-2*24*time.Hour - time.Hour)},
		{"unknown authority", good + "/", nil, false, Down, "certificate signed by an unknown authority", fresh},
		{"wrong host", otherHost + "/", nil, true, Down, "certificate is not valid for 127.0.0.1", fresh},
		{"accepts and never answers", "https://" + silentServer(t) + "/", func(m *config.Monitor) { m.Timeout = config.Duration(hangTimeout) }, true, Down, "no HTTP response within 500ms", time.Time{}},
		{"plain text on the TLS port", "https://" + lineServer(t, func(c *lineConn) { c.say("220 mail ready\r\n") }) + "/", nil, true, Down, "the server did not answer in TLS", time.Time{}},
		{"refused", "https://" + refusedAddr(t) + "/", nil, true, Down, "connection refused", time.Time{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := monitor("https")
			m.URL = tc.url
			if tc.set != nil {
				tc.set(&m)
			}
			env := Env{Now: clock.Now}
			if tc.roots {
				env.RootCAs = ca.pool
			}
			got := mustProbe(t, m, env)
			check(t, got, tc.outcome, tc.msg)
			if !got.CertNotAfter.Equal(tc.notAfter) {
				t.Errorf("CertNotAfter = %v, want %v", got.CertNotAfter, tc.notAfter)
			}
		})
	}
}

// BenchmarkHTTPProbe is one honest HTTP check (new connection, request,
// whole body) against a loopback httptest server in the same process, so
// its figures include the server's side too. cpu-µs/op is the process's
// user+system CPU per check, the figure the scale target is stated in.
func BenchmarkHTTPProbe(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("<!doctype html><title>ok</title>Welcome"))
	}))
	b.Cleanup(srv.Close)
	m := monitor("http")
	m.URL = srv.URL + "/"
	m.BodyContains = "Welcome"
	p, err := New(m, Env{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	before := cpuTime(b)
	for b.Loop() {
		if r := p.Probe(ctx); r.Outcome != Up {
			b.Fatalf("got %s %q", r.Outcome, r.Message)
		}
	}
	b.ReportMetric(float64((cpuTime(b)-before).Microseconds())/float64(b.N), "cpu-µs/op")
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestHTTPDialEnds: a dial that never completes (a host dropping packets)
// ends with the check, though http.Transport detaches dials from the
// request: the dialer sees its context end within the timeout.
func TestHTTPDialEnds(t *testing.T) {
	ended := make(chan error, 1)
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		<-ctx.Done()
		ended <- ctx.Err()
		return nil, ctx.Err()
	}
	m := monitor("http")
	m.URL = "http://127.0.0.1:9/"
	m.Timeout = config.Duration(hangTimeout)
	check(t, mustProbe(t, m, Env{Dial: dial}), Down, "no HTTP response within 500ms")
	if err := <-ended; err != context.DeadlineExceeded {
		t.Errorf("the dial ended with %v, want its own deadline", err)
	}
}

// TestHTTPRequest checks the bytes of a check's request, which is written
// around each monitor's path and host at every check: twice for the same
// monitor, and for an address longer than the buffers kept for reuse.
func TestHTTPRequest(t *testing.T) {
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		if err := r.Write(&b); err != nil {
			t.Error(err)
		}
		got <- b.String()
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	long := "/" + strings.Repeat("a", 5000)
	for _, path := range []string{"/status?full=1&x=%20y", "/status?full=1&x=%20y", long, "/"} {
		m := monitor("http")
		m.URL = srv.URL + path
		p, err := New(m, Env{})
		if err != nil {
			t.Fatal(err)
		}
		check(t, p.Probe(context.Background()), Up, "status 200")
		want := "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: Herald-Monitor/1 (status page checker)\r\n" +
			"Accept: */*\r\nConnection: close\r\n\r\n"
		if g := <-got; g != want {
			t.Errorf("request for %.40q:\n%q\nwant\n%q", path, g, want)
		}
	}
}

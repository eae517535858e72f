package probe

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
)

// Test servers and clocks shared by the probe tests. Every server listens
// on 127.0.0.1 and is closed when its test ends.

// epoch is the fake clock's start; certificates are dated from it.
var epoch = time.Date(2026, time.December, 1, 12, 0, 0, 0, time.UTC)

// fakeClock is a clock the test servers move: a handler that "takes three
// seconds" advances it, so latency rules are tested without sleeping.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: epoch} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// monitor is a monitor as config would default it, with a short timeout
// so the hanging-server cases end quickly.
func monitor(kind string) config.Monitor {
	return config.Monitor{
		Type: kind, Name: kind,
		Interval: config.Duration(30 * time.Second), Timeout: config.Duration(2 * time.Second),
		DownAfter: 2, UpAfter: 1,
	}
}

// hangTimeout is the timeout for cases whose server never answers: the
// check must end by itself, so the test waits this long and no longer.
const hangTimeout = 500 * time.Millisecond

func mustProbe(t *testing.T, m config.Monitor, env Env) Result {
	t.Helper()
	p, err := New(m, env)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p.Probe(context.Background())
}

func check(t *testing.T, got Result, outcome Outcome, msg string) {
	t.Helper()
	if got.Outcome != outcome || got.Message != msg {
		t.Errorf("got %s %q, want %s %q", got.Outcome, got.Message, outcome, msg)
	}
}

// listen opens a loopback listener closed at the end of the test.
func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// serve runs handle on every connection ln accepts, each in its own
// goroutine, and closes the connection when handle returns.
func serve(t *testing.T, ln net.Listener, handle func(net.Conn)) {
	t.Helper()
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				handle(c)
			}()
		}
	}()
}

// silentServer accepts connections and never writes to them: the
// hung Apache of the seed posts. Connections stay open until the test ends.
func silentServer(t *testing.T) string {
	t.Helper()
	ln := listen(t)
	done := make(chan struct{})
	serve(t, ln, func(net.Conn) { <-done })
	t.Cleanup(func() { close(done) }) // before serve's cleanup waits for them
	return ln.Addr().String()
}

// lineServer greets each connection with script, which reads and writes
// lines through the helpers below.
func lineServer(t *testing.T, script func(c *lineConn)) string {
	t.Helper()
	ln := listen(t)
	done := make(chan struct{})
	serve(t, ln, func(c net.Conn) {
		script(&lineConn{Conn: c, r: bufio.NewReader(c), done: done})
	})
	t.Cleanup(func() { close(done) }) // before serve's cleanup waits for them
	return ln.Addr().String()
}

type lineConn struct {
	net.Conn
	r    *bufio.Reader
	done chan struct{}
}

func (c *lineConn) say(s string) { _, _ = c.Write([]byte(s)) }

func (c *lineConn) read() string {
	s, _ := c.r.ReadString('\n')
	return s
}

// hang holds the connection open, silent, until the test ends.
func (c *lineConn) hang() { <-c.done }

// refusedAddr is a loopback port with nothing listening on it.
func refusedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// testCA is a certificate authority made for one test, trusted through
// Env.RootCAs only.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Herald test CA"},
		NotBefore:             epoch.AddDate(-1, 0, 0),
		NotAfter:              epoch.AddDate(5, 0, 0),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// leaf issues a server certificate for ip that expires at notAfter.
func (ca *testCA) leaf(t *testing.T, ip string, notAfter time.Time) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: ip},
		NotBefore:    epoch.AddDate(0, -3, 0),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP(ip)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// serverTLS is a server-side config presenting cert (a server does not
// check its own certificate's dates, so the fake ones are served as-is).
func serverTLS(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}}
}

// blockingDial stands in for a network that drops packets: the dial
// never completes until the check gives up.
func blockingDial(ctx context.Context, _, _ string) (net.Conn, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

package probe

import (
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
)

// tlsServer completes handshakes with cert (a TLS listener on loopback);
// slow advances the fake clock before each handshake.
func tlsServer(t *testing.T, cert tls.Certificate, clock *fakeClock, slow time.Duration) string {
	t.Helper()
	ln := listen(t)
	cfg := serverTLS(cert)
	serve(t, ln, func(c net.Conn) {
		clock.Advance(slow)
		_ = tls.Server(c, cfg).Handshake()
	})
	return ln.Addr().String()
}

func TestTLS(t *testing.T) {
	clock := newClock()
	ca := newCA(t)
	fresh := epoch.AddDate(0, 0, 90).Add(time.Hour)
	soon := epoch.AddDate(0, 0, 3).Add(time.Hour)
	today := epoch.Add(5 * time.Hour)
	gone := epoch.AddDate(0, 0, -40)
	cases := []struct {
		name     string
		addr     string
		set      func(m *config.Monitor)
		roots    bool
		outcome  Outcome
		msg      string
		notAfter time.Time
	}{
		{"valid", tlsServer(t, ca.leaf(t, "127.0.0.1", fresh), clock, 0), nil, true, Up, "certificate expires in 90 days (Mar 1, 2027)", fresh},
		{"within the warning", tlsServer(t, ca.leaf(t, "127.0.0.1", soon), clock, 0), nil, true, Degraded, "certificate expires in 3 days (Dec 4)", soon},
		{"within a day", tlsServer(t, ca.leaf(t, "127.0.0.1", today), clock, 0), nil, true, Degraded, "certificate expires in less than a day (Dec 1)", today},
		{"warning off", tlsServer(t, ca.leaf(t, "127.0.0.1", soon), clock, 0), func(m *config.Monitor) { m.CertExpiryDays = 0 }, true, Up, "certificate expires in 3 days (Dec 4)", soon},
		{"expired", tlsServer(t, ca.leaf(t, "127.0.0.1", gone), clock, 0), nil, true, Down, "certificate expired 40 days ago (Oct 22)", gone},
		{"unknown authority", tlsServer(t, ca.leaf(t, "127.0.0.1", fresh), clock, 0), nil, false, Down, "certificate signed by an unknown authority", fresh},
		{"wrong host", tlsServer(t, ca.leaf(t, "127.0.0.2", fresh), clock, 0), nil, true, Down, "certificate is not valid for 127.0.0.1", fresh},
		{"slow handshake is degraded", tlsServer(t, ca.leaf(t, "127.0.0.1", fresh), clock, 1200*time.Millisecond), func(m *config.Monitor) { m.DegradedOver = config.Duration(time.Second) }, true, Degraded, "slow: 1.2s, over 1s", fresh},
		{"accepts and never answers", silentServer(t), short, true, Down, "no TLS handshake within 500ms", time.Time{}},
		{"plain text server", lineServer(t, func(c *lineConn) { c.say("220 mail.example.test ESMTP\r\n") }), nil, true, Down, "the server did not answer in TLS", time.Time{}},
		{"refused", refusedAddr(t), nil, true, Down, "connection refused", time.Time{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := monitor("tls")
			m.Address = tc.addr
			m.CertExpiryDays = 14
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

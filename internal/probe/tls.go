package probe

import (
	"context"
	"crypto/tls"
	"net"
	"time"

	"github.com/heraldhq/herald/internal/config"
)

// tlsProber completes a TLS handshake with a HOST:PORT and reads the
// leaf certificate's expiry. It is for services other than web sites
// (IMAPS, SMTPS, an API's port) whose certificates lapse just the same.
type tlsProber struct {
	address  string
	timeout  time.Duration
	certDays int
	dial     func(context.Context, string, string) (net.Conn, error)
	now      func() time.Time
	config   *tls.Config
}

func newTLS(m config.Monitor, env Env) (Prober, error) {
	if err := checkAddress(m.Address); err != nil {
		return nil, err
	}
	host, _, _ := net.SplitHostPort(m.Address)
	return &tlsProber{
		address:  m.Address,
		timeout:  m.Timeout.D(),
		certDays: m.CertExpiryDays,
		dial:     env.Dial,
		now:      env.Now,
		// An IP as ServerName is checked against the certificate's IP
		// addresses (and not sent as SNI), which is what an operator who
		// wrote an IP means.
		config: &tls.Config{ServerName: host, RootCAs: env.RootCAs, Time: env.Now, MinVersion: tls.VersionTLS12},
	}, nil
}

func (p *tlsProber) Probe(parent context.Context) Result {
	ctx, cancel := context.WithTimeout(parent, p.timeout)
	defer cancel()
	start := p.now()
	raw, err := p.dial(ctx, "tcp", p.address)
	if err != nil {
		return Result{Outcome: Down, Latency: p.now().Sub(start), Message: failed(parent, ctx, err, "connection", p.timeout)}
	}
	conn := tls.Client(raw, p.config)
	defer conn.Close()
	err = conn.HandshakeContext(ctx)
	r := Result{Outcome: Up, Latency: p.now().Sub(start)}
	now := p.now()
	if err != nil {
		r.Outcome = Down
		if msg, notAfter, ok := certProblem(err, now); ok && parent.Err() == nil {
			r.Message, r.CertNotAfter = msg, notAfter
		} else {
			r.Message = failed(parent, ctx, err, "TLS handshake", p.timeout)
		}
		return r
	}
	certs := conn.ConnectionState().PeerCertificates
	r.CertNotAfter = certs[0].NotAfter
	if warn := certWarning(r.CertNotAfter, now, p.certDays); warn != "" {
		r.Outcome, r.Message = Degraded, warn
		return r
	}
	r.Message = expiry(r.CertNotAfter, now)
	return r
}

package probe

import (
	"context"
	"net"
	"time"

	"github.com/heraldhq/herald/internal/config"
)

// tcpProber checks that a TCP port accepts connections. It says nothing
// about the service behind it: an smtp, imap or pop3 monitor also checks
// that the service answers.
type tcpProber struct {
	address string
	timeout time.Duration
	dial    func(context.Context, string, string) (net.Conn, error)
	now     func() time.Time
}

func newTCP(m config.Monitor, env Env) (Prober, error) {
	if err := checkAddress(m.Address); err != nil {
		return nil, err
	}
	return &tcpProber{address: m.Address, timeout: m.Timeout.D(), dial: env.Dial, now: env.Now}, nil
}

func (p *tcpProber) Probe(parent context.Context) Result {
	ctx, cancel := context.WithTimeout(parent, p.timeout)
	defer cancel()
	start := p.now()
	conn, err := p.dial(ctx, "tcp", p.address)
	r := Result{Outcome: Up, Latency: p.now().Sub(start), Message: "connected"}
	if err != nil {
		r.Outcome, r.Message = Down, failed(parent, ctx, err, "connection", p.timeout)
		return r
	}
	_ = conn.Close()
	return r
}

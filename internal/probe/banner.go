package probe

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/heraldhq/herald/internal/config"
)

// verdict is how a line-based conversation ended: up with msg, down with
// msg, or stopped by err while waiting for something.
type verdict struct {
	down    bool
	msg     string
	waiting string // what the conversation was waiting for when err came
	err     error
}

func upWith(msg string) verdict { return verdict{msg: msg} }

func downWith(format string, a ...any) verdict {
	return verdict{down: true, msg: fmt.Sprintf(format, a...)}
}

func stuck(waiting string, err error) verdict { return verdict{waiting: waiting, err: err} }

// talker is one protocol's side of the conversation. bye, when not empty,
// is sent after a successful conversation so the server can log a clean
// goodbye; its answer is not awaited, since it says nothing about health.
type talker struct {
	talk func(s *session) verdict
	bye  string
}

// lineProber runs a talker against one HOST:PORT.
type lineProber struct {
	talker
	address string
	timeout time.Duration
	dial    func(context.Context, string, string) (net.Conn, error)
	now     func() time.Time
}

func newLineProber(m config.Monitor, env Env, t talker) (Prober, error) {
	if err := checkAddress(m.Address); err != nil {
		return nil, err
	}
	return &lineProber{talker: t, address: m.Address, timeout: m.Timeout.D(), dial: env.Dial, now: env.Now}, nil
}

func (p *lineProber) Probe(parent context.Context) Result {
	ctx, cancel := context.WithTimeout(parent, p.timeout)
	defer cancel()
	start := p.now()
	s, err := dialSession(ctx, p.dial, p.address)
	if err != nil {
		return Result{Outcome: Down, Latency: p.now().Sub(start), Message: failed(parent, ctx, err, "connection", p.timeout)}
	}
	defer s.close()
	v := p.talk(s)
	r := Result{Outcome: Up, Latency: p.now().Sub(start), Message: v.msg}
	switch {
	case v.err != nil:
		r.Outcome, r.Message = Down, failed(parent, ctx, v.err, v.waiting, p.timeout)
	case v.down:
		r.Outcome = Down
	case p.bye != "":
		_ = s.send(p.bye)
	}
	return r
}

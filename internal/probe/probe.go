// Package probe checks one monitored service once: it connects the way a
// customer would, within the monitor's timeout, and says whether the service
// is up, degraded or down, and why, in words an operator can act on.
//
// Every check opens new connections through Env.Dial (nothing is kept alive
// between checks, so a dead listener is never hidden by a pooled
// connection), and the monitor's timeout covers the whole conversation, so a
// server that accepts and then never answers is caught. The package keeps no
// state of its own apart from what a caller hands it (a Heartbeats registry).
package probe

import (
	"context"
	"crypto/x509"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/config"
)

// Outcome of one check.
type Outcome int

// Outcomes, from best to worst.
const (
	Up Outcome = iota
	Degraded
	Down
)

// String is the outcome's word: "up", "degraded", "down".
func (o Outcome) String() string {
	switch o {
	case Up:
		return "up"
	case Degraded:
		return "degraded"
	case Down:
		return "down"
	}
	return fmt.Sprintf("outcome(%d)", int(o))
}

// Result is what one check found.
type Result struct {
	Outcome Outcome
	// Latency is how long the check took (for icmp, the echo's round trip).
	Latency time.Duration
	// Message is a short, plain, operator-facing reason, such as
	// "connection refused" or "status 503, want 200-399".
	Message string
	// CertNotAfter is the leaf certificate's expiry for https and tls
	// checks that got as far as a certificate; zero otherwise.
	CertNotAfter time.Time
}

// Env is what probes need from the world. The zero value works: it dials
// with a net.Dialer, reads time.Now and trusts the system's roots.
type Env struct {
	// Dial opens every connection a probe makes (tests inject one to prove
	// no dialing). nil = net.Dialer.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// Now is the clock for latency, certificate expiry and heartbeats.
	// nil = time.Now.
	Now func() time.Time
	// RootCAs verifies https and tls certificates. nil = system roots.
	RootCAs *x509.CertPool
	// Heartbeats is where heartbeat monitors read their last ping; New
	// registers each heartbeat monitor's token in it.
	Heartbeats *Heartbeats
}

// NewDialer is the dialer of checks, from local (nil: the system picks the
// source address). A connection lives for one check, so it goes without TCP
// keep-alive, which would cost four system calls per check and never send
// a probe within a check's timeout.
func NewDialer(local net.Addr) *net.Dialer {
	return &net.Dialer{LocalAddr: local, KeepAlive: -1}
}

// dialer is the default: it holds no state, so every monitor shares it,
// and its method value too (made per call, it was a closure per monitor).
var (
	dialer      = NewDialer(nil)
	dialDefault = dialer.DialContext
)

func (e Env) withDefaults() Env {
	if e.Dial == nil {
		e.Dial = dialDefault
	}
	if e.Now == nil {
		e.Now = time.Now
	}
	return e
}

// Prober runs one monitor's check. Probe never blocks past the monitor's
// timeout (it applies config.Monitor.Timeout itself, and also honours ctx).
// A Prober may be used from several goroutines at once.
type Prober interface {
	Probe(ctx context.Context) Result
}

// builder makes the prober of one kind; env has its defaults filled in.
type builder func(m config.Monitor, env Env) (Prober, error)

// builders are the monitor types and their builders, in the order an error
// lists them: one table, only read. (A map made per call, as before, was a
// map of garbage per monitor, ten thousand at a start.)
var builders = [...]struct {
	kind  string
	build builder
}{
	{"dns", newDNS}, {"heartbeat", newHeartbeat}, {"http", newHTTP}, {"https", newHTTP},
	{"icmp", newICMP}, {"imap", newIMAP}, {"pop3", newPOP3}, {"smtp", newSMTP},
	{"tcp", newTCP}, {"tls", newTLS},
}

// builderOf is the builder of one monitor type.
func builderOf(kind string) (builder, bool) {
	for _, b := range builders {
		if b.kind == kind {
			return b.build, true
		}
	}
	return nil, false
}

// New builds the prober for one configured monitor. It expects a monitor
// that config has defaulted and validated, but checks what a probe cannot
// work without, so a hand-built Monitor gets an error rather than a prober
// that fails every check.
func New(m config.Monitor, env Env) (Prober, error) {
	build, ok := builderOf(m.Type)
	if !ok {
		names := make([]string, len(builders))
		for i, b := range builders {
			names[i] = b.kind
		}
		return nil, fmt.Errorf("probe: monitor type %q is not one of %s", m.Type, strings.Join(names, ", "))
	}
	if m.Type != "heartbeat" && m.Timeout <= 0 {
		return nil, fmt.Errorf("probe: %s monitor needs a timeout of more than 0", m.Type)
	}
	p, err := build(m, env.withDefaults())
	if err != nil {
		return nil, fmt.Errorf("probe: %s monitor: %w", m.Type, err)
	}
	if over := m.DegradedOver.D(); over > 0 && m.Type != "heartbeat" {
		p = slowIsDegraded{p, over}
	}
	return p, nil
}

// slowIsDegraded turns an up result slower than over into a degraded one.
// It wraps every kind in one place, so no probe can forget degraded_over.
type slowIsDegraded struct {
	Prober
	over time.Duration
}

func (s slowIsDegraded) Probe(ctx context.Context) Result {
	r := s.Prober.Probe(ctx)
	if r.Outcome == Down || r.Latency <= s.over {
		return r
	}
	slow := "slow: " + seconds(r.Latency) + ", over " + seconds(s.over)
	if r.Outcome == Degraded {
		r.Message = slow + "; " + r.Message
	} else {
		r.Outcome, r.Message = Degraded, slow
	}
	return r
}

// seconds writes a latency the way an operator reads it: "2.3s", "850ms",
// "0.42ms"; whole units when they are whole ("2s", "10s").
func seconds(d time.Duration) string {
	switch {
	case d >= time.Second:
		return trimZero(fmt.Sprintf("%.1f", d.Seconds())) + "s"
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%dms", d.Round(time.Millisecond).Milliseconds())
	default:
		ms := math.Round(float64(d)/float64(time.Millisecond)*100) / 100
		return strconv.FormatFloat(ms, 'f', -1, 64) + "ms"
	}
}

func trimZero(s string) string { return strings.TrimSuffix(s, ".0") }

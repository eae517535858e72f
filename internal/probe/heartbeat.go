package probe

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/heraldhq/herald/internal/config"
)

// minTokenLen keeps heartbeat URLs from being guessed: anyone who knows a
// token can keep a dead job looking alive.
const minTokenLen = 16

// Heartbeats is a concurrency-safe registry of heartbeat tokens and their
// last ping. The HTTP handler for /api/v1/heartbeat/{token} calls Beat;
// heartbeat probers read it.
type Heartbeats struct {
	mu     sync.Mutex
	tokens map[string]beat
	shared BeatStore
}

// BeatStore keeps the last ping of each token where every instance sharing
// a database reads it (the store's heartbeats table).
type BeatStore interface {
	SaveBeat(ctx context.Context, token string, at time.Time) error
	LastBeat(ctx context.Context, token string) (time.Time, bool, error)
}

// Share makes the registry keep pings in s too, and its probers read them
// there: with several instances, a job's ping reaches any of them, and the
// one running the monitor must see it. Call it before the first Beat.
func (h *Heartbeats) Share(s BeatStore) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.shared = s
}

// BeatShared is Beat, and then records the ping where the other instances
// read it (see Share). It is false for an unknown token.
func (h *Heartbeats) BeatShared(ctx context.Context, token string, at time.Time) (bool, error) {
	if !h.Beat(token, at) {
		return false, nil
	}
	h.mu.Lock()
	shared := h.shared
	h.mu.Unlock()
	if shared == nil {
		return true, nil
	}
	return true, shared.SaveBeat(ctx, token, at)
}

type beat struct {
	since time.Time // registered: the grace period runs from here
	last  time.Time // last ping; zero before the first
}

// NewHeartbeats returns an empty registry.
func NewHeartbeats() *Heartbeats { return &Heartbeats{tokens: map[string]beat{}} }

// Register makes token known, with since the time its grace period starts.
// Registering a known token again changes nothing, so a configuration
// reload keeps each job's last ping.
func (h *Heartbeats) Register(token string, since time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.tokens[token]; !ok {
		h.tokens[token] = beat{since: since}
	}
}

// Forget drops a token, for a heartbeat monitor removed from the
// configuration: its URL then answers as unknown.
func (h *Heartbeats) Forget(token string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.tokens, token)
}

// Beat records a ping at at. It is false for an unknown token. A ping
// older than the last one (a delayed request) does not move it back.
func (h *Heartbeats) Beat(token string, at time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	b, ok := h.tokens[token]
	if !ok {
		return false
	}
	if at.After(b.last) {
		b.last = at
		h.tokens[token] = b
	}
	return true
}

// Last is the token's last ping; false when the token is unknown or has
// not pinged since it was registered.
func (h *Heartbeats) Last(token string) (time.Time, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	b, ok := h.tokens[token]
	return b.last, ok && !b.last.IsZero()
}

func (h *Heartbeats) get(token string) (beat, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	b, ok := h.tokens[token]
	return b, ok
}

// heartbeatProber reads the registry; it makes no connection.
type heartbeatProber struct {
	beats  *Heartbeats
	token  string
	period time.Duration
	now    func() time.Time
}

func newHeartbeat(m config.Monitor, env Env) (Prober, error) {
	if env.Heartbeats == nil {
		return nil, errors.New("needs a Heartbeats registry in probe.Env")
	}
	if m.Period <= 0 {
		return nil, errors.New("period must be more than 0")
	}
	if m.TokenEnv == "" {
		return nil, errors.New("token_env is required: the environment variable holding the heartbeat token")
	}
	token, set := os.LookupEnv(m.TokenEnv)
	switch {
	case !set:
		return nil, fmt.Errorf("environment variable %s (token_env) is not set; it must hold the heartbeat token", m.TokenEnv)
	case token == "":
		return nil, fmt.Errorf("environment variable %s (token_env) is empty; it must hold the heartbeat token", m.TokenEnv)
	case len(token) < minTokenLen || strings.IndexFunc(token, notTokenRune) >= 0:
		return nil, fmt.Errorf("environment variable %s (token_env) must hold at least %d characters of A-Z, a-z, 0-9, \"-\" and \"_\"", m.TokenEnv, minTokenLen)
	}
	env.Heartbeats.Register(token, env.Now())
	return &heartbeatProber{beats: env.Heartbeats, token: token, period: m.Period.D(), now: env.Now}, nil
}

func notTokenRune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
}

// Probe is Down once the job has been silent for longer than the period,
// counting from registration until its first ping.
func (p *heartbeatProber) Probe(ctx context.Context) Result {
	p.beats.mu.Lock()
	shared := p.beats.shared
	p.beats.mu.Unlock()
	if shared != nil {
		// Another instance may have taken the ping. If the database cannot
		// be read, what this one took is all there is to go on.
		if last, ok, err := shared.LastBeat(ctx, p.token); err == nil && ok {
			p.beats.Beat(p.token, last)
		}
	}
	now := p.now()
	b, ok := p.beats.get(p.token)
	if !ok {
		// Forgotten under a prober still running: the job cannot ping.
		return Result{Outcome: Down, Message: "heartbeat token is no longer registered"}
	}
	if b.last.IsZero() {
		if silent := now.Sub(b.since); silent > p.period {
			return Result{Outcome: Down, Message: "no ping since watching began " + span(silent) + " ago (period " + span(p.period) + ")"}
		}
		return Result{Outcome: Up, Message: "waiting for the first ping (period " + span(p.period) + ")"}
	}
	silent := now.Sub(b.last)
	if silent > p.period {
		return Result{Outcome: Down, Message: "no ping for " + span(silent) + " (period " + span(p.period) + ")"}
	}
	return Result{Outcome: Up, Message: "last ping " + span(silent) + " ago"}
}

// span writes a silence the way an operator reads it, to the second:
// "45s", "12m", "12m30s", "1h5m", "2h".
func span(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, sec := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	var b strings.Builder
	if h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m > 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	if sec > 0 || b.Len() == 0 {
		fmt.Fprintf(&b, "%ds", sec)
	}
	return b.String()
}

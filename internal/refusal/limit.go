package refusal

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/heraldhq/herald/internal/peer"
)

// Limit is a token bucket per client (peer.Key): burst requests at once,
// then one every per. It forgets idle clients, and holds at most maxClients
// (beyond that the oldest half is dropped: a flood of addresses cannot grow
// it without bound).
type Limit struct {
	burst float64
	per   time.Duration
	now   func() time.Time

	mu      sync.Mutex
	clients map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

const maxClients = 100000

// NewLimit makes a Limit; now may be nil (the real clock).
func NewLimit(burst int, per time.Duration, now func() time.Time) *Limit {
	if now == nil {
		now = time.Now
	}
	return &Limit{burst: float64(burst), per: per, now: now, clients: map[string]*bucket{}}
}

// Allow takes a token for key, or says how long until one is free.
func (l *Limit) Allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.clients[key]
	if !ok {
		if len(l.clients) >= maxClients {
			l.prune(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.clients[key] = b
	}
	b.tokens = min(l.burst, b.tokens+float64(now.Sub(b.at))/float64(l.per))
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) * float64(l.per))
}

// Peek says whether key has a token left, without taking it, or how long
// until it has: for allowances spent only by failures (bad tokens), checked
// before the request is served and taken (Allow) when it fails.
func (l *Limit) Peek(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.clients[key]
	if !ok {
		return true, 0
	}
	tokens := min(l.burst, b.tokens+float64(l.now().Sub(b.at))/float64(l.per))
	if tokens >= 1 {
		return true, 0
	}
	return false, time.Duration((1 - tokens) * float64(l.per))
}

func (l *Limit) prune(now time.Time) {
	full := time.Duration(l.burst * float64(l.per))
	for k, b := range l.clients {
		if now.Sub(b.at) > full || len(l.clients) > maxClients/2 {
			delete(l.clients, k)
		}
	}
}

// Refused takes a token for r's client; when none is left it notes the
// refusal (as kind) in log and sets Retry-After, and the caller answers 429.
// It reads nothing of the request but its client address.
func (l *Limit) Refused(w http.ResponseWriter, r *http.Request, log *Log, kind string) bool {
	a := peer.From(r)
	ok, wait := l.Allow(peer.Key(a))
	if ok {
		return false
	}
	log.Note(a, kind)
	w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
	return true
}

package web

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// rateLimit is a token bucket per client address: burst requests at once,
// then one every per. It forgets idle clients, and holds at most maxClients
// (beyond that the oldest half is dropped: a flood of addresses cannot grow
// it without bound).
type rateLimit struct {
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

func newRateLimit(burst int, per time.Duration, now func() time.Time) *rateLimit {
	if now == nil {
		now = time.Now
	}
	return &rateLimit{burst: float64(burst), per: per, now: now, clients: map[string]*bucket{}}
}

// clientKey is the peer's address; IPv6 clients are grouped by /64, since
// one host commonly holds a whole /64.
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String()
	}
	return host
}

// allow takes a token for key, or says how long until one is free.
func (l *rateLimit) allow(key string) (bool, time.Duration) {
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

func (l *rateLimit) prune(now time.Time) {
	full := time.Duration(l.burst * float64(l.per))
	for k, b := range l.clients {
		if now.Sub(b.at) > full || len(l.clients) > maxClients/2 {
			delete(l.clients, k)
		}
	}
}

// limited answers 429 when the client has used its allowance.
func (l *rateLimit) limited(w http.ResponseWriter, r *http.Request) bool {
	ok, wait := l.allow(clientKey(r))
	if ok {
		return false
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
	return true
}

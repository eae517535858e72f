package auth

import (
	"net/netip"
	"sync"
	"time"

	"github.com/heraldhq/herald/internal/peer"
)

// guard slows password guessing without letting anyone lock an account:
//
//   - per account AND client (a user name from one address, an IPv6 /64),
//     failures past the first few make that pair wait, the wait doubling with
//     each failure up to a ceiling. Someone guessing alice's password from
//     one address slows only themselves: alice, elsewhere, signs in at once;
//   - per client, at most MaxFailuresPerAddress failures in LimitWindow,
//     whatever the names, so one address cannot try a list of users.
//
// There is deliberately no limit per account alone: anyone who knows a
// user name could then keep its owner out. It lives in memory: each
// instance limits on its own, so N instances allow N times the attempts,
// still far too few to guess a password.
type guard struct {
	opts Options

	mu      sync.Mutex
	pairs   map[pairKey]*backoff
	clients map[string][]time.Time
}

type pairKey struct{ user, client string }

type backoff struct {
	fails int
	last  time.Time // the last failure
	until time.Time // no attempt before this
}

// maxKeys bounds the memory a flood of made-up names or addresses can take.
const maxKeys = 10000

func newGuard(o Options) *guard {
	return &guard{opts: o, pairs: map[pairKey]*backoff{}, clients: map[string][]time.Time{}}
}

// delay is how long a pair waits after its n-th failure in a row: nothing
// for the first FreeFailures, then BaseDelay doubling up to MaxDelay.
func (g *guard) delay(n int) time.Duration {
	over := n - g.opts.FreeFailures
	if over <= 0 {
		return 0
	}
	d := g.opts.BaseDelay
	for i := 1; i < over && d < g.opts.MaxDelay; i++ {
		d *= 2
	}
	return min(d, g.opts.MaxDelay)
}

// recent is client's failures within the window ending at now (locked).
func (g *guard) recent(client string, now time.Time) []time.Time {
	list := g.clients[client]
	i := 0
	for i < len(list) && !list[i].After(now.Add(-g.opts.LimitWindow)) {
		i++
	}
	list = list[i:]
	if len(list) == 0 {
		delete(g.clients, client)
	} else {
		g.clients[client] = list
	}
	return list
}

// admitClient says when client may try again, 0 if now: the per-client
// limit, decided before anything is read of the request.
func (g *guard) admitClient(client string, now time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	list := g.recent(client, now)
	if max := g.opts.MaxFailuresPerAddress; len(list) >= max {
		return list[len(list)-max].Add(g.opts.LimitWindow).Sub(now)
	}
	return 0
}

// admitPair says when this user from this client may try again, 0 if now.
func (g *guard) admitPair(k pairKey, now time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	if b, ok := g.pairs[k]; ok && now.Before(b.until) {
		return b.until.Sub(now)
	}
	return 0
}

// fail records a failed sign-in of k.
func (g *guard) fail(k pairKey, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.prune(now)
	b := g.pairs[k]
	if b == nil {
		b = &backoff{}
		g.pairs[k] = b
	}
	b.fails++
	b.last = now
	b.until = now.Add(g.delay(b.fails))
	g.clients[k.client] = append(g.recent(k.client, now), now)
}

// succeed forgets k's failures: the owner is back in.
func (g *guard) succeed(k pairKey) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.pairs, k)
}

// forgetAfter is how long a pair's failures are kept after its last one.
func (g *guard) forgetAfter() time.Duration { return 2*g.opts.MaxDelay + g.opts.LimitWindow }

// prune drops what has expired once the maps are full, and when still full
// some live entries: the per-client window still holds a flood (locked).
func (g *guard) prune(now time.Time) {
	if len(g.pairs) >= maxKeys {
		for k, b := range g.pairs {
			if now.Sub(b.last) > g.forgetAfter() {
				delete(g.pairs, k)
			}
		}
		dropSome(g.pairs)
	}
	if len(g.clients) >= maxKeys {
		for c := range g.clients {
			g.recent(c, now)
		}
		dropSome(g.clients)
	}
}

func dropSome[K comparable, V any](m map[K]V) {
	if len(m) < maxKeys {
		return
	}
	n := 0
	for k := range m {
		delete(m, k)
		if n++; n >= maxKeys/10 {
			return
		}
	}
}

// clientKey is the guard's key of a client address given as text (an
// address, or address:port); text that is neither is its own key.
func clientKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		ap, err2 := netip.ParseAddrPort(addr)
		if err2 != nil {
			return "addr:" + addr
		}
		a = ap.Addr()
	}
	return peer.Key(a)
}

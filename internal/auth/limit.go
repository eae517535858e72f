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
	// checking counts each client's attempts admitted and not yet decided:
	// they count against its limit, or a burst of parallel attempts would
	// all be admitted before the first failure is recorded.
	checking map[string]int
}

type pairKey struct{ user, client string }

type backoff struct {
	fails    int
	last     time.Time // the last failure
	until    time.Time // no attempt before this
	checking bool      // an attempt is being decided: the next waits for it
}

// maxKeys bounds the memory a flood of made-up names or addresses can take.
const maxKeys = 10000

func newGuard(o Options) *guard {
	return &guard{opts: o, pairs: map[pairKey]*backoff{}, clients: map[string][]time.Time{}, checking: map[string]int{}}
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

// clientWait says when client may try again, 0 if now: the per-client
// limit (locked).
func (g *guard) clientWait(client string, now time.Time) time.Duration {
	list := g.recent(client, now)
	max := g.opts.MaxFailuresPerAddress
	if len(list)+g.checking[client] < max {
		return 0
	}
	if len(list) < max {
		// Attempts in flight fill the allowance: they are decided in moments.
		return g.opts.BaseDelay
	}
	return list[len(list)-max].Add(g.opts.LimitWindow).Sub(now)
}

// admitClient is clientWait for Admit, which asks before anything is read
// of the request.
func (g *guard) admitClient(client string, now time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.clientWait(client, now)
}

// failure counts a failed attempt against client, outside any pair: a
// single sign-on answer that did not check out (locked inside).
func (g *guard) failure(client string, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.clients) >= maxKeys {
		g.prune(now)
	}
	g.clients[client] = append(g.recent(client, now), now)
}

// reserve admits one attempt of k, or says how long to wait. An admitted
// attempt holds its place until finish: one attempt per user name and
// client is decided at a time, and it counts against the client's limit.
func (g *guard) reserve(k pairKey, now time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	if wait := g.clientWait(k.client, now); wait > 0 {
		return wait
	}
	b := g.pairs[k]
	switch {
	case b != nil && now.Before(b.until):
		return b.until.Sub(now)
	case b != nil && b.checking:
		return g.opts.BaseDelay
	}
	g.prune(now)
	if b == nil {
		b = &backoff{}
		g.pairs[k] = b
	}
	b.checking = true
	g.checking[k.client]++
	return 0
}

// Outcomes of an attempt, for finish.
const (
	undecided = iota // an error of Herald's own: nothing is counted
	failed
	succeeded
)

// finish ends the attempt reserve admitted: a failure makes the pair wait
// and counts against the client; a success forgets the pair's failures.
func (g *guard) finish(k pairKey, outcome int, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if n := g.checking[k.client]; n <= 1 {
		delete(g.checking, k.client)
	} else {
		g.checking[k.client] = n - 1
	}
	b := g.pairs[k]
	if b == nil {
		b = &backoff{} // pruned meanwhile
		g.pairs[k] = b
	}
	b.checking = false
	switch outcome {
	case failed:
		b.fails++
		b.last = now
		b.until = now.Add(g.delay(b.fails))
		g.clients[k.client] = append(g.recent(k.client, now), now)
	case succeeded:
		delete(g.pairs, k)
	default:
		if b.fails == 0 {
			delete(g.pairs, k)
		}
	}
}

// forgetAfter is how long a pair's failures are kept after its last one.
func (g *guard) forgetAfter() time.Duration { return 2*g.opts.MaxDelay + g.opts.LimitWindow }

// prune drops what has expired once the maps are full, and when still full
// some live entries: the per-client window still holds a flood (locked).
func (g *guard) prune(now time.Time) {
	if len(g.pairs) >= maxKeys {
		for k, b := range g.pairs {
			if !b.checking && now.Sub(b.last) > g.forgetAfter() {
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

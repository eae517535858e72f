package auth

import (
	"net/netip"
	"sync"
	"time"
)

// limiter counts failed sign-ins per key (a user name, a client address) in
// a sliding window. It lives in memory: each instance limits on its own, so
// N instances allow N times the attempts, still far too few to guess a password.
type limiter struct {
	mu     sync.Mutex
	window time.Duration
	fails  map[string][]time.Time
}

// maxKeys bounds the memory a flood of made-up names can take.
const maxKeys = 10000

func newLimiter(window time.Duration) *limiter {
	return &limiter{window: window, fails: map[string][]time.Time{}}
}

// recent returns the failures of key within the window ending at now.
func (l *limiter) recent(key string, now time.Time) []time.Time {
	list := l.fails[key]
	i := 0
	for i < len(list) && !list[i].After(now.Add(-l.window)) {
		i++
	}
	list = list[i:]
	if len(list) == 0 {
		delete(l.fails, key)
	} else {
		l.fails[key] = list
	}
	return list
}

// blocked says whether key has reached max failures, and when it may try again.
func (l *limiter) blocked(key string, max int, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	list := l.recent(key, now)
	if len(list) < max {
		return false, 0
	}
	return true, list[len(list)-max].Add(l.window).Sub(now)
}

func (l *limiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.fails) >= maxKeys {
		for k := range l.fails {
			l.recent(k, now)
		}
		if len(l.fails) >= maxKeys {
			// Still full of live keys: drop some; the per-address limit still holds the flood.
			n := 0
			for k := range l.fails {
				delete(l.fails, k)
				if n++; n >= maxKeys/10 {
					break
				}
			}
		}
	}
	l.fails[key] = append(l.recent(key, now), now)
}

func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}

// addressKey is the limiter key of a client address: IPv6 clients are
// counted by their /64, since one host usually holds a whole one.
func addressKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		if ap, err2 := netip.ParseAddrPort(addr); err2 == nil {
			ip = ap.Addr()
		} else {
			return "addr:" + addr
		}
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return "addr:" + p.String()
	}
	return "addr:" + ip.String()
}

// Package peer is the one place that says who a request comes from: the
// client address every rate limit, refusal and log line uses. Herald has no
// TLS of its own and runs behind a reverse proxy, so the connection's address
// is usually the proxy's; the client's is then read from X-Forwarded-For or
// Forwarded, but only when the connection comes from a trusted proxy (any
// client can write those headers).
package peer

import (
	"context"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver finds the client address of requests. Proxies returns the
// trusted proxies' prefixes now (the configuration can be reloaded); nil
// trusts nobody.
type Resolver struct {
	Proxies func() []netip.Prefix
}

type ctxKey struct{}

// Handler notes each request's client address in its context, where From
// finds it, then calls next.
func (res Resolver) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var trusted []netip.Prefix
		if res.Proxies != nil {
			trusted = res.Proxies()
		}
		a := Resolve(r, trusted)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, a)))
	})
}

// From is the client address of r: as Handler found it, or the
// connection's address for a request that did not pass through Handler.
// It is the zero Addr only when RemoteAddr is not an address at all.
func From(r *http.Request) netip.Addr {
	if a, ok := r.Context().Value(ctxKey{}).(netip.Addr); ok {
		return a
	}
	return remote(r)
}

// Key is the rate-limit key of a client: its address, or for IPv6 its /64,
// since one host commonly holds a whole /64 and could otherwise take a
// fresh allowance with every address.
func Key(a netip.Addr) string {
	a = a.Unmap()
	if !a.IsValid() {
		return "unknown"
	}
	if a.Is6() {
		p, _ := a.WithZone("").Prefix(64)
		return p.String()
	}
	return a.String()
}

// Loopback says whether the request came straight from this machine: its
// connection is loopback and it names no other client through a proxy
// header. A request through a local reverse proxy is not (the proxy adds
// X-Forwarded-For or Forwarded), even when the proxy is not trusted.
func Loopback(r *http.Request) bool {
	if !remote(r).IsLoopback() {
		return false
	}
	return len(r.Header.Values("X-Forwarded-For")) == 0 && len(r.Header.Values("Forwarded")) == 0 &&
		r.Header.Get("X-Real-Ip") == ""
}

func remote(r *http.Request) netip.Addr {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	a, _ := netip.ParseAddr(r.RemoteAddr)
	return a.Unmap().WithZone("")
}

// Resolve is the client address of r when the proxies in trusted are
// believed. Walking the proxy chain from the right (the hop nearest to
// Herald), every address that is a trusted proxy is skipped; the first that
// is not is the client. X-Forwarded-For is read when present, else
// Forwarded (RFC 7239, its for= parameters). When the connection is not from
// a trusted proxy, or the nearest untrusted hop cannot be read (an obfuscated
// "for=_hidden", "unknown", garbage), the connection's address is the answer:
// a wrong guess must never let a client choose its own address.
func Resolve(r *http.Request, trusted []netip.Prefix) netip.Addr {
	conn := remote(r)
	if !conn.IsValid() || !contains(trusted, conn) {
		return conn
	}
	var hops []string
	if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
		for _, line := range xff {
			for _, h := range strings.Split(line, ",") {
				hops = append(hops, strings.TrimSpace(h))
			}
		}
	} else {
		for _, line := range r.Header.Values("Forwarded") {
			hops = append(hops, forwardedFor(line)...)
		}
	}
	client := conn
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			// The nearest trusted proxy wrote something that is not an
			// address: the client is unknown, and the proxy stands for it.
			return client
		}
		client = a
		if !contains(trusted, a) {
			return a
		}
	}
	// Every hop is a trusted proxy (a request from the proxy's own host):
	// the leftmost is the client.
	return client
}

func contains(trusted []netip.Prefix, a netip.Addr) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// maxHop bounds what parseHop looks at; no address is longer.
const maxHop = 64

// parseHop reads one hop: an address, with or without a port ("1.2.3.4",
// "1.2.3.4:80", "::1", "[::1]", "[::1]:80"), quoted or not.
func parseHop(s string) (netip.Addr, bool) {
	if len(s) > maxHop {
		return netip.Addr{}, false
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil && ap.Addr().Zone() == "" {
		return ap.Addr().Unmap(), true
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil && a.Is6() && a.Zone() == "" {
			return a, true
		}
	}
	return netip.Addr{}, false
}

// forwardedFor lists the for= values of one Forwarded header line, in
// order: elements are separated by commas and pairs by semicolons, outside
// quoted strings. An element without for= gives "" (an unreadable hop).
func forwardedFor(line string) []string {
	var (
		out     []string
		found   string
		hasFor  bool
		start   int
		inQuote bool
	)
	pair := func(p string) {
		p = strings.TrimSpace(p)
		name, value, ok := strings.Cut(p, "=")
		if ok && strings.EqualFold(strings.TrimSpace(name), "for") {
			found, hasFor = strings.TrimSpace(value), true
		}
	}
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == '\\' && inQuote:
			i++ // a quoted-pair: the next byte is literal
		case c == '"':
			inQuote = !inQuote
		case (c == ';' || c == ',') && !inQuote:
			pair(line[start:i])
			start = i + 1
			if c == ',' {
				out = append(out, hop(found, hasFor))
				found, hasFor = "", false
			}
		}
	}
	pair(line[start:])
	out = append(out, hop(found, hasFor))
	return out
}

func hop(v string, ok bool) string {
	if !ok {
		return ""
	}
	return v
}

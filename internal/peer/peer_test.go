package peer

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestResolve(t *testing.T) {
	loop := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}
	chain := append([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, loop...)
	tests := []struct {
		name    string
		remote  string
		trusted []netip.Prefix
		xff     []string
		fwd     []string
		want    string
	}{
		{name: "no proxy trusted: headers ignored", remote: "127.0.0.1:5000", xff: []string{"203.0.113.7"}, want: "127.0.0.1"},
		{name: "untrusted connection: headers ignored", remote: "198.51.100.2:5000", trusted: loop, xff: []string{"203.0.113.7"}, want: "198.51.100.2"},
		{name: "trusted proxy, no header", remote: "127.0.0.1:5000", trusted: loop, want: "127.0.0.1"},
		{name: "trusted proxy, one hop", remote: "127.0.0.1:5000", trusted: loop, xff: []string{"203.0.113.7"}, want: "203.0.113.7"},
		{name: "forged left part is skipped", remote: "127.0.0.1:5000", trusted: loop, xff: []string{"1.1.1.1, 203.0.113.7"}, want: "203.0.113.7"},
		{name: "rightmost untrusted through a chain", remote: "127.0.0.1:5000", trusted: chain, xff: []string{"1.1.1.1, 203.0.113.7, 10.1.2.3"}, want: "203.0.113.7"},
		{name: "several header lines in order", remote: "127.0.0.1:5000", trusted: chain, xff: []string{"1.1.1.1", "203.0.113.7", "10.1.2.3"}, want: "203.0.113.7"},
		{name: "all trusted: the leftmost", remote: "127.0.0.1:5000", trusted: chain, xff: []string{"10.9.9.9, 10.1.2.3"}, want: "10.9.9.9"},
		{name: "with a port", remote: "127.0.0.1:5000", trusted: loop, xff: []string{"203.0.113.7:4711"}, want: "203.0.113.7"},
		{name: "IPv6 client", remote: "[::1]:5000", trusted: loop, xff: []string{"2001:db8::5"}, want: "2001:db8::5"},
		{name: "IPv6 bracketed with port", remote: "[::1]:5000", trusted: loop, xff: []string{"[2001:db8::5]:80"}, want: "2001:db8::5"},
		{name: "IPv4-mapped connection", remote: "[::ffff:127.0.0.1]:5000", trusted: loop, xff: []string{"203.0.113.7"}, want: "203.0.113.7"},
		{name: "garbage rightmost: the connection", remote: "127.0.0.1:5000", trusted: loop, xff: []string{"203.0.113.7, nonsense"}, want: "127.0.0.1"},
		{name: "zoned address refused", remote: "127.0.0.1:5000", trusted: loop, xff: []string{"fe80::1%eth0"}, want: "127.0.0.1"},
		{name: "empty entry", remote: "127.0.0.1:5000", trusted: loop, xff: []string{"203.0.113.7,"}, want: "127.0.0.1"},
		{name: "Forwarded for=", remote: "127.0.0.1:5000", trusted: loop, fwd: []string{"for=203.0.113.7;proto=https"}, want: "203.0.113.7"},
		{name: "Forwarded quoted IPv6 with port", remote: "127.0.0.1:5000", trusted: loop, fwd: []string{`for="[2001:db8:cafe::17]:4711"`}, want: "2001:db8:cafe::17"},
		{name: "Forwarded quoted loopback IPv6 then client", remote: "[::1]:5000", trusted: loop, fwd: []string{`for=198.51.100.9, for="[::1]:8080"`}, want: "198.51.100.9"},
		{name: "Forwarded case and spaces", remote: "127.0.0.1:5000", trusted: loop, fwd: []string{`proto=http; For = 203.0.113.7 ;by=127.0.0.1`}, want: "203.0.113.7"},
		{name: "Forwarded forged element skipped", remote: "127.0.0.1:5000", trusted: loop, fwd: []string{`for=1.1.1.1`, `for=203.0.113.7`}, want: "203.0.113.7"},
		{name: "Forwarded comma inside quotes", remote: "127.0.0.1:5000", trusted: loop, fwd: []string{`for=203.0.113.7;ext="a,b"`}, want: "203.0.113.7"},
		{name: "Forwarded obfuscated", remote: "127.0.0.1:5000", trusted: loop, fwd: []string{`for=_hidden`}, want: "127.0.0.1"},
		{name: "Forwarded unknown", remote: "127.0.0.1:5000", trusted: loop, fwd: []string{`for=unknown`}, want: "127.0.0.1"},
		{name: "Forwarded without for", remote: "127.0.0.1:5000", trusted: loop, fwd: []string{`proto=https`}, want: "127.0.0.1"},
		{name: "X-Forwarded-For wins over Forwarded", remote: "127.0.0.1:5000", trusted: loop, xff: []string{"203.0.113.7"}, fwd: []string{"for=1.1.1.1"}, want: "203.0.113.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			for _, v := range tt.fwd {
				r.Header.Add("Forwarded", v)
			}
			if got := Resolve(r, tt.trusted); got != netip.MustParseAddr(tt.want) {
				t.Errorf("Resolve = %v, want %s", got, tt.want)
			}
		})
	}
}

func TestHandlerAndFrom(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	var got netip.Addr
	h := Resolver{Proxies: func() []netip.Prefix { return trusted }}.Handler(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		got = From(r)
	}))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "127.0.0.1:1"
	r.Header.Set("X-Forwarded-For", "192.0.2.4")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if got != netip.MustParseAddr("192.0.2.4") {
		t.Errorf("From inside Handler = %v, want 192.0.2.4", got)
	}
	// Without the handler, the connection's address.
	if a := From(r); a != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("From outside Handler = %v, want 127.0.0.1", a)
	}
}

func TestKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1":            "192.0.2.1",
		"::ffff:192.0.2.1":     "192.0.2.1",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
	} {
		if got := Key(netip.MustParseAddr(in)); got != want {
			t.Errorf("Key(%s) = %s, want %s", in, got, want)
		}
	}
	if got := Key(netip.Addr{}); got != "unknown" {
		t.Errorf("Key(zero) = %s", got)
	}
}

func TestLoopback(t *testing.T) {
	tests := []struct {
		remote string
		header string
		want   bool
	}{
		{"127.0.0.1:1", "", true},
		{"[::1]:1", "", true},
		{"192.0.2.1:1", "", false},
		{"127.0.0.1:1", "X-Forwarded-For", false},
		{"127.0.0.1:1", "Forwarded", false},
		{"127.0.0.1:1", "X-Real-IP", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		r.RemoteAddr = tt.remote
		if tt.header != "" {
			r.Header.Set(tt.header, "203.0.113.1")
		}
		if got := Loopback(r); got != tt.want {
			t.Errorf("Loopback(%s, %s) = %v, want %v", tt.remote, tt.header, got, tt.want)
		}
	}
}

func FuzzResolve(f *testing.F) {
	f.Add("1.2.3.4, 5.6.7.8", `for="[::1]:80";proto=http, for=1.2.3.4`)
	trusted := []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}
	f.Fuzz(func(t *testing.T, xff, fwd string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = "127.0.0.1:1"
		r.Header.Set("Forwarded", fwd)
		if xff != "" {
			r.Header.Set("X-Forwarded-For", xff)
		}
		if a := Resolve(r, trusted); !a.IsValid() || a.Zone() != "" {
			t.Fatalf("Resolve gave %v", a)
		}
	})
}

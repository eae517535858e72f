package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// ErrForbiddenAddress is returned for a webhook URL that resolves to an
// address Herald must not reach on a subscriber's behalf.
var ErrForbiddenAddress = errors.New("address not allowed")

// special is a range a subscriber's webhook may never reach, and what it is.
type special struct {
	prefix netip.Prefix
	what   string
}

func specials(list ...string) []special {
	out := make([]special, 0, len(list)/2)
	for i := 0; i < len(list); i += 2 {
		out = append(out, special{netip.MustParsePrefix(list[i]), list[i+1]})
	}
	return out
}

// blocked4 are the IPv4 ranges that are not the public internet: the host
// itself, private networks, link-local (cloud metadata at 169.254.169.254
// among them), carrier-grade NAT, multicast and the reserved rest.
var blocked4 = specials(
	"0.0.0.0/8", "this network",
	"10.0.0.0/8", "a private address",
	"100.64.0.0/10", "a carrier-grade NAT address",
	"127.0.0.0/8", "a loopback address",
	"169.254.0.0/16", "a link-local address",
	"172.16.0.0/12", "a private address",
	"192.0.0.0/24", "an IETF protocol address",
	"192.0.2.0/24", "a documentation address",
	"192.88.99.0/24", "a 6to4 relay address",
	"192.168.0.0/16", "a private address",
	"198.18.0.0/15", "a benchmarking address",
	"198.51.100.0/24", "a documentation address",
	"203.0.113.0/24", "a documentation address",
	"224.0.0.0/4", "a multicast address",
	"240.0.0.0/4", "a reserved address",
)

// blocked6 are the IPv6 ranges that are not the public internet. Beyond
// them, anything outside global unicast (2000::/3) is refused, except the
// forms below that embed an IPv4 address.
var blocked6 = specials(
	"::/128", "the unspecified address",
	"::1/128", "a loopback address",
	"::/96", "an IPv4-compatible address (deprecated)",
	"::ffff:0:0:0/96", "an IPv4-translated address",
	"64:ff9b:1::/48", "a local-use NAT64 address",
	"100::/64", "a discard-only address",
	"2001::/23", "an IETF protocol address (Teredo, benchmarking, ORCHID and the like)",
	"2001:db8::/32", "a documentation address",
	"3fff::/20", "a documentation address",
	"5f00::/16", "an SRv6 segment identifier",
	"fc00::/7", "a unique local address",
	"fe80::/10", "a link-local address",
	"fec0::/10", "a site-local address",
	"ff00::/8", "a multicast address",
)

var globalUnicast6 = netip.MustParsePrefix("2000::/3")

// IPv6 forms that carry an IPv4 address, which decides for them: NAT64's
// well-known prefix (the address in the last 32 bits) and 6to4 (in bits
// 16 to 47). IPv4-mapped addresses (::ffff:0:0/96) are unmapped first.
var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// internal says what ip is when it is not a public address, or "".
func internal(ip netip.Addr) string {
	ip = ip.Unmap()
	if ip.Is4() {
		for _, b := range blocked4 {
			if b.prefix.Contains(ip) {
				return b.what
			}
		}
		return ""
	}
	b := ip.As16()
	switch {
	case nat64.Contains(ip):
		if what := internal(netip.AddrFrom4([4]byte(b[12:16]))); what != "" {
			return "the NAT64 form of " + what
		}
		return ""
	case sixToFour.Contains(ip):
		if what := internal(netip.AddrFrom4([4]byte(b[2:6]))); what != "" {
			return "the 6to4 form of " + what
		}
		return ""
	}
	for _, s := range blocked6 {
		if s.prefix.Contains(ip) {
			return s.what
		}
	}
	if !globalUnicast6.Contains(ip) {
		return "not a global unicast address"
	}
	return ""
}

// AddrPolicy decides which addresses outgoing webhooks may reach.
type AddrPolicy struct {
	// Allow lists ranges permitted even though blocked (loopback for tests
	// and demos, an internal chat server an operator trusts).
	Allow []netip.Prefix
}

// Check refuses an address with a zone (it names a network interface of
// this host, and netip.Prefix.Contains is false for every zoned address, so
// no range check would catch it), then internal addresses that Allow does
// not name.
func (p AddrPolicy) Check(ip netip.Addr) error {
	if !ip.IsValid() {
		return fmt.Errorf("%w: not an IP address", ErrForbiddenAddress)
	}
	if ip.Zone() != "" {
		return fmt.Errorf("%w: %s names a network interface (%%%s); addresses with a zone are refused", ErrForbiddenAddress, ip, ip.Zone())
	}
	ip = ip.Unmap()
	for _, a := range p.Allow {
		if a.Contains(ip) {
			return nil
		}
	}
	if what := internal(ip); what != "" {
		return fmt.Errorf("%w: %s is %s", ErrForbiddenAddress, ip, what)
	}
	return nil
}

// Control is a net.Dialer Control func: it checks the address actually being
// connected to, after resolution, so a name that resolved to a public address
// when it was checked and to a private one now (DNS rebinding) is refused
// before any packet leaves.
func (p AddrPolicy) Control(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrForbiddenAddress, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%w: %q is not an IP address", ErrForbiddenAddress, host)
	}
	return p.Check(ip)
}

// Resolver looks names up; tests inject one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Dialer connects; the real one carries AddrPolicy.Control.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// safeDialer resolves a name itself, refuses it if any address is blocked,
// and dials the checked address (whose Control checks once more).
type safeDialer struct {
	policy   AddrPolicy
	resolver Resolver
	dialer   Dialer
}

func newSafeDialer(policy AddrPolicy, r Resolver, d Dialer) *safeDialer {
	if r == nil {
		r = net.DefaultResolver
	}
	if d == nil {
		d = &net.Dialer{Timeout: 10 * time.Second, Control: policy.Control}
	}
	return &safeDialer{policy: policy, resolver: r, dialer: d}
}

// resolve turns a URL's host into the addresses to connect to, each
// checked. The host is read the way the most lenient client would read it,
// so that no spelling of an internal address gets through: a zone is
// refused; a name is mapped as IDNA does (fullwidth digits become digits);
// a name that ends in a number is an IPv4 address in the WHATWG sense
// (2130706433, 0x7f.1, 0177.0.0.1, 127.1), checked as such and refused
// unless written as four decimal numbers; localhost and the names under it
// are loopback without asking DNS (RFC 6761); any other name is resolved and
// every address it has is checked.
func (s *safeDialer) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.Contains(host, "%") {
		return nil, fmt.Errorf("%w: %q names a network interface (a zone after %%); addresses with a zone are refused", ErrForbiddenAddress, host)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, s.policy.Check(ip)
	}
	name, err := asciiHost(host)
	if err != nil || name == "" || name == "." {
		return nil, fmt.Errorf("%w: %q is not a valid host name", ErrForbiddenAddress, host)
	}
	bare := strings.TrimSuffix(name, ".")
	if endsInNumber(bare) {
		ip, ok := parseIPv4Loosely(bare)
		if !ok {
			return nil, fmt.Errorf("%w: %q is neither a host name nor an IPv4 address", ErrForbiddenAddress, host)
		}
		if err := s.policy.Check(ip); err != nil {
			return nil, err
		}
		if bare != ip.String() {
			return nil, fmt.Errorf("%w: %q is the IPv4 address %s written another way; write it as %s", ErrForbiddenAddress, host, ip, ip)
		}
		return []netip.Addr{ip}, nil
	}
	var ips []netip.Addr
	if bare == "localhost" || strings.HasSuffix(bare, ".localhost") {
		ips = []netip.Addr{netip.IPv6Loopback(), netip.AddrFrom4([4]byte{127, 0, 0, 1})}
	} else {
		ips, err = s.resolver.LookupNetIP(ctx, "ip", name)
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", host, err)
		}
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("resolve %s: no addresses", host)
	}
	for _, ip := range ips {
		if err := s.policy.Check(ip); err != nil {
			return nil, fmt.Errorf("%s: %w", host, err)
		}
	}
	return ips, nil
}

// asciiHost is a host name as it is looked up: lower case, and a name with
// other than ASCII in it mapped by IDNA as HTTP clients do (so "１２７.０.０.１"
// is 127.0.0.1). An ASCII name is kept as it is, underscores and all.
func asciiHost(host string) (string, error) {
	for i := 0; i < len(host); i++ {
		if host[i] >= utf8.RuneSelf {
			return idna.Lookup.ToASCII(host)
		}
	}
	return strings.ToLower(host), nil
}

// endsInNumber is the WHATWG URL test for a host that must be read as an
// IPv4 address: its last label is decimal digits, or 0x and hex digits.
func endsInNumber(host string) bool {
	last := host[strings.LastIndexByte(host, '.')+1:]
	if last == "" {
		return false
	}
	if strings.Trim(last, "0123456789") == "" {
		return true
	}
	if len(last) >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X') {
		return strings.Trim(last[2:], "0123456789abcdefABCDEF") == ""
	}
	return false
}

// parseIPv4Loosely reads an IPv4 address as inet_aton and the WHATWG URL
// parser do: one to four parts, each decimal, octal (a leading 0) or hex
// (0x), the last one filling the bytes that remain.
func parseIPv4Loosely(host string) (netip.Addr, bool) {
	parts := strings.Split(host, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var nums []uint64
	for _, p := range parts {
		base := 10
		switch {
		case len(p) >= 2 && (p[:2] == "0x" || p[:2] == "0X"):
			p, base = p[2:], 16
			if p == "" {
				p = "0"
			}
		case len(p) >= 2 && p[0] == '0':
			p, base = p[1:], 8
		}
		n, err := strconv.ParseUint(p, base, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		nums = append(nums, n)
	}
	last := nums[len(nums)-1]
	if last >= 1<<(8*(5-len(nums))) {
		return netip.Addr{}, false
	}
	v := uint32(last)
	for i, n := range nums[:len(nums)-1] {
		if n > 255 {
			return netip.Addr{}, false
		}
		v |= uint32(n) << (8 * (3 - i))
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

func (s *safeDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	ips, err := s.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	var last error
	for _, ip := range ips {
		c, err := s.dialer.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return c, nil
		}
		last = err
	}
	return nil, last
}

// CheckURL validates a subscriber's webhook URL: absolute http or https, no
// credentials, a host whose every address is allowed.
func (s *safeDialer) CheckURL(ctx context.Context, raw string) (*url.URL, error) {
	if len(raw) > 2000 {
		return nil, fmt.Errorf("the URL is longer than 2000 characters")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an absolute http or https URL", raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("the URL may not carry a user name or password")
	}
	if _, err := s.resolve(ctx, u.Hostname()); err != nil {
		return nil, err
	}
	return u, nil
}

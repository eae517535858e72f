package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrForbiddenAddress is returned for a webhook URL that resolves to an
// address Herald must not reach on a subscriber's behalf.
var ErrForbiddenAddress = errors.New("address not allowed")

// blocked are ranges a subscriber's webhook may never reach, whatever its
// name resolves to: the host itself, private networks, link-local (cloud
// metadata at 169.254.169.254 among them), carrier-grade NAT, multicast and
// the like. IPv4-mapped IPv6 addresses are unmapped before checking.
var blocked = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
		"192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
		"224.0.0.0/4", "240.0.0.0/4",
		"::/128", "::1/128", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001:db8::/32", "fc00::/7", "fe80::/10", "ff00::/8",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// AddrPolicy decides which addresses outgoing webhooks may reach.
type AddrPolicy struct {
	// Allow lists ranges permitted even though blocked (loopback for tests
	// and demos, an internal chat server an operator trusts).
	Allow []netip.Prefix
}

// Check refuses blocked addresses that Allow does not name.
func (p AddrPolicy) Check(ip netip.Addr) error {
	ip = ip.Unmap()
	if !ip.IsValid() {
		return fmt.Errorf("%w: not an IP address", ErrForbiddenAddress)
	}
	for _, a := range p.Allow {
		if a.Contains(ip) {
			return nil
		}
	}
	for _, b := range blocked {
		if b.Contains(ip) {
			return fmt.Errorf("%w: %s is a loopback, private, link-local or reserved address", ErrForbiddenAddress, ip)
		}
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

func (s *safeDialer) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{ip}, s.policy.Check(ip)
	}
	ips, err := s.resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", host, err)
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

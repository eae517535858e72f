package notify

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
)

// tableResolver answers from a fixed table and counts what it was asked.
type tableResolver struct {
	mu    sync.Mutex
	hosts map[string][]string
	asked []string
}

func (r *tableResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asked = append(r.asked, host)
	var out []netip.Addr
	for _, a := range r.hosts[host] {
		out = append(out, netip.MustParseAddr(a))
	}
	if len(out) == 0 {
		return nil, errors.New("no such host")
	}
	return out, nil
}

func (r *tableResolver) set(host string, addrs ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hosts[host] = addrs
}

// noDialer never connects: it records the address it was asked for, so a
// test can say that nothing got as far as dialling.
type noDialer struct {
	mu    sync.Mutex
	asked []string
}

var errNotDialled = errors.New("test dialer: not dialling")

func (d *noDialer) DialContext(_ context.Context, _, address string) (net.Conn, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.asked = append(d.asked, address)
	return nil, errNotDialled
}

func testResolver() *tableResolver {
	r := &tableResolver{hosts: map[string][]string{}}
	// Public addresses are data here: nothing is ever dialled.
	r.set("hooks.example.com", "93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c")
	r.set("hooks.example.com.", "93.184.215.14")
	r.set("my_hooks.example.com", "93.184.215.14")
	r.set("xn--bcher-kva.example", "93.184.215.14")
	r.set("private.example.com", "10.0.0.5")
	r.set("metadata.example.com", "169.254.169.254")
	r.set("mixed.example.com", "93.184.215.14", "192.168.1.10")
	r.set("v6loop.example.com", "::1")
	r.set("zoned.example.com", "fe80::1%eth0")
	r.set("mapped.example.com", "::ffff:127.0.0.1")
	r.set("nat64.example.com", "64:ff9b::a9fe:a9fe")
	r.set("sixtofour.example.com", "2002:a00:1::1")
	// A resolver could answer for any of these; Herald must not ask it.
	r.set("localhost", "93.184.215.14")
	r.set("2130706433", "93.184.215.14")
	return r
}

// TestCheckURLRefuses lists internal addresses in every spelling found: each
// is refused when a subscriber is created, before anything is dialled.
func TestCheckURLRefuses(t *testing.T) {
	cases := []struct{ name, url string }{
		{"loopback", "http://127.0.0.1/"},
		{"loopback elsewhere in 127/8", "http://127.9.9.9:8080/"},
		{"decimal IPv4", "http://2130706433/"},
		{"hex IPv4", "http://0x7f000001/"},
		{"hex dotted IPv4", "http://0x7f.1/"},
		{"hex every part", "http://0x7f.0x0.0x0.0x1/"},
		{"octal IPv4", "http://017700000001/"},
		{"octal dotted IPv4", "http://0177.0.0.1/"},
		{"leading zeros", "http://127.000.000.001/"},
		{"short IPv4", "http://127.1/"},
		{"three-part IPv4", "http://127.0.1/"},
		{"zero", "http://0/"},
		{"unspecified", "http://0.0.0.0/"},
		{"trailing dot IPv4", "http://127.0.0.1./"},
		{"fullwidth digits", "http://１２７.０.０.１/"},
		{"localhost", "http://localhost/"},
		{"localhost upper case", "http://LOCALHOST:8080/"},
		{"localhost trailing dot", "http://localhost./"},
		{"under localhost", "http://hooks.localhost/"},
		{"private", "http://10.1.2.3/"},
		{"private 172", "http://172.16.0.9/"},
		{"private 192", "http://192.168.1.1/"},
		{"metadata", "http://169.254.169.254/latest/meta-data/"},
		{"carrier NAT", "http://100.64.0.1/"},
		{"documentation v4", "http://192.0.2.1/"},
		{"benchmarking v4", "http://198.18.0.1/"},
		{"multicast v4", "http://224.0.0.1/"},
		{"broadcast", "http://255.255.255.255/"},
		{"6to4 relay anycast", "http://192.88.99.1/"},
		{"v6 loopback", "http://[::1]/"},
		{"v6 loopback long form", "http://[0:0:0:0:0:0:0:1]/"},
		{"v6 unspecified", "http://[::]/"},
		{"zoned loopback", "http://[::1%25lo]:8080/"},
		{"zoned link-local", "http://[fe80::1%25lo]/"},
		{"zoned unique local (cloud metadata)", "http://[fd00:ec2::254%25eth0]/"},
		{"zoned public", "http://[2606:4700::1111%25eth0]/"},
		{"link-local", "http://[fe80::1]/"},
		{"unique local", "http://[fd00:ec2::254]/"},
		{"site-local", "http://[fec0::1]/"},
		{"multicast v6", "http://[ff02::1]/"},
		{"documentation v6", "http://[2001:db8::1]/"},
		{"documentation v6 (3fff::/20)", "http://[3fff::1]/"},
		{"discard-only", "http://[100::1]/"},
		{"IPv4-mapped loopback", "http://[::ffff:127.0.0.1]/"},
		{"IPv4-mapped loopback in hex", "http://[::ffff:7f00:1]/"},
		{"IPv4-mapped metadata", "http://[::ffff:169.254.169.254]/"},
		{"IPv4-compatible loopback", "http://[::127.0.0.1]/"},
		{"IPv4-compatible public", "http://[::8.8.8.8]/"},
		{"IPv4-translated", "http://[::ffff:0:7f00:1]/"},
		{"6to4 of loopback", "http://[2002:7f00:1::]/"},
		{"6to4 of metadata", "http://[2002:a9fe:a9fe::1]/"},
		{"6to4 of private", "http://[2002:c0a8:101::1]/"},
		{"NAT64 of loopback", "http://[64:ff9b::7f00:1]/"},
		{"NAT64 of loopback dotted", "http://[64:ff9b::127.0.0.1]/"},
		{"NAT64 of private", "http://[64:ff9b::10.0.0.1]/"},
		{"local-use NAT64", "http://[64:ff9b:1::808:808]/"},
		{"Teredo", "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/"},
		{"IETF protocol assignments v6", "http://[2001:2::1]/"},
		{"SRv6 SIDs", "http://[5f00::1]/"},
		{"name resolving private", "http://private.example.com/"},
		{"name resolving metadata", "http://metadata.example.com/"},
		{"name with one private address", "http://mixed.example.com/"},
		{"name resolving v6 loopback", "http://v6loop.example.com/"},
		{"name resolving zoned", "http://zoned.example.com/"},
		{"name resolving mapped loopback", "http://mapped.example.com/"},
		{"name resolving NAT64 metadata", "http://nat64.example.com/"},
		{"name resolving 6to4 private", "http://sixtofour.example.com/"},
		{"unknown name", "http://nowhere.example.com/"},
	}
	res := testResolver()
	d := &noDialer{}
	s := newSafeDialer(AddrPolicy{}, res, d)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := s.CheckURL(t.Context(), c.url); err == nil {
				t.Errorf("CheckURL(%s) accepted it", c.url)
			}
		})
	}
	for _, h := range res.asked {
		switch h {
		case "localhost", "localhost.", "hooks.localhost", "2130706433":
			t.Errorf("the resolver was asked for %q", h)
		}
	}
	if len(d.asked) > 0 {
		t.Errorf("dialled %v", d.asked)
	}
}

func TestCheckURLAccepts(t *testing.T) {
	s := newSafeDialer(AddrPolicy{}, testResolver(), &noDialer{})
	for _, u := range []string{
		"http://hooks.example.com/x",
		"https://hooks.example.com:8443/x?y=1",
		"http://hooks.example.com./x",
		"http://HOOKS.example.com/x",
		"http://my_hooks.example.com/x", // not a host name by the RFCs, but one DNS answers for
		"http://bücher.example/x",
		"http://93.184.215.14/",
		"https://[2606:4700::1111]:8443/p",
		"http://[2002:5db8:d70e::1]/",      // 6to4 of a public address
		"http://[64:ff9b::93.184.215.14]/", // NAT64 of a public address
		"http://[::ffff:93.184.215.14]/",   // IPv4-mapped public
	} {
		if _, err := s.CheckURL(t.Context(), u); err != nil {
			t.Errorf("CheckURL(%s) = %v", u, err)
		}
	}
}

// TestCheckURLAllow keeps --webhook-allow: an allowed range can be reached,
// but an address with a zone never, and nothing else opens up.
func TestCheckURLAllow(t *testing.T) {
	p := AddrPolicy{Allow: []netip.Prefix{
		netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("fe80::/10"),
	}}
	s := newSafeDialer(p, testResolver(), &noDialer{})
	for _, u := range []string{"http://127.0.0.1:9/", "http://[::1]:9/", "http://[::ffff:127.0.0.1]:9/", "http://[fe80::1]/"} {
		if _, err := s.CheckURL(t.Context(), u); err != nil {
			t.Errorf("allowed %s refused: %v", u, err)
		}
	}
	for _, u := range []string{"http://[::1%25lo]:9/", "http://[fe80::1%25eth0]/", "http://10.0.0.1/", "http://[fd00:ec2::254]/",
		"http://2130706433/", "http://zoned.example.com/"} {
		if _, err := s.CheckURL(t.Context(), u); err == nil {
			t.Errorf("%s accepted with the loopback allowlist", u)
		}
	}
}

// TestDialRefuses is delivery: the dialer resolves again and checks every
// address, so a name that has been rebound to an internal address, or an
// address the transport hands over in any spelling, is refused before the
// injected dialer is asked for anything.
func TestDialRefuses(t *testing.T) {
	res := testResolver()
	d := &noDialer{}
	s := newSafeDialer(AddrPolicy{}, res, d)
	ctx := t.Context()
	if _, err := s.CheckURL(ctx, "http://rebind.example.com/"); err == nil {
		t.Fatal("an unknown name was accepted")
	}
	res.set("rebind.example.com", "93.184.215.14")
	if _, err := s.CheckURL(ctx, "http://rebind.example.com/"); err != nil {
		t.Fatal(err)
	}
	res.set("rebind.example.com", "127.0.0.1")
	for _, addr := range []string{"rebind.example.com:80", "[::1%lo]:80", "[fe80::1%eth0]:80", "127.0.0.1:80", "2130706433:80",
		"0x7f.1:80", "localhost:80", "[::ffff:127.0.0.1]:80", "[2002:7f00:1::]:80", "[64:ff9b::7f00:1]:80", "mixed.example.com:443"} {
		_, err := s.DialContext(ctx, "tcp", addr)
		if err == nil || errors.Is(err, errNotDialled) || !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("DialContext(%s) = %v, want it refused as a forbidden address", addr, err)
		}
	}
	if len(d.asked) > 0 {
		t.Errorf("dialled %v", d.asked)
	}
	// A public address does reach the (refusing) test dialer, as the checked IP.
	if _, err := s.DialContext(ctx, "tcp", "hooks.example.com:443"); !errors.Is(err, errNotDialled) {
		t.Errorf("DialContext(hooks.example.com) = %v", err)
	}
	if len(d.asked) == 0 || strings.Contains(d.asked[0], "example") {
		t.Errorf("dialled %v, want a checked IP", d.asked)
	}
}

// TestControl is the last check, on the socket the real dialer opens.
func TestControl(t *testing.T) {
	p := AddrPolicy{Allow: []netip.Prefix{netip.MustParsePrefix("::1/128")}}
	for _, addr := range []string{"[::1%lo]:80", "[fe80::1%eth0]:443", "127.0.0.1:80", "[2002:7f00:1::]:80", "[::ffff:10.0.0.1]:80", "not an address"} {
		if err := p.Control("tcp", addr, nil); !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("Control(%s) = %v", addr, err)
		}
	}
	if err := p.Control("tcp", "[::1]:80", nil); err != nil {
		t.Errorf("Control([::1]:80) with ::1 allowed = %v", err)
	}
}

package probe

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/heraldhq/herald/internal/config"
)

// dnsZone is the test server's data. Every address in it is loopback.
func dnsZone() map[string][]string {
	return map[string][]string{
		"www.example.test.":   {"www.example.test. 60 IN A 127.0.0.2", "www.example.test. 60 IN A 127.0.0.3", "www.example.test. 60 IN AAAA ::1"},
		"alias.example.test.": {"alias.example.test. 60 IN CNAME www.example.test."},
		"example.test.": {
			"example.test. 60 IN MX 10 mail.example.test.",
			"example.test. 60 IN NS ns1.example.test.",
			`example.test. 60 IN TXT "v=spf1 " "-all"`,
		},
		"big.example.test.":  {"big.example.test. 60 IN A 127.0.0.4"},
		"slow.example.test.": {"slow.example.test. 60 IN A 127.0.0.5"},
	}
}

// dnsServer answers from dnsZone over UDP and TCP on one loopback port.
// Names it does not hold get NXDOMAIN, except broken.example.test, which
// gets SERVFAIL; big.example.test is truncated over UDP, so a client must
// retry over TCP to read it; slow.example.test "takes" 3 seconds.
func dnsServer(t *testing.T, clock *fakeClock) string {
	t.Helper()
	zone := map[string][]dns.RR{}
	for name, rrs := range dnsZone() {
		for _, s := range rrs {
			rr, err := dns.NewRR(s)
			if err != nil {
				t.Fatal(err)
			}
			zone[name] = append(zone[name], rr)
		}
	}
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		name := q.Question[0].Name
		switch rrs, ok := zone[name]; {
		case name == "broken.example.test.":
			m.Rcode = dns.RcodeServerFailure
		case !ok:
			m.Rcode = dns.RcodeNameError
		case name == "big.example.test." && w.LocalAddr().Network() == "udp":
			m.Truncated = true
		default:
			if name == "slow.example.test." {
				clock.Advance(3 * time.Second)
			}
			for _, rr := range rrs {
				if rr.Header().Rrtype == q.Question[0].Qtype {
					m.Answer = append(m.Answer, rr)
				}
			}
		}
		_ = w.WriteMsg(m)
	})
	pc, ln := udpAndTCP(t)
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: handler}, {Listener: ln, Handler: handler}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go func() { _ = srv.ActivateAndServe() }()
		<-started
		t.Cleanup(func() { _ = srv.Shutdown() })
	}
	return pc.LocalAddr().String()
}

// udpAndTCP listens on the same loopback port for UDP and TCP.
func udpAndTCP(t *testing.T) (net.PacketConn, net.Listener) {
	t.Helper()
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, ln
		}
		pc.Close()
	}
	t.Fatal("no loopback port free for both UDP and TCP")
	return nil, nil
}

// silentDNS reads queries and never answers; each query read is signalled
// on heard, when it is not nil.
func silentDNS(t *testing.T, heard chan<- struct{}) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 512)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
			if heard != nil {
				heard <- struct{}{}
			}
		}
	}()
	return pc.LocalAddr().String()
}

func TestDNS(t *testing.T) {
	clock := newClock()
	server := dnsServer(t, clock)
	cases := []struct {
		name    string
		addr    string
		query   string
		record  string
		expect  []string
		set     func(m *config.Monitor)
		outcome Outcome
		msg     string
	}{
		{"A resolves", server, "www.example.test", "A", nil, nil, Up, "A 127.0.0.2, 127.0.0.3"},
		{"A has the expected answer", server, "www.example.test", "A", []string{"127.0.0.3"}, nil, Up, "A 127.0.0.2, 127.0.0.3"},
		{"A has all expected answers", server, "www.example.test.", "A", []string{"127.0.0.2", "127.0.0.3"}, nil, Up, "A 127.0.0.2, 127.0.0.3"},
		{"A lacks an expected answer", server, "www.example.test", "A", []string{"127.0.0.2", "127.0.0.9"}, nil, Down, "no A record 127.0.0.9 for www.example.test (got 127.0.0.2, 127.0.0.3)"},
		{"AAAA written differently", server, "www.example.test", "AAAA", []string{"0:0::1"}, nil, Up, "AAAA ::1"},
		{"CNAME", server, "alias.example.test", "CNAME", []string{"WWW.example.test."}, nil, Up, "CNAME www.example.test"},
		{"MX by host", server, "example.test", "MX", []string{"mail.example.test"}, nil, Up, "MX 10 mail.example.test"},
		{"MX by preference and host", server, "example.test", "MX", []string{"10 mail.example.test"}, nil, Up, "MX 10 mail.example.test"},
		{"MX with the wrong preference", server, "example.test", "MX", []string{"20 mail.example.test"}, nil, Down, "no MX record 20 mail.example.test for example.test (got 10 mail.example.test)"},
		{"NS", server, "example.test", "NS", []string{"ns1.example.test"}, nil, Up, "NS ns1.example.test"},
		{"TXT joins its strings", server, "example.test", "TXT", []string{"v=spf1 -all"}, nil, Up, "TXT v=spf1 -all"},
		{"no record of the type", server, "www.example.test", "TXT", nil, nil, Down, "no TXT record for www.example.test"},
		{"no such name", server, "nothing.example.test", "A", nil, nil, Down, "DNS server answered NXDOMAIN for nothing.example.test"},
		{"server failure", server, "broken.example.test", "A", nil, nil, Down, "DNS server answered SERVFAIL for broken.example.test"},
		{"truncated over UDP, read over TCP", server, "big.example.test", "A", []string{"127.0.0.4"}, nil, Up, "A 127.0.0.4"},
		{"slow answer is degraded", server, "slow.example.test", "A", nil, func(m *config.Monitor) { m.DegradedOver = config.Duration(time.Second) }, Degraded, "slow: 3s, over 1s"},
		{"server never answers", silentDNS(t, nil), "www.example.test", "A", nil, short, Down, "no DNS answer within 500ms"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := monitor("dns")
			m.Address, m.Query, m.Record, m.Expect = tc.addr, tc.query, tc.record, tc.expect
			if tc.set != nil {
				tc.set(&m)
			}
			check(t, mustProbe(t, m, Env{Now: clock.Now}), tc.outcome, tc.msg)
		})
	}
}

// TestDNSTCPFallbackDials: the TCP retry after a truncated answer goes
// through Env.Dial like the UDP query, to the same server.
func TestDNSTCPFallbackDials(t *testing.T) {
	server := dnsServer(t, newClock())
	var dialed []string
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		dialed = append(dialed, network+" "+addr)
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	m := monitor("dns")
	m.Address, m.Query, m.Record = server, "big.example.test", "A"
	check(t, mustProbe(t, m, Env{Dial: dial}), Up, "A 127.0.0.4")
	want := []string{"udp " + server, "tcp " + server}
	if len(dialed) != 2 || dialed[0] != want[0] || dialed[1] != want[1] {
		t.Errorf("dialed %q, want %q", dialed, want)
	}
}

// TestDNSCancelled: a cancelled caller ends a query waiting on a silent
// server at once.
func TestDNSCancelled(t *testing.T) {
	heard := make(chan struct{}, 1)
	m := monitor("dns")
	m.Address, m.Query, m.Record = silentDNS(t, heard), "www.example.test", "A"
	m.Timeout = config.Duration(time.Hour)
	p, err := New(m, Env{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Result)
	go func() { done <- p.Probe(ctx) }()
	<-heard
	cancel()
	check(t, <-done, Down, "check cancelled")
}

package probe

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/heraldhq/herald/internal/config"
)

// dnsProber asks one DNS server for one name and record type, over UDP,
// and over TCP when the answer comes back truncated.
type dnsProber struct {
	address string
	name    string // fully qualified
	qtype   uint16
	record  string
	expect  []string // normalised as answers are (see answerText)
	timeout time.Duration
	dial    func(context.Context, string, string) (net.Conn, error)
	now     func() time.Time
}

func newDNS(m config.Monitor, env Env) (Prober, error) {
	if err := checkAddress(m.Address); err != nil {
		return nil, err
	}
	record := m.Record
	if record == "" {
		record = "A"
	}
	qtype, ok := map[string]uint16{"A": dns.TypeA, "AAAA": dns.TypeAAAA, "CNAME": dns.TypeCNAME, "MX": dns.TypeMX, "TXT": dns.TypeTXT, "NS": dns.TypeNS}[record]
	if !ok {
		return nil, fmt.Errorf("record %q must be one of A, AAAA, CNAME, MX, TXT, NS", m.Record)
	}
	if _, ok := dns.IsDomainName(m.Query); !ok || strings.TrimSpace(m.Query) == "" {
		return nil, fmt.Errorf("query %q is not a domain name", m.Query)
	}
	p := &dnsProber{
		address: m.Address, name: dns.Fqdn(m.Query), qtype: qtype, record: record,
		timeout: m.Timeout.D(), dial: env.Dial, now: env.Now,
	}
	for _, e := range m.Expect {
		norm, err := expectText(qtype, e)
		if err != nil {
			return nil, err
		}
		p.expect = append(p.expect, norm)
	}
	return p, nil
}

// expectText normalises an expected answer the way answerText writes a
// received one, so "127.0.0.1" matches however the server packs it and
// "Mail.Example.NET." matches "mail.example.net".
func expectText(qtype uint16, e string) (string, error) {
	switch qtype {
	case dns.TypeA, dns.TypeAAAA:
		ip, err := netip.ParseAddr(e)
		if err != nil || ip.Zone() != "" || (qtype == dns.TypeA) != ip.Is4() {
			return "", fmt.Errorf("expect %q is not an IPv%s address", e, map[bool]string{true: "4", false: "6"}[qtype == dns.TypeA])
		}
		return ip.String(), nil
	case dns.TypeMX:
		// "10 mail.example.net" pins the preference; a bare host does not.
		if pref, host, ok := strings.Cut(e, " "); ok {
			if _, err := strconv.ParseUint(pref, 10, 16); err != nil {
				return "", fmt.Errorf("expect %q must be HOST or \"PREFERENCE HOST\"", e)
			}
			return pref + " " + hostText(host), nil
		}
		return hostText(e), nil
	case dns.TypeTXT:
		return e, nil
	}
	return hostText(e), nil
}

func hostText(h string) string { return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(h), ".")) }

func (p *dnsProber) Probe(parent context.Context) Result {
	ctx, cancel := context.WithTimeout(parent, p.timeout)
	defer cancel()
	start := p.now()
	q := new(dns.Msg)
	q.SetQuestion(p.name, p.qtype)
	resp, err := p.exchange(ctx, "udp", q)
	if err == nil && resp.Truncated {
		resp, err = p.exchange(ctx, "tcp", q)
	}
	r := Result{Outcome: Down, Latency: p.now().Sub(start)}
	if err != nil {
		r.Message = failed(parent, ctx, err, "DNS answer", p.timeout)
		return r
	}
	name := strings.TrimSuffix(p.name, ".")
	if resp.Rcode != dns.RcodeSuccess {
		r.Message = "DNS server answered " + dns.RcodeToString[resp.Rcode] + " for " + name
		return r
	}
	var got []string
	for _, rr := range resp.Answer {
		if rr.Header().Rrtype == p.qtype {
			got = append(got, answerText(rr))
		}
	}
	if len(got) == 0 {
		r.Message = "no " + p.record + " record for " + name
		return r
	}
	for _, e := range p.expect {
		if !slices.ContainsFunc(got, func(g string) bool { return g == e || (p.qtype == dns.TypeMX && mxHost(g) == e) }) {
			r.Message = clip(fmt.Sprintf("no %s record %s for %s (got %s)", p.record, e, name, strings.Join(got, ", ")), 200)
			return r
		}
	}
	r.Outcome, r.Message = Up, clip(p.record+" "+strings.Join(got, ", "), 200)
	return r
}

// exchange sends q over a new connection from dial; the check's deadline
// bounds it, and a cancelled ctx ends it at once.
func (p *dnsProber) exchange(ctx context.Context, network string, q *dns.Msg) (*dns.Msg, error) {
	conn, err := p.dial(ctx, network, p.address)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	c := &dns.Client{Net: network, Timeout: p.timeout}
	resp, _, err := c.ExchangeWithConnContext(ctx, q, &dns.Conn{Conn: conn})
	return resp, err
}

// answerText writes one answer as an operator would write it in expect.
func answerText(rr dns.RR) string {
	switch v := rr.(type) {
	case *dns.A:
		ip, _ := netip.AddrFromSlice(v.A.To4())
		return ip.String()
	case *dns.AAAA:
		ip, _ := netip.AddrFromSlice(v.AAAA)
		return ip.String()
	case *dns.CNAME:
		return hostText(v.Target)
	case *dns.MX:
		return strconv.Itoa(int(v.Preference)) + " " + hostText(v.Mx)
	case *dns.NS:
		return hostText(v.Ns)
	case *dns.TXT:
		return strings.Join(v.Txt, "")
	}
	return rr.String()
}

func mxHost(answer string) string {
	_, host, _ := strings.Cut(answer, " ")
	return host
}

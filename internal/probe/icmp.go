package probe

import (
	"context"
	"errors"
	"net"
	"os"
	"sync/atomic"
	"time"

	probing "github.com/prometheus-community/pro-bing"

	"github.com/heraldhq/herald/internal/config"
)

// noPermission is the message when the kernel allows neither kind of ping.
const noPermission = "not permitted to ping: unprivileged ICMP is off (sysctl net.ipv4.ping_group_range does not include Herald's group) and raw ICMP needs CAP_NET_RAW"

// icmpProber sends one echo request and waits for its reply. ICMP is not a
// connection, so it does not go through Env.Dial: whoever vets the
// addresses Herald may reach must vet icmp monitors' addresses apart.
type icmpProber struct {
	host    string
	timeout time.Duration
	now     func() time.Time
	// privileged is set once an unprivileged ping has been refused, so
	// later checks go straight to the raw socket.
	privileged atomic.Bool
	// ping sends one echo; tests replace it to stand in for a kernel
	// that refuses both kinds of socket.
	ping func(ctx context.Context, ip *net.IPAddr, privileged bool, timeout time.Duration) (got bool, rtt time.Duration, err error)
}

func newICMP(m config.Monitor, env Env) (Prober, error) {
	if m.Address == "" {
		return nil, errors.New("address HOST is required")
	}
	if _, _, err := net.SplitHostPort(m.Address); err == nil {
		return nil, errors.New("address " + m.Address + " must be a host name or IP address, without a port")
	}
	return &icmpProber{host: m.Address, timeout: m.Timeout.D(), now: env.Now, ping: pingOnce}, nil
}

func (p *icmpProber) Probe(parent context.Context) Result {
	ctx, cancel := context.WithTimeout(parent, p.timeout)
	defer cancel()
	start := p.now()
	ip, err := p.resolve(ctx)
	if err != nil {
		return Result{Outcome: Down, Latency: p.now().Sub(start), Message: failed(parent, ctx, err, "address for "+p.host, p.timeout)}
	}
	for _, privileged := range []bool{false, true} {
		if !privileged && p.privileged.Load() {
			continue
		}
		got, rtt, err := p.ping(ctx, ip, privileged, p.timeout)
		if errors.Is(err, os.ErrPermission) {
			if !privileged {
				p.privileged.Store(true)
			}
			continue
		}
		switch {
		case got:
			return Result{Outcome: Up, Latency: rtt, Message: "echo reply in " + seconds(rtt)}
		case err != nil && parent.Err() == nil && ctx.Err() == nil:
			return Result{Outcome: Down, Latency: p.now().Sub(start), Message: reason(err)}
		}
		return Result{Outcome: Down, Latency: p.now().Sub(start), Message: failed(parent, ctx, context.DeadlineExceeded, "echo reply", p.timeout)}
	}
	return Result{Outcome: Down, Latency: p.now().Sub(start), Message: noPermission}
}

func (p *icmpProber) resolve(ctx context.Context) (*net.IPAddr, error) {
	if ip := net.ParseIP(p.host); ip != nil {
		return &net.IPAddr{IP: ip}, nil
	}
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, p.host)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, &net.DNSError{Err: "no addresses", Name: p.host, IsNotFound: true}
	}
	return &addrs[0], nil
}

// pingOnce sends one echo request with pro-bing and reports its reply.
func pingOnce(ctx context.Context, ip *net.IPAddr, privileged bool, timeout time.Duration) (bool, time.Duration, error) {
	pinger := probing.New("")
	pinger.SetIPAddr(ip)
	pinger.SetPrivileged(privileged)
	pinger.SetLogger(probing.NoopLogger{})
	pinger.Count = 1
	pinger.Timeout = timeout
	pinger.RecordTTLs = false
	err := pinger.RunWithContext(ctx)
	st := pinger.Statistics()
	if st.PacketsRecv > 0 {
		return true, st.MinRtt, nil
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		err = nil
	}
	return false, 0, err
}

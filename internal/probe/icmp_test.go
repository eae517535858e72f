package probe

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
)

// TestICMPLoopback pings 127.0.0.1 for real. On this project's machines
// unprivileged ping is off and tests run as root, so the check falls back
// to a raw socket; where neither is allowed the test says so and skips.
func TestICMPLoopback(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "localhost"} {
		t.Run(host, func(t *testing.T) {
			m := monitor("icmp")
			m.Address = host
			p, err := New(m, Env{})
			if err != nil {
				t.Fatal(err)
			}
			got := p.Probe(context.Background())
			if got.Message == noPermission {
				t.Skip("this machine allows neither unprivileged nor raw ICMP: " + got.Message)
			}
			if got.Outcome != Up || got.Latency <= 0 {
				t.Fatalf("got %s %q latency %v, want up with a round trip", got.Outcome, got.Message, got.Latency)
			}
			if want := "echo reply in " + seconds(got.Latency); got.Message != want {
				t.Errorf("message %q, want %q", got.Message, want)
			}
			// Where the kernel refuses unprivileged ping, the check must
			// have fallen back to a raw socket and remembered it.
			if r, err := os.ReadFile("/proc/sys/net/ipv4/ping_group_range"); err == nil && strings.Fields(string(r))[0] == "1" && strings.Fields(string(r))[1] == "0" {
				if !p.(*icmpProber).privileged.Load() {
					t.Error("unprivileged ping is off here, yet the prober did not switch to raw ICMP")
				}
			}
		})
	}
}

// fakePing stands in for the kernel's answer to each kind of socket.
type fakePing struct {
	unprivileged, privileged error // nil: the echo is answered
	calls                    []bool
}

func (f *fakePing) ping(_ context.Context, _ *net.IPAddr, privileged bool, _ time.Duration) (bool, time.Duration, error) {
	f.calls = append(f.calls, privileged)
	err := f.unprivileged
	if privileged {
		err = f.privileged
	}
	if err != nil {
		return false, 0, err
	}
	return true, 300 * time.Microsecond, nil
}

func TestICMPPermissions(t *testing.T) {
	denied := &net.OpError{Op: "listen", Net: "udp4", Err: os.NewSyscallError("socket", syscall.EACCES)}
	noRaw := &net.OpError{Op: "listen", Net: "ip4:icmp", Err: os.NewSyscallError("socket", syscall.EPERM)}
	cases := []struct {
		name  string
		ping  fakePing
		msg   string
		calls string // the socket kinds tried over two checks
	}{
		{"unprivileged allowed", fakePing{}, "echo reply in 0.3ms", "[false false]"},
		{"raw only: later checks go straight to it", fakePing{unprivileged: denied}, "echo reply in 0.3ms", "[false true true]"},
		{"neither", fakePing{unprivileged: denied, privileged: noRaw}, noPermission, "[false true true]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := monitor("icmp")
			m.Address = "127.0.0.1"
			p, err := New(m, Env{})
			if err != nil {
				t.Fatal(err)
			}
			p.(*icmpProber).ping = tc.ping.ping
			for range 2 {
				if got := p.Probe(context.Background()); got.Message != tc.msg {
					t.Errorf("got %s %q, want %q", got.Outcome, got.Message, tc.msg)
				}
			}
			if calls := fmt.Sprint(tc.ping.calls); calls != tc.calls {
				t.Errorf("sockets tried %s, want %s", calls, tc.calls)
			}
		})
	}
}

func TestICMPNoReply(t *testing.T) {
	m := monitor("icmp")
	m.Address = "127.0.0.1"
	m.Timeout = config.Duration(hangTimeout)
	p, err := New(m, Env{})
	if err != nil {
		t.Fatal(err)
	}
	// A host that never answers: the fake waits for the check's deadline.
	p.(*icmpProber).ping = func(ctx context.Context, _ *net.IPAddr, _ bool, _ time.Duration) (bool, time.Duration, error) {
		<-ctx.Done()
		return false, 0, nil
	}
	check(t, p.Probe(context.Background()), Down, "no echo reply within 500ms")
}

// TestICMPSlowIsDegraded: degraded_over applies to the echo's round trip.
func TestICMPSlowIsDegraded(t *testing.T) {
	m := monitor("icmp")
	m.Address = "127.0.0.1"
	m.DegradedOver = config.Duration(250 * time.Microsecond)
	p, err := New(m, Env{})
	if err != nil {
		t.Fatal(err)
	}
	p.(slowIsDegraded).Prober.(*icmpProber).ping = (&fakePing{}).ping // answers in 0.3ms
	check(t, p.Probe(context.Background()), Degraded, "slow: 0.3ms, over 0.25ms")
}

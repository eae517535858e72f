package probe

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
)

// bannerCase is one server behaviour for a line-based kind.
type bannerCase struct {
	name    string
	script  func(c *lineConn) // nil: nothing listening (refused)
	set     func(m *config.Monitor)
	outcome Outcome
	msg     string
}

func runBannerCases(t *testing.T, kind string, clock *fakeClock, cases []bannerCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := monitor(kind)
			if tc.script == nil {
				m.Address = refusedAddr(t)
			} else {
				m.Address = lineServer(t, tc.script)
			}
			if tc.set != nil {
				tc.set(&m)
			}
			check(t, mustProbe(t, m, Env{Now: clock.Now}), tc.outcome, tc.msg)
		})
	}
}

func short(m *config.Monitor) { m.Timeout = config.Duration(hangTimeout) }

func TestSMTP(t *testing.T) {
	clock := newClock()
	ehlo := make(chan string, 16)
	good := func(c *lineConn) {
		c.say("220 mail.example.test ESMTP\r\n")
		ehlo <- c.read()
		c.say("250-mail.example.test\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n")
		c.read() // QUIT
		c.say("221 bye\r\n")
	}
	cases := []bannerCase{
		{"up", good, nil, Up, "banner 220, EHLO 250"},
		{"multi-line banner", func(c *lineConn) {
			c.say("220-mail.example.test ESMTP\r\n220 no UCE\r\n")
			c.read()
			c.say("250 mail.example.test\r\n")
		}, nil, Up, "banner 220, EHLO 250"},
		{"refuses service", func(c *lineConn) { c.say("554 no service here\r\n") }, nil, Down, `banner "554 no service here", want 220`},
		{"not an SMTP banner", func(c *lineConn) { c.say("hello there\r\n") }, nil, Down, `banner "hello there", want 220`},
		{"HTTP on the SMTP port", func(c *lineConn) { c.say("HTTP/1.1 400 Bad Request\r\n") }, nil, Down, `banner "HTTP/1.1 400 Bad Request", want 220`},
		{"code changes mid-reply", func(c *lineConn) { c.say("220-hello\r\n554 go away\r\n") }, nil, Down, `banner "220-hello", want 220`},
		{"EHLO refused", func(c *lineConn) {
			c.say("220 mail.example.test ESMTP\r\n")
			c.read()
			c.say("502 command not implemented\r\n")
		}, nil, Down, `EHLO answered "502 command not implemented", want 250`},
		{"closes at once", func(c *lineConn) {}, nil, Down, "connection closed before the SMTP banner"},
		{"closes after banner", func(c *lineConn) {
			c.say("220 mail.example.test ESMTP\r\n")
			c.read()
		}, nil, Down, "connection closed before the reply to EHLO"},
		{"accepts and never writes", func(c *lineConn) { c.hang() }, short, Down, "no SMTP banner within 500ms"},
		{"banner, then silence after EHLO", func(c *lineConn) {
			c.say("220 mail.example.test ESMTP\r\n")
			c.hang()
		}, short, Down, "no reply to EHLO within 500ms"},
		{"endless line", func(c *lineConn) { c.say("220 " + strings.Repeat("x", 5000) + "\r\n") }, nil, Down, "the server sent a line longer than 4096 bytes"},
		{"slow banner is degraded", func(c *lineConn) {
			clock.Advance(2500 * time.Millisecond)
			good(c)
		}, func(m *config.Monitor) { m.DegradedOver = config.Duration(time.Second) }, Degraded, "slow: 2.5s, over 1s"},
		{"refused", nil, nil, Down, "connection refused"},
	}
	runBannerCases(t, "smtp", clock, cases)
	close(ehlo)
	for line := range ehlo {
		if line != "EHLO [127.0.0.1]\r\n" {
			t.Errorf("server got %q, want the client's address literal: \"EHLO [127.0.0.1]\"", line)
		}
	}
}

func TestIMAP(t *testing.T) {
	clock := newClock()
	logout := make(chan string, 4)
	runBannerCases(t, "imap", clock, []bannerCase{
		{"up", func(c *lineConn) {
			c.say("* OK [CAPABILITY IMAP4rev1 STARTTLS] Dovecot ready.\r\n")
			logout <- c.read()
		}, nil, Up, "banner * OK"},
		{"lower case", func(c *lineConn) { c.say("* ok ready\r\n") }, nil, Up, "banner * OK"},
		{"busy", func(c *lineConn) { c.say("* BYE Too many connections\r\n") }, nil, Down, `banner "* BYE Too many connections", want "* OK"`},
		{"garbage", func(c *lineConn) { c.say("\x00\x01junk\r\n") }, nil, Down, `banner "\x00\x01junk", want "* OK"`},
		{"closes at once", func(c *lineConn) {}, nil, Down, "connection closed before the IMAP banner"},
		{"accepts and never writes", func(c *lineConn) { c.hang() }, short, Down, "no IMAP banner within 500ms"},
		{"refused", nil, nil, Down, "connection refused"},
	})
	select {
	case line := <-logout:
		if line != "a1 LOGOUT\r\n" {
			t.Errorf("server got %q after the banner, want a1 LOGOUT", line)
		}
	default:
		t.Error("the up case sent no LOGOUT")
	}
}

func TestPOP3(t *testing.T) {
	clock := newClock()
	runBannerCases(t, "pop3", clock, []bannerCase{
		{"up", func(c *lineConn) { c.say("+OK Dovecot ready.\r\n"); c.read() }, nil, Up, "banner +OK"},
		{"error banner", func(c *lineConn) { c.say("-ERR [SYS/TEMP] try later\r\n") }, nil, Down, `banner "-ERR [SYS/TEMP] try later", want "+OK"`},
		{"SMTP on the POP3 port", func(c *lineConn) { c.say("220 mail ESMTP\r\n") }, nil, Down, `banner "220 mail ESMTP", want "+OK"`},
		{"closes at once", func(c *lineConn) {}, nil, Down, "connection closed before the POP3 banner"},
		{"accepts and never writes", func(c *lineConn) { c.hang() }, short, Down, "no POP3 banner within 500ms"},
		{"slow banner is degraded", func(c *lineConn) {
			clock.Advance(1500 * time.Millisecond)
			c.say("+OK ready\r\n")
		}, func(m *config.Monitor) { m.DegradedOver = config.Duration(time.Second) }, Degraded, "slow: 1.5s, over 1s"},
		{"refused", nil, nil, Down, "connection refused"},
	})
}

func TestTCP(t *testing.T) {
	clock := newClock()
	slowDial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		clock.Advance(4 * time.Second)
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	cases := []struct {
		name    string
		addr    string
		dial    func(context.Context, string, string) (net.Conn, error)
		set     func(m *config.Monitor)
		outcome Outcome
		msg     string
	}{
		{"up", silentServer(t), nil, nil, Up, "connected"},
		// tcp checks the connection only; a silent service is what the
		// smtp, imap and pop3 kinds are for.
		{"silent service still accepts", silentServer(t), nil, short, Up, "connected"},
		{"refused", refusedAddr(t), nil, nil, Down, "connection refused"},
		{"connection never completes", silentServer(t), blockingDial, short, Down, "no connection within 500ms"},
		{"slow connect is degraded", silentServer(t), slowDial, func(m *config.Monitor) { m.DegradedOver = config.Duration(time.Second) }, Degraded, "slow: 4s, over 1s"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := monitor("tcp")
			m.Address = tc.addr
			if tc.set != nil {
				tc.set(&m)
			}
			check(t, mustProbe(t, m, Env{Now: clock.Now, Dial: tc.dial}), tc.outcome, tc.msg)
		})
	}
}

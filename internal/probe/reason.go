package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"
)

// failed is the message for a check that stopped on err while waiting for
// something ("HTTP response", "SMTP banner"). parent is the caller's
// context and ctx the one carrying the monitor's timeout: which of them
// ended tells a timeout from a shutdown, whatever error the read returned.
// A caller's deadline (the demo's fast clock bounds the timeout so) is the
// check's time running out, not a shutdown.
func failed(parent, ctx context.Context, err error, waiting string, timeout time.Duration) string {
	switch {
	case parent.Err() != nil && !errors.Is(parent.Err(), context.DeadlineExceeded):
		return "check cancelled"
	case ctx.Err() != nil || isTimeout(err):
		return "no " + waiting + " within " + seconds(timeout)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed before the " + waiting
	}
	return reason(err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout())
}

// reason says in a few plain words why a connection failed. Errors it does
// not know keep their innermost text, without the "dial tcp ..." and
// "Get \"url\"" wrappers the operator already knows from the monitor.
func reason(err error) string {
	var dnsErr *net.DNSError
	var recErr tls.RecordHeaderError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by the server"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.EPIPE):
		return "connection closed by the server"
	case errors.Is(err, syscall.EHOSTUNREACH):
		return "host unreachable"
	case errors.Is(err, syscall.ENETUNREACH):
		return "network unreachable"
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return "host " + dnsErr.Name + " not found"
		}
		return "could not resolve " + dnsErr.Name
	case errors.As(err, &recErr):
		return "the server did not answer in TLS"
	}
	for {
		var next error
		var ue *url.Error
		var oe *net.OpError
		var se *os.SyscallError
		switch {
		case errors.As(err, &ue):
			next = ue.Err
		case errors.As(err, &oe):
			next = oe.Err
		case errors.As(err, &se):
			next = se.Err
		}
		if next == nil {
			break
		}
		err = next
	}
	msg := strings.TrimPrefix(err.Error(), "net/http: ")
	msg = strings.TrimPrefix(msg, "HTTP/1.x transport connection broken: ")
	return clip(msg, 160)
}

// certProblem describes a certificate that failed verification, with the
// leaf's expiry when the error carries the certificate.
func certProblem(err error, now time.Time) (msg string, notAfter time.Time, ok bool) {
	var inv x509.CertificateInvalidError
	var unk x509.UnknownAuthorityError
	var host x509.HostnameError
	var ver *tls.CertificateVerificationError
	if errors.As(err, &ver) && len(ver.UnverifiedCertificates) > 0 {
		notAfter = ver.UnverifiedCertificates[0].NotAfter
	}
	switch {
	case errors.As(err, &inv) && inv.Reason == x509.Expired:
		if inv.Cert != nil {
			notAfter = inv.Cert.NotAfter
			if now.Before(inv.Cert.NotBefore) {
				return "certificate not valid until " + day(inv.Cert.NotBefore, now), notAfter, true
			}
		}
		return expiry(notAfter, now), notAfter, true
	case errors.As(err, &inv):
		return clip("certificate not accepted: "+inv.Error(), 160), notAfter, true
	case errors.As(err, &unk):
		return "certificate signed by an unknown authority", notAfter, true
	case errors.As(err, &host):
		return "certificate is not valid for " + host.Host, notAfter, true
	case ver != nil:
		return clip("certificate not accepted: "+ver.Err.Error(), 160), notAfter, true
	}
	return "", time.Time{}, false
}

// expiry says when a certificate expires (or expired), in days:
// "certificate expires in 5 days (Dec 6)".
func expiry(notAfter, now time.Time) string {
	left := notAfter.Sub(now)
	if left < 0 {
		return "certificate expired " + days(-left) + " ago (" + day(notAfter, now) + ")"
	}
	if left < 24*time.Hour {
		return "certificate expires in less than a day (" + day(notAfter, now) + ")"
	}
	return "certificate expires in " + days(left) + " (" + day(notAfter, now) + ")"
}

func days(d time.Duration) string {
	n := int(d / (24 * time.Hour))
	switch n {
	case 0:
		return "less than a day"
	case 1:
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

// day is a date in UTC, with the year only when it is not now's year.
func day(t, now time.Time) string {
	t = t.UTC()
	if t.Year() != now.UTC().Year() {
		return t.Format("Jan 2, 2006")
	}
	return t.Format("Jan 2")
}

// certWarning is the degraded message for a certificate inside the warning
// window, or "" when it is outside or the warning is off (warnDays 0).
func certWarning(notAfter, now time.Time, warnDays int) string {
	if warnDays <= 0 || notAfter.IsZero() || notAfter.Sub(now) >= time.Duration(warnDays)*24*time.Hour {
		return ""
	}
	return expiry(notAfter, now)
}

// clip keeps text on one line and at most n bytes (cut on a rune boundary),
// since messages end up in page titles and log lines.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// quoted shows what a server said, escaped and clipped: `"554 go away"`.
func quoted(b []byte) string {
	s := strings.TrimRight(string(b), "\r\n")
	if len(s) > 80 {
		s = s[:80]
		return fmt.Sprintf("%q…", s)
	}
	return fmt.Sprintf("%q", s)
}

package probe

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/heraldhq/herald/internal/config"
)

// maxBody is how much of a response body a check reads. A status page
// fits well inside it; a larger body is matched on its first MiB.
const maxBody = 1 << 20

// httpProber checks one URL. Everything that does not change between checks
// (the request's bytes, the TLS configuration, the compiled pattern, the
// expectation text) is built once here, because at thousands of monitors the
// per-check cost is what decides how many one machine can run.
//
// It speaks HTTP/1.1 itself over a connection it opens for the check, writing
// one request with "Connection: close" and reading the answer with
// net/http's own response parser: an http.Transport would start a dial
// goroutine and a reader and a writer goroutine per connection, which for
// connections used once is most of a check's cost.
type httpProber struct {
	dial func(context.Context, string, string) (net.Conn, error)
	addr string      // host:port to dial
	tls  *tls.Config // nil for plain http
	// path and host make the request line and Host header, written
	// around the fixed headers at each check (requestTail) rather than
	// kept whole: 210 bytes a monitor at ten thousand monitors.
	path, host string
	timeout    time.Duration
	expect     []int  // nil = 200-399
	want       string // the expectation as the operator reads it: "200-399"
	contains   []byte
	matches    *regexp.Regexp
	certDays   int
	now        func() time.Time
	bufs       *sync.Pool // *bytes.Buffer, only used when the body is matched
}

// readers are the response readers of every HTTP check. One pool for all
// monitors: a pool per monitor would keep a reader per monitor alive between
// checks, 40 MB at ten thousand monitors, to save an allocation each.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4<<10) }}

// maxHeader bounds a response's status line and headers.
const maxHeader = 64 << 10

func newHTTP(m config.Monitor, env Env) (Prober, error) {
	u, err := url.Parse(m.URL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || (m.Type == "https" && u.Scheme != "https") {
		want := "http or https"
		if m.Type == "https" {
			want = "https"
		}
		return nil, fmt.Errorf("url %q must be an absolute %s URL", m.URL, want)
	}
	if u.User != nil {
		return nil, fmt.Errorf("url %q: credentials in the URL are not supported", m.URL)
	}
	p := &httpProber{
		dial:     env.Dial,
		timeout:  m.Timeout.D(),
		expect:   slices.Clone(m.ExpectStatus),
		want:     "200-399",
		certDays: m.CertExpiryDays,
		now:      env.Now,
	}
	if len(p.expect) > 0 {
		codes := make([]string, len(p.expect))
		for i, c := range p.expect {
			if c < 100 || c > 599 {
				return nil, fmt.Errorf("expect_status %d is not an HTTP status (100 to 599)", c)
			}
			codes[i] = strconv.Itoa(c)
		}
		p.want = strings.Join(codes, " or ")
	}
	if m.BodyMatches != "" {
		if p.matches, err = regexp.Compile(m.BodyMatches); err != nil {
			return nil, fmt.Errorf("body_matches is not a valid regular expression: %w", err)
		}
	}
	if m.BodyContains != "" {
		p.contains = []byte(m.BodyContains)
	}
	if p.contains != nil || p.matches != nil {
		p.bufs = &sync.Pool{New: func() any { return new(bytes.Buffer) }}
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	p.addr = net.JoinHostPort(u.Hostname(), port)
	if u.Scheme == "https" {
		p.tls = &tls.Config{ServerName: u.Hostname(), RootCAs: env.RootCAs, Time: env.Now, MinVersion: tls.VersionTLS12,
			NextProtos: []string{"http/1.1"}}
	}
	// The check is about this URL: a redirect is its answer (and counts as
	// up under the default 200-399), not an address to go on to.
	p.path, p.host = u.RequestURI(), u.Host
	return p, nil
}

// requestTail ends every check's request, after its Host header.
const requestTail = "\r\nUser-Agent: Herald-Monitor/1 (status page checker)\r\nAccept: */*\r\nConnection: close\r\n\r\n"

// requests are the buffers requests are written from.
var requests = sync.Pool{New: func() any { return new([]byte) }}

// writeRequest writes the check's request to c in one write.
func (p *httpProber) writeRequest(c net.Conn) error {
	bp := requests.Get().(*[]byte)
	b := append((*bp)[:0], "GET "...)
	b = append(b, p.path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, p.host...)
	b = append(b, requestTail...)
	_, err := c.Write(b)
	if cap(b) <= 4<<10 { // a rare long address's buffer is not kept
		*bp = b
		requests.Put(bp)
	}
	return err
}

// longAgo is a deadline in the past, which ends a blocked read or write at once.
var longAgo = time.Unix(1, 0)

func (p *httpProber) Probe(parent context.Context) Result {
	ctx, cancel := context.WithTimeout(parent, p.timeout)
	defer cancel()
	start := p.now()
	down := func(err error) Result {
		return Result{Outcome: Down, Latency: p.now().Sub(start), Message: failed(parent, ctx, err, "HTTP response", p.timeout)}
	}
	// A new connection per check, as a customer's browser opening the site
	// would make, so a dead listener is never hidden.
	conn, err := p.dial(ctx, "tcp", p.addr)
	if err != nil {
		return down(err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// The deadline covers the timeout; this covers a caller cancelling.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(longAgo) })
	defer stop()

	var c net.Conn = conn
	var notAfter time.Time
	if p.tls != nil {
		tc := tls.Client(conn, p.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			if msg, na, ok := certProblem(err, p.now()); ok && parent.Err() == nil {
				return Result{Outcome: Down, Latency: p.now().Sub(start), Message: msg, CertNotAfter: na}
			}
			return down(err)
		}
		if certs := tc.ConnectionState().PeerCertificates; len(certs) > 0 {
			notAfter = certs[0].NotAfter
		}
		c = tc
	}
	if err := p.writeRequest(c); err != nil {
		return down(err)
	}
	br := readers.Get().(*bufio.Reader)
	br.Reset(&io.LimitedReader{R: c, N: maxHeader + maxBody})
	defer func() { br.Reset(nil); readers.Put(br) }()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return down(err)
	}
	defer resp.Body.Close()
	var body *bytes.Buffer
	if p.bufs != nil {
		body = p.bufs.Get().(*bytes.Buffer)
		defer p.putBuf(body)
		_, err = body.ReadFrom(io.LimitReader(resp.Body, maxBody))
	} else {
		// Read (and drop) the page all the same: a server that sends its
		// headers and then stalls is not serving the site.
		_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	}
	r := Result{Outcome: Up, Latency: p.now().Sub(start), CertNotAfter: notAfter}
	if err != nil && !errors.Is(err, io.EOF) {
		r.Outcome, r.Message = Down, failed(parent, ctx, err, "complete HTTP response", p.timeout)
		return r
	}
	r.Outcome, r.Message = p.judge(resp.StatusCode, body)
	if r.Outcome == Up {
		if warn := certWarning(r.CertNotAfter, p.now(), p.certDays); warn != "" {
			r.Outcome, r.Message = Degraded, warn
		}
	}
	return r
}

// judge applies the status and body expectations.
func (p *httpProber) judge(status int, body *bytes.Buffer) (Outcome, string) {
	ok := status >= 200 && status <= 399
	if p.expect != nil {
		ok = slices.Contains(p.expect, status)
	}
	if !ok {
		return Down, "status " + strconv.Itoa(status) + ", want " + p.want
	}
	if p.contains != nil && !bytes.Contains(body.Bytes(), p.contains) {
		return Down, "body does not contain " + strconv.Quote(clip(string(p.contains), 60))
	}
	if p.matches != nil && !p.matches.Match(body.Bytes()) {
		return Down, "body does not match " + clip(p.matches.String(), 60)
	}
	return Up, "status " + strconv.Itoa(status)
}

func (p *httpProber) putBuf(b *bytes.Buffer) {
	// A buffer that grew to hold a large page goes back anyway: it is
	// bounded by maxBody, and the same monitor will need it again.
	b.Reset()
	p.bufs.Put(b)
}

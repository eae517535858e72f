package probe

import (
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
// (client, transport, request, compiled pattern, expectation text) is built
// once here, because at thousands of monitors the per-check cost is what
// decides how many one machine can run.
type httpProber struct {
	client   *http.Client
	req      *http.Request // a template; each check gives it its context
	timeout  time.Duration
	expect   []int  // nil = 200-399
	want     string // the expectation as the operator reads it: "200-399"
	contains []byte
	matches  *regexp.Regexp
	certDays int
	now      func() time.Time
	bufs     *sync.Pool // *bytes.Buffer, only used when the body is matched
}

func newHTTP(m config.Monitor, env Env) (Prober, error) {
	u, err := url.Parse(m.URL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || (m.Type == "https" && u.Scheme != "https") {
		want := "http or https"
		if m.Type == "https" {
			want = "https"
		}
		return nil, fmt.Errorf("url %q must be an absolute %s URL", m.URL, want)
	}
	p := &httpProber{
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
	p.req, err = http.NewRequest(http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("url %q: %w", m.URL, err)
	}
	p.req.Header.Set("User-Agent", "Herald-Monitor/1 (status page checker)")
	p.client = &http.Client{
		Transport: &http.Transport{
			// Never a proxy from the environment: the check must reach the
			// address the operator wrote, through Env.Dial, and nothing else.
			Proxy:       nil,
			DialContext: boundedDial(env.Dial, p.timeout),
			TLSClientConfig: &tls.Config{
				RootCAs:    env.RootCAs,
				Time:       env.Now,
				MinVersion: tls.VersionTLS12,
			},
			// A new connection per check, as a customer's browser opening
			// the site would make, so a dead listener is never hidden.
			DisableKeepAlives:      true,
			MaxResponseHeaderBytes: 64 << 10,
			// A GET without a body fits in well under 1 KiB; the default
			// 4 KiB write buffer would be allocated and dropped per check.
			WriteBufferSize: 1 << 10,
		},
		// The check is about this URL: a redirect is its answer (and counts
		// as up under the default 200-399), not an address to go on to.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return p, nil
}

func (p *httpProber) Probe(parent context.Context) Result {
	ctx, cancel := context.WithTimeout(parent, p.timeout)
	defer cancel()
	start := p.now()
	resp, err := p.client.Do(p.req.WithContext(ctx))
	if err != nil {
		r := Result{Outcome: Down, Latency: p.now().Sub(start)}
		if msg, notAfter, ok := certProblem(err, p.now()); ok && parent.Err() == nil {
			r.Message, r.CertNotAfter = msg, notAfter
			return r
		}
		r.Message = failed(parent, ctx, err, "HTTP response", p.timeout)
		return r
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
	r := Result{Outcome: Up, Latency: p.now().Sub(start)}
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		r.CertNotAfter = resp.TLS.PeerCertificates[0].NotAfter
	}
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

// boundedDial gives each dial the check's timeout. http.Transport dials
// with a context cut loose from the request's (so a late connection can
// serve a later request), which for a host that drops packets would leave
// a dial running for the kernel's minutes of SYN retries after the check
// has given up, one more each interval.
func boundedDial(dial func(context.Context, string, string) (net.Conn, error), timeout time.Duration) func(context.Context, string, string) (net.Conn, error) {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		return dial(ctx, network, address)
	}
}

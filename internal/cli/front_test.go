package cli

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/store"
)

// The public read path (front.go), against the real listener of an
// in-process `herald serve`.

// frontServer starts serve on 127.0.0.1:0 with the example fleet, limits
// lim (nil: the defaults) and each accepted connection wrapped to count
// its reads and writes; it returns the address and the counters.
func frontServer(t *testing.T, lim *httpLimits) (string, *connCounts) {
	t.Helper()
	return frontServerTold(t, lim, nil)
}

// frontServerTold is frontServer with serveOptions.serving set to serving.
func frontServerTold(t *testing.T, lim *httpLimits, serving func(bool)) (string, *connCounts) {
	t.Helper()
	cfgPath, err := filepath.Abs("../../examples/hosting.yaml")
	if err != nil {
		t.Fatal(err)
	}
	counts := &connCounts{}
	addrc := make(chan string, 1)
	o := serveOptions{
		configPath:    cfgPath,
		dsn:           store.DSN{DataDir: t.TempDir()},
		listen:        "127.0.0.1:0",
		started:       func(addr string) { addrc <- addr },
		shutdownGrace: 10 * time.Second,
		limits:        lim,
		wrapListener:  func(ln net.Listener) net.Listener { return &countingListener{Listener: ln, counts: counts} },
		serving:       serving,
		// The tests compare answers to one document over many requests, so
		// it must not change meanwhile: the example fleet's monitors check
		// addresses where nothing answers and turn their components down
		// when their checks come (a busy CI run once saw / change between a
		// HEAD and the GET after it). Without monitors the fleet stays still.
		adjust: func(c *config.Config) {
			for g := range c.Groups {
				for i := range c.Groups[g].Components {
					c.Groups[g].Components[i].Monitors = nil
				}
			}
		},
	}
	logs := &syncBuffer{}
	env := &Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: logs, Getenv: os.Getenv}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serve(ctx, env, o) }()
	t.Cleanup(func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("serve: %v\n%s", err, logs)
		}
	})
	select {
	case addr := <-addrc:
		return addr, counts
	case err := <-served:
		t.Fatalf("serve returned before listening: %v\n%s", err, logs)
		return "", nil
	}
}

// connCounts are the Read calls that returned bytes and the Write calls
// made on the server's side of the connections accepted, each one system
// call or a wait for one. A read is counted once it returned: one waiting
// for the next request when the counts are taken is not yet counted, or
// the counts would say whether the server had got back to its read before
// the client had read the answer (a busy machine once had it not).
type connCounts struct {
	mu     sync.Mutex
	reads  int
	writes int
}

func (c *connCounts) get() (reads, writes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads, c.writes
}

type countingListener struct {
	net.Listener
	counts *connCounts
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, counts: l.counts}, nil
}

type countingConn struct {
	net.Conn
	counts *connCounts
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.counts.mu.Lock()
		c.counts.reads++
		c.counts.mu.Unlock()
	}
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.counts.mu.Lock()
	c.counts.writes++
	c.counts.mu.Unlock()
	return c.Conn.Write(p)
}

// CloseWrite reaches the TCP connection, as net/http asks for it.
func (c *countingConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// rawConn is a client connection that writes requests as given and reads
// answers in order.
type rawConn struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	// A bound for a broken server, not a measurement.
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	return &rawConn{t: t, conn: c, r: bufio.NewReader(c)}
}

func (c *rawConn) send(reqs ...string) {
	c.t.Helper()
	if _, err := io.WriteString(c.conn, strings.Join(reqs, "")); err != nil {
		c.t.Fatal(err)
	}
}

// answer reads one response to a request of method.
func (c *rawConn) answer(method string) (*http.Response, []byte) {
	c.t.Helper()
	resp, err := http.ReadResponse(c.r, &http.Request{Method: method})
	if err != nil {
		c.t.Fatalf("read the answer: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		c.t.Fatalf("read the body: %v", err)
	}
	return resp, body
}

func getReq(path string, headers ...string) string {
	return req("GET", path, headers...)
}

func req(method, path string, headers ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: status.example.net\r\n", method, path)
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// TestServeAnswersOnceThePagesShowTheStart: serve starts answering only
// once the public documents show every change starting made. The
// monitors' first states (none here) were one, applied after the first
// rendering: the page a first visitor got changed a moment later (seen as
// TestFrontConditionalAndHead failing in CI).
func TestServeAnswersOnceThePagesShowTheStart(t *testing.T) {
	Parallel(t)
	told := make(chan bool, 1)
	frontServerTold(t, nil, func(shows bool) { told <- shows })
	if !<-told {
		t.Error("serve began answering while the public documents did not show every change the start made")
	}
}

// TestFrontConditionalAndHead: an ETag given back gets 304 without a body,
// HEAD gets the headers of GET without the body.
func TestFrontConditionalAndHead(t *testing.T) {
	Parallel(t)
	addr, _ := frontServer(t, nil)
	c := dialRaw(t, addr)
	// /history is kept compressed only (web's gzOnly): its plain answers
	// are decompressed by net/http.
	for _, path := range []string{"/", "/api/v2/summary.json", "/history"} {
		c.send(getReq(path))
		full, body := c.answer("GET")
		etag := full.Header.Get("ETag")
		if full.StatusCode != 200 || etag == "" || len(body) == 0 || full.ContentLength != int64(len(body)) {
			t.Fatalf("GET %s: %s, ETag %q, %d bytes (Content-Length %d)", path, full.Status, etag, len(body), full.ContentLength)
		}
		c.send(getReq(path, "If-None-Match: "+etag), getReq(path, "If-None-Match: W/"+etag+", \"other\""))
		for range 2 {
			resp, b := c.answer("GET")
			if resp.StatusCode != http.StatusNotModified || len(b) != 0 || resp.Header.Get("ETag") != etag {
				t.Errorf("GET %s with its ETag: %s, %d bytes, ETag %q; want 304, none, %q", path, resp.Status, len(b), resp.Header.Get("ETag"), etag)
			}
		}
		c.send(getReq(path, `If-None-Match: "stale"`))
		if resp, b := c.answer("GET"); resp.StatusCode != 200 || !bytes.Equal(b, body) {
			t.Errorf("GET %s with another ETag: %s, %d bytes; want 200 and the document", path, resp.Status, len(b))
		}
		c.send(req("HEAD", path))
		resp, b := c.answer("HEAD")
		if resp.StatusCode != 200 || resp.ContentLength != int64(len(body)) || resp.Header.Get("ETag") != etag {
			t.Errorf("HEAD %s: %s, Content-Length %d, ETag %q; want 200, %d, %q", path, resp.Status, resp.ContentLength, resp.Header.Get("ETag"), len(body), etag)
		}
		// HEAD's answer has no body: the next answer follows at once.
		c.send(getReq(path, "If-None-Match: "+etag))
		if resp, _ := c.answer("GET"); resp.StatusCode != http.StatusNotModified {
			t.Errorf("after HEAD %s: %s, ETag %q; want the 304 asked next", path, resp.Status, resp.Header.Get("ETag"))
		}
		_ = b
	}
}

// TestFrontGzip: gzip when the client takes it (the same document,
// compressed), the plain bytes when it does not or refuses it with q=0.
func TestFrontGzip(t *testing.T) {
	Parallel(t)
	addr, _ := frontServer(t, nil)
	c := dialRaw(t, addr)
	for _, path := range []string{"/", "/api/v2/summary.json", "/history"} {
		c.send(getReq(path))
		plain, body := c.answer("GET")
		if plain.Header.Get("Content-Encoding") != "" || plain.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("GET %s without Accept-Encoding: encoding %q, Vary %q", path, plain.Header.Get("Content-Encoding"), plain.Header.Get("Vary"))
		}
		c.send(getReq(path, "Accept-Encoding: br, gzip;q=0.8"))
		resp, zipped := c.answer("GET")
		if resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Vary") != "Accept-Encoding" || resp.ContentLength != int64(len(zipped)) {
			t.Fatalf("GET %s with gzip: encoding %q, Vary %q, Content-Length %d for %d bytes", path,
				resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"), resp.ContentLength, len(zipped))
		}
		if resp.Header.Get("ETag") != plain.Header.Get("ETag") {
			t.Errorf("GET %s: the gzip answer's ETag %q differs from the plain one's %q", path, resp.Header.Get("ETag"), plain.Header.Get("ETag"))
		}
		zr, err := gzip.NewReader(bytes.NewReader(zipped))
		if err != nil {
			t.Fatal(err)
		}
		unzipped, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(unzipped, body) {
			t.Errorf("GET %s with gzip: %v; the document unzipped is not the plain one (%d and %d bytes)", path, err, len(unzipped), len(body))
		}
		c.send(getReq(path, "Accept-Encoding: gzip;q=0, identity"))
		if resp, b := c.answer("GET"); resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(b, body) {
			t.Errorf("GET %s with gzip;q=0: encoding %q, %d bytes; want the plain document", path, resp.Header.Get("Content-Encoding"), len(b))
		}
	}
}

// TestFrontKeepAliveAndPipelining: requests sent together on one
// connection are answered in order on it, public documents and others
// mixed; after one for net/http the connection serves on.
func TestFrontKeepAliveAndPipelining(t *testing.T) {
	Parallel(t)
	addr, _ := frontServer(t, nil)
	c := dialRaw(t, addr)
	type want struct {
		method, path, contentType, contains string
		status                              int
	}
	wants := []want{
		{"GET", "/", "text/html; charset=utf-8", "<html", 200},
		{"GET", "/api/v2/summary.json", "application/json", `"components"`, 200},
		{"HEAD", "/api/v2/status.json", "application/json", "", 200},
		{"GET", "/healthz", "text/plain; charset=utf-8", "ok", 200}, // net/http's
		{"GET", "/api/v2/summary.json", "application/json", `"components"`, 200},
		{"GET", "/no-such-page", "text/plain; charset=utf-8", "not found", 404}, // the router's
		{"GET", "/", "text/html; charset=utf-8", "<html", 200},
	}
	for round := range 2 {
		var reqs []string
		for _, w := range wants {
			reqs = append(reqs, req(w.method, w.path))
		}
		c.send(reqs...)
		for i, w := range wants {
			resp, body := c.answer(w.method)
			if resp.StatusCode != w.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), w.contentType) ||
				!bytes.Contains(body, []byte(w.contains)) || resp.Close {
				t.Errorf("round %d, answer %d (%s %s): %s, %q, close %v, %.40q; want %d, %q, a kept connection, %q",
					round, i, w.method, w.path, resp.Status, resp.Header.Get("Content-Type"), resp.Close, body, w.status, w.contentType, w.contains)
			}
		}
	}
}

// TestFrontSameAnswersAsNetHTTP: the answers fasthttp gives are those
// net/http gives to the same requests (Date aside), for public documents
// and for what fasthttp hands over. A connection whose first request is
// for net/http stays with net/http, which serves the documents too.
func TestFrontSameAnswersAsNetHTTP(t *testing.T) {
	Parallel(t)
	addr, _ := frontServer(t, nil)
	fast, slow := dialRaw(t, addr), dialRaw(t, addr)
	slow.send(getReq("/healthz"))
	if resp, _ := slow.answer("GET"); resp.StatusCode != 200 {
		t.Fatalf("/healthz: %s", resp.Status)
	}
	var etag string
	{
		fast.send(getReq("/"))
		resp, _ := fast.answer("GET")
		etag = resp.Header.Get("ETag")
	}
	for _, r := range []struct{ method, path string }{
		{"GET", "/"}, {"HEAD", "/"}, {"GET", "/?utm=x"}, {"GET", "/api/v2/summary.json"}, {"GET", "/api/v2/incidents.json"},
		{"GET", "/history"}, {"HEAD", "/history"}, {"GET", "/history.atom"}, {"GET", "/static/nope.css"}, {"GET", "/api/v2/nope.json"},
		{"GET", "/./"}, {"GET", "//"}, {"GET", "/%2F"}, {"GET", "/robots.txt"}, {"OPTIONS", "/api/v2/summary.json"},
	} {
		for _, headers := range [][]string{nil, {"Accept-Encoding: gzip"}, {"If-None-Match: " + etag}, {"Accept-Encoding: gzip;q=0"}} {
			text := req(r.method, r.path, headers...)
			fast.send(text)
			slow.send(text)
			fr, fb := fast.answer(r.method)
			sr, sb := slow.answer(r.method)
			name := fmt.Sprintf("%s %s %q", r.method, r.path, headers)
			if fr.StatusCode != sr.StatusCode || !bytes.Equal(fb, sb) {
				t.Errorf("%s: fasthttp %s with %d bytes, net/http %s with %d", name, fr.Status, len(fb), sr.Status, len(sb))
			}
			if f, s := headerLines(fr.Header), headerLines(sr.Header); !slices.Equal(f, s) {
				t.Errorf("%s: headers differ\nfasthttp: %q\nnet/http: %q", name, f, s)
			}
		}
	}
}

func headerLines(h http.Header) []string {
	var out []string
	for k, vs := range h {
		if k == "Date" {
			continue
		}
		for _, v := range vs {
			out = append(out, k+": "+v)
		}
	}
	slices.Sort(out)
	return out
}

// TestFrontTimeouts: a client that stops half way through a request's
// head, and one that keeps a connection idle, are cut off. The limits are
// shortened for the test; what is asserted is that the server closes the
// connection, not when.
func TestFrontTimeouts(t *testing.T) {
	Parallel(t)
	lim := defaultLimits
	lim.readHeader, lim.idle = 300*time.Millisecond, 300*time.Millisecond
	addr, _ := frontServer(t, &lim)

	slowHead := dialRaw(t, addr)
	slowHead.send("GET / HTTP/1.1\r\nHost: status.example.net\r\n") // no end of head
	if rest, err := io.ReadAll(slowHead.r); err != nil || (len(rest) > 0 && !bytes.HasPrefix(rest, []byte("HTTP/1.1 4"))) {
		t.Errorf("half a head: the server answered %.60q (%v); want the connection closed, at most with an error", rest, err)
	}

	idle := dialRaw(t, addr)
	idle.send(getReq("/"))
	if resp, _ := idle.answer("GET"); resp.StatusCode != 200 || resp.Close {
		t.Fatalf("GET /: %s, close %v", resp.Status, resp.Close)
	}
	if rest, err := io.ReadAll(idle.r); err != nil || len(rest) > 0 {
		t.Errorf("an idle connection: got %.60q (%v); want it closed without a word", rest, err)
	}

	// The same for a connection net/http holds.
	handed := dialRaw(t, addr)
	handed.send(getReq("/healthz"))
	if resp, _ := handed.answer("GET"); resp.StatusCode != 200 {
		t.Fatalf("/healthz: %s", resp.Status)
	}
	if rest, err := io.ReadAll(handed.r); err != nil || len(rest) > 0 {
		t.Errorf("an idle connection held by net/http: got %.60q (%v); want it closed", rest, err)
	}
}

// TestFrontSizeLimits: a request head over the limit is refused with 431
// by either server, and a body over its route's limit with 413 after the
// hand-over, the connection then closed.
func TestFrontSizeLimits(t *testing.T) {
	Parallel(t)
	addr, _ := frontServer(t, nil)
	big := "X-Filler: " + strings.Repeat("a", defaultLimits.maxHead)
	c := dialRaw(t, addr)
	c.send(getReq("/", big))
	if resp, _ := c.answer("GET"); resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("GET / with a %d-byte header: %s; want 431", len(big), resp.Status)
	}
	c = dialRaw(t, addr)
	c.send(getReq("/", "X-Filler: "+strings.Repeat("a", defaultLimits.maxHead/2)))
	if resp, _ := c.answer("GET"); resp.StatusCode != 200 {
		t.Errorf("GET / with a header half the limit: %s; want 200", resp.Status)
	}

	body := strings.Repeat("a", 1<<20)
	c = dialRaw(t, addr)
	// Written aside: the server answers and closes before reading it all.
	go io.WriteString(c.conn, fmt.Sprintf("POST /api/v2/subscribers.json HTTP/1.1\r\nHost: status.example.net\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body))
	if resp, _ := c.answer("POST"); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("POST /api/v2/subscribers.json with 1 MB: %s; want 413", resp.Status)
	}
}

// TestFrontOneWritePerAnswer counts the server's system calls on a
// connection (the Read and Write calls on it) while a client asks for the
// public documents one after the other: one write per answer (net/http
// made two for a document over 4 KB) and one read per request (net/http
// made another, in the background, to see a client leave).
func TestFrontOneWritePerAnswer(t *testing.T) {
	Parallel(t)
	addr, counts := frontServer(t, nil)
	c := dialRaw(t, addr)
	c.send(getReq("/"))
	c.answer("GET") // the connection's first request is read apart
	asks := []struct {
		method, path string
		headers      []string
	}{
		{"GET", "/", nil}, {"GET", "/api/v2/summary.json", nil}, {"GET", "/", []string{"Accept-Encoding: gzip"}},
		{"HEAD", "/", nil}, {"GET", "/history", nil}, {"GET", "/history.atom", nil},
	}
	reads0, writes0 := counts.get()
	const rounds = 20
	large := 0
	for range rounds {
		for _, a := range asks {
			c.send(req(a.method, a.path, a.headers...))
			resp, body := c.answer(a.method)
			if resp.StatusCode != 200 || (a.method == "GET" && len(body) == 0) {
				t.Fatalf("%s %s: %s, %d bytes", a.method, a.path, resp.Status, len(body))
			}
			// An answer larger than the write buffer is one writev of the
			// head and the body on a TCP connection, but fasthttp writes
			// through anything else (this counting wrapper) in two calls.
			// The front page grows past the buffer once its servers'
			// bars fill in, which may happen during the test.
			var head bytes.Buffer
			_ = resp.Header.Write(&head)
			if len(resp.Proto)+1+len(resp.Status)+2+head.Len()+2+len(body) > writeBuffer {
				large++
			}
		}
	}
	reads, writes := counts.get()
	n := rounds * len(asks)
	if writes-writes0 != n+large {
		t.Errorf("%d answers (%d of them over the write buffer) took %d writes; want one each, two for those", n, large, writes-writes0)
	}
	if reads-reads0 != n {
		t.Errorf("%d requests took %d reads; want one each", n, reads-reads0)
	}
}

// TestFrontHandsOverBodiesWhole: a request with a body is net/http's, and
// net/http reads all of it as the client sent it, however it is framed
// and however the client's writes split it; a request pipelined behind it
// is answered after it, in order. The body is a strict JSON subscription
// with a field no subscription has: only a handler that read the body
// whole names that field in its refusal (a cut body would be refused as
// cut, a lost one as empty).
func TestFrontHandsOverBodiesWhole(t *testing.T) {
	Parallel(t)
	const body = `{"subscriber":{"email":"reader@example.com"},"unheard_of_field":1}`
	head := "POST /api/v2/subscribers.json HTTP/1.1\r\nHost: status.example.net\r\nContent-Type: application/json\r\n"
	chunked := fmt.Sprintf("%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n", 20, body[:20], len(body)-20, body[20:])
	cases := []struct {
		name   string
		writes []string // each one write of the client's, a pause between
	}{
		{"length, one write", []string{head + fmt.Sprintf("Content-Length: %d\r\n\r\n", len(body)) + body}},
		{"length, the body after the head", []string{head + fmt.Sprintf("Content-Length: %d\r\n\r\n", len(body)), body}},
		{"length, the body in three", []string{head + fmt.Sprintf("Content-Length: %d\r\n\r\n", len(body)) + body[:1], body[1:30], body[30:]}},
		{"chunked, one write", []string{head + "Transfer-Encoding: chunked\r\n\r\n" + chunked}},
		{"chunked, the chunks after the head", []string{head + "Transfer-Encoding: chunked\r\n\r\n", chunked[:10], chunked[10:]}},
		{"expect 100-continue", []string{head + fmt.Sprintf("Content-Length: %d\r\nExpect: 100-continue\r\n\r\n", len(body)), body}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// A server each: subscriptions are limited per client.
			addr, _ := frontServer(t, nil)
			c := dialRaw(t, addr)
			for i, w := range tc.writes {
				if i > 0 {
					// The server has the earlier part first (no timing is
					// asserted: any pause, or none, must give the same).
					time.Sleep(20 * time.Millisecond)
				}
				c.send(w)
			}
			chunks := strings.Contains(tc.writes[0], "chunked")
			c.send(getReq("/api/v2/status.json"))
			resp, got := c.answer("POST")
			if resp.StatusCode == http.StatusContinue {
				resp, got = c.answer("POST")
			}
			if resp.StatusCode != http.StatusBadRequest || !bytes.Contains(got, []byte("unheard_of_field")) {
				t.Errorf("the subscription: %s %q; want 400 naming the unknown field (the body read whole)", resp.Status, got)
			}
			if chunks {
				// A chunked request ends its connection (TestFrontRefusesAmbiguousFraming).
				if !resp.Close {
					t.Errorf("a chunked request's answer keeps the connection")
				}
				return
			}
			resp, got = c.answer("GET")
			if resp.StatusCode != http.StatusOK || !bytes.Contains(got, []byte(`"status"`)) {
				t.Errorf("the request behind it: %s %.60q; want 200 with the status document", resp.Status, got)
			}
		})
	}
}

// TestFrontRefusesAmbiguousFraming: a request whose length two readers
// could take differently (two lengths, a length beside chunks, chunks not
// last, a GET with a body) is refused or read one way only, and nothing
// hidden in its body is answered as a request of its own (request
// smuggling): a proxy in front that went by the Content-Length would see
// one request where Herald, going by the chunks, sees two. After a request
// with both, RFC 9112 (section 6.3) says the server must close.
func TestFrontRefusesAmbiguousFraming(t *testing.T) {
	Parallel(t)
	addr, _ := frontServer(t, nil)
	hidden := "GET /api/v2/status.json HTTP/1.1\r\nHost: status.example.net\r\n\r\n"
	for _, tc := range []struct{ name, request string }{
		{"two lengths", "POST /lookup HTTP/1.1\r\nHost: status.example.net\r\nContent-Length: 0\r\nContent-Length: " +
			fmt.Sprint(len(hidden)) + "\r\n\r\n" + hidden},
		{"a length beside chunks", "POST /lookup HTTP/1.1\r\nHost: status.example.net\r\nContent-Length: " +
			fmt.Sprint(len("0\r\n\r\n")+len(hidden)) + "\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + hidden},
		{"chunked not last", "POST /lookup HTTP/1.1\r\nHost: status.example.net\r\nTransfer-Encoding: chunked, identity\r\nContent-Length: " +
			fmt.Sprint(len(hidden)) + "\r\n\r\n" + hidden},
		{"a GET with a length", "GET / HTTP/1.1\r\nHost: status.example.net\r\nContent-Length: " + fmt.Sprint(len(hidden)) + "\r\n\r\n" + hidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, addr)
			c.send(tc.request)
			// Then the connection is closed by the client: every answer the
			// server gives to what was sent is read until it closes.
			if cw, ok := c.conn.(interface{ CloseWrite() error }); ok {
				_ = cw.CloseWrite()
			}
			var statuses []string
			for {
				resp, err := http.ReadResponse(c.r, &http.Request{Method: "GET"})
				if err != nil {
					break
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				statuses = append(statuses, resp.Status)
				if bytes.Contains(b, []byte(`"status"`)) && bytes.Contains(b, []byte(`"indicator"`)) {
					t.Errorf("the request hidden in the body was answered: %s", resp.Status)
				}
			}
			if len(statuses) > 1 {
				t.Errorf("%d answers to one request: %q", len(statuses), statuses)
			}
		})
	}
}

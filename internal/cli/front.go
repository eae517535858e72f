package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/heraldhq/herald/internal/web"
)

// Herald's listeners are served by two HTTP servers. fasthttp reads every
// connection first and answers the public documents from memory
// (web.Site.ServeFast): a response is written with one system call, and no
// read is made but those that bring requests. net/http writes a response
// over 4 KB in two (its connection buffer is 4 KB and cannot be set) and
// reads each connection once more per request to notice a client leaving;
// on the page's path that was half of Herald's time. The first request on
// a connection for anything else (the admin, the APIs, forms, private
// pages, an address fasthttp might read otherwise) hands the connection,
// that request and what follows it included, to the net/http server, which
// keeps it to the end: those routes keep net/http's request bodies,
// contexts, streaming and timeouts as they were.

// httpLimits are the limits both servers apply: one home, so that a
// request meets the same ones whichever server reads it.
type httpLimits struct {
	readHeader, read, write, idle time.Duration // read: the request, body included
	// maxHead bounds a request's line and headers. net/http allows
	// MaxHeaderBytes and 4 KB more; fasthttp refuses a head that does not
	// fit its read buffer, which each connection keeps.
	maxHead int
}

var defaultLimits = httpLimits{readHeader: 10 * time.Second, read: 30 * time.Second, write: 60 * time.Second,
	idle: 2 * time.Minute, maxHead: 16 << 10}

// writeBuffer is fasthttp's response buffer, taken from a pool for each
// response: a response up to this size (the page is 19 KB) is one write,
// and a larger one is one writev of the head and the body.
const writeBuffer = 64 << 10

// front serves the listeners; see above.
type front struct {
	site  *web.Site
	drain *drainer
	fast  *fasthttp.Server
	slow  *http.Server
	// handed are the connections passed to slow.
	handed *handoffListener
	// pending counts hand-offs not yet taken by slow.
	pending  sync.WaitGroup
	slowDone chan error
}

// newFront puts fasthttp in front of slow (whose timeouts and limits are
// set here too).
func newFront(site *web.Site, slow *http.Server, drain *drainer, log *slog.Logger, lim httpLimits) *front {
	slow.ReadHeaderTimeout = lim.readHeader
	slow.ReadTimeout = lim.read
	slow.WriteTimeout = lim.write
	slow.IdleTimeout = lim.idle
	slow.MaxHeaderBytes = lim.maxHead - 4<<10
	slow.Handler = closeAfterChunks(slow.Handler)
	f := &front{site: site, drain: drain, slow: slow, slowDone: make(chan error, 1),
		handed: &handoffListener{conns: make(chan net.Conn), done: make(chan struct{})}}
	f.fast = &fasthttp.Server{
		Handler: f.handle,
		// A request's head within readHeader; one with a body (which
		// net/http will read) has read from there.
		ReadTimeout: lim.readHeader,
		HeaderReceived: func(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
			if n := h.ContentLength(); n > 0 || n == -1 { // -1: chunked
				// One byte of the body read ahead at most, so that the
				// request reaches its handler as soon as net/http would
				// pass it on (a handler may answer before the body comes).
				return fasthttp.RequestConfig{ReadTimeout: lim.read, MaxRequestBodySize: 1}
			}
			return fasthttp.RequestConfig{}
		},
		WriteTimeout:    lim.write,
		IdleTimeout:     lim.idle,
		ReadBufferSize:  lim.maxHead,
		WriteBufferSize: writeBuffer,
		// The body of a request fasthttp hands over is net/http's to
		// read, within the limit of its route: fasthttp reads one byte of
		// it ahead (HeaderReceived) and passes it on, and never parses a form.
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		MaxRequestBodySize:           1 << 62,
		// The write buffer goes back to its pool after each response.
		ReduceMemoryUsage:     true,
		KeepHijackedConns:     true,
		NoDefaultServerHeader: true,
		NoDefaultContentType:  true,
		CloseOnShutdown:       true,
		SecureErrorLogMessage: true,
		Logger:                fastLogger{log},
		ConnState: func(c net.Conn, s fasthttp.ConnState) {
			switch s {
			case fasthttp.StateNew:
				drain.track(c, http.StateNew)
			case fasthttp.StateClosed:
				drain.track(c, http.StateClosed)
			case fasthttp.StateHijacked:
				drain.track(c, http.StateHijacked)
			}
		},
	}
	go func() { f.slowDone <- slow.Serve(f.handed) }()
	return f
}

// serve answers on ln until it is closed.
func (f *front) serve(ln net.Listener) error { return f.fast.Serve(ln) }

// handle answers a public document, or hands the connection to net/http.
func (f *front) handle(ctx *fasthttp.RequestCtx) {
	if f.site.ServeFast(ctx) {
		if f.drain.draining.Load() {
			ctx.Response.SetConnectionClose()
		}
		return
	}
	in, err := replay(ctx)
	if err != nil {
		ctx.SetConnectionClose()
		ctx.Error("Bad Request", fasthttp.StatusBadRequest)
		return
	}
	f.pending.Add(1)
	ctx.HijackSetNoResponse(true)
	ctx.Hijack(func(c net.Conn) {
		defer f.pending.Done()
		f.handed.give(&handedConn{Conn: c, r: io.MultiReader(bytes.NewReader(in), c)})
	})
}

// replay is the request ctx holds as it came, for net/http to read again:
// its line, its headers in their order (but Expect, which fasthttp has
// answered already), and the part of its body fasthttp read ahead; the
// rest of the body is still on the connection.
func replay(ctx *fasthttp.RequestCtx) ([]byte, error) {
	h := &ctx.Request.Header
	var b bytes.Buffer
	b.Write(h.Method())
	b.WriteByte(' ')
	b.Write(h.RequestURI())
	b.WriteByte(' ')
	b.Write(h.Protocol())
	b.WriteString("\r\n")
	for k, v := range h.AllInOrder() {
		if string(k) == "Expect" {
			continue
		}
		b.Write(k)
		b.WriteString(": ")
		b.Write(v)
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	if n := h.ContentLength(); n > 0 {
		// The stream gives what fasthttp read ahead first, in one read
		// that does not wait on the network.
		body := ctx.RequestBodyStream()
		if body == nil {
			return nil, errors.New("no body stream")
		}
		buf := make([]byte, min(n, 64<<10))
		m, err := body.Read(buf)
		if err != nil && err != io.EOF {
			return nil, err
		}
		b.Write(buf[:m])
	}
	return b.Bytes(), nil
}

// Shutdown stops both servers: fasthttp first (its connections end after
// their response), then the hand-offs under way are taken, then net/http.
func (f *front) Shutdown(ctx context.Context) error {
	err := f.fast.ShutdownWithContext(ctx)
	if errors.Is(err, net.ErrClosed) {
		err = nil // the listeners, closed by the drain already
	}
	f.pending.Wait()
	return errors.Join(err, f.slow.Shutdown(ctx))
}

// handoffListener gives net/http the connections fasthttp hands over.
type handoffListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *handoffListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *handoffListener) Addr() net.Addr { return handoffAddr{} }

// give passes c to net/http, or closes it once net/http has stopped.
func (l *handoffListener) give(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.done:
		c.Close()
	}
}

type handoffAddr struct{}

func (handoffAddr) Network() string { return "handoff" }
func (handoffAddr) String() string  { return "handoff" }

// handedConn is a connection fasthttp handed over, read from the replayed
// request on.
type handedConn struct {
	net.Conn
	r io.Reader
}

func (c *handedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// CloseWrite lets net/http close its side first when it ends a connection,
// as it does with a TCP connection of its own.
func (c *handedConn) CloseWrite() error {
	conn := c.Conn
	if u, ok := conn.(interface{ UnsafeConn() net.Conn }); ok {
		conn = u.UnsafeConn()
	}
	if cw, ok := conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// fastLogger writes fasthttp's messages to Herald's log as warnings.
type fastLogger struct{ log *slog.Logger }

func (l fastLogger) Printf(format string, args ...any) {
	l.log.Warn("http server", slog.String("msg", fmt.Sprintf(format, args...)))
}

// closeAfterChunks closes a connection after answering a request that
// came in chunks. RFC 9112 (section 6.3) says a server MUST close the
// connection after a request with both Transfer-Encoding and
// Content-Length, which a proxy in front might have framed by its length
// (request smuggling); net/http reads such a request by its chunks and
// drops the Content-Length before a handler can see it, so every chunked
// request ends its connection. Browsers never send one; an API client that
// does opens a new connection, which costs it a handshake.
func closeAfterChunks(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TransferEncoding) > 0 {
			w.Header().Set("Connection", "close")
		}
		h.ServeHTTP(w, r)
	})
}

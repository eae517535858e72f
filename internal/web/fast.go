package web

import (
	"bytes"
	"net/http"
	"slices"

	"github.com/valyala/fasthttp"
	"golang.org/x/net/http/httpguts"
)

// The public read path. The documents a crowd refreshes (the page, its
// /api/v2 documents, feeds, badges) are answered by fasthttp in front of
// net/http (internal/cli/front.go), because net/http writes a response
// over 4 KB in two system calls and reads the connection once more per
// request to notice a client leaving, which together were half of the time
// spent serving the page. ServeFast answers exactly the requests Handler
// would answer from memory, with the same headers, and leaves everything
// else to net/http.

// rawHeader is one response header as bytes.
type rawHeader struct {
	name, value []byte
	// entity is set on the headers a 304 does not repeat, as net/http
	// leaves them out of one.
	entity bool
}

func rawHeaders(h http.Header) []rawHeader {
	var out []rawHeader
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range h {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, v := range h[name] {
			out = append(out, rawHeader{name: []byte(name), value: []byte(v),
				entity: name == "Content-Type" || name == "Content-Length" || name == "Transfer-Encoding"})
		}
	}
	return out
}

var (
	etagName        = []byte("ETag")
	contentEncoding = []byte("Content-Encoding")
	gzipValue       = []byte("gzip")
)

// ServeFast answers ctx from memory when it is a GET or HEAD of a public
// document, as Handler does (conditional requests by ETag, gzip by
// Accept-Encoding, HEAD), and reports whether it did. A request net/http
// might read otherwise (a body, an escaped or unclean path, an absolute
// address, a missing or malformed Host) is not answered here.
func (s *Site) ServeFast(ctx *fasthttp.RequestCtx) bool {
	if !ctx.IsGet() && !ctx.IsHead() {
		return false
	}
	req := &ctx.Request.Header
	if n := req.ContentLength(); n > 0 || n == -1 {
		return false // a body (or chunks) to read: net/http's
	}
	path, ok := plainPath(req.RequestURI())
	host := req.Host()
	if !ok || len(host) == 0 || !httpguts.ValidHostHeader(string(host)) {
		return false
	}
	assets := s.publicAssets(string(host), path)
	if assets == nil {
		return false
	}
	a := assets[path]
	notModified := etagMatches(string(req.Peek("If-None-Match")), a.etag)
	gz := acceptsGzip(string(req.Peek("Accept-Encoding")))
	h := &ctx.Response.Header
	for _, kv := range a.raw {
		if notModified && kv.entity {
			continue
		}
		h.SetCanonical(kv.name, kv.value)
	}
	h.SetCanonical(etagName, a.etagRaw)
	if notModified {
		ctx.SetStatusCode(http.StatusNotModified)
		return true
	}
	body := a.body
	switch {
	case gz:
		h.SetCanonical(contentEncoding, gzipValue)
		body = a.gz
	case a.body == nil && ctx.IsHead():
		// Kept compressed only (gzOnly): the length is the document's;
		// fasthttp keeps a length set on a HEAD answer with no body.
		h.SetContentLength(a.size)
		return true
	case a.body == nil:
		if err := writeGunzipped(ctx.Response.BodyWriter(), a); err != nil {
			panic(err) // newAsset compressed it
		}
		return true
	}
	// Content-Length is the body's; fasthttp leaves the body out of a
	// HEAD answer itself.
	ctx.Response.SetBodyRaw(body)
	return true
}

// plainPath is the path of a request target that net/http's URL.Path reads
// byte for byte the same and its router would not redirect: in origin form,
// without escapes, dot or empty segments, fragments or control bytes.
func plainPath(uri []byte) (string, bool) {
	if i := bytes.IndexByte(uri, '?'); i >= 0 {
		uri = uri[:i]
	}
	if len(uri) == 0 || uri[0] != '/' || bytes.Contains(uri, []byte("/.")) || bytes.Contains(uri, []byte("//")) {
		return "", false
	}
	for _, c := range uri {
		if c <= ' ' || c == 0x7f || c == '%' || c == '#' {
			return "", false
		}
	}
	return string(uri), true
}

// Package web serves Herald's public face: the status pages and the
// Statuspage-compatible /api/v2/ documents, rendered in memory when something
// changes and served with ETags and pre-compressed gzip.
package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash/maphash"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/feed"
	"github.com/heraldhq/herald/internal/refusal"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/statuspage"
)

// asset is one public document, rendered and compressed ahead of requests.
type asset struct {
	// body is the document as rendered, or nil for a page kept only
	// compressed (gzOnly): plain gives it back.
	body, gz    []byte
	size        int    // of the rendered document
	fp          uint64 // the rendered document's maphash (same)
	etag        string
	contentType string
	// header is every response header but the encoding's and the ETag,
	// built once and shared by the documents whose headers are alike
	// (headerSets), so a request costs map assignments, not formatting.
	header          http.Header
	etagValue       []string // the ETag header's value, for net/http
	etagRaw         []byte   // and for the public read path
	plainLen, gzLen []string
	// raw is header as name and value bytes in name order, for the
	// public read path (fast.go), which sets them as they are.
	raw []rawHeader
}

// plain is the document as rendered.
func (a *asset) plain() []byte {
	if a.body != nil {
		return a.body
	}
	zr := gunzips.Get().(*gzip.Reader)
	defer gunzips.Put(zr)
	if err := zr.Reset(bytes.NewReader(a.gz)); err != nil {
		panic(err) // newAsset wrote it
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		panic(err)
	}
	return out
}

// same reports whether body is a's document. Every rebuild asks it of
// each document it rendered, so a page kept compressed only is compared by
// a fast hash seeded anew by each process (docSeed), not a cryptographic one.
func (a *asset) same(body []byte) bool {
	if a.body != nil {
		return bytes.Equal(a.body, body)
	}
	return len(body) == a.size && maphash.Bytes(docSeed, body) == a.fp
}

// docSeed seeds same's hash.
var docSeed = maphash.MakeSeed()

// gzOnly reports whether the document at path is kept compressed only.
// A fleet's component, incident and history pages add up to tens of
// megabytes rendered and a tenth of that compressed, and they are read by
// browsers, which all take gzip; a client that does not is answered by
// decompressing (writeGunzipped). The front page, the not-found page, the
// widget's frames and every machine-read document (/api/v2, feeds, badges)
// keep both forms.
func gzOnly(path, contentType string) bool {
	return contentType == htmlType && path != "/" && path != "404" && !nowDoc(path)
}

// gunzips are the decompressors of gzOnly documents, each holding a
// window's worth of state.
var gunzips = sync.Pool{New: func() any { return new(gzip.Reader) }}

// writeGunzipped writes a's document decompressed to w.
func writeGunzipped(w io.Writer, a *asset) error {
	zr := gunzips.Get().(*gzip.Reader)
	defer gunzips.Put(zr)
	if err := zr.Reset(bytes.NewReader(a.gz)); err != nil {
		return err
	}
	_, err := io.Copy(w, zr)
	return err
}

// headerSets are the distinct header sets of assets (a few per kind of
// document and language), shared instead of one map per document.
var headerSets sync.Map // string (the set's text) -> *headerSet

type headerSet struct {
	header http.Header
	raw    []rawHeader
}

// shared returns the header set equal to h, keeping h if it is the first.
func shared(h http.Header) *headerSet {
	var key strings.Builder
	for _, k := range slices.Sorted(maps.Keys(h)) {
		for _, v := range h[k] {
			key.WriteString(k)
			key.WriteByte(0)
			key.WriteString(v)
			key.WriteByte(0)
		}
	}
	if hs, ok := headerSets.Load(key.String()); ok {
		return hs.(*headerSet)
	}
	hs, _ := headerSets.LoadOrStore(key.String(), &headerSet{header: h, raw: rawHeaders(h)})
	return hs.(*headerSet)
}

func newAsset(path string, body []byte, contentType, lang string) (*asset, error) {
	buf := renderBufs.Get().(*bytes.Buffer)
	defer putRenderBuf(buf)
	list := gzips
	if len(body) > largeDoc {
		list = largeGzips
	}
	zw := list.get()
	defer list.put(zw)
	zw.Reset(buf)
	if _, err := zw.Write(body); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	a := &asset{body: body, gz: bytes.Clone(buf.Bytes()), size: len(body), contentType: contentType,
		etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}
	a.etagValue, a.etagRaw = []string{a.etag}, []byte(a.etag)
	a.plainLen, a.gzLen = []string{strconv.Itoa(len(body))}, []string{strconv.Itoa(len(a.gz))}
	h := http.Header{}
	h.Set("Content-Type", contentType)
	h.Set("Vary", "Accept-Encoding")
	h.Set("X-Content-Type-Options", "nosniff")
	switch {
	case strings.HasPrefix(path, "/static/"):
		// The address names the content: it never changes.
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	case path == widgetJSPath || path == widgetCSSPath:
		h.Set("Cache-Control", widgetCache)
	default:
		h.Set("Cache-Control", "public, max-age=10")
	}
	if strings.HasPrefix(path, "/api/v2/") {
		// Read-only and public: any page or dashboard may read it.
		h.Set("Access-Control-Allow-Origin", "*")
	}
	switch {
	case path == widgetJSPath || path == widgetCSSPath || strings.HasPrefix(path, badgePrefix):
		// Made to be used on other sites: a customer's page loads the
		// widget's script and style, and may read them (integrity checks).
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Cross-Origin-Resource-Policy", "cross-origin")
		if contentType == badgeType {
			h.Set("Content-Security-Policy", "default-src 'none'") // an image that loads nothing
		}
	case strings.HasPrefix(path, "/static/") && strings.HasPrefix(contentType, "image/"):
		h.Set("Content-Security-Policy", brandImageCSP) // the brand's images (brand.go)
	case contentType == htmlType && nowDoc(path):
		setPageHeaders(h)
		h.Set("Content-Security-Policy", widgetFrameCSP) // any site may frame it
	case contentType == htmlType:
		setPageHeaders(h)
	}
	if l := contentLanguage(body, contentType, lang); l != "" {
		h.Set("Content-Language", l)
	}
	hs := shared(h)
	a.header, a.raw = hs.header, hs.raw
	if gzOnly(path, contentType) {
		a.body, a.fp = nil, maphash.Bytes(docSeed, body)
	}
	return a, nil
}

// Site holds the public documents rendered in memory: the HTML pages (/,
// /incidents/ID, /maintenance/ID, /history, /history/YYYY-MM), their
// stylesheet and the /api/v2 documents. They are rebuilt when
// something changes, never per request, so a crowd refreshing the page
// during an outage costs no database work at all. A rebuild renders only
// what changed (rebuild.go), and a write made through Consistent returns
// once the documents show it (consistent.go).
type Site struct {
	svc *service.Service
	cfg func() config.Config
	log *slog.Logger

	assets atomic.Pointer[map[string]*asset]
	// pages are the entries of pages: and their documents (multipage.go).
	pages atomic.Pointer[[]*pageSet]
	// For private pages (private.go): the environment holding their keys,
	// the sign-in form's cross-origin check and its rate limit.
	getenv      func(string) string
	cop         *http.CrossOriginProtection
	signInLimit *refusal.Limit
	customers   *CustomerSignIn // nil: no sign-in by e-mail
	mailing     sync.WaitGroup  // sign-in links being sent
	// fixed are the documents that change only with Herald: the
	// stylesheet, and the widget's script and stylesheet.
	fixed map[string]*asset
	dirty chan struct{}
	// full asks the next rebuild to render every document (InvalidateAll).
	full atomic.Bool

	latency latencyCache // component.go
	// lively is set by a rebuild that saw something going on (an open
	// incident, a running window, a component not operational), which
	// makes the pages' "so far" durations and today's bar move each minute.
	lively atomic.Bool

	// buildMu lets one rebuild run at a time; rec is what it keeps.
	buildMu sync.Mutex
	rec     *records
	// rendered are the paths of the pages the last rebuild rendered
	// (buildPages' keys, "404" for the not-found page), for tests.
	rendered []string
	// renderedRows are the ids of the front page's component rows the last
	// rebuild rendered (the others were kept), for tests.
	renderedRows []string

	listenMu sync.Mutex
	rebuilt  []func() // OnRebuilt's listeners (mirror.go)

	shown     shown         // consistent.go
	writeWait time.Duration // WriteWait but in tests
	readWait  time.Duration // readTimeout but in tests
}

// NewSite makes a site; call Rebuild once before serving and Run to keep it fresh.
func NewSite(svc *service.Service, cfg func() config.Config, log *slog.Logger) *Site {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	fixed := map[string]*asset{}
	for _, d := range []doc{{cssPath, "text/css; charset=utf-8", stylesheet, ""},
		{widgetJSPath, "text/javascript; charset=utf-8", widgetJS, ""}, {widgetCSSPath, "text/css; charset=utf-8", widgetCSS, ""}} {
		a, err := newAsset(d.path, d.body, d.contentType, d.lang)
		if err != nil {
			panic(err) // gzip into memory does not fail
		}
		fixed[d.path] = a
	}
	s := &Site{svc: svc, cfg: cfg, log: log, fixed: fixed, dirty: make(chan struct{}, 1), writeWait: WriteWait,
		readWait: readTimeout, getenv: os.Getenv, cop: http.NewCrossOriginProtection(),
		// A person mistypes a password a few times; a script guessing is
		// slowed to one try every ten seconds.
		signInLimit: refusal.NewLimit(5, 10*time.Second, svc.Now)}
	s.shown.moved = make(chan struct{})
	empty := maps.Clone(fixed)
	s.assets.Store(&empty)
	svc.OnChange(s.Invalidate)
	return s
}

// Invalidate marks the documents stale; Run rebuilds what changed. Many
// changes in a burst coalesce into one rebuild.
func (s *Site) Invalidate() {
	select {
	case s.dirty <- struct{}{}:
	default:
	}
}

// InvalidateAll marks every document stale, for a change the change log
// does not name (a new configuration: the page's title, zone, fleet).
func (s *Site) InvalidateAll() {
	s.full.Store(true)
	s.Invalidate()
}

// Without a change, the pages are rebuilt every refreshEvery while something
// is going on (durations "so far" and today's bar move on with the clock),
// every quietRefresh when all is well, and just after midnight in the page's
// zone, when "Today" becomes "Yesterday". A rebuild that failed is tried
// again after retryEvery.
const (
	refreshEvery = time.Minute
	quietRefresh = 10 * time.Minute
	retryEvery   = 5 * time.Second
)

// nextRefresh is how long Run waits for a change before rebuilding anyway.
func (s *Site) nextRefresh(now time.Time) time.Duration {
	wait := quietRefresh
	if s.lively.Load() {
		wait = refreshEvery
	}
	loc := s.cfg().Location()
	y, m, d := now.In(loc).Date()
	midnight := time.Date(y, m, d+1, 0, 0, 0, 0, loc).Add(time.Second)
	return min(wait, midnight.Sub(now))
}

// Run rebuilds the documents after each change, and as nextRefresh says,
// until ctx ends.
func (s *Site) Run(ctx context.Context) {
	timer := time.NewTimer(s.nextRefresh(s.svc.Now()))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.dirty:
		case <-timer.C:
		}
		full := s.full.Swap(false)
		wait := s.nextRefresh(s.svc.Now())
		if err := s.rebuild(ctx, full); err != nil && ctx.Err() == nil {
			// What could be rendered is served; the rest is tried again soon.
			s.log.Error("rebuild public documents", slog.Any("err", err))
			if full {
				s.full.Store(true)
			}
			wait = min(wait, retryEvery)
		}
		timer.Reset(wait)
	}
}

// Rebuild renders every public document from the records and swaps them in.
func (s *Site) Rebuild(ctx context.Context) error { return s.rebuild(ctx, true) }

// Register adds the public pages' and the public API's routes to mux.
func (s *Site) Register(mux interface {
	HandleFunc(string, func(http.ResponseWriter, *http.Request))
}) {
	mux.HandleFunc("GET /{$}", s.serveAsset)
	mux.HandleFunc("GET /incidents/{id}", s.serveAsset)
	mux.HandleFunc("GET /maintenance/{id}", s.serveAsset)
	mux.HandleFunc("GET /history", s.serveAsset)
	mux.HandleFunc("GET /history/{month}", s.serveAsset)
	mux.HandleFunc("GET /components/{group}/{id}", s.serveAsset)
	mux.HandleFunc("GET /static/{file}", s.serveAsset)
	mux.HandleFunc("GET "+feed.AtomPath, s.serveAsset)
	mux.HandleFunc("GET "+feed.RSSPath, s.serveAsset)
	mux.HandleFunc("GET "+feed.ICSPath, s.serveAsset)
	mux.HandleFunc("GET /api/v2/", s.serveAsset)
	mux.HandleFunc("GET /badges/", s.serveAsset)
	mux.HandleFunc("GET "+widgetJSPath, s.serveAsset)
	mux.HandleFunc("GET "+widgetCSSPath, s.serveAsset)
	mux.HandleFunc("GET "+widgetFramePath, s.serveAsset)
	mux.HandleFunc("GET "+widgetFramePath+"/{group}", s.serveAsset)
	mux.HandleFunc("GET /robots.txt", s.serveRobots)
	mux.HandleFunc("OPTIONS /api/v2/", func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "If-None-Match")
		h.Set("Access-Control-Max-Age", "86400")
		w.WriteHeader(http.StatusNoContent)
	})
}

// robotsTxt lets crawlers index the public pages, and keeps them out of
// the admin, the admin API and the pages a subscriber's token opens.
const robotsTxt = `User-agent: *
Disallow: /admin
Disallow: /api/v1
Disallow: /subscribe/confirm
Disallow: /manage
Disallow: /unsubscribe
Allow: /
`

// serveRobots serves robotsTxt, keeping crawlers off private path pages too
// (and off the whole host of a private host page).
func (s *Site) serveRobots(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=86400")
	h.Set("X-Content-Type-Options", "nosniff")
	if p := pageOf(r); p != nil && p.entry.Private != nil && p.entry.Host != "" {
		_, _ = w.Write([]byte("User-agent: *\nDisallow: /\n"))
		return
	}
	txt := robotsTxt
	for _, p := range s.cfg().Pages {
		if p.Private != nil && p.Path != "" {
			txt = strings.Replace(txt, "Allow: /\n", "Disallow: "+p.Path+"/\nAllow: /\n", 1)
		}
	}
	_, _ = w.Write([]byte(txt))
}

// pageCSP lets a page load its own stylesheet and nothing else: no scripts,
// no frames, no forms elsewhere.
const pageCSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

func setPageHeaders(h http.Header) {
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
}

func (s *Site) serveAsset(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Path
	if p := pageOf(r); p != nil {
		// The router saw the path without the page's prefix.
		s.serveDoc(w, r, *p.assets.Load(), p.prefix()+key, false)
		return
	}
	s.serveDoc(w, r, *s.assets.Load(), key, false)
}

// serveDoc serves the document at key among assets, or the not-found answer.
// A private page's document (private) is kept out of shared caches, other
// sites' scripts and search engines.
func (s *Site) serveDoc(w http.ResponseWriter, r *http.Request, assets map[string]*asset, key string, private bool) {
	h := w.Header()
	a, ok := assets[key]
	if !ok {
		if strings.HasPrefix(r.URL.Path, "/api/v2/") {
			h.Set("Access-Control-Allow-Origin", "*")
			h.Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, "{\"error\":\"no such document; see %s\"}\n", strings.Join(statuspage.Names, ", "))
			return
		}
		setPageHeaders(h)
		h.Set("Content-Type", htmlType)
		h.Set("Cache-Control", "no-cache")
		nf, ok := assets["404"]
		if ok && nf.header.Get("Content-Language") != "" {
			h.Set("Content-Language", nf.header.Get("Content-Language"))
		}
		w.WriteHeader(http.StatusNotFound)
		if ok && r.Method != http.MethodHead {
			_, _ = w.Write(nf.plain())
		}
		return
	}
	for k, v := range a.header {
		h[k] = v
	}
	h["Etag"] = a.etagValue
	if private {
		h.Set("Cache-Control", "private, no-store")
		h.Set("X-Robots-Tag", noIndex)
		h.Del("Access-Control-Allow-Origin")
		h.Del("Cross-Origin-Resource-Policy")
	}
	if etagMatches(r.Header.Get("If-None-Match"), a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body, length := a.body, a.plainLen
	gz := acceptsGzip(r.Header.Get("Accept-Encoding"))
	if gz {
		h["Content-Encoding"] = gzipEncoding
		body, length = a.gz, a.gzLen
	}
	h["Content-Length"] = length
	if r.Method == http.MethodHead {
		return
	}
	if !gz && a.body == nil {
		_ = writeGunzipped(w, a)
		return
	}
	_, _ = w.Write(body)
}

var gzipEncoding = []string{"gzip"}

// etagMatches reports whether an If-None-Match header names etag (weak comparison, RFC 9110).
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// acceptsGzip reads Accept-Encoding, honouring an explicit q=0.
func acceptsGzip(header string) bool {
	if header == "" {
		return false
	}
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// Handler answers requests for rendered documents straight from memory and
// passes everything else to next. Public pages are what a crowd refreshes
// during an outage, so they skip the router's pattern matching.
func (s *Site) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			if assets := s.publicAssets(r.Host, r.URL.Path); assets != nil {
				s.serveDoc(w, r, assets, r.URL.Path, false)
				return
			}
		}
		if p := s.route(r); p != nil {
			s.servePage(p, w, r, next)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// publicAssets are the documents holding path when a GET of path on host is
// a public document answered from memory (by Handler, or by ServeFast on
// the public read path), else nil: a private page's documents, its
// address without the final slash and everything not rendered are left to
// the routes.
func (s *Site) publicAssets(host, path string) map[string]*asset {
	assets := *s.assets.Load()
	if p := s.routeTo(host, path); p != nil {
		if p.entry.Private != nil || path == p.prefix() {
			return nil
		}
		assets = *p.assets.Load()
	}
	if _, ok := assets[path]; !ok {
		return nil
	}
	return assets
}

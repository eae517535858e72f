package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/statuspage"
	"github.com/heraldhq/herald/internal/store"
)

// asset is one public document, rendered and compressed ahead of requests.
type asset struct {
	body, gz    []byte
	etag        string
	contentType string
}

func newAsset(body []byte, contentType string) (*asset, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(body); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	return &asset{body: body, gz: buf.Bytes(), contentType: contentType,
		etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}, nil
}

// Site holds the public documents rendered in memory. They are rebuilt when
// something changes, never per request, so a crowd refreshing the page
// during an outage costs no database work at all.
type Site struct {
	svc *service.Service
	cfg func() config.Config
	log *slog.Logger

	assets atomic.Pointer[map[string]*asset]
	dirty  chan struct{}
}

// NewSite makes a site; call Rebuild once before serving and Run to keep it fresh.
func NewSite(svc *service.Service, cfg func() config.Config, log *slog.Logger) *Site {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Site{svc: svc, cfg: cfg, log: log, dirty: make(chan struct{}, 1)}
	empty := map[string]*asset{}
	s.assets.Store(&empty)
	svc.OnChange(s.Invalidate)
	return s
}

// Invalidate marks the documents stale; Run rebuilds them. Many changes in a
// burst coalesce into one rebuild.
func (s *Site) Invalidate() {
	select {
	case s.dirty <- struct{}{}:
	default:
	}
}

// Run rebuilds the documents after each change until ctx ends.
func (s *Site) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.dirty:
		}
		if err := s.Rebuild(ctx); err != nil && ctx.Err() == nil {
			// The previous documents keep being served; the next change retries.
			s.log.Error("rebuild public documents", slog.Any("err", err))
		}
	}
}

// Rebuild renders every public document from the records and swaps them in at once.
func (s *Site) Rebuild(ctx context.Context) error {
	snap, err := s.svc.Snapshot(ctx)
	if err != nil {
		return err
	}
	incidents, err := s.svc.Incidents(ctx, store.IncidentFilter{State: "published", Limit: 50})
	if err != nil {
		return err
	}
	windows, err := s.svc.Maintenances(ctx, store.MaintenanceFilter{Limit: 50})
	if err != nil {
		return err
	}
	cfg := s.cfg()
	comps := map[string]store.Component{}
	for _, c := range s.svc.Catalog().Components {
		comps[c.ID] = c
	}
	docs, err := statuspage.Build(statuspage.Input{Page: cfg.Page, Location: cfg.Location(), Snapshot: snap,
		Incidents: incidents, Maintenances: windows, Components: comps})
	if err != nil {
		return err
	}
	next := make(map[string]*asset, len(docs))
	for name, body := range docs {
		a, err := newAsset(body, "application/json; charset=utf-8")
		if err != nil {
			return err
		}
		next["/api/v2/"+name] = a
	}
	s.assets.Store(&next)
	return nil
}

// Register adds the public API's routes to mux.
func (s *Site) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v2/", s.serveAsset)
	mux.HandleFunc("OPTIONS /api/v2/", func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "If-None-Match")
		h.Set("Access-Control-Max-Age", "86400")
		w.WriteHeader(http.StatusNoContent)
	})
}

func (s *Site) serveAsset(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// Read-only and public: any page or dashboard may read it.
	h.Set("Access-Control-Allow-Origin", "*")
	a, ok := (*s.assets.Load())[r.URL.Path]
	if !ok {
		h.Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, "{\"error\":\"no such document; see %s\"}\n", strings.Join(statuspage.Names, ", "))
		return
	}
	h.Set("Content-Type", a.contentType)
	h.Set("ETag", a.etag)
	h.Set("Cache-Control", "public, max-age=10")
	h.Set("Vary", "Accept-Encoding")
	h.Set("X-Content-Type-Options", "nosniff")
	if etagMatches(r.Header.Get("If-None-Match"), a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

// etagMatches reports whether an If-None-Match header names etag (weak comparison, RFC 9110).
func etagMatches(header, etag string) bool {
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

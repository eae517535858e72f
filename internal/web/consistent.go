package web

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Read your writes: a write through the admin API, the admin screens or
// the CLI (which talks to the admin API) returns once the public documents
// show it. The service counts its changes (service.Generation); a rebuild
// notes the count before it reads anything, and once its documents are
// swapped in they show every change up to that count. A write waits for a
// rebuild that began after its commit: writes that commit while one
// rebuild runs share the next one.

// shown tracks which changes the served documents show.
type shown struct {
	mu    sync.Mutex
	all   uint64        // every document shows every change up to this generation
	moved chan struct{} // closed and replaced when all moves
}

// markShown records that every document shows every change up to gen.
func (s *Site) markShown(gen uint64) {
	s.shown.mu.Lock()
	defer s.shown.mu.Unlock()
	if gen > s.shown.all {
		s.shown.all = gen
		close(s.shown.moved)
		s.shown.moved = make(chan struct{})
	}
}

// WaitShown waits until every document shows the changes up to generation
// gen, and reports whether they do; it gives up when ctx ends. Run must be
// running for the documents to move.
func (s *Site) WaitShown(ctx context.Context, gen uint64) bool {
	for {
		s.shown.mu.Lock()
		done, moved := s.shown.all >= gen, s.shown.moved
		s.shown.mu.Unlock()
		if done {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-moved:
		}
	}
}

// WriteWait bounds how long a write waits for the documents to show it;
// past it the write answers anyway, and the wait is logged.
const WriteWait = 5 * time.Second

// Consistent wraps the handlers of writes (the admin API, the admin
// screens) so that a request which changed something gets its answer only
// once the public documents show the change, within WriteWait. Reads, and
// requests that fail or change nothing, pass straight through. The wait
// happens when the handler starts its answer, so nothing is buffered.
func (s *Site) Consistent(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		cw := &consistentWriter{ResponseWriter: w, site: s, r: r, before: s.svc.Generation()}
		next.ServeHTTP(cw, r)
	})
}

// consistentWriter holds a successful write's answer back until the
// documents show what it changed.
type consistentWriter struct {
	http.ResponseWriter
	site    *Site
	r       *http.Request
	before  uint64
	started bool
}

func (w *consistentWriter) WriteHeader(code int) {
	if !w.started {
		w.started = true
		if code < http.StatusBadRequest {
			w.site.awaitShown(w.r, w.before)
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *consistentWriter) Write(b []byte) (int, error) {
	if !w.started {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *consistentWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// awaitShown waits, within WriteWait, until the documents show the changes
// made since generation before, if any were.
func (s *Site) awaitShown(r *http.Request, before uint64) {
	gen := s.svc.Generation()
	if gen == before {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.writeWait)
	defer cancel()
	began := time.Now()
	if !s.WaitShown(ctx, gen) && r.Context().Err() == nil {
		s.log.Warn("a write answered before the public pages showed it", slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.Duration("waited", time.Since(began)))
	}
}

package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/store/storetest"
)

// BenchmarkRefused compares a refused look-up and subscription with a 404
// from the same mux: a refusal should cost about what the 404 does (see
// B/op and allocs/op; ns/op moves with the machine's load).
func BenchmarkRefused(b *testing.B) {
	e := newSubEnv(b, storetest.SQLite(b))
	h := e.srv.Config.Handler
	for _, c := range []struct {
		name string
		code int
		req  func() *http.Request
	}{
		{"404", http.StatusNotFound, func() *http.Request { return httptest.NewRequest("GET", "/nothing-here", nil) }},
		{"look-up", http.StatusTooManyRequests, func() *http.Request { return httptest.NewRequest("GET", "/lookup?domain=x.example", nil) }},
		{"subscribe", http.StatusTooManyRequests, func() *http.Request {
			r := httptest.NewRequest("POST", "/subscribe", strings.NewReader(url.Values{"email": {"a@example.net"}}.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for range 30 { // spend the allowance
				h.ServeHTTP(httptest.NewRecorder(), c.req())
			}
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, c.req())
				if w.Code != c.code {
					b.Fatalf("%d, want %d", w.Code, c.code)
				}
			}
		})
	}
}

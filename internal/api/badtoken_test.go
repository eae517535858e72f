package api

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/refusal"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// A client sending bad tokens is refused, after a few, before its token is
// looked up: a flood of them reads nothing from the database and writes a
// log line per client per minute, not per request. Another client, and the
// same client's good token, are not held up.
func TestBadTokenFloodIsCheap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		svc := service.New(b.Store, nil, nil)
		good, _, err := svc.CreateToken(t.Context(), "ci", service.ScopeRead)
		if err != nil {
			t.Fatal(err)
		}
		var logs bytes.Buffer
		a := NewAdmin(svc, slog.New(slog.DiscardHandler)).WithRefusals(refusal.New(slog.New(slog.NewTextHandler(&logs, nil)), clock), clock)
		mux := http.NewServeMux()
		a.Register(mux)

		reads := 0
		call := func(from, token string) int {
			ctx := store.WithReadFault(t.Context(), func(string) error { reads++; return nil })
			r := httptest.NewRequestWithContext(ctx, "GET", "/api/v1/status", nil)
			r.RemoteAddr = from + ":4000"
			r.Header.Set("Authorization", "Bearer "+token)
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, r)
			return w.Code
		}
		unknown := "hrld_" + strings.Repeat("A", 43)
		for i := range badTokenBurst {
			if code := call("203.0.113.9", unknown); code != http.StatusUnauthorized {
				t.Fatalf("bad token %d: %d, want 401", i, code)
			}
		}
		before := reads
		if before < badTokenBurst {
			t.Fatalf("%d reads for %d looked-up tokens: the read hook does not see the look-ups", before, badTokenBurst)
		}
		for range 500 {
			if code := call("203.0.113.9", unknown); code != http.StatusTooManyRequests {
				t.Fatalf("past the allowance: %d, want 429", code)
			}
		}
		if reads != before {
			t.Errorf("500 refused tokens made %d database reads, want 0", reads-before)
		}
		if code := call("198.51.100.7", unknown); code != http.StatusUnauthorized {
			t.Errorf("another client's bad token: %d, want 401 (its own allowance)", code)
		}
		if code := call("198.51.100.7", good); code != http.StatusOK {
			t.Errorf("another client's good token: %d", code)
		}
		if n := strings.Count(logs.String(), "\n"); n != 3 {
			t.Errorf("510 refusals from two clients logged %d lines, want 3 (bad token and rate limited from one, bad token from the other):\n%s", n, logs.String())
		}
		// Malformed tokens are refused without a query at all.
		before = reads
		if code := call("192.0.2.1", "hrld_short"); code != http.StatusUnauthorized || reads != before {
			t.Errorf("malformed token: %d, %d reads", code, reads-before)
		}
		now = now.Add(badTokenEvery)
		if code := call("203.0.113.9", unknown); code != http.StatusUnauthorized {
			t.Errorf("after waiting: %d, want 401 (looked up again)", code)
		}
	})
}

package notify_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/notify"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// TestIdleWorkersWatchWithoutClaiming: while nothing is due, the workers
// claim nothing (a claim is a write, and takes SQLite's one write lock);
// one of them reads when the queue's next delivery is due, and sends a
// delivery that comes due with no nudge (a retry's time, or one queued by
// another process) once it is due.
func TestIdleWorkersWatchWithoutClaiming(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		const workers = 3
		e := setup(t, b, notify.Options{Poll: 5 * time.Millisecond, Workers: workers})
		if _, err := e.st.InsertConfirmedEmails(t.Context(), []string{"ops@example.net"}, nil, t0); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.ScheduleMaintenance(t.Context(), "test", service.NewMaintenance{Title: "Restart", Body: "Reboots.",
			Components: []string{"mom/web"}, Start: t0.Add(72 * time.Hour), End: t0.Add(73 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if q, err := e.st.Deliveries(t.Context(), store.DeliveryFilter{State: store.DeliveryQueued}); err != nil || len(q) != 1 {
			t.Fatalf("queued = %+v, %v; want the announcement", q, err)
		}
		// The delivery is due at t0; the clock goes back an hour, so it is
		// an hour from due, as a retry waiting for its back-off is.
		e.clock.Add(-time.Hour)

		var claims, reads atomic.Int64
		ctx, cancel := context.WithCancel(store.WithReadFault(t.Context(), func(query string) error {
			switch {
			case strings.HasPrefix(query, "UPDATE deliveries SET state"):
				claims.Add(1)
			case strings.HasPrefix(query, "SELECT MIN(next_at) FROM deliveries"):
				reads.Add(1)
			}
			return nil
		}))
		done := make(chan struct{})
		go func() { e.n.Run(ctx); close(done) }()
		defer func() { cancel(); <-done }()

		// Each worker looks once as it starts, and one more look follows the
		// nudge the announcement left: then nothing more while nothing is due.
		waitFor(t, "the workers' first looks", func() bool { return claims.Load() >= workers+1 })
		r0 := reads.Load()
		waitFor(t, "five reads of the queue", func() bool { return reads.Load() >= r0+5 })
		if got := claims.Load(); got != workers+1 {
			t.Errorf("claims while nothing was due: %d, want %d (the first looks only)", got-(workers+1), 0)
		}
		if got := len(e.sink.Messages()); got != 0 {
			t.Fatalf("%d messages sent an hour before the delivery was due", got)
		}

		e.clock.Add(time.Hour) // due now; nobody is nudged
		waitFor(t, "the announcement sent", func() bool { return len(e.mailTo("ops@example.net")) == 1 })
	})
}

// waitFor waits, for at most a minute, until cond holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

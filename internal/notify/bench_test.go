package notify_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/notify"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// BenchmarkFanOut sends one incident to b.N subscribers through the workers
// into the loopback sink (go test -bench FanOut -benchtime 5000x).
func BenchmarkFanOut(b *testing.B) {
	be := storetest.SQLite(b)
	e := setupTB(b, be, notify.Options{})
	addrs := make([]string, b.N)
	for i := range addrs {
		addrs[i] = fmt.Sprintf("u%d@example.net", i)
	}
	if _, err := e.st.InsertConfirmedEmails(context.Background(), addrs, nil, t0); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { e.n.Run(ctx); close(done) }()
	b.ResetTimer()
	if _, err := e.svc.OpenIncident(ctx, "bench", service.NewIncident{Title: "x", Status: status.Investigating, Body: "x",
		Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}}); err != nil {
		b.Fatal(err)
	}
	e.n.Wake()
	for e.n.Sent.Load() < int64(b.N) {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	cancel()
	<-done
}

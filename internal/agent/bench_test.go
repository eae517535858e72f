package agent

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// BenchmarkIngest is the server's side of three agents sharing 1,000
// monitors: each iteration stores one round of checks from every place (as
// pushes of up to 2,000) and applies it (one decider pass). It reports
// results per second of the two together, on each database.
//
//	go test ./internal/agent -run '^$' -bench Ingest -benchtime 20x
func BenchmarkIngest(b *testing.B) {
	const monitors = 1000
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			var be storetest.Backend
			if backend == "sqlite" {
				be = storetest.SQLite(b)
			} else {
				be = storetest.Postgres(b)
			}
			var comps []config.Component
			for i := range monitors {
				comps = append(comps, config.Component{ID: fmt.Sprint("c", i), Name: "c", Monitors: []config.Monitor{{Type: "http",
					URL: "http://127.0.0.1:9/", Interval: config.Duration(30 * time.Second), DownAfter: 2, UpAfter: 1, Locations: places}}})
			}
			cfg := config.Config{Page: config.Page{Title: "t", Zone: "UTC"}, Groups: []config.Group{{ID: "g", Name: "g", Components: comps}}}
			h := &harness{st: be.Store, clock: &clock{now: t0}}
			h.svc = newService(be.Store, h.clock)
			h.syncB(b, cfg)
			d := NewDecider(DeciderOptions{Store: h.st, Config: h.config, Now: h.clock.Now})
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				at := t0.Add(time.Duration(i) * 30 * time.Second)
				h.clock.set(at)
				for p, place := range places {
					rs := make([]store.AgentResult, 0, monitors)
					for m := range monitors {
						level := status.LevelUp
						if (m+i+p)%7 == 0 {
							level = status.LevelDown
						}
						rs = append(rs, store.AgentResult{RID: fmt.Sprint(i, "-", m), MonitorID: fmt.Sprintf("g/c%d/http", m),
							At: at.Add(time.Duration(p) * time.Millisecond), Level: level})
					}
					if err := h.st.Tx(ctx, func(q *store.Queries) error { _, err := q.InsertAgentResults(ctx, place, rs, at); return err }); err != nil {
						b.Fatal(err)
					}
				}
				if err := d.Pass(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*monitors*len(places))/b.Elapsed().Seconds(), "results/s")
		})
	}
}

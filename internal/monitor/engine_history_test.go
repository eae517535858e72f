package monitor

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// TestEngineStoresWhatItsResultsMake runs the whole engine (scheduler,
// checkers, writer) against a loopback server whose answers follow a seeded
// script per monitor (runs of successes, then failures or answers too slow
// for the check), with random latencies, and a writer that stalls at random
// after the writes that carry state changes, as it does when the database
// is slow: results queue up behind it, and a monitor may end an outage and
// begin the next before a write takes either. Meanwhile the successes that
// cannot change a state wait for the writer's next write, while the others
// go to it at once (Engine.check), so the two ways must not reorder a
// monitor's results. The invariants, per monitor:
//
//  1. its results are applied (stored) in the order they were measured;
//  2. every check the target was asked for is stored, but at most the one
//     in flight when the engine stopped, and no success it did not give;
//  3. its stored state and outages are those its stored results make,
//     replayed in order through status.Detector.
//
// Its seeds are the simulation's (simSeeds): HERALD_SIM_SEEDS=N runs N,
// HERALD_SIM_SEED=S replays one.
func TestEngineStoresWhatItsResultsMake(t *testing.T) {
	for _, seed := range simSeeds(t) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { engineHistory(t, seed) })
	}
}

// scriptedTarget is one monitor's planned answers, a status each (0: no
// answer before the check gives up), and how many it has been asked for.
type scriptedTarget struct {
	answers []int
	served  atomic.Int64
}

func engineHistory(t *testing.T, seed uint64) {
	const (
		monitors = 12
		checks   = 40 // each monitor's checks before the history ends
	)
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	scripts := make([]*scriptedTarget, monitors)
	for i := range scripts {
		s := &scriptedTarget{}
		for len(s.answers) < checks+200 {
			for range 1 + rng.IntN(8) {
				s.answers = append(s.answers, 200)
			}
			bad := 503
			if rng.IntN(4) == 0 {
				bad = 0
			}
			for range 1 + rng.IntN(4) {
				s.answers = append(s.answers, bad)
			}
		}
		scripts[i] = s
	}
	var latMu sync.Mutex
	lat := rand.New(rand.NewPCG(seed, 0x1a7))
	pause := func(upTo time.Duration) time.Duration {
		latMu.Lock()
		defer latMu.Unlock()
		return time.Duration(lat.Int64N(int64(upTo)))
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/m/"))
		if err != nil || i < 0 || i >= monitors {
			http.NotFound(w, r)
			return
		}
		s := scripts[i]
		k := s.served.Add(1) - 1
		a := s.answers[min(int(k), len(s.answers)-1)]
		if a == 0 {
			select { // past the check's timeout; the check gives up first
			case <-time.After(time.Second):
			case <-r.Context().Done():
			}
			return
		}
		time.Sleep(pause(3 * time.Millisecond))
		w.WriteHeader(a)
	}))
	defer srv.Close()

	b := storetest.SQLite(t)
	seedFleet(t, b.Store)
	specs := make([]Spec, monitors)
	for i := range specs {
		every := time.Duration(10+rng.IntN(20)) * time.Millisecond
		comp := []string{"flexo/web", "flexo/email", "mom/web"}[i%3]
		specs[i] = Spec{ID: fmt.Sprintf("%s/m%d", comp, i), ComponentID: comp, GroupID: comp[:strings.IndexByte(comp, '/')],
			Monitor: &config.Monitor{Type: "http", URL: fmt.Sprintf("%s/m/%d", srv.URL, i), Interval: config.Duration(every),
				Timeout: config.Duration(every * 3 / 4), DownAfter: 1 + rng.IntN(3), UpAfter: 1 + rng.IntN(3)}}
	}
	e := New(Options{Store: b.Store, FlushEvery: time.Duration(5+rng.IntN(30)) * time.Millisecond, OnTransition: func() {
		// The writer stalls after a write of state changes, as it does
		// when the database is slow: results queue up meanwhile.
		time.Sleep(pause(60 * time.Millisecond))
	}})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); e.Run(ctx) }()
	stop := sync.OnceFunc(func() { cancel(); <-done }) // Run writes what it holds before it returns
	defer stop()
	if err := e.Apply(ctx, specs); err != nil {
		t.Fatal(err)
	}
	waitFor(t, fmt.Sprintf("each monitor's first %d checks", checks), func() bool {
		for _, s := range scripts {
			if s.served.Load() < checks {
				return false
			}
		}
		return true
	})
	stop()

	rows, err := b.Store.DB().QueryContext(t.Context(), `SELECT monitor_id, at, outcome FROM check_results ORDER BY rowid`)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		at    int64
		level status.Level
	}
	applied := map[string][]result{}
	for rows.Next() {
		var (
			id    string
			r     result
			level int
		)
		if err := rows.Scan(&id, &r.at, &level); err != nil {
			t.Fatal(err)
		}
		r.level = status.Level(level)
		applied[id] = append(applied[id], r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	stored, err := b.Store.Monitors(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]status.MonitorState{}
	for _, m := range stored {
		states[m.ID] = m.Detector.State
	}
	for i, sp := range specs {
		got := applied[sp.ID]
		// 1. In the order measured.
		for k := 1; k < len(got); k++ {
			if got[k].at <= got[k-1].at {
				t.Fatalf("seed %d: %s: result %d (at %d) stored after result %d (at %d): applied out of the order measured",
					seed, sp.ID, k, got[k].at, k-1, got[k-1].at)
			}
		}
		// 2. Every check the target was asked for is stored, but the one in
		// flight at the stop. A check can also fail before the target sees
		// it (its connection timed out on a busy machine): stored too, as a
		// failure, so no more successes are stored than the target gave.
		served := scripts[i].served.Load()
		if int64(len(got)) < served-1 {
			t.Errorf("seed %d: %s: %d results stored of %d checks the target was asked for", seed, sp.ID, len(got), served)
		}
		ups, oks := 0, 0
		for _, r := range got {
			if r.level == status.LevelUp {
				ups++
			}
		}
		for _, a := range scripts[i].answers[:min(int(served), len(scripts[i].answers))] {
			if a == http.StatusOK {
				oks++
			}
		}
		if ups > oks {
			t.Errorf("seed %d: %s: %d successes stored, but the target answered 200 only %d times", seed, sp.ID, ups, oks)
		}
		// 3. The state and outages its results make.
		var d status.Detector
		var want [][2]int64
		for _, r := range got {
			tr, changed := d.Observe(r.level, time.UnixMilli(r.at).UTC(), sp.Monitor.DownAfter, sp.Monitor.UpAfter)
			switch {
			case changed && tr.Opens():
				want = append(want, [2]int64{tr.At.UnixMilli(), 0})
			case changed && tr.Closes():
				want[len(want)-1][1] = tr.At.UnixMilli()
			}
		}
		if states[sp.ID] != d.State {
			t.Errorf("seed %d: %s: stored state %s; its results make %s", seed, sp.ID, states[sp.ID], d.State)
		}
		outs, err := b.Store.Outages(t.Context(), store.OutageFilter{MonitorID: sp.ID})
		if err != nil {
			t.Fatal(err)
		}
		var have [][2]int64
		for _, o := range outs {
			end := int64(0)
			if !o.EndedAt.IsZero() {
				end = o.EndedAt.UnixMilli()
			}
			have = append(have, [2]int64{o.StartedAt.UnixMilli(), end})
		}
		slices.SortFunc(have, func(a, b [2]int64) int { return int(a[0] - b[0]) })
		if !slices.Equal(have, want) {
			t.Errorf("seed %d: %s: stored outages %v; its results make %v", seed, sp.ID, have, want)
		}
	}
}

package lease

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// shardKeeper is one simulated instance: its Shards and the set its engine
// was last told (apply).
type shardKeeper struct {
	s       *Shards
	applied map[int]bool
	// terms are the terms of the leases under which each shard applied
	// was given to the engine (which then loaded its monitors' states).
	terms  map[int]int64
	alive  bool
	paused bool
}

// tellEngine is the engine's apply: it records the set, and the term under
// which each shard new to it came.
func (k *shardKeeper) tellEngine(held map[int]bool) {
	for n := range k.terms {
		if !held[n] {
			delete(k.terms, n)
		}
	}
	for n := range held {
		if _, kept := k.terms[n]; !kept {
			k.terms[n] = k.s.held[n].Term
		}
	}
	k.applied = maps.Clone(held)
}

// The shard keepers of three instances, stepped in a seeded random order on
// a fake clock, with instances killed (they stop renewing), paused past
// their lease and woken, stopped cleanly and started again. After every step:
//
//   - after an instance's step, its engine runs exactly the shards the
//     database says it holds (its fence): none it gave up or lost while
//     paused, none it took and does not run;
//   - once the instances alive have each stepped after the last kill's lease
//     ran out, every shard is held by a live instance, and no live instance
//     holds more than its fair share (64 over the live count, rounded up).
//
// HERALD_SIM_SEEDS=N runs N histories; HERALD_SIM_SEED=S replays one.
func TestShardsSpreadAndMoveOnDeath(t *testing.T) {
	seeds := []uint64{1, 2, 3}
	if s := os.Getenv("HERALD_SIM_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		seeds = []uint64{v}
	} else if s := os.Getenv("HERALD_SIM_SEEDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("HERALD_SIM_SEEDS=%q", s)
		}
		seeds = seeds[:0]
		for i := range n {
			seeds = append(seeds, uint64(i+1))
		}
	}
	b := storetest.Postgres(t)
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			ctx := t.Context()
			if _, err := b.Store.DB().ExecContext(ctx, `DELETE FROM leases`); err != nil {
				t.Fatal(err)
			}
			shardHistory(t, ctx, b.Store, seed)
		})
	}
}

func shardHistory(t *testing.T, ctx context.Context, st *store.Store, seed uint64) {
	rnd := rand.New(rand.NewPCG(seed, seed^0x5eed))
	c := &clock{t: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
	log := slog.New(slog.DiscardHandler)
	const ttl = 10 * time.Second
	newKeeper := func(i int) *shardKeeper {
		s := NewShards(st, ttl, log)
		s.holder, s.now = fmt.Sprintf("inst%d-%d", i, rnd.IntN(1e6)), c.now
		return &shardKeeper{s: s, applied: map[int]bool{}, terms: map[int]int64{}, alive: true}
	}
	if err := st.Tx(ctx, func(q *store.Queries) error { return q.EnsureShards(ctx, ShardCount) }); err != nil {
		t.Fatal(err)
	}
	ks := []*shardKeeper{newKeeper(0), newKeeper(1), newKeeper(2)}
	// The spread is checked once every instance alive has stepped three
	// times since the last event's leases ran out: enough for one to give
	// shards up and another to take them.
	lastEvent := c.t
	stepsSince := map[int]int{}
	lastStep := map[*shardKeeper]time.Time{}
	for _, k := range ks {
		lastStep[k] = c.t
	}
	for step := range 200 {
		c.t = c.t.Add(time.Duration(200+rnd.IntN(1800)) * time.Millisecond)
		i := rnd.IntN(len(ks))
		k := ks[i]
		what := "step"
		switch r := rnd.IntN(100); {
		case r < 3 && k.alive && countAlive(ks) > 1:
			what, k.alive = "kill", false // SIGKILL: never steps again, never releases
		case r < 5 && k.alive && !k.paused:
			what, k.paused = "pause", true
		case r < 8 && k.paused:
			what, k.paused = "wake", false
		case r < 10 && k.alive && !k.paused && countAlive(ks) > 1:
			what = "stop" // a clean stop: the engine lets go, then the shards go
			apply := func(_ context.Context, held map[int]bool) error { k.applied = held; return nil }
			if err := k.s.stop(ctx, apply); err != nil {
				t.Fatal(err)
			}
			ks[i] = newKeeper(i) // and a new process starts in its place
		}
		if what == "step" && k.alive && !k.paused && c.t.Sub(lastStep[k]) > ttl {
			// Not chosen for longer than a lease: the others took it for
			// dead, as if it had been paused, and it comes back now.
			what = "back after a lease"
		}
		if what != "step" {
			lastEvent = c.t
			clear(stepsSince)
		}
		if k.alive && !k.paused && what != "stop" {
			lastStep[k] = c.t
			apply := func(_ context.Context, held map[int]bool) error {
				k.tellEngine(held)
				return nil
			}
			if err := k.s.step(ctx, apply, maps.Clone(k.applied)); err != nil {
				t.Fatalf("step %d (%s of instance %d): %v", step, what, i, err)
			}
			if c.t.Sub(lastEvent) > ttl {
				stepsSince[i]++
			}
		}
		checkShards(t, ctx, st, ks, step, what, i)
		settled := true
		for j, o := range ks {
			// (One not chosen for longer than a lease is taken for dead by
			// the others until it steps again: not settled.)
			settled = settled && (!o.alive || o.paused || stepsSince[j] >= 3 && c.t.Sub(lastStep[o]) <= ttl)
		}
		if settled {
			checkSpread(t, ctx, st, ks, c.t, step)
		}
	}
}

// stop is what Run does on the way out.
func (s *Shards) stop(ctx context.Context, apply func(context.Context, map[int]bool) error) error {
	if err := apply(ctx, map[int]bool{}); err != nil {
		return err
	}
	s.mu.Lock()
	give := make([]store.Lease, 0, len(s.held))
	for _, l := range s.held {
		give = append(give, l)
	}
	clear(s.held)
	s.mu.Unlock()
	if err := s.st.ReleaseLeases(ctx, give); err != nil {
		return err
	}
	return s.st.Stopped(ctx, s.holder)
}

func countAlive(ks []*shardKeeper) int {
	n := 0
	for _, k := range ks {
		if k.alive && !k.paused {
			n++
		}
	}
	return n
}

// checkShards, after instance who stepped, checks that what its engine was
// told to run is exactly what the database says it holds: a shard given up
// was taken from the engine first, a shard taken is run, and a shard lost
// while it was paused is not run any more.
func checkShards(t *testing.T, ctx context.Context, st *store.Store, ks []*shardKeeper, step int, what string, who int) {
	t.Helper()
	k := ks[who]
	if !k.alive || k.paused || what == "stop" {
		return
	}
	var fence map[int]bool
	err := st.TxContext(ctx, func(ctx context.Context, q *store.Queries) error {
		var err error
		fence, err = k.s.Fence(ctx, q)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(fence, k.applied) {
		t.Errorf("step %d (%s of instance %d): its engine runs %d shards, the database says it holds %d",
			step, what, who, len(k.applied), len(fence))
	}
	// A shard lost (its lease ran out while the instance was paused) and
	// claimed again in one step has a new term: the engine must have been
	// told it went, so that it loads the shard's monitors from the store
	// again (another instance may have run them meanwhile), rather than
	// go on from what it held before the pause.
	for n := range k.applied {
		if got, want := k.terms[n], k.s.held[n].Term; got != want {
			t.Errorf("step %d (%s of instance %d): its engine runs shard %d as given under term %d, but holds it under term %d: it was never told the shard was lost",
				step, what, who, n, got, want)
		}
	}
}

func checkSpread(t *testing.T, ctx context.Context, st *store.Store, ks []*shardKeeper, now time.Time, step int) {
	t.Helper()
	live := countAlive(ks)
	if live == 0 {
		return
	}
	fair := (ShardCount + live - 1) / live
	held := 0
	for i, k := range ks {
		if !k.alive || k.paused {
			continue
		}
		if len(k.applied) > fair {
			t.Errorf("step %d: instance %d runs %d shards, more than its fair share %d of %d live", step, i, len(k.applied), fair, live)
		}
		held += len(k.applied)
	}
	if held != ShardCount {
		t.Errorf("step %d: the %d live instances run %d of %d shards once every lease of the dead ran out", step, live, held, ShardCount)
	}
}

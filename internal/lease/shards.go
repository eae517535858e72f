package lease

import (
	"context"
	"hash/fnv"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/heraldhq/herald/internal/store"
)

// ShardCount is how many shards the probe work is split in: enough to
// spread it fairly over a handful of instances, few enough that claiming and
// renewing them costs nothing.
const ShardCount = 64

// ShardTTL is how long a shard stays with an instance that stopped renewing
// it: the longest a dead instance's monitors go unchecked before another
// instance takes them.
const ShardTTL = 10 * time.Second

// ShardOf is the shard a monitor belongs to: a stable hash of its id, the
// same in every instance and across restarts.
func ShardOf(id string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte("shard " + id))
	return int(h.Sum32() % ShardCount)
}

// Shards claims and keeps this instance's fair share of the probe shards.
//
// Every instance says it is alive (a lease of its own) and counts the live
// ones; its fair share is ShardCount over that count, rounded up. It renews
// the shards it has, claims free ones (never taken, released, or left to
// expire by a dead instance) up to its share, and releases any above it, so
// that an instance that joins gets its share and one that dies has its
// shards taken by the others within ShardTTL. Shards change hands by term,
// like any lease: work for a shard is written only in a transaction that
// finds it held (Fence).
type Shards struct {
	st     *store.Store
	holder string
	ttl    time.Duration
	now    func() time.Time
	log    *slog.Logger
	wake   chan struct{}

	mu   sync.Mutex
	held map[int]store.Lease
}

// NewShards makes this instance's shard keeper; ttl 0 means ShardTTL.
func NewShards(st *store.Store, ttl time.Duration, log *slog.Logger) *Shards {
	if ttl <= 0 {
		ttl = ShardTTL
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Shards{st: st, holder: newHolder(), ttl: ttl, now: func() time.Time { return time.Now().UTC() },
		log: log, wake: make(chan struct{}, 1), held: map[int]store.Lease{}}
}

// Holder names this instance in the leases table.
func (s *Shards) Holder() string { return s.holder }

// Wake asks for a look at the shards now (another instance released some).
func (s *Shards) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Fence lists, inside q's transaction, the shards this instance holds, and
// keeps them from changing hands until the transaction ends.
func (s *Shards) Fence(ctx context.Context, q *store.Queries) (map[int]bool, error) {
	return q.HeldShards(ctx, s.holder, s.now())
}

// Run keeps the shards until ctx ends, calling apply with the set this
// instance holds whenever it changes: before a shard is released, apply
// has stopped its work; after one is claimed, apply starts it. On the way
// out apply is called with no shards, and then every shard is released,
// which wakes the other instances to take them at once.
func (s *Shards) Run(ctx context.Context, apply func(ctx context.Context, held map[int]bool) error) {
	if err := s.st.Tx(ctx, func(q *store.Queries) error { return q.EnsureShards(ctx, ShardCount) }); err != nil && ctx.Err() == nil {
		s.log.Error("make the probe shards", slog.Any("err", err))
	}
	applied := map[int]bool{}
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := apply(dctx, map[int]bool{}); err != nil {
			s.log.Warn("stop the monitors of this instance's shards", slog.Any("err", err))
		}
		s.mu.Lock()
		give := slices.Collect(maps.Values(s.held))
		clear(s.held)
		s.mu.Unlock()
		if err := s.st.ReleaseLeases(dctx, give); err != nil {
			s.log.Warn("release the probe shards", slog.Any("err", err))
		}
		if err := s.st.Stopped(dctx, s.holder); err != nil {
			s.log.Warn("say this instance stopped", slog.Any("err", err))
		}
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		t := time.NewTicker(s.ttl / 5)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if _, err := s.renew(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("renew the probe shards; retrying", slog.Any("err", err))
			}
		}
	})
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-t.C:
		}
		if err := s.step(ctx, apply, applied); err != nil && ctx.Err() == nil {
			s.log.Warn("probe shards; retrying", slog.Any("err", err))
		}
		t.Reset(s.ttl / 5)
	}
}

// renew says this instance is alive and renews the shards it holds, and
// returns how many instances are alive. It runs in a loop of its own too, so
// that a slow apply (thousands of monitors moving on a busy machine) does
// not let the shards expire under it.
func (s *Shards) renew(ctx context.Context) (int, error) {
	now := s.now()
	live, err := s.st.AliveAs(ctx, s.holder, now, s.ttl)
	if err != nil {
		return 0, err
	}
	renewed, err := s.st.RenewShards(ctx, s.holder, now, s.ttl)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for n, l := range renewed {
		// Only a term this instance claimed: never act on another.
		if old, ok := s.held[n]; ok && old.Term == l.Term {
			s.held[n] = l
		}
	}
	return live, nil
}

// step renews, claims and releases once; applied is what apply was last told.
func (s *Shards) step(ctx context.Context, apply func(context.Context, map[int]bool) error, applied map[int]bool) error {
	live, err := s.renew(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	s.mu.Lock()
	lost := false
	for n, l := range s.held {
		if !l.ExpiresAt.After(now) {
			delete(s.held, n) // lost: not renewed in time, maybe taken
			lost = true
		}
	}
	renewed := maps.Clone(s.held)
	s.mu.Unlock()
	if lost {
		// The work of a lost shard stops before any shard is claimed: one
		// claimed back in this step comes under a new term, and its
		// monitors must be taken up from the store, where another
		// instance may have left them changed, not continued from what
		// this one held before it lost the shard (paused past its lease).
		keep := map[int]bool{}
		for n := range renewed {
			keep[n] = true
		}
		if err := s.tell(ctx, apply, applied, keep); err != nil {
			return err
		}
	}
	fair := (ShardCount + live - 1) / max(live, 1)
	if extra := len(renewed) - fair; extra > 0 {
		// Stop the work of the shards given up, then give them up.
		keep := map[int]bool{}
		var give []store.Lease
		for i, n := range slices.Sorted(maps.Keys(renewed)) {
			if i < fair {
				keep[n] = true
			} else {
				give = append(give, renewed[n])
			}
		}
		if err := s.tell(ctx, apply, applied, keep); err != nil {
			return err
		}
		s.mu.Lock()
		for _, l := range give {
			n, _ := shardNumber(l.Name)
			delete(s.held, n)
		}
		s.mu.Unlock()
		s.log.Info("probe shards given to other instances", slog.Int("shards", len(give)), slog.Int("instances", live))
		return s.st.ReleaseLeases(ctx, give)
	}
	if want := fair - len(renewed); want > 0 {
		got, err := s.st.ClaimShards(ctx, s.holder, want, now, s.ttl)
		if err != nil {
			return err
		}
		if len(got) > 0 {
			s.mu.Lock()
			maps.Copy(s.held, got)
			s.mu.Unlock()
			s.log.Info("probe shards taken", slog.Int("shards", len(got)), slog.Int("instances", live))
		}
	}
	s.mu.Lock()
	now2 := map[int]bool{}
	for n := range s.held {
		now2[n] = true
	}
	s.mu.Unlock()
	return s.tell(ctx, apply, applied, now2)
}

// tell calls apply when the set differs from what it was last told.
func (s *Shards) tell(ctx context.Context, apply func(context.Context, map[int]bool) error, applied, held map[int]bool) error {
	if maps.Equal(applied, held) {
		return nil
	}
	if err := apply(ctx, maps.Clone(held)); err != nil {
		return err
	}
	clear(applied)
	maps.Copy(applied, held)
	return nil
}

func shardNumber(name string) (int, bool) {
	for n := range ShardCount {
		if store.ShardLease(n) == name {
			return n, true
		}
	}
	return 0, false
}

// SetClock makes the keeper tell the time by now (a simulation's clock); call it before use.
func (s *Shards) SetClock(now func() time.Time) { s.now = now }

// Step renews, claims and gives up shards once, as Run does every ShardTTL/5,
// telling apply the set held whenever it changes; applied is the set apply
// was last told, updated here. For simulations that drive time themselves.
func (s *Shards) Step(ctx context.Context, apply func(context.Context, map[int]bool) error, applied map[int]bool) error {
	return s.step(ctx, apply, applied)
}

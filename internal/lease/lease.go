// Package lease lets several Herald instances sharing one database agree on
// which of them runs work that must run once, such as the decision pipeline.
//
// A lease is a row in the database: a name, its holder, a term and an expiry.
// The holder renews it well before it expires; an instance that finds it
// expired takes it with the next term. Renewal is by term, so an instance
// that was paused (a long garbage collection, a frozen virtual machine)
// longer than the lease cannot renew it on waking: it must acquire it again,
// and finds another holder. Work done under a lease checks it in the same
// transaction that writes the work's results (Keeper.Check), which holds the
// lease row until the transaction ends, so a holder that lost its lease
// mid-work writes nothing. Times are the instances' own clocks: keep them in
// step (NTP) to well within the lease's length.
package lease

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/heraldhq/herald/internal/store"
)

// DefaultTTL is how long a lease lasts without renewal: the time another
// instance waits before taking over from one that died without releasing.
const DefaultTTL = 15 * time.Second

// Keeper holds one named lease for this instance.
type Keeper struct {
	st     *store.Store
	name   string
	holder string
	ttl    time.Duration
	now    func() time.Time

	mu   sync.Mutex
	cur  store.Lease
	held bool

	once sync.Once
	wake chan struct{}
}

// New makes a keeper of the named lease for this instance; ttl 0 means DefaultTTL.
func New(st *store.Store, name string, ttl time.Duration) *Keeper {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Keeper{st: st, name: name, holder: newHolder(), ttl: ttl, now: func() time.Time { return time.Now().UTC() }}
}

// newHolder names a keeper in leases: host and process id, for people reading
// the table, and a random part, so that a restarted process, or a second
// keeper in the same one, is a holder of its own.
func newHolder() string {
	host, err := os.Hostname()
	if err != nil {
		host = "herald"
	}
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), rand.Text()[:8])
}

// Hold acquires the lease when it is free and renews it when a third of its
// time is gone, and reports whether this instance holds it now.
func (k *Keeper) Hold(ctx context.Context) (bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	if k.held && k.cur.ExpiresAt.Sub(now) > k.ttl*2/3 {
		return true, nil
	}
	if k.held {
		l, err := k.st.RenewLease(ctx, k.cur, now, k.ttl)
		if err == nil {
			k.cur = l
			return true, nil
		}
		if !errors.Is(err, store.ErrLeaseLost) {
			return false, err
		}
		k.held = false
	}
	l, ok, err := k.st.AcquireLease(ctx, k.name, k.holder, now, k.ttl)
	if err != nil {
		return false, err
	}
	k.cur, k.held = l, ok
	return ok, nil
}

// Check confirms, inside q's transaction, that this instance still holds
// the lease, and keeps it from changing hands until the transaction ends.
func (k *Keeper) Check(ctx context.Context, q *store.Queries) error {
	k.mu.Lock()
	cur, held := k.cur, k.held
	k.mu.Unlock()
	if !held {
		return fmt.Errorf("lease %s: %w", k.name, store.ErrLeaseLost)
	}
	return q.CheckLease(ctx, cur, k.now())
}

// Release gives the lease up, so another instance takes it at once.
func (k *Keeper) Release(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.held {
		return nil
	}
	k.held = false
	return k.st.ReleaseLease(ctx, k.cur)
}

// Wake asks Run to look at the lease now (another instance released it).
func (k *Keeper) Wake() {
	select {
	case k.wakeCh() <- struct{}{}:
	default:
	}
}

func (k *Keeper) wakeCh() chan struct{} {
	k.once.Do(func() { k.wake = make(chan struct{}, 1) })
	return k.wake
}

// Name is the lease's name.
func (k *Keeper) Name() string { return k.name }

// Run runs work while this instance holds the lease, until ctx ends: it
// takes the lease when it is free, keeps it renewed, cancels work (and waits
// for it) when the lease is lost, and on the way out stops work and releases
// the lease, which wakes the instances waiting for it (see Wake). Work that
// writes must stay safe if it runs twice for a moment (a holder paused past
// its lease runs on until it notices), or check the lease in its
// transaction (Check).
func (k *Keeper) Run(ctx context.Context, log *slog.Logger, work func(ctx context.Context)) {
	var stop func() // stops the work running, nil when none runs
	defer func() {
		if stop != nil {
			stop()
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if err := k.Release(rctx); err != nil {
			log.Warn("release a lease", slog.String("lease", k.name), slog.Any("err", err))
		}
	}()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-k.wakeCh():
		case <-t.C:
		}
		held, err := k.Hold(ctx)
		if err != nil && ctx.Err() == nil {
			log.Warn("cannot read a lease; retrying", slog.String("lease", k.name), slog.Any("err", err))
		}
		switch {
		case held && stop == nil:
			log.Info("this instance took a lease", slog.String("lease", k.name))
			stop = start(ctx, work)
		case !held && stop != nil:
			log.Warn("this instance lost a lease; stopping its work", slog.String("lease", k.name))
			stop()
			stop = nil
		}
		t.Reset(k.ttl / 6)
	}
}

// start runs work in a goroutine and returns what cancels it and waits for it.
func start(ctx context.Context, work func(context.Context)) func() {
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		work(wctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// SetClock makes the keeper tell the time by now (a simulation's clock); call it before use.
func (k *Keeper) SetClock(now func() time.Time) { k.now = now }

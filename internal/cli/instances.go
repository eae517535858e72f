package cli

import (
	"context"
	"log/slog"
	"strings"
	"sync"

	"github.com/heraldhq/herald/internal/lease"
	"github.com/heraldhq/herald/internal/store"
)

// instances is what lets several `herald serve` share one PostgreSQL
// database: a lease for each piece of work that must run once, and the
// signals that wake an instance when another gives a lease up. On SQLite one
// process owns the database and everything runs here, as it always did.
type instances struct {
	st  *store.Store
	log *slog.Logger

	mu      sync.Mutex
	keepers map[string]*lease.Keeper
	wakers  map[string]func() // by lease name; "shard:" for every shard
}

func newInstances(st *store.Store, log *slog.Logger) *instances {
	return &instances{st: st, log: log, keepers: map[string]*lease.Keeper{}, wakers: map[string]func(){}}
}

// shared reports whether instances may share the database.
func (in *instances) shared() bool { return in.st.Dialect() == store.Postgres }

// once runs work until ctx ends: under the named lease when instances may
// share the database (only while this one holds it), else here.
func (in *instances) once(ctx context.Context, name string, work func(context.Context)) {
	in.under(ctx, in.keeper(name), work)
}

// keeper makes the named lease's keeper, woken when another instance gives
// the lease up; nil when the database is not shared.
func (in *instances) keeper(name string) *lease.Keeper {
	if !in.shared() {
		return nil
	}
	k := lease.New(in.st, name, 0)
	in.onRelease(name, k.Wake)
	return k
}

// under runs work while k is held (always, for a nil k) until ctx ends.
func (in *instances) under(ctx context.Context, k *lease.Keeper, work func(context.Context)) {
	if k == nil {
		work(ctx)
		return
	}
	k.Run(ctx, in.log, work)
}

// onRelease calls wake whenever the named lease is given up by another
// instance (a name ending in ":" matches every lease it begins).
func (in *instances) onRelease(name string, wake func()) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.wakers[name] = wake
}

// listen wakes the waiting keepers as leases are released, until ctx ends;
// after a reconnection, when a signal may have been missed, it wakes them all.
func (in *instances) listen(ctx context.Context) {
	in.st.Listen(ctx, []string{store.LeasesChannel}, func(_, name string) {
		in.mu.Lock()
		defer in.mu.Unlock()
		for prefix, wake := range in.wakers {
			if name == "" || name == prefix || strings.HasSuffix(prefix, ":") && strings.HasPrefix(name, prefix) {
				wake()
			}
		}
	}, func(err error) {
		in.log.Warn("listening for leases given up by other instances; looking every few seconds meanwhile", slog.Any("err", err))
	})
}

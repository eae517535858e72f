package service

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heraldhq/herald/internal/store"
)

// FollowEvery is how often a Follower reads the change log when no signal comes.
const FollowEvery = time.Second

// Follower watches the change log for changes made by other processes —
// another Herald instance on the same PostgreSQL database, a `herald`
// command on the same SQLite file — and takes each as a change made here:
// the OnChange listeners run (the public pages rebuild, within about a
// second) and the maintenance clock looks at its windows again.
type Follower struct {
	s      *Service
	cur    *store.ChangeCursor
	reload bool // the catalog changed elsewhere and is not read yet
	// measured says another instance's monitors measured something new
	// (or signals may have been missed): their states are read again.
	measured atomic.Bool
}

// Follow starts following the change log at its end: every change
// committed from now on is taken by Step or Run.
func (s *Service) Follow(ctx context.Context) (*Follower, error) {
	cur, err := s.store.NewChangeCursor(ctx)
	if err != nil {
		return nil, err
	}
	return &Follower{s: s, cur: cur}, nil
}

// Run takes other processes' changes until ctx ends. On PostgreSQL every
// change is signalled as it commits (NOTIFY, in its own transaction) and Run
// listens on a connection of its own; it also reads the log every `every`,
// in case a signal is lost while that connection is down, and SQLite has
// no signals at all. It keeps trying while the database is unreachable.
func (f *Follower) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = FollowEvery
	}
	s := f.s
	wake := make(chan struct{}, 1)
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		s.store.Listen(ctx, []string{store.ChangesChannel, store.MeasuredChannel}, func(channel, payload string) {
			switch {
			case channel == store.MeasuredChannel && payload == s.store.Origin():
				return // this instance's own, already shown
			case channel != store.ChangesChannel:
				// Another instance's measurements, or a new connection
				// after which signals may have been missed.
				f.measured.Store(true)
			}
			select {
			case wake <- struct{}{}:
			default:
			}
		}, func(err error) {
			s.log.Warn("listening for changes from other instances; reading the change log every second meanwhile", slog.Any("err", err))
		})
	})
	tick := time.NewTicker(every)
	defer tick.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-tick.C:
		}
		err := f.Step(ctx)
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			s.log.Warn("reading the change log for other instances' changes; retrying", slog.Any("err", err))
			failing = true
		case err == nil && failing:
			s.log.Info("reading the change log again")
			failing = false
		}
	}
}

// Step reads the changes committed since the last step and takes those
// made elsewhere, once.
func (f *Follower) Step(ctx context.Context) error {
	s := f.s
	refs, err := f.cur.Next(ctx)
	if err != nil {
		return err
	}
	foreign, windows := false, false
	for _, r := range refs {
		if s.store.WrittenHere(r.ID) {
			continue
		}
		foreign = true
		windows = windows || strings.HasPrefix(r.Subject, "maintenance:")
		// Another instance applied a new configuration's fleet.
		f.reload = f.reload || r.Subject == CatalogSubject
	}
	if windows {
		s.wakeClock()
	}
	if f.measured.Swap(false) {
		// Outages and monitor states written by another instance: the
		// pages' uptime and measured statuses move with them.
		s.measuredElsewhere(ctx)
		foreign = true
	}
	if f.reload {
		if err := s.ReloadCatalog(ctx); err != nil { // it tells the listeners
			return err // read again at the next step
		}
		f.reload = false
		return nil
	}
	if foreign {
		s.changed()
	}
	return nil
}

// OnMeasuredElsewhere registers fn to run when another instance sharing the
// database writes what its monitors measured, before the OnChange listeners
// are told: fn reads those states again (the monitors' Measured).
func (s *Service) OnMeasuredElsewhere(fn func(ctx context.Context)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.elsewhere = append(s.elsewhere, fn)
}

func (s *Service) measuredElsewhere(ctx context.Context) {
	s.mu.Lock()
	fns := append([]func(context.Context){}, s.elsewhere...)
	s.mu.Unlock()
	for _, fn := range fns {
		fn(ctx)
	}
}

// NewChangeCursor starts reading the change log from its end, for a cache
// of the records that reads again only what changed.
func (s *Service) NewChangeCursor(ctx context.Context) (*store.ChangeCursor, error) {
	return s.store.NewChangeCursor(ctx)
}

package service

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/heraldhq/herald/internal/store"
)

// Hook runs inside the transaction of every recorded change, after the change
// log entry is written, with that transaction's queries. An error rolls the
// whole change back, so whatever a hook writes (the notifier's queued
// deliveries) commits with the change or not at all.
type Hook func(ctx context.Context, q *store.Queries, c store.Change) error

// hookList holds one service's hooks, in registration order. Each Service
// has its own, so two services in one process (tests, or several instances)
// never run each other's.
type hookList struct {
	mu    sync.RWMutex
	next  int
	ids   []int // registration order
	hooks map[int]Hook
}

// OnRecord registers h to run inside every change's transaction and returns
// a function that removes it. Hooks must be quick: they hold the transaction.
func (s *Service) OnRecord(h Hook) (remove func()) {
	l := &s.hooks
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.hooks == nil {
		l.hooks = map[int]Hook{}
	}
	id := l.next
	l.next++
	l.ids = append(l.ids, id)
	l.hooks[id] = h
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if _, ok := l.hooks[id]; ok {
			delete(l.hooks, id)
			l.ids = slices.DeleteFunc(l.ids, func(v int) bool { return v == id })
		}
	}
}

// runHooks calls every hook of the service in registration order.
func (s *Service) runHooks(ctx context.Context, q *store.Queries, c *store.Change) error {
	l := &s.hooks
	l.mu.RLock()
	hooks := make([]Hook, 0, len(l.ids))
	for _, id := range l.ids {
		hooks = append(hooks, l.hooks[id])
	}
	l.mu.RUnlock()
	for _, h := range hooks {
		if err := h(ctx, q, *c); err != nil {
			return fmt.Errorf("%s: %w", c.Action, err)
		}
	}
	return nil
}

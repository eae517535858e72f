package service

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/heraldhq/herald/internal/store"
)

// Hook runs inside the transaction of every recorded change, after the change
// log entry is written, with that transaction's queries. An error rolls the
// whole change back, so whatever a hook writes (the notifier's queued
// deliveries) commits with the change or not at all.
type Hook func(ctx context.Context, q *store.Queries, c store.Change) error

// hookList holds the registered hooks. It is package-level only because
// record, which every change goes through, is a function without a receiver;
// hooks are still added and removed through a Service.
type hookList struct {
	mu    sync.RWMutex
	next  int
	hooks map[int]Hook
}

var changeHooks = hookList{hooks: map[int]Hook{}}

// OnRecord registers h to run inside every change's transaction and returns
// a function that removes it. Hooks must be quick: they hold the transaction.
func (s *Service) OnRecord(h Hook) (remove func()) {
	changeHooks.mu.Lock()
	defer changeHooks.mu.Unlock()
	id := changeHooks.next
	changeHooks.next++
	changeHooks.hooks[id] = h
	return func() {
		changeHooks.mu.Lock()
		defer changeHooks.mu.Unlock()
		delete(changeHooks.hooks, id)
	}
}

// runHooks calls every hook in registration order.
func runHooks(ctx context.Context, q *store.Queries, c *store.Change) error {
	changeHooks.mu.RLock()
	ids := make([]int, 0, len(changeHooks.hooks))
	for id := range changeHooks.hooks {
		ids = append(ids, id)
	}
	hooks := make([]Hook, 0, len(ids))
	for _, id := range sortInts(ids) {
		hooks = append(hooks, changeHooks.hooks[id])
	}
	changeHooks.mu.RUnlock()
	for _, h := range hooks {
		if err := h(ctx, q, *c); err != nil {
			return fmt.Errorf("%s: %w", c.Action, err)
		}
	}
	return nil
}

func sortInts(v []int) []int {
	sort.Ints(v)
	return v
}

// Package service carries out what operators and monitors ask of Herald:
// opening and updating incidents, scheduling maintenance, moving windows along
// by the clock. The web UI, the admin API and the monitors all call it, so each
// rule is enforced in one place, and every change lands in the change log in
// the same transaction as the change itself.
package service

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

// Clock tells the time; tests pass a fake one.
type Clock interface{ Now() time.Time }

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns the current time in UTC.
func (SystemClock) Now() time.Time { return time.Now().UTC() }

// Service is the one place Herald's records change.
type Service struct {
	store *store.Store
	clock Clock
	log   *slog.Logger

	catalog atomic.Pointer[Catalog]
	// measured is what monitors measure now, per component (SetMeasured),
	// and unrecorded says it is not written to the database yet.
	measured   atomic.Pointer[map[string]status.ComponentStatus]
	unrecorded atomic.Bool

	// generation counts the changes made (see Generation).
	generation atomic.Uint64

	// settle is how long completions wait for measurements (SetSettle).
	settle atomic.Int64
	// ahead is how far ahead series' occurrences become windows (SetAhead),
	// and zone the zone of a series that names none (SetZone).
	ahead atomic.Int64
	zone  atomic.Pointer[string]
	// lang is the language of drafted texts (SetLanguage), a locale.Lang.
	lang atomic.Value
	// wake nudges the maintenance clock when a window changes.
	wake chan struct{}

	mu        sync.Mutex
	listeners []func()
	elsewhere []func(context.Context) // OnMeasuredElsewhere

	// hooks run inside every recorded change's transaction (OnRecord).
	hooks hookList
}

// New makes a service over an open, migrated store.
func New(st *store.Store, clock Clock, log *slog.Logger) *Service {
	if clock == nil {
		clock = SystemClock{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{store: st, clock: clock, log: log, wake: make(chan struct{}, 1)}
	s.catalog.Store(newCatalog(nil, nil))
	return s
}

// Now is the service's clock reading.
func (s *Service) Now() time.Time { return s.clock.Now().UTC() }

// OnChange registers fn to be called after every committed change, e.g. to
// rebuild cached pages. fn must not block.
func (s *Service) OnChange(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listeners = append(s.listeners, fn)
}

// changedAfter tells the listeners once the change ctx's transaction carries
// has committed (at once outside one): a reader they wake must see it.
func (s *Service) changedAfter(ctx context.Context) { s.store.AfterCommit(ctx, s.changed) }

// Generation counts the changes made through this service (and those seen
// by a Follower): it moves after each change commits and before the
// OnChange listeners run. Anything that reads the records after seeing
// generation g reads every change up to g.
func (s *Service) Generation() uint64 { return s.generation.Load() }

func (s *Service) changed() {
	s.generation.Add(1)
	s.mu.Lock()
	fns := append([]func(){}, s.listeners...)
	s.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// Catalog is the set of groups and components, as configured and as stored.
type Catalog struct {
	Groups     []store.Group
	Components []store.Component
	byID       map[string]*store.Component
	active     []store.Component // Active's list, made once: every snapshot reads it
}

func newCatalog(groups []store.Group, comps []store.Component) *Catalog {
	c := &Catalog{Groups: groups, Components: comps, byID: make(map[string]*store.Component, len(comps))}
	for i := range c.Components {
		c.byID[c.Components[i].ID] = &c.Components[i]
		if c.Components[i].RemovedAt.IsZero() {
			c.active = append(c.active, c.Components[i])
		}
	}
	c.active = slices.Clip(c.active) // a caller appending gets a copy
	return c
}

// Component looks a component up by id, removed ones included.
func (c *Catalog) Component(id string) (*store.Component, bool) {
	comp, ok := c.byID[id]
	return comp, ok
}

// Active lists the components the configuration names now, in page order.
// The list is the catalog's own: read it, do not change it.
func (c *Catalog) Active() []store.Component { return c.active }

// Catalog returns the current catalog.
func (s *Service) Catalog() *Catalog { return s.catalog.Load() }

// SyncCatalog stores the configured groups and components (marking missing
// ones removed, keeping their history) and makes them the service's catalog.
//
// A sync that changes the stored catalog is recorded in the change log
// (subject "catalog"), so other instances on the database load it too.
func (s *Service) SyncCatalog(ctx context.Context, groups []store.Group, comps []store.Component) error {
	if err := s.store.Tx(ctx, func(q *store.Queries) error {
		// Instances started together sync at once: one after the other.
		if err := q.SerializeSync(ctx, "catalog"); err != nil {
			return err
		}
		before, err := storedCatalog(ctx, q)
		if err != nil {
			return err
		}
		now := s.Now()
		if err := q.SyncCatalog(ctx, groups, comps, now); err != nil {
			return err
		}
		after, err := storedCatalog(ctx, q)
		if err != nil || reflect.DeepEqual(before, after) {
			return err
		}
		return s.record(ctx, q, now, clockActor, "catalog.sync", CatalogSubject, nil, nil)
	}); err != nil {
		return err
	}
	return s.ReloadCatalog(ctx)
}

// CatalogSubject is the change log's subject for the configured catalog.
const CatalogSubject = "catalog"

func storedCatalog(ctx context.Context, q *store.Queries) (*Catalog, error) {
	groups, err := q.Groups(ctx)
	if err != nil {
		return nil, err
	}
	comps, err := q.Components(ctx)
	if err != nil {
		return nil, err
	}
	return newCatalog(groups, comps), nil
}

// ReloadCatalog reads the catalog from the store.
func (s *Service) ReloadCatalog(ctx context.Context) error {
	groups, err := s.store.Groups(ctx)
	if err != nil {
		return err
	}
	comps, err := s.store.Components(ctx)
	if err != nil {
		return err
	}
	s.catalog.Store(newCatalog(groups, comps))
	s.changed()
	return nil
}

// checkComponents validates component ids for new work: they must exist and
// still be configured.
func (s *Service) checkComponents(ids []string) error {
	cat := s.Catalog()
	var unknown, removed []string
	for _, id := range ids {
		c, ok := cat.Component(id)
		switch {
		case !ok:
			unknown = append(unknown, id)
		case !c.RemovedAt.IsZero():
			removed = append(removed, id)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return invalidf("unknown component %s (component ids look like flexo/web; see GET /api/v1/components)", strings.Join(unknown, ", "))
	}
	if len(removed) > 0 {
		sort.Strings(removed)
		return invalidf("component %s is no longer in the configuration", strings.Join(removed, ", "))
	}
	return nil
}

// record appends to the change log inside the caller's transaction and runs
// the service's hooks there.
func (s *Service) record(ctx context.Context, q *store.Queries, at time.Time, actor, action, subject string, before, after any) error {
	c := &store.Change{At: at, Actor: actor, Action: action, Subject: subject}
	var err error
	if c.Before, err = marshal(before); err != nil {
		return err
	}
	if c.After, err = marshal(after); err != nil {
		return err
	}
	if err := q.InsertChange(ctx, c); err != nil {
		return err
	}
	return s.runHooks(ctx, q, c)
}

func marshal(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case *status.Incident:
		if x == nil {
			return "", nil
		}
	case *status.Maintenance:
		if x == nil {
			return "", nil
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("record change: %w", err)
	}
	return string(b), nil
}

// Changes lists the change log, newest first.
func (s *Service) Changes(ctx context.Context, subject string, limit int) ([]store.Change, error) {
	return s.store.Changes(ctx, subject, limit)
}

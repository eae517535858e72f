package service

import (
	"context"
	"iter"
	"time"

	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/uptime"
)

// Outages lists measured outages, newest first.
func (s *Service) Outages(ctx context.Context, f store.OutageFilter) ([]store.Outage, error) {
	return s.store.Outages(ctx, f)
}

// EachOutage calls fn with each outage Outages would list; the row is the
// same variable each time (store.Queries.EachOutage).
func (s *Service) EachOutage(ctx context.Context, f store.OutageFilter, fn func(*store.Outage)) error {
	return s.store.EachOutage(ctx, f, fn)
}

// Monitors lists every monitor ever configured (removed ones included) with
// its state, last check and latency.
func (s *Service) Monitors(ctx context.Context) ([]store.Monitor, error) {
	return s.store.Monitors(ctx)
}

// EachMonitor calls fn with each monitor's row, as Monitors lists them; the
// row is the same variable each time (store.Queries.EachMonitor).
func (s *Service) EachMonitor(ctx context.Context, fn func(*store.Monitor)) error {
	return s.store.EachMonitor(ctx, fn)
}

// Latency buckets a monitor's response times since a time.
func (s *Service) Latency(ctx context.Context, monitorID string, since time.Time, bucket time.Duration) ([]store.LatencyPoint, error) {
	return s.store.Latency(ctx, monitorID, since, bucket)
}

// UptimeOutages turns stored outages into what package uptime reads.
func UptimeOutages(outs []store.Outage) []uptime.Outage {
	out := make([]uptime.Outage, len(outs))
	for i, o := range outs {
		out[i] = uptime.Outage{Start: o.StartedAt, End: o.EndedAt, Down: o.Severity == status.MonitorDown,
			Maintenance: o.MaintenanceID != 0}
	}
	return out
}

// MonitoredSince is when measurement of a component began: the creation of
// its first monitor. ok is false for a component no monitor ever watched,
// whose uptime is unknown rather than perfect.
func MonitoredSince(componentID string, monitors []store.Monitor) (since time.Time, ok bool) {
	return FirstCreated(func(yield func(time.Time) bool) {
		for _, m := range monitors {
			if m.ComponentID == componentID && !yield(m.CreatedAt) {
				return
			}
		}
	})
}

// FirstCreated is MonitoredSince from the creation times of a component's
// monitors, for a reader that keeps rows of its own (the pages).
func FirstCreated(created iter.Seq[time.Time]) (since time.Time, ok bool) {
	for at := range created {
		if !ok || at.Before(since) {
			since, ok = at, true
		}
	}
	return since, ok
}

// Uptime computes a component's uptime for each day from first to last
// (dates read in loc, both included), exactly from its outages.
func (s *Service) Uptime(ctx context.Context, componentID string, first, last time.Time, loc *time.Location, excludeMaintenance bool) (uptime.Report, error) {
	if _, ok := s.Catalog().Component(componentID); !ok {
		return uptime.Report{}, &NotFoundError{"component " + componentID + " not found (component ids look like flexo/web; see GET /api/v1/components)"}
	}
	y, m, d := first.In(loc).Date()
	from := time.Date(y, m, d, 0, 0, 0, 0, loc)
	y, m, d = last.In(loc).Date()
	until := time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	outs, err := s.store.Outages(ctx, store.OutageFilter{ComponentID: componentID, Since: from, Until: until})
	if err != nil {
		return uptime.Report{}, err
	}
	monitors, err := s.store.Monitors(ctx)
	if err != nil {
		return uptime.Report{}, err
	}
	opt := uptime.Options{Now: s.Now(), ExcludeMaintenance: excludeMaintenance}
	since, ok := MonitoredSince(componentID, monitors)
	if !ok {
		since = until // never watched: no data on any day
	}
	opt.Since = since
	return uptime.Days(UptimeOutages(outs), from, last, loc, opt), nil
}

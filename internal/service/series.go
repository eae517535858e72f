package service

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

// NewSeries is a request to schedule maintenance that repeats.
type NewSeries struct {
	Title      string
	Body       string
	Rule       string    // RRULE value: FREQ=MONTHLY;BYDAY=1SU
	Start      time.Time // the first start's wall-clock reading (its location is ignored)
	Zone       string    // IANA name; empty: the page's zone
	Duration   time.Duration
	Components []string
}

// DefaultAhead is how far ahead a series' occurrences become windows when
// the configuration says nothing: two weeks, more than the default
// reminders' day, so that each occurrence is announced, then reminded.
const DefaultAhead = 14 * 24 * time.Hour

// SetAhead says how far ahead of their start a series' occurrences become
// windows (and are announced); serve sets it from the configuration.
func (s *Service) SetAhead(d time.Duration) { s.ahead.Store(int64(max(d, 0))) }

// SetZone says which zone a series without one is in: the page's.
func (s *Service) SetZone(zone string) { s.zone.Store(&zone) }

func (s *Service) aheadFor() time.Duration {
	if d := time.Duration(s.ahead.Load()); d > 0 {
		return d
	}
	return DefaultAhead
}

// CreateSeries stores a series and makes the windows of its occurrences due
// within the announce horizon (and at least the next one), each announced as
// any window is.
func (s *Service) CreateSeries(ctx context.Context, actor string, req NewSeries) (*status.Series, error) {
	now := s.Now()
	if err := checkText("title", req.Title, maxTitle, true); err != nil {
		return nil, err
	}
	if err := checkText("body", req.Body, maxBody, true); err != nil {
		return nil, err
	}
	comps, err := s.uniqueComponents(req.Components)
	if err != nil {
		return nil, err
	}
	zone := req.Zone
	if zone == "" {
		if z := s.zone.Load(); z != nil && *z != "" {
			zone = *z
		} else {
			zone = "UTC"
		}
	}
	sr := &status.Series{Title: strings.TrimSpace(req.Title), Body: req.Body, Rule: req.Rule,
		Start: floatingWall(req.Start), Zone: zone, Duration: req.Duration, Components: comps,
		CreatedAt: now, UpdatedAt: now}
	if err := status.CheckSeries(sr); err != nil {
		return nil, invalidf("%s", err)
	}
	next, err := sr.Occurrences(now, 1)
	if err != nil {
		return nil, invalidf("%s", err)
	}
	if len(next) == 0 {
		return nil, invalidf("the series %s from %s has no occurrence still to come", sr.Rule, sr.Start.Format(status.WallLayout))
	}
	made := 0
	err = s.store.Tx(ctx, func(q *store.Queries) error {
		if err := q.InsertSeries(ctx, sr); err != nil {
			return err
		}
		if err := s.record(ctx, q, now, actor, "maintenance_series.create", subject("maintenance_series", sr.ID), nil, sr); err != nil {
			return err
		}
		made, err = s.materialize(ctx, q, sr, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("maintenance series created", slog.Int64("id", sr.ID), slog.String("actor", actor),
		slog.String("rule", sr.Rule), slog.Int("windows", made))
	s.wakeClock()
	s.changedAfter(ctx)
	return sr, nil
}

// floatingWall is t's wall-clock reading as a UTC time.
func floatingWall(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), 0, 0, time.UTC)
}

// textSeriesEnded is what each window still to come says when its series ends.
const textSeriesEnded = "This maintenance has been cancelled: the series it belonged to has ended."

// EndSeries ends a series now: no occurrence starts after this moment, and
// its windows still scheduled are cancelled (and their subscribers told).
// A window in progress runs to its end. body, when given, is what the
// cancelled windows say.
func (s *Service) EndSeries(ctx context.Context, actor string, id int64, body string) (*status.Series, error) {
	if err := checkText("body", body, maxBody, false); err != nil {
		return nil, err
	}
	now := s.Now()
	err := s.store.Tx(ctx, func(q *store.Queries) error {
		if err := q.LockSeries(ctx, id); err != nil {
			return notFound(err, "maintenance series", id)
		}
		sr, err := q.OneSeries(ctx, id)
		if err != nil {
			return notFound(err, "maintenance series", id)
		}
		if sr.Key != "" {
			return conflictf("maintenance series %d is declared in the configuration (maintenance.recurring, %q); remove it there", id, sr.Key)
		}
		return s.endSeries(ctx, q, actor, id, body, now)
	})
	if err != nil {
		return nil, err
	}
	after, err := s.store.OneSeries(ctx, id)
	if err != nil {
		return nil, err
	}
	s.log.Info("maintenance series ended", slog.Int64("id", id), slog.String("actor", actor))
	s.wakeClock()
	s.changedAfter(ctx)
	return after, nil
}

// endSeries ends a series inside q's transaction (see EndSeries).
func (s *Service) endSeries(ctx context.Context, q *store.Queries, actor string, id int64, body string, now time.Time) error {
	before, err := q.OneSeries(ctx, id)
	if err != nil {
		return notFound(err, "maintenance series", id)
	}
	if !before.EndedAt.IsZero() {
		return conflictf("maintenance series %d already ended on %s", id, before.EndedAt.Format(time.RFC3339))
	}
	sr := *before
	sr.EndedAt, sr.UpdatedAt, sr.Sequence = now, now, sr.Sequence+1
	if err := q.SaveSeries(ctx, &sr); err != nil {
		return err
	}
	if err := s.record(ctx, q, now, actor, "maintenance_series.end", subject("maintenance_series", id), before, &sr); err != nil {
		return err
	}
	windows, err := q.Maintenances(ctx, store.MaintenanceFilter{State: "upcoming", SeriesID: id})
	if err != nil {
		return err
	}
	for i := range windows {
		m := &windows[i]
		old := m.Clone()
		m.Sequence++
		if err := finish(ctx, q, m, status.Cancelled, now, now, orDefault(body, textSeriesEnded)); err != nil {
			return err
		}
		got, err := q.Maintenance(ctx, m.ID)
		if err != nil {
			return err
		}
		if err := s.record(ctx, q, now, actor, "maintenance.cancel", subject("maintenance", m.ID), old, got); err != nil {
			return err
		}
	}
	return nil
}

// Series returns one series.
func (s *Service) Series(ctx context.Context, id int64) (*status.Series, error) {
	sr, err := s.store.OneSeries(ctx, id)
	if err != nil {
		return nil, notFound(err, "maintenance series", id)
	}
	return sr, nil
}

// AllSeries lists the series, newest first.
func (s *Service) AllSeries(ctx context.Context) ([]status.Series, error) {
	return s.store.AllSeries(ctx, false)
}

// maxPerPass bounds the windows one pass makes for one series.
const maxPerPass = 100

// MaterializeSeries makes the windows of every running series' occurrences
// that come within the announce horizon (and at least each series' next
// one), and returns how many it made. It is safe to run on several
// instances at once and to run again: a series has one window per
// occurrence start (a unique index), cancelled ones included, so an
// occurrence cancelled on its own is not made again.
func (s *Service) MaterializeSeries(ctx context.Context) (int, error) {
	running, err := s.store.AllSeries(ctx, true)
	if err != nil {
		return 0, err
	}
	now := s.Now()
	made := 0
	for i := range running {
		err := s.store.Tx(ctx, func(q *store.Queries) error {
			n, err := s.materialize(ctx, q, &running[i], now)
			made += n
			return err
		})
		if err != nil {
			return made, err
		}
	}
	if made > 0 {
		s.changed()
	}
	return made, nil
}

// materialize makes one series' windows due at now, inside q's transaction.
func (s *Service) materialize(ctx context.Context, q *store.Queries, sr *status.Series, now time.Time) (int, error) {
	last, err := q.LastOccurrence(ctx, sr.ID)
	if err != nil {
		return 0, err
	}
	starts, err := sr.Occurrences(now, maxPerPass)
	if err != nil {
		return 0, err
	}
	horizon := now.Add(s.aheadFor())
	made := 0
	for i, start := range starts {
		if i > 0 && start.After(horizon) {
			break // the first is made whatever the horizon: the page shows the next date
		}
		if !last.IsZero() && !start.After(last) {
			continue
		}
		m := &status.Maintenance{
			Title: sr.Title, Body: sr.Body, Status: status.Scheduled,
			ScheduledFor: start, ScheduledUntil: start.Add(sr.Duration), CreatedAt: now, UpdatedAt: now,
			Components: sr.Components, SeriesID: sr.ID, Occurrence: start,
		}
		ok, err := q.InsertOccurrence(ctx, m)
		if err != nil {
			return made, err
		}
		if !ok {
			continue // another instance made it
		}
		u := &status.MaintenanceUpdate{MaintenanceID: m.ID, Status: status.Scheduled, Body: sr.Body, CreatedAt: now, DisplayAt: now}
		if err := q.InsertMaintenanceUpdate(ctx, u); err != nil {
			return made, err
		}
		m.Updates = []status.MaintenanceUpdate{*u}
		if err := s.record(ctx, q, now, clockActor, "maintenance.create", subject("maintenance", m.ID), nil, m); err != nil {
			return made, err
		}
		made++
	}
	return made, nil
}

// bumpSeries marks a series changed for calendars (a SEQUENCE step).
func bumpSeries(ctx context.Context, q *store.Queries, id int64, now time.Time) error {
	sr, err := q.OneSeries(ctx, id)
	if err != nil {
		return err
	}
	sr.Sequence++
	sr.UpdatedAt = now
	return q.SaveSeries(ctx, sr)
}

// SyncSeries makes the stored series declared in the configuration (Key
// set) those given: a series whose rule, start, zone, length or components
// changed is ended and started again, one whose text alone changed takes
// it in place (for the windows not yet made), and one no longer declared is
// ended. Series made through the API or the admin are left alone.
func (s *Service) SyncSeries(ctx context.Context, want []status.Series) error {
	ended, created := 0, 0
	var made []*status.Series
	err := s.store.Tx(ctx, func(q *store.Queries) error {
		// Instances started together sync one after the other.
		if err := q.SerializeSync(ctx, "maintenance-series"); err != nil {
			return err
		}
		running, err := q.AllSeries(ctx, true)
		if err != nil {
			return err
		}
		now := s.Now()
		have := map[string]*status.Series{}
		for i := range running {
			if running[i].Key != "" {
				have[running[i].Key] = &running[i]
			}
		}
		for i := range want {
			w := want[i]
			if err := status.CheckSeries(&w); err != nil {
				return invalidf("recurring maintenance %q: %s", w.Key, err)
			}
			old := have[w.Key]
			delete(have, w.Key)
			if old != nil && sameSchedule(old, &w) {
				if old.Body != w.Body {
					before := *old
					old.Body, old.UpdatedAt = w.Body, now
					if err := q.SaveSeries(ctx, old); err != nil {
						return err
					}
					if err := s.record(ctx, q, now, configActor, "maintenance_series.edit", subject("maintenance_series", old.ID), &before, old); err != nil {
						return err
					}
				}
				continue
			}
			if old != nil {
				if err := s.endSeries(ctx, q, configActor, old.ID, "", now); err != nil {
					return err
				}
				ended++
			}
			w.CreatedAt, w.UpdatedAt = now, now
			if err := q.InsertSeries(ctx, &w); err != nil {
				return err
			}
			if err := s.record(ctx, q, now, configActor, "maintenance_series.create", subject("maintenance_series", w.ID), nil, &w); err != nil {
				return err
			}
			made = append(made, &w)
			created++
		}
		for _, old := range have {
			if err := s.endSeries(ctx, q, configActor, old.ID, "", now); err != nil {
				return err
			}
			ended++
		}
		for _, sr := range made {
			if _, err := s.materialize(ctx, q, sr, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if ended+created > 0 {
		s.log.Info("recurring maintenance from the configuration", slog.Int("started", created), slog.Int("ended", ended))
		s.wakeClock()
		s.changedAfter(ctx)
	}
	return nil
}

// configActor is who the change log names for what the configuration declares.
const configActor = "config"

// sameSchedule reports whether two series make the same windows.
func sameSchedule(a, b *status.Series) bool {
	return a.Title == b.Title && a.Rule == b.Rule && a.Start.Equal(b.Start) && a.Zone == b.Zone &&
		a.Duration == b.Duration && slices.Equal(a.Components, b.Components)
}

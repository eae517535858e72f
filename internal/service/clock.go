package service

import (
	"context"
	"github.com/heraldhq/herald/internal/locale"
	"log/slog"
	"time"

	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

// clockActor is who the change log names for the server's own transitions.
const clockActor = "herald"

// NextClockStep is when the maintenance clock next owes a window a step, or
// zero when none is pending.
func (s *Service) NextClockStep(ctx context.Context) (time.Time, error) {
	next, err := s.store.NextMaintenanceTransition(ctx)
	if err != nil || next.IsZero() || next.After(s.Now()) {
		return next, err
	}
	// Due by its schedule and not taken, so a completion waiting for the
	// measurements to settle: it is due once they have.
	return next.Add(time.Duration(s.settle.Load())), nil
}

// SetSettle says how long a window's completion waits after its scheduled
// end for the measurements of its last minutes to settle (see
// status.Maintenance.DueSteps); serve sets it from the monitors' settings.
func (s *Service) SetSettle(d time.Duration) { s.settle.Store(int64(max(d, 0))) }

// SetLanguage says which language the texts Herald drafts here (a
// maintenance's completion) are written in: page.language; serve sets it.
func (s *Service) SetLanguage(l locale.Lang) { s.lang.Store(string(l)) }

// language is the language set by SetLanguage, English before.
func (s *Service) language() locale.Lang {
	l, _ := s.lang.Load().(string)
	return locale.Lang(l)
}

// clockCheckEvery bounds how long the clock sleeps even with nothing due, so
// it notices windows written by another instance sharing the database.
const clockCheckEvery = time.Minute

// Timer makes a timer; tests replace it to drive the clock without sleeping.
type Timer func(d time.Duration) (<-chan time.Time, func() bool)

func realTimer(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}

func (s *Service) wakeClock() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// AdvanceMaintenance moves every window the clock owes a step: scheduled ones
// whose start has come go in progress, running ones whose end has come
// complete. A window that passed wholly while Herald was stopped gets both
// steps, each stamped with its scheduled time. It returns the steps taken.
func (s *Service) AdvanceMaintenance(ctx context.Context) (int, error) {
	pending, err := s.store.Maintenances(ctx, store.MaintenanceFilter{State: "pending"})
	if err != nil {
		return 0, err
	}
	now := s.Now()
	settle := time.Duration(s.settle.Load())
	taken := 0
	for i := range pending {
		for _, step := range pending[i].DueSteps(now, settle) {
			ok, err := s.step(ctx, &pending[i], step, now)
			if err != nil {
				return taken, err
			}
			if !ok {
				break // another instance moved it first
			}
			taken++
		}
	}
	if taken > 0 {
		s.changed()
	}
	return taken, nil
}

// step applies one transition, only if no one else applied it first.
func (s *Service) step(ctx context.Context, m *status.Maintenance, st status.Step, now time.Time) (bool, error) {
	before := m.Clone()
	from := m.Status
	m.Status, m.UpdatedAt = st.To, now
	body, action := textStarted, "maintenance.start"
	if st.To == status.InProgress {
		m.StartedAt = st.At
	} else {
		m.CompletedAt = st.At
		body, action = textCompleted, "maintenance.complete"
	}
	moved := false
	err := s.store.Tx(ctx, func(q *store.Queries) error {
		ok, err := q.MoveMaintenance(ctx, m, from)
		if err != nil || !ok {
			return err
		}
		moved = true
		if st.To == status.Completed {
			// The measured downtime, when monitors watched the window.
			report, err := s.maintenanceReport(ctx, q, m, st.At)
			if err != nil {
				return err
			}
			body = orDefault(report, body)
		}
		u := status.MaintenanceUpdate{MaintenanceID: m.ID, Status: st.To, Body: body, CreatedAt: now, DisplayAt: st.At}
		if err := q.InsertMaintenanceUpdate(ctx, &u); err != nil {
			return err
		}
		m.Updates = append([]status.MaintenanceUpdate{u}, m.Updates...)
		return s.record(ctx, q, now, clockActor, action, subject("maintenance", m.ID), before, m)
	})
	if err != nil {
		*m = *before
		return false, err
	}
	if moved {
		s.log.Info("maintenance moved by the clock", slog.Int64("id", m.ID), slog.String("to", string(st.To)),
			slog.Time("scheduled_at", st.At), slog.Duration("late_by", now.Sub(st.At)))
	}
	return moved, nil
}

// RunClock moves maintenance windows along at their times until ctx ends,
// and makes the windows of recurring maintenance as they come within the
// announce horizon (checked at least once a minute).
// It sleeps until the next transition (or a minute at most), and wakes early
// when a window is scheduled or edited.
func (s *Service) RunClock(ctx context.Context, timer Timer) {
	if timer == nil {
		timer = realTimer
	}
	for {
		// The windows of series' occurrences first, so one due now starts in this pass.
		if _, err := s.MaterializeSeries(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("maintenance clock: recurring maintenance", slog.Any("err", err))
		}
		if _, err := s.AdvanceMaintenance(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("maintenance clock", slog.Any("err", err))
		}
		wait := clockCheckEvery
		if next, err := s.NextClockStep(ctx); err == nil && !next.IsZero() {
			// A few milliseconds late rather than early, so the step is due when the timer fires.
			wait = min(wait, max(next.Sub(s.Now())+5*time.Millisecond, 0))
		}
		c, stop := timer(wait)
		select {
		case <-ctx.Done():
			stop()
			return
		case <-s.wake:
			stop()
		case <-c:
		}
	}
}

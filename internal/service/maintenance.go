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

// NewMaintenance is a request to schedule a window.
type NewMaintenance struct {
	Title      string
	Body       string
	Components []string
	Start      time.Time
	End        time.Time
}

// MaintenanceEdit changes a window; nil and empty fields stay as they are.
type MaintenanceEdit struct {
	Title  *string
	Body   *string
	Add    []string
	Remove []string
	Start  *time.Time
	// End or Duration sets the window's end; moving Start alone keeps the length.
	End      *time.Time
	Duration *time.Duration
	// Update, when not empty, is posted as an update with the edit.
	Update string
}

// Words the clock posts when it moves a window along.
const (
	textStarted   = "The scheduled maintenance is now in progress. We will post an update when it is complete."
	textCompleted = "The scheduled maintenance has been completed."
	textCancelled = "This maintenance has been cancelled."
)

// ScheduleMaintenance announces a maintenance window.
func (s *Service) ScheduleMaintenance(ctx context.Context, actor string, req NewMaintenance) (*status.Maintenance, error) {
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
	if len(comps) == 0 {
		return nil, invalidf("at least one component is required")
	}
	if err := status.CheckWindow(req.Start, req.End); err != nil {
		return nil, invalidf("%s", err)
	}
	if !req.End.After(now) {
		return nil, invalidf("the window would already be over (it ends %s); check the date", req.End.UTC().Format(time.RFC3339))
	}
	m := &status.Maintenance{
		Title: strings.TrimSpace(req.Title), Body: req.Body, Status: status.Scheduled,
		ScheduledFor: req.Start.UTC(), ScheduledUntil: req.End.UTC(), CreatedAt: now, UpdatedAt: now,
		Components: comps,
	}
	err = s.store.Tx(ctx, func(q *store.Queries) error {
		if err := q.InsertMaintenance(ctx, m); err != nil {
			return err
		}
		u := &status.MaintenanceUpdate{MaintenanceID: m.ID, Status: status.Scheduled, Body: req.Body, CreatedAt: now, DisplayAt: now}
		if err := q.InsertMaintenanceUpdate(ctx, u); err != nil {
			return err
		}
		m.Updates = []status.MaintenanceUpdate{*u}
		return s.record(ctx, q, now, actor, "maintenance.create", subject("maintenance", m.ID), nil, m)
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("maintenance scheduled", slog.Int64("id", m.ID), slog.String("actor", actor),
		slog.Time("start", m.ScheduledFor), slog.Time("end", m.ScheduledUntil))
	s.wakeClock()
	s.changedAfter(ctx)
	return m, nil
}

func (s *Service) uniqueComponents(ids []string) ([]string, error) {
	var out []string
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, s.checkComponents(out)
}

// changeMaintenance loads a window, lets fn alter it inside a transaction, and records the change.
func (s *Service) changeMaintenance(ctx context.Context, actor, action string, id int64, fn func(q *store.Queries, m *status.Maintenance, now time.Time) error) (*status.Maintenance, error) {
	now := s.Now()
	var after *status.Maintenance
	err := s.store.Tx(ctx, func(q *store.Queries) error {
		if err := q.LockMaintenance(ctx, id); err != nil {
			return notFound(err, "maintenance", id)
		}
		before, err := q.Maintenance(ctx, id)
		if err != nil {
			return notFound(err, "maintenance", id)
		}
		if err := fn(q, before.Clone(), now); err != nil {
			return err
		}
		if after, err = q.Maintenance(ctx, id); err != nil {
			return err
		}
		return s.record(ctx, q, now, actor, action, subject("maintenance", id), before, after)
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("maintenance changed", slog.Int64("id", id), slog.String("action", action), slog.String("actor", actor))
	s.wakeClock()
	s.changedAfter(ctx)
	return after, nil
}

// EditMaintenance changes a window that has not finished: its title, text,
// components or times, optionally posting an update with the edit.
func (s *Service) EditMaintenance(ctx context.Context, actor string, id int64, req MaintenanceEdit) (*status.Maintenance, error) {
	if req.Title != nil {
		if err := checkText("title", *req.Title, maxTitle, true); err != nil {
			return nil, err
		}
	}
	if req.Body != nil {
		if err := checkText("body", *req.Body, maxBody, true); err != nil {
			return nil, err
		}
	}
	if err := checkText("update", req.Update, maxBody, false); err != nil {
		return nil, err
	}
	if req.End != nil && req.Duration != nil {
		return nil, invalidf("give either end or duration, not both")
	}
	add, err := s.uniqueComponents(req.Add)
	if err != nil {
		return nil, err
	}
	return s.changeMaintenance(ctx, actor, "maintenance.edit", id, func(q *store.Queries, m *status.Maintenance, now time.Time) error {
		if m.Status.Final() {
			return conflictf("maintenance %d is already %s", id, m.Status)
		}
		visible := false // changes a calendar would show
		if req.Title != nil && strings.TrimSpace(*req.Title) != m.Title {
			m.Title, visible = strings.TrimSpace(*req.Title), true
		}
		if req.Body != nil && *req.Body != m.Body {
			m.Body, visible = *req.Body, true
		}
		for _, c := range add {
			if !slices.Contains(m.Components, c) {
				m.Components, visible = append(m.Components, c), true
			}
		}
		for _, c := range req.Remove {
			if i := slices.Index(m.Components, c); i >= 0 {
				m.Components, visible = slices.Delete(m.Components, i, i+1), true
			}
		}
		if len(m.Components) == 0 {
			return invalidf("a maintenance needs at least one component; cancel it instead")
		}
		moved, err := moveWindow(m, req, now)
		if err != nil {
			return err
		}
		if moved {
			visible = true
		}
		if visible {
			m.Sequence++
		}
		m.UpdatedAt = now
		if err := q.SaveMaintenance(ctx, m); err != nil {
			return err
		}
		if strings.TrimSpace(req.Update) == "" {
			return nil
		}
		return q.InsertMaintenanceUpdate(ctx, &status.MaintenanceUpdate{MaintenanceID: id, Status: m.Status,
			Body: req.Update, CreatedAt: now, DisplayAt: now})
	})
}

// moveWindow applies new times to a window and reports whether they changed.
func moveWindow(m *status.Maintenance, req MaintenanceEdit, now time.Time) (bool, error) {
	start, end := m.ScheduledFor, m.ScheduledUntil
	if req.Start != nil {
		if m.Status == status.InProgress && !req.Start.Equal(start) {
			return false, conflictf("maintenance %d has already started; its start cannot move (change its end instead)", m.ID)
		}
		end = req.Start.Add(end.Sub(start))
		start = req.Start.UTC()
	}
	switch {
	case req.End != nil:
		end = req.End.UTC()
	case req.Duration != nil:
		end = start.Add(*req.Duration)
	}
	if start.Equal(m.ScheduledFor) && end.Equal(m.ScheduledUntil) {
		return false, nil
	}
	if err := status.CheckWindow(start, end); err != nil {
		return false, invalidf("%s", err)
	}
	if !end.After(now) {
		return false, invalidf("the window would already be over (it would end %s); complete it instead", end.Format(time.RFC3339))
	}
	m.ScheduledFor, m.ScheduledUntil = start, end
	return true, nil
}

// PostMaintenanceUpdate adds an update to a window's timeline.
func (s *Service) PostMaintenanceUpdate(ctx context.Context, actor string, id int64, body string) (*status.Maintenance, error) {
	if err := checkText("body", body, maxBody, true); err != nil {
		return nil, err
	}
	return s.changeMaintenance(ctx, actor, "maintenance.update", id, func(q *store.Queries, m *status.Maintenance, now time.Time) error {
		m.UpdatedAt = now
		if err := q.SaveMaintenance(ctx, m); err != nil {
			return err
		}
		return q.InsertMaintenanceUpdate(ctx, &status.MaintenanceUpdate{MaintenanceID: id, Status: m.Status,
			Body: body, CreatedAt: now, DisplayAt: now})
	})
}

// CompleteMaintenance ends a running window now, ahead of its planned end.
func (s *Service) CompleteMaintenance(ctx context.Context, actor string, id int64, body string) (*status.Maintenance, error) {
	if err := checkText("body", body, maxBody, false); err != nil {
		return nil, err
	}
	return s.changeMaintenance(ctx, actor, "maintenance.complete", id, func(q *store.Queries, m *status.Maintenance, now time.Time) error {
		if m.Status == status.Scheduled {
			return conflictf("maintenance %d has not started yet; cancel it instead", id)
		}
		if err := status.CheckMaintenanceTransition(m.Status, status.Completed); err != nil {
			return conflictf("%s", err)
		}
		if strings.TrimSpace(body) == "" {
			report, err := s.maintenanceReport(ctx, q, m, now)
			if err != nil {
				return err
			}
			body = report
		}
		return finish(ctx, q, m, status.Completed, now, now, orDefault(body, textCompleted))
	})
}

// CancelMaintenance calls off a window that has not completed.
func (s *Service) CancelMaintenance(ctx context.Context, actor string, id int64, body string) (*status.Maintenance, error) {
	if err := checkText("body", body, maxBody, false); err != nil {
		return nil, err
	}
	return s.changeMaintenance(ctx, actor, "maintenance.cancel", id, func(q *store.Queries, m *status.Maintenance, now time.Time) error {
		if err := status.CheckMaintenanceTransition(m.Status, status.Cancelled); err != nil {
			return conflictf("%s", err)
		}
		m.Sequence++
		if m.SeriesID != 0 {
			// The series' calendar event gains an EXDATE: a change calendars must see.
			if err := bumpSeries(ctx, q, m.SeriesID, now); err != nil {
				return err
			}
		}
		return finish(ctx, q, m, status.Cancelled, now, now, orDefault(body, textCancelled))
	})
}

func finish(ctx context.Context, q *store.Queries, m *status.Maintenance, to status.MaintenanceStatus, at, now time.Time, body string) error {
	m.Status, m.CompletedAt, m.UpdatedAt = to, at, now
	if err := q.SaveMaintenance(ctx, m); err != nil {
		return err
	}
	return q.InsertMaintenanceUpdate(ctx, &status.MaintenanceUpdate{MaintenanceID: m.ID, Status: to, Body: body, CreatedAt: now, DisplayAt: at})
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

// Maintenance returns one window.
func (s *Service) Maintenance(ctx context.Context, id int64) (*status.Maintenance, error) {
	m, err := s.store.Maintenance(ctx, id)
	if err != nil {
		return nil, notFound(err, "maintenance", id)
	}
	return m, nil
}

// Maintenances lists windows.
func (s *Service) Maintenances(ctx context.Context, f store.MaintenanceFilter) ([]status.Maintenance, error) {
	return s.store.Maintenances(ctx, f)
}

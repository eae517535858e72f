package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/status"
)

// MaintenanceFilter selects maintenance windows to list.
type MaintenanceFilter struct {
	// State is "upcoming" (scheduled), "active" (in progress), "past"
	// (completed or cancelled), "pending" (scheduled or in progress) or "" for all.
	State string
	// Limit caps the count; 0 means no limit.
	Limit int
	// SeriesID, when set, keeps a series' occurrences only.
	SeriesID int64
}

const maintenanceColumns = `id, title, body, status, scheduled_for, scheduled_until, started_at, completed_at,
	created_at, updated_at, sequence, body_html, body_text, series_id, occurrence`

// InsertMaintenance stores a new window with its components and sets its ID.
func (q *Queries) InsertMaintenance(ctx context.Context, m *status.Maintenance) error {
	_, err := q.insertMaintenance(ctx, m, "")
	return err
}

// InsertOccurrence stores a series' occurrence, unless the series has one
// for that start already (another instance wrote it, or it was cancelled),
// and reports whether it did.
func (q *Queries) InsertOccurrence(ctx context.Context, m *status.Maintenance) (bool, error) {
	if m.SeriesID == 0 || m.Occurrence.IsZero() {
		return false, fmt.Errorf("insert occurrence: no series or occurrence start")
	}
	return q.insertMaintenance(ctx, m, ` ON CONFLICT (series_id, occurrence) DO NOTHING`)
}

func (q *Queries) insertMaintenance(ctx context.Context, m *status.Maintenance, onConflict string) (bool, error) {
	m.Rendered = render(m.Body)
	id, err := q.insertID(ctx, `INSERT INTO maintenances (title, body, status, scheduled_for, scheduled_until,
			started_at, completed_at, created_at, updated_at, sequence, body_html, body_text, series_id, occurrence)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`+onConflict,
		m.Title, m.Body, string(m.Status), m.ScheduledFor.UnixMilli(), m.ScheduledUntil.UnixMilli(),
		ms(m.StartedAt), ms(m.CompletedAt), m.CreatedAt.UnixMilli(), m.UpdatedAt.UnixMilli(), m.Sequence,
		string(m.Rendered.HTML), m.Rendered.Text, nullID(m.SeriesID), ms(m.Occurrence))
	if onConflict != "" && errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("insert maintenance: %w", err)
	}
	m.ID = id
	return true, q.replaceMaintenanceComponents(ctx, m)
}

// SaveMaintenance stores a window's fields and components (not its
// updates). The announcement is rendered again only when its text changed.
func (q *Queries) SaveMaintenance(ctx context.Context, m *status.Maintenance) error {
	res, err := q.exec(ctx, `UPDATE maintenances SET title = ?, body = ?, status = ?, scheduled_for = ?,
			scheduled_until = ?, started_at = ?, completed_at = ?, updated_at = ?, sequence = ?,
			body_html = CASE WHEN body = ? THEN body_html END,
			body_text = CASE WHEN body = ? THEN body_text END
		WHERE id = ?`,
		m.Title, m.Body, string(m.Status), m.ScheduledFor.UnixMilli(), m.ScheduledUntil.UnixMilli(),
		ms(m.StartedAt), ms(m.CompletedAt), m.UpdatedAt.UnixMilli(), m.Sequence, m.Body, m.Body, m.ID)
	if err != nil {
		return fmt.Errorf("save maintenance %d: %w", m.ID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("maintenance %d: %w", m.ID, ErrNotFound)
	}
	if r, ok, err := q.renderPending(ctx, maintenanceBodyColumns, m.ID); err != nil {
		return err
	} else if ok {
		m.Rendered = r
	}
	return q.replaceMaintenanceComponents(ctx, m)
}

func (q *Queries) replaceMaintenanceComponents(ctx context.Context, m *status.Maintenance) error {
	if _, err := q.exec(ctx, `DELETE FROM maintenance_components WHERE maintenance_id = ?`, m.ID); err != nil {
		return fmt.Errorf("clear maintenance components: %w", err)
	}
	for _, c := range m.Components {
		if _, err := q.exec(ctx, `INSERT INTO maintenance_components (maintenance_id, component_id) VALUES (?, ?)`,
			m.ID, c); err != nil {
			return fmt.Errorf("insert maintenance component %s: %w", c, err)
		}
	}
	return nil
}

// InsertMaintenanceUpdate stores an update and sets its ID.
func (q *Queries) InsertMaintenanceUpdate(ctx context.Context, u *status.MaintenanceUpdate) error {
	u.Rendered = render(u.Body)
	id, err := q.insertID(ctx, `INSERT INTO maintenance_updates (maintenance_id, status, body, body_html, body_text, created_at, display_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, u.MaintenanceID, string(u.Status), u.Body, string(u.Rendered.HTML), u.Rendered.Text,
		u.CreatedAt.UnixMilli(), u.DisplayAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("insert maintenance update: %w", err)
	}
	u.ID = id
	return nil
}

// Maintenance loads one window whole.
func (q *Queries) Maintenance(ctx context.Context, id int64) (*status.Maintenance, error) {
	list, err := q.loadMaintenances(ctx, `SELECT `+maintenanceColumns+` FROM maintenances WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("maintenance %d: %w", id, ErrNotFound)
	}
	return &list[0], nil
}

// Maintenances lists windows whole: upcoming ones soonest first, others newest first.
func (q *Queries) Maintenances(ctx context.Context, f MaintenanceFilter) ([]status.Maintenance, error) {
	query := `SELECT ` + maintenanceColumns + ` FROM maintenances`
	order := ` ORDER BY scheduled_for DESC, id DESC`
	var where []string
	switch f.State {
	case "":
	case "upcoming":
		where = append(where, `status = 'scheduled'`)
		order = ` ORDER BY scheduled_for, id`
	case "active":
		where = append(where, `status = 'in_progress'`)
		order = ` ORDER BY scheduled_for, id`
	case "pending":
		where = append(where, `status IN ('scheduled', 'in_progress')`)
		order = ` ORDER BY scheduled_for, id`
	case "past":
		where = append(where, `status IN ('completed', 'cancelled')`)
	default:
		return nil, fmt.Errorf("unknown maintenance state %q", f.State)
	}
	var args []any
	if f.SeriesID != 0 {
		where = append(where, `series_id = ?`)
		args = append(args, f.SeriesID)
	}
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += order
	if f.Limit > 0 {
		query += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	return q.loadMaintenances(ctx, query, args...)
}

// NextMaintenanceTransition returns the earliest time the clock owes any
// window a step, or the zero time when none is pending.
func (q *Queries) NextMaintenanceTransition(ctx context.Context) (time.Time, error) {
	var next sql.NullInt64
	err := q.queryRow(ctx, `SELECT MIN(CASE WHEN status = 'scheduled' THEN scheduled_for ELSE scheduled_until END)
		FROM maintenances WHERE status IN ('scheduled', 'in_progress')`).Scan(&next)
	if err != nil {
		return time.Time{}, fmt.Errorf("next maintenance transition: %w", err)
	}
	return fromMS(next), nil
}

func (q *Queries) loadMaintenances(ctx context.Context, query string, args ...any) ([]status.Maintenance, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list maintenance: %w", err)
	}
	var list []status.Maintenance
	err = eachRow(rows, func() error {
		var (
			m                              status.Maintenance
			st                             string
			start, until, created, updated int64
			started, completed             sql.NullInt64
			html, text                     sql.NullString
			series, occurrence             sql.NullInt64
		)
		if err := rows.Scan(&m.ID, &m.Title, &m.Body, &st, &start, &until, &started, &completed,
			&created, &updated, &m.Sequence, &html, &text, &series, &occurrence); err != nil {
			return err
		}
		m.SeriesID, m.Occurrence = series.Int64, fromMS(occurrence)
		m.Rendered = stored(m.Body, html, text)
		m.Status = status.MaintenanceStatus(st)
		m.ScheduledFor, m.ScheduledUntil = time.UnixMilli(start).UTC(), time.UnixMilli(until).UTC()
		m.StartedAt, m.CompletedAt = fromMS(started), fromMS(completed)
		m.CreatedAt, m.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
		list = append(list, m)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list maintenance: %w", err)
	}
	if len(list) == 0 {
		return nil, nil
	}
	index := make(map[int64]*status.Maintenance, len(list))
	ids := make([]int64, len(list))
	for i := range list {
		index[list[i].ID] = &list[i]
		ids[i] = list[i].ID
	}
	for _, chunk := range chunks(ids, 500) {
		if err := q.fillMaintenances(ctx, index, chunk); err != nil {
			return nil, err
		}
	}
	return list, nil
}

func (q *Queries) fillMaintenances(ctx context.Context, index map[int64]*status.Maintenance, ids []int64) error {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	in := placeholders(len(ids))
	rows, err := q.query(ctx, `SELECT mc.maintenance_id, mc.component_id FROM maintenance_components mc
		JOIN components c ON c.id = mc.component_id JOIN groups g ON g.id = c.group_id
		WHERE mc.maintenance_id IN (`+in+`) ORDER BY g.position, c.position, c.id`, args...)
	if err != nil {
		return fmt.Errorf("load maintenance components: %w", err)
	}
	err = eachRow(rows, func() error {
		var (
			id int64
			c  string
		)
		if err := rows.Scan(&id, &c); err != nil {
			return err
		}
		index[id].Components = append(index[id].Components, c)
		return nil
	})
	if err != nil {
		return fmt.Errorf("load maintenance components: %w", err)
	}
	rows, err = q.query(ctx, `SELECT id, maintenance_id, status, body, body_html, body_text, created_at, display_at FROM maintenance_updates
		WHERE maintenance_id IN (`+in+`) ORDER BY display_at DESC, id DESC`, args...)
	if err != nil {
		return fmt.Errorf("load maintenance updates: %w", err)
	}
	err = eachRow(rows, func() error {
		var (
			u                  status.MaintenanceUpdate
			st                 string
			created, displayAt int64
			html, text         sql.NullString
		)
		if err := rows.Scan(&u.ID, &u.MaintenanceID, &st, &u.Body, &html, &text, &created, &displayAt); err != nil {
			return err
		}
		u.Rendered = stored(u.Body, html, text)
		u.Status = status.MaintenanceStatus(st)
		u.CreatedAt, u.DisplayAt = time.UnixMilli(created).UTC(), time.UnixMilli(displayAt).UTC()
		index[u.MaintenanceID].Updates = append(index[u.MaintenanceID].Updates, u)
		return nil
	})
	if err != nil {
		return fmt.Errorf("load maintenance updates: %w", err)
	}
	return nil
}

// MoveMaintenance sets a window's status and times only if it is still in
// status from, and reports whether it was. Several Herald instances sharing one
// PostgreSQL database may run the clock at once; only one of them wins each step.
func (q *Queries) MoveMaintenance(ctx context.Context, m *status.Maintenance, from status.MaintenanceStatus) (bool, error) {
	res, err := q.exec(ctx, `UPDATE maintenances SET status = ?, started_at = ?, completed_at = ?, updated_at = ?
		WHERE id = ? AND status = ?`,
		string(m.Status), ms(m.StartedAt), ms(m.CompletedAt), m.UpdatedAt.UnixMilli(), m.ID, string(from))
	if err != nil {
		return false, fmt.Errorf("move maintenance %d: %w", m.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("move maintenance %d: %w", m.ID, err)
	}
	return n == 1, nil
}

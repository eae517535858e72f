package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// What the importers (internal/importer) ask before writing, so that an
// import run twice writes each record once: a record is the same when its
// natural key is (an incident's title and start, a window's title and
// start, an outage's monitor and start).

// HasIncident reports whether an incident with this title started at this moment.
func (q *Queries) HasIncident(ctx context.Context, title string, startedAt time.Time) (bool, error) {
	return q.exists(ctx, `SELECT 1 FROM incidents WHERE title = ? AND started_at = ?`, title, startedAt.UnixMilli())
}

// HasMaintenance reports whether a window with this title is scheduled from this moment.
func (q *Queries) HasMaintenance(ctx context.Context, title string, scheduledFor time.Time) (bool, error) {
	return q.exists(ctx, `SELECT 1 FROM maintenances WHERE title = ? AND scheduled_for = ?`, title, scheduledFor.UnixMilli())
}

// HasOutage reports whether the monitor has an outage starting at this moment.
func (q *Queries) HasOutage(ctx context.Context, monitorID string, startedAt time.Time) (bool, error) {
	return q.exists(ctx, `SELECT 1 FROM outages WHERE monitor_id = ? AND started_at = ?`, monitorID, startedAt.UnixMilli())
}

func (q *Queries) exists(ctx context.Context, query string, args ...any) (bool, error) {
	var one int
	switch err := q.queryRow(ctx, query+` LIMIT 1`, args...).Scan(&one); {
	case err == nil:
		return true, nil
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	default:
		return false, fmt.Errorf("look up: %w", err)
	}
}

// AddPastMonitor records a monitor that measured a component before Herald
// did (another tool's, whose history was imported), from its first check
// to its last: it is stored removed, as a monitor no longer configured, so
// that nothing runs it, while the component's uptime counts from its first
// check. Recorded again, it keeps the widest span.
func (q *Queries) AddPastMonitor(ctx context.Context, m Monitor) error {
	_, err := q.exec(ctx, `INSERT INTO monitors (id, component_id, kind, target, state, created_at, updated_at, removed_at)
		VALUES (?, ?, ?, ?, 'unknown', ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET
			created_at = CASE WHEN excluded.created_at < monitors.created_at THEN excluded.created_at ELSE monitors.created_at END,
			removed_at = CASE WHEN monitors.removed_at IS NULL OR excluded.removed_at > monitors.removed_at
				THEN excluded.removed_at ELSE monitors.removed_at END`,
		m.ID, m.ComponentID, m.Kind, m.Target, m.CreatedAt.UnixMilli(), m.RemovedAt.UnixMilli(), m.RemovedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("record monitor %s: %w", m.ID, err)
	}
	return nil
}

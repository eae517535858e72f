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

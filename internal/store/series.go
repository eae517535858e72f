package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/heraldhq/herald/internal/status"
)

const seriesColumns = `id, config_key, title, body, rrule, start_local, zone, duration_ms, ended_at, created_at, updated_at, sequence`

// InsertSeries stores a new maintenance series with its components and sets its ID.
func (q *Queries) InsertSeries(ctx context.Context, s *status.Series) error {
	var key any
	if s.Key != "" {
		key = s.Key
	}
	id, err := q.insertID(ctx, `INSERT INTO maintenance_series (config_key, title, body, rrule, start_local, zone,
			duration_ms, ended_at, created_at, updated_at, sequence)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		key, s.Title, s.Body, s.Rule, s.Start.Format(status.WallLayout), s.Zone, s.Duration.Milliseconds(),
		ms(s.EndedAt), s.CreatedAt.UnixMilli(), s.UpdatedAt.UnixMilli(), s.Sequence)
	if err != nil {
		return fmt.Errorf("insert maintenance series: %w", err)
	}
	s.ID = id
	for i, c := range s.Components {
		if _, err := q.exec(ctx, `INSERT INTO maintenance_series_components (series_id, component_id, position) VALUES (?, ?, ?)`,
			id, c, i); err != nil {
			return fmt.Errorf("insert maintenance series component %s: %w", c, err)
		}
	}
	return nil
}

// SaveSeries stores what may change of a series: its title and text, its
// end and its calendar sequence. The rule, start, zone, length and
// components of a series do not change; a different one is a new series.
func (q *Queries) SaveSeries(ctx context.Context, s *status.Series) error {
	res, err := q.exec(ctx, `UPDATE maintenance_series SET title = ?, body = ?, ended_at = ?, updated_at = ?, sequence = ?
		WHERE id = ?`, s.Title, s.Body, ms(s.EndedAt), s.UpdatedAt.UnixMilli(), s.Sequence, s.ID)
	if err != nil {
		return fmt.Errorf("save maintenance series %d: %w", s.ID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("maintenance series %d: %w", s.ID, ErrNotFound)
	}
	return nil
}

// LockSeries holds a series' row until the transaction ends (PostgreSQL;
// SQLite's transactions hold the whole database).
func (q *Queries) LockSeries(ctx context.Context, id int64) error {
	lock := ""
	if q.dialect == Postgres {
		lock = ` FOR UPDATE`
	}
	var got int64
	if err := q.queryRow(ctx, `SELECT id FROM maintenance_series WHERE id = ?`+lock, id).Scan(&got); err != nil {
		if err == sql.ErrNoRows {
			return fmt.Errorf("maintenance series %d: %w", id, ErrNotFound)
		}
		return fmt.Errorf("lock maintenance series %d: %w", id, err)
	}
	return nil
}

// OneSeries loads one series.
func (q *Queries) OneSeries(ctx context.Context, id int64) (*status.Series, error) {
	list, err := q.loadSeries(ctx, `SELECT `+seriesColumns+` FROM maintenance_series WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("maintenance series %d: %w", id, ErrNotFound)
	}
	return &list[0], nil
}

// AllSeries lists every series, newest first; running only keeps those not ended.
func (q *Queries) AllSeries(ctx context.Context, running bool) ([]status.Series, error) {
	query := `SELECT ` + seriesColumns + ` FROM maintenance_series`
	if running {
		query += ` WHERE ended_at IS NULL`
	}
	return q.loadSeries(ctx, query+` ORDER BY id DESC`)
}

func (q *Queries) loadSeries(ctx context.Context, query string, args ...any) ([]status.Series, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list maintenance series: %w", err)
	}
	var list []status.Series
	err = eachRow(rows, func() error {
		var (
			s                status.Series
			key              sql.NullString
			start            string
			dur              int64
			ended            sql.NullInt64
			created, updated int64
		)
		if err := rows.Scan(&s.ID, &key, &s.Title, &s.Body, &s.Rule, &start, &s.Zone, &dur, &ended,
			&created, &updated, &s.Sequence); err != nil {
			return err
		}
		t, err := time.Parse(status.WallLayout, start)
		if err != nil {
			return fmt.Errorf("series %d: start %q: %w", s.ID, start, err)
		}
		s.Key, s.Start, s.Duration = key.String, t, time.Duration(dur)*time.Millisecond
		s.EndedAt, s.CreatedAt, s.UpdatedAt = fromMS(ended), time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
		list = append(list, s)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list maintenance series: %w", err)
	}
	if len(list) == 0 {
		return nil, nil
	}
	index := make(map[int64]*status.Series, len(list))
	ids := make([]any, 0, len(list))
	for i := range list {
		index[list[i].ID] = &list[i]
		ids = append(ids, list[i].ID)
	}
	// Series are few (an operator's handful): one query for all.
	{
		rows, err := q.query(ctx, `SELECT series_id, component_id FROM maintenance_series_components
			WHERE series_id IN (`+placeholders(len(ids))+`) ORDER BY series_id, position`, ids...)
		if err != nil {
			return nil, fmt.Errorf("load maintenance series components: %w", err)
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
			return nil, fmt.Errorf("load maintenance series components: %w", err)
		}
	}
	return list, nil
}

// LastOccurrence is the latest occurrence start a series has a window for
// (cancelled ones included), or zero.
func (q *Queries) LastOccurrence(ctx context.Context, seriesID int64) (time.Time, error) {
	var last sql.NullInt64
	if err := q.queryRow(ctx, `SELECT MAX(occurrence) FROM maintenances WHERE series_id = ?`, seriesID).Scan(&last); err != nil {
		return time.Time{}, fmt.Errorf("last occurrence of series %d: %w", seriesID, err)
	}
	return fromMS(last), nil
}

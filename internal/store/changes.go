package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Change is one entry of the change log: who did what to which object, with
// the object as JSON before and after (either may be empty).
type Change struct {
	ID      int64
	At      time.Time
	Actor   string // "token:3", "user:alice", "herald" for the server's own clock
	Action  string // "incident.create", "maintenance.start", ...
	Subject string // "incident:12"
	Before  string
	After   string
}

// InsertChange appends to the change log.
func (q *Queries) InsertChange(ctx context.Context, c *Change) error {
	id, err := q.insertID(ctx, `INSERT INTO changes (at, actor, action, subject, before, after) VALUES (?, ?, ?, ?, ?, ?)`,
		c.At.UnixMilli(), c.Actor, c.Action, c.Subject, nullString(c.Before), nullString(c.After))
	if err != nil {
		return fmt.Errorf("insert change: %w", err)
	}
	c.ID = id
	return nil
}

// Changes lists the change log newest first, for one subject or for all when subject is "".
func (q *Queries) Changes(ctx context.Context, subject string, limit int) ([]Change, error) {
	query := `SELECT id, at, actor, action, subject, before, after FROM changes`
	var args []any
	if subject != "" {
		query += ` WHERE subject = ?`
		args = append(args, subject)
	}
	query += ` ORDER BY id DESC`
	if limit > 0 {
		query += fmt.Sprintf(` LIMIT %d`, limit)
	}
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list changes: %w", err)
	}
	var out []Change
	err = eachRow(rows, func() error {
		var (
			c             Change
			at            int64
			before, after sql.NullString
		)
		if err := rows.Scan(&c.ID, &at, &c.Actor, &c.Action, &c.Subject, &before, &after); err != nil {
			return err
		}
		c.At, c.Before, c.After = time.UnixMilli(at).UTC(), before.String, after.String
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list changes: %w", err)
	}
	return out, nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

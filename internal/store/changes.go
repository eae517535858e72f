package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
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

// InsertChange appends to the change log. On PostgreSQL it also signals
// the change on the ChangesChannel, in the same transaction, so the signal
// is delivered when (and only if) the change commits.
func (q *Queries) InsertChange(ctx context.Context, c *Change) error {
	id, err := q.insertID(ctx, `INSERT INTO changes (at, actor, action, subject, before, after) VALUES (?, ?, ?, ?, ?, ?)`,
		c.At.UnixMilli(), c.Actor, c.Action, c.Subject, nullString(c.Before), nullString(c.After))
	if err != nil {
		return fmt.Errorf("insert change: %w", err)
	}
	if q.dialect == Postgres {
		if _, err := q.exec(ctx, `SELECT pg_notify('`+ChangesChannel+`', ?)`, strconv.FormatInt(id, 10)); err != nil {
			return fmt.Errorf("signal change: %w", err)
		}
	}
	q.own.add(id)
	c.ID = id
	return nil
}

// ChangeRef names a change log entry and what it changed: enough to know
// what to read again.
type ChangeRef struct {
	ID      int64
	Action  string
	Subject string
}

// ChangesAfter lists the entries with an id above after, oldest first, at
// most limit of them.
func (q *Queries) ChangesAfter(ctx context.Context, after int64, limit int) ([]ChangeRef, error) {
	rows, err := q.queryPrepared(ctx, fmt.Sprintf(`SELECT id, action, subject FROM changes WHERE id > ? ORDER BY id LIMIT %d`, limit), after)
	if err != nil {
		return nil, fmt.Errorf("list changes: %w", err)
	}
	var out []ChangeRef
	err = eachRow(rows, func() error {
		var c ChangeRef
		if err := rows.Scan(&c.ID, &c.Action, &c.Subject); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list changes: %w", err)
	}
	return out, nil
}

// LastChangeID is the highest id in the change log, 0 when it is empty.
func (q *Queries) LastChangeID(ctx context.Context) (int64, error) {
	var id sql.NullInt64
	if err := q.queryRow(ctx, `SELECT MAX(id) FROM changes`).Scan(&id); err != nil {
		return 0, fmt.Errorf("last change: %w", err)
	}
	return id.Int64, nil
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

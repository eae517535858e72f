package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Group is a stored group of components (usually one server).
type Group struct {
	ID          string
	Name        string
	Description string
	Position    int
	CreatedAt   time.Time
	UpdatedAt   time.Time
	RemovedAt   time.Time // zero while the configuration names it
}

// Component is a stored component. Its status is never stored: it is derived.
type Component struct {
	ID          string // GROUP/ID
	GroupID     string
	Name        string
	Description string
	Position    int
	CreatedAt   time.Time
	UpdatedAt   time.Time
	RemovedAt   time.Time // zero while the configuration names it
}

// SyncCatalog makes the stored groups and components match the configuration:
// new ones are added, changed ones updated, and ones no longer configured are
// marked removed, never deleted, so their history stays.
func (q *Queries) SyncCatalog(ctx context.Context, groups []Group, components []Component, now time.Time) error {
	if err := q.SerializeSync(ctx, "catalog"); err != nil {
		return err
	}
	at := now.UnixMilli()
	keepG := make(map[string]bool, len(groups))
	for _, g := range groups {
		keepG[g.ID] = true
		_, err := q.exec(ctx, `INSERT INTO groups (id, name, description, position, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description,
				position = excluded.position, removed_at = NULL,
				updated_at = CASE WHEN groups.name = excluded.name AND groups.description = excluded.description
					AND groups.position = excluded.position AND groups.removed_at IS NULL
					THEN groups.updated_at ELSE excluded.updated_at END`,
			g.ID, g.Name, g.Description, g.Position, at, at)
		if err != nil {
			return fmt.Errorf("sync group %s: %w", g.ID, err)
		}
	}
	keepC := make(map[string]bool, len(components))
	for _, c := range components {
		keepC[c.ID] = true
		_, err := q.exec(ctx, `INSERT INTO components (id, group_id, name, description, position, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET group_id = excluded.group_id, name = excluded.name,
				description = excluded.description, position = excluded.position, removed_at = NULL,
				updated_at = CASE WHEN components.name = excluded.name AND components.description = excluded.description
					AND components.position = excluded.position AND components.removed_at IS NULL
					THEN components.updated_at ELSE excluded.updated_at END`,
			c.ID, c.GroupID, c.Name, c.Description, c.Position, at, at)
		if err != nil {
			return fmt.Errorf("sync component %s: %w", c.ID, err)
		}
	}
	stored, err := q.Components(ctx)
	if err != nil {
		return err
	}
	for _, c := range stored {
		if !keepC[c.ID] && c.RemovedAt.IsZero() {
			if _, err := q.exec(ctx, `UPDATE components SET removed_at = ?, updated_at = ? WHERE id = ?`, at, at, c.ID); err != nil {
				return fmt.Errorf("mark component %s removed: %w", c.ID, err)
			}
		}
	}
	storedG, err := q.Groups(ctx)
	if err != nil {
		return err
	}
	for _, g := range storedG {
		if !keepG[g.ID] && g.RemovedAt.IsZero() {
			if _, err := q.exec(ctx, `UPDATE groups SET removed_at = ?, updated_at = ? WHERE id = ?`, at, at, g.ID); err != nil {
				return fmt.Errorf("mark group %s removed: %w", g.ID, err)
			}
		}
	}
	return nil
}

// Groups lists every group ever configured, in page order, removed ones last.
func (q *Queries) Groups(ctx context.Context) ([]Group, error) {
	rows, err := q.query(ctx, `SELECT id, name, description, position, created_at, updated_at, removed_at
		FROM groups ORDER BY removed_at IS NOT NULL, position, id`)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	defer rows.Close()
	var out []Group
	for rows.Next() {
		var (
			g                Group
			created, updated int64
			removed          sql.NullInt64
		)
		if err := rows.Scan(&g.ID, &g.Name, &g.Description, &g.Position, &created, &updated, &removed); err != nil {
			return nil, fmt.Errorf("scan group: %w", err)
		}
		g.CreatedAt, g.UpdatedAt, g.RemovedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC(), fromMS(removed)
		out = append(out, g)
	}
	return out, rows.Err()
}

// Components lists every component ever configured, in page order, removed ones last.
func (q *Queries) Components(ctx context.Context) ([]Component, error) {
	rows, err := q.query(ctx, `SELECT c.id, c.group_id, c.name, c.description, c.position, c.created_at, c.updated_at, c.removed_at
		FROM components c JOIN groups g ON g.id = c.group_id
		ORDER BY c.removed_at IS NOT NULL, g.position, c.position, c.id`)
	if err != nil {
		return nil, fmt.Errorf("list components: %w", err)
	}
	defer rows.Close()
	var out []Component
	for rows.Next() {
		var (
			c                Component
			created, updated int64
			removed          sql.NullInt64
		)
		if err := rows.Scan(&c.ID, &c.GroupID, &c.Name, &c.Description, &c.Position, &created, &updated, &removed); err != nil {
			return nil, fmt.Errorf("scan component: %w", err)
		}
		c.CreatedAt, c.UpdatedAt, c.RemovedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC(), fromMS(removed)
		out = append(out, c)
	}
	return out, rows.Err()
}

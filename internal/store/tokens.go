package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Token is a stored API token. Only its hash is kept.
type Token struct {
	ID         int64
	Name       string
	Scope      string // read, write or agent
	Location   string // an agent token's location
	Hash       string
	CreatedAt  time.Time
	LastUsedAt time.Time
	RevokedAt  time.Time
}

// InsertToken stores a token and sets its ID.
func (q *Queries) InsertToken(ctx context.Context, t *Token) error {
	id, err := q.insertID(ctx, `INSERT INTO api_tokens (name, scope, location, hash, created_at) VALUES (?, ?, ?, ?, ?)`,
		t.Name, t.Scope, t.Location, t.Hash, t.CreatedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("insert token: %w", err)
	}
	t.ID = id
	return nil
}

// TokenByHash finds a token that has not been revoked.
func (q *Queries) TokenByHash(ctx context.Context, hash string) (*Token, error) {
	var (
		t                 Token
		created           int64
		lastUsed, revoked sql.NullInt64
	)
	err := q.queryRow(ctx, `SELECT id, name, scope, location, hash, created_at, last_used_at, revoked_at FROM api_tokens
		WHERE hash = ? AND revoked_at IS NULL`, hash).Scan(&t.ID, &t.Name, &t.Scope, &t.Location, &t.Hash, &created, &lastUsed, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("token: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find token: %w", err)
	}
	t.CreatedAt, t.LastUsedAt, t.RevokedAt = time.UnixMilli(created).UTC(), fromMS(lastUsed), fromMS(revoked)
	return &t, nil
}

// TouchToken records when a token was last used.
func (q *Queries) TouchToken(ctx context.Context, id int64, at time.Time) error {
	if _, err := q.exec(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, at.UnixMilli(), id); err != nil {
		return fmt.Errorf("touch token: %w", err)
	}
	return nil
}

// Tokens lists every token, revoked ones included.
func (q *Queries) Tokens(ctx context.Context) ([]Token, error) {
	rows, err := q.query(ctx, `SELECT id, name, scope, location, hash, created_at, last_used_at, revoked_at FROM api_tokens ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	var out []Token
	err = eachRow(rows, func() error {
		var (
			t                 Token
			created           int64
			lastUsed, revoked sql.NullInt64
		)
		if err := rows.Scan(&t.ID, &t.Name, &t.Scope, &t.Location, &t.Hash, &created, &lastUsed, &revoked); err != nil {
			return err
		}
		t.CreatedAt, t.LastUsedAt, t.RevokedAt = time.UnixMilli(created).UTC(), fromMS(lastUsed), fromMS(revoked)
		out = append(out, t)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// RevokeToken revokes a token; revoking one twice is an ErrNotFound.
func (q *Queries) RevokeToken(ctx context.Context, id int64, at time.Time) error {
	res, err := q.exec(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, at.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("token %d (or it is already revoked): %w", id, ErrNotFound)
	}
	return nil
}

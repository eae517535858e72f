package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// The token is the job's credential: only a hash of it is stored.
func tokenKey(token string) string {
	h := sha256.Sum256([]byte("herald heartbeat " + token))
	return hex.EncodeToString(h[:])
}

// SaveBeat records a ping of the heartbeat with this token at at; an older
// ping (a delayed request) does not move it back.
func (q *Queries) SaveBeat(ctx context.Context, token string, at time.Time) error {
	if _, err := q.exec(ctx, `INSERT INTO heartbeats (token_hash, last_at) VALUES (?, ?)
		ON CONFLICT (token_hash) DO UPDATE SET last_at = excluded.last_at WHERE heartbeats.last_at < excluded.last_at`,
		tokenKey(token), at.UnixMilli()); err != nil {
		return fmt.Errorf("save heartbeat: %w", err)
	}
	return nil
}

// LastBeat is the last recorded ping of the heartbeat with this token; false
// when none is recorded.
func (q *Queries) LastBeat(ctx context.Context, token string) (time.Time, bool, error) {
	var at int64
	err := q.queryRow(ctx, `SELECT last_at FROM heartbeats WHERE token_hash = ?`, tokenKey(token)).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read heartbeat: %w", err)
	}
	return time.UnixMilli(at).UTC(), true, nil
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Session is a signed-in browser. Hash is the SHA-256 of the cookie value:
// a copy of the database lets no one sign in.
type Session struct {
	Hash       string
	UserID     int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	Address    string
	UserAgent  string
}

// InsertSession stores a new session.
func (q *Queries) InsertSession(ctx context.Context, s *Session) error {
	_, err := q.exec(ctx, `INSERT INTO sessions (hash, user_id, created_at, last_seen_at, expires_at, address, user_agent)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, s.Hash, s.UserID, s.CreatedAt.UnixMilli(), s.LastSeenAt.UnixMilli(),
		s.ExpiresAt.UnixMilli(), s.Address, s.UserAgent)
	if err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	return nil
}

// SessionByHash finds a session that has not expired at now, with its user.
func (q *Queries) SessionByHash(ctx context.Context, hash string, now time.Time) (*Session, *User, error) {
	var (
		s                     Session
		created, seen, expire int64
	)
	row := q.queryRow(ctx, `SELECT s.hash, s.user_id, s.created_at, s.last_seen_at, s.expires_at, s.address, s.user_agent,
		u.id, u.name, u.role, u.password_hash, u.created_at, u.updated_at, u.disabled_at, u.last_login_at,
		u.totp_secret, u.totp_step, u.sso_issuer, u.sso_subject
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.hash = ? AND s.expires_at > ?`, hash, now.UnixMilli())
	var (
		u                 User
		uc, uu            int64
		disabled, lastLog sql.NullInt64
	)
	err := row.Scan(&s.Hash, &s.UserID, &created, &seen, &expire, &s.Address, &s.UserAgent,
		&u.ID, &u.Name, &u.Role, &u.PasswordHash, &uc, &uu, &disabled, &lastLog,
		&u.TOTPSecret, &u.TOTPStep, &u.SSOIssuer, &u.SSOSubject)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("session: %w", ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("find session: %w", err)
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = time.UnixMilli(created).UTC(), time.UnixMilli(seen).UTC(), time.UnixMilli(expire).UTC()
	u.CreatedAt, u.UpdatedAt = time.UnixMilli(uc).UTC(), time.UnixMilli(uu).UTC()
	u.DisabledAt, u.LastLoginAt = fromMS(disabled), fromMS(lastLog)
	return &s, &u, nil
}

// TouchSession records activity and moves the session's expiry.
func (q *Queries) TouchSession(ctx context.Context, hash string, seen, expires time.Time) error {
	if _, err := q.exec(ctx, `UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE hash = ?`,
		seen.UnixMilli(), expires.UnixMilli(), hash); err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// DeleteSession ends one session; ending one that is gone is no error.
func (q *Queries) DeleteSession(ctx context.Context, hash string) error {
	if _, err := q.exec(ctx, `DELETE FROM sessions WHERE hash = ?`, hash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions ends every session of a user and returns how many there were.
func (q *Queries) DeleteUserSessions(ctx context.Context, userID int64) (int64, error) {
	res, err := q.exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
	if err != nil {
		return 0, fmt.Errorf("delete sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// DeleteExpiredSessions removes sessions expired at now and returns how many.
func (q *Queries) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := q.exec(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, now.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// CountSessions counts a user's live sessions at now.
func (q *Queries) CountSessions(ctx context.Context, userID int64, now time.Time) (int, error) {
	var n int
	if err := q.queryRow(ctx, `SELECT COUNT(*) FROM sessions WHERE user_id = ? AND expires_at > ?`, userID, now.UnixMilli()).Scan(&n); err != nil {
		return 0, fmt.Errorf("count sessions: %w", err)
	}
	return n, nil
}

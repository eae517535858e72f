package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// RecoveryCode is one of a user's one-time codes, kept as an argon2id hash;
// Lookup is its first characters, to find its row.
type RecoveryCode struct {
	ID     int64
	Lookup string
	Hash   string
}

// ReplaceRecoveryCodes drops a user's recovery codes and stores these instead.
func (q *Queries) ReplaceRecoveryCodes(ctx context.Context, userID int64, codes []RecoveryCode) error {
	if err := q.DeleteRecoveryCodes(ctx, userID); err != nil {
		return err
	}
	for _, c := range codes {
		if _, err := q.exec(ctx, `INSERT INTO recovery_codes (user_id, lookup, hash) VALUES (?, ?, ?)`, userID, c.Lookup, c.Hash); err != nil {
			return fmt.Errorf("insert recovery code: %w", err)
		}
	}
	return nil
}

// DeleteRecoveryCodes drops every recovery code of a user.
func (q *Queries) DeleteRecoveryCodes(ctx context.Context, userID int64) error {
	if _, err := q.exec(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("delete recovery codes: %w", err)
	}
	return nil
}

// UnusedRecoveryCodes lists a user's unused codes with this lookup.
func (q *Queries) UnusedRecoveryCodes(ctx context.Context, userID int64, lookup string) ([]RecoveryCode, error) {
	rows, err := q.query(ctx, `SELECT id, lookup, hash FROM recovery_codes WHERE user_id = ? AND lookup = ? AND used_at IS NULL ORDER BY id`, userID, lookup)
	if err != nil {
		return nil, fmt.Errorf("list recovery codes: %w", err)
	}
	var out []RecoveryCode
	err = eachRow(rows, func() error {
		var c RecoveryCode
		if err := rows.Scan(&c.ID, &c.Lookup, &c.Hash); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list recovery codes: %w", err)
	}
	return out, nil
}

// UseRecoveryCode marks a code used at now; it reports false if it was used
// already (by a sign-in racing this one).
func (q *Queries) UseRecoveryCode(ctx context.Context, id int64, now time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE recovery_codes SET used_at = ? WHERE id = ? AND used_at IS NULL`, now.UnixMilli(), id)
	if err != nil {
		return false, fmt.Errorf("use recovery code: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("use recovery code: %w", err)
	}
	return n == 1, nil
}

// CountRecoveryCodes counts a user's unused recovery codes.
func (q *Queries) CountRecoveryCodes(ctx context.Context, userID int64) (int, error) {
	var n int
	if err := q.queryRow(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL`, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count recovery codes: %w", err)
	}
	return n, nil
}

// InsertTOTPChallenge stores a sign-in waiting for its second factor, by
// the hash of its cookie value.
func (q *Queries) InsertTOTPChallenge(ctx context.Context, hash string, userID int64, expires time.Time) error {
	if _, err := q.exec(ctx, `INSERT INTO totp_challenges (hash, user_id, expires_at) VALUES (?, ?, ?)`, hash, userID, expires.UnixMilli()); err != nil {
		return fmt.Errorf("insert challenge: %w", err)
	}
	return nil
}

// TOTPChallenge finds the user of a challenge that has not expired at now.
func (q *Queries) TOTPChallenge(ctx context.Context, hash string, now time.Time) (int64, error) {
	var id int64
	err := q.queryRow(ctx, `SELECT user_id FROM totp_challenges WHERE hash = ? AND expires_at > ?`, hash, now.UnixMilli()).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("challenge: %w", ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("find challenge: %w", err)
	}
	return id, nil
}

// DeleteTOTPChallenge ends a challenge; expired ones go too.
func (q *Queries) DeleteTOTPChallenge(ctx context.Context, hash string, now time.Time) error {
	if _, err := q.exec(ctx, `DELETE FROM totp_challenges WHERE hash = ? OR expires_at <= ?`, hash, now.UnixMilli()); err != nil {
		return fmt.Errorf("delete challenge: %w", err)
	}
	return nil
}

// DeleteExpiredTOTPChallenges removes sign-ins that waited too long for their code.
func (q *Queries) DeleteExpiredTOTPChallenges(ctx context.Context, now time.Time) error {
	if _, err := q.exec(ctx, `DELETE FROM totp_challenges WHERE expires_at <= ?`, now.UnixMilli()); err != nil {
		return fmt.Errorf("delete expired challenges: %w", err)
	}
	return nil
}

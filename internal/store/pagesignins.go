package store

import (
	"context"
	"fmt"
	"time"
)

// UseSignIn records the use of a private page's one-time sign-in link and
// reports whether this was its first: a nonce is accepted once, however
// many instances share the database. Nonces of links expired before now
// are forgotten on the way.
func (q *Queries) UseSignIn(ctx context.Context, nonce string, expires, now time.Time) (bool, error) {
	if _, err := q.exec(ctx, `DELETE FROM page_sign_ins WHERE expires_at < ?`, now.UnixMilli()); err != nil {
		return false, fmt.Errorf("forget sign-in links: %w", err)
	}
	res, err := q.exec(ctx, `INSERT INTO page_sign_ins (nonce, expires_at) VALUES (?, ?) ON CONFLICT (nonce) DO NOTHING`,
		nonce, expires.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("use sign-in link: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("use sign-in link: %w", err)
	}
	return n == 1, nil
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrLeaseLost is returned when an instance acts on a lease it no longer holds.
var ErrLeaseLost = errors.New("lease lost")

// Lease is one instance's hold on a named piece of work.
type Lease struct {
	Name, Holder string
	// Term counts hand-overs: each new holder gets the next one.
	Term      int64
	ExpiresAt time.Time
}

// AcquireLease takes the named lease for holder until now+ttl when it is free
// (never taken, released or expired), with the next term. It returns the
// lease and whether holder has it; a lease held by someone else is returned
// with ok false.
func (q *Queries) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (Lease, bool, error) {
	until := now.Add(ttl)
	_, err := q.exec(ctx, `INSERT INTO leases (name, holder, term, expires_at) VALUES (?, ?, 1, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, term = leases.term + 1, expires_at = excluded.expires_at
		WHERE leases.expires_at <= ?`, name, holder, until.UnixMilli(), now.UnixMilli())
	if err != nil {
		return Lease{}, false, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	l, err := q.readLease(ctx, name)
	if err != nil {
		return Lease{}, false, err
	}
	return l, l.Holder == holder && l.ExpiresAt.After(now), nil
}

// RenewLease extends holder's lease of the given term to now+ttl. It fails
// with ErrLeaseLost when the lease expired or changed hands: a holder that
// was paused longer than its lease must acquire it again, with a new term.
func (q *Queries) RenewLease(ctx context.Context, l Lease, now time.Time, ttl time.Duration) (Lease, error) {
	res, err := q.exec(ctx, `UPDATE leases SET expires_at = ? WHERE name = ? AND holder = ? AND term = ? AND expires_at > ?`,
		now.Add(ttl).UnixMilli(), l.Name, l.Holder, l.Term, now.UnixMilli())
	if err != nil {
		return l, fmt.Errorf("renew lease %s: %w", l.Name, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return l, fmt.Errorf("renew lease %s (term %d): %w", l.Name, l.Term, ErrLeaseLost)
	}
	l.ExpiresAt = time.UnixMilli(now.Add(ttl).UnixMilli()).UTC()
	return l, nil
}

// LeasesChannel is the PostgreSQL notification channel a released lease is
// signalled on, with its name as the payload: an instance waiting for the
// lease takes it at once instead of when it would have expired.
const LeasesChannel = "herald_leases"

// ReleaseLease gives the lease up at once (a clean stop), so another instance
// can take it without waiting for it to expire. On PostgreSQL the release
// is signalled on LeasesChannel in the same transaction.
func (s *Store) ReleaseLease(ctx context.Context, l Lease) error {
	return s.ReleaseLeases(ctx, []Lease{l})
}

// ReleaseLeases gives several leases up in one transaction, each signalled.
func (s *Store) ReleaseLeases(ctx context.Context, ls []Lease) error {
	if len(ls) == 0 {
		return nil
	}
	return s.Tx(ctx, func(q *Queries) error {
		for _, l := range ls {
			if _, err := q.exec(ctx, `UPDATE leases SET expires_at = 0 WHERE name = ? AND holder = ? AND term = ?`, l.Name, l.Holder, l.Term); err != nil {
				return fmt.Errorf("release lease %s: %w", l.Name, err)
			}
			if q.dialect == Postgres {
				if _, err := q.exec(ctx, `SELECT pg_notify('`+LeasesChannel+`', ?)`, l.Name); err != nil {
					return fmt.Errorf("signal the release of lease %s: %w", l.Name, err)
				}
			}
		}
		return nil
	})
}

// CheckLease, inside a transaction, confirms that l is still held at now and
// keeps it from changing hands until the transaction ends (a row lock on
// PostgreSQL; SQLite's transactions hold the write lock already). Work that
// must run once checks its lease in the transaction that writes its results,
// so a holder that lost the lease while paused writes nothing.
func (q *Queries) CheckLease(ctx context.Context, l Lease, now time.Time) error {
	lock := ""
	if q.dialect == Postgres && q.tx != nil {
		lock = " FOR SHARE"
	}
	var one int
	err := q.queryRow(ctx, `SELECT 1 FROM leases WHERE name = ? AND holder = ? AND term = ? AND expires_at > ?`+lock,
		l.Name, l.Holder, l.Term, now.UnixMilli()).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("lease %s (term %d): %w", l.Name, l.Term, ErrLeaseLost)
	}
	if err != nil {
		return fmt.Errorf("check lease %s: %w", l.Name, err)
	}
	return nil
}

func (q *Queries) readLease(ctx context.Context, name string) (Lease, error) {
	l := Lease{Name: name}
	var until int64
	if err := q.queryRow(ctx, `SELECT holder, term, expires_at FROM leases WHERE name = ?`, name).Scan(&l.Holder, &l.Term, &until); err != nil {
		return Lease{}, fmt.Errorf("read lease %s: %w", name, err)
	}
	l.ExpiresAt = time.UnixMilli(until).UTC()
	return l, nil
}

// SerializeSync makes the transaction q runs in wait for any other
// transaction that took the same name, until it ends (PostgreSQL's
// transaction-level advisory lock). Instances started together all sync the
// configuration (catalog, monitors, alert channels) at once; each reads what
// is stored and writes what differs, and without this two would insert the
// same row. SQLite's transactions are serialized already.
func (q *Queries) SerializeSync(ctx context.Context, name string) error {
	if q.dialect != Postgres || q.tx == nil {
		return nil
	}
	if _, err := q.exec(ctx, `SELECT pg_advisory_xact_lock(hashtext(?))`, "herald sync "+name); err != nil {
		return fmt.Errorf("wait for other instances' %s: %w", name, err)
	}
	return nil
}

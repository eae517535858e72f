package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Probe work is split in shards, each a lease named "shard:N" in the leases
// table, taken by live instances; each instance says it is alive with a
// lease of its own, "instance:HOLDER", so the others know how many share the
// work. PostgreSQL only: on SQLite one process runs every monitor.

// ShardLease names shard n's lease.
func ShardLease(n int) string { return fmt.Sprintf("shard:%d", n) }

// shardOf reads a shard's number back from its lease's name.
func shardOf(name string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimPrefix(name, "shard:"))
	return n, err == nil && strings.HasPrefix(name, "shard:")
}

const instancePrefix = "instance:"

// EnsureShards makes the leases of shards 0..n-1 exist, free.
func (q *Queries) EnsureShards(ctx context.Context, n int) error {
	for i := range n {
		if _, err := q.exec(ctx, `INSERT INTO leases (name, holder, term, expires_at) VALUES (?, '', 0, 0) ON CONFLICT (name) DO NOTHING`,
			ShardLease(i)); err != nil {
			return fmt.Errorf("make shard %d: %w", i, err)
		}
	}
	return nil
}

// AliveAs says holder is alive until now+ttl, and returns how many instances
// are alive now, itself included. Instances silent for an hour are forgotten.
func (s *Store) AliveAs(ctx context.Context, holder string, now time.Time, ttl time.Duration) (int, error) {
	var live int
	err := s.Tx(ctx, func(q *Queries) error {
		if _, err := q.exec(ctx, `INSERT INTO leases (name, holder, term, expires_at) VALUES (?, ?, 1, ?)
			ON CONFLICT (name) DO UPDATE SET expires_at = excluded.expires_at`, instancePrefix+holder, holder, now.Add(ttl).UnixMilli()); err != nil {
			return fmt.Errorf("say this instance is alive: %w", err)
		}
		if _, err := q.exec(ctx, `DELETE FROM leases WHERE name LIKE 'instance:%' AND expires_at < ?`, now.Add(-time.Hour).UnixMilli()); err != nil {
			return fmt.Errorf("forget stopped instances: %w", err)
		}
		return q.queryRow(ctx, `SELECT COUNT(*) FROM leases WHERE name LIKE 'instance:%' AND expires_at > ?`, now.UnixMilli()).Scan(&live)
	})
	return live, err
}

// RenewShards extends every shard lease holder still has (not expired) to
// now+ttl and returns them by shard, with their terms.
func (q *Queries) RenewShards(ctx context.Context, holder string, now time.Time, ttl time.Duration) (map[int]Lease, error) {
	rows, err := q.query(ctx, `UPDATE leases SET expires_at = ? WHERE holder = ? AND name LIKE 'shard:%' AND expires_at > ? RETURNING name, term, expires_at`,
		now.Add(ttl).UnixMilli(), holder, now.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("renew shards: %w", err)
	}
	return scanShards(rows, holder)
}

// ClaimShards takes up to k free shards (never taken, released or expired)
// for holder until now+ttl, each with its next term. Shards another
// transaction holds locked are skipped, not waited for.
func (s *Store) ClaimShards(ctx context.Context, holder string, k int, now time.Time, ttl time.Duration) (map[int]Lease, error) {
	out := map[int]Lease{}
	if k <= 0 {
		return out, nil
	}
	err := s.Tx(ctx, func(q *Queries) error {
		rows, err := q.query(ctx, fmt.Sprintf(`SELECT name FROM leases WHERE name LIKE 'shard:%%' AND expires_at <= ?
			ORDER BY expires_at, name LIMIT %d FOR UPDATE SKIP LOCKED`, k), now.UnixMilli())
		if err != nil {
			return fmt.Errorf("find free shards: %w", err)
		}
		var names []string
		if err := eachRow(rows, func() error {
			var n string
			if err := rows.Scan(&n); err != nil {
				return err
			}
			names = append(names, n)
			return nil
		}); err != nil {
			return fmt.Errorf("find free shards: %w", err)
		}
		for _, name := range names {
			rows, err := q.query(ctx, `UPDATE leases SET holder = ?, term = term + 1, expires_at = ? WHERE name = ? RETURNING name, term, expires_at`,
				holder, now.Add(ttl).UnixMilli(), name)
			if err != nil {
				return fmt.Errorf("claim %s: %w", name, err)
			}
			got, err := scanShards(rows, holder)
			if err != nil {
				return err
			}
			for n, l := range got {
				out[n] = l
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// HeldShards lists, inside a transaction, the shards holder holds at now,
// and keeps them from changing hands until the transaction ends: work done
// for a shard is written only in a transaction that found it held.
func (q *Queries) HeldShards(ctx context.Context, holder string, now time.Time) (map[int]bool, error) {
	lock := ""
	if q.tx != nil {
		lock = " FOR SHARE"
	}
	rows, err := q.query(ctx, `SELECT name FROM leases WHERE holder = ? AND name LIKE 'shard:%' AND expires_at > ? ORDER BY name`+lock,
		holder, now.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("check shards: %w", err)
	}
	out := map[int]bool{}
	err = eachRow(rows, func() error {
		var name string
		if err := rows.Scan(&name); err != nil {
			return err
		}
		if n, ok := shardOf(name); ok {
			out[n] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("check shards: %w", err)
	}
	return out, nil
}

func scanShards(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
	Close() error
}, holder string) (map[int]Lease, error) {
	defer rows.Close()
	out := map[int]Lease{}
	for rows.Next() {
		var (
			l     = Lease{Holder: holder}
			until int64
		)
		if err := rows.Scan(&l.Name, &l.Term, &until); err != nil {
			return nil, fmt.Errorf("read shard: %w", err)
		}
		l.ExpiresAt = time.UnixMilli(until).UTC()
		if n, ok := shardOf(l.Name); ok {
			out[n] = l
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read shards: %w", err)
	}
	return out, nil
}

// Stopped says holder stopped: the others need not count it any more.
func (s *Store) Stopped(ctx context.Context, holder string) error {
	return s.ReleaseLeases(ctx, []Lease{{Name: instancePrefix + holder, Holder: holder, Term: 1}})
}

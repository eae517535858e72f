package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Customer maps a customer's domain to the group (server) hosting it.
type Customer struct {
	Domain    string
	GroupID   string
	UpdatedAt time.Time
}

// UpsertCustomers stores customers, replacing the group of domains already
// known, in multi-row statements. Run it in a transaction for speed; it is
// idempotent, so an import can simply be run again.
func (q *Queries) UpsertCustomers(ctx context.Context, cs []Customer) error {
	const batch = 500 // 1,500 parameters a statement: under both databases' limits
	for len(cs) > 0 {
		n := min(batch, len(cs))
		part := cs[:n]
		cs = cs[n:]
		var b strings.Builder
		b.Grow(40 + n*12)
		b.WriteString(`INSERT INTO customers (domain, group_id, updated_at) VALUES `)
		args := make([]any, 0, n*3)
		for i, c := range part {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?)")
			args = append(args, c.Domain, c.GroupID, c.UpdatedAt.UnixMilli())
		}
		b.WriteString(` ON CONFLICT (domain) DO UPDATE SET group_id = excluded.group_id, updated_at = excluded.updated_at`)
		if _, err := q.exec(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("store customers: %w", err)
		}
	}
	return nil
}

// CustomerByDomain finds the customer with exactly this domain.
func (q *Queries) CustomerByDomain(ctx context.Context, domain string) (*Customer, error) {
	var (
		c  Customer
		at int64
	)
	err := q.queryRow(ctx, `SELECT domain, group_id, updated_at FROM customers WHERE domain = ?`, domain).Scan(&c.Domain, &c.GroupID, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("customer: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find customer: %w", err)
	}
	c.UpdatedAt = time.UnixMilli(at).UTC()
	return &c, nil
}

// FirstCustomer finds the first of several candidate domains that is known,
// trying them in order (the most specific first).
func (q *Queries) FirstCustomer(ctx context.Context, domains []string) (*Customer, error) {
	if len(domains) == 0 {
		return nil, fmt.Errorf("customer: %w", ErrNotFound)
	}
	args := make([]any, len(domains))
	for i, d := range domains {
		args[i] = d
	}
	rows, err := q.query(ctx, `SELECT domain, group_id, updated_at FROM customers WHERE domain IN (`+placeholders(len(domains))+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("find customer: %w", err)
	}
	found := map[string]Customer{}
	err = eachRow(rows, func() error {
		var (
			c  Customer
			at int64
		)
		if err := rows.Scan(&c.Domain, &c.GroupID, &at); err != nil {
			return err
		}
		c.UpdatedAt = time.UnixMilli(at).UTC()
		found[c.Domain] = c
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find customer: %w", err)
	}
	for _, d := range domains {
		if c, ok := found[d]; ok {
			return &c, nil
		}
	}
	return nil, fmt.Errorf("customer: %w", ErrNotFound)
}

// DeleteCustomer removes one customer by exact domain.
func (q *Queries) DeleteCustomer(ctx context.Context, domain string) error {
	res, err := q.exec(ctx, `DELETE FROM customers WHERE domain = ?`, domain)
	if err != nil {
		return fmt.Errorf("delete customer: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("customer: %w", ErrNotFound)
	}
	return nil
}

// CountCustomers tells how many customers are stored (a count, never a list).
func (q *Queries) CountCustomers(ctx context.Context) (int64, error) {
	var n int64
	if err := q.queryRow(ctx, `SELECT COUNT(*) FROM customers`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count customers: %w", err)
	}
	return n, nil
}

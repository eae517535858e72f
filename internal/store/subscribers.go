package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Subscriber kinds.
const (
	SubEmail   = "email"
	SubWebhook = "webhook"
	SubSlack   = "slack"
	SubDiscord = "discord"
	// The alert tools (internal/notify's tools.go says each one's address).
	SubTeams     = "teams"
	SubTelegram  = "telegram"
	SubNtfy      = "ntfy"
	SubGotify    = "gotify"
	SubMatrix    = "matrix"
	SubPagerDuty = "pagerduty"
)

// Subscriber is someone (or something) told about incidents and maintenance.
type Subscriber struct {
	ID      int64
	Kind    string // email, webhook, slack, discord or an alert tool
	Address string // an e-mail address or a URL
	// Secret signs webhook bodies; empty for e-mail.
	Secret string
	// All is set for a subscription to everything; otherwise Components lists
	// what it covers (component ids; a group is stored as its components).
	All        bool
	Components []string
	// Operator marks an alert channel from the configuration, apart from customers.
	Operator bool
	// Page is the id of the entry of pages: the subscription was made on,
	// "" for page:. Its messages lead there and carry that page's title.
	Page string
	// Group is the server (a group id) a subscription made on a private
	// page by a visitor limited to it is limited to, "" for none; it
	// hears of that server alone.
	Group string
	// Customer is the customer domain whose e-mail sign-in made the
	// subscription, "" for none: it hears only while that domain is a
	// customer of Group.
	Customer       string
	ConfirmedAt    time.Time
	UnsubscribedAt time.Time
	ConfirmSentAt  time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Active reports whether the subscriber receives notifications.
func (s *Subscriber) Active() bool { return !s.ConfirmedAt.IsZero() && s.UnsubscribedAt.IsZero() }

// AddressKey is how addresses are compared: e-mail addresses case-insensitively.
func AddressKey(kind, address string) string {
	if kind == SubEmail {
		return strings.ToLower(strings.TrimSpace(address))
	}
	return strings.TrimSpace(address)
}

const subscriberCols = `id, kind, address, secret, all_components, operator, page, group_id, customer_domain, confirmed_at, unsubscribed_at, confirm_sent_at, created_at, updated_at`

func scanSubscriber(sc interface{ Scan(...any) error }) (*Subscriber, error) {
	var (
		s                                Subscriber
		confirmed, unsubscribed, confirm sql.NullInt64
		created, updated                 int64
	)
	if err := sc.Scan(&s.ID, &s.Kind, &s.Address, &s.Secret, &s.All, &s.Operator, &s.Page, &s.Group, &s.Customer, &confirmed, &unsubscribed, &confirm, &created, &updated); err != nil {
		return nil, err
	}
	s.ConfirmedAt, s.UnsubscribedAt, s.ConfirmSentAt = fromMS(confirmed), fromMS(unsubscribed), fromMS(confirm)
	s.CreatedAt, s.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return &s, nil
}

// InsertSubscriber stores a new subscriber with its components and sets its ID.
func (q *Queries) InsertSubscriber(ctx context.Context, s *Subscriber) error {
	id, err := q.insertID(ctx, `INSERT INTO subscribers (kind, address, address_key, secret, all_components, operator, page,
		group_id, customer_domain, confirmed_at, unsubscribed_at, confirm_sent_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.Kind, s.Address, AddressKey(s.Kind, s.Address), s.Secret, s.All, s.Operator, s.Page, s.Group, s.Customer, ms(s.ConfirmedAt), ms(s.UnsubscribedAt),
		ms(s.ConfirmSentAt), s.CreatedAt.UnixMilli(), s.CreatedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("insert subscriber: %w", err)
	}
	s.ID, s.UpdatedAt = id, s.CreatedAt
	return q.setSubscriberComponents(ctx, id, s.Components)
}

func (q *Queries) setSubscriberComponents(ctx context.Context, id int64, comps []string) error {
	if _, err := q.exec(ctx, `DELETE FROM subscriber_components WHERE subscriber_id = ?`, id); err != nil {
		return fmt.Errorf("clear subscriber components: %w", err)
	}
	for _, c := range comps {
		if _, err := q.exec(ctx, `INSERT INTO subscriber_components (subscriber_id, component_id) VALUES (?, ?)
			ON CONFLICT (subscriber_id, component_id) DO NOTHING`, id, c); err != nil {
			return fmt.Errorf("insert subscriber component: %w", err)
		}
	}
	return nil
}

// Subscriber reads one subscriber with its components.
func (q *Queries) Subscriber(ctx context.Context, id int64) (*Subscriber, error) {
	s, err := scanSubscriber(q.queryRow(ctx, `SELECT `+subscriberCols+` FROM subscribers WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("subscriber %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read subscriber: %w", err)
	}
	return s, q.loadSubscriberComponents(ctx, []*Subscriber{s})
}

// SubscriberByAddress finds a customer subscriber (not an operator channel)
// of page: by kind and address.
func (q *Queries) SubscriberByAddress(ctx context.Context, kind, address string) (*Subscriber, error) {
	return q.SubscriberOnPage(ctx, kind, address, "")
}

// SubscriberOnPage finds a customer subscriber by kind and address among
// the subscriptions made on a page (an id of pages:, "" for page:) for
// all the servers it shows.
func (q *Queries) SubscriberOnPage(ctx context.Context, kind, address, page string) (*Subscriber, error) {
	return q.SubscriberOnPageFor(ctx, kind, address, page, "")
}

// SubscriberOnPageFor is SubscriberOnPage among the subscriptions limited
// to server group ("" for none).
func (q *Queries) SubscriberOnPageFor(ctx context.Context, kind, address, page, group string) (*Subscriber, error) {
	s, err := scanSubscriber(q.queryRow(ctx, `SELECT `+subscriberCols+` FROM subscribers
		WHERE kind = ? AND address_key = ? AND operator = ? AND page = ? AND group_id = ?`, kind, AddressKey(kind, address), false, page, group))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("subscriber: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find subscriber: %w", err)
	}
	return s, q.loadSubscriberComponents(ctx, []*Subscriber{s})
}

func (q *Queries) loadSubscriberComponents(ctx context.Context, subs []*Subscriber) error {
	if len(subs) == 0 {
		return nil
	}
	byID := make(map[int64]*Subscriber, len(subs))
	ids := make([]int64, 0, len(subs))
	for _, s := range subs {
		byID[s.ID] = s
		s.Components = nil
		ids = append(ids, s.ID)
	}
	for _, chunk := range chunks(ids, 500) {
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := q.query(ctx, `SELECT subscriber_id, component_id FROM subscriber_components
			WHERE subscriber_id IN (`+placeholders(len(chunk))+`) ORDER BY component_id`, args...)
		if err != nil {
			return fmt.Errorf("read subscriber components: %w", err)
		}
		err = eachRow(rows, func() error {
			var (
				id int64
				c  string
			)
			if err := rows.Scan(&id, &c); err != nil {
				return err
			}
			byID[id].Components = append(byID[id].Components, c)
			return nil
		})
		if err != nil {
			return fmt.Errorf("read subscriber components: %w", err)
		}
	}
	return nil
}

// SubscriberFilter narrows a subscriber list.
type SubscriberFilter struct {
	Kind     string // "" for every kind
	Operator *bool  // nil for both
	AfterID  int64  // keyset paging: ids greater than this
	Limit    int    // 0: no limit
}

// Subscribers lists subscribers in id order.
func (q *Queries) Subscribers(ctx context.Context, f SubscriberFilter) ([]Subscriber, error) {
	query := `SELECT ` + subscriberCols + ` FROM subscribers WHERE id > ?`
	args := []any{f.AfterID}
	if f.Kind != "" {
		query += ` AND kind = ?`
		args = append(args, f.Kind)
	}
	if f.Operator != nil {
		query += ` AND operator = ?`
		args = append(args, *f.Operator)
	}
	query += ` ORDER BY id`
	if f.Limit > 0 {
		query += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list subscribers: %w", err)
	}
	var out []Subscriber
	err = eachRow(rows, func() error {
		s, err := scanSubscriber(rows)
		if err != nil {
			return err
		}
		out = append(out, *s)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list subscribers: %w", err)
	}
	ptrs := make([]*Subscriber, len(out))
	for i := range out {
		ptrs[i] = &out[i]
	}
	return out, q.loadSubscriberComponents(ctx, ptrs)
}

// UpdateSubscription changes what a subscriber covers.
func (q *Queries) UpdateSubscription(ctx context.Context, id int64, all bool, comps []string, now time.Time) error {
	res, err := q.exec(ctx, `UPDATE subscribers SET all_components = ?, updated_at = ? WHERE id = ?`, all, now.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("update subscription: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("subscriber %d: %w", id, ErrNotFound)
	}
	if all {
		comps = nil
	}
	return q.setSubscriberComponents(ctx, id, comps)
}

// SetSubscriberCustomer sets the customer domain a subscription hears
// for ("" for none): the sign-in its latest confirmed request was made with.
func (q *Queries) SetSubscriberCustomer(ctx context.Context, id int64, domain string) error {
	if _, err := q.exec(ctx, `UPDATE subscribers SET customer_domain = ? WHERE id = ?`, domain, id); err != nil {
		return fmt.Errorf("set subscriber customer: %w", err)
	}
	return nil
}

// ConfirmSubscriber marks a subscriber confirmed (again subscribed, if it had
// left) and reports whether anything changed.
func (q *Queries) ConfirmSubscriber(ctx context.Context, id int64, now time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE subscribers SET confirmed_at = ?, unsubscribed_at = NULL, updated_at = ?
		WHERE id = ? AND (confirmed_at IS NULL OR unsubscribed_at IS NOT NULL)`, now.UnixMilli(), now.UnixMilli(), id)
	if err != nil {
		return false, fmt.Errorf("confirm subscriber: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// ResetSubscriber makes a subscriber that had left pending again, awaiting a new confirmation.
func (q *Queries) ResetSubscriber(ctx context.Context, id int64, now time.Time) error {
	if _, err := q.exec(ctx, `UPDATE subscribers SET confirmed_at = NULL, unsubscribed_at = NULL, updated_at = ? WHERE id = ?`,
		now.UnixMilli(), id); err != nil {
		return fmt.Errorf("reset subscriber: %w", err)
	}
	return nil
}

// Unsubscribe stops every notification to a subscriber and cancels those
// still queued. It reports whether the subscriber was subscribed.
func (q *Queries) Unsubscribe(ctx context.Context, id int64, now time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE subscribers SET unsubscribed_at = ?, updated_at = ? WHERE id = ? AND unsubscribed_at IS NULL`,
		now.UnixMilli(), now.UnixMilli(), id)
	if err != nil {
		return false, fmt.Errorf("unsubscribe: %w", err)
	}
	n, _ := res.RowsAffected()
	if _, err := q.exec(ctx, `UPDATE deliveries SET state = ?, last_error = ? WHERE subscriber_id = ? AND state = ?`,
		DeliveryCancelled, "unsubscribed", id, DeliveryQueued); err != nil {
		return false, fmt.Errorf("cancel deliveries: %w", err)
	}
	return n > 0, nil
}

// MarkConfirmSent records when the last confirmation message was queued.
func (q *Queries) MarkConfirmSent(ctx context.Context, id int64, now time.Time) error {
	if _, err := q.exec(ctx, `UPDATE subscribers SET confirm_sent_at = ? WHERE id = ?`, now.UnixMilli(), id); err != nil {
		return fmt.Errorf("mark confirmation sent: %w", err)
	}
	return nil
}

// DeleteSubscriber removes a subscriber and its deliveries.
func (q *Queries) DeleteSubscriber(ctx context.Context, id int64) error {
	if _, err := q.exec(ctx, `DELETE FROM deliveries WHERE subscriber_id = ?`, id); err != nil {
		return fmt.Errorf("delete subscriber deliveries: %w", err)
	}
	if _, err := q.exec(ctx, `DELETE FROM subscriber_components WHERE subscriber_id = ?`, id); err != nil {
		return fmt.Errorf("delete subscriber components: %w", err)
	}
	res, err := q.exec(ctx, `DELETE FROM subscribers WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete subscriber: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("subscriber %d: %w", id, ErrNotFound)
	}
	return nil
}

// SyncOperatorSubscribers makes the operator rows match the configured
// channels: missing ones are added, changed ones updated, others removed.
// Operator rows are keyed by kind and address.
func (q *Queries) SyncOperatorSubscribers(ctx context.Context, want []Subscriber, now time.Time) error {
	if err := q.SerializeSync(ctx, "operator channels"); err != nil {
		return err
	}
	yes := true
	have, err := q.Subscribers(ctx, SubscriberFilter{Operator: &yes})
	if err != nil {
		return err
	}
	key := func(s *Subscriber) string { return s.Kind + " " + AddressKey(s.Kind, s.Address) }
	old := map[string]*Subscriber{}
	for i := range have {
		old[key(&have[i])] = &have[i]
	}
	keep := map[int64]bool{}
	for i := range want {
		w := want[i]
		w.Operator, w.All = true, true
		if o, ok := old[key(&w)]; ok {
			keep[o.ID] = true
			if o.Secret != w.Secret {
				if _, err := q.exec(ctx, `UPDATE subscribers SET secret = ?, updated_at = ? WHERE id = ?`, w.Secret, now.UnixMilli(), o.ID); err != nil {
					return fmt.Errorf("update operator channel: %w", err)
				}
			}
			continue
		}
		w.ConfirmedAt, w.CreatedAt = now, now
		if err := q.InsertSubscriber(ctx, &w); err != nil {
			return err
		}
		keep[w.ID] = true
		old[key(&w)] = &w
	}
	for i := range have {
		if !keep[have[i].ID] {
			if err := q.DeleteSubscriber(ctx, have[i].ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// SubscriberCounts tells how many subscribers there are, by state.
type SubscriberCounts struct {
	Active, Pending, Unsubscribed int
}

// CountSubscribers counts customer subscribers by state.
func (q *Queries) CountSubscribers(ctx context.Context) (SubscriberCounts, error) {
	var c SubscriberCounts
	err := q.queryRow(ctx, `SELECT
		COALESCE(SUM(CASE WHEN confirmed_at IS NOT NULL AND unsubscribed_at IS NULL THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN confirmed_at IS NULL AND unsubscribed_at IS NULL THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN unsubscribed_at IS NOT NULL THEN 1 ELSE 0 END), 0)
		FROM subscribers WHERE operator = ?`, false).Scan(&c.Active, &c.Pending, &c.Unsubscribed)
	if err != nil {
		return c, fmt.Errorf("count subscribers: %w", err)
	}
	return c, nil
}

// InsertConfirmedEmails adds confirmed e-mail subscribers to everything in
// batches, skipping addresses already present. It is for seeding benchmarks
// and tests with many subscribers at once; it returns how many were added.
func (q *Queries) InsertConfirmedEmails(ctx context.Context, addrs []string, comps []string, now time.Time) (int, error) {
	sort.Strings(comps)
	added := 0
	const batch = 300
	for len(addrs) > 0 {
		n := min(batch, len(addrs))
		part := addrs[:n]
		addrs = addrs[n:]
		var b strings.Builder
		args := make([]any, 0, n*7)
		b.WriteString(`INSERT INTO subscribers (kind, address, address_key, all_components, confirmed_at, created_at, updated_at) VALUES `)
		for i, a := range part {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, ?, ?, ?)")
			args = append(args, SubEmail, a, AddressKey(SubEmail, a), len(comps) == 0, now.UnixMilli(), now.UnixMilli(), now.UnixMilli())
		}
		b.WriteString(` ON CONFLICT (kind, address_key, operator, page, group_id) DO NOTHING RETURNING id`)
		rows, err := q.query(ctx, b.String(), args...)
		if err != nil {
			return added, fmt.Errorf("insert subscribers: %w", err)
		}
		var ids []int64
		err = eachRow(rows, func() error {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
			return nil
		})
		if err != nil {
			return added, fmt.Errorf("insert subscribers: %w", err)
		}
		added += len(ids)
		for _, id := range ids {
			if err := q.setSubscriberComponents(ctx, id, comps); err != nil {
				return added, err
			}
		}
	}
	return added, nil
}

// SigningKey returns the secret stored under name, storing fresh first if
// there is none yet; two instances racing both end with the same key.
func (q *Queries) SigningKey(ctx context.Context, name, fresh string, now time.Time) (string, error) {
	// Read first: a Herald on a read-only standby reads the primary's key.
	var secret string
	switch err := q.queryRow(ctx, `SELECT secret FROM notify_keys WHERE name = ?`, name).Scan(&secret); {
	case err == nil:
		return secret, nil
	case !errors.Is(err, sql.ErrNoRows):
		return "", fmt.Errorf("read signing key: %w", err)
	}
	if _, err := q.exec(ctx, `INSERT INTO notify_keys (name, secret, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`,
		name, fresh, now.UnixMilli()); err != nil {
		return "", fmt.Errorf("store signing key: %w", err)
	}
	if err := q.queryRow(ctx, `SELECT secret FROM notify_keys WHERE name = ?`, name).Scan(&secret); err != nil {
		return "", fmt.Errorf("read signing key: %w", err)
	}
	return secret, nil
}

// SubscribersByID reads several subscribers at once (components not loaded).
func (q *Queries) SubscribersByID(ctx context.Context, ids []int64) (map[int64]*Subscriber, error) {
	out := make(map[int64]*Subscriber, len(ids))
	for _, chunk := range chunks(ids, 500) {
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := q.query(ctx, `SELECT `+subscriberCols+` FROM subscribers WHERE id IN (`+placeholders(len(chunk))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("read subscribers: %w", err)
		}
		err = eachRow(rows, func() error {
			s, err := scanSubscriber(rows)
			if err != nil {
				return err
			}
			out[s.ID] = s
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read subscribers: %w", err)
		}
	}
	return out, nil
}

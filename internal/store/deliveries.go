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

// Delivery states. A delivery is queued until a worker claims it (sending,
// with a lease); it ends sent, dead (failed after its last try, or refused
// for good) or cancelled (the subscriber left before it went out).
const (
	DeliveryQueued    = "queued"
	DeliverySending   = "sending"
	DeliverySent      = "sent"
	DeliveryDead      = "dead"
	DeliveryCancelled = "cancelled"
)

// Event is one thing subscribers are told: an incident update, a maintenance
// step, a reminder, a confirmation request. Key makes it unique.
type Event struct {
	ID        int64
	Key       string // "change:42", "reminder:7:24h:1712345678000", "confirm:3:..."
	Kind      string // "incident.update", "maintenance.reminder", "subscriber.confirm", ...
	Subject   string // "incident:12"
	Payload   string // JSON for the notifier
	CreatedAt time.Time
}

// Audience says which subscribers an event goes to.
type Audience int

// Audiences.
const (
	// Customers are confirmed customer subscribers.
	Customers Audience = 1 << iota
	// Operators are the configured alert channels.
	Operators
)

// InsertEvent stores an event unless one with its key exists; it reports
// whether it was new. e.ID is set either way.
func (q *Queries) InsertEvent(ctx context.Context, e *Event) (bool, error) {
	var id int64
	err := q.queryRow(ctx, `INSERT INTO notify_events (event_key, kind, subject, payload, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (event_key) DO NOTHING RETURNING id`, e.Key, e.Kind, e.Subject, e.Payload, e.CreatedAt.UnixMilli()).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		if err := q.queryRow(ctx, `SELECT id FROM notify_events WHERE event_key = ?`, e.Key).Scan(&e.ID); err != nil {
			return false, fmt.Errorf("find event: %w", err)
		}
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("insert event: %w", err)
	}
	e.ID = id
	return true, nil
}

// Event reads one event.
func (q *Queries) Event(ctx context.Context, id int64) (*Event, error) {
	var (
		e  Event
		at int64
	)
	err := q.queryRow(ctx, `SELECT id, event_key, kind, subject, payload, created_at FROM notify_events WHERE id = ?`, id).
		Scan(&e.ID, &e.Key, &e.Kind, &e.Subject, &e.Payload, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("event %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read event: %w", err)
	}
	e.CreatedAt = time.UnixMilli(at).UTC()
	return &e, nil
}

// audience is the condition on subscribers s for aud, its arguments appended to args.
func audience(aud Audience, args []any) (string, []any) {
	var who []string
	if aud&Customers != 0 {
		who = append(who, "s.operator = ?")
		args = append(args, false)
	}
	if aud&Operators != 0 {
		who = append(who, "s.operator = ?")
		args = append(args, true)
	}
	return strings.Join(who, " OR "), args
}

// FanOut queues one delivery of event to every active subscriber in the
// audience whose subscription covers any of comps (or everything). It is a
// single INSERT ... SELECT, so a hundred thousand subscribers cost one
// statement inside the caller's transaction; the (subscriber, event) key
// skips any already queued. It returns how many deliveries were added.
func (q *Queries) FanOut(ctx context.Context, eventID int64, comps []string, aud Audience, now time.Time) (int64, error) {
	who, args := audience(aud, []any{eventID, DeliveryQueued, now.UnixMilli(), now.UnixMilli()})
	if who == "" {
		return 0, nil
	}
	cover := `s.all_components = ?`
	args = append(args, true)
	if len(comps) > 0 {
		cover += ` OR EXISTS (SELECT 1 FROM subscriber_components sc WHERE sc.subscriber_id = s.id AND sc.component_id IN (` + placeholders(len(comps)) + `))`
		for _, c := range comps {
			args = append(args, c)
		}
	}
	res, err := q.exec(ctx, `INSERT INTO deliveries (event_id, subscriber_id, state, attempts, next_at, created_at)
		SELECT ?, s.id, ?, 0, ?, ? FROM subscribers s
		WHERE s.confirmed_at IS NOT NULL AND s.unsubscribed_at IS NULL AND (`+who+`) AND (`+cover+`)
		ON CONFLICT (subscriber_id, event_id) DO NOTHING`, args...)
	if err != nil {
		return 0, fmt.Errorf("fan out event %d: %w", eventID, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// FanOutNew queues one delivery of event to every active subscriber in the
// audience whose subscription covers any of comps but none of told, and not
// everything: those who have not heard of an incident until its components
// grew to theirs. It returns how many deliveries were added.
func (q *Queries) FanOutNew(ctx context.Context, eventID int64, comps, told []string, aud Audience, now time.Time) (int64, error) {
	if len(comps) == 0 {
		return 0, nil
	}
	who, args := audience(aud, []any{eventID, DeliveryQueued, now.UnixMilli(), now.UnixMilli()})
	if who == "" {
		return 0, nil
	}
	cover := `s.all_components = ? AND EXISTS (SELECT 1 FROM subscriber_components sc WHERE sc.subscriber_id = s.id AND sc.component_id IN (` + placeholders(len(comps)) + `))`
	args = append(args, false)
	for _, c := range comps {
		args = append(args, c)
	}
	if len(told) > 0 {
		cover += ` AND NOT EXISTS (SELECT 1 FROM subscriber_components sc WHERE sc.subscriber_id = s.id AND sc.component_id IN (` + placeholders(len(told)) + `))`
		for _, c := range told {
			args = append(args, c)
		}
	}
	res, err := q.exec(ctx, `INSERT INTO deliveries (event_id, subscriber_id, state, attempts, next_at, created_at)
		SELECT ?, s.id, ?, 0, ?, ? FROM subscribers s
		WHERE s.confirmed_at IS NOT NULL AND s.unsubscribed_at IS NULL AND (`+who+`) AND `+cover+`
		ON CONFLICT (subscriber_id, event_id) DO NOTHING`, args...)
	if err != nil {
		return 0, fmt.Errorf("fan out event %d to new components: %w", eventID, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// QueueDelivery queues one delivery of an event to one subscriber, whatever
// its state (a confirmation request goes to a subscriber not yet confirmed).
func (q *Queries) QueueDelivery(ctx context.Context, eventID, subscriberID int64, now time.Time) error {
	if _, err := q.exec(ctx, `INSERT INTO deliveries (event_id, subscriber_id, state, attempts, next_at, created_at)
		VALUES (?, ?, ?, 0, ?, ?) ON CONFLICT (subscriber_id, event_id) DO NOTHING`,
		eventID, subscriberID, DeliveryQueued, now.UnixMilli(), now.UnixMilli()); err != nil {
		return fmt.Errorf("queue delivery: %w", err)
	}
	return nil
}

// Claim is a delivery a worker holds under a lease.
type Claim struct {
	ID           int64
	EventID      int64
	SubscriberID int64
	Attempts     int // including this one
}

// ClaimDeliveries marks up to limit due deliveries as sending, under a lease
// until leaseUntil, and returns them. Run it in a transaction: on PostgreSQL
// rows are picked with FOR UPDATE SKIP LOCKED, so instances sharing the
// database never take the same row; SQLite's transactions take the write lock
// at BEGIN (_txlock=immediate), which serialises claims.
func (q *Queries) ClaimDeliveries(ctx context.Context, now, leaseUntil time.Time, limit int) ([]Claim, error) {
	lock := ""
	if q.dialect == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	// The state is written into the statement, not bound: only then can
	// either database use the partial index of due deliveries (a bound
	// value made PostgreSQL's cached plan read and sort the whole table
	// for every claim).
	rows, err := q.query(ctx, `UPDATE deliveries SET state = ?, lease_until = ?, attempts = attempts + 1
		WHERE id IN (SELECT id FROM deliveries WHERE state = '`+DeliveryQueued+`' AND next_at <= ? ORDER BY next_at, id LIMIT `+fmt.Sprint(limit)+lock+`)
		RETURNING id, event_id, subscriber_id, attempts`,
		DeliverySending, leaseUntil.UnixMilli(), now.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	var out []Claim
	err = eachRow(rows, func() error {
		var c Claim
		if err := rows.Scan(&c.ID, &c.EventID, &c.SubscriberID, &c.Attempts); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	// RETURNING gives no order; deliver in the order they were queued.
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// MarkSent records that a delivery went out.
func (q *Queries) MarkSent(ctx context.Context, id int64, now time.Time) error {
	if _, err := q.exec(ctx, `UPDATE deliveries SET state = ?, sent_at = ?, lease_until = NULL, last_error = '' WHERE id = ?`,
		DeliverySent, now.UnixMilli(), id); err != nil {
		return fmt.Errorf("mark delivery sent: %w", err)
	}
	return nil
}

// MarkSentAll records that deliveries went out, in one statement per 500.
func (q *Queries) MarkSentAll(ctx context.Context, ids []int64, now time.Time) error {
	for _, chunk := range chunks(ids, 500) {
		args := []any{DeliverySent, now.UnixMilli()}
		for _, id := range chunk {
			args = append(args, id)
		}
		if _, err := q.exec(ctx, `UPDATE deliveries SET state = ?, sent_at = ?, lease_until = NULL, last_error = ''
			WHERE id IN (`+placeholders(len(chunk))+`)`, args...); err != nil {
			return fmt.Errorf("mark deliveries sent: %w", err)
		}
	}
	return nil
}

// LazyCommit lets the transaction it runs in commit without waiting for its
// log to reach the disk, on PostgreSQL (synchronous_commit off for it alone):
// what SQLite's synchronous=NORMAL in WAL mode already does for every
// transaction here. The writes are seen at once and survive Herald being
// killed; a crash of the database server or of the machine may forget the
// last fraction of a second of them. The notifier records sends this way: a
// forgotten "sent" means a message sent again, never one lost.
func (q *Queries) LazyCommit(ctx context.Context) error {
	if q.dialect != Postgres {
		return nil
	}
	if _, err := q.exec(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
		return fmt.Errorf("lazy commit: %w", err)
	}
	return nil
}

// RetryLater puts a failed delivery back in the queue for next.
func (q *Queries) RetryLater(ctx context.Context, id int64, next time.Time, reason string) error {
	if _, err := q.exec(ctx, `UPDATE deliveries SET state = ?, next_at = ?, lease_until = NULL, last_error = ? WHERE id = ?`,
		DeliveryQueued, next.UnixMilli(), truncate(reason, 500), id); err != nil {
		return fmt.Errorf("retry delivery: %w", err)
	}
	return nil
}

// MarkDead moves a delivery to the dead-letter list.
func (q *Queries) MarkDead(ctx context.Context, id int64, reason string) error {
	if _, err := q.exec(ctx, `UPDATE deliveries SET state = ?, lease_until = NULL, last_error = ? WHERE id = ?`,
		DeliveryDead, truncate(reason, 500), id); err != nil {
		return fmt.Errorf("mark delivery dead: %w", err)
	}
	return nil
}

// MarkCancelled drops a delivery that no longer applies (a subscriber gone).
func (q *Queries) MarkCancelled(ctx context.Context, id int64, reason string) error {
	if _, err := q.exec(ctx, `UPDATE deliveries SET state = ?, lease_until = NULL, last_error = ? WHERE id = ?`,
		DeliveryCancelled, truncate(reason, 500), id); err != nil {
		return fmt.Errorf("cancel delivery: %w", err)
	}
	return nil
}

// Release gives claimed deliveries that were never attempted back to the
// queue, their attempt not counted (a worker stopping with work in hand).
func (q *Queries) Release(ctx context.Context, ids []int64) error {
	for _, chunk := range chunks(ids, 500) {
		args := []any{DeliveryQueued}
		for _, id := range chunk {
			args = append(args, id)
		}
		args = append(args, DeliverySending)
		if _, err := q.exec(ctx, `UPDATE deliveries SET state = ?, lease_until = NULL, attempts = attempts - 1
			WHERE id IN (`+placeholders(len(chunk))+`) AND state = ?`, args...); err != nil {
			return fmt.Errorf("release deliveries: %w", err)
		}
	}
	return nil
}

// ExtendLease keeps claimed deliveries held while their worker is alive.
func (q *Queries) ExtendLease(ctx context.Context, ids []int64, until time.Time) error {
	for _, chunk := range chunks(ids, 500) {
		args := []any{until.UnixMilli()}
		for _, id := range chunk {
			args = append(args, id)
		}
		args = append(args, DeliverySending)
		if _, err := q.exec(ctx, `UPDATE deliveries SET lease_until = ? WHERE id IN (`+placeholders(len(chunk))+`) AND state = ?`, args...); err != nil {
			return fmt.Errorf("extend lease: %w", err)
		}
	}
	return nil
}

// RequeueExpired returns deliveries whose worker died (lease before now) to
// the queue. Such a delivery may have gone out just before its worker died;
// that is the duplicate window, at most the one message each worker had in
// flight. It returns how many were requeued.
func (q *Queries) RequeueExpired(ctx context.Context, now time.Time) (int64, error) {
	res, err := q.exec(ctx, `UPDATE deliveries SET state = ?, lease_until = NULL, last_error = ?
		WHERE state = '`+DeliverySending+`' AND lease_until < ?`, DeliveryQueued, "requeued: its worker stopped before recording the result", now.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("requeue expired deliveries: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// NextDue is when the earliest queued delivery is due, or zero with none.
// The state is in the statement, as in ClaimDeliveries, so that it is read
// from the partial index of queued deliveries, not the whole table.
func (q *Queries) NextDue(ctx context.Context) (time.Time, error) {
	var at sql.NullInt64
	if err := q.queryRow(ctx, `SELECT MIN(next_at) FROM deliveries WHERE state = '`+DeliveryQueued+`'`).Scan(&at); err != nil {
		return time.Time{}, fmt.Errorf("next due delivery: %w", err)
	}
	return fromMS(at), nil
}

// DeliveryInfo is a delivery as the admin API shows it.
type DeliveryInfo struct {
	ID           int64
	EventID      int64
	EventKind    string
	Subject      string
	SubscriberID int64
	Kind         string
	Address      string
	State        string
	Attempts     int
	LastError    string
	NextAt       time.Time
	SentAt       time.Time
	CreatedAt    time.Time
}

// DeliveryFilter narrows a delivery list.
type DeliveryFilter struct {
	State        string
	EventID      int64
	SubscriberID int64
	// EventKind keeps the deliveries of events of one kind ("channel.test").
	EventKind string
	AfterID   int64
	Limit     int
}

// Deliveries lists deliveries in id order (the dead-letter list is State "dead").
func (q *Queries) Deliveries(ctx context.Context, f DeliveryFilter) ([]DeliveryInfo, error) {
	query := `SELECT d.id, d.event_id, e.kind, e.subject, d.subscriber_id, s.kind, s.address, d.state, d.attempts,
		d.last_error, d.next_at, d.sent_at, d.created_at
		FROM deliveries d JOIN notify_events e ON e.id = d.event_id JOIN subscribers s ON s.id = d.subscriber_id
		WHERE d.id > ?`
	args := []any{f.AfterID}
	if f.State != "" {
		query += ` AND d.state = ?`
		args = append(args, f.State)
	}
	if f.EventID != 0 {
		query += ` AND d.event_id = ?`
		args = append(args, f.EventID)
	}
	if f.SubscriberID != 0 {
		query += ` AND d.subscriber_id = ?`
		args = append(args, f.SubscriberID)
	}
	if f.EventKind != "" {
		query += ` AND e.kind = ?`
		args = append(args, f.EventKind)
	}
	query += ` ORDER BY d.id`
	if f.Limit > 0 {
		query += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	var out []DeliveryInfo
	err = eachRow(rows, func() error {
		var (
			d               DeliveryInfo
			next, created   int64
			sent            sql.NullInt64
			kind, eventKind string
		)
		if err := rows.Scan(&d.ID, &d.EventID, &eventKind, &d.Subject, &d.SubscriberID, &kind, &d.Address, &d.State,
			&d.Attempts, &d.LastError, &next, &sent, &created); err != nil {
			return err
		}
		d.Kind, d.EventKind = kind, eventKind
		d.NextAt, d.SentAt, d.CreatedAt = time.UnixMilli(next).UTC(), fromMS(sent), time.UnixMilli(created).UTC()
		out = append(out, d)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return out, nil
}

// RetryDead puts a dead delivery back in the queue with its tries reset.
func (q *Queries) RetryDead(ctx context.Context, id int64, now time.Time) error {
	res, err := q.exec(ctx, `UPDATE deliveries SET state = ?, attempts = 0, next_at = ?, last_error = '' WHERE id = ? AND state = ?`,
		DeliveryQueued, now.UnixMilli(), id, DeliveryDead)
	if err != nil {
		return fmt.Errorf("retry dead delivery: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("dead delivery %d: %w", id, ErrNotFound)
	}
	return nil
}

// DeliveryCounts counts deliveries by state, for one event or all when eventID is 0.
func (q *Queries) DeliveryCounts(ctx context.Context, eventID int64) (map[string]int64, error) {
	query := `SELECT state, COUNT(*) FROM deliveries`
	var args []any
	if eventID != 0 {
		query += ` WHERE event_id = ?`
		args = append(args, eventID)
	}
	rows, err := q.query(ctx, query+` GROUP BY state`, args...)
	if err != nil {
		return nil, fmt.Errorf("count deliveries: %w", err)
	}
	out := map[string]int64{}
	err = eachRow(rows, func() error {
		var (
			st string
			n  int64
		)
		if err := rows.Scan(&st, &n); err != nil {
			return err
		}
		out[st] = n
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("count deliveries: %w", err)
	}
	return out, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

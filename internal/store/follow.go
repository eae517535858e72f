package store

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Following the change log: every change to a record lands in the change
// log in the change's own transaction, so whoever keeps something derived
// from the records (the rendered pages, another instance's caches) reads the
// log forward from where it was and reads again only what it names.

// ChangesChannel is the PostgreSQL notification channel InsertChange signals
// on, with the change's id as the payload. The channel is database-wide:
// Heralds in other schemas of the same database wake each other needlessly,
// never wrongly, since a listener reads its own change log to see what is new.
const ChangesChannel = "herald_changes"

// ownChanges remembers the ids of the changes written through one Store, so
// a follower can tell them from changes made by other processes. An id whose
// transaction rolled back is never looked up; such ids are dropped by age.
type ownChanges struct {
	origin string // names the store in its signals
	mu     sync.Mutex
	ids    map[int64]time.Time
}

// ownKeep is how long an id written here is remembered unasked.
const ownKeep = 10 * time.Minute

func newOwnChanges() *ownChanges {
	return &ownChanges{origin: rand.Text()[:12], ids: map[int64]time.Time{}}
}

func (o *ownChanges) add(id int64) {
	if o == nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	now := time.Now()
	if len(o.ids) >= 1024 {
		for k, at := range o.ids {
			if now.Sub(at) > ownKeep {
				delete(o.ids, k)
			}
		}
	}
	o.ids[id] = now
}

// take reports whether id was written through this store, forgetting it.
func (o *ownChanges) take(id int64) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	_, ok := o.ids[id]
	delete(o.ids, id)
	return ok
}

// WrittenHere reports whether the change with this id was written through
// this Store (by this process). Each id answers true once.
func (s *Store) WrittenHere(id int64) bool { return s.own.take(id) }

// ChangeCursor reads the change log forward and returns each entry once.
//
// Ids are handed out when a change is inserted, not when it commits: on
// PostgreSQL a slow transaction can commit id 10 after id 11 was read. So the
// cursor keeps the ids it has returned above the point where everything is
// accounted for, and waits up to gapWait for a missing id below them before
// taking it for a rolled-back insert, which leaves a hole for good. SQLite
// commits one writer at a time, so there the log has no holes to wait on.
//
// A cursor is not safe for concurrent use.
type ChangeCursor struct {
	q     *Queries
	after int64               // every id up to here was returned or is given up
	seen  map[int64]bool      // ids above after already returned
	gaps  map[int64]time.Time // ids above after missing below a returned one, since when
	now   func() time.Time
}

// gapWait is how long a cursor waits for an id missing below returned ones:
// far longer than any of Herald's transactions takes to commit.
const gapWait = 30 * time.Second

// cursorLookBack is how many of the newest ids a new cursor takes as read
// while still watching for holes among them, in case a transaction in flight
// when it starts commits one of them later.
const cursorLookBack = 1000

// cursorPage is how many entries one query reads.
const cursorPage = 2000

// NewChangeCursor starts a cursor at the end of the change log: Next returns
// the changes committed after this call.
func (s *Store) NewChangeCursor(ctx context.Context) (*ChangeCursor, error) {
	c := &ChangeCursor{q: s.Queries, seen: map[int64]bool{}, gaps: map[int64]time.Time{}, now: time.Now}
	last, err := s.LastChangeID(ctx)
	if err != nil {
		return nil, err
	}
	c.after = max(last-cursorLookBack, 0)
	for {
		refs, err := s.ChangesAfter(ctx, c.after, cursorPage)
		if err != nil {
			return nil, err
		}
		c.take(refs)
		if len(refs) < cursorPage {
			break
		}
	}
	c.advance()
	return c, nil
}

// Next returns the changes committed since the last call (or since the
// cursor started), oldest first.
func (c *ChangeCursor) Next(ctx context.Context) ([]ChangeRef, error) {
	var out []ChangeRef
	from := c.after
	for {
		refs, err := c.q.ChangesAfter(ctx, from, cursorPage)
		if err != nil {
			return nil, fmt.Errorf("follow the change log: %w", err)
		}
		out = append(out, c.take(refs)...)
		if len(refs) < cursorPage {
			break
		}
		from = refs[len(refs)-1].ID
	}
	c.advance()
	return out, nil
}

// take marks refs seen and returns those not returned before; ids skipped
// below the highest seen become gaps.
func (c *ChangeCursor) take(refs []ChangeRef) []ChangeRef {
	var fresh []ChangeRef
	top := c.after
	for _, r := range refs {
		top = max(top, r.ID)
		if r.ID <= c.after || c.seen[r.ID] {
			continue
		}
		c.seen[r.ID] = true
		delete(c.gaps, r.ID)
		fresh = append(fresh, r)
	}
	now := c.now()
	for id := c.after + 1; id < top; id++ {
		if !c.seen[id] {
			if _, ok := c.gaps[id]; !ok {
				c.gaps[id] = now
			}
		}
	}
	return fresh
}

// advance moves after over ids seen and gaps waited on long enough.
func (c *ChangeCursor) advance() {
	now := c.now()
	for {
		next := c.after + 1
		if c.seen[next] {
			delete(c.seen, next)
			c.after = next
			continue
		}
		if since, ok := c.gaps[next]; ok && now.Sub(since) >= gapWait {
			delete(c.gaps, next)
			c.after = next
			continue
		}
		return
	}
}

// ListenChanges calls wake with the change's id whenever a change commits
// anywhere on this PostgreSQL database, and with 0 after each (re)connection
// since signals may have been missed meanwhile, until ctx ends. It listens on a connection of
// its own, reconnecting with a growing pause (up to 5 s) when it is lost;
// failures go to onErr. On SQLite, which has no signals, it returns at once:
// poll the change log instead.
func (s *Store) ListenChanges(ctx context.Context, wake func(id int64), onErr func(error)) {
	s.Listen(ctx, []string{ChangesChannel}, func(_, payload string) {
		id, _ := strconv.ParseInt(payload, 10, 64)
		wake(id)
	}, onErr)
}

// MeasuredChannel is the PostgreSQL notification channel on which an
// instance signals, in the transaction that writes them, that what its
// monitors measure moved (an outage opened, worsened or ended, a monitor's
// state changed): the others read the monitors' states again, and their
// pages show it. The payload names the store that wrote it (Origin).
const MeasuredChannel = "herald_measured"

// SignalMeasured signals on MeasuredChannel, inside q's transaction, that
// monitors' states or outages changed. On SQLite it does nothing: one
// process runs the monitors.
func (q *Queries) SignalMeasured(ctx context.Context) error {
	if q.dialect != Postgres {
		return nil
	}
	if _, err := q.exec(ctx, `SELECT pg_notify('`+MeasuredChannel+`', ?)`, q.own.origin); err != nil {
		return fmt.Errorf("signal measurements: %w", err)
	}
	return nil
}

// Origin names this Store among the processes sharing the database, as the
// payload of its MeasuredChannel signals.
func (s *Store) Origin() string { return s.own.origin }

// Listen calls wake with the channel and the payload of every signal on the
// given PostgreSQL channels, and with ("", "") after each (re)connection,
// since signals may have been missed meanwhile, until ctx ends. It listens
// on a connection of its own, reconnecting with a growing pause (up to 5 s)
// when it is lost; failures go to onErr. On SQLite, which has no signals, it
// returns at once.
func (s *Store) Listen(ctx context.Context, channels []string, wake func(channel, payload string), onErr func(error)) {
	if s.dialect != Postgres {
		return
	}
	pause := 100 * time.Millisecond
	for ctx.Err() == nil {
		// A hot standby refuses LISTEN; while this store refuses writes
		// (writable.go) the follower's poll of the change log carries the
		// changes, and listening starts once the database is promoted.
		if s.WaitWritable(ctx) != nil {
			return
		}
		began := time.Now()
		err := s.listen(ctx, channels, wake)
		if ctx.Err() != nil {
			return
		}
		if time.Since(began) > time.Minute {
			pause = 100 * time.Millisecond // it was up a good while: this is a new failure
		}
		if onErr != nil {
			onErr(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		pause = min(pause*2, 5*time.Second)
	}
}

// listen holds one listening connection until it fails or ctx ends.
func (s *Store) listen(ctx context.Context, channels []string, wake func(channel, payload string)) error {
	connectCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := pgx.Connect(connectCtx, s.url)
	cancel()
	if err != nil {
		return fmt.Errorf("listen for changes: %w", err)
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	for _, ch := range channels {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			return fmt.Errorf("listen for changes: %w", err)
		}
	}
	wake("", "")
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("wait for changes: %w", err)
		}
		wake(n.Channel, n.Payload)
	}
}

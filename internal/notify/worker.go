package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/heraldhq/herald/internal/store"
)

// Run starts the workers and the reminder loop and blocks until ctx ends.
// Deliveries a worker holds when it stops go back to the queue.
func (n *Notifier) Run(ctx context.Context) {
	if n.st.Dialect() == store.SQLite {
		// One process owns a SQLite file: whatever was sending when it
		// last stopped had no live worker, so requeue it now rather than
		// after the lease.
		if k, err := n.st.RequeueExpired(ctx, n.opt.Clock.Now().Add(24*365*time.Hour)); err != nil {
			n.log.Error("notify: requeue interrupted deliveries", slog.Any("err", err))
		} else if k > 0 {
			n.log.Warn("notify: requeued deliveries interrupted by a stop; each may have been sent once already", slog.Int64("count", k))
		}
	}
	workers := n.opt.Workers
	if workers <= 0 {
		// One worker a relay connection (each holds at most one).
		workers = 4
		if e := n.cfg().Notify.Email; e != nil && e.Connections > 0 {
			workers = e.Connections
		}
	}
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Go(func() { n.worker(ctx, i) })
	}
	wg.Go(func() { n.reaper(ctx) })
	wg.Go(func() {
		if n.opt.Once != nil {
			n.opt.Once(ctx, "reminders", n.reminders)
			return
		}
		n.reminders(ctx)
	})
	wg.Go(func() {
		if n.opt.Once != nil {
			n.opt.Once(ctx, "repeats", n.repeats)
			return
		}
		n.repeats(ctx)
	})
	wg.Wait()
}

// reaper returns the claims of workers that died (another instance, on
// PostgreSQL) to the queue once their lease has run out.
func (n *Notifier) reaper(ctx context.Context) {
	t := time.NewTicker(max(n.opt.Lease/2, time.Second))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if k, err := n.st.RequeueExpired(ctx, n.opt.Clock.Now()); err != nil && ctx.Err() == nil {
			n.log.Error("notify: requeue expired claims", slog.Any("err", err))
		} else if k > 0 {
			n.log.Warn("notify: requeued deliveries whose worker stopped", slog.Int64("count", k))
			n.Wake()
		}
	}
}

// worker delivers what it claims until ctx ends. Worker 0 also watches the
// queue while it is idle (wait); the others sleep until they are nudged.
func (n *Notifier) worker(ctx context.Context, id int) {
	sess := n.send.Session()
	defer sess.Close()
	for ctx.Err() == nil {
		did, err := n.ProcessBatch(ctx, sess)
		if err != nil && ctx.Err() == nil {
			n.log.Error("notify: worker", slog.Int("worker", id), slog.Any("err", err))
		}
		if did > 0 {
			// More may be due: let an idle worker help. Nudges travel only
			// while work is found, so idle workers do not wake each other
			// in a loop.
			n.Wake()
			continue
		}
		sess.Close() // idle: do not hold the relay's connection
		n.wait(ctx, id == 0)
	}
}

// wait returns when a worker with nothing to do should look for work again:
// when it is nudged (a change of this process queued deliveries, or another
// worker found work) or ctx ends. The watcher also returns when a delivery
// is due that no nudge announced: one queued by another process, or a
// retry whose time has come. It finds out with a read of the queue's
// earliest time every Poll (sooner when that time comes first), so an idle
// notifier takes no write lock: a claim each Poll by each worker was most
// of an idle server's CPU, and each one held up the monitors' writes.
func (n *Notifier) wait(ctx context.Context, watcher bool) {
	if !watcher {
		select {
		case <-ctx.Done():
		case <-n.wake:
		}
		return
	}
	next := time.Time{} // when the earliest queued delivery is due, as last read
	for {
		d := n.opt.Poll + time.Duration(rand.Int64N(int64(n.opt.Poll)/4+1))
		if !next.IsZero() {
			d = min(d, next.Sub(n.opt.Clock.Now()))
		}
		t := time.NewTimer(max(d, 0))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-n.wake:
			t.Stop()
			return
		case <-t.C:
		}
		var err error
		next, err = n.st.NextDue(ctx)
		if err != nil || (!next.IsZero() && !next.After(n.opt.Clock.Now())) {
			return // due, or the claim will say what is wrong
		}
	}
}

// ProcessBatch claims due deliveries and sends them, recording each result
// as soon as it is known (several workers' results share a transaction):
// a worker killed mid-batch leaves at most the one message in flight
// unrecorded. E-mails go out as one run over the session's connection,
// pipelined where the relay allows. It returns how many it handled.
func (n *Notifier) ProcessBatch(ctx context.Context, sess Session) (int, error) {
	if sess == nil {
		sess = n.send.Session()
		defer sess.Close()
	}
	now := n.opt.Clock.Now()
	var claims []store.Claim
	err := n.st.Tx(ctx, func(q *store.Queries) error {
		// A claim the database forgets in a crash only puts its rows back
		// in the queue; not waiting for the disk keeps the claim's row
		// locks short (the results of other workers wait on them).
		if err := q.LazyCommit(ctx); err != nil {
			return err
		}
		var err error
		claims, err = q.ClaimDeliveries(ctx, now, now.Add(n.opt.Lease), n.opt.Batch)
		return err
	})
	if err != nil || len(claims) == 0 {
		return 0, err
	}
	ids := make([]int64, len(claims))
	subIDs := make([]int64, len(claims))
	for i, c := range claims {
		ids[i], subIDs[i] = c.ID, c.SubscriberID
	}
	// Renew the lease while the batch is worked, so a slow relay does not
	// let another instance take these rows.
	leaseCtx, stopLease := context.WithCancel(context.Background())
	defer stopLease()
	go n.keepLease(leaseCtx, ids)

	subs, err := n.st.SubscribersByID(ctx, subIDs)
	if err != nil {
		n.release(ids)
		return 0, err
	}
	done := 0
	var mails []store.Claim
	var msgs []*Message
	for i, c := range claims {
		if ctx.Err() != nil {
			n.release(append(ids[i:], claimIDs(mails)...))
			return done, nil
		}
		s := subs[c.SubscriberID]
		if s == nil || s.Kind != store.SubEmail {
			n.finish(ctx, c, n.attempt(ctx, c, s))
			done++
			continue
		}
		m, err := n.prepareMail(ctx, c, s)
		if err != nil {
			n.finish(ctx, c, err)
			done++
			continue
		}
		mails, msgs = append(mails, c), append(msgs, m)
	}
	if len(mails) == 0 {
		return done, nil
	}
	pace := func() time.Duration {
		rate := 10.0
		if e := n.cfg().Notify.Email; e != nil && e.RatePerSecond > 0 {
			rate = e.RatePerSecond
		}
		return n.rate.reserve(rate)
	}
	if rs, ok := sess.(runSender); ok {
		rs.SendAll(ctx, msgs, pace, func(i int, err error) { n.finish(ctx, mails[i], err) })
		return done + len(mails), nil
	}
	for i, m := range msgs {
		err := sleep(ctx, pace())
		if err == nil {
			err = sess.Send(ctx, m)
		}
		n.finish(ctx, mails[i], err)
	}
	return done + len(mails), nil
}

func claimIDs(cs []store.Claim) []int64 {
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

func (n *Notifier) keepLease(ctx context.Context, ids []int64) {
	t := time.NewTicker(max(n.opt.Lease/3, 100*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := n.st.ExtendLease(ctx, ids, n.opt.Clock.Now().Add(n.opt.Lease)); err != nil && ctx.Err() == nil {
				n.log.Warn("notify: extend lease", slog.Any("err", err))
			}
		}
	}
}

// release gives unattempted claims back, on a context that outlives shutdown.
func (n *Notifier) release(ids []int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := n.st.Release(ctx, ids); err != nil {
		n.log.Error("notify: release claims", slog.Any("err", err))
	}
}

func (n *Notifier) event(ctx context.Context, id int64) (*eventCache, error) {
	n.mu.Lock()
	e, ok := n.events[id]
	n.mu.Unlock()
	if ok {
		return e, nil
	}
	ev, err := n.st.Event(ctx, id)
	if err != nil {
		return nil, err
	}
	e = &eventCache{ev: ev}
	if err := json.Unmarshal([]byte(ev.Payload), &e.payload); err != nil {
		return nil, fmt.Errorf("event %d payload: %w", id, err)
	}
	n.mu.Lock()
	if len(n.events) > 1000 {
		clear(n.events)
	}
	n.events[id] = e
	n.mu.Unlock()
	return e, nil
}

var errGone = errors.New("subscriber no longer subscribed")

// cancels reports whether err cancels a delivery rather than failing it:
// its subscriber left, or its page no longer has it hear of the news.
func cancels(err error) bool {
	return errors.Is(err, errGone) || errors.Is(err, errNoPage) || errors.Is(err, errNotOnPage) || errors.Is(err, errNotCustomer)
}

// finish records what became of a delivery tried with the result err, and
// returns once it is written. One stopped before it could be tried goes
// back to the queue.
func (n *Notifier) finish(ctx context.Context, c store.Claim, err error) {
	if err != nil && ctx.Err() != nil {
		n.release([]int64{c.ID}) // stopped before it could be tried
		return
	}
	o := outcome{id: c.ID, at: n.opt.Clock.Now()}
	switch {
	case err == nil:
		o.state = store.DeliverySent
	case cancels(err):
		o.state, o.reason = store.DeliveryCancelled, err.Error()
	case errors.Is(err, errSkip):
		o.state, o.reason = store.DeliveryCancelled, "PagerDuty pages for incidents and alerts; maintenance is not paged"
	case isPermanent(err) || c.Attempts >= n.opt.MaxAttempts:
		n.log.Warn("notify: delivery failed for good; see the dead-letter list", slog.Int64("delivery", c.ID),
			slog.Int("attempts", c.Attempts), slog.Any("err", err))
		o.state, o.reason = store.DeliveryDead, err.Error()
	default:
		o.state, o.reason = store.DeliveryQueued, err.Error()
		o.at = o.at.Add(n.backoff(c.Attempts))
		n.log.Info("notify: delivery failed; will retry", slog.Int64("delivery", c.ID), slog.Int("attempts", c.Attempts),
			slog.Time("next", o.at), slog.Any("err", err))
	}
	// Record with a context that survives shutdown: the message is out.
	rec, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if rerr := n.recorder.record(rec, o); rerr != nil {
		n.log.Error("notify: record delivery result", slog.Int64("delivery", c.ID), slog.Any("err", rerr))
		return
	}
	if o.state == store.DeliverySent {
		n.Sent.Add(1)
	}
}

// eventFor reads a claimed delivery's event; errGone when its subscriber
// (s, nil when deleted) has left since it was queued.
func (n *Notifier) eventFor(ctx context.Context, c store.Claim, s *store.Subscriber) (*eventCache, error) {
	if s == nil {
		return nil, errGone
	}
	e, err := n.event(ctx, c.EventID)
	if err != nil {
		return nil, err
	}
	if e.payload.Kind != KindConfirm && !s.Active() {
		return nil, errGone
	}
	return e, nil
}

// prepareMail composes the e-mail for a claimed delivery to s.
func (n *Notifier) prepareMail(ctx context.Context, c store.Claim, s *store.Subscriber) (*Message, error) {
	e, err := n.eventFor(ctx, c, s)
	if err != nil {
		return nil, err
	}
	if err := n.stillCustomer(ctx, s); err != nil {
		return nil, err // cancelled, or the customer list could not be read: tried again
	}
	m, err := n.mailFor(n.cfg(), e.ev, e.payload, s, n.opt.Clock.Now())
	if cancels(err) {
		return nil, err // cancelled: sent as another page, it would show that page's brand
	}
	if err != nil {
		return nil, permanent{err}
	}
	return m, nil
}

// attempt delivers a claimed delivery that is not an e-mail.
func (n *Notifier) attempt(ctx context.Context, c store.Claim, s *store.Subscriber) error {
	e, err := n.eventFor(ctx, c, s)
	if err != nil {
		return err
	}
	cfg := n.cfg()
	switch s.Kind {
	case store.SubWebhook:
		body, err := json.Marshal(n.webhookPayload(ctx, cfg, e.ev, e.payload, s))
		if err != nil {
			return permanent{err}
		}
		return n.post(ctx, s.Address, s.Secret, body)
	case store.SubSlack, store.SubDiscord:
		body, err := chatBody(s.Kind, e.payload)
		if err != nil {
			return permanent{err}
		}
		return n.post(ctx, s.Address, "", body)
	}
	if IsTool(s.Kind) {
		r, err := buildTool(s.Kind, s.Address, s.Secret, c.ID, e.ev.Key, e.payload, cfg)
		if errors.Is(err, errSkip) {
			return err
		}
		if err != nil {
			return permanent{err}
		}
		return n.do(ctx, r, s.Secret)
	}
	return permanent{fmt.Errorf("unknown subscriber kind %q", s.Kind)}
}

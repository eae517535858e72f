package notify

import (
	"context"
	"sync"
	"time"

	"github.com/heraldhq/herald/internal/store"
)

// outcome is what became of one delivery, to be written down.
type outcome struct {
	id     int64
	state  string    // store.DeliverySent, DeliveryDead, DeliveryCancelled, or DeliveryQueued to retry
	at     time.Time // sent at, or the next try
	reason string
}

// recorder writes outcomes to the database in groups (group commit): a
// worker that records waits until its outcome is committed, and every
// outcome that arrives while one transaction is being written goes into the
// next one together. With N connections sending, a transaction carries up
// to N outcomes instead of one, and no worker runs ahead of what is written:
// each still has at most one message accepted by the relay and not recorded.
//
// There is no goroutine of its own: the first waiter of a group writes it,
// then hands the turn to the first of the next group.
type recorder struct {
	write func(ctx context.Context, outs []outcome) error

	mu      sync.Mutex
	queue   []*recordWait
	writing bool
}

type recordWait struct {
	o  outcome
	ch chan recordTurn
}

// recordTurn is what a waiter is told: its group's result, or that it is
// its turn to write.
type recordTurn struct {
	lead bool
	err  error
}

// record writes o (with the next group) and returns once it is committed.
func (r *recorder) record(ctx context.Context, o outcome) error {
	w := &recordWait{o: o, ch: make(chan recordTurn, 2)}
	r.mu.Lock()
	r.queue = append(r.queue, w)
	lead := !r.writing
	r.writing = true
	r.mu.Unlock()
	for {
		if lead {
			r.lead(ctx)
		}
		t := <-w.ch
		if !t.lead {
			return t.err
		}
		lead = true
	}
}

// lead writes everything queued as one group, passes the turn on to the
// first waiter that arrived meanwhile, and then tells the group's waiters.
func (r *recorder) lead(ctx context.Context) {
	r.mu.Lock()
	group := r.queue
	r.queue = nil
	r.mu.Unlock()
	outs := make([]outcome, len(group))
	for i, w := range group {
		outs[i] = w.o
	}
	err := r.write(ctx, outs)
	r.mu.Lock()
	if len(r.queue) > 0 {
		r.queue[0].ch <- recordTurn{lead: true}
	} else {
		r.writing = false
	}
	r.mu.Unlock()
	for _, w := range group {
		w.ch <- recordTurn{err: err}
	}
}

// writeOutcomes records a group in one transaction: the sends in one
// statement, the rarer failures one by one. The commit does not wait for the
// disk (store.LazyCommit): on PostgreSQL a synchronous commit is one flush of
// the log per group, and with the flush times of a busy shared disk (7 ms
// and more) the groups' round trips, not the relay, set the pace.
func (n *Notifier) writeOutcomes(ctx context.Context, outs []outcome) error {
	return n.st.Tx(ctx, func(q *store.Queries) error {
		if err := q.LazyCommit(ctx); err != nil {
			return err
		}
		var sent []int64
		var at time.Time
		for _, o := range outs {
			var err error
			switch o.state {
			case store.DeliverySent:
				sent = append(sent, o.id)
				at = o.at
			case store.DeliveryCancelled:
				err = q.MarkCancelled(ctx, o.id, o.reason)
			case store.DeliveryDead:
				err = q.MarkDead(ctx, o.id, o.reason)
			default:
				err = q.RetryLater(ctx, o.id, o.at, o.reason)
			}
			if err != nil {
				return err
			}
		}
		if len(sent) == 0 {
			return nil
		}
		return q.MarkSentAll(ctx, sent, at)
	})
}

package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// The notifier records a group of sends in one lazily committed
// transaction: more than one statement's worth (500) here, and nothing else.
func TestMarkSentAll(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		st, ctx := b.Store, t.Context()
		base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		var addrs []string
		for i := range 620 {
			addrs = append(addrs, fmt.Sprintf("u%d@example.net", i))
		}
		if _, err := st.InsertConfirmedEmails(ctx, addrs, nil, base); err != nil {
			t.Fatal(err)
		}
		ev := &store.Event{Key: "change:1", Kind: "incident.update", Subject: "incident:1", Payload: `{}`, CreatedAt: base}
		if _, err := st.InsertEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
		if n, err := st.FanOut(ctx, ev.ID, nil, store.Customers, base); err != nil || n != 620 {
			t.Fatalf("FanOut = %d, %v", n, err)
		}
		claims, err := claim(t, st, base, base.Add(time.Minute), 600)
		if err != nil || len(claims) != 600 {
			t.Fatalf("claimed %d, %v; want 600", len(claims), err)
		}
		ids := make([]int64, len(claims))
		for i, c := range claims {
			ids[i] = c.ID
		}
		err = st.Tx(ctx, func(q *store.Queries) error {
			if err := q.LazyCommit(ctx); err != nil {
				return err
			}
			return q.MarkSentAll(ctx, ids, base.Add(time.Second))
		})
		if err != nil {
			t.Fatal(err)
		}
		counts, err := st.DeliveryCounts(ctx, ev.ID)
		if err != nil || counts[store.DeliverySent] != 600 || counts[store.DeliveryQueued] != 20 || len(counts) != 2 {
			t.Fatalf("counts %v, %v; want 600 sent and 20 still queued", counts, err)
		}
		sent, err := st.Deliveries(ctx, store.DeliveryFilter{State: store.DeliverySent, Limit: 1})
		if err != nil || len(sent) != 1 || !sent[0].SentAt.Equal(base.Add(time.Second)) {
			t.Fatalf("a sent delivery: %+v, %v", sent, err)
		}
	})
}

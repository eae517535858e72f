package store_test

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

func TestSubscribersAndFanOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := t.Context()
		st := b.Store
		flexo := &store.Subscriber{Kind: store.SubEmail, Address: "Ann@Example.net", Components: []string{"flexo/web", "flexo/email"},
			ConfirmedAt: base, CreatedAt: base}
		mom := &store.Subscriber{Kind: store.SubEmail, Address: "bob@example.net", Components: []string{"mom/web"}, ConfirmedAt: base, CreatedAt: base}
		everything := &store.Subscriber{Kind: store.SubWebhook, Address: "http://127.0.0.1:9/hook", Secret: "s3cret", All: true, ConfirmedAt: base, CreatedAt: base}
		pending := &store.Subscriber{Kind: store.SubEmail, Address: "carol@example.net", All: true, CreatedAt: base}
		for _, s := range []*store.Subscriber{flexo, mom, everything, pending} {
			if err := st.InsertSubscriber(ctx, s); err != nil {
				t.Fatalf("InsertSubscriber %s: %v", s.Address, err)
			}
		}
		if err := st.InsertSubscriber(ctx, &store.Subscriber{Kind: store.SubEmail, Address: "ann@EXAMPLE.net", All: true, CreatedAt: base}); err == nil {
			t.Error("the same address in other case was stored twice")
		}
		got, err := st.SubscriberByAddress(ctx, store.SubEmail, "ANN@example.NET")
		if err != nil {
			t.Fatalf("SubscriberByAddress: %v", err)
		}
		if got.ID != flexo.ID || !reflect.DeepEqual(got.Components, []string{"flexo/email", "flexo/web"}) || !got.Active() {
			t.Errorf("SubscriberByAddress = %+v", got)
		}
		if _, err := st.SubscriberByAddress(ctx, store.SubEmail, "nobody@example.net"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown address: err = %v, want ErrNotFound", err)
		}

		ev := &store.Event{Key: "change:1", Kind: "incident.update", Subject: "incident:1", Payload: `{}`, CreatedAt: base}
		fresh, err := st.InsertEvent(ctx, ev)
		if err != nil || !fresh || ev.ID == 0 {
			t.Fatalf("InsertEvent = %v, %v (id %d)", fresh, err, ev.ID)
		}
		again := &store.Event{Key: "change:1", Kind: "incident.update", Subject: "incident:1", Payload: `{}`, CreatedAt: base}
		if fresh, err := st.InsertEvent(ctx, again); err != nil || fresh || again.ID != ev.ID {
			t.Fatalf("InsertEvent again = %v, %v (id %d, want %d)", fresh, err, again.ID, ev.ID)
		}
		n, err := st.FanOut(ctx, ev.ID, []string{"flexo/web"}, store.Customers, base)
		if err != nil {
			t.Fatalf("FanOut: %v", err)
		}
		if n != 2 {
			t.Errorf("FanOut to flexo/web queued %d, want 2 (ann and the webhook to everything; not bob, not the pending carol)", n)
		}
		if n, err := st.FanOut(ctx, ev.ID, []string{"flexo/web"}, store.Customers, base); err != nil || n != 0 {
			t.Errorf("second FanOut of the same event = %d, %v; want 0 (the (subscriber, event) key)", n, err)
		}
		list, err := st.Deliveries(ctx, store.DeliveryFilter{EventID: ev.ID})
		if err != nil {
			t.Fatal(err)
		}
		var to []int64
		for _, d := range list {
			to = append(to, d.SubscriberID)
		}
		sort.Slice(to, func(i, j int) bool { return to[i] < to[j] })
		if !reflect.DeepEqual(to, []int64{flexo.ID, everything.ID}) {
			t.Errorf("deliveries go to %v, want %v", to, []int64{flexo.ID, everything.ID})
		}

		// Claim, lease, fail, retry, die, send.
		lease := base.Add(time.Minute)
		claims, err := claim(t, st, base, lease, 10)
		if err != nil || len(claims) != 2 {
			t.Fatalf("ClaimDeliveries = %v, %v", claims, err)
		}
		if more, err := claim(t, st, base, lease, 10); err != nil || len(more) != 0 {
			t.Fatalf("a second claim took %v (%v); claimed rows must not be taken twice", more, err)
		}
		for _, c := range claims {
			if c.Attempts != 1 {
				t.Errorf("claim %d attempts = %d, want 1", c.ID, c.Attempts)
			}
		}
		if err := st.MarkSent(ctx, claims[0].ID, base); err != nil {
			t.Fatal(err)
		}
		if err := st.RetryLater(ctx, claims[1].ID, base.Add(time.Hour), "connection refused"); err != nil {
			t.Fatal(err)
		}
		if due, err := claim(t, st, base.Add(time.Minute), base.Add(2*time.Minute), 10); err != nil || len(due) != 0 {
			t.Fatalf("a delivery retried in an hour was claimed a minute later: %v %v", due, err)
		}
		if next, err := st.NextDue(ctx); err != nil || !next.Equal(msUTC(base.Add(time.Hour))) {
			t.Errorf("NextDue = %v, %v", next, err)
		}
		due, err := claim(t, st, base.Add(time.Hour), base.Add(time.Hour+time.Minute), 10)
		if err != nil || len(due) != 1 || due[0].Attempts != 2 {
			t.Fatalf("claim after back-off = %+v, %v", due, err)
		}
		if err := st.MarkDead(ctx, due[0].ID, "gave up after 2 tries"); err != nil {
			t.Fatal(err)
		}
		dead, err := st.Deliveries(ctx, store.DeliveryFilter{State: store.DeliveryDead})
		if err != nil || len(dead) != 1 || dead[0].LastError != "gave up after 2 tries" || dead[0].Address != everything.Address {
			t.Fatalf("dead letters = %+v, %v", dead, err)
		}
		if err := st.RetryDead(ctx, dead[0].ID, base.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := st.RetryDead(ctx, dead[0].ID, base.Add(2*time.Hour)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("retrying a delivery no longer dead: err = %v, want ErrNotFound", err)
		}

		// A worker that dies leaves its claim; it is requeued once the lease ends.
		held, err := claim(t, st, base.Add(2*time.Hour), base.Add(2*time.Hour+time.Minute), 10)
		if err != nil || len(held) != 1 {
			t.Fatalf("claim = %v, %v", held, err)
		}
		if n, err := st.RequeueExpired(ctx, base.Add(2*time.Hour)); err != nil || n != 0 {
			t.Errorf("RequeueExpired before the lease ends = %d, %v", n, err)
		}
		if n, err := st.RequeueExpired(ctx, base.Add(3*time.Hour)); err != nil || n != 1 {
			t.Errorf("RequeueExpired after the lease ends = %d, %v", n, err)
		}
		held, err = claim(t, st, base.Add(3*time.Hour), base.Add(3*time.Hour+time.Minute), 10)
		if err != nil || len(held) != 1 {
			t.Fatalf("claim after requeue = %v, %v", held, err)
		}
		if err := st.Release(ctx, []int64{held[0].ID}); err != nil {
			t.Fatal(err)
		}
		counts, err := st.DeliveryCounts(ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(counts, map[string]int64{store.DeliverySent: 1, store.DeliveryQueued: 1}) {
			t.Errorf("DeliveryCounts = %v", counts)
		}

		// Unsubscribing cancels what is queued and stops fan-out.
		if ok, err := st.Unsubscribe(ctx, everything.ID, base); err != nil || !ok {
			t.Fatalf("Unsubscribe = %v, %v", ok, err)
		}
		if ok, err := st.Unsubscribe(ctx, everything.ID, base); err != nil || ok {
			t.Errorf("second Unsubscribe = %v, %v; want false", ok, err)
		}
		ev2 := &store.Event{Key: "change:2", Kind: "incident.update", Subject: "incident:1", Payload: `{}`, CreatedAt: base}
		if _, err := st.InsertEvent(ctx, ev2); err != nil {
			t.Fatal(err)
		}
		if n, err := st.FanOut(ctx, ev2.ID, []string{"mom/web"}, store.Customers, base); err != nil || n != 1 {
			t.Errorf("FanOut to mom/web = %d, %v; want 1 (bob only)", n, err)
		}
		if counts, err := st.DeliveryCounts(ctx, ev.ID); err != nil || counts[store.DeliveryCancelled] != 1 {
			t.Errorf("after unsubscribing, counts = %v, %v; want the queued one cancelled", counts, err)
		}
		if ok, err := st.ConfirmSubscriber(ctx, pending.ID, base); err != nil || !ok {
			t.Errorf("ConfirmSubscriber = %v, %v", ok, err)
		}
		if ok, err := st.ConfirmSubscriber(ctx, pending.ID, base); err != nil || ok {
			t.Errorf("ConfirmSubscriber twice = %v, %v; want false", ok, err)
		}
		if err := st.UpdateSubscription(ctx, mom.ID, false, []string{"elzar/web"}, base); err != nil {
			t.Fatal(err)
		}
		if s, err := st.Subscriber(ctx, mom.ID); err != nil || !reflect.DeepEqual(s.Components, []string{"elzar/web"}) {
			t.Errorf("after UpdateSubscription: %+v, %v", s, err)
		}
		c, err := st.CountSubscribers(ctx)
		if err != nil || c != (store.SubscriberCounts{Active: 3, Unsubscribed: 1}) {
			t.Errorf("CountSubscribers = %+v, %v", c, err)
		}
	})
}

func claim(t *testing.T, st *store.Store, now, lease time.Time, n int) ([]store.Claim, error) {
	t.Helper()
	var out []store.Claim
	err := st.Tx(t.Context(), func(q *store.Queries) error {
		var err error
		out, err = q.ClaimDeliveries(t.Context(), now, lease, n)
		return err
	})
	return out, err
}

func TestOperatorSubscribersAndBulk(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := t.Context()
		st := b.Store
		want := []store.Subscriber{{Kind: store.SubEmail, Address: "ops@example.net"}, {Kind: store.SubSlack, Address: "http://127.0.0.1:9/slack"}}
		if err := st.SyncOperatorSubscribers(ctx, want, base); err != nil {
			t.Fatal(err)
		}
		if err := st.SyncOperatorSubscribers(ctx, want[1:], base); err != nil {
			t.Fatal(err)
		}
		yes := true
		ops, err := st.Subscribers(ctx, store.SubscriberFilter{Operator: &yes})
		if err != nil || len(ops) != 1 || ops[0].Kind != store.SubSlack || !ops[0].Active() || !ops[0].All {
			t.Fatalf("operator rows = %+v, %v", ops, err)
		}
		// An operator channel may share a customer's address without clashing.
		if err := st.InsertSubscriber(ctx, &store.Subscriber{Kind: store.SubSlack, Address: ops[0].Address, All: true, CreatedAt: base}); err != nil {
			t.Errorf("a customer with an operator channel's address: %v", err)
		}
		addrs := make([]string, 1000)
		for i := range addrs {
			addrs[i] = fmt.Sprintf("user%d@example.net", i)
		}
		n, err := st.InsertConfirmedEmails(ctx, addrs, []string{"flexo/web"}, base)
		if err != nil || n != 1000 {
			t.Fatalf("InsertConfirmedEmails = %d, %v", n, err)
		}
		if n, err := st.InsertConfirmedEmails(ctx, addrs[:10], nil, base); err != nil || n != 0 {
			t.Errorf("InsertConfirmedEmails again = %d, %v; want 0", n, err)
		}
		ev := &store.Event{Key: "x", Kind: "incident.update", Subject: "incident:1", Payload: `{}`, CreatedAt: base}
		if _, err := st.InsertEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
		if n, err := st.FanOut(ctx, ev.ID, []string{"flexo/web"}, store.Customers|store.Operators, base); err != nil || n != 1001 {
			t.Errorf("FanOut = %d, %v; want 1000 customers + 1 operator channel", n, err)
		}
		ev2 := &store.Event{Key: "y", Kind: "monitor.down", Subject: "component:flexo/web", Payload: `{}`, CreatedAt: base}
		if _, err := st.InsertEvent(ctx, ev2); err != nil {
			t.Fatal(err)
		}
		if n, err := st.FanOut(ctx, ev2.ID, []string{"flexo/web"}, store.Operators, base); err != nil || n != 1 {
			t.Errorf("FanOut to operators = %d, %v; want 1", n, err)
		}
	})
}

func TestCustomers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := t.Context()
		st := b.Store
		cs := make([]store.Customer, 1203)
		for i := range cs {
			cs[i] = store.Customer{Domain: fmt.Sprintf("site%d.example", i), GroupID: "flexo", UpdatedAt: base}
		}
		if err := st.Tx(ctx, func(q *store.Queries) error { return q.UpsertCustomers(ctx, cs) }); err != nil {
			t.Fatal(err)
		}
		cs[5].GroupID = "mom"
		if err := st.UpsertCustomers(ctx, cs[:10]); err != nil {
			t.Fatal(err)
		}
		if n, err := st.CountCustomers(ctx); err != nil || n != 1203 {
			t.Errorf("CountCustomers = %d, %v; want 1203 (the second import replaced, not added)", n, err)
		}
		c, err := st.CustomerByDomain(ctx, "site5.example")
		if err != nil || c.GroupID != "mom" {
			t.Errorf("CustomerByDomain = %+v, %v", c, err)
		}
		c, err = st.FirstCustomer(ctx, []string{"a.b.site7.example", "b.site7.example", "site7.example"})
		if err != nil || c.Domain != "site7.example" {
			t.Errorf("FirstCustomer = %+v, %v", c, err)
		}
		if _, err := st.FirstCustomer(ctx, []string{"nope.example"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown domain: %v", err)
		}
		if err := st.DeleteCustomer(ctx, "site7.example"); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteCustomer(ctx, "site7.example"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleting twice: %v", err)
		}
	})
}

// Instances started together on one database sync the configuration's
// alert channels, catalog and monitors at the same moment: each reads what
// is stored and inserts what is missing, one after the other, so none
// fails on a row another inserted meanwhile ("duplicate key").
func TestSyncFromSeveralInstancesAtOnce(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	first, err := store.Open(t.Context(), store.DSN{URL: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if _, err := first.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	for round := range 5 {
		const n = 4
		errs := make(chan error, n)
		start := make(chan struct{})
		for range n {
			go func() {
				st, err := store.Open(t.Context(), store.DSN{URL: dsn})
				if err != nil {
					errs <- err
					return
				}
				defer st.Close()
				<-start
				errs <- st.Tx(t.Context(), func(q *store.Queries) error {
					ops := []store.Subscriber{{Kind: store.SubEmail, Address: fmt.Sprintf("ops%d@example.net", round)}}
					if err := q.SyncOperatorSubscribers(t.Context(), ops, now); err != nil {
						return err
					}
					groups := []store.Group{{ID: fmt.Sprintf("g%d", round), Name: "g"}}
					comps := []store.Component{{ID: fmt.Sprintf("g%d/web", round), GroupID: fmt.Sprintf("g%d", round), Name: "Web"}}
					if err := q.SyncCatalog(t.Context(), groups, comps, now); err != nil {
						return err
					}
					return q.SyncMonitors(t.Context(), []store.MonitorDef{{ID: comps[0].ID + "/http", ComponentID: comps[0].ID, Kind: "http", Target: "http://127.0.0.1:1/"}}, now)
				})
			}()
		}
		close(start)
		for range n {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	}
}

package notify

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
)

// Who changes a subscription when it is not an operator: the change log
// names the link or form used, since a visitor has no account.
const (
	ActorForm            = "visitor (subscribe form)"
	ActorConfirmLink     = "customer (confirmation link)"
	ActorManageLink      = "customer (manage link)"
	ActorUnsubscribeLink = "customer (unsubscribe link)"
)

// subscriberLog is what the change log keeps of a subscriber. Never its
// address or secret: the log outlives the subscriber, and a deleted
// subscriber's address must go with them.
type subscriberLog struct {
	ID         int64    `json:"id"`
	Kind       string   `json:"kind"`
	State      string   `json:"state"` // pending, active or unsubscribed
	Everything bool     `json:"everything"`
	Components []string `json:"components,omitempty"`
	Operator   bool     `json:"operator,omitempty"`
	// Page is the entry of pages: it subscribed on (none: page:).
	Page string `json:"page,omitempty"`
	// Server is the one server of a private page it is limited to, and
	// Customer the customer domain whose sign-in made it.
	Server   string `json:"server,omitempty"`
	Customer string `json:"customer,omitempty"`
	// Asked is the choice a request waits to have confirmed.
	Asked *choice `json:"asked,omitempty"`
}

type choice struct {
	Everything bool     `json:"everything"`
	Components []string `json:"components,omitempty"`
}

func logView(s *store.Subscriber) *subscriberLog {
	v := &subscriberLog{ID: s.ID, Kind: s.Kind, State: "active", Everything: s.All, Components: s.Components, Operator: s.Operator, Page: s.Page,
		Server: s.Group, Customer: s.Customer}
	switch {
	case !s.UnsubscribedAt.IsZero():
		v.State = "unsubscribed"
	case s.ConfirmedAt.IsZero():
		v.State = "pending"
	}
	return v
}

func subscriberSubject(id int64) string { return "subscriber:" + strconv.FormatInt(id, 10) }

// changeSubscriber runs fn on one subscriber and reports it before and after.
func changeSubscriber(ctx context.Context, q *store.Queries, id int64, fn func() error) (service.Changed, error) {
	c := service.Changed{Subject: subscriberSubject(id)}
	before, err := q.Subscriber(ctx, id)
	if err != nil {
		return c, err
	}
	if err := fn(); err != nil {
		return c, err
	}
	after, err := q.Subscriber(ctx, id)
	if err != nil {
		return c, err
	}
	c.Before, c.After = logView(before), logView(after)
	return c, nil
}

// DeleteSubscriber removes a subscriber and its deliveries, for an operator.
// Alert channels from the configuration are removed there, not here.
func (n *Notifier) DeleteSubscriber(ctx context.Context, actor string, id int64) error {
	return n.svc.Apply(ctx, actor, "subscriber.delete", func(q *store.Queries) (service.Changed, error) {
		c := service.Changed{Subject: subscriberSubject(id)}
		s, err := q.Subscriber(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return c, &service.NotFoundError{Msg: fmt.Sprintf("subscriber %d not found", id)}
		}
		if err != nil {
			return c, err
		}
		if s.Operator {
			return c, service.Conflictf("this is an operator alert channel from the configuration; remove it there")
		}
		c.Before = logView(s)
		return c, q.DeleteSubscriber(ctx, id)
	})
}

// deliveryLog is what the change log keeps of a delivery.
type deliveryLog struct {
	ID           int64  `json:"id"`
	EventID      int64  `json:"event_id"`
	Event        string `json:"event"`
	SubscriberID int64  `json:"subscriber_id"`
	State        string `json:"state"`
	Attempts     int    `json:"attempts"`
	LastError    string `json:"last_error,omitempty"`
}

// RetryDelivery puts a dead delivery back in the queue with its tries reset.
func (n *Notifier) RetryDelivery(ctx context.Context, actor string, id int64) error {
	err := n.svc.Apply(ctx, actor, "delivery.retry", func(q *store.Queries) (service.Changed, error) {
		c := service.Changed{Subject: "delivery:" + strconv.FormatInt(id, 10)}
		// The dead delivery with this id, if there is one: the first dead one after id-1.
		dead, err := q.Deliveries(ctx, store.DeliveryFilter{State: store.DeliveryDead, AfterID: id - 1, Limit: 1})
		if err != nil {
			return c, err
		}
		if len(dead) == 0 || dead[0].ID != id {
			return c, &service.NotFoundError{Msg: "no dead delivery with this id (only dead letters can be retried)"}
		}
		d := dead[0]
		before := deliveryLog{ID: d.ID, EventID: d.EventID, Event: d.EventKind, SubscriberID: d.SubscriberID,
			State: d.State, Attempts: d.Attempts, LastError: d.LastError}
		if err := q.RetryDead(ctx, id, n.opt.Clock.Now()); err != nil {
			return c, err
		}
		after := before
		after.State, after.Attempts, after.LastError = store.DeliveryQueued, 0, ""
		c.Before, c.After = before, after
		return c, nil
	})
	if err == nil {
		n.Wake()
	}
	return err
}

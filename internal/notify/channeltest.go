package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
)

// Channel finds a configured operator channel by name.
func (n *Notifier) Channel(name string) (config.Channel, bool) {
	for _, ch := range n.cfg().Channels {
		if ch.Name == name {
			return ch, true
		}
	}
	return config.Channel{}, false
}

// TestChannel queues a test message to a configured channel (to each of an
// e-mail channel's addresses) and returns the deliveries it queued, whose
// state tells how it went. Each test is a new event: asking twice sends twice.
func (n *Notifier) TestChannel(ctx context.Context, actor, name string) ([]store.DeliveryInfo, error) {
	ch, ok := n.Channel(name)
	if !ok {
		return nil, fmt.Errorf("channel %q: %w", name, store.ErrNotFound)
	}
	subs, err := n.channelSubscribers(ctx, ch)
	if err != nil {
		return nil, err
	}
	if len(subs) == 0 {
		return nil, service.Conflictf("channel %s is not in the database yet; it is added when the configuration is loaded", name)
	}
	var nonce [8]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, err
	}
	now := n.opt.Clock.Now()
	site := n.cfg().Page.Title
	if site == "" {
		site = "Herald"
	}
	p := Payload{Kind: KindTest, Title: fmt.Sprintf("%s's %s channel %s works", site, ch.Type, name), At: now,
		Body: fmt.Sprintf("%s asked for this test message from Herald. Alerts for operators arrive here.", strings.TrimPrefix(actor, "user:"))}
	var ev *store.Event
	err = n.st.Tx(ctx, func(q *store.Queries) error {
		var err error
		ev, _, err = n.insertEvent(ctx, q, "test:"+name+":"+hex.EncodeToString(nonce[:]), "channel:"+name, p)
		if err != nil {
			return err
		}
		for _, s := range subs {
			if err := q.QueueDelivery(ctx, ev.ID, s.ID, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	n.Wake()
	return n.st.Deliveries(ctx, store.DeliveryFilter{EventID: ev.ID})
}

// LastTest is the latest test delivery of each of a channel's subscribers,
// or none if it was never tested.
func (n *Notifier) LastTest(ctx context.Context, name string) ([]store.DeliveryInfo, error) {
	ch, ok := n.Channel(name)
	if !ok {
		return nil, fmt.Errorf("channel %q: %w", name, store.ErrNotFound)
	}
	subs, err := n.channelSubscribers(ctx, ch)
	if err != nil {
		return nil, err
	}
	var out []store.DeliveryInfo
	for _, s := range subs {
		list, err := n.st.Deliveries(ctx, store.DeliveryFilter{SubscriberID: s.ID, EventKind: KindTest})
		if err != nil {
			return nil, err
		}
		if len(list) > 0 {
			out = append(out, list[len(list)-1])
		}
	}
	return out, nil
}

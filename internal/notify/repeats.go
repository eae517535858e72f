package notify

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/words"
)

// repeats queues the repeated alerts of channels that ask for them, twice a minute.
func (n *Notifier) repeats(ctx context.Context) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		if _, err := n.QueueRepeats(ctx); err != nil && ctx.Err() == nil {
			n.log.Error("notify: repeated alerts", slog.Any("err", err))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// QueueRepeats queues, for each channel with a repeat, the alert of every
// incident still open (a draft among them: operators hear of drafts) once
// more for each whole repeat since the incident was opened. The k-th
// repeat's event is keyed by the channel, the incident and k, so it is
// queued once whichever instance gets there first, and a Herald that was
// stopped for several intervals sends the latest one, not the backlog. It
// returns how many it queued.
func (n *Notifier) QueueRepeats(ctx context.Context) (int, error) {
	cfg := n.cfg()
	var chans []config.Channel
	for _, ch := range cfg.Channels {
		if ch.Repeat.D() > 0 {
			chans = append(chans, ch)
		}
	}
	if len(chans) == 0 {
		return 0, nil
	}
	var open []status.Incident
	for _, state := range []string{"open", "draft"} {
		list, err := n.st.Incidents(ctx, store.IncidentFilter{State: state})
		if err != nil {
			return 0, err
		}
		for _, in := range list {
			if in.Status != status.Resolved {
				open = append(open, in)
			}
		}
	}
	if len(open) == 0 {
		return 0, nil
	}
	now := n.opt.Clock.Now()
	base := strings.TrimRight(cfg.Page.URL, "/")
	queued := 0
	for _, ch := range chans {
		subs, err := n.channelSubscribers(ctx, ch)
		if err != nil {
			return queued, err
		}
		if len(subs) == 0 {
			continue
		}
		every := ch.Repeat.D()
		for i := range open {
			in := &open[i]
			k := int(now.Sub(in.CreatedAt) / every)
			if k < 1 {
				continue
			}
			p := repeatPayload(in, base, now, cfg)
			p.Names = n.names(p.Components)
			key := fmt.Sprintf("repeat:%s:incident:%d:%d", ch.Name, in.ID, k)
			err := n.st.Tx(ctx, func(q *store.Queries) error {
				if err := n.addOverall(ctx, q, &p); err != nil {
					return err
				}
				ev, fresh, err := n.insertEvent(ctx, q, key, fmt.Sprintf("incident:%d", in.ID), p)
				if err != nil || !fresh {
					return err
				}
				queued++
				for _, s := range subs {
					if err := q.QueueDelivery(ctx, ev.ID, s.ID, now); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return queued, err
			}
		}
	}
	if queued > 0 {
		n.Wake()
	}
	return queued, nil
}

// repeatPayload is an open incident's alert said again: how long it has
// been open, and its latest update.
func repeatPayload(in *status.Incident, base string, now time.Time, cfg config.Config) Payload {
	p := Payload{Kind: KindRepeat, Title: in.Title, Status: string(in.Status), Impact: string(in.Impact), At: now,
		Incident: in.ID, URL: fmt.Sprintf("%s/incidents/%d", base, in.ID), Started: in.StartedAt}
	for _, ac := range in.Components {
		p.Components = append(p.Components, ac.ComponentID)
	}
	p.Body = "Open for " + words.Duration(now.Sub(in.CreatedAt).Truncate(time.Minute)) + "."
	if len(in.Updates) > 0 {
		p.Body += "\n\nLatest update: " + in.Updates[0].Body
	}
	return p
}

// channelSubscribers are the operator subscribers a configured channel
// became (an e-mail channel one per address).
func (n *Notifier) channelSubscribers(ctx context.Context, ch config.Channel) ([]store.Subscriber, error) {
	want := map[string]bool{}
	switch {
	case ch.Type == store.SubEmail:
		for _, to := range ch.To {
			want[store.AddressKey(store.SubEmail, to)] = true
		}
	case IsTool(ch.Type):
		want[store.AddressKey(ch.Type, ChannelAddress(ch))] = true
	default:
		want[store.AddressKey(ch.Type, ch.URL)] = true
	}
	yes := true
	all, err := n.st.Subscribers(ctx, store.SubscriberFilter{Operator: &yes, Kind: ch.Type})
	if err != nil {
		return nil, err
	}
	var out []store.Subscriber
	for _, s := range all {
		if want[store.AddressKey(s.Kind, s.Address)] {
			out = append(out, s)
		}
	}
	return out, nil
}

package notify

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

// defaultReminders are sent before a maintenance window unless configured.
var defaultReminders = []time.Duration{24 * time.Hour, time.Hour}

func (n *Notifier) reminderLeads() []time.Duration {
	if len(n.opt.Reminders) > 0 {
		return n.opt.Reminders
	}
	if rs := n.cfg().Maintenance.Reminders; len(rs) > 0 {
		out := make([]time.Duration, len(rs))
		for i, r := range rs {
			out[i] = r.D()
		}
		return out
	}
	return defaultReminders
}

// reminders queues maintenance reminders as they come due, once a minute.
func (n *Notifier) reminders(ctx context.Context) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		if _, err := n.QueueReminders(ctx); err != nil && ctx.Err() == nil {
			n.log.Error("notify: maintenance reminders", slog.Any("err", err))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// QueueReminders queues every reminder now due: a window still scheduled,
// starting within a reminder's lead, announced before that lead began (a
// window announced an hour ahead gets no "in 24 hours" reminder). Each
// reminder's key names the window, the lead and the start, so it is queued
// once, and again only if the window moves. It returns how many it queued.
func (n *Notifier) QueueReminders(ctx context.Context) (int, error) {
	windows, err := n.st.Maintenances(ctx, store.MaintenanceFilter{State: "upcoming"})
	if err != nil {
		return 0, err
	}
	now := n.opt.Clock.Now()
	base := strings.TrimRight(n.cfg().Page.URL, "/")
	queued := 0
	for i := range windows {
		m := &windows[i]
		if m.Status != status.Scheduled || !m.ScheduledFor.After(now) {
			continue
		}
		for _, lead := range n.reminderLeads() {
			at := m.ScheduledFor.Add(-lead)
			if now.Before(at) || m.CreatedAt.After(at) {
				continue
			}
			p := maintenancePayload(KindReminder, m, base, now)
			p.Lead, p.Body, p.update = lead, m.Body, 0
			p.BodyText, p.BodyHTML = m.Rendered.Text, string(m.Rendered.HTML)
			p.Components = append([]string(nil), m.Components...)
			p.Names = n.names(p.Components)
			key := fmt.Sprintf("reminder:%d:%s:%d", m.ID, lead, m.ScheduledFor.UnixMilli())
			fresh := false
			if err := n.st.Tx(ctx, func(q *store.Queries) error {
				if err := n.addOverall(ctx, q, &p); err != nil {
					return err
				}
				var err error
				fresh, err = n.enqueue(ctx, q, key, fmt.Sprintf("maintenance:%d", m.ID), p, store.Customers|store.Operators)
				return err
			}); err != nil {
				return queued, err
			}
			if fresh {
				queued++
			}
		}
	}
	if queued > 0 {
		n.Wake()
	}
	return queued, nil
}

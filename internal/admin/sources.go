package admin

import (
	"context"
	"encoding/csv"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/monitor"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

// EngineMonitoring feeds the monitors screen from the running monitor
// engine (live state) and the stored outages.
type EngineMonitoring struct {
	Engine *monitor.Engine
	Store  *store.Store
}

// Monitors lists every running monitor's state.
func (m EngineMonitoring) Monitors() []MonitorView { return monitorViews(m.Engine.Statuses()) }

func monitorViews(st map[string]monitor.MonitorStatus) []MonitorView {
	out := make([]MonitorView, 0, len(st))
	for id, s := range st {
		out = append(out, MonitorView{ID: id, ComponentID: s.Spec.ComponentID, Kind: s.Spec.Monitor.Type,
			Target: s.Spec.Target(), State: string(s.State), Since: s.Since, LastCheck: s.LastCheckAt,
			LastMessage: s.LastMessage, LastLatency: s.LastLatency})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Outages lists the outages lasting at or after since, newest first.
func (m EngineMonitoring) Outages(ctx context.Context, since time.Time) ([]OutageView, error) {
	rows, err := m.Store.Outages(ctx, store.OutageFilter{Since: since, Limit: 500})
	if err != nil {
		return nil, err
	}
	out := make([]OutageView, 0, len(rows))
	for _, o := range rows {
		out = append(out, OutageView{ComponentID: o.ComponentID, Start: o.StartedAt, End: o.EndedAt,
			Down: o.Severity == status.MonitorDown, InMaintenance: o.MaintenanceID != 0, IncidentID: o.IncidentID})
	}
	return out, nil
}

// StoreSubscribers feeds the subscribers screen from the store. It pages
// through the customer subscribers for counts and search: fine for tens of
// thousands; a larger list wants SQL counts and a search index.
type StoreSubscribers struct{ Store *store.Store }

const subscriberPage = 1000

// each calls fn for every customer subscriber still subscribed, in id order.
func (s StoreSubscribers) each(ctx context.Context, fn func(*store.Subscriber) bool) error {
	operator := false
	var after int64
	for {
		page, err := s.Store.Subscribers(ctx, store.SubscriberFilter{Operator: &operator, AfterID: after, Limit: subscriberPage})
		if err != nil {
			return err
		}
		for i := range page {
			if page[i].UnsubscribedAt.IsZero() && !fn(&page[i]) {
				return nil
			}
		}
		if len(page) < subscriberPage {
			return nil
		}
		after = page[len(page)-1].ID
	}
}

// Counts counts subscribers per component; "" counts those subscribed to everything.
func (s StoreSubscribers) Counts(ctx context.Context) (map[string]int, error) {
	counts := map[string]int{}
	err := s.each(ctx, func(sub *store.Subscriber) bool {
		if sub.All {
			counts[""]++
		}
		for _, c := range sub.Components {
			counts[c]++
		}
		return true
	})
	return counts, err
}

func view(sub *store.Subscriber) SubscriberView {
	v := SubscriberView{ID: sub.ID, Kind: sub.Kind, Address: sub.Address, Confirmed: !sub.ConfirmedAt.IsZero(), CreatedAt: sub.CreatedAt}
	if !sub.All {
		v.Components = sub.Components
	}
	return v
}

// Search finds subscribers whose address contains q, ignoring case.
func (s StoreSubscribers) Search(ctx context.Context, q string, limit int) ([]SubscriberView, error) {
	q = strings.ToLower(q)
	var out []SubscriberView
	err := s.each(ctx, func(sub *store.Subscriber) bool {
		if strings.Contains(strings.ToLower(sub.Address), q) {
			out = append(out, view(sub))
		}
		return len(out) < limit
	})
	return out, err
}

// Export writes every subscriber as CSV; webhook secrets are never written.
func (s StoreSubscribers) Export(ctx context.Context, w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"id", "kind", "address", "components", "confirmed", "created_at"}); err != nil {
		return err
	}
	err := s.each(ctx, func(sub *store.Subscriber) bool {
		comps := "*"
		if !sub.All {
			comps = strings.Join(sub.Components, " ")
		}
		// A leading =, +, - or @ would be read as a formula by spreadsheets.
		addr := sub.Address
		if addr != "" && strings.ContainsRune("=+-@", rune(addr[0])) {
			addr = "'" + addr
		}
		return cw.Write([]string{strconv.FormatInt(sub.ID, 10), sub.Kind, addr, comps,
			strconv.FormatBool(!sub.ConfirmedAt.IsZero()), sub.CreatedAt.UTC().Format(time.RFC3339)}) == nil
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

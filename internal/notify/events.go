package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/words"
)

// Event kinds beyond the change log's actions.
const (
	KindConfirm  = "subscriber.confirm"
	KindReminder = "maintenance.reminder"
	// KindTest is a channel's test message, asked for from the admin.
	KindTest = "channel.test"
	// KindRepeat is an open incident's alert sent again (a channel's repeat).
	KindRepeat = "incident.repeat"
)

// Payload is what a delivery says, fixed when the event is queued.
type Payload struct {
	Kind   string `json:"kind"`
	Title  string `json:"title"`
	Status string `json:"status,omitempty"`
	Impact string `json:"impact,omitempty"`
	Body   string `json:"body,omitempty"` // Markdown of the latest update
	// BodyText and BodyHTML are Body as the store rendered it when it was
	// written (plain text, sanitized HTML), for the e-mail's two parts.
	BodyText string `json:"body_text,omitempty"`
	BodyHTML string `json:"body_html,omitempty"`
	// Indicator and Description are the page's overall status once the
	// change is made (Statuspage's words), for the webhook's page object.
	Indicator   string    `json:"status_indicator,omitempty"`
	Description string    `json:"status_description,omitempty"`
	Components  []string  `json:"components,omitempty"`
	Names       []string  `json:"names,omitempty"` // "flexo · Web sites", in page order
	URL         string    `json:"url,omitempty"`   // the incident's or window's page
	At          time.Time `json:"at"`
	Incident    int64     `json:"incident,omitempty"`
	Window      int64     `json:"maintenance,omitempty"`
	From        time.Time `json:"scheduled_for,omitzero"`
	Until       time.Time `json:"scheduled_until,omitzero"`
	// Started and Resolved are an incident's times (Resolved zero while it
	// is open), for the line that says when it ran, as its page says it.
	Started  time.Time `json:"started_at,omitzero"`
	Resolved time.Time `json:"resolved_at,omitzero"`
	// Lead is how long before the window a reminder goes out.
	Lead time.Duration `json:"lead,omitempty"`
	// Components chosen for a confirmation request, and whether it is for everything.
	All bool `json:"all,omitempty"`
	// Customer is the customer domain a confirmation request on a private
	// page was made with (store.Subscriber.Customer), set when confirmed.
	Customer string `json:"customer,omitempty"`

	// before are an incident's or a window's components before the change,
	// added those it named for the first time; they decide who hears of it,
	// and are not sent. joined, when set, is what the subscribers of added
	// alone are told: the incident or window as new. news says an edit,
	// which customers are not told of as such, carries something they would
	// want to know (a window moved, a server taken out of it, an update).
	before, added []string
	joined        *Payload
	news          bool
	// update is the id of the update whose text Body is (0: a window's
	// announcement), for finding its stored rendering.
	update int64
}

// customerActions are the changes customers are told about; every other
// change (edits, links, postmortems, tokens) is not news to them.
var customerActions = map[string]bool{
	"incident.create": true, "incident.update": true, "incident.resolve": true, "incident.publish": true,
	"maintenance.create": true, "maintenance.start": true, "maintenance.complete": true,
	"maintenance.update": true, "maintenance.cancel": true,
}

// hook runs inside the change's transaction and queues its event. When a
// published incident grows to components it did not name (a server joining
// a network incident), the subscribers of the new components alone, who
// have heard nothing of it, are told of it as a new incident; everyone else
// gets the change as usual. So each subscriber hears of an incident once as
// new, whenever it starts to concern them.
func (n *Notifier) hook(ctx context.Context, q *store.Queries, c store.Change) error {
	if !customerActions[c.Action] && c.Action != "incident.components" && c.Action != "maintenance.edit" {
		return nil
	}
	p, aud, ok, err := n.payloadFor(c)
	if err != nil || !ok {
		return err
	}
	if err := p.addRendered(ctx, q); err != nil {
		return err
	}
	if p.joined != nil {
		if err := p.joined.addRendered(ctx, q); err != nil {
			return err
		}
	}
	if err := n.addOverall(ctx, q, &p); err != nil {
		return err
	}
	key := "change:" + strconv.FormatInt(c.ID, 10)
	reach := p.Components
	if p.joined != nil {
		if _, err := n.enqueueNew(ctx, q, key+":joined", c.Subject, *p.joined, aud, p.added, p.before); err != nil {
			return err
		}
		reach = p.before
	}
	if !customerActions[c.Action] && !p.news {
		return nil
	}
	_, err = n.enqueueTo(ctx, q, key, c.Subject, p, aud, reach)
	return err
}

// enqueue stores an event and fans it out to its components' subscribers, inside q's transaction.
func (n *Notifier) enqueue(ctx context.Context, q *store.Queries, key, subject string, p Payload, aud store.Audience) (bool, error) {
	return n.enqueueTo(ctx, q, key, subject, p, aud, p.Components)
}

// enqueueTo stores an event and fans it out to the subscribers of reach.
func (n *Notifier) enqueueTo(ctx context.Context, q *store.Queries, key, subject string, p Payload, aud store.Audience, reach []string) (bool, error) {
	ev, fresh, err := n.insertEvent(ctx, q, key, subject, p)
	if err != nil || !fresh {
		return false, err
	}
	_, err = q.FanOut(ctx, ev.ID, reach, aud, ev.CreatedAt)
	return err == nil, err
}

// enqueueNew stores an event for the subscribers of comps who are not
// subscribers of told (nor of everything).
func (n *Notifier) enqueueNew(ctx context.Context, q *store.Queries, key, subject string, p Payload, aud store.Audience, comps, told []string) (bool, error) {
	ev, fresh, err := n.insertEvent(ctx, q, key, subject, p)
	if err != nil || !fresh {
		return false, err
	}
	_, err = q.FanOutNew(ctx, ev.ID, comps, told, aud, ev.CreatedAt)
	return err == nil, err
}

func (n *Notifier) insertEvent(ctx context.Context, q *store.Queries, key, subject string, p Payload) (*store.Event, bool, error) {
	body, err := json.Marshal(p)
	if err != nil {
		return nil, false, fmt.Errorf("notification payload: %w", err)
	}
	ev := &store.Event{Key: key, Kind: p.Kind, Subject: subject, Payload: string(body), CreatedAt: n.opt.Clock.Now()}
	fresh, err := q.InsertEvent(ctx, ev)
	return ev, fresh, err
}

// payloadFor reads a change's object and decides who hears of it: customers
// and operators for public news, operators alone for drafts.
func (n *Notifier) payloadFor(c store.Change) (Payload, store.Audience, bool, error) {
	cfg := n.cfg()
	base := strings.TrimRight(cfg.Page.URL, "/")
	switch {
	case strings.HasPrefix(c.Action, "incident."):
		var after, before status.Incident
		if c.After == "" {
			return Payload{}, 0, false, nil
		}
		if err := json.Unmarshal([]byte(c.After), &after); err != nil {
			return Payload{}, 0, false, fmt.Errorf("read incident change: %w", err)
		}
		if c.Before != "" {
			if err := json.Unmarshal([]byte(c.Before), &before); err != nil {
				return Payload{}, 0, false, fmt.Errorf("read incident change: %w", err)
			}
		}
		kind := c.Action
		if kind == "incident.publish" {
			kind = "incident.create" // customers first hear of it now
		}
		p := Payload{Kind: kind, Title: after.Title, Status: string(after.Status), Impact: string(after.Impact),
			At: c.At, Incident: after.ID, URL: fmt.Sprintf("%s/incidents/%d", base, after.ID), Started: after.StartedAt}
		if after.Status == status.Resolved {
			p.Resolved = after.ResolvedAt
		}
		if len(after.Updates) > 0 {
			p.Body, p.update = after.Updates[0].Body, after.Updates[0].ID
		}
		set, had := map[string]bool{}, map[string]bool{}
		for _, ac := range before.Components {
			set[ac.ComponentID], had[ac.ComponentID] = true, true
		}
		for _, ac := range after.Components {
			if !had[ac.ComponentID] && c.Before != "" && !before.Draft {
				p.added = append(p.added, ac.ComponentID)
			}
			set[ac.ComponentID] = true
		}
		p.Components = sortedKeys(set)
		p.before = sortedKeys(had)
		sort.Strings(p.added)
		p.Names = n.names(p.Components)
		if len(p.added) > 0 && p.Kind != "incident.create" && p.Kind != "incident.resolve" {
			joined := p
			joined.Kind = "incident.create"
			p.joined = &joined
		}
		aud := store.Customers | store.Operators
		if after.Draft {
			aud = store.Operators
		}
		return p, aud, true, nil
	case strings.HasPrefix(c.Action, "maintenance."):
		var after, before status.Maintenance
		if c.After == "" {
			return Payload{}, 0, false, nil
		}
		if err := json.Unmarshal([]byte(c.After), &after); err != nil {
			return Payload{}, 0, false, fmt.Errorf("read maintenance change: %w", err)
		}
		if c.Before != "" {
			if err := json.Unmarshal([]byte(c.Before), &before); err != nil {
				return Payload{}, 0, false, fmt.Errorf("read maintenance change: %w", err)
			}
		}
		p := maintenancePayload(c.Action, &after, base, c.At)
		set, had := map[string]bool{}, map[string]bool{}
		for _, id := range before.Components {
			set[id], had[id] = true, true
		}
		for _, id := range after.Components {
			if !had[id] && c.Before != "" {
				p.added = append(p.added, id)
			}
			set[id] = true
		}
		p.Components = sortedKeys(set)
		p.before = sortedKeys(had)
		sort.Strings(p.added)
		p.Names = n.names(p.Components)
		if len(p.added) > 0 && !after.Status.Final() {
			joined := maintenancePayload("maintenance.create", &after, base, c.At)
			joined.Components = append([]string(nil), after.Components...)
			joined.Names = n.names(joined.Components)
			p.joined = &joined
		}
		if c.Action == "maintenance.edit" {
			p.Kind = "maintenance.update"
			p.Body = n.editNews(&before, &after, c.At)
			p.news = p.Body != "" && !after.Status.Final()
		}
		return p, store.Customers | store.Operators, true, nil
	}
	return Payload{}, 0, false, nil
}

// editNews is what an edit of a window tells those who had heard of it, or
// "" when it changed nothing they would want to know of: the update posted
// with it, where the window moved to, and which servers it no longer
// concerns. A new title or description alone is not news to them.
func (n *Notifier) editNews(before, after *status.Maintenance, at time.Time) string {
	var says []string
	if len(after.Updates) > len(before.Updates) {
		says = append(says, after.Updates[0].Body)
	}
	if !after.ScheduledFor.Equal(before.ScheduledFor) || !after.ScheduledUntil.Equal(before.ScheduledUntil) {
		cfg := n.cfg()
		loc := cfg.Location()
		says = append(says, "We moved this maintenance to "+
			words.DatedWindow(after.ScheduledFor, after.ScheduledUntil, at, loc, config.ZoneName(loc))+".")
	}
	var gone []string
	for _, id := range before.Components {
		if !slices.Contains(after.Components, id) {
			gone = append(gone, id)
		}
	}
	if len(gone) > 0 {
		says = append(says, "It no longer affects "+words.List(n.names(gone))+".")
	}
	return strings.Join(says, "\n\n")
}

func maintenancePayload(kind string, m *status.Maintenance, base string, at time.Time) Payload {
	p := Payload{Kind: kind, Title: m.Title, Status: string(m.Status), At: at, Window: m.ID,
		URL: fmt.Sprintf("%s/maintenance/%d", base, m.ID), From: m.ScheduledFor, Until: m.ScheduledUntil, Body: m.Body}
	if len(m.Updates) > 0 && kind != "maintenance.create" {
		p.Body, p.update = m.Updates[0].Body, m.Updates[0].ID
	}
	return p
}

// addOverall fills the page's overall status as q sees it: inside a
// change's transaction, the status the change makes.
func (n *Notifier) addOverall(ctx context.Context, q *store.Queries, p *Payload) error {
	snap, err := n.svc.SnapshotIn(ctx, q)
	if err != nil {
		return fmt.Errorf("read the page's status for the notice: %w", err)
	}
	p.Indicator, p.Description = string(snap.Overall.Indicator), snap.Overall.Description
	if p.joined != nil {
		p.joined.Indicator, p.joined.Description = p.Indicator, p.Description
	}
	return nil
}

// addRendered fills BodyText and BodyHTML with the rendering the store made
// of Body when it was written, read in the change's own transaction: no
// Markdown is rendered here. A Body that is no stored text as it stands
// (an edit's news, which adds Herald's own sentences to an update) keeps
// no rendering: the e-mail shows it as typed, escaped.
func (p *Payload) addRendered(ctx context.Context, q *store.Queries) error {
	if p.Body == "" {
		return nil
	}
	var (
		r   status.Rendered
		src string
	)
	switch {
	case p.Incident != 0:
		in, err := q.Incident(ctx, p.Incident)
		if err != nil {
			return fmt.Errorf("read the incident's rendered text: %w", err)
		}
		for _, u := range in.Updates {
			if u.ID == p.update {
				r, src = u.Rendered, u.Body
			}
		}
	case p.Window != 0:
		m, err := q.Maintenance(ctx, p.Window)
		if err != nil {
			return fmt.Errorf("read the window's rendered text: %w", err)
		}
		r, src = m.Rendered, m.Body
		for _, u := range m.Updates {
			if p.update != 0 && u.ID == p.update {
				r, src = u.Rendered, u.Body
			}
		}
	}
	if src == p.Body {
		p.BodyText, p.BodyHTML = r.Text, string(r.HTML)
	}
	return nil
}

// names turns component ids into words for messages, in page order.
func (n *Notifier) names(ids []string) []string {
	cat := n.svc.Catalog()
	groups := map[string]string{}
	for _, g := range cat.Groups {
		groups[g.ID] = g.Name
	}
	type named struct {
		pos  [2]int
		name string
	}
	gpos := map[string]int{}
	for i, g := range cat.Groups {
		gpos[g.ID] = i
	}
	var out []named
	for _, id := range ids {
		c, ok := cat.Component(id)
		if !ok {
			out = append(out, named{[2]int{1 << 30, 0}, id})
			continue
		}
		g := groups[c.GroupID]
		if g == "" {
			g = c.GroupID
		}
		out = append(out, named{[2]int{gpos[c.GroupID], c.Position}, g + " · " + c.Name})
	}
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].pos[0] < out[j].pos[0] || (out[i].pos[0] == out[j].pos[0] && out[i].pos[1] < out[j].pos[1])
	})
	s := make([]string, len(out))
	for i, o := range out {
		s[i] = o.name
	}
	return s
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Names says component ids in words, in page order ("flexo · Web sites").
func (n *Notifier) Names(ids []string) []string { return n.names(ids) }

// AlertOperators queues a notice for the operator alert channels alone (a
// monitor event that opened no incident, say), inside q's transaction. key
// makes it unique: the same key is queued once.
func (n *Notifier) AlertOperators(ctx context.Context, q *store.Queries, key, title, body string, comps []string) error {
	p := Payload{Kind: "monitor.alert", Title: title, Body: body, Components: comps, Names: n.names(comps), At: n.opt.Clock.Now()}
	if err := n.addOverall(ctx, q, &p); err != nil {
		return err
	}
	_, err := n.enqueue(ctx, q, "alert:"+key, "alert:"+key, p, store.Operators)
	return err
}

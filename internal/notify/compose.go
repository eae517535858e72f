package notify

import (
	"context"
	"fmt"
	"github.com/heraldhq/herald/internal/locale"
	"html/template"
	"mime"
	"net/url"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/statuspage"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/words"
)

// links are a subscriber's own addresses on the status page.
type links struct {
	Manage, Unsubscribe, Confirm string
}

func (n *Notifier) linksFor(base string, s *store.Subscriber, now time.Time) links {
	tok := n.sign.sign(purposeManage, s.ID, time.Time{})
	l := links{
		Manage:      base + "/manage?token=" + url.QueryEscape(tok),
		Unsubscribe: base + "/unsubscribe?token=" + url.QueryEscape(tok),
	}
	return l
}

// ManageToken is the token in a subscriber's manage and unsubscribe links.
func (n *Notifier) ManageToken(id int64) string { return n.sign.sign(purposeManage, id, time.Time{}) }

// headline is the first line of a message: what happened, in words.
func headline(p Payload) string {
	switch p.Kind {
	case "incident.create":
		return "New incident"
	case "incident.update":
		return "Incident update"
	case "incident.resolve":
		return "Resolved"
	case "maintenance.create":
		return "Scheduled maintenance"
	case "maintenance.update":
		return "Maintenance update"
	case "maintenance.start":
		return "Maintenance has started"
	case "maintenance.complete":
		return "Maintenance completed"
	case "maintenance.cancel":
		return "Maintenance cancelled"
	case KindReminder:
		return "Reminder: maintenance in " + leadWords(p.Lead)
	case KindConfirm:
		return "Please confirm your subscription"
	case "monitor.alert":
		return "Alert"
	case KindTest:
		return "Test"
	case KindRepeat:
		return "Still open"
	}
	return "Status update"
}

func leadWords(d time.Duration) string { return words.Duration(d) }

// statusLabel words an incident's or a window's status as the pages do.
func statusLabel(s string) string {
	if st := status.IncidentStatus(s); st.Valid() {
		return st.Label()
	}
	return status.MaintenanceStatus(s).Label()
}

// composeMail builds the e-mail for one subscriber and event.
func (n *Notifier) composeMail(cfg config.Config, ev *store.Event, p Payload, s *store.Subscriber, now time.Time) (*Message, error) {
	base := strings.TrimRight(cfg.Page.URL, "/")
	// Subscribers read the page's language; an operator's alert channel
	// reads Herald's English, like the admin.
	lang := cfg.Page.Lang()
	if s.Operator {
		lang = locale.English
	}
	tr, wr := locale.For(lang), words.In(lang)
	site := cfg.Page.Title
	if site == "" {
		site = tr.T("Status")
	}
	loc := cfg.Location()
	zone := config.ZoneName(loc)
	l := n.linksFor(base, s, now)
	l.Confirm = base + "/subscribe/confirm?token=" + url.QueryEscape(n.sign.sign(purposeConfirm, ev.ID, ev.CreatedAt.Add(confirmTTL)))
	lead := tr.T(headline(p))
	if p.Kind == KindReminder {
		lead = tr.T("Reminder: maintenance in %s", wr.Duration(p.Lead))
	}
	v := mailView{L: labelsIn(lang), Lead: lead, Title: p.Title, Status: tr.T(statusLabel(p.Status)), Body: p.BodyText, URL: p.URL,
		Affected: strings.Join(p.Names, "; "), BodyHTML: template.HTML(p.BodyHTML)} //nolint:gosec // rendered and sanitized when written
	if p.BodyHTML == "" && p.Body != "" {
		// An event queued before payloads carried the rendering: its
		// Markdown as typed, escaped in the HTML part.
		v.Body = p.Body
	}
	if !p.Started.IsZero() {
		// When the incident ran, as its page says it, with the date in
		// full: an e-mail is read later than it is sent.
		v.When = wr.DatedInterval(p.Started, p.Resolved, now, loc, zone)
	}
	if !p.From.IsZero() {
		v.When = tr.T("Scheduled %s", wr.DatedWindow(p.From, p.Until, now, loc, zone))
	}
	m := &Message{To: s.Address, ID: fmt.Sprintf("herald.%d.%d@%s", ev.ID, s.ID, msgIDHost(base)), ListID: listID(site, base)}
	if p.Kind == KindConfirm {
		v.Title = tr.T("Confirm your subscription to %s", site)
		what := tr.T("every update")
		if !p.All {
			what = tr.T("updates about %s", strings.Join(p.Names, "; "))
		}
		v.BodyHTML = ""
		v.Body = tr.T("Someone (we hope you) asked to receive %s from %s at this address. Nothing will be sent until you confirm. If it was not you, ignore this message.", what, site)
		v.Action, v.ActionURL, v.ActionLabel = tr.T("Confirm: %s", l.Confirm), l.Confirm, tr.T("Confirm my subscription")
		v.URL = ""
		v.Footer = tr.T("This link works for %s.", wr.Duration(confirmTTL))
		m.Subject = cleanHeader(tr.T("%s: confirm your subscription", site))
	} else if s.Operator {
		// An alert channel from the configuration: changed there, not by a link.
		v.Footer = "Operator alert from " + site + " (a channel in Herald's configuration)."
		m.Subject = cleanHeader(fmt.Sprintf("[%s alert] %s: %s", site, headline(p), p.Title))
	} else {
		v.Footer = tr.T("You receive this because you subscribed to %s.", site)
		v.Manage, v.Unsubscribe = l.Manage, l.Unsubscribe
		m.Unsubscribe = l.Unsubscribe
		m.Subject = cleanHeader(fmt.Sprintf("[%s] %s: %s", site, lead, p.Title))
	}
	v.Subject = m.Subject
	var err error
	m.Text, m.HTML, err = renderMail(v)
	return m, err
}

func hostOf(base string) string {
	u, err := url.Parse(base)
	if err != nil || u.Hostname() == "" {
		return "herald.invalid"
	}
	return u.Hostname()
}

// msgIDHost is the id-right of a Message-ID: the page's host name, or its
// address as a domain literal ("[::1]"), which RFC 5322 allows there.
func msgIDHost(base string) string {
	h := hostOf(base)
	if !isDotAtom(h) {
		return "[" + h + "]"
	}
	return h
}

// listID is the List-Id header of the page's messages (RFC 2919): its
// title as the description and its host name as the list's id, e.g.
// "Example Hosting Status <status.example.net>". A host that is no domain
// name (an IPv6 address) becomes a name under the reserved ".invalid".
func listID(title, base string) string {
	id := strings.ToLower(hostOf(base))
	if !isDotAtom(id) {
		id = strings.NewReplacer(":", "-", "[", "", "]", "").Replace(id) + ".herald.invalid"
	}
	return phrase(title) + " <" + id + ">"
}

// phrase makes s an RFC 5322 phrase: words of atoms as they are, other
// ASCII quoted, anything else as an RFC 2047 encoded word.
func phrase(s string) string {
	s = cleanHeader(s)
	atoms := true
	for _, r := range s {
		if r >= 0x80 {
			return mime.QEncoding.Encode("utf-8", s)
		}
		if r != ' ' && !isAtext(r) {
			atoms = false
		}
	}
	if atoms && strings.TrimSpace(s) != "" {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func isDotAtom(s string) bool {
	if s == "" || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		if r != '.' && !isAtext(r) {
			return false
		}
	}
	return true
}

// isAtext says whether r may appear in an RFC 5322 atom.
func isAtext(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r)
}

// webhookBody is the JSON a webhook subscriber receives, shaped after
// Statuspage's webhook notifications: meta, page, then the incident or
// scheduled maintenance with its latest update.
type webhookBody struct {
	Meta struct {
		Unsubscribe   string `json:"unsubscribe,omitempty"`
		Documentation string `json:"documentation"`
		Event         string `json:"event"`
		EventID       int64  `json:"event_id"`
		GeneratedAt   string `json:"generated_at"`
	} `json:"meta"`
	// Page is Statuspage's page object of webhooks: the page's id (as
	// the v2 API gives it) and its overall status.
	Page struct {
		ID          string `json:"id"`
		Indicator   string `json:"status_indicator"`
		Description string `json:"status_description"`
	} `json:"page"`
	Incident    *webhookObject `json:"incident,omitempty"`
	Maintenance *webhookObject `json:"scheduled_maintenance,omitempty"`
}

type webhookObject struct {
	ID             string          `json:"id"`
	Name           string          `json:"name"`
	Status         string          `json:"status"`
	Impact         string          `json:"impact,omitempty"`
	Shortlink      string          `json:"shortlink"`
	UpdatedAt      string          `json:"updated_at"`
	ScheduledFor   string          `json:"scheduled_for,omitempty"`
	ScheduledUntil string          `json:"scheduled_until,omitempty"`
	Components     []webhookComp   `json:"components"`
	Updates        []webhookUpdate `json:"incident_updates"`
}

type webhookComp struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type webhookUpdate struct {
	Body      string `json:"body"`
	Status    string `json:"status"`
	CreatedAt string `json:"created_at"`
}

func (n *Notifier) webhookPayload(ctx context.Context, cfg config.Config, ev *store.Event, p Payload, s *store.Subscriber) webhookBody {
	var b webhookBody
	base := strings.TrimRight(cfg.Page.URL, "/")
	if !s.Operator {
		b.Meta.Unsubscribe = n.linksFor(base, s, time.Time{}).Unsubscribe
	}
	b.Meta.Documentation = "Signed: X-Herald-Signature is v1=hex(HMAC-SHA256(secret, X-Herald-Timestamp + \".\" + body))"
	b.Meta.Event, b.Meta.EventID = p.Kind, ev.ID
	b.Meta.GeneratedAt = p.At.UTC().Format(time.RFC3339)
	b.Page.ID, b.Page.Indicator, b.Page.Description = statuspage.PageID(cfg.Page), p.Indicator, p.Description
	if p.Indicator == "" {
		// Queued before events carried the page's status: the status now.
		if snap, err := n.svc.Snapshot(ctx); err == nil {
			b.Page.Indicator, b.Page.Description = string(snap.Overall.Indicator), snap.Overall.Description
		}
	}
	obj := &webhookObject{Name: p.Title, Status: p.Status, Impact: p.Impact, Shortlink: p.URL,
		UpdatedAt: p.At.UTC().Format(time.RFC3339), Components: []webhookComp{}}
	for i, id := range p.Components {
		name := id
		if i < len(p.Names) {
			name = p.Names[i]
		}
		obj.Components = append(obj.Components, webhookComp{ID: id, Name: name})
	}
	obj.Updates = []webhookUpdate{{Body: p.Body, Status: p.Status, CreatedAt: obj.UpdatedAt}}
	if p.Window != 0 {
		obj.ID = status.PublicMaintenanceID(p.Window)
		obj.ScheduledFor, obj.ScheduledUntil = p.From.UTC().Format(time.RFC3339), p.Until.UTC().Format(time.RFC3339)
		b.Maintenance = obj
	} else {
		obj.ID = status.PublicIncidentID(p.Incident)
		b.Incident = obj
	}
	return b
}

// chatText is the one paragraph Slack and Discord show.
func chatText(p Payload) string {
	var b strings.Builder
	b.WriteString(headline(p))
	b.WriteString(": ")
	b.WriteString(p.Title)
	if p.Status != "" {
		b.WriteString(" (" + statusLabel(p.Status) + ")")
	}
	if len(p.Names) > 0 {
		b.WriteString("\nAffected: " + strings.Join(p.Names, "; "))
	}
	if p.Body != "" {
		body := p.Body
		if len(body) > 1500 {
			body = strings.ToValidUTF8(body[:1500], "") + "…"
		}
		b.WriteString("\n" + body)
	}
	return b.String()
}

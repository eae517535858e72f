package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

// The alert tools operators live in, beyond webhooks and Slack or Discord.
// A subscriber of one of these kinds keeps in its address what says where
// the message goes (a URL, with the chat or the room as a query parameter)
// and in its secret the token the service asks for, which no answer shows.
//
//	teams      a Workflows webhook URL; an Adaptive Card is posted to it
//	telegram   https://api.telegram.org?chat_id=-100123; secret: the bot token
//	ntfy       the topic's URL (https://ntfy.example.net/alerts); secret: an access token, or none
//	gotify     the server's URL; secret: an application token
//	matrix     the homeserver's URL?room=!abc:example.org; secret: an access token
//	pagerduty  the Events API v2 URL (https://events.pagerduty.com/v2/enqueue); secret: the routing key

// toolKinds need a token (true) or may do without one (false).
var toolKinds = map[string]bool{
	store.SubTeams: false, store.SubTelegram: true, store.SubNtfy: false,
	store.SubGotify: true, store.SubMatrix: true, store.SubPagerDuty: true,
}

// SubscriberKinds are the kinds of subscriber, in the order errors list them.
var SubscriberKinds = []string{store.SubEmail, store.SubWebhook, store.SubSlack, store.SubDiscord, store.SubTeams,
	store.SubTelegram, store.SubNtfy, store.SubGotify, store.SubMatrix, store.SubPagerDuty}

// IsTool reports whether kind is one of the alert tools this file sends to.
func IsTool(kind string) bool {
	_, ok := toolKinds[kind]
	return ok
}

// ChannelAddress is the subscriber address of a configured channel of one
// of the tools' kinds.
func ChannelAddress(ch config.Channel) string {
	switch ch.Type {
	case store.SubTelegram:
		base := ch.URL
		if base == "" {
			base = config.TelegramAPI
		}
		return strings.TrimRight(base, "/") + "?chat_id=" + url.QueryEscape(ch.ChatID)
	case store.SubMatrix:
		return strings.TrimRight(ch.URL, "/") + "?room=" + url.QueryEscape(ch.Room)
	case store.SubPagerDuty:
		if ch.URL == "" {
			return config.PagerDutyAPI
		}
	}
	return ch.URL
}

// checkTool says what is wrong with a tool subscriber's address and secret, or nil.
func checkTool(kind, address, secret string) error {
	u, err := url.Parse(address)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("address must be an absolute http or https URL")
	}
	if toolKinds[kind] && secret == "" {
		return fmt.Errorf("a %s subscriber needs its token as secret", kind)
	}
	switch kind {
	case store.SubTelegram:
		if u.Query().Get("chat_id") == "" {
			return fmt.Errorf("a telegram address names the chat: https://api.telegram.org?chat_id=-1001234567890")
		}
	case store.SubMatrix:
		if r := u.Query().Get("room"); !strings.HasPrefix(r, "!") || !strings.Contains(r, ":") {
			return fmt.Errorf("a matrix address names the room's id: https://matrix.example.org?room=!abc:example.org")
		}
	case store.SubNtfy:
		if t := strings.Trim(u.Path, "/"); t == "" || strings.Contains(t, "/") {
			return fmt.Errorf("an ntfy address is the topic's URL, like https://ntfy.example.net/alerts")
		}
	}
	return nil
}

// errSkip marks a delivery a tool is not told of (PagerDuty pages for
// incidents and alerts, not for maintenance); it is recorded cancelled.
var errSkip = errors.New("not sent")

// toolRequest is one tool's request for a delivery: the method, the URL,
// the headers and the body. delivery names the delivery, for the
// services that take an idempotency key (Matrix's transaction id); key is
// the event's, for PagerDuty's alerts.
type toolRequest struct {
	method, url string
	header      http.Header
	body        []byte
}

func buildTool(kind, address, secret string, delivery int64, eventKey string, p Payload, cfg config.Config) (toolRequest, error) {
	u, err := url.Parse(address)
	if err != nil {
		return toolRequest{}, err
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	r := toolRequest{method: http.MethodPost, url: address, header: h}
	text := plainText(p)
	switch kind {
	case store.SubTeams:
		r.body, err = teamsBody(p)
	case store.SubTelegram:
		chat := u.Query().Get("chat_id")
		u.RawQuery = ""
		u.Path = strings.TrimRight(u.Path, "/") + "/bot" + secret + "/sendMessage"
		r.url = u.String()
		// Plain text: nothing in it is read as markup, so nothing needs escaping.
		r.body, err = json.Marshal(map[string]any{"chat_id": chat, "text": truncateRunes(text, 4096),
			"link_preview_options": map[string]any{"is_disabled": true}})
	case store.SubNtfy:
		topic := strings.Trim(u.Path, "/")
		u.Path = strings.TrimSuffix(u.Path, topic)
		u.Path = strings.TrimSuffix(u.Path, "/") + "/"
		r.url = u.String()
		if secret != "" {
			h.Set("Authorization", "Bearer "+secret)
		}
		m := map[string]any{"topic": topic, "title": truncateRunes(headline(p)+": "+p.Title, 250),
			"message": truncateRunes(bodyText(p), 3800), "priority": ntfyPriority(p), "tags": []string{ntfyTag(p)}}
		if p.URL != "" && strings.Contains(p.URL, "://") {
			m["click"] = p.URL
		}
		r.body, err = json.Marshal(m)
	case store.SubGotify:
		u.Path = strings.TrimRight(u.Path, "/") + "/message"
		r.url = u.String()
		h.Set("X-Gotify-Key", secret)
		r.body, err = json.Marshal(map[string]any{"title": truncateRunes(headline(p)+": "+p.Title, 250),
			"message": bodyText(p), "priority": gotifyPriority(p),
			"extras": map[string]any{"client::display": map[string]any{"contentType": "text/plain"}}})
	case store.SubMatrix:
		room := u.Query().Get("room")
		u.RawQuery = ""
		// The transaction id is the delivery's: a retry of the same
		// delivery is the same transaction, which the homeserver sends once.
		r.url = strings.TrimRight(u.String(), "/") + "/_matrix/client/v3/rooms/" + url.PathEscape(room) +
			"/send/m.room.message/herald-" + strconv.FormatInt(delivery, 10)
		r.method = http.MethodPut
		h.Set("Authorization", "Bearer "+secret)
		r.body, err = json.Marshal(map[string]any{"msgtype": "m.notice", "body": text,
			"format": "org.matrix.custom.html", "formatted_body": matrixHTML(p)})
	case store.SubPagerDuty:
		return pagerDuty(address, secret, eventKey, p, cfg)
	default:
		return r, fmt.Errorf("unknown alert tool %q", kind)
	}
	return r, err
}

// plainText is the message as plain text, with the page's link.
func plainText(p Payload) string {
	text := chatText(p)
	if p.URL != "" {
		text += "\n" + p.URL
	}
	return strings.ToValidUTF8(text, "")
}

// bodyText is what follows the title where a tool shows one apart.
func bodyText(p Payload) string {
	var b []string
	if p.Status != "" {
		b = append(b, "Status: "+statusLabel(p.Status))
	}
	if len(p.Names) > 0 {
		b = append(b, "Affected: "+strings.Join(p.Names, "; "))
	}
	if p.Body != "" {
		b = append(b, p.Body)
	}
	if p.URL != "" {
		b = append(b, p.URL)
	}
	if len(b) == 0 {
		b = append(b, headline(p))
	}
	return strings.ToValidUTF8(strings.Join(b, "\n"), "")
}

// teamsBody is an Adaptive Card in the message a Workflows webhook takes.
// Every piece of text that is not Herald's own is a TextRun, which Teams
// shows as it is: a TextBlock would read Markdown in it.
func teamsBody(p Payload) ([]byte, error) {
	run := func(s string, bold bool) map[string]any {
		r := map[string]any{"type": "TextRun", "text": strings.ToValidUTF8(s, "")}
		if bold {
			r["weight"] = "Bolder"
		}
		return r
	}
	body := []any{
		map[string]any{"type": "RichTextBlock", "inlines": []any{run(headline(p)+": ", true), run(p.Title, true)}},
	}
	var facts []any
	if p.Status != "" {
		facts = append(facts, map[string]any{"title": "Status", "value": statusLabel(p.Status)})
	}
	if p.Impact != "" {
		facts = append(facts, map[string]any{"title": "Impact", "value": p.Impact})
	}
	if len(facts) > 0 {
		body = append(body, map[string]any{"type": "FactSet", "facts": facts})
	}
	if len(p.Names) > 0 {
		body = append(body, map[string]any{"type": "RichTextBlock", "inlines": []any{run("Affected: "+strings.Join(p.Names, "; "), false)}})
	}
	if p.Body != "" {
		b := p.Body
		if len(b) > 3000 {
			b = strings.ToValidUTF8(b[:3000], "") + "…"
		}
		body = append(body, map[string]any{"type": "RichTextBlock", "inlines": []any{run(b, false)}})
	}
	card := map[string]any{"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
		"version": "1.4", "body": body}
	if p.URL != "" && strings.Contains(p.URL, "://") {
		card["actions"] = []any{map[string]any{"type": "Action.OpenUrl", "title": "Open", "url": p.URL}}
	}
	return json.Marshal(map[string]any{"type": "message", "attachments": []any{map[string]any{
		"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": nil, "content": card}}})
}

// matrixHTML is the message as Matrix's HTML, every piece of text escaped.
func matrixHTML(p Payload) string {
	var b strings.Builder
	b.WriteString("<strong>" + html.EscapeString(headline(p)+": "+p.Title) + "</strong>")
	for _, line := range strings.Split(bodyText(p), "\n") {
		b.WriteString("<br>" + html.EscapeString(line))
	}
	return strings.ToValidUTF8(b.String(), "")
}

// severity is how loud a notice is: 0 quiet (maintenance, a resolution, a
// test) to 3 (a major outage).
func severity(p Payload) int {
	switch {
	case p.Kind == KindTest || strings.HasPrefix(p.Kind, "maintenance.") || p.Kind == KindReminder:
		return 0
	case p.Status == string(status.Resolved):
		return 0
	case p.Kind == "monitor.alert":
		return 2
	}
	switch status.Impact(p.Impact) {
	case status.ImpactCritical:
		return 3
	case status.ImpactMajor:
		return 3
	case status.ImpactMinor:
		return 2
	}
	return 1
}

func ntfyPriority(p Payload) int { return []int{3, 3, 4, 5}[severity(p)] }

func gotifyPriority(p Payload) int { return []int{4, 5, 7, 9}[severity(p)] }

func ntfyTag(p Payload) string {
	switch {
	case p.Kind == KindTest:
		return "test_tube"
	case p.Status == string(status.Resolved):
		return "white_check_mark"
	case strings.HasPrefix(p.Kind, "maintenance."), p.Kind == KindReminder:
		return "wrench"
	}
	return "rotating_light"
}

// pagerDuty is an Events API v2 event: an incident triggers an alert and
// its resolution resolves it, one alert per incident (the dedup key);
// a monitor alert triggers one of its own. Maintenance pages no one.
func pagerDuty(address, key, eventKey string, p Payload, cfg config.Config) (toolRequest, error) {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	r := toolRequest{method: http.MethodPost, url: address, header: h}
	source := "herald"
	if u, err := url.Parse(cfg.Page.URL); err == nil && u.Host != "" {
		source = u.Host
	}
	var dedup string
	switch {
	case p.Incident != 0:
		dedup = fmt.Sprintf("herald:%s:incident:%d", source, p.Incident)
	case p.Kind == "monitor.alert" || p.Kind == KindTest:
		dedup = "herald:" + source + ":" + eventKey
	default:
		return r, errSkip
	}
	if len(dedup) > 255 {
		dedup = dedup[:255]
	}
	ev := map[string]any{"routing_key": key, "dedup_key": dedup}
	if p.Status == string(status.Resolved) {
		ev["event_action"] = "resolve"
	} else {
		summary := headline(p) + ": " + p.Title
		if len(p.Names) > 0 {
			summary += " (" + strings.Join(p.Names, "; ") + ")"
		}
		details := map[string]any{"kind": p.Kind}
		if p.Status != "" {
			details["status"] = statusLabel(p.Status)
		}
		if p.Body != "" {
			details["update"] = p.Body
		}
		payload := map[string]any{"summary": truncateBytes(strings.ToValidUTF8(summary, ""), 1024), "source": source,
			"severity": []string{"info", "warning", "error", "critical"}[severity(p)], "class": p.Kind,
			"custom_details": details}
		if !p.At.IsZero() {
			payload["timestamp"] = p.At.UTC().Format("2006-01-02T15:04:05.000Z")
		}
		if len(p.Components) > 0 {
			payload["component"] = strings.Join(p.Components, ",")
		}
		ev["event_action"], ev["payload"], ev["client"] = "trigger", payload, "Herald"
		if p.URL != "" && strings.Contains(p.URL, "://") {
			ev["client_url"] = p.URL
			ev["links"] = []any{map[string]any{"href": p.URL, "text": "Status page"}}
		}
	}
	var err error
	r.body, err = json.Marshal(ev)
	return r, err
}

func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/status"
)

// Signature headers on every webhook request.
const (
	HeaderTimestamp = "X-Herald-Timestamp"
	HeaderSignature = "X-Herald-Signature"
)

// Sign computes the signature header value for a body sent at ts.
func Sign(secret string, ts time.Time, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts.Unix(), 10)))
	m.Write([]byte("."))
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a received webhook: the signature over timestamp and body,
// and a timestamp within tolerance of now (against replay).
func Verify(secret, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("bad %s header", HeaderTimestamp)
	}
	ts := time.Unix(sec, 0)
	if d := now.Sub(ts); d > tolerance || d < -tolerance {
		return fmt.Errorf("timestamp %s is outside the %s tolerance: replayed or clock skew", ts.UTC().Format(time.RFC3339), tolerance)
	}
	if !hmac.Equal([]byte(signature), []byte(Sign(secret, ts, body))) {
		return fmt.Errorf("signature does not match")
	}
	return nil
}

// post sends one JSON body to a subscriber's URL, checking the address again
// as it connects (the dialer refuses blocked addresses).
func (n *Notifier) post(ctx context.Context, rawURL, secret string, body []byte) error {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	if secret != "" {
		now := n.opt.Clock.Now()
		h.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
		h.Set(HeaderSignature, Sign(secret, now, body))
	}
	return n.do(ctx, toolRequest{method: http.MethodPost, url: rawURL, header: h, body: body}, "")
}

// do sends one request and reads the answer: 2xx is sent, 408, 429 and
// 5xx are worth another try, the rest is for good. hide is a token the URL
// or an error may carry (Telegram's is in its path), kept out of errors.
func (n *Notifier) do(ctx context.Context, r toolRequest, hide string) error {
	scrub := func(err error) error {
		if hide == "" || err == nil {
			return err
		}
		msg := strings.ReplaceAll(err.Error(), hide, "(token)")
		msg = strings.ReplaceAll(msg, url.PathEscape(hide), "(token)")
		var p permanent
		if errors.As(err, &p) {
			return permanent{errors.New(msg)}
		}
		return errors.New(msg)
	}
	if _, err := n.dial.CheckURL(ctx, r.url); err != nil {
		if errors.Is(err, ErrForbiddenAddress) {
			return scrub(fmt.Errorf("%w: %s", ErrForbiddenAddress, err.Error()))
		}
		return scrub(permanent{err})
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, bytes.NewReader(r.body))
	if err != nil {
		return scrub(permanent{err})
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", "Herald-Webhook/1")
	resp, err := n.http.Do(req)
	if err != nil {
		return scrub(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout:
		return fmt.Errorf("webhook answered %s", resp.Status)
	default:
		return permanent{fmt.Errorf("webhook answered %s", resp.Status)}
	}
}

// chatBody is Slack's or Discord's incoming-webhook format.
func chatBody(kind string, p Payload) ([]byte, error) {
	text := chatText(p)
	if p.URL != "" {
		text += "\n" + p.URL
	}
	switch kind {
	case "slack":
		// Slack's mrkdwn treats &, < and > specially; escape them.
		esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(text)
		return json.Marshal(map[string]any{
			"text":   esc,
			"blocks": []any{map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": esc}}},
		})
	case "discord":
		desc := chatText(Payload{Kind: p.Kind, Body: p.Body, Names: p.Names})
		if len(desc) > 4000 {
			desc = desc[:4000]
		}
		return json.Marshal(map[string]any{
			"content":          "",
			"allowed_mentions": map[string]any{"parse": []string{}},
			"embeds": []any{map[string]any{"title": truncateRunes(headline(p)+": "+p.Title, 256),
				"description": strings.ToValidUTF8(desc, ""), "url": p.URL, "color": chatColour(p)}},
		})
	}
	return nil, fmt.Errorf("unknown chat kind %q", kind)
}

// chatColour paints an embed as the page paints the news: the status's
// colour for a window or a resolved incident, the impact's for the rest.
func chatColour(p Payload) int {
	kind := status.Impact(p.Impact).Kind()
	switch {
	case strings.HasPrefix(p.Kind, "maintenance."):
		kind = status.MaintenanceStatus(p.Status).Kind()
	case p.Status == string(status.Resolved):
		kind = status.Resolved.Kind()
	}
	return status.KindColour(kind).RGB()
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

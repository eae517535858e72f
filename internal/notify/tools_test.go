package notify_test

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/notify"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// toolCall is one request a tool's stand-in received.
type toolCall struct {
	method, path string // path as sent, escaped
	header       http.Header
	body         map[string]any
}

// toolServer stands in for one service on loopback; fail answers the
// first fail requests with 500.
type toolServer struct {
	*httptest.Server
	mu    sync.Mutex
	calls []toolCall
	fail  int
}

func newToolServer(t *testing.T, fail int) *toolServer {
	ts := &toolServer{fail: fail}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Errorf("%s %s: body is not JSON: %q", r.Method, r.URL.EscapedPath(), raw)
		}
		ts.mu.Lock()
		defer ts.mu.Unlock()
		ts.calls = append(ts.calls, toolCall{r.Method, r.URL.EscapedPath(), r.Header.Clone(), body})
		if len(ts.calls) <= ts.fail {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *toolServer) got() []toolCall {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]toolCall(nil), ts.calls...)
}

// dig walks a decoded JSON value: keys for objects, ints for arrays.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

const hostile = `Mail <b>delayed</b> & **not bold** [click](https://evil.example) @room`

func TestAlertToolsSendTheDocumentedRequests(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b, notify.Options{AllowAddrs: loopback})
		ctx := t.Context()
		srv := map[string]*toolServer{}
		for _, k := range []string{"teams", "telegram", "ntfy", "gotify", "matrix", "pagerduty"} {
			fail := 0
			if k == "matrix" {
				fail = 1 // the retry must be the same transaction
			}
			srv[k] = newToolServer(t, fail)
		}
		secrets := map[string]string{"TG_TOKEN": "123456:AAbot-token", "NTFY_TOKEN": "tk_ntfy", "GOTIFY_TOKEN": "Agotify",
			"MATRIX_TOKEN": "syt_matrix", "PD_KEY": "R0UTINGKEY0000000000000000000000"}
		cfg := config.Config{Channels: []config.Channel{
			{Name: "teams", Type: "teams", URL: srv["teams"].URL + "/workflows/abc/triggers/manual/paths/invoke?sig=s3cret"},
			{Name: "tg", Type: "telegram", URL: srv["telegram"].URL, TokenEnv: "TG_TOKEN", ChatID: "-1001234567890"},
			{Name: "ntfy", Type: "ntfy", URL: srv["ntfy"].URL + "/herald-alerts", TokenEnv: "NTFY_TOKEN"},
			{Name: "gotify", Type: "gotify", URL: srv["gotify"].URL + "/", TokenEnv: "GOTIFY_TOKEN"},
			{Name: "matrix", Type: "matrix", URL: srv["matrix"].URL, TokenEnv: "MATRIX_TOKEN", Room: "!ops:example.org"},
			{Name: "pd", Type: "pagerduty", URL: srv["pagerduty"].URL + "/v2/enqueue", RoutingKeyEnv: "PD_KEY"},
		}}
		getenv := func(k string) string { return secrets[k] }
		if err := e.n.SyncChannels(ctx, cfg, getenv); err != nil {
			t.Fatal(err)
		}
		in, err := e.svc.OpenIncident(ctx, "user:alice", service.NewIncident{Title: hostile, Status: status.Investigating,
			Impact: status.ImpactMajor, Body: "We are looking <script>alert(1)</script>.",
			Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}})
		if err != nil {
			t.Fatal(err)
		}
		e.drain(t)
		e.clock.Add(2 * time.Minute) // past Matrix's backoff
		e.drain(t)

		// Teams: a message with one Adaptive Card, the text in TextRuns
		// (which Teams does not read as Markdown), as sent.
		tc := srv["teams"].got()
		if len(tc) != 1 || tc[0].method != "POST" || tc[0].path != "/workflows/abc/triggers/manual/paths/invoke" ||
			tc[0].header.Get("Content-Type") != "application/json" {
			t.Fatalf("teams requests: %+v", tc)
		}
		card := dig(tc[0].body, "attachments", 0, "content")
		if dig(tc[0].body, "type") != "message" || dig(tc[0].body, "attachments", 0, "contentType") != "application/vnd.microsoft.card.adaptive" ||
			dig(card, "type") != "AdaptiveCard" || dig(card, "version") != "1.4" ||
			dig(card, "$schema") != "http://adaptivecards.io/schemas/adaptive-card.json" {
			t.Errorf("teams message: %v", tc[0].body)
		}
		if dig(card, "body", 0, "type") != "RichTextBlock" || dig(card, "body", 0, "inlines", 1, "type") != "TextRun" ||
			dig(card, "body", 0, "inlines", 1, "text") != hostile {
			t.Errorf("teams title is not the title as typed in a TextRun: %v", dig(card, "body", 0))
		}
		if dig(card, "actions", 0, "url") != pageURL+"/incidents/"+itoa(in.ID) {
			t.Errorf("teams action: %v", dig(card, "actions"))
		}

		// Telegram: sendMessage under the bot's token, plain text (no
		// parse_mode, so nothing is read as markup).
		tg := srv["telegram"].got()
		if len(tg) != 1 || tg[0].method != "POST" || tg[0].path != "/bot123456:AAbot-token/sendMessage" {
			t.Fatalf("telegram requests: %+v", tg)
		}
		if dig(tg[0].body, "chat_id") != "-1001234567890" || dig(tg[0].body, "parse_mode") != nil ||
			!strings.Contains(dig(tg[0].body, "text").(string), hostile) {
			t.Errorf("telegram body: %v", tg[0].body)
		}

		// ntfy: the JSON publish form posted to the server's root, the token as a bearer.
		nt := srv["ntfy"].got()
		if len(nt) != 1 || nt[0].method != "POST" || nt[0].path != "/" || nt[0].header.Get("Authorization") != "Bearer tk_ntfy" {
			t.Fatalf("ntfy requests: %+v", nt)
		}
		if dig(nt[0].body, "topic") != "herald-alerts" || dig(nt[0].body, "title") != "New incident: "+hostile ||
			dig(nt[0].body, "priority") != 5.0 || dig(nt[0].body, "click") != pageURL+"/incidents/"+itoa(in.ID) ||
			!strings.Contains(dig(nt[0].body, "message").(string), "<script>alert(1)</script>") {
			t.Errorf("ntfy body: %v", nt[0].body)
		}

		// Gotify: POST /message with the application's token, plain text.
		gt := srv["gotify"].got()
		if len(gt) != 1 || gt[0].method != "POST" || gt[0].path != "/message" || gt[0].header.Get("X-Gotify-Key") != "Agotify" {
			t.Fatalf("gotify requests: %+v", gt)
		}
		if dig(gt[0].body, "title") != "New incident: "+hostile || dig(gt[0].body, "priority") != 9.0 ||
			dig(gt[0].body, "extras", "client::display", "contentType") != "text/plain" {
			t.Errorf("gotify body: %v", gt[0].body)
		}

		// Matrix: PUT to the room's send endpoint; the retry after a 500 is
		// the same transaction id, so the homeserver posts it once.
		mx := srv["matrix"].got()
		if len(mx) != 2 || mx[0].path != mx[1].path {
			t.Fatalf("matrix requests: %+v", mx)
		}
		if mx[0].method != "PUT" || !strings.HasPrefix(mx[0].path, "/_matrix/client/v3/rooms/%21ops:example.org/send/m.room.message/herald-") ||
			mx[0].header.Get("Authorization") != "Bearer syt_matrix" {
			t.Errorf("matrix request: %s %s %v", mx[0].method, mx[0].path, mx[0].header)
		}
		fb, _ := dig(mx[1].body, "formatted_body").(string)
		if dig(mx[1].body, "msgtype") != "m.notice" || !strings.Contains(dig(mx[1].body, "body").(string), hostile) ||
			!strings.Contains(fb, "Mail &lt;b&gt;delayed&lt;/b&gt; &amp; **not bold**") || strings.Contains(fb, "<script>") {
			t.Errorf("matrix body: %v", mx[1].body)
		}

		// PagerDuty: a trigger keyed by the incident.
		pd := srv["pagerduty"].got()
		if len(pd) != 1 || pd[0].method != "POST" || pd[0].path != "/v2/enqueue" {
			t.Fatalf("pagerduty requests: %+v", pd)
		}
		dedup := dig(pd[0].body, "dedup_key")
		if dig(pd[0].body, "routing_key") != secrets["PD_KEY"] || dig(pd[0].body, "event_action") != "trigger" ||
			dedup != "herald:127.0.0.1:8443:incident:"+itoa(in.ID) || dig(pd[0].body, "payload", "severity") != "critical" ||
			dig(pd[0].body, "payload", "source") != "127.0.0.1:8443" ||
			!strings.HasPrefix(dig(pd[0].body, "payload", "summary").(string), "New incident: "+hostile) {
			t.Errorf("pagerduty trigger: %v", pd[0].body)
		}

		// Resolving it resolves the same PagerDuty alert.
		if _, err := e.svc.ResolveIncident(ctx, "user:alice", in.ID, service.Resolution{Body: "Fixed."}); err != nil {
			t.Fatal(err)
		}
		// A maintenance window pages no one; the others hear of it.
		if _, err := e.svc.ScheduleMaintenance(ctx, "user:alice", service.NewMaintenance{Title: "Upgrade", Body: "New disks.", Components: []string{"flexo/web"},
			Start: t0.Add(48 * time.Hour), End: t0.Add(50 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		e.drain(t)
		pd = srv["pagerduty"].got()
		if len(pd) != 2 || dig(pd[1].body, "event_action") != "resolve" || dig(pd[1].body, "dedup_key") != dedup ||
			dig(pd[1].body, "payload") != nil {
			t.Fatalf("pagerduty after the resolution and a window: %+v", pd)
		}
		if n := len(srv["ntfy"].got()); n != 3 {
			t.Errorf("ntfy got %d messages, want 3 (incident, resolution, window)", n)
		}
		dl, err := e.st.Deliveries(ctx, store.DeliveryFilter{State: store.DeliveryCancelled})
		if err != nil || len(dl) != 1 || dl[0].Kind != store.SubPagerDuty || !strings.Contains(dl[0].LastError, "maintenance is not paged") {
			t.Errorf("cancelled deliveries = %+v, %v; want the window's to PagerDuty", dl, err)
		}
	})
}

func TestAlertToolTokensStayHidden(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b, notify.Options{AllowAddrs: loopback, MaxAttempts: 1})
		ctx := t.Context()
		// A port nothing listens on: the connection error names the URL,
		// which carries Telegram's token in its path.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		closed := "http://" + l.Addr().String()
		l.Close()
		const token = "987654:SECRETbotTOKEN"
		cfg := config.Config{Channels: []config.Channel{{Name: "tg", Type: "telegram", URL: closed, TokenEnv: "TG", ChatID: "@herald_ops"}}}
		if err := e.n.SyncChannels(ctx, cfg, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "TG is not set") {
			t.Errorf("a channel whose token variable is unset: %v", err)
		}
		// So is a webhook whose signing secret's variable is unset: it
		// would send every delivery unsigned.
		hook := config.Config{Channels: []config.Channel{{Name: "hook", Type: "webhook", URL: closed, SecretEnv: "HOOK_SECRET"}}}
		if err := e.n.SyncChannels(ctx, hook, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "HOOK_SECRET is not set") {
			t.Errorf("a webhook whose secret variable is unset: %v", err)
		}
		if err := e.n.SyncChannels(ctx, cfg, func(string) string { return token }); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.OpenIncident(ctx, "user:alice", service.NewIncident{Title: "Down", Status: status.Investigating, Body: "Looking.",
			Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}}); err != nil {
			t.Fatal(err)
		}
		e.drain(t)
		dl, err := e.st.Deliveries(ctx, store.DeliveryFilter{State: store.DeliveryDead})
		if err != nil || len(dl) != 1 {
			t.Fatalf("dead deliveries = %+v, %v", dl, err)
		}
		if strings.Contains(dl[0].LastError, "SECRET") || !strings.Contains(dl[0].LastError, "(token)") {
			t.Errorf("the recorded error shows the token or hides nothing: %q", dl[0].LastError)
		}
		subs, err := e.st.Subscribers(ctx, store.SubscriberFilter{})
		if err != nil || len(subs) != 1 || strings.Contains(subs[0].Address, "SECRET") || subs[0].Address != closed+"?chat_id=%40herald_ops" {
			t.Errorf("subscribers = %+v, %v", subs, err)
		}
	})
}

func TestAlertToolSubscribersRefuseBadAddresses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b, notify.Options{AllowAddrs: loopback})
		ctx := t.Context()
		srv := newToolServer(t, 0)
		for _, c := range []struct{ kind, addr, secret, want string }{
			{store.SubTelegram, srv.URL, "tok", "names the chat"},
			{store.SubTelegram, srv.URL + "?chat_id=1", "", "needs its token"},
			{store.SubMatrix, srv.URL + "?room=%23ops:example.org", "tok", "room's id"},
			{store.SubNtfy, srv.URL + "/", "", "topic's URL"},
			{store.SubGotify, srv.URL, "", "needs its token"},
			{store.SubPagerDuty, "events.example/v2/enqueue", "key", "absolute http or https URL"},
			{"opsgenie", srv.URL, "", "not one of email, webhook, slack, discord, teams, telegram, ntfy, gotify, matrix, pagerduty"},
		} {
			if _, err := e.n.AddSubscriber(ctx, "user:alice", c.kind, c.addr, c.secret, nil); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("AddSubscriber(%s, %q) = %v; want %q", c.kind, c.addr, err, c.want)
			}
		}
		s, err := e.n.AddSubscriber(ctx, "user:alice", store.SubNtfy, srv.URL+"/customer-topic", "", []string{"flexo/web"})
		if err != nil || s.Secret != "" || !s.Active() {
			t.Fatalf("ntfy subscriber: %+v, %v", s, err)
		}
		if _, err := e.svc.OpenIncident(ctx, "user:alice", service.NewIncident{Title: "Down", Status: status.Investigating, Body: "Looking.",
			Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}}); err != nil {
			t.Fatal(err)
		}
		e.drain(t)
		if got := srv.got(); len(got) != 1 || dig(got[0].body, "topic") != "customer-topic" || got[0].header.Get("Authorization") != "" {
			t.Errorf("customer's ntfy: %+v", got)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestOperatorChannelsTakeNoLinks: an alert channel from the configuration
// is changed there. Its mail carries no manage or unsubscribe link, and a
// manage token made for it anyway (they are signed, not secret per kind)
// opens, changes and ends nothing; a customer's token beside it works.
func TestOperatorChannelsTakeNoLinks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b, notify.Options{AllowAddrs: loopback})
		ctx := t.Context()
		cfg := config.Config{Channels: []config.Channel{{Name: "ops", Type: "email", To: []string{"ops@example.net"}}}}
		if err := e.n.SyncChannels(ctx, cfg, nil); err != nil {
			t.Fatal(err)
		}
		customer, err := e.n.AddSubscriber(ctx, "user:alice", store.SubNtfy, "http://127.0.0.1:9/topic", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		subs, err := e.st.Subscribers(ctx, store.SubscriberFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var op *store.Subscriber
		for i := range subs {
			if subs[i].Operator {
				op = &subs[i]
			}
		}
		if op == nil {
			t.Fatalf("no operator row among %+v", subs)
		}
		tok := e.n.ManageToken(op.ID)
		if _, err := e.n.Subscription(ctx, tok); !errors.Is(err, notify.ErrBadToken) {
			t.Errorf("Subscription(operator's token) = %v; want ErrBadToken", err)
		}
		if _, err := e.n.ChangeSubscription(ctx, tok, []string{"flexo/web"}); !errors.Is(err, notify.ErrBadToken) {
			t.Errorf("ChangeSubscription(operator's token) = %v; want ErrBadToken", err)
		}
		if _, err := e.n.Unsubscribe(ctx, tok); !errors.Is(err, notify.ErrBadToken) {
			t.Errorf("Unsubscribe(operator's token) = %v; want ErrBadToken", err)
		}
		after, err := e.st.Subscriber(ctx, op.ID)
		if err != nil || !after.Active() || !after.All {
			t.Errorf("the operator channel after its token was tried: %+v, %v; want active, everything", after, err)
		}
		if s, err := e.n.Unsubscribe(ctx, e.n.ManageToken(customer.ID)); err != nil || s.ID != customer.ID {
			t.Errorf("Unsubscribe(a customer's token) = %+v, %v", s, err)
		}
	})
}

package notify_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/notify"
	"github.com/heraldhq/herald/internal/notify/smtpsink"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

var t0 = time.Date(2026, 4, 1, 16, 0, 0, 0, time.UTC)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type env struct {
	st    *store.Store
	svc   *service.Service
	n     *notify.Notifier
	clock *fakeClock
	sink  *smtpsink.Sink
	sess  notify.Session
	// cfg is the configuration the notifier reads; a test may change it.
	cfg *config.Config
}

// pageURL is only written into links; nothing is fetched from it.
const pageURL = "https://127.0.0.1:8443"

func setup(t *testing.T, b storetest.Backend, opt notify.Options) *env { return setupTB(t, b, opt) }

func setupTB(t testing.TB, b storetest.Backend, opt notify.Options) *env {
	t.Helper()
	sink, err := smtpsink.Start(smtpsink.Options{Reject: []string{"gone@example.net"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	clock := &fakeClock{now: t0}
	svc := service.New(b.Store, clock, nil)
	groups := []store.Group{{ID: "flexo", Name: "flexo", Position: 0}, {ID: "mom", Name: "mom", Position: 1}}
	comps := []store.Component{
		{ID: "flexo/web", GroupID: "flexo", Name: "Web sites", Position: 0},
		{ID: "flexo/email", GroupID: "flexo", Name: "E-mail", Position: 1},
		{ID: "mom/web", GroupID: "mom", Name: "Web sites", Position: 0},
	}
	if err := svc.SyncCatalog(t.Context(), groups, comps); err != nil {
		t.Fatal(err)
	}
	cfg := config.Config{Page: config.Page{Title: "Example Hosting Status", URL: pageURL, Zone: "America/Los_Angeles"},
		Notify: config.Notify{Email: &config.Email{SMTP: sink.Addr, From: "status@example.net", TLS: "none", RatePerSecond: 100000}}}
	opt.Clock = clock
	if opt.MaxAttempts == 0 {
		opt.MaxAttempts = 3
	}
	opt.BackoffBase = time.Minute
	n, remove, err := notify.New(t.Context(), b.Store, svc, func() config.Config { return cfg }, nil, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(remove)
	e := &env{st: b.Store, svc: svc, n: n, clock: clock, sink: sink, cfg: &cfg}
	e.sess = notify.SMTP(func() config.Config { return cfg }).Session()
	t.Cleanup(func() { e.sess.Close() })
	return e
}

// drain works the queue until nothing is due, as the workers would.
func (e *env) drain(t *testing.T) int {
	t.Helper()
	total := 0
	for {
		n, err := e.n.ProcessBatch(t.Context(), e.sess)
		if err != nil {
			t.Fatalf("ProcessBatch: %v", err)
		}
		if n == 0 {
			return total
		}
		total += n
	}
}

func (e *env) mailTo(addr string) []smtpsink.Message {
	var out []smtpsink.Message
	for _, m := range e.sink.Messages() {
		for _, to := range m.To {
			if to == addr {
				out = append(out, m)
			}
		}
	}
	return out
}

var linkRe = regexp.MustCompile(`https://127\.0\.0\.1:8443/[a-z/]+\?token=[A-Za-z0-9._%-]+`)

func links(t *testing.T, m smtpsink.Message) []string {
	t.Helper()
	text, _ := parts(t, m)
	return linkRe.FindAllString(text, -1)
}

func token(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("token")
}

// parts returns the plain-text and HTML parts of a multipart/alternative message.
func parts(t *testing.T, m smtpsink.Message) (text, html string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatalf("read message: %v", err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(decoder(p))
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch ct {
		case "text/plain":
			text = string(body)
		case "text/html":
			html = string(body)
		}
	}
	if text == "" || html == "" {
		t.Fatalf("message lacks a text or an HTML part")
	}
	return text, html
}

func TestEmailSubscribeConfirmNotifyOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b, notify.Options{})
		ctx := t.Context()
		if err := e.n.SubscribeEmail(ctx, notify.ActorForm, "ann@example.net", []string{"flexo"}); err != nil {
			t.Fatal(err)
		}
		if err := e.n.SubscribeEmail(ctx, notify.ActorForm, "bob@example.net", []string{"mom/web"}); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"", "not an address", "Ann <ann@example.net>", strings.Repeat("a", 250) + "@example.net"} {
			if err := e.n.SubscribeEmail(ctx, notify.ActorForm, bad, nil); err == nil {
				t.Errorf("SubscribeEmail(%q) accepted", bad)
			}
		}
		if err := e.n.SubscribeEmail(ctx, notify.ActorForm, "carol@example.net", []string{"nosuch/thing"}); err == nil || !strings.Contains(err.Error(), "unknown component") {
			t.Errorf("unknown component: err = %v", err)
		}
		// An incident before anyone confirmed reaches no one.
		in, err := e.svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Early", Status: status.Investigating, Body: "x",
			Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.ResolveIncident(ctx, "test", in.ID, service.Resolution{Body: "fine"}); err != nil {
			t.Fatal(err)
		}
		if got := e.drain(t); got != 2 {
			t.Fatalf("sent %d messages, want the 2 confirmation requests", got)
		}
		confirms := e.mailTo("ann@example.net")
		if len(confirms) != 1 {
			t.Fatalf("ann got %d messages, want 1 confirmation", len(confirms))
		}
		h, _ := confirms[0].Header()
		if h.Get("List-Unsubscribe") != "" {
			t.Error("a confirmation request carries List-Unsubscribe; there is nothing to leave yet")
		}
		text, html := parts(t, confirms[0])
		if !strings.Contains(text, "flexo · Web sites") || !strings.Contains(html, "Confirm my subscription") {
			t.Errorf("confirmation text does not name the choice or the button:\n%s", text)
		}
		// Asking again within minutes sends nothing more.
		if err := e.n.SubscribeEmail(ctx, notify.ActorForm, "ann@example.net", []string{"flexo"}); err != nil {
			t.Fatal(err)
		}
		if got := e.drain(t); got != 0 {
			t.Errorf("a second request within minutes sent %d messages", got)
		}
		var confirm string
		for _, l := range links(t, confirms[0]) {
			if strings.Contains(l, "/subscribe/confirm?") {
				confirm = l
			}
		}
		if confirm == "" {
			t.Fatalf("no confirmation link in:\n%s", text)
		}
		if _, err := e.n.PendingConfirmation(ctx, token(t, confirm)+"x"); err == nil {
			t.Error("a tampered confirmation token was accepted")
		}
		c, manage, err := e.n.Confirm(ctx, token(t, confirm))
		if err != nil {
			t.Fatalf("Confirm: %v", err)
		}
		if c.Address != "ann@example.net" || manage == "" {
			t.Errorf("Confirm = %+v, %q", c, manage)
		}

		// Now an incident on flexo: ann hears of each step once, bob never.
		in, err = e.svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Web sites down on <flexo>", Status: status.Investigating,
			Body: "We are looking into it.", Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage},
			StartedAt: e.clock.Now().Add(-4 * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.PostIncidentUpdate(ctx, "test", in.ID, service.IncidentUpdate{Status: status.Identified, Body: "Apache hung."}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.ResolveIncident(ctx, "test", in.ID, service.Resolution{Body: "Restarted."}); err != nil {
			t.Fatal(err)
		}
		if got := e.drain(t); got != 3 {
			t.Errorf("sent %d, want 3 (open, update, resolve to ann)", got)
		}
		if got := e.drain(t); got != 0 {
			t.Errorf("a second pass sent %d more", got)
		}
		ann := e.mailTo("ann@example.net")[1:]
		if len(ann) != 3 || len(e.mailTo("bob@example.net")) != 1 {
			t.Fatalf("ann got %d notices (want 3), bob %d messages (want only his confirmation)", len(ann), len(e.mailTo("bob@example.net")))
		}
		wantSubjects := []string{"New incident", "Incident update", "Resolved"}
		for i, m := range ann {
			h, _ := m.Header()
			dec := new(mime.WordDecoder)
			subj, _ := dec.DecodeHeader(h.Get("Subject"))
			if !strings.Contains(subj, wantSubjects[i]) || !strings.Contains(subj, "Web sites down on <flexo>") {
				t.Errorf("message %d subject %q, want %q and the title", i, subj, wantSubjects[i])
			}
			unsub := h.Get("List-Unsubscribe")
			if !strings.HasPrefix(unsub, "<"+pageURL+"/unsubscribe?token=") || h.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
				t.Errorf("message %d: List-Unsubscribe %q, List-Unsubscribe-Post %q", i, unsub, h.Get("List-Unsubscribe-Post"))
			}
			text, html := parts(t, m)
			if !strings.Contains(text, pageURL+"/manage?token=") {
				t.Errorf("message %d has no manage link:\n%s", i, text)
			}
			if strings.Contains(html, "<flexo>") || !strings.Contains(html, "&lt;flexo&gt;") {
				t.Errorf("message %d: the title is not escaped in HTML", i)
			}
		}
		text, _ = parts(t, ann[1])
		if !strings.Contains(text, "Apache hung.") || !strings.Contains(text, "Identified") {
			t.Errorf("update text:\n%s", text)
		}
		// When it ran, as its page says it, with the date in full.
		if text, _ = parts(t, ann[0]); !regexp.MustCompile(`Since Wednesday, April 1, \d+:\d\d [AP]M Pacific time · four minutes so far\r?\n`).MatchString(text) {
			t.Errorf("the first notice does not say since when:\n%s", text)
		}
		if text, _ = parts(t, ann[2]); !regexp.MustCompile(`\nWednesday, April 1, \d+:\d\d to \d+:\d\d [AP]M Pacific time · four minutes\r?\n`).MatchString(text) {
			t.Errorf("the resolution does not say when the incident ran:\n%s", text)
		}

		// One-click unsubscribe stops the next notice.
		h, _ = ann[0].Header()
		link := strings.Trim(h.Get("List-Unsubscribe"), "<>")
		if _, err := e.n.Unsubscribe(ctx, token(t, link)); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.PostIncidentUpdate(ctx, "test", in.ID, service.IncidentUpdate{Status: status.Investigating, Body: "It is back."}); err != nil {
			t.Fatal(err)
		}
		if got := e.drain(t); got != 0 {
			t.Errorf("after unsubscribing %d messages went out", got)
		}

		// A draft tells customers nothing.
		if _, _, err := e.n.Confirm(ctx, token(t, confirm)); err != nil {
			t.Fatal(err) // the same link subscribes again within its life
		}
		if _, err := e.svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Draft", Status: status.Investigating, Body: "x", Draft: true,
			Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}}); err != nil {
			t.Fatal(err)
		}
		if got := e.drain(t); got != 0 {
			t.Errorf("a draft sent %d messages to customers", got)
		}
		e.clock.Add(49 * time.Hour)
		if _, _, err := e.n.Confirm(ctx, token(t, confirm)); err == nil {
			t.Error("a confirmation link worked after it expired")
		}
	})
}

func TestRetryBackoffAndDeadLetters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b, notify.Options{MaxAttempts: 3})
		ctx := t.Context()
		// A recipient the relay refuses for good goes to the dead letters at once.
		if _, err := e.st.InsertConfirmedEmails(ctx, []string{"gone@example.net"}, nil, t0); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.ScheduleMaintenance(ctx, "test", service.NewMaintenance{Title: "Restart", Body: "Reboots.",
			Components: []string{"mom/web"}, Start: t0.Add(72 * time.Hour), End: t0.Add(73 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if got := e.drain(t); got != 1 {
			t.Fatalf("handled %d, want 1", got)
		}
		dead, err := e.st.Deliveries(ctx, store.DeliveryFilter{State: store.DeliveryDead})
		if err != nil || len(dead) != 1 || !strings.Contains(dead[0].LastError, "550") || dead[0].Attempts != 1 {
			t.Fatalf("dead letters = %+v, %v; want the refused recipient after one try", dead, err)
		}

		// The relay goes away: retries with back-off, then dead.
		e.sink.Close()
		e.sess.Close()
		if _, err := e.svc.PostMaintenanceUpdate(ctx, "test", 1, "Moved to the new rack."); err != nil {
			t.Fatal(err)
		}
		for try := 1; try <= 3; try++ {
			if got := e.drain(t); got != 1 {
				t.Fatalf("try %d: handled %d, want 1", try, got)
			}
			if got := e.drain(t); got != 0 {
				t.Fatalf("try %d: retried at once, before its back-off", try)
			}
			e.clock.Add(time.Minute << (try - 1)) // 1, 2, 4 minutes
		}
		dead, err = e.st.Deliveries(ctx, store.DeliveryFilter{State: store.DeliveryDead})
		if err != nil || len(dead) != 2 || dead[1].Attempts != 3 {
			t.Fatalf("dead letters = %+v, %v; want the second after 3 tries", dead, err)
		}
		if err := e.st.RetryDead(ctx, dead[1].ID, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if got := e.drain(t); got != 1 {
			t.Errorf("retrying a dead letter handled %d, want 1", got)
		}
	})
}

func TestMaintenanceReminders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b, notify.Options{})
		ctx := t.Context()
		if _, err := e.st.InsertConfirmedEmails(ctx, []string{"ann@example.net"}, []string{"flexo/web"}, t0); err != nil {
			t.Fatal(err)
		}
		start := t0.Add(48 * time.Hour)
		if _, err := e.svc.ScheduleMaintenance(ctx, "test", service.NewMaintenance{Title: "Kernel update", Body: "About five minutes.",
			Components: []string{"flexo/web"}, Start: start, End: start.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		// Announced 10 minutes before the start: no reminders for it.
		if _, err := e.svc.ScheduleMaintenance(ctx, "test", service.NewMaintenance{Title: "Late notice", Body: "x",
			Components: []string{"flexo/web"}, Start: t0.Add(10 * time.Minute), End: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			at   time.Duration // before start
			want int
		}{{30 * time.Hour, 0}, {23 * time.Hour, 1}, {22 * time.Hour, 0}, {30 * time.Minute, 1}, {10 * time.Minute, 0}}
		for _, s := range steps {
			e.clock.now = start.Add(-s.at)
			got, err := e.n.QueueReminders(ctx)
			if err != nil || got != s.want {
				t.Errorf("%s before: QueueReminders = %d, %v; want %d", s.at, got, err, s.want)
			}
		}
		e.drain(t)
		var subjects []string
		for _, m := range e.mailTo("ann@example.net") {
			h, _ := m.Header()
			s, _ := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
			subjects = append(subjects, s)
		}
		want := []string{"Scheduled maintenance: Kernel update", "Scheduled maintenance: Late notice",
			"Reminder: maintenance in one day: Kernel update", "Reminder: maintenance in one hour: Kernel update"}
		if len(subjects) != len(want) {
			t.Fatalf("subjects = %q, want %q", subjects, want)
		}
		for i := range want {
			if !strings.HasSuffix(subjects[i], want[i]) {
				t.Errorf("subject %d = %q, want …%q", i, subjects[i], want[i])
			}
		}
	})
}

func TestAddrPolicy(t *testing.T) {
	p := notify.AddrPolicy{}
	for _, a := range []string{"127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
		"::1", "fe80::1", "fd00:ec2::254", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "224.0.0.1"} {
		if err := p.Check(netip.MustParseAddr(a)); err == nil {
			t.Errorf("%s allowed", a)
		}
		if err := p.Control("tcp", netip.AddrPortFrom(netip.MustParseAddr(a), 443).String(), nil); err == nil {
			t.Errorf("Control allowed %s", a)
		}
	}
	for _, a := range []string{"1.1.1.1", "2606:4700::1111"} {
		if err := p.Check(netip.MustParseAddr(a)); err != nil {
			t.Errorf("%s refused: %v", a, err)
		}
	}
	loop := notify.AddrPolicy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	if err := loop.Check(netip.MustParseAddr("127.0.0.1")); err != nil {
		t.Errorf("allowlisted loopback refused: %v", err)
	}
	if err := loop.Check(netip.MustParseAddr("10.0.0.1")); err == nil {
		t.Error("the loopback allowlist let a private address through")
	}
}

// decoder undoes a part's base64 transfer encoding (quoted-printable is
// undone by the multipart reader itself).
func decoder(p *multipart.Part) io.Reader {
	if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "base64") {
		return base64.NewDecoder(base64.StdEncoding, p)
	}
	return p
}

func TestOperatorChannels(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b, notify.Options{})
		ctx := t.Context()
		cfg := config.Config{Channels: []config.Channel{{Name: "ops", Type: "email", To: []string{"ops@example.net"}}}}
		if err := e.n.SyncChannels(ctx, cfg, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := e.st.InsertConfirmedEmails(ctx, []string{"ann@example.net"}, nil, t0); err != nil {
			t.Fatal(err)
		}
		// A draft (an incident a monitor opened for review) reaches operators only.
		if _, err := e.svc.OpenIncident(ctx, "monitor", service.NewIncident{Title: "flexo/web down", Status: status.Investigating,
			Body: "Two checks failed.", Draft: true, Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}}); err != nil {
			t.Fatal(err)
		}
		if err := e.st.Tx(ctx, func(q *store.Queries) error {
			return e.n.AlertOperators(ctx, q, "outage:1", "flexo/web stopped answering", "Connection refused.", []string{"flexo/web"})
		}); err != nil {
			t.Fatal(err)
		}
		if err := e.st.Tx(ctx, func(q *store.Queries) error {
			return e.n.AlertOperators(ctx, q, "outage:1", "again", "", nil)
		}); err != nil {
			t.Fatal(err)
		}
		e.drain(t)
		if n := len(e.mailTo("ann@example.net")); n != 0 {
			t.Errorf("the customer got %d operator notices", n)
		}
		ops := e.mailTo("ops@example.net")
		if len(ops) != 2 {
			t.Fatalf("the operator channel got %d messages, want 2 (the draft, the alert once)", len(ops))
		}
		if h, _ := ops[0].Header(); h.Get("List-Unsubscribe") != "" {
			t.Error("an operator alert offers to unsubscribe; channels change in the configuration")
		}
		// Removing the channel from the configuration removes the row.
		if err := e.n.SyncChannels(ctx, config.Config{}, nil); err != nil {
			t.Fatal(err)
		}
		yes := true
		if ops, err := e.st.Subscribers(ctx, store.SubscriberFilter{Operator: &yes}); err != nil || len(ops) != 0 {
			t.Errorf("operator rows after removal: %v, %v", ops, err)
		}
	})
}

// A subscriber hears of an incident once as new, whenever it starts to
// concern them: at its opening, or when its components grow to theirs (a
// server joining a network incident); never twice, and the others get the
// change as an update.
func TestIncidentGrowsToNewSubscribers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b, notify.Options{})
		ctx := t.Context()
		subs := map[string]*store.Subscriber{
			"ann@example.net": {Kind: "email", Address: "ann@example.net", Components: []string{"flexo/web", "flexo/email"}},
			"bob@example.net": {Kind: "email", Address: "bob@example.net", Components: []string{"mom/web"}},
			"cat@example.net": {Kind: "email", Address: "cat@example.net", Components: []string{"flexo/web", "mom/web"}},
			"dan@example.net": {Kind: "email", Address: "dan@example.net", All: true},
		}
		for _, s := range subs {
			s.ConfirmedAt, s.CreatedAt, s.UpdatedAt = t0, t0, t0
			if err := b.Store.InsertSubscriber(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		in, err := e.svc.OpenIncident(ctx, "test", service.NewIncident{Title: "All servers unreachable", Status: status.Investigating,
			Body: "All of our servers are unreachable.", Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SetIncidentComponents(ctx, "test", in.ID, map[string]status.ComponentStatus{"mom/web": status.MajorOutage}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.PostIncidentUpdate(ctx, "test", in.ID, service.IncidentUpdate{Body: "We restored service to mom.",
			Components: map[string]status.ComponentStatus{"mom/web": status.Operational}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.ResolveIncident(ctx, "test", in.ID, service.Resolution{Body: "All is well."}); err != nil {
			t.Fatal(err)
		}
		e.drain(t)
		want := map[string][]string{
			"ann@example.net": {"New incident", "Incident update", "Resolved"},
			"bob@example.net": {"New incident", "Incident update", "Resolved"},
			"cat@example.net": {"New incident", "Incident update", "Resolved"},
			"dan@example.net": {"New incident", "Incident update", "Resolved"},
		}
		for addr, heads := range want {
			var got []string
			for _, m := range e.mailTo(addr) {
				h, _ := m.Header()
				subject := h.Get("Subject")
				for _, head := range []string{"New incident", "Incident update", "Resolved"} {
					if strings.Contains(subject, head) {
						got = append(got, head)
					}
				}
			}
			if strings.Join(got, ", ") != strings.Join(heads, ", ") {
				t.Errorf("%s got %q, want %q", addr, got, heads)
			}
		}
	})
}

// A window's edits are news to its subscribers: servers added to it are
// told of it as newly scheduled (once, and only those who had not heard),
// and everyone who had heard of it is told when it moves, when it no longer
// concerns a server, and of any update posted with the edit. An edit that
// changes nothing a subscriber would see (a typo in the title) tells nobody.
func TestMaintenanceEditsReachTheirSubscribers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b, notify.Options{})
		ctx := t.Context()
		for _, s := range []*store.Subscriber{
			{Kind: "email", Address: "ann@example.net", Components: []string{"flexo/web"}},
			{Kind: "email", Address: "bob@example.net", Components: []string{"mom/web"}},
			{Kind: "email", Address: "dan@example.net", All: true},
		} {
			s.ConfirmedAt, s.CreatedAt, s.UpdatedAt = t0, t0, t0
			if err := b.Store.InsertSubscriber(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		start := t0.Add(48 * time.Hour)
		m, err := e.svc.ScheduleMaintenance(ctx, "test", service.NewMaintenance{Title: "Kernel upgrade on flexo",
			Body: "We will reboot flexo.", Components: []string{"flexo/web"}, Start: start, End: start.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		edit := func(req service.MaintenanceEdit) {
			t.Helper()
			if _, err := e.svc.EditMaintenance(ctx, "test", m.ID, req); err != nil {
				t.Fatal(err)
			}
		}
		title := "Kernel upgrade on flexo and mom"
		edit(service.MaintenanceEdit{Title: &title})
		edit(service.MaintenanceEdit{Add: []string{"mom/web"}})
		later := start.Add(2 * time.Hour)
		edit(service.MaintenanceEdit{Start: &later})
		edit(service.MaintenanceEdit{Update: "We will also replace a disk."})
		edit(service.MaintenanceEdit{Remove: []string{"mom/web"}})
		e.drain(t)

		heads := func(addr string) []string {
			var got []string
			for _, msg := range e.mailTo(addr) {
				h, err := msg.Header()
				if err != nil {
					t.Fatal(err)
				}
				s := h.Get("Subject")
				s = strings.TrimPrefix(s, "[Example Hosting Status] ")
				got = append(got, s[:strings.Index(s, ":")])
			}
			return got
		}
		want := map[string][]string{
			"ann@example.net": {"Scheduled maintenance", "Maintenance update", "Maintenance update", "Maintenance update"},
			"bob@example.net": {"Scheduled maintenance", "Maintenance update", "Maintenance update", "Maintenance update"},
			"dan@example.net": {"Scheduled maintenance", "Maintenance update", "Maintenance update", "Maintenance update"},
		}
		for addr, w := range want {
			if got := heads(addr); strings.Join(got, ", ") != strings.Join(w, ", ") {
				t.Errorf("%s got %q, want %q", addr, got, w)
			}
		}
		// The move says where the window went, in the page's zone; the
		// removal names the server it no longer concerns.
		var all strings.Builder
		for _, msg := range e.mailTo("ann@example.net") {
			all.Write(msg.Data)
		}
		text := strings.ReplaceAll(all.String(), "=\r\n", "")
		for _, s := range []string{"moved", "11:00 AM", "no longer affects", "replace a disk"} {
			if !strings.Contains(text, s) {
				t.Errorf("ann's mail does not say %q", s)
			}
		}
	})
}

// One update to many subscribers, some of whom the relay refuses: the run
// goes over one pipelined connection in batches, every accepted message is
// recorded sent once, every refused one dead after one try (not retried),
// and nobody gets two.
func TestFanOutBatchesRecordEachResult(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b, notify.Options{Batch: 16})
		ctx := t.Context()
		var addrs []string
		for i := range 60 {
			addrs = append(addrs, fmt.Sprintf("user%d@example.net", i))
			if i%20 == 7 {
				addrs = append(addrs, "gone@example.net")
			}
		}
		if _, err := e.st.InsertConfirmedEmails(ctx, addrs, nil, t0); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Web sites down", Status: status.Investigating,
			Body: "Looking.", Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}}); err != nil {
			t.Fatal(err)
		}
		if got := e.drain(t); got != 61 {
			t.Fatalf("handled %d, want 61 (60 sent, 1 refused)", got)
		}
		if got := e.drain(t); got != 0 {
			t.Fatalf("a second pass handled %d, want 0", got)
		}
		counts, err := e.st.DeliveryCounts(ctx, 0)
		if err != nil || counts[store.DeliverySent] != 60 || counts[store.DeliveryDead] != 1 || len(counts) != 2 {
			t.Fatalf("delivery counts %v, %v; want 60 sent and 1 dead", counts, err)
		}
		dead, err := e.st.Deliveries(ctx, store.DeliveryFilter{State: store.DeliveryDead})
		if err != nil || len(dead) != 1 || dead[0].Address != "gone@example.net" || dead[0].Attempts != 1 ||
			!strings.Contains(dead[0].LastError, "550") {
			t.Fatalf("dead letters %+v, %v; want gone@example.net refused once", dead, err)
		}
		seen := map[string]int{}
		ids := map[string]bool{}
		for _, m := range e.sink.Messages() {
			for _, to := range m.To {
				seen[to]++
			}
			h, err := m.Header()
			if err != nil {
				t.Fatal(err)
			}
			ids[h.Get("Message-Id")] = true
		}
		for _, a := range addrs {
			if a != "gone@example.net" && seen[a] != 1 {
				t.Errorf("%s got %d messages, want 1", a, seen[a])
			}
		}
		if len(seen) != 60 || len(ids) != 60 {
			t.Errorf("%d recipients and %d Message-IDs at the relay, want 60 of each", len(seen), len(ids))
		}
	})
}

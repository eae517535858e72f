package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/notify"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/statuspage"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

type received struct {
	path   string
	header http.Header
	body   []byte
}

func hookServer(t *testing.T) (*httptest.Server, func() []received) {
	var (
		mu  sync.Mutex
		got []received
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, received{r.URL.Path, r.Header.Clone(), b})
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []received {
		mu.Lock()
		defer mu.Unlock()
		return append([]received(nil), got...)
	}
}

func strictDecode(t *testing.T, b []byte, v any) {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

func TestWebhooksSignedAndChatFormats(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		srv, got := hookServer(t)
		e := setup(t, b, notify.Options{AllowAddrs: loopback})
		ctx := t.Context()
		hook, err := e.n.AddSubscriber(ctx, "user:alice", store.SubWebhook, srv.URL+"/hook", "", []string{"flexo/web"})
		if err != nil {
			t.Fatal(err)
		}
		if len(hook.Secret) < 32 {
			t.Errorf("generated secret %q is too short", hook.Secret)
		}
		for _, kind := range []string{store.SubSlack, store.SubDiscord} {
			if _, err := e.n.AddSubscriber(ctx, "user:alice", kind, srv.URL+"/"+kind, "", nil); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.n.AddSubscriber(ctx, "user:alice", store.SubWebhook, srv.URL+"/other", "", []string{"mom/web"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.n.AddSubscriber(ctx, "user:alice", store.SubWebhook, srv.URL+"/hook", "", nil); err == nil {
			t.Error("the same webhook URL was added twice")
		}
		if _, err := e.svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Mail <delayed>", Status: status.Investigating,
			Body: "Queues are long.", Components: map[string]status.ComponentStatus{"flexo/web": status.PartialOutage}}); err != nil {
			t.Fatal(err)
		}
		if n := e.drain(t); n != 3 {
			t.Fatalf("handled %d, want 3 (webhook, slack, discord; not the mom-only webhook)", n)
		}
		paths := map[string]received{}
		for _, r := range got() {
			paths[r.path] = r
		}
		if _, ok := paths["/other"]; ok || len(paths) != 3 {
			t.Fatalf("requests went to %v", paths)
		}

		r := paths["/hook"]
		ts, sig := r.header.Get(notify.HeaderTimestamp), r.header.Get(notify.HeaderSignature)
		now := e.clock.Now()
		if err := notify.Verify(hook.Secret, ts, sig, r.body, now, 5*time.Minute); err != nil {
			t.Errorf("signature does not verify: %v", err)
		}
		if err := notify.Verify(hook.Secret, ts, sig, append(r.body, ' '), now, 5*time.Minute); err == nil {
			t.Error("a changed body verified")
		}
		if err := notify.Verify("wrong", ts, sig, r.body, now, 5*time.Minute); err == nil {
			t.Error("the wrong secret verified")
		}
		if err := notify.Verify(hook.Secret, ts, sig, r.body, now.Add(10*time.Minute), 5*time.Minute); err == nil {
			t.Error("a replay ten minutes later verified")
		}
		var wh struct {
			Meta struct {
				Unsubscribe   string `json:"unsubscribe"`
				Documentation string `json:"documentation"`
				Event         string `json:"event"`
				EventID       int64  `json:"event_id"`
				GeneratedAt   string `json:"generated_at"`
			} `json:"meta"`
			Page struct {
				ID          string `json:"id"`
				Indicator   string `json:"status_indicator"`
				Description string `json:"status_description"`
			} `json:"page"`
			Incident struct {
				ID, Name, Status, Impact, Shortlink string
				UpdatedAt                           string `json:"updated_at"`
				Components                          []struct{ ID, Name string }
				Updates                             []struct {
					Body, Status string
					CreatedAt    string `json:"created_at"`
				} `json:"incident_updates"`
			} `json:"incident"`
		}
		strictDecode(t, r.body, &wh)
		if wh.Incident.Name != "Mail <delayed>" || wh.Incident.Status != "investigating" || wh.Meta.Event != "incident.create" ||
			len(wh.Incident.Components) != 1 || wh.Incident.Components[0].ID != "flexo/web" || wh.Incident.Updates[0].Body != "Queues are long." ||
			!strings.HasPrefix(wh.Meta.Unsubscribe, pageURL+"/unsubscribe?token=") {
			t.Errorf("webhook body: %s", r.body)
		}
		// Statuspage's page object: the page's id as the v2 API gives it,
		// and its status once the incident opened (a partial outage).
		if want := statuspage.PageID(config.Page{Title: "Example Hosting Status", URL: pageURL}); wh.Page.ID != want ||
			wh.Page.Indicator != "major" || wh.Page.Description != "Partial System Outage" {
			t.Errorf("webhook page object %+v, want id %s, major, Partial System Outage", wh.Page, want)
		}

		var slack struct {
			Text   string `json:"text"`
			Blocks []struct {
				Type string `json:"type"`
				Text struct{ Type, Text string }
			} `json:"blocks"`
		}
		strictDecode(t, paths["/slack"].body, &slack)
		if !strings.Contains(slack.Text, "Mail &lt;delayed&gt;") || len(slack.Blocks) != 1 || slack.Blocks[0].Text.Type != "mrkdwn" {
			t.Errorf("slack body: %s", paths["/slack"].body)
		}
		var discord struct {
			Content         string `json:"content"`
			AllowedMentions struct {
				Parse []string `json:"parse"`
			} `json:"allowed_mentions"`
			Embeds []struct {
				Title, Description, URL string
				Color                   int
			} `json:"embeds"`
		}
		strictDecode(t, paths["/discord"].body, &discord)
		if len(discord.Embeds) != 1 || !strings.Contains(discord.Embeds[0].Title, "Mail <delayed>") ||
			!strings.HasPrefix(discord.Embeds[0].URL, pageURL+"/incidents/") {
			t.Errorf("discord body: %s", paths["/discord"].body)
		}
		// Painted as the page paints a major impact (suggested from a partial outage).
		if want := status.KindColour(status.ImpactMajor.Kind()).RGB(); len(discord.Embeds) == 1 && discord.Embeds[0].Color != want {
			t.Errorf("discord colour %#x, want the page's major colour %#x", discord.Embeds[0].Color, want)
		}

		// A window's id is the one the v2 API gives it ("m" and its number),
		// so a client keying incidents and windows together tells them apart.
		before := len(got())
		m, err := e.svc.ScheduleMaintenance(ctx, "test", service.NewMaintenance{Title: "Kernel update", Body: "Restarts once.",
			Components: []string{"flexo/web"}, Start: now.Add(48 * time.Hour), End: now.Add(49 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		e.drain(t)
		var mw struct {
			Page struct {
				Indicator string `json:"status_indicator"`
			} `json:"page"`
			Maintenance struct {
				ID, Status string
			} `json:"scheduled_maintenance"`
		}
		for _, r := range got()[before:] {
			if r.path == "/hook" {
				if err := json.Unmarshal(r.body, &mw); err != nil {
					t.Fatal(err)
				}
			}
		}
		if want := fmt.Sprintf("m%d", m.ID); mw.Maintenance.ID != want || mw.Maintenance.Status != "scheduled" || mw.Page.Indicator != "major" {
			t.Errorf("maintenance webhook: id %q (want %q), status %q, page %q", mw.Maintenance.ID, want, mw.Maintenance.Status, mw.Page.Indicator)
		}
	})
}

// fakeResolver answers from a table the test can change.
type fakeResolver struct {
	mu    sync.Mutex
	hosts map[string][]netip.Addr
}

func (f *fakeResolver) set(host string, addrs ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ips []netip.Addr
	for _, a := range addrs {
		ips = append(ips, netip.MustParseAddr(a))
	}
	f.hosts[host] = ips
}

func (f *fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ips, ok := f.hosts[host]; ok {
		return ips, nil
	}
	return nil, errors.New("no such host")
}

// loopbackDialer dials only loopback and records every address asked for.
type loopbackDialer struct {
	mu    sync.Mutex
	asked []string
}

func (d *loopbackDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	d.mu.Lock()
	d.asked = append(d.asked, address)
	d.mu.Unlock()
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !ap.Addr().IsLoopback() {
		return nil, errors.New("test dialer: refusing to dial a non-loopback address " + address)
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, address)
}

func TestWebhookAddressesRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		srv, got := hookServer(t)
		_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
		res := &fakeResolver{hosts: map[string][]netip.Addr{}}
		res.set("private.test", "10.0.0.5")
		res.set("metadata.test", "169.254.169.254")
		res.set("mixed.test", "127.0.0.1", "192.168.0.10")
		res.set("flip.test", "127.0.0.1")
		dialer := &loopbackDialer{}

		// Without the allowlist, loopback itself is refused.
		strict := setup(t, b, notify.Options{Resolver: res, Dialer: dialer})
		ctx := t.Context()
		for _, u := range []string{srv.URL + "/x", "http://[::1]:" + port + "/", "http://private.test/", "http://metadata.test/latest/meta-data/",
			"ftp://127.0.0.1/", "http://user:pw@127.0.0.1:" + port + "/", "not a url"} {
			if _, err := strict.n.AddSubscriber(ctx, "user:alice", store.SubWebhook, u, "", nil); err == nil {
				t.Errorf("webhook %s accepted", u)
			}
		}

		// With loopback allowed, a name that resolves to loopback now and to a
		// private address at delivery time (DNS rebinding) is refused when it
		// is dialled, and nothing is dialled at all.
		loose := setup(t, b, notify.Options{Resolver: res, Dialer: dialer, AllowAddrs: loopback})
		if _, err := loose.n.AddSubscriber(ctx, "user:alice", store.SubWebhook, "http://mixed.test:"+port+"/", "", nil); err == nil {
			t.Error("a name with one private address among loopback ones was accepted")
		}
		if _, err := loose.n.AddSubscriber(ctx, "user:alice", store.SubWebhook, "http://flip.test:"+port+"/hook", "", nil); err != nil {
			t.Fatal(err)
		}
		res.set("flip.test", "10.9.8.7")
		if _, err := loose.svc.OpenIncident(ctx, "test", service.NewIncident{Title: "x", Status: status.Investigating, Body: "x",
			Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}}); err != nil {
			t.Fatal(err)
		}
		loose.drain(t)
		if n := len(got()); n != 0 {
			t.Errorf("the rebound webhook received %d requests", n)
		}
		for _, a := range dialer.asked {
			t.Errorf("dialled %s", a)
		}
		dead, err := loose.st.Deliveries(ctx, store.DeliveryFilter{State: store.DeliveryDead})
		if err != nil || len(dead) != 1 || !strings.Contains(dead[0].LastError, "10.9.8.7") {
			t.Fatalf("dead letters = %+v, %v; want the refused delivery", dead, err)
		}
		// Back on loopback, a retry goes through the (loopback-only) dialer.
		res.set("flip.test", "127.0.0.1")
		if err := loose.st.RetryDead(ctx, dead[0].ID, loose.clock.Now()); err != nil {
			t.Fatal(err)
		}
		loose.drain(t)
		if n := len(got()); n != 1 {
			t.Errorf("after the retry the webhook received %d requests, want 1", n)
		}
	})
}

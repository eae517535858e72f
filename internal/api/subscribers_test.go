package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/customers"
	"github.com/heraldhq/herald/internal/notify"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

type notifyFixture struct {
	srv          *httptest.Server
	n            *notify.Notifier
	svc          *service.Service
	write, read  string
	hookURL      string
	hookRequests func() int
	// cfg is the configuration the notifier reads; a test may change it.
	cfg *config.Config
}

func newNotifyFixture(t *testing.T, b storetest.Backend) *notifyFixture {
	t.Helper()
	return newNotifyFixtureWith(t, b, notify.Options{AllowAddrs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
}

// newNotifyFixtureWith builds the fixture with these notifier options (the
// clock and the attempt limit are the fixture's).
func newNotifyFixtureWith(t *testing.T, b storetest.Backend, opt notify.Options) *notifyFixture {
	t.Helper()
	clock := &fakeClock{now: t0}
	svc := service.New(b.Store, clock, nil)
	if err := svc.SyncCatalog(t.Context(), []store.Group{{ID: "flexo", Name: "flexo"}},
		[]store.Component{{ID: "flexo/web", GroupID: "flexo", Name: "Web sites"}}); err != nil {
		t.Fatal(err)
	}
	cfg := config.Config{Page: config.Page{Title: "Status", URL: "https://127.0.0.1:8443"}}
	opt.Clock, opt.MaxAttempts = clock, 1
	n, remove, err := notify.New(t.Context(), b.Store, svc, func() config.Config { return cfg }, nil, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(remove)
	mux := http.NewServeMux()
	admin := api.NewAdmin(svc, nil)
	admin.Register(mux)
	admin.RegisterNotify(mux, n, customers.New(b.Store, svc))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	write, _, err := svc.CreateToken(t.Context(), "w", service.ScopeWrite)
	if err != nil {
		t.Fatal(err)
	}
	read, _, err := svc.CreateToken(t.Context(), "r", service.ScopeRead)
	if err != nil {
		t.Fatal(err)
	}
	hits := 0
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.WriteHeader(http.StatusGone) // refused for good: straight to the dead letters
	}))
	t.Cleanup(hook.Close)
	return &notifyFixture{srv: srv, n: n, svc: svc, write: write, read: read, hookURL: hook.URL, hookRequests: func() int { return hits }, cfg: &cfg}
}

func (f *notifyFixture) call(t *testing.T, method, path, token, contentType, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s %s: not JSON: %s", method, path, b)
		}
	}
	return resp.StatusCode, out
}

func TestSubscribersAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newNotifyFixture(t, b)
		const js = "application/json"
		if code, _ := f.call(t, "GET", "/api/v1/subscribers", "", "", ""); code != 401 {
			t.Errorf("without a token: %d", code)
		}
		if code, _ := f.call(t, "POST", "/api/v1/subscribers", f.read, js, `{"kind":"email","address":"a@example.net"}`); code != 403 {
			t.Errorf("read token adding: %d", code)
		}
		code, out := f.call(t, "POST", "/api/v1/subscribers", f.write, js, `{"kind":"email","address":"ann@example.net","components":["flexo"]}`)
		if code != 202 || out["subscriber"].(map[string]any)["state"] != "pending" {
			t.Errorf("adding an e-mail subscriber = %d %v; want 202 pending (double opt-in)", code, out)
		}
		code, out = f.call(t, "POST", "/api/v1/subscribers", f.write, js, `{"kind":"webhook","address":"`+f.hookURL+`/h"}`)
		sub, _ := out["subscriber"].(map[string]any)
		if code != 201 || sub["state"] != "active" || len(sub["secret"].(string)) < 32 {
			t.Fatalf("adding a webhook = %d %v", code, out)
		}
		for _, tc := range []struct{ body, want string }{
			{`{"kind":"webhook","address":"http://169.254.169.254/"}`, "refused"},
			{`{"kind":"pager","address":"x"}`, "not one of"},
			{`{"kind":"telegram","address":"` + f.hookURL + `","secret":"123:abc"}`, "names the chat"},
			{`{"kind":"gotify","address":"` + f.hookURL + `"}`, "needs its token"},
			{`{"kind":"email","address":"x","extra":1}`, "extra"},
			{`{"kind":"email","address":"not an address"}`, "not an e-mail address"},
			{`{"kind":"webhook","address":"` + f.hookURL + `/h","components":["nope/x"]}`, "unknown component"},
		} {
			code, out := f.call(t, "POST", "/api/v1/subscribers", f.write, js, tc.body)
			msg, _ := out["error"].(map[string]any)["message"].(string)
			if code < 400 || code >= 500 || !strings.Contains(msg, tc.want) {
				t.Errorf("POST %s = %d %q, want a 4xx saying %q", tc.body, code, msg, tc.want)
			}
		}
		code, out = f.call(t, "GET", "/api/v1/subscribers?kind=webhook", f.read, "", "")
		if code != 200 || len(out["subscribers"].([]any)) != 1 {
			t.Errorf("list webhooks = %d %v", code, out)
		}
		if _, ok := out["subscribers"].([]any)[0].(map[string]any)["secret"]; ok {
			t.Error("the list shows a webhook's secret")
		}

		// A delivery the receiver refuses lands in the dead-letter list.
		if _, err := f.svc.OpenIncident(t.Context(), "test", service.NewIncident{Title: "x", Status: status.Investigating, Body: "x",
			Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.n.ProcessBatch(t.Context(), nil); err != nil {
			t.Fatal(err)
		}
		code, out = f.call(t, "GET", "/api/v1/deliveries/dead?subscriber="+itoa(int(sub["id"].(float64))), f.read, "", "")
		dead, _ := out["deliveries"].([]any)
		if code != 200 || len(dead) != 1 || !strings.Contains(dead[0].(map[string]any)["last_error"].(string), "410") {
			t.Fatalf("dead letters = %d %v", code, out)
		}
		id := int(dead[0].(map[string]any)["id"].(float64))
		if code, _ := f.call(t, "POST", "/api/v1/deliveries/"+itoa(id)+"/retry", f.write, "", ""); code != 202 {
			t.Errorf("retry = %d", code)
		}
		if code, _ := f.call(t, "POST", "/api/v1/deliveries/"+itoa(id)+"/retry", f.write, "", ""); code != 404 {
			t.Errorf("retrying a delivery no longer dead = %d", code)
		}
		if code, _ := f.call(t, "GET", "/api/v1/deliveries?state=bogus", f.read, "", ""); code != 400 {
			t.Errorf("bad state = %d", code)
		}

		// Customers: import by API, exact look-up, a count and never a list.
		if code, _ := f.call(t, "POST", "/api/v1/customers/import", f.write, js, `{}`); code != 415 {
			t.Errorf("import as JSON = %d, want 415", code)
		}
		code, out = f.call(t, "POST", "/api/v1/customers/import", f.write, "text/csv", "domain,group\nshop.example,flexo\n")
		if code != 200 || out["rows"].(float64) != 1 {
			t.Errorf("import = %d %v", code, out)
		}
		code, out = f.call(t, "POST", "/api/v1/customers/import", f.write, "text/csv", "a.example,flexo\nb.example,nosuch\n")
		if code != 422 || !strings.Contains(out["error"].(map[string]any)["message"].(string), "line 2") {
			t.Errorf("bad import = %d %v", code, out)
		}
		if code, out := f.call(t, "GET", "/api/v1/customers/www.shop.example", f.read, "", ""); code != 200 || out["customer"].(map[string]any)["group"] != "flexo" {
			t.Errorf("look-up = %d %v", code, out)
		}
		if code, out := f.call(t, "GET", "/api/v1/customers", f.read, "", ""); code != 200 || out["count"].(float64) != 1 || len(out) != 1 {
			t.Errorf("customers = %d %v; want a count only", code, out)
		}
		if code, _ := f.call(t, "DELETE", "/api/v1/customers/shop.example", f.write, "", ""); code != 204 {
			t.Errorf("delete = %d", code)
		}
		if code, _ := f.call(t, "GET", "/api/v1/customers/shop.example", f.read, "", ""); code != 404 {
			t.Errorf("after delete = %d", code)
		}
		subID := int(sub["id"].(float64))
		if code, _ := f.call(t, "DELETE", "/api/v1/subscribers/"+itoa(subID), f.write, "", ""); code != 204 {
			t.Errorf("delete subscriber = %d", code)
		}
		if code, _ := f.call(t, "GET", "/api/v1/subscribers/"+itoa(subID), f.read, "", ""); code != 404 {
			t.Errorf("deleted subscriber = %d", code)
		}

		// Every change made above is in the change log, by the token that
		// made it; what the log keeps of a subscriber has no address, since
		// the log outlives the subscriber.
		for _, want := range []struct{ subject, action string }{
			{"subscriber:" + itoa(subID), "subscriber.add"},
			{"delivery:" + itoa(id), "delivery.retry"},
			{"customers", "customers.import"},
			{"customer:shop.example", "customer.delete"},
			{"subscriber:" + itoa(subID), "subscriber.delete"},
		} {
			changes, err := f.svc.Changes(t.Context(), want.subject, 10)
			if err != nil {
				t.Fatal(err)
			}
			var found *store.Change
			for i := range changes {
				if changes[i].Action == want.action {
					found = &changes[i]
				}
			}
			switch {
			case found == nil:
				t.Errorf("no %s of %s in the change log (%d entries for it)", want.action, want.subject, len(changes))
			case !strings.HasPrefix(found.Actor, "token:") || !strings.HasSuffix(found.Actor, "(w)"):
				t.Errorf("%s of %s recorded as made by %q, want the write token", want.action, want.subject, found.Actor)
			case strings.Contains(found.Before+found.After, f.hookURL):
				t.Errorf("%s of %s keeps the subscriber's address: %s %s", want.action, want.subject, found.Before, found.After)
			}
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

// nameTable resolves from a table, so that no test asks a real DNS server.
type nameTable map[string][]netip.Addr

func (m nameTable) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := m[host]; ok {
		return a, nil
	}
	return nil, errors.New("no such host")
}

// refuseDial fails every dial: creating a subscriber must never connect.
type refuseDial struct{ asked *[]string }

func (d refuseDial) DialContext(_ context.Context, _, address string) (net.Conn, error) {
	*d.asked = append(*d.asked, address)
	return nil, errors.New("test: no dialling")
}

// TestWebhookInternalAddresses: an internal address is refused with 422
// whatever its spelling, and an address with a zone even when its range is
// allowed (the interface named in the zone would be reached).
func TestWebhookInternalAddresses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		var dialled []string
		names := nameTable{
			"internal.example.com": {netip.MustParseAddr("10.0.0.5")},
			"meta.example.com":     {netip.MustParseAddr("fd00:ec2::254")},
		}
		strict := newNotifyFixtureWith(t, b, notify.Options{Resolver: names, Dialer: refuseDial{&dialled}})
		for _, u := range []string{
			"http://127.0.0.1/", "http://2130706433/", "http://0x7f.1/", "http://0x7f000001/", "http://0177.0.0.1/",
			"http://127.1/", "http://0/", "http://127.0.0.1./", "http://localhost/", "http://localhost.:8080/",
			"http://api.localhost/", "http://[::1]/", "http://[::1%25lo]:8080/", "http://[fe80::1%25lo]/",
			"http://[fd00:ec2::254%25eth0]/", "http://[fd00:ec2::254]/", "http://[::ffff:127.0.0.1]/",
			"http://[::127.0.0.1]/", "http://[2002:7f00:1::]/", "http://[64:ff9b::7f00:1]/", "http://[fec0::1]/",
			"http://169.254.169.254/", "http://[::ffff:a9fe:a9fe]/", "http://internal.example.com/", "http://meta.example.com/",
		} {
			code, out := strict.call(t, "POST", "/api/v1/subscribers", strict.write, "application/json",
				`{"kind":"webhook","address":"`+u+`"}`)
			if code != http.StatusUnprocessableEntity {
				t.Errorf("webhook %s = %d %v, want 422", u, code, out)
			}
		}

		loose := newNotifyFixtureWith(t, b, notify.Options{Resolver: names, Dialer: refuseDial{&dialled},
			AllowAddrs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("fe80::/10")}})
		_, port, _ := net.SplitHostPort(strings.TrimPrefix(loose.hookURL, "http://"))
		for _, u := range []string{"http://[::1%25lo]:" + port + "/", "http://[fe80::1%25lo]:" + port + "/"} {
			code, out := loose.call(t, "POST", "/api/v1/subscribers", loose.write, "application/json", `{"kind":"webhook","address":"`+u+`"}`)
			if code != http.StatusUnprocessableEntity {
				t.Errorf("zoned webhook %s with its range allowed = %d %v, want 422", u, code, out)
			}
		}
		code, out := loose.call(t, "POST", "/api/v1/subscribers", loose.write, "application/json",
			`{"kind":"webhook","address":"http://[::1]:`+port+`/"}`)
		if code != http.StatusCreated {
			t.Errorf("allowed ::1 = %d %v, want 201", code, out)
		}
		if len(dialled) > 0 {
			t.Errorf("creating subscribers dialled %v", dialled)
		}
	})
}

func TestChannelTestAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newNotifyFixture(t, b)
		var got []string
		ntfy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var m map[string]any
			_ = json.NewDecoder(r.Body).Decode(&m)
			title, _ := m["title"].(string)
			got = append(got, title)
		}))
		t.Cleanup(ntfy.Close)
		f.cfg.Channels = []config.Channel{{Name: "phones", Type: "ntfy", URL: ntfy.URL + "/ops"}, {Name: "later", Type: "ntfy", URL: ntfy.URL + "/later"}}
		if err := f.n.SyncChannels(t.Context(), *f.cfg, nil); err != nil {
			t.Fatal(err)
		}
		f.cfg.Channels = append(f.cfg.Channels, config.Channel{Name: "unsynced", Type: "ntfy", URL: ntfy.URL + "/x"})
		if code, _ := f.call(t, "POST", "/api/v1/channels/phones/test", f.read, "", ""); code != 403 {
			t.Errorf("a read token testing a channel: %d", code)
		}
		if code, _ := f.call(t, "POST", "/api/v1/channels/nope/test", f.write, "", ""); code != 404 {
			t.Errorf("testing a channel that is not configured: %d", code)
		}
		if code, out := f.call(t, "POST", "/api/v1/channels/unsynced/test", f.write, "", ""); code != 409 {
			t.Errorf("testing a channel not loaded yet: %d %v", code, out)
		}
		code, out := f.call(t, "POST", "/api/v1/channels/phones/test", f.write, "", "")
		dl, _ := out["deliveries"].([]any)
		if code != 202 || len(dl) != 1 || dig(dl[0], "state") != "queued" || dig(dl[0], "kind") != "ntfy" {
			t.Fatalf("testing the channel = %d %v", code, out)
		}
		if _, err := f.n.ProcessBatch(t.Context(), nil); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || !strings.HasPrefix(got[0], "Test: Status's ntfy channel phones works") {
			t.Errorf("ntfy received %q", got)
		}
		code, out = f.call(t, "GET", "/api/v1/deliveries?event="+strconv.FormatInt(int64(dig(dl[0], "event_id").(float64)), 10), f.read, "", "")
		if list, _ := out["deliveries"].([]any); code != 200 || len(list) != 1 || dig(list[0], "state") != "sent" {
			t.Errorf("the test's delivery = %d %v", code, out)
		}
	})
}

func dig(v any, key string) any {
	m, _ := v.(map[string]any)
	return m[key]
}

package web

import (
	"bytes"
	"fmt"
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/customers"
	"github.com/heraldhq/herald/internal/notify"
	"github.com/heraldhq/herald/internal/notify/smtpsink"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// A subscriber of an entry of pages: hears from that page: the mail's
// links (confirm, manage, unsubscribe, the incident) lead to its address,
// its title is the sender's name and the subject's, and the servers it does
// not show are not named. The main page's brand (its title, its host, its
// sender) is nowhere in the mail. Each page is followed through the links
// of its mail, as a subscriber would: a host page (on its own host name)
// and a path page (under page:'s host).
func TestSubscriptionMailPerPage(t *testing.T) {
	ctx := t.Context()
	b := storetest.SQLite(t)
	sink, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	clock := &subClock{now: time.Date(2026, 4, 1, 16, 0, 0, 0, time.UTC)}
	svc := service.New(b.Store, clock, nil)
	groups := []store.Group{{ID: "flexo", Name: "flexo"}, {ID: "mom", Name: "mom", Position: 1}, {ID: "zapp", Name: "zapp", Position: 2}}
	comps := []store.Component{{ID: "flexo/web", GroupID: "flexo", Name: "Web sites"},
		{ID: "mom/web", GroupID: "mom", Name: "Web sites"}, {ID: "zapp/web", GroupID: "zapp", Name: "Web sites"}}
	if err := svc.SyncCatalog(ctx, groups, comps); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	var handler http.Handler = mux
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	port := srv.URL[strings.LastIndexByte(srv.URL, ':')+1:]
	const resellerHost = "status.reseller.test"
	cfg, err := config.Parse("test.yaml", []byte(fmt.Sprintf(`
page: {title: Example Hosting Status, zone: America/Los_Angeles, url: %q}
pages:
  - {id: reseller, title: Reseller Status, host: %s, url: "http://%s:%s", groups: [mom],
     email_from: "Reseller Status <status@reseller.test>"}
  - {id: acme, title: Acme Status, path: /acme, groups: [zapp]}
groups:
  - {id: flexo, components: [{id: web, name: Web sites}]}
  - {id: mom, components: [{id: web, name: Web sites}]}
  - {id: zapp, components: [{id: web, name: Web sites}]}
`, srv.URL, resellerHost, resellerHost, port)))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Notify.Email = &config.Email{SMTP: sink.Addr, From: "Example Hosting <status@example.net>", TLS: "none", RatePerSecond: 100000}
	cfgFn := func() config.Config { return cfg }
	n, remove, err := notify.New(ctx, b.Store, svc, cfgFn, nil, notify.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(remove)
	site := NewSite(svc, cfgFn, nil)
	if err := site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	site.Register(mux)
	NewSubscriptions(svc, cfgFn, n, customers.New(b.Store, svc), nil, clock.Now).Register(mux)
	handler = site.Handler(mux)
	sess := notify.SMTP(cfgFn).Session()
	t.Cleanup(func() { sess.Close() })
	drain := func() {
		t.Helper()
		for {
			k, err := n.ProcessBatch(ctx, sess)
			if err != nil {
				t.Fatal(err)
			}
			if k == 0 {
				return
			}
		}
	}
	// do asks the server (on loopback) for link, with the Host header the
	// link names, as a browser would.
	do := func(method, link string, form url.Values) (int, string) {
		t.Helper()
		u, err := url.Parse(link)
		if err != nil {
			t.Fatal(err)
		}
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, err := http.NewRequestWithContext(ctx, method, srv.URL+u.RequestURI(), body)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = u.Host
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw)
	}
	read := func(m smtpsink.Message) (string, func(string) string) {
		t.Helper()
		plain, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(m.Data)))
		hdr, err := m.Header()
		if err != nil {
			t.Fatal(err)
		}
		return string(plain), hdr.Get
	}

	for _, tc := range []struct {
		page, title, base, comp, server string
		from                            string
		mainHost                        bool // the page is on page:'s host
	}{
		{"reseller", "Reseller Status", "http://" + resellerHost + ":" + port, "mom/web", "mom", `"Reseller Status" <status@reseller.test>`, false},
		{"acme", "Acme Status", srv.URL + "/acme", "zapp/web", "zapp", `"Acme Status" <status@example.net>`, true},
	} {
		t.Run(tc.page, func(t *testing.T) {
			before := len(sink.Messages())
			if code, body := do("POST", tc.base+"/subscribe", url.Values{"email": {"ann@example.org"}}); code != 200 {
				t.Fatalf("subscribe on %s = %d:\n%s", tc.base, code, body)
			}
			drain()
			msgs := sink.Messages()[before:]
			if len(msgs) != 1 {
				t.Fatalf("%d messages, want the confirmation", len(msgs))
			}
			mail, header := read(msgs[0])
			if got := header("From"); got != tc.from {
				t.Errorf("From: %q, want %q", got, tc.from)
			}
			if got := header("Subject"); got != tc.title+": confirm your subscription" {
				t.Errorf("Subject: %q", got)
			}
			confirm := regexp.MustCompile(regexp.QuoteMeta(tc.base) + `/subscribe/confirm\?token=[A-Za-z0-9._%-]+`).FindString(mail)
			if confirm == "" {
				t.Fatalf("no confirmation link to %s in:\n%s", tc.base, mail)
			}
			noMainBrand(t, "the confirmation", mail, tc.mainHost)
			code, body := do("GET", confirm, nil)
			if code != 200 || !strings.Contains(body, tc.title) || strings.Contains(body, "Example Hosting") {
				t.Fatalf("GET %s = %d, not %s's page:\n%s", confirm, code, tc.title, body)
			}
			tok, _ := url.Parse(confirm)
			code, body = do("POST", tc.base+"/subscribe/confirm", url.Values{"token": {tok.Query().Get("token")}})
			if code != 200 || !strings.Contains(body, "You are subscribed") || strings.Contains(body, "Example Hosting") {
				t.Fatalf("confirm on %s = %d:\n%s", tc.base, code, body)
			}
			sub, err := b.Store.SubscriberOnPage(ctx, store.SubEmail, "ann@example.org", tc.page)
			if err != nil || !sub.Active() || sub.Page != tc.page {
				t.Fatalf("subscriber on %s = %+v, %v", tc.page, sub, err)
			}

			// An incident on every server: the page's subscriber hears of
			// it from the page, naming the page's server only.
			title := "Network trouble " + tc.page
			in, err := svc.OpenIncident(ctx, "test", service.NewIncident{Title: title, Status: status.Investigating, Body: "Looking into it.",
				Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage, "mom/web": status.MajorOutage, "zapp/web": status.MajorOutage}})
			if err != nil {
				t.Fatal(err)
			}
			if err := site.Rebuild(ctx); err != nil {
				t.Fatal(err)
			}
			before = len(sink.Messages())
			drain()
			var notice *smtpsink.Message
			for _, m := range sink.Messages()[before:] {
				if len(m.To) == 1 && m.To[0] == "ann@example.org" {
					notice = &m
				}
			}
			if notice == nil {
				t.Fatalf("no notice of the incident to ann on %s", tc.page)
			}
			mail, header = read(*notice)
			if got, want := header("Subject"), "["+tc.title+"] New incident: "+title; got != want {
				t.Errorf("Subject: %q, want %q", got, want)
			}
			if got := header("From"); got != tc.from {
				t.Errorf("From: %q, want %q", got, tc.from)
			}
			for _, h := range []string{"List-Id", "Message-Id", "List-Unsubscribe"} {
				noMainBrand(t, h, header(h), tc.mainHost)
			}
			noMainBrand(t, "the notice", mail, tc.mainHost)
			if strings.Contains(mail, "flexo") || !strings.Contains(mail, tc.server+" · Web sites") {
				t.Errorf("the notice must name %s alone, not flexo:\n%s", tc.server, mail)
			}
			incident := fmt.Sprintf("%s/incidents/%d", tc.base, in.ID)
			manage := regexp.MustCompile(regexp.QuoteMeta(tc.base) + `/manage\?token=[A-Za-z0-9._%-]+`).FindString(mail)
			if !strings.Contains(mail, incident) || manage == "" {
				t.Fatalf("the notice has no link to %s or to manage on %s:\n%s", incident, tc.base, mail)
			}
			for _, link := range []string{incident, manage} {
				code, body := do("GET", link, nil)
				if code != 200 || !strings.Contains(body, tc.title) || strings.Contains(body, "Example Hosting") {
					t.Errorf("GET %s = %d, not %s's page:\n%s", link, code, tc.title, body)
				}
			}
			unsub := strings.Trim(header("List-Unsubscribe"), "<>")
			if !strings.HasPrefix(unsub, tc.base+"/unsubscribe?token=") {
				t.Fatalf("List-Unsubscribe %q does not lead to %s", unsub, tc.base)
			}
			if code, body := do("POST", unsub, url.Values{"List-Unsubscribe": {"One-Click"}}); code != 200 || !strings.Contains(body, tc.title) {
				t.Errorf("one-click unsubscribe on %s = %d:\n%s", tc.base, code, body)
			}
			if sub, err := b.Store.SubscriberOnPage(ctx, store.SubEmail, "ann@example.org", tc.page); err != nil || sub.UnsubscribedAt.IsZero() {
				t.Errorf("after the one-click unsubscribe: %+v, %v", sub, err)
			}
		})
	}
	// Each page's subscription is its own: ann is on none of page:'s lists.
	if _, err := b.Store.SubscriberByAddress(ctx, store.SubEmail, "ann@example.org"); err == nil {
		t.Error("subscribing on the pages made a subscription on page: too")
	}
}

// noMainBrand fails when s names the main page: its title, its sender, or
// (for a page on a host of its own) its host.
func noMainBrand(t *testing.T, what, s string, mainHost bool) {
	t.Helper()
	for _, brand := range []string{"Example Hosting", "example.net"} {
		if strings.Contains(s, brand) && !(mainHost && brand == "example.net") {
			t.Errorf("%s names the main page (%q):\n%s", what, brand, s)
		}
	}
	if !mainHost && strings.Contains(s, "127.0.0.1") {
		t.Errorf("%s names the main page's host:\n%s", what, s)
	}
}

package web

import (
	"bytes"
	"fmt"
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/auth"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/customers"
	"github.com/heraldhq/herald/internal/notify"
	"github.com/heraldhq/herald/internal/notify/smtpsink"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

const privSubKeyEnv = "HERALD_TEST_PRIVSUB_KEY"

// privSub is a Herald with a private page, /secret, showing elzar and zapp
// (flexo is page:'s), taking subscriptions, its mail to a loopback sink.
type privSub struct {
	// host is the Host header of the requests do sends ("" the server's).
	host  string
	t     *testing.T
	st    *store.Store
	svc   *service.Service
	n     *notify.Notifier
	site  *Site
	sink  *smtpsink.Sink
	sess  notify.Session
	srv   *httptest.Server
	cfg   config.Config
	clock *subClock
}

func newPrivSub(t *testing.T) *privSub {
	t.Helper()
	t.Setenv(privSubKeyEnv, strings.Repeat("p", 40))
	ctx := t.Context()
	b := storetest.SQLite(t)
	sink, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	clock := &subClock{now: time.Date(2026, 4, 1, 16, 0, 0, 0, time.UTC)}
	svc := service.New(b.Store, clock, nil)
	if err := svc.SyncCatalog(ctx, []store.Group{{ID: "flexo", Name: "flexo"}, {ID: "elzar", Name: "elzar", Position: 1},
		{ID: "zapp", Name: "zapp", Position: 2}}, []store.Component{{ID: "flexo/web", GroupID: "flexo", Name: "Web sites"},
		{ID: "elzar/web", GroupID: "elzar", Name: "Web sites"}, {ID: "zapp/web", GroupID: "zapp", Name: "Web sites"},
		{ID: "zapp/email", GroupID: "zapp", Name: "E-mail", Position: 1}}); err != nil {
		t.Fatal(err)
	}
	hash, err := auth.HashPassword("correct horse", auth.Params{Memory: 1024, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	var handler http.Handler = mux
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	cfg, err := config.Parse("test.yaml", []byte(fmt.Sprintf(`
page: {title: Example Hosting Status, zone: America/Los_Angeles, url: %q}
pages:
  - id: secret
    title: Secret Customers Status
    path: /secret
    groups: [elzar, zapp]
    private: {password_hash: %q, key_env: %s, customers: true}
  - id: hidden
    title: Hidden Status
    host: status.hidden.example
    groups: [elzar]
    private: {key_env: %s}
groups:
  - {id: flexo, components: [{id: web, name: Web sites}]}
  - {id: elzar, components: [{id: web, name: Web sites}]}
  - {id: zapp, components: [{id: web, name: Web sites}, {id: email, name: E-mail}]}
`, srv.URL, hash, privSubKeyEnv, privSubKeyEnv)))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Notify.Email = &config.Email{SMTP: sink.Addr, From: "Example Hosting <status@example.net>", TLS: "none", RatePerSecond: 100000}
	e := &privSub{t: t, st: b.Store, svc: svc, sink: sink, srv: srv, cfg: cfg, clock: clock}
	cfgFn := func() config.Config { return e.cfg }
	n, remove, err := notify.New(ctx, b.Store, svc, cfgFn, nil, notify.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(remove)
	e.n = n
	e.site = NewSite(svc, cfgFn, nil).WithCustomerSignIn(CustomerSignIn{Directory: customers.New(b.Store, svc),
		Mail: notify.SMTP(cfgFn), Once: b.Store.UseSignIn})
	if err := b.Store.UpsertCustomers(ctx, []store.Customer{{Domain: "shop.example", GroupID: "zapp", UpdatedAt: clock.Now()},
		{Domain: "elzar-customer.example", GroupID: "elzar", UpdatedAt: clock.Now()},
		{Domain: "flexo-customer.example", GroupID: "flexo", UpdatedAt: clock.Now()}}); err != nil {
		t.Fatal(err)
	}
	if err := e.site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	e.site.Register(mux)
	NewSubscriptions(svc, cfgFn, n, customers.New(b.Store, svc), nil, clock.Now).Register(mux)
	handler = e.site.Handler(mux)
	e.sess = notify.SMTP(cfgFn).Session()
	t.Cleanup(func() { e.sess.Close() })
	return e
}

func (e *privSub) drain() {
	e.t.Helper()
	for {
		k, err := e.n.ProcessBatch(e.t.Context(), e.sess)
		if err != nil {
			e.t.Fatal(err)
		}
		if k == 0 {
			return
		}
	}
}

// do sends a request to the page as a browser (or a mail program) would:
// cookie is the session's ("" none), form a urlencoded body, js a JSON one.
// Every response under /secret/ must say noindex, and every HTML one
// carry the robots meta tag.
func (e *privSub) do(method, path, cookie string, form url.Values, js string) (*http.Response, string) {
	e.t.Helper()
	var body io.Reader
	switch {
	case form != nil:
		body = strings.NewReader(form.Encode())
	case js != "":
		body = strings.NewReader(js)
	}
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	switch {
	case form != nil:
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	case js != "":
		req.Header.Set("Content-Type", "application/json")
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	if e.host != "" {
		req.Host = e.host
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if strings.HasPrefix(path, "/secret/") || e.host != "" {
		if got := resp.Header.Get("X-Robots-Tag"); got != "noindex, nofollow" {
			e.t.Errorf("%s %s: X-Robots-Tag %q", method, path, got)
		}
		if resp.StatusCode/100 != 3 && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") && !bytes.Contains(raw, []byte(`<meta name="robots" content="noindex`)) {
			e.t.Errorf("%s %s: no robots meta tag:\n%s", method, path, raw)
		}
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			e.t.Errorf("%s %s: Cache-Control %q", method, path, cc)
		}
	}
	return resp, string(raw)
}

// sessionCookie is the cookie a response set.
func sessionCookie(t *testing.T, resp *http.Response) string {
	t.Helper()
	for _, c := range resp.Cookies() {
		if strings.HasPrefix(c.Name, "herald_page_") {
			return c.Name + "=" + c.Value
		}
	}
	t.Fatalf("no session cookie in %d %v", resp.StatusCode, resp.Header)
	return ""
}

// names reports which servers' names a text mentions.
func names(s string, servers ...string) []string {
	var out []string
	for _, n := range servers {
		if strings.Contains(s, n) {
			out = append(out, n)
		}
	}
	return out
}

// lastMailTo is the text part of the latest message to addr, with its header.
func (e *privSub) lastMailTo(addr string) (string, func(string) string) {
	e.t.Helper()
	var last *smtpsink.Message
	for _, m := range e.sink.Messages() {
		if len(m.To) == 1 && m.To[0] == addr {
			last = &m
		}
	}
	if last == nil {
		e.t.Fatalf("no mail to %s", addr)
	}
	plain, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(last.Data)))
	hdr, err := last.Header()
	if err != nil {
		e.t.Fatal(err)
	}
	return string(plain), hdr.Get
}

// A visitor signed in to a private page subscribes there, within what
// their session shows: a customer's server (a signed link, or their e-mail
// sign-in) or the whole page (the password). Without a session the
// subscription's pages are the sign-in page; the mail's links (confirm,
// manage, unsubscribe, RFC 8058's one-click POST) work without one, each
// within its subscription's server; no answer or mail names another server.
func TestPrivatePageSubscriptions(t *testing.T) {
	e := newPrivSub(t)
	ctx := t.Context()
	others := []string{"elzar", "flexo", "Example Hosting"} // what zapp's customers must never read

	// Without a session: the sign-in page, or 401, and nothing else.
	for _, tc := range []struct{ method, path, js string }{
		{"GET", "/secret/subscribe", ""}, {"POST", "/secret/subscribe", ""}, {"GET", "/secret/lookup?domain=shop.example", ""},
		{"POST", "/secret/api/v2/subscribers.json", `{"email":"x@example.org"}`}, {"GET", "/secret/feeds/zapp.atom", ""},
		{"GET", "/secret/feeds/zapp/web.rss", ""},
	} {
		var form url.Values
		if tc.method == "POST" && tc.js == "" {
			form = url.Values{"email": {"x@example.org"}}
		}
		resp, body := e.do(tc.method, tc.path, "", form, tc.js)
		if resp.StatusCode != http.StatusUnauthorized || len(names(body, "zapp", "elzar", "Web sites")) > 0 {
			t.Errorf("%s %s without a session = %d:\n%s", tc.method, tc.path, resp.StatusCode, body)
		}
	}
	if k, _ := e.st.CountSubscribers(ctx); k.Pending != 0 {
		t.Fatalf("%d subscriptions made without a session", k.Pending)
	}

	// A customer's signed link for zapp.
	link, err := SignedLink(e.cfg, "secret", "zapp", 24*time.Hour, e.clock.Now(), os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(link)
	resp, _ := e.do("GET", u.RequestURI(), "", nil, "")
	zapp := sessionCookie(t, resp)
	resp, form := e.do("GET", "/secret/subscribe", zapp, nil, "")
	if resp.StatusCode != 200 || !strings.Contains(form, `value="zapp/web"`) || !strings.Contains(form, `value="zapp/email"`) ||
		!strings.Contains(form, `action="/secret/subscribe"`) || len(names(form, others...)) > 0 {
		t.Fatalf("zapp's subscription form = %d (names %v):\n%s", resp.StatusCode, names(form, others...), form)
	}
	resp, body := e.do("POST", "/secret/subscribe", zapp, url.Values{"email": {"ann@example.org"}, "component": {"elzar/web"}}, "")
	refusal := `no component &#34;elzar/web&#34; on this page`
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, refusal) ||
		len(names(strings.Replace(body, refusal, "", 1), others...)) > 0 {
		t.Errorf("zapp's visitor choosing elzar/web = %d:\n%s", resp.StatusCode, body)
	}
	e.clock.Add(time.Minute) // past the form's rate limit
	if resp, body := e.do("POST", "/secret/subscribe", zapp, url.Values{"email": {"ann@example.org"}}, ""); resp.StatusCode != 200 ||
		!strings.Contains(body, "Check your inbox") {
		t.Fatalf("zapp's visitor subscribing = %d:\n%s", resp.StatusCode, body)
	}
	ann, err := e.st.SubscriberOnPageFor(ctx, store.SubEmail, "ann@example.org", "secret", "zapp")
	if err != nil || !slices.Equal(ann.Components, []string{"zapp/email", "zapp/web"}) || ann.All || ann.Customer != "" {
		t.Fatalf("ann's subscription: %+v, %v; want zapp's components, limited to zapp", ann, err)
	}
	// Statuspage's subscribe call, the same way in.
	e.clock.Add(time.Minute)
	if resp, body := e.do("POST", "/secret/api/v2/subscribers.json", zapp, nil, `{"subscriber":{"email":"dan@example.org","component_ids":["elzar/web"]}}`); resp.StatusCode == http.StatusCreated ||
		len(names(strings.ReplaceAll(body, "elzar/web", ""), others...)) > 0 {
		t.Errorf("the API subscribing zapp's visitor to elzar/web = %d:\n%s", resp.StatusCode, body)
	}
	if resp, body := e.do("POST", "/secret/api/v2/subscribers.json", zapp, nil, `{"subscriber":{"email":"dan@example.org","component_ids":["zapp/web"]}}`); resp.StatusCode != http.StatusCreated {
		t.Errorf("the API subscribing zapp's visitor = %d:\n%s", resp.StatusCode, body)
	}
	if dan, err := e.st.SubscriberOnPageFor(ctx, store.SubEmail, "dan@example.org", "secret", "zapp"); err != nil || !slices.Equal(dan.Components, []string{"zapp/web"}) {
		t.Errorf("dan's subscription: %+v, %v", dan, err)
	}
	// The look-up and the feeds, within zapp.
	if resp, body := e.do("GET", "/secret/lookup?domain=shop.example", zapp, nil, ""); resp.StatusCode != 200 || !strings.Contains(body, "zapp") ||
		!strings.Contains(body, `action="/secret/subscribe"`) || len(names(body, others...)) > 0 {
		t.Errorf("zapp's visitor looking up shop.example = %d:\n%s", resp.StatusCode, body)
	}
	if resp, body := e.do("GET", "/secret/lookup?domain=shop.example&format=json", zapp, nil, ""); resp.StatusCode != 200 ||
		!strings.Contains(body, `"subscribe":"`+e.srv.URL+`/secret/subscribe?component=zapp"`) || len(names(body, others...)) > 0 {
		t.Errorf("zapp's visitor looking up shop.example in JSON = %d:\n%s", resp.StatusCode, body)
	}
	for _, d := range []string{"elzar-customer.example", "flexo-customer.example"} {
		if resp, body := e.do("GET", "/secret/lookup?domain="+d, zapp, nil, ""); resp.StatusCode != http.StatusNotFound ||
			len(names(strings.ReplaceAll(body, d, ""), others...)) > 0 {
			t.Errorf("zapp's visitor looking up %s = %d:\n%s", d, resp.StatusCode, body)
		}
	}
	if resp, body := e.do("GET", "/secret/feeds/zapp.atom", zapp, nil, ""); resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "private") ||
		len(names(body, others...)) > 0 {
		t.Errorf("zapp's feed = %d %q:\n%s", resp.StatusCode, resp.Header.Get("Cache-Control"), body)
	}
	for _, path := range []string{"/secret/feeds/elzar.atom", "/secret/feeds/elzar/web.rss", "/secret/feeds/flexo.ics"} {
		if resp, body := e.do("GET", path, zapp, nil, ""); resp.StatusCode != http.StatusNotFound || len(names(body, others...)) > 0 {
			t.Errorf("GET %s as zapp's visitor = %d:\n%s", path, resp.StatusCode, body)
		}
	}

	// The password: the whole page, elzar and zapp, never flexo.
	resp, _ = e.do("POST", "/secret/private/sign-in", "", url.Values{"password": {"correct horse"}}, "")
	whole := sessionCookie(t, resp)
	if resp, form := e.do("GET", "/secret/subscribe", whole, nil, ""); resp.StatusCode != 200 || !strings.Contains(form, `value="elzar/web"`) ||
		!strings.Contains(form, `value="zapp/web"`) || strings.Contains(form, "flexo") {
		t.Errorf("the whole page's form = %d:\n%s", resp.StatusCode, form)
	}
	e.clock.Add(time.Minute)
	if resp, body := e.do("POST", "/secret/subscribe", whole, url.Values{"email": {"bob@example.org"}, "component": {"flexo/web"}}, ""); resp.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "no component") {
		t.Errorf("choosing flexo/web on the private page = %d:\n%s", resp.StatusCode, body)
	}
	e.clock.Add(time.Minute)
	if resp, body := e.do("POST", "/secret/subscribe", whole, url.Values{"email": {"bob@example.org"}}, ""); resp.StatusCode != 200 {
		t.Fatalf("subscribing with the password's session = %d:\n%s", resp.StatusCode, body)
	}
	bob, err := e.st.SubscriberOnPage(ctx, store.SubEmail, "bob@example.org", "secret")
	if err != nil || bob.Group != "" || !slices.Equal(bob.Components, []string{"elzar/web", "zapp/email", "zapp/web"}) {
		t.Fatalf("bob's subscription: %+v, %v; want the page's components", bob, err)
	}

	// A customer's e-mail sign-in: carol of shop.example, who subscribes
	// her own other address, bound to shop.example's being a customer.
	resp, _ = e.do("POST", "/secret/private/sign-in", "", url.Values{"email": {"carol@shop.example"}}, "")
	if resp.StatusCode != 200 {
		t.Fatalf("e-mail sign-in = %d", resp.StatusCode)
	}
	e.site.WaitMail()
	text, _ := e.lastMailTo("carol@shop.example")
	signIn := regexp.MustCompile(regexp.QuoteMeta(e.srv.URL) + `/secret/\?signin=(\S+)`).FindStringSubmatch(text)
	if signIn == nil {
		t.Fatalf("no sign-in link in:\n%s", text)
	}
	tok, _ := url.QueryUnescape(signIn[1])
	resp, _ = e.do("POST", "/secret/private/sign-in", "", url.Values{"signin": {tok}}, "")
	carol := sessionCookie(t, resp)
	if resp, form := e.do("GET", "/secret/subscribe", carol, nil, ""); resp.StatusCode != 200 || !strings.Contains(form, `value="zapp/web"`) ||
		len(names(form, others...)) > 0 {
		t.Errorf("carol's form = %d:\n%s", resp.StatusCode, form)
	}
	e.clock.Add(time.Minute)
	if resp, body := e.do("POST", "/secret/subscribe", carol, url.Values{"email": {"carol.home@example.org"}}, ""); resp.StatusCode != 200 {
		t.Fatalf("carol subscribing = %d:\n%s", resp.StatusCode, body)
	}
	if s, err := e.st.SubscriberOnPageFor(ctx, store.SubEmail, "carol.home@example.org", "secret", "zapp"); err != nil || s.Customer != "shop.example" {
		t.Errorf("carol's subscription: %+v, %v; want zapp's, for shop.example", s, err)
	}
	// A customer's session whose domain is changed is no session.
	if resp, _ := e.do("GET", "/secret/subscribe", strings.Replace(carol, "shop.example", "elzar-customer.example", 1), nil, ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a customer's session with its domain changed = %d, want 401", resp.StatusCode)
	}

	// The mail, and its links followed without a session.
	e.drain()
	mail, header := e.lastMailTo("ann@example.org")
	base := e.srv.URL + "/secret"
	confirm := regexp.MustCompile(regexp.QuoteMeta(base) + `/subscribe/confirm\?token=([A-Za-z0-9._%-]+)`).FindStringSubmatch(mail)
	if confirm == nil {
		t.Fatalf("no confirmation link to %s in:\n%s", base, mail)
	}
	if from := header("From"); from != `"Secret Customers Status" <status@example.net>` || len(names(mail+header("Subject"), others...)) > 0 {
		t.Errorf("ann's confirmation from %q names %v:\n%s", from, names(mail, others...), mail)
	}
	if resp, body := e.do("GET", strings.TrimPrefix(confirm[0], e.srv.URL), "", nil, ""); resp.StatusCode != 200 ||
		!strings.Contains(body, "Yes, subscribe me") || !strings.Contains(body, "zapp") || len(names(body, others...)) > 0 {
		t.Fatalf("the confirmation link without a session = %d:\n%s", resp.StatusCode, body)
	}
	ctok, _ := url.QueryUnescape(confirm[1])
	resp, body = e.do("POST", "/secret/subscribe/confirm", "", url.Values{"token": {ctok}}, "")
	if resp.StatusCode != 200 || !strings.Contains(body, "You are subscribed") || len(names(body, others...)) > 0 {
		t.Fatalf("confirming without a session = %d:\n%s", resp.StatusCode, body)
	}
	manage := regexp.MustCompile(`/secret/manage\?token=[A-Za-z0-9._%-]+`).FindString(body)
	resp, body = e.do("GET", manage, "", nil, "")
	if resp.StatusCode != 200 || !strings.Contains(body, `value="zapp/web"`) || len(names(body, others...)) > 0 {
		t.Errorf("the manage page without a session = %d:\n%s", resp.StatusCode, body)
	}
	mu, _ := url.Parse(manage)
	mtok := mu.Query().Get("token")
	if resp, body := e.do("POST", "/secret/manage", "", url.Values{"token": {mtok}, "component": {"elzar/web"}}, ""); resp.StatusCode != http.StatusUnprocessableEntity ||
		len(names(strings.Replace(body, refusal, "", 1), others...)) > 0 {
		t.Errorf("ann choosing elzar/web on the manage page = %d:\n%s", resp.StatusCode, body)
	}
	if resp, body := e.do("POST", "/secret/manage", "", url.Values{"token": {mtok}, "component": {"zapp/web"}}, ""); resp.StatusCode != 200 ||
		len(names(body, others...)) > 0 {
		t.Errorf("ann keeping zapp/web = %d:\n%s", resp.StatusCode, body)
	}
	// A token is valid on its own page only: page:'s subscriber's token
	// shows nothing of /secret, nor ann's of page:.
	if err := e.n.SubscribeEmail(ctx, notify.ActorForm, "cy@example.org", nil); err != nil {
		t.Fatal(err)
	}
	cy, err := e.st.SubscriberByAddress(ctx, store.SubEmail, "cy@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := e.do("GET", "/secret/manage?token="+url.QueryEscape(e.n.ManageToken(cy.ID)), "", nil, ""); resp.StatusCode != http.StatusNotFound ||
		len(names(body, "zapp", "elzar")) > 0 {
		t.Errorf("page:'s manage token on /secret = %d:\n%s", resp.StatusCode, body)
	}
	if resp, body := e.do("GET", "/manage?token="+url.QueryEscape(mtok), "", nil, ""); resp.StatusCode != http.StatusNotFound || strings.Contains(body, "zapp") {
		t.Errorf("ann's manage token on page: = %d:\n%s", resp.StatusCode, body)
	}

	// News of every server: ann hears of zapp alone, from the page; bob
	// (the whole page) of elzar and zapp, never flexo.
	bobMail, _ := e.lastMailTo("bob@example.org")
	bc := regexp.MustCompile(`/secret/subscribe/confirm\?token=([A-Za-z0-9._%-]+)`).FindStringSubmatch(bobMail)
	if bc == nil {
		t.Fatalf("no confirmation link in bob's mail:\n%s", bobMail)
	}
	btok, _ := url.QueryUnescape(bc[1])
	if resp, body := e.do("POST", "/secret/subscribe/confirm", "", url.Values{"token": {btok}}, ""); resp.StatusCode != 200 {
		t.Fatalf("bob confirming = %d:\n%s", resp.StatusCode, body)
	}
	in, err := e.svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Network trouble", Status: status.Investigating, Body: "Looking into it.",
		Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage, "elzar/web": status.MajorOutage, "zapp/web": status.MajorOutage}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	e.drain()
	mail, header = e.lastMailTo("ann@example.org")
	incident := fmt.Sprintf("%s/incidents/%d", base, in.ID)
	if got := header("Subject"); got != "[Secret Customers Status] New incident: Network trouble" {
		t.Errorf("ann's notice: Subject %q", got)
	}
	for _, h := range []string{"Subject", "From", "List-Id", "List-Unsubscribe"} {
		mail += "\n" + header(h)
	}
	if !strings.Contains(mail, "zapp · Web sites") || !strings.Contains(mail, incident) || len(names(mail, others...)) > 0 {
		t.Errorf("ann's notice must name zapp alone and link to %s; it names %v:\n%s", incident, names(mail, others...), mail)
	}
	if bobs, _ := e.lastMailTo("bob@example.org"); !strings.Contains(bobs, "elzar · Web sites") || !strings.Contains(bobs, "zapp · Web sites") ||
		strings.Contains(bobs, "flexo") {
		t.Errorf("bob's notice must name elzar and zapp, not flexo:\n%s", bobs)
	}
	// The incident's link opens the page for who signs in: zapp's view for
	// zapp's customer.
	if resp, body := e.do("GET", strings.TrimPrefix(incident, e.srv.URL), "", nil, ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the incident without a session = %d:\n%s", resp.StatusCode, body)
	}
	if resp, body := e.do("GET", strings.TrimPrefix(incident, e.srv.URL), zapp, nil, ""); resp.StatusCode != 200 || len(names(body, others...)) > 0 {
		t.Errorf("the incident in zapp's view = %d (names %v)", resp.StatusCode, names(body, others...))
	}
	// RFC 8058's one-click unsubscribe, from a mail program: no session.
	unsub := strings.Trim(header("List-Unsubscribe"), "<>")
	if !strings.HasPrefix(unsub, base+"/unsubscribe?token=") || header("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Fatalf("List-Unsubscribe %q", unsub)
	}
	if resp, body := e.do("POST", strings.TrimPrefix(unsub, e.srv.URL), "", url.Values{"List-Unsubscribe": {"One-Click"}}, ""); resp.StatusCode != 200 ||
		len(names(body, others...)) > 0 {
		t.Errorf("one-click unsubscribe = %d:\n%s", resp.StatusCode, body)
	}
	if s, err := e.st.Subscriber(ctx, ann.ID); err != nil || s.UnsubscribedAt.IsZero() {
		t.Errorf("ann after one-click unsubscribe: %+v, %v", s, err)
	}
	if resp, body := e.do("GET", strings.TrimPrefix(unsub, e.srv.URL), "", nil, ""); resp.StatusCode != 200 || len(names(body, others...)) > 0 {
		t.Errorf("the unsubscribe page without a session = %d:\n%s", resp.StatusCode, body)
	}
}

// A private page on a host of its own takes subscriptions the same way:
// the form with a session only, the token's pages without one.
func TestPrivateHostPageSubscriptions(t *testing.T) {
	e := newPrivSub(t)
	e.host = "status.hidden.example"
	if resp, body := e.do("GET", "/subscribe", "", nil, ""); resp.StatusCode != http.StatusUnauthorized || strings.Contains(body, "elzar") {
		t.Errorf("GET /subscribe on the host without a session = %d:\n%s", resp.StatusCode, body)
	}
	link, err := SignedLink(e.cfg, "hidden", "", time.Hour, e.clock.Now(), os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(link)
	resp, _ := e.do("GET", u.RequestURI(), "", nil, "")
	cookie := sessionCookie(t, resp)
	resp, form := e.do("GET", "/subscribe", cookie, nil, "")
	if resp.StatusCode != 200 || !strings.Contains(form, `value="elzar/web"`) || strings.Contains(form, "zapp") || strings.Contains(form, "flexo") ||
		!strings.Contains(form, `action="/subscribe"`) {
		t.Fatalf("the host page's form = %d:\n%s", resp.StatusCode, form)
	}
	if resp, body := e.do("POST", "/subscribe", cookie, url.Values{"email": {"ann@example.org"}}, ""); resp.StatusCode != 200 {
		t.Fatalf("subscribing on the host page = %d:\n%s", resp.StatusCode, body)
	}
	if s, err := e.st.SubscriberOnPage(t.Context(), store.SubEmail, "ann@example.org", "hidden"); err != nil || !slices.Equal(s.Components, []string{"elzar/web"}) {
		t.Errorf("the host page's subscription: %+v, %v", s, err)
	}
	// A token's page answers without a session (here: a bad token).
	if resp, body := e.do("GET", "/manage?token=m.1.0.forged", "", nil, ""); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "not valid") {
		t.Errorf("the manage page on the host without a session = %d:\n%s", resp.StatusCode, body)
	}
}

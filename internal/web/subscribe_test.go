package web

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-ical"
	"github.com/mmcdole/gofeed"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/customers"
	"github.com/heraldhq/herald/internal/notify"
	"github.com/heraldhq/herald/internal/notify/smtpsink"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

type subClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *subClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *subClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type subEnv struct {
	srv   *httptest.Server
	svc   *service.Service
	n     *notify.Notifier
	st    *store.Store
	sink  *smtpsink.Sink
	sess  notify.Session
	clock *subClock
}

func newSubEnv(t testing.TB, b storetest.Backend) *subEnv {
	t.Helper()
	sink, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	clock := &subClock{now: time.Date(2026, 4, 1, 16, 0, 0, 0, time.UTC)}
	svc := service.New(b.Store, clock, nil)
	groups := []store.Group{{ID: "flexo", Name: "flexo"}, {ID: "mom", Name: "mom", Position: 1}}
	comps := []store.Component{{ID: "flexo/web", GroupID: "flexo", Name: "Web sites"}, {ID: "flexo/email", GroupID: "flexo", Name: "E-mail", Position: 1},
		{ID: "mom/web", GroupID: "mom", Name: "Web sites"}}
	if err := svc.SyncCatalog(t.Context(), groups, comps); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	cfg := config.Config{Page: config.Page{Title: "Example Hosting Status", URL: srv.URL, Zone: "America/Los_Angeles"},
		Notify: config.Notify{Email: &config.Email{SMTP: sink.Addr, From: "status@example.net", TLS: "none", RatePerSecond: 100000}}}
	cfgFn := func() config.Config { return cfg }
	n, remove, err := notify.New(t.Context(), b.Store, svc, cfgFn, nil, notify.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(remove)
	NewSubscriptions(svc, cfgFn, n, customers.New(b.Store, svc), nil, clock.Now).Register(mux)
	e := &subEnv{srv: srv, svc: svc, n: n, st: b.Store, sink: sink, sess: notify.SMTP(cfgFn).Session(), clock: clock}
	t.Cleanup(func() { e.sess.Close() })
	return e
}

func (e *subEnv) drain(t *testing.T) {
	t.Helper()
	for {
		k, err := e.n.ProcessBatch(t.Context(), e.sess)
		if err != nil {
			t.Fatal(err)
		}
		if k == 0 {
			return
		}
	}
}

func (e *subEnv) do(t *testing.T, method, path string, form url.Values, header ...string) (int, http.Header, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(t.Context(), method, e.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

var confirmLinkRe = regexp.MustCompile(`http://127\.0\.0\.1:\d+/subscribe/confirm\?token=[A-Za-z0-9._%-]+`)

func TestSubscribePages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newSubEnv(t, b)
		code, h, body := e.do(t, "GET", "/subscribe", nil)
		if code != 200 || !strings.Contains(body, `value="flexo/web"`) || !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Fatalf("GET /subscribe = %d:\n%s", code, body)
		}
		if code, _, body := e.do(t, "POST", "/subscribe", url.Values{"email": {"<b>x</b>@"}}); code != 422 ||
			strings.Contains(body, "<b>x</b>") || !strings.Contains(body, "&lt;b&gt;x&lt;/b&gt;@") {
			t.Errorf("bad address: %d, and it must be shown escaped:\n%s", code, body)
		}
		if code, _, _ := e.do(t, "POST", "/subscribe", url.Values{"email": {"ann@example.net"}, "admin": {"1"}}); code != 400 {
			t.Errorf("an unknown form field: %d, want 400", code)
		}
		code, _, body = e.do(t, "POST", "/subscribe", url.Values{"email": {"ann@example.net"}, "component": {"flexo/web", "flexo/email"}})
		if code != 200 || !strings.Contains(body, "Check your inbox") {
			t.Fatalf("POST /subscribe = %d:\n%s", code, body)
		}
		e.drain(t)
		msgs := e.sink.Messages()
		if len(msgs) != 1 {
			t.Fatalf("%d messages, want the confirmation", len(msgs))
		}
		// The parts are quoted-printable; decoding the whole message is
		// enough to read the links in it.
		plain, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(msgs[0].Data)))
		link := confirmLinkRe.FindString(string(plain))
		if link == "" {
			t.Fatalf("no confirmation link in:\n%s", msgs[0].Data)
		}
		path := strings.TrimPrefix(link, e.srv.URL)
		// A link scanner's GET confirms nothing.
		code, _, body = e.do(t, "GET", path, nil)
		if code != 200 || !strings.Contains(body, `action="/subscribe/confirm"`) {
			t.Fatalf("GET confirm = %d:\n%s", code, body)
		}
		s, err := e.st.SubscriberByAddress(t.Context(), store.SubEmail, "ann@example.net")
		if err != nil || s.Active() {
			t.Fatalf("after the GET the subscriber is %+v, %v; want still pending", s, err)
		}
		tok, _ := url.ParseQuery(strings.SplitN(path, "?", 2)[1])
		code, _, body = e.do(t, "POST", "/subscribe/confirm", url.Values{"token": {tok.Get("token")}})
		if code != 200 || !strings.Contains(body, "You are subscribed") || !strings.Contains(body, "flexo · Web sites") {
			t.Fatalf("POST confirm = %d:\n%s", code, body)
		}
		if code, _, _ := e.do(t, "POST", "/subscribe/confirm", url.Values{"token": {"c.1.0.forged"}}); code != 404 {
			t.Errorf("a forged token: %d, want 404", code)
		}

		if _, err := e.svc.OpenIncident(t.Context(), "test", service.NewIncident{Title: "Slow sites", Status: status.Investigating, Body: "x",
			Components: map[string]status.ComponentStatus{"flexo/web": status.DegradedPerformance}}); err != nil {
			t.Fatal(err)
		}
		e.drain(t)
		msgs = e.sink.Messages()
		if len(msgs) != 2 {
			t.Fatalf("%d messages, want the confirmation and one notice", len(msgs))
		}
		hdr, err := msgs[1].Header()
		if err != nil {
			t.Fatal(err)
		}
		unsub := strings.Trim(hdr.Get("List-Unsubscribe"), "<>")
		if !strings.HasPrefix(unsub, e.srv.URL+"/unsubscribe?token=") || hdr.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
			t.Fatalf("headers: List-Unsubscribe %q, List-Unsubscribe-Post %q", unsub, hdr.Get("List-Unsubscribe-Post"))
		}
		// RFC 8058: a POST of List-Unsubscribe=One-Click to that URL.
		code, _, _ = e.do(t, "POST", strings.TrimPrefix(unsub, e.srv.URL), url.Values{"List-Unsubscribe": {"One-Click"}})
		if code != 200 {
			t.Errorf("one-click unsubscribe = %d", code)
		}
		s, err = e.st.SubscriberByAddress(t.Context(), store.SubEmail, "ann@example.net")
		if err != nil || s.UnsubscribedAt.IsZero() {
			t.Fatalf("after one-click, subscriber = %+v, %v", s, err)
		}
		// A second click changes nothing and records nothing.
		if code, _, _ := e.do(t, "POST", strings.TrimPrefix(unsub, e.srv.URL), url.Values{"List-Unsubscribe": {"One-Click"}}); code != 200 {
			t.Errorf("second one-click unsubscribe = %d", code)
		}
		// The subscriber's own steps are in the change log, each by the link
		// or form used; none keeps the address.
		changes, err := e.svc.Changes(t.Context(), "subscriber:"+strconv.FormatInt(s.ID, 10), 10)
		if err != nil {
			t.Fatal(err)
		}
		var steps []string
		for _, c := range changes {
			steps = append(steps, c.Actor+": "+c.Action)
			if strings.Contains(c.Before+c.After, "ann@example.net") {
				t.Errorf("%s keeps the address: %s %s", c.Action, c.Before, c.After)
			}
		}
		if want := []string{"customer (unsubscribe link): subscriber.unsubscribe", "customer (confirmation link): subscriber.confirm",
			"visitor (subscribe form): subscriber.request"}; !slices.Equal(steps, want) {
			t.Errorf("change log = %q, want %q", steps, want)
		}
		manage := "/manage?token=" + strings.SplitN(unsub, "token=", 2)[1]
		if code, _, body := e.do(t, "GET", manage, nil); code != 200 || !strings.Contains(body, "You are unsubscribed") {
			t.Errorf("manage page after leaving = %d:\n%s", code, body)
		}
	})
}

func TestSubscribeRateLimit(t *testing.T) {
	e := newSubEnv(t, storetest.SQLite(t))
	for i := range 5 {
		if code, _, _ := e.do(t, "POST", "/subscribe", url.Values{"email": {"someone@example.net"}}); code != 200 {
			t.Fatalf("request %d: %d", i, code)
		}
	}
	code, h, _ := e.do(t, "POST", "/subscribe", url.Values{"email": {"someone@example.net"}})
	if code != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
		t.Fatalf("sixth request: %d (Retry-After %q), want 429", code, h.Get("Retry-After"))
	}
	e.clock.Add(31 * time.Second)
	if code, _, _ := e.do(t, "POST", "/subscribe", url.Values{"email": {"someone@example.net"}}); code != 200 {
		t.Errorf("after waiting: %d", code)
	}
	e.drain(t)
	if n := e.sink.Count(); n != 1 {
		t.Errorf("%d confirmation messages to one address, want 1 (at most one every few minutes)", n)
	}
}

func TestLookup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newSubEnv(t, b)
		ctx := t.Context()
		csv := "domain,group\nshop.example,flexo\nwww.blog.example,mom\n"
		if _, err := customers.New(b.Store, e.svc).Import(ctx, "cli", strings.NewReader(csv), customers.ImportOptions{Groups: map[string]bool{"flexo": true, "mom": true}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Flexo <web> down", Status: status.Investigating, Body: "x",
			Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Mom mail slow", Status: status.Investigating, Body: "x",
			Components: map[string]status.ComponentStatus{"mom/web": status.DegradedPerformance}}); err != nil {
			t.Fatal(err)
		}
		start := e.clock.Now().Add(72 * time.Hour)
		for _, m := range []service.NewMaintenance{
			{Title: "Flexo restart", Body: "x", Components: []string{"flexo/email"}, Start: start, End: start.Add(time.Hour)},
			{Title: "Mom restart", Body: "x", Components: []string{"mom/web"}, Start: start, End: start.Add(time.Hour)},
		} {
			if _, err := e.svc.ScheduleMaintenance(ctx, "test", m); err != nil {
				t.Fatal(err)
			}
		}

		code, _, body := e.do(t, "GET", "/lookup?domain=WWW.Shop.Example", nil)
		if code != 200 || !strings.Contains(body, "shop.example is on flexo") || !strings.Contains(body, "Flexo &lt;web&gt; down") ||
			strings.Contains(body, "Mom mail slow") || !strings.Contains(body, `name="component" value="flexo/web"`) ||
			!strings.Contains(body, `href="/feeds/flexo.atom"`) || !strings.Contains(body, "Major outage") {
			t.Fatalf("look-up page = %d:\n%s", code, body)
		}
		code, h, body := e.do(t, "GET", "/lookup?domain=cart.shop.example&format=json", nil)
		var ans struct {
			Domain     string
			Found      bool
			Message    string
			Group      struct{ ID, Name, Status string }
			Components []struct{ ID, Name, Status string }
			Incidents  []struct {
				ID                 int64
				Title, Status, URL string
			}
			Subscribe string
			Feeds     map[string]string
		}
		dec := json.NewDecoder(strings.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ans); err != nil || code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
			t.Fatalf("JSON look-up = %d %v:\n%s", code, err, body)
		}
		if !ans.Found || ans.Group.ID != "flexo" || ans.Group.Status != "major_outage" || len(ans.Components) != 2 ||
			len(ans.Incidents) != 1 || ans.Feeds["ics"] != e.srv.URL+"/feeds/flexo.ics" {
			t.Errorf("JSON answer = %+v", ans)
		}
		if code, _, body := e.do(t, "GET", "/lookup?domain=blog.example", nil, "Accept", "application/json"); code != 200 || !strings.Contains(body, `"id":"mom"`) {
			t.Errorf("Accept: application/json look-up = %d %s", code, body)
		}

		// Unknown domains all get the same words; nothing hints at a near miss.
		var messages []string
		for _, d := range []string{"nope.example", "shop.exampl", "hop.example", "example"} {
			code, _, body := e.do(t, "GET", "/lookup?format=json&domain="+url.QueryEscape(d), nil)
			var a struct {
				Domain, Message string
				Found           bool
			}
			if err := json.Unmarshal([]byte(body), &a); err != nil || a.Found || (code != 404 && code != 422) {
				t.Errorf("unknown %q: %d %s", d, code, body)
			}
			if strings.Contains(body, "flexo") || strings.Contains(body, "shop.example\"") {
				t.Errorf("unknown %q leaks: %s", d, body)
			}
			if code == 404 {
				messages = append(messages, a.Message)
			}
		}
		for _, m := range messages[1:] {
			if m != messages[0] {
				t.Errorf("unknown domains get different answers: %q vs %q", m, messages[0])
			}
		}
		if code, _, body := e.do(t, "GET", "/lookup?domain="+url.QueryEscape("<script>alert(1)</script>"), nil); code != 422 || strings.Contains(body, "<script>alert") {
			t.Errorf("script in the domain: %d, escaped? %v", code, !strings.Contains(body, "<script>alert"))
		}
		if code, _, _ := e.do(t, "GET", "/lookup?domain=shop.example&list=1", nil); code != 400 {
			t.Errorf("an unknown parameter: %d, want 400", code)
		}

		// Per-subscription feeds, read with the real parsers.
		code, _, body = e.do(t, "GET", "/feeds/flexo.atom", nil)
		f, err := gofeed.NewParser().ParseString(body)
		if code != 200 || err != nil {
			t.Fatalf("flexo.atom = %d, %v", code, err)
		}
		var titles []string
		for _, it := range f.Items {
			titles = append(titles, it.Title)
		}
		joined := strings.Join(titles, " | ")
		if !strings.Contains(joined, "Flexo <web> down") || !strings.Contains(joined, "Flexo restart") || strings.Contains(joined, "Mom") {
			t.Errorf("flexo.atom entries: %q", titles)
		}
		// Its own id and self link, apart from the page's feed.
		if !strings.HasSuffix(f.FeedLink, "/feeds/flexo.atom") {
			t.Errorf("flexo.atom names itself %q", f.FeedLink)
		}
		code, _, body = e.do(t, "GET", "/feeds/flexo.rss", nil)
		rf, err := gofeed.NewParser().ParseString(body)
		if code != 200 || err != nil || rf.FeedType != "rss" || len(rf.Items) != len(f.Items) || !strings.HasSuffix(rf.FeedLink, "/feeds/flexo.rss") {
			t.Fatalf("flexo.rss = %d, %v, %+v", code, err, rf)
		}
		code, _, body = e.do(t, "GET", "/feeds/mom/web.ics", nil)
		cal, err := ical.NewDecoder(bytes.NewReader([]byte(body))).Decode()
		if code != 200 || err != nil {
			t.Fatalf("mom/web.ics = %d, %v", code, err)
		}
		events := cal.Events()
		if len(events) != 1 {
			t.Fatalf("mom/web.ics has %d events, want 1", len(events))
		}
		if s, _ := events[0].Props.Text(ical.PropSummary); s != "Mom restart" {
			t.Errorf("event summary %q", s)
		}
		// Each calendar names itself as its SOURCE (RFC 7986), the address
		// a calendar reloads it from, not the whole fleet's calendar.
		for _, path := range []string{"/feeds/mom/web.ics", "/feeds/flexo.ics"} {
			_, _, body := e.do(t, "GET", path, nil)
			cal, err := ical.NewDecoder(bytes.NewReader([]byte(body))).Decode()
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if src := cal.Props.Get("SOURCE"); src == nil || src.Value != e.srv.URL+path {
				t.Errorf("%s names its SOURCE %+v, want %s", path, src, e.srv.URL+path)
			}
		}
		if code, _, _ := e.do(t, "GET", "/feeds/nosuch.atom", nil); code != 404 {
			t.Errorf("unknown group feed: %d", code)
		}
	})
}

func TestLookupRateLimit(t *testing.T) {
	e := newSubEnv(t, storetest.SQLite(t))
	for i := range 20 {
		if code, _, _ := e.do(t, "GET", "/lookup?domain=x"+string(rune('a'+i))+".example", nil); code != 404 {
			t.Fatalf("look-up %d: %d", i, code)
		}
	}
	if code, h, _ := e.do(t, "GET", "/lookup?domain=another.example", nil); code != 429 || h.Get("Retry-After") == "" {
		t.Errorf("look-up past the allowance: %d, want 429 with Retry-After", code)
	}
	e.clock.Add(3 * time.Second)
	if code, _, _ := e.do(t, "GET", "/lookup?domain=another.example", nil); code != 404 {
		t.Errorf("after waiting: %d", code)
	}
}

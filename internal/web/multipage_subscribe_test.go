package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/customers"
	"github.com/heraldhq/herald/internal/notify"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// A subscriber of a page hears of what that page shows only: "everything"
// on /acme is acme's components, and a component acme does not show is
// refused there.
func TestSubscriptionsPerPage(t *testing.T) {
	ctx := t.Context()
	b := storetest.SQLite(t)
	clock := &subClock{now: time.Date(2026, 4, 1, 16, 0, 0, 0, time.UTC)}
	svc := service.New(b.Store, clock, nil)
	groups := []store.Group{{ID: "flexo", Name: "flexo"}, {ID: "mom", Name: "mom", Position: 1}}
	comps := []store.Component{{ID: "flexo/web", GroupID: "flexo", Name: "Web sites"}, {ID: "flexo/email", GroupID: "flexo", Name: "E-mail", Position: 1},
		{ID: "mom/web", GroupID: "mom", Name: "Web sites"}}
	if err := svc.SyncCatalog(ctx, groups, comps); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("test.yaml", []byte(`
page: {title: Example Hosting Status, zone: America/Los_Angeles}
pages:
  - {id: acme, title: Acme Status, path: /acme, groups: [mom]}
groups:
  - id: flexo
    components: [{id: web, name: Web sites}, {id: email, name: E-mail}]
  - id: mom
    components: [{id: web, name: Web sites}]
`))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Notify.Email = &config.Email{SMTP: "127.0.0.1:1", From: "status@example.net", TLS: "none", RatePerSecond: 1000}
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
	mux := http.NewServeMux()
	site.Register(mux)
	NewSubscriptions(svc, cfgFn, n, customers.New(b.Store, svc), nil, clock.Now).Register(mux)
	srv := httptest.NewServer(site.Handler(mux))
	t.Cleanup(srv.Close)
	post := func(path string, form url.Values) (int, string) {
		resp, err := http.PostForm(srv.URL+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(body)
	}

	resp, err := http.Get(srv.URL + "/acme/subscribe")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	form := string(raw)
	if resp.StatusCode != 200 || !strings.Contains(form, "Acme Status") || strings.Contains(form, `value="flexo/web"`) ||
		!strings.Contains(form, `value="mom/web"`) || !strings.Contains(form, `action="/acme/subscribe"`) {
		t.Fatalf("GET /acme/subscribe = %d, not acme's form:\n%s", resp.StatusCode, form)
	}

	if code, body := post("/acme/subscribe", url.Values{"email": {"ann@example.org"}}); code != 200 {
		t.Fatalf("subscribe on /acme = %d:\n%s", code, body)
	}
	sub, err := b.Store.SubscriberOnPage(ctx, store.SubEmail, "ann@example.org", "acme")
	if err != nil {
		t.Fatal(err)
	}
	if sub.All || !slices.Equal(sub.Components, []string{"mom/web"}) {
		t.Errorf("subscriber of /acme covers all=%v %v, want mom/web only", sub.All, sub.Components)
	}
	if code, body := post("/acme/subscribe", url.Values{"email": {"bob@example.org"}, "component": {"flexo/web"}}); code == 200 ||
		!strings.Contains(body, "no component") {
		t.Errorf("subscribing to flexo/web on /acme = %d, want refused:\n%s", code, body)
	}
	// page: shows every group: "everything" stays everything.
	if code, body := post("/subscribe", url.Values{"email": {"cy@example.org"}}); code != 200 {
		t.Fatalf("subscribe on / = %d:\n%s", code, body)
	}
	if sub, err := b.Store.SubscriberByAddress(ctx, store.SubEmail, "cy@example.org"); err != nil || !sub.All {
		t.Errorf("subscriber of page: = %+v, %v; want all", sub, err)
	}
}

package notify_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/notify"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

var pageConfirmRe = regexp.MustCompile(`https://127\.0\.0\.1:\d+[a-z/]*/subscribe/confirm\?token=[A-Za-z0-9._%-]+`)

// subscribeOn subscribes addr on a page, as the page's form does, and
// follows the confirmation mail's link.
func (e *env) subscribeOn(t *testing.T, scope notify.Scope, addr string, comps ...string) *store.Subscriber {
	t.Helper()
	ctx := t.Context()
	if err := e.n.SubscribeEmailScoped(ctx, notify.ActorForm, scope, addr, comps); err != nil {
		t.Fatalf("subscribe %s on %+v: %v", addr, scope, err)
	}
	e.drain(t)
	mails := e.mailTo(addr)
	if len(mails) == 0 {
		list, _ := e.st.Deliveries(ctx, store.DeliveryFilter{})
		t.Fatalf("no confirmation request to %s: %+v", addr, list)
	}
	text, _ := parts(t, mails[len(mails)-1])
	link := pageConfirmRe.FindString(text)
	if link == "" {
		t.Fatalf("no confirmation link in:\n%s", text)
	}
	c, _, err := e.n.Confirm(ctx, token(t, link))
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.st.Subscriber(ctx, c.SubscriberID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// deliveryTo is the latest delivery to subscriber id.
func (e *env) deliveryTo(t *testing.T, id int64) store.DeliveryInfo {
	t.Helper()
	list, err := e.st.Deliveries(t.Context(), store.DeliveryFilter{SubscriberID: id})
	if err != nil || len(list) == 0 {
		t.Fatalf("deliveries to %d: %v, %v", id, list, err)
	}
	return list[len(list)-1]
}

// A delivery to a subscription whose page left the configuration, or no
// longer shows what the news is about, is cancelled with its reason and
// nothing is sent: under page:'s name it would tell a reseller's customer
// of the provider behind it, and a private page's subscriber would hear
// of a server taken off their page. On a private page, a subscription
// limited to one server (a customer's) hears of that server alone, and one
// made by a customer who signed in by e-mail hears only while their domain
// is a customer of that server.
func TestCancelledDeliveriesOfPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b, notify.Options{})
		ctx := t.Context()
		if err := e.svc.SyncCatalog(ctx, []store.Group{{ID: "flexo", Name: "flexo"}, {ID: "mom", Name: "mom", Position: 1},
			{ID: "zapp", Name: "zapp", Position: 2}},
			[]store.Component{{ID: "flexo/web", GroupID: "flexo", Name: "Web sites"}, {ID: "flexo/email", GroupID: "flexo", Name: "E-mail", Position: 1},
				{ID: "mom/web", GroupID: "mom", Name: "Web sites"}, {ID: "zapp/web", GroupID: "zapp", Name: "Web sites"}}); err != nil {
			t.Fatal(err)
		}
		reseller := config.PageEntry{ID: "reseller", Page: config.Page{Title: "Reseller Status", URL: "https://127.0.0.1:8444"}, Groups: []string{"mom"}}
		acme := config.PageEntry{ID: "acme", Page: config.Page{Title: "Acme Status", URL: "https://127.0.0.1:8445/acme"}, Path: "/acme",
			Groups: []string{"flexo", "zapp"}, Private: &config.Private{KeyEnv: "HERALD_ACME_KEY", Customers: true}}
		e.cfg.Pages = []config.PageEntry{reseller, acme}
		if err := e.st.UpsertCustomers(ctx, []store.Customer{{Domain: "shop.example", GroupID: "zapp", UpdatedAt: t0}}); err != nil {
			t.Fatal(err)
		}

		ann := e.subscribeOn(t, notify.Scope{Page: "reseller"}, "ann@example.org")
		// bob has the page's password: every server of it.
		bob := e.subscribeOn(t, notify.Scope{Page: "acme"}, "bob@example.org", "flexo/web", "flexo/email", "zapp/web")
		// cy had a signed link for flexo; dee signed in by e-mail as a
		// customer of zapp (and subscribed another address of hers).
		cy := e.subscribeOn(t, notify.Scope{Page: "acme", Group: "flexo"}, "cy@example.org", "flexo/web", "flexo/email")
		dee := e.subscribeOn(t, notify.Scope{Page: "acme", Group: "zapp", Customer: "shop.example"}, "dee@example.org", "zapp/web")
		if cy.Group != "flexo" || dee.Group != "zapp" || dee.Customer != "shop.example" || bob.Group != "" || ann.Page != "reseller" {
			t.Fatalf("subscriptions kept as ann %+v, bob %+v, cy %+v, dee %+v", ann, bob, cy, dee)
		}
		// Choices a server-limited subscription may not have are refused as
		// unknown, as on the page's form.
		if err := e.n.SubscribeEmailScoped(ctx, notify.ActorForm, notify.Scope{Page: "acme", Group: "flexo"}, "eve@example.org", []string{"zapp/web"}); err == nil ||
			!strings.Contains(err.Error(), "unknown component") {
			t.Errorf("a flexo subscription choosing zapp/web: %v, want refused as unknown", err)
		}
		if err := e.n.SubscribeEmailScoped(ctx, notify.ActorForm, notify.Scope{Page: "acme", Group: "mom"}, "eve@example.org", nil); err == nil {
			t.Error("a subscription limited to a server the page does not show was taken")
		}

		onMom := e.open(t, "Mom trouble", "mom/web")
		onFlexo := e.open(t, "Flexo trouble", "flexo/web")
		onZapp := e.open(t, "Zapp trouble", "zapp/web")
		e.drain(t)
		for _, tc := range []struct {
			who  *store.Subscriber
			want int // notices beyond the confirmation
		}{{ann, 1}, {bob, 2}, {cy, 1}, {dee, 1}} {
			if got := len(e.mailTo(tc.who.Address)) - 1; got != tc.want {
				t.Errorf("%s got %d notices, want %d", tc.who.Address, got, tc.want)
			}
		}
		if text, _ := parts(t, e.mailTo("cy@example.org")[1]); strings.Contains(text, "zapp") {
			t.Errorf("cy's notice names zapp:\n%s", text)
		}

		// Each change to the configuration, then news that, before it,
		// would have reached the subscriber.
		for _, step := range []struct {
			name     string
			change   func()
			incident int64
			who      *store.Subscriber
			reason   string
		}{
			{"the reseller no longer shows mom", func() { e.cfg.Pages[0].Groups = []string{"flexo"} }, onMom, ann, "not on the subscriber's page"},
			{"the reseller's page is gone", func() { e.cfg.Pages = e.cfg.Pages[1:] }, onMom, ann, "no longer configured"},
			{"acme no longer shows flexo", func() { e.cfg.Pages[0].Groups = []string{"zapp"} }, onFlexo, cy, "not on the subscriber's page"},
			{"acme no longer shows flexo (whole-page subscriber)", func() {}, onFlexo, bob, "not on the subscriber's page"},
			{"shop.example left the customer list", func() {
				if err := e.st.DeleteCustomer(ctx, "shop.example"); err != nil {
					t.Fatal(err)
				}
			}, onZapp, dee, "no longer a customer"},
			{"acme is gone", func() { e.cfg.Pages = nil }, onZapp, bob, "no longer configured"},
		} {
			step.change()
			before := len(e.sink.Messages())
			if _, err := e.svc.PostIncidentUpdate(ctx, "test", step.incident, service.IncidentUpdate{Status: status.Identified, Body: "Found it."}); err != nil {
				t.Fatal(err)
			}
			e.drain(t)
			for _, m := range e.sink.Messages()[before:] {
				if m.To[0] == step.who.Address {
					t.Errorf("%s: a notice went to %s", step.name, step.who.Address)
				}
			}
			d := e.deliveryTo(t, step.who.ID)
			if d.State != store.DeliveryCancelled || !strings.Contains(d.LastError, step.reason) {
				t.Errorf("%s: the delivery to %s is %s (%q), want cancelled: %s", step.name, step.who.Address, d.State, d.LastError, step.reason)
			}
		}
	})
}

// open opens an incident on comps.
func (e *env) open(t *testing.T, title string, comps ...string) int64 {
	t.Helper()
	m := map[string]status.ComponentStatus{}
	for _, c := range comps {
		m[c] = status.MajorOutage
	}
	in, err := e.svc.OpenIncident(t.Context(), "test", service.NewIncident{Title: title, Status: status.Investigating, Body: "Looking.", Components: m})
	if err != nil {
		t.Fatal(err)
	}
	return in.ID
}

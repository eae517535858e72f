package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
	"github.com/heraldhq/herald/internal/web"
)

const severalPagesYAML = `
page: {title: Example Hosting Status, zone: America/Los_Angeles}
pages:
  - id: reseller
    title: Reseller Status
    host: status.reseller.example
    groups: [mom]
  - id: acme
    title: Acme Status
    path: /acme
    zone: Europe/Berlin
    groups: [elzar, mom]
groups:
  - id: flexo
    components: [{id: web, name: Web sites}, {id: email, name: E-mail}]
  - id: mom
    components: [{id: web, name: Web sites}]
  - id: elzar
    components: [{id: web, name: Web sites}]
`

// pagesEnv is a Site serving the configuration given, with incidents.
type pagesEnv struct {
	srv  *httptest.Server
	svc  *service.Service
	site *web.Site
	st   *store.Store
	cfg  *config.Config // what the site reads; tests may change it before a request
}

func newPagesEnv(t *testing.T, yaml string, extra ...func(*http.ServeMux)) *pagesEnv {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return newPagesEnvWith(t, cfg, extra...)
}

// newPagesEnvWith is newPagesEnv with a configuration already read.
func newPagesEnvWith(t *testing.T, cfg config.Config, extra ...func(*http.ServeMux)) *pagesEnv {
	t.Helper()
	ctx := context.Background()
	b := storetest.SQLite(t)
	svc := service.New(b.Store, nil, nil)
	if err := svc.SyncCatalog(ctx,
		[]store.Group{{ID: "flexo", Name: "flexo"}, {ID: "mom", Name: "mom", Position: 1},
			{ID: "elzar", Name: "elzar", Position: 2}, {ID: "zapp", Name: "zapp", Position: 3}},
		[]store.Component{
			{ID: "flexo/web", GroupID: "flexo", Name: "Web sites"},
			{ID: "flexo/email", GroupID: "flexo", Name: "E-mail", Position: 1},
			{ID: "mom/web", GroupID: "mom", Name: "Web sites"},
			{ID: "elzar/web", GroupID: "elzar", Name: "Web sites"},
			{ID: "zapp/web", GroupID: "zapp", Name: "Web sites"},
		}); err != nil {
		t.Fatal(err)
	}
	e := &pagesEnv{svc: svc, st: b.Store, cfg: &cfg}
	site := web.NewSite(svc, func() config.Config { return *e.cfg }, nil)
	mux := http.NewServeMux()
	site.Register(mux)
	for _, fn := range extra {
		fn(mux)
	}
	srv := httptest.NewServer(site.Handler(mux))
	t.Cleanup(srv.Close)
	e.srv, e.site = srv, site
	return e
}

func (e *pagesEnv) open(t *testing.T, title string, comps ...string) int64 {
	t.Helper()
	m := map[string]status.ComponentStatus{}
	for _, c := range comps {
		m[c] = status.MajorOutage
	}
	in, err := e.svc.OpenIncident(context.Background(), "test", service.NewIncident{Title: title, Body: "Looking into it.", Components: m})
	if err != nil {
		t.Fatal(err)
	}
	return in.ID
}

func (e *pagesEnv) rebuild(t *testing.T) {
	t.Helper()
	if err := e.site.Rebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// get fetches path on host (empty: the test server's own), following no redirects.
func (e *pagesEnv) get(t *testing.T, host, path string, header ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(body)
}

func TestSeveralPages(t *testing.T) {
	e := newPagesEnv(t, severalPagesYAML)
	both := e.open(t, "Network trouble on flexo and mom", "flexo/web", "mom/web")
	flexoOnly := e.open(t, "Mail delays on flexo", "flexo/email")
	elzarOnly := e.open(t, "Elzar is slow", "elzar/web")
	e.rebuild(t)
	const reseller = "status.reseller.example"

	// page: shows everything, as without pages:.
	code, _, front := e.get(t, "", "/")
	if code != 200 || !strings.Contains(front, "Example Hosting Status") {
		t.Fatalf("GET / = %d", code)
	}
	for _, want := range []string{"Network trouble on flexo and mom", "Mail delays on flexo", "Elzar is slow"} {
		if !strings.Contains(front, want) {
			t.Errorf("page: lacks %q", want)
		}
	}

	// The host page shows mom only, and the incident touching mom.
	code, _, page := e.get(t, reseller+":8080", "/")
	if code != 200 {
		t.Fatalf("GET / on %s = %d", reseller, code)
	}
	if !strings.Contains(page, "Reseller Status") || !strings.Contains(page, "Network trouble on flexo and mom") {
		t.Errorf("reseller page lacks its title or the shared incident:\n%s", page)
	}
	for _, bad := range []string{"Mail delays", "Elzar is slow", "Example Hosting Status", "flexo · ", ">flexo<", ">elzar<"} {
		if strings.Contains(page, bad) {
			t.Errorf("reseller page shows %q", bad)
		}
	}
	code, _, inc := e.get(t, reseller, fmt.Sprintf("/incidents/%d", both))
	if code != 200 || strings.Contains(inc, "flexo · Web") || !strings.Contains(inc, "mom") {
		t.Errorf("reseller incident page = %d, names flexo or not mom:\n%s", code, inc)
	}
	if code, _, _ := e.get(t, reseller, fmt.Sprintf("/incidents/%d", flexoOnly)); code != 404 {
		t.Errorf("reseller /incidents/%d (flexo only) = %d, want 404", flexoOnly, code)
	}
	code, _, summary := e.get(t, reseller, "/api/v2/summary.json")
	if code != 200 || !strings.Contains(summary, `"Reseller Status"`) || strings.Contains(summary, `"id":"flexo`) || strings.Contains(summary, "elzar") {
		t.Errorf("reseller summary.json = %d:\n%s", code, summary)
	}
	if code, h, _ := e.get(t, reseller, "/badges/mom.svg"); code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "image/svg+xml") {
		t.Errorf("reseller /badges/mom.svg = %d %s", code, h.Get("Content-Type"))
	}
	if code, _, _ := e.get(t, reseller, "/badges/flexo.svg"); code != 404 {
		t.Errorf("reseller /badges/flexo.svg = %d, want 404", code)
	}
	if code, _, feed := e.get(t, reseller, "/history.atom"); code != 200 || strings.Contains(feed, "Mail delays") ||
		!strings.Contains(feed, "Network trouble") {
		t.Errorf("reseller feed = %d:\n%s", code, feed)
	}

	// The path page: under /acme, its links too, in its own zone.
	if code, h, _ := e.get(t, "", "/acme"); code != http.StatusMovedPermanently || h.Get("Location") != "/acme/" {
		t.Errorf("GET /acme = %d to %q, want 301 to /acme/", code, h.Get("Location"))
	}
	code, _, acme := e.get(t, "", "/acme/")
	if code != 200 || !strings.Contains(acme, "Acme Status") || !strings.Contains(acme, "Elzar is slow") ||
		!strings.Contains(acme, "Network trouble") || strings.Contains(acme, "Mail delays") {
		t.Fatalf("GET /acme/ = %d:\n%s", code, acme)
	}
	if !strings.Contains(acme, `href="/acme/history"`) || strings.Contains(acme, `href="/history"`) ||
		!strings.Contains(acme, `href="/static/herald.`) || !strings.Contains(acme, "Berlin time") {
		t.Errorf("acme page's links are not under /acme/ (or its zone is not Berlin's):\n%s", acme)
	}
	for _, path := range []string{"/acme/history", fmt.Sprintf("/acme/incidents/%d", elzarOnly), "/acme/api/v2/components.json",
		"/acme/badges/elzar.svg", "/acme/history.rss", "/acme/maintenance.ics", "/acme/components/elzar/web"} {
		if code, _, _ := e.get(t, "", path); code != 200 {
			t.Errorf("GET %s = %d, want 200", path, code)
		}
	}
	if code, _, body := e.get(t, "", "/acme/incidents/999"); code != 404 || !strings.Contains(body, "Acme Status") {
		t.Errorf("GET /acme/incidents/999 = %d, want the page's own 404", code)
	}
	if code, _, body := e.get(t, "", "/acme/api/v2/nope.json"); code != 404 || !strings.Contains(body, "no such document") {
		t.Errorf("GET /acme/api/v2/nope.json = %d %s", code, body)
	}
	if code, _, _ := e.get(t, "", fmt.Sprintf("/acme/incidents/%d", flexoOnly)); code != 404 {
		t.Errorf("acme shows the flexo-only incident")
	}
}

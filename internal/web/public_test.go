package web_test

import (
	"context"
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

func TestIndexShowsStatusAndEscapesText(t *testing.T) {
	ctx := context.Background()
	b := storetest.SQLite(t)
	svc := service.New(b.Store, nil, nil)
	err := svc.SyncCatalog(ctx,
		[]store.Group{{ID: "flexo", Name: "flexo"}, {ID: "mom", Name: "mom", Position: 1}},
		[]store.Component{
			{ID: "flexo/web", GroupID: "flexo", Name: "Web sites"},
			{ID: "flexo/email", GroupID: "flexo", Name: "E-mail", Position: 1},
			{ID: "mom/web", GroupID: "mom", Name: "Web sites"},
		})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("test.yaml", []byte(`
page: {title: "Example <Hosting> Status", zone: America/Los_Angeles, description: "<b>note</b>"}
groups:
  - id: flexo
    components: [{id: web, name: Web sites}]
`))
	if err != nil {
		t.Fatal(err)
	}
	const evil = `<script>alert("x")</script><img src=x onerror=alert(1)>`
	if _, err := svc.OpenIncident(ctx, "test", service.NewIncident{
		Title: "Outage " + evil, Body: "Body " + evil,
		Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage},
	}); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	site := web.NewSite(svc, func() config.Config { return cfg }, nil)
	if err := site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	site.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	page := string(raw)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	for _, want := range []string{
		"Major Service Outage", // the derived overall status
		"Major outage",         // flexo/web's status in words
		"Operational",          // flexo/email
		"Pacific time",         // times are in the page's zone, named
		"Example &lt;Hosting&gt; Status",
		"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;",
		"&lt;b&gt;note&lt;/b&gt;",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "<img", "<b>note"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains unescaped %q", bad)
		}
	}

	resp, err = http.Get(srv.URL + "/nope")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /nope = %s, want 404", resp.Status)
	}
}

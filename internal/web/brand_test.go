package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/colour"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
	"github.com/heraldhq/herald/internal/web"
)

// Every public page of a branded site links the brand's files, which are
// served at addresses named by their content with the headers of static
// files (an SVG with a policy that lets it run and load nothing); the
// footer's text is escaped; a static copy carries the files; a new
// configuration's brand replaces the old one's files.
func TestBrandServed(t *testing.T) {
	ctx := context.Background()
	b := storetest.SQLite(t)
	svc := service.New(b.Store, nil, nil)
	if err := svc.SyncCatalog(ctx, []store.Group{{ID: "flexo", Name: "flexo"}},
		[]store.Component{{ID: "flexo/web", GroupID: "flexo", Name: "Web sites"}}); err != nil {
		t.Fatal(err)
	}
	in, err := svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Web sites slow", Body: "Looking.",
		Components: map[string]status.ComponentStatus{"flexo/web": status.DegradedPerformance}})
	if err != nil {
		t.Fatal(err)
	}
	branded := brandedConfig(t)
	var cur atomic.Pointer[config.Config]
	cur.Store(&branded)
	site := web.NewSite(svc, func() config.Config { return *cur.Load() }, nil)
	if err := site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	site.Register(mux)
	web.NewSubscriptions(svc, func() config.Config { return *cur.Load() }, nil, nil, nil, nil).Register(mux)
	srv := httptest.NewServer(site.Handler(mux))
	defer srv.Close()

	brand := branded.Page.Brand()
	logo, dark := "/static/logo."+brand.Logo.Sum+".svg", "/static/logo."+brand.LogoDark.Sum+".svg"
	icon, sheet := "/static/favicon."+brand.Favicon.Sum+".svg", "/static/brand."+brand.Sum+".css"
	for _, path := range []string{"/", "/history", "/incidents/" + strconv.FormatInt(in.ID, 10), "/components/flexo/web", "/subscribe", "/incidents/404404"} {
		_, body := get(t, srv.URL+path, nil)
		page := string(body)
		for _, want := range []string{
			`<link rel="icon" href="` + icon + `" type="image/svg&#43;xml">`, // html/template's escape of +
			`<link rel="stylesheet" href="` + sheet + `">`,
			`<source srcset="` + dark + `" media="(prefers-color-scheme: dark)"><img class="logo" src="` + logo + `" alt="Example Hosting" width="135" height="36">`,
			`<li><a href="https://example.net/terms">Terms of service</a></li>`,
			`<li><a href="mailto:support@example.net">Support &lt;24/7&gt;</a></li>`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("%s lacks %s", path, want)
			}
		}
		// Herald's stylesheet first, the brand's after it.
		if strings.Index(page, "/static/herald.") > strings.Index(page, sheet) {
			t.Errorf("%s links the brand's stylesheet before Herald's", path)
		}
	}
	// The framed widget: the favicon and the accent, no logo.
	_, frame := get(t, srv.URL+"/widget/flexo", nil)
	if !strings.Contains(string(frame), sheet) || !strings.Contains(string(frame), icon) || strings.Contains(string(frame), logo) {
		t.Errorf("the framed widget's head:\n%s", frame[:min(len(frame), 800)])
	}

	for _, tc := range []struct{ path, typ, body string }{
		{logo, "image/svg+xml", "#1b1f24"},
		{dark, "image/svg+xml", "#e6edf3"},
		{icon, "image/svg+xml", "<rect"},
		{sheet, "text/css; charset=utf-8", brandCSS},
	} {
		resp, body := get(t, srv.URL+tc.path, nil)
		h := resp.Header
		if resp.StatusCode != 200 || h.Get("Content-Type") != tc.typ || !strings.Contains(string(body), tc.body) ||
			h.Get("Cache-Control") != "public, max-age=31536000, immutable" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: %s %v", tc.path, resp.Status, h)
		}
		if tc.typ == "image/svg+xml" && h.Get("Content-Security-Policy") != "default-src 'none'; style-src 'unsafe-inline'; sandbox" {
			t.Errorf("GET %s: policy %q", tc.path, h.Get("Content-Security-Policy"))
		}
	}
	_, css := get(t, srv.URL+sheet, nil)
	for _, want := range []string{":root { --link: " + brand.AccentLight + "; }", "@media (prefers-color-scheme: dark) {\n  :root { --link: " + brand.AccentDark + "; }"} {
		if !strings.Contains(string(css), want) {
			t.Errorf("the brand's stylesheet lacks %q:\n%s", want, css)
		}
	}

	// A static copy holds the files, as served.
	docs, err := web.Copy(site.Served(), branded, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	held := map[string]string{}
	for _, d := range docs {
		held[d.Path] = d.ContentType
	}
	for _, p := range []string{logo, dark, icon, sheet} {
		if held[p] == "" {
			t.Errorf("the copy lacks %s", p)
		}
	}
	if got := string(docBody(docs, "/subscribe")); !strings.Contains(got, sheet) || !strings.Contains(got, logo) {
		t.Errorf("the copy's /subscribe lacks the brand")
	}

	// A configuration without the brand: the files go, the pages are Herald's own.
	plain, err := config.Parse("test.yaml", []byte("page: {title: Status, zone: UTC}\ngroups:\n  - id: flexo\n    components: [{id: web, name: Web sites}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	cur.Store(&plain)
	if err := site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{logo, dark, icon, sheet} {
		if resp, _ := get(t, srv.URL+p, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s after the brand went: %s", p, resp.Status)
		}
	}
	if _, body := get(t, srv.URL+"/", nil); strings.Contains(string(body), "/static/brand.") || !strings.Contains(string(body), `<link rel="icon" href="data:,">`) {
		t.Errorf("the front page still shows the brand")
	}
}

func docBody(docs []web.Document, path string) []byte {
	for _, d := range docs {
		if d.Path == path {
			return d.Body
		}
	}
	return nil
}

// The backgrounds the accent and the status colours are checked against
// (internal/colour) are the ones herald.css paints: a change to either
// fails here until the other follows.
func TestSchemeBackgroundsMatchStylesheet(t *testing.T) {
	sheet, err := os.ReadFile("static/herald.css")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile(`(?s):root \{(.*?)\}`).FindAllSubmatch(sheet, 2)
	if len(blocks) != 2 {
		t.Fatalf("found %d :root blocks in herald.css, want the light one and the dark one", len(blocks))
	}
	for i, s := range []colour.Scheme{colour.Light, colour.Dark} {
		for name, want := range map[string]colour.RGB{"--surface": s.Surface, "--bg": s.Page, "--soft": s.Soft} {
			m := regexp.MustCompile(name + `: (#[0-9a-f]{6});`).FindSubmatch(blocks[i][1])
			if m == nil {
				t.Errorf("%s: herald.css sets no %s", s.Name, name)
				continue
			}
			if got := colour.MustParse(string(m[1])); got != want {
				t.Errorf("%s: herald.css has %s %s, internal/colour %s", s.Name, name, got, want)
			}
		}
	}
}

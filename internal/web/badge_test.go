package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
	"github.com/heraldhq/herald/internal/web"
)

// badgeTitle reads a badge's title ("label: value"), failing on a document
// that is not well-formed XML.
func badgeTitle(t *testing.T, body []byte) string {
	t.Helper()
	var doc struct {
		XMLName xml.Name `xml:"svg"`
		Label   string   `xml:"aria-label,attr"`
		Title   string   `xml:"title"`
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("badge is not well-formed SVG: %v\n%s", err, body)
	}
	if doc.Label != doc.Title {
		t.Errorf("badge's aria-label %q differs from its title %q", doc.Label, doc.Title)
	}
	return doc.Title
}

// badgeFill is the colour of a badge's value field.
var badgeFill = regexp.MustCompile(`<rect x="[\d.]+" width="[\d.]+" height="20" fill="(#[0-9a-f]+)"/>`)

func TestBadgesAreServedLikeEveryPublicDocument(t *testing.T) {
	f := newUptimeFixture(t, false)
	for _, path := range []string{"/badges/status.svg", "/badges/flexo.svg", "/badges/mom.svg", "/badges/flexo/web.svg",
		"/badges/flexo/web/uptime-24h.svg", "/badges/flexo/web/uptime-7d.svg", "/badges/flexo/web/uptime-30d.svg",
		"/badges/flexo/web/uptime-90d.svg", "/badges/mom/web/uptime-30d.svg"} {
		t.Run(path, func(t *testing.T) {
			resp, plain := get(t, f.srv.URL+path, nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s = %s", path, resp.Status)
			}
			h := resp.Header
			if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "image/svg+xml") {
				t.Errorf("Content-Type %q", ct)
			}
			if h.Get("ETag") == "" || h.Get("Access-Control-Allow-Origin") != "*" || h.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("headers %v lack an ETag, open CORS or nosniff", h)
			}
			badgeTitle(t, plain)
			resp, _ = get(t, f.srv.URL+path, map[string]string{"If-None-Match": h.Get("ETag")})
			if resp.StatusCode != http.StatusNotModified {
				t.Errorf("with its ETag: %s, want 304", resp.Status)
			}
			resp, zipped := get(t, f.srv.URL+path, map[string]string{"Accept-Encoding": "gzip"})
			if resp.Header.Get("Content-Encoding") != "gzip" {
				t.Fatalf("not gzipped: %v", resp.Header)
			}
			zr, err := gzip.NewReader(bytes.NewReader(zipped))
			if err != nil {
				t.Fatal(err)
			}
			unzipped, err := io.ReadAll(zr)
			if err != nil || !bytes.Equal(unzipped, plain) {
				t.Errorf("gzipped body differs from the plain one (%v)", err)
			}
		})
	}
	if resp, _ := get(t, f.srv.URL+"/badges/flexo/nope.svg", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown badge: %s, want 404", resp.Status)
	}
}

// TestBadgesSayWhatThePageSays: a badge's status is the page's, in its
// words and colours, and an uptime badge's figure is the component page's
// for the same period (or since monitoring began, as the page says).
func TestBadgesSayWhatThePageSays(t *testing.T) {
	for _, exclude := range []bool{false, true} {
		f := newUptimeFixture(t, exclude)
		page := f.page(t, "/components/flexo/web")
		figures := map[string]string{}
		for _, m := range regexp.MustCompile(`<dt>([^<]+)</dt><dd><strong>([^<]+)</strong>`).FindAllStringSubmatch(page, -1) {
			figures[m[1]] = m[2]
		}
		if len(figures) == 0 {
			t.Fatalf("no figures on the component page")
		}
		for _, p := range []struct{ key, label string }{{"24h", "24 hours"}, {"7d", "7 days"}, {"30d", "30 days"}, {"90d", "90 days"}} {
			want, label := figures[p.label], "uptime "+p.key
			if want == "" {
				// Monitoring began within the period: the page gives the
				// figure once, since then, and so does the badge.
				want, label = figures["Since monitoring began"], "uptime since Jun 1"
			}
			_, body := get(t, f.srv.URL+"/badges/flexo/web/uptime-"+p.key+".svg", nil)
			if got := badgeTitle(t, body); got != label+": "+want {
				t.Errorf("exclude=%v: uptime-%s badge says %q, the page %q", exclude, p.key, got, label+": "+want)
			}
		}
	}

	f := newUptimeFixture(t, false)
	var comps struct {
		Components []struct{ ID, Status string }
	}
	_, body := get(t, f.srv.URL+"/api/v2/components.json", nil)
	if err := json.Unmarshal(body, &comps); err != nil {
		t.Fatal(err)
	}
	names := map[string]string{"flexo": "flexo", "mom": "mom", "flexo/web": "flexo · Web sites", "flexo/email": "flexo · E-mail", "mom/web": "mom · Web sites"}
	for _, c := range comps.Components {
		st := status.ComponentStatus(c.Status)
		_, body := get(t, f.srv.URL+"/badges/"+c.ID+".svg", nil)
		if got, want := badgeTitle(t, body), names[c.ID]+": "+st.Label(); got != want {
			t.Errorf("%s badge says %q, want %q", c.ID, got, want)
		}
		if m := badgeFill.FindSubmatch(body); m == nil || string(m[1]) != status.KindColour(st.Kind()).Light {
			t.Errorf("%s badge's value is painted %q, want %s (%s)", c.ID, m, status.KindColour(st.Kind()).Light, st.Kind())
		}
	}
	var summary struct{ Status struct{ Description string } }
	_, body = get(t, f.srv.URL+"/api/v2/status.json", nil)
	if err := json.Unmarshal(body, &summary); err != nil {
		t.Fatal(err)
	}
	_, body = get(t, f.srv.URL+"/badges/status.svg", nil)
	if got := badgeTitle(t, body); got != "status: "+summary.Status.Description {
		t.Errorf("overall badge says %q, the API %q", got, summary.Status.Description)
	}
	_, body = get(t, f.srv.URL+"/badges/mom/web/uptime-30d.svg", nil)
	if got := badgeTitle(t, body); got != "uptime 30d: not monitored" {
		t.Errorf("an unmonitored component's uptime badge says %q", got)
	}
}

// TestBadgesEscapeNamesAndFollowTheCatalog: names are escaped in the SVG;
// a group called "status" leaves /badges/status.svg to the overall status;
// a component no longer configured loses its badges, and a rebuild of what
// changed keeps everyone else's.
func TestBadgesEscapeNamesAndFollowTheCatalog(t *testing.T) {
	ctx := context.Background()
	b := storetest.SQLite(t)
	svc := service.New(b.Store, nil, nil)
	const evil = `</text><script>alert("x")</script> & 'co'`
	groups := []store.Group{{ID: "status", Name: "status group"}, {ID: "flexo", Name: "flexo " + evil, Position: 1}}
	comps := []store.Component{{ID: "status/web", GroupID: "status", Name: "Web"},
		{ID: "flexo/web", GroupID: "flexo", Name: "Web " + evil}, {ID: "flexo/email", GroupID: "flexo", Name: "E-mail", Position: 1}}
	if err := svc.SyncCatalog(ctx, groups, comps); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("test.yaml", []byte("page: {title: Status, zone: UTC}\ngroups:\n  - id: flexo\n    components: [{id: web, name: Web}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	site := web.NewSite(svc, func() config.Config { return cfg }, nil)
	if err := site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	site.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for path, want := range map[string]string{
		"/badges/status.svg":    "status: All Systems Operational",
		"/badges/flexo.svg":     "flexo " + evil + ": Operational",
		"/badges/flexo/web.svg": "flexo " + evil + " · Web " + evil + ": Operational",
	} {
		resp, body := get(t, srv.URL+path, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %s", path, resp.Status)
		}
		if got := badgeTitle(t, body); got != want {
			t.Errorf("%s says %q, want %q", path, got, want)
		}
		if bytes.Contains(body, []byte("<script")) {
			t.Errorf("%s carries markup from a name unescaped", path)
		}
	}

	// flexo/email goes; an incident then changes flexo/web's status.
	if err := svc.SyncCatalog(ctx, groups, comps[:2]); err != nil {
		t.Fatal(err)
	}
	if err := site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/badges/flexo/email.svg", "/badges/flexo/email/uptime-30d.svg"} {
		if resp, _ := get(t, srv.URL+path, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s of a component no longer configured: %s, want 404", path, resp.Status)
		}
	}
	if _, err := svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Web down", Body: "Looking.",
		Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}}); err != nil {
		t.Fatal(err)
	}
	if err := site.RebuildChanged(ctx); err != nil {
		t.Fatal(err)
	}
	_, body := get(t, srv.URL+"/badges/flexo/web.svg", nil)
	if got := badgeTitle(t, body); !strings.HasSuffix(got, ": Major outage") {
		t.Errorf("after the incident flexo/web's badge says %q", got)
	}
	if resp, _ := get(t, srv.URL+"/badges/status/web/uptime-7d.svg", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("a badge of a component that did not change is gone after a rebuild: %s", resp.Status)
	}
}

// TestComponentPageOffersBadges: each component page shows its badges with
// HTML and Markdown to paste, the addresses made from page.url and the
// names escaped once for the page.
func TestComponentPageOffersBadges(t *testing.T) {
	f := newUptimeFixture(t, false)
	page := f.page(t, "/components/flexo/web")
	wantAll(t, "component page", page,
		`<h2 id="h-badges">Badges</h2>`,
		`<img src="/badges/flexo/web.svg" alt="flexo · Web sites: Operational" height="20">`,
		`<img src="/badges/flexo.svg" alt="flexo: Operational" height="20">`,
		`<img src="/badges/flexo/web/uptime-30d.svg" alt="flexo · Web sites uptime 30d: `,
		// page.url is not set in the fixture: relative addresses, and the page says why.
		`&lt;a href=&#34;/components/flexo/web&#34;&gt;&lt;img src=&#34;/badges/flexo/web.svg&#34; alt=&#34;flexo · Web sites status&#34;&gt;&lt;/a&gt;`,
		`[![flexo · Web sites status](/badges/flexo/web.svg)](/components/flexo/web)`,
		`because this page’s own address is not configured`,
		`<img src="/badges/flexo/web/uptime-24h.svg"`, `<img src="/badges/flexo/web/uptime-90d.svg"`)
	// An unmonitored component offers no uptime badge.
	page = f.page(t, "/components/mom/web")
	if strings.Contains(page, "uptime-30d") {
		t.Error("mom/web, which no monitor watches, offers an uptime badge")
	}
	wantAll(t, "unmonitored component page", page, `<img src="/badges/mom/web.svg"`, `<img src="/badges/mom.svg"`)
}

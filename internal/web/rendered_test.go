package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// TestServedFromStoredRenderings: pages, feeds and the per-subscription
// feeds show the HTML stored with each text when it was written; none of
// them renders the Markdown again. The stored renderings are replaced
// through SQL, so that a page or feed that rendered the text itself would
// show the original instead.
func TestServedFromStoredRenderings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newSubEnv(t, b)
		ctx := t.Context()
		in, err := e.svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Web sites down", Body: "We are *looking*.",
			Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Store.DB().ExecContext(ctx,
			`UPDATE incident_updates SET body_html = '<p>stored <strong>mark</strong></p>', body_text = 'stored mark'`); err != nil {
			t.Fatal(err)
		}
		cfg := config.Config{Page: config.Page{Title: "Status", URL: "https://status.example.net", Zone: "America/Los_Angeles"}}
		site := NewSite(e.svc, func() config.Config { return cfg }, nil)
		if err := site.Rebuild(ctx); err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		site.Register(mux)
		srv := httptest.NewServer(mux)
		defer srv.Close()

		for _, tc := range []struct{ path, want, not string }{
			{"/", "stored <strong>mark</strong>", "<em>looking</em>"},
			{"/incidents/" + strconv.FormatInt(in.ID, 10), "stored <strong>mark</strong>", "<em>looking</em>"},
			{"/history.atom", "stored &lt;strong&gt;mark", "&lt;em&gt;looking"},
		} {
			resp, err := srv.Client().Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), tc.want) || strings.Contains(string(body), tc.not) {
				t.Errorf("GET %s = %s; want the stored rendering:\n%s", tc.path, resp.Status, body)
			}
		}
		for _, path := range []string{"/feeds/flexo.atom", "/feeds/flexo/web.rss"} {
			code, _, body := e.do(t, "GET", path, nil)
			if code != http.StatusOK || !strings.Contains(body, "stored &lt;strong&gt;mark") || strings.Contains(body, "&lt;em&gt;looking") {
				t.Errorf("GET %s = %d; want the stored rendering:\n%s", path, code, body)
			}
		}
	})
}

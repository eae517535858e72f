package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
	"github.com/heraldhq/herald/internal/web"
)

// TestRelatedIncidentsSayWhichOne: a recurrence has the same title as the
// first incident, so a link that gives the title alone reads as a link to
// the page itself. Each related link says which incident it is: earlier or
// later, and when it ran.
func TestRelatedIncidentsSayWhichOne(t *testing.T) {
	ctx := context.Background()
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, la)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	clock := &fixedClock{t: at("2026-03-31 07:00")}
	b := storetest.SQLite(t)
	svc := service.New(b.Store, clock, nil)
	if err := svc.SyncCatalog(ctx, []store.Group{{ID: "flexo", Name: "flexo"}},
		[]store.Component{{ID: "flexo/web", GroupID: "flexo", Name: "Web sites"}}); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, span := range [][2]string{{"2026-03-28 21:54", "2026-03-28 22:02"}, {"2026-03-31 06:22", "2026-03-31 06:31"}} {
		in, err := svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Web sites on flexo not responding", Body: "Looking.",
			StartedAt: at(span[0]), Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ResolveIncident(ctx, "test", in.ID, service.Resolution{Body: "Back.", ResolvedAt: at(span[1])}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, in.ID)
	}
	if _, err := svc.LinkIncidents(ctx, "test", ids[0], ids[1]); err != nil {
		t.Fatal(err)
	}
	srv := serveSite(t, svc)

	related := regexp.MustCompile(`(?s)<h2 id="h-related">Related incidents</h2>(.*?)</section>`)
	for i, want := range []string{
		fmt.Sprintf(`<a href="/incidents/%d">Web sites on flexo not responding<span class="sr">, the later incident</span></a> <span class="meta">(later: Today, 6:22 to 6:31 AM Pacific time · nine minutes)</span>`, ids[1]),
		fmt.Sprintf(`<a href="/incidents/%d">Web sites on flexo not responding<span class="sr">, the earlier incident</span></a> <span class="meta">(earlier: Saturday, March 28, 9:54 to 10:02 PM Pacific time · eight minutes)</span>`, ids[0]),
	} {
		_, page := get(t, srv.URL+fmt.Sprintf("/incidents/%d", ids[i]), nil)
		m := related.FindSubmatch(page)
		if m == nil {
			t.Fatalf("incident %d has no related incidents", ids[i])
		}
		if !strings.Contains(string(m[1]), want) {
			t.Errorf("incident %d's related incidents:\n%s\nwant %s", ids[i], m[1], want)
		}
	}
}

// TestFooterTellsTheTruth: the pages do not update themselves (no script,
// no refresh), so the footer must not say they do.
func TestFooterTellsTheTruth(t *testing.T) {
	f := newPagesFixture(t)
	for _, path := range []string{"/", "/history", fmt.Sprintf("/incidents/%d", f.resolved), fmt.Sprintf("/maintenance/%d", f.maint)} {
		page := f.page(t, path)
		footer := page[strings.Index(page, `<footer class="site">`):]
		if strings.Contains(page, `http-equiv="refresh"`) || strings.Contains(page, "<script") {
			t.Fatalf("%s updates itself after all; the footer's words need changing back", path)
		}
		if strings.Contains(footer, "refreshes") || !strings.Contains(footer, "does not update itself: reload it for the latest") {
			t.Errorf("%s footer:\n%s", path, footer)
		}
	}
}

// serveSite builds the public pages over svc for a Pacific page and serves them.
func serveSite(t *testing.T, svc *service.Service) *httptest.Server {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(`
page: {title: Status, url: "https://status.example.net", zone: America/Los_Angeles}
groups:
  - id: flexo
    components: [{id: web, name: Web sites}]
`))
	if err != nil {
		t.Fatal(err)
	}
	site := web.NewSite(svc, func() config.Config { return cfg }, nil)
	if err := site.Rebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	site.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

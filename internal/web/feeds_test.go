package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
	"github.com/heraldhq/herald/internal/web"
)

func TestSiteServesFeeds(t *testing.T) {
	ctx := context.Background()
	b := storetest.SQLite(t)
	svc := service.New(b.Store, nil, nil)
	if err := svc.SyncCatalog(ctx, []store.Group{{ID: "flexo", Name: "flexo"}},
		[]store.Component{{ID: "flexo/web", GroupID: "flexo", Name: "Web sites"}}); err != nil {
		t.Fatal(err)
	}
	open := func(title string, draft bool) {
		t.Helper()
		if _, err := svc.OpenIncident(ctx, "test", service.NewIncident{Title: title, Body: "Looking into it.", Draft: draft,
			Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}}); err != nil {
			t.Fatal(err)
		}
	}
	open("Web sites on flexo unreachable", false)
	open("Secret draft", true)
	start := svc.Now().Add(24 * time.Hour).Truncate(time.Second)
	if _, err := svc.ScheduleMaintenance(ctx, "test", service.NewMaintenance{Title: "Kernel update, flexo; restart",
		Body: "Restarting.", Components: []string{"flexo/web"}, Start: start, End: start.Add(5 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	cfg := config.Config{Page: config.Page{Title: "Example Hosting Status", URL: "https://status.example.net", Zone: "America/Los_Angeles"}}
	site := web.NewSite(svc, func() config.Config { return cfg }, nil)
	if err := site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	site.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for _, tc := range []struct{ path, contentType string }{
		{"/history.atom", "application/atom+xml"},
		{"/history.rss", "application/rss+xml"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			resp, body := get(t, srv.URL+tc.path, nil)
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.contentType) {
				t.Fatalf("%s: %s %s", tc.path, resp.Status, resp.Header.Get("Content-Type"))
			}
			f, err := gofeed.NewParser().ParseString(string(body))
			if err != nil {
				t.Fatalf("parse %s: %v", tc.path, err)
			}
			var titles []string
			for _, it := range f.Items {
				titles = append(titles, it.Title)
			}
			joined := strings.Join(titles, " | ")
			if !strings.Contains(joined, "Web sites on flexo unreachable") || !strings.Contains(joined, "Kernel update") {
				t.Errorf("items = %q", joined)
			}
			if strings.Contains(string(body), "Secret draft") {
				t.Error("a draft is in the feed")
			}
		})
	}

	resp, body := get(t, srv.URL+"/maintenance.ics", nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/calendar") {
		t.Fatalf("maintenance.ics: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	cal := string(body)
	for _, want := range []string{"BEGIN:VCALENDAR\r\n", "BEGIN:VEVENT\r\n", "SUMMARY:Kernel update\\, flexo\\; restart\r\n",
		"DTSTART:" + start.UTC().Format("20060102T150405Z") + "\r\n", "SEQUENCE:0\r\n"} {
		if !strings.Contains(cal, want) {
			t.Errorf("calendar lacks %q", want)
		}
	}
}

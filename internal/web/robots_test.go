package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store/storetest"
	"github.com/heraldhq/herald/internal/web"
)

// Search engines find a robots.txt that lets them index the public pages
// and keeps them out of the admin and its API, and every page describes
// itself in a meta description.
func TestRobotsAndDescription(t *testing.T) {
	ctx := context.Background()
	svc := service.New(storetest.SQLite(t).Store, nil, nil)
	cfg := config.Config{Page: config.Page{Title: "Example Hosting Status", URL: "https://status.example.net", Zone: "America/Los_Angeles"}}
	site := web.NewSite(svc, func() config.Config { return cfg }, nil)
	if err := site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	site.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, body := get(t, srv.URL+"/robots.txt", nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("robots.txt: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	rules := map[string]string{}
	for _, line := range strings.Split(string(body), "\n") {
		if k, v, ok := strings.Cut(line, ": "); ok {
			rules[v] = k
		}
	}
	for path, want := range map[string]string{"/admin": "Disallow", "/api/v1": "Disallow", "/manage": "Disallow", "/": "Allow"} {
		if rules[path] != want {
			t.Errorf("robots.txt says %q for %s, want %s:\n%s", rules[path], path, want, body)
		}
	}
	for _, path := range []string{"/", "/history"} {
		_, page := get(t, srv.URL+path, nil)
		if !strings.Contains(string(page), `<meta name="description" content="Current status of Example Hosting Status: `) {
			t.Errorf("%s has no meta description", path)
		}
	}
	cfg.Page.Description = "Servers of Example Hosting & friends."
	if err := site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	if _, page := get(t, srv.URL+"/?again", nil); !strings.Contains(string(page), `<meta name="description" content="Servers of Example Hosting &amp; friends.">`) {
		t.Error("the page's own description is not its meta description")
	}
}

package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
	"github.com/heraldhq/herald/internal/web"
)

func get(t *testing.T, url string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	// A bare transport, so gzip is neither asked for nor undone behind the test's back.
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func TestSiteServesV2FromMemory(t *testing.T) {
	ctx := context.Background()
	b := storetest.SQLite(t)
	svc := service.New(b.Store, nil, nil)
	if err := svc.SyncCatalog(ctx, []store.Group{{ID: "flexo", Name: "flexo"}},
		[]store.Component{{ID: "flexo/web", GroupID: "flexo", Name: "Web sites"}}); err != nil {
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

	resp, body := get(t, srv.URL+"/api/v2/summary.json", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("summary.json: %s", resp.Status)
	}
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("CORS header = %q", got)
	}
	var summary struct {
		Page   struct{ Name, TimeZone string } `json:"page"`
		Status struct{ Indicator string }      `json:"status"`
	}
	if err := json.Unmarshal(body, &summary); err != nil {
		t.Fatal(err)
	}
	if summary.Page.Name != "Example Hosting Status" || summary.Status.Indicator != "none" {
		t.Errorf("summary = %+v", summary)
	}
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}

	// Revalidation costs no body.
	resp, body = get(t, srv.URL+"/api/v2/summary.json", map[string]string{"If-None-Match": etag})
	if resp.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Errorf("If-None-Match: %s with %d bytes, want 304 and none", resp.Status, len(body))
	}

	// Pre-compressed gzip, the same document.
	resp, gz := get(t, srv.URL+"/api/v2/summary.json", map[string]string{"Accept-Encoding": "gzip"})
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding = %q", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	_, plain := get(t, srv.URL+"/api/v2/summary.json", nil)
	if string(unzipped) != string(plain) {
		t.Error("gzip body differs from the plain one")
	}
	if resp, _ := get(t, srv.URL+"/api/v2/summary.json", map[string]string{"Accept-Encoding": "gzip;q=0"}); resp.Header.Get("Content-Encoding") != "" {
		t.Error("gzip sent although the client refused it with q=0")
	}

	// Every document is there; an unknown one is a 404.
	for _, name := range []string{"status.json", "components.json", "incidents.json", "incidents/unresolved.json",
		"scheduled-maintenances.json", "scheduled-maintenances/upcoming.json", "scheduled-maintenances/active.json"} {
		if resp, _ := get(t, srv.URL+"/api/v2/"+name, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %s", name, resp.Status)
		}
	}
	if resp, _ := get(t, srv.URL+"/api/v2/nope.json", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("nope.json: %s", resp.Status)
	}

	// A change is picked up by Run, and the ETag moves with the content.
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { site.Run(runCtx); close(done) }()
	if _, err := svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Web sites on flexo unreachable", Body: "Looking.",
		Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second) // a failure guard, not a timing assertion
	for {
		resp, body := get(t, srv.URL+"/api/v2/status.json", nil)
		var st struct{ Status struct{ Indicator string } }
		if err := json.Unmarshal(body, &st); err != nil {
			t.Fatal(err)
		}
		if st.Status.Indicator == "critical" {
			if resp.Header.Get("ETag") == etag {
				t.Error("ETag unchanged after the content changed")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the change never reached status.json")
		}
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	<-done
}

func TestSiteHandlerServesDocumentsAndPassesTheRest(t *testing.T) {
	ctx := context.Background()
	b := storetest.SQLite(t)
	svc := service.New(b.Store, nil, nil)
	if err := svc.SyncCatalog(ctx, []store.Group{{ID: "flexo", Name: "flexo"}},
		[]store.Component{{ID: "flexo/web", GroupID: "flexo", Name: "Web sites"}}); err != nil {
		t.Fatal(err)
	}
	cfg := config.Config{Page: config.Page{Title: "Example Hosting Status", Zone: "America/Los_Angeles"}}
	site := web.NewSite(svc, func() config.Config { return cfg }, nil)
	if err := site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	srv := httptest.NewServer(site.Handler(next))
	defer srv.Close()
	for _, tc := range []struct {
		method, path string
		code         int
	}{
		{"GET", "/", http.StatusOK},
		{"HEAD", "/api/v2/summary.json", http.StatusOK},
		{"GET", "/history.atom", http.StatusOK},
		{"POST", "/", http.StatusTeapot},                // not a read: the router decides
		{"GET", "/api/v1/incidents", http.StatusTeapot}, // not a rendered document
		{"GET", "/incidents/999", http.StatusTeapot},
	} {
		req, err := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("%s %s = %d, want %d", tc.method, tc.path, resp.StatusCode, tc.code)
		}
	}
}

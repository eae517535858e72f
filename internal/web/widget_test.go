package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
)

// TestWidgetDocuments: the script and its stylesheet are served to any
// site, with the status words and colours of internal/status; the framed
// widget of a server shows what affects it and nothing else, escaped, and
// may be framed anywhere; the /api/v2 documents the script reads are open
// to other origins.
func TestWidgetDocuments(t *testing.T) {
	f := newBrowserFixture(t)
	ctx := context.Background()
	const evil = `<img src=x onerror=alert(1)>`
	if _, err := f.svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Mail on flexo slow " + evil, Body: "Looking.",
		Components: map[string]status.ComponentStatus{"flexo/email": status.DegradedPerformance}}); err != nil {
		t.Fatal(err)
	}
	if err := f.site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}

	resp, js := get(t, f.srv.URL+"/widget.js", nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") ||
		resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("ETag") == "" {
		t.Fatalf("GET /widget.js = %s %v", resp.Status, resp.Header)
	}
	if strings.Contains(string(js), "/*HERALD_WORDS*/") || strings.Contains(string(js), "innerHTML") {
		t.Error("widget.js lacks its words, or sets HTML")
	}
	for _, s := range status.ComponentStatuses {
		word, _ := json.Marshal([]string{s.Kind(), s.Label()})
		if want := fmt.Sprintf("%q:%s", s, word); !strings.Contains(string(js), want) {
			t.Errorf("widget.js lacks %s", want)
		}
	}
	resp, css := get(t, f.srv.URL+"/widget.css", nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("GET /widget.css = %s %v", resp.Status, resp.Header)
	}
	for _, k := range status.Kinds {
		c := status.KindColour(k)
		for _, want := range []string{fmt.Sprintf("--hw-%s: %s;", k, c.Light), fmt.Sprintf("--hw-%s: %s;", k, c.Dark)} {
			if !strings.Contains(string(css), want) {
				t.Errorf("widget.css lacks %s", want)
			}
		}
	}
	if strings.Contains(string(css), ":root") {
		t.Error("widget.css sets properties on the customer's :root")
	}

	for _, tc := range []struct {
		path        string
		want, lack  []string
		statusWords string
	}{
		{"/widget/mom", []string{"Web sites on mom unreachable", "Identified"},
			[]string{"Kernel update on flexo", "Mail on flexo slow"}, "Major outage"},
		{"/widget/flexo", []string{"Kernel update on flexo", "Scheduled maintenance", "Mail on flexo slow &lt;img src=x onerror=alert(1)&gt;"},
			[]string{"mom unreachable", evil}, "Degraded performance"},
		{"/widget", []string{"Web sites on mom unreachable", "Kernel update on flexo", "Example Hosting Status"},
			[]string{evil}, "Major Service Outage"},
	} {
		resp, body := get(t, f.srv.URL+tc.path, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %s", tc.path, resp.Status)
		}
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors *") || strings.Contains(csp, "script-src") {
			t.Errorf("%s: CSP %q, want any frame ancestor and no script", tc.path, csp)
		}
		page := string(body)
		wantAll(t, tc.path, page, append(tc.want, "<span>"+tc.statusWords+"</span>", `target="_blank" rel="noopener"`)...)
		for _, l := range tc.lack {
			if strings.Contains(page, l) {
				t.Errorf("%s shows %q", tc.path, l)
			}
		}
	}
	// The front page and the rest still refuse to be framed.
	if resp, _ := get(t, f.srv.URL+"/", nil); !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("the front page may be framed: %q", resp.Header.Get("Content-Security-Policy"))
	}

	// What the script reads, from another origin.
	resp, _ = get(t, f.srv.URL+"/api/v2/summary.json", map[string]string{"Origin": "http://127.0.0.2:8000"})
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("summary.json CORS headers: %v", resp.Header)
	}
	req, err := http.NewRequest(http.MethodOptions, f.srv.URL+"/api/v2/summary.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", "http://127.0.0.2:8000")
	req.Header.Set("Access-Control-Request-Method", "GET")
	pre, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	pre.Body.Close()
	if pre.StatusCode != http.StatusNoContent || !strings.Contains(pre.Header.Get("Access-Control-Allow-Methods"), "GET") ||
		strings.Contains(pre.Header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Errorf("preflight: %s %v", pre.Status, pre.Header)
	}
}

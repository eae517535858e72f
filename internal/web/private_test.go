package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/auth"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/web"
)

const pageKeyEnv = "HERALD_TEST_PAGE_KEY"

func privateYAML(t *testing.T, password string) string {
	t.Helper()
	hash, err := auth.HashPassword(password, auth.Params{Memory: 1024, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`
page: {title: Example Hosting Status, zone: America/Los_Angeles, url: "http://127.0.0.1:8080"}
pages:
  - id: reseller
    title: Reseller Status
    host: status.reseller.example
    groups: [mom]
  - id: secret
    title: Secret Customers Status
    path: /secret
    groups: [elzar, zapp]
    private: {password_hash: %q, key_env: %s}
groups:
  - id: flexo
    components: [{id: web, name: Web sites}, {id: email, name: E-mail}]
  - id: mom
    components: [{id: web, name: Web sites}]
  - id: elzar
    components: [{id: web, name: Web sites}]
  - id: zapp
    components: [{id: web, name: Web sites}]
`, hash, pageKeyEnv)
}

func TestPrivatePages(t *testing.T) {
	t.Setenv(pageKeyEnv, strings.Repeat("k", 40))
	yaml := privateYAML(t, "correct horse")
	e := newPagesEnv(t, yaml)
	e.open(t, "Flexo public trouble", "flexo/web")
	e.open(t, "Zapp hidden trouble", "zapp/web")
	e.open(t, "Elzar hidden trouble", "elzar/web")
	// Operators' words stay as written: this title names no private server.
	e.open(t, "Trouble on mom and more", "mom/web", "zapp/web")
	e.rebuild(t)

	// Nothing of the private page in any public document: every document
	// of page: (as the mirror copies them) and of the public host page.
	private := []string{"zapp", "elzar", "Zapp hidden", "Elzar hidden", "Secret Customers"}
	for _, d := range e.site.Served() {
		for _, bad := range private {
			if strings.Contains(string(d.Body), bad) {
				t.Errorf("public document %s names %q", d.Path, bad)
			}
		}
	}
	for _, path := range []string{"/", "/api/v2/summary.json", "/api/v2/components.json", "/api/v2/incidents.json", "/history.atom",
		"/history.rss", "/maintenance.ics", "/history", "/subscribe", "/widget"} {
		for _, host := range []string{"", "status.reseller.example"} {
			_, _, body := e.get(t, host, path)
			for _, bad := range private {
				if strings.Contains(body, bad) {
					t.Errorf("GET %s%s names %q", host, path, bad)
				}
			}
		}
	}
	for _, path := range []string{"/feeds/zapp.atom", "/feeds/zapp/web.rss", "/badges/zapp.svg", "/components/zapp/web"} {
		if code, _, _ := e.get(t, "", path); code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404 (a private page's server)", path, code)
		}
	}
	// The shared incident is on page: naming mom only.
	if _, _, front := e.get(t, "", "/"); !strings.Contains(front, "Trouble on mom and more") {
		t.Errorf("page: lacks the incident touching mom")
	}
	if _, _, robots := e.get(t, "", "/robots.txt"); !strings.Contains(robots, "Disallow: /secret/") {
		t.Errorf("robots.txt lets crawlers into /secret/:\n%s", robots)
	}

	// Without access: the sign-in page, and nothing else.
	code, h, body := e.get(t, "", "/secret/")
	if code != http.StatusUnauthorized || !strings.Contains(body, `action="/secret/private/sign-in"`) ||
		strings.Contains(body, "Zapp hidden") || h.Get("X-Robots-Tag") != "noindex, nofollow" ||
		!strings.Contains(body, `<meta name="robots" content="noindex, nofollow">`) {
		t.Errorf("GET /secret/ without access = %d %v:\n%s", code, h, body)
	}
	for _, path := range []string{"/secret/api/v2/summary.json", "/secret/badges/zapp.svg", "/secret/history.atom",
		"/secret/maintenance.ics", "/secret/history", "/secret/incidents/2", "/secret/components/zapp/web", "/secret/widget/zapp"} {
		code, h, body := e.get(t, "", path)
		if code != http.StatusUnauthorized || strings.Contains(body, "Zapp hidden") || h.Get("X-Robots-Tag") == "" {
			t.Errorf("GET %s without access = %d (robots %q), want 401", path, code, h.Get("X-Robots-Tag"))
		}
	}

	// The password: a wrong one, one from another site, the right one.
	signIn := func(password string, header ...string) *http.Response {
		req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/secret/private/sign-in", strings.NewReader(url.Values{"password": {password}}.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := signIn("wrong"); resp.StatusCode != http.StatusUnauthorized || len(resp.Cookies()) != 0 {
		t.Errorf("wrong password = %d with %d cookies", resp.StatusCode, len(resp.Cookies()))
	}
	if resp := signIn("correct horse", "Sec-Fetch-Site", "cross-site"); resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 {
		t.Errorf("password from another site = %d, want 403", resp.StatusCode)
	}
	resp := signIn("correct horse")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/secret/" || len(resp.Cookies()) != 1 {
		t.Fatalf("right password = %d to %q with %d cookies", resp.StatusCode, resp.Header.Get("Location"), len(resp.Cookies()))
	}
	c := resp.Cookies()[0]
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/secret/" {
		t.Errorf("session cookie %+v, want HttpOnly, SameSite=Lax, Path=/secret/", c)
	}
	cookie := c.Name + "=" + c.Value
	code, h, body = e.get(t, "", "/secret/", "Cookie", cookie)
	if code != 200 || !strings.Contains(body, "Zapp hidden trouble") || !strings.Contains(body, "Elzar hidden trouble") ||
		strings.Contains(body, "Flexo public") || h.Get("X-Robots-Tag") != "noindex, nofollow" || !strings.Contains(h.Get("Cache-Control"), "private") {
		t.Errorf("GET /secret/ signed in = %d %v:\n%s", code, h, body)
	}
	code, h, body = e.get(t, "", "/secret/api/v2/summary.json", "Cookie", cookie)
	if code != 200 || !strings.Contains(body, `"zapp/web"`) || h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("GET /secret/api/v2/summary.json signed in = %d (CORS %q)", code, h.Get("Access-Control-Allow-Origin"))
	}
	// A session of one page opens no other; a forged one opens nothing.
	if code, _, _ := e.get(t, "", "/secret/", "Cookie", c.Name+"="+strings.Replace(c.Value, ".", ".zapp", 1)); code != http.StatusUnauthorized {
		t.Errorf("a session with a server put in = %d, want 401", code)
	}

	// A signed link for one customer's server: that server only.
	cfg, err := config.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	link, err := web.SignedLink(cfg, "secret", "zapp", time.Hour, time.Now(), os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(link)
	if err != nil || u.Path != "/secret/" {
		t.Fatalf("SignedLink = %q (%v)", link, err)
	}
	code, h, _ = e.get(t, "", u.RequestURI())
	if code != http.StatusSeeOther || h.Get("Location") != "/secret/" || !strings.Contains(h.Get("Set-Cookie"), "HttpOnly") {
		t.Fatalf("GET the signed link = %d to %q, cookie %q", code, h.Get("Location"), h.Get("Set-Cookie"))
	}
	zapp := strings.SplitN(h.Get("Set-Cookie"), ";", 2)[0]
	code, _, body = e.get(t, "", "/secret/", "Cookie", zapp)
	if code != 200 || !strings.Contains(body, "Zapp hidden trouble") || strings.Contains(body, "Elzar hidden") || strings.Contains(body, ">elzar<") {
		t.Errorf("zapp's view = %d, not zapp alone:\n%s", code, body)
	}
	tampered := strings.Replace(u.RequestURI(), "zapp", "elzar", 1)
	if code, _, _ := e.get(t, "", tampered); code != http.StatusForbidden {
		t.Errorf("a link with its server changed = %d, want 403", code)
	}
	old, err := web.SignedLink(cfg, "secret", "", -time.Minute, time.Now(), os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := url.Parse(old); u != nil {
		if code, _, _ := e.get(t, "", u.RequestURI()); code != http.StatusForbidden {
			t.Errorf("an expired link = %d, want 403", code)
		}
	}
	if _, err := web.SignedLink(cfg, "reseller", "", time.Hour, time.Now(), os.Getenv); err == nil {
		t.Errorf("SignedLink for a public page succeeded")
	}
}

package admin_test

import (
	"bufio"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/admin"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/sso"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// The OpenID provider is real: panva's oidc-provider (OpenID certified),
// run by node from test/oidc (installed by .ci/run with npm ci; the path
// of its script is HERALD_OIDC_PROVIDER). HERALD_REQUIRE_OIDC=1 makes a
// missing one fail the test instead of skipping it.

type provider struct {
	issuer string
}

func oidcProvider(t *testing.T, redirect string, accounts map[string][]string) *provider {
	t.Helper()
	script := os.Getenv("HERALD_OIDC_PROVIDER")
	if script == "" {
		script, _ = filepath.Abs("../../test/oidc/provider.mjs")
	}
	node, nodeErr := exec.LookPath("node")
	_, scriptErr := os.Stat(filepath.Join(filepath.Dir(script), "node_modules", "oidc-provider"))
	if nodeErr != nil || scriptErr != nil {
		if os.Getenv("HERALD_REQUIRE_OIDC") == "1" {
			t.Fatalf("the OpenID provider is required (HERALD_REQUIRE_OIDC=1) but cannot run: node %v, %s: %v", nodeErr, script, scriptErr)
		}
		t.Skipf("no OpenID provider to test against (node: %v; %v); run npm ci in test/oidc", nodeErr, scriptErr)
	}
	accts := map[string]any{}
	for name, groups := range accounts {
		accts[name] = map[string]any{"groups": groups}
	}
	cfg, _ := json.Marshal(map[string]any{"client_id": "herald", "client_secret": "client secret for tests",
		"redirect_uris": []string{redirect}, "accounts": accts})
	path := filepath.Join(t.TempDir(), "provider.json")
	if err := os.WriteFile(path, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, script, path)
	stdin, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	var errs strings.Builder
	cmd.Stderr = &errs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Process.Kill() // by its pid: the process this test started
		_ = cmd.Wait()
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if iss, ok := strings.CutPrefix(sc.Text(), "ready "); ok {
				ready <- iss
			}
		}
	}()
	select {
	case iss := <-ready:
		if !strings.HasPrefix(iss, "http://127.0.0.1:") {
			t.Fatalf("provider issuer %q is not on loopback", iss)
		}
		return &provider{issuer: iss}
	case <-time.After(30 * time.Second):
		t.Fatalf("the OpenID provider did not start: %s", errs.String())
	}
	return nil
}

// ssoBrowser follows redirects across Herald and the provider with one
// cookie jar, as a browser does, and stops at Herald's answers.
type ssoBrowser struct {
	t      *testing.T
	hc     *http.Client
	herald string
	trail  []string // every address requested
}

func newSSOBrowser(t *testing.T, herald string) *ssoBrowser {
	jar, _ := cookiejar.New(nil)
	return &ssoBrowser{t: t, herald: herald, hc: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type ssoPage struct {
	url  string
	code int
	body string
}

// visit sends a request and follows redirects until a page that is not one.
func (b *ssoBrowser) visit(method, u string, form url.Values) ssoPage {
	b.t.Helper()
	for range 20 {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, err := http.NewRequest(method, u, body)
		if err != nil {
			b.t.Fatal(err)
		}
		b.trail = append(b.trail, u)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if strings.HasPrefix(u, b.herald) && method == http.MethodPost {
			req.Header.Set("Origin", b.herald)
		}
		res, err := b.hc.Do(req)
		if err != nil {
			b.t.Fatalf("%s %s: %v", method, u, err)
		}
		data, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if loc := res.Header.Get("Location"); res.StatusCode >= 300 && res.StatusCode < 400 && loc != "" {
			next, err := req.URL.Parse(loc)
			if err != nil {
				b.t.Fatal(err)
			}
			u, method, form = next.String(), http.MethodGet, nil
			continue
		}
		return ssoPage{url: u, code: res.StatusCode, body: string(data)}
	}
	b.t.Fatalf("too many redirects from %s", u)
	return ssoPage{}
}

var formAction = regexp.MustCompile(`<form[^>]*action="([^"]+)"`)

// submit posts the page's first form with these fields.
func (b *ssoBrowser) submit(p ssoPage, fields url.Values) ssoPage {
	b.t.Helper()
	m := formAction.FindStringSubmatch(p.body)
	if m == nil {
		b.t.Fatalf("no form on %s (%d): %.400s", p.url, p.code, p.body)
	}
	base, _ := url.Parse(p.url)
	action, err := base.Parse(html.UnescapeString(m[1]))
	if err != nil {
		b.t.Fatal(err)
	}
	return b.visit(http.MethodPost, action.String(), fields)
}

// signInAt goes through the provider's login and consent as account.
func (b *ssoBrowser) signInAt(prov *provider, next, account string) ssoPage {
	b.t.Helper()
	p := b.visit(http.MethodGet, b.herald+"/admin/oidc/start?next="+url.QueryEscape(next), nil)
	if !strings.HasPrefix(p.url, prov.issuer) {
		b.t.Fatalf("start did not lead to the provider: %s (%d) %.300s", p.url, p.code, p.body)
	}
	p = b.submit(p, url.Values{"prompt": {"login"}, "login": {account}, "password": {"any password"}})
	if strings.HasPrefix(p.url, prov.issuer) {
		p = b.submit(p, url.Values{"prompt": {"consent"}})
	}
	return p
}

func TestSingleSignOn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, be storetest.Backend) {
		var (
			mu  sync.Mutex
			cfg config.Config
		)
		live := func() config.Config { mu.Lock(); defer mu.Unlock(); return cfg }
		f := newFixture(t, be, func(d *admin.Deps) {
			d.Config = live
			d.SSO = sso.New(live, func(k string) string {
				if k == "HERALD_TEST_OIDC_SECRET" {
					return "client secret for tests"
				}
				return ""
			}, nil)
		})
		redirect := f.srv.URL + "/admin/oidc/callback"
		prov := oidcProvider(t, redirect, map[string][]string{
			"olivia": {"staff", "herald-admins"},
			"eddie":  {"herald-editors"},
			"nora":   {"staff"},
			"alice":  {"herald-viewers"},
		})
		parsed, err := config.Parse("test.yaml", []byte(testConfig+`
admin:
  oidc:
    issuer: `+prov.issuer+`
    client_id: herald
    client_secret_env: HERALD_TEST_OIDC_SECRET
    redirect_url: `+redirect+`
    label: Sign in with Example ID
    role_claim: groups
    roles:
      admin: [herald-admins]
      editor: [herald-editors]
      viewer: [herald-viewers]
`))
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		cfg = parsed
		mu.Unlock()

		t.Run("the sign-in page offers it", func(t *testing.T) {
			p := newSSOBrowser(t, f.srv.URL).visit(http.MethodGet, f.srv.URL+"/admin/login", nil)
			if !strings.Contains(p.body, `href="/admin/oidc/start?next=%2fadmin"`) || !strings.Contains(p.body, "Sign in with Example ID") {
				t.Errorf("login page lacks the single sign-on button:\n%s", p.body)
			}
		})

		t.Run("admin from the groups claim", func(t *testing.T) {
			b := newSSOBrowser(t, f.srv.URL)
			p := b.signInAt(prov, "/admin/users", "olivia")
			if p.url != f.srv.URL+"/admin/users" || p.code != http.StatusOK || !strings.Contains(p.body, "Signed in as <strong>olivia</strong>") ||
				!strings.Contains(p.body, `<span class="role">admin</span>`) {
				t.Fatalf("after single sign-on: %s (%d)\n%.2000s", p.url, p.code, p.body)
			}
			if !strings.Contains(p.body, "single sign-on") {
				t.Error("the users screen does not mark olivia's account as single sign-on")
			}
		})

		t.Run("editor from the groups claim", func(t *testing.T) {
			b := newSSOBrowser(t, f.srv.URL)
			p := b.signInAt(prov, "/admin", "eddie")
			if p.code != http.StatusOK || !strings.Contains(p.body, `<span class="role">editor</span>`) {
				t.Fatalf("eddie: %s (%d)\n%.1500s", p.url, p.code, p.body)
			}
			if p := b.visit(http.MethodGet, f.srv.URL+"/admin/users", nil); p.code != http.StatusForbidden {
				t.Errorf("an editor by single sign-on reached the users screen: %d", p.code)
			}
		})

		t.Run("no role is refused", func(t *testing.T) {
			b := newSSOBrowser(t, f.srv.URL)
			p := b.signInAt(prov, "/admin", "nora")
			if p.code != http.StatusForbidden || !strings.Contains(p.body, "gives that account no role") || !strings.Contains(p.body, "nora") {
				t.Fatalf("nora (no mapped group): %s (%d)\n%.1500s", p.url, p.code, p.body)
			}
			if p := b.visit(http.MethodGet, f.srv.URL+"/admin", nil); p.url != f.srv.URL+"/admin/login" {
				t.Errorf("nora reached %s after being refused", p.url)
			}
			if _, err := f.store.UserByName(t.Context(), "nora"); err == nil {
				t.Error("an account was made for someone without a role")
			}
		})

		t.Run("a local name is not taken over", func(t *testing.T) {
			b := newSSOBrowser(t, f.srv.URL)
			p := b.signInAt(prov, "/admin", "alice")
			if p.code != http.StatusOK || !strings.Contains(p.body, "Signed in as <strong>alice-2</strong>") || !strings.Contains(p.body, `<span class="role">viewer</span>`) {
				t.Fatalf("alice at the provider: %s (%d)\n%.1500s", p.url, p.code, p.body)
			}
		})

		t.Run("bad state is refused", func(t *testing.T) {
			b := newSSOBrowser(t, f.srv.URL)
			start := b.visit(http.MethodGet, f.srv.URL+"/admin/oidc/start", nil)
			if !strings.HasPrefix(start.url, prov.issuer) {
				t.Fatalf("start: %s", start.url)
			}
			p := b.visit(http.MethodGet, f.srv.URL+"/admin/oidc/callback?code=forged&state=forged", nil)
			if p.code != http.StatusBadRequest || !strings.Contains(p.body, "does not match a sign-in started in this browser") {
				t.Errorf("forged state: %d\n%.2000s", p.code, p.body)
			}
			// A callback without the cookie of a started sign-in, even with
			// a well-formed state, is refused too.
			fresh := newSSOBrowser(t, f.srv.URL)
			if p := fresh.visit(http.MethodGet, f.srv.URL+"/admin/oidc/callback?code=x&state=y", nil); p.code != http.StatusBadRequest {
				t.Errorf("callback without a started sign-in: %d", p.code)
			}
		})

		t.Run("the callback is good once", func(t *testing.T) {
			b := newSSOBrowser(t, f.srv.URL)
			if p := b.signInAt(prov, "/admin", "olivia"); p.code != http.StatusOK {
				t.Fatalf("sign-in: %d", p.code)
			}
			var callback string
			for _, u := range b.trail {
				if strings.HasPrefix(u, f.srv.URL+"/admin/oidc/callback?") {
					callback = u
				}
			}
			if callback == "" {
				t.Fatalf("no callback among %q", b.trail)
			}
			if p := b.visit(http.MethodGet, callback, nil); p.code != http.StatusBadRequest {
				t.Errorf("the same callback again: %d, want 400", p.code)
			}
		})

		t.Run("local accounts still sign in", func(t *testing.T) {
			c := f.client(t)
			r := c.do("POST", "/admin/login", url.Values{"username": {"alice"}, "password": {alicePW}, "next": {"/admin"}}, nil)
			if r.code != http.StatusSeeOther {
				t.Fatalf("local sign-in: %d %s", r.code, r.body)
			}
			if r := c.get("/admin/users"); r.code != http.StatusOK || !strings.Contains(r.body, "Signed in as <strong>alice</strong>") {
				t.Errorf("after local sign-in: %d", r.code)
			}
		})

		// Last: it leaves this address limited.
		t.Run("forged answers are limited", func(t *testing.T) {
			b := newSSOBrowser(t, f.srv.URL)
			limited := false
			for range 12 {
				p := b.visit(http.MethodGet, f.srv.URL+"/admin/oidc/callback?code=x&state=y", nil)
				if p.code == http.StatusTooManyRequests {
					limited = true
					break
				}
				if p.code != http.StatusBadRequest {
					t.Fatalf("forged answer: %d", p.code)
				}
			}
			if !limited {
				t.Error("12 forged answers from one address were all judged; want the client limited")
			}
		})
	})
}

package admin_test

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/admin"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/sso"
	"github.com/heraldhq/herald/internal/sso/ssotest"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// The OpenID provider is real: Ory Hydra (OpenID Certified), started on
// loopback by ssotest with a login and consent app of the test's own.

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

// atLogin checks that a sign-in started at Herald went through the
// provider's authorization endpoint and now shows its login form.
func (b *ssoBrowser) atLogin(prov *ssotest.Provider, p ssoPage) {
	b.t.Helper()
	authorized := false
	for _, u := range b.trail {
		authorized = authorized || strings.HasPrefix(u, prov.Issuer+"/oauth2/auth?")
	}
	if !authorized || !strings.HasPrefix(p.url, prov.Login+"/login?") {
		b.t.Fatalf("start did not lead to the provider's login: %s (%d) %.300s\ntrail: %q", p.url, p.code, p.body, b.trail)
	}
}

// signInAt signs in at the provider as account; its consent is given
// without a question, and the browser ends at Herald's answer.
func (b *ssoBrowser) signInAt(prov *ssotest.Provider, next, account string) ssoPage {
	b.t.Helper()
	p := b.visit(http.MethodGet, b.herald+"/admin/oidc/start?next="+url.QueryEscape(next), nil)
	b.atLogin(prov, p)
	return b.submit(p, url.Values{"login": {account}, "password": {"any password"}})
}

func TestSingleSignOn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, be storetest.Backend) {
		var (
			mu   sync.Mutex
			cfg  config.Config
			prov *ssotest.Provider
		)
		live := func() config.Config { mu.Lock(); defer mu.Unlock(); return cfg }
		f := newFixture(t, be, func(d *admin.Deps) {
			d.Config = live
			d.SSO = sso.New(live, func(k string) string {
				if k == "HERALD_TEST_OIDC_SECRET" {
					return prov.ClientSecret
				}
				return ""
			}, nil)
		})
		redirect := f.srv.URL + "/admin/oidc/callback"
		prov = ssotest.Start(t, redirect, map[string]ssotest.Account{
			"olivia": {Groups: []string{"staff", "herald-admins"}},
			"eddie":  {Groups: []string{"herald-editors"}},
			"nora":   {Groups: []string{"staff"}},
			"alice":  {Groups: []string{"herald-viewers"}},
			"mia":    {Groups: []string{"herald-viewers", "herald-admins", "herald-editors"}},
			"rita":   {Groups: []string{"herald-viewers"}, Email: "rita@example.test"},
		})
		parsed, err := config.Parse("test.yaml", []byte(testConfig+`
admin:
  oidc:
    issuer: `+prov.Issuer+`
    client_id: `+prov.ClientID+`
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

		t.Run("the most trusted match wins", func(t *testing.T) {
			p := newSSOBrowser(t, f.srv.URL).signInAt(prov, "/admin", "mia")
			if p.code != http.StatusOK || !strings.Contains(p.body, "Signed in as <strong>mia</strong>") || !strings.Contains(p.body, `<span class="role">admin</span>`) {
				t.Fatalf("mia (viewer, admin and editor groups): %s (%d)\n%.1500s", p.url, p.code, p.body)
			}
		})

		t.Run("the claim is read again at each sign-in", func(t *testing.T) {
			p := newSSOBrowser(t, f.srv.URL).signInAt(prov, "/admin", "rita")
			if p.code != http.StatusOK || !strings.Contains(p.body, `<span class="role">viewer</span>`) {
				t.Fatalf("rita as a viewer: %s (%d)\n%.1500s", p.url, p.code, p.body)
			}
			prov.SetGroups("rita", "herald-editors")
			p = newSSOBrowser(t, f.srv.URL).signInAt(prov, "/admin", "rita")
			if p.code != http.StatusOK || !strings.Contains(p.body, "Signed in as <strong>rita</strong>") || !strings.Contains(p.body, `<span class="role">editor</span>`) {
				t.Fatalf("rita after the provider made her an editor: %s (%d)\n%.1500s", p.url, p.code, p.body)
			}
			if u, err := f.store.UserByName(t.Context(), "rita"); err != nil || u.Role != "editor" {
				t.Errorf("rita's account after the second sign-in: %+v, %v", u, err)
			}
			prov.SetGroups("rita", "staff")
			if p := newSSOBrowser(t, f.srv.URL).signInAt(prov, "/admin", "rita"); p.code != http.StatusForbidden || !strings.Contains(p.body, "gives that account no role") {
				t.Errorf("rita out of every mapped group: %s (%d)\n%.1500s", p.url, p.code, p.body)
			}
		})

		t.Run("no role is refused", func(t *testing.T) {
			b := newSSOBrowser(t, f.srv.URL)
			p := b.signInAt(prov, "/admin", "nora")
			if p.code != http.StatusForbidden || !strings.Contains(p.body, "gives that account no role") || !strings.Contains(p.body, "nora") ||
				!strings.Contains(p.body, "your groups do not include") {
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
			b.atLogin(prov, start)
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

		t.Run("a refusal at the provider is shown", func(t *testing.T) {
			p := newSSOBrowser(t, f.srv.URL).signInAt(prov, "/admin", "mallory")
			if p.code != http.StatusBadGateway || !strings.Contains(p.body, "The sign-in provider refused the sign-in") {
				t.Errorf("an account the provider does not know: %s (%d)\n%.1500s", p.url, p.code, p.body)
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

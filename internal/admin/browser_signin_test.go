package admin_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/internal/admin"
	"github.com/heraldhq/herald/internal/browsertest"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/sso"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// snap saves the page the browser is on (a form's answer, which a new
// navigation would lose) at desktop and phone widths, and checks nothing
// sticks out sideways.
func (b *browser) snap(ctx context.Context, name string) {
	b.t.Helper()
	for _, width := range []int64{1280, 390} {
		var opts []chromedp.EmulateViewportOption
		if width < 600 {
			opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
		}
		b.do(ctx, name, chromedp.EmulateViewport(width, 900, opts...))
		if err := browsertest.Screenshot(ctx, fmt.Sprintf("admin-%s-%d.png", name, width)); err != nil {
			b.t.Fatal(err)
		}
		if over := b.eval(ctx, "String(document.documentElement.scrollWidth > window.innerWidth + 1)"); over != "false" {
			b.t.Errorf("%s at %d px scrolls sideways", name, width)
		}
	}
	b.do(ctx, "reset", chromedp.EmulateViewport(1280, 900))
}

// TestBrowserSignIn walks the sign-in screens in Chromium: the single
// sign-on button, the enrolment an admin is sent to, the recovery codes
// and the code asked for after the password; each passes axe.
func TestBrowserSignIn(t *testing.T) {
	b := startBrowser(t)
	axe := browsertest.AxeSource(t)
	cfg, err := config.Parse("test.yaml", []byte(testConfig+`
admin:
  require_totp: [admin]
  oidc:
    issuer: http://127.0.0.1:9/
    client_id: herald
    client_secret_env: HERALD_TEST_OIDC_SECRET
    label: Sign in with Example ID
    roles: {admin: [ops]}
`))
	if err != nil {
		t.Fatal(err)
	}
	live := func() config.Config { return cfg }
	f := newFixture(t, storetest.SQLite(t), func(d *admin.Deps) {
		// The button only: no test here follows it to a provider (TestSingleSignOn does).
		d.Config, d.SSO = live, sso.New(live, func(string) string { return "x" }, nil)
	})
	u := f.srv.URL

	b.step("sign-in page", func(ctx context.Context) {
		b.shots(ctx, "login-sso", u+"/admin/login", false)
		b.do(ctx, "open", chromedp.Navigate(u+"/admin/login"))
		b.want(ctx, ".login", "Sign in with Example ID")
		b.axe(ctx, "login with single sign-on", axe)
	})
	var secret string
	b.step("enrolment", func(ctx context.Context) {
		b.do(ctx, "type", chromedp.SendKeys(chromedp.CSS("#username"), "alice"), chromedp.SendKeys(chromedp.CSS("#password"), alicePW))
		b.submit(ctx, "form button[type=submit]")
		if loc := b.location(ctx); loc != u+"/admin/account/totp" {
			t.Fatalf("an admin without a second factor landed on %s", loc)
		}
		b.want(ctx, "main", "Your role needs a second factor")
		secret = b.text(ctx, "code.key")
		b.shots(ctx, "totp-setup", u+"/admin/account/totp", false)
		b.shots(ctx, "totp-setup", u+"/admin/account/totp", true)
		// shots loaded a new key: read the one on the page now.
		b.do(ctx, "open", chromedp.Navigate(u+"/admin/account/totp"))
		secret = b.text(ctx, "code.key")
		b.axe(ctx, "second factor set-up", axe)
	})
	b.step("recovery codes", func(ctx context.Context) {
		b.do(ctx, "type", chromedp.SendKeys(chromedp.CSS("#code"), totpCode(t, secret, f.clock.Now())))
		b.submit(ctx, "form[action='/admin/account/totp'] button")
		b.want(ctx, "main", "your recovery codes")
		if n := b.eval(ctx, "String(document.querySelectorAll('.codes li').length)"); n != "10" {
			t.Errorf("%s recovery codes shown, want 10", n)
		}
		b.snap(ctx, "totp-codes")
		b.axe(ctx, "recovery codes", axe)
	})
	b.step("code after the password", func(ctx context.Context) {
		b.submit(ctx, `form[action="/admin/logout"] button`)
		b.do(ctx, "open", chromedp.Navigate(u+"/admin/login"))
		b.do(ctx, "type", chromedp.SendKeys(chromedp.CSS("#username"), "alice"), chromedp.SendKeys(chromedp.CSS("#password"), alicePW))
		b.submit(ctx, "form button[type=submit]")
		b.want(ctx, "h1", "Enter your code")
		b.snap(ctx, "login-code")
		b.axe(ctx, "the code form", axe)
		f.clock.Add(60e9)
		b.do(ctx, "type", chromedp.SendKeys(chromedp.CSS("#code"), totpCode(t, secret, f.clock.Now())))
		b.submit(ctx, "form button[type=submit]")
		if loc := b.location(ctx); !strings.HasSuffix(loc, "/admin") {
			t.Errorf("after the code the browser is at %s", loc)
		}
		b.want(ctx, ".who", "alice")
	})
}

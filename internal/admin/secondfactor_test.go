package admin_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/heraldhq/herald/internal/admin"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/store/storetest"
)

var (
	keyOnPage   = regexp.MustCompile(`<code class="key">([A-Z2-7]+)</code>`)
	codesOnPage = regexp.MustCompile(`<li><code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</code></li>`)
)

func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSecondFactorRequiredForAdmins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		cfg, err := config.Parse("test.yaml", []byte(testConfig+"admin:\n  require_totp: [admin]\n"))
		if err != nil {
			t.Fatal(err)
		}
		f := newFixture(t, b, func(d *admin.Deps) { d.Config = func() config.Config { return cfg } })

		// An admin without a second factor is sent to set it up before anything else.
		c := f.as(t, "alice")
		r := c.get("/admin/incidents")
		if r.code != http.StatusFound || r.header.Get("Location") != "/admin/account/totp" {
			t.Fatalf("admin without a second factor: %d to %q, want 302 to /admin/account/totp", r.code, r.header.Get("Location"))
		}
		wantCode(t, "a change before enrolling", c.post("/admin/incidents/1/resolve", url.Values{"body": {"x"}}), http.StatusForbidden)
		r = c.get("/admin/account/totp")
		wantCode(t, "enrolment page", r, http.StatusOK)
		wantBody(t, "enrolment page", r, "Your role needs a second factor", `src="data:image/png;base64,`)
		m := keyOnPage.FindStringSubmatch(r.body)
		if m == nil {
			t.Fatalf("no key on the enrolment page\n%s", snippet(r.body))
		}
		secret := m[1]

		// A wrong code keeps the same key on the page.
		r = c.post("/admin/account/totp", url.Values{"secret": {secret}, "code": {"000000"}})
		if totpCode(t, secret, f.clock.Now()) != "000000" {
			wantCode(t, "wrong enrolment code", r, http.StatusUnprocessableEntity)
			wantBody(t, "wrong enrolment code", r, "That code does not match", `<code class="key">`+secret+`</code>`)
		}
		r = c.post("/admin/account/totp", url.Values{"secret": {secret}, "code": {totpCode(t, secret, f.clock.Now())}})
		wantCode(t, "enrol", r, http.StatusOK)
		codes := codesOnPage.FindAllStringSubmatch(r.body, -1)
		if len(codes) != 10 {
			t.Fatalf("%d recovery codes shown, want 10\n%s", len(codes), snippet(r.body))
		}
		wantCode(t, "dashboard after enrolling", c.get("/admin/incidents"), http.StatusOK)
		// The role needs it: it cannot be turned off by its owner.
		wantCode(t, "turning it off", c.post("/admin/account/totp/reset", nil), http.StatusConflict)

		// Signing in now asks for the code after the password.
		f.clock.Add(time.Minute)
		c2 := f.client(t)
		r = c2.post("/admin/login", url.Values{"username": {"alice"}, "password": {alicePW}, "next": {"/admin/audit"}})
		wantCode(t, "password of an account with a second factor", r, http.StatusOK)
		wantBody(t, "code form", r, `action="/admin/login/code"`, `autocomplete="one-time-code"`)
		if r := c2.get("/admin"); r.code != http.StatusFound {
			t.Fatalf("the password alone gave a session: %d", r.code)
		}
		r = c2.post("/admin/login/code", url.Values{"code": {"123456"}, "next": {"/admin/audit"}})
		if totpCode(t, secret, f.clock.Now()) != "123456" {
			wantCode(t, "wrong code", r, http.StatusUnauthorized)
			wantBody(t, "wrong code", r, "That code is wrong or was used already")
		}
		code := totpCode(t, secret, f.clock.Now())
		r = c2.post("/admin/login/code", url.Values{"code": {code}, "next": {"/admin/audit"}})
		if r.code != http.StatusSeeOther || r.header.Get("Location") != "/admin/audit" {
			t.Fatalf("right code: %d to %q\n%s", r.code, r.header.Get("Location"), snippet(r.body))
		}
		wantCode(t, "signed in with the code", c2.get("/admin/audit"), http.StatusOK)

		// The same code again, in another browser, within its step: refused.
		c3 := f.client(t)
		wantCode(t, "password again", c3.post("/admin/login", url.Values{"username": {"alice"}, "password": {alicePW}}), http.StatusOK)
		wantCode(t, "replayed code", c3.post("/admin/login/code", url.Values{"code": {code}}), http.StatusUnauthorized)
		// A recovery code works instead.
		r = c3.post("/admin/login/code", url.Values{"code": {codes[0][1]}})
		wantCode(t, "recovery code", r, http.StatusSeeOther)
		r = c3.get("/admin/account/totp")
		wantBody(t, "codes left", r, "9 of 10 recovery codes left")

		// A code without a password first finds no sign-in waiting.
		r = f.client(t).post("/admin/login/code", url.Values{"code": {totpCode(t, secret, f.clock.Now())}})
		wantCode(t, "code without a password", r, http.StatusUnauthorized)
		wantBody(t, "code without a password", r, "enter your password again")

		// Editors need none here: erin goes straight on.
		wantCode(t, "editor without a second factor", f.as(t, "erin").get("/admin/incidents"), http.StatusOK)

		// An admin resets it for a lost phone; the password alone signs in again.
		r = f.as(t, "erin").post("/admin/users/alice/totp-reset", nil)
		wantCode(t, "an editor resetting", r, http.StatusForbidden)
		if _, err := f.accounts.AddUser(t.Context(), "cli", "adam", "admin", "adam password 1"); err != nil {
			t.Fatal(err)
		}
		adam := f.client(t).login("adam", "adam password 1")
		// adam must enrol first too, so alice resets from her own session.
		wantCode(t, "adam before enrolling", adam.post("/admin/users/alice/totp-reset", nil), http.StatusForbidden)
		r = c2.post("/admin/users/alice/totp-reset", nil)
		if r.code != http.StatusSeeOther || !strings.Contains(r.header.Get("Location"), "totpreset") {
			t.Fatalf("reset: %d %q\n%s", r.code, r.header.Get("Location"), snippet(r.body))
		}
		f.client(t).login("alice", alicePW)
	})
}

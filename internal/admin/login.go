package admin

import (
	"errors"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/heraldhq/herald/internal/auth"
	"github.com/heraldhq/herald/internal/peer"
	"github.com/heraldhq/herald/internal/refusal"
)

type loginData struct {
	Username, Next, Error string
	// SSO is the single sign-on button's text, "" when it is off.
	SSO string
}

// ssoLabel is the single sign-on button's text, "" when it is off.
func (a *Admin) ssoLabel() string {
	if a.SSO == nil {
		return ""
	}
	return a.SSO.Label()
}

// safeNext keeps a post-sign-in redirect on the admin pages: the path is
// decoded and cleaned, and anything that is not /admin or under it (dot
// segments climbing out, a scheme or host, "//host", backslashes, control
// characters, percent-encoded forms of any of them) gives /admin.
func safeNext(next string) string {
	const home = "/admin"
	if next == "" || len(next) > 2048 || strings.ContainsAny(next, "\\\x00\t\r\n") {
		return home
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") ||
		strings.ContainsAny(u.Path, "%\\\x00\t\r\n") || strings.ContainsAny(u.RawQuery, "\\") {
		return home
	}
	p := path.Clean(u.Path)
	if p != home && !strings.HasPrefix(p, home+"/") || p == "/admin/login" || p == "/admin/logout" {
		return home
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p
}

func (a *Admin) loginPage(w http.ResponseWriter, r *http.Request) {
	if s, err := a.session(r); err == nil && s != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusFound)
		return
	}
	a.render(w, r, nil, http.StatusOK, "login", "Sign in", "", loginData{Next: safeNext(r.URL.Query().Get("next")), SSO: a.ssoLabel()})
}

// clientAddress is who signs in, as every limit and log line sees it.
func clientAddress(r *http.Request) string { return peer.From(r).String() }

func (a *Admin) login(w http.ResponseWriter, r *http.Request) {
	// A client over its limit is refused before its form is read: a flood
	// of refused attempts costs no parsing and no password hash.
	var lim *auth.LimitedError
	if err := a.Auth.Admit(clientAddress(r)); errors.As(err, &lim) {
		w.Header().Set("Retry-After", itoa(int64(lim.Retry.Seconds())+1))
		refusal.WritePage(w, upper1(lim.Error())+".", "/admin/login")
		return
	}
	f, err := form(r, []string{"username", "password", "next"})
	if err != nil {
		a.serviceError(w, r, nil, err)
		return
	}
	d := loginData{Username: strings.TrimSpace(f.Get("username")), Next: safeNext(f.Get("next")), SSO: a.ssoLabel()}
	if d.Username == "" || f.Get("password") == "" {
		d.Error = "Enter your user name and password."
		a.render(w, r, nil, http.StatusUnprocessableEntity, "login", "Sign in", "", d)
		return
	}
	token, _, err := a.Auth.Login(r.Context(), d.Username, f.Get("password"), clientAddress(r), r.UserAgent())
	var second *auth.SecondFactorError
	switch {
	case errors.As(err, &second):
		setCodeCookie(w, r, second.Challenge, int(codeCookieAge.Seconds()))
		a.render(w, r, nil, http.StatusOK, "login_code", "Enter your code", "", codeData{Next: d.Next})
		return
	case errors.As(err, &lim):
		a.limited(w, r, d, lim)
		return
	case errors.Is(err, auth.ErrBadLogin):
		d.Error = "Wrong user name or password."
		a.render(w, r, nil, http.StatusUnauthorized, "login", "Sign in", "", d)
		return
	case err != nil:
		a.internal(w, r, nil, err)
		return
	}
	setSessionCookie(w, r, token, 0)
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
}

func (a *Admin) limited(w http.ResponseWriter, r *http.Request, d loginData, lim *auth.LimitedError) {
	w.Header().Set("Retry-After", itoa(int64(lim.Retry.Seconds())+1))
	d.Error = upper1(lim.Error()) + "."
	a.render(w, r, nil, http.StatusTooManyRequests, "login", "Sign in", "", d)
}

func (a *Admin) logout(w http.ResponseWriter, r *http.Request, _ *session) error {
	if _, err := form(r, nil); err != nil {
		return err
	}
	if c, err := r.Cookie(cookieName); err == nil {
		if err := a.Auth.Logout(r.Context(), c.Value); err != nil {
			return err
		}
	}
	setSessionCookie(w, r, "", -1)
	return done(w, r, "/admin/login", "signedout")
}

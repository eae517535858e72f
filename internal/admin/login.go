package admin

import (
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/heraldhq/herald/internal/auth"
)

type loginData struct {
	Username, Next, Error string
}

// safeNext keeps a post-sign-in redirect on the admin pages.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/admin") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") ||
		strings.HasPrefix(next, "/admin/login") || strings.HasPrefix(next, "/admin/logout") {
		return "/admin"
	}
	return next
}

func (a *Admin) loginPage(w http.ResponseWriter, r *http.Request) {
	if s, err := a.session(r); err == nil && s != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusFound)
		return
	}
	a.render(w, r, nil, http.StatusOK, "login", "Sign in", "", loginData{Next: safeNext(r.URL.Query().Get("next"))})
}

func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (a *Admin) login(w http.ResponseWriter, r *http.Request) {
	f, err := form(r, []string{"username", "password", "next"})
	if err != nil {
		a.serviceError(w, r, nil, err)
		return
	}
	d := loginData{Username: strings.TrimSpace(f.Get("username")), Next: safeNext(f.Get("next"))}
	if d.Username == "" || f.Get("password") == "" {
		d.Error = "Enter your user name and password."
		a.render(w, r, nil, http.StatusUnprocessableEntity, "login", "Sign in", "", d)
		return
	}
	token, _, err := a.Auth.Login(r.Context(), d.Username, f.Get("password"), clientAddress(r), r.UserAgent())
	var lim *auth.LimitedError
	switch {
	case errors.As(err, &lim):
		w.Header().Set("Retry-After", itoa(int64(lim.Retry.Seconds())+1))
		d.Error = upper1(lim.Error()) + "."
		a.render(w, r, nil, http.StatusTooManyRequests, "login", "Sign in", "", d)
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

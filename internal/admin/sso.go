package admin

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/heraldhq/herald/internal/auth"
	"github.com/heraldhq/herald/internal/refusal"
	"github.com/heraldhq/herald/internal/sso"
)

// Single sign-on: /admin/oidc/start sends the browser to the provider,
// which sends it back to /admin/oidc/callback.

// ssoCookie keeps the state, nonce and PKCE verifier of a sign-in started
// in this browser; only the callback's path sees it.
const ssoCookie = "herald_oidc"

func setSSOCookie(w http.ResponseWriter, r *http.Request, value string, maxAge int) {
	// Lax, not Strict: the provider's redirect back is a navigation from its site.
	http.SetCookie(w, &http.Cookie{Name: ssoCookie, Value: value, Path: "/admin/oidc", MaxAge: maxAge,
		HttpOnly: true, Secure: secure(r), SameSite: http.SameSiteLaxMode})
}

func (a *Admin) ssoStart(w http.ResponseWriter, r *http.Request) {
	if a.ssoLabel() == "" {
		a.fail(w, r, nil, http.StatusNotFound, "Single sign-on is not set up on this Herald; sign in with a user name and password.")
		return
	}
	if a.ssoLimited(w, r) {
		return
	}
	to, keep, err := a.SSO.Start(r.Context(), safeNext(r.URL.Query().Get("next")))
	if err != nil {
		// A provider that cannot be reached is asked again only within
		// the client's sign-in limit.
		a.Auth.SSOFailed(clientAddress(r))
		a.ssoFailed(w, r, err)
		return
	}
	setSSOCookie(w, r, keep, 600)
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (a *Admin) ssoCallback(w http.ResponseWriter, r *http.Request) {
	if a.ssoLabel() == "" {
		a.fail(w, r, nil, http.StatusNotFound, "Single sign-on is not set up on this Herald; sign in with a user name and password.")
		return
	}
	if a.ssoLimited(w, r) {
		return
	}
	keep := ""
	if c, err := r.Cookie(ssoCookie); err == nil {
		keep = c.Value
	}
	setSSOCookie(w, r, "", -1) // one answer per sign-in started
	id, next, err := a.SSO.Finish(r.Context(), r.URL.Query(), keep)
	if err != nil {
		var noRole *sso.NoRoleError
		if !errors.As(err, &noRole) {
			a.Auth.SSOFailed(clientAddress(r))
		}
		a.ssoFailed(w, r, err)
		return
	}
	token, _, err := a.Auth.LoginSSO(r.Context(), id, clientAddress(r), r.UserAgent())
	if err != nil {
		a.ssoFailed(w, r, err)
		return
	}
	setSessionCookie(w, r, token, 0)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// ssoLimited refuses a client over its sign-in limit before Herald asks
// the provider anything: answers that did not check out count against it.
func (a *Admin) ssoLimited(w http.ResponseWriter, r *http.Request) bool {
	var lim *auth.LimitedError
	if err := a.Auth.Admit(clientAddress(r)); errors.As(err, &lim) {
		w.Header().Set("Retry-After", itoa(int64(lim.Retry.Seconds())+1))
		refusal.WritePage(w, upper1(lim.Error())+".", "/admin/login")
		return true
	}
	return false
}

// ssoFailed explains a single sign-on that did not work; what the
// provider said goes to the log only.
func (a *Admin) ssoFailed(w http.ResponseWriter, r *http.Request, err error) {
	var (
		noRole *sso.NoRoleError
		prov   *sso.ProviderError
	)
	switch {
	case errors.As(err, &noRole):
		a.Log.Warn("single sign-on refused: no role", slog.String("user", noRole.Name), slog.String("claim", noRole.Claim), slog.String("address", clientAddress(r)))
		a.fail(w, r, nil, http.StatusForbidden, "You signed in at the provider as "+noRole.Name+
			", but Herald gives that account no role: your "+noRole.Claim+" do not include one Herald maps to admin, editor or viewer. Ask an admin to add you to one.")
	case errors.Is(err, sso.ErrBadState):
		a.fail(w, r, nil, http.StatusBadRequest, upper1(err.Error())+".")
	case errors.Is(err, auth.ErrSSODisabled):
		a.fail(w, r, nil, http.StatusForbidden, upper1(err.Error())+".")
	case errors.As(err, &prov):
		a.Log.Error("single sign-on failed", slog.Any("err", err))
		a.fail(w, r, nil, http.StatusBadGateway, upper1(prov.Msg)+". Try again, or sign in with a user name and password.")
	default:
		a.serviceError(w, r, nil, err)
	}
}

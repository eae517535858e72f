package admin

import (
	"bytes"
	"encoding/base64"
	"errors"
	"html/template"
	"image/png"
	"net/http"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/auth"
	"github.com/heraldhq/herald/internal/refusal"
	"github.com/heraldhq/herald/internal/service"
)

// The second factor: the code asked for after the password, and the
// screen where a local user sets it up.

// codeCookie carries a sign-in that waits for its code (auth.LoginCode).
const codeCookie = "herald_code"

// codeCookieAge is a little less than the challenge's own life.
const codeCookieAge = 5 * time.Minute

func setCodeCookie(w http.ResponseWriter, r *http.Request, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: codeCookie, Value: value, Path: "/admin/login", MaxAge: maxAge,
		HttpOnly: true, Secure: secure(r), SameSite: http.SameSiteStrictMode})
}

type codeData struct{ Next, Error string }

func (a *Admin) loginCode(w http.ResponseWriter, r *http.Request) {
	var lim *auth.LimitedError
	if err := a.Auth.Admit(clientAddress(r)); errors.As(err, &lim) {
		w.Header().Set("Retry-After", itoa(int64(lim.Retry.Seconds())+1))
		refusal.WritePage(w, upper1(lim.Error())+".", "/admin/login")
		return
	}
	f, err := form(r, []string{"code", "next"})
	if err != nil {
		a.serviceError(w, r, nil, err)
		return
	}
	d := codeData{Next: safeNext(f.Get("next"))}
	challenge := ""
	if c, err := r.Cookie(codeCookie); err == nil {
		challenge = c.Value
	}
	token, _, err := a.Auth.LoginCode(r.Context(), challenge, f.Get("code"), clientAddress(r), r.UserAgent())
	switch {
	case errors.As(err, &lim):
		w.Header().Set("Retry-After", itoa(int64(lim.Retry.Seconds())+1))
		d.Error = upper1(lim.Error()) + "."
		a.render(w, r, nil, http.StatusTooManyRequests, "login_code", "Enter your code", "", d)
		return
	case errors.Is(err, auth.ErrBadCode):
		d.Error = "That code is wrong or was used already. Enter the code your app shows now, or a recovery code."
		a.render(w, r, nil, http.StatusUnauthorized, "login_code", "Enter your code", "", d)
		return
	case errors.Is(err, auth.ErrNoChallenge):
		setCodeCookie(w, r, "", -1)
		a.render(w, r, nil, http.StatusUnauthorized, "login", "Sign in", "",
			loginData{Next: d.Next, SSO: a.ssoLabel(), Error: upper1(err.Error()) + "."})
		return
	case err != nil:
		a.internal(w, r, nil, err)
		return
	}
	setCodeCookie(w, r, "", -1)
	setSessionCookie(w, r, token, 0)
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
}

// mustEnrol reports whether s's role needs a second factor it lacks.
func (a *Admin) mustEnrol(s *session) bool {
	return !s.User.SSO() && s.User.TOTPSecret == "" && a.Config().Admin.TOTPRequired(string(s.Role))
}

type totpData struct {
	SSO, On, Required bool
	Left              int
	// Enrolment: the new key, as text and as a QR code (a PNG data URI).
	Secret, URI string
	QR          template.URL // a data: URI made here, not from input
	Error       string
	// Codes are the recovery codes, shown once right after enrolment.
	Codes []string
}

func (a *Admin) totpPage(w http.ResponseWriter, r *http.Request, s *session) error {
	return a.renderTOTP(w, r, s, http.StatusOK, "", "")
}

// renderTOTP shows the second-factor screen; secret keeps the key being
// set up when a code was wrong.
func (a *Admin) renderTOTP(w http.ResponseWriter, r *http.Request, s *session, code int, secret, msg string) error {
	d := totpData{SSO: s.User.SSO(), On: s.User.TOTPSecret != "", Required: a.mustEnrol(s) ||
		!s.User.SSO() && a.Config().Admin.TOTPRequired(string(s.Role)), Error: msg}
	switch {
	case d.SSO:
	case d.On:
		n, err := a.Auth.RecoveryCodesLeft(r.Context(), s.User.ID)
		if err != nil {
			return err
		}
		d.Left = n
	default:
		issuer := a.Config().Page.Title
		if issuer == "" {
			issuer = "Herald"
		}
		key, err := auth.NewTOTPKey(issuer, s.User.Name)
		if err != nil {
			return err
		}
		if secret != "" {
			// The same key again: the app has it already.
			key, err = auth.TOTPKeyWith(issuer, s.User.Name, secret)
			if err != nil {
				return err
			}
		}
		d.Secret, d.URI = key.Secret(), key.URL()
		img, err := key.Image(240, 240)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			return err
		}
		d.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()))
	}
	a.render(w, r, s, code, "totp", "Second factor", "", d)
	return nil
}

func (a *Admin) totpEnable(w http.ResponseWriter, r *http.Request, s *session) error {
	f, err := form(r, []string{"secret", "code"})
	if err != nil {
		return err
	}
	secret := strings.TrimSpace(f.Get("secret"))
	if !auth.ValidTOTPSecret(secret) {
		return &service.InvalidError{Msg: "The form lost its key; reload the page and scan the new code."}
	}
	codes, err := a.Auth.EnableTOTP(r.Context(), s.Actor, s.User.Name, secret, f.Get("code"))
	if msg, ok := mistake(err, http.StatusUnprocessableEntity); ok {
		return a.renderTOTP(w, r, s, http.StatusUnprocessableEntity, secret, upper1(msg)+".")
	}
	if err != nil {
		return err
	}
	s.User.TOTPSecret = secret // for the header and the page below
	a.render(w, r, s, http.StatusOK, "totp", "Second factor", "", totpData{On: true, Left: len(codes), Codes: codes})
	return nil
}

// totpReset turns off a second factor: one's own (when the role does not
// need one), or, for admins, anyone's.
func (a *Admin) totpReset(w http.ResponseWriter, r *http.Request, s *session) error {
	if _, err := form(r, nil); err != nil {
		return err
	}
	name := r.PathValue("name")
	if name == "" {
		if a.Config().Admin.TOTPRequired(string(s.Role)) {
			return &service.ConflictError{Msg: "Your role needs a second factor, so it cannot be turned off; an admin can reset it (for a lost phone)."}
		}
		if err := a.Auth.ResetTOTP(r.Context(), s.Actor, s.User.Name); err != nil {
			return err
		}
		return done(w, r, "/admin/account/totp", "totpreset")
	}
	if err := a.Auth.ResetTOTP(r.Context(), s.Actor, name); err != nil {
		return a.userAgain(w, r, s, usersData{Section: name}, err)
	}
	return done(w, r, "/admin/users", "totpreset")
}

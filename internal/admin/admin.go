// Package admin serves /admin: the screens operators use to run the status
// page during an outage — sign-in, dashboard, incident editor, maintenance,
// monitors, subscribers, audit log, settings and users. Pages are rendered on
// the server and work without JavaScript; a small script only enhances them.
package admin

import (
	"context"
	"errors"
	"fmt"
	"github.com/heraldhq/herald/internal/customers"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/auth"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/markdown"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/sso"
	"github.com/heraldhq/herald/internal/store"
)

// Deps is what the admin screens need. Monitoring and Subscribers may be nil.
type Deps struct {
	Service     *service.Service
	Auth        *auth.Manager
	Config      func() config.Config
	Monitoring  Monitoring
	Subscribers Subscribers
	// Channels sends the operator channels' test messages; nil hides the buttons.
	Channels Channels
	// Customers looks customers' domains up for reports; nil hides that.
	Customers *customers.Directory
	// Database names the store in the settings screen ("sqlite", "postgres").
	Database string
	// SSO signs operators in through an OpenID provider; nil or without
	// admin.oidc in the configuration, only local accounts sign in.
	SSO *sso.Client
	Log *slog.Logger
}

// Admin is the /admin handler.
type Admin struct {
	Deps
	pages  map[string]*template.Template
	static *statics
	md     *markdown.Renderer
	cop    *http.CrossOriginProtection
	mux    *http.ServeMux
}

// New parses the templates and builds the routes.
func New(d Deps) (*Admin, error) {
	if d.Service == nil || d.Auth == nil || d.Config == nil {
		return nil, errors.New("admin: Service, Auth and Config are required")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	a := &Admin{Deps: d, md: markdown.New(), cop: http.NewCrossOriginProtection()}
	var err error
	if a.static, err = loadStatics(); err != nil {
		return nil, err
	}
	if a.pages, err = a.parsePages(); err != nil {
		return nil, err
	}
	a.cop.SetDenyHandler(http.HandlerFunc(a.forbiddenOrigin))
	a.routes()
	return a, nil
}

// Register mounts the admin screens on mux under /admin.
func (a *Admin) Register(mux interface{ Handle(string, http.Handler) }) {
	h := a.Handler()
	mux.Handle("/admin", h)
	mux.Handle("/admin/", h)
}

// maxForm bounds every request body: the longest field is a postmortem (64 KiB).
const maxForm = 256 << 10

// Handler is every admin route behind the security headers and the
// cross-origin check.
func (a *Admin) Handler() http.Handler {
	inner := a.cop.Handler(a.mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setHeaders(w.Header())
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		inner.ServeHTTP(w, r)
	})
}

// csp allows the admin's own stylesheet and script and nothing inline.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func setHeaders(h http.Header) {
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

// handler is an admin page handler run for a signed-in user.
type handler func(w http.ResponseWriter, r *http.Request, s *session) error

// session is the signed-in user of a request.
type session struct {
	User  *store.User
	Role  auth.Role
	Actor string // "user:alice", as the change log names people
}

// need is the least role a route requires.
type need int

const (
	anyone need = iota // any signed-in user
	editor             // admin or editor
	admin              // admin only
)

func (n need) allows(r auth.Role) bool {
	switch n {
	case editor:
		return r.CanEdit()
	case admin:
		return r.CanManageUsers()
	}
	return r != ""
}

const cookieName = "herald_session"

// page wraps a handler with the session check, the role check and error
// handling; a user whose role needs a second factor and who has none is
// sent to set it up first.
func (a *Admin) page(n need, h handler) http.Handler { return a.pageFor(n, h, false) }

// enrolPage is page for the screens a user who must set up a second
// factor may reach before doing so.
func (a *Admin) enrolPage(h handler) http.Handler { return a.pageFor(anyone, h, true) }

func (a *Admin) pageFor(n need, h handler, enrolling bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := a.session(r)
		if errors.Is(err, auth.ErrNoSession) {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				next := r.URL.Path
				if r.URL.RawQuery != "" {
					next += "?" + r.URL.RawQuery
				}
				target := "/admin/login"
				if next != "/admin" && next != "/admin/" {
					target += "?next=" + url.QueryEscape(next)
				}
				http.Redirect(w, r, target, http.StatusFound)
				return
			}
			a.fail(w, r, nil, http.StatusUnauthorized, "Your session has ended. Sign in again; what you typed was not saved.")
			return
		}
		if err != nil {
			a.internal(w, r, nil, err)
			return
		}
		if !enrolling && a.mustEnrol(s) {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/admin/account/totp", http.StatusFound)
				return
			}
			a.fail(w, r, s, http.StatusForbidden, "Your role needs a second factor: set it up first at /admin/account/totp.")
			return
		}
		if !n.allows(s.Role) {
			msg := "Your role (" + string(s.Role) + ") may look but not change anything here. Ask an admin if you need to."
			if n == admin {
				msg = "Only admins may manage user accounts."
			}
			a.fail(w, r, s, http.StatusForbidden, msg)
			return
		}
		if err := h(w, r, s); err != nil {
			a.serviceError(w, r, s, err)
		}
	})
}

func (a *Admin) session(r *http.Request) (*session, error) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return nil, auth.ErrNoSession
	}
	_, u, err := a.Auth.Session(r.Context(), c.Value)
	if err != nil {
		return nil, err
	}
	return &session{User: u, Role: auth.Role(u.Role), Actor: "user:" + u.Name}, nil
}

// secure reports whether the browser reached us over HTTPS, directly or through a proxy.
func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func setSessionCookie(w http.ResponseWriter, r *http.Request, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: value, Path: "/admin", MaxAge: maxAge,
		HttpOnly: true, Secure: secure(r), SameSite: http.SameSiteLaxMode})
}

// serviceError turns an error from the service or auth into a page: the
// message of a client mistake is shown, an internal one is only logged.
func (a *Admin) serviceError(w http.ResponseWriter, r *http.Request, s *session, err error) {
	if code, msg, ok := service.Safe(err); ok && code != http.StatusServiceUnavailable {
		a.fail(w, r, s, code, msg)
		return
	}
	a.internal(w, r, s, err)
}

// mistake is the message of a client error (service.Safe) whose status is
// one of those a screen shows beside its form; others go to the error page.
func mistake(err error, shownBeside ...int) (string, bool) {
	code, msg, ok := service.Safe(err)
	if !ok || !slices.Contains(shownBeside, code) {
		return "", false
	}
	return msg, true
}

func (a *Admin) internal(w http.ResponseWriter, r *http.Request, s *session, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	if code, msg, ok := service.Safe(err); ok && code == http.StatusServiceUnavailable {
		// The database is down, read-only or full: worth trying again.
		a.Log.Warn("admin request: the database is unavailable", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
		w.Header().Set("Retry-After", "5")
		a.fail(w, r, s, code, msg)
		return
	}
	a.Log.Error("admin request failed", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
	a.fail(w, r, s, http.StatusInternalServerError, "Something went wrong on the server; it has been logged. Try again in a moment.")
}

// fail shows an error page with a safe message.
func (a *Admin) fail(w http.ResponseWriter, r *http.Request, s *session, code int, msg string) {
	title := http.StatusText(code)
	a.render(w, r, s, code, "error", title, "", map[string]any{"Code": code, "Message": msg, "Back": backLink(r)})
}

func (a *Admin) forbiddenOrigin(w http.ResponseWriter, r *http.Request) {
	a.Log.Warn("cross-origin request refused", slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.String("origin", r.Header.Get("Origin")), slog.String("sec-fetch-site", r.Header.Get("Sec-Fetch-Site")))
	a.fail(w, r, nil, http.StatusForbidden, "This request came from another site, so it was refused. Use the admin pages themselves to make changes.")
}

// backLink is where an error page sends the user back to: the page the form
// was on, when it is an admin page.
func backLink(r *http.Request) string {
	p := r.URL.Path
	for _, suffix := range []string{"/publish", "/update", "/resolve", "/postmortem", "/edit", "/components",
		"/complete", "/cancel", "/role", "/disable", "/enable", "/password"} {
		if strings.HasSuffix(p, suffix) {
			return strings.TrimSuffix(p, suffix)
		}
	}
	if strings.HasPrefix(p, "/admin") && r.Method == http.MethodPost {
		return p
	}
	return "/admin"
}

// formError is a mistake in a submitted form, with the status to answer.
type formError struct {
	status int
	msg    string
}

func (e *formError) Error() string { return e.msg }

// ClientStatus makes a form mistake a client error (service.Safe).
func (e *formError) ClientStatus() int { return e.status }

func badForm(format string, args ...any) error {
	return &formError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// form reads a POSTed form strictly: url-encoded only, within maxForm, every
// field named in allowed (a trailing '*' allows a prefix), each once unless
// it is listed in multi.
func form(r *http.Request, allowed []string, multi ...string) (url.Values, error) {
	ct := r.Header.Get("Content-Type")
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	if strings.TrimSpace(strings.ToLower(ct)) != "application/x-www-form-urlencoded" {
		return nil, &formError{http.StatusUnsupportedMediaType, "Forms are sent as application/x-www-form-urlencoded."}
	}
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &formError{http.StatusRequestEntityTooLarge, fmt.Sprintf("The form is too large (at most %d KiB).", maxForm>>10)}
		}
		return nil, badForm("The form could not be read.")
	}
	for k, v := range r.PostForm {
		if !fieldAllowed(k, allowed) {
			return nil, badForm("Unexpected form field %q.", k)
		}
		if len(v) > 1 && !contains(multi, k) && !fieldAllowed(k, multi) {
			return nil, badForm("Form field %q was sent more than once.", k)
		}
	}
	return r.PostForm, nil
}

func fieldAllowed(k string, allowed []string) bool {
	for _, a := range allowed {
		if a == k || strings.HasSuffix(a, "*") && strings.HasPrefix(k, strings.TrimSuffix(a, "*")) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// done redirects after a successful change, naming what happened for the notice.
func done(w http.ResponseWriter, r *http.Request, to, notice string) error {
	frag := ""
	if i := strings.IndexByte(to, '#'); i >= 0 {
		to, frag = to[:i], to[i:]
	}
	defer func() { http.Redirect(w, r, to+frag, http.StatusSeeOther) }()
	if notice != "" {
		sep := "?"
		if strings.Contains(to, "?") {
			sep = "&"
		}
		to += sep + "done=" + notice
	}
	return nil
}

// notices are the only texts a ?done= parameter can show, so a link cannot
// put words on an admin page.
var notices = map[string]string{
	"created":     "Incident opened.",
	"draft":       "Draft saved. It is not public until you publish it.",
	"published":   "Published. The public page shows it now.",
	"updated":     "Update posted.",
	"resolved":    "Incident resolved.",
	"postmortem":  "Postmortem saved.",
	"edited":      "Changes saved.",
	"scheduled":   "Maintenance scheduled.",
	"added":       "Servers and services added to the window.",
	"mupdate":     "Update posted to the window.",
	"completed":   "Maintenance marked complete.",
	"cancelled":   "Maintenance cancelled.",
	"series":      "Recurring maintenance scheduled: its next windows are announced.",
	"seriesended": "Series ended: its windows to come are cancelled.",
	"user":        "User added.",
	"role":        "Role changed.",
	"disabled":    "User disabled and signed out everywhere.",
	"enabled":     "User enabled.",
	"password":    "Password changed; that user's sessions were ended.",
	"signedout":   "You are signed out.",
	"totpreset":   "The second factor is off; the password alone signs in until a new one is set up.",
	"ownpassword": "Your password was changed. Sign in again.",
	"testsent":    "Test message queued; its result shows below in a moment (reload).",
}

func (a *Admin) now() time.Time { return a.Service.Now() }

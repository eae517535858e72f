package web

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/auth"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/locale"
)

// Private pages. Nothing rendered for a private page is served without
// access, which is had by its password, by a signed link (HMAC with the
// page's key, with an expiry), or through a session those give: a cookie
// signed the same way. A signed link may be for one server of the page (a
// customer's); its session then sees that server only. The page is
// rendered once for all its servers and once per server (the documents
// of a customer's view), so a request only checks a signature and picks a
// set: no anonymous request does expensive work but the rate-limited
// password check. Every response of a private page says noindex; it is
// left out of robots.txt's allowed paths, the mirror and page:'s
// documents (its servers are on no public page).

const (
	signInPath  = "/private/sign-in"
	accessParam = "access"
	minKeyLen   = 32
	noIndex     = "noindex, nofollow"
	// maxPasswordForm bounds the sign-in form's body.
	maxPasswordForm = 4 << 10
)

// signInTemplates are the private pages' sign-in page, per language.
var signInTemplates = langTemplates("signin.html", "templates/layout.html", "templates/signin.html")

// pageKey returns the key signing a private page's links and sessions.
func privateKey(p *config.PageEntry, getenv func(string) string) ([]byte, error) {
	if p.Private == nil {
		return nil, errors.New("page " + p.ID + " is not private")
	}
	k := getenv(p.Private.KeyEnv)
	if len(k) < minKeyLen {
		return nil, fmt.Errorf("page %s: the environment variable %s must hold a key of at least %d characters", p.ID, p.Private.KeyEnv, minKeyLen)
	}
	return []byte(k), nil
}

// token is EXPIRY.GROUP.SIGNATURE: until when, for which server ("" the
// whole page), signed with the page's key for the page and a purpose
// ("link" or "session"), so neither is taken for the other or another page.
func makeToken(key []byte, pageID, purpose, group string, until time.Time) string {
	exp := strconv.FormatInt(until.Unix(), 10)
	return exp + "." + group + "." + tokenMAC(key, pageID, purpose, exp, group)
}

func tokenMAC(key []byte, pageID, purpose, exp, group string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("herald page\x00" + pageID + "\x00" + purpose + "\x00" + exp + "\x00" + group))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkToken returns the server a good, unexpired token is for.
func checkToken(key []byte, pageID, purpose, tok string, now time.Time) (group string, until time.Time, ok bool) {
	exp, rest, ok1 := strings.Cut(tok, ".")
	group, sig, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || len(tok) > 256 {
		return "", time.Time{}, false
	}
	n, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || !now.Before(time.Unix(n, 0)) {
		return "", time.Time{}, false
	}
	want := tokenMAC(key, pageID, purpose, exp, group)
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return "", time.Time{}, false
	}
	return group, time.Unix(n, 0), true
}

// SignedLink is an address that opens private page id until valid has
// passed from now: the whole page, or with group one server of it.
func SignedLink(cfg config.Config, id, group string, valid time.Duration, now time.Time, getenv func(string) string) (string, error) {
	for i := range cfg.Pages {
		p := &cfg.Pages[i]
		if p.ID != id {
			continue
		}
		key, err := privateKey(p, getenv)
		if err != nil {
			return "", err
		}
		if group != "" && !p.Shows(group) {
			return "", fmt.Errorf("page %s does not show %q", id, group)
		}
		base, err := pageBase(cfg, p)
		if err != nil {
			return "", err
		}
		return base + "/?" + accessParam + "=" + url.QueryEscape(makeToken(key, p.ID, "link", group, now.Add(valid))), nil
	}
	return "", fmt.Errorf("no page %q in pages:", id)
}

func cookieName(p *pageSet) string { return "herald_page_" + p.entry.ID }

// access is what a visitor's session lets them see of a private page.
type access struct {
	// group is the one server they may see, "" the whole page.
	group string
	// customer is the customer domain they signed in with by e-mail, ""
	// when they came by the password or a link: what a subscription they
	// make hears for (notify.Scope).
	customer string
}

// A customer's session is a token signed for "customer:DOMAIN" with the
// domain after it (EXPIRY.GROUP.SIGNATURE.DOMAIN): its domain cannot be
// changed without its signature failing, nor a session be made one.
func sessionPurpose(customer string) string {
	if customer == "" {
		return "session"
	}
	return "customer:" + customer
}

func sessionValue(key []byte, pageID string, a access, until time.Time) string {
	v := makeToken(key, pageID, sessionPurpose(a.customer), a.group, until)
	if a.customer != "" {
		v += "." + a.customer
	}
	return v
}

// visitor is who the request's session lets in.
func (s *Site) visitor(p *pageSet, key []byte, r *http.Request) (access, bool) {
	c, err := r.Cookie(cookieName(p))
	if err != nil {
		return access{}, false
	}
	tok, customer := c.Value, ""
	if parts := strings.SplitN(c.Value, ".", 4); len(parts) == 4 {
		tok, customer = strings.Join(parts[:3], "."), parts[3]
	}
	group, _, ok := checkToken(key, p.entry.ID, sessionPurpose(customer), tok, s.svc.Now())
	if !ok || group != "" && !p.entry.Shows(group) || customer != "" && group == "" {
		return access{}, false // a server since taken off the page
	}
	return access{group: group, customer: customer}, true
}

type visitorKey struct{}

// withVisitor is r for a visitor of a private page who may see a.
func withVisitor(r *http.Request, a access) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), visitorKey{}, a))
}

// visitorOf is what the visitor of r's private page may see; ok is false
// for a public page's request.
func visitorOf(r *http.Request) (access, bool) {
	a, ok := r.Context().Value(visitorKey{}).(access)
	return a, ok
}

// startSession gives the visitor a session cookie for a, until the
// earlier of until (zero: none) and the page's session length.
func (s *Site) startSession(w http.ResponseWriter, r *http.Request, p *pageSet, key []byte, a access, until time.Time) {
	end := s.svc.Now().Add(p.entry.Private.SessionFor())
	if !until.IsZero() && until.Before(end) {
		end = until
	}
	path := p.prefix() + "/"
	http.SetCookie(w, &http.Cookie{Name: cookieName(p), Value: sessionValue(key, p.entry.ID, a, end), Path: path,
		Expires: end, HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: r.TLS != nil || strings.HasPrefix(p.entry.URL, "https:")})
}

// pageDocPath reports whether rest (a path without the page's prefix) is
// one of a page's own addresses, which a private page keeps to its visitors.
func pageDocPath(rest string) bool {
	switch rest {
	case "/", "/history", "/history.atom", "/history.rss", "/maintenance.ics", widgetFramePath:
		return true
	}
	return pageRoute(rest)
}

// tokenRoute reports whether rest is a private page's address whose
// authority is the subscriber's token from the mail (confirm, manage,
// unsubscribe, and RFC 8058's one-click POST from a mail program), open
// without a session; each answers only within that subscription's scope.
func tokenRoute(rest string) bool {
	switch rest {
	case "/subscribe/confirm", "/manage", "/unsubscribe":
		return true
	}
	return false
}

// visitorRoute reports whether rest is a private page's address answered
// per request for a visitor with a session (subscribing, the look-up, the
// feeds per server), within what the session may see.
func visitorRoute(rest string) bool {
	switch rest {
	case "/subscribe", "/lookup", "/api/v2/subscribers.json":
		return true
	}
	return strings.HasPrefix(rest, "/feeds/")
}

// servePrivate answers a request for a private page: the sign-in, a signed
// link, a subscriber's token, or for a visitor with a session a document
// or a subscription's page (to next); else the sign-in page.
func (s *Site) servePrivate(p *pageSet, w http.ResponseWriter, r *http.Request, rest string, next http.Handler) {
	h := w.Header()
	h.Set("X-Robots-Tag", noIndex)
	h.Set("Cache-Control", "private, no-store")
	key, err := privateKey(&p.entry, s.getenv)
	if err != nil {
		s.log.Error("private page", slog.String("page", p.entry.ID), slog.Any("err", err))
		http.Error(w, s.pageT(p, "This page is not available right now."), http.StatusServiceUnavailable)
		return
	}
	if rest == signInPath {
		s.signIn(p, key, w, r)
		return
	}
	if tok := r.URL.Query().Get(signInParam); tok != "" && s.emailSignInOn(p) {
		s.renderSignIn(p, w, http.StatusOK, signInView{Token: tok})
		return
	}
	if tok := r.URL.Query().Get(accessParam); tok != "" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		group, until, ok := checkToken(key, p.entry.ID, "link", tok, s.svc.Now())
		if !ok || group != "" && !p.entry.Shows(group) {
			s.signInPage(p, w, http.StatusForbidden, "This link is not valid or has expired. Ask for a new one.")
			return
		}
		s.startSession(w, r, p, key, access{group: group}, until)
		http.Redirect(w, r, r.URL.Path, http.StatusSeeOther)
		return
	}
	if tokenRoute(rest) {
		s.passOn(p, w, r, next)
		return
	}
	a, ok := s.visitor(p, key, r)
	if !ok {
		switch {
		case strings.HasPrefix(rest, "/api/v2/"):
			h.Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write(jsonError(s.pageT(p, "This page is private.")))
		case strings.HasPrefix(rest, badgePrefix) || strings.HasSuffix(rest, ".atom") || strings.HasSuffix(rest, ".rss") || strings.HasSuffix(rest, ".ics"):
			http.Error(w, s.pageT(p, "This page is private."), http.StatusUnauthorized)
		default:
			s.signInPage(p, w, http.StatusUnauthorized, "")
		}
		return
	}
	if visitorRoute(rest) {
		s.passOn(p, w, withVisitor(r, a), next)
		return
	}
	assets := *p.assets.Load()
	if a.group != "" {
		views := p.servers.Load()
		if views == nil || (*views)[a.group] == nil {
			http.Error(w, s.pageT(p, "This page is not available right now."), http.StatusServiceUnavailable)
			return
		}
		assets = *(*views)[a.group]
	}
	s.serveDoc(w, r, assets, r.URL.Path, true)
}

type signInView struct {
	Lead, Error string
	Password    bool
	Email       bool   // customers sign in by e-mail
	Token       string // a one-time link's, to use with the button
	Sent        string // the address a link may have been sent to
}

func (s *Site) signInPage(p *pageSet, w http.ResponseWriter, code int, msg string) {
	s.renderSignIn(p, w, code, signInView{Error: msg})
}

func (s *Site) signInPageSent(p *pageSet, w http.ResponseWriter, addr string) {
	s.renderSignIn(p, w, http.StatusOK, signInView{Sent: addr})
}

func (s *Site) renderSignIn(p *pageSet, w http.ResponseWriter, code int, v signInView) {
	v.Password = p.entry.Private.PasswordHash != ""
	v.Email = s.emailSignInOn(p)
	switch {
	case v.Password && v.Email:
		v.Lead = "Enter the page's password, have a sign-in link sent to your e-mail address, or open the link you were given."
	case v.Password:
		v.Lead = "Enter the page's password, or open the link you were given."
	case v.Email:
		v.Lead = "Have a sign-in link sent to your e-mail address, or open the link you were given."
	default:
		v.Lead = "Open the link you were given to see this page."
	}
	pcfg := s.cfg().ForPage(p.entry)
	loc := pcfg.Location()
	lang := pcfg.Page.Lang()
	wds := newWords(loc, s.svc.Now(), lang)
	// The lead and the error are English keys of the page's catalog.
	tr := locale.For(lang)
	v.Lead, v.Error = tr.T(v.Lead), tr.T(v.Error)
	site := orDefault(pcfg.Page.Title, tr.T("Status"))
	page := view{Title: tr.T("Sign in") + " · " + site, Lang: lang, SiteTitle: site,
		Zone: wds.Zone(), CSS: cssPath, Section: "private", W: wds, Main: v}
	var buf bytes.Buffer
	if err := signInTemplates[lang].ExecuteTemplate(&buf, "layout", page); err != nil {
		s.log.Error("render sign-in", slog.Any("err", err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	body := withNoIndex(buf.Bytes())
	if pre := p.prefix(); pre != "" {
		_, body = prefixed(pre, "404", htmlType, body)
	}
	h := w.Header()
	setPageHeaders(h)
	h.Set("Content-Type", htmlType)
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Robots-Tag", noIndex)
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// signIn checks the password posted, rate limited per client (argon2id is
// the one expensive thing an anonymous visitor can ask for).
func (s *Site) signIn(p *pageSet, key []byte, w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		s.signInPage(p, w, http.StatusOK, "")
		return
	}
	if err := s.cop.Check(r); err != nil {
		s.signInPage(p, w, http.StatusForbidden, "The form was sent from another site.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxPasswordForm)
	err := r.ParseForm()
	var field string
	for k, v := range r.PostForm {
		if len(r.PostForm) == 1 && len(v) == 1 {
			field = k
		}
	}
	if (field == "email" || field == "password") && s.signInLimit.Refused(w, r, nil, "rate limited: private page sign-in") {
		// A password costs an argon2id hash, an address a look-up and
		// perhaps a mail; a one-time link is checked by its signature.
		s.signInPage(p, w, http.StatusTooManyRequests, "Too many tries from your address. Please wait a minute and try again.")
		return
	}
	switch {
	case err != nil:
	case field == "email" && s.emailSignInOn(p):
		s.emailSignIn(p, key, w, r, r.PostForm.Get("email"))
		return
	case field == signInParam && s.emailSignInOn(p):
		s.useSignIn(p, key, w, r, r.PostForm.Get(signInParam))
		return
	case field == "password" && p.entry.Private.PasswordHash == "":
		s.signInPage(p, w, http.StatusForbidden, "This page has no password: open the link you were given.")
		return
	case field == "password":
		s.passwordSignIn(p, key, w, r)
		return
	}
	s.signInPage(p, w, http.StatusBadRequest, "The form could not be read.")
}

// emailSignInOn reports whether customers may sign in to p by e-mail.
func (s *Site) emailSignInOn(p *pageSet) bool {
	return p.entry.Private.Customers && s.customers != nil
}

func (s *Site) passwordSignIn(p *pageSet, key []byte, w http.ResponseWriter, r *http.Request) {
	ok, err := auth.CheckPassword(p.entry.Private.PasswordHash, r.PostForm.Get("password"))
	if err != nil {
		s.log.Error("private page password", slog.String("page", p.entry.ID), slog.Any("err", err))
	}
	if !ok {
		s.signInPage(p, w, http.StatusUnauthorized, "That password is not right.")
		return
	}
	s.startSession(w, r, p, key, access{}, time.Time{})
	http.Redirect(w, r, p.prefix()+"/", http.StatusSeeOther)
}

// withNoIndex adds the robots meta tag to a page's head.
func withNoIndex(body []byte) []byte {
	const head = "<head>\n"
	i := bytes.Index(body, []byte(head))
	if i < 0 {
		return body
	}
	out := make([]byte, 0, len(body)+64)
	out = append(out, body[:i+len(head)]...)
	out = append(out, `<meta name="robots" content="noindex, nofollow">`+"\n"...)
	return append(out, body[i+len(head):]...)
}

package web

import (
	"bytes"
	"errors"
	"html/template"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/customers"
	"github.com/heraldhq/herald/internal/locale"
	"github.com/heraldhq/herald/internal/notify"
	"github.com/heraldhq/herald/internal/refusal"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
)

// maxForm bounds a subscription form's body.
const maxForm = 16 << 10

var subscribeTemplates = func() map[string]map[locale.Lang]*template.Template {
	m := map[string]map[locale.Lang]*template.Template{}
	for _, name := range []string{"subscribe.html", "lookup.html"} {
		m[name] = langTemplates(name, "templates/layout.html", "templates/"+name)
	}
	return m
}()

// Subscriptions serves the pages customers subscribe, confirm, manage and
// unsubscribe with, the customer look-up, and the feeds per subscription.
// They answer per request (they depend on who asks), unlike the rendered
// public documents.
type Subscriptions struct {
	svc *service.Service
	cfg func() config.Config
	n   *notify.Notifier
	dir *customers.Directory
	log *slog.Logger

	subscribeLimit *refusal.Limit
	lookupLimit    *refusal.Limit
	refusals       *refusal.Log // nil: refusals are not logged
}

// WithRefusals logs rate-limit refusals to l (a line per client per minute).
func (s *Subscriptions) WithRefusals(l *refusal.Log) *Subscriptions {
	s.refusals = l
	return s
}

// NewSubscriptions makes the handlers; now may be nil (the real clock).
func NewSubscriptions(svc *service.Service, cfg func() config.Config, n *notify.Notifier, dir *customers.Directory,
	log *slog.Logger, now func() time.Time) *Subscriptions {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Subscriptions{svc: svc, cfg: cfg, n: n, dir: dir, log: log,
		// A person subscribes a few times at most; a script trying
		// addresses is slowed to one every half minute.
		subscribeLimit: refusal.NewLimit(5, 30*time.Second, now),
		// Looking up a few domains is normal; walking through a list is not.
		lookupLimit: refusal.NewLimit(20, 3*time.Second, now)}
}

// Register adds the routes to mux.
func (s *Subscriptions) Register(mux interface {
	HandleFunc(string, func(http.ResponseWriter, *http.Request))
}) {
	mux.HandleFunc("GET /subscribe", s.subscribeForm)
	mux.HandleFunc("POST /subscribe", s.subscribe)
	mux.HandleFunc("GET /subscribe/confirm", s.confirmForm)
	mux.HandleFunc("POST /subscribe/confirm", s.confirm)
	mux.HandleFunc("GET /manage", s.manageForm)
	mux.HandleFunc("POST /manage", s.manage)
	mux.HandleFunc("GET /unsubscribe", s.unsubscribeForm)
	mux.HandleFunc("POST /unsubscribe", s.unsubscribe)
	mux.HandleFunc("GET /lookup", s.lookup)
	mux.HandleFunc("POST /api/v2/subscribers.json", s.subscribeV2)
	mux.HandleFunc("GET /feeds/{file}", s.groupFeed)
	mux.HandleFunc("GET /feeds/{group}/{file}", s.componentFeed)
}

// choiceGroup is a group's components as checkboxes.
type choiceGroup struct {
	ID, Name string
	Choices  []choice
}

type choice struct {
	ID, Name string
	Checked  bool
}

// subscribeView is every state of the subscription page.
type subscribeView struct {
	Page    string // form, sent, confirm, confirmed, manage, saved, unsubscribe, unsubscribed, invalid
	Error   string
	Email   string
	Token   string
	Groups  []choiceGroup
	Summary string // what the subscription covers, in words
	Manage  string // the manage link after confirming
}

func (s *Subscriptions) choices(r *http.Request, checked []string) []choiceGroup {
	cat := s.svc.Catalog()
	shows := s.shows(r)
	var out []choiceGroup
	for _, g := range cat.Groups {
		if !g.RemovedAt.IsZero() || !shows(g.ID) {
			continue
		}
		cg := choiceGroup{ID: g.ID, Name: g.Name}
		for _, c := range cat.Active() {
			if c.GroupID == g.ID {
				cg.Choices = append(cg.Choices, choice{ID: c.ID, Name: c.Name,
					Checked: slices.Contains(checked, c.ID) || slices.Contains(checked, g.ID)})
			}
		}
		if len(cg.Choices) > 0 {
			out = append(out, cg)
		}
	}
	return out
}

func (s *Subscriptions) render(w http.ResponseWriter, r *http.Request, code int, tmpl, title string, main any) {
	cfg := pageConfig(s.cfg(), r)
	loc := cfg.Location()
	wds := newWords(loc, s.svc.Now(), cfg.Page.Lang())
	v := view{Title: title, Lang: wds.wr.L.Lang, SiteTitle: cfg.Page.Title, Description: cfg.Page.Description, Zone: wds.Zone(),
		CSS: cssPath, Section: "subscribe", W: wds, Main: main,
		Brand: brandOf(cfg.Page)}
	if v.SiteTitle == "" {
		v.SiteTitle = wds.T("Status")
	}
	v.Title += " · " + v.SiteTitle
	var buf bytes.Buffer
	if err := subscribeTemplates[tmpl][v.Lang].ExecuteTemplate(&buf, "layout", v); err != nil {
		s.log.Error("render page", slog.String("template", tmpl), slog.Any("err", err))
		http.Error(w, s.t(r, "Something went wrong on our side; please try again."), http.StatusInternalServerError)
		return
	}
	body := buf.Bytes()
	h := w.Header()
	setPageHeaders(h)
	h.Set("Content-Type", htmlType)
	h.Set("Cache-Control", "no-store")
	if p := PageOf(r); p != nil && p.Private != nil {
		body = withNoIndex(body)
		h.Set("Cache-Control", "private, no-store")
		h.Set("X-Robots-Tag", noIndex)
	}
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

func (s *Subscriptions) page(w http.ResponseWriter, r *http.Request, code int, v subscribeView) {
	titles := map[string]string{"form": "Subscribe", "sent": "Check your inbox", "confirm": "Confirm your subscription",
		"confirmed": "Subscribed", "manage": "Your subscription", "saved": "Subscription saved",
		"unsubscribe": "Unsubscribe", "unsubscribed": "Unsubscribed", "invalid": "Link not valid", "unavailable": "Not right now"}
	if code == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5") // the database is down, full or takes no writes here
	}
	s.render(w, r, code, "subscribe.html", s.t(r, titles[v.Page]), v)
}

// readForm parses a urlencoded (or, for RFC 8058 one-click, multipart) form
// strictly: a size limit, and only the fields named.
func readForm(w http.ResponseWriter, r *http.Request, allowed ...string) (url.Values, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	switch mt {
	case "application/x-www-form-urlencoded", "":
		err = r.ParseForm()
	case "multipart/form-data":
		err = r.ParseMultipartForm(maxForm)
	default:
		return nil, refuse(http.StatusUnsupportedMediaType, "send the form as application/x-www-form-urlencoded")
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, refuse(http.StatusRequestEntityTooLarge, "the form is larger than %d bytes", maxForm)
		}
		return nil, refuse(http.StatusBadRequest, "the form could not be read")
	}
	for k := range r.PostForm {
		if !slices.Contains(allowed, k) {
			return nil, refuse(http.StatusBadRequest, "unexpected form field %s", strconvQuote(k))
		}
	}
	return r.PostForm, nil
}

func strconvQuote(s string) string {
	if len(s) > 40 {
		s = s[:40]
	}
	return "\"" + s + "\""
}

func (s *Subscriptions) subscribeForm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.page(w, r, http.StatusOK, subscribeView{Page: "form", Groups: s.choices(r, q["component"])})
}

func (s *Subscriptions) subscribe(w http.ResponseWriter, r *http.Request) {
	if s.subscribeLimit.Refused(w, r, s.refusals, "rate limited: subscribe") {
		tooMany(w, s.tr(r), s.lang(r), s.t(r, "Too many requests from your address. Please wait a minute and try again."), "/subscribe")
		return
	}
	form, err := readForm(w, r, "email", "component")
	if err != nil {
		s.page(w, r, http.StatusBadRequest, subscribeView{Page: "form", Error: s.refusal(r, err, ""), Groups: s.choices(r, nil)})
		return
	}
	email, comps := form.Get("email"), form["component"]
	chosen, err := s.pageChoice(r, comps)
	if err == nil {
		err = s.n.SubscribeEmailScoped(r.Context(), notify.ActorForm, scopeOf(r), email, chosen)
	}
	if err != nil {
		if code, msg, ok := service.Safe(err); ok {
			s.page(w, r, code, subscribeView{Page: "form", Error: s.refusal(r, err, msg), Email: email, Groups: s.choices(r, comps)})
			return
		}
		s.log.Error("subscribe", slog.Any("err", err))
		s.page(w, r, http.StatusInternalServerError, subscribeView{Page: "form", Error: s.t(r, "Something went wrong on our side; please try again."),
			Email: email, Groups: s.choices(r, comps)})
		return
	}
	// The same answer whether or not the address was known.
	s.page(w, r, http.StatusOK, subscribeView{Page: "sent", Email: email})
}

func (s *Subscriptions) badLink(w http.ResponseWriter, r *http.Request, err error) {
	if code, msg, ok := service.Safe(err); ok && code == http.StatusServiceUnavailable {
		// The database is down, full or takes no writes here: the link may
		// be good, and nothing was changed.
		s.log.Warn("subscription link: the database is unavailable", slog.Any("err", err))
		s.page(w, r, code, subscribeView{Page: "unavailable", Error: msg})
		return
	}
	msg := s.t(r, "This link is not valid. It may have been cut short by your mail program; try copying the whole link.")
	if errors.Is(err, notify.ErrBadToken) && err.Error() != notify.ErrBadToken.Error() {
		msg = s.t(r, "This confirmation link has expired. Subscribe again to get a new one.")
	}
	s.page(w, r, http.StatusNotFound, subscribeView{Page: "invalid", Error: msg})
}

// refusedHere answers a subscriber's link POSTed to a Herald that takes no
// writes (a read-only standby, a full disk) before the link is judged: a
// good link works on the primary, and saying "not valid" would be untrue.
func (s *Subscriptions) refusedHere(w http.ResponseWriter, r *http.Request) bool {
	err := s.n.Store().WritesRefused()
	if err == nil {
		return false
	}
	s.badLink(w, r, err)
	return true
}

func (s *Subscriptions) confirmForm(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("token")
	c, err := s.n.PendingConfirmation(r.Context(), tok)
	if err == nil {
		r, err = s.holder(r, c.Page, c.Group, "")
	}
	if err != nil {
		s.badLink(w, r, err)
		return
	}
	s.page(w, r, http.StatusOK, subscribeView{Page: "confirm", Email: c.Address, Token: tok, Summary: s.summary(r, c.All, c.Names)})
}

func (s *Subscriptions) confirm(w http.ResponseWriter, r *http.Request) {
	form, err := readForm(w, r, "token")
	if err != nil {
		s.page(w, r, http.StatusBadRequest, subscribeView{Page: "invalid", Error: s.refusal(r, err, "")})
		return
	}
	if s.refusedHere(w, r) {
		return
	}
	var c *notify.Confirmation
	var manage string
	pending, err := s.n.PendingConfirmation(r.Context(), form.Get("token"))
	if err == nil {
		r, err = s.holder(r, pending.Page, pending.Group, "")
	}
	if err == nil {
		c, manage, err = s.n.Confirm(r.Context(), form.Get("token"))
	}
	if err != nil {
		s.badLink(w, r, err)
		return
	}
	s.page(w, r, http.StatusOK, subscribeView{Page: "confirmed", Email: c.Address, Summary: s.summary(r, c.All, c.Names),
		Manage: "/manage?token=" + url.QueryEscape(manage)})
}

func (s *Subscriptions) summary(r *http.Request, all bool, names []string) string {
	if all || len(names) == 0 {
		return s.t(r, "every incident and maintenance notice")
	}
	return s.t(r, "notices about %s", strings.Join(names, "; "))
}

// refusal words a refused request (a subscriber's refused address or
// choice, notify's RefusedError; a form that could not be read) in the
// page's language; any other error's safe message, msg, is shown as it is.
func (s *Subscriptions) refusal(r *http.Request, err error, msg string) string {
	return wordedIn(s.tr(r), err, msg)
}

// t is a message in the language of the page r was routed to (an entry
// of pages: speaks its own).
func (s *Subscriptions) t(r *http.Request, key string, args ...any) string {
	return s.tr(r)(key, args...)
}

// tr is the catalog of the page r was routed to.
func (s *Subscriptions) tr(r *http.Request) func(key string, args ...any) string {
	return locale.For(s.lang(r)).T
}

// lang is the language of the page r was routed to.
func (s *Subscriptions) lang(r *http.Request) locale.Lang { return pageConfig(s.cfg(), r).Page.Lang() }

func (s *Subscriptions) manageForm(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("token")
	sub, r, err := s.subscriptionOf(r, tok)
	if err != nil {
		s.badLink(w, r, err)
		return
	}
	checked := sub.Components
	v := subscribeView{Page: "manage", Email: sub.Address, Token: tok, Groups: s.choices(r, checked)}
	if !sub.UnsubscribedAt.IsZero() {
		v.Error = s.t(r, "You are unsubscribed. Choose what you want and save to subscribe again.")
	}
	s.page(w, r, http.StatusOK, v)
}

func (s *Subscriptions) manage(w http.ResponseWriter, r *http.Request) {
	form, err := readForm(w, r, "token", "component")
	if err != nil {
		s.page(w, r, http.StatusBadRequest, subscribeView{Page: "invalid", Error: s.refusal(r, err, "")})
		return
	}
	if s.refusedHere(w, r) {
		return
	}
	tok := form.Get("token")
	sub, r, err := s.subscriptionOf(r, tok)
	if err != nil {
		s.badLink(w, r, err)
		return
	}
	chosen, err := s.pageChoice(r, form["component"])
	if err == nil {
		var changed *store.Subscriber
		if changed, err = s.n.ChangeSubscription(r.Context(), tok, chosen); err == nil {
			sub = changed
		}
	}
	if err != nil {
		if code, msg, ok := service.Safe(err); ok {
			s.page(w, r, code, subscribeView{Page: "manage", Email: sub.Address, Token: tok, Error: s.refusal(r, err, msg), Groups: s.choices(r, form["component"])})
			return
		}
		s.badLink(w, r, err)
		return
	}
	if !sub.UnsubscribedAt.IsZero() {
		// Saving a choice after leaving comes back through a confirmation,
		// as any new subscription does.
		if err := s.n.SubscribeEmailScoped(r.Context(), notify.ActorManageLink,
			notify.Scope{Page: sub.Page, Group: sub.Group, Customer: sub.Customer}, sub.Address, chosen); err != nil {
			s.log.Error("resubscribe", slog.Any("err", err))
		}
		s.page(w, r, http.StatusOK, subscribeView{Page: "sent", Email: sub.Address})
		return
	}
	s.page(w, r, http.StatusOK, subscribeView{Page: "saved", Email: sub.Address, Token: tok,
		Summary: s.summary(r, sub.All, s.n.Names(sub.Components)), Manage: "/manage?token=" + url.QueryEscape(tok)})
}

func (s *Subscriptions) unsubscribeForm(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("token")
	sub, r, err := s.subscriptionOf(r, tok)
	if err != nil {
		s.badLink(w, r, err)
		return
	}
	s.page(w, r, http.StatusOK, subscribeView{Page: "unsubscribe", Email: sub.Address, Token: tok})
}

// unsubscribe takes the page's button and RFC 8058 one-click POSTs alike:
// the token is in the URL (List-Unsubscribe) or in the form (the button).
func (s *Subscriptions) unsubscribe(w http.ResponseWriter, r *http.Request) {
	form, err := readForm(w, r, "token", "List-Unsubscribe")
	if err != nil {
		s.page(w, r, http.StatusBadRequest, subscribeView{Page: "invalid", Error: s.refusal(r, err, "")})
		return
	}
	if s.refusedHere(w, r) {
		return
	}
	tok := form.Get("token")
	if tok == "" {
		tok = r.URL.Query().Get("token")
	}
	sub, r, err := s.subscriptionOf(r, tok)
	if err == nil {
		sub, err = s.n.Unsubscribe(r.Context(), tok)
	}
	if err != nil {
		s.badLink(w, r, err)
		return
	}
	s.page(w, r, http.StatusOK, subscribeView{Page: "unsubscribed", Email: sub.Address, Token: tok,
		Manage: "/manage?token=" + url.QueryEscape(tok)})
}

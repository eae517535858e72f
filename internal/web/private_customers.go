package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/customers"
	"github.com/heraldhq/herald/internal/locale"
	"github.com/heraldhq/herald/internal/notify"
)

// A customer's sign-in by e-mail. On a private page with customers: true,
// a visitor gives an e-mail address; when its domain is a customer whose
// server the page shows, Herald mails a link that works once, within
// signInValid, and signs its holder in to that server alone. The answer is
// the same whether or not the address is a customer's, and the mail goes
// out after the answer, so neither the words nor the time tell the
// customer list. Following the link shows a button: mail scanners that
// fetch links do not use it up.

const (
	signInValid = 15 * time.Minute
	signInParam = "signin"
)

// CustomerSignIn is what a private page's sign-in by e-mail needs.
type CustomerSignIn struct {
	Directory *customers.Directory
	// Mail sends the link (notify.SMTP); the page's e-mail settings.
	Mail notify.Sender
	// Once records a link's use: store.Queries.UseSignIn.
	Once func(ctx context.Context, nonce string, expires, now time.Time) (bool, error)
}

// WithCustomerSignIn lets private pages with customers: true sign
// customers in by e-mail.
func (s *Site) WithCustomerSignIn(c CustomerSignIn) *Site {
	s.customers = &c
	return s
}

// pageBase is a page's public address, where its links lead (config.PageBase).
func pageBase(cfg config.Config, p *config.PageEntry) (string, error) { return cfg.PageBase(*p) }

func newNonce() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// emailSignIn answers an address given on the sign-in form.
func (s *Site) emailSignIn(p *pageSet, key []byte, w http.ResponseWriter, r *http.Request, typed string) {
	addr, err := notify.CheckEmail(typed)
	if err != nil {
		s.signInPage(p, w, http.StatusBadRequest, "That is not an e-mail address we can write to.")
		return
	}
	domain := addr[strings.LastIndexByte(addr, '@')+1:]
	c, err := s.customers.Directory.Lookup(r.Context(), domain)
	switch {
	case errors.Is(err, customers.ErrUnknown):
	case err != nil:
		s.log.Error("private page sign-in: look-up", slog.String("page", p.entry.ID), slog.Any("err", err))
	case p.entry.Shows(c.GroupID):
		s.mailSignIn(p, key, addr, c.GroupID, c.Domain)
	}
	s.signInPageSent(p, w, addr)
}

// mailSignIn sends the one-time link in the background, bounded in time;
// Close waits for the sends under way. The link is NONCE.EXPIRY.GROUP.
// SIGNATURE.DOMAIN: for the customer domain that let it be sent, signed.
func (s *Site) mailSignIn(p *pageSet, key []byte, addr, group, domain string) {
	base, err := pageBase(s.cfg(), &p.entry)
	if err != nil {
		s.log.Error("private page sign-in", slog.Any("err", err))
		return
	}
	nonce := newNonce()
	exp := s.svc.Now().Add(signInValid)
	link := base + "/?" + signInParam + "=" + url.QueryEscape(nonce+"."+makeToken(key, p.entry.ID, "email:"+nonce+":"+domain, group, exp)+"."+domain)
	tr := locale.For(s.cfg().ForPage(p.entry).Page.Lang())
	title := orDefault(p.entry.Title, tr.T("Status"))
	msg := &notify.Message{To: addr, Subject: tr.T("Sign in to %s", title),
		Text: tr.T("Someone, probably you, asked to sign in to %s with this address.", title) + "\n\n" +
			tr.T("Open this link within 15 minutes to sign in; it works once:") + "\n\n" + link + "\n\n" +
			tr.T("If it was not you, ignore this message: nothing happens without the link.") + "\n"}
	mail := s.customers.Mail
	s.mailing.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		sess := mail.Session()
		defer sess.Close()
		if err := sess.Send(ctx, msg); err != nil {
			s.log.Warn("private page sign-in: send the link", slog.String("page", p.entry.ID), slog.Any("err", err))
		}
	})
}

// WaitMail waits for the sign-in links being sent (for shutdown and tests).
func (s *Site) WaitMail() { s.mailing.Wait() }

// useSignIn checks a one-time link's token and spends it.
func (s *Site) useSignIn(p *pageSet, key []byte, w http.ResponseWriter, r *http.Request, tok string) {
	nonce, rest, _ := strings.Cut(tok, ".")
	var domain string
	if parts := strings.SplitN(rest, ".", 4); len(parts) == 4 {
		rest, domain = strings.Join(parts[:3], "."), parts[3]
	}
	group, until, ok := checkToken(key, p.entry.ID, "email:"+nonce+":"+domain, rest, s.svc.Now())
	if !ok || group == "" || domain == "" || !p.entry.Shows(group) {
		s.signInPage(p, w, http.StatusForbidden, "This sign-in link is not valid or has expired. Ask for a new one below.")
		return
	}
	first, err := s.customers.Once(r.Context(), nonce, until, s.svc.Now())
	if err != nil {
		s.log.Error("private page sign-in: use the link", slog.Any("err", err))
		s.signInPage(p, w, http.StatusServiceUnavailable, "We cannot sign you in right now; please try again in a minute.")
		return
	}
	if !first {
		s.signInPage(p, w, http.StatusForbidden, "This sign-in link was used already. Ask for a new one below.")
		return
	}
	s.startSession(w, r, p, key, access{group: group, customer: domain}, time.Time{})
	http.Redirect(w, r, p.prefix()+"/", http.StatusSeeOther)
}

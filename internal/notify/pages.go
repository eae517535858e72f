package notify

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/store"
)

// A subscription made on an entry of pages: (a reseller's page) is that
// page's: its messages lead to the page's address, carry its title (the
// subject's prefix, the sender's name, List-Id) and its language, and name
// only the servers it shows. Nothing in them names page:.

// mailPage is what the page a subscriber subscribed on makes of a message.
type mailPage struct {
	// cfg is the configuration as the page sees it, with page.url its
	// address (config.PageBase).
	cfg config.Config
	// shows says which groups the page shows.
	shows func(group string) bool
	// from is the sender; "" is notify.email.from as it is.
	from string
	// entry is set for a subscription of an entry of pages:.
	entry bool
}

// errNoPage cancels a delivery to a subscription whose page is no longer
// configured: sending it under page:'s name would tell a reseller's
// customer of the provider behind it.
var errNoPage = errors.New("the page it was made on is no longer configured")

// errNotOnPage cancels a delivery of news about servers the subscriber's
// page does not show.
var errNotOnPage = errors.New("what it tells of is not on the subscriber's page")

// errNotCustomer cancels a delivery to a subscription a customer's e-mail
// sign-in made once that customer's domain has left the customer list (or
// moved to another server): it was the customer's grant to hear of it.
var errNotCustomer = errors.New("the customer it was made for is no longer a customer of its server")

// pageOf is the page s subscribed on, as cfg has it.
func (n *Notifier) pageOf(cfg config.Config, s *store.Subscriber) (mailPage, error) {
	switch {
	case s.Operator:
		// An operator's channel hears of every server.
		return mailPage{cfg: cfg, shows: func(string) bool { return true }}, nil
	case s.Page == "":
		// page: shows every group but those of private pages.
		return mailPage{cfg: cfg, shows: func(g string) bool { return !cfg.Hidden(g) }}, nil
	}
	e, ok := cfg.PageByID(s.Page)
	if !ok {
		return mailPage{}, fmt.Errorf("%w (page %q)", errNoPage, s.Page)
	}
	base, _ := cfg.PageBase(e) // none: the links are relative, as page:'s without a url
	mp := mailPage{cfg: cfg.ForPage(e), shows: e.Shows, from: e.EmailFrom, entry: true}
	if s.Group != "" {
		// Made on a private page by a visitor who saw one of its servers (a
		// customer's): it hears of that server alone, while the page shows
		// it. (Which components it covers was settled when the delivery
		// was queued; the subscriber read here has none loaded.)
		mp.shows = func(g string) bool { return g == s.Group && e.Shows(g) }
	}
	mp.cfg.Page.URL = base
	if mp.from == "" && cfg.Notify.Email != nil {
		if a, err := mail.ParseAddress(cfg.Notify.Email.From); err == nil {
			name := e.Title
			if name == "" {
				name = e.ID
			}
			mp.from = (&mail.Address{Name: name, Address: a.Address}).String()
		}
	}
	return mp, nil
}

// scoped is p as the page tells it: the components it shows, named, and
// the link to the incident or window on the page. ok is false when p
// concerns components and the page shows none of them.
func (n *Notifier) scoped(mp mailPage, p Payload) (Payload, bool) {
	if mp.entry {
		switch base := mp.cfg.Page.URL; {
		case p.Incident != 0:
			p.URL = fmt.Sprintf("%s/incidents/%d", base, p.Incident)
		case p.Window != 0:
			p.URL = fmt.Sprintf("%s/maintenance/%d", base, p.Window)
		}
	}
	if len(p.Components) == 0 {
		return p, true
	}
	cat := n.svc.Catalog()
	var shown []string
	for _, id := range p.Components {
		c, ok := cat.Component(id)
		if ok && mp.shows(c.GroupID) || !ok && !mp.entry {
			shown = append(shown, id)
		}
	}
	if len(shown) == 0 {
		return p, false
	}
	if len(shown) < len(p.Components) {
		p.Components = shown
		p.Names = n.names(shown)
	}
	return p, true
}

// stillCustomer is nil when s was made by no customer's sign-in, or its
// customer's domain is still a customer of its server; else errNotCustomer.
func (n *Notifier) stillCustomer(ctx context.Context, s *store.Subscriber) error {
	if s.Customer == "" {
		return nil
	}
	c, err := n.st.CustomerByDomain(ctx, s.Customer)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("%w (%s)", errNotCustomer, s.Customer)
	case err != nil:
		return err
	case c.GroupID != s.Group:
		return fmt.Errorf("%w (%s)", errNotCustomer, s.Customer)
	}
	return nil
}

// mailFor is the e-mail for one subscriber and event as the page the
// subscription was made on tells it.
func (n *Notifier) mailFor(cfg config.Config, ev *store.Event, p Payload, s *store.Subscriber, now time.Time) (*Message, error) {
	mp, err := n.pageOf(cfg, s)
	if err != nil {
		return nil, err
	}
	p, ok := n.scoped(mp, p)
	if !ok {
		return nil, errNotOnPage
	}
	m, err := n.composeMail(mp.cfg, ev, p, s, now)
	if err != nil {
		return nil, err
	}
	m.From = mp.from
	return m, nil
}

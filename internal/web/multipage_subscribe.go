package web

import (
	"net/http"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/notify"
	"github.com/heraldhq/herald/internal/store"
)

// pageConfig is the configuration as the page r was routed to sees it.
func pageConfig(cfg config.Config, r *http.Request) config.Config {
	if p := PageOf(r); p != nil {
		return cfg.ForPage(*p)
	}
	return cfg
}

// pageID is the id of the entry of pages: r was routed to, "" for page:: the
// page a subscription made there belongs to, whose address its mail leads to.
func pageID(r *http.Request) string {
	if p := PageOf(r); p != nil {
		return p.ID
	}
	return ""
}

// shows says which groups the page r was routed to shows: an entry's
// groups, or for page: every group not on a private page. On a private
// page, a visitor limited to one server (and a subscription made by one)
// is shown that server alone.
func (s *Subscriptions) shows(r *http.Request) func(group string) bool {
	if p := PageOf(r); p != nil {
		if a, ok := visitorOf(r); ok && a.group != "" {
			return func(g string) bool { return g == a.group && p.Shows(g) }
		}
		return p.Shows
	}
	cfg := s.cfg()
	return func(g string) bool { return !cfg.Hidden(g) }
}

// scopeOf is where a subscription made by r is made: r's page, and on a
// private page the server and customer its visitor's session is for.
func scopeOf(r *http.Request) notify.Scope {
	a, _ := visitorOf(r)
	return notify.Scope{Page: pageID(r), Group: a.group, Customer: a.customer}
}

// holder is r answered for the holder of a subscription's token: on the
// page the subscription was made on (page), within the one server it is
// limited to (group). On another page the token is not valid (ErrBadToken),
// so it shows nothing of that page.
func (s *Subscriptions) holder(r *http.Request, page, group, customer string) (*http.Request, error) {
	if page != pageID(r) {
		return r, notify.ErrBadToken
	}
	if p := PageOf(r); p == nil || p.Private == nil {
		return r, nil
	}
	return withVisitor(r, access{group: group, customer: customer}), nil
}

// subscriptionOf reads the subscription a manage token names and routes r
// to it as holder does: the links in a subscriber's mail (manage,
// unsubscribe, RFC 8058's one-click) each start here.
func (s *Subscriptions) subscriptionOf(r *http.Request, token string) (*store.Subscriber, *http.Request, error) {
	sub, err := s.n.Subscription(r.Context(), token)
	if err != nil {
		return nil, r, err
	}
	r, err = s.holder(r, sub.Page, sub.Group, sub.Customer)
	return sub, r, err
}

// pageChoice is what a subscription made on r's page covers: what was
// chosen, when the page shows it, and "everything" made the page's own
// components, so a subscriber of a page hears of what that page shows only.
// A choice the page does not show is refused as unknown, as any other.
func (s *Subscriptions) pageChoice(r *http.Request, chosen []string) ([]string, error) {
	shows := s.shows(r)
	cat := s.svc.Catalog()
	groupOf := map[string]string{}
	for _, c := range cat.Active() {
		groupOf[c.ID] = c.GroupID
	}
	hidden := false
	for _, g := range cat.Groups {
		hidden = hidden || g.RemovedAt.IsZero() && !shows(g.ID)
	}
	if !hidden {
		return chosen, nil // the page shows everything: as without pages:
	}
	if len(chosen) == 0 {
		var all []string
		for _, c := range cat.Active() {
			if shows(c.GroupID) {
				all = append(all, c.ID)
			}
		}
		return all, nil
	}
	for _, id := range chosen {
		g, ok := groupOf[id]
		if !ok {
			g = id // a group chosen whole
		}
		if !shows(g) {
			return nil, refuse(http.StatusUnprocessableEntity, "no component %q on this page", id)
		}
	}
	return chosen, nil
}

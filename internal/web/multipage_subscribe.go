package web

import (
	"net/http"

	"github.com/heraldhq/herald/internal/config"
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
// groups, or for page: every group not on a private page.
func (s *Subscriptions) shows(r *http.Request) func(group string) bool {
	if p := PageOf(r); p != nil {
		return p.Shows
	}
	cfg := s.cfg()
	return func(g string) bool { return !cfg.Hidden(g) }
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

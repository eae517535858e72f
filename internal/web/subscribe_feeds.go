package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/heraldhq/herald/internal/feed"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	wd "github.com/heraldhq/herald/internal/words"
)

// groupFeed serves /feeds/GROUP.atom, .rss and .ics: the history feeds
// and the maintenance calendar filtered to one server.
func (s *Subscriptions) groupFeed(w http.ResponseWriter, r *http.Request) {
	name, ext, ok := splitExt(r.PathValue("file"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	var ids []string
	label := name
	cat := s.svc.Catalog()
	for _, g := range cat.Groups {
		if g.ID == name && g.Name != "" {
			label = g.Name
		}
	}
	for _, c := range cat.Active() {
		if c.GroupID == name && s.shows(r)(name) {
			ids = append(ids, c.ID)
		}
	}
	s.serveFeed(w, r, ext, label, ids)
}

// componentFeed serves /feeds/GROUP/COMPONENT.atom, .rss and .ics.
func (s *Subscriptions) componentFeed(w http.ResponseWriter, r *http.Request) {
	name, ext, ok := splitExt(r.PathValue("file"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	id := r.PathValue("group") + "/" + name
	c, found := s.svc.Catalog().Component(id)
	if !found || !c.RemovedAt.IsZero() || !s.shows(r)(c.GroupID) {
		s.serveFeed(w, r, ext, "", nil)
		return
	}
	s.serveFeed(w, r, ext, s.n.Names([]string{id})[0], []string{id})
}

func splitExt(file string) (name, ext string, ok bool) {
	for _, e := range []string{".atom", ".rss", ".ics"} {
		if n, found := strings.CutSuffix(file, e); found && n != "" {
			return n, e, true
		}
	}
	return "", "", false
}

func (s *Subscriptions) serveFeed(w http.ResponseWriter, r *http.Request, ext, label string, ids []string) {
	if len(ids) == 0 {
		http.Error(w, s.t(r, "There is no such server or service on this page."), http.StatusNotFound)
		return
	}
	cfg := pageConfig(s.cfg(), r)
	page := cfg.Page
	page.Title = strings.TrimSpace(page.Title + " · " + label)
	loc := cfg.Location()
	var (
		body []byte
		err  error
		ct   string
	)
	windows, err := s.svc.Maintenances(r.Context(), store.MaintenanceFilter{})
	if err != nil {
		s.feedFail(w, r, err)
		return
	}
	var mine []status.Maintenance
	for _, m := range windows {
		if slices.ContainsFunc(m.Components, func(c string) bool { return slices.Contains(ids, c) }) {
			mine = append(mine, m)
		}
	}
	if ext == ".ics" {
		all, serr := s.svc.AllSeries(r.Context())
		if serr != nil {
			s.feedFail(w, r, serr)
			return
		}
		var series []status.Series
		for _, sr := range all {
			if slices.ContainsFunc(sr.Components, func(c string) bool { return slices.Contains(ids, c) }) {
				series = append(series, sr)
			}
		}
		body, err = feed.ICSAt(page, mine, series, s.svc.Now(), r.URL.Path)
		ct = "text/calendar; charset=utf-8"
	} else {
		list, lerr := s.svc.Incidents(r.Context(), store.IncidentFilter{State: "published", Limit: 100})
		if lerr != nil {
			s.feedFail(w, r, lerr)
			return
		}
		var items []feed.Item
		for i := range list {
			if touches(&list[i], ids) {
				items = append(items, feed.IncidentItemIn(list[i], cfg.Page.URL, loc, wd.In(page.Lang())))
			}
		}
		for _, m := range mine {
			if len(items) >= 100 {
				break
			}
			items = append(items, feed.MaintenanceItemIn(m, cfg.Page.URL, loc, wd.In(page.Lang())))
		}
		if ext == ".rss" {
			body, err = feed.RSSAt(page, items, r.URL.Path)
			ct = "application/rss+xml; charset=utf-8"
		} else {
			body, err = feed.AtomAt(page, items, r.URL.Path)
			ct = "application/atom+xml; charset=utf-8"
		}
	}
	if err != nil {
		s.feedFail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Cache-Control", "public, max-age=60")
	if _, private := visitorOf(r); private {
		h.Set("Cache-Control", "private, no-store") // a private page's visitor's
	}
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(body)
}

func (s *Subscriptions) feedFail(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("feed per subscription", "err", err)
	http.Error(w, s.t(r, "Something went wrong on our side; please try again."), http.StatusInternalServerError)
}

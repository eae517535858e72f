package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/heraldhq/herald/internal/customers"
	"github.com/heraldhq/herald/internal/locale"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

// lookupView is the look-up page: the form, and the answer when asked.
type lookupView struct {
	Query    string // as typed
	Domain   string // as looked up (normalised)
	Asked    bool
	Found    bool
	Error    string
	Group    string
	Overall  badge
	Comps    []compView
	Recent   []lookupIncident
	Atom     string
	RSS      string
	ICS      string
	Subcribe string
	Choices  []choice
}

type lookupIncident struct {
	URL, Title string
	Status     badge
	Open       bool
}

// lookupJSON is the look-up's JSON answer.
type lookupJSON struct {
	Domain     string            `json:"domain"`
	Found      bool              `json:"found"`
	Message    string            `json:"message"`
	Group      *lookupGroupJSON  `json:"group,omitempty"`
	Components []lookupCompJSON  `json:"components,omitempty"`
	Incidents  []lookupIncJSON   `json:"incidents,omitempty"`
	Subscribe  string            `json:"subscribe,omitempty"`
	Feeds      map[string]string `json:"feeds,omitempty"`
}

type lookupGroupJSON struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

type lookupCompJSON struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

type lookupIncJSON struct {
	ID     int64  `json:"id"`
	Title  string `json:"title"`
	Status string `json:"status"`
	URL    string `json:"url"`
}

// unknownAnswer is said for every domain not found: it does not tell a
// typo from a domain elsewhere, nor hint at similar ones.
const unknownAnswer = "We could not find that domain among our customers. Check the spelling, and use your site's main domain " +
	"(the one in your hosting account). You can always follow every server on the status page."

func wantsJSON(r *http.Request) bool {
	if r.URL.Query().Get("format") == "json" {
		return true
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "application/json" {
			return true
		}
	}
	return false
}

func (s *Subscriptions) lookup(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for k := range q {
		if k != "domain" && k != "format" {
			s.lookupFail(w, r, http.StatusBadRequest, lookupView{Error: s.t(r, "unexpected parameter %s", strconvQuote(k))})
			return
		}
	}
	typed := q.Get("domain")
	if typed == "" && !wantsJSON(r) {
		s.render(w, r, http.StatusOK, "lookup.html", s.t(r, "Find your server"), lookupView{})
		return
	}
	if s.lookupLimit.Refused(w, r, s.refusals, "rate limited: look-up") {
		msg := s.t(r, "Too many look-ups from your address. Please wait a little and try again.")
		if wantsJSON(r) {
			writeLookupJSON(w, http.StatusTooManyRequests, lookupJSON{Message: msg})
		} else {
			tooMany(w, s.tr(r), s.lang(r), msg, "/lookup")
		}
		return
	}
	c, err := s.dir.Lookup(r.Context(), typed)
	if err == nil && !s.shows(r)(c.GroupID) {
		err = customers.ErrUnknown // a server this page does not show
	}
	code, msg, safe := service.Safe(err)
	switch {
	case err != nil && safe:
		s.lookupFail(w, r, code, lookupView{Query: typed, Asked: true, Error: msg})
		return
	case errors.Is(err, customers.ErrUnknown):
		d, _ := customers.Normalize(typed)
		s.lookupFail(w, r, http.StatusNotFound, lookupView{Query: typed, Domain: d, Asked: true, Error: s.t(r, unknownAnswer)})
		return
	case err != nil:
		s.log.Error("look-up", slog.Any("err", err))
		s.lookupFail(w, r, http.StatusInternalServerError, lookupView{Query: typed, Asked: true, Error: s.t(r, "Something went wrong on our side; please try again.")})
		return
	}
	d, _ := customers.Normalize(typed)
	v, out, err := s.answer(r, d, c)
	if err != nil {
		s.log.Error("look-up", slog.Any("err", err))
		s.lookupFail(w, r, http.StatusInternalServerError, lookupView{Query: typed, Asked: true, Error: s.t(r, "Something went wrong on our side; please try again.")})
		return
	}
	v.Query = typed
	if wantsJSON(r) {
		writeLookupJSON(w, http.StatusOK, out)
		return
	}
	s.render(w, r, http.StatusOK, "lookup.html", s.t(r, "Your server"), v)
}

func (s *Subscriptions) lookupFail(w http.ResponseWriter, r *http.Request, code int, v lookupView) {
	if wantsJSON(r) {
		writeLookupJSON(w, code, lookupJSON{Domain: v.Domain, Message: v.Error})
		return
	}
	v.Asked = true
	s.render(w, r, code, "lookup.html", s.t(r, "Find your server"), v)
}

func writeLookupJSON(w http.ResponseWriter, code int, v lookupJSON) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// answer describes the customer's server: its components' status, recent
// incidents that touched it, and how to follow it alone.
func (s *Subscriptions) answer(r *http.Request, domain string, c *store.Customer) (lookupView, lookupJSON, error) {
	snap, err := s.svc.Snapshot(r.Context())
	if err != nil {
		return lookupView{}, lookupJSON{}, err
	}
	cfg := pageConfig(s.cfg(), r)
	base := strings.TrimRight(cfg.Page.URL, "/")
	if p := PageOf(r); p != nil {
		base, _ = s.cfg().PageBase(*p) // a path page's links are under its path
	}
	name := c.GroupID
	for _, g := range snap.Groups {
		if g.ID == c.GroupID && g.Name != "" {
			name = g.Name
		}
	}
	v := lookupView{Domain: domain, Asked: true, Found: true, Group: name}
	out := lookupJSON{Domain: domain, Found: true}
	worst := snap.GroupStatus(c.GroupID)
	var ids []string
	for _, cs := range snap.Components {
		if cs.GroupID != c.GroupID {
			continue
		}
		ids = append(ids, cs.ID)
		v.Comps = append(v.Comps, compView{Name: cs.Name, Label: s.t(r, cs.Status.Label()), Kind: cs.Status.Kind()})
		v.Choices = append(v.Choices, choice{ID: cs.ID, Name: cs.Name, Checked: true})
		out.Components = append(out.Components, lookupCompJSON{ID: cs.ID, Name: cs.Name, Status: string(cs.Status)})
	}
	v.Overall = badge{s.t(r, worst.Label()), worst.Kind()}
	out.Group = &lookupGroupJSON{ID: c.GroupID, Name: name, Status: string(worst)}
	if worst == status.Operational {
		out.Message = s.t(r, "%[1]s is on %[2]s, and %[2]s is working normally.", domain, name)
	} else {
		out.Message = s.t(r, "%s is on %s: %s.", domain, name, locale.For(s.lang(r)).Lower(s.t(r, worst.Label())))
	}
	list, err := s.svc.Incidents(r.Context(), store.IncidentFilter{State: "published", Limit: 50})
	if err != nil {
		return lookupView{}, lookupJSON{}, err
	}
	for i := range list {
		in := &list[i]
		if !touches(in, ids) {
			continue
		}
		link := fmt.Sprintf("/incidents/%d", in.ID)
		v.Recent = append(v.Recent, lookupIncident{URL: link, Title: in.Title, Open: in.Open(),
			Status: badge{s.t(r, in.Status.Label()), in.Status.Kind()}})
		out.Incidents = append(out.Incidents, lookupIncJSON{ID: in.ID, Title: in.Title, Status: string(in.Status), URL: base + link})
		if len(v.Recent) == 5 {
			break
		}
	}
	gid := url.PathEscape(c.GroupID)
	v.Atom, v.RSS, v.ICS = "/feeds/"+gid+".atom", "/feeds/"+gid+".rss", "/feeds/"+gid+".ics"
	v.Subcribe = "/subscribe?component=" + url.QueryEscape(c.GroupID)
	out.Subscribe = base + v.Subcribe
	out.Feeds = map[string]string{"atom": base + v.Atom, "rss": base + v.RSS, "ics": base + v.ICS}
	return v, out, nil
}

func touches(in *status.Incident, ids []string) bool {
	for _, ac := range in.Components {
		if slices.Contains(ids, ac.ComponentID) {
			return true
		}
	}
	return false
}

package admin

import (
	"net/http"
	"sort"
	"strings"
	"unicode/utf8"
)

type countRow struct {
	ID, Name string
	Count    int
}

type subscribersData struct {
	Configured bool
	Everything int
	Counts     []countRow
	Query      string
	Searched   bool
	Results    []SubscriberView
	Limit      int
	Names      map[string]string
	Error      string
}

const searchLimit = 100

func (a *Admin) subscribers(w http.ResponseWriter, r *http.Request, s *session) error {
	d := subscribersData{Names: a.names(), Limit: searchLimit, Query: strings.TrimSpace(r.URL.Query().Get("q"))}
	code := http.StatusOK
	if a.Subscribers != nil {
		d.Configured = true
		counts, err := a.Subscribers.Counts(r.Context())
		if err != nil {
			return err
		}
		d.Everything = counts[""]
		for _, c := range a.choices(nil) {
			d.Counts = append(d.Counts, countRow{ID: c.ID, Name: c.Group + ": " + c.Name, Count: counts[c.ID]})
		}
		sort.SliceStable(d.Counts, func(i, j int) bool { return d.Counts[i].Count > d.Counts[j].Count })
		switch {
		case len(d.Query) > 200 || !utf8.ValidString(d.Query):
			d.Error, code = "Search for at most 200 characters of an address.", http.StatusBadRequest
		case d.Query != "":
			d.Searched = true
			if d.Results, err = a.Subscribers.Search(r.Context(), d.Query, searchLimit); err != nil {
				return err
			}
		}
	}
	a.render(w, r, s, code, "subscribers", "Subscribers", "subscribers", d)
	return nil
}

// subscribersCSV streams the export; only admins may take the list away.
func (a *Admin) subscribersCSV(w http.ResponseWriter, r *http.Request, s *session) error {
	if a.Subscribers == nil {
		a.fail(w, r, s, http.StatusNotFound, "Subscriptions are not configured on this server, so there is nothing to export.")
		return nil
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="herald-subscribers-`+a.now().Format("2006-01-02")+`.csv"`)
	return a.Subscribers.Export(r.Context(), w)
}

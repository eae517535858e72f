package api

import (
	"net/http"
	"time"

	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

type seriesCreateReq struct {
	Title string `json:"title"`
	Body  string `json:"body"`
	// RRule is the recurrence rule's value: "FREQ=MONTHLY;BYDAY=1SU".
	RRule string `json:"rrule"`
	// Start is the first occurrence's local time, "2026-01-04T02:00", in Zone.
	Start string `json:"start"`
	// Zone is an IANA zone name; empty: the page's zone.
	Zone       string   `json:"zone"`
	Duration   string   `json:"duration"`
	Components []string `json:"components"`
}

type seriesJSON struct {
	ID         int64          `json:"id"`
	Title      string         `json:"title"`
	Body       string         `json:"body"`
	RRule      string         `json:"rrule"`
	Start      string         `json:"start"` // local, as given
	Zone       string         `json:"zone"`
	Duration   string         `json:"duration"`
	Components []componentRef `json:"components"`
	// FromConfig says the series is declared in the configuration
	// (maintenance.recurring), which alone changes or ends it.
	FromConfig bool   `json:"from_config"`
	EndedAt    *jtime `json:"ended_at"`
	CreatedAt  *jtime `json:"created_at"`
	UpdatedAt  *jtime `json:"updated_at"`
	Sequence   int    `json:"sequence"`
	// Next are the starts of its next occurrences (up to five, in UTC),
	// whether or not their windows are made yet.
	Next []*jtime `json:"next"`
	// Windows are the occurrences made as windows, soonest first; only
	// when one series is asked for.
	Windows []maintenanceJSON `json:"windows,omitempty"`
}

func (a *Admin) seriesOut(sr *status.Series, now time.Time) seriesJSON {
	cat := a.svc.Catalog()
	out := seriesJSON{ID: sr.ID, Title: sr.Title, Body: sr.Body, RRule: sr.Rule, Start: sr.Start.Format(status.WallLayout),
		Zone: sr.Zone, Duration: sr.Duration.String(), Components: []componentRef{}, FromConfig: sr.Key != "",
		EndedAt: jt(sr.EndedAt), CreatedAt: jt(sr.CreatedAt), UpdatedAt: jt(sr.UpdatedAt), Sequence: sr.Sequence,
		Next: []*jtime{}}
	for _, c := range sr.Components {
		out.Components = append(out.Components, componentRef{ID: c, Name: componentName(cat, c)})
	}
	if next, err := sr.Occurrences(now, 5); err == nil {
		for _, t := range next {
			out.Next = append(out.Next, jt(t))
		}
	}
	return out
}

func (a *Admin) listSeries(w http.ResponseWriter, r *http.Request, _ string) error {
	list, err := a.svc.AllSeries(r.Context())
	if err != nil {
		return err
	}
	now := a.svc.Now()
	out := make([]seriesJSON, 0, len(list))
	for i := range list {
		out = append(out, a.seriesOut(&list[i], now))
	}
	writeJSON(w, http.StatusOK, map[string]any{"series": out})
	return nil
}

func (a *Admin) createSeries(w http.ResponseWriter, r *http.Request, actor string) error {
	var req seriesCreateReq
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	start, err := time.Parse(status.WallLayout, req.Start)
	if err != nil {
		return badRequest("start: %q is not a local time like 2026-01-04T02:00 (the zone is given apart)", req.Start)
	}
	d, err := parseDuration("duration", req.Duration)
	if err != nil {
		return err
	}
	sr, err := a.svc.CreateSeries(r.Context(), actor, service.NewSeries{Title: req.Title, Body: req.Body, Rule: req.RRule,
		Start: start, Zone: req.Zone, Duration: d, Components: req.Components})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/maintenance-series/"+itoa(sr.ID))
	return a.writeSeries(w, r, http.StatusCreated, sr)
}

func (a *Admin) getSeries(w http.ResponseWriter, r *http.Request, _ string) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	sr, err := a.svc.Series(r.Context(), id)
	if err != nil {
		return err
	}
	return a.writeSeries(w, r, http.StatusOK, sr)
}

// endSeries ends a series: its windows still scheduled are cancelled; one
// occurrence alone is cancelled with POST /api/v1/maintenance/{id}/cancel.
func (a *Admin) endSeries(w http.ResponseWriter, r *http.Request, actor string) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req bodyReq
	if err := decode(w, r, &req, true); err != nil {
		return err
	}
	sr, err := a.svc.EndSeries(r.Context(), actor, id, req.Body)
	if err != nil {
		return err
	}
	return a.writeSeries(w, r, http.StatusOK, sr)
}

func (a *Admin) writeSeries(w http.ResponseWriter, r *http.Request, code int, sr *status.Series) error {
	windows, err := a.svc.Maintenances(r.Context(), store.MaintenanceFilter{SeriesID: sr.ID})
	if err != nil {
		return err
	}
	out := a.seriesOut(sr, a.svc.Now())
	cat := a.svc.Catalog()
	out.Windows = make([]maintenanceJSON, 0, len(windows))
	for i := len(windows) - 1; i >= 0; i-- { // soonest first
		out.Windows = append(out.Windows, maintenanceOut(cat, &windows[i]))
	}
	writeJSON(w, code, out)
	return nil
}

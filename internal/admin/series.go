package admin

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/words"
)

// seriesForm is the form that schedules recurring maintenance.
type seriesForm struct {
	Title, Body, Rule, Start, Zone, Minutes string
	Components                              map[string]bool
}

// seriesRow is a series as the maintenance page lists it.
type seriesRow struct {
	S          status.Series
	Next       []time.Time // its next starts, whether or not made yet
	Length     string      // "one hour"
	FromConfig bool
}

type rulePreset struct{ Rule, Label string }

// rulePresets are the rules the form offers to copy; any RFC 5545 RRULE is taken.
var rulePresets = []rulePreset{
	{"FREQ=WEEKLY;BYDAY=SU", "every Sunday"},
	{"FREQ=MONTHLY;BYDAY=1SU", "the first Sunday of each month"},
	{"FREQ=MONTHLY;BYDAY=-1SA", "the last Saturday of each month"},
	{"FREQ=DAILY", "every day"},
}

func (a *Admin) seriesListData(r *http.Request, d *maintListData, start time.Time) error {
	all, err := a.Service.AllSeries(r.Context())
	if err != nil {
		return err
	}
	now := a.now()
	d.SeriesByID = map[int64]string{}
	for _, sr := range all {
		d.SeriesByID[sr.ID] = sr.Title
		row := seriesRow{S: sr, FromConfig: sr.Key != "", Length: words.Duration(sr.Duration)}
		if next, err := sr.Occurrences(now, 3); err == nil {
			row.Next = next
		}
		d.Series = append(d.Series, row)
	}
	d.DefaultZone, d.Presets = a.Config().Location().String(), rulePresets
	d.SeriesForm = seriesForm{Start: start.Format(localLayout), Minutes: "60", Zone: d.DefaultZone,
		Rule: rulePresets[1].Rule, Components: map[string]bool{}}
	return nil
}

func (a *Admin) seriesCreate(w http.ResponseWriter, r *http.Request, s *session) error {
	f, err := form(r, []string{"title", "body", "rrule", "start", "zone", "minutes", "component"}, "component")
	if err != nil {
		return err
	}
	in := seriesForm{Title: f.Get("title"), Body: f.Get("body"), Rule: f.Get("rrule"), Start: f.Get("start"),
		Zone: f.Get("zone"), Minutes: f.Get("minutes"), Components: map[string]bool{}}
	for _, c := range f["component"] {
		in.Components[c] = true
	}
	again := func(err error) error {
		msg, ok := mistake(err, http.StatusUnprocessableEntity)
		if !ok {
			return err
		}
		d, lerr := a.maintListData(r)
		if lerr != nil {
			return lerr
		}
		d.SeriesForm, d.SeriesError = in, msg
		a.render(w, r, s, http.StatusUnprocessableEntity, "maintenance", "Maintenance", "maintenance", d)
		return nil
	}
	start, err := time.Parse(localLayout, strings.TrimSpace(in.Start))
	if err != nil {
		return again(&service.InvalidError{Msg: "First start is not a date and time (" + localLayout + ")."})
	}
	n, err := strconv.Atoi(strings.TrimSpace(in.Minutes))
	if err != nil || n <= 0 || n > 7*24*60 {
		return again(&service.InvalidError{Msg: "Give each window's length in minutes (1 to 10080)."})
	}
	sr, err := a.Service.CreateSeries(r.Context(), s.Actor, service.NewSeries{Title: in.Title, Body: in.Body,
		Rule: in.Rule, Start: start, Zone: strings.TrimSpace(in.Zone), Duration: time.Duration(n) * time.Minute,
		Components: f["component"]})
	if err != nil {
		return again(err)
	}
	return done(w, r, "/admin/maintenance#series-"+itoa(sr.ID), "series")
}

func (a *Admin) seriesEnd(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := form(r, nil); err != nil {
		return err
	}
	if _, err := a.Service.EndSeries(r.Context(), s.Actor, id, ""); err != nil {
		msg, ok := mistake(err, http.StatusConflict)
		if !ok {
			return err
		}
		d, lerr := a.maintListData(r)
		if lerr != nil {
			return lerr
		}
		d.SeriesError = msg
		a.render(w, r, s, http.StatusConflict, "maintenance", "Maintenance", "maintenance", d)
		return nil
	}
	return done(w, r, "/admin/maintenance#series-"+itoa(id), "seriesended")
}

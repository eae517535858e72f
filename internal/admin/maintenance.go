package admin

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

type maintForm struct {
	Title, Body, Start, End, Minutes, Update string
	Components                               map[string]bool
}

type maintListData struct {
	Pending, Past []status.Maintenance
	Names         map[string]string
	Choices       []compChoice
	Form          maintForm
	Error         string
	// Recurring maintenance (series.go).
	Series      []seriesRow
	SeriesForm  seriesForm
	SeriesError string
	DefaultZone string
	SeriesByID  map[int64]string // titles, for the windows that are occurrences
	Presets     []rulePreset
}

func (a *Admin) maintListData(r *http.Request) (maintListData, error) {
	ctx := r.Context()
	var d maintListData
	var err error
	if d.Pending, err = a.Service.Maintenances(ctx, store.MaintenanceFilter{State: "pending"}); err != nil {
		return d, err
	}
	if d.Past, err = a.Service.Maintenances(ctx, store.MaintenanceFilter{State: "past", Limit: 20}); err != nil {
		return d, err
	}
	d.Names, d.Choices = a.names(), a.choices(nil)
	// A sensible default: tonight at 11 PM in the page's zone, five minutes.
	loc := a.Config().Location()
	now := a.now().In(loc)
	start := time.Date(now.Year(), now.Month(), now.Day(), 23, 0, 0, 0, loc)
	if !start.After(now) {
		start = start.AddDate(0, 0, 1)
	}
	d.Form = maintForm{Start: start.Format(localLayout), Minutes: "30", Components: map[string]bool{}}
	if err := a.seriesListData(r, &d, start); err != nil {
		return d, err
	}
	return d, nil
}

const localLayout = "2006-01-02T15:04"

func (a *Admin) maintenanceList(w http.ResponseWriter, r *http.Request, s *session) error {
	d, err := a.maintListData(r)
	if err != nil {
		return err
	}
	a.render(w, r, s, http.StatusOK, "maintenance", "Maintenance", "maintenance", d)
	return nil
}

// parseLocal reads a datetime-local value in the page's zone.
func (a *Admin) parseLocal(field, v string) (time.Time, error) {
	t, err := time.ParseInLocation(localLayout, strings.TrimSpace(v), a.Config().Location())
	if err != nil {
		return time.Time{}, &service.InvalidError{Msg: field + " is not a date and time (" + localLayout + ")"}
	}
	return t.UTC(), nil
}

func (a *Admin) maintenanceCreate(w http.ResponseWriter, r *http.Request, s *session) error {
	f, err := form(r, []string{"title", "body", "start", "end", "minutes", "component"}, "component")
	if err != nil {
		return err
	}
	in := maintForm{Title: f.Get("title"), Body: f.Get("body"), Start: f.Get("start"), End: f.Get("end"),
		Minutes: f.Get("minutes"), Components: map[string]bool{}}
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
		d.Form, d.Error = in, msg
		a.render(w, r, s, http.StatusUnprocessableEntity, "maintenance", "Maintenance", "maintenance", d)
		return nil
	}
	req := service.NewMaintenance{Title: in.Title, Body: in.Body, Components: f["component"]}
	if req.Start, err = a.parseLocal("Start", in.Start); err != nil {
		return again(err)
	}
	switch {
	case strings.TrimSpace(in.End) != "":
		if req.End, err = a.parseLocal("End", in.End); err != nil {
			return again(err)
		}
	default:
		n, err := strconv.Atoi(strings.TrimSpace(in.Minutes))
		if err != nil || n <= 0 || n > 7*24*60 {
			return again(&service.InvalidError{Msg: "Give the window an end, or its length in minutes (1 to 10080)."})
		}
		req.End = req.Start.Add(time.Duration(n) * time.Minute)
	}
	m, err := a.Service.ScheduleMaintenance(r.Context(), s.Actor, req)
	if err != nil {
		return again(err)
	}
	return done(w, r, "/admin/maintenance/"+itoa(m.ID), "scheduled")
}

type maintDetailData struct {
	M       *status.Maintenance
	Names   map[string]string
	Missing []compChoice // configured components not in the window
	Error   string
	Section string
	Form    maintForm
	Public  string
	Series  *status.Series // the series it is an occurrence of, if any
}

func (a *Admin) maintDetail(r *http.Request, id int64) (maintDetailData, error) {
	m, err := a.Service.Maintenance(r.Context(), id)
	if err != nil {
		return maintDetailData{}, err
	}
	d := maintDetailData{M: m, Names: a.names(), Public: "/maintenance/" + itoa(m.ID)}
	if m.SeriesID != 0 {
		if d.Series, err = a.Service.Series(r.Context(), m.SeriesID); err != nil {
			return maintDetailData{}, err
		}
	}
	in := map[string]bool{}
	for _, c := range m.Components {
		in[c] = true
	}
	for _, c := range a.choices(nil) {
		if !in[c.ID] {
			d.Missing = append(d.Missing, c)
		}
	}
	return d, nil
}

func (a *Admin) maintenanceDetail(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := a.maintDetail(r, id)
	if err != nil {
		return err
	}
	a.render(w, r, s, http.StatusOK, "maintenance_detail", d.M.Title, "maintenance", d)
	return nil
}

func (a *Admin) maintAgain(w http.ResponseWriter, r *http.Request, s *session, id int64, section string, f maintForm, err error) error {
	msg, ok := mistake(err, http.StatusUnprocessableEntity, http.StatusConflict)
	if !ok {
		return err
	}
	d, lerr := a.maintDetail(r, id)
	if lerr != nil {
		return lerr
	}
	d.Error, d.Section, d.Form = msg, section, f
	a.render(w, r, s, http.StatusUnprocessableEntity, "maintenance_detail", d.M.Title, "maintenance", d)
	return nil
}

func (a *Admin) maintenanceAdd(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, err := form(r, []string{"component", "update"}, "component")
	if err != nil {
		return err
	}
	in := maintForm{Update: f.Get("update")}
	if len(f["component"]) == 0 {
		return a.maintAgain(w, r, s, id, "add", in, &service.InvalidError{Msg: "Tick at least one server or service to add."})
	}
	if _, err := a.Service.EditMaintenance(r.Context(), s.Actor, id, service.MaintenanceEdit{Add: f["component"], Update: in.Update}); err != nil {
		return a.maintAgain(w, r, s, id, "add", in, err)
	}
	return done(w, r, "/admin/maintenance/"+itoa(id), "added")
}

func (a *Admin) maintenanceUpdate(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, err := form(r, []string{"update"})
	if err != nil {
		return err
	}
	in := maintForm{Update: f.Get("update")}
	if _, err := a.Service.PostMaintenanceUpdate(r.Context(), s.Actor, id, in.Update); err != nil {
		return a.maintAgain(w, r, s, id, "update", in, err)
	}
	return done(w, r, "/admin/maintenance/"+itoa(id), "mupdate")
}

func (a *Admin) maintenanceComplete(w http.ResponseWriter, r *http.Request, s *session) error {
	return a.finishMaintenance(w, r, s, "complete")
}

func (a *Admin) maintenanceCancel(w http.ResponseWriter, r *http.Request, s *session) error {
	return a.finishMaintenance(w, r, s, "cancel")
}

func (a *Admin) finishMaintenance(w http.ResponseWriter, r *http.Request, s *session, how string) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, err := form(r, []string{"update"})
	if err != nil {
		return err
	}
	in := maintForm{Update: f.Get("update")}
	notice := "completed"
	if how == "cancel" {
		_, err = a.Service.CancelMaintenance(r.Context(), s.Actor, id, in.Update)
		notice = "cancelled"
	} else {
		_, err = a.Service.CompleteMaintenance(r.Context(), s.Actor, id, in.Update)
	}
	if err != nil {
		return a.maintAgain(w, r, s, id, how, in, err)
	}
	return done(w, r, "/admin/maintenance/"+itoa(id), notice)
}

package admin

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

// starter is a template as the editors offer it: a link that fills the
// form (by script, or by loading the page with ?template=).
type starter struct {
	service.IncidentTemplate
	// Fills is the components it sets, as "id=status" pairs for the script.
	Fills string
}

// starters are the templates offered now: the built-in ones and the configuration's.
func (a *Admin) starters() []starter {
	ts := service.IncidentTemplates(a.Config())
	out := make([]starter, len(ts))
	for i, t := range ts {
		ids := make([]string, 0, len(t.Components))
		for id := range t.Components {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		pairs := make([]string, len(ids))
		for k, id := range ids {
			pairs[k] = id + "=" + string(t.Components[id])
		}
		out[i] = starter{IncidentTemplate: t, Fills: strings.Join(pairs, " ")}
	}
	return out
}

func (a *Admin) starterFor(key string) (starter, bool) {
	for _, s := range a.starters() {
		if s.Name == key {
			return s, true
		}
	}
	return starter{}, false
}

// compChoice is one component's line in an editor: its current status in the incident, if any.
type compChoice struct {
	ID, Group, Name string
	Current         status.ComponentStatus
}

var settable = []status.ComponentStatus{status.Operational, status.DegradedPerformance, status.PartialOutage, status.MajorOutage}

type incidentForm struct {
	Title, Impact, Status, Body, Postmortem string
	Components                              map[string]string
}

type incidentListData struct {
	Open, Drafts, Recent []status.Incident
	Names                map[string]string
}

func (a *Admin) incidentList(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	var d incidentListData
	var err error
	if d.Open, err = a.Service.Incidents(ctx, store.IncidentFilter{State: "open"}); err != nil {
		return err
	}
	if d.Drafts, err = a.Service.Incidents(ctx, store.IncidentFilter{State: "draft", Limit: 50}); err != nil {
		return err
	}
	if d.Recent, err = a.Service.Incidents(ctx, store.IncidentFilter{State: "resolved", Limit: 30}); err != nil {
		return err
	}
	d.Names = a.names()
	a.render(w, r, s, http.StatusOK, "incidents", "Incidents", "incidents", d)
	return nil
}

type incidentNewData struct {
	Choices  []compChoice
	Statuses []status.ComponentStatus
	Impacts  []status.Impact
	Phases   []status.IncidentStatus
	Starters []starter
	Form     incidentForm
	Error    string
}

func (a *Admin) choices(in *status.Incident) []compChoice {
	cat := a.Service.Catalog()
	groups := map[string]string{}
	for _, g := range cat.Groups {
		groups[g.ID] = g.Name
	}
	current := map[string]status.ComponentStatus{}
	if in != nil {
		for _, c := range in.Components {
			current[c.ComponentID] = c.Status
		}
	}
	var out []compChoice
	for _, c := range cat.Active() {
		out = append(out, compChoice{ID: c.ID, Group: groups[c.GroupID], Name: c.Name, Current: current[c.ID]})
	}
	return out
}

func (a *Admin) newData(f incidentForm, msg string) incidentNewData {
	return incidentNewData{Choices: a.choices(nil), Statuses: settable, Impacts: status.Impacts,
		Phases: status.IncidentStatuses[:3], Starters: a.starters(), Form: f, Error: msg}
}

func (a *Admin) incidentNew(w http.ResponseWriter, r *http.Request, s *session) error {
	f := incidentForm{Status: string(status.Investigating)}
	if st, ok := a.starterFor(r.URL.Query().Get("template")); ok && st.Status != status.Resolved {
		f.Title, f.Status, f.Impact, f.Body = st.Title, string(st.Status), string(st.Impact), st.Body
		f.Components = map[string]string{}
		for id, cs := range st.Components {
			f.Components[id] = string(cs)
		}
	}
	a.render(w, r, s, http.StatusOK, "incident_new", "New incident", "incidents", a.newData(f, ""))
	return nil
}

// componentStatuses reads the c:ID fields; an empty value leaves a component out.
func componentStatuses(f url.Values) (map[string]status.ComponentStatus, map[string]string, error) {
	set, raw := map[string]status.ComponentStatus{}, map[string]string{}
	for k, v := range f {
		id, ok := strings.CutPrefix(k, "c:")
		if !ok || v[0] == "" {
			continue
		}
		raw[id] = v[0]
		st, err := status.ParseComponentStatus(v[0])
		if err != nil {
			return nil, raw, &service.InvalidError{Msg: err.Error()}
		}
		set[id] = st
	}
	return set, raw, nil
}

func (a *Admin) incidentCreate(w http.ResponseWriter, r *http.Request, s *session) error {
	f, err := form(r, []string{"title", "impact", "status", "body", "action", "c:*"})
	if err != nil {
		return err
	}
	in := incidentForm{Title: f.Get("title"), Impact: f.Get("impact"), Status: f.Get("status"), Body: f.Get("body")}
	comps, raw, err := componentStatuses(f)
	in.Components = raw
	again := func(err error) error {
		if msg, ok := mistake(err, http.StatusUnprocessableEntity); ok {
			a.render(w, r, s, http.StatusUnprocessableEntity, "incident_new", "New incident", "incidents", a.newData(in, msg))
			return nil
		}
		return err
	}
	if err != nil {
		return again(err)
	}
	req := service.NewIncident{Title: in.Title, Body: in.Body, Components: comps, Draft: f.Get("action") == "draft"}
	if in.Impact != "" && in.Impact != "auto" {
		if req.Impact, err = status.ParseImpact(in.Impact); err != nil {
			return again(&service.InvalidError{Msg: err.Error()})
		}
	}
	if req.Status, err = status.ParseIncidentStatus(in.Status); err != nil || req.Status == status.Resolved {
		return again(&service.InvalidError{Msg: "Choose investigating, identified or monitoring for a new incident."})
	}
	if a := f.Get("action"); a != "draft" && a != "publish" {
		return badForm("Choose Publish or Save draft.")
	}
	inc, err := a.Service.OpenIncident(r.Context(), s.Actor, req)
	if err != nil {
		return again(err)
	}
	notice := "created"
	if inc.Draft {
		notice = "draft"
	}
	return done(w, r, "/admin/incidents/"+itoa(inc.ID), notice)
}

type incidentEditorData struct {
	Incident *status.Incident
	Names    map[string]string
	Choices  []compChoice
	Statuses []status.ComponentStatus
	Impacts  []status.Impact
	Phases   []status.IncidentStatus
	Starters []starter
	Form     incidentForm
	Error    string
	// Section is which form the error belongs to.
	Section string
	Public  string
}

func (a *Admin) editorData(r *http.Request, in *status.Incident) incidentEditorData {
	d := incidentEditorData{Incident: in, Names: a.names(), Choices: a.choices(in), Statuses: settable,
		Impacts: status.Impacts, Phases: status.IncidentStatuses, Starters: a.starters(),
		Form: incidentForm{Title: in.Title, Impact: string(in.Impact), Status: string(in.Status), Postmortem: in.Postmortem}}
	if st, ok := a.starterFor(r.URL.Query().Get("template")); ok {
		d.Form.Status, d.Form.Body = string(st.Status), st.Body
		if len(st.Components) > 0 {
			d.Form.Components = map[string]string{}
			for id, cs := range st.Components {
				d.Form.Components[id] = string(cs)
			}
		}
	}
	if !in.Draft {
		d.Public = "/incidents/" + itoa(in.ID)
	}
	return d
}

func (a *Admin) loadIncident(r *http.Request) (*status.Incident, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	return a.Service.Incident(r.Context(), id)
}

func (a *Admin) incidentEditor(w http.ResponseWriter, r *http.Request, s *session) error {
	in, err := a.loadIncident(r)
	if err != nil {
		return err
	}
	a.render(w, r, s, http.StatusOK, "incident", in.Title, "incidents", a.editorData(r, in))
	return nil
}

// incidentAgain shows the editor again with the operator's text kept and the
// error beside the form it belongs to; other errors go to the error page.
func (a *Admin) incidentAgain(w http.ResponseWriter, r *http.Request, s *session, id int64, section string, f incidentForm, err error) error {
	msg, ok := mistake(err, http.StatusUnprocessableEntity, http.StatusConflict)
	if !ok {
		return err
	}
	in, lerr := a.Service.Incident(r.Context(), id)
	if lerr != nil {
		return lerr
	}
	d := a.editorData(r, in)
	switch section {
	case "update", "resolve":
		d.Form.Status, d.Form.Body, d.Form.Postmortem = f.Status, f.Body, f.Postmortem
	case "edit":
		d.Form.Title, d.Form.Impact = f.Title, f.Impact
	case "postmortem":
		d.Form.Postmortem = f.Postmortem
	}
	d.Error, d.Section = msg, section
	a.render(w, r, s, http.StatusUnprocessableEntity, "incident", in.Title, "incidents", d)
	return nil
}

func (a *Admin) incidentPublish(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := form(r, nil); err != nil {
		return err
	}
	if _, err := a.Service.PublishIncident(r.Context(), s.Actor, id); err != nil {
		return a.incidentAgain(w, r, s, id, "publish", incidentForm{}, err)
	}
	return done(w, r, "/admin/incidents/"+itoa(id), "published")
}

func (a *Admin) incidentEdit(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, err := form(r, []string{"title", "impact"})
	if err != nil {
		return err
	}
	in := incidentForm{Title: f.Get("title"), Impact: f.Get("impact")}
	req := service.IncidentEdit{Title: &in.Title}
	if in.Impact != "" {
		imp, err := status.ParseImpact(in.Impact)
		if err != nil {
			return a.incidentAgain(w, r, s, id, "edit", in, &service.InvalidError{Msg: err.Error()})
		}
		req.Impact = &imp
	}
	if _, err := a.Service.EditIncident(r.Context(), s.Actor, id, req); err != nil {
		return a.incidentAgain(w, r, s, id, "edit", in, err)
	}
	return done(w, r, "/admin/incidents/"+itoa(id), "edited")
}

func (a *Admin) incidentUpdate(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, err := form(r, []string{"status", "body", "c:*"})
	if err != nil {
		return err
	}
	in := incidentForm{Status: f.Get("status"), Body: f.Get("body")}
	comps, _, err := componentStatuses(f)
	if err != nil {
		return a.incidentAgain(w, r, s, id, "update", in, err)
	}
	st, err := status.ParseIncidentStatus(in.Status)
	if err != nil {
		return a.incidentAgain(w, r, s, id, "update", in, &service.InvalidError{Msg: err.Error()})
	}
	if st == status.Resolved {
		// One way to resolve: the resolve form's path, which can also take a postmortem.
		if _, err := a.Service.ResolveIncident(r.Context(), s.Actor, id, service.Resolution{Body: in.Body}); err != nil {
			return a.incidentAgain(w, r, s, id, "update", in, err)
		}
		return done(w, r, "/admin/incidents/"+itoa(id), "resolved")
	}
	if _, err := a.Service.PostIncidentUpdate(r.Context(), s.Actor, id, service.IncidentUpdate{Status: st, Body: in.Body, Components: comps}); err != nil {
		return a.incidentAgain(w, r, s, id, "update", in, err)
	}
	return done(w, r, "/admin/incidents/"+itoa(id), "updated")
}

// incidentUpdateEdit corrects the text of a posted update, as the on-call
// engineer does to a word of the draft Herald wrote before publishing it.
func (a *Admin) incidentUpdateEdit(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	uid, err := strconv.ParseInt(r.PathValue("update"), 10, 64)
	if err != nil || uid <= 0 {
		return &formError{http.StatusNotFound, "There is no such update."}
	}
	f, err := form(r, []string{"body"})
	if err != nil {
		return err
	}
	if _, err := a.Service.EditIncidentUpdate(r.Context(), s.Actor, id, uid, f.Get("body")); err != nil {
		return a.incidentAgain(w, r, s, id, "u"+strconv.FormatInt(uid, 10), incidentForm{Body: f.Get("body")}, err)
	}
	return done(w, r, "/admin/incidents/"+itoa(id)+"#u"+strconv.FormatInt(uid, 10), "edited")
}

func (a *Admin) incidentResolve(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, err := form(r, []string{"body", "postmortem"})
	if err != nil {
		return err
	}
	in := incidentForm{Status: string(status.Resolved), Body: f.Get("body"), Postmortem: f.Get("postmortem")}
	if _, err := a.Service.ResolveIncident(r.Context(), s.Actor, id, service.Resolution{Body: in.Body, Postmortem: in.Postmortem}); err != nil {
		return a.incidentAgain(w, r, s, id, "resolve", in, err)
	}
	return done(w, r, "/admin/incidents/"+itoa(id), "resolved")
}

func (a *Admin) incidentPostmortem(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f, err := form(r, []string{"postmortem"})
	if err != nil {
		return err
	}
	in := incidentForm{Postmortem: f.Get("postmortem")}
	if _, err := a.Service.SetPostmortem(r.Context(), s.Actor, id, in.Postmortem); err != nil {
		return a.incidentAgain(w, r, s, id, "postmortem", in, err)
	}
	return done(w, r, "/admin/incidents/"+itoa(id)+"#postmortem", "postmortem")
}

package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

type incidentCreateReq struct {
	Title      string            `json:"title"`
	Impact     string            `json:"impact"`
	Status     string            `json:"status"`
	Body       string            `json:"body"`
	Components map[string]string `json:"components"`
	StartedAt  string            `json:"started_at"`
	Draft      bool              `json:"draft"`
	// Template names an incident template whose fields fill those left out.
	Template string `json:"template"`
}

type incidentUpdateReq struct {
	Status     string            `json:"status"`
	Body       string            `json:"body"`
	Components map[string]string `json:"components"`
	Template   string            `json:"template"`
}

type incidentResolveReq struct {
	Body       string `json:"body"`
	ResolvedAt string `json:"resolved_at"`
	Postmortem string `json:"postmortem"`
}

type incidentEditReq struct {
	Title      *string `json:"title"`
	Impact     *string `json:"impact"`
	StartedAt  *string `json:"started_at"`
	ResolvedAt *string `json:"resolved_at"`
}

type bodyReq struct {
	Body string `json:"body"`
}

type linkReq struct {
	IncidentID int64 `json:"incident_id"`
}

// componentStatuses reads {"flexo/web": "major_outage"} with clear errors.
func componentStatuses(m map[string]string) (map[string]status.ComponentStatus, error) {
	out := make(map[string]status.ComponentStatus, len(m))
	for id, s := range m {
		cs, err := status.ParseComponentStatus(s)
		if err != nil {
			return nil, badRequest("components[%q]: %s", id, err)
		}
		out[strings.TrimSpace(id)] = cs
	}
	return out, nil
}

func (a *Admin) writeIncident(w http.ResponseWriter, code int, in *status.Incident) error {
	writeJSON(w, code, incidentOut(a.svc.Catalog(), in))
	return nil
}

func (a *Admin) listIncidents(w http.ResponseWriter, r *http.Request, _ string) error {
	state, limit, err := listQuery(r, "open", "resolved", "draft")
	if err != nil {
		return err
	}
	list, err := a.svc.Incidents(r.Context(), store.IncidentFilter{State: state, Limit: limit})
	if err != nil {
		return err
	}
	cat := a.svc.Catalog()
	out := make([]incidentJSON, 0, len(list))
	for i := range list {
		out = append(out, incidentOut(cat, &list[i]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"incidents": out})
	return nil
}

func (a *Admin) openIncident(w http.ResponseWriter, r *http.Request, actor string) error {
	var req incidentCreateReq
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	comps, err := componentStatuses(req.Components)
	if err != nil {
		return err
	}
	started, err := parseTime("started_at", req.StartedAt)
	if err != nil {
		return err
	}
	in := service.NewIncident{Title: req.Title, Body: req.Body, Components: comps, StartedAt: started, Draft: req.Draft}
	if req.Impact != "" {
		if in.Impact, err = status.ParseImpact(req.Impact); err != nil {
			return badRequest("impact: %s", err)
		}
	}
	if req.Status != "" {
		if in.Status, err = status.ParseIncidentStatus(req.Status); err != nil {
			return badRequest("status: %s", err)
		}
	}
	if req.Template != "" {
		t, err := service.FindTemplate(service.IncidentTemplates(a.config()), req.Template)
		if err != nil {
			return err
		}
		t.Fill(&in)
	}
	created, err := a.svc.OpenIncident(r.Context(), actor, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/incidents/"+itoa(created.ID))
	return a.writeIncident(w, http.StatusCreated, created)
}

func (a *Admin) getIncident(w http.ResponseWriter, r *http.Request, _ string) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in, err := a.svc.Incident(r.Context(), id)
	if err != nil {
		return err
	}
	return a.writeIncident(w, http.StatusOK, in)
}

func (a *Admin) editIncident(w http.ResponseWriter, r *http.Request, actor string) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req incidentEditReq
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	edit := service.IncidentEdit{Title: req.Title}
	if req.Impact != nil {
		imp, err := status.ParseImpact(*req.Impact)
		if err != nil {
			return badRequest("impact: %s", err)
		}
		edit.Impact = &imp
	}
	if edit.StartedAt, err = requiredTime("started_at", req.StartedAt); err != nil {
		return err
	}
	if edit.ResolvedAt, err = requiredTime("resolved_at", req.ResolvedAt); err != nil {
		return err
	}
	in, err := a.svc.EditIncident(r.Context(), actor, id, edit)
	if err != nil {
		return err
	}
	return a.writeIncident(w, http.StatusOK, in)
}

func (a *Admin) deleteIncident(w http.ResponseWriter, r *http.Request, actor string) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := a.svc.DeleteIncident(r.Context(), actor, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *Admin) postIncidentUpdate(w http.ResponseWriter, r *http.Request, actor string) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req incidentUpdateReq
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	comps, err := componentStatuses(req.Components)
	if err != nil {
		return err
	}
	upd := service.IncidentUpdate{Body: req.Body, Components: comps}
	if req.Status != "" {
		if upd.Status, err = status.ParseIncidentStatus(req.Status); err != nil {
			return badRequest("status: %s", err)
		}
	}
	if req.Template != "" {
		t, err := service.FindTemplate(service.IncidentTemplates(a.config()), req.Template)
		if err != nil {
			return err
		}
		t.FillUpdate(&upd)
	}
	in, err := a.svc.PostIncidentUpdate(r.Context(), actor, id, upd)
	if err != nil {
		return err
	}
	return a.writeIncident(w, http.StatusCreated, in)
}

func (a *Admin) resolveIncident(w http.ResponseWriter, r *http.Request, actor string) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req incidentResolveReq
	if err := decode(w, r, &req, true); err != nil {
		return err
	}
	end, err := parseTime("resolved_at", req.ResolvedAt)
	if err != nil {
		return err
	}
	in, err := a.svc.ResolveIncident(r.Context(), actor, id, service.Resolution{Body: req.Body, ResolvedAt: end, Postmortem: req.Postmortem})
	if err != nil {
		return err
	}
	return a.writeIncident(w, http.StatusOK, in)
}

func (a *Admin) publishIncident(w http.ResponseWriter, r *http.Request, actor string) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in, err := a.svc.PublishIncident(r.Context(), actor, id)
	if err != nil {
		return err
	}
	return a.writeIncident(w, http.StatusOK, in)
}

func (a *Admin) setPostmortem(w http.ResponseWriter, r *http.Request, actor string) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req bodyReq
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	in, err := a.svc.SetPostmortem(r.Context(), actor, id, req.Body)
	if err != nil {
		return err
	}
	return a.writeIncident(w, http.StatusOK, in)
}

func (a *Admin) linkIncident(w http.ResponseWriter, r *http.Request, actor string) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req linkReq
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	if req.IncidentID <= 0 {
		return badRequest("incident_id: a positive incident id is required")
	}
	in, err := a.svc.LinkIncidents(r.Context(), actor, id, req.IncidentID)
	if err != nil {
		return err
	}
	return a.writeIncident(w, http.StatusOK, in)
}

func (a *Admin) unlinkIncident(w http.ResponseWriter, r *http.Request, actor string) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	other, err := pathID(r, "other")
	if err != nil {
		return err
	}
	in, err := a.svc.UnlinkIncidents(r.Context(), actor, id, other)
	if err != nil {
		return err
	}
	return a.writeIncident(w, http.StatusOK, in)
}

// requiredTime reads an optional field that, when given, must hold a time.
func requiredTime(field string, src *string) (*time.Time, error) {
	if src == nil {
		return nil, nil
	}
	t, err := parseTime(field, *src)
	if err != nil {
		return nil, err
	}
	if t.IsZero() {
		return nil, badRequest("%s: a time is required", field)
	}
	return &t, nil
}

type incidentTemplateJSON struct {
	Name       string            `json:"name"`
	Label      string            `json:"label"`
	Title      string            `json:"title"`
	Status     string            `json:"status"`
	Impact     *string           `json:"impact"`
	Body       string            `json:"body"`
	Components map[string]string `json:"components"`
	BuiltIn    bool              `json:"built_in"`
}

// listIncidentTemplates answers GET /api/v1/incident-templates: the
// built-in templates (each replaced by a configured one of its name), then
// the configuration's.
func (a *Admin) listIncidentTemplates(w http.ResponseWriter, r *http.Request, _ string) error {
	if _, err := strictQuery(r); err != nil {
		return err
	}
	out := []incidentTemplateJSON{}
	for _, t := range service.IncidentTemplates(a.config()) {
		j := incidentTemplateJSON{Name: t.Name, Label: t.Label, Title: t.Title, Status: string(t.Status), Body: t.Body,
			Components: map[string]string{}, BuiltIn: t.BuiltIn}
		if t.Impact != "" {
			im := string(t.Impact)
			j.Impact = &im
		}
		for id, cs := range t.Components {
			j.Components[id] = string(cs)
		}
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, map[string]any{"templates": out})
	return nil
}

package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

type maintenanceCreateReq struct {
	Title      string   `json:"title"`
	Body       string   `json:"body"`
	Components []string `json:"components"`
	Start      string   `json:"start"`
	Duration   string   `json:"duration"`
	End        string   `json:"end"`
}

type maintenanceEditReq struct {
	Title            *string  `json:"title"`
	Body             *string  `json:"body"`
	AddComponents    []string `json:"add_components"`
	RemoveComponents []string `json:"remove_components"`
	Start            *string  `json:"start"`
	Duration         *string  `json:"duration"`
	End              *string  `json:"end"`
	Update           string   `json:"update"`
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

func (a *Admin) writeMaintenance(w http.ResponseWriter, code int, m *status.Maintenance) error {
	writeJSON(w, code, maintenanceOut(a.svc.Catalog(), m))
	return nil
}

func (a *Admin) listMaintenance(w http.ResponseWriter, r *http.Request, _ string) error {
	state, limit, err := listQuery(r, "upcoming", "active", "past")
	if err != nil {
		return err
	}
	list, err := a.svc.Maintenances(r.Context(), store.MaintenanceFilter{State: state, Limit: limit})
	if err != nil {
		return err
	}
	cat := a.svc.Catalog()
	out := make([]maintenanceJSON, 0, len(list))
	for i := range list {
		out = append(out, maintenanceOut(cat, &list[i]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"maintenance": out})
	return nil
}

func (a *Admin) scheduleMaintenance(w http.ResponseWriter, r *http.Request, actor string) error {
	var req maintenanceCreateReq
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	start, err := parseTime("start", req.Start)
	if err != nil {
		return err
	}
	if start.IsZero() {
		return badRequest("start: a time is required")
	}
	end, err := parseTime("end", req.End)
	if err != nil {
		return err
	}
	switch {
	case req.Duration != "" && req.End != "":
		return badRequest("give either duration or end, not both")
	case req.Duration != "":
		d, err := parseDuration("duration", req.Duration)
		if err != nil {
			return err
		}
		end = start.Add(d)
	case req.End == "":
		return badRequest("give the window's duration (like 5m) or its end")
	}
	m, err := a.svc.ScheduleMaintenance(r.Context(), actor, service.NewMaintenance{
		Title: req.Title, Body: req.Body, Components: req.Components, Start: start, End: end})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/maintenance/"+itoa(m.ID))
	return a.writeMaintenance(w, http.StatusCreated, m)
}

func (a *Admin) getMaintenance(w http.ResponseWriter, r *http.Request, _ string) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	m, err := a.svc.Maintenance(r.Context(), id)
	if err != nil {
		return err
	}
	return a.writeMaintenance(w, http.StatusOK, m)
}

func (a *Admin) editMaintenance(w http.ResponseWriter, r *http.Request, actor string) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req maintenanceEditReq
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	if req.Duration != nil && req.End != nil {
		return badRequest("give either duration or end, not both")
	}
	edit := service.MaintenanceEdit{Title: req.Title, Body: req.Body, Add: req.AddComponents,
		Remove: req.RemoveComponents, Update: req.Update}
	if req.Start != nil {
		t, err := parseTime("start", *req.Start)
		if err != nil || t.IsZero() {
			return badRequest("start: %q is not an RFC 3339 time (like 2026-04-03T23:00:00-07:00)", *req.Start)
		}
		edit.Start = &t
	}
	if req.End != nil {
		t, err := parseTime("end", *req.End)
		if err != nil || t.IsZero() {
			return badRequest("end: %q is not an RFC 3339 time (like 2026-04-03T23:05:00-07:00)", *req.End)
		}
		edit.End = &t
	}
	if req.Duration != nil {
		d, err := parseDuration("duration", *req.Duration)
		if err != nil {
			return err
		}
		edit.Duration = &d
	}
	m, err := a.svc.EditMaintenance(r.Context(), actor, id, edit)
	if err != nil {
		return err
	}
	return a.writeMaintenance(w, http.StatusOK, m)
}

func (a *Admin) postMaintenanceUpdate(w http.ResponseWriter, r *http.Request, actor string) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req bodyReq
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	m, err := a.svc.PostMaintenanceUpdate(r.Context(), actor, id, req.Body)
	if err != nil {
		return err
	}
	return a.writeMaintenance(w, http.StatusCreated, m)
}

func (a *Admin) completeMaintenance(w http.ResponseWriter, r *http.Request, actor string) error {
	return a.finishMaintenance(w, r, actor, a.svc.CompleteMaintenance)
}

func (a *Admin) cancelMaintenance(w http.ResponseWriter, r *http.Request, actor string) error {
	return a.finishMaintenance(w, r, actor, a.svc.CancelMaintenance)
}

func (a *Admin) finishMaintenance(w http.ResponseWriter, r *http.Request, actor string,
	fn func(ctx context.Context, actor string, id int64, body string) (*status.Maintenance, error)) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req bodyReq
	if err := decode(w, r, &req, true); err != nil {
		return err
	}
	m, err := fn(r.Context(), actor, id, req.Body)
	if err != nil {
		return err
	}
	return a.writeMaintenance(w, http.StatusOK, m)
}

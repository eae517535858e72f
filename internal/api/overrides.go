package api

import (
	"net/http"
	"time"

	"github.com/heraldhq/herald/internal/status"
)

// A component's manual status: what an operator says wins over incidents,
// maintenance and monitors until cleared.

type overrideReq struct {
	Status *string `json:"status"`
	Note   string  `json:"note"`
}

type overrideJSON struct {
	Component string    `json:"component"`
	Status    string    `json:"status"`
	Note      string    `json:"note"`
	SetBy     string    `json:"set_by"`
	SetAt     time.Time `json:"set_at"`
}

func (a *Admin) listOverrides(w http.ResponseWriter, r *http.Request, _ string) error {
	list, err := a.svc.Overrides(r.Context())
	if err != nil {
		return err
	}
	out := make([]overrideJSON, 0, len(list))
	for _, o := range list {
		out = append(out, overrideJSON{Component: o.ComponentID, Status: string(o.Status), Note: o.Note, SetBy: o.SetBy, SetAt: o.SetAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"overrides": out})
	return nil
}

func (a *Admin) setOverride(w http.ResponseWriter, r *http.Request, actor string) error {
	var req overrideReq
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	if req.Status == nil {
		return badRequest("status is required (operational, degraded_performance, partial_outage, major_outage, under_maintenance)")
	}
	id := r.PathValue("group") + "/" + r.PathValue("component")
	o, err := a.svc.SetOverride(r.Context(), actor, id, status.ComponentStatus(*req.Status), req.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, overrideJSON{Component: o.ComponentID, Status: string(o.Status), Note: o.Note, SetBy: o.SetBy, SetAt: o.SetAt})
	return nil
}

func (a *Admin) clearOverride(w http.ResponseWriter, r *http.Request, actor string) error {
	id := r.PathValue("group") + "/" + r.PathValue("component")
	if err := a.svc.ClearOverride(r.Context(), actor, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type updateEditReq struct {
	Body string `json:"body"`
}

// editIncidentUpdate corrects the text of one update (PATCH /api/v1/incidents/{id}/updates/{update}).
func (a *Admin) editIncidentUpdate(w http.ResponseWriter, r *http.Request, actor string) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	uid, err := pathID(r, "update")
	if err != nil {
		return err
	}
	var req updateEditReq
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	in, err := a.svc.EditIncidentUpdate(r.Context(), actor, id, uid, req.Body)
	if err != nil {
		return err
	}
	return a.writeIncident(w, http.StatusOK, in)
}

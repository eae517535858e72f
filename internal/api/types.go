package api

import (
	"encoding/json"
	"github.com/heraldhq/herald/internal/config"
	"time"

	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

// jtime is a time in responses: RFC 3339 in UTC to the second, null when zero.
type jtime struct{ t time.Time }

func jt(t time.Time) *jtime {
	if t.IsZero() {
		return nil
	}
	return &jtime{t}
}

func (j jtime) MarshalJSON() ([]byte, error) {
	return json.Marshal(j.t.UTC().Truncate(time.Second).Format(time.RFC3339))
}

type componentJSON struct {
	ID          string `json:"id"`
	Group       string `json:"group"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Status      string `json:"status,omitempty"`
	Position    int    `json:"position"`
	Removed     bool   `json:"removed"`
	// DependsOn is what the configuration says it needs (its group's
	// depends_on, then its own): group or component ids.
	DependsOn []string `json:"depends_on"`
}

func componentOut(c store.Component, st string, cfg config.Config) componentJSON {
	deps := cfg.DependsOn(c.ID)
	if deps == nil {
		deps = []string{}
	}
	return componentJSON{ID: c.ID, Group: c.GroupID, Name: c.Name, Description: c.Description, Status: st,
		Position: c.Position, Removed: !c.RemovedAt.IsZero(), DependsOn: deps}
}

type changeJSON struct {
	ID      int64           `json:"id"`
	At      *jtime          `json:"at"`
	Actor   string          `json:"actor"`
	Action  string          `json:"action"`
	Subject string          `json:"subject"`
	Before  json.RawMessage `json:"before"`
	After   json.RawMessage `json:"after"`
}

type incidentJSON struct {
	ID                    int64                `json:"id"`
	Title                 string               `json:"title"`
	Impact                string               `json:"impact"`
	Status                string               `json:"status"`
	Draft                 bool                 `json:"draft"`
	Auto                  bool                 `json:"auto"`
	StartedAt             *jtime               `json:"started_at"`
	IdentifiedAt          *jtime               `json:"identified_at"`
	MonitoringAt          *jtime               `json:"monitoring_at"`
	ResolvedAt            *jtime               `json:"resolved_at"`
	PublishedAt           *jtime               `json:"published_at"`
	CreatedAt             *jtime               `json:"created_at"`
	UpdatedAt             *jtime               `json:"updated_at"`
	Components            []affectedJSON       `json:"components"`
	Updates               []incidentUpdateJSON `json:"updates"`
	Postmortem            string               `json:"postmortem"`
	PostmortemPublishedAt *jtime               `json:"postmortem_published_at"`
	Links                 []int64              `json:"links"`
}

type affectedJSON struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

type incidentUpdateJSON struct {
	ID        int64        `json:"id"`
	Status    string       `json:"status"`
	Body      string       `json:"body"`
	CreatedAt *jtime       `json:"created_at"`
	DisplayAt *jtime       `json:"display_at"`
	Changes   []changeItem `json:"changes"`
}

type changeItem struct {
	Component string `json:"component"`
	Old       string `json:"old"`
	New       string `json:"new"`
}

func componentName(cat *service.Catalog, id string) string {
	if c, ok := cat.Component(id); ok {
		return c.Name
	}
	return id
}

func incidentOut(cat *service.Catalog, in *status.Incident) incidentJSON {
	out := incidentJSON{
		ID: in.ID, Title: in.Title, Impact: string(in.Impact), Status: string(in.Status), Draft: in.Draft, Auto: in.Auto,
		StartedAt: jt(in.StartedAt), IdentifiedAt: jt(in.IdentifiedAt), MonitoringAt: jt(in.MonitoringAt),
		ResolvedAt: jt(in.ResolvedAt), PublishedAt: jt(in.PublishedAt), CreatedAt: jt(in.CreatedAt),
		UpdatedAt: jt(in.UpdatedAt), Postmortem: in.Postmortem, PostmortemPublishedAt: jt(in.PostmortemPublishedAt),
		Components: []affectedJSON{}, Updates: []incidentUpdateJSON{}, Links: append([]int64{}, in.Links...),
	}
	for _, c := range in.Components {
		out.Components = append(out.Components, affectedJSON{ID: c.ComponentID, Name: componentName(cat, c.ComponentID), Status: string(c.Status)})
	}
	for _, u := range in.Updates {
		ju := incidentUpdateJSON{ID: u.ID, Status: string(u.Status), Body: u.Body, CreatedAt: jt(u.CreatedAt),
			DisplayAt: jt(u.DisplayAt), Changes: []changeItem{}}
		for _, c := range u.Changes {
			ju.Changes = append(ju.Changes, changeItem{Component: c.ComponentID, Old: string(c.Old), New: string(c.New)})
		}
		out.Updates = append(out.Updates, ju)
	}
	return out
}

type maintenanceJSON struct {
	ID             int64                   `json:"id"`
	Title          string                  `json:"title"`
	Body           string                  `json:"body"`
	Status         string                  `json:"status"`
	ScheduledFor   *jtime                  `json:"scheduled_for"`
	ScheduledUntil *jtime                  `json:"scheduled_until"`
	StartedAt      *jtime                  `json:"started_at"`
	CompletedAt    *jtime                  `json:"completed_at"`
	CreatedAt      *jtime                  `json:"created_at"`
	UpdatedAt      *jtime                  `json:"updated_at"`
	Sequence       int                     `json:"sequence"`
	Components     []componentRef          `json:"components"`
	Updates        []maintenanceUpdateJSON `json:"updates"`
	// An occurrence of recurring maintenance names its series and the
	// start its rule gave it (which stays if the window is moved).
	SeriesID   int64  `json:"series_id,omitempty"`
	Occurrence *jtime `json:"occurrence,omitempty"`
}

type componentRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type maintenanceUpdateJSON struct {
	ID        int64  `json:"id"`
	Status    string `json:"status"`
	Body      string `json:"body"`
	CreatedAt *jtime `json:"created_at"`
	DisplayAt *jtime `json:"display_at"`
}

func maintenanceOut(cat *service.Catalog, m *status.Maintenance) maintenanceJSON {
	out := maintenanceJSON{
		ID: m.ID, Title: m.Title, Body: m.Body, Status: string(m.Status),
		ScheduledFor: jt(m.ScheduledFor), ScheduledUntil: jt(m.ScheduledUntil), StartedAt: jt(m.StartedAt),
		CompletedAt: jt(m.CompletedAt), CreatedAt: jt(m.CreatedAt), UpdatedAt: jt(m.UpdatedAt), Sequence: m.Sequence,
		Components: []componentRef{}, Updates: []maintenanceUpdateJSON{},
		SeriesID: m.SeriesID, Occurrence: jt(m.Occurrence),
	}
	for _, c := range m.Components {
		out.Components = append(out.Components, componentRef{ID: c, Name: componentName(cat, c)})
	}
	for _, u := range m.Updates {
		out.Updates = append(out.Updates, maintenanceUpdateJSON{ID: u.ID, Status: string(u.Status), Body: u.Body,
			CreatedAt: jt(u.CreatedAt), DisplayAt: jt(u.DisplayAt)})
	}
	return out
}

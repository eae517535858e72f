package service

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/status"
)

// IncidentTemplate is a named starting point for an incident or an update.
// What it gives fills what a request leaves out; nothing is posted from it
// unread in the admin, where it fills the form to be edited.
type IncidentTemplate struct {
	Name, Label string
	Title       string
	Status      status.IncidentStatus
	Impact      status.Impact // empty: from the components
	Body        string
	Components  map[string]status.ComponentStatus
	BuiltIn     bool
}

// builtinTemplates are the texts an operator starts from at 3 AM.
var builtinTemplates = []IncidentTemplate{
	{Name: "investigating", Label: "Investigating", Status: status.Investigating,
		Body: "We are investigating reports that some customers cannot reach their Web sites. We will post an update within 30 minutes."},
	{Name: "identified", Label: "Identified", Status: status.Identified,
		Body: "We have identified the cause of the problem and are working on a fix. We will post an update within 30 minutes."},
	{Name: "monitoring", Label: "Monitoring", Status: status.Monitoring,
		Body: "A fix has been put in place and service has returned. We are monitoring to make sure it stays that way."},
	{Name: "resolved", Label: "Resolved", Status: status.Resolved,
		Body: "This incident has been resolved and service is working normally. We are sorry for the trouble this caused."},
	{Name: "hardware", Label: "Hardware fault", Status: status.Identified,
		Body: "A hardware fault on the server is the cause. Our technicians are replacing the failed part now; no data has been lost."},
	{Name: "network", Label: "Network attack", Status: status.Identified,
		Body: "Our network is under a distributed denial-of-service attack, which makes most servers unreachable or very slow. We are working with our upstream provider to filter it."},
}

// IncidentTemplates are the built-in templates, each replaced by a configured
// one of its name, then the other configured ones in the file's order. The
// configuration is validated before it gets here; a value that does not
// parse is left out rather than guessed.
func IncidentTemplates(cfg config.Config) []IncidentTemplate {
	out := make([]IncidentTemplate, 0, len(builtinTemplates)+len(cfg.IncidentTemplates))
	for _, b := range builtinTemplates {
		b.BuiltIn = true
		out = append(out, b)
	}
	for _, c := range cfg.IncidentTemplates {
		t := IncidentTemplate{Name: c.Name, Label: c.Label, Title: c.Title, Body: c.Body, Status: status.Investigating}
		if t.Label == "" {
			t.Label = c.Name
		}
		if st, err := status.ParseIncidentStatus(c.Status); err == nil && c.Status != "" {
			t.Status = st
		}
		if im, err := status.ParseImpact(c.Impact); err == nil && c.Impact != "" {
			t.Impact = im
		}
		for id, v := range c.Components {
			if st, err := status.ParseComponentStatus(v); err == nil {
				if t.Components == nil {
					t.Components = map[string]status.ComponentStatus{}
				}
				t.Components[id] = st
			}
		}
		if i := slices.IndexFunc(out, func(o IncidentTemplate) bool { return o.Name == c.Name }); i >= 0 {
			out[i] = t
		} else {
			out = append(out, t)
		}
	}
	return out
}

// FindTemplate looks a template up by name; the error names the ones there are.
func FindTemplate(templates []IncidentTemplate, name string) (IncidentTemplate, error) {
	names := make([]string, 0, len(templates))
	for _, t := range templates {
		if t.Name == name {
			return t, nil
		}
		names = append(names, t.Name)
	}
	return IncidentTemplate{}, &InvalidError{Msg: fmt.Sprintf("no incident template %q (there are: %s)", name, strings.Join(names, ", "))}
}

// Fill completes a new incident from the template: the title, status,
// impact, first update and components the request leaves out.
func (t IncidentTemplate) Fill(in *NewIncident) {
	if in.Title == "" {
		in.Title = t.Title
	}
	if in.Status == "" && t.Status != status.Resolved {
		in.Status = t.Status
	}
	if in.Impact == "" {
		in.Impact = t.Impact
	}
	if in.Body == "" {
		in.Body = t.Body
	}
	if len(in.Components) == 0 && len(t.Components) > 0 {
		in.Components = maps.Clone(t.Components)
	}
}

// FillUpdate completes an update from the template: its status, text and
// components, where the request gives none.
func (t IncidentTemplate) FillUpdate(u *IncidentUpdate) {
	if u.Status == "" {
		u.Status = t.Status
	}
	if u.Body == "" {
		u.Body = t.Body
	}
	if len(u.Components) == 0 && len(t.Components) > 0 {
		u.Components = maps.Clone(t.Components)
	}
}

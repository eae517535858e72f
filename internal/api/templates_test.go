package api_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"testing"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/store/storetest"
)

type templateAnswer struct {
	Name       string            `json:"name"`
	Label      string            `json:"label"`
	Title      string            `json:"title"`
	Status     string            `json:"status"`
	Impact     *string           `json:"impact"`
	Body       string            `json:"body"`
	Components map[string]string `json:"components"`
	BuiltIn    bool              `json:"built_in"`
}

// TestIncidentTemplates: configured templates join (and by name replace)
// the built-in ones; a template fills what an incident or an update leaves
// out, and nothing the request gives.
func TestIncidentTemplates(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t))
	cfg, err := config.Parse("test.yaml", []byte(`page: {title: Status, zone: America/Los_Angeles}
groups:
  - id: flexo
    components: [{id: web, name: Web sites}, {id: email, name: E-mail}]
incident_templates:
  - name: power
    label: Power failure
    title: Power failure in the data centre
    status: identified
    impact: critical
    body: A power failure in the data centre has taken flexo offline.
    components: {flexo/web: major_outage, flexo/email: major_outage}
  - name: identified
    status: identified
    body: We know what is wrong and are fixing it.
`))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	api.NewAdmin(f.svc, slog.New(slog.NewTextHandler(f.logs, nil))).WithConfig(func() config.Config { return cfg }).Register(mux)
	f.serve(t, mux)

	list := want[struct {
		Templates []templateAnswer `json:"templates"`
	}](t, f.send(t, "GET", "/api/v1/incident-templates", f.read, "", nil), http.StatusOK).Templates
	names := []string{}
	byName := map[string]templateAnswer{}
	for _, tm := range list {
		names = append(names, tm.Name)
		byName[tm.Name] = tm
	}
	if got := len(names); got != 7 || names[0] != "investigating" || names[6] != "power" {
		t.Fatalf("templates %v: want the six built-in ones, then power", names)
	}
	if id := byName["identified"]; id.BuiltIn || id.Body != "We know what is wrong and are fixing it." || id.Label != "identified" {
		t.Errorf("the configured identified template does not replace the built-in one: %+v", id)
	}
	if p := byName["power"]; p.Impact == nil || *p.Impact != "critical" || p.Components["flexo/email"] != "major_outage" || p.Title == "" {
		t.Errorf("power: %+v", p)
	}

	// Everything from the template.
	in := want[incidentJSON](t, f.send(t, "POST", "/api/v1/incidents", f.write, "application/json", []byte(`{"template": "power"}`)), http.StatusCreated)
	if in.Title != "Power failure in the data centre" || in.Status != "identified" || in.Impact != "critical" || len(in.Components) != 2 ||
		in.Updates[0].Body != "A power failure in the data centre has taken flexo offline." {
		t.Errorf("opened from the template: %+v", in)
	}
	// What the request gives wins.
	in = want[incidentJSON](t, f.send(t, "POST", "/api/v1/incidents", f.write, "application/json",
		[]byte(`{"template": "power", "title": "Power failure on flexo", "components": {"flexo/web": "partial_outage"}}`)), http.StatusCreated)
	if in.Title != "Power failure on flexo" || len(in.Components) != 1 || in.Components[0].Status != "partial_outage" || in.Impact != "critical" {
		t.Errorf("the request's own fields: %+v", in)
	}
	// An update from a template: its status and text.
	in = want[incidentJSON](t, f.send(t, "POST", fmt.Sprintf("/api/v1/incidents/%d/updates", in.ID), f.write, "application/json",
		[]byte(`{"template": "monitoring"}`)), http.StatusCreated)
	if in.Status != "monitoring" || len(in.Updates) != 2 {
		t.Errorf("after the monitoring template: %+v", in)
	}
	wantError(t, f.send(t, "POST", "/api/v1/incidents", f.write, "application/json", []byte(`{"template": "flood"}`)),
		http.StatusUnprocessableEntity, `no incident template "flood"`, "power")
	wantError(t, f.send(t, "GET", "/api/v1/incident-templates?x=1", f.read, "", nil), http.StatusBadRequest, "unknown query parameter x")
}

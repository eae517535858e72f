package admin_test

import (
	"net/http"
	"testing"

	"github.com/heraldhq/herald/internal/admin"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// TestConfiguredTemplates: a template from the configuration is offered
// beside the built-in ones and, followed without script, fills the title,
// impact, text and components of a new incident.
func TestConfiguredTemplates(t *testing.T) {
	cfg, err := config.Parse("test.yaml", []byte(testConfig+`
incident_templates:
  - name: power
    label: Power failure
    title: Power failure in the data centre
    status: identified
    impact: critical
    body: A power failure has taken flexo offline.
    components: {flexo/web: major_outage}
`))
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, storetest.SQLite(t), func(d *admin.Deps) { d.Config = func() config.Config { return cfg } })
	c := f.as(t, "erin")
	r := c.get("/admin/incidents/new")
	wantCode(t, "new", r, http.StatusOK)
	wantBody(t, "new", r, `href="/admin/incidents/new?template=power"`, `data-title="Power failure in the data centre"`,
		`data-impact="critical"`, `data-components="flexo/web=major_outage"`, ">Power failure</a>", ">Hardware fault</a>")
	r = c.get("/admin/incidents/new?template=power")
	wantBody(t, "from power", r, `value="Power failure in the data centre"`, `<option value="critical" selected>`,
		`<option value="major_outage" selected>`, "A power failure has taken flexo offline.")
}

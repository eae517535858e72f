package status

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestRenderedLeftOutOfJSON: the change log stores incidents and windows as
// JSON; their renderings, derived from the texts, stay out of it.
func TestRenderedLeftOutOfJSON(t *testing.T) {
	r := Rendered{HTML: "<p>mark</p>", Text: "mark"}
	for _, v := range []any{
		Incident{Postmortem: "x", PostmortemRendered: r, Updates: []IncidentUpdate{{Body: "x", Rendered: r}}},
		Maintenance{Body: "x", Rendered: r, Updates: []MaintenanceUpdate{{Body: "x", Rendered: r}}},
	} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "mark") {
			t.Errorf("%s", b)
		}
	}
}

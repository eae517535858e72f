package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/store/storetest"
)

func TestOverrides(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		path := "/api/v1/components/flexo/web/override"
		cases := []struct {
			name, token, method, body string
			code                      int
			want                      string
		}{
			{"read token may not set", f.read, http.MethodPut, `{"status":"major_outage"}`, http.StatusForbidden, "read-only"},
			{"status required", f.write, http.MethodPut, `{"note":"x"}`, http.StatusBadRequest, "status is required"},
			{"unknown status", f.write, http.MethodPut, `{"status":"on_fire"}`, http.StatusUnprocessableEntity, "not a component status"},
			{"unknown field", f.write, http.MethodPut, `{"status":"major_outage","colour":"red"}`, http.StatusBadRequest, "colour"},
			{"clear with none set", f.write, http.MethodDelete, "", http.StatusNotFound, "no manual status"},
			{"set", f.write, http.MethodPut, `{"status":"partial_outage","note":"Half the disks"}`, http.StatusOK, `"set_by":"token:`},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				var body any
				if tc.body != "" {
					body = tc.body
				}
				a := f.callAs(t, tc.token, tc.method, path, body)
				if a.code != tc.code || !strings.Contains(string(a.body), tc.want) {
					t.Errorf("%s %s: %s, want %d containing %q", tc.method, path, a, tc.code, tc.want)
				}
			})
		}
		if a := f.callAs(t, f.read, http.MethodGet, "/api/v1/components", nil); !strings.Contains(string(a.body), `"partial_outage"`) {
			t.Errorf("components after the override: %s", a)
		}
		if a := f.callAs(t, f.read, http.MethodGet, "/api/v1/overrides", nil); !strings.Contains(string(a.body), `"note":"Half the disks"`) {
			t.Errorf("overrides: %s", a)
		}
		if a := f.call(t, http.MethodPut, "/api/v1/components/nope/web/override", `{"status":"major_outage"}`); a.code != http.StatusUnprocessableEntity {
			t.Errorf("unknown component: %s", a)
		}
		if a := f.call(t, http.MethodDelete, path, nil); a.code != http.StatusNoContent {
			t.Errorf("clear: %s", a)
		}
		if a := f.callAs(t, f.read, http.MethodGet, "/api/v1/components", nil); strings.Contains(string(a.body), `"partial_outage"`) {
			t.Errorf("components after clearing: %s", a)
		}
	})
}

func TestEditIncidentUpdateAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		a := f.call(t, http.MethodPost, "/api/v1/incidents", `{"title":"Web sites on flexo not responding","body":"We're investigatin.","draft":true,"components":{"flexo/web":"major_outage"}}`)
		if a.code != http.StatusCreated {
			t.Fatalf("open: %s", a)
		}
		var in struct {
			ID      int64
			Updates []struct {
				ID   int64
				Body string
			}
		}
		if err := json.Unmarshal(a.body, &in); err != nil || len(in.Updates) != 1 {
			t.Fatalf("open: %s %v", a, err)
		}
		p := fmt.Sprintf("/api/v1/incidents/%d/updates/%d", in.ID, in.Updates[0].ID)
		if a := f.callAs(t, f.read, http.MethodPatch, p, `{"body":"x"}`); a.code != http.StatusForbidden {
			t.Errorf("read token: %s", a)
		}
		if a := f.call(t, http.MethodPatch, p, `{"body":""}`); a.code != http.StatusUnprocessableEntity {
			t.Errorf("empty body: %s", a)
		}
		if a := f.call(t, http.MethodPatch, fmt.Sprintf("/api/v1/incidents/%d/updates/%d", in.ID, in.Updates[0].ID+50), `{"body":"x"}`); a.code != http.StatusNotFound {
			t.Errorf("missing update: %s", a)
		}
		if a := f.call(t, http.MethodPatch, p, `{"body":"We're investigating."}`); a.code != http.StatusOK || !strings.Contains(string(a.body), `We're investigating.`) {
			t.Errorf("edit: %s", a)
		}
	})
}

package api_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/store/storetest"
)

// fuzzCodes are the only answers a request body may bring.
var fuzzCodes = map[int]bool{200: true, 201: true, 400: true, 404: true, 409: true, 413: true, 415: true, 422: true}

// goInternals are words of Go's, not of the API's; an answer may only hold
// them when it quotes the request back.
var goInternals = []string{"json:", "api.", "Req", "map[", "[]string", "int64", "reflect", "goroutine", ".go:"}

// checkFuzzAnswer checks the invariants every answer keeps, whatever the body.
func checkFuzzAnswer(t *testing.T, fx *fixture, input []byte, a answer) {
	t.Helper()
	logs := fx.logs.Take()
	if !fuzzCodes[a.code] {
		t.Fatalf("status %d for %q: %s\nlog:\n%s", a.code, input, a.body, logs)
	}
	if strings.Contains(logs, "panic") || strings.Contains(logs, "level=ERROR") {
		t.Fatalf("logged for %q:\n%s", input, logs)
	}
	if !json.Valid(a.body) {
		t.Fatalf("answer to %q is not JSON: %q", input, a.body)
	}
	checkHeaders(t, a)
	checkTimes(t, a.body)
	if a.code < 400 {
		var v map[string]any
		if err := json.Unmarshal(a.body, &v); err != nil || v["id"] == nil {
			t.Fatalf("answer to %q is not an object with an id: %s", input, a.body)
		}
		return
	}
	var e errorBody
	dec := json.NewDecoder(bytes.NewReader(a.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil || e.Error.Status != a.code || strings.TrimSpace(e.Error.Message) == "" {
		t.Fatalf("error answer to %q has the wrong shape (%v): %s", input, err, a.body)
	}
	for _, w := range goInternals {
		if strings.Contains(e.Error.Message, w) && !bytes.Contains(input, []byte(w)) {
			t.Errorf("message for %q shows Go's %q: %s", input, w, e.Error.Message)
		}
	}
}

// nastySeeds are bodies that are wrong in ways both targets share.
var nastySeeds = []string{
	``, ` `, `{}`, `null`, `[]`, `""`, `0`, `true`, `{`, `}`, `{"title":`, `{"title" "t"}`, `{'title': 't'}`,
	`{} {}`, `{}x`, `{}}`, `{"title": "t",}`, "\xef\xbb\xbf{}", "{\"title\": \"\xff\xfe\"}", `{"title": "\ud800"}`,
	`{"bogus": 1}`, `{"title": 1}`, `{"title": null}`, `{"title": {"a": 1}}`, `{"title": "json: unknown field"}`,
	`{"title": 1e999}`, `{"id": 1}`, `{"TITLE": "t"}`,
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	`{"title": "` + strings.Repeat("é", 200) + `"}`,
}

func FuzzIncidentCreate(f *testing.F) {
	fx := newFixture(f, storetest.SQLite(f))
	past := t0.Add(-time.Hour).Format(time.RFC3339)
	for _, s := range append([]string{
		`{"title": "Web sites on flexo unreachable", "impact": "major", "status": "investigating",
		  "body": "We are looking into it.", "components": {"flexo/web": "major_outage"},
		  "started_at": "` + past + `", "draft": false}`,
		`{"title": "t", "body": "b", "components": {"flexo/web": "degraded_performance", "mom/email": "partial_outage"}}`,
		`{"title": "t", "body": "b", "components": {"zapp/web": "major_outage"}, "draft": true}`,
		`{"title": "t", "body": "b", "components": {" flexo/web ": " operational "}}`,
		`{"title": "t", "body": "b", "components": {"flexo/web": "major_outage", " flexo/web": "partial_outage"}}`,
		`{"title": "t", "body": "b", "components": {"": "major_outage"}}`,
		`{"title": "t", "body": "b", "components": {"flexo/web": null}}`,
		`{"title": "t", "body": "b", "components": {"flexo/web": "under_maintenance"}}`,
		`{"title": "t", "body": "b", "components": {"flexo/web": "on_fire"}}`,
		`{"title": "t", "body": "b", "components": {"hermes/web": "major_outage"}}`,
		`{"title": "t", "body": "b", "components": null}`,
		`{"title": "t", "body": "b", "components": ["flexo/web"]}`,
		`{"title": "t", "body": "b", "components": {"flexo/web": "major_outage"}, "status": "resolved"}`,
		`{"title": "t", "body": "b", "components": {"flexo/web": "major_outage"}, "impact": "json:"}`,
		`{"title": "t", "body": "b", "components": {"flexo/web": "major_outage"}, "started_at": "2999-01-01T00:00:00Z"}`,
		`{"title": "t", "body": "b", "components": {"flexo/web": "major_outage"}, "started_at": "0000-01-01T00:00:00+01:00"}`,
		`{"title": "t", "body": "b", "components": {"flexo/web": "major_outage"}, "started_at": "0001-01-01T00:00:00Z"}`,
		`{"title": "t", "body": "b", "components": {"flexo/web": "major_outage"}, "started_at": "2026-08-12T16:48:00+24:00"}`,
		`{"title": "t", "body": "b", "components": {"flexo/web": "major_outage"}, "draft": "false"}`,
		`{"title": "` + strings.Repeat("t", 201) + `", "body": "b", "components": {"flexo/web": "major_outage"}}`,
	}, nastySeeds...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		a := fx.send(t, "POST", "/api/v1/incidents", fx.write, "application/json", body)
		checkFuzzAnswer(t, fx, body, a)
	})
}

func FuzzMaintenanceEdit(f *testing.F) {
	fx := newFixture(f, storetest.SQLite(f))
	start := t0.Add(time.Hour).Format(time.RFC3339)
	m := want[maintenanceJSON](f, fx.call(f, "POST", "/api/v1/maintenance", map[string]any{"title": "Kernel update",
		"body": "Reboots.", "components": []string{"flexo/web", "mom/web"}, "start": start, "duration": "5m"}), 201)
	if m.ID != 1 {
		f.Fatalf("window id %d, want 1", m.ID)
	}
	for _, s := range append([]string{
		`{"title": "Kernel and firmware update"}`,
		`{"body": "Longer reboots."}`,
		`{"add_components": ["zapp/web"], "update": "Zapp too."}`,
		`{"remove_components": ["mom/web"]}`,
		`{"remove_components": ["flexo/web", "mom/web", "zapp/web"]}`,
		`{"add_components": ["nibbler/web"]}`,
		`{"add_components": [""]}`,
		`{"add_components": null, "remove_components": null}`,
		`{"add_components": "zapp/web"}`,
		`{"start": "` + t0.Add(2*time.Hour).Format(time.RFC3339) + `"}`,
		`{"start": "2026-08-12T20:00:00-07:00", "duration": "10m"}`,
		`{"end": "` + t0.Add(3*time.Hour).Format(time.RFC3339) + `"}`,
		`{"duration": "10m", "end": "` + t0.Add(3*time.Hour).Format(time.RFC3339) + `"}`,
		`{"duration": "1h30m"}`, `{"duration": "745h"}`, `{"duration": "0s"}`, `{"duration": "-5m"}`, `{"duration": "5"}`,
		`{"duration": "9223372036854775807ns"}`, `{"duration": "99999999999h"}`, `{"duration": ""}`, `{"duration": null}`,
		`{"start": "2020-01-01T00:00:00Z"}`, `{"start": "9998-12-31T23:59:59Z"}`, `{"start": "9999-12-31T23:59:59Z"}`,
		`{"start": "0001-01-01T00:00:01Z"}`, `{"start": "0000-01-01T00:00:00+01:00"}`, `{"start": ""}`, `{"start": "now"}`,
		`{"end": "2026-08-12T16:00:00Z"}`, `{"end": "2026-13-40T99:99:99Z"}`,
		`{"title": ""}`, `{"title": "   "}`, `{"update": "   "}`, `{"update": null}`, `{"body": ""}`,
		`{"title": "` + strings.Repeat("t", 201) + `"}`,
	}, nastySeeds...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		a := fx.send(t, "PATCH", "/api/v1/maintenance/1", fx.write, "application/json", body)
		checkFuzzAnswer(t, fx, body, a)
	})
}

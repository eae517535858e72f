package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// A database that takes no writes (a read-only or full SQLite file) answers
// writes with 503 and the reason, and still answers reads.
func TestWritesToAReadOnlyDatabaseAnswer503(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t))
	storetest.ReadOnly(t, f.b.Store)
	a := f.call(t, "POST", "/api/v1/incidents", `{"title": "t", "body": "b", "components": {"flexo/web": "major_outage"}}`)
	if msg := wantError(t, a, 503); msg != "Herald cannot use its database right now: the database file is read-only. Nothing was changed; try again in a moment." {
		t.Errorf("message %q", msg)
	}
	if a.header.Get("Retry-After") == "" {
		t.Error("a 503 without Retry-After")
	}
	if a := f.callAs(t, f.read, "GET", "/api/v1/incidents", nil); a.code != 200 {
		t.Errorf("a read from a read-only database: %s", a)
	}
	if logs := f.logs.String(); !strings.Contains(logs, "readonly") {
		t.Errorf("the log lacks the database's own words:\n%s", logs)
	}
}

// Every write route of the API answers 503 with the reason while the
// database takes no writes, whether the database refuses them (a read-only
// file) or this Herald does (a standby, a disk in trouble: the store's
// gate); none answers 500.
func TestEveryWriteAnswers503WithoutWrites(t *testing.T) {
	for _, outage := range []struct {
		name, reason string
		apply        func(t *testing.T, s *store.Store)
	}{
		{"read-only file", "the database file is read-only", func(t *testing.T, s *store.Store) { storetest.ReadOnly(t, s) }},
		{"refused here", store.ReasonStandby, func(_ *testing.T, s *store.Store) { s.RefuseWrites(store.ReasonStandby) }},
	} {
		t.Run(outage.name, func(t *testing.T) {
			f := newFixture(t, storetest.SQLite(t))
			var open struct {
				ID      int64
				Updates []struct{ ID int64 }
			}
			var other, draft struct{ ID int64 }
			var maint struct{ ID int64 }
			for _, c := range []struct {
				path, body string
				into       any
			}{
				{"/api/v1/incidents", `{"title": "Mail on mom slow", "body": "Looking.", "components": {"mom/email": "degraded_performance"}}`, &open},
				{"/api/v1/incidents", `{"title": "Web on flexo down", "body": "Looking.", "components": {"flexo/web": "major_outage"}}`, &other},
				{"/api/v1/incidents", `{"title": "Draft", "body": "Not yet.", "draft": true, "components": {"zapp/web": "partial_outage"}}`, &draft},
				{"/api/v1/maintenance", `{"title": "Disk swap on elzar", "body": "Swapping.", "components": ["elzar/web"], "start": "2026-08-20T10:00:00Z", "duration": "1h"}`, &maint},
			} {
				a := f.call(t, "POST", c.path, c.body)
				if a.code != 201 || json.Unmarshal(a.body, c.into) != nil {
					t.Fatalf("POST %s: %s", c.path, a)
				}
			}
			if a := f.call(t, "POST", fmt.Sprintf("/api/v1/incidents/%d/links", open.ID), fmt.Sprintf(`{"incident_id": %d}`, other.ID)); a.code >= 300 {
				t.Fatalf("link: %s", a)
			}
			mid := fmt.Sprint(maint.ID)
			outage.apply(t, f.b.Store)
			f.logs.Take()

			inc, upd := fmt.Sprint(open.ID), fmt.Sprint(open.Updates[0].ID)
			routes := []struct{ method, path, body string }{
				{"PUT", "/api/v1/components/flexo/email/override", `{"status": "major_outage", "note": "n"}`},
				{"DELETE", "/api/v1/components/flexo/email/override", ""},
				{"POST", "/api/v1/incidents", `{"title": "t", "body": "b", "components": {"flexo/web": "major_outage"}}`},
				{"PATCH", "/api/v1/incidents/" + inc, `{"title": "Mail on mom delayed"}`},
				{"DELETE", "/api/v1/incidents/" + inc, ""},
				{"POST", "/api/v1/incidents/" + inc + "/updates", `{"status": "identified", "body": "Found it."}`},
				{"PATCH", "/api/v1/incidents/" + inc + "/updates/" + upd, `{"body": "Looking closely."}`},
				{"POST", "/api/v1/incidents/" + inc + "/resolve", `{"body": "Fixed."}`},
				{"POST", fmt.Sprintf("/api/v1/incidents/%d/publish", draft.ID), ""},
				{"PUT", "/api/v1/incidents/" + inc + "/postmortem", `{"body": "What happened."}`},
				{"POST", "/api/v1/incidents/" + inc + "/links", fmt.Sprintf(`{"incident_id": %d}`, draft.ID)},
				{"DELETE", fmt.Sprintf("/api/v1/incidents/%s/links/%d", inc, other.ID), ""},
				{"POST", "/api/v1/maintenance", `{"title": "t", "body": "b", "components": ["elzar/web"], "start": "2026-08-21T10:00:00Z", "duration": "1h"}`},
				{"PATCH", "/api/v1/maintenance/" + mid, `{"title": "Disk swap on elzar, again"}`},
				{"POST", "/api/v1/maintenance/" + mid + "/updates", `{"body": "Soon."}`},
				{"POST", "/api/v1/maintenance/" + mid + "/complete", ""},
				{"POST", "/api/v1/maintenance/" + mid + "/cancel", ""},
			}
			for _, r := range routes {
				var body any
				if r.body != "" {
					body = r.body
				}
				a := f.call(t, r.method, r.path, body)
				if a.code != 503 || !strings.Contains(string(a.body), outage.reason) || a.header.Get("Retry-After") == "" {
					t.Errorf("%s %s: %s; want 503 with %q and Retry-After", r.method, r.path, a, outage.reason)
				}
			}
		})
	}
}

// The subscriber, delivery and customer routes too.
func TestNotifyWritesAnswer503WithoutWrites(t *testing.T) {
	b := storetest.SQLite(t)
	f := newNotifyFixture(t, b)
	const js = "application/json"
	code, out := f.call(t, "POST", "/api/v1/subscribers", f.write, js, `{"kind":"webhook","address":"`+f.hookURL+`/h"}`)
	if code != 201 {
		t.Fatalf("adding a webhook = %d %v", code, out)
	}
	subID := fmt.Sprint(out["subscriber"].(map[string]any)["id"])
	if _, err := f.svc.OpenIncident(t.Context(), "test", service.NewIncident{Title: "x", Status: status.Investigating, Body: "x",
		Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.n.ProcessBatch(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	code, out = f.call(t, "GET", "/api/v1/deliveries/dead", f.read, "", "")
	dead, _ := out["deliveries"].([]any)
	if code != 200 || len(dead) != 1 {
		t.Fatalf("dead letters = %d %v", code, out)
	}
	deadID := fmt.Sprint(dead[0].(map[string]any)["id"])
	if code, out := f.call(t, "POST", "/api/v1/customers/import", f.write, "text/csv", "shop.example,flexo\n"); code != 200 {
		t.Fatalf("import = %d %v", code, out)
	}
	b.Store.RefuseWrites(store.ReasonStandby)
	for _, r := range []struct{ method, path, contentType, body string }{
		{"POST", "/api/v1/subscribers", js, `{"kind":"email","address":"ann@example.net"}`},
		{"DELETE", "/api/v1/subscribers/" + subID, "", ""},
		{"POST", "/api/v1/deliveries/" + deadID + "/retry", "", ""},
		{"POST", "/api/v1/customers/import", "text/csv", "other.example,flexo\n"},
		{"DELETE", "/api/v1/customers/shop.example", "", ""},
	} {
		code, out := f.call(t, r.method, r.path, f.write, r.contentType, r.body)
		msg, _ := out["error"].(map[string]any)["message"].(string)
		if code != 503 || !strings.Contains(msg, store.ReasonStandby) {
			t.Errorf("%s %s: %d %v; want 503 with the reason", r.method, r.path, code, out)
		}
	}
}

package statuspage_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/statuspage"
	"github.com/heraldhq/herald/internal/store"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the current output")

// now is a winter instant with milliseconds: 09:30:00.666 Pacific standard time.
var now = time.Date(2025, 1, 15, 17, 30, 0, 666_000_000, time.UTC)

const (
	draftTitle       = "SECRET draft outage"
	unpublishedWords = "UNPUBLISHED root cause"
	publishedWords   = "The FTP server ran out of disk."
)

func pacific(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Skipf("no zone data: %v", err)
	}
	return loc
}

// fixture is a page with two servers, flexo and mom, each with web and
// email; an FTP component since removed; one open incident, two resolved
// (one with a published postmortem, one with an unpublished one), one
// draft; two upcoming windows, one active, one cancelled, one completed.
func fixture(t *testing.T) statuspage.Input {
	t.Helper()
	summer := time.Date(2024, 7, 1, 3, 0, 0, 0, time.UTC) // 2024-06-30 20:00 -07:00
	h := time.Hour
	day := 24 * h

	groups := []store.Group{
		{ID: "flexo", Name: "Flexo", Description: "Mail and web server", Position: 1, CreatedAt: summer, UpdatedAt: summer},
		{ID: "mom", Name: "Mom", Position: 2, CreatedAt: summer, UpdatedAt: now.Add(-2 * day)},
	}
	comp := func(id, name, desc string, pos int) store.Component {
		gid, _, _ := strings.Cut(id, "/")
		return store.Component{ID: id, GroupID: gid, Name: name, Description: desc, Position: pos, CreatedAt: summer, UpdatedAt: summer}
	}
	web, email := comp("flexo/web", "Flexo website", "Website & <webmail>", 1), comp("flexo/email", "Flexo e-mail", "", 2)
	momWeb, momEmail := comp("mom/web", "Mom website", "", 1), comp("mom/email", "Mom e-mail", "", 2)
	ftp := comp("flexo/ftp", "Flexo FTP", "Old file server", 3)
	ftp.RemovedAt = now.Add(-3 * day)
	snapComponents := []service.ComponentState{
		{Component: web, Status: status.DegradedPerformance},
		{Component: email, Status: status.Operational},
		{Component: momWeb, Status: status.UnderMaintenance},
		{Component: momEmail, Status: status.Operational},
	}

	open := status.Incident{
		ID: 3, Title: "Slow website", Impact: status.ImpactMinor, Status: status.Identified,
		StartedAt: now.Add(-2 * h), IdentifiedAt: now.Add(-h), PublishedAt: now.Add(-2 * h),
		CreatedAt: now.Add(-2 * h), UpdatedAt: now.Add(-h),
		Components: []status.AffectedComponent{{ComponentID: "flexo/web", Status: status.DegradedPerformance}},
		Updates: []status.IncidentUpdate{
			{ID: 31, IncidentID: 3, Status: status.Identified, Body: "A disk is slow.", CreatedAt: now.Add(-h), DisplayAt: now.Add(-h)},
			{ID: 30, IncidentID: 3, Status: status.Investigating, Body: "Pages load slowly.", CreatedAt: now.Add(-2 * h), DisplayAt: now.Add(-2 * h),
				Changes: []status.ComponentChange{{ComponentID: "flexo/web", Old: status.Operational, New: status.DegradedPerformance}}},
		},
	}
	withPostmortem := status.Incident{
		ID: 2, Title: "FTP down", Impact: status.ImpactMajor, Status: status.Resolved,
		StartedAt: now.Add(-5 * day), ResolvedAt: now.Add(-5*day + 3*h), PublishedAt: now.Add(-5 * day),
		CreatedAt: now.Add(-5 * day), UpdatedAt: now.Add(-4 * day),
		Postmortem: publishedWords, PostmortemPublishedAt: now.Add(-4 * day),
		Components: []status.AffectedComponent{
			{ComponentID: "flexo/ftp", Status: status.MajorOutage},
			{ComponentID: "mom/email", Status: status.DegradedPerformance},
		},
		// Oldest first on purpose: Build must order them itself.
		Updates: []status.IncidentUpdate{
			{ID: 20, IncidentID: 2, Status: status.Investigating, Body: "FTP is down.", CreatedAt: now.Add(-5 * day), DisplayAt: now.Add(-5 * day),
				Changes: []status.ComponentChange{{ComponentID: "flexo/ftp", Old: status.Operational, New: status.MajorOutage}}},
			{ID: 21, IncidentID: 2, Status: status.Resolved, Body: "FTP is back.", CreatedAt: now.Add(-5*day + 3*h), DisplayAt: now.Add(-5*day + 3*h),
				Changes: []status.ComponentChange{{ComponentID: "flexo/ftp", Old: status.MajorOutage, New: status.Operational}}},
		},
	}
	unpublished := status.Incident{
		ID: 1, Title: "Mail delays", Impact: status.ImpactNone, Status: status.Resolved,
		StartedAt: now.Add(-40 * day), MonitoringAt: now.Add(-40*day + h), ResolvedAt: now.Add(-40*day + 2*h),
		PublishedAt: now.Add(-40 * day), CreatedAt: now.Add(-40 * day), UpdatedAt: now.Add(-40*day + 2*h),
		Postmortem: unpublishedWords, // written, never published
		Components: []status.AffectedComponent{{ComponentID: "flexo/email", Status: status.DegradedPerformance}},
		Updates: []status.IncidentUpdate{
			{ID: 10, IncidentID: 1, Status: status.Resolved, Body: "Delivered.", CreatedAt: now.Add(-40*day + 2*h), DisplayAt: now.Add(-40*day + 2*h)},
		},
	}
	draft := status.Incident{
		ID: 4, Title: draftTitle, Impact: status.ImpactCritical, Status: status.Investigating, Draft: true,
		StartedAt: now.Add(-10 * time.Minute), CreatedAt: now.Add(-10 * time.Minute), UpdatedAt: now.Add(-10 * time.Minute),
		Components: []status.AffectedComponent{{ComponentID: "mom/email", Status: status.MajorOutage}},
		Updates: []status.IncidentUpdate{
			{ID: 40, IncidentID: 4, Status: status.Investigating, Body: draftTitle, CreatedAt: now.Add(-10 * time.Minute)},
		},
	}

	window := func(id int64, title string, st status.MaintenanceStatus, start time.Time, comps ...string) status.Maintenance {
		created := now.Add(-10 * day)
		return status.Maintenance{ID: id, Title: title, Body: title + " announced.", Status: st,
			ScheduledFor: start, ScheduledUntil: start.Add(2 * h), CreatedAt: created, UpdatedAt: created, Components: comps,
			Updates: []status.MaintenanceUpdate{{ID: id * 10, MaintenanceID: id, Status: status.Scheduled, Body: title + " announced.", CreatedAt: created, DisplayAt: created}}}
	}
	later := window(10, "Mail upgrade", status.Scheduled, now.Add(17*day), "mom/email")
	sooner := window(13, "Web upgrade", status.Scheduled, now.Add(5*day), "flexo/web")
	active := window(11, "Mom reboot", status.InProgress, now.Add(-h), "mom/web")
	active.StartedAt, active.UpdatedAt = now.Add(-h), now.Add(-h)
	active.Updates = append([]status.MaintenanceUpdate{{ID: 111, MaintenanceID: 11, Status: status.InProgress, Body: "Started.", CreatedAt: now.Add(-h), DisplayAt: now.Add(-h)}}, active.Updates...)
	cancelled := window(12, "Disk swap", status.Cancelled, now.Add(3*day), "flexo/email")
	cancelled.CompletedAt, cancelled.UpdatedAt = now.Add(-day), now.Add(-day)
	cancelled.Updates = append([]status.MaintenanceUpdate{{ID: 121, MaintenanceID: 12, Status: status.Cancelled, Body: "Called off.", CreatedAt: now.Add(-day), DisplayAt: now.Add(-day)}}, cancelled.Updates...)
	done := window(9, "Router swap", status.Completed, now.Add(-10*day), "flexo/web", "flexo/ftp")
	done.StartedAt, done.CompletedAt = done.ScheduledFor, done.ScheduledUntil

	derived := map[string]status.ComponentStatus{}
	for _, c := range snapComponents {
		derived[c.ID] = c.Status
	}
	snap := &service.Snapshot{
		Overall:    status.DeriveOverall(derived, []status.Incident{open}),
		Groups:     groups,
		Components: snapComponents,
		Open:       []status.Incident{draft, open}, // the draft is there to be dropped
		Active:     []status.Maintenance{active},
		Upcoming:   []status.Maintenance{later, sooner}, // out of order on purpose
	}
	all := map[string]store.Component{}
	for _, c := range []store.Component{web, email, momWeb, momEmail, ftp} {
		all[c.ID] = c
	}
	return statuspage.Input{
		Page:         config.Page{Title: "Planet Express", URL: "https://status.example.com/", Zone: "America/Los_Angeles"},
		Location:     pacific(t),
		PageID:       "pe0status0id",
		UpdatedAt:    now,
		Snapshot:     snap,
		Incidents:    []status.Incident{unpublished, draft, open, withPostmortem},
		Maintenances: []status.Maintenance{done, cancelled, later, active, sooner},
		Components:   all,
	}
}

func build(t *testing.T, in statuspage.Input) statuspage.Documents {
	t.Helper()
	docs, err := statuspage.Build(in)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if len(docs) != len(statuspage.Names) {
		t.Fatalf("Build returned %d documents, want %d", len(docs), len(statuspage.Names))
	}
	for _, name := range statuspage.Names {
		if len(docs[name]) == 0 {
			t.Fatalf("document %s is missing", name)
		}
	}
	return docs
}

func decode(t *testing.T, docs statuspage.Documents, name string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(docs[name], &v); err != nil {
		t.Fatalf("%s is not JSON: %v", name, err)
	}
	return v
}

// --- the shape, checked generically against statuspage-v2.md ---

var stampRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$`)

// A schema maps each field statuspage-v2.md names to its JSON type; "time"
// is a timestamp string, "date" a 2006-01-02 string, "|null" allows null.
type schema map[string]string

var (
	pageSchema   = schema{"id": "string", "name": "string", "url": "string", "time_zone": "string", "updated_at": "time"}
	statusSchema = schema{"indicator": "string", "description": "string"}
	// Groups carry "components" too; see checkComponent.
	componentSchema = schema{"id": "string", "page_id": "string", "name": "string", "description": "string|null",
		"status": "string", "position": "number", "showcase": "bool", "start_date": "date|null", "group_id": "string|null",
		"group": "bool", "only_show_if_degraded": "bool", "created_at": "time|null", "updated_at": "time|null"}
	incidentSchema = schema{"id": "string", "page_id": "string", "name": "string", "status": "string", "impact": "string",
		"created_at": "time", "updated_at": "time", "started_at": "time", "monitoring_at": "time|null", "resolved_at": "time|null",
		"shortlink": "string", "incident_updates": "array", "components": "array",
		"postmortem_body": "string|null", "postmortem_published_at": "time|null"}
	updateSchema = schema{"id": "string", "incident_id": "string", "status": "string", "body": "string",
		"created_at": "time", "updated_at": "time", "display_at": "time", "affected_components": "array|null",
		"deliver_notifications": "bool"}
	changeSchema      = schema{"code": "string", "name": "string", "old_status": "string", "new_status": "string"}
	maintenanceSchema = with(incidentSchema, schema{"scheduled_for": "time", "scheduled_until": "time"})

	// The top-level keys of each document.
	docKeys = map[string][]string{
		statuspage.DocSummary:      {"page", "status", "components", "incidents", "scheduled_maintenances"},
		statuspage.DocStatus:       {"page", "status"},
		statuspage.DocComponents:   {"page", "components"},
		statuspage.DocIncidents:    {"page", "incidents"},
		statuspage.DocUnresolved:   {"page", "incidents"},
		statuspage.DocMaintenances: {"page", "scheduled_maintenances"},
		statuspage.DocUpcoming:     {"page", "scheduled_maintenances"},
		statuspage.DocActive:       {"page", "scheduled_maintenances"},
	}

	componentStatuses   = words("operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance")
	incidentStatuses    = words("investigating", "identified", "monitoring", "resolved", "postmortem")
	maintenanceStatuses = words("scheduled", "in_progress", "verifying", "completed")
	impacts             = words("none", "minor", "major", "critical")
	indicators          = words("none", "minor", "major", "critical", "maintenance")
)

func with(a, b schema) schema {
	out := schema{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func words(w ...string) map[string]bool {
	m := map[string]bool{}
	for _, s := range w {
		m[s] = true
	}
	return m
}

// checker walks decoded documents, reporting with a path such as
// summary.json.incidents[0].incident_updates[1].display_at.
type checker struct {
	t   *testing.T
	loc *time.Location
}

func (c checker) object(path string, v any, s schema, extra ...string) map[string]any {
	c.t.Helper()
	obj, ok := v.(map[string]any)
	if !ok {
		c.t.Errorf("%s: got %T, want an object", path, v)
		return map[string]any{}
	}
	want := append(slices.Collect(mapKeys(s)), extra...)
	got := slices.Collect(mapKeys(obj))
	sort.Strings(want)
	sort.Strings(got)
	if !slices.Equal(got, want) {
		c.t.Errorf("%s: keys %v, want %v", path, got, want)
	}
	for field, kind := range s {
		c.value(path+"."+field, obj[field], kind)
	}
	return obj
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func (c checker) value(path string, v any, kind string) {
	c.t.Helper()
	var problems []string
	for _, k := range strings.Split(kind, "|") {
		err := c.is(v, k)
		if err == nil {
			return
		}
		problems = append(problems, err.Error())
	}
	c.t.Errorf("%s = %#v: %s", path, v, strings.Join(problems, "; "))
}

func (c checker) is(v any, kind string) error {
	switch kind {
	case "null":
		if v != nil {
			return fmt.Errorf("not null")
		}
	case "string":
		if _, ok := v.(string); !ok {
			return fmt.Errorf("not a string")
		}
	case "number":
		if _, ok := v.(float64); !ok {
			return fmt.Errorf("not a number")
		}
	case "bool":
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("not a bool")
		}
	case "array":
		if _, ok := v.([]any); !ok {
			return fmt.Errorf("not an array")
		}
	case "date":
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("not a date string")
		}
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return err
		}
	case "time":
		s, ok := v.(string)
		if !ok || !stampRE.MatchString(s) {
			return fmt.Errorf("not a timestamp with milliseconds and an offset")
		}
		at, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return err
		}
		_, off := at.Zone()
		if _, want := at.In(c.loc).Zone(); off != want {
			return fmt.Errorf("offset %ds, want the page zone's %ds", off, want)
		}
	default:
		return fmt.Errorf("unknown kind %q in the test", kind)
	}
	return nil
}

func (c checker) word(path string, v any, allowed map[string]bool) {
	c.t.Helper()
	if s, _ := v.(string); !allowed[s] {
		c.t.Errorf("%s = %#v, not a Statuspage word", path, v)
	}
}

func (c checker) component(path string, v any) map[string]any {
	c.t.Helper()
	obj, _ := v.(map[string]any)
	var extra []string
	if obj["group"] == true {
		extra = []string{"components"}
	}
	obj = c.object(path, v, componentSchema, extra...)
	c.word(path+".status", obj["status"], componentStatuses)
	if obj["group"] == true {
		c.value(path+".components", obj["components"], "array")
		if obj["group_id"] != nil {
			c.t.Errorf("%s: a group has group_id %v", path, obj["group_id"])
		}
	}
	if obj["showcase"] != true || obj["only_show_if_degraded"] != false {
		c.t.Errorf("%s: showcase %v, only_show_if_degraded %v; want true, false", path, obj["showcase"], obj["only_show_if_degraded"])
	}
	return obj
}

func (c checker) incident(path string, v any, maintenance bool) map[string]any {
	c.t.Helper()
	s, statuses, impact := incidentSchema, incidentStatuses, impacts
	if maintenance {
		s, statuses, impact = maintenanceSchema, maintenanceStatuses, words("maintenance")
	}
	obj := c.object(path, v, s)
	c.word(path+".status", obj["status"], statuses)
	c.word(path+".impact", obj["impact"], impact)
	updates, _ := obj["incident_updates"].([]any)
	for i, u := range updates {
		up := c.object(fmt.Sprintf("%s.incident_updates[%d]", path, i), u, updateSchema)
		c.word(fmt.Sprintf("%s.incident_updates[%d].status", path, i), up["status"], statuses)
		if up["incident_id"] != obj["id"] {
			c.t.Errorf("%s.incident_updates[%d].incident_id = %v, want %v", path, i, up["incident_id"], obj["id"])
		}
		changes, _ := up["affected_components"].([]any)
		for j, ch := range changes {
			cp := c.object(fmt.Sprintf("%s.incident_updates[%d].affected_components[%d]", path, i, j), ch, changeSchema)
			c.word("old_status", cp["old_status"], componentStatuses)
			c.word("new_status", cp["new_status"], componentStatuses)
		}
	}
	comps, _ := obj["components"].([]any)
	for i, cp := range comps {
		c.component(fmt.Sprintf("%s.components[%d]", path, i), cp)
	}
	return obj
}

// TestShape checks every document against statuspage-v2.md: the top-level
// keys, then every field of every object by name and JSON type.
func TestShape(t *testing.T) {
	in := fixture(t)
	docs := build(t, in)
	c := checker{t: t, loc: in.Location}
	for _, name := range statuspage.Names {
		t.Run(name, func(t *testing.T) {
			c := checker{t: t, loc: c.loc}
			doc := decode(t, docs, name)
			want := slices.Clone(docKeys[name])
			got := slices.Collect(mapKeys(doc))
			sort.Strings(want)
			sort.Strings(got)
			if !slices.Equal(got, want) {
				t.Errorf("keys %v, want %v", got, want)
			}
			page := c.object(name+".page", doc["page"], pageSchema)
			if page["id"] != "pe0status0id" || page["name"] != "Planet Express" || page["url"] != "https://status.example.com/" ||
				page["time_zone"] != "America/Los_Angeles" || page["updated_at"] != "2025-01-15T09:30:00.666-08:00" {
				t.Errorf("page = %v", page)
			}
			if st, ok := doc["status"]; ok {
				obj := c.object(name+".status", st, statusSchema)
				c.word(name+".status.indicator", obj["indicator"], indicators)
			}
			for i, v := range list(doc, "components") {
				c.component(fmt.Sprintf("%s.components[%d]", name, i), v)
			}
			for i, v := range list(doc, "incidents") {
				c.incident(fmt.Sprintf("%s.incidents[%d]", name, i), v, false)
			}
			for i, v := range list(doc, "scheduled_maintenances") {
				c.incident(fmt.Sprintf("%s.scheduled_maintenances[%d]", name, i), v, true)
			}
		})
	}
}

func list(doc map[string]any, key string) []any {
	l, _ := doc[key].([]any)
	return l
}

func ids(items []any) []string {
	out := []string{}
	for _, v := range items {
		obj, _ := v.(map[string]any)
		s, _ := obj["id"].(string)
		out = append(out, s)
	}
	return out
}

func byID(items []any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, v := range items {
		obj, _ := v.(map[string]any)
		s, _ := obj["id"].(string)
		out[s] = obj
	}
	return out
}

func TestComponents(t *testing.T) {
	docs := build(t, fixture(t))
	for _, name := range []string{statuspage.DocComponents, statuspage.DocSummary} {
		comps := list(decode(t, docs, name), "components")
		if got, want := ids(comps), []string{"flexo", "flexo/web", "flexo/email", "mom", "mom/web", "mom/email"}; !slices.Equal(got, want) {
			t.Fatalf("%s: ids %v, want %v (removed components must not be listed)", name, got, want)
		}
		all := byID(comps)
		for i, id := range ids(comps) {
			if pos := all[id]["position"]; pos != float64(i+1) {
				t.Errorf("%s: %s position %v, want %d", name, id, pos, i+1)
			}
		}
		// The group links go both ways.
		for _, id := range ids(comps) {
			c := all[id]
			if c["group"] == true {
				for _, child := range c["components"].([]any) {
					if all[child.(string)]["group_id"] != id {
						t.Errorf("%s: group %s lists %v, whose group_id is %v", name, id, child, all[child.(string)]["group_id"])
					}
				}
				continue
			}
			gid, _ := c["group_id"].(string)
			g := all[gid]
			if g == nil || g["group"] != true || !slices.Contains(g["components"].([]any), any(id)) {
				t.Errorf("%s: %s has group_id %q, which is not a group listing it", name, id, gid)
			}
		}
		checks := []struct {
			id, field string
			want      any
		}{
			{"flexo", "status", "degraded_performance"}, // the worst of its children
			{"mom", "status", "under_maintenance"},
			{"flexo", "group_id", nil},
			{"flexo", "description", "Mail and web server"},
			{"mom", "description", nil},
			{"flexo/web", "status", "degraded_performance"},
			{"flexo/web", "group_id", "flexo"},
			{"flexo/web", "description", "Website & <webmail>"},
			{"flexo/email", "description", nil},
			{"flexo/web", "start_date", "2024-06-30"}, // the date in the page's zone, not UTC's
			{"flexo/web", "created_at", "2024-06-30T20:00:00.000-07:00"},
			{"flexo/web", "page_id", "pe0status0id"},
			{"mom/email", "status", "operational"},
		}
		for _, c := range checks {
			if got := all[c.id][c.field]; got != c.want {
				t.Errorf("%s: %s.%s = %#v, want %#v", name, c.id, c.field, got, c.want)
			}
		}
	}
}

func TestIncidents(t *testing.T) {
	docs := build(t, fixture(t))
	all := list(decode(t, docs, statuspage.DocIncidents), "incidents")
	if got, want := ids(all), []string{"3", "2", "1"}; !slices.Equal(got, want) {
		t.Fatalf("incidents.json ids %v, want %v (newest first, no draft)", got, want)
	}
	for _, name := range []string{statuspage.DocUnresolved, statuspage.DocSummary} {
		if got := ids(list(decode(t, docs, name), "incidents")); !slices.Equal(got, []string{"3"}) {
			t.Errorf("%s incidents %v, want [3]", name, got)
		}
	}
	inc := byID(all)

	open := inc["3"]
	for field, want := range map[string]any{
		"name": "Slow website", "status": "identified", "impact": "minor", "page_id": "pe0status0id",
		"shortlink":  "https://status.example.com/incidents/3",
		"started_at": "2025-01-15T07:30:00.666-08:00", "monitoring_at": nil, "resolved_at": nil,
		"postmortem_body": nil, "postmortem_published_at": nil,
	} {
		if open[field] != want {
			t.Errorf("incident 3 %s = %#v, want %#v", field, open[field], want)
		}
	}
	ups := open["incident_updates"].([]any)
	if got := ids(ups); !slices.Equal(got, []string{"31", "30"}) {
		t.Errorf("incident 3 updates %v, want newest first [31 30]", got)
	}
	if ac := ups[0].(map[string]any)["affected_components"]; ac != nil {
		t.Errorf("an update without changes has affected_components %v, want null", ac)
	}
	change := ups[1].(map[string]any)["affected_components"].([]any)[0].(map[string]any)
	if change["code"] != "flexo/web" || change["name"] != "Flexo website" || change["old_status"] != "operational" || change["new_status"] != "degraded_performance" {
		t.Errorf("affected component %v", change)
	}
	if u := ups[0].(map[string]any); u["deliver_notifications"] != true || u["display_at"] != "2025-01-15T08:30:00.666-08:00" {
		t.Errorf("update 31 = %v", u)
	}
	comps := open["components"].([]any)
	if len(comps) != 1 || comps[0].(map[string]any)["id"] != "flexo/web" || comps[0].(map[string]any)["status"] != "degraded_performance" {
		t.Errorf("incident 3 components %v, want flexo/web degraded now", comps)
	}

	// A published postmortem: the status stays "resolved", the write-up is carried beside it.
	pm := inc["2"]
	if pm["status"] != "resolved" || pm["postmortem_body"] != publishedWords || pm["postmortem_published_at"] != "2025-01-11T09:30:00.666-08:00" ||
		pm["resolved_at"] != "2025-01-10T12:30:00.666-08:00" {
		t.Errorf("incident 2 = %v", pm)
	}
	if got := ids(pm["incident_updates"].([]any)); !slices.Equal(got, []string{"21", "20"}) {
		t.Errorf("incident 2 updates %v, want newest first [21 20]", got)
	}
	// A removed component is still named, operational, in no group.
	pmComps := byID(pm["components"].([]any))
	if ftp := pmComps["flexo/ftp"]; ftp == nil || ftp["name"] != "Flexo FTP" || ftp["status"] != "operational" || ftp["group_id"] != nil {
		t.Errorf("removed component in incident 2 = %v", ftp)
	}
	if me := pmComps["mom/email"]; me == nil || me["status"] != "operational" || me["group_id"] != "mom" {
		t.Errorf("mom/email in incident 2 = %v, want its current status", me)
	}
	change = pm["incident_updates"].([]any)[1].(map[string]any)["affected_components"].([]any)[0].(map[string]any)
	if change["name"] != "Flexo FTP" {
		t.Errorf("a removed component's change is named %v", change["name"])
	}

	// A postmortem written but not published stays out.
	if old := inc["1"]; old["postmortem_body"] != nil || old["postmortem_published_at"] != nil || old["monitoring_at"] != "2024-12-06T10:30:00.666-08:00" {
		t.Errorf("incident 1 = %v", old)
	}
}

func TestMaintenances(t *testing.T) {
	docs := build(t, fixture(t))
	cases := []struct {
		doc  string
		want []string
	}{
		{statuspage.DocMaintenances, []string{"m10", "m13", "m12", "m11", "m9"}}, // scheduled_for, newest first
		{statuspage.DocUpcoming, []string{"m13", "m10"}},                         // soonest first
		{statuspage.DocActive, []string{"m11"}},
		{statuspage.DocSummary, []string{"m11", "m13", "m10"}}, // in progress, then upcoming
	}
	for _, c := range cases {
		if got := ids(list(decode(t, docs, c.doc), "scheduled_maintenances")); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.doc, got, c.want)
		}
	}
	all := byID(list(decode(t, docs, statuspage.DocMaintenances), "scheduled_maintenances"))
	// Cancelled reads as completed, with when it was called off.
	cancelled := all["m12"]
	if cancelled["status"] != "completed" || cancelled["impact"] != "maintenance" || cancelled["resolved_at"] != "2025-01-14T09:30:00.666-08:00" {
		t.Errorf("cancelled window = %v", cancelled)
	}
	ups := cancelled["incident_updates"].([]any)
	if got := ids(ups); !slices.Equal(got, []string{"m121", "m120"}) {
		t.Errorf("cancelled window updates %v", got)
	}
	if st := ups[0].(map[string]any)["status"]; st != "completed" {
		t.Errorf("the cancelling update has status %v, want completed", st)
	}
	active := all["m11"]
	for field, want := range map[string]any{
		"status": "in_progress", "scheduled_for": "2025-01-15T08:30:00.666-08:00", "scheduled_until": "2025-01-15T10:30:00.666-08:00",
		"started_at": "2025-01-15T08:30:00.666-08:00", "resolved_at": nil, "monitoring_at": nil,
		"shortlink": "https://status.example.com/maintenance/11", "postmortem_body": nil,
	} {
		if active[field] != want {
			t.Errorf("active window %s = %#v, want %#v", field, active[field], want)
		}
	}
	if comps := active["components"].([]any); len(comps) != 1 || comps[0].(map[string]any)["status"] != "under_maintenance" {
		t.Errorf("active window components %v", comps)
	}
	if upcoming := all["m13"]; upcoming["status"] != "scheduled" || upcoming["started_at"] != upcoming["scheduled_for"] {
		t.Errorf("upcoming window = %v", upcoming)
	}
}

// TestHidden checks that the draft, and an unpublished postmortem, appear in no document.
func TestHidden(t *testing.T) {
	docs := build(t, fixture(t))
	for _, name := range statuspage.Names {
		for _, secret := range []string{"SECRET", unpublishedWords} {
			if bytes.Contains(docs[name], []byte(secret)) {
				t.Errorf("%s contains %q", name, secret)
			}
		}
		doc := decode(t, docs, name)
		if slices.Contains(ids(list(doc, "incidents")), "4") {
			t.Errorf("%s lists the draft incident", name)
		}
	}
}

func TestTimestamps(t *testing.T) {
	in := fixture(t)
	docs := build(t, in)
	var walk func(path string, v any)
	count := 0
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && (strings.HasSuffix(k, "_at") || k == "scheduled_for" || k == "scheduled_until") {
					count++
					if !stampRE.MatchString(s) {
						t.Errorf("%s.%s = %q", path, k, s)
					}
					at, err := time.Parse(time.RFC3339Nano, s)
					if err != nil {
						t.Errorf("%s.%s: %v", path, k, err)
						continue
					}
					_, off := at.Zone()
					_, want := at.In(in.Location).Zone()
					if off != want {
						t.Errorf("%s.%s = %q, offset not the page zone's", path, k, s)
					}
					if at.Month() == time.January && !strings.HasSuffix(s, "-08:00") {
						t.Errorf("%s.%s = %q, want Pacific standard time", path, k, s)
					}
				}
				walk(path+"."+k, e)
			}
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		}
	}
	for _, name := range statuspage.Names {
		walk(name, decode(t, docs, name))
	}
	if count < 50 {
		t.Errorf("only %d timestamps seen", count)
	}

	// Another zone, and a nil zone, which means UTC written as +00:00.
	in.Location = nil
	page := decode(t, build(t, in), statuspage.DocStatus)["page"].(map[string]any)
	if page["updated_at"] != "2025-01-15T17:30:00.666+00:00" || page["time_zone"] != "UTC" {
		t.Errorf("UTC page = %v", page)
	}
}

func TestIndicator(t *testing.T) {
	cases := []struct {
		name        string
		components  []status.ComponentStatus
		indicator   string
		description string
	}{
		{"operational", []status.ComponentStatus{status.Operational}, "none", "All Systems Operational"},
		{"degraded", []status.ComponentStatus{status.Operational, status.DegradedPerformance}, "minor", "Partially Degraded Service"},
		{"partial outage", []status.ComponentStatus{status.DegradedPerformance, status.PartialOutage}, "major", "Partial System Outage"},
		{"major outage", []status.ComponentStatus{status.MajorOutage, status.UnderMaintenance}, "critical", "Major Service Outage"},
		{"maintenance", []status.ComponentStatus{status.UnderMaintenance}, "maintenance", "Service Under Maintenance"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := fixture(t)
			m := map[string]status.ComponentStatus{}
			for i, s := range c.components {
				m[fmt.Sprint(i)] = s
			}
			in.Snapshot.Overall = status.DeriveOverall(m, nil)
			docs := build(t, in)
			for _, name := range []string{statuspage.DocStatus, statuspage.DocSummary} {
				st := decode(t, docs, name)["status"].(map[string]any)
				if st["indicator"] != c.indicator || st["description"] != c.description {
					t.Errorf("%s status = %v, want %s / %s", name, st, c.indicator, c.description)
				}
			}
		})
	}
	t.Run("unset", func(t *testing.T) {
		in := fixture(t)
		in.Snapshot.Overall = status.Overall{}
		st := decode(t, build(t, in), statuspage.DocStatus)["status"].(map[string]any)
		if st["indicator"] != "none" || st["description"] != "All Systems Operational" {
			t.Errorf("status = %v", st)
		}
	})
}

// TestInputUntouched guards the cache that shares its snapshot with the
// web pages: Build sorts, but never the caller's slices.
func TestInputUntouched(t *testing.T) {
	in := fixture(t)
	order := func() string {
		var b strings.Builder
		for _, inc := range in.Incidents {
			fmt.Fprint(&b, inc.ID, "(")
			for _, u := range inc.Updates {
				fmt.Fprint(&b, u.ID, " ")
			}
			b.WriteString(") ")
		}
		for _, l := range [][]status.Maintenance{in.Maintenances, in.Snapshot.Upcoming, in.Snapshot.Active} {
			for _, m := range l {
				fmt.Fprint(&b, m.ID, " ")
			}
			b.WriteString("| ")
		}
		return b.String()
	}
	before := order()
	first := build(t, in)
	if after := order(); after != before {
		t.Errorf("Build reordered its input:\n%s\n%s", before, after)
	}
	second := build(t, in)
	for _, name := range statuspage.Names {
		if !bytes.Equal(first[name], second[name]) {
			t.Errorf("%s differs between two builds of the same input", name)
		}
	}
}

func TestConcurrent(t *testing.T) {
	in := fixture(t)
	want := build(t, in)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			docs, err := statuspage.Build(in)
			if err != nil {
				t.Error(err)
				return
			}
			if !bytes.Equal(docs[statuspage.DocSummary], want[statuspage.DocSummary]) {
				t.Error("summary differs")
			}
		})
	}
	wg.Wait()
}

func TestDefaults(t *testing.T) {
	in := fixture(t)
	in.PageID, in.UpdatedAt = "", time.Time{}
	page := decode(t, build(t, in), statuspage.DocStatus)["page"].(map[string]any)
	if page["id"] != statuspage.PageID(in.Page) {
		t.Errorf("page id %v, want PageID's %q", page["id"], statuspage.PageID(in.Page))
	}
	// The latest change in the fixture is the draft's, which must not count; next is the open incident's.
	if page["updated_at"] != "2025-01-15T08:30:00.666-08:00" {
		t.Errorf("derived updated_at %v", page["updated_at"])
	}
	if _, err := statuspage.Build(statuspage.Input{}); err == nil {
		t.Error("Build without a snapshot did not fail")
	}
}

func TestPageID(t *testing.T) {
	a := statuspage.PageID(config.Page{URL: "https://status.example.com"})
	if !regexp.MustCompile(`^[a-z2-7]{12}$`).MatchString(a) {
		t.Errorf("PageID = %q, want 12 lower-case characters", a)
	}
	if b := statuspage.PageID(config.Page{URL: "https://status.example.com/", Title: "Other"}); b != a {
		t.Errorf("a trailing slash or a title changed the id: %q, %q", a, b)
	}
	if b := statuspage.PageID(config.Page{URL: "https://status.example.org"}); b == a {
		t.Error("two pages share an id")
	}
	if x, y := statuspage.PageID(config.Page{Title: "X"}), statuspage.PageID(config.Page{Title: "Y"}); x == y {
		t.Error("pages without URLs share an id")
	}
}

// TestGolden pins every document byte for byte, with and without the note
// that statuses are not yet recorded. Run with -update to rewrite them.
func TestGolden(t *testing.T) {
	live := fixture(t)
	live.Live = "The database cannot be written now: these statuses are measured but not yet recorded."
	for _, c := range []struct {
		in     statuspage.Input
		suffix string
	}{{fixture(t), ""}, {live, "-live"}} {
		docs := build(t, c.in)
		for _, name := range statuspage.Names {
			got := docs[name]
			path := filepath.Join("testdata", strings.ReplaceAll(strings.TrimSuffix(name, ".json"), "/", "-")+c.suffix+".golden.json")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				i := 0
				for i < len(got) && i < len(want) && got[i] == want[i] {
					i++
				}
				t.Errorf("%s differs from %s at byte %d:\n got: %s\nwant: %s", name, path, i, around(got, i), around(want, i))
			}
		}
	}
}

func around(b []byte, i int) string {
	lo, hi := max(0, i-60), min(len(b), i+60)
	return string(b[lo:hi])
}

// The types a Go Statuspage client declares, with Statuspage's field names.
type (
	clientSummary struct {
		Page struct {
			ID        string    `json:"id"`
			Name      string    `json:"name"`
			URL       string    `json:"url"`
			TimeZone  string    `json:"time_zone"`
			UpdatedAt time.Time `json:"updated_at"`
		} `json:"page"`
		Status struct {
			Indicator   string `json:"indicator"`
			Description string `json:"description"`
		} `json:"status"`
		Components            []clientComponent   `json:"components"`
		Incidents             []clientIncident    `json:"incidents"`
		ScheduledMaintenances []clientMaintenance `json:"scheduled_maintenances"`
	}
	clientComponent struct {
		ID                 string     `json:"id"`
		PageID             string     `json:"page_id"`
		Name               string     `json:"name"`
		Description        *string    `json:"description"`
		Status             string     `json:"status"`
		Position           int        `json:"position"`
		Showcase           bool       `json:"showcase"`
		StartDate          *string    `json:"start_date"`
		GroupID            *string    `json:"group_id"`
		Group              bool       `json:"group"`
		OnlyShowIfDegraded bool       `json:"only_show_if_degraded"`
		CreatedAt          time.Time  `json:"created_at"`
		UpdatedAt          *time.Time `json:"updated_at"`
		Components         []string   `json:"components"`
	}
	clientIncident struct {
		ID              string            `json:"id"`
		PageID          string            `json:"page_id"`
		Name            string            `json:"name"`
		Status          string            `json:"status"`
		Impact          string            `json:"impact"`
		CreatedAt       time.Time         `json:"created_at"`
		UpdatedAt       time.Time         `json:"updated_at"`
		StartedAt       time.Time         `json:"started_at"`
		MonitoringAt    *time.Time        `json:"monitoring_at"`
		ResolvedAt      *time.Time        `json:"resolved_at"`
		Shortlink       string            `json:"shortlink"`
		IncidentUpdates []clientUpdate    `json:"incident_updates"`
		Components      []clientComponent `json:"components"`
	}
	clientMaintenance struct {
		clientIncident
		ScheduledFor   time.Time `json:"scheduled_for"`
		ScheduledUntil time.Time `json:"scheduled_until"`
	}
	clientUpdate struct {
		ID                 string    `json:"id"`
		IncidentID         string    `json:"incident_id"`
		Status             string    `json:"status"`
		Body               string    `json:"body"`
		CreatedAt          time.Time `json:"created_at"`
		UpdatedAt          time.Time `json:"updated_at"`
		DisplayAt          time.Time `json:"display_at"`
		AffectedComponents []struct {
			Code      string `json:"code"`
			Name      string `json:"name"`
			OldStatus string `json:"old_status"`
			NewStatus string `json:"new_status"`
		} `json:"affected_components"`
		DeliverNotifications bool `json:"deliver_notifications"`
	}
)

// TestClient decodes summary.json as a typed Go client would, unknown
// fields allowed, and checks the values it would show.
func TestClient(t *testing.T) {
	docs := build(t, fixture(t))
	var s clientSummary
	if err := json.NewDecoder(bytes.NewReader(docs[statuspage.DocSummary])).Decode(&s); err != nil {
		t.Fatalf("a typed client cannot read summary.json: %v", err)
	}
	if s.Page.ID != "pe0status0id" || s.Page.Name != "Planet Express" || s.Page.TimeZone != "America/Los_Angeles" || !s.Page.UpdatedAt.Equal(now) {
		t.Errorf("page = %+v", s.Page)
	}
	if s.Status.Indicator != "minor" || s.Status.Description != "Partially Degraded Service" {
		t.Errorf("status = %+v", s.Status)
	}
	if len(s.Components) != 6 {
		t.Fatalf("%d components, want 6", len(s.Components))
	}
	flexo, web := s.Components[0], s.Components[1]
	if !flexo.Group || !slices.Equal(flexo.Components, []string{"flexo/web", "flexo/email"}) || flexo.GroupID != nil || flexo.Position != 1 {
		t.Errorf("group flexo = %+v", flexo)
	}
	if web.GroupID == nil || *web.GroupID != "flexo" || web.Description == nil || *web.Description != "Website & <webmail>" ||
		web.Status != "degraded_performance" || web.StartDate == nil || *web.StartDate != "2024-06-30" || web.Position != 2 {
		t.Errorf("flexo/web = %+v", web)
	}
	if len(s.Incidents) != 1 {
		t.Fatalf("%d incidents, want 1", len(s.Incidents))
	}
	inc := s.Incidents[0]
	if inc.ID != "3" || inc.Status != "identified" || inc.Impact != "minor" || inc.ResolvedAt != nil || inc.MonitoringAt != nil ||
		!inc.StartedAt.Equal(now.Add(-2*time.Hour)) || len(inc.IncidentUpdates) != 2 || len(inc.Components) != 1 {
		t.Errorf("incident = %+v", inc)
	}
	if u := inc.IncidentUpdates[1]; u.ID != "30" || u.IncidentID != "3" || !u.DisplayAt.Equal(now.Add(-2*time.Hour)) ||
		len(u.AffectedComponents) != 1 || u.AffectedComponents[0].NewStatus != "degraded_performance" || !u.DeliverNotifications {
		t.Errorf("oldest update = %+v", u)
	}
	if len(s.ScheduledMaintenances) != 3 {
		t.Fatalf("%d maintenances, want 3", len(s.ScheduledMaintenances))
	}
	m := s.ScheduledMaintenances[0]
	if m.ID != "m11" || m.Status != "in_progress" || m.Impact != "maintenance" || !m.ScheduledFor.Equal(now.Add(-time.Hour)) ||
		!m.ScheduledUntil.Equal(now.Add(time.Hour)) || m.Components[0].Status != "under_maintenance" {
		t.Errorf("active maintenance = %+v", m)
	}
}

// TestSummaryAndComponentsAgree: summary.json and components.json carry the
// same components, byte for byte, and the page's name as given, also a name
// made of control characters and a key's text.
func TestSummaryAndComponentsAgree(t *testing.T) {
	for _, title := range []string{"Flexo Status", "\x00components\x00"} {
		in := fixture(t)
		in.Page.Title = title
		docs := build(t, in)
		var summary, comps map[string]json.RawMessage
		if err := json.Unmarshal(docs[statuspage.DocSummary], &summary); err != nil {
			t.Fatalf("%q: summary.json: %v\n%s", title, err, docs[statuspage.DocSummary])
		}
		if err := json.Unmarshal(docs[statuspage.DocComponents], &comps); err != nil {
			t.Fatalf("%q: components.json: %v", title, err)
		}
		if !bytes.Equal(summary["components"], comps["components"]) || len(summary["components"]) < 100 {
			t.Errorf("%q: the two documents' components differ or are missing:\n%s\n%s", title, summary["components"], comps["components"])
		}
		for name, doc := range map[string][]byte{"summary": docs[statuspage.DocSummary], "components": docs[statuspage.DocComponents]} {
			if bytes.Contains(doc, []byte(`"\u0000components\u0000"`)) != (title != "Flexo Status") {
				t.Errorf("%q: %s.json holds the name's text where it should not, or lost it", title, name)
			}
			var page struct {
				Page struct{ Name string } `json:"page"`
			}
			if err := json.Unmarshal(doc, &page); err != nil || page.Page.Name != title {
				t.Errorf("%q: %s.json names the page %q (%v)", title, name, page.Page.Name, err)
			}
		}
	}
}

// A page with nothing on it yet (no component configured, no incident, no
// window) serves every list as an empty array, never null: a client that
// loops over components or incidents must not fail on a new page.
func TestEmptyPage(t *testing.T) {
	in := statuspage.Input{Page: config.Page{Title: "New page"}, Snapshot: &service.Snapshot{}}
	docs := build(t, in)
	for _, name := range statuspage.Names {
		for key, v := range decode(t, docs, name) {
			if key == "page" || key == "status" {
				continue
			}
			if list, ok := v.([]any); !ok || len(list) != 0 {
				t.Errorf("%s: %s is %v, want []", name, key, v)
			}
		}
	}
}

package service_test

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// t0 is where every test's clock starts; whole milliseconds, as the store keeps them.
var t0 = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

// guard bounds every wait on another goroutine. It only turns a hang into a
// failure; nothing is timed against it.
const guard = 10 * time.Second

// fakeClock is a clock the test sets by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Add moves the clock on and returns the new time.
func (c *fakeClock) Add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

type env struct {
	svc   *service.Service
	clock *fakeClock
	store *store.Store
}

var groupIDs = []string{"flexo", "mom", "elzar", "zapp"}

// catalog is four groups with a web and an email component each, minus the
// component ids given.
func catalog(without ...string) ([]store.Group, []store.Component) {
	var (
		groups []store.Group
		comps  []store.Component
	)
	for gi, g := range groupIDs {
		groups = append(groups, store.Group{ID: g, Name: strings.ToUpper(g[:1]) + g[1:], Position: gi})
		for ci, c := range []struct{ id, name string }{{"web", "Web sites"}, {"email", "E-mail"}} {
			id := g + "/" + c.id
			if !slices.Contains(without, id) {
				comps = append(comps, store.Component{ID: id, GroupID: g, Name: c.name, Position: ci})
			}
		}
	}
	return groups, comps
}

func setup(t *testing.T, b storetest.Backend) *env {
	t.Helper()
	e := &env{clock: &fakeClock{now: t0}, store: b.Store}
	e.svc = service.New(b.Store, e.clock, nil)
	groups, comps := catalog()
	if err := e.svc.SyncCatalog(t.Context(), groups, comps); err != nil {
		t.Fatalf("SyncCatalog: %v", err)
	}
	return e
}

// wantErr checks that err is an E whose message contains want.
func wantErr[E error](t *testing.T, err error, want string) {
	t.Helper()
	var target E
	if !errors.As(err, &target) {
		t.Fatalf("error = %v (%T), want a %T", err, err, target)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
}

// must fails the test on an error and otherwise yields the value:
// must(svc.Incident(ctx, id))(t).
func must[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

func (e *env) open(t *testing.T, title string, comps map[string]status.ComponentStatus) *status.Incident {
	t.Helper()
	return must(e.svc.OpenIncident(t.Context(), "user:alice", service.NewIncident{
		Title: title, Body: "We are looking into it.", Components: comps}))(t)
}

func (e *env) incident(t *testing.T, id int64) *status.Incident {
	t.Helper()
	return must(e.svc.Incident(t.Context(), id))(t)
}

func (e *env) maintenance(t *testing.T, id int64) *status.Maintenance {
	t.Helper()
	return must(e.svc.Maintenance(t.Context(), id))(t)
}

// schedule plans a window from start to end on the components given.
func (e *env) schedule(t *testing.T, start, end time.Time, comps ...string) *status.Maintenance {
	t.Helper()
	return must(e.svc.ScheduleMaintenance(t.Context(), "user:alice", service.NewMaintenance{
		Title: "Database upgrade", Body: "We will upgrade the database.", Components: comps, Start: start, End: end}))(t)
}

func (e *env) advance(t *testing.T, svc *service.Service) int {
	t.Helper()
	return must(svc.AdvanceMaintenance(t.Context()))(t)
}

// statuses returns every configured component's derived status.
func (e *env) statuses(t *testing.T) (map[string]status.ComponentStatus, *service.Snapshot) {
	t.Helper()
	snap := must(e.svc.Snapshot(t.Context()))(t)
	out := map[string]status.ComponentStatus{}
	for _, c := range snap.Components {
		out[c.ID] = c.Status
	}
	return out, snap
}

// allOperational lists every component as operational, with the exceptions given.
func allOperational(except map[string]status.ComponentStatus) map[string]status.ComponentStatus {
	_, comps := catalog()
	out := map[string]status.ComponentStatus{}
	for _, c := range comps {
		out[c.ID] = status.Operational
	}
	for id, st := range except {
		out[id] = st
	}
	return out
}

func checkStatuses(t *testing.T, e *env, want map[string]status.ComponentStatus) *service.Snapshot {
	t.Helper()
	got, snap := e.statuses(t)
	if !reflect.DeepEqual(got, allOperational(want)) {
		t.Errorf("component statuses:\n got %v\nwant %v", got, allOperational(want))
	}
	return snap
}

func checkTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

type comps = map[string]status.ComponentStatus

func TestOpenIncidentValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b)
		// zapp/email leaves the configuration; its history would stay, but no new work may name it.
		groups, cs := catalog("zapp/email")
		if err := e.svc.SyncCatalog(t.Context(), groups, cs); err != nil {
			t.Fatal(err)
		}
		valid := func(edit func(*service.NewIncident)) service.NewIncident {
			req := service.NewIncident{Title: "Web sites down", Body: "We are looking into it.",
				Components: comps{"flexo/web": status.MajorOutage}}
			edit(&req)
			return req
		}
		tests := []struct {
			name string
			req  service.NewIncident
			want string
		}{
			{"empty title", valid(func(r *service.NewIncident) { r.Title = "  " }), "title is required"},
			{"empty body", valid(func(r *service.NewIncident) { r.Body = "" }), "body is required"},
			{"no components", valid(func(r *service.NewIncident) { r.Components = nil }), "at least one affected component"},
			{"unknown component", valid(func(r *service.NewIncident) { r.Components = comps{"bender/web": status.MajorOutage} }),
				"unknown component bender/web"},
			{"removed component", valid(func(r *service.NewIncident) { r.Components = comps{"zapp/email": status.MajorOutage} }),
				"zapp/email is no longer in the configuration"},
			{"under_maintenance as incident status", valid(func(r *service.NewIncident) { r.Components = comps{"flexo/web": status.UnderMaintenance} }),
				`status "under_maintenance" is not one an incident can set`},
			{"unknown component status", valid(func(r *service.NewIncident) { r.Components = comps{"flexo/web": "down"} }),
				`status "down"`},
			{"future started_at", valid(func(r *service.NewIncident) { r.StartedAt = t0.Add(time.Hour) }),
				"started_at 2025-03-14T10:00:00Z is in the future"},
			{"resolved as opening status", valid(func(r *service.NewIncident) { r.Status = status.Resolved }),
				`not "resolved"`},
			{"unknown opening status", valid(func(r *service.NewIncident) { r.Status = "fixed" }), `not "fixed"`},
			{"unknown impact", valid(func(r *service.NewIncident) { r.Impact = "catastrophic" }), `unknown impact "catastrophic"`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				in, err := e.svc.OpenIncident(t.Context(), "user:alice", tt.req)
				if in != nil {
					t.Errorf("OpenIncident returned an incident with its error: %+v", in)
				}
				wantErr[*service.InvalidError](t, err, tt.want)
			})
		}
		if all := must(e.svc.Incidents(t.Context(), store.IncidentFilter{}))(t); len(all) != 0 {
			t.Errorf("refused requests stored %d incidents", len(all))
		}
		// A minute of clock skew is tolerated.
		in := must(e.svc.OpenIncident(t.Context(), "user:alice", valid(func(r *service.NewIncident) { r.StartedAt = t0.Add(30 * time.Second) })))(t)
		checkTime(t, "StartedAt", in.StartedAt, t0.Add(30*time.Second))
	})
}

func TestOpenIncident(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b)
		started := t0.Add(-45 * time.Minute)
		tests := []struct {
			name       string
			comps      comps
			impact     status.Impact
			st         status.IncidentStatus
			wantImpact status.Impact
			wantStatus status.IncidentStatus
		}{
			{"major outage is critical", comps{"flexo/web": status.MajorOutage}, "", "", status.ImpactCritical, status.Investigating},
			{"partial outage is major", comps{"mom/email": status.PartialOutage}, "", "", status.ImpactMajor, status.Investigating},
			{"degraded is minor", comps{"elzar/web": status.DegradedPerformance}, "", "", status.ImpactMinor, status.Investigating},
			{"worst component decides", comps{"elzar/web": status.DegradedPerformance, "zapp/web": status.MajorOutage, "mom/web": status.PartialOutage},
				"", "", status.ImpactCritical, status.Investigating},
			{"operational only is none", comps{"flexo/email": status.Operational}, "", "", status.ImpactNone, status.Investigating},
			{"explicit impact kept", comps{"flexo/web": status.MajorOutage}, status.ImpactMinor, "", status.ImpactMinor, status.Investigating},
			{"opens as identified", comps{"flexo/web": status.PartialOutage}, "", status.Identified, status.ImpactMajor, status.Identified},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				in := must(e.svc.OpenIncident(t.Context(), "user:alice", service.NewIncident{
					Title: "  " + tt.name + " ", Body: "We are looking into it.", Components: tt.comps,
					Impact: tt.impact, Status: tt.st, StartedAt: started,
				}))(t)
				got := e.incident(t, in.ID)
				if got.Title != tt.name {
					t.Errorf("Title = %q, want it trimmed to %q", got.Title, tt.name)
				}
				if got.Impact != tt.wantImpact || got.Status != tt.wantStatus {
					t.Errorf("impact, status = %s, %s; want %s, %s", got.Impact, got.Status, tt.wantImpact, tt.wantStatus)
				}
				checkTime(t, "StartedAt", got.StartedAt, started)
				checkTime(t, "PublishedAt", got.PublishedAt, t0)
				checkTime(t, "CreatedAt", got.CreatedAt, t0)
				if got.Draft || !got.ResolvedAt.IsZero() {
					t.Errorf("new incident: draft %v, resolved at %s", got.Draft, got.ResolvedAt)
				}
				if (tt.wantStatus == status.Identified) != !got.IdentifiedAt.IsZero() {
					t.Errorf("IdentifiedAt = %s for an incident opening as %s", got.IdentifiedAt, got.Status)
				}
				if len(got.Updates) != 1 {
					t.Fatalf("%d updates, want 1", len(got.Updates))
				}
				u := got.Updates[0]
				if u.Status != tt.wantStatus || u.Body != "We are looking into it." {
					t.Errorf("first update = %s %q", u.Status, u.Body)
				}
				checkTime(t, "first update DisplayAt", u.DisplayAt, started)
				checkTime(t, "first update CreatedAt", u.CreatedAt, t0)
				var wantChanges []status.ComponentChange
				var wantComps []status.AffectedComponent
				for _, id := range slices.Sorted(maps.Keys(tt.comps)) {
					wantChanges = append(wantChanges, status.ComponentChange{ComponentID: id, Old: status.Operational, New: tt.comps[id]})
				}
				for _, c := range got.Components {
					wantComps = append(wantComps, status.AffectedComponent{ComponentID: c.ComponentID, Status: tt.comps[c.ComponentID]})
				}
				if !reflect.DeepEqual(u.Changes, wantChanges) {
					t.Errorf("first update changes = %+v, want %+v", u.Changes, wantChanges)
				}
				if len(got.Components) != len(tt.comps) || !reflect.DeepEqual(got.Components, wantComps) {
					t.Errorf("components = %+v, want %v", got.Components, tt.comps)
				}
				if !reflect.DeepEqual(in.Updates[0].Changes, wantChanges) {
					t.Errorf("returned incident's first update changes = %+v, want %+v", in.Updates[0].Changes, wantChanges)
				}
			})
		}
	})
}

func TestSnapshotFollowsIncidents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b)
		ctx := t.Context()
		snap := checkStatuses(t, e, nil)
		if snap.Overall != (status.Overall{Indicator: status.IndicatorNone, Description: "All Systems Operational"}) {
			t.Errorf("empty page Overall = %+v", snap.Overall)
		}
		if len(snap.Groups) != 4 || len(snap.Components) != 8 || snap.Components[0].ID != "flexo/web" || snap.Components[7].ID != "zapp/email" {
			t.Errorf("snapshot catalog: %d groups, components %+v", len(snap.Groups), snap.Components)
		}

		a := e.open(t, "Slow web", comps{"flexo/web": status.PartialOutage, "mom/email": status.DegradedPerformance})
		snap = checkStatuses(t, e, comps{"flexo/web": status.PartialOutage, "mom/email": status.DegradedPerformance})
		if snap.Overall.Indicator != status.IndicatorMajor || len(snap.Open) != 1 {
			t.Errorf("with one incident: Overall %+v, %d open", snap.Overall, len(snap.Open))
		}

		bad := e.open(t, "Web down", comps{"flexo/web": status.MajorOutage})
		snap = checkStatuses(t, e, comps{"flexo/web": status.MajorOutage, "mom/email": status.DegradedPerformance})
		if snap.Overall.Indicator != status.IndicatorCritical || snap.Overall.Description != "Major Service Outage" {
			t.Errorf("with a major outage: Overall %+v", snap.Overall)
		}

		draft := must(e.svc.OpenIncident(ctx, "user:alice", service.NewIncident{Title: "Zapp down?", Body: "Checking.",
			Components: comps{"zapp/web": status.MajorOutage}, Draft: true}))(t)
		if !draft.PublishedAt.IsZero() {
			t.Errorf("draft PublishedAt = %s, want zero", draft.PublishedAt)
		}
		snap = checkStatuses(t, e, comps{"flexo/web": status.MajorOutage, "mom/email": status.DegradedPerformance})
		if len(snap.Open) != 2 {
			t.Errorf("a draft is listed as open: %d open", len(snap.Open))
		}

		e.clock.Add(time.Minute)
		pub := must(e.svc.PublishIncident(ctx, "user:alice", draft.ID))(t)
		if pub.Draft || !pub.PublishedAt.Equal(t0.Add(time.Minute)) {
			t.Errorf("published: draft %v at %s", pub.Draft, pub.PublishedAt)
		}
		_, err := e.svc.PublishIncident(ctx, "user:alice", draft.ID)
		wantErr[*service.ConflictError](t, err, "already published")
		checkStatuses(t, e, comps{"flexo/web": status.MajorOutage, "mom/email": status.DegradedPerformance, "zapp/web": status.MajorOutage})

		// Resolving the worse incident leaves the other one's status.
		must(e.svc.ResolveIncident(ctx, "user:alice", bad.ID, service.Resolution{}))(t)
		checkStatuses(t, e, comps{"flexo/web": status.PartialOutage, "mom/email": status.DegradedPerformance, "zapp/web": status.MajorOutage})

		for _, id := range []int64{a.ID, draft.ID} {
			must(e.svc.ResolveIncident(ctx, "user:alice", id, service.Resolution{Body: "Fixed."}))(t)
		}
		snap = checkStatuses(t, e, nil)
		if snap.Overall != (status.Overall{Indicator: status.IndicatorNone, Description: "All Systems Operational"}) || len(snap.Open) != 0 {
			t.Errorf("all resolved: Overall %+v, %d open", snap.Overall, len(snap.Open))
		}
	})
}

func TestPostIncidentUpdate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b)
		ctx := t.Context()
		in := e.open(t, "Web down", comps{"flexo/web": status.PartialOutage})

		identified := e.clock.Add(10 * time.Minute)
		got := must(e.svc.PostIncidentUpdate(ctx, "user:bob", in.ID, service.IncidentUpdate{Status: status.Identified,
			Body: "A bad deploy.", Components: comps{"flexo/web": status.MajorOutage, "mom/web": status.DegradedPerformance}}))(t)
		if got.Status != status.Identified {
			t.Errorf("Status = %s, want identified", got.Status)
		}
		checkTime(t, "IdentifiedAt", got.IdentifiedAt, identified)
		if !got.MonitoringAt.IsZero() {
			t.Errorf("MonitoringAt = %s, want zero", got.MonitoringAt)
		}
		wantChanges := []status.ComponentChange{
			{ComponentID: "flexo/web", Old: status.PartialOutage, New: status.MajorOutage},
			{ComponentID: "mom/web", Old: status.Operational, New: status.DegradedPerformance},
		}
		if len(got.Updates) != 2 || !reflect.DeepEqual(got.Updates[0].Changes, wantChanges) {
			t.Fatalf("updates = %+v, want the newest first with changes %+v", got.Updates, wantChanges)
		}
		if u := got.Updates[0]; u.Status != status.Identified || u.Body != "A bad deploy." {
			t.Errorf("newest update = %s %q", u.Status, u.Body)
		}
		checkStatuses(t, e, comps{"flexo/web": status.MajorOutage, "mom/web": status.DegradedPerformance})

		monitoring := e.clock.Add(20 * time.Minute)
		got = must(e.svc.PostIncidentUpdate(ctx, "user:bob", in.ID, service.IncidentUpdate{Status: status.Monitoring,
			Body: "Rolled back.", Components: comps{"flexo/web": status.Operational, "mom/web": status.DegradedPerformance}}))(t)
		checkTime(t, "MonitoringAt", got.MonitoringAt, monitoring)
		checkTime(t, "IdentifiedAt kept", got.IdentifiedAt, identified)
		if want := []status.ComponentChange{{ComponentID: "flexo/web", Old: status.MajorOutage, New: status.Operational}}; !reflect.DeepEqual(got.Updates[0].Changes, want) {
			t.Errorf("changes = %+v, want only what moved: %+v", got.Updates[0].Changes, want)
		}

		// An update without a status keeps it.
		e.clock.Add(time.Minute)
		got = must(e.svc.PostIncidentUpdate(ctx, "user:bob", in.ID, service.IncidentUpdate{Body: "Still watching."}))(t)
		if got.Status != status.Monitoring || len(got.Updates[0].Changes) != 0 || got.Updates[0].Status != status.Monitoring {
			t.Errorf("plain update: status %s, newest update %+v", got.Status, got.Updates[0])
		}

		for _, tt := range []struct {
			name string
			id   int64
			req  service.IncidentUpdate
			want string
		}{
			{"empty body", in.ID, service.IncidentUpdate{Status: status.Identified}, "body is required"},
			{"unknown status", in.ID, service.IncidentUpdate{Status: "fixed", Body: "x"}, `unknown incident status "fixed"`},
			{"maintenance status", in.ID, service.IncidentUpdate{Body: "x", Components: comps{"flexo/web": status.UnderMaintenance}}, "not one an incident can set"},
			{"future", in.ID, service.IncidentUpdate{Body: "x", At: e.clock.Now().Add(time.Hour)}, "in the future"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.svc.PostIncidentUpdate(ctx, "user:bob", tt.id, tt.req)
				wantErr[*service.InvalidError](t, err, tt.want)
			})
		}
		_, err := e.svc.PostIncidentUpdate(ctx, "user:bob", in.ID+100, service.IncidentUpdate{Body: "x"})
		wantErr[*service.NotFoundError](t, err, "not found")

		resolved := e.clock.Add(10 * time.Minute)
		got = must(e.svc.PostIncidentUpdate(ctx, "user:bob", in.ID, service.IncidentUpdate{Status: status.Resolved, Body: "All good."}))(t)
		if got.Status != status.Resolved || got.Updates[0].Body != "All good." {
			t.Errorf("resolving update: status %s, newest %+v", got.Status, got.Updates[0])
		}
		checkTime(t, "ResolvedAt", got.ResolvedAt, resolved)
		if want := []status.ComponentChange{{ComponentID: "mom/web", Old: status.DegradedPerformance, New: status.Operational}}; !reflect.DeepEqual(got.Updates[0].Changes, want) {
			t.Errorf("resolution changes = %+v, want %+v", got.Updates[0].Changes, want)
		}
		checkStatuses(t, e, nil)

		_, err = e.svc.PostIncidentUpdate(ctx, "user:bob", in.ID, service.IncidentUpdate{Status: status.Resolved, Body: "Again."})
		wantErr[*service.ConflictError](t, err, "already resolved")

		// Reopening: trouble is back.
		e.clock.Add(time.Hour)
		got = must(e.svc.PostIncidentUpdate(ctx, "user:bob", in.ID, service.IncidentUpdate{Status: status.Investigating,
			Body: "It is back.", Components: comps{"flexo/web": status.PartialOutage}}))(t)
		if got.Status != status.Investigating || !got.ResolvedAt.IsZero() {
			t.Errorf("reopened: status %s, ResolvedAt %s", got.Status, got.ResolvedAt)
		}
		if n := len(got.Updates); n != 6 {
			t.Errorf("%d updates after reopening, want 6", n)
		}
		checkStatuses(t, e, comps{"flexo/web": status.PartialOutage})
	})
}

func TestResolveIncident(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b)
		ctx := t.Context()
		start := t0.Add(-2 * time.Hour)
		in := must(e.svc.OpenIncident(ctx, "user:alice", service.NewIncident{Title: "Mail delayed", Body: "Queues are long.",
			Components: comps{"mom/email": status.DegradedPerformance}, StartedAt: start}))(t)

		_, err := e.svc.ResolveIncident(ctx, "user:alice", in.ID, service.Resolution{ResolvedAt: start.Add(-time.Minute)})
		wantErr[*service.InvalidError](t, err, "before the incident started")
		_, err = e.svc.ResolveIncident(ctx, "user:alice", in.ID, service.Resolution{ResolvedAt: t0.Add(time.Hour)})
		wantErr[*service.InvalidError](t, err, "resolved_at 2025-03-14T10:00:00Z is in the future")
		if got := e.incident(t, in.ID); got.Status != status.Investigating || len(got.Updates) != 1 {
			t.Fatalf("refused resolutions changed the incident: %s, %d updates", got.Status, len(got.Updates))
		}

		end := t0.Add(-time.Hour)
		must(e.svc.ResolveIncident(ctx, "user:alice", in.ID, service.Resolution{ResolvedAt: end, Postmortem: "## What happened\nA disk filled."}))(t)
		got := e.incident(t, in.ID)
		checkTime(t, "ResolvedAt", got.ResolvedAt, end)
		if d := got.ResolvedAt.Sub(got.StartedAt); d != time.Hour {
			t.Errorf("the backdated incident lasted %s, want 1h", d)
		}
		if got.Postmortem != "## What happened\nA disk filled." {
			t.Errorf("Postmortem = %q", got.Postmortem)
		}
		checkTime(t, "PostmortemPublishedAt", got.PostmortemPublishedAt, t0)
		u := got.Updates[0]
		if u.Status != status.Resolved || u.Body != "This incident has been resolved." {
			t.Errorf("resolution update = %s %q, want the default text", u.Status, u.Body)
		}
		checkTime(t, "resolution DisplayAt", u.DisplayAt, end)
		checkTime(t, "resolution CreatedAt", u.CreatedAt, t0)
		if c, _ := got.ComponentStatusOf("mom/email"); c != status.Operational {
			t.Errorf("mom/email within the resolved incident = %s, want operational", c)
		}

		e.clock.Add(time.Hour)
		got = must(e.svc.SetPostmortem(ctx, "user:alice", in.ID, "## Revised"))(t)
		if got.Postmortem != "## Revised" || !got.PostmortemPublishedAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("replaced postmortem = %q at %s", got.Postmortem, got.PostmortemPublishedAt)
		}
		got = must(e.svc.SetPostmortem(ctx, "user:alice", in.ID, ""))(t)
		if got.Postmortem != "" || !got.PostmortemPublishedAt.IsZero() {
			t.Errorf("removed postmortem = %q at %s", got.Postmortem, got.PostmortemPublishedAt)
		}
		_, err = e.svc.SetPostmortem(ctx, "user:alice", in.ID+100, "x")
		wantErr[*service.NotFoundError](t, err, "not found")
	})
}

func TestEditIncident(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b)
		ctx := t.Context()
		in := e.open(t, "Web down", comps{"flexo/web": status.DegradedPerformance})
		title, impact := "  Web sites slow ", status.ImpactCritical
		e.clock.Add(time.Minute)
		got := must(e.svc.EditIncident(ctx, "user:alice", in.ID, service.IncidentEdit{Title: &title, Impact: &impact}))(t)
		if got.Title != "Web sites slow" || got.Impact != status.ImpactCritical {
			t.Errorf("edited: %q, %s", got.Title, got.Impact)
		}
		checkTime(t, "UpdatedAt", got.UpdatedAt, t0.Add(time.Minute))
		if snap, _ := e.svc.Snapshot(ctx); snap.Overall.Indicator != status.IndicatorCritical {
			t.Errorf("Overall = %+v, want critical from the impact", snap.Overall)
		}

		end := t0.Add(-time.Minute)
		empty, bad := " ", status.Impact("huge")
		for _, tt := range []struct {
			name string
			edit service.IncidentEdit
			err  func(t *testing.T, err error)
		}{
			{"resolved_at on an open incident", service.IncidentEdit{ResolvedAt: &end},
				func(t *testing.T, err error) { wantErr[*service.ConflictError](t, err, "is not resolved") }},
			{"empty title", service.IncidentEdit{Title: &empty},
				func(t *testing.T, err error) { wantErr[*service.InvalidError](t, err, "title is required") }},
			{"unknown impact", service.IncidentEdit{Impact: &bad},
				func(t *testing.T, err error) { wantErr[*service.InvalidError](t, err, `unknown impact "huge"`) }},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.svc.EditIncident(ctx, "user:alice", in.ID, tt.edit)
				tt.err(t, err)
			})
		}

		must(e.svc.ResolveIncident(ctx, "user:alice", in.ID, service.Resolution{}))(t)
		early := t0.Add(-time.Hour)
		_, err := e.svc.EditIncident(ctx, "user:alice", in.ID, service.IncidentEdit{ResolvedAt: &early})
		wantErr[*service.InvalidError](t, err, "before it started")
		got = must(e.svc.EditIncident(ctx, "user:alice", in.ID, service.IncidentEdit{StartedAt: &early, ResolvedAt: &end}))(t)
		checkTime(t, "StartedAt", got.StartedAt, early)
		checkTime(t, "ResolvedAt", got.ResolvedAt, end)
	})
}

func TestDeleteIncidentKeepsChangeLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b)
		ctx := t.Context()
		in := e.open(t, "Web down", comps{"flexo/web": status.MajorOutage})
		e.clock.Add(time.Minute)
		must(e.svc.PostIncidentUpdate(ctx, "token:3", in.ID, service.IncidentUpdate{Status: status.Identified, Body: "Found it."}))(t)
		e.clock.Add(time.Minute)
		must(e.svc.ResolveIncident(ctx, "user:bob", in.ID, service.Resolution{}))(t)
		e.clock.Add(time.Minute)
		if err := e.svc.DeleteIncident(ctx, "user:carol", in.ID); err != nil {
			t.Fatalf("DeleteIncident: %v", err)
		}

		_, err := e.svc.Incident(ctx, in.ID)
		wantErr[*service.NotFoundError](t, err, "not found")
		wantErr[*service.NotFoundError](t, e.svc.DeleteIncident(ctx, "user:carol", in.ID), "not found")

		changes := must(e.svc.Changes(ctx, "incident:"+itoa(in.ID), 0))(t)
		want := []struct{ action, actor string }{
			{"incident.delete", "user:carol"},
			{"incident.resolve", "user:bob"},
			{"incident.update", "token:3"},
			{"incident.create", "user:alice"},
		}
		if len(changes) != len(want) {
			t.Fatalf("%d changes, want %d: %+v", len(changes), len(want), changes)
		}
		for i, w := range want {
			c := changes[i]
			if c.Action != w.action || c.Actor != w.actor || c.Subject != "incident:"+itoa(in.ID) {
				t.Errorf("change %d = %s by %s on %s, want %s by %s", i, c.Action, c.Actor, c.Subject, w.action, w.actor)
			}
			checkTime(t, c.Action+" at", c.At, t0.Add(time.Duration(len(want)-1-i)*time.Minute))
		}
		del, create := changes[0], changes[3]
		if !strings.Contains(del.Before, `"Web down"`) || del.After != "" {
			t.Errorf("delete entry: before %q, after %q; want the whole incident before and nothing after", del.Before, del.After)
		}
		if create.Before != "" || !strings.Contains(create.After, `"Web down"`) {
			t.Errorf("create entry: before %q, after %q", create.Before, create.After)
		}
		if changes[1].Before == "" || changes[1].After == "" || changes[1].Before == changes[1].After {
			t.Errorf("resolve entry should hold two different pictures: %+v", changes[1])
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestLinkIncidents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b)
		ctx := t.Context()
		first := e.open(t, "Mail down", comps{"mom/email": status.MajorOutage})
		again := e.open(t, "Mail down again", comps{"mom/email": status.MajorOutage})

		got := must(e.svc.LinkIncidents(ctx, "user:alice", again.ID, first.ID))(t)
		if !reflect.DeepEqual(got.Links, []int64{first.ID}) {
			t.Errorf("Links = %v, want [%d]", got.Links, first.ID)
		}
		if other := e.incident(t, first.ID); !reflect.DeepEqual(other.Links, []int64{again.ID}) {
			t.Errorf("the other incident's Links = %v, want [%d]", other.Links, again.ID)
		}
		// Linking again, from the other side, is harmless.
		got = must(e.svc.LinkIncidents(ctx, "user:alice", first.ID, again.ID))(t)
		if !reflect.DeepEqual(got.Links, []int64{again.ID}) {
			t.Errorf("Links after linking twice = %v", got.Links)
		}

		_, err := e.svc.LinkIncidents(ctx, "user:alice", first.ID, first.ID)
		wantErr[*service.InvalidError](t, err, "linked to itself")
		_, err = e.svc.LinkIncidents(ctx, "user:alice", first.ID, 9999)
		wantErr[*service.InvalidError](t, err, "incident 9999 not found")
		_, err = e.svc.LinkIncidents(ctx, "user:alice", 9999, first.ID)
		wantErr[*service.NotFoundError](t, err, "incident 9999 not found")

		got = must(e.svc.UnlinkIncidents(ctx, "user:alice", first.ID, again.ID))(t)
		if len(got.Links) != 0 || len(e.incident(t, again.ID).Links) != 0 {
			t.Errorf("after unlinking: %v and %v", got.Links, e.incident(t, again.ID).Links)
		}
	})
}

func TestScheduleMaintenanceValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b)
		valid := func(edit func(*service.NewMaintenance)) service.NewMaintenance {
			req := service.NewMaintenance{Title: "Upgrade", Body: "We will upgrade.", Components: []string{"flexo/web"},
				Start: t0.Add(time.Hour), End: t0.Add(2 * time.Hour)}
			edit(&req)
			return req
		}
		tests := []struct {
			name string
			req  service.NewMaintenance
			want string
		}{
			{"empty title", valid(func(r *service.NewMaintenance) { r.Title = "" }), "title is required"},
			{"empty body", valid(func(r *service.NewMaintenance) { r.Body = " " }), "body is required"},
			{"no components", valid(func(r *service.NewMaintenance) { r.Components = nil }), "at least one component"},
			{"unknown component", valid(func(r *service.NewMaintenance) { r.Components = []string{"flexo/ftp"} }), "unknown component flexo/ftp"},
			{"no start", valid(func(r *service.NewMaintenance) { r.Start = time.Time{} }), "start time is required"},
			{"end before start", valid(func(r *service.NewMaintenance) { r.End = t0.Add(30 * time.Minute) }), "must be after the start"},
			{"too long", valid(func(r *service.NewMaintenance) { r.End = r.Start.Add(32 * 24 * time.Hour) }), "at most 31 days"},
			{"already over", valid(func(r *service.NewMaintenance) { r.Start, r.End = t0.Add(-2*time.Hour), t0.Add(-time.Hour) }),
				"would already be over"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.svc.ScheduleMaintenance(t.Context(), "user:alice", tt.req)
				wantErr[*service.InvalidError](t, err, tt.want)
			})
		}
		if all := must(e.svc.Maintenances(t.Context(), store.MaintenanceFilter{}))(t); len(all) != 0 {
			t.Errorf("refused requests stored %d windows", len(all))
		}

		// Duplicates and spaces are dropped; a window that has begun but not ended is accepted.
		m := must(e.svc.ScheduleMaintenance(t.Context(), "user:alice", valid(func(r *service.NewMaintenance) {
			r.Components = []string{"mom/web", " flexo/web", "mom/web"}
			r.Start = t0.Add(-time.Minute)
		})))(t)
		got := e.maintenance(t, m.ID)
		if !reflect.DeepEqual(got.Components, []string{"flexo/web", "mom/web"}) || got.Status != status.Scheduled || got.Sequence != 0 {
			t.Errorf("scheduled: components %v, status %s, sequence %d", got.Components, got.Status, got.Sequence)
		}
		if len(got.Updates) != 1 || got.Updates[0].Status != status.Scheduled || got.Updates[0].Body != "We will upgrade." {
			t.Errorf("updates = %+v", got.Updates)
		}
	})
}

func TestEditMaintenance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b)
		ctx := t.Context()
		m := e.schedule(t, t0.Add(time.Hour), t0.Add(2*time.Hour), "mom/web", "flexo/web")

		got := must(e.svc.EditMaintenance(ctx, "user:alice", m.ID, service.MaintenanceEdit{Add: []string{"zapp/web"}, Update: "Zapp joins in."}))(t)
		if got.Sequence != 1 || !reflect.DeepEqual(got.Components, []string{"flexo/web", "mom/web", "zapp/web"}) {
			t.Errorf("after adding zapp/web: sequence %d, components %v", got.Sequence, got.Components)
		}
		if len(got.Updates) != 2 || got.Updates[0].Body != "Zapp joins in." || got.Updates[0].Status != status.Scheduled {
			t.Errorf("updates = %+v, want the edit's text first", got.Updates)
		}

		// Nothing a calendar shows changed: no new sequence, no update.
		title := "Database upgrade"
		got = must(e.svc.EditMaintenance(ctx, "user:alice", m.ID, service.MaintenanceEdit{Title: &title, Add: []string{"zapp/web"}}))(t)
		if got.Sequence != 1 || len(got.Updates) != 2 {
			t.Errorf("no-op edit: sequence %d, %d updates", got.Sequence, len(got.Updates))
		}

		start := t0.Add(3 * time.Hour)
		got = must(e.svc.EditMaintenance(ctx, "user:alice", m.ID, service.MaintenanceEdit{Start: &start}))(t)
		checkTime(t, "moved ScheduledFor", got.ScheduledFor, start)
		checkTime(t, "moved ScheduledUntil keeps the length", got.ScheduledUntil, start.Add(time.Hour))
		if got.Sequence != 2 {
			t.Errorf("sequence %d after moving, want 2", got.Sequence)
		}
		d := 30 * time.Minute
		got = must(e.svc.EditMaintenance(ctx, "user:alice", m.ID, service.MaintenanceEdit{Duration: &d}))(t)
		checkTime(t, "ScheduledUntil from duration", got.ScheduledUntil, start.Add(d))

		end := start.Add(time.Hour)
		past := t0.Add(-time.Hour)
		for _, tt := range []struct {
			name string
			edit service.MaintenanceEdit
			want string
		}{
			{"end and duration", service.MaintenanceEdit{End: &end, Duration: &d}, "either end or duration"},
			{"unknown component", service.MaintenanceEdit{Add: []string{"bender/web"}}, "unknown component bender/web"},
			{"every component removed", service.MaintenanceEdit{Remove: []string{"flexo/web", "mom/web", "zapp/web"}}, "at least one component"},
			{"end before start", service.MaintenanceEdit{End: &past}, "must be after the start"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.svc.EditMaintenance(ctx, "user:alice", m.ID, tt.edit)
				wantErr[*service.InvalidError](t, err, tt.want)
			})
		}
		if got := e.maintenance(t, m.ID); got.Sequence != 3 || len(got.Components) != 3 || !got.ScheduledUntil.Equal(start.Add(d)) {
			t.Errorf("refused edits changed the window: %+v", got)
		}

		// In progress: the start is fixed, the end may move.
		e.clock.Set(start)
		if n := e.advance(t, e.svc); n != 1 {
			t.Fatalf("AdvanceMaintenance took %d steps, want 1", n)
		}
		later := start.Add(time.Hour)
		_, err := e.svc.EditMaintenance(ctx, "user:alice", m.ID, service.MaintenanceEdit{Start: &later})
		wantErr[*service.ConflictError](t, err, "has already started")
		got = must(e.svc.EditMaintenance(ctx, "user:alice", m.ID, service.MaintenanceEdit{Start: &start, End: &later}))(t)
		checkTime(t, "extended ScheduledUntil", got.ScheduledUntil, later)

		must(e.svc.CompleteMaintenance(ctx, "user:alice", m.ID, ""))(t)
		_, err = e.svc.EditMaintenance(ctx, "user:alice", m.ID, service.MaintenanceEdit{Title: &title})
		wantErr[*service.ConflictError](t, err, "already completed")
		_, err = e.svc.EditMaintenance(ctx, "user:alice", m.ID+100, service.MaintenanceEdit{Title: &title})
		wantErr[*service.NotFoundError](t, err, "not found")
	})
}

func TestMaintenanceClock(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b)
		ctx := t.Context()
		start, end := t0.Add(10*time.Minute), t0.Add(15*time.Minute)
		m := e.schedule(t, start, end, "flexo/web", "elzar/email")

		if n := e.advance(t, e.svc); n != 0 {
			t.Errorf("before the start: %d steps", n)
		}
		e.clock.Set(start.Add(-time.Millisecond))
		if n := e.advance(t, e.svc); n != 0 {
			t.Errorf("a millisecond before the start: %d steps", n)
		}
		_, snap := e.statuses(t)
		if len(snap.Upcoming) != 1 || len(snap.Active) != 0 {
			t.Errorf("before the start: %d upcoming, %d active", len(snap.Upcoming), len(snap.Active))
		}

		e.clock.Set(start)
		if n := e.advance(t, e.svc); n != 1 {
			t.Fatalf("at the start: %d steps, want 1", n)
		}
		got := e.maintenance(t, m.ID)
		if got.Status != status.InProgress {
			t.Fatalf("status %s, want in_progress", got.Status)
		}
		checkTime(t, "StartedAt", got.StartedAt, got.ScheduledFor)
		if u := got.Updates[0]; u.Status != status.InProgress || !u.DisplayAt.Equal(start) {
			t.Errorf("start update = %+v", u)
		}
		snap = checkStatuses(t, e, comps{"flexo/web": status.UnderMaintenance, "elzar/email": status.UnderMaintenance})
		if snap.Overall != (status.Overall{Indicator: status.IndicatorMaintenance, Description: "Service Under Maintenance"}) {
			t.Errorf("Overall = %+v, want maintenance", snap.Overall)
		}
		if len(snap.Active) != 1 || len(snap.Upcoming) != 0 {
			t.Errorf("running: %d active, %d upcoming", len(snap.Active), len(snap.Upcoming))
		}
		if n := e.advance(t, e.svc); n != 0 {
			t.Errorf("advancing twice at the same moment took %d steps", n)
		}

		e.clock.Set(end)
		if n := e.advance(t, e.svc); n != 1 {
			t.Fatalf("at the end: %d steps, want 1", n)
		}
		got = e.maintenance(t, m.ID)
		if got.Status != status.Completed {
			t.Fatalf("status %s, want completed", got.Status)
		}
		checkTime(t, "CompletedAt", got.CompletedAt, got.ScheduledUntil)
		if u := got.Updates[0]; u.Status != status.Completed || !u.DisplayAt.Equal(end) || len(got.Updates) != 3 {
			t.Errorf("updates = %+v, want a completed update first", got.Updates)
		}
		snap = checkStatuses(t, e, nil)
		if snap.Overall.Indicator != status.IndicatorNone || len(snap.Active) != 0 {
			t.Errorf("after the window: Overall %+v, %d active", snap.Overall, len(snap.Active))
		}

		changes := must(e.svc.Changes(ctx, "maintenance:"+itoa(m.ID), 0))(t)
		if len(changes) != 3 || changes[0].Action != "maintenance.complete" || changes[0].Actor != "herald" ||
			changes[1].Action != "maintenance.start" || changes[1].Actor != "herald" {
			t.Errorf("change log = %+v", changes)
		}
	})
}

func TestCompleteAndCancelMaintenance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b)
		ctx := t.Context()
		m := e.schedule(t, t0.Add(time.Hour), t0.Add(2*time.Hour), "flexo/web")
		_, err := e.svc.CompleteMaintenance(ctx, "user:alice", m.ID, "")
		wantErr[*service.ConflictError](t, err, "has not started yet")

		e.clock.Set(t0.Add(time.Hour))
		e.advance(t, e.svc)
		done := e.clock.Add(20 * time.Minute)
		got := must(e.svc.CompleteMaintenance(ctx, "user:alice", m.ID, "Done early."))(t)
		if got.Status != status.Completed || got.Updates[0].Body != "Done early." || got.Updates[0].Status != status.Completed {
			t.Errorf("completed: %s, newest update %+v", got.Status, got.Updates[0])
		}
		checkTime(t, "CompletedAt", got.CompletedAt, done)
		checkTime(t, "ScheduledUntil kept", got.ScheduledUntil, t0.Add(2*time.Hour))
		_, err = e.svc.CompleteMaintenance(ctx, "user:alice", m.ID, "")
		wantErr[*service.ConflictError](t, err, "already completed")
		_, err = e.svc.CancelMaintenance(ctx, "user:alice", m.ID, "")
		wantErr[*service.ConflictError](t, err, "already completed")
		if n := e.advance(t, e.svc); n != 0 {
			t.Errorf("the clock moved a completed window: %d steps", n)
		}

		c := e.schedule(t, t0.Add(3*time.Hour), t0.Add(4*time.Hour), "mom/web")
		got = must(e.svc.CancelMaintenance(ctx, "user:alice", c.ID, ""))(t)
		if got.Status != status.Cancelled || got.Sequence != 1 || got.Updates[0].Status != status.Cancelled || got.Updates[0].Body == "" {
			t.Errorf("cancelled: %s, sequence %d, newest update %+v", got.Status, got.Sequence, got.Updates[0])
		}
		checkTime(t, "cancelled CompletedAt", got.CompletedAt, done)
		_, err = e.svc.CancelMaintenance(ctx, "user:alice", c.ID, "")
		wantErr[*service.ConflictError](t, err, "already cancelled")

		// A running window may be cancelled too.
		r := e.schedule(t, t0.Add(5*time.Hour), t0.Add(6*time.Hour), "zapp/web")
		e.clock.Set(t0.Add(5 * time.Hour))
		e.advance(t, e.svc)
		got = must(e.svc.CancelMaintenance(ctx, "user:alice", r.ID, "Called off."))(t)
		if got.Status != status.Cancelled || got.Updates[0].Body != "Called off." {
			t.Errorf("cancelled while running: %s, %+v", got.Status, got.Updates[0])
		}
		checkStatuses(t, e, nil)
	})
}

func TestMaintenanceAcrossRestart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b)
		ctx := t.Context()
		start, end := t0.Add(10*time.Minute), t0.Add(40*time.Minute)
		m := e.schedule(t, start, end, "elzar/web")

		// Herald was down through the whole window; a new process starts.
		e.clock.Set(t0.Add(3 * time.Hour))
		restarted := service.New(b.Store, e.clock, nil)
		if n := e.advance(t, restarted); n != 2 {
			t.Fatalf("after the restart: %d steps, want 2", n)
		}
		got := e.maintenance(t, m.ID)
		if got.Status != status.Completed {
			t.Fatalf("status %s, want completed", got.Status)
		}
		checkTime(t, "StartedAt", got.StartedAt, start)
		checkTime(t, "CompletedAt", got.CompletedAt, end)
		if len(got.Updates) != 3 || got.Updates[0].Status != status.Completed || got.Updates[1].Status != status.InProgress {
			t.Fatalf("updates = %+v", got.Updates)
		}
		checkTime(t, "completed update DisplayAt", got.Updates[0].DisplayAt, end)
		checkTime(t, "start update DisplayAt", got.Updates[1].DisplayAt, start)
		checkTime(t, "start update CreatedAt", got.Updates[1].CreatedAt, t0.Add(3*time.Hour))

		changes := must(restarted.Changes(ctx, "maintenance:"+itoa(m.ID), 0))(t)
		if len(changes) != 3 {
			t.Fatalf("%d changes, want 3: %+v", len(changes), changes)
		}
		for i, action := range []string{"maintenance.complete", "maintenance.start"} {
			if changes[i].Action != action || changes[i].Actor != "herald" {
				t.Errorf("change %d = %s by %s, want %s by herald", i, changes[i].Action, changes[i].Actor, action)
			}
		}
		if n := e.advance(t, restarted); n != 0 {
			t.Errorf("advancing again took %d steps", n)
		}
	})
}

func TestAdvanceMaintenanceTwoInstances(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b)
		ctx := t.Context()
		// The second instance has a pool of its own on the same database.
		other, err := store.Open(ctx, store.DSN{URL: b.URL, DataDir: b.DataDir})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { other.Close() })
		instances := []*service.Service{e.svc, service.New(other, e.clock, nil)}

		const rounds, windows = 3, 3
		for round := range rounds {
			var ids []int64
			now := e.clock.Now()
			for range windows {
				ids = append(ids, e.schedule(t, now.Add(time.Minute), now.Add(time.Hour), "flexo/web").ID)
			}
			e.clock.Set(now.Add(time.Minute))

			var wg sync.WaitGroup
			taken := make([]int, len(instances))
			errs := make([]error, len(instances))
			ready := make(chan struct{})
			for i, svc := range instances {
				wg.Go(func() {
					<-ready
					taken[i], errs[i] = svc.AdvanceMaintenance(ctx)
				})
			}
			close(ready)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("round %d, instance %d: %v", round, i, err)
				}
			}
			if taken[0]+taken[1] != windows {
				t.Errorf("round %d: the instances took %v steps, want %d in total", round, taken, windows)
			}
			for _, id := range ids {
				started := 0
				for _, u := range e.maintenance(t, id).Updates {
					if u.Status == status.InProgress {
						started++
					}
				}
				if started != 1 {
					t.Errorf("round %d: window %d has %d start updates, want exactly 1", round, id, started)
				}
			}
			e.clock.Add(2 * time.Hour) // every window of this round is over
			e.advance(t, e.svc)
		}
	})
}

// fakeTimer hands RunClock timers that fire only when the test says.
type fakeTimer struct {
	reqs chan timerRequest
}

type timerRequest struct {
	d    time.Duration
	fire chan time.Time
}

func newFakeTimer() *fakeTimer { return &fakeTimer{reqs: make(chan timerRequest, 16)} }

func (f *fakeTimer) timer(d time.Duration) (<-chan time.Time, func() bool) {
	r := timerRequest{d: d, fire: make(chan time.Time, 1)}
	f.reqs <- r
	return r.fire, func() bool { return true }
}

func (f *fakeTimer) next(t *testing.T) timerRequest {
	t.Helper()
	select {
	case r := <-f.reqs:
		return r
	case <-time.After(guard):
		t.Fatal("RunClock asked for no timer")
		return timerRequest{}
	}
}

func near(got, want time.Duration) bool {
	return got >= want-10*time.Millisecond && got <= want+10*time.Millisecond
}

func TestRunClock(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b)
		changed := make(chan struct{}, 1)
		e.svc.OnChange(func() {
			select {
			case changed <- struct{}{}:
			default:
			}
		})
		ft := newFakeTimer()
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			defer close(done)
			e.svc.RunClock(ctx, ft.timer)
		}()
		stopped := false
		stop := func() {
			if stopped {
				return
			}
			stopped = true
			cancel()
			select {
			case <-done:
			case <-time.After(guard):
				t.Fatal("RunClock did not return after its context ended")
			}
		}
		defer stop()

		if r := ft.next(t); r.d != time.Minute {
			t.Errorf("with nothing scheduled, RunClock waits %s, want the 1m cap", r.d)
		}

		// Scheduling wakes the waiting clock, which asks for a new timer.
		far := e.schedule(t, t0.Add(10*time.Minute), t0.Add(15*time.Minute), "mom/web")
		if r := ft.next(t); r.d != time.Minute {
			t.Errorf("with a window 10m away, RunClock waits %s, want the 1m cap", r.d)
		}
		soon := e.schedule(t, t0.Add(30*time.Second), t0.Add(5*time.Minute), "flexo/web")
		r := ft.next(t)
		if !near(r.d, 30*time.Second) {
			t.Errorf("with a window 30s away, RunClock waits %s, want about 30s", r.d)
		}

		e.clock.Set(soon.ScheduledFor)
		r.fire <- soon.ScheduledFor
		for e.maintenance(t, soon.ID).Status != status.InProgress {
			select {
			case <-changed:
			case <-time.After(guard):
				t.Fatal("the window did not start after the timer fired")
			}
		}
		got := e.maintenance(t, soon.ID)
		checkTime(t, "StartedAt", got.StartedAt, soon.ScheduledFor)
		if st := e.maintenance(t, far.ID).Status; st != status.Scheduled {
			t.Errorf("the later window is %s, want scheduled", st)
		}
		if r := ft.next(t); r.d != time.Minute {
			t.Errorf("after the step, RunClock waits %s, want the 1m cap", r.d)
		}
		stop()
	})
}

func TestRunClockNextTransitionSoon(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b)
		// Already scheduled when the clock starts: it asks for the time to the start at once.
		m := e.schedule(t, t0.Add(20*time.Second), t0.Add(time.Hour), "zapp/email")
		ft := newFakeTimer()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		done := make(chan struct{})
		go func() {
			defer close(done)
			e.svc.RunClock(ctx, ft.timer)
		}()
		if r := ft.next(t); !near(r.d, 20*time.Second) {
			t.Errorf("RunClock waits %s, want about 20s", r.d)
		}
		cancel()
		select {
		case <-done:
		case <-time.After(guard):
			t.Fatal("RunClock did not return after its context ended")
		}
		if st := e.maintenance(t, m.ID).Status; st != status.Scheduled {
			t.Errorf("status %s, want scheduled", st)
		}
	})
}

func TestTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b)
		ctx := t.Context()
		plain, tok, err := e.svc.CreateToken(ctx, "deploy bot", service.ScopeWrite)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(plain, "hrld_") || len(plain) < 40 {
			t.Errorf("token %q should start with hrld_ and carry 256 bits", plain)
		}
		if tok.Hash == plain || tok.Hash != service.HashToken(plain) {
			t.Errorf("stored hash %q", tok.Hash)
		}
		readPlain, _, err := e.svc.CreateToken(ctx, "dashboard", service.ScopeRead)
		if err != nil {
			t.Fatal(err)
		}

		got := must(e.svc.Authenticate(ctx, plain))(t)
		if got.ID != tok.ID || got.Scope != service.ScopeWrite || got.Name != "deploy bot" {
			t.Errorf("Authenticate = %+v, want token %d with scope write", got, tok.ID)
		}
		if got := must(e.svc.Authenticate(ctx, readPlain))(t); got.Scope != service.ScopeRead {
			t.Errorf("read token has scope %q", got.Scope)
		}

		if err := e.svc.RevokeToken(ctx, "cli", tok.ID); err != nil {
			t.Fatal(err)
		}
		wantErr[*service.NotFoundError](t, e.svc.RevokeToken(ctx, "cli", tok.ID), "not found")
		for _, tt := range []struct{ name, token string }{
			{"revoked", plain},
			{"empty", ""},
			{"prefix only", "hrld_"},
			{"unknown", "hrld_" + strings.Repeat("A", 43)},
			{"without prefix", strings.TrimPrefix(readPlain, "hrld_")},
			{"bearer word", "Bearer " + readPlain},
			{"too long", readPlain + strings.Repeat("x", 100)},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := e.svc.Authenticate(ctx, tt.token); !errors.Is(err, service.ErrBadToken) {
					t.Errorf("Authenticate = %v, want ErrBadToken", err)
				}
			})
		}
		if _, err := e.svc.Authenticate(ctx, readPlain); err != nil {
			t.Errorf("revoking one token broke another: %v", err)
		}

		_, _, err = e.svc.CreateToken(ctx, "x", "admin")
		wantErr[*service.InvalidError](t, err, `unknown scope "admin"`)
		all := must(e.svc.Tokens(ctx))(t)
		if len(all) != 2 || all[0].RevokedAt.IsZero() || !all[1].RevokedAt.IsZero() {
			t.Errorf("tokens = %+v", all)
		}
	})
}

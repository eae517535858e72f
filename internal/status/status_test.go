package status

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

func TestWorstOrdering(t *testing.T) {
	tests := []struct {
		name string
		in   []ComponentStatus
		want ComponentStatus
	}{
		{"none is operational", nil, Operational},
		{"operational alone", []ComponentStatus{Operational}, Operational},
		{"maintenance above operational", []ComponentStatus{Operational, UnderMaintenance}, UnderMaintenance},
		{"degraded above maintenance", []ComponentStatus{UnderMaintenance, DegradedPerformance}, DegradedPerformance},
		{"degraded above maintenance, either order", []ComponentStatus{DegradedPerformance, UnderMaintenance}, DegradedPerformance},
		{"partial above degraded", []ComponentStatus{PartialOutage, DegradedPerformance}, PartialOutage},
		{"major above everything", []ComponentStatus{UnderMaintenance, MajorOutage, PartialOutage, Operational}, MajorOutage},
		{"unknown word never wins", []ComponentStatus{"on_fire", Operational}, Operational},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Worst(tt.in...); got != tt.want {
				t.Errorf("Worst(%v) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}

	// Worse must agree with the order of ComponentStatuses, best first.
	for i, a := range ComponentStatuses {
		for j, b := range ComponentStatuses {
			t.Run(fmt.Sprintf("%s worse than %s", a, b), func(t *testing.T) {
				if got, want := a.Worse(b), i > j; got != want {
					t.Errorf("%s.Worse(%s) = %v, want %v", a, b, got, want)
				}
			})
		}
	}
}

func TestParse(t *testing.T) {
	type parser func(string) (string, error)
	component := func(s string) (string, error) { v, err := ParseComponentStatus(s); return string(v), err }
	incident := func(s string) (string, error) { v, err := ParseIncidentStatus(s); return string(v), err }
	impact := func(s string) (string, error) { v, err := ParseImpact(s); return string(v), err }

	tests := []struct {
		name  string
		parse parser
		in    string
		want  string // "" when an error is expected
		words []string
	}{
		{"component operational", component, "operational", "operational", nil},
		{"component degraded", component, "degraded_performance", "degraded_performance", nil},
		{"component partial", component, "partial_outage", "partial_outage", nil},
		{"component major", component, "major_outage", "major_outage", nil},
		{"component maintenance", component, "under_maintenance", "under_maintenance", nil},
		{"component trims spaces", component, " major_outage\n", "major_outage", nil},
		{"component unknown", component, "down", "", words(ComponentStatuses)},
		{"component empty", component, "", "", words(ComponentStatuses)},
		{"component wrong case", component, "Operational", "", words(ComponentStatuses)},
		{"incident investigating", incident, "investigating", "investigating", nil},
		{"incident identified", incident, "identified", "identified", nil},
		{"incident monitoring", incident, "monitoring", "monitoring", nil},
		{"incident resolved", incident, "resolved", "resolved", nil},
		{"incident unknown", incident, "fixed", "", words(IncidentStatuses)},
		{"incident empty", incident, "", "", words(IncidentStatuses)},
		{"impact none", impact, "none", "none", nil},
		{"impact minor", impact, "minor", "minor", nil},
		{"impact major", impact, "major", "major", nil},
		{"impact critical", impact, "critical", "critical", nil},
		{"impact unknown", impact, "catastrophic", "", words(Impacts)},
		{"impact is not a component status", impact, "major_outage", "", words(Impacts)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.parse(tt.in)
			if tt.want != "" {
				if err != nil || got != tt.want {
					t.Fatalf("parse(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("parse(%q) = %q, want an error", tt.in, got)
			}
			if got != "" {
				t.Errorf("parse(%q) returned %q with its error", tt.in, got)
			}
			msg := err.Error()
			if !strings.Contains(msg, fmt.Sprintf("%q", tt.in)) {
				t.Errorf("error %q does not quote the input", msg)
			}
			if !strings.Contains(msg, strings.Join(tt.words, ", ")) {
				t.Errorf("error %q does not list the valid words %v", msg, tt.words)
			}
		})
	}
}

func words[T ~string](ws []T) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = string(w)
	}
	return out
}

func TestCheckIncidentTransition(t *testing.T) {
	for _, from := range IncidentStatuses {
		for _, to := range IncidentStatuses {
			t.Run(fmt.Sprintf("%s to %s", from, to), func(t *testing.T) {
				err := CheckIncidentTransition(from, to)
				if refused := from == Resolved && to == Resolved; refused != (err != nil) {
					t.Errorf("CheckIncidentTransition(%s, %s) = %v, want refused=%v", from, to, err, refused)
				}
			})
		}
	}
	t.Run("unknown target", func(t *testing.T) {
		if err := CheckIncidentTransition(Investigating, "fixed"); err == nil || !strings.Contains(err.Error(), `"fixed"`) {
			t.Errorf("CheckIncidentTransition to an unknown status = %v, want an error naming it", err)
		}
	})
}

func TestCheckMaintenanceTransition(t *testing.T) {
	allowed := map[[2]MaintenanceStatus]bool{
		{Scheduled, InProgress}: true,
		{Scheduled, Completed}:  true,
		{Scheduled, Cancelled}:  true,
		{InProgress, Completed}: true,
		{InProgress, Cancelled}: true,
	}
	for _, from := range MaintenanceStatuses {
		for _, to := range MaintenanceStatuses {
			t.Run(fmt.Sprintf("%s to %s", from, to), func(t *testing.T) {
				err := CheckMaintenanceTransition(from, to)
				if want := allowed[[2]MaintenanceStatus{from, to}]; want != (err == nil) {
					t.Fatalf("CheckMaintenanceTransition(%s, %s) = %v, want allowed=%v", from, to, err, want)
				}
				if err != nil && from.Final() && !strings.Contains(err.Error(), "already "+string(from)) {
					t.Errorf("error %q should say the window is already %s", err, from)
				}
			})
		}
	}
}

func window(st MaintenanceStatus) *Maintenance {
	return &Maintenance{Status: st, ScheduledFor: t0, ScheduledUntil: t0.Add(time.Hour)}
}

func TestDueSteps(t *testing.T) {
	start, end := t0, t0.Add(time.Hour)
	tests := []struct {
		name string
		st   MaintenanceStatus
		now  time.Time
		want []Step
	}{
		{"scheduled before start", Scheduled, start.Add(-time.Millisecond), nil},
		{"scheduled exactly at start", Scheduled, start, []Step{{InProgress, start}}},
		{"scheduled between start and end", Scheduled, start.Add(30 * time.Minute), []Step{{InProgress, start}}},
		{"scheduled exactly at end", Scheduled, end, []Step{{InProgress, start}, {Completed, end}}},
		{"scheduled long after end", Scheduled, end.Add(48 * time.Hour), []Step{{InProgress, start}, {Completed, end}}},
		{"in progress before end", InProgress, end.Add(-time.Millisecond), nil},
		{"in progress after end", InProgress, end.Add(time.Minute), []Step{{Completed, end}}},
		{"completed", Completed, end.Add(time.Hour), nil},
		{"cancelled", Cancelled, end.Add(time.Hour), nil},
		{"cancelled before start", Cancelled, start.Add(-time.Hour), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := window(tt.st)
			if got := m.DueSteps(tt.now, 0); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DueSteps(%s) = %+v, want %+v", tt.now, got, tt.want)
			}
			if m.Status != tt.st {
				t.Errorf("DueSteps changed the status to %s", m.Status)
			}
		})
	}
}

// Completion waits for the measurements of the window's last minutes to
// settle, stamped with the scheduled end all the same.
func TestDueStepsSettle(t *testing.T) {
	end := t0.Add(time.Hour)
	m := window(InProgress)
	if got := m.DueSteps(end.Add(89*time.Second), 90*time.Second); got != nil {
		t.Errorf("completed before the measurements settled: %+v", got)
	}
	if got := m.DueSteps(end.Add(90*time.Second), 90*time.Second); !reflect.DeepEqual(got, []Step{{Completed, end}}) {
		t.Errorf("after settling: %+v, want completion at the scheduled end", got)
	}
	if got := m.NextTransition(90 * time.Second); !got.Equal(end.Add(90 * time.Second)) {
		t.Errorf("next transition %s", got)
	}
}

// Covers is the one rule for "inside a window": by the window's times, from
// its start until its end, whatever the clock last wrote.
func TestMaintenanceCovers(t *testing.T) {
	const web = "flexo/web"
	start, end := t0, t0.Add(time.Hour)
	early := start.Add(-10 * time.Minute) // an operator started it early
	done := start.Add(20 * time.Minute)   // completed or cancelled then
	m := func(st MaintenanceStatus, started, completed time.Time) Maintenance {
		return Maintenance{Status: st, ScheduledFor: start, ScheduledUntil: end, StartedAt: started, CompletedAt: completed,
			Components: []string{web, "mom/web"}}
	}
	tests := []struct {
		name string
		m    Maintenance
		at   time.Time
		want bool
	}{
		{"scheduled, before its start", m(Scheduled, time.Time{}, time.Time{}), start.Add(-time.Millisecond), false},
		{"scheduled, at its start, the clock not yet run", m(Scheduled, time.Time{}, time.Time{}), start, true},
		{"scheduled, inside its times", m(Scheduled, time.Time{}, time.Time{}), start.Add(30 * time.Minute), true},
		{"scheduled, at its end", m(Scheduled, time.Time{}, time.Time{}), end, false},
		{"running, from its start", m(InProgress, start, time.Time{}), start, true},
		{"running, started early", m(InProgress, early, time.Time{}), early, true},
		{"running, before it started", m(InProgress, start, time.Time{}), start.Add(-time.Millisecond), false},
		{"running, a moment before its planned end", m(InProgress, start, time.Time{}), end.Add(-time.Millisecond), true},
		{"running, past its planned end, the clock not yet run", m(InProgress, start, time.Time{}), end, false},
		{"completed early, before completion", m(Completed, start, done), done.Add(-time.Millisecond), true},
		{"completed early, at completion", m(Completed, start, done), done, false},
		{"completed, not stamped started", m(Completed, time.Time{}, end), start, true},
		{"cancelled while running, before it was", m(Cancelled, start, done), start.Add(time.Minute), true},
		{"cancelled while running, after", m(Cancelled, start, done), done, false},
		{"cancelled before it started", m(Cancelled, time.Time{}, early), start.Add(time.Minute), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.m.Covers(web, tt.at); got != tt.want {
				t.Errorf("Covers(%s) = %v, want %v", tt.at.Format("15:04:05.000"), got, tt.want)
			}
			if tt.m.Covers("flexo/email", tt.at) {
				t.Error("covers a component not in the window")
			}
		})
	}
}

func TestNextTransition(t *testing.T) {
	tests := []struct {
		st   MaintenanceStatus
		want time.Time
	}{
		{Scheduled, t0},
		{InProgress, t0.Add(time.Hour)},
		{Completed, time.Time{}},
		{Cancelled, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(string(tt.st), func(t *testing.T) {
			if got := window(tt.st).NextTransition(0); !got.Equal(tt.want) {
				t.Errorf("NextTransition() = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestCheckWindow(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		name       string
		start, end time.Time
		wantErr    string // "" for valid
	}{
		{"one hour", t0, t0.Add(time.Hour), ""},
		{"one millisecond", t0, t0.Add(time.Millisecond), ""},
		{"exactly 31 days", t0, t0.Add(31 * day), ""},
		{"zero start", time.Time{}, t0, "start time is required"},
		{"end before start", t0, t0.Add(-time.Hour), "must be after the start"},
		{"end equal to start", t0, t0, "must be after the start"},
		{"longer than 31 days", t0, t0.Add(31*day + time.Millisecond), "at most 31 days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckWindow(tt.start, tt.end)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("CheckWindow = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("CheckWindow = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func incident(st IncidentStatus, draft bool, comps ...AffectedComponent) Incident {
	return Incident{Status: st, Draft: draft, Components: comps, Impact: ImpactNone}
}

func affects(id string, st ComponentStatus) AffectedComponent {
	return AffectedComponent{ComponentID: id, Status: st}
}

func TestDeriveComponent(t *testing.T) {
	const web = "flexo/web"
	start, end := time.Date(2026, 4, 3, 23, 0, 0, 0, time.UTC), time.Date(2026, 4, 3, 23, 30, 0, 0, time.UTC)
	at := start.Add(5 * time.Minute) // the moment derived for, unless a case says
	win := func(st MaintenanceStatus, comps ...string) Maintenance {
		m := Maintenance{Status: st, ScheduledFor: start, ScheduledUntil: end, Components: comps}
		if st != Scheduled {
			m.StartedAt = start
		}
		if st.Final() {
			m.CompletedAt = start.Add(2 * time.Minute)
		}
		return m
	}
	running := win(InProgress, web)
	tests := []struct {
		name string
		in   Inputs
		want ComponentStatus
	}{
		{"untouched component is operational", Inputs{}, Operational},
		{"incident status", Inputs{Incidents: []Incident{incident(Investigating, false, affects(web, PartialOutage))}}, PartialOutage},
		{"incident on another component", Inputs{Incidents: []Incident{incident(Investigating, false, affects("mom/web", MajorOutage))}}, Operational},
		{"worst of several incidents", Inputs{Incidents: []Incident{
			incident(Identified, false, affects(web, DegradedPerformance)),
			incident(Monitoring, false, affects(web, MajorOutage)),
			incident(Investigating, false, affects(web, PartialOutage)),
		}}, MajorOutage},
		{"draft incident ignored", Inputs{Incidents: []Incident{incident(Investigating, true, affects(web, MajorOutage))}}, Operational},
		{"resolved incident ignored", Inputs{Incidents: []Incident{incident(Resolved, false, affects(web, MajorOutage))}}, Operational},
		{"measured status", Inputs{Measured: map[string]ComponentStatus{web: DegradedPerformance}}, DegradedPerformance},
		{"worst of measured and incident", Inputs{
			Incidents: []Incident{incident(Investigating, false, affects(web, DegradedPerformance))},
			Measured:  map[string]ComponentStatus{web: MajorOutage},
		}, MajorOutage},
		{"active maintenance", Inputs{Maintenances: []Maintenance{running}}, UnderMaintenance},
		{"maintenance not yet begun", Inputs{Maintenances: []Maintenance{win(Scheduled, web)}, At: start.Add(-time.Second)}, Operational},
		{"scheduled maintenance due, the clock not yet run", Inputs{Maintenances: []Maintenance{win(Scheduled, web)}}, UnderMaintenance},
		{"running maintenance past its planned end", Inputs{Maintenances: []Maintenance{running}, At: end}, Operational},
		{"completed maintenance does not count", Inputs{Maintenances: []Maintenance{win(Completed, web)}}, Operational},
		{"cancelled maintenance does not count", Inputs{Maintenances: []Maintenance{win(Cancelled, web)}}, Operational},
		{"maintenance on another component", Inputs{Maintenances: []Maintenance{win(InProgress, "mom/web")}}, Operational},
		{"incident outage beats maintenance", Inputs{
			Incidents:    []Incident{incident(Investigating, false, affects(web, MajorOutage))},
			Maintenances: []Maintenance{running},
		}, MajorOutage},
		{"incident operational during maintenance", Inputs{
			Incidents:    []Incident{incident(Monitoring, false, affects(web, Operational))},
			Maintenances: []Maintenance{running},
		}, UnderMaintenance},
		{"measured outage beats maintenance", Inputs{
			Measured:     map[string]ComponentStatus{web: PartialOutage},
			Maintenances: []Maintenance{running},
		}, PartialOutage},
		{"manual wins over everything", Inputs{
			Incidents:    []Incident{incident(Investigating, false, affects(web, MajorOutage))},
			Maintenances: []Maintenance{running},
			Measured:     map[string]ComponentStatus{web: PartialOutage},
			Manual:       map[string]ComponentStatus{web: Operational},
		}, Operational},
		{"manual maintenance without a window", Inputs{Manual: map[string]ComponentStatus{web: UnderMaintenance}}, UnderMaintenance},
		{"invalid manual status ignored", Inputs{
			Measured: map[string]ComponentStatus{web: DegradedPerformance},
			Manual:   map[string]ComponentStatus{web: "on_fire"},
		}, DegradedPerformance},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.in.At.IsZero() {
				tt.in.At = at
			}
			if got := DeriveComponent(web, tt.in); got != tt.want {
				t.Errorf("DeriveComponent = %s, want %s", got, tt.want)
			}
		})
	}
	t.Run("DeriveAll", func(t *testing.T) {
		in := Inputs{Incidents: []Incident{incident(Investigating, false, affects(web, MajorOutage))}, Maintenances: []Maintenance{win(InProgress, "mom/web")}, At: at}
		got := DeriveAll([]string{web, "mom/web", "zapp/web"}, in)
		want := map[string]ComponentStatus{web: MajorOutage, "mom/web": UnderMaintenance, "zapp/web": Operational}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("DeriveAll = %v, want %v", got, want)
		}
	})
}

func TestDeriveOverall(t *testing.T) {
	tests := []struct {
		name  string
		comps map[string]ComponentStatus
		open  []Incident
		want  Overall
	}{
		{"no components", nil, nil, Overall{IndicatorNone, "All Systems Operational"}},
		{"all operational", map[string]ComponentStatus{"a": Operational, "b": Operational}, nil,
			Overall{IndicatorNone, "All Systems Operational"}},
		{"degraded", map[string]ComponentStatus{"a": Operational, "b": DegradedPerformance}, nil,
			Overall{IndicatorMinor, "Partially Degraded Service"}},
		{"partial outage", map[string]ComponentStatus{"a": PartialOutage, "b": DegradedPerformance}, nil,
			Overall{IndicatorMajor, "Partial System Outage"}},
		{"major outage", map[string]ComponentStatus{"a": MajorOutage, "b": PartialOutage}, nil,
			Overall{IndicatorCritical, "Major Service Outage"}},
		{"maintenance", map[string]ComponentStatus{"a": Operational, "b": UnderMaintenance}, nil,
			Overall{IndicatorMaintenance, "Service Under Maintenance"}},
		{"degraded beats maintenance", map[string]ComponentStatus{"a": DegradedPerformance, "b": UnderMaintenance}, nil,
			Overall{IndicatorMinor, "Partially Degraded Service"}},
		{"open incident impact raises the indicator", map[string]ComponentStatus{"a": DegradedPerformance},
			[]Incident{{Status: Investigating, Impact: ImpactCritical}},
			Overall{IndicatorCritical, "Major Service Outage"}},
		{"impact raises above maintenance", map[string]ComponentStatus{"a": UnderMaintenance},
			[]Incident{{Status: Identified, Impact: ImpactMinor}},
			Overall{IndicatorMinor, "Partially Degraded Service"}},
		{"impact none leaves it", map[string]ComponentStatus{"a": Operational},
			[]Incident{{Status: Investigating, Impact: ImpactNone}},
			Overall{IndicatorNone, "All Systems Operational"}},
		{"impact lower than components", map[string]ComponentStatus{"a": MajorOutage},
			[]Incident{{Status: Investigating, Impact: ImpactMinor}},
			Overall{IndicatorCritical, "Major Service Outage"}},
		{"draft incident impact ignored", map[string]ComponentStatus{"a": Operational},
			[]Incident{{Status: Investigating, Impact: ImpactCritical, Draft: true}},
			Overall{IndicatorNone, "All Systems Operational"}},
		{"resolved incident impact ignored", map[string]ComponentStatus{"a": Operational},
			[]Incident{{Status: Resolved, Impact: ImpactMajor}},
			Overall{IndicatorNone, "All Systems Operational"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DeriveOverall(tt.comps, tt.open); got != tt.want {
				t.Errorf("DeriveOverall = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestIncidentClone(t *testing.T) {
	orig := &Incident{
		ID: 7, Title: "Web sites down", Status: Identified, StartedAt: t0,
		Components: []AffectedComponent{affects("flexo/web", MajorOutage)},
		Updates: []IncidentUpdate{{ID: 1, Status: Identified, Body: "found it",
			Changes: []ComponentChange{{ComponentID: "flexo/web", Old: Operational, New: MajorOutage}}}},
		Links: []int64{3},
	}
	want := &Incident{
		ID: 7, Title: "Web sites down", Status: Identified, StartedAt: t0,
		Components: []AffectedComponent{affects("flexo/web", MajorOutage)},
		Updates: []IncidentUpdate{{ID: 1, Status: Identified, Body: "found it",
			Changes: []ComponentChange{{ComponentID: "flexo/web", Old: Operational, New: MajorOutage}}}},
		Links: []int64{3},
	}
	c := orig.Clone()
	if !reflect.DeepEqual(c, orig) {
		t.Fatalf("Clone = %+v, want %+v", c, orig)
	}
	c.Title = "changed"
	c.Components[0].Status = Operational
	c.Components = append(c.Components, affects("mom/web", PartialOutage))
	c.Updates[0].Body = "changed"
	c.Updates[0].Changes[0].New = DegradedPerformance
	c.Updates = append(c.Updates, IncidentUpdate{ID: 2})
	c.Links[0] = 99
	c.Links = append(c.Links, 4)
	if !reflect.DeepEqual(orig, want) {
		t.Errorf("changing the clone changed the original:\n got %+v\nwant %+v", orig, want)
	}

	empty := (&Incident{}).Clone()
	if len(empty.Updates) != 0 || len(empty.Components) != 0 || len(empty.Links) != 0 {
		t.Errorf("Clone of an empty incident = %+v", empty)
	}
}

func TestMaintenanceClone(t *testing.T) {
	orig := &Maintenance{ID: 3, Title: "Upgrade", Status: Scheduled, ScheduledFor: t0, ScheduledUntil: t0.Add(time.Hour),
		Components: []string{"flexo/web", "mom/web"}, Updates: []MaintenanceUpdate{{ID: 1, Status: Scheduled, Body: "planned"}}}
	want := &Maintenance{ID: 3, Title: "Upgrade", Status: Scheduled, ScheduledFor: t0, ScheduledUntil: t0.Add(time.Hour),
		Components: []string{"flexo/web", "mom/web"}, Updates: []MaintenanceUpdate{{ID: 1, Status: Scheduled, Body: "planned"}}}
	c := orig.Clone()
	if !reflect.DeepEqual(c, orig) {
		t.Fatalf("Clone = %+v, want %+v", c, orig)
	}
	c.Status = InProgress
	c.Components[0] = "zapp/web"
	c.Components = append(c.Components, "elzar/web")
	c.Updates[0].Body = "changed"
	c.Updates = append(c.Updates, MaintenanceUpdate{ID: 2})
	if !reflect.DeepEqual(orig, want) {
		t.Errorf("changing the clone changed the original:\n got %+v\nwant %+v", orig, want)
	}
}

func TestLabels(t *testing.T) {
	tests := []struct{ name, got, want string }{
		{"incident status", Investigating.Label(), "Investigating"},
		{"empty incident status", IncidentStatus("").Label(), ""},
		{"maintenance status", InProgress.Label(), "In progress"},
		{"component status", MajorOutage.Label(), "Major outage"},
		{"maintenance component status", UnderMaintenance.Label(), "Under maintenance"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("Label = %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestKinds(t *testing.T) {
	for s, want := range map[ComponentStatus]string{Operational: "ok", DegradedPerformance: "minor", PartialOutage: "major",
		MajorOutage: "critical", UnderMaintenance: "maint"} {
		if got := s.Kind(); got != want {
			t.Errorf("%s.Kind() = %q, want %q", s, got, want)
		}
	}
	for i, want := range map[Indicator]string{IndicatorNone: "ok", IndicatorMinor: "minor", IndicatorMajor: "major",
		IndicatorCritical: "critical", IndicatorMaintenance: "maint"} {
		if got := i.Kind(); got != want {
			t.Errorf("%s.Kind() = %q, want %q", i, got, want)
		}
	}
	for i, want := range map[Impact]string{ImpactNone: "none", ImpactMinor: "minor", ImpactMajor: "major", ImpactCritical: "critical"} {
		if got := i.Kind(); got != want {
			t.Errorf("%s.Kind() = %q, want %q", i, got, want)
		}
	}
	for s, want := range map[IncidentStatus]string{Investigating: "major", Identified: "major", Monitoring: "minor", Resolved: "ok"} {
		if got := s.Kind(); got != want {
			t.Errorf("%s.Kind() = %q, want %q", s, got, want)
		}
	}
	for s, want := range map[MaintenanceStatus]string{Scheduled: "maint", InProgress: "maint", Completed: "ok", Cancelled: "none"} {
		if got := s.Kind(); got != want {
			t.Errorf("%s.Kind() = %q, want %q", s, got, want)
		}
	}
	for s, want := range map[MonitorState]string{MonitorUp: "ok", MonitorDegraded: "minor", MonitorDown: "critical", MonitorUnknown: "none"} {
		if got := s.Kind(); got != want {
			t.Errorf("%s.Kind() = %q, want %q", s, got, want)
		}
	}
	for _, tt := range []struct {
		sev   MonitorState
		maint bool
		want  string
	}{{MonitorDown, false, "critical"}, {MonitorDegraded, false, "minor"}, {MonitorDown, true, "maint"}, {MonitorDegraded, true, "maint"}} {
		if got := OutageKind(tt.sev, tt.maint); got != tt.want {
			t.Errorf("OutageKind(%s, %v) = %q, want %q", tt.sev, tt.maint, got, tt.want)
		}
	}
}

// Every kind has its own colour, on light and dark, and the stylesheets'
// palette names each.
func TestKindColours(t *testing.T) {
	seen := map[string]string{}
	css := PaletteCSS()
	for _, k := range Kinds {
		c := KindColour(k)
		for _, hex := range []string{c.Light, c.Dark} {
			if other, dup := seen[hex]; dup {
				t.Errorf("%s and %s share the colour %s", k, other, hex)
			}
			seen[hex] = k
			if !strings.Contains(css, "--"+k+": "+hex+";") {
				t.Errorf("the palette lacks --%s: %s", k, hex)
			}
		}
		if !strings.Contains(css, ".k-"+k+" { --k: var(--"+k+"); }") {
			t.Errorf("the palette lacks the class k-%s", k)
		}
	}
	if got := KindColour(KindCritical).RGB(); got != 0xcf222e {
		t.Errorf("critical RGB = %#x, want 0xcf222e", got)
	}
	if KindColour("nosuch") != KindColour(KindNone) {
		t.Error("an unknown kind is not painted as none")
	}
}

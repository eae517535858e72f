package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

// Statuspage's objects as its API returns them (the public v2 API or the
// manage API v1): only the fields Herald keeps are read, the rest ignored.

type spComponent struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	GroupID    string   `json:"group_id"`
	Group      bool     `json:"group"`
	Components []string `json:"components"`
}

type spAffected struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	OldStatus string `json:"old_status"`
	NewStatus string `json:"new_status"`
}

type spUpdate struct {
	ID                 string       `json:"id"`
	Status             string       `json:"status"`
	Body               string       `json:"body"`
	CreatedAt          string       `json:"created_at"`
	DisplayAt          string       `json:"display_at"`
	AffectedComponents []spAffected `json:"affected_components"`
}

type spIncident struct {
	ID                    string        `json:"id"`
	Name                  string        `json:"name"`
	Status                string        `json:"status"`
	Impact                string        `json:"impact"`
	CreatedAt             string        `json:"created_at"`
	UpdatedAt             string        `json:"updated_at"`
	StartedAt             string        `json:"started_at"`
	MonitoringAt          string        `json:"monitoring_at"`
	ResolvedAt            string        `json:"resolved_at"`
	ScheduledFor          string        `json:"scheduled_for"`
	ScheduledUntil        string        `json:"scheduled_until"`
	Updates               []spUpdate    `json:"incident_updates"`
	Components            []spComponent `json:"components"`
	PostmortemBody        string        `json:"postmortem_body"`
	PostmortemPublishedAt string        `json:"postmortem_published_at"`
}

type spSubscriber struct {
	ID            string          `json:"id"`
	Mode          string          `json:"mode"`
	Email         string          `json:"email"`
	Endpoint      string          `json:"endpoint"`
	QuarantinedAt string          `json:"quarantined_at"`
	CreatedAt     string          `json:"created_at"`
	Components    json.RawMessage `json:"components"`
}

// spFiles names the files an import reads from the folder, as one saves
// them from the API (a bare list, or the object with the list under key).
var spFiles = struct{ components, incidents, maintenances, subscribers, unconfirmed, unsubscribed spFile }{
	components:   spFile{[]string{"components.json"}, "components"},
	incidents:    spFile{[]string{"incidents.json"}, "incidents"},
	maintenances: spFile{[]string{"scheduled-maintenances.json", "scheduled_maintenances.json"}, "scheduled_maintenances"},
	subscribers:  spFile{[]string{"subscribers.json"}, "subscribers"},
	unconfirmed:  spFile{[]string{"subscribers-unconfirmed.json"}, "subscribers"},
	unsubscribed: spFile{[]string{"subscribers-unsubscribed.json"}, "subscribers"},
}

type spFile struct {
	names []string
	key   string
}

// load reads the first of the file's names present in dir into dst; a
// missing file is no error (found false).
func (f spFile) load(dir string, dst any) (found bool, err error) {
	for _, name := range f.names {
		path := filepath.Join(dir, name)
		b, err := readFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return false, err
		}
		b = bytes.TrimSpace(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))) // a byte order mark, as some tools save
		if len(b) > 0 && b[0] == '{' {
			var wrapped map[string]json.RawMessage
			if err := json.Unmarshal(b, &wrapped); err != nil {
				return false, fmt.Errorf("%s: %w", path, err)
			}
			list, ok := wrapped[f.key]
			if !ok {
				return false, fmt.Errorf("%s: no %q list in it", path, f.key)
			}
			b = list
		}
		if err := json.Unmarshal(b, dst); err != nil {
			return false, fmt.Errorf("%s: %w", path, err)
		}
		return true, nil
	}
	return false, nil
}

// Statuspage imports a folder of Statuspage API JSON: components.json,
// incidents.json, scheduled-maintenances.json, subscribers.json (and
// subscribers-unconfirmed.json, subscribers-unsubscribed.json), each
// optional.
func Statuspage(ctx context.Context, st *store.Store, dir string, o Options) (*Report, error) {
	if info, err := os.Stat(dir); err != nil {
		return nil, err
	} else if !info.IsDir() {
		return nil, fmt.Errorf("%s is not a folder (give the folder holding components.json, incidents.json, ...)", dir)
	}
	if o.Actor == "" {
		o.Actor = "import:statuspage"
	}
	var (
		comps                           []spComponent
		incidents, maintenances         []spIncident
		subs, unconfirmed, unsubscribed []spSubscriber
		anyFound                        bool
	)
	for _, l := range []struct {
		f   spFile
		dst any
	}{{spFiles.components, &comps}, {spFiles.incidents, &incidents}, {spFiles.maintenances, &maintenances},
		{spFiles.subscribers, &subs}, {spFiles.unconfirmed, &unconfirmed}, {spFiles.unsubscribed, &unsubscribed}} {
		found, err := l.f.load(dir, l.dst)
		if err != nil {
			return nil, err
		}
		anyFound = anyFound || found
	}
	if !anyFound {
		return nil, fmt.Errorf("%s holds none of components.json, incidents.json, scheduled-maintenances.json, subscribers.json", dir)
	}
	// The manage API lists maintenances among the incidents.
	var only []spIncident
	for _, in := range incidents {
		if in.ScheduledFor != "" {
			maintenances = append(maintenances, in)
		} else {
			only = append(only, in)
		}
	}
	rep := &Report{Source: "Statuspage (" + dir + ")", DryRun: o.DryRun}
	err := run(ctx, st, o, func(q *store.Queries) error {
		cat, err := loadCatalog(ctx, q)
		if err != nil {
			return err
		}
		m := &spMapper{q: q, o: o, rep: rep, cat: cat, ids: map[string]string{}, names: map[string]string{}}
		m.components(comps, only, maintenances)
		if err := m.incidents(ctx, only); err != nil {
			return err
		}
		if err := m.maintenances(ctx, maintenances); err != nil {
			return err
		}
		for _, s := range []struct {
			list  []spSubscriber
			state string
		}{{subs, "active"}, {unconfirmed, "unconfirmed"}, {unsubscribed, "unsubscribed"}} {
			if err := m.subscribers(ctx, s.list, s.state); err != nil {
				return err
			}
		}
		rep.Config = m.suggest.yaml()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

type spMapper struct {
	q       *store.Queries
	o       Options
	rep     *Report
	cat     *catalog
	ids     map[string]string // Statuspage component id -> Herald component id
	names   map[string]string // Statuspage component id -> its name, for the report
	suggest suggestion
}

// components maps Statuspage's components onto the configured ones, by
// name within a group of the same name. Components met only inside
// incidents (when components.json was not given) are mapped too.
func (m *spMapper) components(list []spComponent, incidents, maintenances []spIncident) {
	seen := map[string]bool{}
	all := append([]spComponent(nil), list...)
	for _, in := range append(append([]spIncident(nil), incidents...), maintenances...) {
		all = append(all, in.Components...)
	}
	groups := map[string]string{}
	for _, c := range all {
		if c.Group {
			groups[c.ID] = c.Name
		}
	}
	for _, c := range all {
		if c.Group || seen[c.ID] || c.ID == "" {
			continue
		}
		seen[c.ID] = true
		group := groups[c.GroupID]
		m.names[c.ID] = c.Name
		what := "component " + quote(c.Name)
		if group != "" {
			what = "component " + quote(group+" / "+c.Name)
		}
		id, why := m.cat.find(group, c.Name)
		if id == "" {
			m.rep.unmapped(what, "%s; its incidents are imported without it", why)
			m.suggest.add(group, c.Name, nil)
			continue
		}
		m.ids[c.ID] = id
		m.rep.count("components mapped").Imported++
	}
}

// incidentStatus maps Statuspage's incident status; "postmortem" is a resolved incident.
func incidentStatus(s string) (status.IncidentStatus, bool) {
	if s == "postmortem" {
		return status.Resolved, true
	}
	st := status.IncidentStatus(s)
	return st, st.Valid()
}

func (m *spMapper) incidents(ctx context.Context, list []spIncident) error {
	sort.SliceStable(list, func(i, j int) bool { return startOf(list[i]) < startOf(list[j]) })
	c := m.rep.count("incidents")
	for n, sp := range list {
		in, err := m.incident(sp)
		if err != nil {
			m.rep.unmapped("incident "+quote(sp.Name), "%v; not imported", err)
			continue
		}
		have, err := m.q.HasIncident(ctx, in.Title, in.StartedAt)
		if err != nil {
			return err
		}
		if have {
			c.Already++
			continue
		}
		if err := m.q.InsertIncident(ctx, in); err != nil {
			return err
		}
		for i := range in.Updates {
			u := &in.Updates[i]
			u.IncidentID = in.ID
			if err := m.q.InsertIncidentUpdate(ctx, u); err != nil {
				return err
			}
			m.rep.count("incident updates").Imported++
		}
		if in.Postmortem != "" {
			m.rep.count("postmortems").Imported++
		}
		if err := logImport(ctx, m.q, m.o, in.UpdatedAt, "incident.import", "incident:"+strconv.FormatInt(in.ID, 10), "statuspage incident "+sp.ID); err != nil {
			return err
		}
		c.Imported++
		m.progress("incidents", n+1)
	}
	return nil
}

func startOf(in spIncident) string {
	for _, s := range []string{in.StartedAt, in.ScheduledFor, in.CreatedAt} {
		if s != "" {
			if t, err := parseTime(s); err == nil {
				return t.Format("2006-01-02T15:04:05.000Z")
			}
		}
	}
	return ""
}

func (m *spMapper) progress(what string, n int) {
	if m.o.Progress != nil {
		m.o.Progress(what, n)
	}
}

// incident turns a Statuspage incident into Herald's, updates oldest first.
func (m *spMapper) incident(sp spIncident) (*status.Incident, error) {
	st, ok := incidentStatus(sp.Status)
	if !ok {
		return nil, fmt.Errorf("status %q is not an incident's", sp.Status)
	}
	impact := status.Impact(sp.Impact)
	if !impact.Valid() {
		return nil, fmt.Errorf("impact %q is not one Herald knows", sp.Impact)
	}
	if sp.Name == "" {
		return nil, errors.New("it has no name")
	}
	in := &status.Incident{Title: sp.Name, Impact: impact, Status: st}
	var err error
	for _, t := range []struct {
		dst *time.Time
		s   string
	}{{&in.CreatedAt, sp.CreatedAt}, {&in.UpdatedAt, sp.UpdatedAt}, {&in.StartedAt, sp.StartedAt},
		{&in.MonitoringAt, sp.MonitoringAt}, {&in.ResolvedAt, sp.ResolvedAt}, {&in.PostmortemPublishedAt, sp.PostmortemPublishedAt}} {
		if *t.dst, err = parseTime(t.s); err != nil {
			return nil, err
		}
	}
	if in.CreatedAt.IsZero() {
		return nil, errors.New("it has no created_at")
	}
	if in.StartedAt.IsZero() {
		in.StartedAt = in.CreatedAt
	}
	if in.UpdatedAt.IsZero() {
		in.UpdatedAt = in.CreatedAt
	}
	in.PublishedAt = in.CreatedAt
	if st == status.Resolved && in.ResolvedAt.IsZero() {
		in.ResolvedAt = in.UpdatedAt
	}
	in.Postmortem = sp.PostmortemBody
	if in.Postmortem != "" && in.PostmortemPublishedAt.IsZero() {
		in.PostmortemPublishedAt = in.UpdatedAt
	}
	worst := map[string]status.ComponentStatus{}
	updates, err := m.updates(sp, worst)
	if err != nil {
		return nil, err
	}
	in.Updates = updates
	for _, u := range updates {
		if u.Status == status.Identified && in.IdentifiedAt.IsZero() {
			in.IdentifiedAt = u.DisplayAt
		}
	}
	for _, c := range sp.Components {
		if id, ok := m.ids[c.ID]; ok {
			if _, ok := worst[id]; !ok {
				worst[id] = impactStatus(impact)
			}
		}
	}
	for id, s := range worst {
		in.Components = append(in.Components, status.AffectedComponent{ComponentID: id, Status: s})
	}
	sort.Slice(in.Components, func(i, j int) bool { return in.Components[i].ComponentID < in.Components[j].ComponentID })
	return in, nil
}

// impactStatus is the status an affected component takes when the
// incident names it without saying how it was affected.
func impactStatus(i status.Impact) status.ComponentStatus {
	switch i {
	case status.ImpactCritical:
		return status.MajorOutage
	case status.ImpactMajor:
		return status.PartialOutage
	}
	return status.DegradedPerformance
}

// updates turns an incident's updates, oldest first, noting in worst each
// mapped component's worst status during it.
func (m *spMapper) updates(sp spIncident, worst map[string]status.ComponentStatus) ([]status.IncidentUpdate, error) {
	var out []status.IncidentUpdate
	for _, u := range sp.Updates {
		st, ok := incidentStatus(u.Status)
		if !ok {
			m.rep.unmapped("an update of incident "+quote(sp.Name), "status %q is not an incident's; left out", u.Status)
			continue
		}
		created, err := parseTime(u.CreatedAt)
		if err != nil {
			return nil, err
		}
		display, err := parseTime(u.DisplayAt)
		if err != nil {
			return nil, err
		}
		if display.IsZero() {
			display = created
		}
		if created.IsZero() {
			created = display
		}
		if created.IsZero() {
			return nil, errors.New("an update has no created_at")
		}
		nu := status.IncidentUpdate{Status: st, Body: u.Body, CreatedAt: created, DisplayAt: display}
		for _, a := range u.AffectedComponents {
			id, ok := m.ids[a.Code]
			if !ok {
				continue // reported once, with the component
			}
			old, nw := status.ComponentStatus(a.OldStatus), status.ComponentStatus(a.NewStatus)
			if !old.Valid() || !nw.Valid() {
				continue
			}
			nu.Changes = append(nu.Changes, status.ComponentChange{ComponentID: id, Old: old, New: nw})
			if nw != status.Operational && (worst[id] == "" || nw.Worse(worst[id])) {
				worst[id] = nw
			}
		}
		out = append(out, nu)
	}
	// Statuspage lists updates newest first; Herald stores them in the order they were written.
	sort.SliceStable(out, func(i, j int) bool { return out[i].DisplayAt.Before(out[j].DisplayAt) })
	return out, nil
}

// maintenanceStatus maps a window's status; Statuspage's "verifying" is still in progress.
func maintenanceStatus(s string) (status.MaintenanceStatus, bool) {
	if s == "verifying" {
		return status.InProgress, true
	}
	st := status.MaintenanceStatus(s)
	return st, st.Valid()
}

func (m *spMapper) maintenances(ctx context.Context, list []spIncident) error {
	sort.SliceStable(list, func(i, j int) bool { return startOf(list[i]) < startOf(list[j]) })
	c := m.rep.count("maintenances")
	for n, sp := range list {
		mt, err := m.maintenance(sp)
		if err != nil {
			m.rep.unmapped("maintenance "+quote(sp.Name), "%v; not imported", err)
			continue
		}
		have, err := m.q.HasMaintenance(ctx, mt.Title, mt.ScheduledFor)
		if err != nil {
			return err
		}
		if have {
			c.Already++
			continue
		}
		if err := m.q.InsertMaintenance(ctx, mt); err != nil {
			return err
		}
		for i := range mt.Updates {
			u := &mt.Updates[i]
			u.MaintenanceID = mt.ID
			if err := m.q.InsertMaintenanceUpdate(ctx, u); err != nil {
				return err
			}
			m.rep.count("maintenance updates").Imported++
		}
		if err := logImport(ctx, m.q, m.o, mt.UpdatedAt, "maintenance.import", "maintenance:"+strconv.FormatInt(mt.ID, 10), "statuspage maintenance "+sp.ID); err != nil {
			return err
		}
		c.Imported++
		m.progress("maintenances", n+1)
	}
	return nil
}

// maintenance turns a scheduled maintenance into a window: its first
// update is the announcement, the others its updates.
func (m *spMapper) maintenance(sp spIncident) (*status.Maintenance, error) {
	st, ok := maintenanceStatus(sp.Status)
	if !ok {
		return nil, fmt.Errorf("status %q is not a maintenance's", sp.Status)
	}
	if sp.Name == "" {
		return nil, errors.New("it has no name")
	}
	mt := &status.Maintenance{Title: sp.Name, Status: st}
	var err error
	for _, t := range []struct {
		dst *time.Time
		s   string
	}{{&mt.ScheduledFor, sp.ScheduledFor}, {&mt.ScheduledUntil, sp.ScheduledUntil}, {&mt.CreatedAt, sp.CreatedAt},
		{&mt.UpdatedAt, sp.UpdatedAt}, {&mt.StartedAt, sp.StartedAt}, {&mt.CompletedAt, sp.ResolvedAt}} {
		if *t.dst, err = parseTime(t.s); err != nil {
			return nil, err
		}
	}
	if mt.ScheduledFor.IsZero() || mt.ScheduledUntil.IsZero() || !mt.ScheduledUntil.After(mt.ScheduledFor) {
		return nil, errors.New("it has no window (scheduled_for before scheduled_until)")
	}
	if mt.CreatedAt.IsZero() {
		mt.CreatedAt = mt.ScheduledFor
	}
	if mt.UpdatedAt.IsZero() {
		mt.UpdatedAt = mt.CreatedAt
	}
	if st == status.Scheduled {
		mt.StartedAt = time.Time{}
	} else if mt.StartedAt.IsZero() {
		mt.StartedAt = mt.ScheduledFor
	}
	if st == status.Completed && mt.CompletedAt.IsZero() {
		mt.CompletedAt = mt.UpdatedAt
	}
	if st != status.Completed {
		mt.CompletedAt = time.Time{}
	}
	updates := append([]spUpdate(nil), sp.Updates...)
	sort.SliceStable(updates, func(i, j int) bool {
		a, _ := parseTime(firstOf(updates[i].DisplayAt, updates[i].CreatedAt))
		b, _ := parseTime(firstOf(updates[j].DisplayAt, updates[j].CreatedAt))
		return a.Before(b)
	})
	for i, u := range updates {
		at, err := parseTime(firstOf(u.DisplayAt, u.CreatedAt))
		if err != nil {
			return nil, err
		}
		if i == 0 {
			mt.Body = u.Body
			continue
		}
		ust, ok := maintenanceStatus(u.Status)
		if !ok {
			m.rep.unmapped("an update of maintenance "+quote(sp.Name), "status %q is not a maintenance's; left out", u.Status)
			continue
		}
		created, err := parseTime(firstOf(u.CreatedAt, u.DisplayAt))
		if err != nil {
			return nil, err
		}
		mt.Updates = append(mt.Updates, status.MaintenanceUpdate{Status: ust, Body: u.Body, CreatedAt: created, DisplayAt: at})
	}
	for _, c := range sp.Components {
		if id, ok := m.ids[c.ID]; ok {
			mt.Components = append(mt.Components, id)
		}
	}
	sort.Strings(mt.Components)
	return mt, nil
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// subscribers imports e-mail and webhook subscribers in the state given:
// "active" ones confirmed, "unconfirmed" ones waiting (no confirmation is
// sent: they would subscribe again), "unsubscribed" ones as such.
func (m *spMapper) subscribers(ctx context.Context, list []spSubscriber, state string) error {
	c := m.rep.count("subscribers")
	for n, s := range list {
		sub, why := m.subscriber(s, state)
		if sub == nil {
			m.rep.unmapped("subscriber "+s.ID, "%s", why)
			continue
		}
		_, err := m.q.SubscriberByAddress(ctx, sub.Kind, sub.Address)
		switch {
		case err == nil:
			c.Already++
			continue
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		if err := m.q.InsertSubscriber(ctx, sub); err != nil {
			return err
		}
		c.Imported++
		m.progress("subscribers", n+1)
	}
	return nil
}

func (m *spMapper) subscriber(s spSubscriber, state string) (*store.Subscriber, string) {
	sub := &store.Subscriber{}
	switch s.Mode {
	case "email", "":
		sub.Kind, sub.Address = store.SubEmail, s.Email
	case "webhook":
		sub.Kind, sub.Address = store.SubWebhook, s.Endpoint
	default:
		return nil, fmt.Sprintf("mode %q (Herald subscribes e-mail addresses and webhooks)", s.Mode)
	}
	if sub.Address == "" {
		return nil, "no address"
	}
	created, err := parseTime(s.CreatedAt)
	if err != nil {
		return nil, err.Error()
	}
	if created.IsZero() {
		return nil, "no created_at"
	}
	sub.CreatedAt = created
	if s.QuarantinedAt != "" {
		state = "quarantined"
	}
	switch state {
	case "active":
		sub.ConfirmedAt = created
	case "unconfirmed":
		sub.ConfirmSentAt = created // asked once, there; Herald sends nothing on import
	default: // unsubscribed, quarantined: kept, so that they are not added again
		sub.ConfirmedAt, sub.UnsubscribedAt = created, created
	}
	ids, err := componentIDs(s.Components)
	if err != nil {
		return nil, err.Error()
	}
	if len(ids) == 0 {
		sub.All = true
		return sub, ""
	}
	for _, id := range ids {
		if hid, ok := m.ids[id]; ok {
			sub.Components = append(sub.Components, hid)
		}
	}
	if len(sub.Components) == 0 {
		return nil, "none of the components it follows is mapped"
	}
	if len(sub.Components) < len(ids) {
		m.rep.unmapped("subscriber "+s.ID, "follows components that are not mapped; subscribed to the mapped ones")
	}
	sort.Strings(sub.Components)
	return sub, ""
}

// componentIDs reads a subscriber's components: ids, or component objects.
func componentIDs(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var ids []string
	if err := json.Unmarshal(raw, &ids); err == nil {
		return ids, nil
	}
	var objs []spComponent
	if err := json.Unmarshal(raw, &objs); err != nil {
		return nil, fmt.Errorf("components: want a list of ids or of components")
	}
	for _, o := range objs {
		ids = append(ids, o.ID)
	}
	return ids, nil
}

package statuspage

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

// stampLayout is how Statuspage writes times: ISO 8601 to the millisecond
// with the page zone's numeric offset, never "Z".
const stampLayout = "2006-01-02T15:04:05.000-07:00"

// stamp is a time in the page's zone, already written in stampLayout. It is
// written once where the object is made, not by a MarshalJSON per field: a
// fleet's documents carry tens of thousands of them, and each encoding of a
// Marshaler is a call through reflection and a check of what it returned.
type stamp string

// stampOf writes t, moved into loc, in stampLayout.
func stampOf(t time.Time, loc *time.Location) stamp {
	return stamp(t.In(loc).Format(stampLayout))
}

type pageJSON struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	URL       string `json:"url"`
	TimeZone  string `json:"time_zone"`
	UpdatedAt *stamp `json:"updated_at"`
}

type statusJSON struct {
	Indicator   string `json:"indicator"`
	Description string `json:"description"`
}

type componentJSON struct {
	ID                 string  `json:"id"`
	Name               string  `json:"name"`
	Status             string  `json:"status"`
	CreatedAt          *stamp  `json:"created_at"`
	UpdatedAt          *stamp  `json:"updated_at"`
	Position           int     `json:"position"`
	Description        *string `json:"description"`
	Showcase           bool    `json:"showcase"`
	StartDate          *string `json:"start_date"`
	GroupID            *string `json:"group_id"`
	PageID             string  `json:"page_id"`
	Group              bool    `json:"group"`
	OnlyShowIfDegraded bool    `json:"only_show_if_degraded"`
	// Components is set on groups only; Statuspage leaves the key out of
	// other components, so a pointer tells "no key" from "no children".
	Components *[]string `json:"components,omitempty"`
}

// incidentHead holds an incident's keys before its components, and
// incidentTail those after them: the components are the objects the
// component list already encoded (arena.spliced), not encoded again.
type incidentHead struct {
	ID              string       `json:"id"`
	Name            string       `json:"name"`
	Status          string       `json:"status"`
	CreatedAt       *stamp       `json:"created_at"`
	UpdatedAt       *stamp       `json:"updated_at"`
	MonitoringAt    *stamp       `json:"monitoring_at"`
	ResolvedAt      *stamp       `json:"resolved_at"`
	Impact          string       `json:"impact"`
	Shortlink       string       `json:"shortlink"`
	StartedAt       *stamp       `json:"started_at"`
	PageID          string       `json:"page_id"`
	IncidentUpdates []updateJSON `json:"incident_updates"`
}

type incidentTail struct {
	// The postmortem is null until it is published: a draft write-up must
	// not reach a public API.
	PostmortemBody        *string `json:"postmortem_body"`
	PostmortemPublishedAt *stamp  `json:"postmortem_published_at"`
}

// maintenanceTail is a window's keys after its components: an incident's,
// then when it is planned for.
type maintenanceTail struct {
	incidentTail
	ScheduledFor   *stamp `json:"scheduled_for"`
	ScheduledUntil *stamp `json:"scheduled_until"`
}

type updateJSON struct {
	ID                   string       `json:"id"`
	IncidentID           string       `json:"incident_id"`
	Status               string       `json:"status"`
	Body                 string       `json:"body"`
	CreatedAt            *stamp       `json:"created_at"`
	UpdatedAt            *stamp       `json:"updated_at"`
	DisplayAt            *stamp       `json:"display_at"`
	AffectedComponents   []changeJSON `json:"affected_components"` // null when none
	DeliverNotifications bool         `json:"deliver_notifications"`
}

type changeJSON struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	OldStatus string `json:"old_status"`
	NewStatus string `json:"new_status"`
}

// builder holds what every object needs: the zone, the page id and the
// component objects already encoded, so incidents repeat them exactly.
type builder struct {
	in     Input
	loc    *time.Location
	pageID string
	base   string // the page URL without a trailing slash, for shortlinks
	a      *arena
	page   object
	list   []object          // configured groups and components, encoded in page order
	byID   map[string]listed // the same, and removed components an incident names, by id
}

// listed is a component's encoded object and its name.
type listed struct {
	obj  object
	name string
}

func newBuilder(in Input) *builder {
	b := &builder{in: in, loc: in.Location, pageID: in.PageID, base: strings.TrimRight(in.Page.URL, "/")}
	// The arena holds each component (a fleet's are about 330 bytes) and
	// each incident's and window's keys other than their components: sized
	// for them, it is not grown (and copied) while the documents are made.
	snap := in.Snapshot
	b.a = newArena(384*(len(snap.Groups)+len(snap.Components)) +
		2048*(len(in.Incidents)+len(in.Maintenances)+len(snap.Open)+len(snap.Active)+len(snap.Upcoming)) + 4096)
	if b.loc == nil {
		b.loc = time.UTC
	}
	if b.pageID == "" {
		b.pageID = PageID(in.Page)
	}
	updated := in.UpdatedAt
	if updated.IsZero() {
		updated = latest(in)
	}
	b.page = object{b.a.value(pageJSON{ID: b.pageID, Name: in.Page.Title, URL: in.Page.URL, TimeZone: b.loc.String(), UpdatedAt: b.at(updated)})}
	b.buildComponents()
	return b
}

// at is a time in the page's zone, or nil (JSON null) when unset.
func (b *builder) at(t time.Time) *stamp {
	if t.IsZero() {
		return nil
	}
	s := stampOf(t, b.loc)
	return &s
}

func (b *builder) date(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	d := t.In(b.loc).Format(time.DateOnly)
	return &d
}

func optional(s string) *string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return &s
}

func or[T comparable](v, fallback T) T {
	var zero T
	if v == zero {
		return fallback
	}
	return v
}

// status passes Herald's overall status through. Herald's "maintenance"
// indicator is kept: Statuspage pages themselves report it with "Service
// Under Maintenance", and a client that knows only the four trouble words
// still finds the description it shows.
func (b *builder) status() statusJSON {
	o := b.in.Snapshot.Overall
	if o.Indicator == "" {
		return statusJSON{Indicator: string(status.IndicatorNone), Description: "All Systems Operational"}
	}
	return statusJSON{Indicator: string(o.Indicator), Description: o.Description}
}

// buildComponents lays out the flat list Statuspage serves: each group,
// with the status of its worst child, followed by its children. Positions
// count from 1 down the whole list. A component whose group is not
// configured is listed last, at the top level.
func (b *builder) buildComponents() {
	snap := b.in.Snapshot
	b.byID = make(map[string]listed, len(snap.Groups)+len(snap.Components))
	b.list = make([]object, 0, len(snap.Groups)+len(snap.Components))
	configured := make(map[string]bool, len(snap.Groups))
	for _, g := range snap.Groups {
		configured[g.ID] = true
	}
	children := make(map[string][]service.ComponentState, len(snap.Groups))
	var orphans []service.ComponentState
	for _, c := range snap.Components {
		if configured[c.GroupID] {
			children[c.GroupID] = append(children[c.GroupID], c)
		} else {
			orphans = append(orphans, c)
		}
	}
	add := func(c componentJSON) {
		c.Position = len(b.list) + 1
		if len(b.list) > 0 {
			b.a.comma()
		}
		obj := object{b.a.value(c)}
		b.list = append(b.list, obj)
		b.byID[c.ID] = listed{obj: obj, name: c.Name}
	}
	for _, g := range snap.Groups {
		ids := make([]string, 0, len(children[g.ID]))
		for _, c := range children[g.ID] {
			ids = append(ids, c.ID)
		}
		add(componentJSON{ID: g.ID, PageID: b.pageID, Name: or(g.Name, g.ID), Description: optional(g.Description),
			Status: string(snap.GroupStatus(g.ID)), Showcase: true, StartDate: b.date(g.CreatedAt), Group: true,
			CreatedAt: b.at(g.CreatedAt), UpdatedAt: b.at(or(g.UpdatedAt, g.CreatedAt)), Components: &ids})
		for _, c := range children[g.ID] {
			add(b.component(c.Component, c.Status, g.ID))
		}
	}
	for _, c := range orphans {
		add(b.component(c.Component, c.Status, ""))
	}
}

func (b *builder) component(c store.Component, st status.ComponentStatus, groupID string) componentJSON {
	return componentJSON{ID: c.ID, PageID: b.pageID, Name: or(c.Name, c.ID), Description: optional(c.Description),
		Status: string(or(st, status.Operational)), Showcase: true, StartDate: b.date(c.CreatedAt), GroupID: optional(groupID),
		CreatedAt: b.at(c.CreatedAt), UpdatedAt: b.at(or(c.UpdatedAt, c.CreatedAt))}
}

// affected is the full object for a component an incident or window names:
// the listed one, with its current status, when it is still configured;
// otherwise one made from its stored record, operational, in no group and
// at position 0, since it is no longer on the page.
func (b *builder) affected(id string) listed {
	if c, ok := b.byID[id]; ok {
		return c
	}
	c, ok := b.in.Components[id]
	if !ok {
		c = store.Component{ID: id}
	}
	c.ID = id
	obj := b.component(c, status.Operational, "")
	l := listed{obj: object{b.a.value(obj)}, name: obj.Name}
	b.byID[id] = l
	return l
}

func (b *builder) componentName(id string) string { return b.affected(id).name }

// withComponents encodes an incident or a window: head's keys, the objects of
// the components ids name, then tail's keys.
func (b *builder) withComponents(head incidentHead, ids []string, tail any) object {
	comps := make([]object, 0, len(ids))
	for _, id := range ids {
		comps = append(comps, b.affected(id).obj)
	}
	return b.a.spliced(head, "components", comps, tail)
}

// incidents renders the published incidents of list, newest first; open
// keeps only the unresolved ones. The caller's slice is left in its order.
func (b *builder) incidents(list []status.Incident, open bool) []object {
	sel := make([]*status.Incident, 0, len(list))
	for i := range list {
		inc := &list[i]
		if inc.Draft || (open && !inc.Status.Open()) {
			continue
		}
		sel = append(sel, inc)
	}
	slices.SortStableFunc(sel, func(x, y *status.Incident) int {
		if c := startOf(y).Compare(startOf(x)); c != 0 {
			return c
		}
		if c := y.CreatedAt.Compare(x.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(y.ID, x.ID)
	})
	out := make([]object, 0, len(sel))
	for _, inc := range sel {
		out = append(out, b.incident(inc))
	}
	return out
}

func startOf(inc *status.Incident) time.Time { return or(inc.StartedAt, inc.CreatedAt) }

// incident renders one incident.
//
// A resolved incident with a published postmortem keeps the status
// "resolved" rather than Statuspage's "postmortem". Clients that know
// "postmortem" treat it as a kind of resolved, so they lose nothing; but
// simple aggregators and chat bots test status == "resolved" (or list the
// four lifecycle words) to decide an incident is over, and would show a
// postmortem incident as ongoing forever. The write-up itself is carried by
// postmortem_body and postmortem_published_at, which are what a client
// needs to show or link it.
func (b *builder) incident(inc *status.Incident) object {
	id := status.PublicIncidentID(inc.ID)
	out := incidentHead{
		ID: id, PageID: b.pageID, Name: inc.Title, Status: string(inc.Status), Impact: string(impactOf(inc.Impact)),
		CreatedAt: b.at(inc.CreatedAt), UpdatedAt: b.at(or(inc.UpdatedAt, inc.CreatedAt)), StartedAt: b.at(startOf(inc)),
		MonitoringAt: b.at(inc.MonitoringAt), Shortlink: b.base + "/incidents/" + id,
	}
	if inc.Status == status.Resolved {
		out.ResolvedAt = b.at(inc.ResolvedAt)
	}
	var tail incidentTail
	if !inc.PostmortemPublishedAt.IsZero() && strings.TrimSpace(inc.Postmortem) != "" {
		body := inc.Postmortem
		tail.PostmortemBody, tail.PostmortemPublishedAt = &body, b.at(inc.PostmortemPublishedAt)
	}
	ids := make([]string, 0, len(inc.Components))
	for _, c := range inc.Components {
		ids = append(ids, c.ComponentID)
	}

	ups := slices.Clone(inc.Updates)
	slices.SortStableFunc(ups, func(x, y status.IncidentUpdate) int {
		return newer(or(x.DisplayAt, x.CreatedAt), x.CreatedAt, x.ID, or(y.DisplayAt, y.CreatedAt), y.CreatedAt, y.ID)
	})
	out.IncidentUpdates = make([]updateJSON, 0, len(ups))
	for _, u := range ups {
		out.IncidentUpdates = append(out.IncidentUpdates, updateJSON{
			ID: status.PublicIncidentID(u.ID), IncidentID: id, Status: string(u.Status), Body: u.Body,
			CreatedAt: b.at(u.CreatedAt), UpdatedAt: b.at(u.CreatedAt), DisplayAt: b.at(or(u.DisplayAt, u.CreatedAt)),
			AffectedComponents: b.changes(u.Changes), DeliverNotifications: true,
		})
	}
	return b.withComponents(out, ids, tail)
}

// newer orders updates newest first: by display time, then creation, then id.
func newer(xAt, xCreated time.Time, xID int64, yAt, yCreated time.Time, yID int64) int {
	if c := yAt.Compare(xAt); c != 0 {
		return c
	}
	if c := yCreated.Compare(xCreated); c != 0 {
		return c
	}
	return cmp.Compare(yID, xID)
}

func (b *builder) changes(list []status.ComponentChange) []changeJSON {
	if len(list) == 0 {
		return nil
	}
	out := make([]changeJSON, 0, len(list))
	for _, c := range list {
		out = append(out, changeJSON{Code: c.ComponentID, Name: b.componentName(c.ComponentID),
			OldStatus: string(c.Old), NewStatus: string(c.New)})
	}
	return out
}

func impactOf(i status.Impact) status.Impact {
	if i.Valid() {
		return i
	}
	return status.ImpactNone
}

func onlyStatus(s status.MaintenanceStatus) func(*status.Maintenance) bool {
	return func(m *status.Maintenance) bool { return m.Status == s }
}

func newestFirst(x, y *status.Maintenance) int {
	if c := y.ScheduledFor.Compare(x.ScheduledFor); c != 0 {
		return c
	}
	return cmp.Compare(y.ID, x.ID)
}

func soonestFirst(x, y *status.Maintenance) int { return newestFirst(y, x) }

// maintenances renders the windows of list that keep accepts (all when nil),
// in the order given. The caller's slice is left in its order.
func (b *builder) maintenances(list []status.Maintenance, keep func(*status.Maintenance) bool, order func(x, y *status.Maintenance) int) []object {
	sel := make([]*status.Maintenance, 0, len(list))
	for i := range list {
		if keep == nil || keep(&list[i]) {
			sel = append(sel, &list[i])
		}
	}
	slices.SortStableFunc(sel, order)
	out := make([]object, 0, len(sel))
	for _, m := range sel {
		out = append(out, b.maintenance(m))
	}
	return out
}

// maintenanceID names a window as status.PublicMaintenanceID says.
func maintenanceID(id int64) string { return status.PublicMaintenanceID(id) }

// maintenanceStatus maps Herald's window status to Statuspage's words.
// Statuspage has no "cancelled" maintenance: a window called off is closed
// as "completed" (its last update says it was cancelled), and Build lists it
// only in scheduled-maintenances.json, never as upcoming or active.
func maintenanceStatus(s status.MaintenanceStatus) string {
	if s == status.Cancelled {
		return string(status.Completed)
	}
	return string(s)
}

// maintenance renders one window. Until it starts, started_at is its planned
// start; monitoring_at is always null; resolved_at is when it ended.
func (b *builder) maintenance(m *status.Maintenance) object {
	id := maintenanceID(m.ID)
	out := incidentHead{
		ID: id, PageID: b.pageID, Name: m.Title, Status: maintenanceStatus(m.Status), Impact: "maintenance",
		CreatedAt: b.at(m.CreatedAt), UpdatedAt: b.at(or(m.UpdatedAt, m.CreatedAt)),
		StartedAt: b.at(or(m.StartedAt, m.ScheduledFor)),
		Shortlink: b.base + "/maintenance/" + strconv.FormatInt(m.ID, 10),
	}
	tail := maintenanceTail{ScheduledFor: b.at(m.ScheduledFor), ScheduledUntil: b.at(m.ScheduledUntil)}
	if m.Status.Final() {
		out.ResolvedAt = b.at(m.CompletedAt)
	}
	ups := slices.Clone(m.Updates)
	slices.SortStableFunc(ups, func(x, y status.MaintenanceUpdate) int {
		return newer(or(x.DisplayAt, x.CreatedAt), x.CreatedAt, x.ID, or(y.DisplayAt, y.CreatedAt), y.CreatedAt, y.ID)
	})
	out.IncidentUpdates = make([]updateJSON, 0, len(ups))
	for _, u := range ups {
		out.IncidentUpdates = append(out.IncidentUpdates, updateJSON{
			ID: maintenanceID(u.ID), IncidentID: id, Status: maintenanceStatus(u.Status), Body: u.Body,
			CreatedAt: b.at(u.CreatedAt), UpdatedAt: b.at(u.CreatedAt), DisplayAt: b.at(or(u.DisplayAt, u.CreatedAt)),
			DeliverNotifications: true,
		})
	}
	return b.withComponents(out, m.Components, tail)
}

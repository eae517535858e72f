package service

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/uptime"
)

// ReportRequest asks for an SLA report: the days From to To (dates read in
// Loc, both included), of everything, one server (Server, a group id) or one
// component (Component, "flexo/web").
type ReportRequest struct {
	From, To           time.Time
	Loc                *time.Location
	ExcludeMaintenance bool
	Server             string
	Component          string
}

// MaxReportDays bounds a report's range: ten years of days.
const MaxReportDays = 3700

// Report is what an SLA report says: uptime per server and component,
// exactly from the measured outages (the same computation as the page's
// bars, so a figure reads the same in both), the outages, and the
// maintenance windows as announced and as they went.
type Report struct {
	From, To           time.Time // the first and last day, midnight in Loc
	Until              time.Time // the end of the last day
	Loc                *time.Location
	Now                time.Time // measurement ends here when the range reaches it
	ExcludeMaintenance bool
	Scope              string // "all", "server flexo" or "component flexo/web"
	Servers            []ReportServer
	Outages            []ReportOutage
	Maintenance        []ReportWindow
}

// ReportServer is one server and its components. A server counts as down
// while any of its components is down, degraded while any is degraded
// (the worst wins, as in package uptime); it is measured from its first
// monitor.
type ReportServer struct {
	ID, Name   string
	Monitored  bool
	Totals     uptime.Totals
	Components []ReportComponent
}

// ReportComponent is one component's figures.
type ReportComponent struct {
	ID, Name  string
	Monitored bool // false: never watched, its uptime unknown rather than perfect
	Removed   bool
	Totals    uptime.Totals
}

// ReportOutage is one measured outage that touched the range.
type ReportOutage struct {
	store.Outage
	Server, ComponentName string
	// InRange is the part of it inside the range (an ongoing one up to now).
	InRange time.Duration
}

// ReportWindow is one maintenance window that touched the range, as
// announced and as measured.
type ReportWindow struct {
	ID                       int64
	Title                    string
	Status                   status.MaintenanceStatus
	Components               []string
	AnnouncedFrom            time.Time
	AnnouncedUntil           time.Time
	StartedAt, CompletedAt   time.Time // zero when it did not start or end (yet)
	MeasuredDowntime         time.Duration
	Overrun                  time.Duration // how long it ran past the announced end
	Cancelled, NotYetStarted bool
}

// Report computes an SLA report.
func (s *Service) Report(ctx context.Context, req ReportRequest) (*Report, error) {
	loc := req.Loc
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := req.From.In(loc).Date()
	from := time.Date(y, m, d, 0, 0, 0, 0, loc)
	y, m, d = req.To.In(loc).Date()
	last := time.Date(y, m, d, 0, 0, 0, 0, loc)
	until := time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	if last.Before(from) {
		return nil, &InvalidError{Msg: fmt.Sprintf("the report ends (%s) before it begins (%s)", last.Format(time.DateOnly), from.Format(time.DateOnly))}
	}
	if days := int(until.Sub(from).Hours()/24 + 0.5); days > MaxReportDays {
		return nil, &InvalidError{Msg: fmt.Sprintf("the range covers %d days; a report covers at most %d", days, MaxReportDays)}
	}
	cat := s.Catalog()
	rep := &Report{From: from, To: last, Until: until, Loc: loc, Now: s.Now(), ExcludeMaintenance: req.ExcludeMaintenance, Scope: "all"}
	inScope := func(c store.Component) bool { return true }
	switch {
	case req.Component != "":
		if _, ok := cat.Component(req.Component); !ok {
			return nil, &NotFoundError{"component " + req.Component + " not found (component ids look like flexo/web; see GET /api/v1/components)"}
		}
		rep.Scope = "component " + req.Component
		inScope = func(c store.Component) bool { return c.ID == req.Component }
	case req.Server != "":
		if !slices.ContainsFunc(cat.Groups, func(g store.Group) bool { return g.ID == req.Server }) {
			return nil, &NotFoundError{"server " + req.Server + " not found (servers are the configuration's groups, like flexo)"}
		}
		rep.Scope = "server " + req.Server
		inScope = func(c store.Component) bool { return c.GroupID == req.Server }
	}
	// A component counts when the range saw it configured.
	existed := func(c store.Component) bool {
		return c.CreatedAt.Before(until) && (c.RemovedAt.IsZero() || c.RemovedAt.After(from))
	}

	outs, err := s.store.Outages(ctx, store.OutageFilter{Since: from, Until: until})
	if err != nil {
		return nil, err
	}
	monitors, err := s.store.Monitors(ctx)
	if err != nil {
		return nil, err
	}
	byComp := map[string][]store.Outage{}
	for _, o := range outs {
		byComp[o.ComponentID] = append(byComp[o.ComponentID], o)
	}
	opt := uptime.Options{Now: rep.Now, ExcludeMaintenance: req.ExcludeMaintenance}
	totals := func(o []store.Outage, since time.Time, ok bool) uptime.Totals {
		if !ok {
			since = until // never watched: no data on any day
		}
		op := opt
		op.Since = since
		return uptime.Days(UptimeOutages(o), from, last, loc, op).Total
	}
	names := map[string]string{}
	for _, g := range cat.Groups {
		names[g.ID] = g.Name
	}
	wanted := map[string]bool{}
	for _, g := range cat.Groups {
		srv := ReportServer{ID: g.ID, Name: g.Name}
		var serverOuts []store.Outage
		var serverSince time.Time
		for _, c := range cat.Components {
			if c.GroupID != g.ID || !inScope(c) || (!existed(c) && len(byComp[c.ID]) == 0) {
				continue
			}
			wanted[c.ID] = true
			since, ok := MonitoredSince(c.ID, monitors)
			rc := ReportComponent{ID: c.ID, Name: c.Name, Monitored: ok, Removed: !c.RemovedAt.IsZero(),
				Totals: totals(byComp[c.ID], since, ok)}
			srv.Components = append(srv.Components, rc)
			serverOuts = append(serverOuts, byComp[c.ID]...)
			if ok && (!srv.Monitored || since.Before(serverSince)) {
				serverSince, srv.Monitored = since, true
			}
		}
		if len(srv.Components) == 0 {
			continue
		}
		srv.Totals = totals(serverOuts, serverSince, srv.Monitored)
		rep.Servers = append(rep.Servers, srv)
	}

	for _, o := range outs {
		if !wanted[o.ComponentID] {
			continue
		}
		ro := ReportOutage{Outage: o}
		if c, ok := cat.Component(o.ComponentID); ok {
			ro.Server, ro.ComponentName = names[c.GroupID], c.Name
		}
		start, end := o.StartedAt, o.EndedAt
		if end.IsZero() || end.After(rep.Now) {
			end = rep.Now
		}
		start, end = later(start, from), earlier(end, until)
		if end.After(start) {
			ro.InRange = end.Sub(start)
		}
		rep.Outages = append(rep.Outages, ro)
	}
	slices.SortStableFunc(rep.Outages, func(a, b ReportOutage) int { return a.StartedAt.Compare(b.StartedAt) })

	windows, err := s.store.Maintenances(ctx, store.MaintenanceFilter{})
	if err != nil {
		return nil, err
	}
	for _, m := range windows {
		if !slices.ContainsFunc(m.Components, func(id string) bool { return wanted[id] }) {
			continue
		}
		// The window as announced or as it ran must touch the range.
		begin, end := m.ScheduledFor, m.ScheduledUntil
		if !m.StartedAt.IsZero() && m.StartedAt.Before(begin) {
			begin = m.StartedAt
		}
		if !m.CompletedAt.IsZero() && m.CompletedAt.After(end) {
			end = m.CompletedAt
		}
		if !begin.Before(until) || !end.After(from) {
			continue
		}
		w := ReportWindow{ID: m.ID, Title: m.Title, Status: m.Status, AnnouncedFrom: m.ScheduledFor, AnnouncedUntil: m.ScheduledUntil,
			StartedAt: m.StartedAt, CompletedAt: m.CompletedAt, Cancelled: m.Status == status.Cancelled,
			NotYetStarted: m.StartedAt.IsZero()}
		for _, id := range m.Components {
			if wanted[id] {
				w.Components = append(w.Components, id)
			}
		}
		if !m.StartedAt.IsZero() && !m.CompletedAt.IsZero() && m.CompletedAt.After(m.ScheduledUntil) && !w.Cancelled {
			w.Overrun = m.CompletedAt.Sub(m.ScheduledUntil)
		}
		// Downtime measured inside it: the union over its components of
		// the outages Herald placed in this window.
		var inside []uptime.Outage
		for _, o := range outs {
			if o.MaintenanceID == m.ID && wanted[o.ComponentID] {
				inside = append(inside, UptimeOutages([]store.Outage{o})...)
			}
		}
		for _, sp := range uptime.Merge(inside, from, earlier(until, rep.Now)) {
			if sp.State != uptime.Degraded {
				w.MeasuredDowntime += sp.Duration()
			}
		}
		rep.Maintenance = append(rep.Maintenance, w)
	}
	slices.SortStableFunc(rep.Maintenance, func(a, b ReportWindow) int { return a.AnnouncedFrom.Compare(b.AnnouncedFrom) })
	return rep, nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

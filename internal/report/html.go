package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/uptime"
	"github.com/heraldhq/herald/internal/words"
)

//go:embed report.html
var pageText string

var page = template.Must(template.New("report").Parse(pageText))

type htmlView struct {
	Style                                 template.CSS
	Title, Period, Zone, Scope, Generated string
	ExcludeMaintenance                    bool
	Servers                               []htmlServer
	Outages                               []htmlOutage
	Maintenance                           []htmlWindow
}

type htmlRow struct {
	Name, ID, Uptime, Downtime, Degraded, Maintenance string
	Monitored, Removed, Perfect                       bool
}

type htmlServer struct {
	Row        htmlRow
	Components []htmlRow
}

type htmlOutage struct {
	Start, End, Length, InRange, Server, Component, Severity, Cause string
	Ongoing                                                         bool
	Incident, Window                                                int64
}

type htmlWindow struct {
	Title, Status, Components, Announced, Ran, Downtime, Overrun string
}

func writeHTML(w io.Writer, rep *service.Report, o Options) error {
	loc := rep.Loc
	zone := o.Zone
	if zone == "" {
		zone = loc.String()
	}
	local := func(t time.Time) string { return t.In(loc).Format("Jan 2, 2006 3:04:05 PM") }
	v := htmlView{Style: styleCSS(), Title: o.Title, Zone: zone, Scope: scopeWords(rep.Scope), Generated: local(rep.Now),
		ExcludeMaintenance: rep.ExcludeMaintenance,
		Period:             rep.From.Format("January 2, 2006") + " to " + rep.To.Format("January 2, 2006")}
	if v.Title == "" {
		v.Title = "Service report"
	}
	row := func(id, name string, monitored, removed bool, t uptime.Totals) htmlRow {
		r := htmlRow{ID: id, Name: name, Monitored: monitored && t.HasData(), Removed: removed, Uptime: t.PercentText(),
			Downtime: clock(t.Downtime()), Degraded: clock(t.Degraded), Maintenance: clock(t.Maintenance)}
		r.Perfect = r.Uptime == "100%"
		return r
	}
	for _, s := range rep.Servers {
		hs := htmlServer{Row: row(s.ID, s.Name, s.Monitored, false, s.Totals)}
		for _, c := range s.Components {
			hs.Components = append(hs.Components, row(c.ID, c.Name, c.Monitored, c.Removed, c.Totals))
		}
		v.Servers = append(v.Servers, hs)
	}
	for _, ou := range rep.Outages {
		h := htmlOutage{Start: local(ou.StartedAt), Length: clock(outageLength(ou, rep.Now)), InRange: clock(ou.InRange),
			Server: ou.Server, Component: ou.ComponentName, Severity: string(ou.Severity), Cause: ou.Cause,
			Incident: ou.IncidentID, Window: ou.MaintenanceID, Ongoing: ou.EndedAt.IsZero()}
		if h.Component == "" {
			h.Component = ou.ComponentID
		}
		if !ou.EndedAt.IsZero() {
			h.End = local(ou.EndedAt)
		}
		v.Outages = append(v.Outages, h)
	}
	for _, m := range rep.Maintenance {
		hw := htmlWindow{Title: m.Title, Status: m.Status.Label(), Components: words.List(m.Components),
			Announced: strings.TrimSpace(words.DatedWindow(m.AnnouncedFrom, m.AnnouncedUntil, rep.Now, loc, "")),
			Downtime:  clock(m.MeasuredDowntime)}
		switch {
		case m.Cancelled && m.StartedAt.IsZero():
			hw.Ran = "cancelled before it began"
		case m.StartedAt.IsZero():
			hw.Ran = "not begun"
		case m.CompletedAt.IsZero():
			hw.Ran = "began " + local(m.StartedAt) + "; still in progress"
		default:
			hw.Ran = local(m.StartedAt) + " to " + local(m.CompletedAt)
		}
		if m.Overrun > 0 {
			hw.Overrun = clock(m.Overrun)
		}
		v.Maintenance = append(v.Maintenance, hw)
	}
	return page.Execute(w, v)
}

func scopeWords(scope string) string {
	if scope == "all" {
		return "every server"
	}
	return scope
}

// clock is a length to the second, as a report's tables show it: "0:00:00",
// "1:13:05", "49:02:11" (hours are not folded into days, so columns add up).
func clock(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
}

// Package report writes SLA reports (service.Report) as JSON, CSV or a
// printable HTML page. The command line, the API and the admin all write
// through it, so a report reads the same wherever it is asked for.
package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/uptime"
)

// Formats a report can be written in.
const (
	FormatJSON = "json"
	FormatCSV  = "csv"
	FormatHTML = "html"
)

// CSV tables: a CSV file holds one table, chosen by name.
const (
	TableUptime      = "uptime"
	TableOutages     = "outages"
	TableMaintenance = "maintenance"
)

// ContentType is the media type of a format.
func ContentType(format string) string {
	switch format {
	case FormatCSV:
		return "text/csv; charset=utf-8"
	case FormatHTML:
		return "text/html; charset=utf-8"
	}
	return "application/json; charset=utf-8"
}

// CheckFormat says what is wrong with a format and table, if anything.
func CheckFormat(format, table string) error {
	switch format {
	case FormatJSON, FormatHTML:
		if table != "" && table != TableUptime {
			return fmt.Errorf("table %q is for --format csv only (json and html hold every table)", table)
		}
		return nil
	case FormatCSV:
		switch table {
		case "", TableUptime, TableOutages, TableMaintenance:
			return nil
		}
		return fmt.Errorf("table %q is not one of uptime, outages, maintenance", table)
	}
	return fmt.Errorf("format %q is not one of csv, json, html", format)
}

// Options say how to write a report.
type Options struct {
	Format string
	Table  string // for CSV; "" is uptime
	// Title names the provider's page ("Example Hosting status"), for HTML.
	Title string
	// Zone is how times' zone is named ("Pacific time").
	Zone string
}

// Write writes rep in the format o asks for.
func Write(w io.Writer, rep *service.Report, o Options) error {
	if err := CheckFormat(o.Format, o.Table); err != nil {
		return err
	}
	switch o.Format {
	case FormatCSV:
		return writeCSV(w, rep, o.Table)
	case FormatHTML:
		return writeHTML(w, rep, o)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(toJSON(rep))
}

// JSON is a report's JSON document.
type JSON struct {
	From               string            `json:"from"`
	To                 string            `json:"to"`
	Zone               string            `json:"zone"`
	GeneratedAt        string            `json:"generated_at"`
	Scope              string            `json:"scope"`
	ExcludeMaintenance bool              `json:"exclude_maintenance"`
	Servers            []ServerJSON      `json:"servers"`
	Outages            []OutageJSON      `json:"outages"`
	Maintenance        []MaintenanceJSON `json:"maintenance"`
}

// TotalsJSON are uptime figures in seconds; UptimePercent is null when
// nothing was measured (rounded down to four decimals, as package uptime does).
type TotalsJSON struct {
	UptimePercent      *float64 `json:"uptime_percent"`
	UptimeText         string   `json:"uptime_text"`
	MeasuredSeconds    float64  `json:"measured_seconds"`
	CountedSeconds     float64  `json:"counted_seconds"`
	DowntimeSeconds    float64  `json:"downtime_seconds"`
	DownSeconds        float64  `json:"down_seconds"`
	DegradedSeconds    float64  `json:"degraded_seconds"`
	MaintenanceSeconds float64  `json:"maintenance_seconds"`
}

// ServerJSON is a server and its components.
type ServerJSON struct {
	ID         string          `json:"id"`
	Name       string          `json:"name"`
	Monitored  bool            `json:"monitored"`
	Components []ComponentJSON `json:"components"`
	TotalsJSON
}

// ComponentJSON is a component's figures.
type ComponentJSON struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Monitored bool   `json:"monitored"`
	Removed   bool   `json:"removed"`
	TotalsJSON
}

// OutageJSON is one measured outage.
type OutageJSON struct {
	ID              int64   `json:"id"`
	Component       string  `json:"component"`
	Server          string  `json:"server"`
	Monitor         string  `json:"monitor"`
	Severity        string  `json:"severity"`
	StartedAt       string  `json:"started_at"`
	EndedAt         *string `json:"ended_at"`
	DurationSeconds float64 `json:"duration_seconds"` // to now while it lasts
	InRangeSeconds  float64 `json:"in_range_seconds"`
	Cause           string  `json:"cause"`
	IncidentID      *int64  `json:"incident_id"`
	MaintenanceID   *int64  `json:"maintenance_id"`
}

// MaintenanceJSON is a window as announced and as it went.
type MaintenanceJSON struct {
	ID                      int64    `json:"id"`
	Title                   string   `json:"title"`
	Status                  string   `json:"status"`
	Components              []string `json:"components"`
	AnnouncedFrom           string   `json:"announced_from"`
	AnnouncedUntil          string   `json:"announced_until"`
	StartedAt               *string  `json:"started_at"`
	CompletedAt             *string  `json:"completed_at"`
	MeasuredDowntimeSeconds float64  `json:"measured_downtime_seconds"`
	OverrunSeconds          float64  `json:"overrun_seconds"`
}

func totalsJSON(t uptime.Totals) TotalsJSON {
	out := TotalsJSON{UptimeText: t.PercentText(), MeasuredSeconds: secs(t.Measured), CountedSeconds: secs(t.Counted()),
		DowntimeSeconds: secs(t.Downtime()), DownSeconds: secs(t.Down), DegradedSeconds: secs(t.Degraded),
		MaintenanceSeconds: secs(t.Maintenance)}
	if p, ok := t.Percent(); ok {
		out.UptimePercent = &p
	}
	return out
}

func secs(d time.Duration) float64 { return d.Seconds() }

// stamp is a moment as the API writes it: RFC 3339, UTC, whole seconds
// (lengths are given in seconds with their fractions).
func stamp(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }

func opt(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := stamp(t)
	return &s
}

func optID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func toJSON(rep *service.Report) JSON {
	out := JSON{From: rep.From.Format(time.DateOnly), To: rep.To.Format(time.DateOnly), Zone: rep.Loc.String(),
		GeneratedAt: stamp(rep.Now), Scope: rep.Scope, ExcludeMaintenance: rep.ExcludeMaintenance,
		Servers: []ServerJSON{}, Outages: []OutageJSON{}, Maintenance: []MaintenanceJSON{}}
	for _, s := range rep.Servers {
		sj := ServerJSON{ID: s.ID, Name: s.Name, Monitored: s.Monitored, TotalsJSON: totalsJSON(s.Totals), Components: []ComponentJSON{}}
		for _, c := range s.Components {
			sj.Components = append(sj.Components, ComponentJSON{ID: c.ID, Name: c.Name, Monitored: c.Monitored,
				Removed: c.Removed, TotalsJSON: totalsJSON(c.Totals)})
		}
		out.Servers = append(out.Servers, sj)
	}
	for _, o := range rep.Outages {
		out.Outages = append(out.Outages, OutageJSON{ID: o.ID, Component: o.ComponentID, Server: o.Server, Monitor: o.MonitorID,
			Severity: string(o.Severity), StartedAt: stamp(o.StartedAt), EndedAt: opt(o.EndedAt),
			DurationSeconds: secs(outageLength(o, rep.Now)), InRangeSeconds: secs(o.InRange), Cause: o.Cause,
			IncidentID: optID(o.IncidentID), MaintenanceID: optID(o.MaintenanceID)})
	}
	for _, m := range rep.Maintenance {
		comps := append([]string{}, m.Components...)
		out.Maintenance = append(out.Maintenance, MaintenanceJSON{ID: m.ID, Title: m.Title, Status: string(m.Status),
			Components: comps, AnnouncedFrom: stamp(m.AnnouncedFrom), AnnouncedUntil: stamp(m.AnnouncedUntil),
			StartedAt: opt(m.StartedAt), CompletedAt: opt(m.CompletedAt),
			MeasuredDowntimeSeconds: secs(m.MeasuredDowntime), OverrunSeconds: secs(m.Overrun)})
	}
	return out
}

// outageLength is an outage's whole length, to now while it lasts.
func outageLength(o service.ReportOutage, now time.Time) time.Duration {
	end := o.EndedAt
	if end.IsZero() {
		end = now
	}
	return max(end.Sub(o.StartedAt), 0)
}

func writeCSV(w io.Writer, rep *service.Report, table string) error {
	cw := csv.NewWriter(w)
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(rep.Loc).Format(time.RFC3339)
	}
	f := func(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) }
	var rows [][]string
	switch table {
	case TableOutages:
		rows = append(rows, []string{"id", "server", "component", "monitor", "severity", "started_at", "ended_at",
			"duration_seconds", "in_range_seconds", "cause", "incident_id", "maintenance_id"})
		for _, o := range rep.Outages {
			rows = append(rows, []string{strconv.FormatInt(o.ID, 10), o.Server, o.ComponentID, o.MonitorID, string(o.Severity),
				ts(o.StartedAt), ts(o.EndedAt), f(outageLength(o, rep.Now)), f(o.InRange), o.Cause, idText(o.IncidentID), idText(o.MaintenanceID)})
		}
	case TableMaintenance:
		rows = append(rows, []string{"id", "title", "status", "components", "announced_from", "announced_until",
			"started_at", "completed_at", "measured_downtime_seconds", "overrun_seconds"})
		for _, m := range rep.Maintenance {
			rows = append(rows, []string{strconv.FormatInt(m.ID, 10), m.Title, string(m.Status), strings.Join(m.Components, " "),
				ts(m.AnnouncedFrom), ts(m.AnnouncedUntil), ts(m.StartedAt), ts(m.CompletedAt), f(m.MeasuredDowntime), f(m.Overrun)})
		}
	default:
		rows = append(rows, []string{"kind", "server", "component", "name", "from", "to", "uptime_percent", "uptime_text",
			"measured_seconds", "counted_seconds", "downtime_seconds", "down_seconds", "degraded_seconds", "maintenance_seconds"})
		row := func(kind, server, comp, name string, t uptime.Totals) []string {
			pct := ""
			if p, ok := t.Percent(); ok {
				pct = strconv.FormatFloat(p, 'f', 4, 64)
			}
			return []string{kind, server, comp, name, rep.From.Format(time.DateOnly), rep.To.Format(time.DateOnly), pct, t.PercentText(),
				f(t.Measured), f(t.Counted()), f(t.Downtime()), f(t.Down), f(t.Degraded), f(t.Maintenance)}
		}
		for _, s := range rep.Servers {
			rows = append(rows, row("server", s.ID, "", s.Name, s.Totals))
			for _, c := range s.Components {
				rows = append(rows, row("component", s.ID, c.ID, c.Name, c.Totals))
			}
		}
	}
	for _, r := range rows {
		for i, cell := range r {
			r[i] = spreadsheetSafe(cell)
		}
	}
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	return cw.Error()
}

// spreadsheetSafe keeps a cell a spreadsheet would read as a formula (a
// cause or title beginning with "=", "+", "-", "@") as text.
func spreadsheetSafe(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '@', '\t', '\r':
		return "'" + s
	case '-':
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return "'" + s
		}
	}
	return s
}

func idText(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

package api

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/uptime"
)

// WithConfig gives the handlers the running configuration, for the page's
// zone (uptime days are days there) and the maintenance settings. Without
// it, uptime days are UTC days and maintenance downtime counts.
func (a *Admin) WithConfig(cfg func() config.Config) *Admin {
	a.cfg = cfg
	return a
}

func (a *Admin) config() config.Config {
	if a.cfg == nil {
		return config.Config{}
	}
	return a.cfg()
}

// maxUptimeDays bounds one uptime answer.
const maxUptimeDays = 366

// strictQuery reads a query string that may hold only the allowed keys, each
// at most once.
func strictQuery(r *http.Request, allowed ...string) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, badRequest("the query string is malformed")
	}
	var unknown []string
	for k, v := range q {
		if !slices.Contains(allowed, k) {
			unknown = append(unknown, k)
			continue
		}
		if len(v) > 1 {
			return nil, badRequest("%s is given %d times; give it once", k, len(v))
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, badRequest("unknown query parameter %s (this endpoint takes %s)", strings.Join(unknown, ", "), strings.Join(allowed, ", "))
	}
	return q, nil
}

// queryComponent reads ?component=, which must name a component (removed ones too).
func (a *Admin) queryComponent(q url.Values, required bool) (string, error) {
	id := q.Get("component")
	if id == "" {
		if required {
			return "", badRequest("component is required (like component=flexo/web; see GET /api/v1/components)")
		}
		return "", nil
	}
	if _, ok := a.svc.Catalog().Component(id); !ok {
		return "", badRequest("unknown component %q (component ids look like flexo/web; see GET /api/v1/components)", id)
	}
	return id, nil
}

type outageJSON struct {
	ID              int64   `json:"id"`
	Component       string  `json:"component"`
	Monitor         string  `json:"monitor"`
	Severity        string  `json:"severity"`
	StartedAt       *jtime  `json:"started_at"`
	EndedAt         *jtime  `json:"ended_at"`
	Open            bool    `json:"open"`
	DurationSeconds float64 `json:"duration_seconds"`
	Cause           string  `json:"cause"`
	MaintenanceID   *int64  `json:"maintenance_id"`
	IncidentID      *int64  `json:"incident_id"`
	Decision        string  `json:"decision"`
	DetectedAt      *jtime  `json:"detected_at"`
}

func optID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func seconds(d time.Duration) float64 { return float64(d.Milliseconds()) / 1000 }

func (a *Admin) listOutages(w http.ResponseWriter, r *http.Request, _ string) error {
	q, err := strictQuery(r, "component", "since", "until", "open", "limit")
	if err != nil {
		return err
	}
	f := store.OutageFilter{}
	if f.ComponentID, err = a.queryComponent(q, false); err != nil {
		return err
	}
	if f.Since, err = parseTime("since", q.Get("since")); err != nil {
		return err
	}
	if f.Until, err = parseTime("until", q.Get("until")); err != nil {
		return err
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		return badRequest("until must be after since")
	}
	switch q.Get("open") {
	case "", "false":
	case "true":
		f.Open = true
	default:
		return badRequest("open must be true or false")
	}
	if f.Limit, err = queryLimit(r, 100, 1000); err != nil {
		return err
	}
	outs, err := a.svc.Outages(r.Context(), f)
	if err != nil {
		return err
	}
	now := a.svc.Now()
	list := make([]outageJSON, 0, len(outs))
	for _, o := range outs {
		end := o.EndedAt
		if end.IsZero() {
			end = now
		}
		list = append(list, outageJSON{ID: o.ID, Component: o.ComponentID, Monitor: o.MonitorID, Severity: string(o.Severity),
			StartedAt: jt(o.StartedAt), EndedAt: jt(o.EndedAt), Open: o.EndedAt.IsZero(),
			DurationSeconds: seconds(max(end.Sub(o.StartedAt), 0)), Cause: o.Cause,
			MaintenanceID: optID(o.MaintenanceID), IncidentID: optID(o.IncidentID), Decision: o.Decision, DetectedAt: jt(o.DetectedAt)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"outages": list})
	return nil
}

type totalsJSON struct {
	MeasuredSeconds    float64  `json:"measured_seconds"`
	DownSeconds        float64  `json:"down_seconds"`
	DegradedSeconds    float64  `json:"degraded_seconds"`
	MaintenanceSeconds float64  `json:"maintenance_seconds"`
	UptimePercent      *float64 `json:"uptime_percent"`
}

func totalsOut(t uptime.Totals) totalsJSON {
	out := totalsJSON{MeasuredSeconds: seconds(t.Measured), DownSeconds: seconds(t.Down),
		DegradedSeconds: seconds(t.Degraded), MaintenanceSeconds: seconds(t.Maintenance)}
	if p, ok := t.Percent(); ok {
		out.UptimePercent = &p
	}
	return out
}

type uptimeDayJSON struct {
	Date    string `json:"date"`
	State   string `json:"state"`
	StartAt *jtime `json:"start_at"`
	EndAt   *jtime `json:"end_at"`
	totalsJSON
}

type uptimeJSON struct {
	Component          string          `json:"component"`
	Zone               string          `json:"zone"`
	From               string          `json:"from"`
	To                 string          `json:"to"`
	ExcludeMaintenance bool            `json:"exclude_maintenance"`
	Total              totalsJSON      `json:"total"`
	Days               []uptimeDayJSON `json:"days"`
}

// parseDate reads a calendar date, YYYY-MM-DD, in loc.
func parseDate(field, s string, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Time{}, badRequest("%s is required (a date like 2026-11-01)", field)
	}
	d, err := time.ParseInLocation("2006-01-02", s, loc)
	if err != nil || d.Year() < 2000 || d.Year() > 9998 {
		return time.Time{}, badRequest("%s: %q is not a date like 2026-11-01", field, s)
	}
	return d, nil
}

func (a *Admin) getUptime(w http.ResponseWriter, r *http.Request, _ string) error {
	q, err := strictQuery(r, "component", "from", "to")
	if err != nil {
		return err
	}
	id, err := a.queryComponent(q, true)
	if err != nil {
		return err
	}
	cfg := a.config()
	loc := cfg.Location()
	from, err := parseDate("from", q.Get("from"), loc)
	if err != nil {
		return err
	}
	to, err := parseDate("to", q.Get("to"), loc)
	if err != nil {
		return err
	}
	if to.Before(from) {
		return badRequest("to (%s) is before from (%s)", q.Get("to"), q.Get("from"))
	}
	if days := int(to.Sub(from).Hours()/24+0.5) + 1; days > maxUptimeDays {
		return badRequest("the range covers %d days; ask for at most %d at a time", days, maxUptimeDays)
	}
	rep, err := a.svc.Uptime(r.Context(), id, from, to, loc, cfg.Maintenance.ExcludeFromUptime)
	if err != nil {
		return err
	}
	out := uptimeJSON{Component: id, Zone: loc.String(), From: q.Get("from"), To: q.Get("to"),
		ExcludeMaintenance: cfg.Maintenance.ExcludeFromUptime, Total: totalsOut(rep.Total), Days: []uptimeDayJSON{}}
	for _, d := range rep.Days {
		day := uptimeDayJSON{Date: d.Date.Format("2006-01-02"), State: string(d.State), totalsJSON: totalsOut(d.Totals)}
		if d.State != uptime.NoData {
			day.StartAt, day.EndAt = jt(d.Start), jt(d.End)
		}
		out.Days = append(out.Days, day)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type monitorJSON struct {
	ID             string   `json:"id"`
	Component      string   `json:"component"`
	Kind           string   `json:"kind"`
	Target         string   `json:"target"`
	State          string   `json:"state"`
	StateChangedAt *jtime   `json:"state_changed_at"`
	LastCheckAt    *jtime   `json:"last_check_at"`
	LastOutcome    *string  `json:"last_outcome"`
	LastMessage    string   `json:"last_message"`
	LastLatencyMS  *float64 `json:"last_latency_ms"`
	CreatedAt      *jtime   `json:"created_at"`
	Removed        bool     `json:"removed"`
	RemovedAt      *jtime   `json:"removed_at"`
}

func (a *Admin) listMonitors(w http.ResponseWriter, r *http.Request, _ string) error {
	q, err := strictQuery(r, "component")
	if err != nil {
		return err
	}
	comp, err := a.queryComponent(q, false)
	if err != nil {
		return err
	}
	mons, err := a.svc.Monitors(r.Context())
	if err != nil {
		return err
	}
	list := []monitorJSON{}
	for _, m := range mons {
		if comp != "" && m.ComponentID != comp {
			continue
		}
		v := monitorJSON{ID: m.ID, Component: m.ComponentID, Kind: m.Kind, Target: m.Target, State: string(m.Detector.State),
			StateChangedAt: jt(m.Detector.Since), LastCheckAt: jt(m.LastCheckAt), LastMessage: m.LastMessage,
			CreatedAt: jt(m.CreatedAt), Removed: !m.RemovedAt.IsZero(), RemovedAt: jt(m.RemovedAt)}
		if !m.LastCheckAt.IsZero() {
			outcome := m.LastLevel.String()
			ms := float64(m.LastLatency.Microseconds()) / 1000
			v.LastOutcome, v.LastLatencyMS = &outcome, &ms
		}
		list = append(list, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"monitors": list})
	return nil
}

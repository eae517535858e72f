package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/status"
)

// Monitor is a configured monitor with its detection state.
type Monitor struct {
	ID          string // component id + "/" + name: "flexo/web/http"
	ComponentID string
	Kind        string
	Target      string
	Detector    status.Detector

	LastCheckAt time.Time
	LastLevel   status.Level
	LastMessage string
	LastLatency time.Duration

	CreatedAt, UpdatedAt, RemovedAt time.Time
}

// MonitorDef is a monitor as the configuration names it.
type MonitorDef struct {
	ID, ComponentID, Kind, Target string
}

// CheckResult is one check's outcome.
type CheckResult struct {
	MonitorID string
	At        time.Time
	Latency   time.Duration
	Level     status.Level
	Message   string
}

// Outage is a measured interval [StartedAt, EndedAt) in which a monitor was
// degraded or down. EndedAt is zero while it lasts.
type Outage struct {
	ID            int64
	ComponentID   string
	MonitorID     string
	Severity      status.MonitorState // degraded or down: the worst seen
	StartedAt     time.Time
	EndedAt       time.Time
	Cause         string // the first failed check's message
	MaintenanceID int64  // set when it happened inside a window on its component
	IncidentID    int64  // the incident it opened or joined
	// Decision is what Herald made of it: "" not yet decided, "maintenance",
	// "incident", "ignored" (automatic incidents off) or "dependency" (down
	// while something it depends on was: IncidentID is that one's incident).
	Decision   string
	DetectedAt time.Time // when the threshold was crossed
}

// Outage decisions.
const (
	DecisionNone        = ""
	DecisionMaintenance = "maintenance"
	DecisionIncident    = "incident"
	DecisionIgnored     = "ignored"
	DecisionDependency  = "dependency"
)

// Override is a component status an operator set by hand.
type Override struct {
	ComponentID string
	Status      status.ComponentStatus
	Note        string
	SetBy       string
	SetAt       time.Time
}

// SyncMonitors stores the configured monitors: new ones are added, changed ones
// take their new target (keeping their state), missing ones are marked removed.
func (q *Queries) SyncMonitors(ctx context.Context, defs []MonitorDef, now time.Time) error {
	if err := q.SerializeSync(ctx, "monitors"); err != nil {
		return err
	}
	at := now.UnixMilli()
	stored, err := q.Monitors(ctx)
	if err != nil {
		return err
	}
	was := make(map[string]Monitor, len(stored))
	for _, m := range stored {
		was[m.ID] = m
	}
	keep := make(map[string]bool, len(defs))
	for _, d := range defs {
		keep[d.ID] = true
		// A row that says this already is left alone: instances sharing the
		// database sync the same fleet at start, and an upsert locks its row
		// even when it changes nothing.
		if m, ok := was[d.ID]; ok && m.ComponentID == d.ComponentID && m.Kind == d.Kind && m.Target == d.Target && m.RemovedAt.IsZero() {
			continue
		}
		_, err := q.exec(ctx, `INSERT INTO monitors (id, component_id, kind, target, state, created_at, updated_at)
			VALUES (?, ?, ?, ?, 'unknown', ?, ?)
			ON CONFLICT (id) DO UPDATE SET component_id = excluded.component_id, kind = excluded.kind,
				target = excluded.target, removed_at = NULL,
				updated_at = CASE WHEN monitors.kind = excluded.kind AND monitors.target = excluded.target
					AND monitors.removed_at IS NULL THEN monitors.updated_at ELSE excluded.updated_at END`,
			d.ID, d.ComponentID, d.Kind, d.Target, at, at)
		if err != nil {
			return fmt.Errorf("sync monitor %s: %w", d.ID, err)
		}
	}
	for _, m := range stored {
		if !keep[m.ID] && m.RemovedAt.IsZero() {
			if _, err := q.exec(ctx, `UPDATE monitors SET removed_at = ?, updated_at = ? WHERE id = ?`, at, at, m.ID); err != nil {
				return fmt.Errorf("mark monitor %s removed: %w", m.ID, err)
			}
		}
	}
	return nil
}

const monitorColumns = `id, component_id, kind, target, state, state_since, bad_run, bad_run_start, down_run,
	down_run_start, deg_run, deg_run_start, good_run, good_run_start, last_check_at, last_outcome, last_message,
	last_latency_us, created_at, updated_at, removed_at`

// Monitors lists every monitor ever configured, removed ones included.
func (q *Queries) Monitors(ctx context.Context) ([]Monitor, error) {
	var out []Monitor
	if err := q.EachMonitor(ctx, func(m *Monitor) { out = append(out, *m) }); err != nil {
		return nil, err
	}
	return out, nil
}

// EachMonitor calls fn with each monitor's row, removed ones included, by
// id, as Monitors lists them, for a reader that keeps part of each row. The
// row is the same variable each time: fn copies what it keeps.
func (q *Queries) EachMonitor(ctx context.Context, fn func(*Monitor)) error {
	rows, err := q.query(ctx, `SELECT `+monitorColumns+` FROM monitors ORDER BY id`)
	if err != nil {
		return fmt.Errorf("list monitors: %w", err)
	}
	var m Monitor
	err = eachRow(rows, func() error {
		var (
			state, outcome                                 string
			since, badS, downS, degS, goodS, last, removed sql.NullInt64
			created, updated, latency                      int64
		)
		if err := rows.Scan(&m.ID, &m.ComponentID, &m.Kind, &m.Target, &state, &since, &m.Detector.BadRun, &badS,
			&m.Detector.DownRun, &downS, &m.Detector.DegradedRun, &degS, &m.Detector.GoodRun, &goodS, &last,
			&outcome, &m.LastMessage, &latency, &created, &updated, &removed); err != nil {
			return err
		}
		d := &m.Detector
		d.State, d.Since = status.MonitorState(state), fromMS(since)
		d.BadStart, d.DownStart, d.DegradedStart, d.GoodStart = fromMS(badS), fromMS(downS), fromMS(degS), fromMS(goodS)
		m.LastCheckAt, m.LastLevel, m.LastLatency = fromMS(last), levelOf(outcome), time.Duration(latency)*time.Microsecond
		m.CreatedAt, m.UpdatedAt, m.RemovedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC(), fromMS(removed)
		fn(&m)
		return nil
	})
	if err != nil {
		return fmt.Errorf("list monitors: %w", err)
	}
	return nil
}

func levelOf(s string) status.Level {
	switch s {
	case "degraded":
		return status.LevelDegraded
	case "down":
		return status.LevelDown
	}
	return status.LevelUp
}

// resultChunk keeps one INSERT's parameters well under both databases' limits.
const resultChunk = 500

// SaveChecks writes a batch of results and the monitors' states after them.
func (q *Queries) SaveChecks(ctx context.Context, results []CheckResult, states []Monitor, now time.Time) error {
	for len(results) > 0 {
		n := min(len(results), resultChunk)
		var b strings.Builder
		b.WriteString(q.insertChecks())
		args := make([]any, 0, n*5)
		for i, r := range results[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, ?)")
			args = append(args, r.MonitorID, r.At.UnixMilli(), r.Latency.Microseconds(), int(r.Level), r.Message)
		}
		if _, err := q.exec(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("insert check results: %w", err)
		}
		results = results[n:]
	}
	if len(states) == 0 {
		return nil
	}
	const save = `UPDATE monitors SET state = ?, state_since = ?, bad_run = ?, bad_run_start = ?,
			down_run = ?, down_run_start = ?, deg_run = ?, deg_run_start = ?, good_run = ?, good_run_start = ?,
			last_check_at = ?, last_outcome = ?, last_message = ?, last_latency_us = ?, updated_at = ?
		WHERE id = ?`
	exec := func(args ...any) error { _, err := q.exec(ctx, save, args...); return err }
	if q.tx != nil {
		// One statement prepared for the whole batch: at thousands of
		// monitors, parsing it per row is most of the write's cost.
		stmt, err := q.tx.PrepareContext(ctx, q.rebind(save))
		if err != nil {
			return fmt.Errorf("prepare monitor save: %w", err)
		}
		defer stmt.Close()
		exec = func(args ...any) error { _, err := stmt.ExecContext(ctx, args...); return err }
	}
	for i := range states {
		m := &states[i]
		d := &m.Detector
		err := exec(string(d.State), ms(d.Since), d.BadRun, ms(d.BadStart), d.DownRun, ms(d.DownStart), d.DegradedRun,
			ms(d.DegradedStart), d.GoodRun, ms(d.GoodStart), ms(m.LastCheckAt), m.LastLevel.String(), m.LastMessage,
			m.LastLatency.Microseconds(), now.UnixMilli(), m.ID)
		if err != nil {
			return fmt.Errorf("save monitor %s: %w", m.ID, err)
		}
	}
	return nil
}

// CheckFilter selects raw check results.
type CheckFilter struct {
	MonitorID string
	Since     time.Time
	Limit     int // newest first when set
}

// Checks lists raw check results, oldest first (or the newest Limit, still oldest first).
func (q *Queries) Checks(ctx context.Context, f CheckFilter) ([]CheckResult, error) {
	query := `SELECT monitor_id, at, latency_us, outcome, message FROM check_results WHERE monitor_id = ? AND at >= ? ORDER BY at DESC`
	if f.Limit > 0 {
		query += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := q.query(ctx, query, f.MonitorID, f.Since.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("list checks: %w", err)
	}
	var out []CheckResult
	err = eachRow(rows, func() error {
		var (
			r           CheckResult
			at, latency int64
			level       int
		)
		if err := rows.Scan(&r.MonitorID, &at, &latency, &level, &r.Message); err != nil {
			return err
		}
		r.At, r.Latency, r.Level = time.UnixMilli(at).UTC(), time.Duration(latency)*time.Microsecond, status.Level(level)
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list checks: %w", err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// LatencyPoint is the mean and worst response time of the successful checks in one bucket.
type LatencyPoint struct {
	At        time.Time
	Mean, Max time.Duration
	Checks    int
	Failed    int
}

// Latency buckets a monitor's checks since a time: raw results where they
// are kept, hourly rollups before that. The two never hold the same check
// (RollUp deletes what it folds), so they add up without overlap.
func (q *Queries) Latency(ctx context.Context, monitorID string, since time.Time, bucket time.Duration) ([]LatencyPoint, error) {
	b := bucket.Milliseconds()
	if b <= 0 {
		return nil, fmt.Errorf("latency: bucket must be positive")
	}
	rows, err := q.query(ctx, fmt.Sprintf(`SELECT b, SUM(lat), MAX(mx), SUM(ok), SUM(failed) FROM (
			SELECT (at / %[1]d) * %[1]d AS b, CASE WHEN outcome < 2 THEN latency_us ELSE 0 END AS lat,
				CASE WHEN outcome < 2 THEN latency_us ELSE 0 END AS mx,
				CASE WHEN outcome < 2 THEN 1 ELSE 0 END AS ok, CASE WHEN outcome = 2 THEN 1 ELSE 0 END AS failed
			FROM check_results WHERE monitor_id = ? AND at >= ?
			UNION ALL
			SELECT (start_at / %[1]d) * %[1]d, latency_sum_us, latency_max_us, up + degraded, down
			FROM check_rollups WHERE monitor_id = ? AND period = 'hour' AND start_at >= ?
		) AS points GROUP BY b ORDER BY b`, b),
		monitorID, since.UnixMilli(), monitorID, since.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("latency of %s: %w", monitorID, err)
	}
	var out []LatencyPoint
	err = eachRow(rows, func() error {
		var (
			at, sum, mx  int64
			okN, failedN int
		)
		if err := rows.Scan(&at, &sum, &mx, &okN, &failedN); err != nil {
			return err
		}
		p := LatencyPoint{At: time.UnixMilli(at).UTC(), Max: time.Duration(mx) * time.Microsecond, Checks: okN + failedN, Failed: failedN}
		if okN > 0 {
			p.Mean = time.Duration(sum/int64(okN)) * time.Microsecond
		}
		out = append(out, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("latency of %s: %w", monitorID, err)
	}
	return out, nil
}

// RollUp folds raw results older than before into hourly and daily rollups and
// deletes them, in the caller's transaction. It returns how many it folded.
func (q *Queries) RollUp(ctx context.Context, before time.Time) (int64, error) {
	for _, p := range []struct {
		name string
		ms   int64
	}{{"hour", 3600000}, {"day", 86400000}} {
		_, err := q.exec(ctx, fmt.Sprintf(`INSERT INTO check_rollups (monitor_id, period, start_at, checks, up, degraded, down, latency_sum_us, latency_max_us)
			SELECT monitor_id, '%s', (at / %d) * %d, COUNT(*),
				SUM(CASE WHEN outcome = 0 THEN 1 ELSE 0 END), SUM(CASE WHEN outcome = 1 THEN 1 ELSE 0 END),
				SUM(CASE WHEN outcome = 2 THEN 1 ELSE 0 END),
				SUM(CASE WHEN outcome < 2 THEN latency_us ELSE 0 END), MAX(CASE WHEN outcome < 2 THEN latency_us ELSE 0 END)
			FROM check_results WHERE at < ? GROUP BY monitor_id, (at / %d) * %d
			ON CONFLICT (monitor_id, period, start_at) DO UPDATE SET checks = check_rollups.checks + excluded.checks,
				up = check_rollups.up + excluded.up, degraded = check_rollups.degraded + excluded.degraded,
				down = check_rollups.down + excluded.down, latency_sum_us = check_rollups.latency_sum_us + excluded.latency_sum_us,
				latency_max_us = CASE WHEN check_rollups.latency_max_us > excluded.latency_max_us
					THEN check_rollups.latency_max_us ELSE excluded.latency_max_us END`, p.name, p.ms, p.ms, p.ms, p.ms),
			before.UnixMilli())
		if err != nil {
			return 0, fmt.Errorf("roll up checks by %s: %w", p.name, err)
		}
	}
	res, err := q.exec(ctx, `DELETE FROM check_results WHERE at < ?`, before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("delete rolled-up checks: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// Rollup is one period's totals for a monitor.
type Rollup struct {
	MonitorID              string
	Period                 string
	Start                  time.Time
	Checks, Up, Degraded   int
	Down                   int
	LatencySum, LatencyMax time.Duration
}

// Rollups lists a monitor's rollups of a period ("hour" or "day") since a time, oldest first.
func (q *Queries) Rollups(ctx context.Context, monitorID, period string, since time.Time) ([]Rollup, error) {
	rows, err := q.query(ctx, `SELECT monitor_id, period, start_at, checks, up, degraded, down, latency_sum_us, latency_max_us
		FROM check_rollups WHERE monitor_id = ? AND period = ? AND start_at >= ? ORDER BY start_at`, monitorID, period, since.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("list rollups: %w", err)
	}
	var out []Rollup
	err = eachRow(rows, func() error {
		var (
			r              Rollup
			start, sum, mx int64
		)
		if err := rows.Scan(&r.MonitorID, &r.Period, &start, &r.Checks, &r.Up, &r.Degraded, &r.Down, &sum, &mx); err != nil {
			return err
		}
		r.Start, r.LatencySum, r.LatencyMax = time.UnixMilli(start).UTC(), time.Duration(sum)*time.Microsecond, time.Duration(mx)*time.Microsecond
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list rollups: %w", err)
	}
	return out, nil
}

// InsertOutage stores a new outage and sets its ID.
func (q *Queries) InsertOutage(ctx context.Context, o *Outage) error {
	id, err := q.insertID(ctx, `INSERT INTO outages (component_id, monitor_id, severity, started_at, ended_at, cause,
			maintenance_id, incident_id, decision, detected_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.ComponentID, o.MonitorID, string(o.Severity), o.StartedAt.UnixMilli(), ms(o.EndedAt), o.Cause,
		nullID(o.MaintenanceID), nullID(o.IncidentID), o.Decision, o.DetectedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("insert outage: %w", err)
	}
	o.ID = id
	return nil
}

// ErrStale is returned when a record changed since it was read: a decision
// taken on the old copy must be taken again on the new one.
var ErrStale = errors.New("changed since it was read")

// DecideOutage stores what Herald decided about an outage (its decision,
// incident and maintenance window) and nothing it measured. It is a
// compare-and-set: it applies only while the stored decision and incident are
// still was's, so two deciders, or one working from a stale copy, cannot both
// decide; the loser gets ErrStale and its transaction rolls back.
func (q *Queries) DecideOutage(ctx context.Context, o *Outage, was Outage) error {
	res, err := q.exec(ctx, `UPDATE outages SET maintenance_id = ?, incident_id = ?, decision = ?
		WHERE id = ? AND decision = ? AND COALESCE(incident_id, 0) = ? AND COALESCE(maintenance_id, 0) = ?`,
		nullID(o.MaintenanceID), nullID(o.IncidentID), o.Decision, o.ID, was.Decision, was.IncidentID, was.MaintenanceID)
	if err != nil {
		return fmt.Errorf("decide outage %d: %w", o.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("decide outage %d: %w", o.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("outage %d: %w", o.ID, ErrStale)
	}
	return nil
}

// MeasureOutage stores what the monitors measure of an outage, its severity
// and end, leaving what Herald decided about it alone.
func (q *Queries) MeasureOutage(ctx context.Context, o *Outage) error {
	res, err := q.exec(ctx, `UPDATE outages SET severity = ?, ended_at = ? WHERE id = ?`, string(o.Severity), ms(o.EndedAt), o.ID)
	if err != nil {
		return fmt.Errorf("measure outage %d: %w", o.ID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("outage %d: %w", o.ID, ErrNotFound)
	}
	return nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// OutageFilter selects outages to list.
type OutageFilter struct {
	ComponentID string    // "" for all
	MonitorID   string    // "" for all
	Open        bool      // only those still lasting
	Since       time.Time // those lasting at or after this moment
	Until       time.Time // those started before this moment (zero: no bound)
	IncidentID  int64
	Undecided   bool // only those Herald has not decided on yet
	Limit       int  // newest first, at most this many; 0: all
}

// Outages lists outages, newest first.
func (q *Queries) Outages(ctx context.Context, f OutageFilter) ([]Outage, error) {
	var out []Outage
	if err := q.EachOutage(ctx, f, func(o *Outage) { out = append(out, *o) }); err != nil {
		return nil, err
	}
	return out, nil
}

// EachOutage calls fn with each outage Outages would list, in its order,
// for a reader that files them its own way (the pages, by component) and
// need not hold them all in one list first. The row is the same variable
// each time: fn copies what it keeps.
func (q *Queries) EachOutage(ctx context.Context, f OutageFilter, fn func(*Outage)) error {
	query, args := outagesQuery(f)
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("list outages: %w", err)
	}
	var o Outage
	err = eachRow(rows, func() error {
		var (
			severity          string
			started, detected int64
			ended, mid, iid   sql.NullInt64
		)
		if err := rows.Scan(&o.ID, &o.ComponentID, &o.MonitorID, &severity, &started, &ended, &o.Cause, &mid, &iid,
			&o.Decision, &detected); err != nil {
			return err
		}
		o.DetectedAt = time.UnixMilli(detected).UTC()
		o.Severity, o.StartedAt, o.EndedAt = status.MonitorState(severity), time.UnixMilli(started).UTC(), fromMS(ended)
		o.MaintenanceID, o.IncidentID = mid.Int64, iid.Int64
		fn(&o)
		return nil
	})
	if err != nil {
		return fmt.Errorf("list outages: %w", err)
	}
	return nil
}

// outagesQuery is the query Outages runs for f, and its arguments.
func outagesQuery(f OutageFilter) (string, []any) {
	var (
		where []string
		args  []any
	)
	if f.ComponentID != "" {
		where, args = append(where, "component_id = ?"), append(args, f.ComponentID)
	}
	if f.MonitorID != "" {
		where, args = append(where, "monitor_id = ?"), append(args, f.MonitorID)
	}
	if f.Open {
		where = append(where, "ended_at IS NULL")
	}
	if !f.Since.IsZero() {
		where, args = append(where, "(ended_at IS NULL OR ended_at > ?)"), append(args, f.Since.UnixMilli())
	}
	if !f.Until.IsZero() {
		where, args = append(where, "started_at < ?"), append(args, f.Until.UnixMilli())
	}
	if f.IncidentID != 0 {
		where, args = append(where, "incident_id = ?"), append(args, f.IncidentID)
	}
	if f.Undecided {
		where = append(where, "decision = ''")
	}
	query := `SELECT id, component_id, monitor_id, severity, started_at, ended_at, cause, maintenance_id, incident_id,
		decision, detected_at FROM outages`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	if !f.Since.IsZero() && f.Limit == 0 {
		// The rows are found by the ended_at index (migration 00016: two
		// searches, for the open ones and those ended since) and the few
		// that match sorted: SQLite would otherwise walk the whole
		// started_at index in order, one table lookup per outage ever
		// recorded (250 ms at 144,000 outages, ten years of a
		// 1,000-component fleet). "+ 0" only keeps that index from being
		// chosen for the order; the order is the same.
		query += " ORDER BY started_at + 0 DESC, id DESC"
	} else {
		query += " ORDER BY started_at DESC, id DESC"
	}
	if f.Limit > 0 {
		query += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	return query, args
}

// SetOverride sets (or replaces) a component's manual status.
func (q *Queries) SetOverride(ctx context.Context, o Override) error {
	_, err := q.exec(ctx, `INSERT INTO component_overrides (component_id, status, note, set_by, set_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (component_id) DO UPDATE SET status = excluded.status, note = excluded.note,
			set_by = excluded.set_by, set_at = excluded.set_at`,
		o.ComponentID, string(o.Status), o.Note, o.SetBy, o.SetAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("set override on %s: %w", o.ComponentID, err)
	}
	return nil
}

// ClearOverride removes a component's manual status; it reports whether there was one.
func (q *Queries) ClearOverride(ctx context.Context, componentID string) (bool, error) {
	res, err := q.exec(ctx, `DELETE FROM component_overrides WHERE component_id = ?`, componentID)
	if err != nil {
		return false, fmt.Errorf("clear override on %s: %w", componentID, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// Overrides lists every manual status.
func (q *Queries) Overrides(ctx context.Context) ([]Override, error) {
	rows, err := q.query(ctx, `SELECT component_id, status, note, set_by, set_at FROM component_overrides ORDER BY component_id`)
	if err != nil {
		return nil, fmt.Errorf("list overrides: %w", err)
	}
	var out []Override
	err = eachRow(rows, func() error {
		var (
			o  Override
			st string
			at int64
		)
		if err := rows.Scan(&o.ComponentID, &st, &o.Note, &o.SetBy, &at); err != nil {
			return err
		}
		o.Status, o.SetAt = status.ComponentStatus(st), time.UnixMilli(at).UTC()
		out = append(out, o)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list overrides: %w", err)
	}
	return out, nil
}

// insertChecks begins the statement that stores a chunk of results.
//
// On SQLite it is INSERT OR FAIL: a plain INSERT of many rows "may abort"
// part-way, so SQLite keeps a statement journal, a copy of every page the
// statement changes, to undo it alone; a chunk of results changes a page of
// the (monitor_id, at) index per monitor, so the copy outgrew its 64 KiB in
// memory and went to a temporary file, a write for every page the commit
// then wrote again to the WAL. OR FAIL keeps the rows written before a
// failing one, which changes nothing here: an error ends the transaction
// the chunk is written in, and the writer keeps the batch for its next try.
func (q *Queries) insertChecks() string {
	verb := "INSERT"
	if q.dialect == SQLite {
		verb = "INSERT OR FAIL"
	}
	return verb + ` INTO check_results (monitor_id, at, latency_us, outcome, message) VALUES `
}

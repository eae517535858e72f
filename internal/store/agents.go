package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/status"
)

// Agent is a probe agent's location as the server last heard from it.
type Agent struct {
	Location    string
	Version     string
	FirstSeenAt time.Time
	LastSeenAt  time.Time
	Results     int64 // results stored from it
	Dropped     int64 // results its buffer dropped, as it last reported
	SilentSince time.Time
	// NetworkLostSince is set while the decider counts the location out
	// because its agent has lost its own network; NetworkBackAt is when the
	// last such episode ended.
	NetworkLostSince time.Time
	NetworkBackAt    time.Time
}

// AgentResult is one check an agent ran, as it pushed it.
type AgentResult struct {
	ID         int64
	Location   string
	RID        string // the agent's id of the result: a resent one is stored once
	MonitorID  string
	At         time.Time
	Level      status.Level
	Latency    time.Duration
	Message    string
	ReceivedAt time.Time
}

// LocationState is a monitor's detector as one location sees it.
type LocationState struct {
	MonitorID   string
	Location    string
	Detector    status.Detector
	LastCheckAt time.Time
	LastLevel   status.Level
	LastMessage string
}

// LocationInterval is a measured interval in which one location saw a
// monitor degraded or down. EndedAt is zero while it lasts.
type LocationInterval struct {
	ID          int64
	MonitorID   string
	ComponentID string
	Location    string
	Severity    status.MonitorState
	StartedAt   time.Time
	EndedAt     time.Time
	Cause       string
}

// TouchAgent records a contact from location's agent; dropped < 0 leaves
// the dropped count as it was.
func (q *Queries) TouchAgent(ctx context.Context, location, version string, dropped int64, at time.Time) error {
	_, err := q.exec(ctx, `INSERT INTO agents (location, version, first_seen_at, last_seen_at, dropped) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (location) DO UPDATE SET version = CASE WHEN excluded.version = '' THEN agents.version ELSE excluded.version END, last_seen_at = excluded.last_seen_at,
			dropped = CASE WHEN ? < 0 THEN agents.dropped ELSE excluded.dropped END`,
		location, version, at.UnixMilli(), at.UnixMilli(), max(dropped, 0), dropped)
	if err != nil {
		return fmt.Errorf("note agent %s: %w", location, err)
	}
	return nil
}

// SetAgentSilent marks location's agent silent since at, or reporting again when at is zero.
func (q *Queries) SetAgentSilent(ctx context.Context, location string, at time.Time) error {
	if _, err := q.exec(ctx, `UPDATE agents SET silent_since = ? WHERE location = ?`, ms(at), location); err != nil {
		return fmt.Errorf("mark agent %s: %w", location, err)
	}
	return nil
}

// SetAgentNetwork records location's network: lost since lostSince (zero: sound), the last loss ended at backAt.
func (q *Queries) SetAgentNetwork(ctx context.Context, location string, lostSince, backAt time.Time) error {
	if _, err := q.exec(ctx, `UPDATE agents SET network_lost_since = ?, network_back_at = ? WHERE location = ?`, ms(lostSince), ms(backAt), location); err != nil {
		return fmt.Errorf("mark agent %s's network: %w", location, err)
	}
	return nil
}

// Agents lists every location an agent has reported from, by name.
func (q *Queries) Agents(ctx context.Context) ([]Agent, error) {
	rows, err := q.query(ctx, `SELECT location, version, first_seen_at, last_seen_at, results, dropped, silent_since,
		network_lost_since, network_back_at FROM agents ORDER BY location`)
	if err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	var out []Agent
	err = eachRow(rows, func() error {
		var (
			a           Agent
			first, last int64
			silent      sql.NullInt64
			lost, back  sql.NullInt64
		)
		if err := rows.Scan(&a.Location, &a.Version, &first, &last, &a.Results, &a.Dropped, &silent, &lost, &back); err != nil {
			return err
		}
		a.NetworkLostSince, a.NetworkBackAt = fromMS(lost), fromMS(back)
		a.FirstSeenAt, a.LastSeenAt, a.SilentSince = time.UnixMilli(first).UTC(), time.UnixMilli(last).UTC(), fromMS(silent)
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	return out, nil
}

// InsertAgentResults stores results pushed by location's agent; one it
// already sent (same RID) is skipped. It returns how many were new.
func (q *Queries) InsertAgentResults(ctx context.Context, location string, rs []AgentResult, at time.Time) (int, error) {
	stored := 0
	for len(rs) > 0 {
		n := min(len(rs), resultChunk)
		var b strings.Builder
		b.WriteString(`INSERT INTO agent_results (location, rid, monitor_id, at, level, latency_us, message, received_at) VALUES `)
		args := make([]any, 0, n*8)
		for i, r := range rs[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, location, r.RID, r.MonitorID, r.At.UnixMilli(), int(r.Level), r.Latency.Microseconds(), r.Message, at.UnixMilli())
		}
		b.WriteString(` ON CONFLICT (location, rid) DO NOTHING`)
		res, err := q.exec(ctx, b.String(), args...)
		if err != nil {
			return stored, fmt.Errorf("insert agent results: %w", err)
		}
		if k, err := res.RowsAffected(); err == nil {
			stored += int(k)
		}
		rs = rs[n:]
	}
	if _, err := q.exec(ctx, `UPDATE agents SET results = results + ? WHERE location = ?`, stored, location); err != nil {
		return stored, fmt.Errorf("count agent results: %w", err)
	}
	return stored, nil
}

// UndecidedAgentResults returns up to limit results not yet applied, earliest check first.
func (q *Queries) UndecidedAgentResults(ctx context.Context, limit int) ([]AgentResult, error) {
	rows, err := q.query(ctx, `SELECT id, location, rid, monitor_id, at, level, latency_us, message, received_at
		FROM agent_results WHERE decided = 0 ORDER BY at, id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("read agent results: %w", err)
	}
	var out []AgentResult
	err = eachRow(rows, func() error {
		var (
			r                 AgentResult
			at, lat, received int64
			level             int
		)
		if err := rows.Scan(&r.ID, &r.Location, &r.RID, &r.MonitorID, &at, &level, &lat, &r.Message, &received); err != nil {
			return err
		}
		r.At, r.Level, r.Latency, r.ReceivedAt = time.UnixMilli(at).UTC(), status.Level(level), time.Duration(lat)*time.Microsecond, time.UnixMilli(received).UTC()
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read agent results: %w", err)
	}
	return out, nil
}

// MarkAgentResultsDecided notes that the results with these ids were applied.
func (q *Queries) MarkAgentResultsDecided(ctx context.Context, ids []int64) error {
	for len(ids) > 0 {
		n := min(len(ids), resultChunk)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		if _, err := q.exec(ctx, `UPDATE agent_results SET decided = 1 WHERE id IN (`+placeholders(n)+`)`, args...); err != nil {
			return fmt.Errorf("mark agent results: %w", err)
		}
		ids = ids[n:]
	}
	return nil
}

// CountAgentResults counts the stored results of location's agent for a monitor ("" for all).
func (q *Queries) CountAgentResults(ctx context.Context, location, monitorID string) (int64, error) {
	var n int64
	err := q.queryRow(ctx, `SELECT COUNT(*) FROM agent_results WHERE location = ? AND (? = '' OR monitor_id = ?)`,
		location, monitorID, monitorID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count agent results: %w", err)
	}
	return n, nil
}

// LocationStates lists every monitor's detector per location.
func (q *Queries) LocationStates(ctx context.Context) ([]LocationState, error) {
	rows, err := q.query(ctx, `SELECT monitor_id, location, detector, last_check_at, last_level, last_message
		FROM location_states ORDER BY monitor_id, location`)
	if err != nil {
		return nil, fmt.Errorf("list location states: %w", err)
	}
	var out []LocationState
	err = eachRow(rows, func() error {
		var (
			s     LocationState
			det   string
			last  sql.NullInt64
			level int
		)
		if err := rows.Scan(&s.MonitorID, &s.Location, &det, &last, &level, &s.LastMessage); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(det), &s.Detector); err != nil {
			return fmt.Errorf("location state %s@%s: %w", s.MonitorID, s.Location, err)
		}
		s.LastCheckAt, s.LastLevel = fromMS(last), status.Level(level)
		out = append(out, s)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list location states: %w", err)
	}
	return out, nil
}

// SaveLocationStates writes the detectors given, many to a statement.
func (q *Queries) SaveLocationStates(ctx context.Context, states []LocationState) error {
	const chunk = 200 // six parameters each: well under both databases' limits
	for len(states) > 0 {
		n := min(len(states), chunk)
		var b strings.Builder
		b.WriteString(`INSERT INTO location_states (monitor_id, location, detector, last_check_at, last_level, last_message) VALUES `)
		args := make([]any, 0, n*6)
		for i, s := range states[:n] {
			det, err := json.Marshal(s.Detector)
			if err != nil {
				return err
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, ?, ?)")
			args = append(args, s.MonitorID, s.Location, string(det), ms(s.LastCheckAt), int(s.LastLevel), s.LastMessage)
		}
		b.WriteString(` ON CONFLICT (monitor_id, location) DO UPDATE SET detector = excluded.detector,
			last_check_at = excluded.last_check_at, last_level = excluded.last_level, last_message = excluded.last_message`)
		if _, err := q.exec(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("save location states: %w", err)
		}
		states = states[n:]
	}
	return nil
}

// InsertLocationInterval stores a new interval and sets its ID.
func (q *Queries) InsertLocationInterval(ctx context.Context, li *LocationInterval) error {
	id, err := q.insertID(ctx, `INSERT INTO location_intervals (monitor_id, component_id, location, severity, started_at, ended_at, cause)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, li.MonitorID, li.ComponentID, li.Location, string(li.Severity), li.StartedAt.UnixMilli(), ms(li.EndedAt), li.Cause)
	if err != nil {
		return fmt.Errorf("insert location interval: %w", err)
	}
	li.ID = id
	return nil
}

// UpdateLocationInterval writes an interval's severity and end.
func (q *Queries) UpdateLocationInterval(ctx context.Context, li *LocationInterval) error {
	if _, err := q.exec(ctx, `UPDATE location_intervals SET severity = ?, ended_at = ? WHERE id = ?`,
		string(li.Severity), ms(li.EndedAt), li.ID); err != nil {
		return fmt.Errorf("update location interval: %w", err)
	}
	return nil
}

// LocationIntervals lists intervals, the open ones alone when open is set,
// else those of componentID ("" for every one) that overlap [since, now).
func (q *Queries) LocationIntervals(ctx context.Context, open bool, componentID string, since time.Time) ([]LocationInterval, error) {
	query := `SELECT id, monitor_id, component_id, location, severity, started_at, ended_at, cause FROM location_intervals`
	var args []any
	if open {
		query += ` WHERE ended_at IS NULL`
	} else {
		query += ` WHERE (? = '' OR component_id = ?) AND (ended_at IS NULL OR ended_at > ?)`
		args = append(args, componentID, componentID, since.UnixMilli())
	}
	rows, err := q.query(ctx, query+` ORDER BY started_at, location`, args...)
	if err != nil {
		return nil, fmt.Errorf("list location intervals: %w", err)
	}
	var out []LocationInterval
	err = eachRow(rows, func() error {
		var (
			li    LocationInterval
			start int64
			end   sql.NullInt64
			sev   string
		)
		if err := rows.Scan(&li.ID, &li.MonitorID, &li.ComponentID, &li.Location, &sev, &start, &end, &li.Cause); err != nil {
			return err
		}
		li.Severity, li.StartedAt, li.EndedAt = status.MonitorState(sev), time.UnixMilli(start).UTC(), fromMS(end)
		out = append(out, li)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list location intervals: %w", err)
	}
	return out, nil
}

// AgentResultTimes lists the times of location's results in [from, to], in order.
func (q *Queries) AgentResultTimes(ctx context.Context, location string, from, to time.Time) ([]time.Time, error) {
	rows, err := q.query(ctx, `SELECT at FROM agent_results WHERE location = ? AND at >= ? AND at <= ? ORDER BY at`,
		location, from.UnixMilli(), to.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("list agent results: %w", err)
	}
	var out []time.Time
	err = eachRow(rows, func() error {
		var at int64
		if err := rows.Scan(&at); err != nil {
			return err
		}
		out = append(out, time.UnixMilli(at).UTC())
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list agent results: %w", err)
	}
	return out, nil
}

// PruneAgentResults deletes applied results checked before before; it returns how many went.
func (q *Queries) PruneAgentResults(ctx context.Context, before time.Time) (int64, error) {
	res, err := q.exec(ctx, `DELETE FROM agent_results WHERE decided = 1 AND at < ?`, before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("prune agent results: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

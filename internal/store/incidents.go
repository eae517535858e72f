package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/heraldhq/herald/internal/status"
)

// IncidentFilter selects incidents to list.
type IncidentFilter struct {
	// State is "open" (published, unresolved), "resolved" (published),
	// "draft", "published" or "" for all.
	State string
	// Since, when set, keeps incidents still open at or started after it.
	Since time.Time
	// Limit caps the count; 0 means no limit.
	Limit int
}

const incidentColumns = `id, title, impact, status, draft, auto, started_at, identified_at, monitoring_at,
	resolved_at, published_at, created_at, updated_at, postmortem, postmortem_published_at, postmortem_html, postmortem_text`

// InsertIncident stores a new incident with its components (not its updates) and sets its ID.
func (q *Queries) InsertIncident(ctx context.Context, in *status.Incident) error {
	in.PostmortemRendered = render(in.Postmortem)
	id, err := q.insertID(ctx, `INSERT INTO incidents (title, impact, status, draft, auto, started_at, identified_at,
			monitoring_at, resolved_at, published_at, created_at, updated_at, postmortem, postmortem_published_at,
			postmortem_html, postmortem_text)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		in.Title, string(in.Impact), string(in.Status), in.Draft, in.Auto, in.StartedAt.UnixMilli(), ms(in.IdentifiedAt),
		ms(in.MonitoringAt), ms(in.ResolvedAt), ms(in.PublishedAt), in.CreatedAt.UnixMilli(), in.UpdatedAt.UnixMilli(),
		in.Postmortem, ms(in.PostmortemPublishedAt), string(in.PostmortemRendered.HTML), in.PostmortemRendered.Text)
	if err != nil {
		return fmt.Errorf("insert incident: %w", err)
	}
	in.ID = id
	return q.replaceIncidentComponents(ctx, in)
}

// SaveIncident stores an incident's fields and components (not its updates
// or links). The postmortem is rendered again only when its text changed.
func (q *Queries) SaveIncident(ctx context.Context, in *status.Incident) error {
	res, err := q.exec(ctx, `UPDATE incidents SET title = ?, impact = ?, status = ?, draft = ?, auto = ?, started_at = ?,
			identified_at = ?, monitoring_at = ?, resolved_at = ?, published_at = ?, updated_at = ?,
			postmortem = ?, postmortem_published_at = ?,
			postmortem_html = CASE WHEN postmortem = ? THEN postmortem_html END,
			postmortem_text = CASE WHEN postmortem = ? THEN postmortem_text END
		WHERE id = ?`,
		in.Title, string(in.Impact), string(in.Status), in.Draft, in.Auto, in.StartedAt.UnixMilli(),
		ms(in.IdentifiedAt), ms(in.MonitoringAt), ms(in.ResolvedAt), ms(in.PublishedAt), in.UpdatedAt.UnixMilli(),
		in.Postmortem, ms(in.PostmortemPublishedAt), in.Postmortem, in.Postmortem, in.ID)
	if err != nil {
		return fmt.Errorf("save incident %d: %w", in.ID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("incident %d: %w", in.ID, ErrNotFound)
	}
	if r, ok, err := q.renderPending(ctx, postmortemColumns, in.ID); err != nil {
		return err
	} else if ok {
		in.PostmortemRendered = r
	}
	return q.replaceIncidentComponents(ctx, in)
}

func (q *Queries) replaceIncidentComponents(ctx context.Context, in *status.Incident) error {
	if _, err := q.exec(ctx, `DELETE FROM incident_components WHERE incident_id = ?`, in.ID); err != nil {
		return fmt.Errorf("clear incident components: %w", err)
	}
	for _, c := range in.Components {
		if _, err := q.exec(ctx, `INSERT INTO incident_components (incident_id, component_id, status) VALUES (?, ?, ?)`,
			in.ID, c.ComponentID, string(c.Status)); err != nil {
			return fmt.Errorf("insert incident component %s: %w", c.ComponentID, err)
		}
	}
	return nil
}

// SetIncidentUpdateBody replaces the text of one of an incident's updates.
func (q *Queries) SetIncidentUpdateBody(ctx context.Context, incidentID, updateID int64, body string) error {
	r := render(body)
	res, err := q.exec(ctx, `UPDATE incident_updates SET body = ?, body_html = ?, body_text = ? WHERE id = ? AND incident_id = ?`,
		body, string(r.HTML), r.Text, updateID, incidentID)
	if err != nil {
		return fmt.Errorf("edit incident update %d: %w", updateID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("update %d of incident %d: %w", updateID, incidentID, ErrNotFound)
	}
	return nil
}

// AddIncidentUpdateChanges records component changes on an update already
// stored (a component that joined the incident after it was posted); a
// component it already names takes the newer status.
func (q *Queries) AddIncidentUpdateChanges(ctx context.Context, updateID int64, changes []status.ComponentChange) error {
	for _, c := range changes {
		if _, err := q.exec(ctx, `INSERT INTO incident_update_changes (update_id, component_id, old_status, new_status)
			VALUES (?, ?, ?, ?) ON CONFLICT (update_id, component_id) DO UPDATE SET new_status = excluded.new_status`,
			updateID, c.ComponentID, string(c.Old), string(c.New)); err != nil {
			return fmt.Errorf("add component change %s: %w", c.ComponentID, err)
		}
	}
	return nil
}

// InsertIncidentUpdate stores an update with its component changes and sets its ID.
func (q *Queries) InsertIncidentUpdate(ctx context.Context, u *status.IncidentUpdate) error {
	u.Rendered = render(u.Body)
	id, err := q.insertID(ctx, `INSERT INTO incident_updates (incident_id, status, body, body_html, body_text, created_at, display_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, u.IncidentID, string(u.Status), u.Body, string(u.Rendered.HTML), u.Rendered.Text,
		u.CreatedAt.UnixMilli(), u.DisplayAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("insert incident update: %w", err)
	}
	u.ID = id
	for _, c := range u.Changes {
		if _, err := q.exec(ctx, `INSERT INTO incident_update_changes (update_id, component_id, old_status, new_status)
			VALUES (?, ?, ?, ?)`, id, c.ComponentID, string(c.Old), string(c.New)); err != nil {
			return fmt.Errorf("insert component change %s: %w", c.ComponentID, err)
		}
	}
	return nil
}

// DeleteIncident removes an incident with its updates and links.
func (q *Queries) DeleteIncident(ctx context.Context, id int64) error {
	res, err := q.exec(ctx, `DELETE FROM incidents WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete incident %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("incident %d: %w", id, ErrNotFound)
	}
	return nil
}

// LinkIncidents records that two incidents are related. Linking twice is harmless.
func (q *Queries) LinkIncidents(ctx context.Context, a, b int64) error {
	if a > b {
		a, b = b, a
	}
	_, err := q.exec(ctx, `INSERT INTO incident_links (a, b) VALUES (?, ?) ON CONFLICT (a, b) DO NOTHING`, a, b)
	if err != nil {
		return fmt.Errorf("link incidents %d and %d: %w", a, b, err)
	}
	return nil
}

// UnlinkIncidents removes a link; it is not an error if there was none.
func (q *Queries) UnlinkIncidents(ctx context.Context, a, b int64) error {
	if a > b {
		a, b = b, a
	}
	if _, err := q.exec(ctx, `DELETE FROM incident_links WHERE a = ? AND b = ?`, a, b); err != nil {
		return fmt.Errorf("unlink incidents %d and %d: %w", a, b, err)
	}
	return nil
}

// Incident loads one incident whole.
func (q *Queries) Incident(ctx context.Context, id int64) (*status.Incident, error) {
	list, err := q.loadIncidents(ctx, `SELECT `+incidentColumns+` FROM incidents WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("incident %d: %w", id, ErrNotFound)
	}
	return &list[0], nil
}

// Incidents lists incidents whole, newest start first.
func (q *Queries) Incidents(ctx context.Context, f IncidentFilter) ([]status.Incident, error) {
	query := `SELECT ` + incidentColumns + ` FROM incidents WHERE 1 = 1`
	var args []any
	switch f.State {
	case "":
	case "open":
		query += ` AND draft = ? AND status <> 'resolved'`
		args = append(args, false)
	case "resolved":
		query += ` AND draft = ? AND status = 'resolved'`
		args = append(args, false)
	case "draft":
		query += ` AND draft = ?`
		args = append(args, true)
	case "published":
		query += ` AND draft = ?`
		args = append(args, false)
	default:
		return nil, fmt.Errorf("unknown incident state %q", f.State)
	}
	if !f.Since.IsZero() {
		query += ` AND (started_at >= ? OR status <> 'resolved' OR resolved_at >= ?)`
		args = append(args, f.Since.UnixMilli(), f.Since.UnixMilli())
	}
	query += ` ORDER BY started_at DESC, id DESC`
	if f.Limit > 0 {
		query += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	return q.loadIncidents(ctx, query, args...)
}

// Keeps reports whether Incidents with f (its State and Since; not its
// Limit) lists in: the same rule as the query above, for a cache that reads
// one incident again and must know whether it still belongs.
func (f IncidentFilter) Keeps(in *status.Incident) bool {
	resolved := in.Status == status.Resolved
	switch f.State {
	case "open":
		if in.Draft || resolved {
			return false
		}
	case "resolved":
		if in.Draft || !resolved {
			return false
		}
	case "draft":
		if !in.Draft {
			return false
		}
	case "published":
		if in.Draft {
			return false
		}
	}
	if !f.Since.IsZero() {
		ms := f.Since.UnixMilli()
		return in.StartedAt.UnixMilli() >= ms || !resolved || in.ResolvedAt.UnixMilli() >= ms
	}
	return true
}

func (q *Queries) loadIncidents(ctx context.Context, query string, args ...any) ([]status.Incident, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	var list []status.Incident
	for rows.Next() {
		in, err := scanIncident(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		list = append(list, in)
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	if len(list) == 0 {
		return nil, nil
	}
	index := make(map[int64]*status.Incident, len(list))
	ids := make([]int64, len(list))
	for i := range list {
		index[list[i].ID] = &list[i]
		ids[i] = list[i].ID
	}
	for _, chunk := range chunks(ids, 500) {
		if err := q.fillIncidents(ctx, index, chunk); err != nil {
			return nil, err
		}
	}
	return list, nil
}

func scanIncident(rows *sql.Rows) (status.Incident, error) {
	var (
		in                                                       status.Incident
		impact, st                                               string
		started, created, updated                                int64
		identified, monitoring, resolved, published, pmPublished sql.NullInt64
		pmHTML, pmText                                           sql.NullString
	)
	err := rows.Scan(&in.ID, &in.Title, &impact, &st, &in.Draft, &in.Auto, &started, &identified, &monitoring,
		&resolved, &published, &created, &updated, &in.Postmortem, &pmPublished, &pmHTML, &pmText)
	if err != nil {
		return in, fmt.Errorf("scan incident: %w", err)
	}
	in.PostmortemRendered = stored(in.Postmortem, pmHTML, pmText)
	in.Impact, in.Status = status.Impact(impact), status.IncidentStatus(st)
	in.StartedAt = time.UnixMilli(started).UTC()
	in.CreatedAt, in.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	in.IdentifiedAt, in.MonitoringAt, in.ResolvedAt = fromMS(identified), fromMS(monitoring), fromMS(resolved)
	in.PublishedAt, in.PostmortemPublishedAt = fromMS(published), fromMS(pmPublished)
	return in, nil
}

// fillIncidents loads components, updates (with changes) and links for a set of incidents.
func (q *Queries) fillIncidents(ctx context.Context, index map[int64]*status.Incident, ids []int64) error {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	in := placeholders(len(ids))

	rows, err := q.query(ctx, `SELECT ic.incident_id, ic.component_id, ic.status FROM incident_components ic
		JOIN components c ON c.id = ic.component_id JOIN groups g ON g.id = c.group_id
		WHERE ic.incident_id IN (`+in+`) ORDER BY g.position, c.position, c.id`, args...)
	if err != nil {
		return fmt.Errorf("load incident components: %w", err)
	}
	err = eachRow(rows, func() error {
		var (
			id      int64
			ac      status.AffectedComponent
			current string
		)
		if err := rows.Scan(&id, &ac.ComponentID, &current); err != nil {
			return err
		}
		ac.Status = status.ComponentStatus(current)
		index[id].Components = append(index[id].Components, ac)
		return nil
	})
	if err != nil {
		return fmt.Errorf("load incident components: %w", err)
	}

	updates := map[int64]*status.IncidentUpdate{}
	var order []int64
	rows, err = q.query(ctx, `SELECT id, incident_id, status, body, body_html, body_text, created_at, display_at FROM incident_updates
		WHERE incident_id IN (`+in+`) ORDER BY display_at DESC, id DESC`, args...)
	if err != nil {
		return fmt.Errorf("load incident updates: %w", err)
	}
	var all []status.IncidentUpdate
	err = eachRow(rows, func() error {
		var (
			u                  status.IncidentUpdate
			st                 string
			created, displayAt int64
			html, text         sql.NullString
		)
		if err := rows.Scan(&u.ID, &u.IncidentID, &st, &u.Body, &html, &text, &created, &displayAt); err != nil {
			return err
		}
		u.Rendered = stored(u.Body, html, text)
		u.Status = status.IncidentStatus(st)
		u.CreatedAt, u.DisplayAt = time.UnixMilli(created).UTC(), time.UnixMilli(displayAt).UTC()
		all = append(all, u)
		return nil
	})
	if err != nil {
		return fmt.Errorf("load incident updates: %w", err)
	}
	for i := range all {
		updates[all[i].ID] = &all[i]
		order = append(order, all[i].ID)
	}
	if len(order) > 0 {
		if err := q.fillUpdateChanges(ctx, updates, order); err != nil {
			return err
		}
	}
	for i := range all {
		inc := index[all[i].IncidentID]
		inc.Updates = append(inc.Updates, all[i])
	}

	// A link between incidents in different chunks is read once per chunk, so
	// each chunk fills in only its own incidents' links.
	inChunk := make(map[int64]bool, len(ids))
	for _, id := range ids {
		inChunk[id] = true
	}
	rows, err = q.query(ctx, `SELECT a, b FROM incident_links WHERE a IN (`+in+`) OR b IN (`+in+`)`, append(args, args...)...)
	if err != nil {
		return fmt.Errorf("load incident links: %w", err)
	}
	err = eachRow(rows, func() error {
		var a, b int64
		if err := rows.Scan(&a, &b); err != nil {
			return err
		}
		if inChunk[a] {
			index[a].Links = append(index[a].Links, b)
		}
		if inChunk[b] {
			index[b].Links = append(index[b].Links, a)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("load incident links: %w", err)
	}
	for _, id := range ids {
		links := index[id].Links
		sort.Slice(links, func(i, j int) bool { return links[i] < links[j] })
	}
	return nil
}

func (q *Queries) fillUpdateChanges(ctx context.Context, updates map[int64]*status.IncidentUpdate, ids []int64) error {
	for _, chunk := range chunks(ids, 500) {
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := q.query(ctx, `SELECT update_id, component_id, old_status, new_status FROM incident_update_changes
			WHERE update_id IN (`+placeholders(len(chunk))+`) ORDER BY update_id, component_id`, args...)
		if err != nil {
			return fmt.Errorf("load component changes: %w", err)
		}
		err = eachRow(rows, func() error {
			var (
				id       int64
				c        status.ComponentChange
				old, new string
			)
			if err := rows.Scan(&id, &c.ComponentID, &old, &new); err != nil {
				return err
			}
			c.Old, c.New = status.ComponentStatus(old), status.ComponentStatus(new)
			updates[id].Changes = append(updates[id].Changes, c)
			return nil
		})
		if err != nil {
			return fmt.Errorf("load component changes: %w", err)
		}
	}
	return nil
}

// eachRow calls fn for every row and closes rows, returning the first error.
func eachRow(rows *sql.Rows, fn func() error) error {
	defer rows.Close()
	for rows.Next() {
		if err := fn(); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return rows.Close()
}

func chunks(ids []int64, size int) [][]int64 {
	var out [][]int64
	for len(ids) > size {
		out = append(out, ids[:size])
		ids = ids[size:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}

// IsNotFound reports whether err means a record does not exist.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

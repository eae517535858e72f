package service

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/heraldhq/herald/internal/markdown"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

// Limits on text fields, generous for prose and small enough to keep pages
// sane. A body is Markdown: the renderer's limit is the one that holds.
const (
	maxTitle = 200
	maxBody  = markdown.MaxBytes
	// maxClockSkew tolerates a client whose clock runs a little ahead.
	maxClockSkew = time.Minute
)

// NewIncident is a request to open an incident.
type NewIncident struct {
	Title      string
	Impact     status.Impact // empty: suggested from the worst component status
	Status     status.IncidentStatus
	Body       string
	Components map[string]status.ComponentStatus
	StartedAt  time.Time // zero: now
	Draft      bool
	Auto       bool
}

// IncidentUpdate is a request to post an update.
type IncidentUpdate struct {
	Status     status.IncidentStatus // empty: unchanged
	Body       string
	Components map[string]status.ComponentStatus
	// At backdates the update (and a resolution); zero means now.
	At time.Time
}

// Resolution is a request to resolve an incident.
type Resolution struct {
	Body       string
	ResolvedAt time.Time // zero: now
	Postmortem string
}

// IncidentEdit changes an incident's fields; nil fields stay as they are.
type IncidentEdit struct {
	Title      *string
	Impact     *status.Impact
	StartedAt  *time.Time
	ResolvedAt *time.Time
}

func checkText(field, s string, limit int, required bool) error {
	if required && strings.TrimSpace(s) == "" {
		return invalidf("%s is required", field)
	}
	if !utf8.ValidString(s) {
		return invalidf("%s is not valid UTF-8", field)
	}
	// NUL cannot be stored in PostgreSQL text, and no other control character
	// but tab and line breaks belongs in prose.
	if i := strings.IndexFunc(s, func(r rune) bool { return r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f }); i >= 0 {
		return invalidf("%s contains a control character (byte %d)", field, i)
	}
	if len(s) > limit {
		return invalidf("%s is too long (%d bytes; at most %d)", field, len(s), limit)
	}
	return nil
}

func (s *Service) checkComponentStatuses(m map[string]status.ComponentStatus) error {
	ids := make([]string, 0, len(m))
	for id, st := range m {
		if !st.Valid() || st == status.UnderMaintenance {
			return invalidf("component %s: status %q is not one an incident can set (want operational, degraded_performance, partial_outage or major_outage)", id, st)
		}
		ids = append(ids, id)
	}
	return s.checkComponents(ids)
}

// checkPast refuses times in the future (beyond a little clock skew).
func (s *Service) checkPast(field string, t time.Time) error {
	if t.After(s.Now().Add(maxClockSkew)) {
		return invalidf("%s %s is in the future", field, t.UTC().Format(time.RFC3339))
	}
	return nil
}

// OpenIncident opens an incident with its first update.
func (s *Service) OpenIncident(ctx context.Context, actor string, req NewIncident) (*status.Incident, error) {
	now := s.Now()
	if err := checkText("title", req.Title, maxTitle, true); err != nil {
		return nil, err
	}
	if err := checkText("body", req.Body, maxBody, true); err != nil {
		return nil, err
	}
	if len(req.Components) == 0 {
		return nil, invalidf("at least one affected component is required")
	}
	if err := s.checkComponentStatuses(req.Components); err != nil {
		return nil, err
	}
	st := req.Status
	if st == "" {
		st = status.Investigating
	}
	if !st.Valid() || st == status.Resolved {
		return nil, invalidf("an incident opens as investigating, identified or monitoring, not %q", st)
	}
	impact := req.Impact
	if impact == "" {
		worst := status.Operational
		for _, cs := range req.Components {
			worst = status.Worst(worst, cs)
		}
		impact = status.ImpactFor(worst)
	}
	if !impact.Valid() {
		return nil, invalidf("unknown impact %q", impact)
	}
	started := req.StartedAt
	if started.IsZero() {
		started = now
	}
	if err := s.checkPast("started_at", started); err != nil {
		return nil, err
	}
	in := &status.Incident{
		Title: strings.TrimSpace(req.Title), Impact: impact, Status: st, Draft: req.Draft, Auto: req.Auto,
		StartedAt: started.UTC(), CreatedAt: now, UpdatedAt: now,
	}
	if !req.Draft {
		in.PublishedAt = now
	}
	stampStatus(in, st, now)
	// A backdated start shows the first update at the start, so a backdated
	// resolution never sorts before it.
	update := &status.IncidentUpdate{Status: st, Body: req.Body, CreatedAt: now, DisplayAt: started.UTC()}
	for _, id := range sortedIDs(req.Components) {
		in.Components = append(in.Components, status.AffectedComponent{ComponentID: id, Status: req.Components[id]})
		update.Changes = append(update.Changes, status.ComponentChange{ComponentID: id, Old: status.Operational, New: req.Components[id]})
	}
	err := s.store.Tx(ctx, func(q *store.Queries) error {
		if err := q.InsertIncident(ctx, in); err != nil {
			return err
		}
		update.IncidentID = in.ID
		if err := q.InsertIncidentUpdate(ctx, update); err != nil {
			return err
		}
		in.Updates = []status.IncidentUpdate{*update}
		return s.record(ctx, q, now, actor, "incident.create", subject("incident", in.ID), nil, in)
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("incident opened", slog.Int64("id", in.ID), slog.String("actor", actor), slog.String("title", in.Title), slog.Bool("draft", in.Draft))
	s.changedAfter(ctx)
	return in, nil
}

// stampStatus sets the lifecycle timestamp that goes with reaching a status.
func stampStatus(in *status.Incident, st status.IncidentStatus, at time.Time) {
	switch st {
	case status.Identified:
		if in.IdentifiedAt.IsZero() {
			in.IdentifiedAt = at
		}
	case status.Monitoring:
		if in.MonitoringAt.IsZero() {
			in.MonitoringAt = at
		}
	}
}

// change loads an incident, lets fn alter it inside a transaction, and
// records the change with the incident before and after.
func (s *Service) change(ctx context.Context, actor, action string, id int64, fn func(q *store.Queries, in *status.Incident, now time.Time) error) (*status.Incident, error) {
	now := s.Now()
	var after *status.Incident
	err := s.store.Tx(ctx, func(q *store.Queries) error {
		if err := q.LockIncident(ctx, id); err != nil {
			return notFound(err, "incident", id)
		}
		before, err := q.Incident(ctx, id)
		if err != nil {
			return notFound(err, "incident", id)
		}
		if err := fn(q, before.Clone(), now); err != nil {
			return err
		}
		if after, err = q.Incident(ctx, id); err != nil {
			return err
		}
		return s.record(ctx, q, now, actor, action, subject("incident", id), before, after)
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("incident changed", slog.Int64("id", id), slog.String("action", action), slog.String("actor", actor))
	s.changedAfter(ctx)
	return after, nil
}

// PostIncidentUpdate adds an update; it may change the status and components.
func (s *Service) PostIncidentUpdate(ctx context.Context, actor string, id int64, req IncidentUpdate) (*status.Incident, error) {
	if err := checkText("body", req.Body, maxBody, true); err != nil {
		return nil, err
	}
	if err := s.checkComponentStatuses(req.Components); err != nil {
		return nil, err
	}
	if req.Status != "" && !req.Status.Valid() {
		return nil, invalidf("unknown incident status %q (want investigating, identified, monitoring or resolved)", req.Status)
	}
	if !req.At.IsZero() {
		if err := s.checkPast("at", req.At); err != nil {
			return nil, err
		}
	}
	if req.Status == status.Resolved {
		return s.ResolveIncident(ctx, actor, id, Resolution{Body: req.Body, ResolvedAt: req.At})
	}
	return s.change(ctx, actor, "incident.update", id, func(q *store.Queries, in *status.Incident, now time.Time) error {
		st := req.Status
		note := st == "" && in.Status == status.Resolved
		if st == "" {
			st = in.Status
		}
		at := now
		if !req.At.IsZero() {
			at = req.At.UTC()
		}
		if note {
			// A later word on a resolved incident, as the posts add
			// "Update: the problem happened a second time": it stays resolved.
			if len(req.Components) > 0 {
				return conflictf("incident %d is resolved: reopen it (status investigating) to change component statuses", id)
			}
			u := &status.IncidentUpdate{IncidentID: id, Status: st, Body: req.Body, CreatedAt: now, DisplayAt: at}
			in.UpdatedAt = now
			if err := q.SaveIncident(ctx, in); err != nil {
				return err
			}
			return q.InsertIncidentUpdate(ctx, u)
		}
		if err := status.CheckIncidentTransition(in.Status, st); err != nil {
			return conflictf("%s", err)
		}
		if in.Status == status.Resolved && st.Open() {
			// Reopening: the incident is going on again.
			in.ResolvedAt = time.Time{}
		}
		in.Status = st
		stampStatus(in, st, at)
		u := &status.IncidentUpdate{IncidentID: id, Status: st, Body: req.Body, CreatedAt: now, DisplayAt: at}
		u.Changes = applyComponents(in, req.Components)
		in.UpdatedAt = now
		if err := q.SaveIncident(ctx, in); err != nil {
			return err
		}
		return q.InsertIncidentUpdate(ctx, u)
	})
}

// EditIncidentUpdate corrects the text of an update already posted, as an
// operator reviewing a draft Herald wrote edits a word before publishing.
// Its time and status stay; the change log keeps the text before and after.
func (s *Service) EditIncidentUpdate(ctx context.Context, actor string, id, updateID int64, body string) (*status.Incident, error) {
	if err := checkText("body", body, maxBody, true); err != nil {
		return nil, err
	}
	return s.change(ctx, actor, "incident.update.edit", id, func(q *store.Queries, in *status.Incident, now time.Time) error {
		found := false
		for _, u := range in.Updates {
			found = found || u.ID == updateID
		}
		if !found {
			return &NotFoundError{fmt.Sprintf("incident %d has no update %d", id, updateID)}
		}
		if err := q.SetIncidentUpdateBody(ctx, id, updateID, body); err != nil {
			return err
		}
		in.UpdatedAt = now
		return q.SaveIncident(ctx, in)
	})
}

// applyComponents sets component statuses within an incident and returns what moved.
func applyComponents(in *status.Incident, set map[string]status.ComponentStatus) []status.ComponentChange {
	var changes []status.ComponentChange
	for _, id := range sortedIDs(set) {
		next := set[id]
		found := false
		for i := range in.Components {
			if in.Components[i].ComponentID == id {
				found = true
				if in.Components[i].Status != next {
					changes = append(changes, status.ComponentChange{ComponentID: id, Old: in.Components[i].Status, New: next})
					in.Components[i].Status = next
				}
			}
		}
		if !found {
			in.Components = append(in.Components, status.AffectedComponent{ComponentID: id, Status: next})
			changes = append(changes, status.ComponentChange{ComponentID: id, Old: status.Operational, New: next})
		}
	}
	return changes
}

// ResolveIncident resolves an incident: every component it affects goes back
// to operational within it, and the end may be backdated.
func (s *Service) ResolveIncident(ctx context.Context, actor string, id int64, req Resolution) (*status.Incident, error) {
	if err := checkText("body", req.Body, maxBody, false); err != nil {
		return nil, err
	}
	if err := checkText("postmortem", req.Postmortem, maxBody, false); err != nil {
		return nil, err
	}
	if !req.ResolvedAt.IsZero() {
		if err := s.checkPast("resolved_at", req.ResolvedAt); err != nil {
			return nil, err
		}
	}
	return s.change(ctx, actor, "incident.resolve", id, func(q *store.Queries, in *status.Incident, now time.Time) error {
		if err := status.CheckIncidentTransition(in.Status, status.Resolved); err != nil {
			return conflictf("%s", err)
		}
		end := now
		if !req.ResolvedAt.IsZero() {
			end = req.ResolvedAt.UTC()
		}
		if end.Before(in.StartedAt) {
			return invalidf("resolved_at %s is before the incident started (%s)", end.Format(time.RFC3339), in.StartedAt.Format(time.RFC3339))
		}
		body := req.Body
		if strings.TrimSpace(body) == "" {
			body = "This incident has been resolved."
		}
		in.Status, in.ResolvedAt, in.UpdatedAt = status.Resolved, end, now
		all := map[string]status.ComponentStatus{}
		for _, c := range in.Components {
			all[c.ComponentID] = status.Operational
		}
		u := &status.IncidentUpdate{IncidentID: id, Status: status.Resolved, Body: body, CreatedAt: now, DisplayAt: end}
		u.Changes = applyComponents(in, all)
		if strings.TrimSpace(req.Postmortem) != "" {
			in.Postmortem, in.PostmortemPublishedAt = req.Postmortem, now
		}
		if err := q.SaveIncident(ctx, in); err != nil {
			return err
		}
		return q.InsertIncidentUpdate(ctx, u)
	})
}

// SetPostmortem attaches (or replaces) an incident's postmortem; an empty body removes it.
func (s *Service) SetPostmortem(ctx context.Context, actor string, id int64, body string) (*status.Incident, error) {
	if err := checkText("postmortem", body, maxBody, false); err != nil {
		return nil, err
	}
	return s.change(ctx, actor, "incident.postmortem", id, func(q *store.Queries, in *status.Incident, now time.Time) error {
		in.Postmortem, in.UpdatedAt = body, now
		in.PostmortemPublishedAt = now
		if strings.TrimSpace(body) == "" {
			in.Postmortem, in.PostmortemPublishedAt = "", time.Time{}
		}
		return q.SaveIncident(ctx, in)
	})
}

// PublishIncident makes a draft public.
func (s *Service) PublishIncident(ctx context.Context, actor string, id int64) (*status.Incident, error) {
	return s.change(ctx, actor, "incident.publish", id, func(q *store.Queries, in *status.Incident, now time.Time) error {
		if !in.Draft {
			return conflictf("incident %d is already published", id)
		}
		in.Draft, in.PublishedAt, in.UpdatedAt = false, now, now
		return q.SaveIncident(ctx, in)
	})
}

// EditIncident changes an incident's title, impact or times.
func (s *Service) EditIncident(ctx context.Context, actor string, id int64, req IncidentEdit) (*status.Incident, error) {
	if req.Title != nil {
		if err := checkText("title", *req.Title, maxTitle, true); err != nil {
			return nil, err
		}
	}
	if req.Impact != nil && !req.Impact.Valid() {
		return nil, invalidf("unknown impact %q", *req.Impact)
	}
	if req.StartedAt != nil {
		if err := s.checkPast("started_at", *req.StartedAt); err != nil {
			return nil, err
		}
	}
	if req.ResolvedAt != nil {
		if err := s.checkPast("resolved_at", *req.ResolvedAt); err != nil {
			return nil, err
		}
	}
	return s.change(ctx, actor, "incident.edit", id, func(q *store.Queries, in *status.Incident, now time.Time) error {
		if req.Title != nil {
			in.Title = strings.TrimSpace(*req.Title)
		}
		if req.Impact != nil {
			in.Impact = *req.Impact
		}
		if req.StartedAt != nil {
			in.StartedAt = req.StartedAt.UTC()
		}
		if req.ResolvedAt != nil {
			if in.Status != status.Resolved {
				return conflictf("incident %d is not resolved; resolve it to set its end", id)
			}
			in.ResolvedAt = req.ResolvedAt.UTC()
		}
		if !in.ResolvedAt.IsZero() && in.ResolvedAt.Before(in.StartedAt) {
			return invalidf("the incident would end (%s) before it started (%s)", in.ResolvedAt.Format(time.RFC3339), in.StartedAt.Format(time.RFC3339))
		}
		in.UpdatedAt = now
		return q.SaveIncident(ctx, in)
	})
}

// DeleteIncident removes an incident. The change log keeps it whole.
func (s *Service) DeleteIncident(ctx context.Context, actor string, id int64) error {
	now := s.Now()
	err := s.store.Tx(ctx, func(q *store.Queries) error {
		before, err := q.Incident(ctx, id)
		if err != nil {
			return notFound(err, "incident", id)
		}
		if err := q.DeleteIncident(ctx, id); err != nil {
			return err
		}
		return s.record(ctx, q, now, actor, "incident.delete", subject("incident", id), before, nil)
	})
	if err != nil {
		return err
	}
	s.log.Info("incident deleted", slog.Int64("id", id), slog.String("actor", actor))
	s.changedAfter(ctx)
	return nil
}

// LinkIncidents relates two incidents (both ways), e.g. a recurrence to the first time.
func (s *Service) LinkIncidents(ctx context.Context, actor string, id, other int64) (*status.Incident, error) {
	if id == other {
		return nil, invalidf("an incident cannot be linked to itself")
	}
	return s.change(ctx, actor, "incident.link", id, func(q *store.Queries, _ *status.Incident, _ time.Time) error {
		if _, err := q.Incident(ctx, other); err != nil {
			if store.IsNotFound(err) {
				return invalidf("incident %d not found", other)
			}
			return err
		}
		return q.LinkIncidents(ctx, id, other)
	})
}

// UnlinkIncidents removes a link between two incidents.
func (s *Service) UnlinkIncidents(ctx context.Context, actor string, id, other int64) (*status.Incident, error) {
	return s.change(ctx, actor, "incident.unlink", id, func(q *store.Queries, _ *status.Incident, _ time.Time) error {
		return q.UnlinkIncidents(ctx, id, other)
	})
}

// Incident returns one incident.
func (s *Service) Incident(ctx context.Context, id int64) (*status.Incident, error) {
	in, err := s.store.Incident(ctx, id)
	if err != nil {
		return nil, notFound(err, "incident", id)
	}
	return in, nil
}

// Incidents lists incidents.
func (s *Service) Incidents(ctx context.Context, f store.IncidentFilter) ([]status.Incident, error) {
	return s.store.Incidents(ctx, f)
}

func sortedIDs[V any](m map[string]V) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func subject(kind string, id int64) string { return fmt.Sprintf("%s:%d", kind, id) }

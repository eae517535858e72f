package admin

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/store"
)

type changeRow struct {
	store.Change
	Link          string
	Before, After string // indented JSON
}

type auditData struct {
	Changes []changeRow
	Subject string
	Limit   int
	More    bool
}

const (
	auditDefault = 100
	auditMax     = 1000
)

// auditQuery reads ?subject= and ?limit= strictly.
func auditQuery(r *http.Request) (string, int, error) {
	q := r.URL.Query()
	for k := range q {
		if k != "subject" && k != "limit" && k != "done" {
			return "", 0, badForm("Unknown parameter %q (use subject and limit).", k)
		}
	}
	subject := strings.TrimSpace(q.Get("subject"))
	if len(subject) > 100 {
		return "", 0, badForm("The subject is too long.")
	}
	limit := auditDefault
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > auditMax {
			return "", 0, badForm("limit must be a number from 1 to %d.", auditMax)
		}
		limit = n
	}
	return subject, limit, nil
}

func pretty(s string) string {
	if s == "" {
		return ""
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(s), "", "  "); err != nil {
		return s
	}
	return buf.String()
}

func subjectLink(subject string) string {
	kind, id, ok := strings.Cut(subject, ":")
	if !ok {
		return ""
	}
	switch kind {
	case "incident":
		return "/admin/incidents/" + id
	case "maintenance":
		return "/admin/maintenance/" + id
	}
	return ""
}

func (a *Admin) audit(w http.ResponseWriter, r *http.Request, s *session) error {
	subject, limit, err := auditQuery(r)
	if err != nil {
		return err
	}
	changes, err := a.Service.Changes(r.Context(), subject, limit+1)
	if err != nil {
		return err
	}
	d := auditData{Subject: subject, Limit: limit}
	if len(changes) > limit {
		changes, d.More = changes[:limit], true
	}
	for _, c := range changes {
		d.Changes = append(d.Changes, changeRow{Change: c, Link: subjectLink(c.Subject), Before: pretty(c.Before), After: pretty(c.After)})
	}
	a.render(w, r, s, http.StatusOK, "audit", "Audit log", "audit", d)
	return nil
}

type changeJSON struct {
	ID      int64           `json:"id"`
	At      time.Time       `json:"at"`
	Actor   string          `json:"actor"`
	Action  string          `json:"action"`
	Subject string          `json:"subject"`
	Before  json.RawMessage `json:"before,omitempty"`
	After   json.RawMessage `json:"after,omitempty"`
}

// auditJSON is the change log for scripts holding a session; the bearer-token
// API may serve the same from store.Changes.
func (a *Admin) auditJSON(w http.ResponseWriter, r *http.Request, _ *session) error {
	subject, limit, err := auditQuery(r)
	if err != nil {
		return err
	}
	changes, err := a.Service.Changes(r.Context(), subject, limit)
	if err != nil {
		return err
	}
	out := make([]changeJSON, 0, len(changes))
	for _, c := range changes {
		j := changeJSON{ID: c.ID, At: c.At, Actor: c.Actor, Action: c.Action, Subject: c.Subject}
		if json.Valid([]byte(c.Before)) {
			j.Before = json.RawMessage(c.Before)
		}
		if json.Valid([]byte(c.After)) {
			j.After = json.RawMessage(c.After)
		}
		out = append(out, j)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"changes": out})
}

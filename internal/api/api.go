// Package api serves Herald's JSON APIs: the admin API under /api/v1/ (this
// file and its siblings) for the CLI and integrations.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/buildinfo"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/peer"
	"github.com/heraldhq/herald/internal/refusal"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/strictjson"
)

// MaxBody is the largest request body the admin API reads.
const MaxBody = 1 << 20

// Admin serves /api/v1/.
type Admin struct {
	svc *service.Service
	log *slog.Logger
	cfg func() config.Config // set by WithConfig (monitoring.go)
	// badTokens allows each client a few wrong tokens, then refuses it
	// before its token is looked up: a flood of bad tokens costs no query.
	badTokens *refusal.Limit
	refusals  *refusal.Log
}

// NewAdmin makes the admin API handlers.
func NewAdmin(svc *service.Service, log *slog.Logger) *Admin {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Admin{svc: svc, log: log, badTokens: refusal.NewLimit(badTokenBurst, badTokenEvery, nil)}
}

// A client may send badTokenBurst wrong tokens at once, then one every
// badTokenEvery: plenty for a mistyped or revoked token, nothing to a scan.
const (
	badTokenBurst = 10
	badTokenEvery = 6 * time.Second
)

// WithRefusals logs refused requests (bad tokens) to l, and counts bad
// tokens on now's clock (nil: the real one).
func (a *Admin) WithRefusals(l *refusal.Log, now func() time.Time) *Admin {
	a.refusals = l
	a.badTokens = refusal.NewLimit(badTokenBurst, badTokenEvery, now)
	return a
}

// BearerToken is the credentials of an Authorization header of the Bearer
// scheme (RFC 6750; the scheme's name is case-insensitive), or "".
func BearerToken(h string) string {
	scheme, cred, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(cred)
}

// ZoneHeader names the page's time zone (an IANA name, "America/Los_Angeles")
// on every authenticated answer; the API's times themselves are UTC.
const ZoneHeader = "Herald-Time-Zone"

// NowHeader is Herald's time when it answered (RFC 3339, UTC) on every
// authenticated answer: what a client says "so far" and "today" by. It is
// Herald's clock, not the machine's: the demo's runs sixty times faster.
const NowHeader = "Herald-Now"

// handler is an API handler that returns an error instead of writing one.
type handler func(w http.ResponseWriter, r *http.Request, actor string) error

// Mux is where routes are registered: an *http.ServeMux, or one that also
// notes each pattern (the server's, whose routes a test holds against the
// OpenAPI description).
type Mux interface {
	Handle(pattern string, handler http.Handler)
	Handler(r *http.Request) (h http.Handler, pattern string)
}

// Register adds the admin API's routes to mux.
func (a *Admin) Register(mux Mux) {
	r := func(pattern string, h handler) { mux.Handle(pattern, a.auth(service.ScopeRead, h)) }
	w := func(pattern string, h handler) { mux.Handle(pattern, a.auth(service.ScopeWrite, h)) }

	mux.Handle("GET "+OpenAPIPath, a.serveOpenAPI())
	r("GET /api/v1/status", a.getStatus)
	r("GET /api/v1/about", a.getAbout)
	r("GET /api/v1/components", a.listComponents)
	r("GET /api/v1/changes", a.listChanges)

	r("GET /api/v1/outages", a.listOutages)
	r("GET /api/v1/uptime", a.getUptime)
	r("GET /api/v1/monitors", a.listMonitors)
	r("GET /api/v1/agents", a.listAgents)
	r("GET /api/v1/location-intervals", a.listLocationIntervals)
	r("GET /api/v1/overrides", a.listOverrides)
	w("PUT /api/v1/components/{group}/{component}/override", a.setOverride)
	w("DELETE /api/v1/components/{group}/{component}/override", a.clearOverride)

	r("GET /api/v1/incidents", a.listIncidents)
	r("GET /api/v1/incident-templates", a.listIncidentTemplates)
	w("POST /api/v1/incidents", a.openIncident)
	r("GET /api/v1/incidents/{id}", a.getIncident)
	w("PATCH /api/v1/incidents/{id}", a.editIncident)
	w("DELETE /api/v1/incidents/{id}", a.deleteIncident)
	w("POST /api/v1/incidents/{id}/updates", a.postIncidentUpdate)
	w("PATCH /api/v1/incidents/{id}/updates/{update}", a.editIncidentUpdate)
	w("POST /api/v1/incidents/{id}/resolve", a.resolveIncident)
	w("POST /api/v1/incidents/{id}/publish", a.publishIncident)
	w("PUT /api/v1/incidents/{id}/postmortem", a.setPostmortem)
	w("POST /api/v1/incidents/{id}/links", a.linkIncident)
	w("DELETE /api/v1/incidents/{id}/links/{other}", a.unlinkIncident)

	r("GET /api/v1/maintenance", a.listMaintenance)
	w("POST /api/v1/maintenance", a.scheduleMaintenance)
	r("GET /api/v1/maintenance/{id}", a.getMaintenance)
	w("PATCH /api/v1/maintenance/{id}", a.editMaintenance)
	w("POST /api/v1/maintenance/{id}/updates", a.postMaintenanceUpdate)
	w("POST /api/v1/maintenance/{id}/complete", a.completeMaintenance)
	w("POST /api/v1/maintenance/{id}/cancel", a.cancelMaintenance)
	r("GET /api/v1/maintenance-series", a.listSeries)
	w("POST /api/v1/maintenance-series", a.createSeries)
	r("GET /api/v1/maintenance-series/{id}", a.getSeries)
	w("POST /api/v1/maintenance-series/{id}/end", a.endSeries)

	// Anything else under /api/v1/ answers in JSON, after authentication, so
	// the API's shape is not visible to a caller without a token. This
	// catch-all matches every method, so the mux never answers 405 itself.
	r("/api/v1/", func(w http.ResponseWriter, r *http.Request, _ string) error {
		if allow := allowedMethods(mux, r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			return &apiError{http.StatusMethodNotAllowed, fmt.Sprintf("%s is not allowed on %s (allowed: %s)",
				r.Method, r.URL.Path, strings.Join(allow, ", "))}
		}
		return &apiError{http.StatusNotFound, fmt.Sprintf("no route %s %s", r.Method, r.URL.Path)}
	})
}

// allowedMethods lists the methods with a route of their own for r's path.
func allowedMethods(mux Mux, r *http.Request) []string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if _, pattern := mux.Handler(&http.Request{Method: m, URL: r.URL, Host: r.Host}); pattern != "/api/v1/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	return allow
}

// auth checks the bearer token and its scope, then runs h.
func (a *Admin) auth(scope string, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		bearer := BearerToken(r.Header.Get("Authorization"))
		if bearer == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="herald"`)
			a.fail(w, r, &apiError{http.StatusUnauthorized, "missing bearer token (Authorization: Bearer TOKEN; create one with herald token create)"})
			return
		}
		// A client that has sent too many bad tokens is refused before its
		// token is looked at; the allowance is only taken by bad ones.
		if ok, wait := a.badTokens.Peek(peer.Key(peer.From(r))); !ok {
			a.refusals.Note(peer.From(r), "rate limited: bad API tokens")
			w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
			a.fail(w, r, &apiError{http.StatusTooManyRequests, "too many invalid tokens from your address; wait and try again"})
			return
		}
		tok, err := a.svc.Authenticate(r.Context(), bearer)
		if err != nil {
			if errors.Is(err, service.ErrBadToken) {
				a.badTokens.Allow(peer.Key(peer.From(r)))
				a.refusals.Note(peer.From(r), "bad API token")
				w.Header().Set("WWW-Authenticate", `Bearer realm="herald", error="invalid_token"`)
				err = &apiError{http.StatusUnauthorized, "invalid or revoked token"}
			}
			a.fail(w, r, err)
			return
		}
		if tok.Scope == service.ScopeAgent {
			a.fail(w, r, &apiError{http.StatusForbidden, "an agent token only fetches its assignment and pushes results (/api/v1/agent/...)"})
			return
		}
		if scope == service.ScopeWrite && tok.Scope != service.ScopeWrite {
			a.fail(w, r, &apiError{http.StatusForbidden, "this token is read-only; this request needs a write token"})
			return
		}
		actor := "token:" + strconv.FormatInt(tok.ID, 10)
		if tok.Name != "" {
			actor += " (" + tok.Name + ")"
		}
		// The page's zone, so that a client (the command line) shows times
		// as the pages do, in that zone and by its name.
		w.Header().Set(ZoneHeader, a.config().Location().String())
		w.Header().Set(NowHeader, a.svc.Now().UTC().Format(time.RFC3339Nano))
		if err := h(w, r, actor); err != nil {
			a.fail(w, r, err)
		}
	})
}

// apiError is an error with a status and a message safe to send.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

// ClientStatus makes it a service.ClientError, told as it is.
func (e *apiError) ClientStatus() int { return e.status }

func badRequest(format string, a ...any) error {
	return &apiError{http.StatusBadRequest, fmt.Sprintf(format, a...)}
}

// fail writes an error response. Only errors that carry a client-safe
// message are shown (service.Safe decides); anything else is logged and
// answered with a plain 500.
func (a *Admin) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) {
		return // the client went away
	}
	code, msg, ok := service.Safe(err)
	if code == http.StatusServiceUnavailable {
		// The database is down, read-only or full: worth trying again.
		a.log.Warn("admin API: the database is unavailable", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
		w.Header().Set("Retry-After", "5")
	}
	if !ok {
		a.log.Error("admin API", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
		msg = "internal error; the server log has the details"
	}
	writeJSON(w, code, map[string]any{"error": map[string]any{"status": code, "message": msg}})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v) // the status line is sent; a failed write means the client left
}

// decode reads a JSON body strictly: a size limit, JSON only, no key
// written twice, no unknown fields, no trailing data. An empty body is
// allowed when optional is set. Every JSON body the API takes comes
// through here.
func decode(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return decodeError(err)
		}
		return badRequest("the body could not be read")
	}
	if len(data) == 0 {
		if optional {
			return nil
		}
		return badRequest("a JSON body is required")
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return &apiError{http.StatusUnsupportedMediaType, "send the body as application/json"}
		}
	}
	if err := strictjson.Check(data); err != nil {
		return badRequest("%s", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("unexpected data after the JSON object")
	}
	return nil
}

// decodeError turns a decoder error into a message that names what is wrong.
func decodeError(err error) error {
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
		mbe    *http.MaxBytesError
	)
	switch {
	case errors.As(err, &mbe):
		return &apiError{http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", MaxBody)}
	case errors.As(err, &syntax):
		return badRequest("malformed JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return badRequest("field %q: want %s, got %s", typ.Field, jsonKind(typ.Type), typ.Value)
		}
		return badRequest("the body must be a JSON object, not %s", typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("the JSON body ends too soon")
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return badRequest("unknown field %s", f)
	}
	return badRequest("invalid JSON body")
}

// jsonKind names a Go type in JSON's words, keeping Go's type names out of answers.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another value"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return jsonKind(t.Elem())
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "another value"
}

// pathID reads a numeric id from the path.
func pathID(r *http.Request, name string) (int64, error) {
	s := r.PathValue(name)
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, &apiError{http.StatusNotFound, fmt.Sprintf("%q is not an id (ids are positive whole numbers)", s)}
	}
	return id, nil
}

// queryLimit reads ?limit=, with a default and a ceiling.
func queryLimit(r *http.Request, def, most int) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > most {
		return 0, badRequest("limit must be a whole number from 1 to %d", most)
	}
	return n, nil
}

// listQuery reads a list's ?state= (one of states, or "all" or nothing for
// every state, given back as "") and ?limit= (default 50, at most 500).
func listQuery(r *http.Request, states ...string) (string, int, error) {
	state := r.URL.Query().Get("state")
	if state == "all" {
		state = ""
	}
	if state != "" && !slices.Contains(states, state) {
		return "", 0, badRequest("state must be %s or all", strings.Join(states, ", "))
	}
	limit, err := queryLimit(r, 50, 500)
	return state, limit, err
}

// parseTime reads an optional RFC 3339 time from a request field.
func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, badRequest("%s: %q is not an RFC 3339 time (like 2026-04-03T23:00:00-07:00)", field, s)
	}
	// Times are answered (and kept in the change log) as RFC 3339, which has
	// four-digit years; the margin leaves room for a window's end.
	if y := t.UTC().Year(); t.IsZero() || y < 1 || y > 9998 {
		return time.Time{}, badRequest("%s: %q is out of range (give a time after year 1 and before 9999)", field, s)
	}
	return t, nil
}

func parseDuration(field, s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, badRequest("%s: %q is not a positive duration (like 5m or 1h30m)", field, s)
	}
	return d, nil
}

func (a *Admin) getStatus(w http.ResponseWriter, r *http.Request, _ string) error {
	snap, err := a.svc.Snapshot(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"indicator": string(snap.Overall.Indicator), "description": snap.Overall.Description})
	return nil
}

// getAbout answers which Herald this is. It needs a read token like the rest
// of /api/v1: the version and commit are no secret, but told to anyone they
// let a scan pick servers running a release with a known flaw.
func (a *Admin) getAbout(w http.ResponseWriter, _ *http.Request, _ string) error {
	writeJSON(w, http.StatusOK, buildinfo.Read())
	return nil
}

func (a *Admin) listComponents(w http.ResponseWriter, r *http.Request, _ string) error {
	snap, err := a.svc.Snapshot(r.Context())
	if err != nil {
		return err
	}
	out := []componentJSON{}
	cfg := a.config()
	for _, c := range snap.Components {
		out = append(out, componentOut(c.Component, string(c.Status), cfg))
	}
	// Removed components keep their history and are listed after the live ones.
	for _, c := range a.svc.Catalog().Components {
		if !c.RemovedAt.IsZero() {
			out = append(out, componentOut(c, "", cfg))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"components": out})
	return nil
}

func (a *Admin) listChanges(w http.ResponseWriter, r *http.Request, _ string) error {
	limit, err := queryLimit(r, 100, 1000)
	if err != nil {
		return err
	}
	changes, err := a.svc.Changes(r.Context(), r.URL.Query().Get("subject"), limit)
	if err != nil {
		return err
	}
	out := make([]changeJSON, 0, len(changes))
	for _, c := range changes {
		out = append(out, changeOut(c))
	}
	writeJSON(w, http.StatusOK, map[string]any{"changes": out})
	return nil
}

func changeOut(c store.Change) changeJSON {
	out := changeJSON{ID: c.ID, At: jt(c.At), Actor: c.Actor, Action: c.Action, Subject: c.Subject}
	if c.Before != "" {
		out.Before = json.RawMessage(c.Before)
	}
	if c.After != "" {
		out.After = json.RawMessage(c.After)
	}
	return out
}

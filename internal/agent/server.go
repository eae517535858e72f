package agent

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/monitor"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/strictjson"
)

// Server answers agents: their assignment, and the results they push.
type Server struct {
	svc     *service.Service
	st      *store.Store
	cfg     func() config.Config
	decider *Decider // woken when results arrive; may be nil
	log     *slog.Logger
}

// NewServer makes the agents' endpoints.
func NewServer(svc *service.Service, st *store.Store, cfg func() config.Config, decider *Decider, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{svc: svc, st: st, cfg: cfg, decider: decider, log: log}
}

// Register adds the agent endpoints to mux (an *http.ServeMux, or one that
// also notes the patterns).
func (s *Server) Register(mux interface {
	HandleFunc(string, func(http.ResponseWriter, *http.Request))
}) {
	mux.HandleFunc("GET "+AssignmentPath, s.assignment)
	mux.HandleFunc("POST "+ResultsPath, s.results)
}

type failure struct {
	code int
	msg  string
}

func (f *failure) Error() string { return f.msg }

func fail(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"status": code, "message": msg}})
}

func (s *Server) answer(w http.ResponseWriter, err error) {
	var f *failure
	if errors.As(err, &f) {
		fail(w, f.code, f.msg)
		return
	}
	if errors.Is(err, context.Canceled) {
		return
	}
	if _, down := store.Unavailable(err); down {
		w.Header().Set("Retry-After", "5")
		fail(w, http.StatusServiceUnavailable, "the database is unavailable; try again")
		return
	}
	s.log.Error("agent endpoint", slog.Any("err", err))
	fail(w, http.StatusInternalServerError, "internal error")
}

// auth finds the agent token's location. It is decided from the header
// alone, before any body is read: an anonymous request costs a look-up.
func (s *Server) auth(r *http.Request) (string, error) {
	bearer := api.BearerToken(r.Header.Get("Authorization"))
	if bearer == "" {
		return "", &failure{http.StatusUnauthorized, "missing bearer token (create one with herald token create --scope agent --location NAME)"}
	}
	tok, err := s.svc.Authenticate(r.Context(), bearer)
	if errors.Is(err, service.ErrBadToken) {
		return "", &failure{http.StatusUnauthorized, "invalid or revoked token"}
	}
	if err != nil {
		return "", err
	}
	if tok.Scope != service.ScopeAgent || tok.Location == "" {
		return "", &failure{http.StatusForbidden, "this endpoint takes an agent token (herald token create --scope agent --location NAME)"}
	}
	return tok.Location, nil
}

// touch notes the agent's contact: its version and what it says it dropped
// (-1: not said).
func (s *Server) touch(r *http.Request, location string, dropped int64) error {
	version := r.Header.Get(VersionHeader)
	if len(version) > 64 || !utf8.ValidString(version) {
		version = version[:0]
	}
	return s.st.TouchAgent(r.Context(), location, version, dropped, s.svc.Now())
}

// AssignmentFor lists the monitors location checks, in configuration
// order, and its reference targets.
func AssignmentFor(cfg config.Config, location string) Assignment {
	a := Assignment{Location: location, Monitors: []Assigned{}, References: []Assigned{}}
	for _, sp := range monitor.Specs(cfg) {
		if slices.Contains(sp.Monitor.Locations, location) {
			a.Monitors = append(a.Monitors, Assigned{ID: sp.ID, Monitor: *sp.Monitor})
		}
	}
	if len(a.Monitors) == 0 {
		return a // nothing to tell apart
	}
	for _, m := range cfg.Agents.ReferencesFor(location) {
		a.References = append(a.References, Assigned{ID: config.ReferencePrefix + m.Name, Monitor: m})
	}
	return a
}

func encodeAssignment(a Assignment) ([]byte, string) {
	body, _ := json.Marshal(a) // plain values: cannot fail
	sum := sha256.Sum256(body)
	return append(body, '\n'), `"` + hex.EncodeToString(sum[:16]) + `"`
}

// assignment answers GET /api/v1/agent/assignment. With If-None-Match
// naming the current version it answers 304, after waiting up to ?wait= (a
// long poll, at most a minute) for the assignment to change.
func (s *Server) assignment(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	location, err := s.auth(r)
	if err == nil {
		err = s.touch(r, location, -1)
	}
	if err != nil {
		s.answer(w, err)
		return
	}
	var wait time.Duration
	for k, v := range r.URL.Query() {
		if k != "wait" || len(v) != 1 {
			fail(w, http.StatusBadRequest, "this endpoint takes one query parameter, wait (a duration such as 30s)")
			return
		}
		if wait, err = time.ParseDuration(v[0]); err != nil || wait < 0 || wait > maxWait {
			fail(w, http.StatusBadRequest, fmt.Sprintf("wait must be a duration from 0s to %s", maxWait))
			return
		}
	}
	body, etag := encodeAssignment(AssignmentFor(s.cfg(), location))
	if r.Header.Get("If-None-Match") == etag && wait > 0 {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		deadline := time.NewTimer(wait)
		defer deadline.Stop()
	poll:
		for {
			select {
			case <-r.Context().Done():
				return
			case <-deadline.C:
				break poll
			case <-t.C:
				if body, etag = encodeAssignment(AssignmentFor(s.cfg(), location)); r.Header.Get("If-None-Match") != etag {
					break poll
				}
			}
		}
	}
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(body)
}

// results answers POST /api/v1/agent/results: the results of monitors
// assigned to the token's location are stored (once each); any other is
// refused and named in the answer. A push with nothing to store is refused
// whole.
func (s *Server) results(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	location, err := s.auth(r)
	if err != nil {
		s.answer(w, err)
		return
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPushBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			fail(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("a push is at most %d bytes", maxPushBytes))
			return
		}
		fail(w, http.StatusBadRequest, "reading the push: "+err.Error())
		return
	}
	if err := strictjson.Check(data); err != nil {
		fail(w, http.StatusBadRequest, "malformed push: "+err.Error())
		return
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Push
	if err := dec.Decode(&p); err != nil {
		fail(w, http.StatusBadRequest, "malformed push: "+err.Error())
		return
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		fail(w, http.StatusBadRequest, "malformed push: more after the JSON object")
		return
	}
	if len(p.Results) > MaxBatch || p.Dropped < 0 {
		fail(w, http.StatusBadRequest, fmt.Sprintf("a push holds at most %d results and dropped is not negative", MaxBatch))
		return
	}
	if err := s.touch(r, location, p.Dropped); err != nil {
		s.answer(w, err)
		return
	}
	assigned := map[string]bool{}
	for _, a := range AssignmentFor(s.cfg(), location).checks() {
		assigned[a.ID] = true
	}
	reply := PushReply{Refused: []Refusal{}}
	var keep []store.AgentResult
	for i, res := range p.Results {
		level, err := check(res)
		switch {
		case err != nil:
			fail(w, http.StatusBadRequest, fmt.Sprintf("result %d: %v", i, err))
			return
		case !assigned[res.Monitor]:
			reply.Refused = append(reply.Refused, Refusal{RID: res.RID, Monitor: res.Monitor,
				Reason: fmt.Sprintf("monitor %q is not assigned to location %s", res.Monitor, location)})
			continue
		}
		keep = append(keep, store.AgentResult{RID: res.RID, MonitorID: res.Monitor, At: res.At.UTC(), Level: level,
			Latency: time.Duration(res.LatencyUS) * time.Microsecond, Message: res.Message})
	}
	if len(keep) == 0 && len(reply.Refused) > 0 {
		fail(w, http.StatusForbidden, reply.Refused[0].Reason+" (nothing stored)")
		return
	}
	now := s.svc.Now()
	err = s.st.Tx(r.Context(), func(q *store.Queries) error {
		n, err := q.InsertAgentResults(r.Context(), location, keep, now)
		reply.Stored, reply.Duplicates = n, len(keep)-n
		return err
	})
	if err != nil {
		s.answer(w, err)
		return
	}
	if s.decider != nil && reply.Stored > 0 {
		s.decider.Wake()
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(reply)
}

func check(res Result) (status.Level, error) {
	var level status.Level
	switch res.Level {
	case "up":
		level = status.LevelUp
	case "degraded":
		level = status.LevelDegraded
	case "down":
		level = status.LevelDown
	default:
		return 0, fmt.Errorf("level %q is not up, degraded or down", res.Level)
	}
	switch {
	case res.RID == "" || len(res.RID) > maxRIDLen:
		return 0, fmt.Errorf("rid must be 1 to %d characters", maxRIDLen)
	case res.Monitor == "" || len(res.Monitor) > 300:
		return 0, errors.New("monitor is required")
	case res.At.IsZero() || res.At.Year() < 2000 || res.At.Year() > 9999:
		return 0, errors.New("at must be the check's time (RFC 3339)")
	case res.LatencyUS < 0:
		return 0, errors.New("latency_us must not be negative")
	case len(res.Message) > maxMessageLen || !utf8.ValidString(res.Message):
		return 0, fmt.Errorf("message must be valid UTF-8 of at most %d bytes", maxMessageLen)
	}
	return level, nil
}

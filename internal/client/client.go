// Package client is a small typed HTTP client for Herald's admin API
// (/api/v1, described in docs/api.md), used by the command line.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// DefaultTimeout bounds a whole request when New is given no http.Client,
	// so a script never hangs on a server that accepts but does not answer.
	DefaultTimeout = 30 * time.Second
	// maxAnswer caps how much of an answer is read; the largest legitimate
	// one (500 incidents with their timelines) is far below it.
	maxAnswer = 8 << 20
	userAgent = "herald-cli"
	apiPrefix = "/api/v1"
)

// zoneHeader names the page's zone on Herald's answers (api.ZoneHeader).
const zoneHeader = "Herald-Time-Zone"

// nowHeader is Herald's time when it answered (api.NowHeader).
const nowHeader = "Herald-Now"

// Client calls one Herald server's admin API with one token.
type Client struct {
	base  string // scheme://host[/prefix], no trailing slash
	token string
	http  *http.Client

	mu   sync.Mutex
	zone string // the page's zone, from the last answer that named it
	// skew is Herald's clock less this machine's, from the last answer
	// that said Herald's time.
	skew time.Duration
}

// Now is Herald's time as its last answer gave it, moved on by the time
// since on this machine's clock; this machine's time before any answer or
// from a server that does not say. "So far" and "today" are said by it.
func (c *Client) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.skew)
}

// Zone is the page's time zone (an IANA name) as the server's last answer
// named it, "" before any answer or from a server that does not name it.
// Times in answers are UTC; the command line shows them in this zone.
func (c *Client) Zone() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.zone
}

// New returns a client for the Herald server at baseURL (an absolute http or
// https URL; a trailing slash or a trailing /api/v1 is tolerated). A nil
// httpClient means a default one with DefaultTimeout.
func New(baseURL, token string, httpClient *http.Client) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil {
		return nil, fmt.Errorf("invalid Herald URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("invalid Herald URL %q: want an absolute http:// or https:// URL", baseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("invalid Herald URL %q: it may not have a query or fragment", baseURL)
	}
	if httpClient == nil {
		httpClient = &http.Client{Timeout: DefaultTimeout}
	}
	base := strings.TrimRight(u.String(), "/")
	base = strings.TrimSuffix(base, apiPrefix)
	return &Client{base: base, token: token, http: httpClient}, nil
}

// BaseURL is the server's URL as the client uses it.
func (c *Client) BaseURL() string { return c.base }

// APIError is an error answer from Herald ({"error": {...}}) or, when the
// answer is not Herald's, the HTTP status alone.
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("%s (%d)", e.Message, e.Status)
	switch e.Status {
	case http.StatusUnauthorized:
		s += "; check HERALD_TOKEN"
	case http.StatusForbidden:
		s += "; check that HERALD_TOKEN has the write scope"
	}
	return s
}

// Do sends one request to the API and returns the answer's body. path is
// relative to /api/v1 ("/incidents/12"); in, when not nil, is sent as JSON.
// Answers outside 2xx become an *APIError.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, in any) ([]byte, error) {
	req, err := c.newRequest(ctx, method, path, query, in)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.connError(ctx, err)
	}
	defer resp.Body.Close()
	if z := resp.Header.Get(zoneHeader); z != "" {
		c.mu.Lock()
		c.zone = z
		c.mu.Unlock()
	}
	if now, err := time.Parse(time.RFC3339Nano, resp.Header.Get(nowHeader)); err == nil {
		c.mu.Lock()
		c.skew = now.Sub(time.Now())
		c.mu.Unlock()
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return nil, fmt.Errorf("reading the answer to %s %s%s: %w", method, apiPrefix, path, err)
	}
	if len(data) > maxAnswer {
		return nil, fmt.Errorf("the answer to %s %s%s is over %d MiB", method, apiPrefix, path, maxAnswer>>20)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, apiError(resp.StatusCode, data)
	}
	return data, nil
}

func (c *Client) newRequest(ctx context.Context, method, path string, query url.Values, in any) (*http.Request, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encoding the request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	u := c.base + apiPrefix + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// connError explains a request that got no answer. url.Error already names
// the URL, but with the full path; the base URL is what the user set.
func (c *Client) connError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Errorf("no answer in time from Herald at %s; check HERALD_URL", c.base)
		}
		err = ue.Err
	}
	return fmt.Errorf("cannot reach Herald at %s: %w; check HERALD_URL", c.base, err)
}

func apiError(status int, data []byte) error {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(data, &e) == nil && e.Error.Message != "" {
		return &APIError{Status: status, Message: e.Error.Message}
	}
	// Not Herald's error shape: a proxy, or a URL that is not Herald.
	msg := strings.ToLower(http.StatusText(status))
	if msg == "" {
		msg = "unexpected answer"
	}
	return &APIError{Status: status, Message: msg + " (not an answer from Herald's API; check HERALD_URL)"}
}

// call does one request and decodes its answer into T, returning the raw
// answer too for --json.
func call[T any](ctx context.Context, c *Client, method, path string, query url.Values, in any) (T, []byte, error) {
	var out T
	data, err := c.Do(ctx, method, path, query, in)
	if err != nil {
		return out, nil, err
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return out, data, fmt.Errorf("decoding the answer to %s %s%s: %w (is HERALD_URL a Herald server?)", method, apiPrefix, path, err)
	}
	return out, data, nil
}

func listQuery(key, value string, limit int) url.Values {
	q := url.Values{}
	if value != "" {
		q.Set(key, value)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	return q
}

func incidentPath(id int64, rest string) string {
	return "/incidents/" + strconv.FormatInt(id, 10) + rest
}

func maintenancePath(id int64, rest string) string {
	return "/maintenance/" + strconv.FormatInt(id, 10) + rest
}

// bodyText is the {"body": "..."} request several endpoints take.
type bodyText struct {
	Body string `json:"body"`
}

// optionalBody is the body of complete and cancel. It is always sent, even
// empty, so the server never has to tell "no body" from "empty body".
type optionalBody struct {
	Body string `json:"body,omitempty"`
}

// Status returns the overall indicator.
func (c *Client) Status(ctx context.Context) (Status, []byte, error) {
	return call[Status](ctx, c, http.MethodGet, "/status", nil, nil)
}

// Components lists every component, removed ones included.
func (c *Client) Components(ctx context.Context) ([]Component, []byte, error) {
	out, raw, err := call[struct {
		Components []Component `json:"components"`
	}](ctx, c, http.MethodGet, "/components", nil, nil)
	return out.Components, raw, err
}

// Incidents lists incidents newest first. state is open, resolved, draft or
// all; "" and a limit of 0 leave the server's defaults.
func (c *Client) Incidents(ctx context.Context, state string, limit int) ([]Incident, []byte, error) {
	out, raw, err := call[struct {
		Incidents []Incident `json:"incidents"`
	}](ctx, c, http.MethodGet, "/incidents", listQuery("state", state, limit), nil)
	return out.Incidents, raw, err
}

// Incident returns one incident with its timeline.
func (c *Client) Incident(ctx context.Context, id int64) (Incident, []byte, error) {
	return call[Incident](ctx, c, http.MethodGet, incidentPath(id, ""), nil, nil)
}

// IncidentTemplate is a named starting point for incidents and updates.
type IncidentTemplate struct {
	Name       string            `json:"name"`
	Label      string            `json:"label"`
	Title      string            `json:"title"`
	Status     string            `json:"status"`
	Impact     *string           `json:"impact"`
	Body       string            `json:"body"`
	Components map[string]string `json:"components"`
	BuiltIn    bool              `json:"built_in"`
}

// IncidentTemplates lists the templates incidents and updates can start from.
func (c *Client) IncidentTemplates(ctx context.Context) ([]IncidentTemplate, []byte, error) {
	out, raw, err := call[struct {
		Templates []IncidentTemplate `json:"templates"`
	}](ctx, c, http.MethodGet, "/incident-templates", nil, nil)
	return out.Templates, raw, err
}

// OpenIncident creates an incident.
func (c *Client) OpenIncident(ctx context.Context, req IncidentCreate) (Incident, []byte, error) {
	return call[Incident](ctx, c, http.MethodPost, "/incidents", nil, req)
}

// UpdateIncident posts an update to an incident's timeline.
func (c *Client) UpdateIncident(ctx context.Context, id int64, req IncidentUpdateRequest) (Incident, []byte, error) {
	return call[Incident](ctx, c, http.MethodPost, incidentPath(id, "/updates"), nil, req)
}

// ResolveIncident resolves an incident.
func (c *Client) ResolveIncident(ctx context.Context, id int64, req IncidentResolve) (Incident, []byte, error) {
	return call[Incident](ctx, c, http.MethodPost, incidentPath(id, "/resolve"), nil, req)
}

// PublishIncident makes a draft incident public.
func (c *Client) PublishIncident(ctx context.Context, id int64) (Incident, []byte, error) {
	return call[Incident](ctx, c, http.MethodPost, incidentPath(id, "/publish"), nil, nil)
}

// SetPostmortem sets (or replaces) an incident's postmortem, in Markdown.
func (c *Client) SetPostmortem(ctx context.Context, id int64, markdown string) (Incident, []byte, error) {
	return call[Incident](ctx, c, http.MethodPut, incidentPath(id, "/postmortem"), nil, bodyText{markdown})
}

// EditIncident changes the fields of req that are not nil.
func (c *Client) EditIncident(ctx context.Context, id int64, req IncidentEdit) (Incident, []byte, error) {
	return call[Incident](ctx, c, http.MethodPatch, incidentPath(id, ""), nil, req)
}

// DeleteIncident deletes an incident.
func (c *Client) DeleteIncident(ctx context.Context, id int64) error {
	_, err := c.Do(ctx, http.MethodDelete, incidentPath(id, ""), nil, nil)
	return err
}

// LinkIncidents marks two incidents as related (both ways).
func (c *Client) LinkIncidents(ctx context.Context, id, other int64) (Incident, []byte, error) {
	req := struct {
		IncidentID int64 `json:"incident_id"`
	}{other}
	return call[Incident](ctx, c, http.MethodPost, incidentPath(id, "/links"), nil, req)
}

// UnlinkIncidents removes the link between two incidents.
func (c *Client) UnlinkIncidents(ctx context.Context, id, other int64) (Incident, []byte, error) {
	path := incidentPath(id, "/links/"+strconv.FormatInt(other, 10))
	return call[Incident](ctx, c, http.MethodDelete, path, nil, nil)
}

// Maintenances lists maintenance windows. state is upcoming, active, past
// or all; "" and a limit of 0 leave the server's defaults.
func (c *Client) Maintenances(ctx context.Context, state string, limit int) ([]Maintenance, []byte, error) {
	out, raw, err := call[struct {
		Maintenance []Maintenance `json:"maintenance"`
	}](ctx, c, http.MethodGet, "/maintenance", listQuery("state", state, limit), nil)
	return out.Maintenance, raw, err
}

// Maintenance returns one maintenance window with its updates.
func (c *Client) Maintenance(ctx context.Context, id int64) (Maintenance, []byte, error) {
	return call[Maintenance](ctx, c, http.MethodGet, maintenancePath(id, ""), nil, nil)
}

// ScheduleMaintenance creates a maintenance window.
func (c *Client) ScheduleMaintenance(ctx context.Context, req MaintenanceCreate) (Maintenance, []byte, error) {
	return call[Maintenance](ctx, c, http.MethodPost, "/maintenance", nil, req)
}

// EditMaintenance changes the fields of req that are set.
func (c *Client) EditMaintenance(ctx context.Context, id int64, req MaintenanceEdit) (Maintenance, []byte, error) {
	return call[Maintenance](ctx, c, http.MethodPatch, maintenancePath(id, ""), nil, req)
}

// PostMaintenanceUpdate posts an update without changing the window.
func (c *Client) PostMaintenanceUpdate(ctx context.Context, id int64, markdown string) (Maintenance, []byte, error) {
	return call[Maintenance](ctx, c, http.MethodPost, maintenancePath(id, "/updates"), nil, bodyText{markdown})
}

// CompleteMaintenance ends a window now; markdown may be empty.
func (c *Client) CompleteMaintenance(ctx context.Context, id int64, markdown string) (Maintenance, []byte, error) {
	return call[Maintenance](ctx, c, http.MethodPost, maintenancePath(id, "/complete"), nil, optionalBody{markdown})
}

// CancelMaintenance cancels a window; markdown may be empty.
func (c *Client) CancelMaintenance(ctx context.Context, id int64, markdown string) (Maintenance, []byte, error) {
	return call[Maintenance](ctx, c, http.MethodPost, maintenancePath(id, "/cancel"), nil, optionalBody{markdown})
}

// Changes lists the change log newest first; subject ("incident:12") and a
// limit of 0 may be left empty.
func (c *Client) Changes(ctx context.Context, subject string, limit int) ([]Change, []byte, error) {
	out, raw, err := call[struct {
		Changes []Change `json:"changes"`
	}](ctx, c, http.MethodGet, "/changes", listQuery("subject", subject, limit), nil)
	return out.Changes, raw, err
}

// Status is the page's overall indicator.
type Status struct {
	Indicator   string `json:"indicator"`
	Description string `json:"description"`
}

// Component is one thing the status page reports on. Status is derived by
// the server on every read.
type Component struct {
	ID          string `json:"id"`
	Group       string `json:"group"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Status      string `json:"status"`
	Position    int    `json:"position"`
	Removed     bool   `json:"removed"`
	// DependsOn is what the configuration says it needs (group or component ids).
	DependsOn []string `json:"depends_on"`
}

// ComponentRef is a component as an incident or a maintenance window lists
// it; Status is set for incidents only.
type ComponentRef struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status,omitempty"`
}

// Incident is an incident with its timeline, newest update first.
type Incident struct {
	ID                    int64            `json:"id"`
	Title                 string           `json:"title"`
	Impact                string           `json:"impact"`
	Status                string           `json:"status"`
	Draft                 bool             `json:"draft"`
	Auto                  bool             `json:"auto"`
	StartedAt             time.Time        `json:"started_at"`
	IdentifiedAt          *time.Time       `json:"identified_at"`
	MonitoringAt          *time.Time       `json:"monitoring_at"`
	ResolvedAt            *time.Time       `json:"resolved_at"`
	PublishedAt           *time.Time       `json:"published_at"`
	CreatedAt             time.Time        `json:"created_at"`
	UpdatedAt             time.Time        `json:"updated_at"`
	Components            []ComponentRef   `json:"components"`
	Updates               []IncidentUpdate `json:"updates"`
	Postmortem            string           `json:"postmortem"`
	PostmortemPublishedAt *time.Time       `json:"postmortem_published_at"`
	Links                 []int64          `json:"links"`
}

// IncidentUpdate is one entry of an incident's timeline.
type IncidentUpdate struct {
	ID        int64             `json:"id"`
	Status    string            `json:"status"`
	Body      string            `json:"body"`
	CreatedAt time.Time         `json:"created_at"`
	DisplayAt time.Time         `json:"display_at"`
	Changes   []ComponentChange `json:"changes"`
}

// ComponentChange is a component status an update moved.
type ComponentChange struct {
	Component string `json:"component"`
	Old       string `json:"old"`
	New       string `json:"new"`
}

// Maintenance is a maintenance window with its updates.
type Maintenance struct {
	ID             int64               `json:"id"`
	Title          string              `json:"title"`
	Body           string              `json:"body"`
	Status         string              `json:"status"`
	ScheduledFor   time.Time           `json:"scheduled_for"`
	ScheduledUntil time.Time           `json:"scheduled_until"`
	StartedAt      *time.Time          `json:"started_at"`
	CompletedAt    *time.Time          `json:"completed_at"`
	CreatedAt      time.Time           `json:"created_at"`
	UpdatedAt      time.Time           `json:"updated_at"`
	Sequence       int                 `json:"sequence"`
	Components     []ComponentRef      `json:"components"`
	Updates        []MaintenanceUpdate `json:"updates"`
}

// MaintenanceUpdate is one update posted to a maintenance window.
type MaintenanceUpdate struct {
	ID        int64     `json:"id"`
	Status    string    `json:"status"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
	DisplayAt time.Time `json:"display_at"`
}

// Change is one entry of the change log; Before and After are the objects
// as they were, left undecoded since their shape depends on the subject.
type Change struct {
	ID      int64           `json:"id"`
	At      time.Time       `json:"at"`
	Actor   string          `json:"actor"`
	Action  string          `json:"action"`
	Subject string          `json:"subject"`
	Before  json.RawMessage `json:"before"`
	After   json.RawMessage `json:"after"`
}

// IncidentCreate opens an incident. Empty optional fields are left out so
// the server applies its defaults (impact from the worst status, status
// investigating, started now).
type IncidentCreate struct {
	Title      string            `json:"title"`
	Impact     string            `json:"impact,omitempty"`
	Status     string            `json:"status,omitempty"`
	Body       string            `json:"body"`
	Components map[string]string `json:"components"`
	StartedAt  *time.Time        `json:"started_at,omitempty"`
	Draft      bool              `json:"draft,omitempty"`
	// Template names an incident template that fills what is left out.
	Template string `json:"template,omitempty"`
}

// IncidentUpdateRequest posts an update; an empty Status keeps the current one.
type IncidentUpdateRequest struct {
	Status     string            `json:"status,omitempty"`
	Body       string            `json:"body"`
	Components map[string]string `json:"components,omitempty"`
	Template   string            `json:"template,omitempty"`
}

// IncidentResolve resolves an incident; every field is optional.
type IncidentResolve struct {
	Body       string     `json:"body,omitempty"`
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
	Postmortem string     `json:"postmortem,omitempty"`
}

// IncidentEdit changes the fields that are not nil.
type IncidentEdit struct {
	Title      *string    `json:"title,omitempty"`
	Impact     *string    `json:"impact,omitempty"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
}

// MaintenanceCreate schedules a window; give Duration ("5m") or End.
type MaintenanceCreate struct {
	Title      string     `json:"title"`
	Body       string     `json:"body"`
	Components []string   `json:"components"`
	Start      time.Time  `json:"start"`
	Duration   string     `json:"duration,omitempty"`
	End        *time.Time `json:"end,omitempty"`
}

// MaintenanceEdit changes the fields that are set; Update, when not empty,
// is posted as an update to the window.
type MaintenanceEdit struct {
	Title            *string    `json:"title,omitempty"`
	Body             *string    `json:"body,omitempty"`
	AddComponents    []string   `json:"add_components,omitempty"`
	RemoveComponents []string   `json:"remove_components,omitempty"`
	Start            *time.Time `json:"start,omitempty"`
	Duration         *string    `json:"duration,omitempty"`
	End              *time.Time `json:"end,omitempty"`
	Update           string     `json:"update,omitempty"`
}

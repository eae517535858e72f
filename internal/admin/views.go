package admin

import (
	"context"
	"io"
	"time"
)

// Monitoring and subscriptions are built in their own packages; the screens
// read them through these small interfaces, and say plainly that the feature
// is not configured when Deps leaves them nil.

// MonitorView is one monitor as the monitors screen shows it.
type MonitorView struct {
	ID, ComponentID, Kind, Target, State string // State: "up", "down", "degraded" or "unknown"
	Since, LastCheck                     time.Time
	LastMessage                          string
	LastLatency                          time.Duration
	// Locations are the places a monitor with locations is checked from,
	// each as it sees the monitor; nil for one the server checks.
	Locations []LocationView
	Quorum    string // majority, any, all or a number, for one with locations
}

// LocationView is one place's view of a monitor checked by probe agents.
type LocationView struct {
	Location    string
	State       string // up, degraded, down or unknown, as that place decided
	Since       time.Time
	LastCheck   time.Time
	LastMessage string
	Agent       string // its agent: reporting, silent or never_seen (service.Agent*)
}

// OutageView is one measured interruption; End is zero while it lasts.
type OutageView struct {
	ComponentID   string
	Start, End    time.Time
	Down          bool // down rather than degraded
	InMaintenance bool
	IncidentID    int64 // 0 when no incident was opened
}

// Monitoring is what the monitors screen reads.
type Monitoring interface {
	Monitors() []MonitorView
	Outages(ctx context.Context, since time.Time) ([]OutageView, error)
}

// SubscriberView is one subscriber as the subscribers screen shows it.
type SubscriberView struct {
	ID         int64
	Kind       string // email, webhook, slack, ...
	Address    string
	Components []string // empty: everything
	Confirmed  bool
	CreatedAt  time.Time
}

// Subscribers is what the subscribers screen reads. Counts maps a component
// id to its subscribers; the key "" counts those subscribed to everything.
type Subscribers interface {
	Counts(ctx context.Context) (map[string]int, error)
	Search(ctx context.Context, q string, limit int) ([]SubscriberView, error)
	Export(ctx context.Context, w io.Writer) error
}

// Package agent is Herald's probe agents: `herald agent` runs a location's
// monitors with the server's probe code and timing and pushes the results
// (client.go, buffer.go); the server hands out assignments and stores what
// agents push (server.go), and one instance, under the "agents" lease,
// decides each monitor's state by quorum of the locations (decider.go).
package agent

import (
	"time"

	"github.com/heraldhq/herald/internal/config"
)

// Paths of the agent endpoints; an agent-scope token is good for these alone.
const (
	AssignmentPath = "/api/v1/agent/assignment"
	ResultsPath    = "/api/v1/agent/results"
)

// VersionHeader carries the agent's version on every request.
const VersionHeader = "Herald-Agent-Version"

// Limits of one push.
const (
	MaxBatch      = 2000
	maxPushBytes  = 4 << 20
	maxMessageLen = 1000
	maxRIDLen     = 64
	// maxWait bounds an assignment long poll.
	maxWait = 60 * time.Second
)

// Assignment is what a location's agent checks.
type Assignment struct {
	Location string     `json:"location"`
	Monitors []Assigned `json:"monitors"`
	// References are the location's reference targets (agents.references),
	// checked like the monitors and pushed under their ids
	// ("@reference/resolver"), so the server can tell an agent that lost
	// its own network from servers that are down.
	References []Assigned `json:"references"`
}

// checks is everything the assignment has the agent check.
func (a Assignment) checks() []Assigned {
	return append(append([]Assigned(nil), a.Monitors...), a.References...)
}

// Assigned is one monitor to check, as configured.
type Assigned struct {
	ID      string         `json:"id"`
	Monitor config.Monitor `json:"monitor"`
}

// Push is one batch of results.
type Push struct {
	// Dropped is how many results the agent's buffer has dropped since it
	// was first started with its data folder (oldest first, while the
	// server could not be reached).
	Dropped int64    `json:"dropped"`
	Results []Result `json:"results"`
}

// Result is one check.
type Result struct {
	RID       string    `json:"rid"` // unique per agent: a resent result is stored once
	Monitor   string    `json:"monitor"`
	At        time.Time `json:"at"`
	Level     string    `json:"level"` // up, degraded, down
	LatencyUS int64     `json:"latency_us"`
	Message   string    `json:"message"`
}

// PushReply is the server's answer to a push.
type PushReply struct {
	Stored     int       `json:"stored"`
	Duplicates int       `json:"duplicates"`
	Refused    []Refusal `json:"refused"`
}

// Refusal is a result the server would not take.
type Refusal struct {
	RID     string `json:"rid"`
	Monitor string `json:"monitor"`
	Reason  string `json:"reason"`
}

package service

import (
	"context"
	"sort"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/store"
)

// CreateAgentToken makes a token for the probe agent of one location: it
// may fetch that location's assignment and push its results, nothing else.
func (s *Service) CreateAgentToken(ctx context.Context, name, location string) (string, *store.Token, error) {
	if err := config.ValidLocation(location); err != nil {
		return "", nil, invalidf("%v", err)
	}
	if name == "" {
		name = "agent " + location
	}
	return s.createToken(ctx, name, ScopeAgent, location)
}

// Agents lists the locations agents have reported from.
func (s *Service) Agents(ctx context.Context) ([]store.Agent, error) { return s.store.Agents(ctx) }

// The states of a location's agent, as the API and the admin show them.
const (
	AgentReporting = "reporting"
	// AgentSilent: nothing heard for twice its shortest interval; the
	// location left the quorum's count.
	AgentSilent = "silent"
	// AgentNeverSeen: a location monitors name that no agent has reported from.
	AgentNeverSeen = "never_seen"
	// AgentNetworkLost: the agent reports, but has lost its own network (its
	// reference targets, or most of its monitors, fail from it alone); the
	// location left the quorum's count.
	AgentNetworkLost = "network_lost"
)

// AgentStatus is one location's probe agent as the API and the admin list
// it: what the store knows of it, its state and how many monitors name it.
type AgentStatus struct {
	store.Agent
	State    string
	Monitors int // configured monitors assigned to the location
}

// AgentStatuses lists every location an agent reported from or cfg's
// monitors name, by name.
func (s *Service) AgentStatuses(ctx context.Context, cfg config.Config) ([]AgentStatus, error) {
	agents, err := s.store.Agents(ctx)
	if err != nil {
		return nil, err
	}
	assigned := map[string]int{}
	for _, g := range cfg.Groups {
		for _, c := range g.Components {
			for _, m := range c.Monitors {
				for _, l := range m.Locations {
					assigned[l]++
				}
			}
		}
	}
	list := make([]AgentStatus, 0, len(agents)+len(assigned))
	seen := map[string]bool{}
	for _, a := range agents {
		st := AgentReporting
		switch {
		case !a.SilentSince.IsZero():
			st = AgentSilent
		case !a.NetworkLostSince.IsZero():
			st = AgentNetworkLost
		}
		list = append(list, AgentStatus{Agent: a, State: st, Monitors: assigned[a.Location]})
		seen[a.Location] = true
	}
	for l, n := range assigned {
		if !seen[l] {
			list = append(list, AgentStatus{Agent: store.Agent{Location: l}, State: AgentNeverSeen, Monitors: n})
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Location < list[j].Location })
	return list, nil
}

// LocationIntervals lists the intervals in which locations saw monitors
// failing, of componentID ("" for all), overlapping [since, now).
func (s *Service) LocationIntervals(ctx context.Context, componentID string, since time.Time) ([]store.LocationInterval, error) {
	return s.store.LocationIntervals(ctx, false, componentID, since)
}

// LocationStates lists every located monitor's state as each location sees it.
func (s *Service) LocationStates(ctx context.Context) ([]store.LocationState, error) {
	return s.store.LocationStates(ctx)
}

// MeasurementsMoved tells the OnChange listeners that what monitors measured
// moved without any component's status moving (a location's path trouble
// began or ended): the pages read it again. Call it after the change commits.
func (s *Service) MeasurementsMoved() { s.changed() }

package service

import (
	"context"
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

// LocationIntervals lists the intervals in which locations saw monitors
// failing, of componentID ("" for all), overlapping [since, now).
func (s *Service) LocationIntervals(ctx context.Context, componentID string, since time.Time) ([]store.LocationInterval, error) {
	return s.store.LocationIntervals(ctx, false, componentID, since)
}

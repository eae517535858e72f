package monitor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/heraldhq/herald/internal/agent"
	"github.com/heraldhq/herald/internal/monitor"
)

// TestSimulationLocated is the simulation with monitors checked from three
// places (sim_located_test.go), through internal/agent's real server
// endpoint and decider. It lives in the external test package because
// internal/agent imports internal/monitor.
func TestSimulationLocated(t *testing.T) {
	monitor.RunSimulationLocated(t, newSimAgents)
}

// simAgents is the agent side of one simulated process, wired as serve wires
// it (cli.newAgents): the decider, with the notifier for operator alerts
// and the page's hook, and the results endpoint, reached through its HTTP
// handler with an agent token per place.
type simAgents struct {
	decider *agent.Decider
	mux     *http.ServeMux
	tokens  map[string]string
}

func newSimAgents(ctx context.Context, d monitor.SimAgentsDeps) (monitor.SimAgents, error) {
	o := agent.DeciderOptions{Store: d.Store, Config: d.Config, Now: d.Service.Now, OnChange: d.OnChange}
	if os.Getenv("HERALD_SIM_LOG") != "" {
		// The decider's own log, to follow a replayed history.
		o.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	if d.Alerts != nil {
		o.Alerts = d.Alerts
	}
	s := &simAgents{decider: agent.NewDecider(o), mux: http.NewServeMux(), tokens: map[string]string{}}
	agent.NewServer(d.Service, d.Store, d.Config, s.decider, nil).Register(s.mux)
	for _, sp := range monitor.Specs(d.Config()) {
		for _, l := range sp.Monitor.Locations {
			if s.tokens[l] == "" {
				tok, _, err := d.Service.CreateAgentToken(ctx, "", l)
				if err != nil {
					return nil, err
				}
				s.tokens[l] = tok
			}
		}
	}
	return s, nil
}

func (s *simAgents) Push(ctx context.Context, location string, results []monitor.SimAgentResult) (int, error) {
	p := agent.Push{Results: make([]agent.Result, 0, len(results))}
	for _, r := range results {
		p.Results = append(p.Results, agent.Result{RID: r.RID, Monitor: r.Monitor, At: r.At, Level: r.Level.String(),
			LatencyUS: r.Latency.Microseconds(), Message: r.Message})
	}
	body, err := json.Marshal(p)
	if err != nil {
		return 0, err
	}
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, agent.ResultsPath, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.tokens[location])
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return 0, fmt.Errorf("POST %s: %d %s", agent.ResultsPath, rec.Code, rec.Body.String())
	}
	var reply agent.PushReply
	if err := json.Unmarshal(rec.Body.Bytes(), &reply); err != nil {
		return 0, err
	}
	if len(reply.Refused) > 0 {
		return 0, fmt.Errorf("POST %s: refused %+v", agent.ResultsPath, reply.Refused)
	}
	return reply.Stored, nil
}

func (s *simAgents) Pass(ctx context.Context) error { return s.decider.Pass(ctx) }

func (s *simAgents) States() map[string]monitor.SimLocatedState {
	out := map[string]monitor.SimLocatedState{}
	for id, st := range s.decider.States() {
		out[id] = monitor.SimLocatedState{ComponentID: st.ComponentID, State: st.State}
	}
	return out
}

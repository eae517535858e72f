package admin

import (
	"context"
	"net/http"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/monitor"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

type agentsData struct {
	Agents  []service.AgentStatus
	Counts  map[string]int // by state
	Located int            // configured monitors with locations
}

// agents is the probe agents screen: each location, what the server last
// heard from its agent, and how many monitors it checks.
func (a *Admin) agents(w http.ResponseWriter, r *http.Request, s *session) error {
	cfg := a.Config()
	list, err := a.Service.AgentStatuses(r.Context(), cfg)
	if err != nil {
		return err
	}
	d := agentsData{Agents: list, Counts: map[string]int{}}
	for _, ag := range list {
		d.Counts[ag.State]++
	}
	for _, sp := range monitor.Specs(cfg) {
		if sp.Located() {
			d.Located++
		}
	}
	a.render(w, r, s, http.StatusOK, "agents", "Probe agents", "agents", d)
	return nil
}

// located puts in what the agents' decider and each location measured for
// the monitors with locations: the engine does not run them, so its view of
// them says nothing. The states are read as the decider stored them (its
// verdict by quorum on the monitor's row, each place's own detector), which
// every instance reads alike.
func (a *Admin) located(ctx context.Context, cfg config.Config, views []MonitorView) ([]MonitorView, error) {
	specs := map[string]monitor.Spec{}
	for _, sp := range monitor.Specs(cfg) {
		if sp.Located() {
			specs[sp.ID] = sp
		}
	}
	if len(specs) == 0 {
		return views, nil
	}
	rows, err := a.Service.Monitors(ctx)
	if err != nil {
		return nil, err
	}
	states, err := a.Service.LocationStates(ctx)
	if err != nil {
		return nil, err
	}
	agents, err := a.Service.AgentStatuses(ctx, cfg)
	if err != nil {
		return nil, err
	}
	agentState := map[string]string{}
	for _, ag := range agents {
		agentState[ag.Location] = ag.State
	}
	byMonitor := map[string]map[string]LocationView{}
	for _, ls := range states {
		if byMonitor[ls.MonitorID] == nil {
			byMonitor[ls.MonitorID] = map[string]LocationView{}
		}
		byMonitor[ls.MonitorID][ls.Location] = LocationView{State: stateOr(ls.Detector.State), Since: ls.Detector.Since,
			LastCheck: ls.LastCheckAt, LastMessage: ls.LastMessage}
	}
	stored := map[string]store.Monitor{}
	for _, r := range rows {
		stored[r.ID] = r
	}
	out := make([]MonitorView, 0, len(views))
	seen := map[string]bool{}
	for _, v := range views {
		if sp, ok := specs[v.ID]; ok {
			v = locatedView(sp, stored[sp.ID], byMonitor[sp.ID], agentState)
			seen[sp.ID] = true
		}
		out = append(out, v)
	}
	for id, sp := range specs {
		if !seen[id] {
			out = append(out, locatedView(sp, stored[id], byMonitor[id], agentState))
		}
	}
	return out, nil
}

// locatedView is a located monitor as the decider stored it (row), with
// each of its places' views.
func locatedView(sp monitor.Spec, row store.Monitor, places map[string]LocationView, agents map[string]string) MonitorView {
	v := MonitorView{ID: sp.ID, ComponentID: sp.ComponentID, Kind: sp.Monitor.Type, Target: sp.Target(),
		State: stateOr(row.Detector.State), Since: row.Detector.Since, LastCheck: row.LastCheckAt,
		LastMessage: row.LastMessage, LastLatency: row.LastLatency, Quorum: sp.Monitor.Quorum}
	if v.Quorum == "" {
		v.Quorum = config.QuorumMajority
	}
	if row.LastCheckAt.IsZero() || row.LastLevel == status.LevelDown {
		v.LastLatency = 0
	}
	for _, l := range sp.Monitor.Locations {
		lv, ok := places[l]
		if !ok {
			lv = LocationView{State: string(status.MonitorUnknown)}
		}
		lv.Location, lv.Agent = l, agents[l]
		if lv.Agent == "" {
			lv.Agent = service.AgentNeverSeen
		}
		v.Locations = append(v.Locations, lv)
	}
	return v
}

func stateOr(s status.MonitorState) string {
	if s == "" {
		return string(status.MonitorUnknown)
	}
	return string(s)
}

// agentKind is the badge class of an agent's state: a silent one is out of
// the quorum's count, a location never heard from checks nothing yet.
func agentKind(state string) string {
	switch state {
	case service.AgentReporting:
		return status.KindOK
	case service.AgentSilent, service.AgentNetworkLost:
		return status.KindMajor
	}
	return status.KindNone
}

func agentLabel(state string) string {
	switch state {
	case service.AgentReporting:
		return "Reporting"
	case service.AgentSilent:
		return "Silent"
	case service.AgentNetworkLost:
		return "Lost its network"
	}
	return "Never seen"
}

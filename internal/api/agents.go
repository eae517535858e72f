package api

import (
	"net/http"
	"time"
)

// agentJSON is a location's probe agent as GET /api/v1/agents lists it.
type agentJSON struct {
	Location string `json:"location"`
	// State is reporting, silent (it left the quorum's count: nothing heard
	// for twice its shortest interval) or never_seen (a location monitors
	// name that no agent has reported from) or network_lost (it reports,
	// but has lost its own network: it left the quorum's count).
	State       string `json:"state"`
	LastSeenAt  *jtime `json:"last_seen_at"`
	FirstSeenAt *jtime `json:"first_seen_at"`
	SilentSince *jtime `json:"silent_since"`
	// NetworkLostSince is when the current lost-network episode began;
	// NetworkBackAt when the last one ended.
	NetworkLostSince *jtime `json:"network_lost_since"`
	NetworkBackAt    *jtime `json:"network_back_at"`
	Version          string `json:"version"`
	Results          int64  `json:"results"`
	Dropped          int64  `json:"dropped"`
	Monitors         int    `json:"monitors"`
}

func (a *Admin) listAgents(w http.ResponseWriter, r *http.Request, _ string) error {
	if _, err := strictQuery(r); err != nil {
		return err
	}
	agents, err := a.svc.AgentStatuses(r.Context(), a.config())
	if err != nil {
		return err
	}
	list := make([]agentJSON, 0, len(agents))
	for _, ag := range agents {
		list = append(list, agentJSON{Location: ag.Location, State: ag.State, LastSeenAt: jt(ag.LastSeenAt), FirstSeenAt: jt(ag.FirstSeenAt),
			SilentSince: jt(ag.SilentSince), NetworkLostSince: jt(ag.NetworkLostSince), NetworkBackAt: jt(ag.NetworkBackAt), Version: ag.Version, Results: ag.Results, Dropped: ag.Dropped, Monitors: ag.Monitors})
	}
	writeJSON(w, http.StatusOK, map[string]any{"agents": list})
	return nil
}

// locationIntervalJSON is a span in which one location saw a monitor failing.
type locationIntervalJSON struct {
	Monitor   string `json:"monitor"`
	Component string `json:"component"`
	Location  string `json:"location"`
	Severity  string `json:"severity"`
	StartedAt *jtime `json:"started_at"`
	EndedAt   *jtime `json:"ended_at"`
	Open      bool   `json:"open"`
	Cause     string `json:"cause"`
}

// maxIntervals bounds one answer of location intervals.
const maxIntervals = 1000

// listLocationIntervals answers GET /api/v1/location-intervals: per location,
// when checks from there failed (path trouble below the quorum as well as
// the locations that made an outage), oldest first.
func (a *Admin) listLocationIntervals(w http.ResponseWriter, r *http.Request, _ string) error {
	q, err := strictQuery(r, "component", "since")
	if err != nil {
		return err
	}
	comp, err := a.queryComponent(q, false)
	if err != nil {
		return err
	}
	since, err := parseTime("since", q.Get("since"))
	if err != nil {
		return err
	}
	if since.IsZero() {
		since = a.svc.Now().Add(-7 * 24 * time.Hour)
	}
	ivs, err := a.svc.LocationIntervals(r.Context(), comp, since)
	if err != nil {
		return err
	}
	if len(ivs) > maxIntervals {
		ivs = ivs[len(ivs)-maxIntervals:]
	}
	list := make([]locationIntervalJSON, 0, len(ivs))
	for _, li := range ivs {
		list = append(list, locationIntervalJSON{Monitor: li.MonitorID, Component: li.ComponentID, Location: li.Location,
			Severity: string(li.Severity), StartedAt: jt(li.StartedAt), EndedAt: jt(li.EndedAt), Open: li.EndedAt.IsZero(), Cause: li.Cause})
	}
	writeJSON(w, http.StatusOK, map[string]any{"intervals": list})
	return nil
}

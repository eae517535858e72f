package admin

import (
	"net/http"
	"strconv"
	"time"

	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

type groupView struct {
	store.Group
	Components []service.ComponentState
	Worst      status.ComponentStatus
}

type dashboardData struct {
	// AsOf is when the dashboard was read: it does not reload itself (a
	// page that reloads under a screen reader or a keyboard user loses
	// their place), so it says how fresh it is beside a Refresh link.
	AsOf       time.Time
	Overall    status.Overall
	Groups     []groupView
	Down       int // components not operational
	Open       []status.Incident
	Drafts     []status.Incident
	Active     []status.Maintenance
	Today      []status.Maintenance
	Upcoming   []status.Maintenance
	Names      map[string]string
	Monitoring bool
	DownMons   []MonitorView
}

func (a *Admin) dashboard(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	snap, err := a.Service.Snapshot(ctx)
	if err != nil {
		return err
	}
	drafts, err := a.Service.Incidents(ctx, store.IncidentFilter{State: "draft", Limit: 50})
	if err != nil {
		return err
	}
	d := dashboardData{Overall: snap.Overall, Open: snap.Open, Drafts: drafts, Active: snap.Active, Names: a.names(), AsOf: a.now()}
	byGroup := map[string]int{}
	for _, g := range snap.Groups {
		byGroup[g.ID] = len(d.Groups)
		d.Groups = append(d.Groups, groupView{Group: g, Worst: snap.GroupStatus(g.ID)})
	}
	for _, c := range snap.Components {
		i, ok := byGroup[c.GroupID]
		if !ok {
			continue
		}
		g := &d.Groups[i]
		g.Components = append(g.Components, c)
		if c.Status != status.Operational {
			d.Down++
		}
	}
	loc := a.Config().Location()
	now := a.now().In(loc)
	y, m, dd := now.Date()
	endOfDay := time.Date(y, m, dd+1, 0, 0, 0, 0, loc)
	for _, mt := range snap.Upcoming {
		if mt.ScheduledFor.Before(endOfDay) {
			d.Today = append(d.Today, mt)
		} else {
			d.Upcoming = append(d.Upcoming, mt)
		}
	}
	if a.Monitoring != nil {
		d.Monitoring = true
		mons, err := a.located(ctx, a.Config(), a.Monitoring.Monitors())
		if err != nil {
			return err
		}
		for _, mv := range mons {
			if mv.State == "down" || mv.State == "degraded" {
				d.DownMons = append(d.DownMons, mv)
			}
		}
	}
	a.render(w, r, s, http.StatusOK, "dashboard", "Dashboard", "dashboard", d)
	return nil
}

// names maps component ids to "server: service" names for display.
func (a *Admin) names() map[string]string {
	cat := a.Service.Catalog()
	groups := map[string]string{}
	for _, g := range cat.Groups {
		groups[g.ID] = g.Name
	}
	out := map[string]string{}
	for _, c := range cat.Components {
		out[c.ID] = groups[c.GroupID] + ": " + c.Name
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// pathID reads the {id} of a route.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, &formError{http.StatusNotFound, "There is nothing with that number."}
	}
	return id, nil
}

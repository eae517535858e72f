package admin

import (
	"net/http"
	"sort"

	"github.com/heraldhq/herald/internal/words"
)

type outageRow struct {
	OutageView
	Length  string // in words, as the public pages say it
	Ongoing bool
}

type monitorsData struct {
	Configured bool
	Monitors   []MonitorView
	Outages    []outageRow
	Names      map[string]string
	Counts     map[string]int // by state
	Days       int
}

// outageDays is how far back the monitors screen lists outages.
const outageDays = 7

func (a *Admin) monitors(w http.ResponseWriter, r *http.Request, s *session) error {
	d := monitorsData{Names: a.names(), Days: outageDays, Counts: map[string]int{}}
	if a.Monitoring != nil {
		d.Configured = true
		mons, err := a.located(r.Context(), a.Config(), a.Monitoring.Monitors())
		if err != nil {
			return err
		}
		d.Monitors = mons
		// Trouble first, then by component.
		rank := map[string]int{"down": 0, "degraded": 1, "unknown": 2, "up": 3}
		sort.SliceStable(d.Monitors, func(i, j int) bool {
			ri, rj := rank[d.Monitors[i].State], rank[d.Monitors[j].State]
			if ri != rj {
				return ri < rj
			}
			return d.Monitors[i].ComponentID < d.Monitors[j].ComponentID
		})
		for _, m := range d.Monitors {
			d.Counts[m.State]++
		}
		now := a.now()
		outs, err := a.Monitoring.Outages(r.Context(), now.AddDate(0, 0, -outageDays))
		if err != nil {
			return err
		}
		for _, o := range outs {
			row := outageRow{OutageView: o, Ongoing: o.End.IsZero()}
			end := o.End
			if row.Ongoing {
				end = now
			}
			row.Length = words.Span{Start: o.Start, End: end}.Duration()
			d.Outages = append(d.Outages, row)
		}
		sort.SliceStable(d.Outages, func(i, j int) bool { return d.Outages[i].Start.After(d.Outages[j].Start) })
	}
	a.render(w, r, s, http.StatusOK, "monitors", "Monitors", "monitors", d)
	return nil
}

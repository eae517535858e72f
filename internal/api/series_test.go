package api_test

import (
	"fmt"
	"testing"

	"github.com/heraldhq/herald/internal/store/storetest"
)

type seriesJSON struct {
	ID         int64  `json:"id"`
	Title      string `json:"title"`
	Body       string `json:"body"`
	RRule      string `json:"rrule"`
	Start      string `json:"start"`
	Zone       string `json:"zone"`
	Duration   string `json:"duration"`
	Components []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"components"`
	FromConfig bool              `json:"from_config"`
	EndedAt    *string           `json:"ended_at"`
	CreatedAt  *string           `json:"created_at"`
	UpdatedAt  *string           `json:"updated_at"`
	Sequence   int               `json:"sequence"`
	Next       []string          `json:"next"`
	Windows    []maintenanceJSON `json:"windows"`
}

func TestSeriesStory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		// t0 is Wednesday, August 12, 2026. Every Sunday at 2 AM Pacific
		// time: August 16, 23 (within the two weeks ahead) become windows.
		a := f.call(t, "POST", "/api/v1/maintenance-series", map[string]any{
			"title": "Weekly restarts", "body": "The servers restart.", "rrule": "FREQ=WEEKLY;BYDAY=SU",
			"start": "2026-08-16T02:00", "zone": "America/Los_Angeles", "duration": "1h",
			"components": []string{"flexo/web", "mom/web"}})
		s := want[seriesJSON](t, a, 201)
		path := fmt.Sprintf("/api/v1/maintenance-series/%d", s.ID)
		if loc := a.header.Get("Location"); loc != path {
			t.Errorf("Location %q, want %q", loc, path)
		}
		if s.RRule != "FREQ=WEEKLY;BYDAY=SU" || s.Start != "2026-08-16T02:00" || s.Duration != "1h0m0s" || s.FromConfig || s.EndedAt != nil {
			t.Errorf("series %+v", s)
		}
		if len(s.Next) != 5 || s.Next[0] != "2026-08-16T09:00:00Z" || s.Next[1] != "2026-08-23T09:00:00Z" {
			t.Errorf("next %v", s.Next)
		}
		if len(s.Windows) != 2 || s.Windows[0].SeriesID != s.ID || str(s.Windows[0].ScheduledFor) != "2026-08-16T09:00:00Z" ||
			str(s.Windows[0].Occurrence) != "2026-08-16T09:00:00Z" || s.Windows[1].Status != "scheduled" {
			t.Fatalf("windows %+v", s.Windows)
		}

		// One occurrence cancelled as any window is: the series' sequence steps.
		want[maintenanceJSON](t, f.call(t, "POST", fmt.Sprintf("/api/v1/maintenance/%d/cancel", s.Windows[1].ID), nil), 200)
		s = want[seriesJSON](t, f.call(t, "GET", path, nil), 200)
		if s.Sequence != 1 || s.Windows[1].Status != "cancelled" || s.Windows[0].Status != "scheduled" {
			t.Errorf("after a cancelled occurrence: sequence %d, windows %s %s", s.Sequence, s.Windows[0].Status, s.Windows[1].Status)
		}
		list := want[struct {
			Series []seriesJSON `json:"series"`
		}](t, f.callAs(t, f.read, "GET", "/api/v1/maintenance-series", nil), 200)
		if len(list.Series) != 1 || list.Series[0].ID != s.ID || list.Series[0].Windows != nil {
			t.Errorf("list %+v", list.Series)
		}

		// Ended: the window to come is cancelled.
		s = want[seriesJSON](t, f.call(t, "POST", path+"/end", map[string]string{"body": "No more weekly restarts."}), 200)
		if s.EndedAt == nil || s.Windows[0].Status != "cancelled" || len(s.Next) != 0 {
			t.Errorf("ended: %+v", s)
		}
		wantError(t, f.call(t, "POST", path+"/end", nil), 409, "already ended")
		wantError(t, f.call(t, "GET", "/api/v1/maintenance-series/999", nil), 404)
	})
}

func TestSeriesRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b)
		ok := func() map[string]any {
			return map[string]any{"title": "x", "body": "y", "rrule": "FREQ=MONTHLY;BYDAY=1SU", "start": "2026-09-06T02:00",
				"zone": "America/Los_Angeles", "duration": "1h", "components": []string{"flexo/web"}}
		}
		cases := []struct {
			name  string
			key   string
			value any
			code  int // 400 for a request not read, 422 for one the rules refuse
			words []string
		}{
			{"start with a zone", "start", "2026-09-06T02:00:00-07:00", 400, []string{"local time like 2026-01-04T02:00"}},
			{"rule", "rrule", "FREQ=MINUTELY", 422, []string{"DAILY, WEEKLY, MONTHLY or YEARLY"}},
			{"zone", "zone", "Pacific", 422, []string{"unknown time zone"}},
			{"duration", "duration", "soon", 400, []string{"duration"}},
			{"component", "components", []string{"flexo/ftp"}, 422, []string{"unknown component flexo/ftp"}},
			{"unknown field", "until", "never", 400, []string{"until"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				body := ok()
				body[c.key] = c.value
				wantError(t, f.call(t, "POST", "/api/v1/maintenance-series", body), c.code, c.words...)
			})
		}
		wantError(t, f.callAs(t, f.read, "POST", "/api/v1/maintenance-series", ok()), 403)
		list := want[struct {
			Series []seriesJSON `json:"series"`
		}](t, f.call(t, "GET", "/api/v1/maintenance-series", nil), 200)
		if len(list.Series) != 0 {
			t.Errorf("refused series stored: %+v", list.Series)
		}
	})
}

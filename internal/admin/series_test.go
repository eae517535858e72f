package admin_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

func TestSeriesScreens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b, nil)
		c := f.as(t, "erin")
		ctx := t.Context()
		form := url.Values{"title": {"Weekly restarts"}, "body": {"The servers restart."}, "rrule": {"FREQ=WEEKLY;BYDAY=SU"},
			"start": {"2026-11-29T02:00"}, "zone": {"America/Los_Angeles"}, "minutes": {"45"}, "component": {"zapp/web", "zapp/email"}}
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("rrule", "FREQ=HOURLY")
		r := c.post("/admin/maintenance/series", bad)
		wantCode(t, "bad rule", r, http.StatusUnprocessableEntity)
		wantBody(t, "bad rule", r, "repeats DAILY, WEEKLY, MONTHLY or YEARLY", "Weekly restarts", `value="zapp/email" checked`)

		r = c.post("/admin/maintenance/series", form)
		wantCode(t, "schedule", r, http.StatusSeeOther)
		all, err := f.svc.AllSeries(ctx)
		if err != nil || len(all) != 2 {
			t.Fatalf("series %d (%v), want 2", len(all), err)
		}
		sr := all[0] // newest first
		if sr.Title != "Weekly restarts" || sr.Duration != 45*time.Minute || sr.Zone != "America/Los_Angeles" {
			t.Fatalf("stored %+v", sr)
		}
		windows, err := f.svc.Maintenances(ctx, store.MaintenanceFilter{SeriesID: sr.ID})
		if err != nil || len(windows) == 0 {
			t.Fatalf("no windows made (%v)", err)
		}
		wantBody(t, "list", c.get("/admin/maintenance"), "Weekly restarts", "FREQ=WEEKLY;BYDAY=SU", "Repeats: Weekly restarts", "45 minutes")
		wantBody(t, "occurrence", c.get(path("/admin/maintenance/%d", windows[0].ID)), "An occurrence of", "Weekly restarts")

		wantCode(t, "end", c.post(path("/admin/maintenance/series/%d/end", sr.ID), url.Values{}), http.StatusSeeOther)
		w, err := f.svc.Maintenance(ctx, windows[len(windows)-1].ID)
		if err != nil || w.Status != status.Cancelled {
			t.Errorf("after the end the window is %v (%v)", w.Status, err)
		}
		r = c.post(path("/admin/maintenance/series/%d/end", sr.ID), url.Values{})
		wantCode(t, "end again", r, http.StatusConflict)
		wantBody(t, "end again", r, "already ended")
	})
}

package web_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
	"github.com/heraldhq/herald/internal/web"
)

// A series made after the pages were first built reaches the calendar (as
// one recurring event) and the page (its next window) on the next rebuild,
// and an occurrence cancelled on its own becomes the event's EXDATE.
func TestSiteServesSeries(t *testing.T) {
	ctx := context.Background()
	b := storetest.SQLite(t)
	svc := service.New(b.Store, nil, nil)
	if err := svc.SyncCatalog(ctx, []store.Group{{ID: "flexo", Name: "flexo"}},
		[]store.Component{{ID: "flexo/web", GroupID: "flexo", Name: "Web sites"}}); err != nil {
		t.Fatal(err)
	}
	cfg := config.Config{Page: config.Page{Title: "Example Hosting Status", URL: "https://status.example.net", Zone: "America/Los_Angeles"}}
	site := web.NewSite(svc, func() config.Config { return cfg }, nil)
	if err := site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	site.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	la, _ := time.LoadLocation("America/Los_Angeles")
	first := time.Now().In(la).AddDate(0, 0, 1)
	sr, err := svc.CreateSeries(ctx, "test", service.NewSeries{Title: "Nightly backups check", Body: "Backups are verified.",
		Rule: "FREQ=DAILY", Start: time.Date(first.Year(), first.Month(), first.Day(), 2, 0, 0, 0, time.UTC),
		Zone: "America/Los_Angeles", Duration: 30 * time.Minute, Components: []string{"flexo/web"}})
	if err != nil {
		t.Fatal(err)
	}
	windows, err := svc.Maintenances(ctx, store.MaintenanceFilter{SeriesID: sr.ID, State: "upcoming"})
	if err != nil || len(windows) < 2 {
		t.Fatalf("windows %d (%v)", len(windows), err)
	}
	if err := site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	event := func() ical.Event {
		t.Helper()
		_, body := get(t, srv.URL+"/maintenance.ics", nil)
		cal, err := ical.NewDecoder(bytes.NewReader(body)).Decode()
		if err != nil {
			t.Fatalf("%v\n%s", err, body)
		}
		events := cal.Events()
		if len(events) != 1 {
			t.Fatalf("%d events, want the series alone:\n%s", len(events), body)
		}
		return events[0]
	}
	e := event()
	if r := e.Props.Get(ical.PropRecurrenceRule); r == nil || r.Value != "FREQ=DAILY" {
		t.Errorf("RRULE %+v", r)
	}
	if p := e.Props.Get(ical.PropDateTimeStart); p.Params.Get(ical.ParamTimezoneID) != "America/Los_Angeles" {
		t.Errorf("DTSTART %+v", p)
	}
	_, page := get(t, srv.URL+"/", nil)
	if !strings.Contains(string(page), "Nightly backups check") {
		t.Error("the page does not show the series' next window")
	}

	if _, err := svc.CancelMaintenance(ctx, "test", windows[1].ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	e = event()
	ex := e.Props.Get(ical.PropExceptionDates)
	want := windows[1].Occurrence.In(la).Format("20060102T150405")
	if ex == nil || ex.Value != want || ex.Params.Get(ical.ParamTimezoneID) != "America/Los_Angeles" {
		t.Errorf("EXDATE %+v, want %s in America/Los_Angeles", ex, want)
	}
	if seq, _ := e.Props.Get(ical.PropSequence).Int(); seq != 1 {
		t.Errorf("SEQUENCE %d after a cancelled occurrence, want 1", seq)
	}
}

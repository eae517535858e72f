package service_test

import (
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// An operator reviewing a drafted incident corrects a word of its update:
// the text changes, its time and status stay, and the log keeps both texts.
func TestEditIncidentUpdate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := setup(t, b)
		ctx := t.Context()
		in := must(e.svc.OpenIncident(ctx, "herald (monitors)", service.NewIncident{Title: "Web sites on flexo not responding",
			Body: "We're investigating a problem with Web site service on the flexo server.", Draft: true, Auto: true,
			Components: comps{"flexo/web": status.MajorOutage}}))(t)
		u := in.Updates[0]
		e.clock.Add(time.Minute)
		got := must(e.svc.EditIncidentUpdate(ctx, "user:amy", in.ID, u.ID, "We're investigating a problem with Web sites on the flexo server."))(t)
		if len(got.Updates) != 1 || got.Updates[0].Body != "We're investigating a problem with Web sites on the flexo server." ||
			!got.Updates[0].DisplayAt.Equal(u.DisplayAt) || got.Updates[0].Status != u.Status {
			t.Errorf("after the edit: %+v", got.Updates)
		}
		log := must(e.svc.Changes(ctx, "incident:"+itoa(in.ID), 1))(t)
		if log[0].Action != "incident.update.edit" || log[0].Actor != "user:amy" {
			t.Errorf("change log: %+v", log[0])
		}
		_, err := e.svc.EditIncidentUpdate(ctx, "user:amy", in.ID, u.ID+100, "x")
		wantErr[*service.NotFoundError](t, err, "has no update")
		_, err = e.svc.EditIncidentUpdate(ctx, "user:amy", in.ID, u.ID, "  ")
		wantErr[*service.InvalidError](t, err, "body is required")
	})
}

package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// TestRenderedWhenWritten: every text comes back with the HTML and text
// rendered when it was written, on both databases.
func TestRenderedWhenWritten(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := t.Context()
		seedCatalog(t, b.Store)
		in := &status.Incident{Title: "x", Impact: status.ImpactMinor, Status: status.Investigating, StartedAt: base,
			CreatedAt: base, UpdatedAt: base, Postmortem: "A **bad** deploy."}
		if err := b.Store.InsertIncident(ctx, in); err != nil {
			t.Fatal(err)
		}
		u := &status.IncidentUpdate{IncidentID: in.ID, Status: status.Investigating, Body: "We are *looking*.", CreatedAt: base, DisplayAt: base}
		if err := b.Store.InsertIncidentUpdate(ctx, u); err != nil {
			t.Fatal(err)
		}
		if u.Rendered != rendered(u.Body) || in.PostmortemRendered != rendered(in.Postmortem) {
			t.Errorf("the values written were not given their renderings: %+v, %+v", u.Rendered, in.PostmortemRendered)
		}
		got, err := b.Store.Incident(ctx, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if h := got.Updates[0].Rendered.HTML; !strings.Contains(string(h), "<em>looking</em>") {
			t.Errorf("update HTML = %q", h)
		}
		if got.PostmortemRendered.Text != "A bad deploy." {
			t.Errorf("postmortem text = %q", got.PostmortemRendered.Text)
		}
		if err := b.Store.SetIncidentUpdateBody(ctx, in.ID, u.ID, "Now `fixed`."); err != nil {
			t.Fatal(err)
		}
		got, _ = b.Store.Incident(ctx, in.ID)
		if h := got.Updates[0].Rendered.HTML; !strings.Contains(string(h), "<code>fixed</code>") {
			t.Errorf("edited update HTML = %q", h)
		}

		m := newMaintenance("the router", status.Scheduled, time.Hour, 2*time.Hour)
		m.Body = "Reboot of **flexo**."
		insertMaintenance(t, b.Store.Queries, m)
		mu := &status.MaintenanceUpdate{MaintenanceID: m.ID, Status: status.Scheduled, Body: "- one\n- two", CreatedAt: base, DisplayAt: base}
		if err := b.Store.InsertMaintenanceUpdate(ctx, mu); err != nil {
			t.Fatal(err)
		}
		gm := loadMaintenance(t, b.Store, m.ID)
		if !strings.Contains(string(gm.Rendered.HTML), "<strong>flexo</strong>") || !strings.Contains(string(gm.Updates[0].Rendered.HTML), "<li>two</li>") {
			t.Errorf("maintenance renderings: %+v, %+v", gm.Rendered, gm.Updates[0].Rendered)
		}
	})
}

// TestSaveRendersChangedText: a save renders a text again when the text
// changed, and only then. The stored HTML is marked through SQL to tell.
func TestSaveRendersChangedText(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := t.Context()
		seedCatalog(t, b.Store)
		in := &status.Incident{Title: "x", Impact: status.ImpactMinor, Status: status.Investigating, StartedAt: base,
			CreatedAt: base, UpdatedAt: base, Postmortem: "First."}
		if err := b.Store.InsertIncident(ctx, in); err != nil {
			t.Fatal(err)
		}
		m := newMaintenance("the router", status.Scheduled, time.Hour, 2*time.Hour)
		insertMaintenance(t, b.Store.Queries, m)
		mark := func() {
			t.Helper()
			for _, q := range []string{`UPDATE incidents SET postmortem_html = 'marked'`, `UPDATE maintenances SET body_html = 'marked'`} {
				if _, err := b.Store.DB().ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
		}
		mark()
		in.Status, in.UpdatedAt = status.Identified, base.Add(time.Minute) // the text stays
		if err := b.Store.SaveIncident(ctx, in); err != nil {
			t.Fatal(err)
		}
		m.Status = status.InProgress
		if err := b.Store.SaveMaintenance(ctx, m); err != nil {
			t.Fatal(err)
		}
		got, _ := b.Store.Incident(ctx, in.ID)
		if got.PostmortemRendered.HTML != "marked" {
			t.Errorf("an unchanged postmortem was rendered again: %q", got.PostmortemRendered.HTML)
		}
		if gm := loadMaintenance(t, b.Store, m.ID); gm.Rendered.HTML != "marked" {
			t.Errorf("an unchanged announcement was rendered again: %q", gm.Rendered.HTML)
		}

		in.Postmortem = "Second, *changed*."
		if err := b.Store.SaveIncident(ctx, in); err != nil {
			t.Fatal(err)
		}
		m.Body = "Changed *too*."
		if err := b.Store.SaveMaintenance(ctx, m); err != nil {
			t.Fatal(err)
		}
		got, _ = b.Store.Incident(ctx, in.ID)
		if got.PostmortemRendered != rendered(in.Postmortem) || in.PostmortemRendered != got.PostmortemRendered {
			t.Errorf("a changed postmortem: stored %+v, given %+v", got.PostmortemRendered, in.PostmortemRendered)
		}
		if gm := loadMaintenance(t, b.Store, m.ID); gm.Rendered != rendered(m.Body) || m.Rendered != gm.Rendered {
			t.Errorf("a changed announcement: stored %+v, given %+v", gm.Rendered, m.Rendered)
		}
	})
}

// TestRenderPending: texts stored before renderings were (NULL) read as
// escaped plain text, and are rendered, once, by RenderPending (which
// Migrate runs).
func TestRenderPending(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := t.Context()
		seedCatalog(t, b.Store)
		in := &status.Incident{Title: "x", Impact: status.ImpactMinor, Status: status.Investigating, StartedAt: base,
			CreatedAt: base, UpdatedAt: base, Postmortem: "*old*"}
		if err := b.Store.InsertIncident(ctx, in); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			u := &status.IncidentUpdate{IncidentID: in.ID, Status: status.Investigating, Body: "**old** <b>" + strings.Repeat("!", i),
				CreatedAt: base, DisplayAt: base}
			if err := b.Store.InsertIncidentUpdate(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		m := newMaintenance("the router", status.Scheduled, time.Hour, 2*time.Hour)
		insertMaintenance(t, b.Store.Queries, m)
		for _, q := range []string{
			`UPDATE incidents SET postmortem_html = NULL, postmortem_text = NULL`,
			`UPDATE incident_updates SET body_html = NULL, body_text = NULL`,
			`UPDATE maintenances SET body_html = NULL, body_text = NULL`,
		} {
			if _, err := b.Store.DB().ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		got, _ := b.Store.Incident(ctx, in.ID)
		if h := got.Updates[0].Rendered.HTML; !strings.HasPrefix(string(h), "<p>**old** &lt;b&gt;") {
			t.Errorf("an unrendered update reads as %q, want the text as typed", h)
		}
		n, err := b.Store.RenderPending(ctx)
		if err != nil || n != 5 {
			t.Fatalf("RenderPending = %d, %v; want 5 texts", n, err)
		}
		got, _ = b.Store.Incident(ctx, in.ID)
		if got.Updates[0].Rendered != rendered(got.Updates[0].Body) || got.PostmortemRendered != rendered("*old*") {
			t.Errorf("after RenderPending: %+v, %+v", got.Updates[0].Rendered, got.PostmortemRendered)
		}
		if n, err := b.Store.RenderPending(ctx); err != nil || n != 0 {
			t.Errorf("RenderPending again = %d, %v; want nothing left", n, err)
		}
	})
}

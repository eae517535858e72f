package web

import (
	"bytes"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

func TestFingerprintTellsEveryFieldApart(t *testing.T) {
	at := time.Date(2026, 12, 4, 9, 48, 0, 0, time.UTC)
	base := store.Outage{ID: 7, ComponentID: "flexo/web", MonitorID: "flexo/web/http", Severity: status.MonitorDown,
		StartedAt: at, EndedAt: at.Add(time.Minute), Cause: "connection refused", IncidentID: 3, Decision: "incident",
		DetectedAt: at.Add(20 * time.Second)}
	of := func(vs ...any) []byte {
		var f fingerprint
		f.add(vs...)
		return f
	}
	if !bytes.Equal(of(base), of(base)) {
		t.Fatal("the same outage fingerprints two ways")
	}
	changes := map[string]func(o *store.Outage){
		"id":          func(o *store.Outage) { o.ID++ },
		"component":   func(o *store.Outage) { o.ComponentID = "flexo/mail" },
		"severity":    func(o *store.Outage) { o.Severity = status.MonitorDegraded },
		"start":       func(o *store.Outage) { o.StartedAt = o.StartedAt.Add(time.Second) },
		"end, by 1ns": func(o *store.Outage) { o.EndedAt = o.EndedAt.Add(time.Nanosecond) },
		"still open":  func(o *store.Outage) { o.EndedAt = time.Time{} },
		"cause":       func(o *store.Outage) { o.Cause += "!" },
		"window":      func(o *store.Outage) { o.MaintenanceID = 1 },
		"decision":    func(o *store.Outage) { o.Decision = "ignored" },
		"zone":        func(o *store.Outage) { o.StartedAt = o.StartedAt.In(time.FixedZone("PST", -8*3600)) },
	}
	for name, change := range changes {
		o := base
		change(&o)
		if bytes.Equal(of(o), of(base)) {
			t.Errorf("%s changed, the fingerprint did not", name)
		}
	}
	// Strings are delimited: moving a byte from one field to the next shows.
	if bytes.Equal(of("ab", "c"), of("a", "bc")) {
		t.Error(`"ab","c" and "a","bc" fingerprint alike`)
	}
	if bytes.Equal(of([]string{"a"}, []string{}), of([]string{}, []string{"a"})) {
		t.Error("slices are not delimited")
	}
	defer func() {
		if recover() == nil {
			t.Error("a map was fingerprinted without its order being defined")
		}
	}()
	of(map[string]int{"a": 1})
}

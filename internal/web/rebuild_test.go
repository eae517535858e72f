package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
	"github.com/heraldhq/herald/internal/web"
)

// guard bounds every wait on another goroutine. It turns a hang into a
// failure; nothing is timed against it.
const guard = 10 * time.Second

const debugDiff = false

var (
	rwGroups = []store.Group{{ID: "flexo", Name: "flexo"}, {ID: "mom", Name: "mom", Position: 1}}
	rwComps  = []store.Component{
		{ID: "flexo/web", GroupID: "flexo", Name: "Web sites"},
		{ID: "flexo/email", GroupID: "flexo", Name: "E-mail", Position: 1},
		{ID: "mom/web", GroupID: "mom", Name: "Web sites"},
	}
	rwConfig = config.Config{Page: config.Page{Title: "Example Hosting Status", URL: "https://status.example.net", Zone: "America/Los_Angeles"}}
)

func (c *fixedClock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }
func (c *fixedClock) add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

func newService(t *testing.T, st *store.Store, clock service.Clock) *service.Service {
	t.Helper()
	svc := service.New(st, clock, nil)
	if err := svc.SyncCatalog(t.Context(), rwGroups, rwComps); err != nil {
		t.Fatal(err)
	}
	return svc
}

func newSite(t *testing.T, svc *service.Service) *web.Site {
	t.Helper()
	site := web.NewSite(svc, func() config.Config { return rwConfig }, nil)
	if err := site.Rebuild(t.Context()); err != nil {
		t.Fatal(err)
	}
	return site
}

// sameDocuments fails unless got holds exactly want's documents, byte for byte.
func sameDocuments(t *testing.T, step string, got, want map[string][]byte) {
	t.Helper()
	var diffs []string
	for path, body := range want {
		g, ok := got[path]
		switch {
		case !ok:
			diffs = append(diffs, "missing "+path)
		case !bytes.Equal(g, body):
			diffs = append(diffs, "stale "+path)
			if debugDiff {
				i := 0
				for i < len(g) && i < len(body) && g[i] == body[i] {
					i++
				}
				t.Logf("%s differs at %d:\n got %q\nwant %q", path, i, g[max(0, i-200):min(len(g), i+200)], body[max(0, i-200):min(len(body), i+200)])
			}
		}
	}
	for path := range got {
		if _, ok := want[path]; !ok {
			diffs = append(diffs, "left over "+path)
		}
	}
	slices.Sort(diffs)
	if len(diffs) > 0 {
		t.Errorf("after %s, the documents rendered from what changed differ from a full rendering: %s", step, strings.Join(diffs, ", "))
	}
}

// A rebuild renders only what the change log names, and what it serves is
// what rendering everything from the records would serve, after every kind
// of change.
func TestRebuildOfWhatChangedEqualsAFullOne(t *testing.T) {
	ctx := context.Background()
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	clock := &fixedClock{t: time.Date(2026, 11, 25, 10, 30, 0, 0, la).UTC()}
	b := storetest.SQLite(t)
	svc := newService(t, b.Store, clock)
	// Some history first, so the pages have something to keep.
	var old []int64
	for i := range 6 {
		started := clock.Now().AddDate(0, -2*i-1, 0)
		in, err := svc.OpenIncident(ctx, "test", service.NewIncident{Title: fmt.Sprintf("Old trouble %d", i), Body: "Looking.",
			StartedAt: started, Components: map[string]status.ComponentStatus{"mom/web": status.PartialOutage}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ResolveIncident(ctx, "test", in.ID, service.Resolution{Body: "Fixed.", ResolvedAt: started.Add(20 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		old = append(old, in.ID)
	}
	site := newSite(t, svc)
	full := func() map[string][]byte {
		t.Helper()
		fresh := web.NewSite(svc, func() config.Config { return rwConfig }, nil)
		if err := fresh.Rebuild(ctx); err != nil {
			t.Fatal(err)
		}
		return fresh.Documents()
	}
	var (
		open, draft *status.Incident
		window      *status.Maintenance
	)
	steps := []struct {
		name string
		do   func() error
	}{
		{"opening an incident", func() (err error) {
			open, err = svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Web sites on flexo unreachable", Body: "Looking.",
				Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}})
			return err
		}},
		{"an update", func() error {
			_, err := svc.PostIncidentUpdate(ctx, "test", open.ID, service.IncidentUpdate{Status: status.Identified, Body: "Apache hangs."})
			return err
		}},
		{"a minute passing", func() error { clock.add(time.Minute); return nil }},
		{"a draft", func() (err error) {
			draft, err = svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Mail on mom slow", Body: "Looking.", Draft: true,
				Components: map[string]status.ComponentStatus{"mom/web": status.DegradedPerformance}})
			return err
		}},
		{"publishing the draft", func() error { _, err := svc.PublishIncident(ctx, "test", draft.ID); return err }},
		{"linking an old incident", func() error { _, err := svc.LinkIncidents(ctx, "test", open.ID, old[2]); return err }},
		{"renaming the linked incident", func() error {
			title := "Web sites on flexo unreachable again"
			_, err := svc.EditIncident(ctx, "test", open.ID, service.IncidentEdit{Title: &title})
			return err
		}},
		{"moving an incident to another month", func() error {
			started := clock.Now().AddDate(0, -3, 0)
			_, err := svc.EditIncident(ctx, "test", draft.ID, service.IncidentEdit{StartedAt: &started})
			return err
		}},
		{"resolving with a postmortem", func() error {
			_, err := svc.ResolveIncident(ctx, "test", open.ID, service.Resolution{Body: "Restarted.", Postmortem: "Apache did not reload."})
			return err
		}},
		{"deleting an incident", func() error { return svc.DeleteIncident(ctx, "test", old[4]) }},
		{"renaming an old incident", func() error {
			title := "Old trouble, now understood"
			_, err := svc.EditIncident(ctx, "test", old[1], service.IncidentEdit{Title: &title})
			return err
		}},
		{"a postmortem on an old incident", func() error {
			_, err := svc.SetPostmortem(ctx, "test", old[1], "The disk filled up. "+strings.Repeat("Long story. ", 40))
			return err
		}},
		{"unlinking", func() error { _, err := svc.UnlinkIncidents(ctx, "test", open.ID, old[2]); return err }},
		{"scheduling maintenance", func() (err error) {
			start := clock.Now().Add(2 * time.Hour).Truncate(time.Minute)
			window, err = svc.ScheduleMaintenance(ctx, "test", service.NewMaintenance{Title: "Kernel update", Body: "Restarting.",
				Components: []string{"flexo/web", "flexo/email"}, Start: start, End: start.Add(10 * time.Minute)})
			return err
		}},
		{"adding a server to the window", func() error {
			_, err := svc.EditMaintenance(ctx, "test", window.ID, service.MaintenanceEdit{Add: []string{"mom/web"}})
			return err
		}},
		{"cancelling another window", func() error {
			start := clock.Now().Add(48 * time.Hour).Truncate(time.Minute)
			other, err := svc.ScheduleMaintenance(ctx, "test", service.NewMaintenance{Title: "Disk swap", Body: "Swapping.",
				Components: []string{"mom/web"}, Start: start, End: start.Add(time.Hour)})
			if err != nil {
				return err
			}
			_, err = svc.CancelMaintenance(ctx, "test", other.ID, "Not needed.")
			return err
		}},
		{"the window starting", func() error {
			clock.set(window.ScheduledFor.Add(time.Minute))
			_, err := svc.AdvanceMaintenance(ctx)
			return err
		}},
		{"the window completing", func() error {
			_, err := svc.CompleteMaintenance(ctx, "test", window.ID, "Done.")
			return err
		}},
		{"a manual status", func() error {
			_, err := svc.SetOverride(ctx, "test", "mom/web", status.PartialOutage, "")
			return err
		}},
		{"a measurement", func() error {
			svc.SetMeasured(map[string]status.ComponentStatus{"flexo/email": status.MajorOutage})
			return nil
		}},
		{"midnight", func() error { clock.add(24 * time.Hour); return nil }},
		{"a new month", func() error { clock.add(7 * 24 * time.Hour); return nil }},
	}
	for _, step := range steps {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if err := site.RebuildChanged(ctx); err != nil {
			t.Fatalf("rebuild after %s: %v", step.name, err)
		}
		sameDocuments(t, step.name, site.Documents(), full())
	}
}

// writeHandler opens an incident per request through the service, as the
// admin API does.
func writeHandler(svc *service.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		in, err := svc.OpenIncident(r.Context(), "test", service.NewIncident{Title: string(body), Body: "Looking.",
			Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}})
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnprocessableEntity)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]int64{"id": in.ID})
	})
}

func unresolvedTitles(t *testing.T, url string) []string {
	t.Helper()
	_, body := get(t, url+"/api/v2/incidents/unresolved.json", nil)
	var doc struct{ Incidents []struct{ Name string } }
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, in := range doc.Incidents {
		out = append(out, in.Name)
	}
	return out
}

// A write made through Consistent answers once the documents show it: the
// first read after it is never stale, for writes one after another and for
// writes at the same time.
func TestWritesAnswerOnceThePagesShowThem(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	b := storetest.SQLite(t)
	svc := newService(t, b.Store, nil)
	site := newSite(t, svc)
	var wg sync.WaitGroup
	wg.Go(func() { site.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()
	mux := http.NewServeMux()
	site.Register(mux)
	mux.Handle("POST /write", site.Consistent(writeHandler(svc)))
	srv := httptest.NewServer(site.Handler(mux))
	defer srv.Close()

	post := func(title string) {
		resp, err := http.Post(srv.URL+"/write", "text/plain", strings.NewReader(title))
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Errorf("write: %s", resp.Status)
		}
	}
	for i := range 5 {
		title := fmt.Sprintf("One after another %d", i)
		post(title)
		if got := unresolvedTitles(t, srv.URL); !slices.Contains(got, title) {
			t.Fatalf("the first read after the write does not show %q: %v", title, got)
		}
		_, page := get(t, srv.URL+"/", nil)
		if !strings.Contains(string(page), title) {
			t.Fatalf("/ does not show %q after the write returned", title)
		}
	}
	var writers sync.WaitGroup
	for i := range 8 {
		writers.Go(func() {
			title := fmt.Sprintf("At the same time %d", i)
			post(title)
			if got := unresolvedTitles(t, srv.URL); !slices.Contains(got, title) {
				t.Errorf("the first read after the write does not show %q", title)
			}
		})
	}
	writers.Wait()
}

// A write that fails, or a read, does not wait for anything; a write whose
// change the pages never show (Run is not running) answers after the bound
// and says so in the log.
func TestWritesWaitOnlyForTheirChangesAndOnlySoLong(t *testing.T) {
	b := storetest.SQLite(t)
	svc := newService(t, b.Store, nil)
	var logs bytes.Buffer
	site := web.NewSite(svc, func() config.Config { return rwConfig }, slog.New(slog.NewTextHandler(&logs, nil)))
	if err := site.Rebuild(t.Context()); err != nil {
		t.Fatal(err)
	}
	site.SetWriteWait(50 * time.Millisecond)
	failing := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no", http.StatusUnprocessableEntity)
	})
	srv := httptest.NewServer(site.Consistent(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			failing.ServeHTTP(w, r)
			return
		}
		writeHandler(svc).ServeHTTP(w, r)
	})))
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/fail", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if logs.Len() != 0 {
		t.Errorf("a failed write waited: %s", logs.String())
	}
	resp, err = http.Post(srv.URL+"/write", "text/plain", strings.NewReader("Nobody rebuilds"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("write: %s", resp.Status)
	}
	if !strings.Contains(logs.String(), "a write answered before the public pages showed it") {
		t.Errorf("no warning for a write the pages did not show in time; log: %s", logs.String())
	}
}

func summaryHas(t *testing.T, h http.Handler, title string) bool {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v2/summary.json", nil))
	var doc struct{ Incidents []struct{ Name string } }
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, in := range doc.Incidents {
		if in.Name == title {
			return true
		}
	}
	return false
}

// Two instances on one database: a write through one shows in the other's
// summary.json, through PostgreSQL's signal or, on SQLite, the poll.
func TestAnotherInstanceShowsAWrite(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		defer func() { cancel(); wg.Wait() }()
		instance := func(st *store.Store) (*service.Service, http.Handler) {
			svc := newService(t, st, nil)
			f, err := svc.Follow(ctx)
			if err != nil {
				t.Fatal(err)
			}
			site := newSite(t, svc)
			wg.Go(func() { site.Run(ctx) })
			wg.Go(func() { f.Run(ctx, service.FollowEvery) })
			mux := http.NewServeMux()
			site.Register(mux)
			return svc, site.Handler(mux)
		}
		one, _ := instance(b.Store)
		second, err := store.Open(ctx, store.DSN{URL: b.URL, DataDir: b.DataDir})
		if err != nil {
			t.Fatal(err)
		}
		defer second.Close()
		_, other := instance(second)

		title := "Web sites on flexo unreachable"
		if _, err := one.OpenIncident(ctx, "test", service.NewIncident{Title: title, Body: "Looking.",
			Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(guard) // a failure guard; the bound is measured by bench/readwrite
		for !summaryHas(t, other, title) {
			if time.Now().After(deadline) {
				t.Fatal("the other instance never showed the write")
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// With the database unreadable, the page shows what monitors measure now,
// marked as not yet recorded, and keeps the records it read last.
func TestPagesShowLiveStatusWhenTheDatabaseIsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	b := storetest.SQLite(t)
	svc := newService(t, b.Store, nil)
	title := "Mail on mom delayed"
	if _, err := svc.OpenIncident(ctx, "test", service.NewIncident{Title: title, Body: "Looking.",
		Components: map[string]status.ComponentStatus{"mom/web": status.PartialOutage}}); err != nil {
		t.Fatal(err)
	}
	site := newSite(t, svc)
	var wg sync.WaitGroup
	wg.Go(func() { site.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()
	mux := http.NewServeMux()
	site.Register(mux)
	srv := httptest.NewServer(site.Handler(mux))
	defer srv.Close()

	if err := b.Store.Close(); err != nil {
		t.Fatal(err)
	}
	svc.SetMeasuredUnrecorded(map[string]status.ComponentStatus{"flexo/web": status.MajorOutage})
	type doc struct {
		Components []struct{ ID, Name, Status string }
		Incidents  []struct{ Name string }
		Status     struct{ Indicator string }
		Live       *struct {
			Recorded bool
			Note     string
		} `json:"live_status"`
	}
	var got doc
	deadline := time.Now().Add(guard) // a failure guard, not a timing assertion
	for {
		_, body := get(t, srv.URL+"/api/v2/summary.json", nil)
		got = doc{}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		if got.Live != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("summary.json never said it was live: %s", body)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got.Live.Recorded || !strings.Contains(got.Live.Note, "not yet recorded") {
		t.Errorf("live_status = %+v", got.Live)
	}
	if got.Status.Indicator != "critical" {
		t.Errorf("indicator %q, want critical from the measurement", got.Status.Indicator)
	}
	statuses := map[string]string{}
	for _, c := range got.Components {
		statuses[c.Name] = c.Status
	}
	if len(got.Incidents) != 1 || got.Incidents[0].Name != title {
		t.Errorf("incidents %+v, want the one read last", got.Incidents)
	}
	_, comps := get(t, srv.URL+"/api/v2/components.json", nil)
	if !strings.Contains(string(comps), `"live_status":{"recorded":false`) || !strings.Contains(string(comps), `"status":"major_outage"`) {
		t.Errorf("components.json: %s", comps)
	}
	_, page := get(t, srv.URL+"/", nil)
	if !strings.Contains(string(page), "not yet recorded") || !strings.Contains(string(page), `class="note live"`) {
		t.Error("/ has no not-yet-recorded note")
	}
	_, comp := get(t, srv.URL+"/components/flexo/web", nil)
	if !strings.Contains(string(comp), "not yet recorded") || !strings.Contains(string(comp), "Major outage") {
		t.Error("the component page does not show the live status")
	}
}

// The first rendering has nothing read before to fall back on, so the
// bound that lets a later rebuild give up on a slow database (and render
// from what it read last) does not apply to it: a large fleet's first
// reading may take longer, and giving up on it stopped an instance from
// starting. With that bound so short that every read misses it, the first
// rendering still reads the records; a later one falls back.
func TestFirstRenderingIsNotCutShort(t *testing.T) {
	b := storetest.SQLite(t)
	svc := newService(t, b.Store, nil)
	if _, err := svc.OpenIncident(t.Context(), "test", service.NewIncident{Title: "Mail on mom delayed", Body: "Looking.",
		Components: map[string]status.ComponentStatus{"mom/web": status.PartialOutage}}); err != nil {
		t.Fatal(err)
	}
	site := web.NewSite(svc, func() config.Config { return rwConfig }, nil)
	site.SetReadWait(time.Nanosecond)
	if err := site.Rebuild(t.Context()); err != nil {
		t.Fatalf("first rendering: %v", err)
	}
	if !bytes.Contains(site.Documents()["/"], []byte("Mail on mom delayed")) {
		t.Fatal("the first rendering does not show the open incident")
	}
	if _, err := svc.OpenIncident(t.Context(), "test", service.NewIncident{Title: "Web on flexo slow", Body: "Looking.",
		Components: map[string]status.ComponentStatus{"flexo/web": status.DegradedPerformance}}); err != nil {
		t.Fatal(err)
	}
	if err := site.RebuildChanged(t.Context()); err == nil {
		t.Fatal("a later rebuild read its records within a nanosecond; the test's bound does not bind")
	}
	if !bytes.Contains(site.Documents()["/"], []byte("Mail on mom delayed")) {
		t.Fatal("a later rebuild that gave up lost what the first one read")
	}
}

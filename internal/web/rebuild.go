package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/statuspage"
	"github.com/heraldhq/herald/internal/store"
)

// How a rebuild stays cheap however long the history grows.
//
// The records the pages are made of are kept from one rebuild to the next
// and brought up to date from the change log: its subjects ("incident:7",
// "maintenance:3") name what to read again. A rebuild then renders in two
// phases, each swapped in as soon as it is ready:
//
//  1. the snapshot, the /api/v2 documents and the front page, which say
//     what is going on now;
//  2. the component pages whose inputs moved (componentKey; every one a
//     minute after that was last done, as their figures move with the
//     clock: componentsDue), the pages of the incidents and windows that
//     changed (and of those linking to them), the history months that list
//     them (every month when a month's count moved, since each page lists
//     the counts), and the feeds when anything in them changed.
//
// The front page keeps its component rows the same way (indexRow).
//
// Open incidents and running windows are rendered again every time, as
// their "so far" durations move. Everything is rendered at start, after
// midnight in the page's zone (day words and the history's months move),
// and after a new configuration or catalog (InvalidateAll).

// records are what the pages are built from, kept between rebuilds.
type records struct {
	cursor  *store.ChangeCursor
	day     time.Time        // midnight starting the day everything was last rendered
	catalog *service.Catalog // the catalog it was rendered with
	since   time.Time        // the history pages' first day
	// incidents are the published incidents the pages cover (open, or
	// started or resolved since since); windows are every window.
	incidents map[int64]status.Incident
	windows   map[int64]status.Maintenance
	// series are the recurring maintenance series, for the calendar;
	// staleSeries says the change log named one since they were read.
	series      []status.Series
	staleSeries bool
	// latest are the newest published incidents, for the JSON and the feeds.
	latest []status.Incident
	cards  map[int64]incidentCard // resolved incidents', as the history lists them
	// Named by the change log and not rendered yet: each rebuild reads them
	// again until one renders them.
	staleIncidents, staleWindows map[int64]bool
	snap                         *service.Snapshot // the last one read
	mon                          *monitoring
	readAt                       time.Time // when snap was read
	// spanKeys fingerprint each incident's per-location spans as last
	// rendered (incidentSpanKeys).
	spanKeys map[int64]string
	// setState is what page:'s documents were rendered with, as each entry
	// of pages: keeps its own; componentsAt is when every component page
	// was last rendered.
	setState
	componentsAt time.Time
	// keys are the componentKeys of the running rebuild, which its phases
	// share.
	keys map[string]string
}

// listLimit is how many incidents and windows the JSON lists and the feeds carry.
const listLimit = 50

// readTimeout bounds a rebuild's reads: with the database unreachable, the
// pages are rendered from what was read last instead of waiting on it.
// firstReadTimeout bounds the first rebuild's, which has nothing read
// before to fall back on: a large fleet's first reading (ten thousand
// monitors' bars) may take longer than a refresh may wait, and an instance
// starting beside busy others must not give up on it.
const (
	readTimeout      = 5 * time.Second
	firstReadTimeout = 2 * time.Minute
)

// historyStart is the first day the history pages cover.
func historyStart(now time.Time, loc *time.Location) time.Time {
	y, m, _ := now.In(loc).Date()
	return time.Date(y, m, 1, 0, 0, 0, 0, loc).AddDate(0, -(historyMonths - 1), 0)
}

// historyMonthKeys names every month the history pages cover.
func historyMonthKeys(now time.Time, loc *time.Location) map[string]bool {
	first := historyStart(now, loc)
	keys := make(map[string]bool, historyMonths)
	for i := range historyMonths {
		keys[first.AddDate(0, i, 0).Format("2006-01")] = true
	}
	return keys
}

// rebuild brings the documents up to date: everything when full (or when
// the day or the catalog moved), else what the change log names. When the
// records cannot be read it renders what says what is going on now from the
// records read last and what monitors measure now, and returns the error.
func (s *Site) rebuild(ctx context.Context, full bool) error {
	// Told after the lock is let go: a listener reading Served waits for it.
	defer s.tellRebuilt()
	s.buildMu.Lock()
	defer s.buildMu.Unlock()
	// Whatever committed before this reading is read below.
	gen := s.svc.Generation()
	cfg := s.cfg()
	loc := cfg.Location()
	now := s.svc.Now()
	r := s.rec
	full = full || r == nil || r.catalog != s.svc.Catalog() || !r.day.Equal(dayStart(now, loc))

	wait := s.readWait
	if s.rec == nil {
		wait = firstReadTimeout
	}
	readCtx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var (
		plan *selection
		err  error
	)
	if full {
		r, err = s.load(readCtx, loc, now)
		plan = nil // every page
	} else {
		plan, err = s.refresh(readCtx, r, loc)
	}
	s.rendered = s.rendered[:0]
	var snap *service.Snapshot
	var mon *monitoring
	if err == nil {
		// Two reads of their own: side by side.
		var snapErr error
		done := make(chan struct{})
		go func() {
			defer close(done)
			snap, snapErr = s.svc.Snapshot(readCtx)
		}()
		mon, err = s.loadMonitoring(readCtx, cfg, loc, now)
		<-done
		err = errors.Join(snapErr, err)
	}
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		return errors.Join(err, s.renderFromMemory(cfg, loc, now))
	}
	r.snap, r.mon, r.readAt = snap, mon, now
	s.rec = r
	s.setLively(snap)
	if plan != nil {
		plan.allComponents = componentsDue(r, now)
		// Open incidents and running windows move with the clock.
		for _, in := range snap.Open {
			if _, ok := r.incidents[in.ID]; ok {
				plan.incidents[in.ID] = true
				plan.months[monthKey(in.StartedAt, loc)] = true
			}
		}
		for _, m := range snap.Active {
			plan.windows[m.ID] = true
			if at, ok := windowListedAt(&m); ok {
				plan.months[monthKey(at, loc)] = true
			}
		}
	}
	// An incident's page lists where its outages were seen from: a
	// location's interval ending after the incident did renders it again.
	spanKeys := incidentSpanKeys(mon)
	if plan != nil {
		for id, k := range spanKeys {
			if _, ok := r.incidents[id]; ok && r.spanKeys[id] != k {
				plan.incidents[id] = true
			}
		}
	}
	all := s.pageInput(cfg, loc, now, r, snap, mon)
	in := scope(all, func(g string) bool { return !cfg.Hidden(g) })
	r.keys = map[string]string{}
	if err := s.renderNow(cfg, loc, in, r, false, plan == nil || plan.allComponents); err != nil {
		return err
	}
	if err := s.renderRest(cfg, loc, in, r, plan); err != nil {
		return err
	}
	if err := s.renderPages(cfg, all, plan); err != nil {
		return err
	}
	r.spanKeys = spanKeys
	// The figures worked out for this rebuild's pages (90 days of each
	// component's) are not kept at rest: renderFromMemory works them out
	// again.
	clear(mon.cache)
	if plan == nil || plan.allComponents {
		// From when they were done: a fleet whose pages take longer than
		// refreshEvery to render still gets rebuilds of what changed
		// between the ones of everything.
		r.componentsAt = s.svc.Now()
	}
	// Read again and rendered: until now a failure left them to the next try.
	clear(r.staleIncidents)
	clear(r.staleWindows)
	r.staleSeries = false
	s.markShown(gen)
	return nil
}

// componentsDue reports whether a rebuild renders every component page:
// one does once the last that did ended refreshEvery ago (or the clock went
// back), so that the pages' clock-driven figures (the last 24 hours,
// today's bar, "so far", each monitor's last check) move on: the clock's
// rebuilds come at least that far apart. Others, after a write or after
// what monitors measure moved, render the component pages whose
// componentKey moved; while a fleet's first states or a mass outage pour
// in, that is the components whose status moved, not every one per batch
// of results written.
func componentsDue(r *records, now time.Time) bool {
	return now.Sub(r.componentsAt) >= refreshEvery || now.Before(r.componentsAt)
}

// load reads every record the pages show.
func (s *Site) load(ctx context.Context, loc *time.Location, now time.Time) (*records, error) {
	// The cursor starts before anything is read: what commits meanwhile is
	// read again next time, never missed.
	cur, err := s.svc.NewChangeCursor(ctx)
	if err != nil {
		return nil, err
	}
	r := &records{cursor: cur, day: dayStart(now, loc), catalog: s.svc.Catalog(), since: historyStart(now, loc),
		incidents: map[int64]status.Incident{}, windows: map[int64]status.Maintenance{},
		staleIncidents: map[int64]bool{}, staleWindows: map[int64]bool{}, setState: setState{feed: newFeedItems()},
		cards: map[int64]incidentCard{}}
	recent, err := s.svc.Incidents(ctx, r.filter())
	if err != nil {
		return nil, err
	}
	for _, in := range recent {
		r.incidents[in.ID] = in
	}
	windows, err := s.svc.Maintenances(ctx, store.MaintenanceFilter{})
	if err != nil {
		return nil, err
	}
	for _, m := range windows {
		r.windows[m.ID] = m
	}
	if r.series, err = s.svc.AllSeries(ctx); err != nil {
		return nil, err
	}
	if r.latest, err = s.svc.Incidents(ctx, store.IncidentFilter{State: "published", Limit: listLimit}); err != nil {
		return nil, err
	}
	return r, nil
}

// filter selects the incidents the pages cover.
func (r *records) filter() store.IncidentFilter {
	return store.IncidentFilter{State: "published", Since: r.since}
}

// refresh reads again the records the change log names since the last
// rebuild, and returns the pages that show them.
func (s *Site) refresh(ctx context.Context, r *records, loc *time.Location) (*selection, error) {
	refs, err := r.cursor.Next(ctx)
	if err != nil {
		return nil, err
	}
	for _, ref := range refs {
		kind, id, ok := subjectID(ref.Subject)
		switch {
		case !ok:
		case kind == "incident":
			r.staleIncidents[id] = true
		case kind == "maintenance":
			r.staleWindows[id] = true
		case kind == "maintenance_series":
			r.staleSeries = true
		}
	}
	plan := &selection{incidents: map[int64]bool{}, windows: map[int64]bool{}, months: map[string]bool{}}
	// A link is kept on both incidents, and each lists the other's title:
	// an incident's linked ones are read again with it.
	for queue := slices.Collect(maps.Keys(r.staleIncidents)); len(queue) > 0; {
		id := queue[0]
		queue = queue[1:]
		in, err := s.svc.Incident(ctx, id)
		var missing *service.NotFoundError
		if err != nil && !errors.As(err, &missing) {
			return nil, err
		}
		plan.incidents[id] = true
		var links []int64
		if old, ok := r.incidents[id]; ok {
			plan.months[monthKey(old.StartedAt, loc)] = true
			links = append(links, old.Links...)
		}
		if in != nil && r.filter().Keeps(in) {
			r.incidents[id] = *in
			plan.months[monthKey(in.StartedAt, loc)] = true
			links = append(links, in.Links...)
		} else {
			delete(r.incidents, id)
		}
		for _, l := range links {
			if !r.staleIncidents[l] {
				r.staleIncidents[l] = true
				queue = append(queue, l)
			}
		}
	}
	if r.staleSeries {
		// A handful at most: read again whole.
		if r.series, err = s.svc.AllSeries(ctx); err != nil {
			return nil, err
		}
		plan.series = true
	}
	r.feed.forget(r.staleIncidents, r.staleWindows)
	for id := range r.staleIncidents {
		delete(r.cards, id)
	}
	for id := range r.staleWindows {
		m, err := s.svc.Maintenance(ctx, id)
		var missing *service.NotFoundError
		if err != nil && !errors.As(err, &missing) {
			return nil, err
		}
		plan.windows[id] = true
		if old, ok := r.windows[id]; ok {
			if at, listed := windowListedAt(&old); listed {
				plan.months[monthKey(at, loc)] = true
			}
		}
		if m != nil {
			r.windows[id] = *m
			if at, listed := windowListedAt(m); listed {
				plan.months[monthKey(at, loc)] = true
			}
			// An occurrence cancelled alone changes its series' calendar event too.
			r.staleSeries = r.staleSeries || m.SeriesID != 0
		} else {
			delete(r.windows, id)
		}
	}
	if r.staleSeries && !plan.series {
		if r.series, err = s.svc.AllSeries(ctx); err != nil {
			return nil, err
		}
		plan.series = true
	}
	if len(r.staleIncidents) > 0 {
		if r.latest, err = s.latest(ctx, r); err != nil {
			return nil, err
		}
	}
	return plan, nil
}

// latest lists the newest published incidents, as the store would: from
// the records kept when they hold them all (the listLimit-th newest began
// within the pages' months, so every incident not kept began before it),
// else from the store.
func (s *Site) latest(ctx context.Context, r *records) ([]status.Incident, error) {
	list := sortedIncidents(r.incidents)
	if len(list) >= listLimit && !list[listLimit-1].StartedAt.Before(r.since) {
		return list[:listLimit], nil
	}
	return s.svc.Incidents(ctx, store.IncidentFilter{State: "published", Limit: listLimit})
}

// sortedIncidents lists incidents as the store does: newest start first.
func sortedIncidents(m map[int64]status.Incident) []status.Incident {
	list := make([]status.Incident, 0, len(m))
	for _, in := range m {
		list = append(list, in)
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := &list[i], &list[j]
		if !a.StartedAt.Equal(b.StartedAt) {
			return a.StartedAt.After(b.StartedAt)
		}
		return a.ID > b.ID
	})
	return list
}

// subjectID splits a change log subject such as "incident:7".
func subjectID(subject string) (string, int64, bool) {
	kind, id, ok := strings.Cut(subject, ":")
	if !ok {
		return "", 0, false
	}
	n, err := strconv.ParseInt(id, 10, 64)
	return kind, n, err == nil
}

func (s *Site) setLively(snap *service.Snapshot) {
	lively := len(snap.Open) > 0 || len(snap.Active) > 0
	for _, c := range snap.Components {
		lively = lively || c.Status != status.Operational
	}
	s.lively.Store(lively)
}

// pageInput gathers what the pages are built from.
func (s *Site) pageInput(cfg config.Config, loc *time.Location, now time.Time, r *records, snap *service.Snapshot, mon *monitoring) pageInput {
	incidents := sortedIncidents(r.incidents)
	windows := make([]status.Maintenance, 0, len(r.windows))
	for _, m := range r.windows {
		windows = append(windows, m)
	}
	sort.Slice(windows, func(i, j int) bool {
		a, b := &windows[i], &windows[j]
		if !a.ScheduledFor.Equal(b.ScheduledFor) {
			return a.ScheduledFor.After(b.ScheduledFor)
		}
		return a.ID > b.ID
	})
	cat := s.svc.Catalog()
	comps := make(map[string]store.Component, len(cat.Components))
	for _, c := range cat.Components {
		comps[c.ID] = c
	}
	groups := make(map[string]store.Group, len(cat.Groups))
	for _, g := range cat.Groups {
		groups[g.ID] = g
	}
	in := pageInput{Page: cfg.Page, Loc: loc, Now: now, Snapshot: snap, Incidents: incidents, Windows: windows, Series: r.series,
		Groups: groups, Comps: comps, Monitoring: mon, Cards: r.cards, Latest: r.latest}
	in.Live = liveNote(snap, r.readAt, newWords(loc, now, cfg.Page.Lang()))
	return in
}

// lastRead is when the database was last read, within a sentence: "today,
// 12:18 PM Pacific time", "heute, 12:18 Uhr (Pazifikzeit)".
func (w *words) lastRead(t time.Time) string {
	s := w.WhenMid(t)
	if w.wr.L.English() {
		// English's day words begin a line; here one is mid-sentence.
		s = strings.ToLower(s[:1]) + s[1:]
	}
	return s
}

// liveNote says, when it is so, that the statuses shown are measured but not
// yet recorded.
func liveNote(snap *service.Snapshot, readAt time.Time, w *words) string {
	switch {
	case snap.Stale:
		return w.T("Herald cannot read its database right now. The statuses shown are what our monitors measure now and are not yet recorded; incidents and maintenance are as last read, %s.",
			w.lastRead(readAt))
	case snap.Unrecorded:
		return w.T("Herald cannot write to its database right now. The statuses shown are what our monitors measure now and are not yet recorded in the history.")
	}
	return ""
}

// newestWindows are the listLimit windows scheduled latest, as the JSON lists them.
func newestWindows(all []status.Maintenance) []status.Maintenance {
	return all[:min(len(all), listLimit)]
}

// renderNow renders and swaps in what says what is going on now: the
// /api/v2 documents and the front page, and with components the component
// pages too.
//
// The front page's rows are kept in r and rendered again when their
// component's key moved, or every one with allRows.
func (s *Site) renderNow(cfg config.Config, loc *time.Location, in pageInput, r *records, components, allRows bool) (err error) {
	// The JSON is made beside the pages: neither writes what the other reads.
	var (
		docs    map[string][]byte
		jsonErr error
		done    = make(chan struct{})
	)
	go func() {
		defer close(done)
		docs, jsonErr = statuspage.Build(statuspage.Input{Page: cfg.Page, Location: loc, Snapshot: in.Snapshot,
			Incidents: in.Latest, Maintenances: newestWindows(in.Windows), Components: in.Comps, Live: in.Live})
	}()
	defer func() { <-done }()
	if r.rows == nil {
		r.rows = map[string]indexRow{}
	}
	if r.frames == nil {
		r.frames = map[string]string{}
	}
	defer func() {
		if err != nil {
			clear(r.frames) // rendered but not swapped in: every frame next time
		}
	}()
	if allRows {
		clear(r.rows) // and rows of components gone go with them
	}
	in.Only = &selection{index: true, components: components, rows: r.rows, frames: r.frames, allComponents: allRows,
		kept: map[string]bool{}, keys: r.keys}
	prev := *s.assets.Load()
	pages, made, err := s.build(in, prev)
	<-done
	if err := errors.Join(err, jsonErr); err != nil {
		return err
	}
	s.renderedRows = in.Only.rowsRendered
	// The brand's files go with the first pages that link to them.
	list := append(pageDocs(pages), allBrandDocs(cfg)...)
	for name, body := range docs {
		list = append(list, doc{"/api/v2/" + name, "application/json; charset=utf-8", body, docLanguage(cfg.Page)})
	}
	next := maps.Clone(prev)
	// The badges and framed widgets of servers and components no longer
	// configured go.
	for path := range prev {
		if _, ok := pages[path]; nowDoc(path) && !ok && !in.Only.kept[path] {
			delete(next, path)
		}
	}
	if err := putAll(next, prev, list); err != nil {
		return err
	}
	maps.Copy(next, made)
	s.assets.Store(&next)
	return nil
}

// renderRest renders and swaps in the other pages plan names, or every
// other page when plan is nil.
func (s *Site) renderRest(cfg config.Config, loc *time.Location, in pageInput, r *records, plan *selection) error {
	counts := historyCounts(in.Incidents, in.Windows, loc)
	if plan != nil && !maps.Equal(counts, r.counts) {
		// Every month's page lists every month's count.
		maps.Copy(plan.months, historyMonthKeys(in.Now, loc))
	}
	sel := plan
	if sel == nil {
		sel = &selection{notFound: true, incidents: map[int64]bool{}, windows: map[int64]bool{}, months: map[string]bool{}}
		for _, x := range in.Incidents {
			sel.incidents[x.ID] = true
		}
		for _, m := range in.Windows {
			sel.windows[m.ID] = true
		}
		sel.months = historyMonthKeys(in.Now, loc)
	}
	sel.components = true
	if r.compKeys == nil {
		r.compKeys = map[string]string{}
	}
	sel.compKeys = r.compKeys
	sel.keys = r.keys
	sel.allComponents = plan == nil || plan.allComponents
	in.Only = sel
	prev := *s.assets.Load()
	pages, made, err := s.build(in, prev)
	if err != nil {
		clear(r.compKeys) // rendered but not swapped in
		return err
	}
	var next map[string]*asset
	if plan == nil {
		// Everything is rendered: nothing of the previous set but what the
		// first phase just put there is kept.
		next = map[string]*asset{"/": prev["/"]}
		for path, a := range s.fixed {
			next[path] = a
		}
		for _, name := range statuspage.Names {
			next["/api/v2/"+name] = prev["/api/v2/"+name]
		}
		for path, a := range prev {
			if nowDoc(path) {
				next[path] = a
			}
		}
	} else {
		next = maps.Clone(prev)
		for _, path := range unlisted(in, plan) {
			delete(next, path)
		}
	}
	for _, path := range r.showComponents(in) {
		delete(next, path)
	}
	list := pageDocs(pages)
	if plan == nil {
		// Kept: the first phase put them there (a new brand's old files go).
		list = append(list, allBrandDocs(cfg)...)
	}
	if plan == nil || len(plan.incidents) > 0 || len(plan.windows) > 0 || plan.series {
		items := r.feed.items(cfg, loc, in.Latest, newestWindows(in.Windows))
		feeds, err := feedDocs(cfg, items, in.Windows, in.Series, in.Now)
		if err != nil {
			return err
		}
		list = append(list, feeds...)
	}
	if err := putAll(next, prev, list); err != nil {
		clear(r.compKeys) // rendered but not swapped in
		return err
	}
	maps.Copy(next, made)
	r.counts = counts
	s.assets.Store(&next)
	return nil
}

// showComponents notes the component pages in shows, and returns those
// shown before that it no longer shows; the keys of their components go, so
// that one coming back is rendered anew.
func (st *setState) showComponents(in pageInput) (gone []string) {
	shown := make(map[string]bool, len(in.Snapshot.Components))
	for _, c := range in.Snapshot.Components {
		shown[componentURL(c.ID)] = true
	}
	for path := range st.components {
		if !shown[path] {
			gone = append(gone, path)
		}
	}
	for id := range st.compKeys {
		if !shown[componentURL(id)] {
			delete(st.compKeys, id)
		}
	}
	st.components = shown
	return gone
}

// unlisted are the pages of the incidents and windows plan names that in
// does not list: gone, or no longer on the page in is scoped to.
func unlisted(in pageInput, plan *selection) []string {
	listed := map[string]bool{}
	for _, x := range in.Incidents {
		listed[fmt.Sprintf("/incidents/%d", x.ID)] = true
	}
	for _, m := range in.Windows {
		listed[fmt.Sprintf("/maintenance/%d", m.ID)] = true
	}
	var out []string
	for id := range plan.incidents {
		if path := fmt.Sprintf("/incidents/%d", id); !listed[path] {
			out = append(out, path)
		}
	}
	for id := range plan.windows {
		if path := fmt.Sprintf("/maintenance/%d", id); !listed[path] {
			out = append(out, path)
		}
	}
	return out
}

// renderFromMemory renders what says what is going on now, and the
// component pages, from the records read last and what monitors measure
// now, when the records cannot be read. It does nothing before a first
// successful read.
func (s *Site) renderFromMemory(cfg config.Config, loc *time.Location, now time.Time) error {
	r := s.rec
	if r == nil || r.snap == nil {
		return nil
	}
	snap := s.svc.Rederive(r.snap)
	s.setLively(snap)
	// The component pages are rendered below from other statuses than
	// their keys say: the next rebuild renders each again.
	clear(r.compKeys)
	r.keys = map[string]string{}
	all := s.pageInput(cfg, loc, now, r, snap, r.mon)
	in := scope(all, func(g string) bool { return !cfg.Hidden(g) })
	if err := s.renderNow(cfg, loc, in, r, true, true); err != nil {
		return err
	}
	return s.renderPages(cfg, all, nil)
}

// build renders in's pages: those kept compressed only are made into assets
// as they are rendered (compressor, from prev), the others returned as
// bytes. It notes the paths rendered (Site.rendered), which tests read.
func (s *Site) build(in pageInput, prev map[string]*asset) (map[string][]byte, map[string]*asset, error) {
	sink := newCompressor(prev)
	pages, err := buildPagesTo(in, sink)
	made, zerr := sink.wait()
	if err := errors.Join(err, zerr); err != nil {
		return nil, nil, err
	}
	for path := range pages {
		s.rendered = append(s.rendered, path)
	}
	for path := range made {
		s.rendered = append(s.rendered, path)
	}
	return pages, made, nil
}

// doc is a rendered document on its way to being served.
type doc struct {
	path, contentType string
	body              []byte
	// lang is the language a document other than a page is written in,
	// for its Content-Language header (a page's is on its html element).
	lang string
}

// pageDocs lists rendered pages (and badges); "404" is the not-found page.
func pageDocs(pages map[string][]byte) []doc {
	list := make([]doc, 0, len(pages))
	for path, body := range pages {
		ct := htmlType
		if strings.HasPrefix(path, badgePrefix) {
			ct = badgeType
		}
		list = append(list, doc{path, ct, body, ""})
	}
	return list
}

// unchanged reports whether old is d's asset already: the same bytes of
// the same type and language.
func unchanged(old *asset, d doc) bool {
	return old.contentType == d.contentType && old.same(d.body) &&
		old.header.Get("Content-Language") == contentLanguage(d.body, d.contentType, d.lang)
}

// putAll makes docs the documents at their paths in next. A document whose
// bytes did not change keeps its previous asset (compression and ETag); the
// others are compressed side by side, one per core.
func putAll(next, prev map[string]*asset, docs []doc) error {
	var fresh []doc
	for _, d := range docs {
		if old, ok := prev[d.path]; ok && unchanged(old, d) {
			next[d.path] = old
			continue
		}
		fresh = append(fresh, d)
	}
	assets := make([]*asset, len(fresh))
	errs := make([]error, len(fresh))
	var wg sync.WaitGroup
	slots := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, d := range fresh {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			assets[i], errs[i] = newAsset(d.path, d.body, d.contentType, d.lang)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for i, d := range fresh {
		next[d.path] = assets[i]
	}
	return nil
}

// compressor makes the assets of the pages a rebuild keeps compressed only
// (gzOnly) while the rebuild renders the others, one page per core beside
// the rendering. A page is then held uncompressed only until it is
// compressed, not until every page of the rebuild is rendered: the first
// round of checks after a start renders the component pages of a fleet
// (200 pages of 50 to 75 KB at ten thousand monitors) again and again,
// and holding them all took 8 MB more heap for the whole round.
type compressor struct {
	prev  map[string]*asset // the assets served now: an unchanged page keeps its own
	slots chan struct{}
	wg    sync.WaitGroup

	mu      sync.Mutex
	made    map[string]*asset
	aliases [][2]string // to, from
	errs    []error
}

func newCompressor(prev map[string]*asset) *compressor {
	return &compressor{prev: prev, slots: make(chan struct{}, runtime.GOMAXPROCS(0)), made: map[string]*asset{}}
}

// put takes the page rendered in buf (from renderBufs) for path, which is
// kept compressed only, and gives buf back to the pool once done with it.
// It waits for a free core's slot, so a rebuild holds at most one page per
// core besides the one it is rendering.
func (c *compressor) put(path string, buf *bytes.Buffer) {
	d := doc{path: path, contentType: htmlType, body: buf.Bytes()}
	if old, ok := c.prev[path]; ok && unchanged(old, d) {
		putRenderBuf(buf)
		c.done(path, old, nil)
		return
	}
	c.slots <- struct{}{}
	c.wg.Go(func() {
		defer func() { <-c.slots }()
		// newAsset keeps no reference to the body of a gzOnly page.
		a, err := newAsset(d.path, d.body, d.contentType, d.lang)
		putRenderBuf(buf)
		c.done(path, a, err)
	})
}

func (c *compressor) done(path string, a *asset, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.errs = append(c.errs, err)
		return
	}
	c.made[path] = a
}

// alias serves the page put for from at to as well, once it is made.
func (c *compressor) alias(to, from string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.aliases = append(c.aliases, [2]string{to, from})
}

// wait returns the assets made, by path, once every page put is compressed.
func (c *compressor) wait() (map[string]*asset, error) {
	c.wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, a := range c.aliases {
		if made, ok := c.made[a[1]]; ok {
			c.made[a[0]] = made
		}
	}
	return c.made, errors.Join(c.errs...)
}

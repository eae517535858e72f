package web

import (
	"bytes"
	"context"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/statuspage"
	"github.com/heraldhq/herald/internal/store"
)

// Several pages from one Herald (the pages: list). Each entry is a page of
// its own: its documents (front page, component pages, history, feeds,
// /api/v2, badges, the framed widget) are rendered with the rest after
// every change, from the same records, filtered to the groups it shows;
// like page:'s, only those the change moved (renderSet). An
// incident or window is on every page showing one of its components, and
// on each it names only the components that page shows. A request is
// served by the entry whose host it names, else whose path it starts with,
// else by page:.
//
// page: shows every group but those of private pages, so a private page's
// servers are named in no public document; when no page is private, page:
// is rendered exactly as without pages:.

// pageSet is one entry of pages: and its rendered documents. The keys of a
// path page's documents start with its path ("/reseller/", "/reseller/history").
type pageSet struct {
	entry  config.PageEntry
	assets atomic.Pointer[map[string]*asset]
	// servers are a private page's documents per server it shows, for a
	// visitor who may see one (private.go).
	servers atomic.Pointer[map[string]*map[string]*asset]
	// state is what renderSet keeps between renderings of the page, and
	// serverStates of each server's view of a private one. Only rebuilds
	// (under Site.buildMu) touch them.
	state        setState
	serverStates map[string]*setState
}

// prefix is what the page's addresses start with: its path, or nothing.
func (p *pageSet) prefix() string { return p.entry.Path }

type pageKey struct{}

// pageOf is the entry a request was routed to, nil for page:.
func pageOf(r *http.Request) *pageSet {
	p, _ := r.Context().Value(pageKey{}).(*pageSet)
	return p
}

// PageOf is the entry of pages: a request was routed to (its id, groups and
// privacy), or nil when page: serves it.
func PageOf(r *http.Request) *config.PageEntry {
	if p := pageOf(r); p != nil {
		return &p.entry
	}
	return nil
}

// route finds the entry serving r: by host name, else by path prefix.
func (s *Site) route(r *http.Request) *pageSet { return s.routeTo(r.Host, r.URL.Path) }

// routeTo finds the entry serving path on host (a Host header's value).
func (s *Site) routeTo(host, path string) *pageSet {
	sets := s.pages.Load()
	if sets == nil || len(*sets) == 0 {
		return nil
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, p := range *sets {
		if p.entry.Host != "" && p.entry.Host == host {
			return p
		}
	}
	for _, p := range *sets {
		if pre := p.entry.Path; pre != "" && (path == pre || strings.HasPrefix(path, pre+"/")) {
			return p
		}
	}
	return nil
}

// assetsFor are the documents serving r's page.
func (s *Site) assetsFor(r *http.Request) map[string]*asset {
	if p := pageOf(r); p != nil {
		return *p.assets.Load()
	}
	return *s.assets.Load()
}

// scope is in as a page showing only the groups shows accepts sees it:
// the components, incidents and windows it shows, each naming only the
// components shown, and the overall status derived from them. It returns
// in itself when every group is shown.
func scope(in pageInput, shows func(group string) bool) pageInput {
	all := true
	for _, g := range in.Groups {
		all = all && shows(g.ID)
	}
	if all {
		return in
	}
	shown := map[string]bool{}
	comps := map[string]store.Component{}
	for id, c := range in.Comps {
		if shows(c.GroupID) {
			shown[id], comps[id] = true, c
		}
	}
	groups := map[string]store.Group{}
	for id, g := range in.Groups {
		if shows(id) {
			groups[id] = g
		}
	}
	snap := *in.Snapshot
	snap.Groups = nil
	for _, g := range in.Snapshot.Groups {
		if shows(g.ID) {
			snap.Groups = append(snap.Groups, g)
		}
	}
	snap.Components = nil
	derived := map[string]status.ComponentStatus{}
	for _, c := range in.Snapshot.Components {
		if shown[c.ID] {
			snap.Components = append(snap.Components, c)
			derived[c.ID] = c.Status
		}
	}
	snap.Open = scopeIncidents(in.Snapshot.Open, shown)
	snap.Active = scopeWindows(in.Snapshot.Active, shown)
	snap.Upcoming = scopeWindows(in.Snapshot.Upcoming, shown)
	snap.Overall = status.DeriveOverall(derived, snap.Open)
	out := in
	out.Snapshot = &snap
	out.Comps, out.Groups = comps, groups
	out.Incidents = scopeIncidents(in.Incidents, shown)
	out.Windows = scopeWindows(in.Windows, shown)
	out.Series = scopeSeries(in.Series, shown)
	out.Latest = scopeIncidents(in.Latest, shown)
	out.Cards = nil // cards are kept for page:'s own view of the records
	return out
}

// scopeIncidents keeps the incidents touching a shown component, each
// naming the shown components only.
func scopeIncidents(list []status.Incident, shown map[string]bool) []status.Incident {
	var out []status.Incident
	for _, in := range list {
		var comps []status.AffectedComponent
		for _, ac := range in.Components {
			if shown[ac.ComponentID] {
				comps = append(comps, ac)
			}
		}
		if len(comps) == 0 {
			continue
		}
		in.Components = comps
		updates := make([]status.IncidentUpdate, len(in.Updates))
		for i, u := range in.Updates {
			var changes []status.ComponentChange
			for _, ch := range u.Changes {
				if shown[ch.ComponentID] {
					changes = append(changes, ch)
				}
			}
			u.Changes = changes
			updates[i] = u
		}
		in.Updates = updates
		out = append(out, in)
	}
	return out
}

func scopeWindows(list []status.Maintenance, shown map[string]bool) []status.Maintenance {
	var out []status.Maintenance
	for _, m := range list {
		var comps []string
		for _, id := range m.Components {
			if shown[id] {
				comps = append(comps, id)
			}
		}
		if len(comps) == 0 {
			continue
		}
		m.Components = comps
		out = append(out, m)
	}
	return out
}

// scopeSeries keeps the series on a shown component, each naming the shown
// components only (as their windows do, by scopeWindows).
func scopeSeries(list []status.Series, shown map[string]bool) []status.Series {
	var out []status.Series
	for _, sr := range list {
		var comps []string
		for _, id := range sr.Components {
			if shown[id] {
				comps = append(comps, id)
			}
		}
		if len(comps) == 0 {
			continue
		}
		sr.Components = comps
		out = append(out, sr)
	}
	return out
}

// syncPages makes the page sets match cfg's pages:, keeping the documents
// of entries that stayed where they were until they are rendered again.
func (s *Site) syncPages(cfg config.Config) []*pageSet {
	old := map[string]*pageSet{}
	if sets := s.pages.Load(); sets != nil {
		for _, p := range *sets {
			old[p.entry.ID] = p
		}
	}
	sets := make([]*pageSet, 0, len(cfg.Pages))
	for _, e := range cfg.Pages {
		p, ok := old[e.ID]
		if !ok || p.entry.Host != e.Host || p.entry.Path != e.Path {
			p = &pageSet{}
			empty := map[string]*asset{}
			p.assets.Store(&empty)
		}
		p.entry = e
		sets = append(sets, p)
	}
	s.pages.Store(&sets)
	return sets
}

// renderPages renders the documents of every entry of pages: from in
// (everything, as page: shows it before scope): every one when plan is nil,
// else what plan names and what says what is going on now, as page:'s are
// (rebuild.go), each entry keeping the rest from its last rendering.
func (s *Site) renderPages(cfg config.Config, in pageInput, plan *selection) error {
	for _, p := range s.syncPages(cfg) {
		if err := s.renderPage(cfg, p, in, plan); err != nil {
			return err
		}
	}
	return nil
}

func (s *Site) renderPage(cfg config.Config, p *pageSet, all pageInput, plan *selection) error {
	pcfg := cfg.ForPage(p.entry)
	next, err := s.renderSet(pcfg, p, &p.state, scope(all, p.entry.Shows), *p.assets.Load(), plan)
	if err != nil {
		return err
	}
	if p.entry.Private == nil {
		p.assets.Store(&next)
		return nil
	}
	// A private page is also rendered for each of its servers alone: what
	// a customer signed in for one server sees.
	servers := map[string]*map[string]*asset{}
	old := p.servers.Load()
	states := map[string]*setState{}
	for _, g := range p.entry.Groups {
		prev := map[string]*asset{}
		if old != nil && (*old)[g] != nil {
			prev = *(*old)[g]
		}
		st := p.serverStates[g]
		if st == nil {
			st = &setState{}
		}
		states[g] = st
		one, err := s.renderSet(pcfg, p, st, scope(all, func(id string) bool { return id == g }), prev, plan)
		if err != nil {
			return err
		}
		servers[g] = &one
	}
	p.assets.Store(&next)
	p.servers.Store(&servers)
	p.serverStates = states
	return nil
}

// setState is what a set of documents was rendered with, kept from one
// rendering to the next to render only what changed: page:'s (in records)
// and each entry of pages:'s (and each server's view of a private one).
type setState struct {
	// compKeys are the componentKey each component page was rendered with:
	// a component with none is rendered. An entry of pages: whose compKeys
	// are nil (before a first rendering, or after a failed one) renders
	// everything.
	compKeys   map[string]string
	rows       map[string]indexRow // the front page's, as last rendered
	frames     map[string]string   // each framed widget's frameKey, by path, as last rendered
	components map[string]bool     // the component pages' paths, unprefixed
	counts     map[string]int      // entries per history month, as rendered
	feed       *feedItems
	// rendered are the paths an entry of pages: last rendered, unprefixed,
	// for tests (page:'s are Site.rendered).
	rendered []string
}

// renderSet renders a page's documents from in (already scoped) and returns
// them with those kept from prev: every one when plan is nil or st holds
// nothing rendered before, else the documents saying what is going on now,
// the component pages whose key moved (every one with plan.allComponents),
// and the incident, window and history pages and feeds plan names.
func (s *Site) renderSet(pcfg config.Config, p *pageSet, st *setState, in pageInput, prev map[string]*asset, plan *selection) (next map[string]*asset, err error) {
	in.Page, in.Loc = pcfg.Page, pcfg.Location()
	// page:'s resolved incidents' cards are in its language and zone.
	in.Cards = nil
	if st.compKeys == nil {
		plan = nil
	}
	defer func() {
		if err != nil {
			st.compKeys = nil // rendered but not swapped in: everything next time
		}
	}()
	counts := historyCounts(in.Incidents, in.Windows, in.Loc)
	sel := &selection{index: true, components: true, incidents: map[int64]bool{}, windows: map[int64]bool{},
		months: map[string]bool{}, kept: map[string]bool{}, keys: map[string]string{}}
	if plan == nil {
		*st = setState{compKeys: map[string]string{}, rows: map[string]indexRow{}, frames: map[string]string{}, feed: newFeedItems()}
		sel.notFound, sel.allComponents, sel.series = true, true, true
		for _, x := range in.Incidents {
			sel.incidents[x.ID] = true
		}
		for _, m := range in.Windows {
			sel.windows[m.ID] = true
		}
		sel.months = historyMonthKeys(in.Now, in.Loc)
	} else {
		maps.Copy(sel.incidents, plan.incidents)
		maps.Copy(sel.windows, plan.windows)
		maps.Copy(sel.months, plan.months)
		sel.series, sel.allComponents = plan.series, plan.allComponents
		if !maps.Equal(counts, st.counts) {
			// Every month's page lists every month's count.
			maps.Copy(sel.months, historyMonthKeys(in.Now, in.Loc))
		}
		st.feed.forget(plan.incidents, plan.windows)
	}
	if sel.allComponents {
		clear(st.rows) // and rows of components gone go with them
	}
	sel.rows, sel.compKeys, sel.frames = st.rows, st.compKeys, st.frames
	in.Only = sel
	docs, err := statuspage.Build(statuspage.Input{Page: pcfg.Page, Location: in.Loc, Snapshot: in.Snapshot,
		Incidents: in.Latest, Maintenances: newestWindows(in.Windows), Components: in.Comps, Live: in.Live})
	if err != nil {
		return nil, err
	}
	pages, err := buildPages(in)
	if err != nil {
		return nil, err
	}
	st.rendered = slices.Collect(maps.Keys(pages))
	list := pageDocs(pages)
	for name, body := range docs {
		list = append(list, doc{"/api/v2/" + name, "application/json; charset=utf-8", body, docLanguage(pcfg.Page)})
	}
	if plan == nil || len(sel.incidents) > 0 || len(sel.windows) > 0 || sel.series {
		items := st.feed.items(pcfg, in.Loc, in.Latest, newestWindows(in.Windows))
		feeds, err := feedDocs(pcfg, items, in.Windows, in.Series, in.Now)
		if err != nil {
			return nil, err
		}
		list = append(list, feeds...)
	}
	if p.prefix() == "" {
		// A host page's own brand files are served on its host (a path
		// page's links lead to page:'s, which has every brand's).
		list = append(list, brandDocs(pcfg.Page)...)
	}
	for i := range list {
		if p.entry.Private != nil && list[i].contentType == htmlType {
			list[i].body = withNoIndex(list[i].body)
		}
		if pre := p.prefix(); pre != "" {
			list[i].path, list[i].body = prefixed(pre, list[i].path, list[i].contentType, list[i].body)
		}
	}
	gone := st.showComponents(in)
	if plan == nil {
		next = maps.Clone(s.fixed)
	} else {
		next = maps.Clone(prev)
		// What is gone, or no longer on this page: incidents and windows
		// plan names that in does not list, component pages of
		// components no longer shown, and badges and framed widgets not
		// rendered again nor kept.
		for _, path := range append(unlisted(in, plan), gone...) {
			delete(next, p.served(path))
		}
		for path := range prev {
			if nowDoc(strings.TrimPrefix(path, p.prefix())) {
				delete(next, path)
			}
		}
		for path := range sel.kept {
			if a, ok := prev[p.served(path)]; ok {
				next[p.served(path)] = a
			}
		}
	}
	if err := putAll(next, prev, list); err != nil {
		return nil, err
	}
	st.counts = counts
	return next, nil
}

// served is where a document rendered at path is served on p: under its
// path for a path page (but its not-found page).
func (p *pageSet) served(path string) string { return servedUnder(p.prefix(), path) }

// servedUnder is where a document rendered at path is served on a page
// whose addresses start with pre.
func servedUnder(pre, path string) string {
	switch {
	case pre == "" || path == "404":
		return path
	case path == "/":
		return pre + "/"
	}
	return pre + path
}

// prefixed moves a document of a path page under its path: its address,
// and in its HTML every link to one of the page's own addresses. The
// stylesheet, the same for every page, stays where it is.
func prefixed(pre, path, contentType string, body []byte) (string, []byte) {
	path = servedUnder(pre, path)
	if contentType != htmlType {
		return path, body
	}
	for _, attr := range []string{`href="/`, `src="/`, `action="/`} {
		body = rewriteLinks(body, attr, pre)
	}
	return path, body
}

func rewriteLinks(body []byte, attr, pre string) []byte {
	var out bytes.Buffer
	out.Grow(len(body) + 256)
	for {
		i := bytes.Index(body, []byte(attr))
		if i < 0 {
			out.Write(body)
			return out.Bytes()
		}
		rest := body[i+len(attr):]
		out.Write(body[:i+len(attr)-1])
		// Protocol-relative addresses and the shared stylesheet stay.
		if !bytes.HasPrefix(rest, []byte("/")) && !bytes.HasPrefix(rest, []byte("static/")) {
			out.WriteString(pre)
		}
		out.WriteByte('/')
		body = rest
	}
}

// servePage answers a request routed to an entry of pages:. Its own
// documents are served from memory; anything else goes to next with the
// path made relative to the page, the page in the context.
func (s *Site) servePage(p *pageSet, w http.ResponseWriter, r *http.Request, next http.Handler) {
	pre := p.prefix()
	if pre != "" && r.URL.Path == pre {
		http.Redirect(w, r, pre+"/", http.StatusMovedPermanently)
		return
	}
	r = r.WithContext(context.WithValue(r.Context(), pageKey{}, p))
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		assets := *p.assets.Load()
		if _, ok := assets[r.URL.Path]; ok && p.entry.Private == nil {
			s.serveDoc(w, r, assets, r.URL.Path, false)
			return
		}
	}
	if p.entry.Private != nil {
		rest := strings.TrimPrefix(r.URL.Path, pre)
		if rest == "" {
			rest = "/"
		}
		// Under a path, every address is the page's, behind its access;
		// on a host, the robots rule, the shared stylesheet and script and
		// Herald's own addresses (the admin, its API) go on.
		if rest == signInPath || pageDocPath(rest) || pre != "" {
			s.servePrivate(p, w, r, rest, next)
			return
		}
	}
	s.passOn(p, w, r, next)
}

// passOn hands a request for page p to next, with the path made relative
// to the page's and its HTML's links moved under the page's path.
func (s *Site) passOn(p *pageSet, w http.ResponseWriter, r *http.Request, next http.Handler) {
	pre := p.prefix()
	if pre == "" {
		next.ServeHTTP(w, r)
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, pre)
	if !pageRoute(rest) {
		// Only the page's own addresses live under its path (the admin,
		// the API and the rest stay where they are).
		s.serveDoc(w, r, *p.assets.Load(), r.URL.Path, false)
		return
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = rest
	r2.URL.RawPath = ""
	pw := &prefixWriter{w: w, pre: pre}
	next.ServeHTTP(pw, r2)
	pw.finish()
}

// prefixWriter moves a response made for page: under a path page's path:
// its redirect, and the links of its HTML (the subscription and look-up
// pages, rendered per request). Those pages are small, so it holds the
// body whole.
type prefixWriter struct {
	w      http.ResponseWriter
	pre    string
	code   int
	buf    bytes.Buffer
	passed bool // not HTML: written through
}

func (p *prefixWriter) Header() http.Header { return p.w.Header() }

func (p *prefixWriter) WriteHeader(code int) {
	if p.code != 0 {
		return
	}
	p.code = code
	h := p.w.Header()
	if loc := h.Get("Location"); strings.HasPrefix(loc, "/") && !strings.HasPrefix(loc, "//") {
		h.Set("Location", p.pre+loc)
	}
	if !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		p.passed = true
		p.w.WriteHeader(code)
	}
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	if p.code == 0 {
		p.WriteHeader(http.StatusOK)
	}
	if p.passed {
		return p.w.Write(b)
	}
	return p.buf.Write(b)
}

func (p *prefixWriter) finish() {
	if p.code == 0 {
		p.WriteHeader(http.StatusOK)
	}
	if p.passed {
		return
	}
	_, body := prefixed(p.pre, "404", htmlType, p.buf.Bytes())
	p.w.Header().Del("Content-Length")
	p.w.WriteHeader(p.code)
	_, _ = p.w.Write(body)
}

// pageRoute reports whether path (without a page's prefix) is one of the
// addresses answered per request that a path page has of its own.
func pageRoute(path string) bool {
	switch path {
	case "/subscribe", "/subscribe/confirm", "/manage", "/unsubscribe", "/lookup", "/api/v2/subscribers.json":
		return true
	}
	return strings.HasPrefix(path, "/feeds/") || strings.HasPrefix(path, "/badges/") || strings.HasPrefix(path, "/components/") ||
		strings.HasPrefix(path, "/incidents/") || strings.HasPrefix(path, "/maintenance/") || strings.HasPrefix(path, "/history/") ||
		strings.HasPrefix(path, "/api/v2/") || strings.HasPrefix(path, widgetFramePath+"/")
}

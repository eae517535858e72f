package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/locale"
	"github.com/heraldhq/herald/internal/markdown"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	wd "github.com/heraldhq/herald/internal/words"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/herald.css
var sheet []byte

// stylesheet is the status colours (one home: internal/status) and the sheet.
var stylesheet = append([]byte(status.PaletteCSS()), sheet...)

// cssPath is the stylesheet's address; it changes with its content, so it
// can be cached for good.
var cssPath = func() string {
	sum := sha256.Sum256(stylesheet)
	return "/static/herald." + hex.EncodeToString(sum[:6]) + ".css"
}()

const (
	htmlType = "text/html; charset=utf-8"
	// recentDays is how many days of history the front page lists.
	recentDays = 14
	// historyMonths is how many months the history pages cover.
	historyMonths = 13
	excerptRunes  = 280
)

// pageTemplates holds one template set per language and page, each with the
// shared layout.
var pageTemplates = func() map[locale.Lang]map[string]*template.Template {
	m := map[locale.Lang]map[string]*template.Template{}
	for _, name := range []string{"index.html", "incident.html", "maintenance.html", "history.html", "notfound.html", "component.html"} {
		for l, t := range langTemplates(name, "templates/layout.html", "templates/uptime.html", "templates/badges.html", "templates/"+name) {
			if m[l] == nil {
				m[l] = map[string]*template.Template{}
			}
			m[l][name] = t
		}
	}
	return m
}()

// pageInput is everything the pages are built from, read once per rebuild.
type pageInput struct {
	Page      config.Page
	Loc       *time.Location
	Now       time.Time
	Snapshot  *service.Snapshot
	Incidents []status.Incident    // published, newest first
	Windows   []status.Maintenance // all
	Series    []status.Series      // recurring maintenance, for the calendar
	Groups    map[string]store.Group
	Comps     map[string]store.Component
	// Monitoring holds the outages, monitors and latency the uptime bars and component pages show.
	Monitoring *monitoring
	// Only, when set, names the pages to render; nil renders every one.
	Only *selection
	// Live, when set, is a note every rendered page shows: the statuses are
	// measured but not yet recorded (see liveNote).
	Live string
	// Cards, when set, keeps resolved incidents' cards from one rebuild to
	// the next; whoever sets it forgets the cards of records that change,
	// and starts a new one each day (a card's day words move at midnight).
	Cards map[int64]incidentCard
	// Latest are the newest published incidents, for the JSON and the feeds.
	Latest []status.Incident
}

// selection names the pages one rebuild renders, when it renders only what
// changed.
type selection struct {
	index, components, notFound bool
	incidents                   map[int64]bool  // /incidents/ID
	windows                     map[int64]bool  // /maintenance/ID
	months                      map[string]bool // /history/YYYY-MM
	series                      bool            // the calendar's recurring events
	// compKeys, when set, are the componentKey each component page was last
	// rendered with: components renders those whose key moved (every one
	// with allComponents) and records the keys it rendered with.
	compKeys      map[string]string
	allComponents bool
	// rows, when set, are the front page's rows as last rendered: index
	// renders those whose key moved (every one with allComponents) and
	// keeps them there.
	rows         map[string]indexRow
	rowsRendered []string // the ids of the rows index rendered
	// frames, when set, are the frameKey each framed widget was last
	// rendered with, by path: one whose key has not moved is kept.
	frames map[string]string
	// kept are the documents index and badges left as they were (the
	// badges of the components whose rows were kept): the caller keeps
	// them from the previous set.
	kept map[string]bool
	// keys, when set, are the componentKeys worked out in this rebuild,
	// shared by its phases (which build from the same input).
	keys map[string]string
}

// view is what every page template receives.
type view struct {
	Title       string // the document's title
	Lang        locale.Lang
	SiteTitle   string
	Description string
	Zone        string
	CSS         string
	Section     string     // "status" or "history", for the navigation
	Live        string     // the not-yet-recorded note, when there is one
	Brand       *brandView // the provider's brand (brand.go); nil for Herald's own look
	W           *words
	Main        any
}

// words formats times and text for one rebuild, in the page's language.
type words struct {
	loc  *time.Location
	zone string // in English: "Pacific time"; the writer says it in the page's language
	now  time.Time
	wr   wd.Writer
}

// newWords is the words of a page in language l.
func newWords(loc *time.Location, now time.Time, l locale.Lang) *words {
	return &words{loc: loc, zone: config.ZoneName(loc), now: now, wr: wd.In(l)}
}

func (w *words) When(t time.Time) string { return w.wr.When(t, w.now, w.loc, w.zone) }

// WhenMid is When within a sentence ("Aktualisiert heute, 10:30 Uhr"); in
// English the same as When.
func (w *words) WhenMid(t time.Time) string {
	return w.wr.DayMid(t, w.now, w.loc) + ", " + w.wr.TimeIn(t, w.loc, w.zone)
}
func (w *words) Time(t time.Time) string { return w.wr.TimeIn(t, w.loc, w.zone) }
func (w *words) Day(t time.Time) string  { return w.wr.Day(t, w.now, w.loc) }
func (w *words) ISO(t time.Time) string  { return t.UTC().Format(time.RFC3339) }

// Zone is the zone's name in the page's language: "Pacific time", "Pazifikzeit".
func (w *words) Zone() string { return w.wr.Zone(w.zone) }

// T is a message of the page's catalog.
func (w *words) T(key string, args ...any) string { return w.wr.L.T(key, args...) }

// Window is a span with its day and zone: "Today, 9:48 to 9:52 AM Pacific
// time", or both days when it crosses midnight (see words.Window).
func (w *words) Window(a, b time.Time) string { return w.wr.Window(a, b, w.now, w.loc, w.zone) }

// impactLabel is the English label of an impact; the page's catalog
// translates it.
func impactLabel(i status.Impact) string {
	switch i {
	case status.ImpactMinor:
		return "Minor impact"
	case status.ImpactMajor:
		return "Major impact"
	case status.ImpactCritical:
		return "Critical impact"
	}
	return "No impact"
}

type compView struct {
	Name, Description, Label, Kind string
	URL                            string    // its page, where it has one
	Uptime                         *barsView // its 90 days, when monitored
	// Bars says the row draws Uptime's bars; without them (a front page
	// showing more components than page.front_bars) it has the 90 days'
	// figure only, and Uptime has no bars.
	Bars bool
}

type groupView struct {
	Name, Description string
	Rows              []template.HTML // its components' rows ("comprow")
	Kind, Label       string          // the group's worst status
}

// indexRow is a component's row on the front page as last rendered, with
// the componentKey it was rendered from.
type indexRow struct {
	key    string
	html   template.HTML
	bars   bool // it has uptime bars
	figure bool // it has the 90 days' figure without bars
	// drawn is whether bars were to be drawn when it was rendered (the
	// front page's mode, frontBars): a row of the other mode is rendered
	// again.
	drawn bool
}

type badge struct{ Label, Kind string }

// incidentCard is an incident in a list.
type incidentCard struct {
	URL, Title string
	Impact     badge
	Status     badge
	Started    time.Time
	Summary    string // "9:48 to 9:52 AM Pacific time · four minutes"
	Affected   []string
	Latest     *updateView
	Excerpt    string
	More       bool // the excerpt is of a longer postmortem
	Postmortem bool
}

type updateView struct {
	Label, Kind string
	At          time.Time
	Body        template.HTML
}

type maintCard struct {
	URL, Title string
	Status     badge
	Window     string
	Affected   []string
	Body       template.HTML
	Start      time.Time
	Excerpt    string
}

// item is one entry of a day in the history.
type item struct {
	Incident *incidentCard
	Maint    *maintCard
	at       time.Time
}

type dayView struct {
	Label string
	Short string // the date, after "Today" and "Yesterday": "December 3"
	Date  time.Time
	Items []item
}

type indexView struct {
	Overall          badge
	Groups           []groupView
	Open             []incidentCard
	Active, Upcoming []maintCard
	Days             []dayView
	Bars             bool // some component has uptime bars
	// Figures says some component has its 90 days' uptime figure without
	// bars (a front page showing more than page.front_bars components).
	Figures bool
	Days90  int // the days a figure is over, for the note saying so
}

type incidentView struct {
	incidentCard
	Resolved     bool
	Components   []compView
	Updates      []updateView
	Postmortem   template.HTML
	PostmortemAt time.Time
	Links        []relatedLink
	Locations    []incidentLocation // where its located outages were seen from
}

type link struct{ URL, Title string }

// relatedLink is an incident linked to the one shown. A recurrence has the
// same title as the first incident, so the link also says which one it is:
// earlier or later, and when it ran.
type relatedLink struct {
	link
	Relation string // "earlier" or "later"
	When     string // its one line, as within a sentence ("heute, …")
}

func (b *builder) related(in, other *status.Incident) relatedLink {
	// Within the line's brackets: "(earlier: Today, …)", "(früher: heute, …)".
	end := time.Time{}
	if other.Status == status.Resolved {
		end = other.ResolvedAt
	}
	r := relatedLink{link: link{URL: fmt.Sprintf("/incidents/%d", other.ID), Title: other.Title}, Relation: "later",
		When: b.w.wr.IntervalMid(other.StartedAt, end, b.in.Now, b.in.Loc, b.w.zone)}
	if other.StartedAt.Before(in.StartedAt) || other.StartedAt.Equal(in.StartedAt) && other.ID < in.ID {
		r.Relation = "earlier"
	}
	return r
}

type maintView struct {
	maintCard
	Updates []updateView
}

type monthLink struct {
	URL, Label string
	Current    bool
	Count      int
}

type historyView struct {
	Month      string
	Days       []dayView
	Months     []monthLink
	Prev, Next *monthLink
}

// builder turns one pageInput into documents.
type builder struct {
	in        pageInput
	w         *words
	published map[int64]*status.Incident
	docs      map[string][]byte
	fp        fingerprint // componentKey's buffer
	// sink, when set, takes the pages kept compressed only (gzOnly) as
	// they are rendered, instead of docs (compressor, rebuild.go).
	sink *compressor
	// Indexes made on first use (component.go).
	windowTitles  map[int64]string
	groupStatuses map[string]status.ComponentStatus
	// drawBars says the front page draws its rows' uptime bars (frontBars).
	drawBars bool
	// keptRows are the components whose front-page rows index kept: their
	// badges, made of the same inputs (componentKey), are kept too.
	keptRows map[string]bool
}

// buildPages renders every HTML page. The keys are paths; "404" is the
// not-found page.
func buildPages(in pageInput) (map[string][]byte, error) {
	return buildPagesTo(in, nil)
}

// buildPagesTo is buildPages handing the pages kept compressed only to
// sink, when not nil, as each is rendered: they are not in the map returned.
func buildPagesTo(in pageInput, sink *compressor) (map[string][]byte, error) {
	b := &builder{in: in, w: newWords(in.Loc, in.Now, in.Page.Lang()),
		published: map[int64]*status.Incident{}, docs: map[string][]byte{}, sink: sink}
	for i := range in.Incidents {
		if !in.Incidents[i].Draft {
			b.published[in.Incidents[i].ID] = &in.Incidents[i]
		}
	}
	only := in.Only
	steps := []struct {
		want bool
		fn   func() error
	}{
		{only == nil || only.index, b.index},
		{only == nil || len(only.incidents) > 0, b.incidents},
		{only == nil || len(only.windows) > 0, b.maintenances},
		{only == nil || len(only.months) > 0, b.history},
		{only == nil || only.notFound, b.notFound},
		{only == nil || only.components, b.components},
		// Badges and the framed widget say what is going on now.
		{only == nil || only.index, func() error { b.badges(); return nil }},
		{only == nil || only.index, b.widgetFrames},
	}
	for _, step := range steps {
		if !step.want {
			continue
		}
		if err := step.fn(); err != nil {
			return nil, err
		}
	}
	return b.docs, nil
}

func (b *builder) render(path, tmpl, title, section string, main any) error {
	v := view{Title: title, Lang: b.w.wr.L.Lang, SiteTitle: b.in.Page.Title, Description: b.in.Page.Description,
		Zone: b.w.Zone(), CSS: cssPath, Section: section, Live: b.in.Live, W: b.w, Main: main, Brand: brandOf(b.in.Page)}
	if v.SiteTitle == "" {
		v.SiteTitle = b.t("Status")
	}
	if v.Title == "" {
		v.Title = v.SiteTitle
	} else {
		v.Title += " · " + v.SiteTitle
	}
	buf := renderBufs.Get().(*bytes.Buffer)
	// Room for the page as it was last time, made at once: the pool's
	// buffers go at Go's collections, which a large fleet's write makes
	// two or three of, and its front page (600 KB) grew by doubling.
	if b.sink != nil {
		if old, ok := b.sink.prev[path]; ok {
			buf.Grow(old.size + old.size/8)
		}
	}
	if err := pageTemplates[v.Lang][tmpl].ExecuteTemplate(buf, "layout", v); err != nil {
		putRenderBuf(buf)
		return fmt.Errorf("render %s: %w", path, err)
	}
	if b.sink != nil && gzOnly(path, htmlType) {
		b.sink.put(path, buf)
		return nil
	}
	// Kept until the next rendering: exactly its length, not the
	// buffer's doubled capacity (a fleet's pages add up to tens of MB).
	b.docs[path] = bytes.Clone(buf.Bytes())
	putRenderBuf(buf)
	return nil
}

// alias serves the page rendered for from at to as well.
func (b *builder) alias(to, from string) {
	if body, ok := b.docs[from]; ok {
		b.docs[to] = body
		return
	}
	b.sink.alias(to, from)
}

// renderBufs are the buffers pages are rendered into before their copy is
// kept. A buffer per rendering grew by doubling to each page's size: at ten
// thousand monitors coming up at a start, that growth was twice the pages'
// own size again, rebuild after rebuild (108 MB of the first nine seconds).
var renderBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledRender bounds the buffers kept for reuse: a rare huge page (ten
// years of history) is not held between rebuilds.
const maxPooledRender = 1 << 20

func putRenderBuf(buf *bytes.Buffer) {
	if buf.Cap() > maxPooledRender {
		return
	}
	buf.Reset()
	renderBufs.Put(buf)
}

func (b *builder) compName(id string) string {
	c, ok := b.in.Comps[id]
	if !ok {
		return id
	}
	if g, ok := b.in.Groups[c.GroupID]; ok && g.Name != "" {
		return g.Name + " · " + c.Name
	}
	return c.Name
}

// affected names components by group, in page order: "flexo: Web sites,
// E-mail", "mom: E-mail".
func (b *builder) affected(ids []string) []string {
	byGroup := map[string][]store.Component{}
	var order []string
	for _, id := range ids {
		c, ok := b.in.Comps[id]
		if !ok {
			c = store.Component{ID: id, Name: id}
		}
		if _, seen := byGroup[c.GroupID]; !seen {
			order = append(order, c.GroupID)
		}
		byGroup[c.GroupID] = append(byGroup[c.GroupID], c)
	}
	sort.SliceStable(order, func(i, j int) bool {
		return b.in.Groups[order[i]].Position < b.in.Groups[order[j]].Position
	})
	out := make([]string, 0, len(order))
	for _, gid := range order {
		cs := byGroup[gid]
		sort.SliceStable(cs, func(i, j int) bool { return cs[i].Position < cs[j].Position })
		names := make([]string, len(cs))
		for i, c := range cs {
			names[i] = c.Name
		}
		g := b.in.Groups[gid].Name
		if g == "" {
			out = append(out, strings.Join(names, ", "))
			continue
		}
		out = append(out, g+": "+strings.Join(names, ", "))
	}
	return out
}

// interval is when an incident ran, in one line: the same as the command
// line's, from the same function, the times as shown and the length they
// add up to.
func (b *builder) interval(in *status.Incident) string {
	end := time.Time{}
	if in.Status == status.Resolved {
		end = in.ResolvedAt
	}
	return b.w.wr.Interval(in.StartedAt, end, b.in.Now, b.in.Loc, b.w.zone)
}

func (b *builder) card(in *status.Incident) incidentCard {
	done := in.Status == status.Resolved && !in.ResolvedAt.IsZero()
	if c, ok := b.in.Cards[in.ID]; ok && done {
		return c
	}
	c := b.newCard(in)
	if done && b.in.Cards != nil {
		b.in.Cards[in.ID] = c
	}
	return c
}

func (b *builder) newCard(in *status.Incident) incidentCard {
	c := incidentCard{URL: fmt.Sprintf("/incidents/%d", in.ID), Title: in.Title,
		Impact: badge{b.t(impactLabel(in.Impact)), in.Impact.Kind()},
		Status: badge{b.t(in.Status.Label()), in.Status.Kind()}, Started: in.StartedAt}
	c.Summary = b.interval(in)
	ids := make([]string, len(in.Components))
	for i, ac := range in.Components {
		ids[i] = ac.ComponentID
	}
	c.Affected = b.affected(ids)
	if len(in.Updates) > 0 {
		u := in.Updates[0]
		c.Latest = &updateView{Label: b.t(u.Status.Label()), Kind: u.Status.Kind(), At: u.DisplayAt, Body: u.Rendered.HTML}
		c.Excerpt, _ = markdown.Cut(u.Rendered.Text, excerptRunes)
	}
	if in.Postmortem != "" {
		c.Postmortem = true
		c.Excerpt, c.More = markdown.Cut(in.PostmortemRendered.Text, excerptRunes)
	}
	return c
}

// maintSpan is the window a maintenance card shows: the times it ran once
// completed, else the times it was scheduled for.
func maintSpan(m *status.Maintenance) (start, end time.Time) {
	if m.Status == status.Completed && !m.StartedAt.IsZero() && !m.CompletedAt.IsZero() {
		return m.StartedAt, m.CompletedAt
	}
	return m.ScheduledFor, m.ScheduledUntil
}

func (b *builder) maintCard(m *status.Maintenance) maintCard {
	start, end := maintSpan(m)
	c := maintCard{URL: fmt.Sprintf("/maintenance/%d", m.ID), Title: m.Title,
		Status: badge{b.t(m.Status.Label()), m.Status.Kind()}, Window: b.w.Window(start, end),
		Body: m.Rendered.HTML, Start: start}
	c.Excerpt, _ = markdown.Cut(m.Rendered.Text, excerptRunes)
	c.Affected = b.affected(m.Components)
	return c
}

func (b *builder) index() error {
	snap := b.in.Snapshot
	v := indexView{Overall: badge{b.t(snap.Overall.Description), snap.Overall.Indicator.Kind()}, Days90: barDays}
	b.drawBars = b.frontBars()
	members := map[string][]service.ComponentState{}
	for _, c := range snap.Components {
		members[c.GroupID] = append(members[c.GroupID], c)
	}
	for _, g := range snap.Groups {
		gv := groupView{Name: g.Name, Description: g.Description}
		for _, c := range members[g.ID] {
			row, err := b.indexRow(c)
			if err != nil {
				return err
			}
			gv.Rows = append(gv.Rows, row.html)
			v.Bars = v.Bars || row.bars
			v.Figures = v.Figures || row.figure
		}
		st := b.groupStatus(g.ID)
		gv.Kind, gv.Label = st.Kind(), b.t(st.Label())
		if len(gv.Rows) > 0 {
			v.Groups = append(v.Groups, gv)
		}
	}
	for i := range snap.Open {
		if !snap.Open[i].Draft {
			v.Open = append(v.Open, b.card(&snap.Open[i]))
		}
	}
	for i := range snap.Active {
		v.Active = append(v.Active, b.maintCard(&snap.Active[i]))
	}
	for i := range snap.Upcoming {
		v.Upcoming = append(v.Upcoming, b.maintCard(&snap.Upcoming[i]))
	}
	today := dayStart(b.in.Now, b.in.Loc)
	v.Days = b.days(today.AddDate(0, 0, -(recentDays-1)), today.AddDate(0, 0, 1), true)
	return b.render("/", "index.html", "", "status", v)
}

// indexRow is component c's row on the front page: the one rendered
// before when the selection keeps rows and c's componentKey has not moved
// (a superset of what the row shows), else rendered now.
func (b *builder) indexRow(c service.ComponentState) (indexRow, error) {
	var (
		rows map[string]indexRow
		key  string
	)
	if b.in.Only != nil && b.in.Only.rows != nil {
		rows = b.in.Only.rows
		key = b.componentKey(c)
		if old, ok := rows[c.ID]; ok && !b.in.Only.allComponents && key != "" && old.key == key && old.drawn == b.drawBars {
			if b.keptRows == nil {
				b.keptRows = map[string]bool{}
			}
			b.keptRows[c.ID] = true
			return old, nil
		}
	}
	v := compView{Name: c.Name, Description: c.Description, Label: b.t(c.Status.Label()), Kind: c.Status.Kind(),
		URL: componentURL(c.ID)}
	if b.drawBars {
		v.Uptime = b.bars(c.ID)
		v.Bars = v.Uptime != nil
	} else {
		v.Uptime = b.figure90(c.ID)
	}
	buf := renderBufs.Get().(*bytes.Buffer)
	defer putRenderBuf(buf)
	if err := pageTemplates[b.w.wr.L.Lang]["index.html"].ExecuteTemplate(buf, "comprow", v); err != nil {
		return indexRow{}, fmt.Errorf("render the row of %s: %w", c.ID, err)
	}
	// Rendered by html/template above: safe as it stands.
	row := indexRow{key: key, html: template.HTML(buf.String()), bars: v.Bars, figure: v.Uptime != nil && !v.Bars, drawn: b.drawBars}
	if rows != nil {
		rows[c.ID] = row
		b.in.Only.rowsRendered = append(b.in.Only.rowsRendered, c.ID)
	}
	return row, nil
}

// frontBars reports whether the front page draws its components' uptime
// bars: while it shows at most page.front_bars components. A fleet's front
// page with 90 bars for each of a thousand would weigh megabytes; each
// row then has its 90 days' figure and links to the component's page,
// which draws them.
func (b *builder) frontBars() bool {
	groups := make(map[string]bool, len(b.in.Snapshot.Groups))
	for _, g := range b.in.Snapshot.Groups {
		groups[g.ID] = true
	}
	n := 0
	for _, c := range b.in.Snapshot.Components {
		if groups[c.GroupID] {
			n++
		}
	}
	return b.in.Page.FrontBarsFor(n)
}

// groupStatus is the snapshot's status of group id, worked out once per
// builder (each asks every component of the fleet).
func (b *builder) groupStatus(id string) status.ComponentStatus {
	if st, ok := b.groupStatuses[id]; ok {
		return st
	}
	if b.groupStatuses == nil {
		b.groupStatuses = map[string]status.ComponentStatus{}
		members := map[string][]status.ComponentStatus{}
		for _, c := range b.in.Snapshot.Components {
			members[c.GroupID] = append(members[c.GroupID], c.Status)
		}
		for g, sts := range members {
			b.groupStatuses[g] = status.DeriveGroup(sts...)
		}
	}
	st, ok := b.groupStatuses[id]
	if !ok {
		st = b.in.Snapshot.GroupStatus(id) // a group with no component
		b.groupStatuses[id] = st
	}
	return st
}

func dayStart(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// days lists the incidents and finished or running maintenance that began
// in [from, to), by day, newest first. With every set, days without any are
// listed too.
func (b *builder) days(from, to time.Time, every bool) []dayView {
	byDay := map[time.Time][]item{}
	for i := range b.in.Incidents {
		in := &b.in.Incidents[i]
		if at, ok := listedAt(in); !ok || at.Before(from) || !at.Before(to) {
			continue
		}
		c := b.card(in)
		d := dayStart(in.StartedAt, b.in.Loc)
		byDay[d] = append(byDay[d], item{Incident: &c, at: in.StartedAt})
	}
	for i := range b.in.Windows {
		m := &b.in.Windows[i]
		if at, ok := windowListedAt(m); !ok || at.Before(from) || !at.Before(to) {
			continue
		}
		c := b.maintCard(m)
		d := dayStart(c.Start, b.in.Loc)
		byDay[d] = append(byDay[d], item{Maint: &c, at: c.Start})
	}
	var out []dayView
	for d := dayStart(to.Add(-time.Second), b.in.Loc); !d.Before(from); d = d.AddDate(0, 0, -1) {
		items := byDay[d]
		if len(items) == 0 && !every {
			continue
		}
		sort.SliceStable(items, func(i, j int) bool { return items[i].at.After(items[j].at) })
		dv := dayView{Label: b.w.Day(d), Date: d, Items: items}
		if recent(d, b.in.Now, b.in.Loc) {
			dv.Short = b.w.wr.ShortDate(d)
		}
		out = append(out, dv)
	}
	return out
}

// listedAt is when an incident is listed in the history: the day it began.
// Drafts are not listed.
func listedAt(in *status.Incident) (time.Time, bool) {
	return in.StartedAt, !in.Draft
}

// windowListedAt is when a window is listed in the history: the day its
// card's span begins. Windows still only scheduled are not listed.
func windowListedAt(m *status.Maintenance) (time.Time, bool) {
	start, _ := maintSpan(m)
	return start, m.Status != status.Scheduled
}

// monthKey names the history month t falls in: "2026-11".
func monthKey(t time.Time, loc *time.Location) string { return t.In(loc).Format("2006-01") }

// historyCounts counts the entries each history month lists, by monthKey.
func historyCounts(incidents []status.Incident, windows []status.Maintenance, loc *time.Location) map[string]int {
	n := map[string]int{}
	for i := range incidents {
		if at, ok := listedAt(&incidents[i]); ok {
			n[monthKey(at, loc)]++
		}
	}
	for i := range windows {
		if at, ok := windowListedAt(&windows[i]); ok {
			n[monthKey(at, loc)]++
		}
	}
	return n
}

func (b *builder) incidents() error {
	for i := range b.in.Incidents {
		in := &b.in.Incidents[i]
		if in.Draft || b.in.Only != nil && !b.in.Only.incidents[in.ID] {
			continue
		}
		v := incidentView{incidentCard: b.card(in), Resolved: in.Status == status.Resolved}
		// A resolved incident's components are back to operational; the page
		// shows the worst each reached during it.
		worst := map[string]status.ComponentStatus{}
		for _, ac := range in.Components {
			worst[ac.ComponentID] = ac.Status
		}
		for _, u := range in.Updates {
			for _, ch := range u.Changes {
				if _, ok := worst[ch.ComponentID]; ok {
					worst[ch.ComponentID] = status.Worst(worst[ch.ComponentID], ch.New)
				}
			}
		}
		for _, ac := range in.Components {
			st := worst[ac.ComponentID]
			v.Components = append(v.Components, compView{Name: b.compName(ac.ComponentID), Label: b.t(st.Label()), Kind: st.Kind()})
		}
		for _, u := range in.Updates {
			v.Updates = append(v.Updates, updateView{Label: b.t(u.Status.Label()), Kind: u.Status.Kind(), At: u.DisplayAt, Body: u.Rendered.HTML})
		}
		sort.SliceStable(v.Updates, func(i, j int) bool { return v.Updates[i].At.After(v.Updates[j].At) })
		v.Locations = b.incidentLocations(in.ID)
		if in.Postmortem != "" {
			v.Postmortem, v.PostmortemAt = in.PostmortemRendered.HTML, in.PostmortemPublishedAt
		}
		for _, id := range in.Links {
			if other, ok := b.published[id]; ok {
				v.Links = append(v.Links, b.related(in, other))
			}
		}
		if err := b.render(v.URL, "incident.html", in.Title, "history", v); err != nil {
			return err
		}
	}
	return nil
}

func (b *builder) maintenances() error {
	for i := range b.in.Windows {
		m := &b.in.Windows[i]
		if b.in.Only != nil && !b.in.Only.windows[m.ID] {
			continue
		}
		v := maintView{maintCard: b.maintCard(m)}
		for _, u := range m.Updates {
			v.Updates = append(v.Updates, updateView{Label: b.t(u.Status.Label()), Kind: u.Status.Kind(), At: u.DisplayAt, Body: u.Rendered.HTML})
		}
		sort.SliceStable(v.Updates, func(i, j int) bool { return v.Updates[i].At.After(v.Updates[j].At) })
		if err := b.render(v.URL, "maintenance.html", m.Title, "history", v); err != nil {
			return err
		}
	}
	return nil
}

// history renders one page per month, /history/2026-11, for the months the
// pages cover; /history is the current month.
func (b *builder) history() error {
	now := b.in.Now.In(b.in.Loc)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, b.in.Loc)
	months := make([]time.Time, historyMonths)
	links := make([]monthLink, historyMonths)
	counts := historyCounts(b.in.Incidents, b.in.Windows, b.in.Loc)
	for i := range months {
		months[i] = first.AddDate(0, -i, 0)
		key := months[i].Format("2006-01")
		links[i] = monthLink{URL: "/history/" + key, Label: locale.Upper(b.w.wr.Month(months[i])), Count: counts[key]}
	}
	for i, m := range months {
		if b.in.Only != nil && !b.in.Only.months[m.Format("2006-01")] {
			continue
		}
		v := historyView{Month: b.w.wr.Month(m), Days: b.days(m, m.AddDate(0, 1, 0), false)}
		for j, l := range links {
			l.Current = j == i
			v.Months = append(v.Months, l)
		}
		if i+1 < len(links) {
			v.Prev = &links[i+1]
		}
		if i > 0 {
			v.Next = &links[i-1]
		}
		path := links[i].URL
		if err := b.render(path, "history.html", b.t("History, %s", v.Month), "history", v); err != nil {
			return err
		}
		if i == 0 {
			b.alias("/history", path)
		}
	}
	return nil
}

func (b *builder) notFound() error {
	return b.render("404", "notfound.html", b.t("Not found"), "", nil)
}

// t is a message in the page's language.
func (b *builder) t(key string, args ...any) string { return b.w.T(key, args...) }

// recent reports whether d is today or yesterday, which the day lists name
// by word and date ("Today December 3").
func recent(d, now time.Time, loc *time.Location) bool {
	n := now.In(loc)
	return wd.SameDay(d.In(loc), n) || wd.SameDay(d.In(loc), n.AddDate(0, 0, -1))
}

// Now is the moment the pages were built.
func (w *words) Now() time.Time { return w.now }

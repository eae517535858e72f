package web

import (
	"context"
	"crypto/sha256"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/locale"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/uptime"
	wd "github.com/heraldhq/herald/internal/words"
)

const (
	// barDays is how many days the uptime bars show (fewer on a phone, by CSS).
	barDays = 90
	// latencyBucket is the response-time chart's step over 24 hours; the
	// seven-day chart sums six of them into an hour.
	latencyBucket = 10 * time.Minute
	latencyWeek   = 7 * 24 * time.Hour
)

// monitoring is what the uptime bars and the component pages are built
// from, read once per rebuild like everything else on the pages.
type monitoring struct {
	outages  map[string][]store.Outage // by component, newest first, over the bars' days
	monitors []monRow                  // by component, then id
	// byComponent holds each component's run of monitors (capped
	// subslices of monitors, not copies: at ten thousand monitors a copy
	// per rebuild was 3.6 MB more to collect).
	byComponent map[string][]monRow
	latency     map[string][]latencyPoint // by monitor, latencyBucket steps over a week
	exclude     bool
	cache       map[string]*componentUptime
	located     *locatedData // nil when no monitor has locations
}

// monRow is what the pages show of a monitor's row. Every rebuild reads
// every monitor's (ten thousand in a large fleet) while the last rebuild's
// are still held, so it keeps these fields only: 152 bytes a monitor
// instead of store.Monitor's 360 and its message and target. They are also
// what componentKey fingerprints (but the last check's time and response
// time), so a component page is rendered again when a monitor's state moved.
type monRow struct {
	ID, ComponentID, Kind string
	State                 status.MonitorState
	LastLevel             status.Level
	LastLatency           time.Duration
	LastCheckAt           time.Time
	CreatedAt, RemovedAt  time.Time
}

func rowOf(m *store.Monitor) monRow {
	return monRow{ID: m.ID, ComponentID: m.ComponentID, Kind: m.Kind, State: m.Detector.State, LastLevel: m.LastLevel,
		LastLatency: m.LastLatency, LastCheckAt: m.LastCheckAt, CreatedAt: m.CreatedAt, RemovedAt: m.RemovedAt}
}

// loadMonitoring reads the outages of the bars' days, the monitors and a
// week of response times of each configured monitor.
func (s *Site) loadMonitoring(ctx context.Context, cfg config.Config, loc *time.Location, now time.Time) (*monitoring, error) {
	m := &monitoring{outages: map[string][]store.Outage{}, latency: map[string][]latencyPoint{},
		exclude: cfg.Maintenance.ExcludeFromUptime, cache: map[string]*componentUptime{}}
	// Filed by component as they are read: a fleet's 90 days are thousands.
	err := s.svc.EachOutage(ctx, store.OutageFilter{Since: barsStart(now, loc)}, func(o *store.Outage) {
		m.outages[o.ComponentID] = append(m.outages[o.ComponentID], *o)
	})
	if err != nil {
		return nil, err
	}
	if s.rec != nil && s.rec.mon != nil {
		m.monitors = make([]monRow, 0, len(s.rec.mon.monitors)) // as many as last time, usually
	}
	if err := s.svc.EachMonitor(ctx, func(mon *store.Monitor) { m.monitors = append(m.monitors, rowOf(mon)) }); err != nil {
		return nil, err
	}
	m.byComponent = indexByComponent(m.monitors)
	if m.latency, err = s.latency.load(ctx, s.svc, m.monitors, now); err != nil {
		return nil, err
	}
	if m.located, err = s.loadLocated(ctx, cfg, barsStart(now, loc)); err != nil {
		return nil, err
	}
	if m.located != nil {
		m.located.index(m.outages)
	}
	return m, nil
}

// latencyCache keeps the response times read for the charts for a minute:
// a burst of changes during an incident rebuilds the pages many times, but
// reads a week of checks per charted monitor at most every latencyFresh.
type latencyCache struct {
	mu     sync.Mutex
	at     time.Time
	points map[string][]latencyPoint
}

// latencyFresh is how long response times read for the charts are kept:
// their buckets are 15 minutes and an hour wide, so reading a week of checks
// more often than this would redraw the same lines.
const latencyFresh = 10 * time.Minute

// chartedPerComponent bounds the monitors one component's chart draws (and
// whose checks are read for it): a line per monitor stops being readable
// past a few, and a fleet that watches one service with fifty monitors must
// not read fifty weeks of checks per rebuild.
const chartedPerComponent = 4

func (c *latencyCache) load(ctx context.Context, svc *service.Service, monitors []monRow, now time.Time) (map[string][]latencyPoint, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.points != nil && !now.Before(c.at) && now.Sub(c.at) < latencyFresh {
		return c.points, nil
	}
	points := map[string][]latencyPoint{}
	since := now.Add(-latencyWeek).Truncate(time.Hour)
	charted := map[string]int{}
	for _, mon := range monitors {
		if !mon.RemovedAt.IsZero() || charted[mon.ComponentID] >= chartedPerComponent {
			continue
		}
		charted[mon.ComponentID]++
		p, err := svc.Latency(ctx, mon.ID, since, latencyBucket)
		if err != nil {
			return nil, err
		}
		points[mon.ID] = compactLatency(p)
	}
	c.at, c.points = now, points
	return points, nil
}

// barsStart is the midnight beginning the first day of the bars.
func barsStart(now time.Time, loc *time.Location) time.Time {
	return dayStart(now, loc).AddDate(0, 0, -(barDays - 1))
}

func componentURL(id string) string { return "/components/" + id }

// componentUptime is one component's figures for one rebuild.
type componentUptime struct {
	monitored bool
	since     time.Time     // when monitoring began: its first monitor
	bars      uptime.Report // the bars' days
	last24h   uptime.Totals
	last7d    uptime.Totals
	last30d   uptime.Totals
}

func (b *builder) uptimeOf(id string) *componentUptime {
	m := b.in.Monitoring
	if m == nil {
		return &componentUptime{}
	}
	if u, ok := m.cache[id]; ok {
		return u
	}
	u := &componentUptime{}
	m.cache[id] = u
	since, ok := service.FirstCreated(func(yield func(time.Time) bool) {
		for _, mon := range b.monitorsOf(id) {
			if !yield(mon.CreatedAt) {
				return
			}
		}
	})
	if !ok {
		return u
	}
	u.monitored, u.since = true, since
	now, loc := b.in.Now, b.in.Loc
	outs := service.UptimeOutages(m.outages[id])
	opt := uptime.Options{Now: now, Since: since, ExcludeMaintenance: m.exclude}
	u.bars = uptime.Days(outs, barsStart(now, loc), now, loc, opt)
	u.last24h = uptime.Window(outs, now.Add(-24*time.Hour), now, opt)
	// 7 and 30 days are calendar days ending today, like the bars.
	for _, d := range u.bars.Days[barDays-30:] {
		addTotals(&u.last30d, d.Totals)
	}
	for _, d := range u.bars.Days[barDays-7:] {
		addTotals(&u.last7d, d.Totals)
	}
	return u
}

func addTotals(t *uptime.Totals, o uptime.Totals) {
	t.Measured += o.Measured
	t.Down += o.Down
	t.Degraded += o.Degraded
	t.Maintenance += o.Maintenance
	t.ExcludeMaintenance = o.ExcludeMaintenance
}

// barsView is a component's row of day bars, drawn as inline SVG, and what
// they say in words. A phone shows the last 30 bars only (by CSS), so the
// words for those come apart when they differ.
type barsView struct {
	Width  int // the viewBox's
	Bars   []barView
	Wide   barsWords  // for the 90 bars
	Narrow *barsWords // for the 30 a phone shows; nil when the words are the same
}

// barsWords are the uptime figure beside a component's name and the
// sentence under its bars, over the days the bars show, or since
// monitoring began when that is later: a figure is never shown beside days
// it was not measured over.
type barsWords struct {
	Percent string // "99.98%"; "" without data
	Over    string // for a screen reader after the figure: "uptime in the last 90 days"
	Summary string
}

type barView struct {
	X, Y, H int
	Kind    string // the CSS class
	Old     string // "old60" for the days a phone leaves out, "old30" for those it keeps at 60
	Title   string
	URL     string
}

const (
	barW, barGap, barsH = 8, 2, 40
	// phoneDays is how many of the bars a narrow screen shows (see the CSS).
	phoneDays = 30
)

// barHeight makes the worst days stand tallest, so the bars read without colour.
var barHeight = map[uptime.State]int{uptime.NoData: 20, uptime.Up: 24, uptime.Degraded: 30,
	uptime.Maintenance: 35, uptime.Down: 40}

var barKind = map[uptime.State]string{uptime.NoData: "nodata", uptime.Up: "ok", uptime.Degraded: "minor",
	uptime.Maintenance: "maint", uptime.Down: "critical"}

// stateLabel names a day's worst state on the page.
var stateLabel = map[uptime.State]string{uptime.NoData: "No data", uptime.Up: "No downtime",
	uptime.Degraded: "Degraded", uptime.Maintenance: "Maintenance downtime", uptime.Down: "Down"}

// bars draws a component's bars; nil for one no monitor watches.
func (b *builder) bars(id string) *barsView {
	u := b.uptimeOf(id)
	if !u.monitored {
		return nil
	}
	v := &barsView{Width: barDays*(barW+barGap) - barGap}
	url := componentURL(id)
	for i, d := range u.bars.Days {
		h := barHeight[d.State]
		bv := barView{X: i * (barW + barGap), Y: barsH - h, H: h, Kind: barKind[d.State],
			Title: b.dayTitle(d), URL: url + "#" + d.Date.Format("2006-01-02")}
		switch {
		case i < barDays-60:
			bv.Old = "old60"
		case i < barDays-phoneDays:
			bv.Old = "old30"
		}
		v.Bars = append(v.Bars, bv)
	}
	v.Wide = b.barsWords(u, u.bars.Days)
	if narrow := b.barsWords(u, u.bars.Days[barDays-phoneDays:]); narrow != v.Wide {
		v.Narrow = &narrow
	}
	return v
}

// figure90 is a component's 90 days' uptime figure without its bars, for
// a front page too long to draw them (frontBars); nil for one no monitor
// watches.
func (b *builder) figure90(id string) *barsView {
	u := b.uptimeOf(id)
	if !u.monitored {
		return nil
	}
	return &barsView{Width: barDays*(barW+barGap) - barGap, Wide: b.barsWords(u, u.bars.Days)}
}

// over says what span a figure over days is measured over: "in the last 90
// days", or "since monitoring began (Today, 9:48 AM Pacific time)" when it
// began after the first of them.
func (b *builder) over(u *componentUptime, first time.Time, days int) string {
	if u.since.After(first) {
		return b.t("since monitoring began (%s)", b.w.WhenMid(u.since))
	}
	return b.t("in the last %d days", days)
}

// barsWords says in words what the given days of the bars show.
func (b *builder) barsWords(u *componentUptime, days []uptime.Day) barsWords {
	var total uptime.Totals
	var bad []uptime.Day
	for _, d := range days {
		addTotals(&total, d.Totals)
		if d.State == uptime.Down || d.State == uptime.Maintenance {
			bad = append(bad, d)
		}
	}
	over := b.over(u, days[0].Date, len(days))
	wr := b.w.wr
	w := barsWords{Percent: b.pct(total.PercentText()), Over: b.t("uptime %s", over)}
	if u.since.After(days[0].Date) {
		w.Over = b.t("uptime since monitoring began")
	}
	switch {
	case !total.HasData():
		w.Summary = b.t("No data yet.")
	case len(bad) == 0:
		w.Summary = b.t("%s uptime %s: no downtime.", w.Percent, over)
	case len(bad) == 1:
		w.Summary = b.t("%s uptime %s. Downtime on one day, %s.", w.Percent, over, wr.LongDate(bad[0].Date, b.in.Now))
	default:
		w.Summary = b.t("%s uptime %s. Downtime on %s days, most recently %s.", w.Percent, over,
			wr.NumberWord(len(bad)), wr.LongDate(bad[len(bad)-1].Date, b.in.Now))
	}
	return w
}

// dayLabel is "Tuesday, August 12", or "Today, December 1".
func (b *builder) dayLabel(d time.Time) string {
	wr := b.w.wr
	if recent(d, b.in.Now, b.in.Loc) {
		return wr.Day(d, b.in.Now, b.in.Loc) + ", " + wr.ShortDate(d)
	}
	return locale.Upper(wr.LongDate(d, b.in.Now))
}

// dayTitle is a bar's words: "Tuesday, August 12: 99.72% — down four
// minutes (9:48 to 9:52 AM)".
func (b *builder) dayTitle(d uptime.Day) string {
	label := b.dayLabel(d.Date)
	if d.State == uptime.NoData {
		return label + ": " + b.t("no data")
	}
	pct := b.pct(d.PercentText())
	if pct == "" {
		pct = b.t("no uptime figure")
	}
	if wd.SameDay(d.Date, b.in.Now.In(b.in.Loc)) {
		pct = b.t("%s so far", pct)
	}
	parts := b.spanParts(d, false)
	if len(parts) == 0 {
		return label + ": " + pct + " — " + b.t("no downtime")
	}
	return label + ": " + pct + " — " + strings.Join(parts, "; ")
}

// spanParts says a day's spans by state, worst first: "down four minutes
// (9:48 to 9:52 AM)". With zone, times carry the zone's name.
func (b *builder) spanParts(d uptime.Day, zone bool) []string {
	var parts []string
	for _, st := range []uptime.State{uptime.Down, uptime.Maintenance, uptime.Degraded} {
		var (
			total time.Duration
			times []string
		)
		for _, s := range d.Spans {
			if s.State != st {
				continue
			}
			// Each span counts as long as its times read, so that one
			// span's words add up with its times.
			total += wd.Span{Start: s.Start, End: s.End}.Length()
			times = append(times, b.spanTimes(s, d.Date))
		}
		if len(times) == 0 {
			continue
		}
		if len(times) > 3 {
			times = append(times[:3], b.t("and %d more", len(times)-3))
		}
		list := strings.Join(times, ", ")
		if zone {
			list += " " + b.w.Zone()
		}
		word := map[uptime.State]string{uptime.Down: "down %s", uptime.Maintenance: "maintenance downtime %s", uptime.Degraded: "degraded %s"}[st]
		parts = append(parts, b.t(word, b.w.wr.Duration(total))+" ("+list+")")
	}
	return parts
}

// spanTimes is a span's times within its day: "9:48 to 9:52 AM", "9:48:10
// to 9:48:40 AM" under a minute, "11:58 PM to midnight", "since 9:48 AM".
func (b *builder) spanTimes(s uptime.Span, day time.Time) string {
	loc := b.in.Loc
	a, e := s.Start.In(loc), s.End.In(loc)
	switch {
	case s.Ongoing:
		return b.t("since %s", b.w.wr.Clock(a, loc))
	case !wd.SameDay(a, e):
		if (wd.Span{Start: a, End: e}).Precise() {
			return b.t("%s to midnight", b.w.wr.ClockSeconds(a, loc))
		}
		return b.t("%s to midnight", b.w.wr.Clock(a, loc))
	}
	return b.w.wr.Range(wd.Span{Start: a, End: e}, loc, b.in.Now)
}

// Figures for the component page.

type figure struct{ Label, Value, When, Note string }

// uptimePeriod is one period the uptime figures are given over. partial
// says monitoring began within it: the figure is over the time since then
// (since), the same for this period and every longer one.
type uptimePeriod struct {
	key, label string // "30d", "30 days"
	from       time.Time
	t          uptime.Totals
	partial    bool
	since      time.Time
}

// uptimeKeys name the periods, shortest first, as the badges' addresses do.
var uptimeKeys = []string{"24h", "7d", "30d", "90d"}

// uptimePeriods are the periods of a monitored component's figures, from
// one rule for the component page and the badges.
func (b *builder) uptimePeriods(u *componentUptime) []uptimePeriod {
	if !u.monitored {
		return nil
	}
	periods := []uptimePeriod{
		{key: "24h", label: uptimeLabels["24h"], from: b.in.Now.Add(-24 * time.Hour), t: u.last24h},
		// 7, 30 and 90 are calendar days ending today, like the bars.
		{key: "7d", label: uptimeLabels["7d"], from: u.bars.Days[barDays-7].Date, t: u.last7d},
		{key: "30d", label: uptimeLabels["30d"], from: u.bars.Days[barDays-30].Date, t: u.last30d},
		{key: "90d", label: uptimeLabels["90d"], from: u.bars.Days[0].Date, t: u.bars.Total},
	}
	for i := range periods {
		periods[i].partial, periods[i].since = u.since.After(periods[i].from), u.since
	}
	return periods
}

// figures are the uptime figures of the periods the monitored history
// covers, then one figure since monitoring began if it began within the
// longest: a figure over a few hours is never shown as a month's.
func (b *builder) figures(u *componentUptime) []figure {
	var out []figure
	for _, p := range b.uptimePeriods(u) {
		if p.partial {
			// Measured only since then, so the figure is the same for this
			// period and every longer one: shown once, for what it is.
			return append(out, figure{Label: b.t("Since monitoring began"), Value: b.pct(pctOrDash(p.t)), When: b.w.When(u.since), Note: b.downNote(p.t)})
		}
		out = append(out, figure{Label: b.t(p.label), Value: b.pct(pctOrDash(p.t)), Note: b.downNote(p.t)})
	}
	return out
}

type outageView struct {
	Kind, Label string // severity badge
	Times       string // "9:48 to 9:52 AM Pacific time"
	Duration    string
	Ongoing     bool
	Monitor     string // named when the component has several
	Locations   string // where a located monitor's outage was seen from, per location
	Incident    *link
	Maintenance *link
	Continued   bool // began on an earlier day
}

type outageDay struct {
	ID, Label string
	Outages   []outageView
}

type componentView struct {
	Group, GroupURL string
	Name            string
	Description     string
	Status          badge
	Monitored       bool
	Monitors        []monitorView
	Notes           []string // path trouble below the quorum; a located check no location reports on
	Figures         []figure
	OutagesOver     string // "in the last 90 days", or since monitoring began
	Bars            *barsView
	ExcludeNote     bool
	Days            []outageDay
	Charts          []chartView
	Badges          *badgesView // badge.go
}

type monitorView struct {
	Name        string // "HTTP check"
	Where       string // "from fra-1, ams-1 and nyc-1" for a located monitor
	Kind, Label string // its state, as a badge
	LastCheck   time.Time
	Latency     string
}

// componentKey fingerprints what a component's page is made of, the clock
// aside: its record and status, its server's name and status (the badges'
// snippets), its monitors' states (not the time and response time of their
// last checks, which move with the clock) and the response times charted,
// its outages and the titles of the incidents and windows they link to, and
// the page's live note. A rebuild renders the pages whose key moved, and
// every one once a minute (componentsDue). "" (located monitors, whose
// notes come from every location's reports) means always.
func (b *builder) componentKey(c service.ComponentState) (key string) {
	m := b.in.Monitoring
	if m != nil && m.located != nil {
		return ""
	}
	if b.in.Only != nil && b.in.Only.keys != nil {
		if k, ok := b.in.Only.keys[c.ID]; ok {
			return k
		}
		defer func() { b.in.Only.keys[c.ID] = key }()
	}
	f := b.fp[:0]
	defer func() { b.fp = f }()
	f.add(c, b.in.Live)
	if g, ok := b.in.Groups[c.GroupID]; ok {
		f.add(true, g, b.groupStatus(g.ID))
	} else {
		f.add(false)
	}
	if m == nil {
		return keyOf(f)
	}
	f.add(m.exclude)
	for _, mon := range b.monitorsOf(c.ID) {
		// The last check's time and response time move with every check:
		// like the clock, they are shown as of the last rebuild of every
		// page (componentsDue), not a reason for one of this page.
		mon.LastCheckAt, mon.LastLatency = time.Time{}, 0
		f.add(mon)
		// The cache keeps a slice until it reads them again.
		pts, ok := m.latency[mon.ID]
		f.add(ok, reflect.ValueOf(pts).Pointer(), len(pts))
	}
	for _, o := range m.outages[c.ID] {
		f.add(o)
		if in, ok := b.published[o.IncidentID]; ok && o.IncidentID != 0 {
			f.add(true, in.Title)
		} else {
			f.add(false)
		}
		if o.MaintenanceID != 0 {
			f.add(b.windowTitle(o.MaintenanceID))
		}
	}
	return keyOf(f)
}

// keyOf is a fingerprint's key: its SHA-256.
func keyOf(f fingerprint) string {
	sum := sha256.Sum256(f)
	return string(sum[:])
}

// monitorsOf are a component's monitors, configured or removed, by id.
func (b *builder) monitorsOf(id string) []monRow {
	if b.in.Monitoring == nil {
		return nil
	}
	return b.in.Monitoring.byComponent[id]
}

// indexByComponent sorts monitors by component, keeping each component's
// in their order (by id, as read), and returns each component's run.
func indexByComponent(monitors []monRow) map[string][]monRow {
	slices.SortStableFunc(monitors, func(a, b monRow) int { return strings.Compare(a.ComponentID, b.ComponentID) })
	out := map[string][]monRow{}
	for i := 0; i < len(monitors); {
		j := i + 1
		for j < len(monitors) && monitors[j].ComponentID == monitors[i].ComponentID {
			j++
		}
		out[monitors[i].ComponentID] = monitors[i:j:j]
		i = j
	}
	return out
}

// windowTitle is the title of window id as an outage's link names it.
func (b *builder) windowTitle(id int64) string {
	if b.windowTitles == nil {
		b.windowTitles = make(map[int64]string, len(b.in.Windows))
		for i := range b.in.Windows {
			b.windowTitles[b.in.Windows[i].ID] = b.in.Windows[i].Title
		}
	}
	if t, ok := b.windowTitles[id]; ok {
		return t
	}
	return b.t("the maintenance window")
}

// components renders /components/GROUP/ID for each configured component,
// or, when the selection keeps keys and does not ask for every one, those
// whose componentKey moved.
func (b *builder) components() error {
	var keys map[string]string
	every := true
	if b.in.Only != nil && b.in.Only.compKeys != nil {
		keys, every = b.in.Only.compKeys, b.in.Only.allComponents
	}
	for _, c := range b.in.Snapshot.Components {
		var key string
		if keys != nil {
			key = b.componentKey(c)
			if old, ok := keys[c.ID]; ok && !every && key != "" && old == key {
				continue
			}
		}
		v := componentView{Name: c.Name, Description: c.Description,
			Status: badge{b.t(c.Status.Label()), c.Status.Kind()}}
		if g, ok := b.in.Groups[c.GroupID]; ok {
			v.Group = g.Name
		}
		u := b.uptimeOf(c.ID)
		v.Monitored = u.monitored
		if u.monitored {
			v.Bars = b.bars(c.ID)
			v.Figures = b.figures(u)
			v.OutagesOver = b.over(u, u.bars.Days[0].Date, barDays)
			v.ExcludeNote = b.in.Monitoring.exclude
			v.Days = b.outageDays(c.ID, u)
		}
		v.Monitors, v.Charts = b.monitorViews(c.ID)
		v.Badges = b.badgesView(c)
		v.Notes = b.locatedNotes(c.ID)
		title := c.Name
		if v.Group != "" {
			title = v.Group + " · " + c.Name
		}
		if err := b.render(componentURL(c.ID), "component.html", title, "status", v); err != nil {
			return err
		}
		if keys != nil {
			keys[c.ID] = key
		}
	}
	return nil
}

func pctOrDash(t uptime.Totals) string {
	if p := t.PercentText(); p != "" {
		return p
	}
	return "—"
}

// downNote is a figure's downtime in words: "3 minutes 10 seconds down".
func (b *builder) downNote(t uptime.Totals) string {
	switch {
	case !t.HasData():
		return b.t("no data")
	case t.Down == 0 && t.Maintenance == 0:
		return b.t("no downtime")
	}
	var parts []string
	if t.Down > 0 {
		parts = append(parts, b.t("%s down", b.w.wr.Measured(t.Down)))
	}
	if t.Maintenance > 0 {
		parts = append(parts, b.t("%s in maintenance", b.w.wr.Measured(t.Maintenance)))
	}
	return strings.Join(parts, ", ")
}

var monitorKinds = map[string]string{"http": "HTTP", "https": "HTTPS", "tcp": "TCP", "smtp": "SMTP", "imap": "IMAP",
	"pop3": "POP3", "dns": "DNS", "icmp": "Ping", "tls": "TLS certificate", "heartbeat": "Heartbeat"}

func monitorLabel(kind string) string {
	if l, ok := monitorKinds[kind]; ok {
		return l + " check"
	}
	return kind + " check"
}

// monitorViews lists a component's configured monitors and their charts.
func (b *builder) monitorViews(id string) ([]monitorView, []chartView) {
	m := b.in.Monitoring
	if m == nil {
		return nil, nil
	}
	var (
		views  []monitorView
		series []chartSeries
	)
	for _, mon := range b.monitorsOf(id) {
		if !mon.RemovedAt.IsZero() {
			continue
		}
		st := mon.State
		v := monitorView{Kind: st.Kind(), Name: b.t(monitorLabel(mon.Kind)), Label: b.t(st.Label()), LastCheck: mon.LastCheckAt,
			Where: b.monitorWhere(mon.ID)}
		if b.unheard(mon.ID) {
			// Not "not decided yet": no place checks it now.
			v.Kind, v.Label = status.KindNone, b.t("Unknown")
		}
		if !mon.LastCheckAt.IsZero() && mon.LastLevel != status.LevelDown {
			v.Latency = b.w.wr.Latency(mon.LastLatency)
		}
		views = append(views, v)
		// Agents' response times are not charted (yet): an empty chart
		// would say none were measured.
		if pts, charted := m.latency[mon.ID]; charted && v.Where == "" {
			series = append(series, chartSeries{Name: v.Name, Points: pts})
		}
	}
	if len(series) == 0 {
		return views, nil
	}
	now := b.in.Now
	day := b.chart("rt-24h-"+strings.ReplaceAll(id, "/", "-"), b.t("Last 24 hours"), b.t("the last 24 hours"), now.Add(-24*time.Hour), now, latencyBucket, series)
	week := b.chart("rt-7d-"+strings.ReplaceAll(id, "/", "-"), b.t("Last 7 days"), b.t("the last 7 days"), now.Add(-latencyWeek), now, time.Hour, series)
	return views, []chartView{day, week}
}

// outageDays lists the component's outages by day, newest first: an outage
// across midnight is listed on each of its days.
func (b *builder) outageDays(id string, u *componentUptime) []outageDay {
	m := b.in.Monitoring
	perMonitor := len(b.monitorsOf(id))
	var days []outageDay
	for i := len(u.bars.Days) - 1; i >= 0; i-- {
		d := u.bars.Days[i]
		next := d.Date.AddDate(0, 0, 1)
		var list []outageView
		for _, o := range m.outages[id] { // newest first
			end := o.EndedAt
			if end.IsZero() {
				end = b.in.Now
			}
			if !o.StartedAt.Before(next) || !end.After(d.Date) {
				continue
			}
			list = append(list, b.outageView(o, d.Date, perMonitor > 1))
		}
		if len(list) == 0 {
			continue
		}
		days = append(days, outageDay{ID: d.Date.Format("2006-01-02"), Label: b.dayLabel(d.Date), Outages: list})
	}
	return days
}

func (b *builder) outageView(o store.Outage, day time.Time, nameMonitor bool) outageView {
	v := outageView{Kind: status.OutageKind(o.Severity, o.MaintenanceID != 0), Label: b.t("Down"), Continued: o.StartedAt.Before(day)}
	if o.Severity != status.MonitorDown {
		v.Label = b.t("Degraded")
	}
	if o.MaintenanceID != 0 {
		v.Label = b.t(map[bool]string{true: "Maintenance downtime", false: "Degraded during maintenance"}[o.Severity == status.MonitorDown])
		v.Maintenance = &link{URL: fmt.Sprintf("/maintenance/%d", o.MaintenanceID), Title: b.windowTitle(o.MaintenanceID)}
	}
	v.Locations = capitalized(b.outageLocations(o))
	if in, ok := b.published[o.IncidentID]; ok && o.IncidentID != 0 {
		v.Incident = &link{URL: fmt.Sprintf("/incidents/%d", in.ID), Title: in.Title}
	}
	if nameMonitor {
		for _, mon := range b.monitorsOf(o.ComponentID) {
			if mon.ID == o.MonitorID {
				v.Monitor = b.t(monitorLabel(mon.Kind))
			}
		}
	}
	loc := b.in.Loc
	if o.EndedAt.IsZero() {
		v.Ongoing = true
		wr := b.w.wr
		v.Times = b.t("Since %s", wr.TimeIn(o.StartedAt, loc, b.w.zone))
		if !wd.SameDay(o.StartedAt.In(loc), b.in.Now.In(loc)) {
			v.Times = b.t("Since %s", wr.LongDate(o.StartedAt.In(loc), b.in.Now)+", "+wr.TimeIn(o.StartedAt, loc, b.w.zone))
		}
		v.Duration = b.t("%s so far", wr.Duration(wd.Span{Start: o.StartedAt, End: b.in.Now}.Length()))
		return v
	}
	span := wd.Span{Start: o.StartedAt, End: o.EndedAt}
	v.Times = b.w.wr.Range(span, loc, b.in.Now) + " " + b.t("zone.after", b.w.Zone())
	v.Duration = b.w.wr.Duration(span.Length())
	return v
}

// locatedNotes are the notes of a component's located monitors, each named
// when the component has several.
func (b *builder) locatedNotes(id string) []string {
	m := b.in.Monitoring
	if m == nil || m.located == nil {
		return nil
	}
	var mons []monRow
	for _, mon := range b.monitorsOf(id) {
		if mon.RemovedAt.IsZero() {
			mons = append(mons, mon)
		}
	}
	var notes []string
	for _, mon := range mons {
		n := b.locatedNote(mon)
		if n == "" {
			continue
		}
		if len(mons) > 1 {
			n = b.t(monitorLabel(mon.Kind)) + ": " + n
		}
		notes = append(notes, n)
	}
	return notes
}

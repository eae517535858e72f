package web

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"iter"
	"sort"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/locale"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
)

// The widget shows a customer's visitors, on the customer's own site, the
// current status and what is going on: for the page, or for one server.
// widget.js (with widget.css, which it adds) reads /api/v2/summary.json
// cross-origin; a page that allows no scripts frames /widget/GROUP (or
// /widget for the whole page) instead, rendered here with the pages.
//
//	<script src="https://status.example.net/widget.js" data-server="flexo" async></script>
//	<iframe src="https://status.example.net/widget/flexo" title="Status of flexo"></iframe>

const (
	widgetJSPath    = "/widget.js"
	widgetCSSPath   = "/widget.css"
	widgetFramePath = "/widget"
	// widgetCache is how long a browser keeps the script and its stylesheet
	// before asking again (with their ETag): they change only with Herald.
	widgetCache = "public, max-age=3600"
	// widgetUpcoming bounds the scheduled windows the widget lists.
	widgetUpcoming = 3
)

//go:embed static/widget.js
var widgetScript []byte

//go:embed static/widget.css
var widgetSheet []byte

// widgetJS is the script with the words it shows put in, in every language
// a page may be shown in: the status words from internal/status, so the
// widget names and colours each status as the page does, without a second
// list of them, and its own sentences, both from internal/locale's
// catalogs. The script speaks its element's data-lang when given, else the
// language the page's /api/v2 documents declare (Content-Language), else
// English.
var widgetJS = func() []byte {
	all := map[locale.Lang]widgetWordsJSON{}
	for _, l := range locale.Langs {
		all[l] = widgetWords(locale.For(l))
	}
	words, err := json.Marshal(all)
	if err != nil {
		panic(err) // maps of strings always marshal
	}
	const slot = "/*HERALD_WORDS*/null"
	if !bytes.Contains(widgetScript, []byte(slot)) {
		panic("static/widget.js lacks " + slot)
	}
	return bytes.Replace(widgetScript, []byte(slot), words, 1)
}()

// widgetCSS is the widget's colours, from internal/status, scoped to the
// widget so that nothing leaks into the customer's page, and its sheet.
var widgetCSS = append([]byte(widgetPalette()), widgetSheet...)

// wordKind is a status's visual class and its label.
type wordKind [2]string

// widgetWordsJSON is what widget.js knows of statuses in one language: for
// each word the JSON carries, its kind (the CSS class) and label.
type widgetWordsJSON struct {
	Component   map[string]wordKind `json:"component"`
	Incident    map[string]wordKind `json:"incident"`
	Maintenance map[string]wordKind `json:"maintenance"`
	Indicator   map[string]string   `json:"indicator"`
	// Overall is the page's overall status by indicator, in words.
	Overall map[string]string `json:"overall"`
	// Window names a window in the widget by its status; Empty is said
	// when nothing is going on.
	Window map[string]string `json:"window"`
	Empty  string            `json:"empty"`
	// UI are the widget's own sentences, by the names widget.js uses;
	// "%s" is what it puts in.
	UI map[string]string `json:"ui"`
}

// windowWords name one window in the widget, by its status (catalog ids:
// "Scheduled maintenance" in English, "Geplante Wartung" in German).
var windowWords = map[string]string{string(status.InProgress): "widget.inprogress",
	string(status.Scheduled): "widget.scheduled"}

const widgetEmpty = "No incidents or maintenance."

// widgetUI are widget.js's sentences: its names for them, and their English
// (the catalog's key).
var widgetUI = map[string]string{
	"statusOf": "Status of %s",
	"service":  "Service status",
	"title":    "Status",
	"loading":  "Loading the status…",
	"full":     "Full status page",
	"newTab":   "(opens in a new tab)",
	"fail":     "The status cannot be read right now.",
	"noServer": "This status page has no server named “%s”.",
	"since":    "widget.since",
	"to":       "widget.to",
}

func widgetWords(loc *locale.Locale) widgetWordsJSON {
	w := widgetWordsJSON{Component: map[string]wordKind{}, Incident: map[string]wordKind{},
		Maintenance: map[string]wordKind{}, Indicator: map[string]string{}, Overall: map[string]string{},
		Window: map[string]string{}, Empty: loc.T(widgetEmpty), UI: map[string]string{}}
	for _, s := range status.ComponentStatuses {
		w.Component[string(s)] = wordKind{s.Kind(), loc.T(s.Label())}
	}
	for _, s := range status.IncidentStatuses {
		w.Incident[string(s)] = wordKind{s.Kind(), loc.T(s.Label())}
	}
	for _, s := range status.MaintenanceStatuses {
		w.Maintenance[string(s)] = wordKind{s.Kind(), loc.T(s.Label())}
	}
	for _, i := range []status.Indicator{status.IndicatorNone, status.IndicatorMinor, status.IndicatorMajor,
		status.IndicatorCritical, status.IndicatorMaintenance} {
		w.Indicator[string(i)] = i.Kind()
		w.Overall[string(i)] = loc.T(i.Description())
	}
	for k, v := range windowWords {
		w.Window[k] = loc.T(v)
	}
	for name, key := range widgetUI {
		w.UI[name] = loc.T(key)
	}
	return w
}

// widgetPalette is the status colours as custom properties of the widget
// (--hw-ok, …), light and dark, and the hw-k-KIND classes that set --hw-k.
func widgetPalette() string {
	var b strings.Builder
	vars := func(pick func(status.Colour) string) string {
		parts := make([]string, len(status.Kinds))
		for i, k := range status.Kinds {
			parts[i] = fmt.Sprintf("--hw-%s: %s;", k, pick(status.KindColour(k)))
		}
		return strings.Join(parts, " ")
	}
	b.WriteString("/* Herald's status widget. Status colours: generated from internal/status (KindColour). */\n")
	fmt.Fprintf(&b, ".herald-widget { %s }\n", vars(func(c status.Colour) string { return c.Light }))
	fmt.Fprintf(&b, "@media (prefers-color-scheme: dark) { .herald-widget { %s } }\n", vars(func(c status.Colour) string { return c.Dark }))
	for _, k := range status.Kinds {
		fmt.Fprintf(&b, ".herald-widget .hw-k-%s { --hw-k: var(--hw-%s); }\n", k, k)
	}
	return b.String()
}

// widgetFrameCSP lets any site frame the widget's page; like every page, it
// loads its own stylesheet and nothing else.
const widgetFrameCSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-ancestors *; base-uri 'none'; form-action 'none'"

// widgetTemplates are the framed widget's page, per language.
var widgetTemplates = langTemplates("widget.html", "templates/widget.html")

// widgetView is what the framed widget shows.
type widgetView struct {
	Lang      locale.Lang
	Heading   string // the server's name, or the page's title
	SiteTitle string
	CSS       string
	Brand     *brandView // its favicon and accent; the frame shows no logo
	// AsOf is when it was rendered: like every page, the framed widget
	// does not reload itself (a reload would take a reader's place away);
	// the page around it, reloaded, shows the latest.
	AsOf, AsOfISO string
	Status        badge
	Items         []widgetItem
	Empty         string // said when nothing is going on
}

// widgetItem is an incident or a maintenance window in the widget.
type widgetItem struct {
	URL, Title  string
	Kind, Label string
	When        string
}

// widgetFrames renders /widget (the whole page) and /widget/GROUP for each
// server.
func (b *builder) widgetFrames() error {
	snap := b.in.Snapshot
	title := orDefault(b.in.Page.Title, b.t("Status"))
	all := widgetView{Heading: title, Status: badge{b.t(snap.Overall.Description), snap.Overall.Indicator.Kind()}}
	if err := b.widgetFrame(widgetFramePath, all, nil); err != nil {
		return err
	}
	// The servers each open incident and each window touch, worked out
	// once: a window over a fleet names every component, and each server's
	// frame went through all of them.
	groupOf := make(map[string]string, len(snap.Components))
	for _, c := range snap.Components {
		groupOf[c.ID] = c.GroupID
	}
	s := &frameServers{incidents: make([]map[string]bool, len(snap.Open)), windows: map[*status.Maintenance]map[string]bool{}}
	for i := range snap.Open {
		s.incidents[i] = map[string]bool{}
		for _, c := range snap.Open[i].Components {
			s.incidents[i][groupOf[c.ComponentID]] = true
		}
	}
	for m := range runningThenPlanned(snap) {
		s.windows[m] = map[string]bool{}
		for _, id := range m.Components {
			s.windows[m][groupOf[id]] = true
		}
	}
	for _, g := range snap.Groups {
		st := b.groupStatus(g.ID)
		v := widgetView{Heading: orDefault(g.Name, g.ID), Status: badge{b.t(st.Label()), st.Kind()}}
		s.server = g.ID
		if err := b.widgetFrame(widgetFramePath+"/"+g.ID, v, s); err != nil {
			return err
		}
	}
	// The keys of frames no longer rendered (a server gone or hidden) go:
	// one coming back is rendered, not kept from a rendering that is gone.
	if only := b.in.Only; only != nil && only.frames != nil {
		for path := range only.frames {
			if _, rendered := b.docs[path]; !rendered && !only.kept[path] {
				delete(only.frames, path)
			}
		}
	}
	return nil
}

// frameServers are the servers each of a snapshot's open incidents (by
// index) and windows touch, and the server whose frame is being rendered.
type frameServers struct {
	incidents []map[string]bool
	windows   map[*status.Maintenance]map[string]bool
	server    string
}

// widgetFrame renders the frame at path: of a server (s.server), listing
// the incidents and windows touching it, or with s nil of the whole page.
func (b *builder) widgetFrame(path string, v widgetView, s *frameServers) error {
	snap := b.in.Snapshot
	v.Lang = b.w.wr.L.Lang
	v.SiteTitle, v.CSS = orDefault(b.in.Page.Title, b.t("Status")), widgetCSSPath
	// To the minute, as it is shown: a frame then changes when what it
	// says does, or the minute, not at every rebuild's second. A fleet has
	// a frame per server, and each was compressed again after every write.
	v.AsOf, v.AsOfISO = b.w.When(b.in.Now), b.w.ISO(b.in.Now.Truncate(time.Minute))
	if !b.w.wr.L.English() {
		v.AsOf = b.w.WhenMid(b.in.Now) // "Stand: heute, 10:30 Uhr"
	}
	v.Brand = brandOf(b.in.Page)
	for i := range snap.Open {
		in := &snap.Open[i]
		if in.Draft || (s != nil && !s.incidents[i][s.server]) {
			continue
		}
		v.Items = append(v.Items, widgetItem{URL: fmt.Sprintf("/incidents/%d", in.ID), Title: in.Title,
			Kind: in.Status.Kind(), Label: b.t(in.Status.Label()), When: b.widgetSince(in.StartedAt)})
	}
	upcoming := 0
	for m := range runningThenPlanned(snap) {
		if s != nil && !s.windows[m][s.server] {
			continue
		}
		if m.Status == status.Scheduled {
			if upcoming == widgetUpcoming {
				continue
			}
			upcoming++
		}
		start, end := maintSpan(m)
		v.Items = append(v.Items, widgetItem{URL: fmt.Sprintf("/maintenance/%d", m.ID), Title: m.Title,
			Kind: m.Status.Kind(), Label: b.t(windowWords[string(m.Status)]), When: b.w.Window(start, end)})
	}
	// Trouble first, then running windows, then planned ones; each as listed.
	rank := map[string]int{status.KindCritical: 0, status.KindMajor: 0, status.KindMinor: 0, status.KindMaint: 1}
	sort.SliceStable(v.Items, func(i, j int) bool { return rank[v.Items[i].Kind] < rank[v.Items[j].Kind] })
	if len(v.Items) == 0 {
		v.Empty = b.t(widgetEmpty)
	}
	// A frame that would say what it said last time, in the same minute,
	// is kept: a fleet has one per server, and a write moves one or two.
	only := b.in.Only
	var key string
	if only != nil && only.frames != nil {
		key = frameKey(v)
		if only.frames[path] == key {
			only.kept[path] = true
			return nil
		}
	}
	buf := renderBufs.Get().(*bytes.Buffer)
	defer putRenderBuf(buf)
	if err := widgetTemplates[v.Lang].ExecuteTemplate(buf, "widget.html", v); err != nil {
		return fmt.Errorf("render %s: %w", path, err)
	}
	b.docs[path] = bytes.Clone(buf.Bytes())
	if key != "" {
		only.frames[path] = key
	}
	return nil
}

// frameKey is everything a framed widget is rendered from, its brand's
// contents rather than their addresses.
func frameKey(v widgetView) string {
	var f fingerprint
	brand := v.Brand
	v.Brand = nil
	f.add(v, brand != nil)
	if brand != nil {
		bv := *brand
		logo := bv.Logo
		bv.Logo = nil
		f.add(bv, logo != nil)
		if logo != nil {
			f.add(*logo)
		}
	}
	return keyOf(f)
}

// runningThenPlanned yields the snapshot's running windows, then its planned
// ones, in place: a fleet has a frame per server, and copying its windows
// for each was most of what the frames allocated.
func runningThenPlanned(snap *service.Snapshot) iter.Seq[*status.Maintenance] {
	return func(yield func(*status.Maintenance) bool) {
		for _, list := range [2][]status.Maintenance{snap.Active, snap.Upcoming} {
			for i := range list {
				if !yield(&list[i]) {
					return
				}
			}
		}
	}
}

// widgetSince is when an open incident began: "since Today, 9:00 AM
// Pacific time", "seit heute, 09:00 Uhr (Pazifikzeit)".
func (b *builder) widgetSince(t time.Time) string {
	if b.w.wr.L.English() {
		return "since " + b.w.When(t)
	}
	return b.t("widget.since", b.w.WhenMid(t))
}

// nowDoc reports whether a document is one of those rendered with the
// front page (what says what is going on now) besides the page itself and
// the /api/v2 documents: the badges and the framed widget.
func nowDoc(path string) bool {
	return strings.HasPrefix(path, badgePrefix) || path == widgetFramePath || strings.HasPrefix(path, widgetFramePath+"/")
}

package web

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/locale"
	"github.com/heraldhq/herald/internal/statuspage"
	wd "github.com/heraldhq/herald/internal/words"
)

// A static copy of the site (the mirror, internal/mirror) is made of the
// documents served now, each as it is served, with two additions: every
// page says when the copy was made, and every /api/v2 document carries that
// time under statuspage.CopyKey. Nothing is rendered twice: the copy line is
// put into the page at mainOpen, the one place every page has it.

// Document is one public document as a static copy holds it.
type Document struct {
	// Path is the address it answers: "/", "/incidents/7",
	// "/api/v2/summary.json"; "404" is the page for addresses it does not hold.
	Path         string
	ContentType  string
	CacheControl string
	Body         []byte
}

// mainOpen opens every page's main content (templates/layout.html); the
// copy line follows it.
const mainOpen = "<main id=\"main\" class=\"wrap\">\n"

var copyTemplates = langTemplates("copy.html", "templates/layout.html", "templates/copy.html")

// Served returns every public document as served now. It waits for a
// rebuild in progress, so the set is one rebuild's: a page linked from the
// front page is in it.
func (s *Site) Served() []Document {
	s.buildMu.Lock()
	assets := *s.assets.Load()
	s.buildMu.Unlock()
	return documents(assets, func(string) bool { return true })
}

// PageDocs is one page's public documents as a copy holds them.
type PageDocs struct {
	// Page is the entry of pages: they are of; nil for page:.
	Page *config.PageEntry
	// Docs are at the paths served: a path page's under its path (but its
	// not-found page, "404"); a host page's as page:'s are, with the
	// stylesheet and its brand's files.
	Docs []Document
}

// ServedAll returns page:'s documents and those of every public entry of
// pages:, as served now, all of one rebuild. A private page's documents are
// never among them, nor the files of a brand only private pages use.
func (s *Site) ServedAll() []PageDocs {
	cfg := s.cfg()
	s.buildMu.Lock()
	assets := *s.assets.Load()
	var sets []*pageSet
	if p := s.pages.Load(); p != nil {
		sets = *p
	}
	parts := make([]PageDocs, 0, len(sets)+1)
	for _, p := range sets {
		if p.entry.Private != nil {
			continue
		}
		e := p.entry
		docs := documents(*p.assets.Load(), func(path string) bool {
			return e.Path == "" || path == "404" || strings.HasPrefix(path, e.Path+"/")
		})
		parts = append(parts, PageDocs{Page: &e, Docs: docs})
	}
	s.buildMu.Unlock()
	hidden := privateBrandFiles(cfg)
	main := documents(assets, func(path string) bool { return !hidden[path] })
	return append([]PageDocs{{Docs: main}}, parts...)
}

// privateBrandFiles are the paths of the brand files that only private
// pages use.
func privateBrandFiles(cfg config.Config) map[string]bool {
	private, public := map[string]bool{}, map[string]bool{}
	for _, d := range brandDocs(cfg.Page) {
		public[d.path] = true
	}
	for _, e := range cfg.Pages {
		for _, d := range brandDocs(e.Page) {
			if e.Private != nil {
				private[d.path] = true
			} else {
				public[d.path] = true
			}
		}
	}
	for path := range public {
		delete(private, path)
	}
	return private
}

// documents are the assets whose path keep accepts, in path order.
func documents(assets map[string]*asset, keep func(path string) bool) []Document {
	out := make([]Document, 0, len(assets))
	for path, a := range assets {
		if keep(path) {
			out = append(out, Document{Path: path, ContentType: a.contentType, CacheControl: a.header.Get("Cache-Control"), Body: a.plain()})
		}
	}
	slices.SortFunc(out, func(a, b Document) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// OnRebuilt calls fn after each rebuild that swapped in documents (one run
// of Run, whatever it could render). fn must not block: it runs on the
// rebuild's goroutine.
func (s *Site) OnRebuilt(fn func()) {
	s.listenMu.Lock()
	defer s.listenMu.Unlock()
	s.rebuilt = append(s.rebuilt, fn)
}

func (s *Site) tellRebuilt() {
	s.listenMu.Lock()
	fns := slices.Clone(s.rebuilt)
	s.listenMu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// CopyLine is what a copy's pages say of when it was made: "This is a copy
// of the status page, made at 3:02 AM Pacific time on Thursday, December 3,
// 2026." The date is written out: the copy may be read days later.
func CopyLine(madeAt time.Time, loc *time.Location) string {
	return CopyLineIn(locale.English, madeAt, loc)
}

// CopyLineIn is CopyLine in a page's language: "Dies ist eine Kopie der
// Statusseite, erstellt am Donnerstag, 3. Dezember 2026 um 03:02 Uhr
// (Pazifikzeit). …".
func CopyLineIn(l locale.Lang, madeAt time.Time, loc *time.Location) string {
	w := wd.In(l)
	return w.L.T("This is a copy of the status page, made at %s on %s. It shows what was known then.",
		w.TimeIn(madeAt, loc, config.ZoneName(loc)), w.FullDate(madeAt.In(loc)))
}

// unavailable are the pages that answer per request on the live site, and
// what a copy says in their place: its name, and what a copy cannot do
// (keys of the catalogs, worded in the page's language).
var unavailable = []struct{ path, what, heading, cannot string }{
	{"/subscribe", key("Subscribing"), key("Subscribing needs the live page"),
		key("A copy shows what is going on, but it cannot take subscriptions.")},
	{"/subscribe/confirm", key("Confirming a subscription"), key("Confirming a subscription needs the live page"),
		key("A copy shows what is going on, but it cannot confirm a subscription.")},
	{"/manage", key("Managing a subscription"), key("Managing a subscription needs the live page"),
		key("A copy shows what is going on, but it cannot change a subscription.")},
	{"/unsubscribe", key("Unsubscribing"), key("Unsubscribing needs the live page"),
		key("A copy shows what is going on, but it cannot take an unsubscription; every message's link works again once the live page is back.")},
	{"/lookup", key("Finding your server"), key("Finding your server needs the live page"),
		key("A copy shows what is going on, but it cannot look up which server hosts your domain.")},
}

// Copy makes the static copy of docs (as Served returns them) made at
// madeAt: the pages get the copy line, the /api/v2 documents the time, and
// the pages that answer per request on the live site are replaced by ones
// saying that a copy cannot do that and where to do it.
func Copy(docs []Document, cfg config.Config, madeAt time.Time) ([]Document, error) {
	return CopyPage(docs, cfg, nil, madeAt)
}

// CopyPage is Copy of one page's documents (ServedAll): page: for a nil
// page, else an entry of pages:, whose copy speaks as the page does (its
// title, language, zone) and whose pages that answer per request lead to
// the page's own address; a path page's are under its path.
func CopyPage(docs []Document, cfg config.Config, page *config.PageEntry, madeAt time.Time) ([]Document, error) {
	pre := ""
	if page != nil {
		base, _ := cfg.PageBase(*page) // none: the links are relative, as page:'s without a url
		cfg = cfg.ForPage(*page)
		cfg.Page.URL, pre = base, page.Path
	}
	loc := cfg.Location()
	var line bytes.Buffer
	if err := copyTemplates[cfg.Page.Lang()].ExecuteTemplate(&line, "copy", CopyLineIn(cfg.Page.Lang(), madeAt, loc)); err != nil {
		return nil, err
	}
	out := make([]Document, 0, len(docs)+len(unavailable))
	for _, d := range docs {
		switch {
		case d.ContentType == htmlType:
			body, err := withLine(d.Body, line.Bytes())
			if err != nil {
				return nil, fmt.Errorf("copy of %s: %w", d.Path, err)
			}
			d.Body = body
		case strings.HasPrefix(d.Path, pre+"/api/v2/"):
			body, err := statuspage.WithCopy(d.Body, madeAt, loc)
			if err != nil {
				return nil, fmt.Errorf("copy of %s: %w", d.Path, err)
			}
			d.Body = body
		}
		out = append(out, d)
	}
	for _, u := range unavailable {
		body, err := unavailablePage(cfg, loc, madeAt, u.what, u.heading, u.cannot, strings.TrimRight(cfg.Page.URL, "/")+u.path)
		if err != nil {
			return nil, err
		}
		if body, err = withLine(body, line.Bytes()); err != nil {
			return nil, err
		}
		path := u.path
		if pre != "" {
			path, body = prefixed(pre, path, htmlType, body)
		}
		out = append(out, Document{Path: path, ContentType: htmlType, CacheControl: "public, max-age=10", Body: body})
	}
	return out, nil
}

// withLine puts line after the page's mainOpen.
func withLine(page, line []byte) ([]byte, error) {
	i := bytes.Index(page, []byte(mainOpen))
	if i < 0 {
		return nil, errors.New("the page has no main element to put the copy line in")
	}
	i += len(mainOpen)
	out := make([]byte, 0, len(page)+len(line))
	out = append(append(append(out, page[:i]...), line...), page[i:]...)
	return out, nil
}

type unavailableView struct{ What, Heading, Cannot, URL string }

func unavailablePage(cfg config.Config, loc *time.Location, now time.Time, what, heading, cannot, url string) ([]byte, error) {
	w := newWords(loc, now, cfg.Page.Lang())
	site := orDefault(cfg.Page.Title, w.T("Status"))
	what = w.T(what)
	v := view{Title: what + " · " + site, Lang: w.wr.L.Lang, SiteTitle: site,
		Description: cfg.Page.Description, Zone: w.Zone(), CSS: cssPath, Section: "subscribe", Brand: brandOf(cfg.Page),
		W: w, Main: unavailableView{What: what, Heading: w.T(heading), Cannot: w.T(cannot), URL: url}}
	var buf bytes.Buffer
	if err := copyTemplates[v.Lang].ExecuteTemplate(&buf, "layout", v); err != nil {
		return nil, fmt.Errorf("render the copy's %s page: %w", url, err)
	}
	return buf.Bytes(), nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

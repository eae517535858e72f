package web

import (
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/feed"
	"github.com/heraldhq/herald/internal/locale"
	"github.com/heraldhq/herald/internal/status"
	wd "github.com/heraldhq/herald/internal/words"
)

// feedItems keeps the feeds' entries, one per incident or window, from one
// rebuild to the next: an entry renders its whole timeline's Markdown, and
// only those of records read again need rendering again.
type feedItems struct {
	incidents, windows map[int64]feed.Item
	lang               locale.Lang // the language they are written in
}

func newFeedItems() *feedItems {
	return &feedItems{incidents: map[int64]feed.Item{}, windows: map[int64]feed.Item{}}
}

// forget drops the entries of records that changed.
func (f *feedItems) forget(incidents, windows map[int64]bool) {
	for id := range incidents {
		delete(f.incidents, id)
	}
	for id := range windows {
		delete(f.windows, id)
	}
}

// items returns the entries of incidents and windows, rendering those it
// does not hold, and forgets the entries of records no longer listed.
func (f *feedItems) items(cfg config.Config, loc *time.Location, incidents []status.Incident, windows []status.Maintenance) []feed.Item {
	wr := wd.In(cfg.Page.Lang())
	if f.lang != wr.L.Lang {
		// The page's language changed: every entry is written anew.
		f.incidents, f.windows, f.lang = map[int64]feed.Item{}, map[int64]feed.Item{}, wr.L.Lang
	}
	items := make([]feed.Item, 0, len(incidents)+len(windows))
	keepIn, keepWin := make(map[int64]feed.Item, len(incidents)), make(map[int64]feed.Item, len(windows))
	for _, in := range incidents {
		it, ok := f.incidents[in.ID]
		if !ok {
			it = feed.IncidentItemIn(in, cfg.Page.URL, loc, wr)
		}
		keepIn[in.ID] = it
		items = append(items, it)
	}
	for _, m := range windows {
		it, ok := f.windows[m.ID]
		if !ok {
			it = feed.MaintenanceItemIn(m, cfg.Page.URL, loc, wr)
		}
		keepWin[m.ID] = it
		items = append(items, it)
	}
	f.incidents, f.windows = keepIn, keepWin
	return items
}

// feedDocs renders the Atom and RSS feeds of the most recent published
// incidents and maintenance windows (items), and the calendar of every
// window and recurring series. How an incident's updates appear is the feed package's rule: one
// entry per event, its timeline as the content.
func feedDocs(cfg config.Config, items []feed.Item, allWindows []status.Maintenance, series []status.Series, now time.Time) ([]doc, error) {
	atom, err := feed.Atom(cfg.Page, items)
	if err != nil {
		return nil, err
	}
	rss, err := feed.RSS(cfg.Page, items)
	if err != nil {
		return nil, err
	}
	ics, err := feed.ICS(cfg.Page, allWindows, series, now)
	if err != nil {
		return nil, err
	}
	return []doc{
		{feed.AtomPath, "application/atom+xml; charset=utf-8", atom, docLanguage(cfg.Page)},
		{feed.RSSPath, "application/rss+xml; charset=utf-8", rss, docLanguage(cfg.Page)},
		{feed.ICSPath, "text/calendar; charset=utf-8", ics, docLanguage(cfg.Page)},
	}, nil
}

package web

import (
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/feed"
	"github.com/heraldhq/herald/internal/status"
)

// addFeeds renders the Atom and RSS feeds of the most recent published
// incidents and maintenance windows, and the calendar of every window, into
// the assets. How an incident's updates appear is the feed package's rule:
// one entry per event, its timeline as the content.
func addFeeds(assets map[string]*asset, cfg config.Config, loc *time.Location,
	incidents []status.Incident, windows, allWindows []status.Maintenance, now time.Time) error {
	items := make([]feed.Item, 0, len(incidents)+len(windows))
	for _, in := range incidents {
		items = append(items, feed.IncidentItem(in, cfg.Page.URL, loc))
	}
	for _, m := range windows {
		items = append(items, feed.MaintenanceItem(m, cfg.Page.URL, loc))
	}
	atom, err := feed.Atom(cfg.Page, items)
	if err != nil {
		return err
	}
	rss, err := feed.RSS(cfg.Page, items)
	if err != nil {
		return err
	}
	ics, err := feed.ICS(cfg.Page, allWindows, now)
	if err != nil {
		return err
	}
	for _, f := range []struct {
		path, contentType string
		body              []byte
	}{
		{feed.AtomPath, "application/atom+xml; charset=utf-8", atom},
		{feed.RSSPath, "application/rss+xml; charset=utf-8", rss},
		{feed.ICSPath, "text/calendar; charset=utf-8", ics},
	} {
		a, err := newAsset(f.path, f.body, f.contentType)
		if err != nil {
			return err
		}
		assets[f.path] = a
	}
	return nil
}

// Package feed builds the status page's Atom and RSS feeds and its iCalendar
// of maintenance windows, as bytes from data; serving them is the web
// package's job.
//
// A feed has one entry per incident or maintenance window, not one per
// update: a reader then shows one story per event, which it refreshes as the
// event goes on, instead of a scatter of fragments. An entry's
//
//   - id is the URL of the event's page (PAGEURL/incidents/ID or
//     PAGEURL/maintenance/ID): stable, unique, and in RSS a permalink guid;
//   - content (HTML, escaped by encoding/xml as type="html" requires) opens
//     with when the event ran ("Mar 14, 2026, 1:00 PM – 2:30 PM Pacific time
//     · 1 hour 30 minutes", times and length by the rules of package words,
//     as on the event's page; a window's with its status too), then the
//     timeline, newest first: each update under its status word and its
//     time in the page's zone ("Resolved · Mar 14, 2026, 3:04 PM Pacific
//     time"), its body as rendered when it was written (status.Rendered: the
//     feeds render no Markdown). An incident's published postmortem comes
//     first; a window's content opens with its schedule and ends with its
//     announcement;
//   - summary is plain text: the status word, when the event ran, and the
//     latest update;
//   - updated is when the latest update was written (or the postmortem
//     published); for a window also its last edit, since a changed schedule
//     lives in the window, not in an update. published is when the incident
//     was published, or when the window was announced.
//
// Entries are ordered by updated, newest first, and the feed's updated is the
// newest entry's. Draft incidents never appear, whatever the caller passes.
// RSS has no "updated": an item's pubDate is when it was published.
//
// The calendar (ICS) is written by hand to RFC 5545; see ICS.
package feed

import (
	"cmp"
	"html"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/locale"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/words"
)

// Paths at which the web package serves the feeds, relative to the page URL.
// The feeds name themselves with these (Atom and RSS rel="self").
const (
	AtomPath = "/history.atom"
	RSSPath  = "/history.rss"
	ICSPath  = "/maintenance.ics"
)

// Page is the status page as configured; the feeds use its Title, URL and
// Description.
type Page = config.Page

// Item kinds, used as the entries' category.
const (
	KindIncident    = "incident"
	KindMaintenance = "maintenance"
)

// Item is one entry of a feed, built by IncidentItem or MaintenanceItem.
type Item struct {
	ID        string // stable and unique: the URL of the event's page
	Kind      string // KindIncident or KindMaintenance
	Title     string
	Link      string // the event's page
	Published time.Time
	Updated   time.Time
	Summary   string        // plain text
	Content   template.HTML // sanitized HTML: the timeline

	draft bool // set for draft incidents, which no feed shows
}

// IncidentItem makes the entry for an incident, in English. Times in the
// content are shown in loc (UTC when nil).
func IncidentItem(in status.Incident, pageURL string, loc *time.Location) Item {
	return IncidentItemIn(in, pageURL, loc, words.English)
}

// IncidentItemIn makes the entry for an incident in wr's language: the
// status words, times and lengths Herald writes; the operators' texts stay
// as written.
func IncidentItemIn(in status.Incident, pageURL string, loc *time.Location, wr words.Writer) Item {
	loc = orUTC(loc)
	link := eventURL(pageURL, "incidents", in.ID)
	it := Item{
		ID: link, Kind: KindIncident, Title: in.Title, Link: link,
		Published: firstSet(in.PublishedAt, in.StartedAt, in.CreatedAt),
		draft:     in.Draft,
	}

	st := wr.L.T(in.Status.Label())
	span := wr.L.T("since.moment", when(in.StartedAt, loc, wr))
	if in.Status == status.Resolved && !in.ResolvedAt.IsZero() {
		span = window(in.StartedAt, in.ResolvedAt, loc, wr) + " · " + wr.Duration(words.Span{Start: in.StartedAt, End: in.ResolvedAt}.Length())
	}
	var b strings.Builder
	b.WriteString("<p>" + html.EscapeString(locale.Upper(span)) + "</p>\n")
	if !in.PostmortemPublishedAt.IsZero() && strings.TrimSpace(in.Postmortem) != "" {
		entryHead(&b, wr.L.T("Postmortem"), in.PostmortemPublishedAt, loc, wr)
		b.WriteString(string(in.PostmortemRendered.HTML))
		it.Updated = in.PostmortemPublishedAt
	}
	updates := slices.Clone(in.Updates)
	slices.SortStableFunc(updates, func(a, b status.IncidentUpdate) int { // newest first
		return shownAt(b.DisplayAt, b.CreatedAt).Compare(shownAt(a.DisplayAt, a.CreatedAt))
	})
	for _, u := range updates {
		entryHead(&b, wr.L.T(u.Status.Label()), shownAt(u.DisplayAt, u.CreatedAt), loc, wr)
		b.WriteString(string(u.Rendered.HTML))
		it.Updated = latest(it.Updated, u.CreatedAt, u.DisplayAt)
	}
	it.Content = template.HTML(b.String()) //nolint:gosec // escaped and sanitized above

	if len(updates) > 0 {
		it.Summary = summary(st+" · "+span, updates[0].Rendered.Text)
	} else {
		it.Summary = st + " · " + span
	}
	if it.Updated.IsZero() {
		it.Updated = firstSet(it.Published, in.UpdatedAt)
	}
	return it
}

// MaintenanceItem makes the entry for a maintenance window, in English.
// Times in the content are shown in loc (UTC when nil).
func MaintenanceItem(m status.Maintenance, pageURL string, loc *time.Location) Item {
	return MaintenanceItemIn(m, pageURL, loc, words.English)
}

// MaintenanceItemIn makes the entry for a maintenance window in wr's language.
func MaintenanceItemIn(m status.Maintenance, pageURL string, loc *time.Location, wr words.Writer) Item {
	loc = orUTC(loc)
	link := eventURL(pageURL, "maintenance", m.ID)
	it := Item{
		ID: link, Kind: KindMaintenance, Title: m.Title, Link: link,
		Published: firstSet(m.CreatedAt, m.UpdatedAt, m.ScheduledFor),
		Updated:   m.UpdatedAt,
	}
	window := window(m.ScheduledFor, m.ScheduledUntil, loc, wr)
	label := wr.L.T(m.Status.Label())

	var b strings.Builder
	b.WriteString("<p><strong>" + html.EscapeString(label) + "</strong> · " + html.EscapeString(window) + "</p>\n")
	updates := slices.Clone(m.Updates)
	slices.SortStableFunc(updates, func(a, b status.MaintenanceUpdate) int {
		return shownAt(b.DisplayAt, b.CreatedAt).Compare(shownAt(a.DisplayAt, a.CreatedAt))
	})
	for _, u := range updates {
		entryHead(&b, wr.L.T(u.Status.Label()), shownAt(u.DisplayAt, u.CreatedAt), loc, wr)
		b.WriteString(string(u.Rendered.HTML))
		it.Updated = latest(it.Updated, u.CreatedAt, u.DisplayAt)
	}
	if strings.TrimSpace(m.Body) != "" {
		entryHead(&b, wr.L.T("Announced"), it.Published, loc, wr)
		b.WriteString(string(m.Rendered.HTML))
	}
	it.Content = template.HTML(b.String()) //nolint:gosec // escaped and sanitized above

	latestText := m.Rendered.Text
	if len(updates) > 0 && strings.TrimSpace(updates[0].Body) != "" {
		latestText = updates[0].Rendered.Text
	}
	it.Summary = summary(label+" · "+window, latestText)
	if it.Updated.IsZero() {
		it.Updated = it.Published
	}
	return it
}

// Window says when an incident or a maintenance window ran, in loc, with
// the year a feed entry read out of context needs: "Mar 14, 2026, 1:00 AM –
// 3:00 AM Pacific time", both dates when it spans midnight, and the times to
// the second when it lasted under a minute (words.Span's rules).
func Window(from, until time.Time, loc *time.Location) string {
	return window(from, until, orUTC(loc), words.English)
}

// window is Window in wr's language (words.Writer.YearWindow).
func window(from, until time.Time, loc *time.Location, wr words.Writer) string {
	return wr.YearWindow(from, until, loc, config.ZoneName(loc))
}

// visible drops drafts and orders the rest newest first, leaving the
// caller's slice alone.
func visible(items []Item) []Item {
	out := make([]Item, 0, len(items))
	for _, it := range items {
		if !it.draft {
			out = append(out, it)
		}
	}
	slices.SortStableFunc(out, func(a, b Item) int {
		if c := b.Updated.Compare(a.Updated); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
}

// newest is the feed's updated time: the newest entry's. An empty feed
// gets the Unix epoch, so that its bytes (and an ETag) do not change.
func newest(items []Item) time.Time {
	if len(items) == 0 {
		return time.Unix(0, 0).UTC()
	}
	return items[0].Updated
}

func entryHead(b *strings.Builder, label string, at time.Time, loc *time.Location, wr words.Writer) {
	b.WriteString("<p><strong>" + html.EscapeString(label) + "</strong>")
	if !at.IsZero() {
		b.WriteString(" · " + html.EscapeString(when(at, loc, wr)))
	}
	b.WriteString("</p>\n")
}

// when is a time as the page shows it, with the year a feed needs.
func when(t time.Time, loc *time.Location, wr words.Writer) string {
	return wr.Moment(t, loc, config.ZoneName(loc))
}

func summary(head, text string) string {
	if text = strings.TrimSpace(text); text == "" {
		return head
	}
	return head + ": " + text
}

// eventURL is PAGEURL/kind/ID, whatever slash the configured URL ends in.
func eventURL(pageURL, kind string, id int64) string {
	return strings.TrimRight(pageURL, "/") + "/" + kind + "/" + strconv.FormatInt(id, 10)
}

func shownAt(display, created time.Time) time.Time { return firstSet(display, created) }

func firstSet(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

func latest(ts ...time.Time) time.Time {
	var l time.Time
	for _, t := range ts {
		if t.After(l) {
			l = t
		}
	}
	return l
}

func orUTC(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}

package feed

import (
	"bytes"
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/words"
)

// ICS renders maintenance windows as an iCalendar object (RFC 5545) for
// calendar subscriptions: one VEVENT per window, its times in UTC.
//
// An event's UID (maintenance-ID@HOST, HOST from the page URL) and its
// SEQUENCE (the window's Sequence) let a calendar replace an event it holds
// when the window moves; a cancelled window stays, with STATUS:CANCELLED,
// so that subscribers see it go. DTSTAMP and LAST-MODIFIED are the window's
// last edit, so the bytes change only when a window does; now stands in for
// a window that has no UpdatedAt. A calendar with no window holds a UTC
// VTIMEZONE, as RFC 5545 requires a component. The events are TRANSP:TRANSPARENT: a
// provider's maintenance does not make a subscriber busy.
//
// A window that is an occurrence of a series (recurring maintenance) is not
// an event of its own: the series is one event with its rule (see
// writeSeries), so that calendar programs show it as a series.
func ICS(p Page, windows []status.Maintenance, series []status.Series, now time.Time) ([]byte, error) {
	return ICSAt(p, windows, series, now, ICSPath)
}

// ICSAt renders the iCalendar feed served at self (a path such as
// /feeds/flexo.ics), which its SOURCE names: RFC 7986 makes SOURCE the
// address a calendar reloads the feed from, so each feed names itself.
func ICSAt(p Page, windows []status.Maintenance, series []status.Series, now time.Time, self string) ([]byte, error) {
	base := strings.TrimRight(p.URL, "/")
	host := "herald"
	if u, err := url.Parse(base); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	loc := time.UTC
	if p.Zone != "" {
		if l, err := time.LoadLocation(p.Zone); err == nil {
			loc = l
		}
	}

	w := icsWriter{wr: words.In(p.Lang())}
	w.prop("BEGIN", "VCALENDAR")
	w.prop("VERSION", "2.0")
	w.prop("PRODID", "-//Herald//Herald status page//EN")
	w.prop("CALSCALE", "GREGORIAN")
	w.prop("METHOD", "PUBLISH")
	calName := w.wr.L.T("%s maintenance", pageTitle(p))
	w.text("X-WR-CALNAME", calName)
	if l := feedLang(p); l != "" {
		w.text("NAME;LANGUAGE="+l, calName) // RFC 7986, with RFC 5545's language
	} else {
		w.text("NAME", calName) // RFC 7986
	}
	w.prop("REFRESH-INTERVAL;VALUE=DURATION", "PT1H")                     // RFC 7986
	w.prop("X-PUBLISHED-TTL", "PT1H")                                     // the same, for older clients
	w.prop("SOURCE;VALUE=URI", base+(&url.URL{Path: self}).EscapedPath()) // RFC 7986

	// The series' time zones, then the series, then the windows of no series.
	ws, bySeries := splitBySeries(windows, series)
	writeZones(&w, series, now)
	for i := range series {
		if err := w.series(&series[i], bySeries[series[i].ID], base, host, now); err != nil {
			return nil, err
		}
	}
	slices.SortStableFunc(ws, func(a, b status.Maintenance) int {
		if c := a.ScheduledFor.Compare(b.ScheduledFor); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	for _, m := range ws {
		if m.ScheduledFor.IsZero() || !m.ScheduledUntil.After(m.ScheduledFor) {
			return nil, fmt.Errorf("maintenance %d: the window %s to %s is not a time span",
				m.ID, m.ScheduledFor.UTC().Format(time.RFC3339), m.ScheduledUntil.UTC().Format(time.RFC3339))
		}
		link := eventURL(base, "maintenance", m.ID)
		stamp := firstSet(m.UpdatedAt, now)
		w.prop("BEGIN", "VEVENT")
		w.prop("UID", "maintenance-"+strconv.FormatInt(m.ID, 10)+"@"+host)
		w.prop("DTSTAMP", icsTime(stamp))
		w.prop("DTSTART", icsTime(m.ScheduledFor))
		w.prop("DTEND", icsTime(m.ScheduledUntil))
		if !m.CreatedAt.IsZero() {
			w.prop("CREATED", icsTime(m.CreatedAt))
		}
		w.prop("LAST-MODIFIED", icsTime(stamp))
		w.prop("SEQUENCE", strconv.Itoa(max(m.Sequence, 0)))
		w.prop("STATUS", icsStatus(m.Status))
		w.prop("TRANSP", "TRANSPARENT")
		w.text("SUMMARY", m.Title)
		w.text("DESCRIPTION", description(m, loc, link, w.wr))
		w.prop("URL;VALUE=URI", link)
		w.prop("END", "VEVENT")
	}
	if len(ws) == 0 && len(series) == 0 {
		// RFC 5545 wants at least one component in a calendar; a time
		// zone definition is one that no client shows.
		w.utcZone()
	}
	w.prop("END", "VCALENDAR")
	return w.buf.Bytes(), nil
}

// utcZone writes a VTIMEZONE for UTC, the calendar's only zone.
func (w *icsWriter) utcZone() {
	w.prop("BEGIN", "VTIMEZONE")
	w.prop("TZID", "UTC")
	w.prop("BEGIN", "STANDARD")
	w.prop("DTSTART", "19700101T000000")
	w.prop("TZOFFSETFROM", "+0000")
	w.prop("TZOFFSETTO", "+0000")
	w.prop("TZNAME", "UTC")
	w.prop("END", "STANDARD")
	w.prop("END", "VTIMEZONE")
}

// description is the announcement, then the latest update, then the link.
func description(m status.Maintenance, loc *time.Location, link string, wr words.Writer) string {
	var parts []string
	if t := m.Rendered.Text; t != "" {
		parts = append(parts, t)
	}
	if len(m.Updates) > 0 {
		u := slices.MaxFunc(m.Updates, func(a, b status.MaintenanceUpdate) int {
			return shownAt(a.DisplayAt, a.CreatedAt).Compare(shownAt(b.DisplayAt, b.CreatedAt))
		})
		head := wr.L.T(u.Status.Label()) + " (" + when(shownAt(u.DisplayAt, u.CreatedAt), loc, wr) + ")"
		parts = append(parts, summary(head, u.Rendered.Text))
	}
	parts = append(parts, wr.L.T("Details:")+" "+link)
	return strings.Join(parts, "\n\n")
}

func icsStatus(s status.MaintenanceStatus) string {
	if s == status.Cancelled {
		return "CANCELLED"
	}
	return "CONFIRMED"
}

func icsTime(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// icsWriter writes content lines: CRLF-terminated, folded at 75 octets.
type icsWriter struct {
	buf bytes.Buffer
	wr  words.Writer // the page's language, for what Herald writes
}

// prop writes a property whose value needs no escaping (a date, a number, a
// URI, a fixed word).
func (w *icsWriter) prop(name, value string) { w.fold(name + ":" + value) }

// text writes a property of type TEXT, escaped.
func (w *icsWriter) text(name, value string) { w.fold(name + ":" + escapeText(value)) }

// maxLine is the longest a content line may be, in octets, without its CRLF
// (RFC 5545 §3.1). A continuation line's leading space counts.
const maxLine = 75

// fold writes line, breaking it into lines of at most maxLine octets, each
// break between two UTF-8 sequences, continuation lines led by a space.
func (w *icsWriter) fold(line string) {
	n := 0 // octets on the current physical line
	for _, r := range line {
		size := utf8.RuneLen(r)
		if size < 0 {
			size = len(string(utf8.RuneError))
		}
		if n+size > maxLine {
			w.buf.WriteString("\r\n ")
			n = 1
		}
		w.buf.WriteRune(r)
		n += size
	}
	w.buf.WriteString("\r\n")
}

// escapeText escapes a TEXT value (RFC 5545 §3.3.11): backslash, semicolon
// and comma get a backslash, a line break becomes \n. Other control
// characters, which TEXT may not hold, are dropped.
func escapeText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\' || r == ';' || r == ',':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			// dropped
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

package web

import (
	"fmt"
	"html"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/uptime"
)

// Badges are small SVG images a customer puts on a site or in a README:
// the page's overall status, a server's, a component's, and a component's
// uptime over 24 hours, 7, 30 and 90 days. They are drawn in the "flat"
// look people know from shields.io (a grey label on the left, the value on
// a coloured field on the right, rounded corners) and are rendered with
// the pages at each rebuild, so serving one costs no work.
//
// Addresses:
//
//	/badges/status.svg                   the page's overall status
//	/badges/GROUP.svg                    a server (group)
//	/badges/GROUP/ID.svg                 a component
//	/badges/GROUP/ID/uptime-30d.svg      its uptime; also -24h, -7d, -90d
//
// A group whose id is "status" has no badge of its own: the address is the
// overall one. There is no server-wide uptime badge: the page shows uptime
// per component only, and /badges/GROUP/uptime-30d.svg would be the address
// of a component whose id is "uptime-30d".

const (
	badgePrefix = "/badges/"
	badgeType   = "image/svg+xml; charset=utf-8"
	// overallBadge is the overall status's address.
	overallBadge = badgePrefix + "status.svg"
	// badgeLabelGrey is the label's field, as on shields.io; white text on
	// it has 7.5:1 contrast.
	badgeLabelGrey = "#555"
	// badgeMaxRunes bounds a label or value; longer names are cut with "…".
	badgeMaxRunes = 48
)

// badgeWidths are the advance widths of the printable ASCII characters, from
// space (U+0020) to tilde (U+007E), in Verdana, in units of 1/2048 em: what
// shields.io-style badges measure their text with. They are close to the
// font's own, not exact; the text is drawn with textLength set to the width
// measured here, so a reader without Verdana (its fallback fonts differ)
// still sees the text fill its field.
var badgeWidths = [...]int{
	720, 824, 1010, 1831, 1303, 2205, 1498, 552, 931, 931, 1303, 1831, 745, 883, 745, 930, // space to /
	1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, // 0 to 9
	930, 930, 1831, 1831, 1831, 1120, 2048, // : to @
	1401, 1405, 1429, 1579, 1292, 1186, 1587, 1548, 862, 947, 1423, 1163, 1720, // A to M
	1531, 1623, 1259, 1623, 1430, 1399, 1243, 1510, 1401, 2025, 1403, 1247, 1403, // N to Z
	931, 930, 931, 1831, 1303, 1303, // [ to `
	1229, 1276, 1064, 1276, 1208, 721, 1276, 1296, 562, 698, 1200, 562, 1992, // a to m
	1296, 1243, 1276, 1276, 874, 1064, 807, 1296, 1200, 1665, 1200, 1200, 1069, // n to z
	1300, 930, 1300, 1831, // { to ~
}

// runeWidth is a character's width in 1/2048 em: from the table, else an
// estimate by the kind of character.
func runeWidth(r rune) int {
	switch {
	case r >= ' ' && r <= '~':
		return badgeWidths[r-' ']
	case r == '·' || r == '•':
		return 745
	case r == '…' || r == '—':
		return 2048
	case r == '–':
		return 1303
	case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul):
		return 2048 // full width
	case unicode.IsUpper(r):
		return 1450
	case unicode.IsSpace(r):
		return 720
	}
	return 1250
}

// textWidth is how wide s is at 11 px, in tenths of a pixel, rounded up.
func textWidth(s string) int {
	units := 0
	for _, r := range s {
		units += runeWidth(r)
	}
	return (units*110 + 2047) / 2048
}

// badgeText makes a name fit a badge: cleaned (badgeClean) and, when long,
// cut with "…".
func badgeText(s string) string {
	out := badgeClean(s)
	if utf8.RuneCountInString(out) <= badgeMaxRunes {
		return out
	}
	runes := []rune(out)[:badgeMaxRunes-1]
	return strings.TrimRight(string(runes), " ") + "…"
}

// badgeClean drops control characters and characters XML does not allow,
// and makes runs of space one.
func badgeClean(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.TrimSpace(s) {
		switch {
		case unicode.IsSpace(r):
			space = true
		case !xmlChar(r) || unicode.IsControl(r):
		default:
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		}
	}
	return b.String()
}

// xmlChar reports whether XML 1.0 allows r in a document.
func xmlChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF && r != utf8.RuneError
}

// xmlEscape escapes text for an XML element or a quoted attribute.
func xmlEscape(s string) string {
	return xmlEscaper.Replace(s)
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")

// tenths writes a length in tenths of a pixel: 123 as "12.3".
func tenths(n int) string {
	if n%10 == 0 {
		return fmt.Sprint(n / 10)
	}
	return fmt.Sprintf("%d.%d", n/10, n%10)
}

// badgePad is the space left and right of each text, in tenths of a pixel.
const badgePad = 50

// badgeSVG draws a badge: label on grey, value on the colour of kind (the
// status colours' one home is internal/status). The image says both in its
// title and accessible name, in full.
func badgeSVG(label, value, kind string) []byte {
	// The name says it all; the text shown may be cut.
	name := xmlEscape(badgeClean(label) + ": " + badgeClean(value))
	label, value = badgeText(label), badgeText(value)
	lw, vw := textWidth(label), textWidth(value)
	left, right := lw+2*badgePad, vw+2*badgePad
	// Whole pixels, so the fields' edges are sharp.
	left, right = (left+9)/10*10, (right+9)/10*10
	total := left + right
	fill := status.KindColour(kind).Light
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="20" viewBox="0 0 %s 20" role="img" aria-label="%s">`,
		tenths(total), tenths(total), name)
	fmt.Fprintf(&b, `<title>%s</title>`, name)
	b.WriteString(`<linearGradient id="shine" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>`)
	fmt.Fprintf(&b, `<clipPath id="round"><rect width="%s" height="20" rx="3" fill="#fff"/></clipPath>`, tenths(total))
	fmt.Fprintf(&b, `<g clip-path="url(#round)"><rect width="%s" height="20" fill="%s"/><rect x="%s" width="%s" height="20" fill="%s"/><rect width="%s" height="20" fill="url(#shine)"/></g>`,
		tenths(left), badgeLabelGrey, tenths(left), tenths(right), fill, tenths(total))
	b.WriteString(`<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11" text-rendering="geometricPrecision">`)
	for _, t := range []struct {
		text      string
		mid, size int
	}{{label, left / 2, lw}, {value, left + right/2, vw}} {
		if t.text == "" {
			continue
		}
		text := xmlEscape(t.text)
		// A faint copy a pixel lower is the text's shadow.
		fmt.Fprintf(&b, `<text aria-hidden="true" x="%s" y="15" fill="#010101" fill-opacity=".3" textLength="%s" lengthAdjust="spacingAndGlyphs">%s</text>`,
			tenths(t.mid), tenths(t.size), text)
		fmt.Fprintf(&b, `<text x="%s" y="14" textLength="%s" lengthAdjust="spacingAndGlyphs">%s</text>`, tenths(t.mid), tenths(t.size), text)
	}
	b.WriteString("</g></svg>\n")
	return []byte(b.String())
}

// uptimeKind colours an uptime figure: green from 99.9%, yellow from 99%,
// orange from 95%, red below, grey without data.
func uptimeKind(t uptime.Totals) string {
	n, ok := t.Fraction(10_000)
	switch {
	case !ok:
		return status.KindNone
	case n >= 9_990:
		return status.KindOK
	case n >= 9_900:
		return status.KindMinor
	case n >= 9_500:
		return status.KindMajor
	}
	return status.KindCritical
}

// badgeURL is a component's or a group's status badge address.
func badgeURL(id string) string { return badgePrefix + id + ".svg" }

// uptimeBadgeURL is a component's uptime badge address for a period key ("30d").
func uptimeBadgeURL(id, key string) string { return badgePrefix + id + "/uptime-" + key + ".svg" }

// badges renders every badge: the overall one, one per server, and per
// component its status and its uptime over each period the page gives.
func (b *builder) badges() {
	snap := b.in.Snapshot
	b.docs[overallBadge] = badgeSVG(b.t("badge.status"), b.t(snap.Overall.Description), snap.Overall.Indicator.Kind())
	for _, g := range snap.Groups {
		if badgeURL(g.ID) == overallBadge {
			continue
		}
		st := b.groupStatus(g.ID)
		b.docs[badgeURL(g.ID)] = badgeSVG(orDefault(g.Name, g.ID), b.t(st.Label()), st.Kind())
	}
	for _, c := range snap.Components {
		if b.keptRows[c.ID] {
			b.in.Only.kept[badgeURL(c.ID)] = true
			for _, key := range uptimeKeys {
				b.in.Only.kept[uptimeBadgeURL(c.ID, key)] = true
			}
			continue
		}
		b.docs[badgeURL(c.ID)] = badgeSVG(b.compName(c.ID), b.t(c.Status.Label()), c.Status.Kind())
		periods := b.uptimePeriods(b.uptimeOf(c.ID))
		if periods == nil {
			// No monitor watches it: the addresses answer all the same,
			// so an image embedded elsewhere is never broken.
			for _, key := range uptimeKeys {
				b.docs[uptimeBadgeURL(c.ID, key)] = badgeSVG(b.uptimeLabel(key, uptimeLabels[key]), b.t("not monitored"), status.KindNone)
			}
		}
		for _, p := range periods {
			b.docs[uptimeBadgeURL(c.ID, p.key)] = badgeSVG(p.badgeLabel(b), b.pctOrNoData(p.t), uptimeKind(p.t))
		}
	}
}

// badgeLabel is a period's badge label: "uptime 30d", or "uptime since
// Nov 22" when monitoring began within the period, since a figure over a
// few days is never shown as a month's. German and Spanish write the
// period in words ("Verfügbarkeit 30 Tage", "disponibilidad 30 días").
func (p uptimePeriod) badgeLabel(b *builder) string {
	if p.partial {
		if b.w.wr.L.English() {
			return "uptime since " + p.since.In(b.in.Loc).Format("Jan 2")
		}
		return b.t("uptime since %s", b.w.wr.ShortDate(p.since.In(b.in.Loc)))
	}
	return b.uptimeLabel(p.key, p.label)
}

// uptimeLabels are the periods' labels by key, as uptimePeriods names them.
var uptimeLabels = map[string]string{"24h": "24 hours", "7d": "7 days", "30d": "30 days", "90d": "90 days"}

// uptimeLabel is an uptime badge's label for a period: "uptime 30d".
func (b *builder) uptimeLabel(key, label string) string {
	if b.w.wr.L.English() {
		return "uptime " + key
	}
	return b.t("badge.uptime", b.t(label))
}

// pctOrNoData is a figure in the page's language, or that there is none.
func (b *builder) pctOrNoData(t uptime.Totals) string {
	if p := t.PercentText(); p != "" {
		return b.pct(p)
	}
	return b.t("no data")
}

// badgeSnippet is a badge a component page offers, with what to paste to
// show it elsewhere.
type badgeSnippet struct {
	Title    string // what it shows: "This service's status"
	Image    string // its path on this site
	Preview  string // the image's alternative text here, with what it says now
	HTML     string
	Markdown string
}

// badgesView is the component page's Badges section.
type badgesView struct {
	// Absolute is false when page.url is not configured: the addresses
	// pasted are then relative, and the page says so.
	Absolute bool
	List     []badgeSnippet
	// Periods are the other uptime badges, shown without snippets: their
	// addresses differ only in the period.
	Periods []badgeSnippet
}

// badgesView lists a component's badges: its status, its server's, and
// its uptime when a monitor watches it.
func (b *builder) badgesView(c service.ComponentState) *badgesView {
	base := strings.TrimRight(b.in.Page.URL, "/")
	v := &badgesView{Absolute: base != ""}
	name := b.compName(c.ID)
	page := base + componentURL(c.ID)
	add := func(title, img, alt, now, link string) {
		v.List = append(v.List, snippet(title, base, img, alt, now, link))
	}
	add(b.t("This service’s status"), badgeURL(c.ID), b.t("%s status", name), name+": "+b.t(c.Status.Label()), page)
	if g, ok := b.in.Groups[c.GroupID]; ok && badgeURL(g.ID) != overallBadge {
		st := b.groupStatus(g.ID)
		gname := orDefault(g.Name, g.ID)
		add(b.t("The %s server’s status", gname), badgeURL(g.ID), b.t("%s status", gname), gname+": "+b.t(st.Label()), base+"/")
	}
	for _, p := range b.uptimePeriods(b.uptimeOf(c.ID)) {
		alt := b.t("%s uptime, last %s", name, b.t(p.label))
		now := name + " " + p.badgeLabel(b) + ": " + b.pctOrNoData(p.t)
		if p.key == "30d" {
			add(b.t("Uptime over the last 30 days"), uptimeBadgeURL(c.ID, p.key), alt, now, page)
			continue
		}
		v.Periods = append(v.Periods, snippet("", base, uptimeBadgeURL(c.ID, p.key), alt, now, page))
	}
	return v
}

// snippet is a badge whose address is path: shown here from this site
// (the page may be read on a copy or through another address), pasted
// elsewhere with the page's configured address.
func snippet(title, base, path, alt, now, link string) badgeSnippet {
	img := base + path
	return badgeSnippet{Title: title, Image: path, Preview: now,
		HTML:     `<a href="` + html.EscapeString(link) + `"><img src="` + html.EscapeString(img) + `" alt="` + html.EscapeString(alt) + `"></a>`,
		Markdown: "[![" + markdownEscaper.Replace(alt) + "](" + img + ")](" + link + ")"}
}

// markdownEscaper escapes what would end or open a link's text.
var markdownEscaper = strings.NewReplacer(`\`, `\\`, "[", `\[`, "]", `\]`)

package feed

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/locale"
)

type atomFeed struct {
	XMLName   xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang      string      `xml:"xml:lang,attr,omitempty"`
	ID        string      `xml:"id"`
	Title     atomText    `xml:"title"`
	Subtitle  *atomText   `xml:"subtitle,omitempty"`
	Updated   string      `xml:"updated"`
	Links     []atomLink  `xml:"link"`
	Author    atomPerson  `xml:"author"`
	Generator string      `xml:"generator"`
	Entries   []atomEntry `xml:"entry"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomPerson struct {
	Name string `xml:"name"`
	URI  string `xml:"uri,omitempty"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

type atomEntry struct {
	ID        string        `xml:"id"`
	Title     atomText      `xml:"title"`
	Link      atomLink      `xml:"link"`
	Published string        `xml:"published,omitempty"`
	Updated   string        `xml:"updated"`
	Category  *atomCategory `xml:"category,omitempty"`
	Summary   atomText      `xml:"summary"`
	Content   atomText      `xml:"content"`
}

// Atom renders an Atom 1.0 feed (RFC 4287) of items: the page's own, at AtomPath.
func Atom(p Page, items []Item) ([]byte, error) { return AtomAt(p, items, "") }

// AtomAt renders an Atom feed served at self (a path such as
// /feeds/flexo.atom), which is also its id, so a reader tells it from the
// page's own feed; "" is the page's own feed.
func AtomAt(p Page, items []Item, self string) ([]byte, error) {
	items = visible(items)
	base := strings.TrimRight(p.URL, "/")
	id, selfURL := base+"/", base+AtomPath
	if self != "" {
		id, selfURL = base+self, base+self
	}
	f := atomFeed{
		ID:    id,
		Lang:  feedLang(p),
		Title: atomText{Type: "text", Body: pageTitle(p)},
		Links: []atomLink{
			{Rel: "alternate", Type: "text/html", Href: base + "/"},
			{Rel: "self", Type: "application/atom+xml", Href: selfURL},
		},
		Updated:   atomTime(newest(items)),
		Author:    atomPerson{Name: pageTitle(p), URI: base + "/"},
		Generator: "Herald",
	}
	if p.Description != "" {
		f.Subtitle = &atomText{Type: "text", Body: p.Description}
	}
	for _, it := range items {
		e := atomEntry{
			ID:      it.ID,
			Title:   atomText{Type: "text", Body: it.Title},
			Link:    atomLink{Rel: "alternate", Type: "text/html", Href: it.Link},
			Updated: atomTime(it.Updated),
			// The summary is text, but goes out as escaped HTML: readers
			// (gofeed among them) put an Atom summary and an RSS
			// description in one field that is then shown as HTML.
			Summary: atomText{Type: "html", Body: html.EscapeString(it.Summary)},
			Content: atomText{Type: "html", Body: string(it.Content)},
		}
		if !it.Published.IsZero() {
			e.Published = atomTime(it.Published)
		}
		if it.Kind != "" {
			e.Category = &atomCategory{Term: it.Kind}
		}
		f.Entries = append(f.Entries, e)
	}
	return marshal(f)
}

func atomTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func pageTitle(p Page) string {
	if t := strings.TrimSpace(p.Title); t != "" {
		return t
	}
	return locale.For(p.Lang()).T("Status")
}

// feedLang is the language a feed declares (Atom's xml:lang, RSS's
// language): the page's, when it has one.
func feedLang(p Page) string {
	if p.Language == "" {
		return ""
	}
	return string(p.Lang())
}

// marshal writes v as an indented XML document. encoding/xml escapes text
// and attributes, and replaces characters XML cannot hold with U+FFFD, so
// the document is well-formed whatever the data.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode feed: %w", err)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

package feed

import (
	"encoding/xml"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/locale"
)

type rssDoc struct {
	XMLName xml.Name   `xml:"rss"`
	Version string     `xml:"version,attr"`
	AtomNS  string     `xml:"xmlns:atom,attr"`
	Channel rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title         string      `xml:"title"`
	Link          string      `xml:"link"`
	Description   string      `xml:"description"`
	Self          rssAtomLink `xml:"atom:link"`
	LastBuildDate string      `xml:"lastBuildDate"`
	Generator     string      `xml:"generator"`
	Language      string      `xml:"language,omitempty"`
	Items         []rssItem   `xml:"item"`
}

type rssAtomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr"`
}

type rssGUID struct {
	IsPermaLink bool   `xml:"isPermaLink,attr"`
	Value       string `xml:",chardata"`
}

type rssItem struct {
	Title       string  `xml:"title"`
	Link        string  `xml:"link"`
	GUID        rssGUID `xml:"guid"`
	PubDate     string  `xml:"pubDate,omitempty"`
	Category    string  `xml:"category,omitempty"`
	Description string  `xml:"description"`
}

// RSS renders an RSS 2.0 feed of items. An item's description is its HTML
// content (escaped, as RSS readers expect).
func RSS(p Page, items []Item) ([]byte, error) { return RSSAt(p, items, "") }

// RSSAt renders an RSS feed served at self (a path such as /feeds/flexo.rss);
// "" is the page's own feed at RSSPath.
func RSSAt(p Page, items []Item, self string) ([]byte, error) {
	items = visible(items)
	if self == "" {
		self = RSSPath
	}
	base := strings.TrimRight(p.URL, "/")
	desc := p.Description
	if desc == "" {
		desc = locale.For(p.Lang()).T("Incidents and maintenance for %s", pageTitle(p))
	}
	doc := rssDoc{
		Version: "2.0",
		AtomNS:  "http://www.w3.org/2005/Atom",
		Channel: rssChannel{
			Title:         pageTitle(p),
			Link:          base + "/",
			Description:   desc,
			Self:          rssAtomLink{Href: base + self, Rel: "self", Type: "application/rss+xml"},
			LastBuildDate: rssTime(newest(items)),
			Generator:     "Herald",
			Language:      feedLang(p),
		},
	}
	for _, it := range items {
		ri := rssItem{
			Title:       it.Title,
			Link:        it.Link,
			GUID:        rssGUID{IsPermaLink: it.ID == it.Link, Value: it.ID},
			Category:    it.Kind,
			Description: string(it.Content),
		}
		if !it.Published.IsZero() {
			ri.PubDate = rssTime(it.Published)
		}
		doc.Channel.Items = append(doc.Channel.Items, ri)
	}
	return marshal(doc)
}

// rssTime is RFC 822 with a four-digit year, as RSS 2.0 profiles ask.
func rssTime(t time.Time) string { return t.UTC().Format(time.RFC1123Z) }

package feed

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/markdown"
	"github.com/heraldhq/herald/internal/markdown/xsstest"
	"github.com/heraldhq/herald/internal/status"
	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/atom"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var (
	pacific = mustLoad("America/Los_Angeles")
	page    = Page{Title: "Acme Status", URL: "https://status.example.com/", Zone: "America/Los_Angeles", Description: "Acme's services"}
	t0      = time.Date(2026, 3, 14, 20, 0, 0, 0, time.UTC) // 1 PM Pacific (PDT)
)

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// render is a text's rendering, made as the store makes it when the text
// is written.
func render(src string) status.Rendered {
	d := markdown.Render(src)
	return status.Rendered{HTML: d.HTML, Text: d.Text}
}

// rendered gives an incident's texts their renderings.
func rendered(in status.Incident) status.Incident {
	in.PostmortemRendered = render(in.Postmortem)
	in.Updates = slices.Clone(in.Updates)
	for i := range in.Updates {
		in.Updates[i].Rendered = render(in.Updates[i].Body)
	}
	return in
}

// renderedWindow gives a window's texts their renderings.
func renderedWindow(m status.Maintenance) status.Maintenance {
	m.Rendered = render(m.Body)
	m.Updates = slices.Clone(m.Updates)
	for i := range m.Updates {
		m.Updates[i].Rendered = render(m.Updates[i].Body)
	}
	return m
}

// fixtures: a resolved incident with a postmortem, an open one, a draft, and
// maintenance windows.
func incidents() []status.Incident {
	list := []status.Incident{
		{
			ID: 7, Title: "Elevated API errors", Status: status.Resolved, Impact: status.ImpactMajor,
			StartedAt: t0, PublishedAt: t0.Add(2 * time.Minute), CreatedAt: t0.Add(time.Minute),
			ResolvedAt: t0.Add(90 * time.Minute), UpdatedAt: t0.Add(3 * time.Hour),
			Postmortem: "A **bad deploy** of the router.", PostmortemPublishedAt: t0.Add(48 * time.Hour),
			Updates: []status.IncidentUpdate{
				{ID: 3, Status: status.Resolved, Body: "All fixed; we *rolled back*.", CreatedAt: t0.Add(90 * time.Minute)},
				{ID: 2, Status: status.Identified, Body: "The cause is a bad deploy.", CreatedAt: t0.Add(30 * time.Minute)},
				{ID: 1, Status: status.Investigating, Body: "We are looking into errors & timeouts.", CreatedAt: t0.Add(2 * time.Minute)},
			},
		},
		{
			ID: 8, Title: "Slow dashboard", Status: status.Monitoring,
			StartedAt: t0.Add(24 * time.Hour), PublishedAt: t0.Add(24 * time.Hour), CreatedAt: t0.Add(24 * time.Hour),
			Updates: []status.IncidentUpdate{
				// Backdated: shown at the start, written an hour later.
				{ID: 10, Status: status.Monitoring, Body: "A fix is out.", CreatedAt: t0.Add(26 * time.Hour)},
				{ID: 9, Status: status.Investigating, Body: "Dashboards load slowly.", CreatedAt: t0.Add(25 * time.Hour), DisplayAt: t0.Add(24 * time.Hour)},
			},
		},
		{
			ID: 9, Title: "SECRET draft incident", Status: status.Investigating, Draft: true,
			StartedAt: t0, CreatedAt: t0.Add(100 * time.Hour),
			Updates: []status.IncidentUpdate{{Status: status.Investigating, Body: "draft body", CreatedAt: t0.Add(100 * time.Hour)}},
		},
	}
	for i := range list {
		list[i] = rendered(list[i])
	}
	return list
}

func windows() []status.Maintenance {
	list := []status.Maintenance{
		{
			ID: 4, Title: "Database upgrade", Status: status.Scheduled,
			Body:         "We upgrade PostgreSQL; expect errors, briefly.\nSecond line \\ with a backslash.",
			ScheduledFor: t0.Add(72 * time.Hour), ScheduledUntil: t0.Add(74 * time.Hour),
			CreatedAt: t0.Add(time.Hour), UpdatedAt: t0.Add(5 * time.Hour), Sequence: 2,
			Updates: []status.MaintenanceUpdate{
				{Status: status.Scheduled, Body: "Moved two hours later.", CreatedAt: t0.Add(5 * time.Hour)},
			},
		},
		{
			ID: 5, Title: "Network work", Status: status.Cancelled, Body: "Cancelled: vendor delay.",
			ScheduledFor: t0.Add(-48 * time.Hour), ScheduledUntil: t0.Add(-47 * time.Hour),
			CreatedAt: t0.Add(-96 * time.Hour), UpdatedAt: t0.Add(-50 * time.Hour), Sequence: 1,
		},
	}
	for i := range list {
		list[i] = renderedWindow(list[i])
	}
	return list
}

func items() []Item {
	var out []Item
	for _, in := range incidents() {
		out = append(out, IncidentItem(in, page.URL, pacific))
	}
	for _, m := range windows() {
		out = append(out, MaintenanceItem(m, page.URL, pacific))
	}
	return out
}

func TestIncidentItem(t *testing.T) {
	it := IncidentItem(incidents()[0], "https://status.example.com", pacific)
	if it.ID != "https://status.example.com/incidents/7" || it.Link != it.ID {
		t.Errorf("id %q, link %q", it.ID, it.Link)
	}
	if want := t0.Add(48 * time.Hour); !it.Updated.Equal(want) {
		t.Errorf("updated %v, want the postmortem's publication %v", it.Updated, want)
	}
	if want := t0.Add(2 * time.Minute); !it.Published.Equal(want) {
		t.Errorf("published %v, want %v", it.Published, want)
	}
	content := string(it.Content)
	order := []string{
		"<strong>Postmortem</strong> · Mar 16, 2026, 1:00 PM Pacific time",
		"<strong>bad deploy</strong>",
		"<strong>Resolved</strong> · Mar 14, 2026, 2:30 PM Pacific time",
		"<em>rolled back</em>",
		"<strong>Identified</strong> · Mar 14, 2026, 1:30 PM Pacific time",
		"<strong>Investigating</strong> · Mar 14, 2026, 1:02 PM Pacific time",
		"errors &amp; timeouts",
	}
	at := 0
	for _, s := range order {
		i := strings.Index(content[at:], s)
		if i < 0 {
			t.Fatalf("content lacks %q after offset %d:\n%s", s, at, content)
		}
		at += i + len(s)
	}
	if !strings.HasPrefix(content, "<p>Mar 14, 2026, 1:00 PM – 2:30 PM Pacific time · 1 hour 30 minutes</p>") {
		t.Errorf("content does not open with when the incident ran, as its page says it:\n%s", content)
	}
	if it.Summary != "Resolved · Mar 14, 2026, 1:00 PM – 2:30 PM Pacific time · 1 hour 30 minutes: All fixed; we rolled back." {
		t.Errorf("summary %q", it.Summary)
	}

	// A backdated update is placed by its display time but dates the entry
	// by when it was written.
	it = IncidentItem(incidents()[1], page.URL, pacific)
	if want := t0.Add(26 * time.Hour); !it.Updated.Equal(want) {
		t.Errorf("updated %v, want %v", it.Updated, want)
	}
	if strings.Index(string(it.Content), "A fix is out") > strings.Index(string(it.Content), "Dashboards load") {
		t.Errorf("timeline not newest first:\n%s", it.Content)
	}
}

func TestMaintenanceItem(t *testing.T) {
	it := MaintenanceItem(windows()[0], page.URL, pacific)
	if it.ID != "https://status.example.com/maintenance/4" {
		t.Errorf("id %q", it.ID)
	}
	if want := t0.Add(5 * time.Hour); !it.Updated.Equal(want) {
		t.Errorf("updated %v, want %v", it.Updated, want)
	}
	for _, s := range []string{
		"<strong>Scheduled</strong> · Mar 17, 2026, 1:00 PM – 3:00 PM Pacific time",
		"Moved two hours later.",
		"<strong>Announced</strong> · Mar 14, 2026, 2:00 PM Pacific time",
		"We upgrade PostgreSQL",
	} {
		if !strings.Contains(string(it.Content), s) {
			t.Errorf("content lacks %q:\n%s", s, it.Content)
		}
	}
	if want := "Scheduled · Mar 17, 2026, 1:00 PM – 3:00 PM Pacific time: Moved two hours later."; it.Summary != want {
		t.Errorf("summary %q, want %q", it.Summary, want)
	}
}

func TestWindow(t *testing.T) {
	if got, want := Window(t0, t0.Add(12*time.Hour), pacific), "Mar 14, 2026, 1:00 PM – Mar 15, 2026, 1:00 AM Pacific time"; got != want {
		t.Errorf("Window across midnight = %q, want %q", got, want)
	}
	if got, want := Window(t0, t0.Add(time.Hour), nil), "Mar 14, 2026, 8:00 PM – 9:00 PM UTC"; got != want {
		t.Errorf("Window in UTC = %q, want %q", got, want)
	}
	// Under a minute, to the second, as on the pages.
	if got, want := Window(t0.Add(10*time.Second), t0.Add(56*time.Second), pacific), "Mar 14, 2026, 1:00:10 PM – 1:00:56 PM Pacific time"; got != want {
		t.Errorf("Window under a minute = %q, want %q", got, want)
	}
}

func TestAtom(t *testing.T) {
	b, err := Atom(page, items())
	if err != nil {
		t.Fatal(err)
	}
	wellFormed(t, b)
	golden(t, "feed.atom", b)
	if bytes.Contains(b, []byte("SECRET")) || bytes.Contains(b, []byte("draft body")) {
		t.Fatal("the Atom feed shows a draft")
	}

	f, err := gofeed.NewParser().Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if f.FeedType != "atom" || f.Title != "Acme Status" || f.Link != "https://status.example.com/" || f.Description != "Acme's services" {
		t.Errorf("feed: type %q title %q link %q description %q", f.FeedType, f.Title, f.Link, f.Description)
	}
	if f.FeedLink != "https://status.example.com"+AtomPath {
		t.Errorf("self link %q", f.FeedLink)
	}
	if f.UpdatedParsed == nil || !f.UpdatedParsed.Equal(t0.Add(48*time.Hour)) {
		t.Errorf("feed updated %v, want the newest entry's", f.UpdatedParsed)
	}
	wantIDs := []string{ // newest first by updated
		"https://status.example.com/incidents/7",   // postmortem, +48h
		"https://status.example.com/incidents/8",   // +26h
		"https://status.example.com/maintenance/4", // +5h
		"https://status.example.com/maintenance/5", // -50h
	}
	if len(f.Items) != len(wantIDs) {
		t.Fatalf("%d entries, want %d", len(f.Items), len(wantIDs))
	}
	for i, it := range f.Items {
		if it.GUID != wantIDs[i] || it.Link != wantIDs[i] {
			t.Errorf("entry %d: id %q link %q, want %q", i, it.GUID, it.Link, wantIDs[i])
		}
	}
	e := f.Items[0]
	if e.Title != "Elevated API errors" {
		t.Errorf("title %q", e.Title)
	}
	if e.UpdatedParsed == nil || !e.UpdatedParsed.Equal(t0.Add(48*time.Hour)) ||
		e.PublishedParsed == nil || !e.PublishedParsed.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("entry dates: updated %v published %v", e.UpdatedParsed, e.PublishedParsed)
	}
	if !strings.Contains(e.Content, "<strong>Resolved</strong> · Mar 14, 2026, 2:30 PM Pacific time") ||
		!strings.Contains(e.Content, "errors &amp; timeouts") {
		t.Errorf("content:\n%s", e.Content)
	}
	if e.Description != "Resolved · Mar 14, 2026, 1:00 PM – 2:30 PM Pacific time · 1 hour 30 minutes: All fixed; we rolled back." {
		t.Errorf("summary %q", e.Description)
	}
	if len(e.Categories) != 1 || e.Categories[0] != KindIncident {
		t.Errorf("categories %v", e.Categories)
	}

	// The Atom model as written: content is type html.
	ap := &atom.Parser{}
	af, err := ap.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if c := af.Entries[0].Content; c == nil || c.Type != "html" {
		t.Errorf("content %+v, want type html", c)
	}
	if !bytes.Contains(b, []byte(`<summary type="html">Resolved · Mar 14, 2026, 1:00 PM – 2:30 PM Pacific time · 1 hour 30 minutes: All fixed; we rolled back.</summary>`)) {
		t.Error("no summary of type html")
	}
	if len(af.Authors) != 1 || af.Authors[0].Name != "Acme Status" {
		t.Errorf("authors %+v", af.Authors)
	}
}

func TestRSS(t *testing.T) {
	b, err := RSS(page, items())
	if err != nil {
		t.Fatal(err)
	}
	wellFormed(t, b)
	golden(t, "feed.rss", b)
	if bytes.Contains(b, []byte("SECRET")) {
		t.Fatal("the RSS feed shows a draft")
	}
	f, err := gofeed.NewParser().Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if f.FeedType != "rss" || f.FeedVersion != "2.0" || f.Title != "Acme Status" || f.Link != "https://status.example.com/" {
		t.Errorf("feed: type %q %q title %q link %q", f.FeedType, f.FeedVersion, f.Title, f.Link)
	}
	if f.UpdatedParsed == nil || !f.UpdatedParsed.Equal(t0.Add(48*time.Hour)) {
		t.Errorf("lastBuildDate %v", f.UpdatedParsed)
	}
	if len(f.Items) != 4 {
		t.Fatalf("%d items, want 4", len(f.Items))
	}
	it := f.Items[1]
	if it.Title != "Slow dashboard" || it.GUID != "https://status.example.com/incidents/8" || it.Link != it.GUID {
		t.Errorf("item: title %q guid %q link %q", it.Title, it.GUID, it.Link)
	}
	if it.PublishedParsed == nil || !it.PublishedParsed.Equal(t0.Add(24*time.Hour)) {
		t.Errorf("pubDate %v", it.PublishedParsed)
	}
	if !strings.Contains(it.Description, "<strong>Monitoring</strong> · Mar 15, 2026, 3:00 PM Pacific time") {
		t.Errorf("description:\n%s", it.Description)
	}
	if f.Items[3].Categories[0] != KindMaintenance {
		t.Errorf("categories %v", f.Items[3].Categories)
	}
}

func TestEmptyFeeds(t *testing.T) {
	for name, build := range map[string]func(Page, []Item) ([]byte, error){"atom": Atom, "rss": RSS} {
		b, err := build(Page{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		wellFormed(t, b)
		f, err := gofeed.NewParser().Parse(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if f.Title != "Status" || len(f.Items) != 0 {
			t.Errorf("%s: title %q, %d items", name, f.Title, len(f.Items))
		}
	}
}

// TestOnlyDrafts: a draft reaches no feed even when it is all there is.
func TestOnlyDrafts(t *testing.T) {
	in := incidents()[2]
	it := IncidentItem(in, page.URL, nil)
	for name, build := range map[string]func(Page, []Item) ([]byte, error){"atom": Atom, "rss": RSS} {
		b, err := build(page, []Item{it})
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte("SECRET")) || bytes.Contains(b, []byte("incidents/9")) {
			t.Errorf("%s shows the draft:\n%s", name, b)
		}
	}
}

// TestFeedXSS puts every vector of the Markdown corpus in titles and bodies:
// the feeds must stay well-formed, and what a reader parses out of them must
// pass the same checks as the page's HTML.
func TestFeedXSS(t *testing.T) {
	vectors, err := xsstest.Corpus("../markdown/testdata/xss.txt")
	if err != nil {
		t.Fatal(err)
	}
	// XML cannot hold these; encoding/xml must replace them, not fail.
	vectors = append(vectors, "nul \x00 and bell \x07 and \xff bad UTF-8 ]]> <![CDATA[ x")
	var its []Item
	for i, v := range vectors {
		in := status.Incident{
			ID: int64(i + 1), Title: v, Status: status.Investigating, PublishedAt: t0, Postmortem: v, PostmortemPublishedAt: t0,
			Updates: []status.IncidentUpdate{{Status: status.Investigating, Body: v, CreatedAt: t0.Add(time.Duration(i) * time.Minute)}},
		}
		m := status.Maintenance{
			ID: int64(i + 1), Title: v, Body: v, Status: status.Scheduled,
			ScheduledFor: t0, ScheduledUntil: t0.Add(time.Hour), UpdatedAt: t0,
			Updates: []status.MaintenanceUpdate{{Status: status.Scheduled, Body: v, CreatedAt: t0}},
		}
		its = append(its, IncidentItem(rendered(in), page.URL, pacific), MaintenanceItem(renderedWindow(m), page.URL, pacific))
	}
	for name, build := range map[string]func(Page, []Item) ([]byte, error){"atom": Atom, "rss": RSS} {
		t.Run(name, func(t *testing.T) {
			b, err := build(page, its)
			if err != nil {
				t.Fatal(err)
			}
			wellFormed(t, b)
			f, err := gofeed.NewParser().Parse(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Items) != len(its) {
				t.Fatalf("%d items, want %d", len(f.Items), len(its))
			}
			for _, it := range f.Items {
				for _, html := range []string{it.Content, it.Description} {
					if p := xsstest.Problems(html); len(p) > 0 {
						t.Errorf("item %q: %s\n%s", it.Title, strings.Join(p, "; "), html)
					}
				}
			}
		})
	}
}

// wellFormed reads b to the end with encoding/xml's strict decoder.
func wellFormed(t *testing.T, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
	}
}

// golden compares b with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, b []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(b, want) {
		t.Errorf("%s differs from the golden file; run go test -update and review the diff:\n%s", name, b)
	}
}

// FuzzFeeds: whatever the title and body, both feeds stay well-formed and
// their parsed HTML passes the XSS checks.
func FuzzFeeds(f *testing.F) {
	vectors, err := xsstest.Corpus("../markdown/testdata/xss.txt")
	if err != nil {
		f.Fatal(err)
	}
	for _, v := range vectors {
		f.Add(v, v)
	}
	f.Fuzz(func(t *testing.T, title, body string) {
		in := status.Incident{ID: 1, Title: title, Status: status.Identified, PublishedAt: t0,
			Updates: []status.IncidentUpdate{{Status: status.Identified, Body: body, CreatedAt: t0}}}
		its := []Item{IncidentItem(rendered(in), page.URL, pacific)}
		for _, build := range []func(Page, []Item) ([]byte, error){Atom, RSS} {
			b, err := build(page, its)
			if err != nil {
				t.Fatal(err)
			}
			wellFormed(t, b)
			feed, err := gofeed.NewParser().Parse(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("gofeed: %v\n%s", err, b)
			}
			for _, it := range feed.Items {
				for _, h := range []string{it.Content, it.Description} {
					if p := xsstest.Problems(h); len(p) > 0 {
						t.Fatalf("%s\n%s", strings.Join(p, "; "), h)
					}
				}
			}
		}
	})
}

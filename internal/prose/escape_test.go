package prose

import (
	"html"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/markdown"
)

// renderedText renders a body with the renderer the pages use and checks it
// is a single paragraph of text: no link, emphasis, code, heading or HTML
// that a name could have smuggled in. It returns the paragraph's text.
func renderedText(t *testing.T, r *markdown.Renderer, body string) string {
	t.Helper()
	out := strings.TrimSpace(string(r.HTML(body)))
	inner, ok := strings.CutPrefix(out, "<p>")
	inner, ok2 := strings.CutSuffix(inner, "</p>")
	if !ok || !ok2 || strings.ContainsAny(inner, "<>") {
		t.Fatalf("body %q rendered as more than one plain paragraph:\n%s", body, out)
	}
	return html.UnescapeString(inner)
}

func TestNamesCannotInjectMarkdown(t *testing.T) {
	r := markdown.New()
	la := zone(t, "America/Los_Angeles")
	hostile := []string{
		"[flexo](https://evil.example)", "<b>Mail</b>", "<script>alert(1)</script>", "*FTP*", "__bold__",
		"`code`", "~~gone~~", "![x](https://evil.example/x.png)", "www.evil.example", "WWW.evil.example",
		"https://evil.example", "a@b.example", "&amp; &#60;", "a | b", "line\nbreak", "# heading", "\\[x\\]",
		"<https://evil.example>", "[x]: https://evil.example",
	}
	for _, name := range hostile {
		o := Outage{Server: name, Service: name, Others: []OtherService{{Service: name}}, OtherServers: []string{name},
			Start: at(t, la, "2026-08-12 09:48:07"), End: at(t, la, "2026-08-12 09:52:02"),
			Earlier: []Earlier{{Start: at(t, la, "2026-08-10 09:48:07"), End: at(t, la, "2026-08-10 09:52:02"), Title: name}}}
		p := Page{Loc: la, Zone: "Pacific time", Now: at(t, la, "2026-08-12 10:00:00")}
		open, err := Investigating(o)
		if err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(open.Title, "\n\r") {
			t.Errorf("title %q has a line break", open.Title)
		}
		body, err := Resolved(o, p)
		if err != nil {
			t.Fatal(err)
		}
		maint, err := MaintenanceCompleted(Maintenance{Planned: 5 * time.Minute, Servers: []ServerDowntime{{name, time.Minute}}})
		if err != nil {
			t.Fatal(err)
		}
		net, err := NetworkResolved(NetworkEvent{Start: o.Start, Servers: []Restoration{{Server: name, Restored: o.End}, {Server: "mom", Restored: o.Start.Add(time.Minute)}},
			Unaffected: []string{name}}, p)
		if err != nil {
			t.Fatal(err)
		}
		restored, err := NetworkRestored(NetworkEvent{Start: o.Start, Servers: []Restoration{{Server: name, Restored: o.End}, {Server: "mom"}},
			Unaffected: []string{name}}, p)
		if err != nil {
			t.Fatal(err)
		}
		stillDown, err := NetworkRestored(NetworkEvent{Start: o.Start, Servers: []Restoration{{Server: "mom", Restored: o.End}, {Server: name}}}, p)
		if err != nil {
			t.Fatal(err)
		}
		want := plain(name)
		for _, b := range []string{open.Body, body, maint, net, restored, stillDown} {
			got := renderedText(t, r, b)
			if !strings.Contains(got, want) {
				t.Errorf("name %q does not read as typed in\n%s\nrendered text:\n%s", name, b, got)
			}
		}
	}
}

func FuzzEscape(f *testing.F) {
	for _, s := range []string{"flexo", "[a](b)", "<i>x</i>", "*x*", "www.x.example", "a@b.c", "&lt;", "x\\", "http://x"} {
		f.Add(s)
	}
	r := markdown.New()
	f.Fuzz(func(t *testing.T, s string) {
		want := "On " + plain(s) + " today."
		if !strings.Contains(want, "  ") && strings.ToValidUTF8(s, "") == s {
			if got := renderedText(t, r, "On "+md(s)+" today."); got != want {
				t.Errorf("md(%q) renders as %q, want %q", s, got, want)
			}
		}
	})
}

func TestServiceNoun(t *testing.T) {
	for _, tc := range []struct{ id, name, want string }{
		{"web", "Web sites", "Web site"},
		{"www", "Sites", "Web site"},
		{"email", "E-mail", "E-mail"},
		{"mail", "Mail", "E-mail"},
		{"smtp", "Outgoing", "E-mail"},
		{"sites", "", "Web site"},
		{"frontend", "Websites", "Web site"},
		{"ftp", "FTP", "FTP"},
		{"db", " Databases ", "Databases"},
		{"dns", "", "dns"},
	} {
		if got := ServiceNoun(tc.id, tc.name); got != tc.want {
			t.Errorf("ServiceNoun(%q, %q) = %q, want %q", tc.id, tc.name, got, tc.want)
		}
	}
}

func TestArticle(t *testing.T) {
	for in, want := range map[string]string{
		"four-minute": "a four-minute", "eight-minute": "an eight-minute", "eighth": "an eighth",
		"11-minute": "an 11-minute", "18-minute": "an 18-minute", "12-minute": "a 12-minute",
		"80-minute": "an 80-minute", "one-hour": "a one-hour", "11th": "an 11th", "110-minute": "a 110-minute",
	} {
		if got := article(in); got != want {
			t.Errorf("article(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBadInput(t *testing.T) {
	la := zone(t, "America/Los_Angeles")
	start := at(t, la, "2026-08-12 09:48:07")
	end := start.Add(4 * time.Minute)
	page := Page{Loc: la, Zone: "Pacific time", Now: end}
	good := Outage{Server: "flexo", Service: "Web site", Start: start, End: end}
	with := func(f func(*Outage)) Outage { o := good; f(&o); return o }

	for _, tc := range []struct {
		name string
		err  func() error
		want string
	}{
		{"no server", func() error { _, err := Resolved(with(func(o *Outage) { o.Server = " \n" }), page); return err }, "prose: the outage has no server name"},
		{"no service", func() error { _, err := Investigating(with(func(o *Outage) { o.Service = "" })); return err }, "prose: the outage has no service"},
		{"no start", func() error { _, err := Investigating(with(func(o *Outage) { o.Start = time.Time{} })); return err }, "prose: the outage has no start"},
		{"not ended", func() error { _, err := Resolved(with(func(o *Outage) { o.End = time.Time{} }), page); return err }, "prose: the outage has not ended"},
		{"ends first", func() error {
			_, err := Recurrence(with(func(o *Outage) { o.End = start.Add(-time.Second) }), page)
			return err
		}, "prose: the outage ends before it starts"},
		{"no zone", func() error { _, err := Resolved(good, Page{Zone: "UTC", Now: end}); return err }, "prose: the page has no time zone"},
		{"no zone name", func() error { _, err := Resolved(good, Page{Loc: la, Now: end}); return err }, "prose: the page's zone has no name"},
		{"no now", func() error { _, err := Resolved(good, Page{Loc: la, Zone: "Pacific time"}); return err }, "prose: the time of publication is missing"},
		{"network without servers", func() error { _, err := NetworkInvestigating(NetworkEvent{Start: start}); return err }, "prose: the network event affected no servers"},
		{"network without start", func() error {
			_, err := NetworkResolved(NetworkEvent{Servers: []Restoration{{Server: "flexo", Restored: end}}}, page)
			return err
		}, "prose: the network event has no start"},
		{"restored before start", func() error {
			_, err := NetworkResolved(NetworkEvent{Start: start, Servers: []Restoration{{Server: "flexo", Restored: start.Add(-time.Minute)}}}, page)
			return err
		}, `prose: server "flexo" was restored before the network event began`},
		{"restoration before any", func() error {
			_, err := NetworkRestored(NetworkEvent{Start: start, Servers: []Restoration{{Server: "flexo"}}}, page)
			return err
		}, "prose: no restoration in the network event is left to tell"},
		{"restoration already told", func() error {
			_, err := NetworkRestored(NetworkEvent{Start: start, Servers: []Restoration{{Server: "flexo"}, {Server: "mom", Restored: end, Told: true}}}, page)
			return err
		}, "prose: no restoration in the network event is left to tell"},
		{"maintenance without servers", func() error { _, err := MaintenanceCompleted(Maintenance{Planned: time.Minute}); return err }, "prose: the maintenance names no servers"},
		{"negative downtime", func() error {
			_, err := MaintenanceCompleted(Maintenance{Servers: []ServerDowntime{{"mom", -time.Second}}})
			return err
		}, `prose: server "mom" has a negative downtime`},
		{"negative plan", func() error {
			_, err := MaintenanceCompleted(Maintenance{Planned: -time.Minute, Servers: []ServerDowntime{{"mom", 0}}})
			return err
		}, "prose: the planned downtime is negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.err()
			if err == nil || err.Error() != tc.want {
				t.Errorf("error = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestNoRecurrenceOutsideTheWindow(t *testing.T) {
	la := zone(t, "America/Los_Angeles")
	start := at(t, la, "2026-08-12 09:48:07")
	page := Page{Loc: la, Zone: "Pacific time", Now: start.Add(10 * time.Minute)}
	o := Outage{Server: "flexo", Service: "Web site", Start: start, End: start.Add(4 * time.Minute), Earlier: []Earlier{
		{Start: start.Add(-RecurrenceWindow - time.Hour), End: start.Add(-RecurrenceWindow - time.Minute)}, // too old
		{Start: start.Add(-time.Minute), End: start.Add(time.Minute)},                                      // overlaps: not earlier
		{Start: start.Add(-time.Hour)}, // never ended
	}}
	if r, err := Recurrence(o, page); err != nil || r != "" {
		t.Errorf("Recurrence = %q, %v; want none", r, err)
	}
	body, err := Resolved(o, page)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(body, "time within a week") {
		t.Errorf("resolution claims a recurrence: %s", body)
	}
	// Exactly a week before still counts.
	o.Earlier = []Earlier{{Start: start.Add(-RecurrenceWindow - 4*time.Minute), End: start.Add(-RecurrenceWindow)}}
	if r, _ := Recurrence(o, page); !strings.HasPrefix(r, "The problem happened a second time") {
		t.Errorf("Recurrence a week on = %q", r)
	}
}

func TestDowntime(t *testing.T) {
	t0 := time.Date(2026, 4, 4, 6, 0, 0, 0, time.UTC)
	m := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }
	window := Span{m(0), m(60)}
	for _, tc := range []struct {
		name    string
		outages []Span
		want    time.Duration
	}{
		{"none", nil, 0},
		{"one", []Span{{m(10), m(13)}}, 3 * time.Minute},
		{"overlapping count once", []Span{{m(10), m(13)}, {m(11), m(15)}}, 5 * time.Minute},
		{"contained", []Span{{m(10), m(20)}, {m(12), m(14)}}, 10 * time.Minute},
		{"touching", []Span{{m(10), m(12)}, {m(12), m(14)}}, 4 * time.Minute},
		{"apart, unsorted", []Span{{m(30), m(31)}, {m(10), m(12)}}, 3 * time.Minute},
		{"clipped to the window", []Span{{m(-5), m(2)}, {m(58), m(70)}}, 4 * time.Minute},
		{"outside", []Span{{m(-10), m(-5)}, {m(61), m(62)}}, 0},
		{"still down runs to the end", []Span{{m(50), time.Time{}}}, 10 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Downtime(window, tc.outages); got != tc.want {
				t.Errorf("Downtime = %s, want %s", got, tc.want)
			}
		})
	}
}

package feed

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-ical"

	"github.com/heraldhq/herald/internal/markdown/xsstest"
	"github.com/heraldhq/herald/internal/status"
)

// longTitle needs folding, and has multi-byte characters where the folds fall.
const longTitle = "Wartung im Rechenzentrum Zürich – Datenbank, Netzwerk; Überprüfung der Glasfaser 日本語のテキストも含む長い件名です"

func icsWindows() []status.Maintenance {
	ws := windows()
	ws = append(ws, renderedWindow(status.Maintenance{
		ID: 6, Title: longTitle, Status: status.InProgress,
		Body:         "Steps, in order; all of them:\n\n1. drain\n2. upgrade\n\nPath C:\\data\\db, done.",
		ScheduledFor: t0.Add(-time.Hour), ScheduledUntil: t0.Add(time.Hour),
		CreatedAt: t0.Add(-5 * time.Hour), UpdatedAt: t0.Add(-time.Hour),
		Updates: []status.MaintenanceUpdate{
			{Status: status.Scheduled, Body: "older", CreatedAt: t0.Add(-4 * time.Hour)},
			{Status: status.InProgress, Body: "Work has *begun*.", CreatedAt: t0.Add(-time.Hour)},
		},
	}))
	return ws
}

func decodeICS(t *testing.T, b []byte) *ical.Calendar {
	t.Helper()
	cal, err := ical.NewDecoder(bytes.NewReader(b)).Decode()
	if err != nil {
		t.Fatalf("go-ical cannot parse the calendar: %v\n%s", err, b)
	}
	// go-ical's encoder checks the properties RFC 5545 requires.
	if err := ical.NewEncoder(io.Discard).Encode(cal); err != nil {
		t.Fatalf("go-ical rejects the calendar: %v", err)
	}
	return cal
}

func TestICS(t *testing.T) {
	now := t0.Add(100 * time.Hour)
	b, err := ICS(page, icsWindows(), nil, now)
	if err != nil {
		t.Fatal(err)
	}
	checkLines(t, b)
	golden(t, "maintenance.ics", b)
	cal := decodeICS(t, b)

	for prop, want := range map[string]string{
		"VERSION": "2.0", "CALSCALE": "GREGORIAN", "METHOD": "PUBLISH",
		"PRODID": "-//Herald//Herald status page//EN", "X-WR-CALNAME": "Acme Status maintenance",
	} {
		if p := cal.Props.Get(prop); p == nil || p.Value != want {
			t.Errorf("%s = %+v, want %q", prop, p, want)
		}
	}

	events := cal.Events()
	if len(events) != 3 {
		t.Fatalf("%d events, want 3", len(events))
	}
	type want struct {
		uid, status, summary string
		seq                  int
		start, end, stamp    time.Time
	}
	wants := []want{ // ordered by start
		{"maintenance-5@status.example.com", "CANCELLED", "Network work", 1, t0.Add(-48 * time.Hour), t0.Add(-47 * time.Hour), t0.Add(-50 * time.Hour)},
		{"maintenance-6@status.example.com", "CONFIRMED", longTitle, 0, t0.Add(-time.Hour), t0.Add(time.Hour), t0.Add(-time.Hour)},
		{"maintenance-4@status.example.com", "CONFIRMED", "Database upgrade", 2, t0.Add(72 * time.Hour), t0.Add(74 * time.Hour), t0.Add(5 * time.Hour)},
	}
	for i, e := range events {
		w := wants[i]
		if got := e.Props.Get(ical.PropUID).Value; got != w.uid {
			t.Errorf("event %d: UID %q, want %q", i, got, w.uid)
		}
		if seq, err := e.Props.Get(ical.PropSequence).Int(); err != nil || seq != w.seq {
			t.Errorf("%s: SEQUENCE %d (%v), want %d", w.uid, seq, err, w.seq)
		}
		if st, err := e.Status(); err != nil || string(st) != w.status {
			t.Errorf("%s: STATUS %q (%v), want %q", w.uid, st, err, w.status)
		}
		start, err1 := e.DateTimeStart(nil)
		end, err2 := e.DateTimeEnd(nil)
		stamp, err3 := e.Props.DateTime(ical.PropDateTimeStamp, nil)
		mod, err4 := e.Props.DateTime(ical.PropLastModified, nil)
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil ||
			!start.Equal(w.start) || !end.Equal(w.end) || !stamp.Equal(w.stamp) || !mod.Equal(w.stamp) ||
			start.Location() != time.UTC {
			t.Errorf("%s: start %v end %v stamp %v modified %v (%v %v %v %v)", w.uid, start, end, stamp, mod, err1, err2, err3, err4)
		}
		if s, err := e.Props.Text(ical.PropSummary); err != nil || s != w.summary {
			t.Errorf("%s: SUMMARY %q (%v), want %q", w.uid, s, err, w.summary)
		}
		if u, err := e.Props.URI(ical.PropURL); err != nil || !strings.HasPrefix(u.String(), "https://status.example.com/maintenance/") {
			t.Errorf("%s: URL %v (%v)", w.uid, u, err)
		}
	}

	// Escaped text comes back as written: commas, semicolons, backslashes
	// and line breaks, the Markdown reduced to text, the latest update after.
	desc, err := events[1].Props.Text(ical.PropDescription)
	if err != nil {
		t.Fatal(err)
	}
	wantDesc := "Steps, in order; all of them:\n\n1. drain\n2. upgrade\n\nPath C:\\data\\db, done.\n\n" +
		"In progress (Mar 14, 2026, 12:00 PM Pacific time): Work has begun.\n\n" +
		"Details: https://status.example.com/maintenance/6"
	if desc != wantDesc {
		t.Errorf("DESCRIPTION\n%q\nwant\n%q", desc, wantDesc)
	}
	if !bytes.Contains(b, []byte(`Steps\, in order\; all of them:\n\n1. drain`)) {
		t.Error("DESCRIPTION not escaped as RFC 5545 says")
	}
	// The long summary really was folded.
	if !bytes.Contains(b, []byte("\r\n ")) || bytes.Contains(b, []byte("SUMMARY:"+longTitle)) {
		t.Error("the long SUMMARY was not folded")
	}
}

// checkLines checks the physical form: CRLF only, at most 75 octets a line,
// folds between UTF-8 sequences.
func checkLines(t *testing.T, b []byte) {
	t.Helper()
	if !bytes.HasSuffix(b, []byte("\r\n")) {
		t.Error("the calendar does not end with CRLF")
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\r\n"), "\r\n")
	for i, l := range lines {
		if strings.ContainsAny(l, "\r\n") {
			t.Errorf("line %d has a bare CR or LF: %q", i+1, l)
		}
		if len(l) > 75 {
			t.Errorf("line %d is %d octets: %q", i+1, len(l), l)
		}
		if !utf8.ValidString(l) {
			t.Errorf("line %d is not valid UTF-8 on its own (a fold split a character): %q", i+1, l)
		}
	}
}

func TestICSEmptyAndBad(t *testing.T) {
	b, err := ICS(Page{}, nil, nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	checkLines(t, b)
	if cal := decodeICS(t, b); len(cal.Events()) != 0 {
		t.Errorf("%d events", len(cal.Events()))
	}

	// A window with no UpdatedAt is stamped now.
	m := status.Maintenance{ID: 1, Title: "x", Status: status.Scheduled, ScheduledFor: t0, ScheduledUntil: t0.Add(time.Hour)}
	b, err = ICS(page, []status.Maintenance{m}, nil, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	ev := decodeICS(t, b).Events()[0]
	if ts, _ := ev.Props.DateTime(ical.PropDateTimeStamp, nil); !ts.Equal(t0.Add(time.Minute)) {
		t.Errorf("DTSTAMP %v, want now", ts)
	}

	m.ScheduledUntil = m.ScheduledFor
	if _, err := ICS(page, []status.Maintenance{m}, nil, t0); err == nil {
		t.Error("a window that ends as it starts was accepted")
	}
}

// TestICSTextRoundTrip writes every vector of the XSS corpus, and text made
// to stress the escaping, as SUMMARY and DESCRIPTION, and reads it back.
func TestICSTextRoundTrip(t *testing.T) {
	vectors, err := xsstest.Corpus("../markdown/testdata/xss.txt")
	if err != nil {
		t.Fatal(err)
	}
	vectors = append(vectors,
		`a,b;c\d`+"\n"+`e\,f\;g\\n`,
		strings.Repeat("é", 100),
		strings.Repeat("a", 74)+"€"+strings.Repeat(",", 80),
		"tab\there, CRLF\r\nand CR\rend",
	)
	for _, v := range vectors {
		m := status.Maintenance{ID: 1, Title: v, Status: status.Scheduled, ScheduledFor: t0, ScheduledUntil: t0.Add(time.Hour), UpdatedAt: t0}
		b, err := ICS(page, []status.Maintenance{m}, nil, t0)
		if err != nil {
			t.Fatal(err)
		}
		checkLines(t, b)
		ev := decodeICS(t, b).Events()[0]
		got, err := ev.Props.Text(ical.PropSummary)
		if want := textValue(v); err != nil || got != want {
			t.Errorf("SUMMARY %q (%v), want %q", got, err, want)
		}
	}
}

// FuzzICSText: any title survives escaping and folding.
func FuzzICSText(f *testing.F) {
	f.Add(longTitle)
	f.Add(`a,b;c\d` + "\n\r\x00")
	f.Fuzz(func(t *testing.T, title string) {
		m := status.Maintenance{ID: 1, Title: title, Status: status.Scheduled, ScheduledFor: t0, ScheduledUntil: t0.Add(time.Hour), UpdatedAt: t0}
		b, err := ICS(page, []status.Maintenance{m}, nil, t0)
		if err != nil {
			t.Fatal(err)
		}
		checkLines(t, b)
		ev := decodeICS(t, b).Events()[0]
		if got, err := ev.Props.Text(ical.PropSummary); err != nil || got != textValue(title) {
			t.Fatalf("SUMMARY %q (%v), want %q", got, err, textValue(title))
		}
	})
}

// textValue is what a TEXT value holds after a round trip: line breaks as
// LF, no other control character but tab, invalid UTF-8 replaced.
func textValue(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	var b strings.Builder
	for _, r := range s {
		if r == '\n' || r == '\t' || (r >= 0x20 && r != 0x7f) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

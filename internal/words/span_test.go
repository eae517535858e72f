package words

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func pacific(t *testing.T) *time.Location {
	t.Helper()
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	return la
}

// TestSpansGolden writes how each span reads (testdata/spans.golden; go
// test ./internal/words -update rewrites it): the rounding rules of the
// package comment, case by case.
func TestSpansGolden(t *testing.T) {
	la := pacific(t)
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04:05.000", s, la)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	now := at("2026-08-12 18:00:00.000")
	var b strings.Builder
	for _, tc := range []struct{ name, start, end string }{
		{"the seed's four minutes", "2026-08-12 09:48:07.000", "2026-08-12 09:52:02.000"},
		{"late start, early end: still the minutes shown", "2026-08-12 09:48:59.000", "2026-08-12 09:52:00.000"},
		{"early start, late end: still the minutes shown", "2026-08-12 09:48:00.000", "2026-08-12 09:52:59.999"},
		{"the issue's 12:25 to 12:28", "2026-08-12 12:25:40.000", "2026-08-12 12:28:31.000"},
		{"within one minute", "2026-08-12 09:48:10.000", "2026-08-12 09:48:56.000"},
		{"under a minute across a minute", "2026-08-12 09:48:50.000", "2026-08-12 09:49:10.000"},
		{"59.9 seconds is 59 seconds as shown", "2026-08-12 09:48:10.000", "2026-08-12 09:49:09.900"},
		{"a whole minute", "2026-08-12 09:48:10.000", "2026-08-12 09:49:10.000"},
		{"under a second", "2026-08-12 09:48:10.100", "2026-08-12 09:48:10.146"},
		{"one second", "2026-08-12 09:48:10.900", "2026-08-12 09:48:11.000"},
		{"across noon", "2026-08-12 11:58:30.000", "2026-08-12 12:03:10.000"},
		{"an hour and more", "2026-08-12 02:16:20.000", "2026-08-12 03:29:05.000"},
		{"across midnight", "2026-08-11 23:58:00.000", "2026-08-12 00:09:00.000"},
		{"days long", "2026-08-09 10:00:00.000", "2026-08-12 12:10:00.000"},
	} {
		s := Span{at(tc.start), at(tc.end)}
		adj, ok := s.Adjective()
		if !ok {
			adj = "(none)"
		}
		fmt.Fprintf(&b, "%s\n  measured  %s to %s (%s)\n  range     %s\n  window    %s\n  interval  %s\n  dated     %s\n  length    %s, %s, %s\n\n",
			tc.name, tc.start, tc.end, s.End.Sub(s.Start), s.Range(la, now), Window(s.Start, s.End, now, la, "Pacific time"),
			Interval(s.Start, s.End, now, la, "Pacific time"), DatedInterval(s.Start, s.End, now, la, "Pacific time"),
			s.Length(), s.Duration(), adj)
	}
	ongoing := at("2026-08-12 17:54:30.000")
	fmt.Fprintf(&b, "still going\n  measured  2026-08-12 17:54:30.000, now 2026-08-12 18:00:00.000\n  interval  %s\n  dated     %s\n",
		Interval(ongoing, time.Time{}, now, la, "Pacific time"), DatedInterval(ongoing, time.Time{}, now, la, "Pacific time"))

	path := filepath.Join("testdata", "spans.golden")
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/words -update)", err)
	}
	if b.String() != string(want) {
		t.Errorf("spans differ from %s (go test ./internal/words -update, then read the diff):\n%s", path, b.String())
	}
}

// TestSpanLengthAddsUp checks, over many random spans, that the length in
// words is the difference of the times the span shows, read back from its
// own Times: what a reader can check, header against text.
func TestSpanLengthAddsUp(t *testing.T) {
	la := pacific(t)
	r := rand.New(rand.NewPCG(10, 4))
	base := time.Date(2026, 8, 12, 9, 0, 0, 0, la)
	for range 20000 {
		start := base.Add(time.Duration(r.Int64N(int64(3 * time.Hour))))
		// Mostly short spans, where the rules matter; some up to two hours.
		d := time.Duration(r.Int64N(int64(3 * time.Minute)))
		if r.IntN(4) == 0 {
			d = time.Duration(r.Int64N(int64(2 * time.Hour)))
		}
		s := Span{start, start.Add(d)}
		a, b, ok := strings.Cut(s.Times(la, " to "), " to ")
		if !ok {
			t.Fatalf("Times(%s, %s) has no \" to \"", s.Start, s.End)
		}
		layout := "3:04 PM"
		if s.Precise() {
			layout = "3:04:05 PM"
		}
		if !strings.HasSuffix(a, "M") { // a shared AM or PM is folded onto the end
			a += b[len(b)-3:]
		}
		ta, errA := time.Parse(layout, a)
		tb, errB := time.Parse(layout, b)
		if errA != nil || errB != nil {
			t.Fatalf("cannot read back %q: %v %v", s.Times(la, " to "), errA, errB)
		}
		if got := tb.Sub(ta); got != s.Length() {
			t.Fatalf("%s to %s shows %q but its length is %s", s.Start, s.End, s.Times(la, " to "), s.Length())
		}
		if s.Length() >= time.Minute && s.Precise() || s.Length() < time.Minute && !s.Precise() {
			t.Fatalf("%s to %s: length %s, shown to the second: %v", s.Start, s.End, s.Length(), s.Precise())
		}
	}
}

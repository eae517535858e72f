package web

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/uptime"
)

// svgBadge is what a test reads back from a badge.
type svgBadge struct {
	width, label, title string
	fills               []string
	texts               []string // the visible texts, shadows left out
}

// readBadge parses a badge as XML, failing the test when it is not well formed.
func readBadge(t *testing.T, b []byte) svgBadge {
	t.Helper()
	var out svgBadge
	dec := xml.NewDecoder(strings.NewReader(string(b)))
	var stack []string
	shadow := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("badge is not well-formed XML: %v\n%s", err, b)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			stack = append(stack, tok.Name.Local)
			attr := map[string]string{}
			for _, a := range tok.Attr {
				attr[a.Name.Local] = a.Value
			}
			switch tok.Name.Local {
			case "svg":
				out.width, out.label = attr["width"], attr["aria-label"]
			case "rect":
				if f := attr["fill"]; strings.HasPrefix(f, "#") && len(stack) > 1 && stack[len(stack)-2] == "g" {
					out.fills = append(out.fills, f)
				}
			case "text":
				shadow = attr["aria-hidden"] == "true"
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				continue
			}
			switch stack[len(stack)-1] {
			case "title":
				out.title += string(tok)
			case "text":
				if !shadow {
					out.texts = append(out.texts, string(tok))
				}
			}
		}
	}
	return out
}

func TestBadgeSVGEscapesAndColours(t *testing.T) {
	for _, tc := range []struct {
		name, label, value, kind string
		wantLabel, wantValue     string
	}{
		{"plain", "status", "All Systems Operational", status.KindOK, "status", "All Systems Operational"},
		{"markup in names", `flexo <b>&"x'`, "</text><script>alert(1)</script>", status.KindCritical,
			`flexo <b>&"x'`, "</text><script>alert(1)</script>"},
		{"control characters and odd spaces", "a\x00b\x1bc\n\t d", "ok\uFFFE", status.KindMaint, "abc d", "ok"},
		{"wide characters", "服务器", "Működik", status.KindMinor, "服务器", "Működik"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := readBadge(t, badgeSVG(tc.label, tc.value, tc.kind))
			want := tc.wantLabel + ": " + tc.wantValue
			if got.title != want || got.label != want {
				t.Errorf("title %q, aria-label %q; want %q", got.title, got.label, want)
			}
			if len(got.texts) != 2 || got.texts[0] != tc.wantLabel || got.texts[1] != tc.wantValue {
				t.Errorf("texts %q, want [%q %q]", got.texts, tc.wantLabel, tc.wantValue)
			}
			// The label on grey, the value on its kind's colour from internal/status.
			if len(got.fills) != 2 || got.fills[0] != badgeLabelGrey || got.fills[1] != status.KindColour(tc.kind).Light {
				t.Errorf("fills %q, want [%s %s]", got.fills, badgeLabelGrey, status.KindColour(tc.kind).Light)
			}
		})
	}
}

func TestBadgeWidthFollowsText(t *testing.T) {
	width := func(label, value string) string { return readBadge(t, badgeSVG(label, value, status.KindOK)).width }
	// Narrow letters make a narrower badge than wide ones of the same count.
	if a, b := textWidth("iiii"), textWidth("WWWW"); a >= b {
		t.Errorf("iiii is %d tenths wide, WWWW %d", a, b)
	}
	// Each field is its text plus the padding, rounded up to whole pixels.
	for _, s := range []string{"status", "Operational", "uptime 30d", "99.98%", "flexo · Web sites"} {
		w := textWidth(s)
		field := (w + 2*badgePad + 9) / 10 * 10
		if field < w+2*badgePad || field-(w+2*badgePad) >= 10 {
			t.Errorf("%q: field %d for text %d", s, field, w)
		}
	}
	if a, b := width("status", "Operational"), width("status", "Major outage"); a == b {
		t.Errorf("badges of different values have the same width %s", a)
	}
	// A long name is cut, with an ellipsis, to badgeMaxRunes.
	long := strings.Repeat("flexo ", 30)
	got := readBadge(t, badgeSVG(long, "Operational", status.KindOK))
	if n := utf8.RuneCountInString(got.texts[0]); n > badgeMaxRunes || n < badgeMaxRunes-1 || !strings.HasSuffix(got.texts[0], "…") {
		t.Errorf("long label shown as %q (%d runes), want at most %d ending in …", got.texts[0], n, badgeMaxRunes)
	}
}

func TestUptimeKind(t *testing.T) {
	day := 24 * time.Hour
	for _, tc := range []struct {
		down time.Duration
		want string
	}{
		{0, status.KindOK},
		{day / 1000, status.KindOK},                // 99.9%
		{day/1000 + time.Second, status.KindMinor}, // just under
		{day / 100, status.KindMinor},              // 99%
		{day / 20, status.KindMajor},               // 95%
		{day / 10, status.KindCritical},            // 90%
	} {
		if got := uptimeKind(uptime.Totals{Measured: day, Down: tc.down}); got != tc.want {
			t.Errorf("%s down in a day: %s, want %s", tc.down, got, tc.want)
		}
	}
	if got := uptimeKind(uptime.Totals{}); got != status.KindNone {
		t.Errorf("no data: %s, want %s", got, status.KindNone)
	}
}

// BenchmarkBadge is one badge's cost in a rebuild that changed it: drawn,
// then compressed and hashed as every served document is.
func BenchmarkBadge(b *testing.B) {
	for b.Loop() {
		body := badgeSVG("flexo · Web sites", "Partial outage", status.KindMajor)
		if _, err := newAsset("/badges/flexo/web.svg", body, badgeType, ""); err != nil {
			b.Fatal(err)
		}
	}
}

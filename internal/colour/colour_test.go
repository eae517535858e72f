package colour

import (
	"math"
	"testing"
)

func TestContrastKnownPairs(t *testing.T) {
	// Ratios from the WCAG 2 definition, as WebAIM's contrast checker gives them.
	for _, tc := range []struct {
		a, b string
		want float64
	}{
		{"#000000", "#ffffff", 21},
		{"#ffffff", "#ffffff", 1},
		{"#777777", "#ffffff", 4.48},
		{"#767676", "#ffffff", 4.54},
		{"#0a66c2", "#ffffff", 5.69}, // worked by hand: L = 0.1346
		{"#ff0000", "#ffffff", 4.00},
		{"#0000ff", "#000000", 2.44},
		{"#fff", "#000", 21},
	} {
		got := Contrast(MustParse(tc.a), MustParse(tc.b))
		if math.Abs(got-tc.want) > 0.005 {
			t.Errorf("%s on %s: %.3f:1, want %.2f:1", tc.a, tc.b, got, tc.want)
		}
		if rev := Contrast(MustParse(tc.b), MustParse(tc.a)); rev != got {
			t.Errorf("%s on %s: %.3f one way, %.3f the other", tc.a, tc.b, got, rev)
		}
	}
}

func TestParse(t *testing.T) {
	for _, good := range []struct{ in, want string }{{"#0A66C2", "#0a66c2"}, {"#abc", "#aabbcc"}, {" #000000 ", "#000000"}} {
		c, err := Parse(good.in)
		if err != nil || c.String() != good.want {
			t.Errorf("Parse(%q) = %v, %v; want %s", good.in, c, err, good.want)
		}
	}
	for _, bad := range []string{"", "0a66c2", "#0a66c", "#0a66cg", "blue", "#0a66c2ff", "rgb(1,2,3)"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) took it", bad)
		}
	}
}

func TestMix(t *testing.T) {
	// color-mix(in srgb, #0969da 10%, #ffffff), as Chromium computes it.
	if got := Mix(MustParse("#0969da"), MustParse("#ffffff"), 0.1).String(); got != "#e6f0fb" {
		t.Errorf("mix = %s, want #e6f0fb", got)
	}
}

func TestReadable(t *testing.T) {
	for _, tc := range []struct {
		accent  string
		scheme  Scheme
		changed bool
	}{
		{"#0a66c2", Light, false}, // LinkedIn blue passes on white and the soft panels
		{"#0a66c2", Dark, true},   // and is too dark on the dark page
		{"#ffcc00", Light, true},  // a yellow is far too light on white
		{"#ffcc00", Dark, false},
		{"#6cb6ff", Dark, false},
		{"#e01e5a", Light, true}, // 4.66:1 on white but 4.11:1 on the soft panels
		{"#777777", Light, true}, // 4.48:1 on white: just short
		{"#000000", Dark, true},
		{"#ffffff", Light, true},
	} {
		in := MustParse(tc.accent)
		out, changed := Readable(in, tc.scheme)
		if changed != tc.changed {
			t.Errorf("%s in %s: changed = %v, want %v (got %s)", tc.accent, tc.scheme.Name, changed, tc.changed, out)
		}
		if !changed && out != in {
			t.Errorf("%s in %s: unchanged but returned %s", tc.accent, tc.scheme.Name, out)
		}
		if r := AccentContrast(out, tc.scheme); r < MinContrast {
			t.Errorf("%s in %s: %s has %.2f:1, below %.1f:1", tc.accent, tc.scheme.Name, out, r, MinContrast)
		}
	}
}

// An adjusted colour keeps its hue and moves no further than it must: one
// step less would fail.
func TestReadableKeepsHue(t *testing.T) {
	for _, tc := range []struct {
		accent string
		scheme Scheme
	}{{"#ffcc00", Light}, {"#0a66c2", Dark}, {"#2da44e", Light}, {"#8250df", Dark}, {"#e01e5a", Dark}} {
		in := MustParse(tc.accent)
		out, _ := Readable(in, tc.scheme)
		_, _, h0 := toOKLCH(in)
		l1, _, h1 := toOKLCH(out)
		if d := math.Abs(math.Remainder(h1-h0, 2*math.Pi)); d > 0.15 {
			t.Errorf("%s in %s: %s turned the hue by %.2f rad", tc.accent, tc.scheme.Name, out, d)
		}
		l0, c0, _ := toOKLCH(in)
		back := l1 - (l1-l0)/20 // a twentieth of the way back towards the original
		if r := AccentContrast(fromOKLCH(back, c0, h0), tc.scheme); r >= MinContrast+0.05 {
			t.Errorf("%s in %s: %s moved further than needed (%.2f:1 was reachable with less)", tc.accent, tc.scheme.Name, out, r)
		}
	}
}

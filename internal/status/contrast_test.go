package status

import (
	"fmt"
	"math"
	"strconv"
	"testing"
)

// Text is painted in a kind's colour on the pages' backgrounds: the
// surface, the page, the soft panels (group headers, the badge of the page
// header), and the banner tinted with 10% of the kind. WCAG 2 AA asks 4.5:1
// for normal text against each. The backgrounds are the stylesheets'
// (internal/web/static/herald.css and the admin's, which share them).
var (
	lightBackgrounds = []string{"#ffffff", "#f5f7fa", "#eef1f5"}
	darkBackgrounds  = []string{"#161b22", "#0d1117", "#1c232c"}
)

func TestKindColoursContrast(t *testing.T) {
	for _, k := range Kinds {
		c := KindColour(k)
		for _, scheme := range []struct {
			name, fg, surface string
			bgs               []string
		}{{"light", c.Light, "#ffffff", lightBackgrounds}, {"dark", c.Dark, "#161b22", darkBackgrounds}} {
			bgs := append(append([]string{}, scheme.bgs...), mix(scheme.fg, scheme.surface, 0.1))
			for _, bg := range bgs {
				if r := contrast(t, scheme.fg, bg); r < 4.5 {
					t.Errorf("%s in %s: %s on %s is %.2f:1, below 4.5:1", k, scheme.name, scheme.fg, bg, r)
				}
			}
		}
	}
}

func rgb(t *testing.T, hex string) [3]float64 {
	t.Helper()
	var out [3]float64
	for i := range out {
		v, err := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		if err != nil {
			t.Fatalf("colour %q: %v", hex, err)
		}
		out[i] = float64(v)
	}
	return out
}

// contrast is WCAG 2's contrast ratio of two sRGB colours.
func contrast(t *testing.T, a, b string) float64 {
	lum := func(c [3]float64) float64 {
		var l [3]float64
		for i, v := range c {
			v /= 255
			if v <= 0.04045 {
				l[i] = v / 12.92
			} else {
				l[i] = math.Pow((v+0.055)/1.055, 2.4)
			}
		}
		return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
	}
	la, lb := lum(rgb(t, a)), lum(rgb(t, b))
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

// mix is CSS color-mix(in srgb, a p, b).
func mix(a, b string, p float64) string {
	var ca, cb [3]float64
	for i := range ca {
		x, _ := strconv.ParseUint(a[1+2*i:3+2*i], 16, 8)
		y, _ := strconv.ParseUint(b[1+2*i:3+2*i], 16, 8)
		ca[i], cb[i] = float64(x), float64(y)
	}
	return fmt.Sprintf("#%02x%02x%02x", int(math.Round(ca[0]*p+cb[0]*(1-p))), int(math.Round(ca[1]*p+cb[1]*(1-p))), int(math.Round(ca[2]*p+cb[2]*(1-p))))
}

// Package colour holds the one home of Herald's colour rules: the page
// backgrounds of each scheme, WCAG 2 contrast, and the adjustment that makes
// an operator's accent colour readable on them.
package colour

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// RGB is an sRGB colour, each channel 0-255.
type RGB [3]uint8

// Parse reads "#rrggbb" or "#rgb".
func Parse(s string) (RGB, error) {
	h, ok := strings.CutPrefix(strings.TrimSpace(s), "#")
	if ok && len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	if !ok || len(h) != 6 {
		return RGB{}, fmt.Errorf("%q is not a colour: write it as #rrggbb, e.g. #0a66c2", s)
	}
	var c RGB
	for i := range c {
		v, err := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		if err != nil {
			return RGB{}, fmt.Errorf("%q is not a colour: write it as #rrggbb, e.g. #0a66c2", s)
		}
		c[i] = uint8(v)
	}
	return c, nil
}

// MustParse is Parse for colours written in Herald's own code.
func MustParse(s string) RGB {
	c, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return c
}

// String is "#rrggbb".
func (c RGB) String() string { return fmt.Sprintf("#%02x%02x%02x", c[0], c[1], c[2]) }

// Luminance is WCAG 2's relative luminance.
func (c RGB) Luminance() float64 {
	var l [3]float64
	for i, v := range c {
		l[i] = toLinear(float64(v) / 255)
	}
	return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
}

// Contrast is WCAG 2's contrast ratio of a and b, from 1 to 21.
func Contrast(a, b RGB) float64 {
	la, lb := a.Luminance(), b.Luminance()
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

// Mix is CSS color-mix(in srgb, a p, b): p of a, the rest b.
func Mix(a, b RGB, p float64) RGB {
	var out RGB
	for i := range out {
		out[i] = uint8(math.Round(float64(a[i])*p + float64(b[i])*(1-p)))
	}
	return out
}

// MinContrast is what WCAG 2 AA asks of normal text against its background.
const MinContrast = 4.5

// Scheme is the backgrounds a page paints text on in one colour scheme, as
// the stylesheets set them (internal/web/static/herald.css and the admin's
// share them; a test in internal/web reads them back from the file).
type Scheme struct {
	Name string
	// Surface is the cards' background; Page is the page's; Soft is the
	// panels' (group headers, code, figures).
	Surface, Page, Soft RGB
}

// Backgrounds lists the scheme's backgrounds.
func (s Scheme) Backgrounds() []RGB { return []RGB{s.Surface, s.Page, s.Soft} }

// The two schemes of every page.
var (
	Light = Scheme{Name: "light", Surface: MustParse("#ffffff"), Page: MustParse("#f5f7fa"), Soft: MustParse("#eef1f5")}
	Dark  = Scheme{Name: "dark", Surface: MustParse("#161b22"), Page: MustParse("#0d1117"), Soft: MustParse("#1c232c")}
)

// Schemes are both, light first.
var Schemes = []Scheme{Light, Dark}

// AccentTint is how much of the accent tints the surface behind a
// highlighted block that holds links (herald.css: .day:target).
const AccentTint = 0.08

// AccentBackgrounds are what an accent colour, used as the colour of links
// and focus rings, is painted on in scheme s: its backgrounds, and the
// surface tinted with the accent itself.
func AccentBackgrounds(accent RGB, s Scheme) []RGB {
	return append(s.Backgrounds(), Mix(accent, s.Surface, AccentTint))
}

// AccentContrast is the lowest contrast of accent against what it is
// painted on in s.
func AccentContrast(accent RGB, s Scheme) float64 {
	lowest := math.Inf(1)
	for _, bg := range AccentBackgrounds(accent, s) {
		lowest = math.Min(lowest, Contrast(accent, bg))
	}
	return lowest
}

// Readable returns accent unchanged when it has MinContrast against all
// that it is painted on in s, and otherwise the nearest colour that does:
// the same hue, with its lightness moved in OKLCH (a perceptual space, so
// the colour still looks like the brand's) towards black on a light scheme
// and towards white on a dark one, and its chroma lowered only as far as
// sRGB requires. changed says whether it moved.
func Readable(accent RGB, s Scheme) (out RGB, changed bool) {
	if AccentContrast(accent, s) >= MinContrast {
		return accent, false
	}
	l, c, h := toOKLCH(accent)
	target := 0.0 // darker against light backgrounds
	if s.Surface.Luminance() < 0.5 {
		target = 1
	}
	// Lightness moves in small steps from the colour towards the target;
	// the first step that passes is the smallest change. The target itself
	// (black or white) always passes against these backgrounds.
	const steps = 400
	for i := 1; i <= steps; i++ {
		nl := l + (target-l)*float64(i)/steps
		cand := fromOKLCH(nl, c, h)
		if AccentContrast(cand, s) >= MinContrast {
			return cand, true
		}
	}
	return fromOKLCH(target, 0, h), true
}

func toLinear(v float64) float64 {
	if v <= 0.04045 {
		return v / 12.92
	}
	return math.Pow((v+0.055)/1.055, 2.4)
}

func fromLinear(v float64) float64 {
	if v <= 0.0031308 {
		return 12.92 * v
	}
	return 1.055*math.Pow(v, 1/2.4) - 0.055
}

// toOKLCH converts to Björn Ottosson's OKLab, in polar form.
func toOKLCH(c RGB) (l, ch, h float64) {
	r, g, b := toLinear(float64(c[0])/255), toLinear(float64(c[1])/255), toLinear(float64(c[2])/255)
	lm := math.Cbrt(0.4122214708*r + 0.5363325363*g + 0.0514459929*b)
	mm := math.Cbrt(0.2119034982*r + 0.6806995451*g + 0.1073969566*b)
	sm := math.Cbrt(0.0883024619*r + 0.2817188376*g + 0.6299787005*b)
	l = 0.2104542553*lm + 0.7936177850*mm - 0.0040720468*sm
	a := 1.9779984951*lm - 2.4285922050*mm + 0.4505937099*sm
	bb := 0.0259040371*lm + 0.7827717662*mm - 0.8086757660*sm
	return l, math.Hypot(a, bb), math.Atan2(bb, a)
}

// fromOKLCH converts back, lowering the chroma until the colour is in sRGB.
func fromOKLCH(l, ch, h float64) RGB {
	lo, hi := 0.0, ch
	if rgb, ok := oklchToLinear(l, ch, h); ok {
		return quantize(rgb)
	}
	for range 30 { // bisect the largest chroma that fits
		mid := (lo + hi) / 2
		if _, ok := oklchToLinear(l, mid, h); ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	rgb, _ := oklchToLinear(l, lo, h)
	return quantize(rgb)
}

func oklchToLinear(l, ch, h float64) ([3]float64, bool) {
	a, b := ch*math.Cos(h), ch*math.Sin(h)
	lm := l + 0.3963377774*a + 0.2158037573*b
	mm := l - 0.1055613458*a - 0.0638541728*b
	sm := l - 0.0894841775*a - 1.2914855480*b
	lm, mm, sm = lm*lm*lm, mm*mm*mm, sm*sm*sm
	rgb := [3]float64{
		+4.0767416621*lm - 3.3077115913*mm + 0.2309699292*sm,
		-1.2684380046*lm + 2.6097574011*mm - 0.3413193965*sm,
		-0.0041960863*lm - 0.7034186147*mm + 1.7076147010*sm,
	}
	const eps = 1e-6
	for _, v := range rgb {
		if v < -eps || v > 1+eps {
			return rgb, false
		}
	}
	return rgb, true
}

func quantize(lin [3]float64) RGB {
	var out RGB
	for i, v := range lin {
		out[i] = uint8(math.Round(math.Min(1, math.Max(0, fromLinear(math.Max(0, v)))) * 255))
	}
	return out
}

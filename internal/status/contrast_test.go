package status

import (
	"testing"

	"github.com/heraldhq/herald/internal/colour"
)

// Text is painted in a kind's colour on the pages' backgrounds: the
// surface, the page, the soft panels (group headers, the badge of the page
// header), and the banner tinted with 10% of the kind. WCAG 2 AA asks 4.5:1
// for normal text against each. The backgrounds and the rule are
// internal/colour's, the one home of both.
func TestKindColoursContrast(t *testing.T) {
	for _, k := range Kinds {
		c := KindColour(k)
		for _, scheme := range []struct {
			fg string
			s  colour.Scheme
		}{{c.Light, colour.Light}, {c.Dark, colour.Dark}} {
			fg := colour.MustParse(scheme.fg)
			bgs := append(scheme.s.Backgrounds(), colour.Mix(fg, scheme.s.Surface, 0.1))
			for _, bg := range bgs {
				if r := colour.Contrast(fg, bg); r < colour.MinContrast {
					t.Errorf("%s in %s: %s on %s is %.2f:1, below 4.5:1", k, scheme.s.Name, fg, bg, r)
				}
			}
		}
	}
}

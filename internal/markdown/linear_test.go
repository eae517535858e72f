package markdown

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// maxStepsPerByte bounds the parser's and writers' steps per byte of input,
// whatever the input. The worst known texts take under 50.
const maxStepsPerByte = 80

// TestWorkLinear renders each worst input at half the size limit and at the
// limit: twice the input may take at most a little over twice the steps, and
// the steps stay under maxStepsPerByte. Steps are counted, not timed, so the
// test says the same on a loaded machine.
func TestWorkLinear(t *testing.T) {
	r := New()
	for _, w := range worst {
		t.Run(w.name, func(t *testing.T) {
			half, full := repeatTo(w.unit, MaxBytes/2), repeatTo(w.unit, MaxBytes)
			_, a := r.render(half)
			_, b := r.render(full)
			if ratio := float64(b) / float64(a); ratio > 2.1 {
				t.Errorf("%d bytes took %d steps, %d bytes %d: %.2f times as many", len(half), a, len(full), b, ratio)
			}
			if per := b / len(full); per > maxStepsPerByte {
				t.Errorf("%d steps per byte", per)
			}
		})
	}
}

// TestAllocsLinear counts allocations of the whole rendering, the sanitizer
// included, at half the size limit and at the limit.
func TestAllocsLinear(t *testing.T) {
	r := New()
	for _, w := range worst {
		half, full := repeatTo(w.unit, MaxBytes/2), repeatTo(w.unit, MaxBytes)
		a := testing.AllocsPerRun(1, func() { r.Render(half) })
		b := testing.AllocsPerRun(1, func() { r.Render(full) })
		// Small counts move by a few allocations either way.
		if b > 2.2*a+16 {
			t.Errorf("%s: %d bytes made %.0f allocations, %d bytes %.0f", w.name, len(half), a, len(full), b)
		}
	}
}

// hunting are pieces of Markdown syntax that random texts are made of.
var hunting = []string{"[", "]", "(", ")", "![", "](", "<", ">", "*", "_", "~", "`", "\\", "&", "#", ";",
	"\n", " ", "  ", "\t", "a", "-", "+", "1.", "1)", "|", ":", "@", "www.", "http://", "'", "\"", "=", "/",
	"!", "<!--", "-->", "?", "x.y", "&amp;", "&#", "<a ", "</a>", "\n\n", "    ", "```", "~~~", "===", "---",
	"[a]: b", "<div>", "<pre>", "<![CDATA[", "]]>", "%"}

// TestRandomWorkLinear repeats random pieces of syntax, as the hunt for
// slow inputs did, and holds each to the same bounds.
func TestRandomWorkLinear(t *testing.T) {
	r := New()
	rng := rand.New(rand.NewPCG(13, 2))
	n := 300
	if testing.Short() {
		n = 30
	}
	for range n {
		var b strings.Builder
		for range 1 + rng.IntN(6) {
			b.WriteString(hunting[rng.IntN(len(hunting))])
		}
		unit, head := b.String(), hunting[rng.IntN(len(hunting))]
		small, large := head+repeatTo(unit, 8<<10), head+repeatTo(unit, 16<<10)
		_, x := r.render(small)
		_, y := r.render(large)
		if ratio := float64(y) / float64(x); ratio > float64(len(large))/float64(len(small))*1.05 {
			t.Errorf("%q then %q repeated: %d bytes took %d steps, %d bytes %d", head, unit, len(small), x, len(large), y)
		}
		if y/len(large) > maxStepsPerByte {
			t.Errorf("%q then %q repeated: %d steps per byte", head, unit, y/len(large))
		}
	}
}

// FuzzSteps holds every input to maxStepsPerByte: a fuzzer that finds a
// text costing more per byte has found a slow path.
func FuzzSteps(f *testing.F) {
	for _, w := range worst {
		f.Add(strings.Repeat(w.unit, 200))
	}
	r := New()
	f.Fuzz(func(t *testing.T, src string) {
		if _, steps := r.render(src); steps > maxStepsPerByte*len(src)+64 {
			t.Fatalf("%d bytes took %d steps", len(src), steps)
		}
	})
}

// TestTooLong: a text over the limit is not read as Markdown but shown as
// typed, escaped.
func TestTooLong(t *testing.T) {
	src := "# not a heading\n*x* <b>\n\n" + strings.Repeat("a", MaxBytes)
	d := New().Render(src)
	if !strings.HasPrefix(string(d.HTML), "<p># not a heading<br>\n*x* &lt;b&gt;</p>\n<p>aaa") {
		t.Errorf("HTML = %.80q…", d.HTML)
	}
	if !strings.HasPrefix(d.Text, "# not a heading\n*x* <b>") {
		t.Errorf("Text = %.80q…", d.Text)
	}
}

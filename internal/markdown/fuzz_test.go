package markdown

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/heraldhq/herald/internal/markdown/xsstest"
)

// FuzzHTML checks the corpus's invariants on any input: the HTML passes the
// XSS checks and loads no image, and Text and Excerpt neither panic nor
// break their promises.
func FuzzHTML(f *testing.F) {
	for _, v := range corpus(f) {
		f.Add(v)
	}
	for _, s := range []string{
		"# h\n\n- a\n- b\n\n[l](https://example.com) ![i](https://example.com/i.png)",
		"| a |\n|---|\n| [x](mailto:a@b.c) |",
		"> q\n>\n> ```\n> code\n> ```",
	} {
		f.Add(s)
	}
	r := New()
	f.Fuzz(func(t *testing.T, src string) {
		out := string(r.HTML(src))
		if p := xsstest.Problems(out); len(p) > 0 {
			t.Fatalf("HTML(%q) =\n%s\nproblems: %s", src, out, strings.Join(p, "; "))
		}
		if strings.Contains(strings.ToLower(out), "<img") {
			t.Fatalf("HTML(%q) rendered an image:\n%s", src, out)
		}
		_ = r.Text(src)
		const max = 40
		ex, _ := Excerpt(src, max)
		if utf8.ValidString(src) && utf8.RuneCountInString(ex) > max {
			t.Fatalf("Excerpt(%q, %d) = %q is too long", src, max, ex)
		}
	})
}

package markdown

import (
	"strings"
	"testing"
)

// worst are the inputs that cost Markdown renderers the most per byte, each
// repeated to fill the input: link and image openers whose destination never
// closes, quotes and lists nested on one line, runs of emphasis delimiters
// that never match, reference-like brackets on many lines, and the rest of
// what the hunt for slow inputs turned up (goldmark took seconds on the
// first dozen; see the package comment).
var worst = []struct{ name, unit string }{
	{"link-open", "[a]("},
	{"image-open", "![a]("},
	{"link-dest", "[a](b"},
	{"link-angle", "[a](<"},
	{"link-title", "[a](b ("},
	{"link-parens", "[a](b(c"},
	{"link-nested", "[[a](b)"},
	{"quote-nest", ">"},
	{"quote-nest-space", "> "},
	{"bullet-nest", "+ "},
	{"ordered-nest", "1. "},
	{"list-quote-nest", "- >"},
	{"emphasis-mixed", "*_\n"},
	{"emphasis-mixed2", "_*\n"},
	{"emphasis-open", "**a"},
	{"emphasis-unmatched", "*a_ "},
	{"strike", "~~a"},
	{"shortcut-lines", "[a]\n"},
	{"empty-label-lines", "[]\n"},
	{"refdef-inline", "[a]: b"},
	{"brackets", "[["},
	{"backslash", "\\"},
	{"backslash-bracket", "[\\"},
	{"backticks", "` "},
	{"backtick-runs", "`a``"},
	{"angle", "<"},
	{"angle-tag", "<a b='"},
	{"comment", "<!--"},
	{"amp", "&"},
	{"entity-like", "&#9"},
	{"table-pipes", "| a "},
	{"table-short-rows", "|\n"},
	{"www", "(www."},
	{"email", "a@"},
	{"paragraphs", "~\n\n"},
}

func repeatTo(unit string, n int) string { return strings.Repeat(unit, n/len(unit)) }

// BenchmarkWorst renders MaxBytes of each worst input, HTML and text, and
// reports the parser's steps per byte besides the time:
// go test -run '^$' -bench Worst -benchtime 5x ./internal/markdown
func BenchmarkWorst(b *testing.B) {
	r := New()
	for _, w := range worst {
		src := repeatTo(w.unit, MaxBytes)
		b.Run(w.name, func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			steps := 0
			for b.Loop() {
				_, steps = r.render(src)
			}
			b.ReportMetric(float64(steps)/float64(len(src)), "steps/byte")
		})
	}
}

// BenchmarkUpdate is a status update as operators write them.
func BenchmarkUpdate(b *testing.B) {
	src := strings.Repeat("Customers on the **flexo** server experienced a four-minute interruption in Web site service "+
		"between 9:48 and 9:52 AM Pacific time. See [the details](https://status.example.net/incidents/4).\n\n"+
		"- E-mail was not affected\n- customers on other servers were not affected\n\n", 4)
	r := New()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		_ = r.Render(src)
	}
}

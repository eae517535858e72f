package markdown

import (
	"strings"
	"sync"
	"testing"

	"github.com/heraldhq/herald/internal/markdown/xsstest"
)

func corpus(t testing.TB) []string {
	t.Helper()
	vectors, err := xsstest.Corpus("testdata/xss.txt")
	if err != nil {
		t.Fatal(err)
	}
	return vectors
}

func TestXSSCorpus(t *testing.T) {
	vectors := corpus(t)
	if len(vectors) < 40 {
		t.Fatalf("the corpus has %d vectors, want at least 40", len(vectors))
	}
	r := New()
	for _, v := range vectors {
		out := string(r.HTML(v))
		if p := xsstest.Problems(out); len(p) > 0 {
			t.Errorf("vector:\n%s\nrendered:\n%s\nproblems: %s", v, out, strings.Join(p, "; "))
		}
		// Images are links by policy, so no element of this HTML loads
		// anything by itself.
		if strings.Contains(strings.ToLower(out), "<img") {
			t.Errorf("vector:\n%s\nrendered an image:\n%s", v, out)
		}
	}
}

// TestPolicyAlone proves the second layer on its own: were the Markdown step
// ever to let raw HTML through, the sanitizer would still stop every vector.
func TestPolicyAlone(t *testing.T) {
	p := policy()
	for _, v := range corpus(t) {
		out := p.Sanitize(v)
		if pr := xsstest.Problems(out); len(pr) > 0 {
			t.Errorf("vector:\n%s\nsanitized:\n%s\nproblems: %s", v, out, strings.Join(pr, "; "))
		}
	}
}

// TestProblemsCatches keeps the checker honest: each of these must be caught.
func TestProblemsCatches(t *testing.T) {
	for _, bad := range []string{
		`<script>alert(1)</script>`,
		`<SCRIPT>`,
		`<a href="javascript:alert(1)">x</a>`,
		`<a href="jav&#x09;ascript:alert(1)">x</a>`,
		`<a href="&amp;#106;avascript:alert(1)">x</a>`,
		`<a href=" VBScript:x">x</a>`,
		`<img src=x onerror=alert(1)>`,
		`<p ONCLICK="x">`,
		`<iframe srcdoc="x">`,
		`<embed src="data:text/html,x">`,
		`<Svg>`, `<math>`, `<object>`, `<form>`, `<style>`,
		`<p style="color:red">`,
	} {
		if len(xsstest.Problems(bad)) == 0 {
			t.Errorf("the checker passed %q", bad)
		}
	}
	for _, ok := range []string{
		`<p>&lt;script&gt;alert(1)&lt;/script&gt; javascript:alert(1) onclick=x</p>`,
		`<a href="https://example.com" title="a&#34; onclick=&#34;x">ok</a>`,
	} {
		if p := xsstest.Problems(ok); len(p) > 0 {
			t.Errorf("the checker failed inert %q: %v", ok, p)
		}
	}
}

func TestHTML(t *testing.T) {
	cases := []struct {
		name, src string
		want      []string // substrings of the output
		not       []string
	}{
		{"heading", "# Outage\n\n## Details", []string{"<h1>Outage</h1>", "<h2>Details</h2>"}, nil},
		{"emphasis", "*a* **b** ~~c~~", []string{"<em>a</em>", "<strong>b</strong>", "<del>c</del>"}, nil},
		{"bullet list", "- one\n- two", []string{"<ul>\n<li>one</li>\n<li>two</li>\n</ul>"}, nil},
		{"ordered list", "3. three\n4. four", []string{`<ol start="3">`, "<li>three</li>"}, nil},
		{"code span", "run `herald serve`", []string{"<code>herald serve</code>"}, nil},
		{"code block", "```\nx < y\n```", []string{"<pre><code>x &lt; y\n</code></pre>"}, nil},
		{"quote", "> said", []string{"<blockquote>\n<p>said</p>\n</blockquote>"}, nil},
		{"link", "[docs](https://example.com/docs)", []string{`<a href="https://example.com/docs" rel="nofollow noopener" target="_blank">docs</a>`}, nil},
		{"link title", `[d](https://example.com "The docs")`, []string{`title="The docs"`}, nil},
		{"autolink", "<https://example.com>", []string{`<a href="https://example.com" rel="nofollow noopener" target="_blank">https://example.com</a>`}, nil},
		{"linkify", "see www.example.com now", []string{`<a href="http://www.example.com" rel="nofollow noopener" target="_blank">www.example.com</a>`}, nil},
		{"linkify https", "see https://example.com/a?b=1 now", []string{`href="https://example.com/a?b=1"`}, nil},
		{"mailto", "[mail us](mailto:ops@example.com)", []string{`<a href="mailto:ops@example.com" rel="nofollow">mail us</a>`}, nil},
		{"email autolink", "ops@example.com", []string{`href="mailto:ops@example.com"`}, nil},
		{"relative link keeps its text", "[status](/incidents/4)", []string{"<p>status</p>"}, []string{"<a"}},
		{"ftp link dropped", "[f](ftp://example.com/f)", []string{"<p>f</p>"}, []string{"<a"}},
		{"image becomes link", "![graph](https://example.com/g.png)", []string{`<a href="https://example.com/g.png" rel="nofollow noopener" target="_blank">graph</a>`}, []string{"<img"}},
		{"image without alt", "![](https://example.com/g.png)", []string{`>https://example.com/g.png</a>`}, []string{"<img"}},
		{"image inside link", "[![logo](https://example.com/l.png)](https://example.com)", []string{`<a href="https://example.com" rel="nofollow noopener" target="_blank">logo</a>`}, []string{"l.png"}},
		{"table", "| a | b |\n|:--|--:|\n| 1 | 2 |", []string{"<table>", `<th align="left">a</th>`, `<td align="right">2</td>`}, []string{"style"}},
		{"hard wraps", "line one\nline two", []string{"line one<br>\nline two"}, nil},
		{"plain text escaped", "5 < 6 & 7 > 3", []string{"<p>5 &lt; 6 &amp; 7 &gt; 3</p>"}, nil},
		{"entities", "AT&amp;T &copy;", []string{"AT&amp;T ©"}, nil},
		{"raw inline HTML shown as typed", "press <kbd>Ctrl</kbd>", []string{"press &lt;kbd&gt;Ctrl&lt;/kbd&gt;"}, []string{"<kbd>"}},
		{"raw HTML block shown as typed", "<div>\nhi\n</div>", []string{"<p>&lt;div&gt;<br>\nhi<br>\n&lt;/div&gt;</p>"}, nil},
		{"task list stays text", "- [x] done", []string{"<li>[x] done</li>"}, []string{"<input"}},
		{"single tilde strikes", "~a~", []string{"<del>a</del>"}, nil},
		{"three tildes strike nothing", "x ~~~a~~~", []string{"<p>x ~~~a~~~</p>"}, []string{"<del>"}},
		{"reference link", "[docs]\n\n[docs]: https://example.com/d \"Docs\"", []string{`<a href="https://example.com/d" title="Docs"`}, nil},
		{"reference folds case", "[Docs][]\n\n[DOCS]: https://example.com/d", []string{`href="https://example.com/d"`}, nil},
		{"definition alone shows nothing", "[x]: https://example.com", nil, []string{"<"}},
		{"link destination with parentheses", "[a](https://example.com/a_(b))", []string{`href="https://example.com/a_(b)"`}, nil},
		{"link destination nested too deep", "[a](https://example.com/" + strings.Repeat("(", 33) + strings.Repeat(")", 33) + ")", []string{"<p>[a]("}, []string{">a</a>"}},
		{"link destination nested to the limit", "[a](https://example.com/" + strings.Repeat("(", 32) + strings.Repeat(")", 32) + ")", []string{"<a href"}, nil},
		{"no link in a link", "[a [b](https://b.example) c](https://a.example)", []string{`<p>[a <a href="https://b.example" rel="nofollow noopener" target="_blank">b</a> c](`}, []string{`target="_blank">a `}},
		{"linkify drops a trailing period", "see www.example.com.", []string{`>www.example.com</a>.`}, nil},
		{"linkify balances parentheses", "(see https://example.com/a_(b))", []string{`href="https://example.com/a_(b)"`, `</a>)`}, nil},
		{"linkify e-mail with dots", "write to ops.team+x@example.com today", []string{`href="mailto:ops.team+x@example.com"`}, nil},
		{"no linkify after an escape", `www\.example\.com`, []string{"<p>www.example.com</p>"}, []string{"<a"}},
		{"no linkify in code", "`www.example.com`", []string{"<code>www.example.com</code>"}, []string{"<a"}},
		{"table rows keep their cells", "| a | b | c |\n|---|---|---|\n| 1 |", []string{"<tr>\n<td>1</td>\n</tr>"}, nil},
		{"table drops extra cells", "| a |\n|---|\n| 1 | 2 |", []string{"<td>1</td>"}, []string{"2"}},
		{"table after a paragraph", "intro\n| a |\n|---|", []string{"<p>intro</p>", "<th>a</th>"}, nil},
		{"setext heading", "Title\n===", []string{"<h1>Title</h1>"}, nil},
		{"indented code", "    x < y", []string{"<pre><code>x &lt; y\n</code></pre>"}, nil},
		{"loose list", "- a\n\n- b", []string{"<li>\n<p>a</p>\n</li>"}, nil},
		{"nested list", "- a\n  - b", []string{"<li>a\n<ul>\n<li>b</li>\n</ul>\n</li>"}, nil},
		{"hard break", "a  \nb\\\nc", []string{"a<br>\nb<br>\nc"}, nil},
		{"NUL replaced", "a\x00b", []string{"a\uFFFDb"}, nil},
		{"empty", "", nil, []string{"<"}},
	}
	r := New()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := string(r.HTML(c.src))
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("HTML(%q) =\n%s\nwant it to contain %q", c.src, out, w)
				}
			}
			for _, n := range c.not {
				if strings.Contains(out, n) {
					t.Errorf("HTML(%q) =\n%s\nwant no %q", c.src, out, n)
				}
			}
		})
	}
}

// TestNestingLimit: quotes and lists nest maxDepth deep; markers beyond
// stay text.
func TestNestingLimit(t *testing.T) {
	r := New()
	out := string(r.HTML(strings.Repeat("> ", maxDepth+4) + "deep"))
	if n := strings.Count(out, "<blockquote>"); n != maxDepth {
		t.Errorf("%d quotes, want %d:\n%s", n, maxDepth, out)
	}
	if !strings.Contains(out, "<p>&gt; &gt; &gt; &gt; deep</p>") {
		t.Errorf("the markers beyond the limit are not text:\n%s", out)
	}
	out = string(r.HTML(strings.Repeat("- ", maxDepth+2) + "deep"))
	if n := strings.Count(out, "<li>"); n != maxDepth {
		t.Errorf("%d list items, want %d:\n%s", n, maxDepth, out)
	}
}

// TestRender: one parse gives the HTML and the text that HTML and Text give.
func TestRender(t *testing.T) {
	r := New()
	for _, src := range []string{"# T\n\n*a* [b](https://example.com)", "- x\n- y", ""} {
		d := r.Render(src)
		if d.HTML != r.HTML(src) || d.Text != r.Text(src) {
			t.Errorf("Render(%q) = %+v; HTML %q, Text %q", src, d, r.HTML(src), r.Text(src))
		}
		if pkg := Render(src); pkg != d {
			t.Errorf("Render(%q) = %+v, the package's = %+v", src, d, pkg)
		}
	}
}

func TestCut(t *testing.T) {
	text := New().Text("First paragraph here.\n\nSecond paragraph is long enough.")
	if got, more := Cut(text, 30); got != "First paragraph here." || !more {
		t.Errorf("Cut = %q, %v", got, more)
	}
}

func TestText(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"paragraphs", "one\n\ntwo", "one\n\ntwo"},
		{"markup goes", "# Title\n\nSome *em*, **strong**, ~~gone~~ and `code`.", "Title\n\nSome em, strong, gone and code."},
		{"line breaks kept", "a\nb", "a\nb"},
		{"lists", "- a\n- b\n  - c\n\n1. x\n2. y", "- a\n- b\n  - c\n\n1. x\n2. y"},
		{"quote", "> a\n>\n> b", "> a\n>\n> b"},
		{"code block", "```\nx := 1\n```", "    x := 1"},
		{"link", "[the docs](https://example.com/d)", "the docs (https://example.com/d)"},
		{"link same as text", "[https://example.com](https://example.com)", "https://example.com"},
		{"link to host as text", "[example.com](https://example.com)", "example.com"},
		{"mailto", "[write](mailto:a@example.com) or a@example.com", "write (a@example.com) or a@example.com"},
		{"dangerous link", "[x](javascript:alert(1))", "x"},
		{"relative link", "[x](/incidents/1)", "x"},
		{"autolink", "<https://example.com/x>", "https://example.com/x"},
		{"image", "![graph](https://example.com/g.png)", "graph (https://example.com/g.png)"},
		{"escapes and entities", `\*not em\* &amp; &#65; &copy;`, "*not em* & A ©"},
		{"raw html as typed", "press <kbd>Ctrl</kbd>", "press <kbd>Ctrl</kbd>"},
		{"plain text", "5 < 6 & 7", "5 < 6 & 7"},
		{"table", "| a | b |\n|---|---|\n| 1 | 2 |", "a | b\n1 | 2"},
		{"rule", "a\n\n---\n\nb", "a\n\n----\n\nb"},
		{"empty", "  \n\n", ""},
	}
	r := New()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := r.Text(c.src); got != c.want {
				t.Errorf("Text(%q) =\n%q\nwant\n%q", c.src, got, c.want)
			}
		})
	}
}

func TestExcerpt(t *testing.T) {
	long := "We moved the database to new hardware. " + strings.Repeat("word ", 40)
	cases := []struct {
		name      string
		src       string
		max       int
		want      string
		truncated bool
	}{
		{"fits", "Short **postmortem**.", 100, "Short postmortem.", false},
		{"no limit", long, 0, strings.TrimSpace(long), false},
		{"exact fit", "abcde", 5, "abcde", false},
		{"paragraph boundary", "First paragraph here.\n\nSecond paragraph is long enough.", 30, "First paragraph here.", true},
		{"word boundary", "The quick brown fox jumps", 12, "The quick…", true},
		{"word boundary at a space", "The quick brown fox", 11, "The quick…", true},
		{"trailing punctuation", "Alpha, beta gamma", 8, "Alpha…", true},
		{"one long word", "abcdefghijklmnop", 6, "abcde…", true},
		{"paragraph too short to prefer", "Hi.\n\nThen a much longer paragraph follows here.", 30, "Hi.\n\nThen a much longer…", true},
		{"runes not bytes", "été été été été", 9, "été été…", true},
		{"one rune", "abc", 1, "…", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, tr := Excerpt(c.src, c.max)
			if got != c.want || tr != c.truncated {
				t.Errorf("Excerpt(%q, %d) = %q, %v; want %q, %v", c.src, c.max, got, tr, c.want, c.truncated)
			}
			if c.max > 0 && len([]rune(got)) > c.max {
				t.Errorf("Excerpt(%q, %d) = %q is %d runes", c.src, c.max, got, len([]rune(got)))
			}
		})
	}
}

// TestConcurrent shares one Renderer among goroutines; run with -race.
func TestConcurrent(t *testing.T) {
	r := New()
	vectors := corpus(t)
	want := make([]string, len(vectors))
	for i, v := range vectors {
		want[i] = string(r.HTML(v))
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range vectors {
				j := (i + g) % len(vectors)
				if got := string(r.HTML(vectors[j])); got != want[j] {
					t.Errorf("concurrent HTML(%q) = %q, want %q", vectors[j], got, want[j])
				}
				_ = r.Text(vectors[j])
				_, _ = Excerpt(vectors[j], 20)
			}
		})
	}
	wg.Wait()
}

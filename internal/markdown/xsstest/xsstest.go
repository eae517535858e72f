// Package xsstest holds what the tests of the Markdown renderer and of the
// feeds share to prove their HTML safe: the corpus of attack vectors and the
// checks that rendered HTML must pass. Only tests import it.
package xsstest

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/net/html"
)

// Corpus reads a file of vectors: blocks of text separated by lines that
// hold only "%%%". What comes before the first separator is a header.
func Corpus(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	text := strings.ReplaceAll(string(b), "\r\n", "\n")
	blocks := strings.Split(text, "\n%%%\n")
	if len(blocks) < 2 {
		return nil, fmt.Errorf("%s: no %%%%%% separator", path)
	}
	var vectors []string
	for _, v := range blocks[1:] {
		if v = strings.TrimRight(v, "\n"); v != "" {
			vectors = append(vectors, v)
		}
	}
	return vectors, nil
}

// forbiddenTags may not appear as elements at all.
var forbiddenTags = []string{"script", "iframe", "style", "svg", "math", "object", "embed", "form"}

// forbiddenInValues may not appear in any attribute value, once unescaped,
// lower-cased and stripped of the spaces and control characters that
// browsers skip inside a URL scheme.
var forbiddenInValues = []string{"javascript:", "vbscript:", "data:text/html"}

var eventAttr = regexp.MustCompile(`^on[a-z]+$`)

// Problems lists what makes s unsafe HTML; none means it passed. Text is
// inert, so words in text (an escaped "&lt;script&gt;", a link's label
// "javascript:alert(1)") are not problems; elements and attributes are
// examined as a browser's tokenizer sees them.
func Problems(s string) []string {
	var out []string
	lower := strings.ToLower(s)
	for _, tag := range forbiddenTags {
		if strings.Contains(lower, "<"+tag) {
			out = append(out, fmt.Sprintf("contains %q", "<"+tag))
		}
	}
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return out
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken && tt != html.EndTagToken {
			continue
		}
		tok := z.Token()
		for _, tag := range forbiddenTags {
			if tok.Data == tag {
				out = append(out, fmt.Sprintf("element <%s>", tag))
			}
		}
		for _, a := range tok.Attr {
			name := strings.ToLower(a.Key)
			switch {
			case eventAttr.MatchString(name):
				out = append(out, fmt.Sprintf("event attribute %s= on <%s>", name, tok.Data))
			case name == "srcdoc" || name == "style":
				out = append(out, fmt.Sprintf("attribute %s= on <%s>", name, tok.Data))
			}
			// The tokenizer has unescaped the value once; unescape again
			// to catch double encoding.
			for _, v := range []string{a.Val, html.UnescapeString(a.Val)} {
				n := normalize(v)
				for _, bad := range forbiddenInValues {
					if strings.Contains(n, bad) {
						out = append(out, fmt.Sprintf("%s in %s=%q on <%s>", bad, name, a.Val, tok.Data))
					}
				}
			}
		}
	}
}

func normalize(v string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u200b' || r == '\ufeff' {
			return -1
		}
		return unicode.ToLower(r)
	}, v)
}

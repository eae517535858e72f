package markdown

import (
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Text renders src as plain text for feed summaries and plain e-mail parts.
// Markup goes; what it marked stays readable: blocks are separated by a
// blank line, list items keep a "- " or "1. " marker, quotes a "> ",
// code blocks are indented by four spaces, and a link shows its address
// after its text when the two differ ("the docs (https://…)"). Raw HTML
// stays as typed, as in the HTML form. The result is not escaped for any
// markup language: it is text.
func (r *Renderer) Text(src string) string {
	source := []byte(src)
	doc := r.md.Parser().Parse(text.NewReader(source))
	t := textWriter{src: source}
	return tidy(t.blocks(doc))
}

// Excerpt is the beginning of src (Markdown) as plain text, at most maxRunes
// long, and whether anything was left out. It cuts after a paragraph when
// that keeps at least half of maxRunes, and otherwise after a word, ending
// with "…" (counted in maxRunes). A maxRunes of zero or less means no limit.
func Excerpt(src string, maxRunes int) (text string, truncated bool) {
	full := defaultRenderer().Text(src)
	if maxRunes <= 0 || utf8.RuneCountInString(full) <= maxRunes {
		return full, false
	}
	runes := []rune(full)
	head := string(runes[:maxRunes])
	if i := strings.LastIndex(head, "\n\n"); i > 0 && utf8.RuneCountInString(head[:i]) >= maxRunes/2 {
		return strings.TrimRightFunc(head[:i], unicode.IsSpace), true
	}

	// Cut inside a paragraph, leaving room for the ellipsis.
	keep := runes[:maxRunes-1]
	if len(keep) > 0 && !unicode.IsSpace(runes[len(keep)]) {
		// The cut falls inside a word: go back to the space before it,
		// unless the whole excerpt is one word.
		for i := len(keep) - 1; i > 0; i-- {
			if unicode.IsSpace(keep[i]) {
				keep = keep[:i]
				break
			}
		}
	}
	out := strings.TrimRightFunc(string(keep), func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(",;:.-–—", r)
	})
	return out + "…", true
}

// textWriter turns a goldmark syntax tree into text.
type textWriter struct {
	src []byte
}

// blocks renders the block children of n, a blank line apart.
func (t textWriter) blocks(n ast.Node) string {
	var parts []string
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		if s := t.block(c); strings.TrimSpace(s) != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "\n\n")
}

func (t textWriter) block(n ast.Node) string {
	switch n := n.(type) {
	case *ast.Paragraph, *ast.TextBlock, *ast.Heading:
		return strings.TrimSpace(t.inline(n))
	case *ast.Blockquote:
		return prefixLines(t.blocks(n), "> ", ">")
	case *ast.List:
		return t.list(n)
	case *ast.FencedCodeBlock, *ast.CodeBlock:
		return prefixLines(strings.TrimRight(t.lines(n), "\n"), "    ", "")
	case *ast.HTMLBlock:
		s := t.lines(n)
		if n.HasClosure() {
			s += string(n.ClosureLine.Value(t.src))
		}
		return strings.TrimRight(s, "\r\n")
	case *ast.ThematicBreak:
		return "----"
	case *east.Table:
		return t.table(n)
	}
	return t.blocks(n)
}

func (t textWriter) list(l *ast.List) string {
	var items []string
	num := l.Start
	for c := l.FirstChild(); c != nil; c = c.NextSibling() {
		marker := "- "
		if l.IsOrdered() {
			marker = strconv.Itoa(num) + ". "
			num++
		}
		body := t.blocks(c)
		if l.IsTight {
			body = strings.ReplaceAll(body, "\n\n", "\n")
		}
		items = append(items, marker+indentRest(body, strings.Repeat(" ", len(marker))))
	}
	sep := "\n\n"
	if l.IsTight {
		sep = "\n"
	}
	return strings.Join(items, sep)
}

func (t textWriter) table(tbl *east.Table) string {
	var rows []string
	for row := tbl.FirstChild(); row != nil; row = row.NextSibling() {
		var cells []string
		for cell := row.FirstChild(); cell != nil; cell = cell.NextSibling() {
			cells = append(cells, strings.TrimSpace(t.inline(cell)))
		}
		rows = append(rows, strings.Join(cells, " | "))
	}
	return strings.Join(rows, "\n")
}

// lines is the raw text of a block whose lines are kept as they are.
func (t textWriter) lines(n ast.Node) string {
	var b strings.Builder
	for i := range n.Lines().Len() {
		seg := n.Lines().At(i)
		b.Write(seg.Value(t.src))
	}
	return strings.ReplaceAll(b.String(), "\r\n", "\n")
}

func (t textWriter) inline(n ast.Node) string {
	var b strings.Builder
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			b.WriteString(resolve(c.Value(t.src), !c.IsRaw()))
			if c.SoftLineBreak() || c.HardLineBreak() {
				b.WriteByte('\n')
			}
		case *ast.String:
			b.WriteString(resolve(c.Value, !c.IsRaw() && !c.IsCode()))
		case *ast.CodeSpan:
			for g := c.FirstChild(); g != nil; g = g.NextSibling() {
				if s, ok := g.(*ast.Text); ok {
					b.Write(s.Value(t.src))
				}
			}
		case *ast.Link:
			b.WriteString(withAddress(t.inline(c), resolve(c.Destination, true)))
		case *ast.Image:
			if insideLink(c) {
				b.WriteString(t.inline(c)) // the link gives the address
			} else {
				b.WriteString(withAddress(t.inline(c), resolve(c.Destination, true)))
			}
		case *ast.AutoLink:
			b.WriteString(resolve(c.Label(t.src), false))
		case *ast.RawHTML:
			for i := range c.Segments.Len() {
				seg := c.Segments.At(i)
				b.Write(seg.Value(t.src))
			}
		default:
			b.WriteString(t.inline(c))
		}
	}
	return b.String()
}

// withAddress is a link's text followed by its address, when the address is
// one a reader could follow and the text does not already say it.
func withAddress(label, dest string) string {
	u, err := url.Parse(dest)
	if err != nil || dest == "" {
		return label
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "mailto":
	default:
		return label
	}
	// An address shows as a reader would type it: mailto: goes.
	shown := dest
	if strings.EqualFold(u.Scheme, "mailto") {
		shown = dest[len("mailto:"):]
	}
	switch label {
	case "":
		return shown
	case dest, shown, strings.TrimPrefix(shown, u.Scheme+"://"):
		return label
	}
	return label + " (" + shown + ")"
}

// resolve turns Markdown text into what it means: backslash escapes and
// character references resolved.
func resolve(b []byte, escapes bool) string {
	b = util.ResolveNumericReferences(b)
	b = util.ResolveEntityNames(b)
	if escapes {
		b = util.UnescapePunctuations(b)
	}
	return string(b)
}

// prefixLines puts prefix before each line, and bare before empty ones.
func prefixLines(s, prefix, bare string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l == "" {
			lines[i] = bare
		} else {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}

// indentRest indents every line but the first.
func indentRest(s, indent string) string {
	lines := strings.Split(s, "\n")
	for i := 1; i < len(lines); i++ {
		if lines[i] != "" {
			lines[i] = indent + lines[i]
		}
	}
	return strings.Join(lines, "\n")
}

// tidy trims trailing spaces on each line, and empty lines around the text.
func tidy(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRightFunc(l, unicode.IsSpace)
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}

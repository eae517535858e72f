package markdown

import (
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text renders src as plain text for feed summaries and plain e-mail parts.
// Markup goes; what it marked stays readable: blocks are separated by a
// blank line, list items keep a "- " or "1. " marker, quotes a "> ",
// code blocks are indented by four spaces, and a link shows its address
// after its text when the two differ ("the docs (https://…)"). Raw HTML
// stays as typed, as in the HTML form. The result is not escaped for any
// markup language: it is text.
func (r *Renderer) Text(src string) string { return r.Render(src).Text }

// Excerpt is the beginning of src (Markdown) as plain text, at most maxRunes
// long, and whether anything was left out: Cut of src's Text.
func Excerpt(src string, maxRunes int) (text string, truncated bool) {
	return Cut(defaultRenderer().Text(src), maxRunes)
}

// Cut is the beginning of text (the plain text of a document, as Text makes
// it), at most maxRunes long, and whether anything was left out. It cuts
// after a paragraph when that keeps at least half of maxRunes, and otherwise
// after a word, ending with "…" (counted in maxRunes). A maxRunes of zero or
// less means no limit.
func Cut(full string, maxRunes int) (text string, truncated bool) {
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

// textWriter turns a parsed document into text.
type textWriter struct {
	w  *work
	sh *shared
}

// blocks renders blocks a blank line apart.
func (t textWriter) blocks(bs []*block) string {
	var parts []string
	for _, c := range bs {
		t.w.add(1)
		if s := t.block(c); strings.TrimSpace(s) != "" {
			parts = append(parts, s)
		}
	}
	s := strings.Join(parts, "\n\n")
	t.w.add(len(s))
	return s
}

func (t textWriter) block(b *block) string {
	switch b.kind {
	case kParagraph, kHeading:
		return strings.TrimSpace(t.inline(b.inl))
	case kQuote:
		return prefixLines(t.blocks(b.children), "> ", ">", t.w)
	case kList:
		return t.list(b)
	case kCode:
		return prefixLines(strings.TrimRight(strings.Join(b.lines, "\n"), "\n"), "    ", "", t.w)
	case kHTML:
		return strings.TrimRight(strings.Join(b.lines, "\n"), "\r\n")
	case kRule:
		return "----"
	case kTable:
		return t.table(b)
	}
	return t.blocks(b.children)
}

func (t textWriter) list(l *block) string {
	var items []string
	num := l.startNum
	for _, it := range l.children {
		marker := "- "
		if l.ordered {
			marker = strconv.Itoa(num) + ". "
			num++
		}
		body := t.blocks(it.children)
		if l.tight {
			body = strings.ReplaceAll(body, "\n\n", "\n")
		}
		items = append(items, marker+indentRest(body, strings.Repeat(" ", len(marker)), t.w))
	}
	sep := "\n\n"
	if l.tight {
		sep = "\n"
	}
	return strings.Join(items, sep)
}

func (t textWriter) table(tbl *block) string {
	var rows []string
	for _, row := range tbl.rows {
		var cells []string
		for _, c := range row {
			cells = append(cells, strings.TrimSpace(t.inline(c)))
		}
		rows = append(rows, strings.Join(cells, " | "))
	}
	return strings.Join(rows, "\n")
}

// inline renders tokens as text; a link's address follows its text (see
// withAddress), except inside another link, whose address says it.
func (t textWriter) inline(ts []tok) string {
	// One builder for the paragraph and one more for each link being read,
	// whose text is needed whole to decide how its address is shown.
	out := []*strings.Builder{{}}
	var dests []string
	for i := range ts {
		t.w.add(1)
		k := &ts[i]
		b := out[len(out)-1]
		switch k.kind {
		case tText, tCode, tRawHTML, tAutolink:
			b.WriteString(k.text)
		case tSoft, tHard:
			b.WriteByte('\n')
		case tDelim:
			b.WriteString(k.text[:k.n])
		case tOpen:
			out = append(out, &strings.Builder{})
			dests = append(dests, t.sh.link(k).dest)
		case tClose:
			label, dest := b.String(), dests[len(dests)-1]
			out, dests = out[:len(out)-1], dests[:len(dests)-1]
			if len(dests) > 0 {
				out[len(out)-1].WriteString(label)
			} else {
				out[len(out)-1].WriteString(withAddress(label, dest))
			}
		}
	}
	s := out[0].String()
	t.w.add(len(s))
	return s
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

// prefixLines puts prefix before each line, and bare before empty ones.
func prefixLines(s, prefix, bare string, w *work) string {
	w.add(len(s))
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
func indentRest(s, indent string, w *work) string {
	w.add(len(s))
	lines := strings.Split(s, "\n")
	for i := 1; i < len(lines); i++ {
		if lines[i] != "" {
			lines[i] = indent + lines[i]
		}
	}
	return strings.Join(lines, "\n")
}

// tidy trims trailing spaces on each line, and empty lines around the text.
func tidy(s string, w *work) string {
	w.add(len(s))
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRightFunc(l, unicode.IsSpace)
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}

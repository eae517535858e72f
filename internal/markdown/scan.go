package markdown

import (
	"html"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
)

// work counts the steps the parser and the renderers take: bytes read and
// loop turns. Tests use it to show that the work grows in proportion to the
// input, whatever the input.
type work struct{ n int }

func (w *work) add(k int) { w.n += k }

// ref is a link reference definition.
type ref struct{ dest, title string }

// entityAt decodes an entity or numeric character reference at i ("&amp;",
// "&#35;", "&#x23;"): the text it stands for and its length, or 0.
func entityAt(s string, i int, w *work) (string, int) {
	j := i + 1
	if j < len(s) && s[j] == '#' {
		j++
		hex := j < len(s) && (s[j] == 'x' || s[j] == 'X')
		maxDigits, base := 7, 10
		if hex {
			j++
			maxDigits, base = 6, 16
		}
		d := j
		for j < len(s) && j-d < maxDigits && (isDigit(s[j]) || hex && isHexLetter(s[j])) {
			j++
		}
		w.add(j - i)
		if j == d || j >= len(s) || s[j] != ';' {
			return "", 0
		}
		code, _ := strconv.ParseUint(s[d:j], base, 32)
		r := rune(code)
		if code == 0 || code > unicode.MaxRune || r >= 0xD800 && r <= 0xDFFF {
			r = utf8.RuneError
		}
		return string(r), j + 1 - i
	}
	d := j
	for j < len(s) && j-d < 32 && isAlnum(s[j]) {
		j++
	}
	w.add(j - i)
	if j-d < 2 || !isAlpha(s[d]) || j >= len(s) || s[j] != ';' {
		return "", 0
	}
	name := s[i : j+1]
	r := html.UnescapeString(name)
	// The standard library also reads the legacy entities that need no
	// semicolon ("&copy" in "&copyx;"); CommonMark wants the whole name.
	if r == name || strings.HasSuffix(r, ";") && name != "&semi;" {
		return "", 0
	}
	return r, j + 1 - i
}

func isHexLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'f' }

// unescape resolves backslash escapes and character references.
func unescape(s string, w *work) string {
	w.add(len(s))
	if strings.IndexByte(s, '\\') < 0 && strings.IndexByte(s, '&') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		w.add(1)
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s) && isASCIIPunct(s[i+1]):
			b.WriteByte(s[i+1])
			i += 2
		case c == '&':
			if r, n := entityAt(s, i, w); n > 0 {
				b.WriteString(r)
				i += n
				continue
			}
			b.WriteByte(c)
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// normalizeURL percent-encodes what may not stand in a URL as typed,
// keeping the escapes already there.
func normalizeURL(s string, w *work) string {
	w.add(len(s))
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isAlnum(c) || strings.IndexByte(";/?:@&=+$,-_.!~*'()#", c) >= 0:
			b.WriteByte(c)
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte(c)
		default:
			const hexDigits = "0123456789ABCDEF"
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

func isHex(c byte) bool { return isDigit(c) || isHexLetter(c) }

// normalizeLabel makes the key a link label is matched by: case folded,
// inner white space collapsed to one space.
func normalizeLabel(s string, w *work) string {
	w.add(len(s))
	return cases.Fold().String(strings.Join(strings.Fields(s), " "))
}

// takeDefinitions removes the link reference definitions at the start of a
// paragraph, recording the first definition of each label.
func (p *blockParser) takeDefinitions(b *block) {
	if len(b.lines) == 0 || !strings.HasPrefix(strings.TrimLeft(b.lines[0], " "), "[") {
		return
	}
	d := strings.Join(b.lines, "\n")
	p.w.add(len(d))
	pos := 0
	for pos < len(d) {
		label, r, end, ok := definition(d, pos, p.w)
		if !ok {
			break
		}
		if _, dup := p.refs[label]; !dup {
			p.refs[label] = r
		}
		pos = end
	}
	if pos == 0 {
		return
	}
	n := strings.Count(d[:pos], "\n")
	if pos == len(d) {
		n++ // the last line, which has no line break after it
	}
	b.lines = b.lines[n:]
	b.start += n
}

// definition reads "[label]: destination "title"" at i, which ends at a
// line end: the normalised label, the reference and where the next line
// starts.
func definition(d string, i int, w *work) (string, ref, int, bool) {
	for k := 0; k < 3 && i < len(d) && d[i] == ' '; k++ {
		i++
	}
	n := linkLabel(d, i, w)
	if n == 0 || i+n >= len(d) || d[i+n] != ':' {
		return "", ref{}, 0, false
	}
	label := normalizeLabel(d[i+1:i+n-1], w)
	if label == "" {
		return "", ref{}, 0, false
	}
	j := spnl(d, i+n+1, w)
	dest, k, ok := linkDestination(d, j, w)
	if !ok || k == j {
		return "", ref{}, 0, false
	}
	beforeTitle := k
	t := spnl(d, k, w)
	if t > k && t < len(d) {
		if title, e, ok := linkTitle(d, t, w); ok {
			if end, ok := lineEnd(d, e, w); ok {
				return label, ref{dest: dest, title: title}, end, true
			}
		}
	}
	end, ok := lineEnd(d, beforeTitle, w)
	if !ok {
		return "", ref{}, 0, false
	}
	return label, ref{dest: dest}, end, true
}

// lineEnd skips spaces and tabs to the end of the line: the start of the
// next line, if nothing else was there.
func lineEnd(d string, i int, w *work) (int, bool) {
	for i < len(d) && (d[i] == ' ' || d[i] == '\t') {
		w.add(1)
		i++
	}
	switch {
	case i == len(d):
		return i, true
	case d[i] == '\n':
		return i + 1, true
	}
	return 0, false
}

// makeTable turns a paragraph into a table (GitHub's extension) from the
// first line that is a delimiter row matching the line before it: the
// lines before the header stay a paragraph. Rows have the cells they have:
// missing cells are not made up (padding every row to the header's width
// costs rows × columns), extra cells are dropped.
func (p *blockParser) makeTable(b *block) {
	for i := 1; i < len(b.lines); i++ {
		p.w.add(1)
		align, ok := delimiterRow(b.lines[i], p.w)
		if !ok {
			continue
		}
		header := splitCells(b.lines[i-1], p.w)
		if len(header) != len(align) {
			continue
		}
		t := &block{kind: kTable, parent: b.parent, depth: b.depth, start: b.start + i - 1, end: b.end, align: align}
		t.cells = append(t.cells, header)
		for _, line := range b.lines[i+1:] {
			row := splitCells(line, p.w)
			if len(row) > len(align) {
				row = row[:len(align)]
			}
			t.cells = append(t.cells, row)
		}
		siblings := b.parent.children
		if i == 1 {
			siblings[len(siblings)-1] = t
		} else {
			b.lines, b.end = b.lines[:i-1], b.start+i-2
			b.parent.children = append(siblings, t)
		}
		return
	}
}

// delimiterRow reads a table's delimiter row: cells of dashes with optional
// colons for alignment, with at least one pipe.
func delimiterRow(line string, w *work) ([]byte, bool) {
	w.add(len(line))
	s := strings.TrimSpace(line)
	if !strings.Contains(s, "|") || strings.Trim(s, "|:- \t") != "" || !strings.Contains(s, "-") {
		return nil, false
	}
	s = strings.TrimPrefix(s, "|")
	s = strings.TrimSuffix(s, "|")
	var align []byte
	for _, c := range strings.Split(s, "|") {
		c = strings.TrimSpace(c)
		left, right := strings.HasPrefix(c, ":"), strings.HasSuffix(c, ":")
		if strings.Trim(c, ":") == "" || strings.Trim(strings.Trim(c, ":"), "-") != "" {
			return nil, false
		}
		switch {
		case left && right:
			align = append(align, 'c')
		case left:
			align = append(align, 'l')
		case right:
			align = append(align, 'r')
		default:
			align = append(align, 0)
		}
	}
	return align, true
}

// splitCells splits a table row at its unescaped pipes; an escaped pipe is
// a pipe in the cell.
func splitCells(line string, w *work) []string {
	w.add(len(line))
	s := strings.TrimSpace(line)
	s = strings.TrimPrefix(s, "|")
	if strings.HasSuffix(s, "|") && !strings.HasSuffix(s, "\\|") {
		s = s[:len(s)-1]
	}
	var cells []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '|':
			cells = append(cells, cell(s[start:i]))
			start = i + 1
		}
	}
	return append(cells, cell(s[start:]))
}

func cell(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(s), "\\|", "|")
}

// HTML blocks: the seven kinds of start the specification lists, and the
// ends of the first five. Each reads one line.

var htmlBlockTags = func() map[string]bool {
	m := map[string]bool{}
	for _, t := range strings.Fields(`address article aside base basefont blockquote body caption center col colgroup
		dd details dialog dir div dl dt fieldset figcaption figure footer form frame frameset h1 h2 h3 h4 h5 h6
		head header hr html iframe legend li link main menu menuitem nav noframes ol optgroup option p param
		search section summary table tbody td tfoot th thead title tr track ul`) {
		m[t] = true
	}
	return m
}()

var rawTextTags = []string{"script", "pre", "style", "textarea"}

// htmlBlockStart is the kind (1 to 7) of HTML block line s starts, or 0.
func htmlBlockStart(s string, w *work) int {
	w.add(len(s))
	lower := strings.ToLower(s[:min(len(s), 12)])
	for _, t := range rawTextTags {
		if strings.HasPrefix(lower, "<"+t) {
			if rest := s[1+len(t):]; rest == "" || rest[0] == '>' || isSpaceOrTab(rest[0]) {
				return 1
			}
		}
	}
	switch {
	case strings.HasPrefix(s, "<!--"):
		return 2
	case strings.HasPrefix(s, "<?"):
		return 3
	case len(s) > 2 && s[1] == '!' && isAlpha(s[2]):
		return 4
	case strings.HasPrefix(s, "<![CDATA["):
		return 5
	}
	i := 1
	if i < len(s) && s[i] == '/' {
		i++
	}
	j := i
	for j < len(s) && isAlnum(s[j]) {
		j++
	}
	if j > i && htmlBlockTags[strings.ToLower(s[i:j])] {
		if rest := s[j:]; rest == "" || rest[0] == '>' || isSpaceOrTab(rest[0]) || strings.HasPrefix(rest, "/>") {
			return 6
		}
	}
	// 7: a complete open or closing tag alone on its line.
	end := -1
	if strings.HasPrefix(s, "</") {
		end = closingTag(s, 0, w)
	} else {
		var absent uint8
		end = openTag(s, 0, w, &absent)
	}
	if end > 0 && strings.TrimSpace(s[end:]) == "" {
		name := s[1:]
		if strings.HasPrefix(name, "/") {
			name = name[1:]
		}
		for _, t := range rawTextTags {
			if strings.HasPrefix(strings.ToLower(name), t) && (len(name) == len(t) || !isAlnum(name[len(t)]) && name[len(t)] != '-') {
				return 0
			}
		}
		return 7
	}
	return 0
}

// htmlBlockEnds says whether line s ends an HTML block of kind t (1 to 5).
func htmlBlockEnds(t int, s string, w *work) bool {
	w.add(len(s))
	switch t {
	case 1:
		lower := strings.ToLower(s)
		for _, tag := range rawTextTags {
			if strings.Contains(lower, "</"+tag+">") {
				return true
			}
		}
		return false
	case 2:
		return strings.Contains(s, "-->")
	case 3:
		return strings.Contains(s, "?>")
	case 4:
		return strings.Contains(s, ">")
	}
	return strings.Contains(s, "]]>")
}

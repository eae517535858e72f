package markdown

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The inline parser reads a paragraph's text once from left to right into a
// flat list of tokens. Emphasis is matched with the specification's
// delimiter stack and its "openers bottom" per kind of closer, links with
// its bracket stack; the scans that look ahead are bounded so that no byte
// is read more than a constant number of times:
//
//   - a link destination may nest parentheses 32 deep (as cmark allows),
//     so at most 33 destination scans cover any byte;
//   - a link title or a quoted HTML attribute ends at the next quote of its
//     kind, so the scans for one kind of quote do not overlap;
//   - a link label is at most 999 characters;
//   - the search for a closing backtick run, comment end and the like
//     remembers when there is none further on, so it fails once;
//   - a link made after "[" openers turns them inactive in one step (a
//     mark on the stack) rather than one by one.

// tokKind is the kind of an inline token.
type tokKind uint8

const (
	tText     tokKind = iota // literal text
	tSoft                    // line break in the source
	tHard                    // hard line break (two spaces or a backslash)
	tCode                    // code span
	tRawHTML                 // inline HTML, shown as typed
	tAutolink                // <https://…>, <a@b.c>, or a bare address found by linkify
	tDelim                   // a run of *, _ or ~ that opened or closed emphasis
	tOpen                    // start of a link or image
	tClose                   // end of a link or image
)

// tag is an emphasis element.
type tag uint8

const (
	tagEm tag = iota + 1
	tagStrong
	tagDel
)

// tok is an inline token. A paragraph can hold tens of thousands, so a
// token holds no pointer but its text: what links and emphasis need is kept
// in the document's shared tables and named by index (plus one, so that
// zero means none).
type tok struct {
	text string // the text; for tDelim the whole run, of which n characters stay text
	src  int32  // where text starts in the paragraph when it is source text, else -1
	n    int32
	link int32 // tOpen and tAutolink: 1 + index in shared.links
	// A delimiter run's emphasis: the elements it closes (written, innermost
	// first, before the characters left) and opens (written after them,
	// outermost first): 1 + index of the first in shared.tags.
	closes, opens int32
	kind          tokKind
	image         bool
}

// link is a link's or autolink's destination, as typed (escapes
// resolved), and title.
type link struct{ dest, title string }

// tagLink is an emphasis element in a token's list.
type tagLink struct {
	t    tag
	next int32
}

func (sh *shared) addLink(dest, title string) int32 {
	sh.links = append(sh.links, link{dest, title})
	return int32(len(sh.links))
}

func (sh *shared) link(t *tok) link {
	if t.link == 0 {
		return link{}
	}
	return sh.links[t.link-1]
}

// pushTag puts g at the head of the list at *head.
func (sh *shared) pushTag(head *int32, g tag) {
	sh.tags = append(sh.tags, tagLink{g, *head})
	*head = int32(len(sh.tags))
}

// tagList appends the list at head to buf, head first.
func (sh *shared) tagList(buf []tag, head int32) []tag {
	for ; head != 0; head = sh.tags[head-1].next {
		buf = append(buf, sh.tags[head-1].t)
	}
	return buf
}

// delim is an entry of the delimiter stack.
type delim struct {
	tok               int
	char              byte
	orig              int
	canOpen, canClose bool
	prev, next        int
}

// bracket is an entry of the bracket stack: a "[" or "![" that may start a
// link or image.
type bracket struct {
	tok          int  // the token holding "[" or "!["
	image        bool // "!["
	pos          int  // where the link text starts
	bracketAfter bool // another bracket was opened after this one
}

const (
	maxParens      = 32   // nesting of parentheses in a link destination
	maxLabel       = 999  // characters inside a link label's brackets
	maxTicks       = 1000 // longest backtick run that can open a code span
	openerKinds    = 14   // kinds of closer for the openers bottom
	linkifyMaxAddr = 2048 // longest bare address linkify turns into a link
)

// inliner parses one paragraph's (or heading's, or table cell's) text.
type inliner struct {
	*shared
	s   string
	pos int

	toks     []tok
	delims   []delim
	top      int // last delimiter on the stack, or -1
	brackets []bracket
	// Brackets below this height are inactive "[" openers: a link was made
	// after them, and links may not contain links.
	inactiveBelow int

	ticksScanned bool  // the scan for backtick runs reached the end
	absent       uint8 // terminators (see findAfter) known absent further on
}

// shared is what the inline parsers of one document share: the link
// reference definitions, the step count, and a table of backtick runs that
// each leaf uses in turn (stamped with the leaf's number, so that it needs
// no clearing: a document can have thousands of leaves).
type shared struct {
	w     *work
	refs  map[string]ref
	leaf  int32
	ticks [maxTicks + 1]tickMark
	links []link
	tags  []tagLink
}

// tickMark is where a backtick run of some length was last seen, in leaf.
type tickMark struct{ leaf, pos int32 }

func (in *inliner) lastTicks(n int) int {
	if m := in.ticks[n]; m.leaf == in.leaf {
		return int(m.pos)
	}
	return -1
}

// parseInlines parses s (a leaf's text, lines joined by "\n").
func parseInlines(s string, sh *shared) []tok {
	sh.leaf++
	in := &inliner{shared: sh, s: s, top: -1}
	in.parse()
	return in.toks
}

// special are the bytes at which something other than text may begin.
var special = func() (t [256]bool) {
	for _, c := range []byte("\n\\`*_~[!]<&") {
		t[c] = true
	}
	return t
}()

func (in *inliner) parse() {
	s := in.s
	for in.pos < len(s) {
		in.w.add(1)
		switch c := s[in.pos]; c {
		case '\n':
			in.newline()
		case '\\':
			in.backslash()
		case '`':
			in.backticks()
		case '*', '_', '~':
			in.delimRun(c)
		case '[':
			in.openBracket(false, 1)
		case '!':
			if in.pos+1 < len(s) && s[in.pos+1] == '[' {
				in.openBracket(true, 2)
			} else {
				in.text(in.pos, in.pos+1)
			}
		case ']':
			in.closeBracket()
		case '<':
			if !in.autolink() && !in.rawHTML() {
				in.text(in.pos, in.pos+1)
			}
		case '&':
			if r, n := entityAt(s, in.pos, in.w); n > 0 {
				in.toks = append(in.toks, tok{kind: tText, text: r, src: -1})
				in.pos += n
			} else {
				in.text(in.pos, in.pos+1)
			}
		default:
			end := in.pos + 1
			for end < len(s) && !special[s[end]] {
				end++
			}
			in.w.add(end - in.pos)
			in.text(in.pos, end)
		}
	}
	in.processEmphasis(-1)
	in.linkify()
}

// text adds s[a:b] as text and moves past it, joining it to the text before
// when that ends where this starts.
func (in *inliner) text(a, b int) {
	in.pos = b
	if n := len(in.toks); n > 0 {
		if last := &in.toks[n-1]; last.kind == tText && last.src >= 0 && int(last.src)+len(last.text) == a && !in.isBracket(n-1) {
			last.text = in.s[last.src:b]
			return
		}
	}
	in.toks = append(in.toks, tok{kind: tText, text: in.s[a:b], src: int32(a)})
}

// isBracket says whether token i is an open bracket, which must stay a
// token of its own until it is known whether it starts a link.
func (in *inliner) isBracket(i int) bool {
	n := len(in.brackets)
	return n > 0 && in.brackets[n-1].tok == i
}

func (in *inliner) newline() {
	// Spaces at the end of a line go; two or more make a hard break.
	spaces := 0
	if n := len(in.toks); n > 0 && in.toks[n-1].kind == tText && in.toks[n-1].src >= 0 && !in.isBracket(n-1) {
		last := &in.toks[n-1]
		trimmed := strings.TrimRight(last.text, " ")
		spaces = len(last.text) - len(trimmed)
		in.w.add(spaces)
		last.text = trimmed
	}
	in.pos++
	if spaces >= 2 {
		in.toks = append(in.toks, tok{kind: tHard, src: -1})
	} else {
		in.toks = append(in.toks, tok{kind: tSoft, src: -1})
	}
	in.skipSpaces()
}

func (in *inliner) skipSpaces() {
	for in.pos < len(in.s) && in.s[in.pos] == ' ' {
		in.w.add(1)
		in.pos++
	}
}

func (in *inliner) backslash() {
	s, i := in.s, in.pos+1
	switch {
	case i < len(s) && s[i] == '\n':
		in.toks = append(in.toks, tok{kind: tHard, src: -1})
		in.pos = i + 1
		in.skipSpaces()
	case i < len(s) && isASCIIPunct(s[i]):
		// An escaped character is text of its own: it never joins the text
		// around it, so it never completes a bare address either.
		in.toks = append(in.toks, tok{kind: tText, text: s[i : i+1], src: -1})
		in.pos = i + 1
	default:
		in.text(in.pos, in.pos+1)
	}
}

func (in *inliner) backticks() {
	s, start := in.s, in.pos
	end := start
	for end < len(s) && s[end] == '`' {
		end++
	}
	in.w.add(end - start)
	n := end - start
	closer := in.closingTicks(n, end)
	if closer < 0 {
		in.text(start, end)
		return
	}
	code := strings.ReplaceAll(s[end:closer], "\n", " ")
	in.w.add(closer - end)
	if len(code) >= 2 && code[0] == ' ' && code[len(code)-1] == ' ' && strings.Trim(code, " ") != "" {
		code = code[1 : len(code)-1]
	}
	in.toks = append(in.toks, tok{kind: tCode, text: code, src: -1})
	in.pos = closer + n
}

// closingTicks finds the next run of exactly n backticks from i, or -1.
func (in *inliner) closingTicks(n, i int) int {
	if n > maxTicks || in.ticksScanned && in.lastTicks(n) < i {
		return -1
	}
	s := in.s
	for i < len(s) {
		j := strings.IndexByte(s[i:], '`')
		if j < 0 {
			in.w.add(len(s) - i)
			break
		}
		in.w.add(j)
		i += j
		k := i
		for k < len(s) && s[k] == '`' {
			k++
		}
		in.w.add(k - i)
		if k-i <= maxTicks {
			in.ticks[k-i] = tickMark{in.leaf, int32(i)}
		}
		if k-i == n {
			return i
		}
		i = k
	}
	in.ticksScanned = true
	return -1
}

// delimRun reads a run of *, _ or ~ and decides whether it can open or
// close emphasis (the flanking rules).
func (in *inliner) delimRun(c byte) {
	s, start := in.s, in.pos
	end := start
	for end < len(s) && s[end] == c {
		end++
	}
	in.w.add(end - start)
	n := end - start
	before, after := '\n', '\n'
	if start > 0 {
		before, _ = utf8.DecodeLastRuneInString(s[:start])
	}
	if end < len(s) {
		after, _ = utf8.DecodeRuneInString(s[end:])
	}
	afterSpace, afterPunct := unicode.IsSpace(after), isPunctRune(after)
	beforeSpace, beforePunct := unicode.IsSpace(before), isPunctRune(before)
	left := !afterSpace && (!afterPunct || beforeSpace || beforePunct)
	right := !beforeSpace && (!beforePunct || afterSpace || afterPunct)
	canOpen, canClose := left, right
	if c == '_' {
		canOpen = left && (!right || beforePunct)
		canClose = right && (!left || afterPunct)
	}
	if c == '~' && n > 2 || !canOpen && !canClose {
		in.text(start, end) // runs of three or more tildes strike nothing
		return
	}
	in.toks = append(in.toks, tok{kind: tDelim, text: s[start:end], src: int32(start), n: int32(n)})
	d := delim{tok: len(in.toks) - 1, char: c, orig: n, canOpen: canOpen, canClose: canClose, prev: in.top, next: -1}
	in.delims = append(in.delims, d)
	if in.top >= 0 {
		in.delims[in.top].next = len(in.delims) - 1
	}
	in.top = len(in.delims) - 1
	in.pos = end
}

func (in *inliner) removeDelim(i int) {
	d := &in.delims[i]
	if d.prev >= 0 {
		in.delims[d.prev].next = d.next
	}
	if d.next >= 0 {
		in.delims[d.next].prev = d.prev
	}
	if in.top == i {
		in.top = d.prev
	}
}

// openerIndex sorts closers into the kinds that can match the same openers.
func openerIndex(d *delim) int {
	can := 0
	if d.canOpen {
		can = 3
	}
	switch d.char {
	case '*':
		return can + d.orig%3
	case '_':
		return 6 + can + d.orig%3
	}
	return 12 + d.orig - 1
}

// processEmphasis matches the delimiters after token bottom, then removes
// them from the stack.
func (in *inliner) processEmphasis(bottom int) {
	var openersBottom [openerKinds]int
	for i := range openersBottom {
		openersBottom[i] = bottom
	}
	closer := in.top
	if closer < 0 || in.delims[closer].tok <= bottom {
		return
	}
	for p := in.delims[closer].prev; p >= 0 && in.delims[p].tok > bottom; p = in.delims[p].prev {
		in.w.add(1)
		closer = p
	}
	for closer >= 0 {
		in.w.add(1)
		c := &in.delims[closer]
		if !c.canClose {
			closer = c.next
			continue
		}
		idx := openerIndex(c)
		found := -1
		for o := c.prev; o >= 0 && in.delims[o].tok > openersBottom[idx]; o = in.delims[o].prev {
			in.w.add(1)
			if od := &in.delims[o]; od.char == c.char && od.canOpen && canPair(od, c) {
				found = o
				break
			}
		}
		if found < 0 {
			if c.prev >= 0 && in.delims[c.prev].tok > bottom {
				openersBottom[idx] = in.delims[c.prev].tok
			}
			next := c.next
			if !c.canOpen {
				in.removeDelim(closer)
			}
			closer = next
			continue
		}
		o := &in.delims[found]
		ot, ct := &in.toks[o.tok], &in.toks[c.tok]
		k, t := int32(1), tagEm
		switch {
		case c.char == '~':
			k, t = ot.n, tagDel
		case ot.n >= 2 && ct.n >= 2:
			k, t = 2, tagStrong
		}
		ot.n -= k
		ct.n -= k
		// The opener's list, head first, is outermost first; the closer's
		// is innermost last, and is read backwards.
		in.pushTag(&ot.opens, t)
		in.pushTag(&ct.closes, t)
		for x := c.prev; x != found; {
			in.w.add(1)
			px := in.delims[x].prev
			in.removeDelim(x)
			x = px
		}
		if ot.n == 0 {
			in.removeDelim(found)
		}
		if ct.n == 0 {
			next := c.next
			in.removeDelim(closer)
			closer = next
		}
	}
	for in.top >= 0 && in.delims[in.top].tok > bottom {
		in.w.add(1)
		in.removeDelim(in.top)
	}
}

// canPair applies the rule of three to * and _, and equal lengths to ~.
func canPair(o, c *delim) bool {
	if c.char == '~' {
		return o.orig == c.orig
	}
	return !((o.canClose || c.canOpen) && (o.orig+c.orig)%3 == 0 && !(o.orig%3 == 0 && c.orig%3 == 0))
}

func (in *inliner) openBracket(image bool, n int) {
	if k := len(in.brackets); k > 0 {
		in.brackets[k-1].bracketAfter = true
	}
	in.toks = append(in.toks, tok{kind: tText, text: in.s[in.pos : in.pos+n], src: int32(in.pos)})
	in.brackets = append(in.brackets, bracket{tok: len(in.toks) - 1, image: image, pos: in.pos + n})
	in.pos += n
}

func (in *inliner) popBracket() {
	in.brackets = in.brackets[:len(in.brackets)-1]
	in.inactiveBelow = min(in.inactiveBelow, len(in.brackets))
}

// closeBracket reads "]": the end of a link or image when an inline
// destination or a known reference follows, else text.
func (in *inliner) closeBracket() {
	s, start := in.s, in.pos
	in.pos++
	if len(in.brackets) == 0 {
		in.text(start, start+1)
		return
	}
	b := in.brackets[len(in.brackets)-1]
	if !b.image && len(in.brackets)-1 < in.inactiveBelow {
		in.popBracket()
		in.text(start, start+1)
		return
	}
	var (
		dest, title string
		ok          bool
		end         int
	)
	if in.pos < len(s) && s[in.pos] == '(' {
		dest, title, end, ok = in.inlineLink(in.pos + 1)
	}
	if !ok && len(in.refs) > 0 {
		n := linkLabel(s, in.pos, in.w)
		label := ""
		switch {
		case n > 2:
			label = s[in.pos+1 : in.pos+n-1]
		case !b.bracketAfter && start-b.pos <= maxLabel:
			label = s[b.pos:start] // collapsed [] or shortcut: the text is the label
		}
		if label != "" {
			var r ref
			if r, ok = in.refs[normalizeLabel(label, in.w)]; ok {
				dest, title, end = r.dest, r.title, in.pos+n
			}
		}
	}
	if !ok {
		in.popBracket()
		in.text(start, start+1)
		return
	}
	open := &in.toks[b.tok]
	open.kind, open.link, open.image, open.text = tOpen, in.addLink(dest, title), b.image, ""
	in.toks = append(in.toks, tok{kind: tClose, src: -1})
	in.processEmphasis(b.tok)
	in.popBracket()
	if !b.image {
		in.inactiveBelow = len(in.brackets)
	}
	in.pos = end
}

// inlineLink reads "(destination title)" from i, just after the "(".
func (in *inliner) inlineLink(i int) (dest, title string, end int, ok bool) {
	s := in.s
	i = spnl(s, i, in.w)
	dest, j, ok := linkDestination(s, i, in.w)
	if !ok {
		return "", "", 0, false
	}
	k := spnl(s, j, in.w)
	if k > j && k < len(s) {
		if t, e, ok := linkTitle(s, k, in.w); ok {
			title, k = t, spnl(s, e, in.w)
		}
	}
	if k < len(s) && s[k] == ')' {
		return dest, title, k + 1, true
	}
	return "", "", 0, false
}

// spnl skips spaces and tabs with at most one line break among them.
func spnl(s string, i int, w *work) int {
	newline := false
	for i < len(s) {
		w.add(1)
		switch s[i] {
		case ' ', '\t':
		case '\n':
			if newline {
				return i
			}
			newline = true
		default:
			return i
		}
		i++
	}
	return i
}

// linkDestination reads <…> or a run without spaces whose parentheses
// balance (at most maxParens deep).
func linkDestination(s string, i int, w *work) (string, int, bool) {
	if i < len(s) && s[i] == '<' {
		for j := i + 1; j < len(s); j++ {
			w.add(1)
			switch c := s[j]; {
			case c == '\\' && j+1 < len(s) && isASCIIPunct(s[j+1]):
				j++
			case c == '>':
				return unescape(s[i+1:j], w), j + 1, true
			case c == '<' || c == '\n':
				return "", 0, false
			}
		}
		return "", 0, false
	}
	parens, j := 0, i
scan:
	for j < len(s) {
		w.add(1)
		switch c := s[j]; {
		case c == '\\' && j+1 < len(s) && isASCIIPunct(s[j+1]):
			j += 2
			continue
		case c == '(':
			if parens++; parens > maxParens {
				return "", 0, false
			}
		case c == ')':
			if parens == 0 {
				break scan
			}
			parens--
		case c <= ' ' || c == 0x7f:
			break scan
		}
		j++
	}
	if j == i && (j >= len(s) || s[j] != ')') || parens != 0 {
		return "", 0, false
	}
	return unescape(s[i:j], w), j, true
}

// linkTitle reads "…", '…' or (…) at i.
func linkTitle(s string, i int, w *work) (string, int, bool) {
	closer := s[i]
	switch closer {
	case '"', '\'':
	case '(':
		closer = ')'
	default:
		return "", 0, false
	}
	for j := i + 1; j < len(s); j++ {
		w.add(1)
		switch c := s[j]; {
		case c == '\\' && j+1 < len(s):
			j++
		case c == closer:
			return unescape(s[i+1:j], w), j + 1, true
		case c == '(' && closer == ')':
			return "", 0, false
		}
	}
	return "", 0, false
}

// linkLabel is the length of a link label "[…]" at i (brackets included),
// or 0: at most maxLabel characters, no unescaped bracket inside.
func linkLabel(s string, i int, w *work) int {
	if i >= len(s) || s[i] != '[' {
		return 0
	}
	for j := i + 1; j < len(s) && j-i-1 <= maxLabel; j++ {
		w.add(1)
		switch s[j] {
		case '\\':
			j++
		case '[':
			return 0
		case ']':
			return j - i + 1
		}
	}
	return 0
}

// autolink reads <scheme:…> or <address@host> at pos.
func (in *inliner) autolink() bool {
	s, i := in.s, in.pos+1
	// A URI: a scheme of 2 to 32 characters, a colon, no spaces or angles.
	j := i
	for j < len(s) && j-i <= 32 && (isAlpha(s[j]) || j > i && (isDigit(s[j]) || s[j] == '+' || s[j] == '.' || s[j] == '-')) {
		j++
	}
	in.w.add(j - i)
	if j-i >= 2 && j-i <= 32 && j < len(s) && s[j] == ':' {
		k := j + 1
		for k < len(s) && s[k] > ' ' && s[k] != '<' && s[k] != '>' && s[k] != 0x7f {
			k++
		}
		in.w.add(k - j)
		if k < len(s) && s[k] == '>' {
			uri := s[i:k]
			in.toks = append(in.toks, tok{kind: tAutolink, text: uri, link: in.addLink(uri, ""), src: -1})
			in.pos = k + 1
			return true
		}
	}
	// An e-mail address.
	j = i
	for j < len(s) && (isAlnum(s[j]) || strings.IndexByte(".!#$%&'*+/=?^_`{|}~-", s[j]) >= 0) {
		j++
	}
	in.w.add(j - i)
	if j == i || j >= len(s) || s[j] != '@' {
		return false
	}
	k, labelStart := j+1, j+1
	for {
		// a label: alphanumerics and hyphens, not starting or ending with a hyphen, at most 63
		l := k
		for l < len(s) && l-k < 63 && (isAlnum(s[l]) || s[l] == '-') {
			l++
		}
		in.w.add(l - k)
		if l == k || s[k] == '-' || s[l-1] == '-' {
			return false
		}
		k = l
		if k < len(s) && s[k] == '.' {
			k++
			continue
		}
		break
	}
	if k >= len(s) || s[k] != '>' || k == labelStart {
		return false
	}
	addr := s[i:k]
	in.toks = append(in.toks, tok{kind: tAutolink, text: addr, link: in.addLink("mailto:"+addr, ""), src: -1})
	in.pos = k + 1
	return true
}

// rawHTML reads an HTML tag, comment, processing instruction, declaration
// or CDATA section at pos, kept as the text typed.
func (in *inliner) rawHTML() bool {
	s, i := in.s, in.pos
	end := -1
	switch {
	case strings.HasPrefix(s[i:], "<!--"):
		switch {
		case strings.HasPrefix(s[i:], "<!-->"):
			end = i + 5
		case strings.HasPrefix(s[i:], "<!--->"):
			end = i + 6
		default:
			end = in.findAfter("-->", i+4)
		}
	case strings.HasPrefix(s[i:], "<?"):
		end = in.findAfter("?>", i+2)
	case strings.HasPrefix(s[i:], "<![CDATA["):
		end = in.findAfter("]]>", i+9)
	case strings.HasPrefix(s[i:], "<!") && i+2 < len(s) && isAlpha(s[i+2]):
		end = in.findAfter(">", i+2)
	case strings.HasPrefix(s[i:], "</"):
		end = closingTag(s, i, in.w)
	default:
		end = openTag(s, i, in.w, &in.absent)
	}
	if end < 0 {
		return false
	}
	in.toks = append(in.toks, tok{kind: tRawHTML, text: s[i:end], src: -1})
	in.pos = end
	return true
}

// findAfter is the position just past the first term at or after i, or -1.
// It remembers a miss: searches only move forward, so a term absent after
// one position is absent after every later one. (Each term here has its
// own first byte; see absentBit.)
func (in *inliner) findAfter(term string, i int) int {
	bit := absentBit(term[0])
	if in.absent&bit != 0 {
		return -1
	}
	j := strings.Index(in.s[i:], term)
	if j < 0 {
		in.w.add(len(in.s) - i)
		in.absent |= bit
		return -1
	}
	in.w.add(j + len(term))
	return i + j + len(term)
}

// openTag reads <name attributes… /?> at i. absent remembers which quotes
// are known absent further on (see findAfter).
func openTag(s string, i int, w *work, absent *uint8) int {
	j := tagName(s, i+1, w)
	if j < 0 {
		return -1
	}
	for {
		k := skipTagSpace(s, j, w)
		if k < len(s) && s[k] == '>' {
			return k + 1
		}
		if k+1 < len(s) && s[k] == '/' && s[k+1] == '>' {
			return k + 2
		}
		if k == j { // attributes need space before them
			return -1
		}
		// attribute name
		a := k
		if a >= len(s) || !(isAlpha(s[a]) || s[a] == '_' || s[a] == ':') {
			return -1
		}
		for a < len(s) && (isAlnum(s[a]) || strings.IndexByte("_.:-", s[a]) >= 0) {
			a++
		}
		w.add(a - k)
		j = a
		// optional value
		v := skipTagSpace(s, a, w)
		if v < len(s) && s[v] == '=' {
			v = skipTagSpace(s, v+1, w)
			if v >= len(s) {
				return -1
			}
			switch q := s[v]; q {
			case '"', '\'':
				if *absent&absentBit(q) != 0 {
					return -1
				}
				e := strings.IndexByte(s[v+1:], q)
				if e < 0 {
					w.add(len(s) - v)
					*absent |= absentBit(q)
					return -1
				}
				w.add(e + 1)
				j = v + 1 + e + 1
			default:
				e := v
				for e < len(s) && s[e] > ' ' && strings.IndexByte("\"'=<>`", s[e]) < 0 {
					e++
				}
				w.add(e - v)
				if e == v {
					return -1
				}
				j = e
			}
		}
	}
}

// absentBit is the flag for a terminator, known by its first byte: the
// ends of comments, processing instructions, CDATA and declarations, and
// the quotes of attribute values.
func absentBit(c byte) uint8 {
	switch c {
	case '-':
		return 1
	case '?':
		return 2
	case ']':
		return 4
	case '>':
		return 8
	case '"':
		return 16
	}
	return 32 // '\''
}

func tagName(s string, i int, w *work) int {
	if i >= len(s) || !isAlpha(s[i]) {
		return -1
	}
	j := i + 1
	for j < len(s) && (isAlnum(s[j]) || s[j] == '-') {
		j++
	}
	w.add(j - i)
	return j
}

// skipTagSpace skips spaces, tabs and at most one line break.
func skipTagSpace(s string, i int, w *work) int { return spnl(s, i, w) }

func closingTag(s string, i int, w *work) int {
	j := tagName(s, i+2, w)
	if j < 0 {
		return -1
	}
	j = skipTagSpace(s, j, w)
	if j < len(s) && s[j] == '>' {
		return j + 1
	}
	return -1
}

// Character classes.

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isAlnum(c byte) bool { return isAlpha(c) || isDigit(c) }

func isASCIIPunct(c byte) bool {
	return c >= '!' && c <= '/' || c >= ':' && c <= '@' || c >= '[' && c <= '`' || c >= '{' && c <= '~'
}

// isPunctRune is CommonMark's Unicode punctuation: categories P and S.
func isPunctRune(r rune) bool {
	if r < utf8.RuneSelf {
		return isASCIIPunct(byte(r))
	}
	return unicode.IsPunct(r) || unicode.IsSymbol(r)
}

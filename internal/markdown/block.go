package markdown

import "strings"

// The block parser follows the two-phase strategy the CommonMark
// specification describes in its appendix: each line is matched against the
// open containers, from the document down, then against the starts of new
// blocks, and what remains is added to the innermost open leaf. Every line is
// looked at a bounded number of times: the containers matched per line are
// at most maxDepth, and each block start reads only its own line.

// kind is the kind of a block.
type kind uint8

const (
	kDocument kind = iota
	kQuote
	kList
	kItem
	kParagraph
	kHeading
	kRule
	kCode
	kHTML
	kTable
)

// maxDepth bounds how deep quotes and list items nest. A marker that would
// open a container deeper than this stays text of the paragraph it is in:
// no status update needs it, and the cost of a line grows with the
// containers it continues.
const maxDepth = 16

// block is a node of the document's block structure.
type block struct {
	kind     kind
	parent   *block
	children []*block
	open     bool
	depth    int // quotes and list items from the document down to here
	start    int // line number of the first line
	end      int // line number of the last line, set when closed

	// lists and list items
	ordered      bool
	marker       byte // bullet character, or the delimiter after the number
	startNum     int
	tight        bool
	markerOffset int // columns before the marker
	padding      int // columns from the marker's start to the content

	level int // heading

	// fenced code
	fenced      bool
	fenceChar   byte
	fenceLen    int
	fenceOffset int

	htmlType int

	lines []string // the text of a leaf, one line each, without line ends
	inl   []tok    // paragraph and heading content, once parsed

	// tables: alignment per column ('l', 'c', 'r' or 0); cells per row,
	// the header first
	align []byte
	rows  [][][]tok
	cells [][]string
}

// acceptsLines says whether lines are added to a block of kind k as text.
func (k kind) acceptsLines() bool { return k == kParagraph || k == kCode || k == kHTML }

// canContain says whether a block of kind k may hold a child of kind c.
func (k kind) canContain(c kind) bool {
	switch k {
	case kDocument, kQuote, kItem:
		return c != kItem
	case kList:
		return c == kItem
	}
	return false
}

// blockParser holds the state of the line being read.
type blockParser struct {
	w      *work
	doc    *block
	tip    *block
	oldtip *block

	lineNum     int
	line        string
	pos         int  // byte offset in line
	col         int  // column, tabs expanded to stops of four
	partialTab  bool // the tab at pos is partly consumed
	nextNonsp   int
	nextNonspCl int
	indent      int
	blank       bool

	allClosed   bool
	lastMatched *block
	refs        map[string]ref
}

// parseBlocks reads src into its block structure and its link reference
// definitions.
func parseBlocks(src string, w *work) (*block, map[string]ref) {
	doc := &block{kind: kDocument, open: true, start: 1}
	p := &blockParser{w: w, doc: doc, tip: doc, oldtip: doc, refs: map[string]ref{}}
	for len(src) > 0 {
		i := strings.IndexAny(src, "\r\n")
		line := src
		if i < 0 {
			w.add(len(src))
			src = ""
		} else {
			w.add(i + 1)
			line = src[:i]
			if src[i] == '\r' && i+1 < len(src) && src[i+1] == '\n' {
				i++
			}
			src = src[i+1:]
		}
		p.incorporate(line)
	}
	for p.tip != nil {
		p.finalize(p.tip, p.lineNum)
	}
	return doc, p.refs
}

func lastOpenChild(b *block) *block {
	if n := len(b.children); n > 0 && b.children[n-1].open {
		return b.children[n-1]
	}
	return nil
}

func (p *blockParser) incorporate(line string) {
	p.lineNum++
	p.line, p.pos, p.col, p.partialTab, p.blank = line, 0, 0, false, false
	p.oldtip = p.tip

	// Match the open containers.
	container := p.doc
	for {
		next := lastOpenChild(container)
		if next == nil {
			break
		}
		p.w.add(1)
		container = next
		p.findNextNonspace()
		switch p.continues(container) {
		case matched:
			continue
		case failed:
			container = container.parent
		case consumed: // a closing code fence: the line is done
			return
		}
		break
	}
	p.allClosed = container == p.oldtip
	p.lastMatched = container

	// Look for new block starts.
	matchedLeaf := container.kind != kParagraph && container.kind.acceptsLines()
	for !matchedLeaf {
		p.w.add(1)
		p.findNextNonspace()
		if p.indent < 4 && !maybeSpecial(p.peekAt(p.nextNonsp)) {
			p.advanceNextNonspace()
			break
		}
		res := p.startBlock(container)
		if res == noStart {
			p.advanceNextNonspace()
			break
		}
		container = p.tip
		if res == leafStart {
			matchedLeaf = true
		}
	}

	// What remains is text.
	if !p.allClosed && !p.blank && p.tip.kind == kParagraph {
		p.addLine() // lazy continuation
		return
	}
	p.closeUnmatched()
	switch {
	case container.kind.acceptsLines():
		p.addLine()
		if container.kind == kHTML && container.htmlType >= 1 && container.htmlType <= 5 &&
			htmlBlockEnds(container.htmlType, p.line[p.pos:], p.w) {
			p.finalize(container, p.lineNum)
		}
	case p.pos < len(p.line) && !p.blank:
		p.addChild(kParagraph)
		p.advanceNextNonspace()
		p.addLine()
	}
}

type continuation uint8

const (
	matched continuation = iota
	failed
	consumed
)

// continues says whether the line continues the open block b, consuming
// b's marker or indentation if so.
func (p *blockParser) continues(b *block) continuation {
	switch b.kind {
	case kQuote:
		if p.indent < 4 && p.peekAt(p.nextNonsp) == '>' {
			p.advanceNextNonspace()
			p.advance(1, false)
			if isSpaceOrTab(p.peekAt(p.pos)) {
				p.advance(1, true)
			}
			return matched
		}
		return failed
	case kItem:
		switch {
		case p.blank:
			if len(b.children) == 0 {
				return failed // a blank line after an empty item ends it
			}
			p.advanceNextNonspace()
		case p.indent >= b.markerOffset+b.padding:
			p.advance(b.markerOffset+b.padding, true)
		default:
			return failed
		}
		return matched
	case kCode:
		if b.fenced {
			if p.indent < 4 && p.peekAt(p.nextNonsp) == b.fenceChar {
				if n := closingFence(p.line[p.nextNonsp:], b.fenceChar); n >= b.fenceLen {
					p.w.add(n)
					p.finalize(b, p.lineNum)
					return consumed
				}
			}
			for i := b.fenceOffset; i > 0 && isSpaceOrTab(p.peekAt(p.pos)); i-- {
				p.advance(1, true)
			}
			return matched
		}
		switch {
		case p.indent >= 4:
			p.advance(4, true)
		case p.blank:
			p.advanceNextNonspace()
		default:
			return failed
		}
		return matched
	case kHTML:
		if p.blank && (b.htmlType == 6 || b.htmlType == 7) {
			return failed
		}
		return matched
	case kParagraph:
		if p.blank {
			return failed
		}
		return matched
	case kHeading, kRule, kTable:
		return failed
	}
	return matched // document and list
}

type started uint8

const (
	noStart started = iota
	containerStart
	leafStart
)

// startBlock tries the starts of blocks, in the specification's order.
func (p *blockParser) startBlock(container *block) started {
	rest := p.line[p.nextNonsp:]
	c := p.peekAt(p.nextNonsp)
	if p.indent < 4 {
		switch {
		case c == '>' && container.depth < maxDepth:
			p.advanceNextNonspace()
			p.advance(1, false)
			if isSpaceOrTab(p.peekAt(p.pos)) {
				p.advance(1, true)
			}
			p.closeUnmatched()
			p.addChild(kQuote)
			return containerStart
		case c == '#':
			if level, n := atxMarker(rest); level > 0 {
				p.advanceNextNonspace()
				p.advance(n, false)
				p.closeUnmatched()
				h := p.addChild(kHeading)
				h.level = level
				h.lines = []string{atxContent(p.line[p.pos:], p.w)}
				p.pos, p.col = len(p.line), p.col+len(p.line)-p.pos
				return leafStart
			}
		case c == '`' || c == '~':
			if n := openingFence(rest, p.w); n > 0 {
				p.closeUnmatched()
				b := p.addChild(kCode)
				b.fenced, b.fenceChar, b.fenceLen, b.fenceOffset = true, c, n, p.indent
				p.advanceNextNonspace()
				p.advance(n, false)
				return leafStart
			}
		case c == '<':
			if t := htmlBlockStart(rest, p.w); t > 0 && (t < 7 || container.kind != kParagraph && !p.lazyParagraph()) {
				p.closeUnmatched()
				b := p.addChild(kHTML)
				b.htmlType = t
				return leafStart
			}
		}
		if container.kind == kParagraph && (c == '=' || c == '-') {
			if level := setextLevel(rest, p.w); level > 0 {
				p.closeUnmatched()
				p.takeDefinitions(container)
				if len(container.lines) > 0 {
					h := &block{kind: kHeading, level: level, open: true, start: container.start,
						parent: container.parent, depth: container.depth, lines: container.lines}
					siblings := container.parent.children
					siblings[len(siblings)-1] = h
					p.tip = h
					p.pos, p.col = len(p.line), p.col+len(p.line)-p.pos
					return leafStart
				}
			}
		}
		if (c == '*' || c == '-' || c == '_') && thematicBreak(rest, p.w) {
			p.closeUnmatched()
			p.addChild(kRule)
			p.pos, p.col = len(p.line), p.col+len(p.line)-p.pos
			return leafStart
		}
	}
	if (p.indent < 4 || container.kind == kList) && container.depth < maxDepth {
		if m, ok := p.listMarker(container); ok {
			p.closeUnmatched()
			if p.tip.kind != kList || p.tip.ordered != m.ordered || p.tip.marker != m.marker {
				l := p.addChild(kList)
				l.ordered, l.marker, l.startNum, l.tight = m.ordered, m.marker, m.startNum, true
			}
			it := p.addChild(kItem)
			it.ordered, it.marker, it.markerOffset, it.padding = m.ordered, m.marker, m.markerOffset, m.padding
			return containerStart
		}
	}
	if p.indent >= 4 && p.tip.kind != kParagraph && !p.blank {
		p.advance(4, true)
		p.closeUnmatched()
		p.addChild(kCode)
		return leafStart
	}
	return noStart
}

// lazyParagraph says whether the line could be a lazy continuation of the
// open paragraph, which a type 7 HTML block may not interrupt.
func (p *blockParser) lazyParagraph() bool {
	return !p.allClosed && !p.blank && p.tip.kind == kParagraph
}

type listMarker struct {
	ordered      bool
	marker       byte
	startNum     int
	markerOffset int
	padding      int
}

// listMarker reads a list item's marker at nextNonspace, and the spaces
// after it.
func (p *blockParser) listMarker(container *block) (listMarker, bool) {
	if p.indent >= 4 {
		return listMarker{}, false
	}
	rest := p.line[p.nextNonsp:]
	var m listMarker
	n := 0 // marker length
	switch c := p.peekAt(p.nextNonsp); {
	case c == '*' || c == '+' || c == '-':
		m.marker, n = c, 1
	case isDigit(c):
		for n < len(rest) && n < 9 && isDigit(rest[n]) {
			m.startNum = m.startNum*10 + int(rest[n]-'0')
			n++
		}
		p.w.add(n)
		if n == len(rest) || rest[n] != '.' && rest[n] != ')' {
			return m, false
		}
		if container.kind == kParagraph && m.startNum != 1 {
			return m, false // only a list starting at 1 may interrupt a paragraph
		}
		m.ordered, m.marker = true, rest[n]
		n++
	default:
		return m, false
	}
	if n < len(rest) && !isSpaceOrTab(rest[n]) {
		return m, false
	}
	if container.kind == kParagraph && isBlank(rest[n:], p.w) {
		return m, false // an empty item may not interrupt a paragraph
	}
	p.advanceNextNonspace()
	p.advance(n, true)
	startCol, startPos := p.col, p.pos
	for {
		p.advance(1, true)
		if p.col-startCol >= 5 || !isSpaceOrTab(p.peekAt(p.pos)) {
			break
		}
	}
	spaces := p.col - startCol
	if spaces >= 5 || spaces < 1 || p.pos >= len(p.line) {
		// Content starting with indented code, or no content: the item's
		// content begins one space after the marker.
		m.padding = n + 1
		p.col, p.pos, p.partialTab = startCol, startPos, false
		if isSpaceOrTab(p.peekAt(p.pos)) {
			p.advance(1, true)
		}
	} else {
		m.padding = n + spaces
	}
	m.markerOffset = p.indent
	return m, true
}

// addChild closes what cannot contain a block of kind k, then opens one as
// the tip's last child.
func (p *blockParser) addChild(k kind) *block {
	for !p.tip.kind.canContain(k) {
		p.finalize(p.tip, p.lineNum-1)
	}
	parent := p.tip
	b := &block{kind: k, parent: parent, open: true, start: p.lineNum, depth: parent.depth}
	if k == kQuote || k == kItem {
		b.depth++
	}
	parent.children = append(parent.children, b)
	p.tip = b
	return b
}

// closeUnmatched closes the blocks the line did not continue.
func (p *blockParser) closeUnmatched() {
	if p.allClosed {
		return
	}
	for p.oldtip != p.lastMatched {
		p.w.add(1)
		parent := p.oldtip.parent
		p.finalize(p.oldtip, p.lineNum-1)
		p.oldtip = parent
	}
	p.allClosed = true
}

// addLine adds the rest of the line to the tip, as text.
func (p *blockParser) addLine() {
	rest := p.line[p.pos:]
	if p.partialTab {
		// The rest of a partly consumed tab is spaces.
		p.pos++
		rest = strings.Repeat(" ", 4-p.col%4) + p.line[p.pos:]
	}
	p.w.add(len(rest))
	p.tip.lines = append(p.tip.lines, rest)
}

// finalize closes b, which ends on line end, and makes its parent the tip.
func (p *blockParser) finalize(b *block, end int) {
	b.open, b.end = false, end
	switch b.kind {
	case kParagraph:
		p.takeDefinitions(b)
		if len(b.lines) == 0 {
			siblings := b.parent.children
			b.parent.children = siblings[:len(siblings)-1]
		} else {
			p.makeTable(b)
		}
	case kCode:
		if b.fenced {
			// The first line is the info string, which Herald does not use.
			if len(b.lines) > 0 {
				b.lines = b.lines[1:]
			}
		} else {
			for len(b.lines) > 0 && isBlank(b.lines[len(b.lines)-1], p.w) {
				b.lines = b.lines[:len(b.lines)-1]
			}
		}
	case kItem:
		if n := len(b.children); n > 0 {
			b.end = b.children[n-1].end
		} else {
			b.end = b.start
		}
	case kList:
		b.end = b.children[len(b.children)-1].end
		b.tight = tight(b, p.w)
	}
	p.tip = b.parent
}

// tight says whether a list is tight: no blank line between its items, nor
// between the blocks directly inside any item.
func tight(l *block, w *work) bool {
	for i, it := range l.children {
		w.add(1)
		if i+1 < len(l.children) && gapAfter(it, l.children[i+1]) {
			return false
		}
		for j, c := range it.children {
			w.add(1)
			if j+1 < len(it.children) && gapAfter(c, it.children[j+1]) {
				return false
			}
		}
	}
	return true
}

// gapAfter says whether a blank line separates a from its next sibling b.
func gapAfter(a, b *block) bool { return b.start > a.end+1 }

// Line reading.

func (p *blockParser) peekAt(i int) byte {
	if i < len(p.line) {
		return p.line[i]
	}
	return '\n'
}

// findNextNonspace finds the first character that is not a space or tab,
// and the indentation before it in columns.
func (p *blockParser) findNextNonspace() {
	i, cols := p.pos, p.col
	for i < len(p.line) {
		p.w.add(1)
		switch p.line[i] {
		case ' ':
			cols++
		case '\t':
			cols += 4 - cols%4
		default:
			p.nextNonsp, p.nextNonspCl = i, cols
			p.indent = cols - p.col
			p.blank = false
			return
		}
		i++
	}
	p.nextNonsp, p.nextNonspCl = i, cols
	p.indent = cols - p.col
	p.blank = true
}

func (p *blockParser) advanceNextNonspace() {
	p.pos, p.col, p.partialTab = p.nextNonsp, p.nextNonspCl, false
}

// advance moves count characters, or count columns when columns is set (a
// tab then counts for the columns up to the next tab stop, and may be
// consumed in part).
func (p *blockParser) advance(count int, columns bool) {
	for count > 0 && p.pos < len(p.line) {
		p.w.add(1)
		if p.line[p.pos] != '\t' {
			p.partialTab = false
			p.pos++
			p.col++
			count--
			continue
		}
		toStop := 4 - p.col%4
		if columns {
			p.partialTab = toStop > count
			n := min(toStop, count)
			p.col += n
			if !p.partialTab {
				p.pos++
			}
			count -= n
		} else {
			p.partialTab = false
			p.col += toStop
			p.pos++
			count--
		}
	}
}

// Recognising block starts. Each reads one line once.

func isSpaceOrTab(c byte) bool { return c == ' ' || c == '\t' }
func isDigit(c byte) bool      { return c >= '0' && c <= '9' }

func maybeSpecial(c byte) bool {
	switch c {
	case '#', '`', '~', '*', '+', '_', '=', '<', '>', '-':
		return true
	}
	return isDigit(c)
}

func isBlank(s string, w *work) bool {
	for i := 0; i < len(s); i++ {
		w.add(1)
		if c := s[i]; c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' {
			return false
		}
	}
	return true
}

// atxMarker reads "#" to "######" followed by a space, a tab or the end.
func atxMarker(s string) (level, n int) {
	for n < len(s) && s[n] == '#' {
		n++
	}
	if n == 0 || n > 6 || n < len(s) && !isSpaceOrTab(s[n]) {
		return 0, 0
	}
	return n, n
}

// atxContent is a heading's text without its optional closing #s.
func atxContent(s string, w *work) string {
	w.add(len(s))
	s = strings.TrimRight(s, " \t")
	t := strings.TrimRight(s, "#")
	if t == "" {
		return ""
	}
	if len(t) < len(s) && isSpaceOrTab(t[len(t)-1]) {
		s = t
	}
	return strings.Trim(s, " \t")
}

// openingFence reads ``` or ~~~ (three or more); a backtick fence's info
// string may not hold a backtick.
func openingFence(s string, w *work) int {
	c := s[0]
	n := 0
	for n < len(s) && s[n] == c {
		n++
	}
	w.add(len(s))
	if n < 3 || c == '`' && strings.IndexByte(s[n:], '`') >= 0 {
		return 0
	}
	return n
}

// closingFence is the length of a fence of c made of s, followed only by
// spaces, or 0.
func closingFence(s string, c byte) int {
	n := 0
	for n < len(s) && s[n] == c {
		n++
	}
	if n < 3 {
		return 0
	}
	for _, r := range s[n:] {
		if r != ' ' && r != '\t' {
			return 0
		}
	}
	return n
}

// setextLevel reads a setext underline: = for 1, - for 2.
func setextLevel(s string, w *work) int {
	c := s[0]
	n := 0
	for n < len(s) && s[n] == c {
		n++
	}
	w.add(len(s))
	if !isBlank(s[n:], w) {
		return 0
	}
	if c == '=' {
		return 1
	}
	return 2
}

// thematicBreak reads three or more *, - or _, alone with spaces and tabs.
func thematicBreak(s string, w *work) bool {
	c := s[0]
	n := 0
	for i := 0; i < len(s); i++ {
		w.add(1)
		switch s[i] {
		case c:
			n++
		case ' ', '\t':
		default:
			return false
		}
	}
	return n >= 3
}

package markdown

import (
	"strconv"
	"strings"
)

// htmlWriter writes a parsed document as HTML, in the shape CommonMark's
// reference renderer gives it, with Herald's choices: every line break is a
// <br>, raw HTML is written as the text typed, images are links to the image
// named by their alt text, and links go only to http, https and mailto
// addresses (any other link is written as its text alone).
type htmlWriter struct {
	b    strings.Builder
	w    *work
	sh   *shared
	tags []tag // scratch
}

// cr starts a new line unless the output is at the start of one.
func (h *htmlWriter) cr() {
	if n := h.b.Len(); n > 0 && h.b.String()[n-1] != '\n' {
		h.b.WriteByte('\n')
	}
}

func (h *htmlWriter) blocks(bs []*block, tight bool) {
	for _, b := range bs {
		h.w.add(1)
		h.block(b, tight)
	}
}

func (h *htmlWriter) block(b *block, tight bool) {
	switch b.kind {
	case kParagraph:
		if tight {
			h.inlines(b.inl)
			return
		}
		h.cr()
		h.b.WriteString("<p>")
		h.inlines(b.inl)
		h.b.WriteString("</p>\n")
	case kHeading:
		h.cr()
		level := strconv.Itoa(b.level)
		h.b.WriteString("<h" + level + ">")
		h.inlines(b.inl)
		h.b.WriteString("</h" + level + ">\n")
	case kRule:
		h.cr()
		h.b.WriteString("<hr>\n")
	case kQuote:
		h.cr()
		h.b.WriteString("<blockquote>\n")
		h.blocks(b.children, false)
		h.cr()
		h.b.WriteString("</blockquote>\n")
	case kList:
		h.cr()
		switch {
		case !b.ordered:
			h.b.WriteString("<ul>\n")
		case b.startNum != 1:
			h.b.WriteString(`<ol start="` + strconv.Itoa(b.startNum) + "\">\n")
		default:
			h.b.WriteString("<ol>\n")
		}
		for _, it := range b.children {
			h.w.add(1)
			h.cr()
			h.b.WriteString("<li>")
			h.blocks(it.children, b.tight)
			h.b.WriteString("</li>\n")
		}
		if b.ordered {
			h.b.WriteString("</ol>\n")
		} else {
			h.b.WriteString("</ul>\n")
		}
	case kCode:
		h.cr()
		h.b.WriteString("<pre><code>")
		for _, l := range b.lines {
			h.escape(l)
			h.b.WriteByte('\n')
		}
		h.b.WriteString("</code></pre>\n")
	case kHTML:
		lines := b.lines
		for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
			lines = lines[:len(lines)-1]
		}
		if len(lines) == 0 {
			return
		}
		h.cr()
		h.b.WriteString("<p>")
		for i, l := range lines {
			if i > 0 {
				h.b.WriteString("<br>\n")
			}
			h.escape(l)
		}
		h.b.WriteString("</p>\n")
	case kTable:
		h.table(b)
	}
}

func (h *htmlWriter) table(b *block) {
	h.cr()
	h.b.WriteString("<table>\n<thead>\n")
	for r, row := range b.rows {
		if r == 1 {
			h.b.WriteString("<tbody>\n")
		}
		h.b.WriteString("<tr>\n")
		name := "td"
		if r == 0 {
			name = "th"
		}
		for c, cell := range row {
			h.w.add(1)
			h.b.WriteString("<" + name)
			switch b.align[c] {
			case 'l':
				h.b.WriteString(` align="left"`)
			case 'c':
				h.b.WriteString(` align="center"`)
			case 'r':
				h.b.WriteString(` align="right"`)
			}
			h.b.WriteByte('>')
			h.inlines(cell)
			h.b.WriteString("</" + name + ">\n")
		}
		h.b.WriteString("</tr>\n")
		if r == 0 {
			h.b.WriteString("</thead>\n")
		}
	}
	if len(b.rows) > 1 {
		h.b.WriteString("</tbody>\n")
	}
	h.b.WriteString("</table>\n")
}

var emTags = [...]string{tagEm: "em", tagStrong: "strong", tagDel: "del"}

func (h *htmlWriter) inlines(ts []tok) {
	var written []bool // for each open link or image: whether its <a> was written
	anchors := 0
	for i := range ts {
		h.w.add(1)
		t := &ts[i]
		switch t.kind {
		case tText:
			h.escape(t.text)
		case tSoft, tHard:
			h.b.WriteString("<br>\n")
		case tCode:
			h.b.WriteString("<code>")
			h.escape(t.text)
			h.b.WriteString("</code>")
		case tRawHTML:
			for j, l := range strings.Split(t.text, "\n") {
				if j > 0 {
					h.b.WriteString("<br>\n")
				}
				h.escape(l)
			}
		case tAutolink:
			dest := h.sh.link(t).dest
			if anchors > 0 || !allowedURL(dest) {
				h.escape(t.text)
				continue
			}
			h.b.WriteString(`<a href="`)
			h.escape(normalizeURL(dest, h.w))
			h.b.WriteString(`">`)
			h.escape(t.text)
			h.b.WriteString("</a>")
		case tDelim:
			h.tags = h.sh.tagList(h.tags[:0], t.closes)
			for j := len(h.tags) - 1; j >= 0; j-- {
				h.w.add(1)
				h.b.WriteString("</" + emTags[h.tags[j]] + ">")
			}
			h.escape(t.text[:t.n])
			h.tags = h.sh.tagList(h.tags[:0], t.opens)
			for _, g := range h.tags {
				h.w.add(1)
				h.b.WriteString("<" + emTags[g] + ">")
			}
		case tOpen:
			l := h.sh.link(t)
			write := anchors == 0 && allowedURL(l.dest)
			written = append(written, write)
			if write {
				anchors++
				h.b.WriteString(`<a href="`)
				h.escape(normalizeURL(l.dest, h.w))
				if l.title != "" {
					h.b.WriteString(`" title="`)
					h.escape(l.title)
				}
				h.b.WriteString(`">`)
			}
			if t.image && i+1 < len(ts) && ts[i+1].kind == tClose {
				h.escape(l.dest) // no alt text: the link is named by its address
			}
		case tClose:
			if written[len(written)-1] {
				h.b.WriteString("</a>")
				anchors--
			}
			written = written[:len(written)-1]
		}
	}
}

// escape writes s with &, <, > and " escaped.
func (h *htmlWriter) escape(s string) {
	h.w.add(len(s))
	start := 0
	for i := 0; i < len(s); i++ {
		var rep string
		switch s[i] {
		case '&':
			rep = "&amp;"
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		case '"':
			rep = "&quot;"
		default:
			continue
		}
		h.b.WriteString(s[start:i])
		h.b.WriteString(rep)
		start = i + 1
	}
	h.b.WriteString(s[start:])
}

// allowedURL says whether a link may point at u: an absolute http, https
// or mailto address. Relative links are refused too: the same HTML goes
// into feeds and e-mail, where there is nothing to resolve them against.
func allowedURL(u string) bool {
	i := strings.IndexByte(u, ':')
	if i <= 0 {
		return false
	}
	switch strings.ToLower(u[:i]) {
	case "http", "https", "mailto":
		return true
	}
	return false
}

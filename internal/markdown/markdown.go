// Package markdown turns the Markdown that operators write (incident updates,
// maintenance notices, postmortems) into safe HTML for pages, feeds and
// e-mail, and into plain text for feed summaries and plain e-mail parts.
//
// Herald parses Markdown itself: CommonMark with GitHub's tables,
// strikethrough and bare-address links. It used goldmark, which takes time
// quadratic in the input for some texts (64 KB of "[a](", of "> " or of
// "*_" lines took seconds, and an update is rendered for pages and feeds).
// This parser reads each byte a constant number of times whatever the text:
// it counts its steps (see work), and a test holds that count to the size
// of the input on the worst texts known. The bounds that make it so, each
// far beyond what a status update needs:
//
//   - quotes and list items nest at most 16 deep (a marker deeper than that
//     stays text);
//   - a link destination nests parentheses at most 32 deep, a link label is
//     at most 999 characters (as CommonMark says), a backtick run opening
//     a code span at most 1000 long, a bare address at most 2048;
//   - table rows are not padded to the header's width (which costs rows ×
//     columns): a short row has the cells it has.
//
// A text is rendered once, when it is written, and stored with the HTML and
// text made from it (see Render and the store); no visitor's request renders
// Markdown. Texts longer than MaxBytes are refused when written (the service
// checks the limit); a longer one reaching the renderer anyway is shown as
// plain escaped text, paragraph by paragraph.
//
// The HTML is made in two steps. The parser writes HTML in which raw HTML
// is never passed through; bluemonday then sanitizes it with an allow-list
// policy, so that even a bug in the first step cannot let a script through.
// Choices, each made for a status page read by customers:
//
//   - Raw HTML typed into Markdown is shown as the text that was typed, not
//     dropped and not interpreted: what an operator writes is what readers see.
//   - Images are not embedded. An image would load from any host, so it could
//     track the readers of the page and of e-mail; ![alt](url) becomes a link
//     to the image, named by its alt text.
//   - Links may use http, https and mailto only; relative links are dropped
//     (their text stays), because the same HTML goes into feeds and e-mail
//     where there is no base to resolve them against. Every link gets
//     rel="nofollow noopener" and target="_blank", so a link followed
//     during an incident leaves the status page open.
//   - No style or class attributes, no id (DOM clobbering), no iframes,
//     forms, objects, SVG or MathML.
//   - A line break in the source is a line break in the page (hard wraps):
//     operators type updates in a text box and expect their lines kept.
package markdown

import (
	"html/template"
	"regexp"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
)

// MaxBytes is the longest text rendered as Markdown: 64 KiB, some ten
// thousand words. The service refuses longer texts when they are written.
const MaxBytes = 64 << 10

// Renderer renders Markdown to sanitized HTML or to plain text. It is safe
// for concurrent use; build one and share it.
type Renderer struct {
	policy *bluemonday.Policy
}

// New builds a Renderer.
func New() *Renderer {
	return &Renderer{policy: policy()}
}

// Doc is a text rendered once: its sanitized HTML and its plain text.
type Doc struct {
	HTML template.HTML
	Text string
}

// Render renders src as sanitized HTML and as plain text (see Text), from
// one parse.
func (r *Renderer) Render(src string) Doc {
	d, _ := r.render(src)
	return d
}

// render is Render, with the steps the parser and writers took.
func (r *Renderer) render(src string) (Doc, int) {
	if len(src) > MaxBytes {
		return Plain(src), len(src)
	}
	var w work
	src = strings.ToValidUTF8(src, "\uFFFD")
	src = strings.ReplaceAll(src, "\x00", "\uFFFD")
	w.add(len(src))
	doc, refs := parseBlocks(src, &w)
	sh := &shared{w: &w, refs: refs}
	parseLeaves(doc, sh)
	h := htmlWriter{w: &w, sh: sh}
	h.blocks(doc.children, false)
	t := textWriter{w: &w, sh: sh}
	text := tidy(t.blocks(doc.children), &w)
	html := r.policy.Sanitize(h.b.String())
	return Doc{HTML: template.HTML(html), Text: text}, w.n //nolint:gosec // sanitized
}

// parseLeaves parses the text of every paragraph, heading and table cell
// into inline tokens, once the whole document (and so every link reference
// definition) has been read.
func parseLeaves(b *block, sh *shared) {
	w := sh.w
	for _, c := range b.children {
		w.add(1)
		switch c.kind {
		case kParagraph, kHeading:
			s := strings.Join(c.lines, "\n")
			w.add(len(s))
			c.inl = parseInlines(strings.Trim(s, " \t\n"), sh)
			c.lines = nil
		case kTable:
			for _, row := range c.cells {
				cells := make([][]tok, len(row))
				for i, s := range row {
					cells[i] = parseInlines(s, sh)
				}
				c.rows = append(c.rows, cells)
			}
			c.cells = nil
		default:
			parseLeaves(c, sh)
		}
	}
}

// HTML renders src as sanitized HTML.
func (r *Renderer) HTML(src string) template.HTML { return r.Render(src).HTML }

// Render renders src with a shared Renderer.
func Render(src string) Doc { return defaultRenderer().Render(src) }

// Plain is src shown as it was typed, without reading it as Markdown:
// escaped, a paragraph for each run of lines, a <br> between lines. It is
// what a text too long to render becomes, and it costs one pass.
func Plain(src string) Doc {
	src = strings.ToValidUTF8(strings.ReplaceAll(src, "\r\n", "\n"), "\uFFFD")
	var b strings.Builder
	for _, para := range strings.Split(src, "\n\n") {
		para = strings.Trim(para, "\n")
		if strings.TrimSpace(para) == "" {
			continue
		}
		b.WriteString("<p>")
		b.WriteString(strings.ReplaceAll(template.HTMLEscapeString(para), "\n", "<br>\n"))
		b.WriteString("</p>\n")
	}
	return Doc{HTML: template.HTML(b.String()), Text: strings.TrimSpace(src)} //nolint:gosec // escaped
}

// policy is bluemonday's UGCPolicy cut down to the elements the Markdown
// renderer emits, with images, id and the decorative HTML5 elements left out.
// The elements and attributes are listed here, rather than UGCPolicy used
// and tightened, because bluemonday cannot take back what a policy allows.
func policy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements(
		"p", "br", "hr", "blockquote", "pre", "code",
		"h1", "h2", "h3", "h4", "h5", "h6",
		"em", "strong", "del", "ul", "li",
		"table", "thead", "tbody", "tr",
	)
	p.AllowAttrs("start").Matching(regexp.MustCompile(`^[0-9]{1,9}$`)).OnElements("ol")
	p.AllowElements("ol")
	p.AllowAttrs("align").Matching(regexp.MustCompile(`^(left|center|right)$`)).OnElements("th", "td")
	p.AllowElements("th", "td")

	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("title").Matching(bluemonday.Paragraph).OnElements("a")
	p.RequireParseableURLs(true)
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowRelativeURLs(false)
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true) // also adds rel="noopener"
	return p
}

// defaultRenderer serves the package-level functions; a Renderer holds no
// state that changes after New, so sharing one is safe.
var defaultRenderer = sync.OnceValue(New)

// Package markdown turns the Markdown that operators write (incident updates,
// maintenance notices, postmortems) into safe HTML for pages, feeds and
// e-mail, and into plain text for feed summaries and plain e-mail parts.
//
// The HTML is made in two steps. goldmark renders CommonMark with the GFM
// tables, strikethrough and linkify extensions (autolinks are CommonMark);
// raw HTML is never passed through. bluemonday then sanitizes the result
// with an allow-list policy, so that even a bug in the first step cannot let
// a script through. Choices, each made for a status page read by customers:
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
	"bytes"
	"html/template"
	"regexp"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
)

// Renderer renders Markdown to sanitized HTML or to plain text. It is safe
// for concurrent use; build one and share it.
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

// New builds a Renderer.
func New() *Renderer {
	md := goldmark.New(
		goldmark.WithExtensions(
			// Alignment as an attribute: the policy allows no style.
			extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
			extension.Strikethrough,
			extension.Linkify,
		),
		goldmark.WithRendererOptions(
			html.WithHardWraps(),
			renderer.WithNodeRenderers(util.Prioritized(safeNodes{}, 100)),
		),
	)
	return &Renderer{md: md, policy: policy()}
}

// HTML renders src as sanitized HTML. A document that cannot be rendered
// (goldmark reports no errors for any input, but its API allows one) comes
// out as escaped text.
func (r *Renderer) HTML(src string) template.HTML {
	var buf bytes.Buffer
	if err := r.md.Convert([]byte(src), &buf); err != nil {
		return template.HTML("<p>" + template.HTMLEscapeString(src) + "</p>") //nolint:gosec // escaped
	}
	return template.HTML(r.policy.SanitizeBytes(buf.Bytes())) //nolint:gosec // sanitized
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

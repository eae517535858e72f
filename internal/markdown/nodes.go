package markdown

import (
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
)

// safeNodes replaces goldmark's HTML for the nodes that Herald shows
// differently: images become links, raw HTML becomes the text typed.
// Registered at a higher priority than goldmark's own renderer, it wins.
type safeNodes struct{}

// RegisterFuncs implements renderer.NodeRenderer.
func (safeNodes) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindImage, renderImage)
	reg.Register(ast.KindRawHTML, renderRawHTML)
	reg.Register(ast.KindHTMLBlock, renderHTMLBlock)
}

// renderImage writes ![alt](url) as a link to url named by alt. Inside
// another link, where a nested <a> would be invalid, only alt is written.
func renderImage(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.Image)
	nested := insideLink(n)
	if entering {
		if !nested {
			_, _ = w.WriteString(`<a href="`)
			dest := util.URLEscape(n.Destination, true)
			if !html.IsDangerousURL(dest) {
				_, _ = w.Write(util.EscapeHTML(dest))
			}
			_, _ = w.WriteString(`">`)
		}
		if n.FirstChild() == nil {
			// No alt text: name the link by its address.
			_, _ = w.Write(util.EscapeHTML(n.Destination))
		}
		return ast.WalkContinue, nil
	}
	if !nested {
		_, _ = w.WriteString("</a>")
	}
	return ast.WalkContinue, nil
}

func insideLink(n ast.Node) bool {
	for p := n.Parent(); p != nil; p = p.Parent() {
		switch p.Kind() {
		case ast.KindLink, ast.KindAutoLink:
			return true
		}
	}
	return false
}

func renderRawHTML(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	n := node.(*ast.RawHTML)
	for i := range n.Segments.Len() {
		seg := n.Segments.At(i)
		writeEscapedLines(w, seg.Value(source))
	}
	return ast.WalkSkipChildren, nil
}

// renderHTMLBlock writes a block of raw HTML as a paragraph of its text,
// line by line.
func renderHTMLBlock(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.HTMLBlock)
	if !entering {
		return ast.WalkContinue, nil
	}
	var text []byte
	for i := range n.Lines().Len() {
		line := n.Lines().At(i)
		text = append(text, line.Value(source)...)
	}
	if n.HasClosure() {
		text = append(text, n.ClosureLine.Value(source)...)
	}
	text = trimTrailingNewlines(text)
	if len(text) == 0 {
		return ast.WalkContinue, nil
	}
	_, _ = w.WriteString("<p>")
	writeEscapedLines(w, text)
	_, _ = w.WriteString("</p>\n")
	return ast.WalkContinue, nil
}

// writeEscapedLines writes text escaped, with its line breaks as <br>.
func writeEscapedLines(w util.BufWriter, text []byte) {
	for len(text) > 0 {
		line := text
		rest := []byte(nil)
		for i, c := range text {
			if c == '\n' {
				line, rest = text[:i], text[i+1:]
				break
			}
		}
		line = trimCR(line)
		_, _ = w.Write(util.EscapeHTML(line))
		if rest != nil {
			_, _ = w.WriteString("<br>\n")
		}
		text = rest
	}
}

func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}

func trimTrailingNewlines(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

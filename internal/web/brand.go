package web

import (
	"fmt"
	"strings"

	"github.com/heraldhq/herald/internal/config"
)

// The provider's brand on the public pages (page.logo, page.accent,
// page.favicon, page.footer, page.css: config.Brand has them loaded and
// checked). Its files are served as they are, at addresses named by their
// content under /static/ like Herald's stylesheet, so they are cached for
// good and a static copy (internal/mirror) carries them. The accent and
// the operator's stylesheet make one stylesheet, linked after Herald's.

// brandView is the brand as the layout shows it; nil for Herald's own look.
type brandView struct {
	Logo     *logoView
	Favicon  string // its address
	IconType string
	// CSS is the brand's stylesheet's address, "" without accent or CSS.
	CSS    string
	Footer []config.FooterLink
}

type logoView struct {
	URL, Dark, Alt string
	// Width and Height are the size it is shown at, 0 when the file does
	// not say (the stylesheet then sizes it by its height alone).
	Width, Height int
}

// logoHeight is the logo's height in the header, in CSS pixels (herald.css: .brand .logo).
const logoHeight = 36

// brandOf is the view of the page's brand; it only names addresses, so a
// page rendered per request (subscribing) may call it.
func brandOf(p config.Page) *brandView {
	b := p.Brand()
	if b.Sum == "" {
		return nil
	}
	v := &brandView{Footer: b.Footer}
	if b.Logo != nil {
		l := &logoView{URL: imagePath("logo", b.Logo), Alt: b.LogoAlt}
		if b.LogoDark != nil {
			l.Dark = imagePath("logo", b.LogoDark)
		}
		if b.Logo.Width > 0 && b.Logo.Height > 0 {
			l.Height = logoHeight
			l.Width = max(1, (b.Logo.Width*logoHeight+b.Logo.Height/2)/b.Logo.Height)
		}
		v.Logo = l
	}
	if b.Favicon != nil {
		v.Favicon, v.IconType = imagePath("favicon", b.Favicon), b.Favicon.Type
	}
	if b.AccentLight != "" || len(b.CSS) > 0 { // as brandSheet
		v.CSS = "/static/brand." + b.Sum + ".css"
	}
	return v
}

func imagePath(name string, img *config.Image) string {
	return "/static/" + name + "." + img.Sum + "." + img.Ext
}

// brandSheet is the brand's stylesheet: the accent in both schemes (the
// pages' links and focus rings, the framed widget's links, a line atop the
// header), then the operator's rules as written. nil when it has neither.
func brandSheet(b config.Brand) []byte {
	if b.AccentLight == "" && len(b.CSS) == 0 {
		return nil
	}
	var s strings.Builder
	s.WriteString("/* The page's brand: page.accent and page.css in Herald's configuration. */\n")
	if b.AccentLight != "" {
		fmt.Fprintf(&s, ":root { --link: %s; }\n.hw-frame .herald-widget { --hw-link: %s; }\n", b.AccentLight, b.AccentLight)
		fmt.Fprintf(&s, "@media (prefers-color-scheme: dark) {\n  :root { --link: %s; }\n  .hw-frame .herald-widget { --hw-link: %s; }\n}\n", b.AccentDark, b.AccentDark)
		s.WriteString("header.site { box-shadow: inset 0 4px 0 var(--link); }\n")
	}
	if len(b.CSS) > 0 {
		s.WriteString("\n/* page.css */\n")
		s.Write(b.CSS)
	}
	return []byte(s.String())
}

// allBrandDocs are the brand files of page: and of every entry of pages:,
// served from the root like the stylesheet (a path page's links to /static
// are not moved under its prefix). Their names carry their sums, so two
// pages' files never collide, and a page sharing another's files lists them
// once.
func allBrandDocs(cfg config.Config) []doc {
	docs := brandDocs(cfg.Page)
	seen := map[string]bool{}
	for _, d := range docs {
		seen[d.path] = true
	}
	for _, e := range cfg.Pages {
		for _, d := range brandDocs(e.Page) {
			if !seen[d.path] {
				seen[d.path] = true
				docs = append(docs, d)
			}
		}
	}
	return docs
}

// brandDocs are the brand's files, to be served with the pages.
func brandDocs(p config.Page) []doc {
	b := p.Brand()
	if b.Sum == "" {
		return nil
	}
	var docs []doc
	for _, f := range []struct {
		name string
		img  *config.Image
	}{{"logo", b.Logo}, {"logo", b.LogoDark}, {"favicon", b.Favicon}} {
		if f.img != nil {
			docs = append(docs, doc{imagePath(f.name, f.img), f.img.Type, f.img.Data, ""})
		}
	}
	if sheet := brandSheet(b); sheet != nil {
		docs = append(docs, doc{"/static/brand." + b.Sum + ".css", "text/css; charset=utf-8", sheet, ""})
	}
	return docs
}

// brandImageCSP is sent with an operator's SVG: the file was checked to
// run and load nothing, and should anyone open it on its own, it may not.
const brandImageCSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"

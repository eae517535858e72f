package web

import (
	"bytes"
	"html/template"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/locale"
)

// langTemplates parses a template set once per language, with t bound to
// that language's catalog: {{t "Current incidents"}} is the page's words
// for it, {{t "Past %d days" 14}} formats as fmt does.
func langTemplates(name string, files ...string) map[locale.Lang]*template.Template {
	m := map[locale.Lang]*template.Template{}
	for _, l := range locale.Langs {
		funcs := template.FuncMap{"t": locale.For(l).T}
		m[l] = template.Must(template.New(name).Funcs(funcs).ParseFS(templateFS, files...))
	}
	return m
}

// pct is an uptime figure in the page's language: "99.95%", "99,95 %".
func (b *builder) pct(s string) string { return b.w.wr.L.Decimal(s) }

// docLanguage is the Content-Language of a page's documents other than its
// pages (the /api/v2 documents, the feeds): its language when it has one
// configured, "" for a page that never chose.
func docLanguage(p config.Page) string {
	if p.Language == "" {
		return ""
	}
	return string(p.Lang())
}

// contentLanguage is a document's Content-Language: a page's, from its
// html element, or lang, the language a document other than a page was
// rendered in (the widget reads it on /api/v2 across origins: a
// CORS-safelisted header).
func contentLanguage(body []byte, contentType, lang string) string {
	if l := docLang(body, contentType); l != "" {
		return l
	}
	return lang
}

// htmlLang opens every page (templates/layout.html) with its language.
const htmlLang = "<!doctype html>\n<html lang=\""

// docLang is the language a rendered page declares on its html element, for
// its Content-Language header; "" for anything else.
func docLang(body []byte, contentType string) string {
	rest, ok := bytes.CutPrefix(body, []byte(htmlLang))
	if contentType != htmlType || !ok {
		return ""
	}
	l, _, ok := bytes.Cut(rest, []byte(`"`))
	if !ok || len(l) > 8 {
		return ""
	}
	return string(l)
}

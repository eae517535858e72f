package refusal

import (
	"html"
	"net/http"
)

// WritePage answers 429 with a short page of its own: a refusal costs no
// template, no catalog and no database, so a flood of them takes little
// from the people reading the status page. back is where its link leads
// ("/", "/admin/login"); Retry-After is the caller's to set.
func WritePage(w http.ResponseWriter, msg, back string) {
	WritePageIn(w, Words{Lang: "en", Title: "Too many requests", Back: "Go back"}, msg, back)
}

// Words are a refusal page's own words in its language.
type Words struct {
	Lang  string // the html element's lang: "en", "de"
	Title string // "Too many requests"
	Back  string // the link back: "Go back"
}

// WritePageIn is WritePage in another language: the caller gives the
// page's words, already in it.
func WritePageIn(w http.ResponseWriter, words Words, msg, back string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Language", words.Lang)
	w.WriteHeader(http.StatusTooManyRequests)
	title := html.EscapeString(words.Title)
	_, _ = w.Write([]byte(`<!doctype html>
<html lang="` + html.EscapeString(words.Lang) + `">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>` + title + `</title></head>
<body><main><h1>` + title + `</h1>
<p>` + html.EscapeString(msg) + `</p>
<p><a href="` + html.EscapeString(back) + `">` + html.EscapeString(words.Back) + `</a></p></main></body>
</html>
`))
}

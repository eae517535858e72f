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
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = w.Write([]byte(refusedHead + html.EscapeString(msg) + refusedLink + html.EscapeString(back) + refusedTail))
}

const refusedHead = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>Too many requests</title></head>
<body><main><h1>Too many requests</h1>
<p>`

const refusedLink = `</p>
<p><a href="`

const refusedTail = `">Go back</a></p></main></body>
</html>
`

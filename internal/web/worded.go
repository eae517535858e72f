package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/heraldhq/herald/internal/locale"
	"github.com/heraldhq/herald/internal/notify"
	"github.com/heraldhq/herald/internal/refusal"
	"github.com/heraldhq/herald/internal/strictjson"
)

// worded is a visitor's request refused with a message the page words in
// its own language: key is the message's English in internal/locale's
// catalogs, args go in it. Its Error is the English; it is a
// service.ClientError, so service.Safe shows it.
type worded struct {
	code int
	key  string
	args []any
}

// refuse refuses a request with code and the catalog's message key.
func refuse(code int, key string, args ...any) error { return &worded{code, key, args} }

func (e *worded) Error() string     { return fmt.Sprintf(e.key, e.args...) }
func (e *worded) ClientStatus() int { return e.code }

// wordedIn is err's message in the language of t when err is one the
// pages word (worded, notify's RefusedError, strictjson's Refusal), else
// msg, its safe message as it is.
func wordedIn(t func(key string, args ...any) string, err error, msg string) string {
	var w *worded
	var re *notify.RefusedError
	var sr *strictjson.Refusal
	switch {
	case errors.As(err, &w):
		return t(w.key, w.args...)
	case errors.As(err, &re):
		return t(string(re.Refusal), re.Args...)
	case errors.As(err, &sr):
		return t(sr.Pattern, sr.Args...)
	}
	return msg
}

// tooMany answers 429 with refusal's short page, in the language of t.
func tooMany(w http.ResponseWriter, t func(key string, args ...any) string, lang locale.Lang, msg, back string) {
	refusal.WritePageIn(w, refusal.Words{Lang: string(lang), Title: t("Too many requests"), Back: t("Go back")}, msg, back)
}

// key marks a catalog key held in a table and worded later (internal/locale's
// tests find the messages the code asks for by it).
func key(s string) string { return s }

// pageT is a message in the language of page p.
func (s *Site) pageT(p *pageSet, key string, args ...any) string {
	return locale.For(s.cfg().ForPage(p.entry).Page.Lang()).T(key, args...)
}

// jsonError is a JSON answer saying msg: {"error": msg}.
func jsonError(msg string) []byte {
	b, _ := json.Marshal(map[string]string{"error": msg})
	return append(b, '\n')
}

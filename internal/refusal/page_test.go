package refusal

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestWritePage(t *testing.T) {
	w := httptest.NewRecorder()
	WritePage(w, `Wait <a little> & try "again".`, `/admin/login?next="x"`)
	body := w.Body.String()
	if w.Code != 429 || w.Header().Get("Content-Type") != "text/html; charset=utf-8" || w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("answer %d %v", w.Code, w.Header())
	}
	if !strings.Contains(body, "Wait &lt;a little&gt; &amp; try &#34;again&#34;.") || !strings.Contains(body, `href="/admin/login?next=&#34;x&#34;"`) {
		t.Errorf("text not escaped:\n%s", body)
	}
	if len(body) > 1024 {
		t.Errorf("the refusal page is %d bytes; it should be short", len(body))
	}
}

// TestWritePageIn: a refusal page in a page's language says so on its html
// element and in Content-Language, with its words escaped as the message is.
func TestWritePageIn(t *testing.T) {
	w := httptest.NewRecorder()
	WritePageIn(w, Words{Lang: "de", Title: "Zu viele <Anfragen>", Back: "Zurück & weiter"}, "Bitte warten Sie.", "/lookup")
	body := w.Body.String()
	if w.Code != 429 || w.Header().Get("Content-Language") != "de" {
		t.Errorf("answer %d %v", w.Code, w.Header())
	}
	for _, want := range []string{`<html lang="de">`, "<title>Zu viele &lt;Anfragen&gt;</title>", "<h1>Zu viele &lt;Anfragen&gt;</h1>",
		"<p>Bitte warten Sie.</p>", `<a href="/lookup">Zurück &amp; weiter</a>`} {
		if !strings.Contains(body, want) {
			t.Errorf("lacks %q:\n%s", want, body)
		}
	}
}

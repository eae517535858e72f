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

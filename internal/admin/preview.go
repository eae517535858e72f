package admin

import (
	"fmt"
	"html/template"
	"net/http"

	"github.com/heraldhq/herald/internal/markdown"
)

type previewData struct {
	HTML   template.HTML
	Source string
	Empty  bool
	// TooLong says the text could not be saved; it is shown as typed.
	TooLong string
}

// preview renders Markdown exactly as the public page will. The script asks
// for the fragment alone (?fragment=1) and shows it under the text box;
// without JavaScript the Preview button opens it as a page of its own.
func (a *Admin) preview(w http.ResponseWriter, r *http.Request, s *session) error {
	f, err := form(r, []string{"body", "postmortem", "update", "title", "impact", "status", "action", "c:*", "component", "start", "end", "minutes"}, "component")
	if err != nil {
		return err
	}
	src := f.Get("body")
	for _, k := range []string{"postmortem", "update"} {
		if src == "" {
			src = f.Get(k)
		}
	}
	// Rendering takes time in proportion to the text, and the form is
	// bounded (maxForm); a text the service would refuse is shown as typed.
	d := previewData{HTML: a.md.HTML(src), Source: src, Empty: src == ""}
	if len(src) > markdown.MaxBytes {
		d.TooLong = fmt.Sprintf("This text is %d bytes long; at most %d can be saved. It is shown as typed.", len(src), markdown.MaxBytes)
	}
	if r.URL.Query().Get("fragment") == "1" {
		// Executing the parsed set would stop it being cloned for pages.
		t, err := a.pages["preview"].Clone()
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		return t.ExecuteTemplate(w, "fragment", d)
	}
	a.render(w, r, s, http.StatusOK, "preview", "Preview", "", d)
	return nil
}

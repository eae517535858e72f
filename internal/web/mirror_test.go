package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/web"
)

// A copy is every served document as served, but for the line each page
// gets and the time each /api/v2 document carries; the pages that answer
// per request are replaced by ones saying a copy cannot do that.
func TestCopyOfEveryDocument(t *testing.T) {
	f := newPagesFixture(t)
	docs := f.site.Served()
	madeAt := time.Date(2026, 11, 25, 11, 2, 0, 0, time.UTC)
	cp, err := web.Copy(docs, f.cfg, madeAt)
	if err != nil {
		t.Fatal(err)
	}
	line := `<p class="note copy" role="note">This is a copy of the status page, made at 3:02 AM Pacific time on Wednesday, November 25, 2026. It shows what was known then.</p>` + "\n"
	byPath := map[string]web.Document{}
	for _, d := range cp {
		byPath[d.Path] = d
	}
	kinds := map[string]int{}
	for _, d := range docs {
		c, ok := byPath[d.Path]
		if !ok {
			t.Errorf("the copy has no %s", d.Path)
			continue
		}
		if c.ContentType != d.ContentType || c.CacheControl != d.CacheControl || c.CacheControl == "" {
			t.Errorf("%s: copy typed %q, %q; served %q, %q", d.Path, c.ContentType, c.CacheControl, d.ContentType, d.CacheControl)
		}
		switch {
		case strings.HasPrefix(d.ContentType, "text/html"):
			kinds["page"]++
			main := []byte(`<main id="main" class="wrap">` + "\n")
			if bytes.Count(c.Body, []byte(line)) != 1 || !bytes.Equal(bytes.Replace(c.Body, []byte(line), nil, 1), d.Body) ||
				!bytes.Contains(c.Body, append(main, line...)) {
				t.Errorf("%s: the copy is not the page with the copy line at the top of its main content:\n%.1500s", d.Path, c.Body)
			}
		case strings.HasPrefix(d.Path, "/api/v2/"):
			kinds["json"]++
			var served, copied map[string]json.RawMessage
			if err := json.Unmarshal(d.Body, &served); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(c.Body, &copied); err != nil {
				t.Fatalf("%s: the copy is not JSON: %v", d.Path, err)
			}
			if string(copied["mirror"]) != `{"made_at":"2026-11-25T03:02:00.000-08:00"}` {
				t.Errorf("%s: mirror = %s", d.Path, copied["mirror"])
			}
			delete(copied, "mirror")
			if len(copied) != len(served) {
				t.Errorf("%s: keys %d in the copy, %d served", d.Path, len(copied), len(served))
			}
			for k, v := range served {
				if !bytes.Equal(copied[k], v) {
					t.Errorf("%s: %s changed in the copy", d.Path, k)
				}
			}
		default:
			kinds["other"]++
			if !bytes.Equal(c.Body, d.Body) {
				t.Errorf("%s changed in the copy", d.Path)
			}
		}
	}
	if kinds["page"] < 10 || kinds["json"] != 8 || kinds["other"] < 4 {
		t.Errorf("documents copied: %v; want every page, the 8 /api/v2 documents, the feeds, the calendar and the stylesheet", kinds)
	}
	for _, p := range []string{"/subscribe", "/subscribe/confirm", "/manage", "/unsubscribe", "/lookup"} {
		d, ok := byPath[p]
		if !ok || !bytes.Contains(d.Body, []byte("needs the live page")) || !bytes.Contains(d.Body, []byte(`href="`+p+`"`)) ||
			!bytes.Contains(d.Body, []byte(line)) {
			t.Errorf("the copy's %s does not say it needs the live page: %.2000s", p, d.Body)
		}
	}
	for _, d := range cp {
		// The calendar is plain text, where a title's "<script>" is harmless.
		if bytes.Contains(d.Body, []byte(draftText)) || strings.HasPrefix(d.ContentType, "text/html") && bytes.Contains(d.Body, []byte(`<script>alert`)) {
			t.Errorf("%s: a draft or unescaped text in the copy", d.Path)
		}
	}
	if _, err := web.Copy([]web.Document{{Path: "/x", ContentType: "text/html; charset=utf-8", Body: []byte("<p>no main</p>")}}, f.cfg, madeAt); err == nil {
		t.Error("a page without a main element: no error")
	}
}

// The documents are told rebuilt once every phase is in: a listener reading
// them then finds a new incident's page with the front page that links it.
func TestOnRebuiltTellsOnceEveryDocumentIsIn(t *testing.T) {
	f := newPagesFixture(t)
	seen := make(chan []web.Document, 10)
	f.site.OnRebuilt(func() { seen <- f.site.Served() })
	ctx := context.Background()
	in, err := f.svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Mail on flexo slow", Body: "Looking.",
		StartedAt: time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC), Components: map[string]status.ComponentStatus{"flexo/email": status.DegradedPerformance}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.site.RebuildChanged(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case docs := <-seen:
		i := slices.IndexFunc(docs, func(d web.Document) bool { return d.Path == "/" })
		j := slices.IndexFunc(docs, func(d web.Document) bool { return d.Path == "/incidents/"+itoa(in.ID) })
		if i < 0 || j < 0 || !bytes.Contains(docs[i].Body, []byte("Mail on flexo slow")) {
			t.Errorf("told rebuilt, the documents lack the front page or the incident's page (%d, %d)", i, j)
		}
	default:
		t.Fatal("a rebuild told no listener")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

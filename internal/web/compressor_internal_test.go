package web

import (
	"bytes"
	"fmt"
	"testing"
)

// rendered returns a render buffer holding body, as builder.render hands
// one to a compressor.
func rendered(body string) *bytes.Buffer {
	buf := renderBufs.Get().(*bytes.Buffer)
	buf.WriteString(body)
	return buf
}

func TestCompressorKeepsUnchangedPagesAndCompressesTheOthers(t *testing.T) {
	page := func(s string) string {
		return `<!doctype html><html lang="en"><title>` + s + `</title><p>` + s + "</p></html>\n"
	}
	old, err := newAsset("/components/s1/web", []byte(page("same")), htmlType, "")
	if err != nil {
		t.Fatal(err)
	}
	c := newCompressor(map[string]*asset{"/components/s1/web": old})
	c.put("/components/s1/web", rendered(page("same")))
	// More pages than cores, so some wait for a slot.
	for i := range 20 {
		c.put(fmt.Sprintf("/components/s1/m%d", i), rendered(page(fmt.Sprint("changed ", i))))
	}
	c.put("/history/2026-12", rendered(page("December")))
	c.alias("/history", "/history/2026-12")
	made, err := c.wait()
	if err != nil {
		t.Fatal(err)
	}
	if len(made) != 23 {
		t.Fatalf("made %d assets, want 23: %v", len(made), made)
	}
	if made["/components/s1/web"] != old {
		t.Error("an unchanged page got a new asset (a new ETag for the same bytes)")
	}
	for i := range 20 {
		a := made[fmt.Sprintf("/components/s1/m%d", i)]
		if a == nil {
			t.Fatalf("page m%d not made", i)
		}
		if a.body != nil {
			t.Errorf("page m%d keeps its rendered body; a component page is kept compressed only", i)
		}
		if got, want := string(a.plain()), page(fmt.Sprint("changed ", i)); got != want {
			t.Errorf("page m%d decompresses to %q, want %q", i, got, want)
		}
		if a.etag == old.etag {
			t.Errorf("page m%d has the unchanged page's ETag", i)
		}
	}
	if made["/history"] == nil || made["/history"] != made["/history/2026-12"] {
		t.Error("/history is not the current month's page")
	}
	if got := string(made["/history"].plain()); got != page("December") {
		t.Errorf("/history is %q", got)
	}
}

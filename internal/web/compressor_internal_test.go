package web

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"runtime"
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

// TestLargeDocumentsCompressedFaster: a document past largeDoc is
// compressed by the other compressor, and any gzip reader reads it back.
func TestLargeDocumentsCompressedFaster(t *testing.T) {
	var b bytes.Buffer
	for i := 0; b.Len() <= largeDoc; i++ {
		fmt.Fprintf(&b, `{"id":"s%d/web","name":"Web %d","status":"operational"},`, i, i)
	}
	body := b.Bytes()
	a, err := newAsset("/api/v2/summary.json", body, "application/json; charset=utf-8", "")
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(a.gz))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, body) {
		t.Fatalf("read back %d bytes, want the %d compressed", len(got), len(body))
	}
	if len(a.gz) > len(body)/5 {
		t.Errorf("%d bytes compressed to %d", len(body), len(a.gz))
	}
}

// kept is how many compressors the list holds.
func (c *compressors) kept() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.free)
}

// The compressors of a rebuild outlive garbage collections (a write at a
// large fleet's size makes several): the next rebuild takes the same ones
// instead of making a megabyte of tables each again. They are let go once
// unused for compressorsIdle.
func TestCompressorsOutliveCollectionsUntilIdle(t *testing.T) {
	made := 0
	list := &compressors{make: func() gzipWriter {
		made++
		zw, _ := gzip.NewWriterLevel(nil, gzip.BestCompression)
		return zw
	}}
	zw := list.get()
	list.put(zw)
	runtime.GC()
	runtime.GC()
	if got := list.get(); got != zw || made != 1 {
		t.Fatalf("after two collections the list made a new compressor (%d made)", made)
	}
	list.put(zw)
	list.trim() // used just now: kept
	if list.kept() != 1 {
		t.Fatalf("a compressor used just now was let go")
	}
	list.mu.Lock()
	list.used = list.used.Add(-compressorsIdle)
	list.mu.Unlock()
	list.trim()
	if list.kept() != 0 {
		t.Fatalf("%d compressors kept after %v unused", list.kept(), compressorsIdle)
	}
	// A put after the list was emptied keeps again.
	list.put(list.get())
	if list.kept() != 1 || made != 2 {
		t.Fatalf("kept %d, made %d after the list was emptied", list.kept(), made)
	}
	list.mu.Lock()
	list.timer.Stop()
	list.mu.Unlock()
}

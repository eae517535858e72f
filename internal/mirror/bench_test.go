package mirror

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// siteFiles is a copy the size of a busy year's site: 500 pages of 10 KB.
func siteFiles(stamp int) []File {
	body := strings.Repeat("x", 10<<10)
	files := make([]File, 0, 501)
	for i := range 500 {
		files = append(files, File{Name: fmt.Sprintf("incidents/%d/index.html", i), Body: []byte(fmt.Sprintf("made at %d %s", stamp, body))})
	}
	return append(files, File{Name: IndexName, Body: []byte(fmt.Sprint(stamp))})
}

// BenchmarkDirPublish writes a copy whose every page changed (each copy's
// pages say when it was made), and one where nothing did.
func BenchmarkDirPublish(b *testing.B) {
	for _, changed := range []bool{true, false} {
		b.Run(fmt.Sprintf("changed=%v", changed), func(b *testing.B) {
			d := Dir{Root: filepath.Join(b.TempDir(), "site")}
			if err := d.Publish(context.Background(), siteFiles(0)); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := range b.N {
				stamp := 0
				if changed {
					stamp = i + 1
				}
				if err := d.Publish(context.Background(), siteFiles(stamp)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

package syncbuf_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/heraldhq/herald/internal/syncbuf"
)

// TestConcurrentWrites: lines written from many goroutines at once all
// arrive whole (run with -race: the buffer is what the mutex guards), and
// Take hands them over once.
func TestConcurrentWrites(t *testing.T) {
	var b syncbuf.Buffer
	const writers, lines = 8, 200
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range lines {
				fmt.Fprintf(&b, "w%d line %d\n", w, i)
				_ = b.String()
			}
		}()
	}
	wg.Wait()
	got := strings.Split(strings.TrimSuffix(b.Take(), "\n"), "\n")
	if len(got) != writers*lines {
		t.Fatalf("%d lines, want %d", len(got), writers*lines)
	}
	seen := map[string]bool{}
	for _, l := range got {
		seen[l] = true
	}
	for w := range writers {
		for i := range lines {
			if l := fmt.Sprintf("w%d line %d", w, i); !seen[l] {
				t.Fatalf("%q lost or torn", l)
			}
		}
	}
	if s := b.String(); s != "" {
		t.Errorf("after Take the buffer holds %q", s)
	}
	b.Write([]byte("again"))
	if s := b.String(); s != "again" {
		t.Errorf("after a write following Take: %q", s)
	}
}

package store_test

import (
	"testing"

	"github.com/heraldhq/herald/internal/store/storetest"
)

// BenchmarkChangesAfterNothing is the change log's follower reading it
// when nothing changed, which it does every second on every instance
// (go test ./internal/store -bench ChangesAfterNothing -benchmem).
func BenchmarkChangesAfterNothing(b *testing.B) {
	be := storetest.SQLite(b)
	ctx := b.Context()
	for b.Loop() {
		if refs, err := be.Store.ChangesAfter(ctx, 1<<40, 100); err != nil || len(refs) != 0 {
			b.Fatal(refs, err)
		}
	}
}

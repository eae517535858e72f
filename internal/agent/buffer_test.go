package agent

import (
	"fmt"
	"testing"
	"time"
)

func results(from, n int) []Result {
	out := make([]Result, n)
	for i := range out {
		out[i] = Result{RID: fmt.Sprintf("r%d", from+i), Monitor: "g/c/http", At: time.Unix(int64(from+i), 0).UTC(), Level: "up"}
	}
	return out
}

// drain sends every segment (in order) and returns the ids sent.
func drain(t *testing.T, b *Buffer) []string {
	t.Helper()
	var got []string
	for {
		id, rs, ok, err := b.Oldest()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return got
		}
		for _, r := range rs {
			got = append(got, r.RID)
		}
		b.Done(id)
	}
}

// The buffer keeps the newest results up to its limit, drops the oldest
// first and counts them, survives a restart, and hands results out in order.
func TestBufferBoundedOldestDropped(t *testing.T) {
	dir := t.TempDir()
	b, err := OpenBuffer(dir, 50)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := b.Add(results(i*40, 40)); err != nil {
			t.Fatal(err)
		}
	}
	if b.Len() != 50 || b.Dropped() != 70 {
		t.Fatalf("after 120 results into a buffer of 50: %d kept, %d dropped; want 50 and 70", b.Len(), b.Dropped())
	}
	// A restart finds what was buffered, and the count.
	b, err = OpenBuffer(dir, 50)
	if err != nil {
		t.Fatal(err)
	}
	if b.Len() != 50 || b.Dropped() != 70 {
		t.Fatalf("reopened: %d kept, %d dropped; want 50 and 70", b.Len(), b.Dropped())
	}
	got := drain(t, b)
	if len(got) != 50 {
		t.Fatalf("drained %d results, want 50: %v", len(got), got)
	}
	for i, rid := range got {
		if want := fmt.Sprintf("r%d", 70+i); rid != want {
			t.Fatalf("result %d is %s, want %s (the newest 50, in order): %v", i, rid, want, got)
		}
	}
	if b.Len() != 0 {
		t.Fatalf("%d left after draining", b.Len())
	}
}

// A segment being sent while the limit drops part of it is removed whole
// once sent, and nothing else goes with it.
func TestBufferDoneAfterTrim(t *testing.T) {
	b, err := OpenBuffer(t.TempDir(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Add(results(0, 8)); err != nil {
		t.Fatal(err)
	}
	id, rs, ok, err := b.Oldest()
	if err != nil || !ok || len(rs) != 8 {
		t.Fatalf("oldest: %d results, %v %v", len(rs), ok, err)
	}
	if err := b.Add(results(8, 5)); err != nil { // 13 > 10: three of the first segment go
		t.Fatal(err)
	}
	b.Done(id)
	got := drain(t, b)
	if len(got) != 5 || got[0] != "r8" || b.Dropped() != 3 {
		t.Fatalf("after sending the trimmed segment: left %v, dropped %d; want r8..r12 and 3", got, b.Dropped())
	}
}

package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Buffer holds results on disk until the server has them: a folder of
// segment files, one per batch, sent oldest first. It is bounded by a number
// of results; past it the oldest are dropped, and counted (the count is kept
// on disk too, and reported to the server with each push).
type Buffer struct {
	dir   string
	limit int

	mu      sync.Mutex
	segs    []segment // oldest first
	total   int
	next    uint64
	dropped int64
}

type segment struct {
	seq uint64
	n   int
}

const droppedFile = "dropped"

// OpenBuffer opens (or makes) the buffer in dir, holding at most limit results.
func OpenBuffer(dir string, limit int) (*Buffer, error) {
	if limit < 1 {
		return nil, errors.New("the buffer must hold at least one result")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("agent buffer: %w", err)
	}
	b := &Buffer{dir: dir, limit: limit}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("agent buffer: %w", err)
	}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			continue
		}
		seq, err := strconv.ParseUint(name, 10, 64)
		if err != nil {
			continue
		}
		rs, err := b.read(seq)
		if err != nil {
			// A segment cut short by a crash mid-write: what it held is lost, and counted.
			_ = os.Remove(b.path(seq))
			continue
		}
		b.segs = append(b.segs, segment{seq: seq, n: len(rs)})
		b.total += len(rs)
		b.next = max(b.next, seq+1)
	}
	sort.Slice(b.segs, func(i, j int) bool { return b.segs[i].seq < b.segs[j].seq })
	if raw, err := os.ReadFile(filepath.Join(dir, droppedFile)); err == nil {
		b.dropped, _ = strconv.ParseInt(strings.TrimSpace(string(raw)), 10, 64)
	}
	b.trim()
	return b, nil
}

func (b *Buffer) path(seq uint64) string { return filepath.Join(b.dir, fmt.Sprintf("%020d.json", seq)) }

func (b *Buffer) read(seq uint64) ([]Result, error) {
	raw, err := os.ReadFile(b.path(seq))
	if err != nil {
		return nil, err
	}
	var rs []Result
	if err := json.Unmarshal(raw, &rs); err != nil {
		return nil, err
	}
	return rs, nil
}

// write stores a segment whole or not at all (written aside, then renamed).
func (b *Buffer) write(seq uint64, rs []Result) error {
	raw, err := json.Marshal(rs)
	if err != nil {
		return err
	}
	tmp := b.path(seq) + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, b.path(seq))
}

// Add stores results as one segment (at most MaxBatch each), then drops the
// oldest results past the limit.
func (b *Buffer) Add(rs []Result) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for len(rs) > 0 {
		n := min(len(rs), MaxBatch)
		if err := b.write(b.next, rs[:n]); err != nil {
			return fmt.Errorf("agent buffer: %w", err)
		}
		b.segs = append(b.segs, segment{seq: b.next, n: n})
		b.total += n
		b.next++
		rs = rs[n:]
	}
	b.trim()
	return nil
}

// trim drops the oldest results past the limit. Called with mu held.
func (b *Buffer) trim() {
	over := b.total - b.limit
	if over <= 0 {
		return
	}
	for over > 0 && len(b.segs) > 0 {
		s := b.segs[0]
		if s.n <= over {
			_ = os.Remove(b.path(s.seq))
			b.segs = b.segs[1:]
			b.total -= s.n
			b.dropped += int64(s.n)
			over -= s.n
			continue
		}
		rs, err := b.read(s.seq)
		if err != nil {
			rs = nil
		}
		keep := rs[min(over, len(rs)):]
		if err := b.write(s.seq, keep); err != nil {
			keep = nil
			_ = os.Remove(b.path(s.seq))
		}
		b.dropped += int64(s.n - len(keep))
		b.total -= s.n - len(keep)
		b.segs[0].n = len(keep)
		over = 0
	}
	_ = os.WriteFile(filepath.Join(b.dir, droppedFile), []byte(strconv.FormatInt(b.dropped, 10)+"\n"), 0o600)
}

// Oldest returns the oldest segment's results and its id, or ok false when
// the buffer is empty.
func (b *Buffer) Oldest() (id uint64, rs []Result, ok bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for len(b.segs) > 0 {
		s := b.segs[0]
		rs, err := b.read(s.seq)
		if err != nil {
			return 0, nil, false, fmt.Errorf("agent buffer: %w", err)
		}
		if len(rs) == 0 {
			_ = os.Remove(b.path(s.seq))
			b.segs = b.segs[1:]
			continue
		}
		return s.seq, rs, true, nil
	}
	return 0, nil, false, nil
}

// Done removes a segment the server has; one already dropped is no matter.
func (b *Buffer) Done(id uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, s := range b.segs {
		if s.seq == id {
			_ = os.Remove(b.path(id))
			b.total -= s.n
			b.segs = append(b.segs[:i], b.segs[i+1:]...)
			return
		}
	}
}

// Len is how many results wait; Dropped how many were ever dropped.
func (b *Buffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.total
}

// Dropped is how many results the buffer has dropped, ever.
func (b *Buffer) Dropped() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dropped
}

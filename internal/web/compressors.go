package web

import (
	"compress/gzip"
	"io"
	"runtime"
	"sync"
	"time"

	kgzip "github.com/klauspost/compress/gzip"
)

// compressors keeps the gzip writers of rebuilds between them. A sync.Pool
// is emptied by each garbage collection, and a write at a large fleet's size
// makes two or three: every rebuild then made its compressors anew, about a
// megabyte of tables each (2 MB a write in bench/scale at ten years, and the
// time to clear them). The list keeps one per core at most, and lets them go
// once no rebuild has used them for compressorsIdle, so a quiet server holds
// none.
type compressors struct {
	mu    sync.Mutex
	free  []gzipWriter
	used  time.Time // when a writer was last given back
	timer *time.Timer
	make  func() gzipWriter
}

// gzipWriter is a kept compressor of either kind.
type gzipWriter interface {
	Reset(io.Writer)
	Write([]byte) (int, error)
	Close() error
}

// compressorsIdle is how long unused compressors are kept.
const compressorsIdle = time.Minute

// gzips are the compressors of every rebuild: a best-compression writer
// holds about a megabyte of tables, too much to make anew for each of the
// hundreds of documents a rebuild compresses.
var gzips = &compressors{make: func() gzipWriter {
	zw, err := gzip.NewWriterLevel(nil, gzip.BestCompression)
	if err != nil {
		panic(err) // only for a bad level
	}
	return zw
}}

// largeDoc is the size past which a document is compressed at the default
// level of klauspost/compress's gzip instead of the standard library's best:
// a large fleet's JSON documents (summary.json and components.json 400-700
// KB at 1,000 components, scheduled-maintenances.json 2.3 MB), front page
// (600 KB), incidents.json and feeds (100-150 KB) are compressed again after
// every write, since each carries the page's time of last change. Over
// bench/scale's documents the standard library's best level took 8 times
// klauspost's default for 1 to 6 per cent fewer bytes (incidents.json, 85
// KB: 1.49 against 0.18 ms, 5,419 against 5,764 bytes; summary.json: 10.8
// against 1.5 ms, 30.0 against 30.5 KB). Smaller documents (a component's
// page, a month of history, a badge) keep the best level, where bytes matter
// more than time (docs/dependencies.md).
const largeDoc = 64 << 10

var largeGzips = &compressors{make: func() gzipWriter {
	zw, err := kgzip.NewWriterLevel(nil, kgzip.DefaultCompression)
	if err != nil {
		panic(err) // only for a bad level
	}
	return zw
}}

// get takes a compressor from the list, or makes one.
func (c *compressors) get() gzipWriter {
	c.mu.Lock()
	if n := len(c.free); n > 0 {
		zw := c.free[n-1]
		c.free = c.free[:n-1]
		c.mu.Unlock()
		return zw
	}
	c.mu.Unlock()
	return c.make()
}

// put gives zw back, to be kept while rebuilds use the list.
func (c *compressors) put(zw gzipWriter) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.used = time.Now()
	if len(c.free) < runtime.GOMAXPROCS(0) {
		c.free = append(c.free, zw)
	}
	if c.timer == nil {
		c.timer = time.AfterFunc(compressorsIdle, c.trim)
	}
}

// trim lets the kept compressors go once none was used for compressorsIdle.
func (c *compressors) trim() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if idle := time.Since(c.used); idle < compressorsIdle {
		c.timer.Reset(compressorsIdle - idle)
		return
	}
	c.free, c.timer = nil, nil
}

// Package refusal logs what Herald refuses (rate limits, bad tokens, failed
// sign-ins) without letting a flood write a line per request: the first
// refusal of a kind from a client is logged at once, the ones after it are
// counted and told in one line per client and kind per period (a minute).
package refusal

import (
	"context"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/heraldhq/herald/internal/peer"
)

// Period is how often counted refusals are logged.
const Period = time.Minute

// maxEntries bounds the memory a flood from many addresses can take; past
// it, refusals from new clients are counted together under "other".
const maxEntries = 10000

// Log counts refusals per client and kind. A nil *Log drops them.
type Log struct {
	log *slog.Logger
	now func() time.Time

	mu   sync.Mutex
	open map[key]*entry
}

type key struct{ client, kind string }

type entry struct {
	since time.Time // when the line that opened this period was written
	more  int       // refusals since, not yet logged
}

// New makes a Log writing to log; now may be nil (the real clock).
func New(log *slog.Logger, now func() time.Time) *Log {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Log{log: log, now: now, open: map[key]*entry{}}
}

// Note records one refusal of kind (a short fixed phrase such as "sign-in
// failed" or "rate limited: look-up") for client. The first of a period is
// logged at once with attrs; later ones are only counted.
func (l *Log) Note(client netip.Addr, kind string, attrs ...slog.Attr) {
	if l == nil {
		return
	}
	k := key{peer.Key(client), kind}
	l.mu.Lock()
	e, ok := l.open[k]
	if ok {
		e.more++
		l.mu.Unlock()
		return
	}
	if len(l.open) >= maxEntries {
		k.client = "other"
		if e, ok := l.open[k]; ok {
			e.more++
			l.mu.Unlock()
			return
		}
	}
	l.open[k] = &entry{since: l.now()}
	l.mu.Unlock()
	args := make([]any, 0, len(attrs)+2)
	args = append(args, slog.String("client", k.client), slog.String("refused", kind))
	for _, a := range attrs {
		args = append(args, a)
	}
	l.log.Warn("request refused; more like it from this client are counted and logged once a minute", args...)
}

// Flush logs the counts of every period that has run its course, and
// forgets the clients that were refused nothing more in it. With all set,
// it logs every count now (at shutdown).
func (l *Log) Flush(all bool) {
	if l == nil {
		return
	}
	now := l.now()
	type line struct {
		k    key
		n    int
		over time.Duration
	}
	var lines []line
	l.mu.Lock()
	for k, e := range l.open {
		if !all && now.Sub(e.since) < Period {
			continue
		}
		if e.more == 0 {
			delete(l.open, k)
			continue
		}
		lines = append(lines, line{k, e.more, now.Sub(e.since)})
		e.since, e.more = now, 0
	}
	l.mu.Unlock()
	for _, ln := range lines {
		l.log.Warn("requests refused", slog.String("client", ln.k.client), slog.String("refused", ln.k.kind),
			slog.Int("count", ln.n), slog.Duration("over", ln.over.Round(time.Second)))
	}
}

// Run flushes every few seconds until ctx ends, then once more for all.
func (l *Log) Run(ctx context.Context) {
	t := time.NewTicker(Period / 6)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			l.Flush(true)
			return
		case <-t.C:
			l.Flush(false)
		}
	}
}

package mirror

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/web"
)

// Every is the least time between two copies sent to one target: changes
// in a burst make one copy.
const Every = 5 * time.Second

// retryMax is the longest wait before trying a failed target again.
const retryMax = time.Minute

// Source gives the documents of every public page served now (web.Site.ServedAll).
type Source interface{ ServedAll() []web.PageDocs }

// Publisher keeps one target's copy current: after Notify (each rebuild of
// the site), at most once every Every, it sends a copy when the documents
// changed. A failure is logged and tried again after a growing wait, with
// no Notify needed. It runs on its own goroutine: a slow or failing target
// never holds up the site.
type Publisher struct {
	Target Target
	Site   Source
	Config func() config.Config
	Now    func() time.Time // the time a copy says it was made
	Log    *slog.Logger
	// Wait sleeps d or until ctx ends, reporting whether d passed; nil is
	// a real timer. Tests give one that does not sleep.
	Wait func(ctx context.Context, d time.Duration) bool

	wake chan struct{}
}

// NewPublisher makes a publisher; call Run, and Notify after each change.
func NewPublisher(t Target, site Source, cfg func() config.Config, now func() time.Time, log *slog.Logger) *Publisher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Publisher{Target: t, Site: site, Config: cfg, Now: now, Log: log, wake: make(chan struct{}, 1)}
}

// Notify says the documents may have changed. It never blocks.
func (p *Publisher) Notify() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Run sends a copy at once, then after each Notify, until ctx ends.
func (p *Publisher) Run(ctx context.Context) {
	wait := p.Wait
	if wait == nil {
		wait = sleep
	}
	var (
		sent     [32]byte // the documents the target holds a copy of
		haveSent bool
		failures int
		retry    <-chan time.Time
	)
	p.Notify()
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
		case <-retry:
		}
		retry = nil
		docs := p.Site.ServedAll()
		sum := fingerprint(docs)
		if haveSent && sum == sent {
			continue
		}
		start := time.Now()
		err := p.publish(ctx, docs)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			failures++
			backoff := min(Every<<min(failures-1, 8), retryMax)
			p.Log.Error("mirror: copy not sent; trying again", slog.String("target", p.Target.String()),
				slog.Int("failures", failures), slog.Duration("retry_in", backoff), slog.Any("err", err))
			// The first Every of the wait holds off a Notify too.
			if !wait(ctx, Every) {
				return
			}
			retry = p.after(ctx, wait, backoff-Every)
			continue
		}
		if failures > 0 {
			p.Log.Info("mirror: copy sent again after failures", slog.String("target", p.Target.String()), slog.Int("failures", failures))
		}
		failures, sent, haveSent = 0, sum, true
		p.Log.Info("mirror: copy sent", slog.String("target", p.Target.String()), slog.Int("documents", count(docs)),
			slog.Duration("took", time.Since(start).Round(time.Millisecond)))
		// At most one copy every Every: a Notify meanwhile waits its turn.
		if !wait(ctx, Every) {
			return
		}
	}
}

// after is a channel that fires once wait(d) has passed.
func (p *Publisher) after(ctx context.Context, wait func(context.Context, time.Duration) bool, d time.Duration) <-chan time.Time {
	c := make(chan time.Time, 1)
	go func() {
		if wait(ctx, d) {
			c <- time.Now()
		}
	}()
	return c
}

func (p *Publisher) publish(ctx context.Context, docs []web.PageDocs) error {
	files, err := MakeAll(docs, p.Config(), p.Now())
	if err != nil {
		return err
	}
	return p.Target.Publish(ctx, files)
}

func count(parts []web.PageDocs) int {
	n := 0
	for _, p := range parts {
		n += len(p.Docs)
	}
	return n
}

// fingerprint tells one set of documents from another.
func fingerprint(parts []web.PageDocs) [32]byte {
	h := sha256.New()
	var n [8]byte
	for _, pd := range parts {
		page := ""
		if pd.Page != nil {
			page = pd.Page.ID + " " + pd.Page.MirrorFolder()
		}
		for _, d := range append([]web.Document{{Path: page}}, pd.Docs...) {
			for _, part := range [][]byte{[]byte(d.Path), []byte(d.ContentType), []byte(d.CacheControl), d.Body} {
				for i := range n {
					n[i] = byte(len(part) >> (8 * i))
				}
				h.Write(n[:])
				h.Write(part)
			}
		}
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

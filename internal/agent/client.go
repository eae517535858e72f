package agent

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heraldhq/herald/internal/monitor"
	"github.com/heraldhq/herald/internal/probe"
	"github.com/heraldhq/herald/internal/status"
)

// Options configure an agent.
type Options struct {
	Server   string // the Herald server's base URL
	Token    string // an agent token for Location
	Location string
	// Dir keeps the buffer and the last assignment, so a restart while the
	// server cannot be reached keeps checking and loses nothing buffered.
	Dir string
	// BufferLimit bounds the results buffered; 0 means 100,000.
	BufferLimit int
	// Env is what probes dial through.
	Env     probe.Env
	Version string
	// Client talks to the server; nil is a client with a 90 s timeout.
	Client *http.Client
	// Wait is the assignment long poll; 0 means 30 s.
	Wait time.Duration
	// FlushEvery is how often results are buffered and pushed; 0 means 1 s.
	FlushEvery time.Duration
	Log        *slog.Logger
}

// Agent checks a location's monitors and pushes the results.
type Agent struct {
	o       Options
	buf     *Buffer
	run     string // this process's part of result ids
	seq     atomic.Uint64
	results chan Result
	pushed  chan struct{}
	mu      sync.Mutex
	runners map[string]*agentRunner
	etag    string
	Sent    atomic.Int64 // results the server took (a push sent again counts again)
	Made    atomic.Int64 // results made: checks whose result went to the buffer
}

type agentRunner struct {
	spec   Assigned
	cancel context.CancelFunc
	done   chan struct{}
}

// New prepares an agent; Run runs it.
func New(o Options) (*Agent, error) {
	if o.Server == "" || o.Token == "" || o.Location == "" || o.Dir == "" {
		return nil, errors.New("agent: server, token, location and data folder are required")
	}
	u, err := url.Parse(o.Server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("agent: --server %q is not an http(s) URL", o.Server)
	}
	o.Server = strings.TrimSuffix(o.Server, "/")
	if o.BufferLimit <= 0 {
		o.BufferLimit = 100_000
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 90 * time.Second}
	}
	if o.Wait <= 0 {
		o.Wait = 30 * time.Second
	}
	if o.FlushEvery <= 0 {
		o.FlushEvery = time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	buf, err := OpenBuffer(filepath.Join(o.Dir, "buffer"), o.BufferLimit)
	if err != nil {
		return nil, err
	}
	return &Agent{o: o, buf: buf, run: rand.Text()[:10], results: make(chan Result, 4096), pushed: make(chan struct{}, 1),
		runners: map[string]*agentRunner{}}, nil
}

// Buffer is the agent's buffer (for tests and figures).
func (a *Agent) Buffer() *Buffer { return a.buf }

// Run checks and pushes until ctx ends; what is buffered stays on disk.
func (a *Agent) Run(ctx context.Context) error {
	// The last assignment known runs at once: a restart while the server is
	// away keeps checking.
	if raw, err := os.ReadFile(filepath.Join(a.o.Dir, "assignment.json")); err == nil {
		var as Assignment
		if json.Unmarshal(raw, &as) == nil && as.Location == a.o.Location {
			a.assign(as)
		}
	}
	var wg sync.WaitGroup
	// The collector outlives the checks: it stops once they have, so every
	// result made reaches the buffer (stopped first, it left the results of
	// checks still running in the channel, lost).
	collecting, stopCollecting := context.WithCancel(context.Background())
	defer stopCollecting()
	wg.Go(func() { a.collect(collecting) })
	wg.Go(func() { a.push(ctx) })
	a.poll(ctx)
	a.mu.Lock()
	for id, r := range a.runners {
		r.cancel()
		<-r.done
		delete(a.runners, id)
	}
	a.mu.Unlock()
	stopCollecting()
	wg.Wait()
	// What became of every result this run made: taken by the server, or
	// kept in the buffer for the next run (dropped: ever, past the bound).
	a.o.Log.Info("agent stopped", slog.String("location", a.o.Location), slog.String("run", a.run), slog.Int64("made", a.Made.Load()),
		slog.Int64("sent", a.Sent.Load()), slog.Int("buffered", a.buf.Len()), slog.Int64("dropped", a.buf.Dropped()))
	return nil
}

func (a *Agent) request(ctx context.Context, method, path string, body []byte) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.o.Server+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+a.o.Token)
	req.Header.Set(VersionHeader, a.o.Version)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// backoff waits a little longer each failure, up to 10 s.
func backoff(ctx context.Context, fails int) {
	d := min(time.Duration(1<<min(fails, 4))*500*time.Millisecond, 10*time.Second)
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// poll keeps the assignment current: a long poll that answers at once when it changed.
func (a *Agent) poll(ctx context.Context) {
	fails := 0
	for ctx.Err() == nil {
		err := a.fetch(ctx)
		if err == nil {
			fails = 0
			continue
		}
		if ctx.Err() != nil {
			return
		}
		fails++
		a.o.Log.Warn("agent: fetch the assignment; checking on with the last one", slog.Any("err", err))
		backoff(ctx, fails)
	}
}

func (a *Agent) fetch(ctx context.Context) error {
	wait := a.o.Wait
	path := AssignmentPath
	if a.etag != "" {
		path += "?wait=" + wait.String()
	}
	req, err := a.request(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	if a.etag != "" {
		req.Header.Set("If-None-Match", a.etag)
	}
	resp, err := a.o.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNotModified:
		return nil
	case http.StatusOK:
	default:
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		return fmt.Errorf("server answered %s: %s", resp.Status, bytes.TrimSpace(msg))
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	var as Assignment
	if err := json.Unmarshal(raw, &as); err != nil {
		return fmt.Errorf("read the assignment: %w", err)
	}
	if as.Location != a.o.Location {
		return fmt.Errorf("the token is for location %q, not %q", as.Location, a.o.Location)
	}
	a.etag = resp.Header.Get("ETag")
	a.assign(as)
	tmp := filepath.Join(a.o.Dir, "assignment.json.tmp")
	if err := os.WriteFile(tmp, raw, 0o600); err == nil {
		_ = os.Rename(tmp, filepath.Join(a.o.Dir, "assignment.json"))
	}
	return nil
}

// assign runs as's monitors: new ones start, changed ones restart, gone ones stop.
func (a *Agent) assign(as Assignment) {
	a.mu.Lock()
	defer a.mu.Unlock()
	checks := as.checks()
	want := map[string]Assigned{}
	for _, m := range checks {
		want[m.ID] = m
	}
	for id, r := range a.runners {
		if w, ok := want[id]; !ok || !reflect.DeepEqual(w, r.spec) {
			r.cancel()
			<-r.done
			delete(a.runners, id)
		}
	}
	for _, m := range checks {
		if _, ok := a.runners[m.ID]; ok {
			continue
		}
		p, err := probe.New(m.Monitor, a.o.Env)
		if err != nil {
			a.o.Log.Error("agent: cannot run monitor", slog.String("monitor", m.ID), slog.Any("err", err))
			continue
		}
		ctx, cancel := context.WithCancel(context.Background())
		r := &agentRunner{spec: m, cancel: cancel, done: make(chan struct{})}
		a.runners[m.ID] = r
		go a.check(ctx, r, p)
	}
	a.o.Log.Info("agent: assignment", slog.String("location", as.Location), slog.Int("monitors", len(as.Monitors)), slog.Int("references", len(as.References)))
}

// check runs one monitor on the server's slots (monitor.FirstSlot), started
// together with those due within the same few milliseconds (monitor.WakeFor),
// until ctx ends.
func (a *Agent) check(ctx context.Context, r *agentRunner, p probe.Prober) {
	defer close(r.done)
	interval := r.spec.Monitor.Interval.D()
	if interval <= 0 {
		interval = 30 * time.Second
	}
	next := monitor.FirstSlot(time.Now(), r.spec.ID, interval)
	t := time.NewTimer(time.Until(monitor.WakeFor(next)))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		at := time.Now().UTC()
		res := p.Probe(ctx)
		if ctx.Err() != nil {
			return
		}
		out := Result{RID: a.run + "-" + strconv.FormatUint(a.seq.Add(1), 10), Monitor: r.spec.ID, At: at,
			Level: status.Level(res.Outcome).String(), LatencyUS: res.Latency.Microseconds(), Message: truncate(res.Message, maxMessageLen)}
		select {
		case a.results <- out:
			a.Made.Add(1)
		case <-ctx.Done():
			return
		}
		// The next slot after now: a slow check skips slots, never bunches.
		now := time.Now()
		for next = next.Add(interval); !next.After(now); next = next.Add(interval) {
		}
		t.Reset(time.Until(monitor.WakeFor(next)))
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n]
}

// collect moves results into the buffer every FlushEvery.
func (a *Agent) collect(ctx context.Context) {
	t := time.NewTicker(a.o.FlushEvery)
	defer t.Stop()
	var batch []Result
	flush := func() {
		if len(batch) == 0 {
			return
		}
		if err := a.buf.Add(batch); err != nil {
			a.o.Log.Error("agent: buffer results", slog.Any("err", err))
		}
		batch = nil
		select {
		case a.pushed <- struct{}{}:
		default:
		}
	}
	for {
		select {
		case r := <-a.results:
			batch = append(batch, r)
			if len(batch) >= MaxBatch {
				flush()
			}
		case <-t.C:
			flush()
		case <-ctx.Done():
			for {
				select {
				case r := <-a.results:
					batch = append(batch, r)
				default:
					flush()
					return
				}
			}
		}
	}
}

// push sends the buffer's segments oldest first, each until the server has it.
func (a *Agent) push(ctx context.Context) {
	fails := 0
	for ctx.Err() == nil {
		id, rs, ok, err := a.buf.Oldest()
		if err != nil {
			a.o.Log.Error("agent: read the buffer", slog.Any("err", err))
		}
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-a.pushed:
			case <-time.After(a.o.FlushEvery):
			}
			continue
		}
		if err := a.send(ctx, rs); err != nil {
			var refused *refusedError
			if errors.As(err, &refused) {
				// The server will never take it (bad input, not assigned): not retried.
				a.o.Log.Error("agent: results refused", slog.Int("results", len(rs)), slog.Any("err", err))
				a.buf.Done(id)
				continue
			}
			if ctx.Err() != nil {
				return
			}
			fails++
			a.o.Log.Warn("agent: push results; kept for the next try", slog.Int("buffered", a.buf.Len()), slog.Any("err", err))
			backoff(ctx, fails)
			continue
		}
		fails = 0
		a.buf.Done(id)
		a.Sent.Add(int64(len(rs)))
	}
}

type refusedError struct{ msg string }

func (e *refusedError) Error() string { return e.msg }

func (a *Agent) send(ctx context.Context, rs []Result) error {
	body, err := json.Marshal(Push{Dropped: a.buf.Dropped(), Results: rs})
	if err != nil {
		return err
	}
	req, err := a.request(ctx, http.MethodPost, ResultsPath, body)
	if err != nil {
		return err
	}
	resp, err := a.o.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode == http.StatusOK:
		var reply PushReply
		if json.Unmarshal(raw, &reply) == nil && len(reply.Refused) > 0 {
			a.o.Log.Warn("agent: some results refused", slog.Int("refused", len(reply.Refused)), slog.String("first", reply.Refused[0].Reason))
		}
		return nil
	case resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusRequestEntityTooLarge:
		return &refusedError{fmt.Sprintf("server answered %s: %s", resp.Status, bytes.TrimSpace(raw))}
	}
	return fmt.Errorf("server answered %s: %s", resp.Status, bytes.TrimSpace(raw))
}

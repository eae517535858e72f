// Package notify tells subscribers about incidents and maintenance: it turns
// recorded changes into events queued in the same transaction, and workers
// deliver them by e-mail, webhook and chat with retries, exactly one delivery
// record per (subscriber, event) so a crash never resends what was recorded sent.
package notify

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
)

// confirmTTL is how long a confirmation link works.
const confirmTTL = 48 * time.Hour

// Clock tells the time; tests pass a fake one.
type Clock interface{ Now() time.Time }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now().UTC() }

// Options tune the notifier; zero values take the defaults.
type Options struct {
	// Workers is how many deliver at once, each with at most one relay
	// connection; default notify.email.connections (4 without e-mail).
	Workers     int
	Batch       int           // deliveries a worker claims at once; default 50
	Lease       time.Duration // how long a claim is held without renewal; default 60s
	MaxAttempts int           // tries before a delivery is dead; default 8
	BackoffBase time.Duration // first retry delay, doubled each try; default 30s
	BackoffMax  time.Duration // cap on the retry delay; default 6h
	Poll        time.Duration // longest idle wait between queue checks; default 2s
	// AllowAddrs lists ranges webhooks may reach though normally refused
	// (loopback for tests and the demo).
	AllowAddrs []netip.Prefix
	// Resolver and Dialer replace the system's, for tests.
	Resolver Resolver
	Dialer   Dialer
	// Sender replaces SMTP, for tests that record instead of sending.
	Sender Sender
	// SMTPTLS, when set, is the TLS configuration for the relay (a private
	// CA, a test's certificate); the system's roots otherwise.
	SMTPTLS *tls.Config
	Clock   Clock
	// Reminders before a maintenance window; default 24h and 1h (the configuration's, when set).
	Reminders []time.Duration
	// Once, when set, runs work that must run in one instance of several
	// sharing the database (queueing the reminders) under the named lease;
	// nil runs it here.
	Once func(ctx context.Context, name string, work func(context.Context))
}

func (o *Options) defaults() {
	if o.Batch <= 0 {
		o.Batch = 50
	}
	if o.Lease <= 0 {
		o.Lease = time.Minute
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 8
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = 30 * time.Second
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = 6 * time.Hour
	}
	if o.Poll <= 0 {
		o.Poll = 2 * time.Second
	}
	if o.Clock == nil {
		o.Clock = systemClock{}
	}
}

// Notifier queues and delivers notifications.
type Notifier struct {
	st   *store.Store
	svc  *service.Service
	cfg  func() config.Config
	log  *slog.Logger
	opt  Options
	sign signer
	dial *safeDialer
	http *http.Client
	send Sender

	wake chan struct{}
	rate limiter
	// Sent counts deliveries recorded sent by this process (for benchmarks and logs).
	Sent atomic.Int64

	mu     sync.Mutex
	events map[int64]*eventCache

	recorder recorder
}

type eventCache struct {
	ev      *store.Event
	payload Payload
}

// New makes a notifier and registers its hook on the service, so every
// change queues its notifications in the change's own transaction.
func New(ctx context.Context, st *store.Store, svc *service.Service, cfg func() config.Config, log *slog.Logger, opt Options) (*Notifier, func(), error) {
	opt.defaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var fresh [32]byte
	if _, err := rand.Read(fresh[:]); err != nil {
		return nil, nil, err
	}
	key, err := st.SigningKey(ctx, "links", hex.EncodeToString(fresh[:]), opt.Clock.Now())
	if err != nil {
		return nil, nil, err
	}
	raw, err := hex.DecodeString(key)
	if err != nil {
		return nil, nil, fmt.Errorf("signing key: %w", err)
	}
	n := &Notifier{st: st, svc: svc, cfg: cfg, log: log, opt: opt, sign: signer{key: raw},
		wake: make(chan struct{}, 1), events: map[int64]*eventCache{}}
	n.recorder.write = n.writeOutcomes
	n.dial = newSafeDialer(AddrPolicy{Allow: opt.AllowAddrs}, opt.Resolver, opt.Dialer)
	n.http = &http.Client{
		Timeout: 15 * time.Second,
		Transport: &http.Transport{DialContext: n.dial.DialContext, MaxIdleConnsPerHost: 4,
			TLSHandshakeTimeout: 10 * time.Second, ResponseHeaderTimeout: 10 * time.Second, DisableCompression: true},
		// A redirect could lead anywhere; webhooks are not followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	n.send = opt.Sender
	if n.send == nil {
		n.send = &smtpSender{cfg: cfg, log: log, tls: opt.SMTPTLS}
	}
	remove := svc.OnRecord(n.hook)
	svc.OnChange(n.Wake)
	return n, remove, nil
}

// Wake nudges the workers to look at the queue now.
func (n *Notifier) Wake() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// SyncChannels makes the configured operator alert channels subscribers.
// A channel whose token variable is not set is refused, naming it, as is
// one whose address the address policy refuses.
func (n *Notifier) SyncChannels(ctx context.Context, cfg config.Config, getenv func(string) string) error {
	var want []store.Subscriber
	env := func(name string) string {
		if name == "" || getenv == nil {
			return ""
		}
		return getenv(name)
	}
	for _, ch := range cfg.Channels {
		switch ch.Type {
		case "email":
			for _, to := range ch.To {
				want = append(want, store.Subscriber{Kind: store.SubEmail, Address: to})
			}
		case "webhook", "slack", "discord":
			// A signing secret named but unset would send every delivery
			// unsigned, which the receiver refuses (or, worse, accepts).
			secret := env(ch.SecretEnv)
			if ch.SecretEnv != "" && secret == "" {
				return fmt.Errorf("channel %s: the environment variable %s is not set", ch.Name, ch.SecretEnv)
			}
			want = append(want, store.Subscriber{Kind: ch.Type, Address: ch.URL, Secret: secret})
		default:
			if !IsTool(ch.Type) {
				continue
			}
			name := ch.TokenEnv
			if ch.Type == store.SubPagerDuty {
				name = ch.RoutingKeyEnv
			}
			secret := env(name)
			if name != "" && secret == "" {
				return fmt.Errorf("channel %s: the environment variable %s is not set", ch.Name, name)
			}
			addr := ChannelAddress(ch)
			if err := checkTool(ch.Type, addr, secret); err != nil {
				return fmt.Errorf("channel %s: %w", ch.Name, err)
			}
			want = append(want, store.Subscriber{Kind: ch.Type, Address: addr, Secret: secret})
		}
	}
	return n.st.Tx(ctx, func(q *store.Queries) error { return q.SyncOperatorSubscribers(ctx, want, n.opt.Clock.Now()) })
}

// backoff is the wait before try number attempt+1: base·2^(attempt-1), capped.
func (n *Notifier) backoff(attempt int) time.Duration {
	d := n.opt.BackoffBase
	for i := 1; i < attempt && d < n.opt.BackoffMax; i++ {
		d *= 2
	}
	return min(d, n.opt.BackoffMax)
}

// permanent marks an error that retrying cannot fix.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

func isPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p) || errors.Is(err, ErrForbiddenAddress)
}

func jsonString(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

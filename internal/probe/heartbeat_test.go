package probe

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
)

const testToken = "0123456789abcdef-job"

func heartbeatMonitor(t *testing.T, period time.Duration) (hb *Heartbeats, clock *fakeClock, p Prober) {
	t.Helper()
	t.Setenv("HERALD_TEST_HEARTBEAT", testToken)
	m := monitor("heartbeat")
	m.Period = config.Duration(period)
	m.TokenEnv = "HERALD_TEST_HEARTBEAT"
	hb, clock = NewHeartbeats(), newClock()
	p, err := New(m, Env{Now: clock.Now, Heartbeats: hb})
	if err != nil {
		t.Fatal(err)
	}
	return hb, clock, p
}

func TestHeartbeat(t *testing.T) {
	type step struct {
		advance time.Duration
		beat    bool // ping before checking
		outcome Outcome
		msg     string
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"grace counts from registration", []step{
			{0, false, Up, "waiting for the first ping (period 10m)"},
			{10 * time.Minute, false, Up, "waiting for the first ping (period 10m)"},
			{time.Second, false, Down, "no ping since watching began 10m1s ago (period 10m)"},
		}},
		{"pings keep it up", []step{
			{9 * time.Minute, true, Up, "last ping 0s ago"},
			{9 * time.Minute, false, Up, "last ping 9m ago"},
			{0, true, Up, "last ping 0s ago"},
		}},
		{"silence past the period is down", []step{
			{time.Minute, true, Up, "last ping 0s ago"},
			{10*time.Minute + 30*time.Second, false, Down, "no ping for 10m30s (period 10m)"},
			{time.Hour, false, Down, "no ping for 1h10m30s (period 10m)"},
		}},
		{"a ping after silence brings it back", []step{
			{time.Hour, false, Down, "no ping since watching began 1h ago (period 10m)"},
			{0, true, Up, "last ping 0s ago"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hb, clock, p := heartbeatMonitor(t, 10*time.Minute)
			for i, s := range tc.steps {
				clock.Advance(s.advance)
				if s.beat && !hb.Beat(testToken, clock.Now()) {
					t.Fatal("Beat refused the registered token")
				}
				got := p.Probe(context.Background())
				if got.Outcome != s.outcome || got.Message != s.msg {
					t.Errorf("step %d: got %s %q, want %s %q", i, got.Outcome, got.Message, s.outcome, s.msg)
				}
			}
		})
	}
}

func TestHeartbeatsRegistry(t *testing.T) {
	hb := NewHeartbeats()
	if hb.Beat("unknown", epoch) {
		t.Error("Beat accepted an unknown token")
	}
	if _, ok := hb.Last("unknown"); ok {
		t.Error("Last knows an unknown token")
	}
	hb.Register("tok", epoch)
	if _, ok := hb.Last("tok"); ok {
		t.Error("Last has a ping before any")
	}
	hb.Beat("tok", epoch.Add(time.Minute))
	hb.Beat("tok", epoch.Add(30*time.Second)) // late, out of order
	if last, ok := hb.Last("tok"); !ok || !last.Equal(epoch.Add(time.Minute)) {
		t.Errorf("Last = %v %v, want %v: a late ping must not move it back", last, ok, epoch.Add(time.Minute))
	}
	hb.Register("tok", epoch.Add(time.Hour)) // a reload
	if last, _ := hb.Last("tok"); !last.Equal(epoch.Add(time.Minute)) {
		t.Errorf("after re-registering, Last = %v, want the ping kept", last)
	}
	hb.Forget("tok")
	if hb.Beat("tok", epoch) {
		t.Error("Beat accepted a forgotten token")
	}
}

// TestHeartbeatsConcurrent runs pings, checks and registrations at once;
// its value is under -race.
func TestHeartbeatsConcurrent(t *testing.T) {
	hb, clock, p := heartbeatMonitor(t, time.Minute)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				switch i % 3 {
				case 0:
					hb.Beat(testToken, clock.Now())
				case 1:
					p.Probe(context.Background())
				default:
					hb.Register("other", clock.Now())
					hb.Last(testToken)
				}
			}
		}()
	}
	wg.Wait()
	if _, ok := hb.Last(testToken); !ok {
		t.Error("no ping recorded")
	}
}

func TestHeartbeatToken(t *testing.T) {
	cases := []struct {
		name  string
		value *string // nil: unset
		want  string
	}{
		{"unset", nil, "environment variable HERALD_TEST_TOKEN (token_env) is not set"},
		{"empty", ptr(""), "environment variable HERALD_TEST_TOKEN (token_env) is empty"},
		{"too short", ptr("abc"), "must hold at least 16 characters"},
		{"not URL-safe", ptr("0123456789abcdef/../x"), "must hold at least 16 characters of A-Z, a-z, 0-9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.value != nil {
				t.Setenv("HERALD_TEST_TOKEN", *tc.value)
			}
			m := monitor("heartbeat")
			m.Period = config.Duration(time.Minute)
			m.TokenEnv = "HERALD_TEST_TOKEN"
			_, err := New(m, Env{Heartbeats: NewHeartbeats()})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func ptr(s string) *string { return &s }

// beatTable stands in for the database's heartbeats table.
type beatTable struct {
	mu   sync.Mutex
	last map[string]time.Time
}

func (b *beatTable) SaveBeat(_ context.Context, token string, at time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if at.After(b.last[token]) {
		b.last[token] = at
	}
	return nil
}

func (b *beatTable) LastBeat(_ context.Context, token string) (time.Time, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	at, ok := b.last[token]
	return at, ok, nil
}

// A job's ping reaches whichever instance the load balancer picks; the
// monitor runs on another. With the registries shared through the
// database, the ping taken by one keeps the other's monitor up.
func TestHeartbeatSharedAcrossInstances(t *testing.T) {
	hb, clock, p := heartbeatMonitor(t, 10*time.Minute)
	table := &beatTable{last: map[string]time.Time{}}
	hb.Share(table)
	other := NewHeartbeats() // the instance that takes the pings
	other.Share(table)
	other.Register(testToken, clock.Now())

	clock.Advance(time.Hour)
	if r := p.Probe(t.Context()); r.Outcome != Down {
		t.Fatalf("before any ping: %v %q, want down", r.Outcome, r.Message)
	}
	if ok, err := other.BeatShared(t.Context(), testToken, clock.Now()); !ok || err != nil {
		t.Fatalf("beat on the other instance: %v %v", ok, err)
	}
	if r := p.Probe(t.Context()); r.Outcome != Up || r.Message != "last ping 0s ago" {
		t.Fatalf("after a ping taken by the other instance: %v %q, want up", r.Outcome, r.Message)
	}
	if ok, _ := other.BeatShared(t.Context(), "not-a-registered-token", clock.Now()); ok {
		t.Fatal("an unknown token was taken")
	}
	if len(table.last) != 1 {
		t.Fatalf("stored %d tokens, want only the registered one", len(table.last))
	}
}

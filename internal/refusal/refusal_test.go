package refusal

import (
	"bytes"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

type lines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lines) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.buf.Write(p) }
func (l *lines) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := strings.TrimSpace(l.buf.String())
	l.buf.Reset()
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func TestFloodIsOneLinePerClientPerMinute(t *testing.T) {
	var out lines
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	l := New(slog.New(slog.NewTextHandler(&out, nil)), func() time.Time { return now })
	flooder, other := netip.MustParseAddr("203.0.113.9"), netip.MustParseAddr("2001:db8::1")

	for i := 0; i < 550; i++ {
		l.Note(flooder, "sign-in failed", slog.String("user", "alice"))
	}
	l.Note(other, "sign-in failed")
	l.Note(flooder, "rate limited: look-up")
	got := out.take()
	if len(got) != 3 {
		t.Fatalf("551 refusals from two clients wrote %d lines, want 3 (one per client and kind):\n%s", len(got), strings.Join(got, "\n"))
	}
	if !strings.Contains(got[0], "client=203.0.113.9") || !strings.Contains(got[0], `refused="sign-in failed"`) || !strings.Contains(got[0], "user=alice") {
		t.Errorf("first line = %s", got[0])
	}
	if !strings.Contains(got[1], "client=2001:db8::/64") {
		t.Errorf("IPv6 client not grouped by /64: %s", got[1])
	}

	now = now.Add(30 * time.Second)
	l.Flush(false)
	if got := out.take(); len(got) != 0 {
		t.Errorf("a flush within the minute wrote %v", got)
	}
	now = now.Add(31 * time.Second)
	l.Flush(false)
	got = out.take()
	if len(got) != 1 || !strings.Contains(got[0], "count=549") || !strings.Contains(got[0], "client=203.0.113.9") {
		t.Fatalf("after a minute: %v, want one line counting the 549 not yet told", got)
	}

	// A quiet minute: the client is forgotten, and its next refusal is told at once.
	now = now.Add(61 * time.Second)
	l.Flush(false)
	if got := out.take(); len(got) != 0 {
		t.Errorf("a quiet minute wrote %v", got)
	}
	l.Note(flooder, "sign-in failed")
	if got := out.take(); len(got) != 1 {
		t.Errorf("first refusal after a quiet spell: %v, want one line at once", got)
	}
	l.Note(flooder, "sign-in failed")
	l.Flush(true)
	if got := out.take(); len(got) != 1 || !strings.Contains(got[0], "count=1") {
		t.Errorf("final flush: %v", got)
	}
}

func TestBoundedEntries(t *testing.T) {
	var out lines
	l := New(slog.New(slog.NewTextHandler(&out, nil)), nil)
	for i := 0; i < maxEntries+500; i++ {
		l.Note(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), "rate limited")
	}
	if n := len(l.open); n > maxEntries+1 {
		t.Errorf("%d entries kept, want at most %d", n, maxEntries+1)
	}
	if n := len(out.take()); n != maxEntries+1 {
		t.Errorf("%d lines, want %d (one per client, then one for the others)", n, maxEntries+1)
	}
	var nilLog *Log
	nilLog.Note(netip.Addr{}, "x") // a nil Log drops refusals
	nilLog.Flush(true)
}

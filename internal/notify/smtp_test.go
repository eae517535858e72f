package notify

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/notify/smtpsink"
)

// scriptRelay is a small SMTP server on loopback whose behaviour the test
// chooses: with or without PIPELINING, refusing some recipients, closing
// the connection (421) at a given MAIL. With PIPELINING it holds the
// answers to RSET, MAIL and RCPT until it reads DATA (RFC 2920 lets a
// server answer a group at once), so a client that waited for each answer
// would never get one.
// Without it, it notes any command that arrived before the previous answer
// was sent.
type scriptRelay struct {
	t          *testing.T
	ln         net.Listener
	pipelining bool
	reject     map[string]bool
	closeAt    int  // answer the closeAt-th MAIL (counted over all connections) with 421 and hang up; 0 never
	closeEvery bool // and every MAIL after it

	mu        sync.Mutex
	mails     int
	conns     int
	delivered []relayed
	ahead     []string // commands the client sent before their turn
}

type relayed struct {
	to   string
	body string
}

func startRelay(t *testing.T, r *scriptRelay) *scriptRelay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.t, r.ln = t, ln
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { r.serve(c) })
		}
	})
	return r
}

func (r *scriptRelay) addr() string { return r.ln.Addr().String() }

func (r *scriptRelay) serve(c net.Conn) {
	defer c.Close()
	r.mu.Lock()
	r.conns++
	r.mu.Unlock()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	rd := bufio.NewReader(c)
	w := bufio.NewWriter(c)
	answer := func(line string) {
		w.WriteString(line + "\r\n")
		if !r.pipelining {
			w.Flush()
		}
	}
	answer("220 relay ready")
	w.Flush()
	var from string
	var to []string
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		if !r.pipelining && rd.Buffered() > 0 {
			r.mu.Lock()
			r.ahead = append(r.ahead, line)
			r.mu.Unlock()
		}
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch {
		case verb == "EHLO":
			if r.pipelining {
				answer("250-relay\r\n250-PIPELINING\r\n250 8BITMIME")
			} else {
				answer("250-relay\r\n250 8BITMIME")
			}
			w.Flush()
		case verb == "MAIL":
			r.mu.Lock()
			r.mails++
			closing := r.closeAt != 0 && (r.mails == r.closeAt || r.closeEvery && r.mails > r.closeAt)
			r.mu.Unlock()
			if closing {
				answer("421 4.3.2 closing, try again")
				w.Flush()
				return
			}
			if from != "" {
				answer("503 5.5.1 nested MAIL")
				continue
			}
			from = line
			answer("250 2.1.0 ok")
		case verb == "RCPT":
			addr := strings.TrimSuffix(strings.TrimPrefix(line[len("RCPT TO:"):], "<"), ">")
			if from == "" {
				answer("503 5.5.1 MAIL first")
			} else if r.reject[addr] {
				answer("550 5.1.1 no such user")
			} else {
				to = append(to, addr)
				answer("250 2.1.5 ok")
			}
		case verb == "DATA":
			if from == "" || len(to) == 0 {
				answer("554 5.5.1 no valid recipients")
				w.Flush()
				continue
			}
			answer("354 go ahead")
			w.Flush()
			var body strings.Builder
			for {
				l, err := rd.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				body.WriteString(strings.TrimPrefix(l, "."))
			}
			r.mu.Lock()
			for _, a := range to {
				r.delivered = append(r.delivered, relayed{to: a, body: body.String()})
			}
			r.mu.Unlock()
			from, to = "", nil
			answer("250 2.0.0 queued")
			if rd.Buffered() == 0 {
				w.Flush() // nothing follows: the client waits for this
			}
		case verb == "RSET":
			from, to = "", nil
			answer("250 2.0.0 ok")
		case verb == "QUIT":
			answer("221 2.0.0 bye")
			w.Flush()
			return
		default:
			answer("502 5.5.2 unknown command")
		}
	}
}

// completed is how many messages the relay took so far.
func (r *scriptRelay) completed() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.delivered)
}

func testSession(addr string) *smtpSession {
	cfg := config.Config{Notify: config.Notify{Email: &config.Email{SMTP: addr, From: "status@example.net", TLS: "none"}}}
	return &smtpSession{cfg: func() config.Config { return cfg }}
}

func testMessages(addrs ...string) []*Message {
	var out []*Message
	for i, a := range addrs {
		out = append(out, &Message{To: a, Subject: fmt.Sprintf("notice %d", i),
			Text: fmt.Sprintf("Message %d.\n.a line that starts with a dot\n..and two\n", i), ID: fmt.Sprintf("m%d@example.net", i)})
	}
	return out
}

// sendAll runs SendAll and returns each message's result; check, when set,
// runs inside done (before the next message's data may end).
func sendAll(t *testing.T, s *smtpSession, msgs []*Message, check func(i int)) []error {
	t.Helper()
	got := make([]error, len(msgs))
	calls := make([]int, len(msgs))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s.SendAll(ctx, msgs, nil, func(i int, err error) {
		calls[i]++
		got[i] = err
		if check != nil {
			check(i)
		}
	})
	for i, n := range calls {
		if n != 1 {
			t.Errorf("done called %d times for message %d, want once", n, i)
		}
	}
	return got
}

func TestSendAllPipelined(t *testing.T) {
	r := startRelay(t, &scriptRelay{pipelining: true})
	s := testSession(r.addr())
	defer s.Close()
	addrs := []string{"a@example.net", "b@example.net", "c@example.net", "d@example.net", "e@example.net"}
	got := sendAll(t, s, testMessages(addrs...), func(i int) {
		// Told of message i's acceptance before the relay has the end
		// of message i+1: at most one message unrecorded at a time.
		if n := r.completed(); n != i+1 {
			t.Errorf("done(%d) called with %d messages at the relay, want %d", i, n, i+1)
		}
	})
	if !s.pipelining {
		t.Fatal("the relay offers PIPELINING but the session did not see it")
	}
	for i, err := range got {
		if err != nil {
			t.Errorf("message %d: %v", i, err)
		}
	}
	checkDelivered(t, r, addrs)
	if r.conns != 1 {
		t.Errorf("%d connections, want 1", r.conns)
	}
}

func TestSendAllWithoutPipelining(t *testing.T) {
	r := startRelay(t, &scriptRelay{reject: map[string]bool{"gone@example.net": true}})
	s := testSession(r.addr())
	defer s.Close()
	got := sendAll(t, s, testMessages("a@example.net", "gone@example.net", "b@example.net"), nil)
	if s.pipelining {
		t.Fatal("the relay does not offer PIPELINING but the session used it")
	}
	if got[0] != nil || got[2] != nil {
		t.Errorf("results %v, want the first and last sent", got)
	}
	if !isPermanent(got[1]) {
		t.Errorf("refused recipient: %v, want a permanent error", got[1])
	}
	checkDelivered(t, r, []string{"a@example.net", "b@example.net"})
	if len(r.ahead) > 0 {
		t.Errorf("commands sent before the previous answer: %q", r.ahead)
	}
}

// A refused recipient in a pipelined run is that message's permanent
// failure; the connection goes on (RSET) with the next ones.
func TestSendAllRefusedRecipients(t *testing.T) {
	for _, pipelining := range []bool{true, false} {
		t.Run(fmt.Sprintf("pipelining=%v", pipelining), func(t *testing.T) {
			r := startRelay(t, &scriptRelay{pipelining: pipelining,
				reject: map[string]bool{"gone@example.net": true, "left@example.net": true}})
			s := testSession(r.addr())
			defer s.Close()
			addrs := []string{"gone@example.net", "a@example.net", "left@example.net", "gone@example.net", "b@example.net", "left@example.net"}
			got := sendAll(t, s, testMessages(addrs...), nil)
			for i, a := range addrs {
				refused := a != "a@example.net" && a != "b@example.net"
				if refused && !isPermanent(got[i]) {
					t.Errorf("message %d to %s: %v, want a permanent error", i, a, got[i])
				}
				if !refused && got[i] != nil {
					t.Errorf("message %d to %s: %v, want sent", i, a, got[i])
				}
			}
			checkDelivered(t, r, []string{"a@example.net", "b@example.net"})
			if r.conns != 1 {
				t.Errorf("%d connections, want 1", r.conns)
			}
		})
	}
}

// The go-smtp sink (PIPELINING offered) refuses one address: same outcome.
func TestSendAllSinkRefuses(t *testing.T) {
	sink, err := smtpsink.Start(smtpsink.Options{Reject: []string{"gone@example.net"}})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	s := testSession(sink.Addr)
	defer s.Close()
	got := sendAll(t, s, testMessages("a@example.net", "gone@example.net", "b@example.net", "gone@example.net", "c@example.net"), nil)
	if got[0] != nil || got[2] != nil || got[4] != nil || !isPermanent(got[1]) || !isPermanent(got[3]) {
		t.Errorf("results %v, want sent, refused, sent, refused, sent", got)
	}
	var to []string
	for _, m := range sink.Messages() {
		to = append(to, m.To...)
		if !strings.Contains(string(m.Data), "\r\n.a line that starts with a dot\r\n") {
			t.Errorf("message to %v lost its dotted line:\n%s", m.To, m.Data)
		}
	}
	if strings.Join(to, " ") != "a@example.net b@example.net c@example.net" {
		t.Errorf("sink got %v", to)
	}
}

// A relay that hangs up (421) in the middle of a run, at a message's MAIL:
// that message and the rest go over a new connection, none lost or twice.
func TestSendAllReconnects(t *testing.T) {
	for _, pipelining := range []bool{true, false} {
		t.Run(fmt.Sprintf("pipelining=%v", pipelining), func(t *testing.T) {
			r := startRelay(t, &scriptRelay{pipelining: pipelining, closeAt: 3})
			s := testSession(r.addr())
			defer s.Close()
			addrs := []string{"a@example.net", "b@example.net", "c@example.net", "d@example.net", "e@example.net"}
			got := sendAll(t, s, testMessages(addrs...), nil)
			for i, err := range got {
				if err != nil {
					t.Errorf("message %d: %v", i, err)
				}
			}
			checkDelivered(t, r, addrs)
			if r.conns != 2 {
				t.Errorf("%d connections, want 2", r.conns)
			}
		})
	}
}

// A relay that hangs up at once on every new connection: each message is
// a temporary failure (tried again later), with one connection each.
func TestSendAllRelayHangsUp(t *testing.T) {
	r := startRelay(t, &scriptRelay{pipelining: true, closeAt: 1})
	r.closeEvery = true
	s := testSession(r.addr())
	got := sendAll(t, s, testMessages("a@example.net", "b@example.net"), nil)
	for i, err := range got {
		if err == nil || isPermanent(err) {
			t.Errorf("message %d: %v, want a temporary failure", i, err)
		}
	}
	if r.conns != 2 || r.completed() != 0 {
		t.Errorf("%d connections and %d messages, want 2 and 0", r.conns, r.completed())
	}
}

func TestSendAllRelayDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	s := testSession(addr)
	got := sendAll(t, s, testMessages("a@example.net", "b@example.net"), nil)
	for i, err := range got {
		if err == nil || isPermanent(err) {
			t.Errorf("message %d: %v, want a temporary failure", i, err)
		}
	}
}

func checkDelivered(t *testing.T, r *scriptRelay, want []string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var to []string
	for _, d := range r.delivered {
		to = append(to, d.to)
		if !strings.Contains(d.body, "\r\n.a line that starts with a dot\r\n..and two\r\n") {
			t.Errorf("message to %s: dotted lines not as sent:\n%s", d.to, d.body)
		}
	}
	if strings.Join(to, " ") != strings.Join(want, " ") {
		t.Errorf("relay got %v, want %v", to, want)
	}
}

// The recorder writes what arrives while a group is written as the next
// group, and each record returns only once its own group is written.
func TestRecorderGroups(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var groups [][]int64
	written := map[int64]bool{}
	r := &recorder{write: func(_ context.Context, outs []outcome) error {
		if outs[0].id == 1 {
			<-release // hold the first group until the others queue
		}
		mu.Lock()
		defer mu.Unlock()
		var ids []int64
		for _, o := range outs {
			ids = append(ids, o.id)
			written[o.id] = true
		}
		groups = append(groups, ids)
		if outs[0].id == 2 {
			return errors.New("disk full")
		}
		return nil
	}}
	var wg sync.WaitGroup
	errs := make([]error, 6)
	rec := func(id int64) {
		err := r.record(context.Background(), outcome{id: id})
		mu.Lock()
		if !written[id] {
			t.Errorf("record(%d) returned before its group was written", id)
		}
		mu.Unlock()
		errs[id] = err
	}
	wg.Go(func() { rec(1) })
	waitQueue := func(n int) {
		for {
			r.mu.Lock()
			q, busy := len(r.queue), r.writing
			r.mu.Unlock()
			if busy && q == n {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitQueue(0) // the first group is being written
	for id := int64(2); id <= 5; id++ {
		wg.Go(func() { rec(id) })
		waitQueue(int(id) - 1)
	}
	close(release)
	wg.Wait()
	if fmt.Sprint(groups) != "[[1] [2 3 4 5]]" {
		t.Errorf("groups %v, want [[1] [2 3 4 5]]", groups)
	}
	if errs[1] != nil {
		t.Errorf("record(1) = %v", errs[1])
	}
	for id := 2; id <= 5; id++ {
		if errs[id] == nil {
			t.Errorf("record(%d) = nil, want its group's error", id)
		}
	}
	// Idle again: the next record writes at once, alone.
	if err := r.record(context.Background(), outcome{id: 7}); err != nil || fmt.Sprint(groups[2]) != "[7]" {
		t.Errorf("after the groups: %v, %v", err, groups)
	}
}

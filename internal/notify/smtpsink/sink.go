// Package smtpsink is an SMTP server on loopback that keeps what it receives,
// for tests, the fan-out benchmark and the crash test. It accepts any sender
// and recipient without authentication, so it must only listen on loopback.
package smtpsink

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/mail"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one received message.
type Message struct {
	From string
	To   []string
	Data []byte
}

// Header parses the message's header.
func (m Message) Header() (mail.Header, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return nil, err
	}
	return msg.Header, nil
}

// Sink is a running SMTP server.
type Sink struct {
	srv  *smtp.Server
	ln   net.Listener
	Addr string

	mu   sync.Mutex
	msgs []Message
	// Keep, when false, counts messages without keeping their bodies (the benchmark).
	keep  bool
	count int
	// OnMessage, when set, is called for each message (before Data answers).
	onMessage func(Message)
	// reject makes RCPT fail for these addresses with a permanent error.
	reject map[string]bool
	wait   chan struct{}
}

// Options configure a sink.
type Options struct {
	// Addr to listen on; default 127.0.0.1:0.
	Addr string
	// Discard keeps only a count (for large runs).
	Discard bool
	// OnMessage is called with each message as it arrives.
	OnMessage func(Message)
	// Reject lists recipients answered with 550.
	Reject []string
	// TLS, when set, offers STARTTLS with it (or, with ImplicitTLS, speaks
	// TLS from the first byte); then AUTH is only accepted over TLS.
	TLS         *tls.Config
	ImplicitTLS bool
	// Username and Password, when set, are required (AUTH PLAIN).
	Username, Password string
}

// Start listens on loopback and serves until Close.
func Start(o Options) (*Sink, error) {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(o.Addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("smtpsink listens on loopback only, not %q", o.Addr)
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, err
	}
	if o.TLS != nil && o.ImplicitTLS {
		ln = tls.NewListener(ln, o.TLS)
	}
	s := &Sink{ln: ln, Addr: ln.Addr().String(), keep: !o.Discard, onMessage: o.OnMessage, reject: map[string]bool{},
		wait: make(chan struct{}, 1)}
	for _, r := range o.Reject {
		s.reject[r] = true
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		x := &session{sink: s}
		if o.Username != "" {
			return &authSession{session: x, user: o.Username, pass: o.Password}, nil
		}
		return x, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = o.TLS == nil
	if o.TLS != nil && !o.ImplicitTLS {
		srv.TLSConfig = o.TLS
	}
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	srv.MaxMessageBytes = 4 << 20
	srv.MaxRecipients = 50
	// A client that vanishes mid-session (the crash test kills it) is
	// expected here, not worth a log line.
	srv.ErrorLog = log.New(io.Discard, "", 0)
	s.srv = srv
	go func() { _ = srv.Serve(ln) }()
	return s, nil
}

// Close stops the server.
func (s *Sink) Close() error { return s.srv.Close() }

// Messages returns a copy of what was received so far.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Count is how many messages arrived.
func (s *Sink) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// Arrived returns a channel that receives after each message (coalesced).
func (s *Sink) Arrived() <-chan struct{} { return s.wait }

type session struct {
	sink *Sink
	from string
	to   []string
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }
func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if x.sink.reject[to] {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := Message{From: x.from, To: x.to, Data: b}
	if x.sink.onMessage != nil {
		x.sink.onMessage(m)
	}
	x.sink.mu.Lock()
	x.sink.count++
	if x.sink.keep {
		x.sink.msgs = append(x.sink.msgs, m)
	}
	x.sink.mu.Unlock()
	select {
	case x.sink.wait <- struct{}{}:
	default:
	}
	return nil
}

// authSession requires AUTH PLAIN before MAIL.
type authSession struct {
	*session
	user, pass string
	ok         bool
}

func (a *authSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (a *authSession) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != a.user || pass != a.pass {
			return smtp.ErrAuthFailed
		}
		a.ok = true
		return nil
	}), nil
}

func (a *authSession) Mail(from string, opts *smtp.MailOptions) error {
	if !a.ok {
		return smtp.ErrAuthRequired
	}
	return a.session.Mail(from, opts)
}

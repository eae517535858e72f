package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/heraldhq/herald/internal/locale"
	"html/template"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"

	"github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"

	"github.com/heraldhq/herald/internal/config"
)

// Message is one e-mail ready to send.
type Message struct {
	To      string
	Subject string
	Text    string
	HTML    string
	// Unsubscribe is the one-click URL (RFC 8058); empty for confirmation requests.
	Unsubscribe string
	// ID is a stable Message-ID for this (subscriber, event), so a rare
	// resend after a crash can be recognised by the receiving side: the
	// id-left@id-right inside the header's angle brackets, without them.
	ID string
	// ListID is the List-Id header's value (RFC 2919): the page's list.
	ListID string
	// From, when set, is the sender instead of notify.email.from: the
	// page a subscription was made on speaks for itself.
	From string
}

// Sender opens sessions that send e-mail; one session a worker, reused for
// many messages.
type Sender interface {
	Session() Session
}

// Session sends messages over one connection until closed.
type Session interface {
	Send(ctx context.Context, m *Message) error
	Close() error
}

// runSender is a Session that can send a run of messages with one round
// trip each (see smtpSession.SendAll); the workers use it when they can.
type runSender interface {
	SendAll(ctx context.Context, msgs []*Message, pace func() time.Duration, done func(i int, err error))
}

// smtpSender sends through the configured relay.
type smtpSender struct {
	cfg func() config.Config
	log *slog.Logger
	tls *tls.Config
}

func (s *smtpSender) Session() Session { return &smtpSession{cfg: s.cfg, tls: s.tls} }

// smtpSession is one connection to the relay, opened on first use. go-mail
// opens it (EHLO, STARTTLS or TLS, AUTH); the mail transactions are this
// file's own (smtp.go), so that they can be pipelined.
type smtpSession struct {
	cfg    func() config.Config
	tls    *tls.Config
	client *smtp.Client
	from   string
	// pipelining and utf8 are the relay's PIPELINING (RFC 2920) and
	// SMTPUTF8 (RFC 6531) extensions.
	pipelining, utf8 bool
	// dirty means the last transaction stopped before its data: RSET first.
	dirty bool
	buf   bytes.Buffer
}

// ErrNoEmail is returned when e-mail is not configured.
var ErrNoEmail = errors.New("e-mail is not configured (notify.email in the configuration)")

// smtpTimeout bounds each exchange with the relay.
const smtpTimeout = 20 * time.Second

func (s *smtpSession) dial(ctx context.Context) error {
	e := s.cfg().Notify.Email
	if e == nil {
		return ErrNoEmail
	}
	host, portStr, err := net.SplitHostPort(e.SMTP)
	if err != nil {
		return permanent{fmt.Errorf("notify.email.smtp %q: %w", e.SMTP, err)}
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return permanent{fmt.Errorf("notify.email.smtp %q: bad port", e.SMTP)}
	}
	opts := []mail.Option{mail.WithPort(port), mail.WithTimeout(smtpTimeout), mail.WithoutNoop()}
	switch e.TLS {
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	case "tls":
		opts = append(opts, mail.WithSSL())
	default: // starttls
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if s.tls != nil {
		opts = append(opts, mail.WithTLSConfig(s.tls))
	}
	if e.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(e.Username),
			mail.WithPassword(os.Getenv(e.PasswordEnv)))
	}
	c, err := mail.NewClient(host, opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	sc, err := c.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", e.SMTP, err)
	}
	s.client, s.from, s.dirty = sc, e.From, false
	s.pipelining, _ = sc.Extension("PIPELINING")
	s.utf8, _ = sc.Extension("SMTPUTF8")
	return nil
}

// Send sends one message.
func (s *smtpSession) Send(ctx context.Context, m *Message) error {
	var out error
	s.SendAll(ctx, []*Message{m}, nil, func(_ int, err error) { out = err })
	return out
}

// buildMsg makes the e-mail for m, from the address from. Besides what
// every message needs (Date, Message-ID, MIME-Version, a text part and its
// HTML alternative), it says what kind of mail it is, so that mail systems
// and their filters can trust it: List-Id names the page's list (RFC 2919),
// Auto-Submitted marks it as sent by a program (RFC 3834, so no
// auto-reply answers it), and a subscriber's notice carries the one-click
// unsubscribe of RFC 8058.
func buildMsg(from string, m *Message) (*mail.Msg, error) {
	msg := mail.NewMsg()
	if m.From != "" {
		from = m.From
	}
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("from address: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("to address: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	if m.ID != "" {
		// go-mail puts the angle brackets around the value itself.
		msg.SetMessageIDWithValue(m.ID)
	} else {
		msg.SetMessageID()
	}
	msg.SetUserAgent("Herald")
	msg.SetGenHeaderPreformatted("Auto-Submitted", "auto-generated")
	if m.ListID != "" {
		msg.SetGenHeaderPreformatted("List-Id", m.ListID)
	}
	if m.Unsubscribe != "" {
		if err := msg.SetListUnsubscribeOneClick(m.Unsubscribe); err != nil {
			// A page served over plain http (a demo): the headers still help,
			// though RFC 8058 asks for https.
			msg.SetListUnsubscribe(m.Unsubscribe)
			msg.SetListUnsubscribePost()
		}
	}
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// Close says QUIT and closes the connection.
func (s *smtpSession) Close() error {
	if s.client == nil {
		return nil
	}
	_ = s.client.UpdateDeadline(5 * time.Second)
	err := s.client.Quit()
	if err != nil {
		_ = s.client.Close()
	}
	s.client = nil
	return err
}

// drop closes the connection without a word: it is broken or out of step.
func (s *smtpSession) drop() {
	if s.client != nil {
		_ = s.client.Close()
		s.client = nil
	}
}

// limiter spaces sends to a rate shared by every worker.
type limiter struct {
	mu   sync.Mutex
	next time.Time
}

// reserve takes the next sending slot and says how long until it comes.
func (l *limiter) reserve(perSecond float64) time.Duration {
	if perSecond <= 0 {
		return 0
	}
	gap := time.Duration(float64(time.Second) / perSecond)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(gap)
	return at.Sub(now)
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Message texts. Plain text is the message; the HTML part says the same with
// every value escaped by html/template.
var (
	textTmpl = texttemplate.Must(texttemplate.New("text").Parse(`{{.Lead}}

{{.Title}}{{with .Status}}
{{$.L.Status}} {{.}}{{end}}{{with .When}}
{{.}}{{end}}{{with .Affected}}
{{$.L.Affected}} {{.}}{{end}}
{{with .Body}}
{{.}}
{{end}}{{with .URL}}
{{$.L.Details}} {{.}}
{{end}}{{with .Action}}
{{.}}
{{end}}
--
{{.Footer}}{{with .Manage}}
{{$.L.Change}}: {{.}}{{end}}{{with .Unsubscribe}}
{{$.L.Unsubscribe}}: {{.}}{{end}}
`))
	htmlTmpl = template.Must(template.New("html").Parse(`<!doctype html>
<html lang="{{.L.Lang}}"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family:system-ui,sans-serif;line-height:1.5;color:#1b1f24;max-width:40rem">
<p>{{.Lead}}</p>
<h1 style="font-size:1.25rem">{{.Title}}</h1>
{{with .Status}}<p><strong>{{$.L.Status}}</strong> {{.}}</p>{{end}}
{{with .When}}<p>{{.}}</p>{{end}}
{{with .Affected}}<p><strong>{{$.L.Affected}}</strong> {{.}}</p>{{end}}
{{if .BodyHTML}}<div>{{.BodyHTML}}</div>{{else}}{{with .Body}}<p style="white-space:pre-wrap">{{.}}</p>{{end}}{{end}}
{{with .URL}}<p><a href="{{.}}">{{$.L.DetailsLink}}</a></p>{{end}}
{{with .ActionURL}}<p><a href="{{.}}">{{$.ActionLabel}}</a></p>{{end}}
<hr>
<p style="color:#57606a;font-size:.875rem">{{.Footer}}
{{with .Manage}}<br><a href="{{.}}">{{$.L.Change}}</a>{{end}}
{{with .Unsubscribe}} · <a href="{{.}}">{{$.L.Unsubscribe}}</a>{{end}}</p>
</body></html>
`))
)

// mailView is what the templates show.
type mailView struct {
	Subject, Lead, Title, Status, When, Affected, Body, URL string
	// BodyHTML is the body as the store rendered it (sanitized); Body is
	// its plain text.
	BodyHTML                       template.HTML
	Action, ActionURL, ActionLabel string
	Footer, Manage, Unsubscribe    string
	// L are the templates' own words, in the page's language.
	L mailLabels
}

// mailLabels are the words the mail templates write around the values.
type mailLabels struct {
	Lang                                                        locale.Lang
	Status, Affected, Details, DetailsLink, Change, Unsubscribe string
}

// labelsIn are the mail templates' words in language l.
func labelsIn(l locale.Lang) mailLabels {
	t := locale.For(l).T
	return mailLabels{Lang: locale.For(l).Lang, Status: t("Status:"), Affected: t("Affected:"), Details: t("Details:"),
		DetailsLink: t("Details on the status page"), Change: t("Change what you receive"), Unsubscribe: t("Unsubscribe")}
}

func renderMail(v mailView) (text, html string, err error) {
	var t, h bytes.Buffer
	if err := textTmpl.Execute(&t, v); err != nil {
		return "", "", err
	}
	if err := htmlTmpl.Execute(&h, v); err != nil {
		return "", "", err
	}
	return t.String(), h.String(), nil
}

func cleanHeader(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == '\t' {
			return ' '
		}
		return r
	}, s)
	if len(s) > 200 {
		s = s[:200]
	}
	return strings.ToValidUTF8(s, "")
}

// SMTP is the real sender, through the relay the configuration names.
func SMTP(cfg func() config.Config) Sender { return &smtpSender{cfg: cfg} }

package notify

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/textproto"
	"strings"
	"time"
	"unicode/utf8"
)

// SendAll sends msgs over the session's connection, one mail transaction
// each, and calls done exactly once for every message with the relay's
// answer: nil when the relay accepted it, a permanent error when it refused
// it for good (a 5xx to the recipient or the data), another error otherwise.
//
// Where the relay offers PIPELINING (RFC 2920), a message costs one round
// trip: the end of one message's data, the next one's MAIL, RCPT and DATA
// travel together, and their answers are read together. Without it, each
// command waits for its answer.
//
// The end of message i+1's data is not sent before done(i, …) has
// returned. A caller that records each acceptance inside done therefore
// has, on this connection, at most one message the relay may have accepted
// and that is not recorded: the one whose end of data is on its way.
//
// pace, when set, is called before each message and says how long to wait
// before it (the sending rate); a long wait first settles the message in
// flight. A broken connection is opened again for the messages not yet
// sent; the one whose answer was lost gets the error.
func (s *smtpSession) SendAll(ctx context.Context, msgs []*Message, pace func() time.Duration, done func(i int, err error)) {
	for i := 0; i < len(msgs); {
		fresh := false
		if s.client == nil {
			if err := s.dial(ctx); err != nil {
				for ; i < len(msgs); i++ {
					done(i, err)
				}
				return
			}
			fresh = true
		}
		base := i
		k, err := s.run(ctx, msgs[base:], pace, func(j int, err error) { done(base+j, err) })
		i += k
		if err == nil {
			continue
		}
		s.drop()
		if ctx.Err() != nil {
			for ; i < len(msgs); i++ {
				done(i, ctx.Err())
			}
			return
		}
		if k == 0 && fresh {
			// A new connection that could not carry a single message:
			// count it against this message (it is retried later) rather
			// than dialling again and again.
			done(i, err)
			i++
		}
	}
}

// run sends msgs over the open connection until they are all answered or
// the connection fails. It returns how many messages from the start were
// answered (done called) and, when it stopped early, why: the next message
// is then unsent, or at least unfinished, so the relay did not accept it.
func (s *smtpSession) run(ctx context.Context, msgs []*Message, pace func() time.Duration, done func(i int, err error)) (int, error) {
	c := s.client
	w := c.Text.W
	pending := -1 // the message whose end of data is written and unanswered
	// finish sends what is written and reads pending's answer.
	finish := func() error {
		j := pending
		pending = -1
		if err := w.Flush(); err != nil {
			if j >= 0 {
				done(j, err)
			}
			return err
		}
		if j < 0 {
			return nil
		}
		rerr, fatal := s.reply(25, "end of data")
		if fatal != nil {
			done(j, fatal)
			return fatal
		}
		done(j, rerr)
		return closing(rerr)
	}
	for j, m := range msgs {
		if err := ctx.Err(); err != nil {
			if ferr := finish(); ferr != nil {
				return j, ferr
			}
			return j, err
		}
		if pace != nil {
			if d := pace(); d > 0 {
				if d > time.Millisecond {
					if err := finish(); err != nil {
						return j, err
					}
				}
				if err := sleep(ctx, d); err != nil {
					return j, errors.Join(err, finish())
				}
			}
		}
		from, to, err := s.build(m)
		if err != nil {
			done(j, permanent{err})
			continue
		}
		if err := c.UpdateDeadline(smtpTimeout); err != nil {
			return j, errors.Join(err, finish())
		}
		mailCmd := "MAIL FROM:" + from
		if s.utf8 && !isASCII(from+to) {
			mailCmd += " SMTPUTF8"
		}
		var mailErr, rcptErr, dataErr error
		if s.pipelining {
			if s.dirty {
				w.WriteString("RSET\r\n")
			}
			w.WriteString(mailCmd + "\r\nRCPT TO:" + to + "\r\nDATA\r\n")
			if err := finish(); err != nil {
				return j, err
			}
			if s.dirty {
				if err := s.expect(25, "RSET"); err != nil {
					return j, err
				}
				s.dirty = false
			}
			var fatal error
			if mailErr, fatal = s.reply(25, "MAIL FROM"); fatal != nil {
				return j, fatal
			}
			if rcptErr, fatal = s.reply(25, "RCPT TO"); fatal != nil {
				return j, fatal
			}
			if dataErr, fatal = s.reply(354, "DATA"); fatal != nil {
				return j, fatal
			}
		} else {
			if s.dirty {
				if err := s.command("RSET"); err != nil {
					return j, err
				}
				if err := s.expect(25, "RSET"); err != nil {
					return j, err
				}
				s.dirty = false
			}
			var fatal error
			if mailErr, fatal = s.ask(mailCmd, 25, "MAIL FROM"); fatal != nil {
				return j, fatal
			}
			if mailErr == nil {
				if rcptErr, fatal = s.ask("RCPT TO:"+to, 25, "RCPT TO"); fatal != nil {
					return j, fatal
				}
			}
			if mailErr == nil && rcptErr == nil {
				if dataErr, fatal = s.ask("DATA", 354, "DATA"); fatal != nil {
					return j, fatal
				}
			}
		}
		if err := closing(firstErr(mailErr, rcptErr, dataErr)); err != nil {
			// The relay hangs up before this message's data: it is sent
			// again over a new connection.
			return j, err
		}
		if failed := firstErr(mailErr, rcptErr); failed != nil {
			if dataErr == nil && s.pipelining {
				// DATA was taken though the envelope was refused (RFC 2920
				// says it must not be): end it empty and ignore the answer.
				w.WriteString(".\r\n")
				if err := w.Flush(); err != nil {
					return j, err
				}
				if _, fatal := s.reply(25, "end of data"); fatal != nil {
					return j, fatal
				}
			}
			s.dirty = true
			if mailErr != nil {
				// The sender refused is the relay's or the configuration's
				// problem, not this message's: try it again later.
				done(j, temporary(mailErr))
			} else {
				done(j, rcptErr)
			}
			continue
		}
		if dataErr != nil {
			s.dirty = true
			done(j, dataErr)
			continue
		}
		writeData(w, s.buf.Bytes())
		pending = j
		if !s.pipelining {
			if err := finish(); err != nil {
				return j + 1, err
			}
		}
	}
	return len(msgs), finish()
}

// build renders m into s.buf and returns its envelope's sender and
// recipient, in angle brackets.
func (s *smtpSession) build(m *Message) (from, to string, err error) {
	msg, err := buildMsg(s.from, m)
	if err != nil {
		return "", "", err
	}
	from, err = msg.GetSender(false)
	if err != nil {
		return "", "", err
	}
	rcpts, err := msg.GetRecipients()
	if err != nil {
		return "", "", err
	}
	if len(rcpts) != 1 {
		return "", "", fmt.Errorf("%d recipients in one notice", len(rcpts))
	}
	to = rcpts[0]
	if strings.ContainsAny(from+to, "\r\n") {
		return "", "", errors.New("line break in an address")
	}
	if !s.utf8 && !isASCII(from+to) {
		return "", "", fmt.Errorf("the relay does not take international addresses (SMTPUTF8) such as %s", to)
	}
	s.buf.Reset()
	if _, err := msg.WriteTo(&s.buf); err != nil {
		return "", "", err
	}
	return from, to, nil
}

// command writes one command line and sends it.
func (s *smtpSession) command(line string) error {
	w := s.client.Text.W
	w.WriteString(line + "\r\n")
	return w.Flush()
}

// ask sends one command and reads its answer (no pipelining).
func (s *smtpSession) ask(line string, code int, what string) (refused, fatal error) {
	if err := s.command(line); err != nil {
		return nil, err
	}
	return s.reply(code, what)
}

// expect reads an answer that must be a success.
func (s *smtpSession) expect(code int, what string) error {
	refused, fatal := s.reply(code, what)
	return firstErr(fatal, refused)
}

// reply reads one answer. refused is the relay's refusal (permanent for a
// 5xx); fatal is a broken or garbled connection.
func (s *smtpSession) reply(code int, what string) (refused, fatal error) {
	_, _, err := s.client.Text.ReadResponse(code)
	if err == nil {
		return nil, nil
	}
	var te *textproto.Error
	if !errors.As(err, &te) {
		return nil, fmt.Errorf("smtp %s: %w", what, err)
	}
	r := &smtpReply{What: what, Code: te.Code, Msg: te.Msg}
	if te.Code >= 500 {
		return permanent{r}, nil
	}
	return r, nil
}

// smtpReply is a relay's refusal.
type smtpReply struct {
	What string
	Code int
	Msg  string
}

func (r *smtpReply) Error() string { return fmt.Sprintf("smtp %s: %d %s", r.What, r.Code, r.Msg) }

// closing is err when it says the relay is closing the connection (421).
func closing(err error) error {
	var r *smtpReply
	if errors.As(err, &r) && r.Code == 421 {
		return err
	}
	return nil
}

// temporary strips the permanent mark off err.
func temporary(err error) error {
	var r *smtpReply
	if errors.As(err, &r) {
		return r
	}
	return err
}

// writeData writes b as a message's data (RFC 5321 4.5.2): every line
// ended by CRLF, a leading dot doubled, then the lone dot that ends it.
func writeData(w *bufio.Writer, b []byte) {
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(line) > 0 && line[0] == '.' {
			w.WriteByte('.')
		}
		w.Write(line)
		w.WriteString("\r\n")
	}
	w.WriteString(".\r\n")
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

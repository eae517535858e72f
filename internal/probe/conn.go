package probe

import (
	"bufio"
	"context"
	"errors"
	"net"
	"time"
)

// errLineTooLong is a server line longer than any greeting has reason to be.
var errLineTooLong = errors.New("the server sent a line longer than 4096 bytes")

// maxLine bounds one line of a banner or reply. RFC 5321 allows 512 bytes
// for an SMTP reply line; real IMAP greetings with capabilities run longer.
const maxLine = 4096

// session is one connection of a line-based conversation (smtp, imap,
// pop3) whose every read and write is bound by the check's deadline.
type session struct {
	conn net.Conn
	r    *bufio.Reader
	stop func() bool
}

// dialSession connects through dial and ties the connection to ctx: its
// deadline becomes the connection's, and a cancelled ctx (a shutdown)
// unblocks any read at once.
func dialSession(ctx context.Context, dial func(context.Context, string, string) (net.Conn, error), address string) (*session, error) {
	conn, err := dial(ctx, "tcp", address)
	if err != nil {
		return nil, err
	}
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	s := &session{conn: conn, r: bufio.NewReaderSize(conn, maxLine)}
	s.stop = context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	return s, nil
}

func (s *session) close() {
	s.stop()
	_ = s.conn.Close()
}

// line reads one line, at most maxLine bytes, without its line ending.
// The slice is valid until the next read.
func (s *session) line() ([]byte, error) {
	b, err := s.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return nil, errLineTooLong
	}
	if err != nil {
		return nil, err
	}
	return trimEOL(b), nil
}

func (s *session) send(cmd string) error {
	_, err := s.conn.Write([]byte(cmd))
	return err
}

func trimEOL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

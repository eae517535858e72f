package probe

import (
	"net"

	"github.com/heraldhq/herald/internal/config"
)

// An smtp check wants the 220 greeting, then a 250 answer to EHLO, the
// least a mail server must do before it can take a message.
func newSMTP(m config.Monitor, env Env) (Prober, error) {
	return newLineProber(m, env, talker{talk: smtpTalk, bye: "QUIT\r\n"})
}

func smtpTalk(s *session) verdict {
	code, first, err := smtpReply(s)
	if err != nil {
		return stuck("SMTP banner", err)
	}
	if code != 220 {
		return downWith("banner %s, want 220", first)
	}
	if err := s.send("EHLO " + ehloName(s.conn.LocalAddr()) + "\r\n"); err != nil {
		return stuck("reply to EHLO", err)
	}
	code, first, err = smtpReply(s)
	if err != nil {
		return stuck("reply to EHLO", err)
	}
	if code != 250 {
		return downWith("EHLO answered %s, want 250", first)
	}
	return upWith("banner 220, EHLO 250")
}

// smtpReply reads one reply, which may run over several "250-" lines, and
// returns its code (0 when the first line has none) and its first line,
// quoted for messages.
func smtpReply(s *session) (code int, first string, err error) {
	for n := 0; ; n++ {
		line, err := s.line()
		if err != nil {
			return 0, "", err
		}
		c := replyCode(line)
		if n == 0 {
			code, first = c, quoted(line)
		}
		if c != code || len(line) < 4 || line[3] != '-' || n >= 100 {
			// The last line, or one that breaks the format: either way
			// the reply is over, and a code that changed is no code.
			if c != code {
				code = 0
			}
			return code, first, nil
		}
	}
}

func replyCode(line []byte) int {
	if len(line) < 3 || (len(line) > 3 && line[3] != ' ' && line[3] != '-') {
		return 0
	}
	code := 0
	for _, b := range line[:3] {
		if b < '0' || b > '9' {
			return 0
		}
		code = code*10 + int(b-'0')
	}
	return code
}

// ehloName is the client's address literal, as RFC 5321 wants from a
// client without a domain name of its own: "[127.0.0.1]", "[IPv6:::1]".
func ehloName(local net.Addr) string {
	if tcp, ok := local.(*net.TCPAddr); ok && tcp.IP != nil {
		if ip4 := tcp.IP.To4(); ip4 != nil {
			return "[" + ip4.String() + "]"
		}
		return "[IPv6:" + tcp.IP.String() + "]"
	}
	return "[127.0.0.1]"
}

package probe

import (
	"bytes"

	"github.com/heraldhq/herald/internal/config"
)

// An imap check wants the server's "* OK" greeting (RFC 9051 7.1.1).
func newIMAP(m config.Monitor, env Env) (Prober, error) {
	return newLineProber(m, env, talker{talk: imapTalk, bye: "a1 LOGOUT\r\n"})
}

func imapTalk(s *session) verdict {
	line, err := s.line()
	if err != nil {
		return stuck("IMAP banner", err)
	}
	if !hasPrefixFold(line, "* OK") {
		return downWith("banner %s, want \"* OK\"", quoted(line))
	}
	return upWith("banner * OK")
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && bytes.EqualFold(b[:len(prefix)], []byte(prefix))
}

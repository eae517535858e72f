package probe

import "github.com/heraldhq/herald/internal/config"

// A pop3 check wants the server's "+OK" greeting (RFC 1939 4).
func newPOP3(m config.Monitor, env Env) (Prober, error) {
	return newLineProber(m, env, talker{talk: pop3Talk, bye: "QUIT\r\n"})
}

func pop3Talk(s *session) verdict {
	line, err := s.line()
	if err != nil {
		return stuck("POP3 banner", err)
	}
	if !hasPrefixFold(line, "+OK") {
		return downWith("banner %s, want \"+OK\"", quoted(line))
	}
	return upWith("banner +OK")
}

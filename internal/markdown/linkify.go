package markdown

import "strings"

// linkify turns bare addresses in text into links, as GitHub's extended
// autolinks do: www.example.com, https://example.com/… and a@example.com.
// It runs once over the tokens, after emphasis is matched, on each stretch
// of plain source text outside links; every byte is read a constant number
// of times (an address, once found or refused, is not read again).
func (in *inliner) linkify() {
	var out []tok // nil until an address is found: most text has none
	depth := 0
	for i := 0; i < len(in.toks); {
		in.w.add(1)
		t := &in.toks[i]
		switch t.kind {
		case tOpen:
			depth++
		case tClose:
			depth--
		}
		if depth > 0 || !plainText(t) {
			if out != nil {
				out = append(out, *t)
			}
			i++
			continue
		}
		a, b := int(t.src), int(t.src)+len(t.text)
		j := i + 1
		for j < len(in.toks) && plainText(&in.toks[j]) && int(in.toks[j].src) == b {
			in.w.add(1)
			b += len(in.toks[j].text)
			j++
		}
		switch {
		case hasCandidate(in.s[a:b], in.w):
			if out == nil {
				out = append(make([]tok, 0, len(in.toks)+8), in.toks[:i]...)
			}
			out = in.linkifyText(out, a, b)
		case out != nil:
			out = append(out, in.toks[i:j]...)
		}
		i = j
	}
	if out != nil {
		in.toks = out
	}
}

// plainText is text straight from the source that nothing else claims.
func plainText(t *tok) bool {
	switch t.kind {
	case tText:
		return t.src >= 0
	case tDelim:
		return t.opens == 0 && t.closes == 0
	}
	return false
}

func hasCandidate(s string, w *work) bool {
	w.add(len(s))
	return strings.IndexByte(s, '@') >= 0 || strings.Contains(s, "://") ||
		strings.Contains(s, "www.") || strings.Contains(s, "WWW.") || strings.Contains(s, "Www.")
}

// linkifyText appends s[a:b] to out as text and links.
func (in *inliner) linkifyText(out []tok, a, b int) []tok {
	s := in.s
	emitted := a
	flush := func(to int) {
		if to > emitted {
			out = append(out, tok{kind: tText, text: s[emitted:to], src: int32(emitted)})
		}
	}
	for k := a; k < b; {
		in.w.add(1)
		switch c := s[k]; {
		case (c == 'w' || c == 'W') && in.boundary(k) && hasPrefixFold(s[k:b], "www."):
			end, next := in.webAddress(k, k, b)
			if end > 0 {
				flush(k)
				out = append(out, tok{kind: tAutolink, text: s[k:end], link: in.addLink("http://"+s[k:end], ""), src: -1})
				emitted, k = end, end
				continue
			}
			k = next
		case (c == 'h' || c == 'H') && in.boundary(k) && (hasPrefixFold(s[k:b], "http://") || hasPrefixFold(s[k:b], "https://")):
			host := k + strings.IndexByte(s[k:b], ':') + 3
			end, next := in.webAddress(k, host, b)
			if end > 0 {
				flush(k)
				out = append(out, tok{kind: tAutolink, text: s[k:end], link: in.addLink(s[k:end], ""), src: -1})
				emitted, k = end, end
				continue
			}
			k = next
		case c == '@':
			l := k
			for l > emitted && isEmailLocal(s[l-1]) {
				in.w.add(1)
				l--
			}
			if end := in.emailDomain(k+1, b); l < k && end > 0 {
				flush(l)
				out = append(out, tok{kind: tAutolink, text: s[l:end], link: in.addLink("mailto:"+s[l:end], ""), src: -1})
				emitted, k = end, end
				continue
			}
			k++
		default:
			k++
		}
	}
	flush(b)
	return out
}

// boundary says whether a bare address may start at k: at the start of the
// text or after a space or one of *, _, ~ and (.
func (in *inliner) boundary(k int) bool {
	if k == 0 {
		return true
	}
	switch c := in.s[k-1]; c {
	case ' ', '\t', '\n', '*', '_', '~', '(':
		return true
	}
	return false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// webAddress reads an address that starts at start, whose domain starts at
// host: the end of the link (0 if there is none) and where to look next.
func (in *inliner) webAddress(start, host, b int) (end, next int) {
	s := in.s
	d := host
	for d < b && (isAlnum(s[d]) || s[d] == '-' || s[d] == '_' || s[d] == '.' || s[d] >= 0x80) {
		d++
	}
	in.w.add(d - host)
	if !validDomain(s[host:d]) {
		return 0, max(d, start+1)
	}
	e := d
	for e < b && s[e] != ' ' && s[e] != '\t' && s[e] != '\n' && s[e] != '<' {
		e++
	}
	in.w.add(e - d)
	if e-start > linkifyMaxAddr {
		return 0, e
	}
	return trimAddress(s, start, e, in.w), e
}

// validDomain: segments of alphanumerics, hyphens and underscores, at least
// two, with no underscore in the last two (trailing periods aside).
func validDomain(d string) bool {
	d = strings.TrimRight(d, ".")
	segs := strings.Split(d, ".")
	if len(segs) < 2 {
		return false
	}
	for i, seg := range segs {
		if seg == "" || i >= len(segs)-2 && strings.Contains(seg, "_") {
			return false
		}
	}
	return true
}

// trimAddress drops what ends a sentence rather than the address: trailing
// punctuation, a closing parenthesis without its opener, an entity-like
// &name; at the end.
func trimAddress(s string, a, e int, w *work) int {
	opens := strings.Count(s[a:e], "(")
	closes := strings.Count(s[a:e], ")")
	w.add(e - a)
	for e > a {
		w.add(1)
		switch c := s[e-1]; {
		case strings.IndexByte("?!.,:*_~'\"", c) >= 0:
			e--
		case c == ')' && closes > opens:
			e--
			closes--
		case c == ';':
			j := e - 2
			for j >= a && isAlnum(s[j]) {
				w.add(1)
				j--
			}
			if j < a || s[j] != '&' || j == e-2 {
				return e
			}
			e = j
		default:
			return e
		}
	}
	return e
}

func isEmailLocal(c byte) bool { return isAlnum(c) || c == '.' || c == '-' || c == '_' || c == '+' }

// emailDomain reads the domain of an e-mail address from i: the end, or 0.
func (in *inliner) emailDomain(i, b int) int {
	s := in.s
	d := i
	for d < b && (isAlnum(s[d]) || s[d] == '-' || s[d] == '_' || s[d] == '.') {
		d++
	}
	in.w.add(d - i)
	for d > i && s[d-1] == '.' {
		d--
	}
	if d == i || !strings.Contains(s[i:d], ".") || s[d-1] == '-' || s[d-1] == '_' || strings.Contains(s[i:d], "..") || s[i] == '.' {
		return 0
	}
	return d
}

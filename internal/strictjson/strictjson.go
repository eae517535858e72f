// Package strictjson holds the checks every JSON request body in Herald
// passes before it is decoded, so that the API and the public endpoints
// refuse the same things in the same words.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxDepth bounds how deeply a request body may nest objects and lists; no
// request of the API nests more than three.
const MaxDepth = 32

// ErrDepth says a body nests deeper than MaxDepth.
var ErrDepth = errors.New("nested too deeply")

// DuplicateKey finds the first object key written twice in a JSON text,
// and returns it with ok set. encoding/json keeps the last of two and
// matches struct fields regardless of case, so "title" and "Title" are the
// same key here too: a body that says two things is refused rather than
// half believed. It reads the text once, token by token (linear in its
// size); a syntax error is left for the decoder that follows to report.
func DuplicateKey(data []byte) (key string, ok bool, err error) {
	type level struct {
		object  bool
		wantKey bool
		keys    map[string]struct{}
	}
	var stack []level
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].wantKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	for {
		tok, terr := dec.Token()
		if terr != nil {
			if errors.Is(terr, io.EOF) {
				return "", false, nil
			}
			return "", false, nil // the decoder reports the syntax error
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if len(stack) >= MaxDepth {
					return "", false, ErrDepth
				}
				stack = append(stack, level{object: t == '{', wantKey: t == '{'})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
				top := &stack[n-1]
				folded := strings.ToLower(t)
				if _, seen := top.keys[folded]; seen {
					return t, true, nil
				}
				if top.keys == nil {
					top.keys = map[string]struct{}{}
				}
				top.keys[folded] = struct{}{}
				top.wantKey = false
				continue
			}
			valueDone()
		default:
			valueDone()
		}
	}
}

// The refusals' English, each a pattern with its Refusal's Args: the
// public pages word them in their own language (internal/locale's catalogs
// have these keys).
const (
	DepthRefusal     = "the JSON body is nested too deeply (at most %d levels)"
	DuplicateRefusal = "key %q appears twice in one object (keys are matched regardless of case); send each once"
)

// Refusal is Check's error: its English is Pattern with Args.
type Refusal struct {
	Pattern string
	Args    []any
	err     error // ErrDepth for a body nested too deeply
}

func (e *Refusal) Error() string { return fmt.Sprintf(e.Pattern, e.Args...) }
func (e *Refusal) Unwrap() error { return e.err }

// Check refuses a JSON text that names a key twice in one object or nests
// deeper than MaxDepth, with a message fit to send to the client (a
// *Refusal); nil otherwise (a syntax error is left for the decoder to
// report).
func Check(data []byte) error {
	switch key, dup, err := DuplicateKey(data); {
	case err != nil:
		return &Refusal{Pattern: DepthRefusal, Args: []any{MaxDepth}, err: err}
	case dup:
		return &Refusal{Pattern: DuplicateRefusal, Args: []any{key}}
	}
	return nil
}

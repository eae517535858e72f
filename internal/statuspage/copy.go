package statuspage

import (
	"bytes"
	"encoding/json"
	"errors"
	"time"
)

// CopyKey is the top-level key a static copy of the documents (the mirror)
// adds to each: {"made_at": "2026-12-03T03:02:00.000-08:00"}, when the copy
// was made. Statuspage has no such key; its clients ignore keys they do not
// know, and every key they read is left as it was.
const CopyKey = "mirror"

type copyJSON struct {
	MadeAt stamp `json:"made_at"`
}

// WithCopy returns doc, one of the documents Build renders, with CopyKey
// added as its last key, the time in the page's zone as every other time.
func WithCopy(doc []byte, madeAt time.Time, loc *time.Location) ([]byte, error) {
	if loc == nil {
		loc = time.UTC
	}
	doc = bytes.TrimRight(doc, " \n")
	if len(doc) < 2 || doc[0] != '{' || doc[len(doc)-1] != '}' {
		return nil, errors.New("statuspage: not a JSON object")
	}
	add, err := json.Marshal(copyJSON{MadeAt: stampOf(madeAt, loc)})
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(doc)+len(CopyKey)+len(add)+4)
	out = append(out, doc[:len(doc)-1]...)
	if len(doc) > 2 {
		out = append(out, ',')
	}
	out = append(out, '"')
	out = append(out, CopyKey...)
	out = append(out, '"', ':')
	out = append(out, add...)
	return append(out, '}'), nil
}

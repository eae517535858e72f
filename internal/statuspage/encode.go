package statuspage

import (
	"encoding/json"
	"errors"
)

// The documents repeat objects: every component is in summary.json and
// components.json, and again in each incident and window naming it (a
// window covering a fleet of 1,000 components lists all 1,000); an open
// incident and the windows now and ahead are in summary.json too. Build
// therefore encodes each object once, by encoding/json, into one buffer (an
// arena), and lays each document out as the runs of that buffer it is made
// of; a document is then a single copy of its runs into a slice of its exact
// size. Encoding every document whole by reflection took most of a write's
// rebuild at that size, and its buffers grew by doubling to 4 MB of
// documents.

// run is a stretch of the arena: an encoded value, or part of one.
type run struct{ from, to int }

// object is an encoded value as the runs it is made of, in order.
type object []run

// arena is where a Build encodes each object once.
type arena struct {
	buf  []byte
	enc  *json.Encoder // writes into buf, escaping HTML as json.Marshal does
	lits map[string]run
	err  error // the first encoding that failed
}

func newArena(size int) *arena {
	a := &arena{buf: make([]byte, 0, size), lits: make(map[string]run)}
	a.enc = json.NewEncoder(a)
	return a
}

// Write appends to the arena, for the encoder.
func (a *arena) Write(p []byte) (int, error) {
	a.buf = append(a.buf, p...)
	return len(p), nil
}

// value encodes v and returns its run.
func (a *arena) value(v any) run {
	from := len(a.buf)
	if err := a.enc.Encode(v); err != nil {
		a.buf = a.buf[:from]
		a.err = errors.Join(a.err, err)
		return run{from, from}
	}
	a.buf = a.buf[:len(a.buf)-1] // Encode ends each value with a newline
	return run{from, len(a.buf)}
}

// lit is the run holding s, written once however often it is asked for.
func (a *arena) lit(s string) run {
	if r, ok := a.lits[s]; ok {
		return r
	}
	from := len(a.buf)
	a.buf = append(a.buf, s...)
	r := run{from, len(a.buf)}
	a.lits[s] = r
	return r
}

// spliced encodes head, an object whose last key comes before key, then key
// with the array of items, then the keys of tail: one object whose keys are
// head's, key, and tail's, in that order, without encoding the items again.
func (a *arena) spliced(head any, key string, items []object, tail any) object {
	h := a.value(head)
	t := a.value(tail)
	if h.to-h.from < 2 || t.to-t.from < 2 {
		return object{h} // an error was recorded
	}
	h.to-- // the head's closing brace
	obj := object{h, a.lit(`,"` + key + `":`)}
	obj = a.list(obj, items)
	if t.to-t.from > 2 { // the tail's keys, its opening brace made a comma
		obj = append(obj, a.lit(","), run{t.from + 1, t.to})
	} else {
		obj = append(obj, a.lit("}"))
	}
	return obj
}

// list appends to obj the JSON array of items. Items the arena holds one
// after another, with a comma between (the component list, and a window
// naming components in page order), stay one run.
func (a *arena) list(obj object, items []object) object {
	obj = append(obj, a.lit("["))
	comma := a.lit(",")
	first := true
	for _, it := range items {
		if len(it) == 0 {
			continue // its encoding failed, and Build says so
		}
		last := &obj[len(obj)-1]
		switch {
		case first:
			obj = append(obj, it...)
		case last.to+1 == it[0].from && a.buf[last.to] == ',':
			last.to = it[0].to
			obj = append(obj, it[1:]...)
		default:
			obj = append(append(obj, comma), it...)
		}
		first = false
	}
	return append(obj, a.lit("]"))
}

// comma separates the next value encoded from the one before it in the
// arena, so that list can take them as one run.
func (a *arena) comma() { a.buf = append(a.buf, ',') }

// member is one key of a document and its value.
type member struct {
	key   string
	value object
}

// document copies the object of members, in order, into a slice of its own
// of the exact size.
func (a *arena) document(members ...member) []byte {
	keys := make([]run, len(members))
	size := 2
	for i, m := range members {
		sep := `,"`
		if i == 0 {
			sep = `"`
		}
		keys[i] = a.lit(sep + m.key + `":`)
		size += keys[i].to - keys[i].from
		for _, r := range m.value {
			size += r.to - r.from
		}
	}
	out := make([]byte, 0, size)
	out = append(out, '{')
	for i, m := range members {
		out = append(out, a.buf[keys[i].from:keys[i].to]...)
		for _, r := range m.value {
			out = append(out, a.buf[r.from:r.to]...)
		}
	}
	return append(out, '}')
}

// array is items as a JSON array, for a member.
func (a *arena) array(items []object) object { return a.list(nil, items) }

package strictjson

import (
	"strings"
	"testing"
)

func TestDuplicateKey(t *testing.T) {
	tests := []struct {
		in   string
		dup  string // "" when none
		deep bool
	}{
		{`{}`, "", false},
		{`{"a": 1, "b": 2}`, "", false},
		{`{"a": "a", "b": "a"}`, "", false},
		{`{"a": {"x": 1}, "b": {"x": 1}}`, "", false},
		{`[{"a": 1}, {"a": 1}]`, "", false},
		{`{"a": [1, "a", {"a": 1}], "b": null}`, "", false},
		{`{"a": {}, "b": []}`, "", false},
		{`"a"`, "", false},
		{`{"a": 1, "a": 2}`, "a", false},
		{`{"a": 1, "A": 2}`, "A", false},
		{`{"a": {"x": 1, "y": {"z": 1}, "x": 2}}`, "x", false},
		{`{"a": {"x": 1}, "b": 2, "a": 3}`, "a", false},
		{`[{"a": 1}, {"b": 1, "b": 1}]`, "b", false},
		{`{"k\u0041": 1, "kA": 2}`, "kA", false},
		{strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40), "", true},
		{`{"a": 1, "a"`, "a", false}, // found before the syntax error
		{`{"a" 1}`, "", false},       // syntax: left to the decoder
	}
	for _, tt := range tests {
		key, dup, err := DuplicateKey([]byte(tt.in))
		if (err != nil) != tt.deep || dup != (tt.dup != "") || key != tt.dup {
			t.Errorf("DuplicateKey(%.40s) = %q, %v, %v; want %q, deep %v", tt.in, key, dup, err, tt.dup, tt.deep)
		}
	}
}

// BenchmarkDuplicateKey shows the check is linear: ns/op per byte is the
// about the same for a body of many keys and one of many small objects.
func BenchmarkDuplicateKey(b *testing.B) {
	var keys strings.Builder
	keys.WriteString("{")
	for i := range 20000 {
		if i > 0 {
			keys.WriteString(",")
		}
		keys.WriteString(`"k` + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676%26)) + `":1`)
	}
	keys.WriteString("}")
	for name, body := range map[string]string{"keys": keys.String(), "objects": "[" + strings.Repeat(`{"a":1,"b":[1,{"a":2}]},`, 20000) + "1]"} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				_, _, _ = DuplicateKey([]byte(body))
			}
		})
	}
}

package statuspage

import (
	"strings"
	"testing"
	"time"
)

func TestWithCopy(t *testing.T) {
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 3, 11, 2, 3, 456e6, time.UTC)
	cases := []struct{ in, want string }{
		{`{"page":{"id":"x"},"status":{"indicator":"none"}}`, `{"page":{"id":"x"},"status":{"indicator":"none"},"mirror":{"made_at":"2026-12-03T03:02:03.456-08:00"}}`},
		{"{}\n", `{"mirror":{"made_at":"2026-12-03T03:02:03.456-08:00"}}`},
	}
	for _, c := range cases {
		got, err := WithCopy([]byte(c.in), at, la)
		if err != nil || string(got) != c.want {
			t.Errorf("WithCopy(%s) = %s, %v; want %s", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{``, `[]`, `"x"`, `{"a":1`} {
		if _, err := WithCopy([]byte(bad), at, la); err == nil || !strings.Contains(err.Error(), "not a JSON object") {
			t.Errorf("WithCopy(%q): %v, want an error", bad, err)
		}
	}
}

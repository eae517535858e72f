package auth

import (
	"strings"
	"testing"
)

// The hash checked for names that do not exist is read as one Herald wrote,
// with the same cost as a real hash of the same parameters (so the check
// takes as long), and matches no password.
func TestUnmatchableHashCostsWhatARealOneDoes(t *testing.T) {
	p := Params{Memory: 64, Time: 2, Threads: 1}
	real, err := HashPassword("correct horse battery", p)
	if err != nil {
		t.Fatal(err)
	}
	fake := unmatchableHash(p)
	costOf := func(h string) string { return strings.Join(strings.Split(h, "$")[:4], "$") }
	if costOf(fake) != costOf(real) {
		t.Errorf("unmatchable hash %q has another cost than a real one, %q", costOf(fake), costOf(real))
	}
	if len(fake) != len(real) {
		t.Errorf("unmatchable hash is %d characters, a real one %d", len(fake), len(real))
	}
	for _, pw := range []string{"", "correct horse battery", "herald-dummy-password"} {
		ok, err := CheckPassword(fake, pw)
		if err != nil || ok {
			t.Errorf("CheckPassword(unmatchable, %q) = %v, %v; want false, nil", pw, ok, err)
		}
	}
	if unmatchableHash(p) == fake {
		t.Error("two unmatchable hashes are the same: the salt and key are not random")
	}
}

package statuspage_test

import (
	"testing"

	"github.com/heraldhq/herald/internal/statuspage"
)

// Statuses not yet recorded are said in one extra top-level key of the
// documents that carry statuses, and nowhere else; recorded ones add nothing
// to Statuspage's shape.
func TestLiveStatusIsOneExtraKey(t *testing.T) {
	in := fixture(t)
	for name := range build(t, in) {
		if _, ok := decode(t, build(t, in), name)[statuspage.LiveKey]; ok {
			t.Errorf("%s has %s with everything recorded", name, statuspage.LiveKey)
		}
	}
	in.Live = "Herald cannot write to its database right now."
	docs := build(t, in)
	carries := map[string]bool{statuspage.DocSummary: true, statuspage.DocStatus: true, statuspage.DocComponents: true}
	for _, name := range statuspage.Names {
		v, ok := decode(t, docs, name)[statuspage.LiveKey]
		if ok != carries[name] {
			t.Errorf("%s: %s present %v, want %v", name, statuspage.LiveKey, ok, carries[name])
			continue
		}
		if !ok {
			continue
		}
		live, _ := v.(map[string]any)
		if live["recorded"] != false || live["note"] != in.Live || len(live) != 2 {
			t.Errorf("%s: %s = %v", name, statuspage.LiveKey, v)
		}
	}
}

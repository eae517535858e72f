package monitor

import (
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/status"
)

func TestDecideQuorum(t *testing.T) {
	at := func(s int) time.Time { return time.Date(2026, 8, 12, 16, 48, s, 0, time.UTC) }
	view := func(loc string, st status.MonitorState, s int, reporting bool) LocationView {
		return LocationView{Location: loc, State: st, Since: at(s), Reporting: reporting}
	}
	up, down, deg, unk := status.MonitorUp, status.MonitorDown, status.MonitorDegraded, status.MonitorUnknown
	for _, c := range []struct {
		name  string
		q     string
		views []LocationView
		want  status.MonitorState
		at    int
	}{
		{"one of three down, majority", "majority", []LocationView{view("a", down, 10, true), view("b", up, 0, true), view("c", up, 0, true)}, up, -1},
		{"two of three down, majority: from the second's start", "", []LocationView{view("a", down, 10, true), view("b", down, 40, true), view("c", up, 0, true)}, down, 40},
		{"one of three, any", "any", []LocationView{view("a", down, 10, true), view("b", up, 0, true), view("c", up, 0, true)}, down, 10},
		{"two of three, all", "all", []LocationView{view("a", down, 10, true), view("b", down, 20, true), view("c", up, 0, true)}, up, -1},
		{"three of three, all", "all", []LocationView{view("a", down, 10, true), view("b", down, 20, true), view("c", down, 5, true)}, down, 20},
		{"a number", "2", []LocationView{view("a", down, 30, true), view("b", down, 20, true), view("c", up, 0, true)}, down, 30},
		{"degraded and down make degraded", "majority", []LocationView{view("a", down, 30, true), view("b", deg, 20, true), view("c", up, 0, true)}, deg, 30},
		{"a silent location leaves the count: one of two is no majority", "majority", []LocationView{view("a", down, 30, true), view("b", up, 0, true), view("c", down, 0, false)}, up, -1},
		{"with one of three silent, two of two", "majority", []LocationView{view("a", down, 30, true), view("b", down, 10, true), view("c", up, 0, false)}, down, 30},
		{"none reporting: unknown", "majority", []LocationView{view("a", down, 30, false), view("b", unk, 0, true)}, unk, -1},
		{"a number beyond those reporting asks for all left", "3", []LocationView{view("a", down, 30, true), view("b", down, 20, true), view("c", down, 0, false)}, down, 30},
	} {
		v := Decide(c.q, c.views)
		if v.State != c.want {
			t.Errorf("%s: %s (%+v), want %s", c.name, v.State, v, c.want)
			continue
		}
		if c.at >= 0 && !v.At.Equal(at(c.at)) {
			t.Errorf("%s: from %s, want %s", c.name, v.At, at(c.at))
		}
	}
}

// An agent's timers wake at WakeFor of each slot: never after the slot,
// less than startWindow before it, and one instant for the slots of one
// step, so a dense fleet's checks start on fewer wakes than checks.
func TestAgentWakesTogether(t *testing.T) {
	const n, interval = 3000, 30 * time.Second
	t0 := time.Date(2026, 8, 12, 16, 47, 30, 0, time.UTC)
	wakes := map[time.Time]bool{}
	for i := range n {
		slot := FirstSlot(t0, fmt.Sprintf("flexo/web/http-%d", i), interval)
		w := WakeFor(slot)
		if w.After(slot) || slot.Sub(w) >= startWindow {
			t.Fatalf("slot %v wakes at %v: after it, or %v or more before", slot, w, startWindow)
		}
		if again := WakeFor(w.Add(startWindow - time.Nanosecond)); !again.Equal(w) {
			t.Fatalf("the slots of one step wake apart: %v and %v", w, again)
		}
		wakes[w] = true
	}
	if len(wakes) > n/2 {
		t.Errorf("%d checks on %d wakes: not started together", n, len(wakes))
	}
}

package status

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The detector is fed checks 30 s apart from t0; each case lists the levels
// ("u", "g" degraded, "d" down) and the transitions expected, written as
// "from>to@check": the index of the check whose time the transition carries.
func TestDetector(t *testing.T) {
	t0 := time.Date(2026, 8, 12, 16, 48, 0, 0, time.UTC)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 30 * time.Second) }
	cases := []struct {
		name         string
		down, up     int
		checks       string
		transitions  []string
		finalState   MonitorState
		finalSinceAt int
	}{
		{"first success is up, no outage", 2, 1, "u", []string{"unknown>up@0"}, MonitorUp, 0},
		{"one failure is not an outage", 2, 1, "uduu", []string{"unknown>up@0"}, MonitorUp, 0},
		{"down starts at the first failure of the crossing run", 2, 1, "uuddd", []string{"unknown>up@0", "up>down@2"}, MonitorDown, 2},
		{"a broken run restarts the count", 3, 1, "udduddd", []string{"unknown>up@0", "up>down@4"}, MonitorDown, 4},
		{"recovery ends at the first success of the recovering run", 2, 2, "udddudduu", []string{"unknown>up@0", "up>down@1", "down>up@7"}, MonitorUp, 7},
		{"up_after 1 ends at the first success", 2, 1, "uddu", []string{"unknown>up@0", "up>down@1", "down>up@3"}, MonitorUp, 3},
		{"a new monitor that never answers goes down", 2, 1, "dd", []string{"unknown>down@0"}, MonitorDown, 0},
		{"slow checks are degraded", 2, 1, "ugg", []string{"unknown>up@0", "up>degraded@1"}, MonitorDegraded, 1},
		{"degraded then down starts down at its own run", 2, 1, "uggdd", []string{"unknown>up@0", "up>degraded@1", "degraded>down@3"}, MonitorDown, 3},
		{"a mixed bad run is degraded, not down", 2, 1, "ugdgd", []string{"unknown>up@0", "up>degraded@1"}, MonitorDegraded, 1},
		{"down that answers slowly becomes degraded", 2, 2, "udddgg", []string{"unknown>up@0", "up>down@1", "down>degraded@4"}, MonitorDegraded, 4},
		{"thresholds below one count as one", 0, 0, "udu", []string{"unknown>up@0", "up>down@1", "down>up@2"}, MonitorUp, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var d Detector
			var got []string
			for i, c := range tc.checks {
				l := map[rune]Level{'u': LevelUp, 'g': LevelDegraded, 'd': LevelDown}[c]
				if tr, ok := d.Observe(l, at(i), tc.down, tc.up); ok {
					idx := int(tr.At.Sub(t0) / (30 * time.Second))
					got = append(got, fmt.Sprintf("%s>%s@%d", tr.From, tr.To, idx))
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.transitions, " ") {
				t.Errorf("transitions = %v, want %v", got, tc.transitions)
			}
			if d.State != tc.finalState || !d.Since.Equal(at(tc.finalSinceAt)) {
				t.Errorf("final state %s since %v, want %s since %v", d.State, d.Since, tc.finalState, at(tc.finalSinceAt))
			}
		})
	}
}

func TestTransitionOpensCloses(t *testing.T) {
	cases := []struct {
		from, to      MonitorState
		opens, closes bool
	}{
		{MonitorUp, MonitorDown, true, false},
		{MonitorUnknown, MonitorDown, true, false},
		{MonitorUp, MonitorDegraded, true, false},
		{MonitorDegraded, MonitorDown, false, false},
		{MonitorDown, MonitorUp, false, true},
		{MonitorDegraded, MonitorUp, false, true},
		{MonitorUnknown, MonitorUp, false, false},
	}
	for _, tc := range cases {
		tr := Transition{From: tc.from, To: tc.to}
		if tr.Opens() != tc.opens || tr.Closes() != tc.closes {
			t.Errorf("%s>%s: opens %v closes %v, want %v %v", tc.from, tc.to, tr.Opens(), tr.Closes(), tc.opens, tc.closes)
		}
	}
}

func TestMeasuredStatus(t *testing.T) {
	cases := []struct {
		states []MonitorState
		want   ComponentStatus
		ok     bool
	}{
		{nil, "", false},
		{[]MonitorState{MonitorUnknown}, "", false},
		{[]MonitorState{MonitorUp}, Operational, true},
		{[]MonitorState{MonitorDown}, MajorOutage, true},
		{[]MonitorState{MonitorDown, MonitorUp}, PartialOutage, true},
		{[]MonitorState{MonitorDown, MonitorUnknown}, MajorOutage, true},
		{[]MonitorState{MonitorDegraded, MonitorUp}, DegradedPerformance, true},
		{[]MonitorState{MonitorDegraded, MonitorDown}, PartialOutage, true},
	}
	for _, tc := range cases {
		got, ok := MeasuredStatus(tc.states)
		if got != tc.want || ok != tc.ok {
			t.Errorf("MeasuredStatus(%v) = %q %v, want %q %v", tc.states, got, ok, tc.want, tc.ok)
		}
	}
}

package report

import (
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                   "0:00:00",
		1500 * time.Millisecond:             "0:00:02",
		190 * time.Second:                   "0:03:10",
		time.Hour + 13*time.Minute + 5e9:    "1:13:05",
		49*time.Hour + 2*time.Minute + 11e9: "49:02:11", // not folded into days: columns add up
	} {
		if got := clock(d); got != want {
			t.Errorf("clock(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestSpreadsheetSafe(t *testing.T) {
	for in, want := range map[string]string{
		"":                  "",
		"timeout after 10s": "timeout after 10s",
		"=HYPERLINK(\"x\")": "'=HYPERLINK(\"x\")",
		"+1":                "'+1",
		"@SUM(A1)":          "'@SUM(A1)",
		"-12.5":             "-12.5", // a number stays a number
		"-cmd":              "'-cmd",
		"\tx":               "'\tx",
	} {
		if got := spreadsheetSafe(in); got != want {
			t.Errorf("spreadsheetSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCheckFormat(t *testing.T) {
	for _, ok := range [][2]string{{"json", ""}, {"html", "uptime"}, {"csv", ""}, {"csv", "outages"}, {"csv", "maintenance"}} {
		if err := CheckFormat(ok[0], ok[1]); err != nil {
			t.Errorf("CheckFormat(%q, %q): %v", ok[0], ok[1], err)
		}
	}
	for _, bad := range [][2]string{{"pdf", ""}, {"json", "outages"}, {"csv", "incidents"}} {
		if err := CheckFormat(bad[0], bad[1]); err == nil {
			t.Errorf("CheckFormat(%q, %q) accepted", bad[0], bad[1])
		}
	}
}

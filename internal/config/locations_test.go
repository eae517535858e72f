package config

import (
	"strings"
	"testing"
)

func TestLocationRules(t *testing.T) {
	const head = "page:\n  title: T\n  zone: UTC\ngroups:\n  - id: g\n    components:\n      - id: c\n        name: C\n        monitors:\n"
	for _, c := range []struct{ name, monitor, want string }{
		{"quorum without locations", "          - {type: tcp, address: 127.0.0.1:1, quorum: any}",
			"monitor g/c/tcp: quorum needs locations (without them the server checks the monitor itself)"},
		{"bad location name", "          - {type: tcp, address: 127.0.0.1:1, locations: [fra-1, 'FRA 2']}",
			`location "FRA 2" must be`},
		{"location twice", "          - {type: tcp, address: 127.0.0.1:1, locations: [fra-1, fra-1]}",
			"location fra-1 is listed twice"},
		{"quorum beyond the locations", "          - {type: tcp, address: 127.0.0.1:1, locations: [fra-1, ams-1], quorum: 3}",
			`quorum "3" must be majority, any, all or a number from 1 to 2`},
		{"quorum word", "          - {type: tcp, address: 127.0.0.1:1, locations: [fra-1], quorum: most}",
			`quorum "most" must be`},
		{"heartbeat with locations", "          - {type: heartbeat, period: 5m, token_env: HB, locations: [fra-1]}",
			"heartbeat monitors are pinged, not checked, so they take no locations"},
	} {
		_, err := Parse("x.yaml", []byte(head+c.monitor+"\n"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	cfg, err := Parse("x.yaml", []byte(head+"          - {type: http, url: 'http://127.0.0.1:1/', locations: [fra-1, ams-1, nyc-1], quorum: majority}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m := cfg.Groups[0].Components[0].Monitors[0]; len(m.Locations) != 3 || m.Quorum != "majority" {
		t.Fatalf("read %+v", m)
	}
}

func TestQuorumNeed(t *testing.T) {
	for _, c := range []struct {
		q               string
		reporting, want int
	}{
		{"", 3, 2}, {"majority", 4, 3}, {"majority", 1, 1}, {"any", 3, 1}, {"all", 3, 3}, {"2", 3, 2}, {"3", 2, 2}, {"majority", 0, 0},
	} {
		if got := QuorumNeed(c.q, c.reporting); got != c.want {
			t.Errorf("QuorumNeed(%q, %d) = %d, want %d", c.q, c.reporting, got, c.want)
		}
	}
}

package config

import (
	"errors"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.want from the current output")

// TestBadFiles loads each testdata/*.yaml and compares the error text with
// the .want file beside it, exactly: the messages are the interface an
// operator reads, so a change in wording must show up in review.
func TestBadFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 12 {
		t.Fatalf("found %d bad configurations in testdata, want at least 12", len(files))
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			wantFile := strings.TrimSuffix(file, ".yaml") + ".want"
			_, err := Load(file)
			if err == nil {
				t.Fatalf("Load(%s) succeeded, want an error", file)
			}
			var errs *Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Load(%s) error is %T, want *Errors", file, err)
			}
			for _, p := range *errs {
				if p.File != file {
					t.Errorf("problem %q names file %q, want %q", p, p.File, file)
				}
			}
			got := err.Error() + "\n"
			if *update {
				if err := os.WriteFile(wantFile, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(wantFile)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("Load(%s) errors:\n%s\nwant:\n%s", file, got, want)
			}
		})
	}
}

// TestRules covers rules not worth a file of their own; each case must give
// exactly the one problem named.
func TestRules(t *testing.T) {
	const head = "page:\n  title: T\n  zone: UTC\ngroups:\n  - id: g\n    components:\n      - id: c\n        name: C\n        monitors:\n"
	tests := []struct {
		name    string
		monitor string // appended under monitors:
		want    string
	}{
		{"interval too long", "          - {type: tcp, address: 127.0.0.1:1, interval: 25h}",
			"x.yaml:10:47: monitor g/c/tcp: interval 25h must be at most 24h"},
		{"interval too short", "          - {type: tcp, address: 127.0.0.1:1, interval: 500ms, timeout: 100ms}",
			"x.yaml:10:47: monitor g/c/tcp: interval 500ms must be at least 1s"},
		{"timeout zero", "          - {type: tcp, address: 127.0.0.1:1, timeout: 0s}",
			"x.yaml:10:47: monitor g/c/tcp: timeout must be more than 0"},
		{"port zero", "          - {type: smtp, address: 127.0.0.1:0}",
			`x.yaml:10:26: monitor g/c/smtp: address "127.0.0.1:0" must have a port from 1 to 65535`},
		{"named port", "          - {type: imap, address: 127.0.0.1:imap}",
			`x.yaml:10:26: monitor g/c/imap: address "127.0.0.1:imap" must have a port from 1 to 65535`},
		{"no host", "          - {type: pop3, address: ':110'}",
			`x.yaml:10:26: monitor g/c/pop3: address ":110" must be HOST:PORT`},
		{"url without host", "          - {type: http, url: 'http:///x'}",
			`x.yaml:10:26: monitor g/c/http: url "http:///x" must be an absolute http or https URL`},
		{"dns without query", "          - {type: dns, address: 127.0.0.1:53}",
			"x.yaml:10:13: monitor g/c/dns: query (the name to resolve) is required for dns monitors"},
		{"heartbeat without period", "          - {type: heartbeat, token_env: HB}",
			"x.yaml:10:13: monitor g/c/heartbeat: period of at least 1s is required for heartbeat monitors"},
		{"heartbeat without token_env", "          - {type: heartbeat, period: 5m}",
			"x.yaml:10:13: monitor g/c/heartbeat: token_env (the environment variable holding the heartbeat token) is required for heartbeat monitors"},
		{"heartbeat with url", "          - {type: heartbeat, period: 5m, token_env: HB, url: 'http://127.0.0.1/'}",
			"x.yaml:10:58: monitor g/c/heartbeat: url does not apply to heartbeat monitors"},
		{"empty url still not allowed", "          - {type: tcp, address: 127.0.0.1:1, url: ''}",
			"x.yaml:10:47: monitor g/c/tcp: url does not apply to tcp monitors"},
		{"query on http", "          - {type: http, url: 'http://127.0.0.1/', query: x}",
			"x.yaml:10:52: monitor g/c/http: query does not apply to http monitors"},
		{"type missing", "          - {address: 127.0.0.1:1}",
			"x.yaml:10:13: monitor g/c/#1: type is required (one of dns, heartbeat, http, https, icmp, imap, pop3, smtp, tcp, tls)"},
		{"negative cert days", "          - {type: tls, address: 127.0.0.1:443, cert_expiry_days: -1}",
			"x.yaml:10:49: monitor g/c/tls: cert_expiry_days -1 must be from 0 to 3650"},
		{"default timeout over short interval", "          - {type: tcp, address: 127.0.0.1:1, interval: 5s}",
			"x.yaml:10:13: monitor g/c/tcp: timeout (the default 10s) must be less than interval (5s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(head+tt.monitor+"\n"))
			if err == nil {
				t.Fatalf("Parse succeeded, want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("Parse error:\n%s\nwant:\n%s", err, tt.want)
			}
		})
	}
}

const good = `
page:
  title: Example Hosting Status
  zone: Europe/Berlin
groups:
  - id: flexo
    components:
      - id: web
        name: Web sites
        monitors:
          - type: https
            url: https://127.0.0.1:18443/
          - type: http
            name: plain
            url: http://127.0.0.1:18081/
            interval: 1m
            timeout: 5s
            cert_expiry_days: 0
      - id: dns
        name: DNS
        monitors:
          - type: dns
            address: 127.0.0.1:53
            query: example.net
          - type: heartbeat
            period: 1h
            token_env: HERALD_BACKUP_TOKEN
notify:
  email:
    smtp: 127.0.0.1:2525
    from: Example Hosting <status@example.net>
channels:
  - name: ops
    type: email
    to: [ops@example.net]
  - name: chat
    type: slack
    url: https://127.0.0.1:9443/hook
`

func TestDefaults(t *testing.T) {
	c, err := Parse("good.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if c.Incidents.Auto != AutoDraft {
		t.Errorf("incidents.auto = %q, want %q", c.Incidents.Auto, AutoDraft)
	}
	if c.Groups[0].Name != "flexo" {
		t.Errorf("group name = %q, want the id", c.Groups[0].Name)
	}
	web := c.Groups[0].Components[0].Monitors
	want := Monitor{Type: "https", Name: "https", URL: "https://127.0.0.1:18443/",
		Interval: Duration(30 * time.Second), Timeout: Duration(10 * time.Second),
		DownAfter: 2, UpAfter: 1, CertExpiryDays: 14}
	if !reflect.DeepEqual(web[0], want) {
		t.Errorf("defaulted monitor:\n%+v\nwant:\n%+v", web[0], want)
	}
	if web[1].Interval.D() != time.Minute || web[1].Timeout.D() != 5*time.Second {
		t.Errorf("written interval/timeout replaced: %s/%s", web[1].Interval, web[1].Timeout)
	}
	if web[1].CertExpiryDays != 0 {
		t.Errorf("cert_expiry_days: 0 was replaced by %d; a written 0 turns the warning off", web[1].CertExpiryDays)
	}
	dns := c.Groups[0].Components[1].Monitors
	if dns[0].Record != "A" || dns[0].CertExpiryDays != 0 {
		t.Errorf("dns monitor record=%q cert_expiry_days=%d, want A and 0", dns[0].Record, dns[0].CertExpiryDays)
	}
	if e := c.Notify.Email; e.TLS != "starttls" || e.RatePerSecond != 10 {
		t.Errorf("email tls=%q rate=%g, want starttls and 10", e.TLS, e.RatePerSecond)
	}
	if r := c.Maintenance.Reminders; !reflect.DeepEqual(r, []Duration{Duration(24 * time.Hour), Duration(time.Hour)}) {
		t.Errorf("reminders = %v, want [24h 1h]", r)
	}
	if got := ZoneName(c.Location()); got != "Berlin time" {
		t.Errorf("zone name = %q, want Berlin time", got)
	}
}

func TestEmptyRemindersStayEmpty(t *testing.T) {
	c, err := Parse("x.yaml", []byte("page: {title: T, zone: UTC}\ngroups: [{id: g, components: [{id: c, name: C}]}]\nmaintenance: {reminders: []}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Maintenance.Reminders) != 0 {
		t.Errorf("reminders = %v; an explicit empty list means no reminders", c.Maintenance.Reminders)
	}
}

func TestExample(t *testing.T) {
	c, err := Load("../../examples/hosting.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"flexo/web", "flexo/email", "mom/web", "mom/email",
		"elzar/web", "elzar/email", "zapp/web", "zapp/email",
	}
	if got := c.ComponentIDs(); !reflect.DeepEqual(got, want) {
		t.Errorf("component ids = %v, want %v", got, want)
	}
	wantProxies := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}
	if got := c.Server.Proxies(); !reflect.DeepEqual(got, wantProxies) {
		t.Errorf("trusted proxies = %v, want %v", got, wantProxies)
	}
	if c.Incidents.Auto != AutoPublish || ZoneName(c.Location()) != "Pacific time" {
		t.Errorf("auto=%q zone=%q, want publish and Pacific time", c.Incidents.Auto, ZoneName(c.Location()))
	}
	// The house rule: the example probes nothing but this machine.
	for _, g := range c.Groups {
		for _, cp := range g.Components {
			for _, m := range cp.Monitors {
				target := m.URL + m.Address
				if !strings.Contains(target, "127.0.0.1:") || strings.Count(target, ".") != 3 {
					t.Errorf("%s/%s monitor targets %q, want loopback 127.0.0.1 only", g.ID, cp.ID, target)
				}
			}
		}
	}
	g, cp, ok := c.Component("zapp/email")
	if !ok || g.ID != "zapp" || cp.Name != "E-mail" || cp.Monitors[0].Address != "127.0.0.1:12528" {
		t.Errorf("Component(zapp/email) = %+v, %+v, %v", g, cp, ok)
	}
	if _, _, ok := c.Component("zapp"); ok {
		t.Error("Component(zapp) found something; a group is not a component")
	}
}

func TestDurationString(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"}, {500 * time.Millisecond, "500ms"}, {30 * time.Second, "30s"},
		{10 * time.Minute, "10m"}, {time.Hour, "1h"}, {90 * time.Minute, "1h30m"},
		{800 * time.Hour, "800h"}, {time.Hour + time.Second, "1h0m1s"},
	}
	for _, tt := range tests {
		got := Duration(tt.d).String()
		if got != tt.want {
			t.Errorf("Duration(%v).String() = %q, want %q", tt.d, got, tt.want)
		}
		if back, err := time.ParseDuration(got); err != nil || back != tt.d {
			t.Errorf("%q does not parse back to %v", got, tt.d)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load of a missing file = %v, want an os.ErrNotExist error", err)
	}
}

func TestZoneName(t *testing.T) {
	tests := []struct{ zone, want string }{
		{"America/Los_Angeles", "Pacific time"},
		{"America/Denver", "Mountain time"},
		{"America/Phoenix", "Mountain time"},
		{"America/Chicago", "Central time"},
		{"America/New_York", "Eastern time"},
		{"UTC", "UTC"},
		{"Europe/Berlin", "Berlin time"},
		{"America/Argentina/Buenos_Aires", "Buenos Aires time"},
	}
	for _, tt := range tests {
		t.Run(tt.zone, func(t *testing.T) {
			loc, err := time.LoadLocation(tt.zone)
			if err != nil {
				t.Fatal(err)
			}
			if got := ZoneName(loc); got != tt.want {
				t.Errorf("ZoneName(%s) = %q, want %q", tt.zone, got, tt.want)
			}
		})
	}
	if got := ZoneName(nil); got != "UTC" {
		t.Errorf("ZoneName(nil) = %q, want UTC", got)
	}
}

func TestLocationNeverNil(t *testing.T) {
	for _, c := range []Config{{}, {Page: Page{Zone: "Nowhere/Special"}}} {
		if c.Location() != time.UTC {
			t.Errorf("Location() for zone %q = %v, want UTC", c.Page.Zone, c.Location())
		}
	}
	if loc := (Config{Page: Page{Zone: "Asia/Tokyo"}}).Location(); loc.String() != "Asia/Tokyo" {
		t.Errorf("Location() for a hand-built Config = %v, want Asia/Tokyo", loc)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	if data, err := os.ReadFile("../../examples/hosting.yaml"); err == nil {
		f.Add(data)
	}
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data)
		if err != nil {
			var errs *Errors
			if !errors.As(err, &errs) || len(*errs) == 0 {
				t.Fatalf("error %v (%T) is not a non-empty *Errors", err, err)
			}
			for _, p := range *errs {
				if p.File != "fuzz.yaml" || p.Msg == "" || strings.Contains(p.Msg, "\n") {
					t.Fatalf("malformed problem %#v", p)
				}
			}
			return
		}
		checkInvariants(t, c)
	})
}

// checkInvariants is what the rest of Herald may assume of a Config that
// Parse accepted.
func checkInvariants(t *testing.T, c Config) {
	t.Helper()
	if c.Page.Title == "" || c.Location() == nil || c.loc == nil {
		t.Fatalf("page %+v accepted without a title or zone", c.Page)
	}
	switch c.Incidents.Auto {
	case AutoPublish, AutoDraft, AutoOff:
	default:
		t.Fatalf("incidents.auto %q accepted", c.Incidents.Auto)
	}
	if len(c.Groups) == 0 {
		t.Fatal("no groups accepted")
	}
	ids := c.ComponentIDs()
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("component id %s twice", id)
		}
		seen[id] = true
		if _, _, ok := c.Component(id); !ok {
			t.Fatalf("Component(%s) not found", id)
		}
	}
	kinds := monitorKinds()
	for _, g := range c.Groups {
		if len(g.Components) == 0 || g.Name == "" {
			t.Fatalf("group %+v accepted without components or name", g)
		}
		for _, cp := range g.Components {
			names := map[string]bool{}
			for _, m := range cp.Monitors {
				if _, ok := kinds[m.Type]; !ok {
					t.Fatalf("monitor type %q accepted", m.Type)
				}
				if names[m.Name] || m.Name == "" {
					t.Fatalf("monitor name %q empty or repeated in %s/%s", m.Name, g.ID, cp.ID)
				}
				names[m.Name] = true
				if !(m.Interval > m.Timeout && m.Timeout > 0) || m.Interval.D() > 24*time.Hour {
					t.Fatalf("monitor %+v: interval %s, timeout %s accepted", m, m.Interval, m.Timeout)
				}
				if m.DownAfter < 1 || m.DownAfter > 100 || m.UpAfter < 1 || m.UpAfter > 100 {
					t.Fatalf("monitor thresholds %d/%d accepted", m.DownAfter, m.UpAfter)
				}
				if m.DegradedOver < 0 || (m.DegradedOver > 0 && m.DegradedOver >= m.Timeout) {
					t.Fatalf("degraded_over %s with timeout %s accepted", m.DegradedOver, m.Timeout)
				}
			}
		}
	}
	if e := c.Notify.Email; e != nil && (e.RatePerSecond <= 0 || e.TLS == "") {
		t.Fatalf("email %+v accepted without a rate or tls mode", e)
	}
	for _, r := range c.Maintenance.Reminders {
		if r <= 0 || r.D() > 30*24*time.Hour {
			t.Fatalf("reminder %s accepted", r)
		}
	}
}

// A Server built by hand (not by Parse) still gives its proxies, leaving
// out what does not parse.
func TestServerProxiesByHand(t *testing.T) {
	s := Server{TrustedProxies: []string{"10.0.0.0/8", "192.0.2.7", "::1", "nonsense"}}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("::1/128")}
	if got := s.Proxies(); !reflect.DeepEqual(got, want) {
		t.Errorf("Proxies() = %v, want %v", got, want)
	}
	if got := (Server{}).Proxies(); len(got) != 0 {
		t.Errorf("no proxies: %v", got)
	}
}

// TestFrontBars: page.front_bars defaults to DefaultFrontBars, a written 0
// stays 0 (never), and an entry of pages: without the key takes page:'s
// while one with it keeps its own.
func TestFrontBars(t *testing.T) {
	const groups = "groups: [{id: g, components: [{id: c, name: C}]}, {id: h, components: [{id: c, name: C}]}]\n"
	c, err := Parse("x.yaml", []byte("page: {title: T, zone: UTC}\n"+groups))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Page.FrontBarsLimit(); got != DefaultFrontBars {
		t.Errorf("unset front_bars: limit %d, want %d", got, DefaultFrontBars)
	}
	if !c.Page.FrontBarsFor(DefaultFrontBars) || c.Page.FrontBarsFor(DefaultFrontBars+1) {
		t.Errorf("FrontBarsFor: want bars at %d components and none at %d", DefaultFrontBars, DefaultFrontBars+1)
	}
	c, err = Parse("x.yaml", []byte("page: {title: T, zone: UTC, front_bars: 0}\n"+groups+
		"pages:\n  - {id: a, title: A, path: /a, groups: [g]}\n  - {id: b, title: B, path: /b, groups: [h], front_bars: 7}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Page.FrontBarsLimit(); got != 0 || c.Page.FrontBarsFor(1) {
		t.Errorf("front_bars: 0: limit %d, bars for one component %v; want 0 and none", got, c.Page.FrontBarsFor(1))
	}
	if got := c.Pages[0].FrontBarsLimit(); got != 0 {
		t.Errorf("pages entry without front_bars: limit %d, want page:'s 0", got)
	}
	if got := c.Pages[1].FrontBarsLimit(); got != 7 {
		t.Errorf("pages entry with front_bars: 7: limit %d, want 7", got)
	}
}

package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestRecurringLoads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "herald.yaml")
	if err := os.WriteFile(path, []byte(`page:
  title: Example Hosting Status
  zone: America/Los_Angeles
groups:
  - id: flexo
    components:
      - id: web
        name: Web sites
maintenance:
  ahead: 72h
  recurring:
    - title: Monthly kernel updates
      rrule: freq=monthly;byday=1su
      start: "2026-01-04T02:00"
      duration: 1h
      components: [flexo/web]
      body: The servers restart.
    - title: Berlin backups
      rrule: FREQ=WEEKLY
      start: "2026-01-05T03:30"
      zone: Europe/Berlin
      duration: 15m
      components: [flexo/web]
      body: Backups.
`), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Maintenance.Ahead.D() != 72*time.Hour || len(c.Maintenance.Recurring) != 2 {
		t.Fatalf("maintenance %+v", c.Maintenance)
	}
	s, err := c.Maintenance.Recurring[0].Series(c.Page.Zone)
	if err != nil {
		t.Fatal(err)
	}
	// The page's zone when the entry names none; the title is the key.
	if s.Zone != "America/Los_Angeles" || s.Key != "Monthly kernel updates" || s.Duration != time.Hour ||
		!s.Start.Equal(time.Date(2026, 1, 4, 2, 0, 0, 0, time.UTC)) {
		t.Errorf("series %+v", s)
	}
	if s, _ := c.Maintenance.Recurring[1].Series(c.Page.Zone); s.Zone != "Europe/Berlin" {
		t.Errorf("zone %q, want Europe/Berlin", s.Zone)
	}
}

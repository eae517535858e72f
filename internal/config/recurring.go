package config

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/status"
)

// Recurring is maintenance that repeats, declared in the configuration:
//
//	maintenance:
//	  recurring:
//	    - title: Monthly kernel updates
//	      rrule: FREQ=MONTHLY;BYDAY=1SU     # RFC 5545: the first Sunday of each month
//	      start: "2026-01-04T02:00"         # the first occurrence, local time in zone
//	      zone: America/Los_Angeles         # default: page.zone
//	      duration: 1h
//	      components: [flexo/web, mom/web]
//	      body: The servers restart with the month's kernel.
//
// The title names the series. Changing an entry's rule, start, zone,
// duration or components ends its series (the windows to come are
// cancelled) and starts a new one; a new body is taken in place, for the
// windows not yet made; a new title, or removing the entry, ends the series.
type Recurring struct {
	Title      string   `yaml:"title"`
	Body       string   `yaml:"body"`
	RRule      string   `yaml:"rrule"`
	Start      string   `yaml:"start"`
	Zone       string   `yaml:"zone"`
	Duration   Duration `yaml:"duration"`
	Components []string `yaml:"components"`
}

// Series is the entry as a series to store (its Key is its title), with
// the page's zone when it names none.
func (r Recurring) Series(pageZone string) (status.Series, error) {
	start, err := time.Parse(status.WallLayout, strings.TrimSpace(r.Start))
	if err != nil {
		return status.Series{}, fmt.Errorf("start %q is not a local time like 2026-01-04T02:00 (the zone is given apart)", r.Start)
	}
	zone := cmpOr(r.Zone, pageZone, "UTC")
	return status.Series{Key: strings.TrimSpace(r.Title), Title: strings.TrimSpace(r.Title), Body: r.Body, Rule: r.RRule,
		Start: start, Zone: zone, Duration: r.Duration.D(), Components: slices.Clone(r.Components)}, nil
}

func cmpOr(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return strings.TrimSpace(s)
		}
	}
	return ""
}

// recurring checks maintenance.recurring by the rules every series follows
// (status.CheckSeries), and maintenance.ahead.
func (v *validator) recurring(c *Config) {
	if c.Maintenance.Ahead < 0 || c.Maintenance.Ahead.D() > 366*24*time.Hour {
		v.addf("maintenance.ahead", "maintenance.ahead must be between 0s (the default: 336h, two weeks) and 8784h (a year), not %s", c.Maintenance.Ahead.D())
	}
	comps := map[string]bool{}
	for _, id := range c.ComponentIDs() {
		comps[id] = true
	}
	firstLine := map[string]int{}
	for i, r := range c.Maintenance.Recurring {
		at := fmt.Sprintf("maintenance.recurring[%d]", i)
		label := strings.TrimSpace(r.Title)
		switch {
		case label == "":
			label = fmt.Sprintf("#%d", i+1)
			v.addf(at+".title", "recurring maintenance %s: title is required (it names the series)", label)
		case len(label) > 200:
			v.addf(at+".title", "recurring maintenance %s: the title is longer than 200 characters", label[:40]+"…")
		default:
			if l, dup := firstLine[label]; dup {
				v.addf(at+".title", "recurring maintenance %q is declared twice (first on line %d)", label, l)
			} else {
				firstLine[label] = v.pos.line(at + ".title")
			}
		}
		if strings.TrimSpace(r.Body) == "" {
			v.addf(at+".body", "recurring maintenance %s: body (each window's announcement, Markdown) is required", label)
		}
		for j, id := range r.Components {
			if !comps[id] {
				v.addf(fmt.Sprintf("%s.components[%d]", at, j), "recurring maintenance %s: unknown component %q (component ids look like flexo/web)", label, id)
			}
		}
		s, err := r.Series(c.Page.Zone)
		if err != nil {
			v.addf(at+".start", "recurring maintenance %s: %s", label, err)
			continue
		}
		if err := status.CheckSeries(&s); err != nil {
			key := at + ".rrule"
			switch {
			case strings.Contains(err.Error(), "time zone"):
				key = at + ".zone"
			case strings.Contains(err.Error(), "duration"):
				key = at + ".duration"
			case strings.Contains(err.Error(), "component"):
				key = at + ".components"
			}
			v.addf(key, "recurring maintenance %s: %s", label, err)
		}
	}
}

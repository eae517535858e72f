package prose

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// at reads a wall-clock time in loc, to the second.
func at(t *testing.T, loc *time.Location, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04:05", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v.UTC()
}

// draft is what a case writes: labelled texts, in the order they appear in
// the golden file.
type draft []struct{ label, text string }

func (d *draft) add(label, text string) { *d = append(*d, struct{ label, text string }{label, text}) }

func (d draft) String() string {
	var b strings.Builder
	for _, p := range d {
		b.WriteString(p.label + ":\n" + p.text + "\n\n")
	}
	return b.String()
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// outageDraft is every text an outage gives: the incident it opens, its
// resolution and, for a recurrence, the update on the first incident.
func outageDraft(t *testing.T, o Outage, p Page) draft {
	t.Helper()
	var d draft
	open := must[Text](t)(Investigating(o))
	d.add("title", open.Title)
	d.add("investigating", open.Body)
	d.add("resolved", must[string](t)(Resolved(o, p)))
	if r := must[string](t)(Recurrence(o, p)); r != "" {
		d.add("update on the first incident", r)
	}
	return d
}

// networkDraft is every text a network event gives: the incident it opens,
// an update for each restoration as it happened (posted 20 seconds later,
// with the event as it stood then), and its resolution.
func networkDraft(t *testing.T, e NetworkEvent, p Page) draft {
	t.Helper()
	var d draft
	open := must[Text](t)(NetworkInvestigatingIn(e, p.Lang))
	d.add("title", open.Title)
	d.add("investigating", open.Body)
	var instants []time.Time
	for _, r := range e.Servers {
		if !r.Restored.IsZero() && !slices.ContainsFunc(instants, r.Restored.Equal) {
			instants = append(instants, r.Restored)
		}
	}
	slices.SortFunc(instants, time.Time.Compare)
	for i, at := range instants {
		if i == len(instants)-1 && !slices.ContainsFunc(e.Servers, func(r Restoration) bool { return r.Restored.IsZero() }) {
			break // the last restoration is told by the resolution
		}
		then := e
		then.Servers = nil
		for _, r := range e.Servers {
			switch {
			case r.Restored.After(at):
				r.Restored = time.Time{}
			case r.Restored.Before(at):
				r.Told = true // an earlier update told it
			}
			then.Servers = append(then.Servers, r)
		}
		d.add("restored, posted at "+at.Add(20*time.Second).In(p.Loc).Format("3:04:05 PM"),
			must[string](t)(NetworkRestored(then, Page{Loc: p.Loc, Zone: p.Zone, Now: at.Add(20 * time.Second), Lang: p.Lang})))
	}
	d.add("resolved", must[string](t)(NetworkResolved(e, p)))
	return d
}

func maintenanceDraft(t *testing.T, m Maintenance) draft {
	t.Helper()
	var d draft
	d.add("completed", must[string](t)(MaintenanceCompleted(m)))
	return d
}

// TestGolden drafts every case and compares it with testdata/NAME.golden;
// go test ./internal/prose -update rewrites them. Each case that retells a
// seed post also checks the seed's own sentences, word for word.
func TestGolden(t *testing.T) {
	la, utc, berlin := zone(t, "America/Los_Angeles"), time.UTC, zone(t, "Europe/Berlin")
	pacific := func(now string) Page { return Page{Loc: la, Zone: "Pacific time", Now: at(t, la, now)} }
	email := []OtherService{{Service: "E-mail"}}
	web := []OtherService{{Service: "Web site"}}
	fleet := func(times ...string) []Restoration { return testFleet(t, la, times...) }

	for _, tc := range []struct {
		name string
		run  func(t *testing.T) draft
		// seed holds sentences the draft must contain exactly.
		seed []string
	}{
		{
			name: "seed-apache-reload",
			run: func(t *testing.T) draft {
				return outageDraft(t, Outage{Server: "flexo", Service: ServiceNoun("web", "Web sites"),
					Start: at(t, la, "2026-08-12 09:48:07"), End: at(t, la, "2026-08-12 09:52:02"), Others: email},
					pacific("2026-08-12 09:55:00"))
			},
			seed: []string{
				"Web sites on flexo not responding",
				"We're investigating a problem with Web site service on the flexo server. We'll post an update here as soon as we know more.",
				"Customers on the flexo server experienced a four-minute interruption in Web site service between 9:48 and 9:52 AM Pacific time this morning (August 12). E-mail was not affected, and customers on other servers were not affected.",
			},
		},
		{
			name: "seed-network-attack",
			run: func(t *testing.T) draft {
				// The providers' block brought mom, elzar and zapp back at
				// once, and their checks saw it in the same second. (At
				// different seconds they are told in order: see
				// network-restored-in-order.) Checked by agents elsewhere,
				// every location seeing them fail: the seed's words, "The
				// problem caused most of our servers to become unreachable
				// (or very slow) from the Internet." Checked from inside
				// only, see network-seen-from-inside.
				return networkDraft(t, NetworkEvent{Start: at(t, la, "2026-08-14 02:16:20"),
					Servers:     fleet("2026-08-14 03:29:10", "2026-08-14 02:59:20", "2026-08-14 02:59:20", "2026-08-14 02:59:20"),
					FromOutside: true},
					pacific("2026-08-14 03:35:00"))
			},
			seed: []string{
				"Beginning at 2:16 AM Pacific time this morning, all of our servers became unreachable (or very slow) from the Internet.",
				"We restored service to all servers except flexo at 2:59 AM. We restored service to the flexo server at 3:29 AM.",
				"All services are now operating normally.",
			},
		},
		{
			name: "seed-network-most-servers",
			run: func(t *testing.T) draft {
				return networkDraft(t, NetworkEvent{Start: at(t, la, "2026-08-14 02:16:20"),
					Servers:     fleet("2026-08-14 03:29:10", "2026-08-14 02:59:20", "2026-08-14 02:59:20"),
					Unaffected:  []string{"zapp"},
					FromOutside: true},
					pacific("2026-08-14 03:35:00"))
			},
			seed: []string{
				"Most of our servers are unreachable (or very slow) from the Internet. We're investigating.",
				"Beginning at 2:16 AM Pacific time this morning, most of our servers became unreachable (or very slow) from the Internet.",
				"We restored service to all servers except flexo at 2:59 AM. We restored service to the flexo server at 3:29 AM.",
			},
		},
		{
			name: "network-seen-from-inside",
			run: func(t *testing.T) draft {
				// The seed's event, checked by the server alone (no
				// locations): it saw the servers fail but cannot know that
				// the Internet did, so the texts say what it saw, in the
				// seed's words without "from the Internet".
				return networkDraft(t, NetworkEvent{Start: at(t, la, "2026-08-14 02:16:20"),
					Servers:    fleet("2026-08-14 03:29:10", "2026-08-14 02:59:20", "2026-08-14 02:59:20"),
					Unaffected: []string{"zapp"}},
					pacific("2026-08-14 03:35:00"))
			},
			seed: []string{
				"Most of our servers are unreachable or very slow. We're investigating.",
				"Beginning at 2:16 AM Pacific time this morning, most of our servers became unreachable or very slow.",
			},
		},
		{
			name: "seed-kernel-maintenance",
			run: func(t *testing.T) draft {
				return maintenanceDraft(t, Maintenance{Planned: 5 * time.Minute, Servers: []ServerDowntime{
					{"flexo", 3*time.Minute + 10*time.Second}, {"mom", 2*time.Minute + 5*time.Second},
					{"elzar", time.Minute + 40*time.Second}, {"zapp", 0}}})
			},
			seed: []string{"The maintenance was completed with less than five minutes of downtime: flexo 3 minutes 10 seconds, mom 2 minutes 5 seconds, elzar 1 minute 40 seconds, zapp no downtime."},
		},
		{
			name: "seed-tonight",
			run: func(t *testing.T) draft {
				return outageDraft(t, Outage{Server: "flexo", Service: "Web site",
					Start: at(t, la, "2026-03-28 21:54:20"), End: at(t, la, "2026-03-28 22:02:10"), Others: email},
					pacific("2026-03-28 22:10:00"))
			},
			seed: []string{"between 9:54 and 10:02 PM Pacific time tonight (March 28)."},
		},
		{
			name: "seed-recurrence-second-time",
			run: func(t *testing.T) draft {
				return outageDraft(t, Outage{Server: "flexo", Service: "Web site",
					Start: at(t, la, "2026-03-31 06:22:15"), End: at(t, la, "2026-03-31 06:31:25"), Others: email,
					Earlier: []Earlier{{Start: at(t, la, "2026-03-28 21:54:20"), End: at(t, la, "2026-03-28 22:02:10"),
						Title: "Web sites on flexo not responding"}}},
					pacific("2026-03-31 06:40:00"))
			},
			seed: []string{"The problem happened a second time on March 31 from 6:22 to 6:31 AM."},
		},
		{
			name: "recurrence-third-time",
			run: func(t *testing.T) draft {
				return outageDraft(t, Outage{Server: "flexo", Service: "Web site",
					Start: at(t, la, "2026-04-02 14:05:00"), End: at(t, la, "2026-04-02 14:17:00"), Others: email,
					Earlier: []Earlier{
						// Given newest first, and with one more than a week old: both are sorted out.
						{Start: at(t, la, "2026-03-31 06:22:15"), End: at(t, la, "2026-03-31 06:31:25"), Title: "Web sites on flexo not responding again"},
						{Start: at(t, la, "2026-03-28 21:54:20"), End: at(t, la, "2026-03-28 22:02:10"), Title: "Web sites on flexo not responding"},
						{Start: at(t, la, "2026-03-20 10:00:00"), End: at(t, la, "2026-03-20 10:05:00"), Title: "Too old to count"},
					}},
					pacific("2026-04-02 14:20:00"))
			},
			seed: []string{"The problem happened a third time on April 2 from 2:05 to 2:17 PM."},
		},
		{
			name: "other-day",
			run: func(t *testing.T) draft {
				return outageDraft(t, Outage{Server: "mom", Service: "Web site",
					Start: at(t, la, "2026-08-11 16:10:00"), End: at(t, la, "2026-08-11 16:18:20"), Others: email},
					pacific("2026-08-12 08:30:00"))
			},
		},
		{
			name: "midnight-crossing",
			run: func(t *testing.T) draft {
				return outageDraft(t, Outage{Server: "elzar", Service: "E-mail",
					Start: at(t, la, "2026-08-11 23:50:12"), End: at(t, la, "2026-08-12 00:20:40"), Others: web},
					pacific("2026-08-12 00:25:00"))
			},
		},
		{
			name: "new-year-crossing",
			run: func(t *testing.T) draft {
				return outageDraft(t, Outage{Server: "elzar", Service: "Web site",
					Start: at(t, la, "2025-12-31 23:40:00"), End: at(t, la, "2026-01-01 01:05:00"), Others: email},
					pacific("2026-01-01 01:10:00"))
			},
		},
		{
			name: "noon-crossing",
			run: func(t *testing.T) draft {
				return outageDraft(t, Outage{Server: "flexo", Service: "Web site",
					Start: at(t, la, "2026-08-12 11:58:30"), End: at(t, la, "2026-08-12 12:03:10"), Others: email},
					pacific("2026-08-12 12:10:00"))
			},
		},
		{
			name: "under-a-minute",
			run: func(t *testing.T) draft {
				return outageDraft(t, Outage{Server: "zapp", Service: "Web site",
					Start: at(t, la, "2026-08-12 15:02:05"), End: at(t, la, "2026-08-12 15:02:50"), Others: email},
					pacific("2026-08-12 15:05:00"))
			},
		},
		{
			name: "hours-long",
			run: func(t *testing.T) draft {
				return outageDraft(t, Outage{Server: "mom", Service: "E-mail",
					Start: at(t, la, "2026-08-12 13:05:00"), End: at(t, la, "2026-08-12 16:47:40"), Others: web},
					pacific("2026-08-12 17:00:00"))
			},
		},
		{
			name: "degraded",
			run: func(t *testing.T) draft {
				return outageDraft(t, Outage{Server: "flexo", Service: "Web site", Degraded: true,
					Start: at(t, la, "2026-08-12 19:12:00"), End: at(t, la, "2026-08-12 19:18:30"), Others: email},
					pacific("2026-08-12 19:20:00"))
			},
		},
		{
			name: "both-services-affected",
			run: func(t *testing.T) draft {
				return outageDraft(t, Outage{Server: "flexo", Service: "Web site",
					Start: at(t, la, "2026-08-12 09:48:07"), End: at(t, la, "2026-08-12 09:52:02"),
					Others: []OtherService{{Service: "E-mail", Affected: true}}},
					pacific("2026-08-12 09:55:00"))
			},
		},
		{
			name: "some-services-affected",
			run: func(t *testing.T) draft {
				return outageDraft(t, Outage{Server: "flexo", Service: "Web site",
					Start: at(t, la, "2026-08-12 09:48:07"), End: at(t, la, "2026-08-12 09:56:02"),
					Others: []OtherService{{Service: "E-mail", Affected: true}, {Service: "FTP"}, {Service: "Databases"}}},
					pacific("2026-08-12 09:58:00"))
			},
		},
		{
			name: "other-servers-affected",
			run: func(t *testing.T) draft {
				return outageDraft(t, Outage{Server: "flexo", Service: "Web site",
					Start: at(t, la, "2026-08-12 09:48:07"), End: at(t, la, "2026-08-12 09:59:02"), Others: email,
					OtherServers: []string{"mom", "elzar"}},
					pacific("2026-08-12 10:00:00"))
			},
		},
		{
			name: "no-other-services",
			run: func(t *testing.T) draft {
				return outageDraft(t, Outage{Server: "kif", Service: ServiceNoun("dns", "DNS"),
					Start: at(t, la, "2026-08-12 09:48:07"), End: at(t, la, "2026-08-12 11:48:02")},
					pacific("2026-08-12 12:30:00"))
			},
		},
		{
			name: "zone-utc",
			run: func(t *testing.T) draft {
				return outageDraft(t, Outage{Server: "flexo", Service: "Web site",
					Start: at(t, la, "2026-08-12 09:48:07"), End: at(t, la, "2026-08-12 09:52:02"), Others: email},
					Page{Loc: utc, Zone: "UTC", Now: at(t, la, "2026-08-12 09:55:00")})
			},
			seed: []string{"between 4:48 and 4:52 PM UTC this afternoon (August 12)."},
		},
		{
			name: "zone-berlin",
			run: func(t *testing.T) draft {
				// 3:50 PM Pacific is 12:50 AM the next day in Berlin: the day is Berlin's.
				return outageDraft(t, Outage{Server: "flexo", Service: "Web site",
					Start: at(t, la, "2026-08-12 15:50:00"), End: at(t, la, "2026-08-12 16:01:00"), Others: email},
					Page{Loc: berlin, Zone: "Berlin time", Now: at(t, la, "2026-08-12 16:05:00")})
			},
			seed: []string{"between 12:50 and 1:01 AM Berlin time this morning (August 13)."},
		},
		{
			name: "network-one-group",
			run: func(t *testing.T) draft {
				return networkDraft(t, NetworkEvent{Start: at(t, la, "2026-08-14 02:16:20"),
					Servers: fleet("2026-08-14 02:59:10", "2026-08-14 02:58:05", "2026-08-14 02:59:20", "2026-08-14 02:58:40")},
					pacific("2026-08-14 03:05:00"))
			},
		},
		{
			// Measured at different seconds, restorations are told in the
			// order they happened, not rounded into one.
			name: "network-restored-in-order",
			run: func(t *testing.T) draft {
				return networkDraft(t, NetworkEvent{Start: at(t, la, "2026-08-14 02:16:20"),
					Servers: fleet("2026-08-14 03:29:10", "2026-08-14 02:58:05", "2026-08-14 02:59:20", "2026-08-14 02:58:40")},
					pacific("2026-08-14 03:35:00"))
			},
		},
		{
			// Issue 10: "all except flexo at …, flexo at …" six seconds
			// apart was told as "all servers at 11:31 PM".
			name: "network-six-seconds-apart",
			run: func(t *testing.T) draft {
				return networkDraft(t, NetworkEvent{Start: at(t, la, "2026-08-14 23:24:40"),
					Servers: fleet("2026-08-14 23:31:10", "2026-08-14 23:31:04", "2026-08-14 23:31:04", "2026-08-14 23:31:04")},
					pacific("2026-08-14 23:35:00"))
			},
			seed: []string{"We restored service to all servers except flexo at 11:31:04 PM. We restored service to the flexo server at 11:31:10 PM."},
		},
		{
			// A restoration in the minute the event began is told to the
			// second, and so is the start.
			name: "network-restored-in-the-first-minute",
			run: func(t *testing.T) draft {
				return networkDraft(t, NetworkEvent{Start: at(t, la, "2026-08-14 14:16:20"),
					Servers: fleet("2026-08-14 14:21:00", "2026-08-14 14:16:50", "2026-08-14 14:20:30", "")},
					pacific("2026-08-14 14:22:00"))
			},
		},
		{
			// Restoration updates on their own, in the seed's words.
			name: "network-restored-updates",
			run: func(t *testing.T) draft {
				var d draft
				start := at(t, la, "2026-08-14 02:16:20")
				// post tells the restorations after told, those before it
				// having been told by an earlier update.
				post := func(label, told string, restored ...string) {
					e := toldBefore(t, la, start, told, restored...)
					d.add(label, must[string](t)(NetworkRestored(e, pacific("2026-08-14 03:00:00"))))
				}
				post("most at once", "", "", "2026-08-14 02:59:20", "2026-08-14 02:59:20", "2026-08-14 02:59:20")
				post("two of four", "", "", "2026-08-14 02:59:20", "2026-08-14 02:59:20", "")
				post("one pass, three seconds", "", "", "2026-08-14 02:59:12", "2026-08-14 02:59:20", "2026-08-14 02:59:22")
				post("one more after others", "2026-08-14 02:51:00", "", "2026-08-14 02:51:00", "2026-08-14 02:59:20", "2026-08-14 02:51:00")
				post("two left after others", "2026-08-14 02:51:00", "", "2026-08-14 02:51:00", "2026-08-14 02:59:20", "")
				post("in the minute of another", "2026-08-14 02:59:05", "", "2026-08-14 02:59:05", "2026-08-14 02:59:20", "")
				post("the last one", "2026-08-14 02:51:00", "2026-08-14 02:59:58", "2026-08-14 02:51:00", "2026-08-14 02:51:00", "2026-08-14 02:51:00")
				e := NetworkEvent{Start: start, Servers: fleet("", "2026-08-14 02:59:20", "2026-08-14 02:59:20", "")}
				d.add("posted the next day", must[string](t)(NetworkRestored(e, pacific("2026-08-15 09:00:00"))))
				return d
			},
			seed: []string{
				"We restored service to all servers except flexo at 2:59 AM.",
				"We restored service to the mom and elzar servers at 2:59 AM; flexo and zapp are still unreachable.",
				"We restored service to the mom server at 2:59:12 AM, the elzar server at 2:59:20 AM and the zapp server at 2:59:22 AM; flexo is still unreachable.",
			},
		},
		{
			name: "network-three-groups",
			run: func(t *testing.T) draft {
				return networkDraft(t, NetworkEvent{Start: at(t, la, "2026-08-13 23:40:00"),
					Servers: fleet("2026-08-14 01:29:10", "2026-08-14 00:20:05", "2026-08-14 00:58:30", "2026-08-14 00:21:40")},
					pacific("2026-08-14 01:35:00"))
			},
		},
		{
			name: "network-still-down",
			run: func(t *testing.T) draft {
				return networkDraft(t, NetworkEvent{Start: at(t, la, "2026-08-14 02:16:20"),
					Servers: fleet("", "2026-08-14 02:58:05", "2026-08-14 02:59:20", "2026-08-14 02:58:40")},
					pacific("2026-08-14 03:05:00"))
			},
		},
		{
			name: "maintenance-overran",
			run: func(t *testing.T) draft {
				return maintenanceDraft(t, Maintenance{Planned: 5 * time.Minute, Servers: []ServerDowntime{
					{"flexo", 7*time.Minute + 20*time.Second}, {"mom", 2*time.Minute + 5*time.Second},
					{"elzar", time.Minute + 40*time.Second}, {"zapp", 0}}})
			},
		},
		{
			name: "maintenance-no-downtime",
			run: func(t *testing.T) draft {
				return maintenanceDraft(t, Maintenance{Planned: 5 * time.Minute, Servers: []ServerDowntime{
					{"flexo", 0}, {"mom", 0}}})
			},
		},
		{
			name: "maintenance-rounds-to-planned",
			run: func(t *testing.T) draft {
				// 4 min 59.7 s is shown as 5 min, so "less than five minutes" would contradict it.
				return maintenanceDraft(t, Maintenance{Planned: 5 * time.Minute, Servers: []ServerDowntime{
					{"flexo", 4*time.Minute + 59700*time.Millisecond}, {"mom", 45 * time.Second}}})
			},
		},
		{
			name: "maintenance-nothing-announced",
			run: func(t *testing.T) draft {
				return maintenanceDraft(t, Maintenance{Servers: []ServerDowntime{
					{"flexo", 90 * time.Second}, {"mom", 300 * time.Millisecond}}})
			},
		},
		{
			name: "recurrence-across-midnight",
			run: func(t *testing.T) draft {
				return outageDraft(t, Outage{Server: "elzar", Service: "E-mail",
					Start: at(t, la, "2026-08-11 23:50:12"), End: at(t, la, "2026-08-12 00:20:10"), Others: web,
					Earlier: []Earlier{{Start: at(t, la, "2026-08-09 13:02:05"), End: at(t, la, "2026-08-09 13:02:45"), Title: "E-mail on elzar not responding"}}},
					pacific("2026-08-12 00:25:00"))
			},
			seed: []string{"The problem happened a second time from 11:50 PM on August 11 to 12:20 AM on August 12."},
		},
		{
			name: "network-large-fleet",
			run: func(t *testing.T) draft {
				names := []string{"flexo", "mom", "elzar", "zapp", "kif", "leela", "fry", "bender", "amy"}
				times := []string{"03:29:10", "02:40:05", "02:59:10", "02:40:30", "02:41:00", "02:58:40", "02:40:50", "02:59:00", "02:41:20"}
				e := NetworkEvent{Start: at(t, la, "2026-08-14 02:16:20"), Unaffected: []string{"hermes"}}
				for i, n := range names {
					e.Servers = append(e.Servers, Restoration{Server: n, Restored: at(t, la, "2026-08-14 "+times[i])})
				}
				return networkDraft(t, e, pacific("2026-08-14 03:35:00"))
			},
		},
		{
			name: "network-flexo-first",
			run: func(t *testing.T) draft {
				names := []string{"flexo", "mom", "elzar", "zapp", "kif"}
				times := []string{"02:30:10", "02:59:05", "02:59:10", "02:58:40", "02:59:00"}
				e := NetworkEvent{Start: at(t, la, "2026-08-13 02:16:20")}
				for i, n := range names {
					e.Servers = append(e.Servers, Restoration{Server: n, Restored: at(t, la, "2026-08-13 "+times[i])})
				}
				return networkDraft(t, e, pacific("2026-08-14 09:00:00"))
			},
		},
		{
			name: "network-together-some-spared",
			run: func(t *testing.T) draft {
				return networkDraft(t, NetworkEvent{Start: at(t, la, "2026-08-14 14:16:20"),
					Servers:    fleet("2026-08-14 14:31:10", "2026-08-14 14:30:05", "2026-08-14 14:31:20"),
					Unaffected: []string{"zapp"}},
					pacific("2026-08-14 14:35:00"))
			},
		},
		{
			name: "also-affected",
			run: func(t *testing.T) draft {
				var d draft
				start, end := at(t, la, "2026-08-12 09:48:07"), time.Time{}
				d.add("one more", must[string](t)(AlsoAffected([]Outage{{Server: "flexo", Service: "E-mail", Start: start, End: end}})))
				d.add("several", must[string](t)(AlsoAffected([]Outage{
					{Server: "mom", Service: "Web site", Start: start}, {Server: "mom", Service: "E-mail", Start: start},
					{Server: "elzar", Service: "Web site", Start: start}, {Server: "mom", Service: "E-mail", Start: start}})))
				return d
			},
		},
		{
			name: "dependents",
			run: func(t *testing.T) draft {
				var d draft
				start := at(t, la, "2026-08-12 09:48:07")
				d.add("one", must[string](t)(DependentsAffected([]Dependent{
					{Outage: Outage{Server: "flexo", Service: "Web site", Start: start}, ParentServer: "router"}})))
				d.add("several", must[string](t)(DependentsAffected([]Dependent{
					{Outage: Outage{Server: "mom", Service: "Web site", Start: start}, ParentServer: "router"},
					{Outage: Outage{Server: "mom", Service: "E-mail", Start: start}, ParentServer: "router"},
					{Outage: Outage{Server: "elzar", Service: "Web site", Start: start}, ParentServer: "router"}})))
				d.add("two parents", must[string](t)(DependentsAffected([]Dependent{
					{Outage: Outage{Server: "flexo", Service: "Web site", Start: start}, ParentServer: "router"},
					{Outage: Outage{Server: "mom", Service: "E-mail", Start: start}, ParentServer: "nas", ParentService: "NFS"},
					{Outage: Outage{Server: "zapp", Service: "E-mail", Start: start}, ParentServer: "nas", ParentService: "NFS"}})))
				d.add("hostile", must[string](t)(DependentsAffected([]Dependent{
					{Outage: Outage{Server: "flexo", Service: "Web site", Start: start}, ParentServer: "[r](https://evil.example)", ParentService: "<b>x</b>"}})))
				return d
			},
		},
		{
			name: "hostile-names",
			run: func(t *testing.T) draft {
				return outageDraft(t, Outage{Server: "[flexo](https://evil.example)", Service: "<b>Mail</b>",
					Start: at(t, la, "2026-08-12 09:48:07"), End: at(t, la, "2026-08-12 09:56:02"),
					Others:       []OtherService{{Service: "*FTP*\n# heading"}},
					OtherServers: []string{"www.evil.example", "a@b.example"}},
					pacific("2026-08-12 09:58:00"))
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.run(t).String()
			for _, s := range tc.seed {
				if !strings.Contains(got, s) {
					t.Errorf("draft lacks the sentence\n  %s\ngot:\n%s", s, got)
				}
			}
			path := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/prose -update to write it)", err)
			}
			if got != string(want) {
				t.Errorf("draft differs from %s\ngot:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}

// testFleet is the seed's four servers, each restored at its time in la
// ("" for one still down).
func testFleet(t *testing.T, la *time.Location, times ...string) []Restoration {
	names := []string{"flexo", "mom", "elzar", "zapp"}
	var rs []Restoration
	for i, s := range times {
		r := Restoration{Server: names[i]}
		if s != "" {
			r.Restored = at(t, la, s)
		}
		rs = append(rs, r)
	}
	return rs
}

// toldBefore is a network event from start whose servers were restored at
// their times, those restored by told ("" for none) already told by an
// earlier update.
func toldBefore(t *testing.T, la *time.Location, start time.Time, told string, restored ...string) NetworkEvent {
	e := NetworkEvent{Start: start, Servers: testFleet(t, la, restored...)}
	for i := range e.Servers {
		if told != "" && !e.Servers[i].Restored.IsZero() && !e.Servers[i].Restored.After(at(t, la, told)) {
			e.Servers[i].Told = true
		}
	}
	return e
}

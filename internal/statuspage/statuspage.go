// Package statuspage renders Herald's state as the JSON documents of
// Atlassian Statuspage's public v2 API, so aggregators, widgets and client
// libraries written for Statuspage read a Herald page unchanged.
//
// Build is pure: it reads its Input, never changes it, and returns every
// document as bytes, so a cache can render once per change and serve from
// memory. The shape follows statuspage-v2.md (field names, status words,
// nulls, newest first, timestamps in the page's zone with milliseconds).
package statuspage

import (
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

// Document names, as served under /api/v2/.
const (
	DocSummary      = "summary.json"
	DocStatus       = "status.json"
	DocComponents   = "components.json"
	DocIncidents    = "incidents.json"
	DocUnresolved   = "incidents/unresolved.json"
	DocMaintenances = "scheduled-maintenances.json"
	DocUpcoming     = "scheduled-maintenances/upcoming.json"
	DocActive       = "scheduled-maintenances/active.json"
)

// Names lists every document Build returns.
var Names = []string{DocSummary, DocStatus, DocComponents, DocIncidents, DocUnresolved,
	DocMaintenances, DocUpcoming, DocActive}

// listLimit is how many incidents and maintenances the full lists carry, as on Statuspage.
const listLimit = 50

// Input is everything the documents are made of.
type Input struct {
	Page config.Page
	// Location is the page's zone; nil means UTC.
	Location *time.Location
	// PageID is the page's stable id; empty means PageID(Page).
	PageID string
	// UpdatedAt is the page's latest change; zero means the latest time found in the data.
	UpdatedAt time.Time
	Snapshot  *service.Snapshot
	// Incidents are the most recent published incidents. Drafts are dropped
	// here too: a draft leaking into a public API cannot be taken back.
	Incidents []status.Incident
	// Maintenances are the most recent maintenance windows.
	Maintenances []status.Maintenance
	// Components holds every component ever configured, removed ones
	// included, so old incidents can still name what they affected.
	Components map[string]store.Component
	// Live, when set, says the statuses include measurements not yet
	// recorded (the database cannot be written or read now): the documents
	// that carry statuses get a top-level "live_status" object saying so.
	// Statuspage has no such key; its clients ignore keys they do not know.
	Live string
}

// LiveKey is the top-level key of the not-yet-recorded note.
const LiveKey = "live_status"

// liveJSON is the not-yet-recorded note: {"recorded": false, "note": "..."}.
type liveJSON struct {
	Recorded bool   `json:"recorded"`
	Note     string `json:"note"`
}

// Documents maps a document name (see Names) to its compact JSON.
type Documents map[string][]byte

// PageID derives a stable, opaque page id from the page's URL, or its title
// when it has no URL, in the 12 lower-case characters Statuspage ids have.
func PageID(p config.Page) string {
	key := strings.TrimRight(strings.TrimSpace(p.URL), "/")
	if key == "" {
		key = strings.TrimSpace(p.Title)
	}
	sum := sha256.Sum256([]byte(key))
	return strings.ToLower(base32.StdEncoding.EncodeToString(sum[:]))[:12]
}

// Build renders every document.
func Build(in Input) (Documents, error) {
	if in.Snapshot == nil {
		return nil, errors.New("statuspage: no snapshot")
	}
	b := newBuilder(in)
	components := b.a.array(b.list)
	incidents := b.incidents(in.Incidents, false)
	if len(incidents) > listLimit {
		incidents = incidents[:listLimit]
	}
	unresolved := b.incidents(in.Snapshot.Open, true)
	active := b.maintenances(in.Snapshot.Active, onlyStatus(status.InProgress), newestFirst)
	upcoming := b.maintenances(in.Snapshot.Upcoming, onlyStatus(status.Scheduled), soonestFirst)
	all := b.maintenances(in.Maintenances, nil, newestFirst)
	if len(all) > listLimit {
		all = all[:listLimit]
	}
	// In progress before upcoming: a client showing the first window shows
	// what is happening now rather than what is planned.
	pending := append(append(make([]object, 0, len(active)+len(upcoming)), active...), upcoming...)

	a := b.a
	page, overall := member{"page", b.page}, member{"status", object{a.value(b.status())}}
	var live []member
	if in.Live != "" {
		live = []member{{LiveKey, object{a.value(liveJSON{Recorded: false, Note: in.Live})}}}
	}
	// withLive adds the not-yet-recorded note, when there is one, to the
	// documents that carry statuses.
	withLive := func(members ...member) []byte { return a.document(append(members, live...)...) }
	out := Documents{
		DocSummary: withLive(page, member{"components", components}, member{"incidents", a.array(unresolved)},
			member{"scheduled_maintenances", a.array(pending)}, overall),
		DocStatus:       withLive(page, overall),
		DocComponents:   withLive(page, member{"components", components}),
		DocIncidents:    a.document(page, member{"incidents", a.array(incidents)}),
		DocUnresolved:   a.document(page, member{"incidents", a.array(unresolved)}),
		DocMaintenances: a.document(page, member{"scheduled_maintenances", a.array(all)}),
		DocUpcoming:     a.document(page, member{"scheduled_maintenances", a.array(upcoming)}),
		DocActive:       a.document(page, member{"scheduled_maintenances", a.array(active)}),
	}
	if a.err != nil {
		return nil, fmt.Errorf("statuspage: render: %w", a.err)
	}
	return out, nil
}

// latest is the newest change found in the data, for a page whose caller gave no UpdatedAt.
func latest(in Input) time.Time {
	var t time.Time
	see := func(u time.Time) {
		if u.After(t) {
			t = u
		}
	}
	for _, g := range in.Snapshot.Groups {
		see(g.UpdatedAt)
	}
	for _, c := range in.Snapshot.Components {
		see(c.UpdatedAt)
	}
	for _, list := range [][]status.Incident{in.Incidents, in.Snapshot.Open} {
		for i := range list {
			if !list[i].Draft {
				see(list[i].UpdatedAt)
			}
		}
	}
	for _, list := range [][]status.Maintenance{in.Maintenances, in.Snapshot.Active, in.Snapshot.Upcoming} {
		for i := range list {
			see(list[i].UpdatedAt)
		}
	}
	return t
}

package web_test

import (
	"context"
	"fmt"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/prose"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// TestHeaderAndTextAgree replays issue 10's sixth finding: an outage from
// 12:25:20 to 12:28:35 read "12:25 to 12:28 · three minutes" in the page
// header and "a four-minute interruption … between 12:25 and 12:29" in the
// drafted text. The header, the text and the feed entry must show the same
// times and the same length.
func TestHeaderAndTextAgree(t *testing.T) {
	ctx := context.Background()
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04:05", s, la)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	start, end := at("2026-08-12 12:25:20"), at("2026-08-12 12:28:35")
	clock := &fixedClock{t: start.Add(time.Minute)}
	b := storetest.SQLite(t)
	svc := service.New(b.Store, clock, nil)
	if err := svc.SyncCatalog(ctx, []store.Group{{ID: "flexo", Name: "flexo"}},
		[]store.Component{{ID: "flexo/web", GroupID: "flexo", Name: "Web sites"}}); err != nil {
		t.Fatal(err)
	}
	in, err := svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Web sites on flexo not responding", Body: "Looking.",
		StartedAt: start, Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}})
	if err != nil {
		t.Fatal(err)
	}
	clock.t = end.Add(30 * time.Second)
	body, err := prose.Resolved(prose.Outage{Server: "flexo", Service: "Web site", Start: start, End: end},
		prose.Page{Loc: la, Zone: "Pacific time", Now: clock.t})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ResolveIncident(ctx, "test", in.ID, service.Resolution{Body: body, ResolvedAt: end}); err != nil {
		t.Fatal(err)
	}
	srv := serveSite(t, svc)

	// What the text says: "a four-minute interruption … between 12:25 and 12:29 PM".
	said := regexp.MustCompile(`experienced an? (\w+)-minute interruption .* between (\d+:\d+) and (\d+:\d+ [AP]M)`).FindStringSubmatch(body)
	if said == nil {
		t.Fatalf("the drafted text does not read as expected: %s", body)
	}
	length, from, to := said[1], said[2], said[3]
	header := fmt.Sprintf("Today, %s to %s Pacific time · %s minutes", from, to, length)

	_, page := get(t, srv.URL+fmt.Sprintf("/incidents/%d", in.ID), nil)
	lead := regexp.MustCompile(`<p class="lead">([^<]*)</p>`).FindSubmatch(page)
	if lead == nil {
		t.Fatal("the incident page has no header line")
	}
	if got := html.UnescapeString(string(lead[1])); got != header {
		t.Errorf("the page header says %q, but the text says %q-minute between %s and %s (want %q)", got, length, from, to, header)
	}
	_, feed := get(t, srv.URL+"/history.atom", nil)
	if want := fmt.Sprintf("Aug 12, 2026, %s PM – %s Pacific time · %s minutes", from, to, length); !strings.Contains(html.UnescapeString(string(feed)), want) {
		t.Errorf("the feed entry lacks %q", want)
	}
}

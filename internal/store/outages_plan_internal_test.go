package store

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestOutagesSinceUsesTheEndedIndex: the read of the outages lasting into a
// range (the uptime bars' 90 days, on every rebuild) finds them by the
// ended_at index, not by a scan of every outage ever recorded, which grows
// with the history (bench/scale, README "Growth").
func TestOutagesSinceUsesTheEndedIndex(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, DSN{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	query, args := outagesQuery(OutageFilter{Since: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)})
	rows, err := st.DB().QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	text := strings.Join(plan, "\n")
	if !strings.Contains(text, "outages_ended") || strings.Contains(text, "SCAN outages") {
		t.Errorf("the outages lasting into a range are read by\n%s\nwant searches of the index outages_ended, no scan of the table", text)
	}
}

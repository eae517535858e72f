package store

import (
	"context"
	"slices"
	"sort"
	"strings"
	"testing"
)

// exportedColumns are the columns each exported table carries. A migration
// that adds a table or a column fails this test until someone decides
// whether an export carries it: a secret (a TOTP seed, a signing key) or
// a transient value must be left out (dumpLeftOut, or a table's omit).
var exportedColumns = map[string]string{
	"groups":                        "id name description position created_at updated_at removed_at",
	"components":                    "id group_id name description position created_at updated_at removed_at",
	"monitors":                      "id component_id kind target state state_since bad_run bad_run_start down_run down_run_start deg_run deg_run_start good_run good_run_start last_check_at last_outcome last_message last_latency_us created_at updated_at removed_at",
	"incidents":                     "id title impact status draft auto started_at identified_at monitoring_at resolved_at published_at created_at updated_at postmortem postmortem_published_at",
	"incident_components":           "incident_id component_id status",
	"incident_updates":              "id incident_id status body created_at display_at",
	"incident_update_changes":       "update_id component_id old_status new_status",
	"incident_links":                "a b",
	"maintenance_series":            "id config_key title body rrule start_local zone duration_ms ended_at created_at updated_at sequence",
	"maintenance_series_components": "series_id component_id position",
	"maintenances":                  "id title body status scheduled_for scheduled_until started_at completed_at created_at updated_at sequence series_id occurrence",
	"maintenance_components":        "maintenance_id component_id",
	"maintenance_updates":           "id maintenance_id status body created_at display_at",
	"outages":                       "id component_id monitor_id severity started_at ended_at cause maintenance_id incident_id decision detected_at",
	"check_results":                 "monitor_id at latency_us outcome message",
	"check_rollups":                 "monitor_id period start_at checks up degraded down latency_sum_us latency_max_us",
	"component_overrides":           "component_id status note set_by set_at",
	"agents":                        "location version first_seen_at last_seen_at results dropped silent_since network_lost_since network_back_at",
	"location_states":               "monitor_id location detector last_check_at last_level last_message",
	"location_intervals":            "id monitor_id component_id location severity started_at ended_at cause",
	"subscribers":                   "id kind address address_key all_components operator confirmed_at unsubscribed_at confirm_sent_at created_at updated_at page group_id customer_domain",
	"subscriber_components":         "subscriber_id component_id",
	"customers":                     "domain group_id updated_at",
	"users":                         "id name role created_at updated_at disabled_at last_login_at sso_issuer sso_subject",
	"changes":                       "id at actor action subject before after",
}

func TestExportDecidesEveryTableAndColumn(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, DSN{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT LIKE 'sqlite_%' AND name <> 'goose_db_version' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	exported := map[string]dumpTable{}
	for _, d := range dumpTables {
		exported[d.name] = d
	}
	for _, table := range tables {
		d, ok := exported[table]
		if !ok {
			if !slices.Contains(dumpLeftOut, table) {
				t.Errorf("table %s: neither exported (dumpTables) nor left out (dumpLeftOut) — decide, and say why in ExportLeftOut if it is left out", table)
			}
			continue
		}
		kinds, err := s.columnKinds(ctx, table)
		if err != nil {
			t.Fatal(err)
		}
		var cols []string
		for c := range kinds {
			if _, omitted := d.omit[c]; !omitted {
				cols = append(cols, c)
			}
		}
		want := strings.Fields(exportedColumns[table])
		sort.Strings(cols)
		sort.Strings(want)
		if !slices.Equal(cols, want) {
			t.Errorf("table %s exports %v; this test knows %v — a new column must be decided on: exported (add it here) or left out (omit in dumpTables)", table, cols, want)
		}
	}
}

package admin_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/internal/admin"
	"github.com/heraldhq/herald/internal/browsertest"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// locatedTestConfig is testConfig with flexo's web sites checked from three
// places (majority) and one place, lon-1, that no agent has reported from.
func locatedTestConfig(t testing.TB) config.Config {
	t.Helper()
	text := strings.Replace(testConfig, "  - id: flexo\n    components: [{id: web, name: Web sites}, {id: email, name: E-mail}]",
		`  - id: flexo
    components:
      - id: web
        name: Web sites
        monitors:
          - {type: http, url: "http://127.0.0.1:18081/", interval: 10s, timeout: 5s, locations: [fra-1, ams-1, nyc-1]}
      - id: email
        name: E-mail
        monitors:
          - {type: tcp, address: "127.0.0.1:2525", interval: 30s, locations: [lon-1]}`, 1)
	cfg, err := config.Parse("test.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// seedAgents stores what the agents' decider would have: fra-1 sees
// flexo/web down (its path in trouble), ams-1 up, nyc-1 silent; the
// monitor itself up by quorum.
func seedAgents(t testing.TB, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	seen := at("2026-11-25 03:09")
	for _, a := range []struct {
		loc     string
		version string
		dropped int64
		last    time.Time
	}{{"fra-1", "1.4.0", 0, seen}, {"ams-1", "1.4.0", 0, seen}, {"nyc-1", "1.3.9", 12, at("2026-11-25 02:58")}} {
		if err := st.TouchAgent(ctx, a.loc, a.version, a.dropped, a.last); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.SetAgentSilent(ctx, "nyc-1", at("2026-11-25 03:01")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.InsertAgentResults(ctx, "fra-1", []store.AgentResult{{RID: "r1", MonitorID: "flexo/web/http", At: seen, Level: status.LevelDown, Message: "connection <refused>"}}, seen); err != nil {
		t.Fatal(err)
	}
	if err := st.SyncMonitors(ctx, []store.MonitorDef{{ID: "flexo/web/http", ComponentID: "flexo/web", Kind: "http", Target: "http://127.0.0.1:18081/"}}, at("2026-11-20 00:00")); err != nil {
		t.Fatal(err)
	}
	row := store.Monitor{ID: "flexo/web/http", ComponentID: "flexo/web", Kind: "http", Target: "http://127.0.0.1:18081/",
		Detector: status.Detector{State: status.MonitorUp, Since: at("2026-11-24 10:00")}, LastCheckAt: seen, LastLevel: status.LevelUp,
		LastMessage: "200 OK from ams-1", LastLatency: 80 * time.Millisecond}
	if err := st.SaveChecks(ctx, nil, []store.Monitor{row}, seen); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveLocationStates(ctx, []store.LocationState{
		{MonitorID: "flexo/web/http", Location: "fra-1", Detector: status.Detector{State: status.MonitorDown, Since: at("2026-11-25 03:05")},
			LastCheckAt: seen, LastLevel: status.LevelDown, LastMessage: "connection <refused>"},
		{MonitorID: "flexo/web/http", Location: "ams-1", Detector: status.Detector{State: status.MonitorUp, Since: at("2026-11-24 10:00")},
			LastCheckAt: seen, LastLevel: status.LevelUp, LastMessage: "200 OK"},
		{MonitorID: "flexo/web/http", Location: "nyc-1", Detector: status.Detector{State: status.MonitorUp, Since: at("2026-11-24 10:00")},
			LastCheckAt: at("2026-11-25 02:58"), LastLevel: status.LevelUp, LastMessage: "200 OK"},
	}); err != nil {
		t.Fatal(err)
	}
}

// TestAgentsScreen: each location with its state, last contact, version,
// counts and monitors, as GET /api/v1/agents lists them (one home: the
// service's AgentStatuses).
func TestAgentsScreen(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		cfg := locatedTestConfig(t)
		f := newFixture(t, b, func(d *admin.Deps) { d.Config = func() config.Config { return cfg } })
		c := f.as(t, "vic")
		wantBody(t, "no agents yet", c.get("/admin/agents"), "Probe agents", `<span>4 never seen</span>`)

		seedAgents(t, f.store)
		r := c.get("/admin/agents")
		wantCode(t, "agents", r, 200)
		wantBody(t, "agents", r, `<span>2 reporting</span>`, `<span>1 silent</span>`, `<span>1 never seen</span>`,
			`aria-current="page">Agents</a>`)
		rows := strings.Split(r.body, "<tr>")[2:] // past the head
		want := []struct{ loc, state, version, results, dropped, monitors string }{
			{"ams-1", "Reporting", "1.4.0", "0", "0", "1"},
			{"fra-1", "Reporting", "1.4.0", "1", "0", "1"},
			{"lon-1", "Never seen", "—", "0", "0", "1"},
			{"nyc-1", "Silent", "1.3.9", "0", "12", "1"},
		}
		if len(rows) != len(want) {
			t.Fatalf("%d rows, want %d", len(rows), len(want))
		}
		for i, w := range want {
			row := rows[i]
			for _, s := range []string{`<strong class="mono">` + w.loc + `</strong>`, "<span>" + w.state + "</span>",
				`data-label="Results" class="num">` + w.results + "<", `data-label="Dropped" class="num">` + w.dropped + "<",
				`data-label="Monitors" class="num">` + w.monitors + "<"} {
				if !strings.Contains(row, s) {
					t.Errorf("row %d (%s) lacks %q", i, w.loc, s)
				}
			}
			if w.version != "—" && !strings.Contains(row, `<span class="mono">`+w.version+"</span>") {
				t.Errorf("row %s lacks version %s", w.loc, w.version)
			}
		}
		if !strings.Contains(rows[3], "since Today, 3:01 AM") || !strings.Contains(rows[2], "never") {
			t.Error("silence or never seen not told")
		}

		// ams-1 reports, but has lost its own network.
		if err := f.store.Tx(t.Context(), func(q *store.Queries) error {
			return q.SetAgentNetwork(t.Context(), "ams-1", at("2026-11-25 03:05"), time.Time{})
		}); err != nil {
			t.Fatal(err)
		}
		r = c.get("/admin/agents")
		wantBody(t, "network lost", r, `<span>1 lost its network</span>`, `<span>1 reporting</span>`)
		rows = strings.Split(r.body, "<tr>")[2:]
		if !strings.Contains(rows[0], "<span>Lost its network</span>") || !strings.Contains(rows[0], "since Today, 3:05 AM") {
			t.Errorf("ams-1's row does not tell its lost network: %s", rows[0])
		}
	})
}

// TestAdminLocatedMonitor: the monitors screen and the dashboard show a
// located monitor as the decider stored it (up by quorum), not as the
// engine, which does not run it, has it; and each place's own view.
func TestAdminLocatedMonitor(t *testing.T) {
	cfg := locatedTestConfig(t)
	mon := &fakeMonitoring{mons: []admin.MonitorView{
		// The engine's view of a monitor it does not run: never checked.
		{ID: "flexo/web/http", ComponentID: "flexo/web", Kind: "http", Target: "http://127.0.0.1:18081/", State: "unknown"},
	}}
	f := newFixture(t, storetest.SQLite(t), func(d *admin.Deps) {
		d.Config = func() config.Config { return cfg }
		d.Monitoring = mon
	})
	seedAgents(t, f.store)
	c := f.as(t, "vic")
	r := c.get("/admin/monitors")
	wantBody(t, "monitors", r, `<span>1 up</span>`, "200 OK from ams-1", "80 ms", "Quorum: majority of 3 locations",
		`<span class="mono">fra-1</span> <span class="badge k-critical">`, `<span class="mono">nyc-1</span> <span class="badge k-ok">`,
		`agent silent`, `<span class="mono">lon-1</span> <span class="badge k-none">`, "agent never seen")
	i := strings.Index(r.body, "http://127.0.0.1:18081/")
	web := r.body[strings.LastIndex(r.body[:i], "<tr>"):]
	web = web[:strings.Index(web, "</tr>")]
	if strings.Contains(web, "Not decided yet") || strings.Contains(r.body, "<refused>") {
		t.Error("the engine's stale view is shown, or a message is not escaped")
	}
	if strings.Contains(c.get("/admin").body, "Failing monitors") {
		t.Error("the dashboard lists a monitor up by quorum as failing")
	}
}

// TestBrowserAgents checks the probe agents screen and the monitors screen
// with a located monitor in Chromium: axe-core in both schemes, nothing
// sticking out sideways at 1280 and 390 pixels (screenshots saved with
// HERALD_SAVE_SCREENSHOTS=1, as the other screens').
func TestBrowserAgents(t *testing.T) {
	b := startBrowser(t)
	axe := browsertest.AxeSource(t)
	cfg := locatedTestConfig(t)
	f := newFixture(t, storetest.SQLite(t), func(d *admin.Deps) {
		d.Config = func() config.Config { return cfg }
		d.Monitoring = &fakeMonitoring{mons: demoMonitoring().mons[1:]} // the servers' own checks, flexo/web's gone
	})
	seedAgents(t, f.store)
	u := f.srv.URL
	b.step("sign in", func(ctx context.Context) {
		b.do(ctx, "open the sign-in page", chromedp.Navigate(u+"/admin/login"))
		b.do(ctx, "type", chromedp.SendKeys(chromedp.CSS("#username"), "vic"), chromedp.SendKeys(chromedp.CSS("#password"), vicPW))
		b.submit(ctx, "form button[type=submit]")
	})
	for _, s := range []struct{ name, path, want string }{
		{"agents", "/admin/agents", "nyc-1"},
		{"monitors-located", "/admin/monitors", "Quorum: majority of 3 locations"},
	} {
		b.step("screen "+s.name, func(ctx context.Context) {
			b.shots(ctx, s.name, u+s.path, false)
			b.do(ctx, s.name, chromedp.Navigate(u+s.path))
			b.want(ctx, "main", s.want)
			b.axe(ctx, s.name, axe)
		})
	}
}

package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store/storetest"
)

func do(t *testing.T, method, url, token, body string, header ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func push(rs ...Result) string {
	b, _ := json.Marshal(Push{Results: rs})
	return string(b)
}

func TestServerEndpoints(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		h := newHarness(t, b, testConfig(""))
		ctx := context.Background()
		srv := NewServer(h.svc, h.st, h.config, nil, nil)
		mux := http.NewServeMux()
		srv.Register(mux)
		ts := httptest.NewServer(mux)
		defer ts.Close()
		fra, _, err := h.svc.CreateAgentToken(ctx, "", "fra-1")
		if err != nil {
			t.Fatal(err)
		}
		read, _, err := h.svc.CreateToken(ctx, "", service.ScopeRead)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := h.svc.CreateAgentToken(ctx, "", "Not A Place"); err == nil {
			t.Fatal("an agent token was made for an invalid location")
		}

		// Only an agent token fetches an assignment, and it gets its location's.
		if code, _, body := do(t, "GET", ts.URL+AssignmentPath, read, ""); code != http.StatusForbidden {
			t.Fatalf("a read token fetched an assignment: %d %s", code, body)
		}
		if code, _, _ := do(t, "GET", ts.URL+AssignmentPath, "", ""); code != http.StatusUnauthorized {
			t.Fatalf("no token: %d", code)
		}
		code, hdr, body := do(t, "GET", ts.URL+AssignmentPath, fra, "", VersionHeader, "v-test")
		var as Assignment
		if code != http.StatusOK || json.Unmarshal([]byte(body), &as) != nil {
			t.Fatalf("assignment: %d %s", code, body)
		}
		if as.Location != "fra-1" || len(as.Monitors) != 1 || as.Monitors[0].ID != "flexo/web/http" {
			t.Fatalf("fra-1's assignment is %+v; want flexo/web/http alone", as)
		}
		// The scheme's name is case-insensitive (RFC 6750), and a push is read
		// only once its token is known: a duplicate key is refused, an anonymous
		// push is refused before its body is looked at.
		if code, _, body := do(t, "GET", ts.URL+AssignmentPath, "", "", "Authorization", "bearer "+fra); code != http.StatusOK {
			t.Fatalf("lower-case bearer: %d %s", code, body)
		}
		if code, _, body := do(t, "POST", ts.URL+ResultsPath, fra, `{"results":[],"results":[]}`); code != http.StatusBadRequest || !strings.Contains(body, "results") {
			t.Fatalf("a push with a duplicate key: %d %s, want 400 naming it", code, body)
		}
		if code, _, _ := do(t, "POST", ts.URL+ResultsPath, "", `{not json`); code != http.StatusUnauthorized {
			t.Fatalf("an anonymous malformed push: %d, want 401 (the token is checked first)", code)
		}
		etag := hdr.Get("ETag")
		if code, _, _ := do(t, "GET", ts.URL+AssignmentPath, fra, "", "If-None-Match", etag); code != http.StatusNotModified {
			t.Fatalf("unchanged assignment with its ETag: %d, want 304", code)
		}
		// A long poll answers when the assignment changes.
		go func() {
			time.Sleep(300 * time.Millisecond)
			cfg := testConfig("")
			cfg.Groups[0].Components[1].Monitors[0].Locations = []string{"fra-1"}
			h.cfg.Store(&cfg)
		}()
		code, hdr, body = do(t, "GET", ts.URL+AssignmentPath+"?wait=30s", fra, "", "If-None-Match", etag)
		if code != http.StatusOK || hdr.Get("ETag") == etag || !strings.Contains(body, "flexo/email/tcp") {
			t.Fatalf("long poll after a change: %d %s %s", code, hdr.Get("ETag"), body)
		}
		h.cfg.Store(new(testConfig("")))
		for _, q := range []string{"?wait=2m", "?wait=x", "?other=1"} {
			if code, _, _ := do(t, "GET", ts.URL+AssignmentPath+q, fra, ""); code != http.StatusBadRequest {
				t.Fatalf("assignment%s: %d, want 400", q, code)
			}
		}

		good := Result{RID: "a-1", Monitor: "flexo/web/http", At: t0, Level: "up", LatencyUS: 1200, Message: "200 OK"}
		code, _, body = do(t, "POST", ts.URL+ResultsPath, fra, push(good))
		if code != http.StatusOK || !strings.Contains(body, `"stored":1`) {
			t.Fatalf("push: %d %s", code, body)
		}
		// The same result again (its answer lost) is stored once.
		code, _, body = do(t, "POST", ts.URL+ResultsPath, fra, push(good))
		if code != http.StatusOK || !strings.Contains(body, `"stored":0`) || !strings.Contains(body, `"duplicates":1`) {
			t.Fatalf("push again: %d %s", code, body)
		}
		// A monitor not assigned to fra-1 is refused: whole when alone, named when mixed.
		other := Result{RID: "a-2", Monitor: "flexo/email/tcp", At: t0, Level: "down"}
		code, _, body = do(t, "POST", ts.URL+ResultsPath, fra, push(other))
		if code != http.StatusForbidden || !strings.Contains(body, "not assigned to location fra-1") {
			t.Fatalf("push of a monitor not assigned: %d %s", code, body)
		}
		good.RID = "a-3"
		code, _, body = do(t, "POST", ts.URL+ResultsPath, fra, push(good, other))
		if code != http.StatusOK || !strings.Contains(body, `"stored":1`) || !strings.Contains(body, `"rid":"a-2"`) {
			t.Fatalf("mixed push: %d %s", code, body)
		}
		if n, err := h.st.CountAgentResults(ctx, "fra-1", "flexo/email/tcp"); err != nil || n != 0 {
			t.Fatalf("refused results stored: %d %v", n, err)
		}
		if n, err := h.st.CountAgentResults(ctx, "fra-1", ""); err != nil || n != 2 {
			t.Fatalf("fra-1 has %d results stored, want 2 (%v)", n, err)
		}
		// Bad input: a clear 400, nothing stored.
		many := make([]Result, MaxBatch+1)
		for i := range many {
			many[i] = Result{RID: fmt.Sprint("m", i), Monitor: "flexo/web/http", At: t0, Level: "up"}
		}
		for name, body := range map[string]string{
			"unknown field": `{"results":[],"extra":1}`,
			"bad level":     push(Result{RID: "b", Monitor: "flexo/web/http", At: t0, Level: "fine"}),
			"no rid":        push(Result{Monitor: "flexo/web/http", At: t0, Level: "up"}),
			"no time":       push(Result{RID: "c", Monitor: "flexo/web/http", Level: "up"}),
			"too many":      push(many...),
			"trailing":      push(good) + "{}",
			"negative drop": `{"dropped":-1,"results":[]}`,
		} {
			if code, _, resp := do(t, "POST", ts.URL+ResultsPath, fra, body); code != http.StatusBadRequest {
				t.Errorf("%s: %d %s, want 400", name, code, resp)
			}
		}
		if n, _ := h.st.CountAgentResults(ctx, "fra-1", ""); n != 2 {
			t.Fatalf("bad pushes stored something: %d results", n)
		}
		if code, _, _ := do(t, "POST", ts.URL+ResultsPath, read, push(good)); code != http.StatusForbidden {
			t.Fatalf("a read token pushed: %d", code)
		}
		big := `{"results":[{"rid":"x","monitor":"flexo/web/http","at":"2026-08-12T00:00:00Z","level":"up","message":"` + strings.Repeat("x", maxPushBytes) + `"}]}`
		if code, _, _ := do(t, "POST", ts.URL+ResultsPath, fra, big); code != http.StatusRequestEntityTooLarge {
			t.Fatalf("an oversized push: %d, want 413", code)
		}
		agents, err := h.st.Agents(ctx)
		if err != nil || len(agents) != 1 || agents[0].Location != "fra-1" || agents[0].Version != "v-test" || agents[0].Results != 2 {
			t.Fatalf("agents: %+v %v", agents, err)
		}
	})
}

// Reference targets go with a location's assignment (its own list where it
// has one) and their results are taken under their ids; a location with no
// monitor has nothing to tell apart, and gets none.
func TestServerReferences(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		cfg := testConfig("")
		own := simReference
		own.Name, own.Address = "local", "127.0.0.1:10"
		cfg.Agents = config.Agents{References: []config.Monitor{simReference},
			Locations: []config.AgentLocation{{Name: "nyc-1", References: []config.Monitor{own}}}}
		h := newHarness(t, b, cfg)
		for loc, want := range map[string]string{"fra-1": "@reference/resolver", "nyc-1": "@reference/local", "zzz-1": ""} {
			var ids []string
			for _, r := range AssignmentFor(cfg, loc).References {
				ids = append(ids, r.ID)
			}
			if strings.Join(ids, ",") != want {
				t.Errorf("%s's references: %v, want %q", loc, ids, want)
			}
		}
		srv := NewServer(h.svc, h.st, h.config, nil, nil)
		mux := http.NewServeMux()
		srv.Register(mux)
		ts := httptest.NewServer(mux)
		defer ts.Close()
		nyc, _, err := h.svc.CreateAgentToken(context.Background(), "", "nyc-1")
		if err != nil {
			t.Fatal(err)
		}
		code, _, body := do(t, "POST", ts.URL+ResultsPath, nyc, push(
			Result{RID: "1", Monitor: "@reference/local", At: t0, Level: "up"},
			Result{RID: "2", Monitor: "@reference/resolver", At: t0, Level: "up"}))
		if code != http.StatusOK || !strings.Contains(body, `"stored":1`) || !strings.Contains(body, `not assigned to location nyc-1`) {
			t.Fatalf("push of its own reference and another's: %d %s", code, body)
		}
	})
}

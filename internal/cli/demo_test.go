package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The demo, played whole at its usual speed: the stories it promises
// in its introduction are on the page, in measured words, at the end.
func TestDemoPlaysTheSeedStories(t *testing.T) {
	// Not parallel: at 60 times the clock a 10 s timeout is 166 ms on the
	// wall, and this package's parallel tests (three agents and a server,
	// three instances) beside it under the race detector made checks of
	// answering targets time out, so the demo measured outages of its own.
	// Serial tests run before the parallel ones start.
	began := time.Now()
	out, errs := &syncBuffer{}, &syncBuffer{}
	env := &Env{Stdin: strings.NewReader(""), Stdout: out, Stderr: errs, Getenv: os.Getenv}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runDemo(ctx, env, []string{"--listen", "127.0.0.1:0"}) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("demo: %v", err)
		}
	}()
	addrRe := regexp.MustCompile(`Status page:  (http://[0-9.:]+)/`)
	var base string
	deadline := time.Now().Add(60 * time.Second)
	for base == "" {
		if m := addrRe.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("demo ended before serving: %v\n%s", err, errs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo printed no address:\n%s\n%s", out, errs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The admin account it printed signs in.
	pwRe := regexp.MustCompile(`\(user demo, password ([A-Za-z0-9_-]+)\)`)
	m := pwRe.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no demo account printed:\n%s", out)
	}
	if code := demoLogin(t, base, "demo", m[1]); code != http.StatusSeeOther {
		t.Errorf("signing in as the printed demo account: %d, want 303", code)
	}
	if code := demoLogin(t, base, "demo", "wrong-"+m[1]); code == http.StatusSeeOther {
		t.Errorf("a wrong password signed in")
	}
	deadline = time.Now().Add(3 * time.Minute)
	for !strings.Contains(errs.String(), "the script has played") {
		if time.Now().After(deadline) {
			t.Fatalf("the script did not finish; its log:\n%s", errs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	type update struct{ Body string }
	type doc struct {
		Incidents []struct {
			ID, Name, Status string
			CreatedAt        time.Time `json:"created_at"`
			Updates          []update  `json:"incident_updates"`
		}
		Maintenances []struct {
			Name, Status string
			Updates      []update `json:"incident_updates"`
		} `json:"scheduled_maintenances"`
	}
	var inc, mnt doc
	read := func() {
		for path, v := range map[string]*doc{"/api/v2/incidents.json": &inc, "/api/v2/scheduled-maintenances.json": &mnt} {
			_, body := get(t, base+path)
			if err := json.Unmarshal([]byte(body), v); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
		}
	}
	// What the monitors opened while the script played: flexo's hang twice
	// and one network incident, whatever order the servers were detected
	// in; every one of them resolved. A check that times out because the
	// machine is busy (at 60 times the wall clock a 10 s timeout is 167 ms)
	// is a real measurement and may open an incident of its own: it must be
	// resolved too, and told like the others. The last is told a hold after
	// the script's end, so wait for it (up to 30 s).
	const network = "All servers unreachable or very slow"
	count := map[string]int{}
	open := 0
	settled := func() bool {
		read()
		clear(count)
		open = 0
		for _, i := range inc.Incidents {
			if i.CreatedAt.After(began) {
				count[i.Name]++
				if i.Status != "resolved" {
					open++
				}
			}
		}
		return count[network] == 1 && count["Web sites on flexo not responding"] >= 2 && open == 0
	}
	deadline = time.Now().Add(30 * time.Second)
	for !settled() && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if count[network] != 1 || count["Web sites on flexo not responding"] < 2 || open != 0 {
		t.Errorf("incidents the monitors opened: %v, %d still open; want one network incident and flexo's two, all resolved", count, open)
	}
	for _, i := range inc.Incidents {
		if i.Name != "Incoming mail delayed on mom" && i.Status != "resolved" {
			t.Errorf("incident %s %q left %s", i.ID, i.Name, i.Status)
		}
	}
	// The subscribers heard of their own server's troubles, each incident
	// once as new and once resolved, and only of those: flexo's customer of
	// flexo's two incidents, both of the network incident (and its
	// restoration update), and of the kernel maintenance starting and
	// completing.
	const site = "[Example Hosting Status] "
	mailRe := regexp.MustCompile(`demo: e-mail to (\S+): (.*)`)
	got := map[string]map[string]int{}
	heard := func() bool {
		clear(got)
		for _, m := range mailRe.FindAllStringSubmatch(errs.String(), -1) {
			if got[m[1]] == nil {
				got[m[1]] = map[string]int{}
			}
			got[m[1]][strings.TrimPrefix(m[2], site)]++
		}
		for _, addr := range []string{"owner@flexo-customer.example", "owner@mom-customer.example"} {
			if got[addr]["Maintenance completed: "+kernelTitle] == 0 || got[addr]["Resolved: "+network] == 0 {
				return false
			}
		}
		if got["owner@flexo-customer.example"]["Resolved: Web sites on flexo not responding"] < 2 {
			return false
		}
		// Settled: every incident told as new has been told resolved too
		// (an incident a busy machine opened may still be going on), and
		// the page agrees that none is open.
		for _, mails := range got {
			for subject, n := range mails {
				if title, isNew := strings.CutPrefix(subject, "New incident: "); isNew && mails["Resolved: "+title] != n {
					return false
				}
			}
		}
		return settled()
	}
	deadline = time.Now().Add(30 * time.Second)
	for !heard() && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	for addr, server := range map[string]string{"owner@flexo-customer.example": "flexo", "owner@mom-customer.example": "mom"} {
		mails := got[addr]
		for _, once := range []string{"New incident: " + network, "Resolved: " + network,
			"Maintenance has started: " + kernelTitle, "Maintenance completed: " + kernelTitle} {
			if mails[once] != 1 {
				t.Errorf("%s got %q %d times, want once; all: %v", addr, once, mails[once], mails)
			}
		}
		if mails["Incident update: "+network] < 1 {
			t.Errorf("%s was not told of the restorations: %v", addr, mails)
		}
		for subject, n := range mails {
			title, isNew := strings.CutPrefix(subject, "New incident: ")
			if isNew && mails["Resolved: "+title] != n {
				t.Errorf("%s was told %d times of %q as new, %d times resolved", addr, n, title, mails["Resolved: "+title])
			}
			_, about, _ := strings.Cut(subject, ": ")
			// A busy machine can make most servers' checks time out at
			// once: a real measurement, told as a network incident like any
			// other (balanced new/resolved above); which subscribers hear of
			// it is notify's TestIncidentGrowsToNewSubscribers.
			loadNetwork := strings.HasSuffix(about, " servers unreachable or very slow")
			if about != network && about != kernelTitle && !loadNetwork && !strings.Contains(about, " on "+server+" ") {
				t.Errorf("%s was told of another server's incident: %q", addr, subject)
			}
		}
	}
	if n := got["owner@flexo-customer.example"]["New incident: Web sites on flexo not responding"]; n < 2 {
		t.Errorf("flexo's customer heard of %d of flexo's incidents, want both", n)
	}
	if len(got) != 2 {
		t.Errorf("e-mails went to %d addresses, want 2: %v", len(got), got)
	}

	texts := func(name string) []string {
		var out []string
		for _, i := range inc.Incidents {
			if i.Name == name {
				for _, u := range i.Updates {
					out = append(out, u.Body)
				}
			}
		}
		return out
	}
	has := func(list []string, sub string) bool {
		for _, s := range list {
			if strings.Contains(s, sub) {
				return true
			}
		}
		return false
	}
	flexo := texts("Web sites on flexo not responding")
	for _, want := range []string{"interruption in Web site service between", "E-mail was not affected, and customers on other servers were not affected.",
		"The problem happened a second time on", "This was the second time within a week"} {
		if !has(flexo, want) {
			t.Errorf("flexo's incidents lack %q:\n%s", want, strings.Join(flexo, "\n"))
		}
	}
	// The resolution tells the restorations in order: mom, elzar and zapp
	// (together when their checks saw it in the same second), flexo last.
	net := texts("All servers unreachable or very slow")
	told := regexp.MustCompile(`We restored service to (.*)to the flexo server at [^.]*\. In all, the problem lasted`)
	resolved := ""
	for _, s := range net {
		if m := told.FindStringSubmatch(s); m != nil {
			resolved = m[1]
		}
	}
	// When one server's check saw it a second before the others', that
	// server is named first and the rest are "all remaining servers
	// except flexo" (prose's groupName).
	named := strings.Contains(resolved, "elzar") && strings.Contains(resolved, "zapp") ||
		strings.Contains(resolved, "all remaining servers except flexo")
	if !strings.Contains(resolved, "all servers except flexo") && !(strings.Contains(resolved, "mom") && named) {
		t.Errorf("the network incident's texts:\n%s", strings.Join(net, "\n"))
	}
	found := false
	for _, m := range mnt.Maintenances {
		if m.Name == kernelTitle {
			found = true
			if m.Status != "completed" || !strings.HasPrefix(m.Updates[0].Body, "The maintenance was completed with") ||
				!strings.Contains(m.Updates[0].Body, "zapp") || !strings.Contains(m.Updates[0].Body, "flexo") {
				t.Errorf("kernel maintenance: %s %+v", m.Status, m.Updates)
			}
		}
	}
	if !found {
		t.Errorf("no kernel maintenance in %+v", mnt.Maintenances)
	}
}

// demoLogin posts the sign-in form as a browser on the same origin would.
func demoLogin(t *testing.T, base, user, password string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/admin/login", strings.NewReader(url.Values{"username": {user}, "password": {password}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

package cli_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/heraldhq/herald/internal/cli"
)

const mirrorYAML = `page:
  title: Example Hosting Status
  url: https://status.example.net
  zone: America/Los_Angeles
incidents:
  auto: off
groups:
  - id: flexo
    name: flexo
    components:
      - id: web
        name: Web sites
      - id: email
        name: E-mail
  - id: mom
    name: mom
    components:
      - id: web
        name: Web sites
`

// copyLine is the line each page of a copy has, and madeAt the JSON's.
var (
	copyLine = regexp.MustCompile(`<p class="note copy" role="note">This is a copy of the status page, made at \d{1,2}:\d\d [AP]M Pacific time on [A-Z][a-z]+day, [A-Z][a-z]+ \d{1,2}, \d{4}\. It shows what was known then\.</p>\n`)
	madeAt   = regexp.MustCompile(`,"mirror":\{"made_at":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}-0[78]:00)"\}\}$`)
)

// updated is when the front page and the framed widgets were rendered,
// which two renders differ in.
var updated = regexp.MustCompile(`<p>Updated <time datetime="[^"]+">[^<]+</time></p>|<span class="hw-asof">As of <time datetime="[^"]+">[^<]+</time>\. </span>`)

// mirrorOnly are the pages a copy has in place of those that answer per
// request on the live site.
var mirrorOnly = []string{"/subscribe", "/subscribe/confirm", "/manage", "/unsubscribe", "/lookup"}

// fetch GETs url and returns the status, Content-Type and body.
func fetch(url string) (int, string, []byte, error) {
	resp, err := httpClient.Get(url)
	if err != nil {
		return 0, "", nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), b, err
}

// original undoes what a copy adds to a document: the copy line of a page,
// the made_at of a JSON document. It says what is wrong when the addition
// is not there exactly once.
func original(path, contentType string, body []byte, since time.Time) ([]byte, error) {
	switch {
	case strings.HasPrefix(contentType, "text/html"):
		if n := len(copyLine.FindAll(body, -1)); n != 1 {
			return nil, fmt.Errorf("%s has the copy line %d times", path, n)
		}
		return copyLine.ReplaceAll(body, nil), nil
	case strings.HasPrefix(path, "/api/v2/"):
		m := madeAt.FindSubmatchIndex(body)
		if m == nil {
			return nil, fmt.Errorf("%s has no mirror.made_at at its end: %.200q", path, body[max(0, len(body)-200):])
		}
		at, err := time.Parse("2006-01-02T15:04:05.000-07:00", string(body[m[2]:m[3]]))
		if err != nil || at.Before(since.Truncate(time.Millisecond)) || at.After(time.Now()) {
			return nil, fmt.Errorf("%s: made_at %s is not a time during the test (%v)", path, body[m[2]:m[3]], err)
		}
		return append(body[:m[0]:m[0]], '}'), nil
	}
	return body, nil
}

// paths lists the addresses a copy in a folder answers, from its files.
func paths(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		switch {
		case rel == ".herald-mirror" || rel == "404.html":
		case rel == "index.html":
			out = append(out, "/")
		case strings.HasSuffix(rel, "/index.html"):
			out = append(out, "/"+strings.TrimSuffix(rel, "/index.html"))
		default:
			out = append(out, "/"+rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// compareCopy checks that the copy served at mirrorURL answers every path
// with Herald's own document at heraldURL, but for the copy line and the
// JSON's made_at, and answers an unknown address with Herald's 404 page.
// It returns the first difference, or "" when there is none.
func compareCopy(heraldURL, mirrorURL string, list []string, since time.Time, exactTypes bool) string {
	for _, p := range list {
		code, ct, mine, err := fetch(mirrorURL + p)
		if err != nil || code != http.StatusOK {
			return fmt.Sprintf("mirror %s%s: %d %v", mirrorURL, p, code, err)
		}
		if slices.Contains(mirrorOnly, p) {
			if !strings.Contains(string(mine), "needs the live page") || !strings.Contains(string(mine), "https://status.example.net"+p) ||
				!copyLine.Match(mine) {
				return fmt.Sprintf("mirror %s does not say a copy cannot do this and where to go: %.300s", p, mine)
			}
			continue
		}
		hcode, hct, theirs, err := fetch(heraldURL + p)
		if err != nil || hcode != http.StatusOK {
			return fmt.Sprintf("herald %s: %d %v", p, hcode, err)
		}
		if exactTypes && ct != hct || !exactTypes && mediaType(ct) != mediaType(hct) {
			return fmt.Sprintf("%s%s: Content-Type %q, herald says %q", mirrorURL, p, ct, hct)
		}
		back, err := original(p, hct, mine, since)
		if err != nil {
			return err.Error()
		}
		if same, diff := sameBytes(theirs, back); !same {
			return fmt.Sprintf("%s%s differs from herald's: %s", mirrorURL, p, diff)
		}
	}
	code, _, mine, err := fetch(mirrorURL + "/incidents/999999")
	hcode, _, theirs, herr := fetch(heraldURL + "/incidents/999999")
	if err != nil || herr != nil || code != http.StatusNotFound || hcode != http.StatusNotFound {
		return fmt.Sprintf("an unknown address: mirror %d %v, herald %d %v", code, err, hcode, herr)
	}
	back, err := original("404", "text/html", mine, since)
	if err != nil {
		return err.Error()
	}
	if same, diff := sameBytes(theirs, back); !same {
		return "the 404 page differs: " + diff
	}
	return ""
}

// TestE2EMirror keeps three copies of the public site current from one
// `herald serve` on PostgreSQL — in a folder, in a folder on another host
// by rsync over OpenSSH's sshd, and in S3-compatible storage (versitygw) —
// serves each back through nginx, and compares every document with
// Herald's own. `herald publish` makes the same copy once. Then Herald is
// killed and its database stopped, and the copies still answer with the
// last state.
func TestE2EMirror(t *testing.T) {
	cli.Parallel(t)
	herald(t)
	tools := needMirrorTools(t)
	pg := newCluster(t)
	far := startSSHD(t, tools)
	s3 := startS3(t, tools)
	keys := []string{"AWS_ACCESS_KEY_ID=" + s3.access, "AWS_SECRET_ACCESS_KEY=" + s3.secret}
	local := filepath.Join(t.TempDir(), "status")
	web := startNginx(t, tools, local, far.root, s3)
	since := time.Now()

	config := filepath.Join(t.TempDir(), "herald.yaml")
	writeFile(t, config, []byte(mirrorYAML))
	token := createToken(t, "write", "--db", pg.url)
	s, err := tryStart(t, []string{"--config", config, "--db", pg.url, "--publish", local, "--publish", far.spec,
		"--publish", "s3://" + s3.bucket + "/" + s3.prefix, "--mirror-s3-endpoint", s3.endpoint,
		"--mirror-ssh-key", far.key, "--mirror-known-hosts", far.knownHosts}, keys...)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if s.cmd.ProcessState == nil {
			_ = s.cmd.Process.Kill()
			<-s.done
		}
		s.cancel()
	}()

	// An incident with a timeline, resolved (so nothing moves with the
	// clock), and a window scheduled for tomorrow.
	env := remoteEnv(s, token)
	id := mustRun(t, env, "incident", "open", "--title", "Web sites on flexo unreachable", "--impact", "major",
		"--component", "flexo/web=major_outage", "--status", "investigating", "--body", "We are <looking> into it.").lastLine()
	mustRun(t, env, "incident", "update", id, "--status", "identified", "--body", "Apache did not answer a graceful reload.")
	mustRun(t, env, "incident", "resolve", id, "--body", "Web sites on flexo are back.")
	start := time.Now().Add(26 * time.Hour).Truncate(time.Minute).UTC()
	mid := mustRun(t, env, "maintenance", "schedule", "--title", "Kernel update", "--component", "flexo/web",
		"--component", "mom/web", "--start", start.Format(time.RFC3339), "--duration", "5m", "--body", "The servers will be restarted.").lastLine()

	servers := map[string]string{"folder": web.dirURL, "rsync over ssh": web.farURL, "s3": web.s3URL}
	for name, url := range servers {
		eventually(t, "the "+name+" copy shows the window", func() (bool, string) {
			_, _, b, err := fetch(url + "/api/v2/scheduled-maintenances/upcoming.json")
			return err == nil && strings.Contains(string(b), "Kernel update") && madeAt.Match(b), string(b)
		})
	}
	list := paths(t, local)
	var css string
	for _, p := range list {
		if strings.HasPrefix(p, "/static/herald.") {
			css = p
		}
	}
	for _, want := range []string{"/", "/history", "/incidents/" + id, "/maintenance/" + mid, "/components/flexo/web",
		"/components/mom/web", "/history.atom", "/history.rss", "/maintenance.ics", "/api/v2/summary.json", "/api/v2/status.json",
		"/api/v2/components.json", "/api/v2/incidents.json", "/api/v2/incidents/unresolved.json", "/api/v2/scheduled-maintenances.json",
		"/api/v2/scheduled-maintenances/upcoming.json", "/api/v2/scheduled-maintenances/active.json", "/subscribe", "/lookup"} {
		if !slices.Contains(list, want) {
			t.Errorf("the copy has no %s; it has %v", want, list)
		}
	}
	if css == "" {
		t.Errorf("the copy has no stylesheet: %v", list)
	}
	for name, url := range servers {
		eventually(t, "the "+name+" copy equals Herald's documents", func() (bool, string) {
			diff := compareCopy(s.url, url, list, since, name == "s3")
			return diff == "", diff
		})
	}
	// The S3 objects carry their types and how long they may be cached.
	ctx := context.Background()
	for key, want := range map[string]string{"index.html": "text/html; charset=utf-8", "api/v2/summary.json": "application/json; charset=utf-8",
		"history.atom": "application/atom+xml; charset=utf-8", strings.TrimPrefix(css, "/"): "text/css; charset=utf-8"} {
		info, err := s3.client.StatObject(ctx, s3.bucket, s3.prefix+"/"+key, minio.StatObjectOptions{})
		if err != nil {
			t.Errorf("stat %s: %v", key, err)
			continue
		}
		wantCache := "public, max-age=10"
		if strings.HasPrefix(key, "static/") {
			wantCache = "public, max-age=31536000, immutable"
		}
		if info.ContentType != want || info.Metadata.Get("Cache-Control") != wantCache {
			t.Errorf("s3 %s: Content-Type %q, Cache-Control %q; want %q, %q", key, info.ContentType, info.Metadata.Get("Cache-Control"), want, wantCache)
		}
	}

	// herald publish makes the same copy once, from the database alone.
	once := filepath.Join(t.TempDir(), "once")
	r := mustRun(t, nil, "publish", "--config", config, "--db", pg.url, "--to", once)
	if !strings.Contains(r.stdout, "This is a copy of the status page, made at") {
		t.Errorf("herald publish says: %s", r.stdout)
	}
	if got := paths(t, once); !slices.Equal(got, list) {
		t.Errorf("herald publish wrote %v, the running server %v", got, list)
	}
	for _, p := range list {
		a, errA := os.ReadFile(fileOf(once, p))
		b, errB := os.ReadFile(fileOf(local, p))
		if errA != nil || errB != nil {
			t.Fatalf("%s: %v %v", p, errA, errB)
		}
		ct := "text/html"
		if strings.Contains(p, ".") {
			ct = "other"
		}
		oa, errA := original(p, ct, a, since)
		ob, errB := original(p, ct, b, since)
		// The front page and the framed widgets say when they were rendered.
		oa, ob = updated.ReplaceAll(oa, nil), updated.ReplaceAll(ob, nil)
		if errA != nil || errB != nil || string(oa) != string(ob) {
			_, diff := sameBytes(ob, oa)
			t.Errorf("herald publish's %s differs from the served copy's (%v, %v): %s", p, errA, errB, diff)
		}
	}

	// Each target got a copy at most every 5 s (a lower bound the
	// publisher keeps, whatever the machine's speed).
	sentAt := map[string][]time.Time{}
	for _, line := range strings.Split(s.log.String(), "\n") {
		if !strings.Contains(line, `msg="mirror: copy sent"`) {
			continue
		}
		t.Log(line)
		var at time.Time
		for _, f := range strings.Fields(line) {
			if v, ok := strings.CutPrefix(f, "time="); ok {
				at, _ = time.Parse(time.RFC3339Nano, v)
			}
		}
		_, target, _ := strings.Cut(line, "target=")
		target, _, _ = strings.Cut(target, " documents=")
		sentAt[target] = append(sentAt[target], at)
	}
	if len(sentAt) != 3 {
		t.Errorf("copies were sent to %d targets, want 3: %v", len(sentAt), sentAt)
	}
	for target, times := range sentAt {
		for i := 1; i < len(times); i++ {
			if gap := times[i].Sub(times[i-1]); gap < 5*time.Second {
				t.Errorf("%s: two copies %s apart, want at least 5 s", target, gap)
			}
		}
	}

	// The last state, as each copy shows it now.
	last := map[string][2][]byte{}
	for name, url := range servers {
		_, _, front, err1 := fetch(url + "/")
		_, _, summary, err2 := fetch(url + "/api/v2/summary.json")
		if err := errors.Join(err1, err2); err != nil {
			t.Fatal(err)
		}
		last[name] = [2][]byte{front, summary}
	}
	// Herald dies, and its database stops.
	_ = s.cmd.Process.Kill()
	<-s.done
	pg.ctl(t, "stop")
	if _, _, _, err := fetch(s.url + "/"); err == nil {
		t.Fatal("Herald still answers after SIGKILL")
	}
	for name, url := range servers {
		for i, p := range []string{"/", "/api/v2/summary.json"} {
			code, _, body, err := fetch(url + p)
			if err != nil || code != http.StatusOK || string(body) != string(last[name][i]) {
				t.Errorf("with Herald and its database down, the %s copy answers %s with %d %v, not the last state", name, p, code, err)
			}
		}
		var doc struct {
			Status struct{ Indicator string }
			Mirror struct {
				MadeAt string `json:"made_at"`
			}
			ScheduledMaintenances []struct{ Name string } `json:"scheduled_maintenances"`
		}
		if err := json.Unmarshal(last[name][1], &doc); err != nil || doc.Status.Indicator != "none" || doc.Mirror.MadeAt == "" ||
			len(doc.ScheduledMaintenances) != 1 || doc.ScheduledMaintenances[0].Name != "Kernel update" {
			t.Errorf("the %s copy's summary.json: %v %s", name, err, last[name][1])
		}
	}
}

// fileOf is the file in a copy's folder that answers path.
func fileOf(root, path string) string {
	switch {
	case path == "/":
		return filepath.Join(root, "index.html")
	case strings.Contains(filepath.Base(path), "."):
		return filepath.Join(root, filepath.FromSlash(path))
	}
	return filepath.Join(root, filepath.FromSlash(path), "index.html")
}

// herald publish on SQLite writes the copy into a new folder and again over
// its own copy, and refuses what it cannot do with a clear message, leaving
// a folder that is not a copy as it was.
func TestPublishOnSQLite(t *testing.T) {
	cli.Parallel(t)
	herald(t)
	dir := t.TempDir()
	config := filepath.Join(dir, "herald.yaml")
	writeFile(t, config, []byte(mirrorYAML))
	data := filepath.Join(dir, "data")
	mustRun(t, nil, "migrate", "--data", data)
	out := filepath.Join(dir, "site")
	for range 2 {
		r := mustRun(t, nil, "publish", "--config", config, "--data", data, "--to", out)
		if !strings.Contains(r.stdout, "published") || !strings.Contains(r.stdout, "Pacific time") {
			t.Errorf("herald publish says %q", r.stdout)
		}
	}
	for _, p := range []string{"/", "/history", "/api/v2/summary.json", "/history.atom", "/maintenance.ics", "/subscribe"} {
		b, err := os.ReadFile(fileOf(out, p))
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if strings.HasPrefix(p, "/api/") && !madeAt.Match(b) || !strings.Contains(p, ".") && !copyLine.Match(b) {
			t.Errorf("%s does not say when the copy was made: %.300s", p, b)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "404.html")); err != nil {
		t.Error(err)
	}

	other := filepath.Join(dir, "other")
	writeFile(t, filepath.Join(dir, "keep.txt"), []byte("x"))
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(other, "notes.txt"), []byte("mine"))
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"publish", "--config", config, "--data", data}, 2, "--to"},
		{[]string{"publish", "--data", data, "--to", out}, 2, "--config"},
		{[]string{"publish", "--config", config, "--data", data, "--to", "ftp://x/y"}, 2, "not a folder, rsync://"},
		{[]string{"publish", "--config", config, "--data", data, "--to", "s3://bucket/x", "--mirror-s3-endpoint", "http://127.0.0.1:9"}, 2, "AWS_ACCESS_KEY_ID"},
		{[]string{"publish", "--config", config, "--data", data, "--to", other}, 1, "holds files and no .herald-mirror"},
	}
	for _, c := range cases {
		r := runHerald(t, nil, c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) {
			t.Errorf("herald %s: exit %d, %q; want exit %d saying %q", strings.Join(c.args, " "), r.code, r.stderr, c.code, c.want)
		}
	}
	if b, err := os.ReadFile(filepath.Join(other, "notes.txt")); err != nil || string(b) != "mine" {
		t.Errorf("the folder that is not a copy was changed: %q %v", b, err)
	}
	if entries, _ := os.ReadDir(other); len(entries) != 1 {
		t.Errorf("the folder that is not a copy now holds %d entries", len(entries))
	}
}

// pagesMirrorYAML is mirrorYAML with a host page, a path page and a private page.
var pagesMirrorYAML = strings.Replace(mirrorYAML, "incidents:\n", `pages:
  - {id: reseller, title: Reseller Status, host: status.reseller.example, groups: [mom]}
  - {id: acme, title: Acme Status, path: /acme, groups: [mom]}
  - id: secret
    title: Secret Customers Status
    path: /secret
    groups: [zapp]
    private: {key_env: HERALD_TEST_SECRET_KEY}
incidents:
`, 1) + "  - id: zapp\n    name: zapp\n    components:\n      - id: web\n        name: Web sites\n"

// herald publish copies every public page of pages: (a path page under its
// path, a host page in its folder) and never a private one.
func TestPublishPagesOnSQLite(t *testing.T) {
	cli.Parallel(t)
	herald(t)
	dir := t.TempDir()
	config := filepath.Join(dir, "herald.yaml")
	writeFile(t, config, []byte(pagesMirrorYAML))
	data := filepath.Join(dir, "data")
	mustRun(t, nil, "migrate", "--data", data)
	out := filepath.Join(dir, "site")
	env := []string{"HERALD_TEST_SECRET_KEY=" + strings.Repeat("k", 40)}
	r := runHerald(t, env, "publish", "--config", config, "--data", data, "--to", out)
	if r.code != 0 {
		t.Fatalf("herald publish: exit %d: %s", r.code, r.stderr)
	}
	for file, title := range map[string]string{"index.html": "Example Hosting Status", "acme/index.html": "Acme Status",
		"acme/history/index.html": "Acme Status", "acme/404.html": "Acme Status", "acme/api/v2/summary.json": "Acme Status",
		"status.reseller.example/index.html": "Reseller Status", "status.reseller.example/404.html": "Reseller Status",
		"status.reseller.example/api/v2/summary.json": "Reseller Status"} {
		b, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(file)))
		if err != nil || !strings.Contains(string(b), title) {
			t.Errorf("%s: %v, or it does not say %q", file, err, title)
		}
	}
	if b, err := os.ReadFile(filepath.Join(out, "status.reseller.example", "subscribe", "index.html")); err != nil ||
		!strings.Contains(string(b), `href="https://status.reseller.example/subscribe"`) || strings.Contains(string(b), "status.example.net") {
		t.Errorf("the host page's copy of /subscribe does not lead to its own address: %v", err)
	}
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if strings.Contains(string(b), "zapp") || strings.Contains(string(b), "Secret Customers") || strings.Contains(p, "secret") {
			t.Errorf("%s: the copy holds something of the private page", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestE2EMirrorPages: herald publish puts the same copy of every public
// page, and nothing of the private one, in a folder, over rsync to sshd and
// into versitygw, and nginx serves each page's copy back from each.
func TestE2EMirrorPages(t *testing.T) {
	cli.Parallel(t)
	herald(t)
	tools := needMirrorTools(t)
	far := startSSHD(t, tools)
	s3 := startS3(t, tools)
	dir := t.TempDir()
	local := filepath.Join(dir, "status")
	web := startNginx(t, tools, local, far.root, s3)
	config := filepath.Join(dir, "herald.yaml")
	writeFile(t, config, []byte(pagesMirrorYAML))
	data := filepath.Join(dir, "data")
	mustRun(t, nil, "migrate", "--data", data)
	env := []string{"HERALD_TEST_SECRET_KEY=" + strings.Repeat("k", 40), "AWS_ACCESS_KEY_ID=" + s3.access, "AWS_SECRET_ACCESS_KEY=" + s3.secret}
	for _, to := range [][]string{{local}, {far.spec, "--mirror-ssh-key", far.key, "--mirror-known-hosts", far.knownHosts},
		{"s3://" + s3.bucket + "/" + s3.prefix, "--mirror-s3-endpoint", s3.endpoint}} {
		r := runHerald(t, env, append([]string{"publish", "--config", config, "--data", data, "--to"}, to...)...)
		if r.code != 0 {
			t.Fatalf("herald publish --to %s: exit %d: %s", to[0], r.code, r.stderr)
		}
	}
	// The same files in each, none of the private page.
	files := func(root string) []string {
		var out []string
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() == ".herald-mirror" {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(out)
		return out
	}
	want := files(local)
	if got := files(far.root); !slices.Equal(got, want) {
		t.Errorf("over rsync: %v\nin the folder: %v", got, want)
	}
	var keys []string
	for o := range s3.client.ListObjects(context.Background(), s3.bucket, minio.ListObjectsOptions{Prefix: s3.prefix + "/", Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		keys = append(keys, strings.TrimPrefix(o.Key, s3.prefix+"/"))
	}
	slices.Sort(keys)
	if !slices.Equal(keys, want) {
		t.Errorf("in S3: %v\nin the folder: %v", keys, want)
	}
	for _, f := range []string{"acme/index.html", "acme/404.html", "status.reseller.example/index.html", "status.reseller.example/api/v2/summary.json"} {
		if !slices.Contains(want, f) {
			t.Errorf("the copy lacks %s: %v", f, want)
		}
	}
	for _, f := range want {
		if strings.Contains(f, "secret") {
			t.Errorf("the copy holds %s", f)
		}
	}
	servers := map[string]string{"folder": web.dirURL, "rsync over ssh": web.farURL, "s3": web.s3URL}
	for name, url := range servers {
		for path, title := range map[string]string{"/acme/": "Acme Status", "/status.reseller.example/": "Reseller Status",
			"/status.reseller.example/api/v2/summary.json": "Reseller Status"} {
			code, _, body, err := fetch(url + path)
			if err != nil || code != http.StatusOK || !strings.Contains(string(body), title) || strings.Contains(string(body), "zapp") {
				t.Errorf("the %s copy answers %s with %d %v, not %s's page", name, path, code, err, title)
			}
		}
		if code, _, _, err := fetch(url + "/secret/"); err != nil || code != http.StatusNotFound {
			t.Errorf("the %s copy answers /secret/ with %d %v, want 404", name, code, err)
		}
	}
}

// mediaType is a Content-Type without its parameters, with JavaScript's
// obsolete name (which web servers' type tables still give .js files) read
// as the current one (RFC 9239).
func mediaType(ct string) string {
	mt := strings.TrimSpace(strings.Split(ct, ";")[0])
	if mt == "application/javascript" {
		return "text/javascript"
	}
	return mt
}

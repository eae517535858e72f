package mirror

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/web"
)

const html = "text/html; charset=utf-8"

func TestFileName(t *testing.T) {
	cases := []struct {
		path, ct, want string
	}{
		{"/", html, "index.html"},
		{"404", html, "404.html"},
		{"/incidents/7", html, "incidents/7/index.html"},
		{"/history", html, "history/index.html"},
		{"/history/2026-11", html, "history/2026-11/index.html"},
		{"/components/flexo/mail.v2", html, "components/flexo/mail.v2/index.html"},
		{"/api/v2/summary.json", "application/json; charset=utf-8", "api/v2/summary.json"},
		{"/api/v2/incidents/unresolved.json", "application/json; charset=utf-8", "api/v2/incidents/unresolved.json"},
		{"/history.atom", "application/atom+xml; charset=utf-8", "history.atom"},
		{"/static/herald.abc.css", "text/css; charset=utf-8", "static/herald.abc.css"},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			got, err := FileName(web.Document{Path: c.path, ContentType: c.ct})
			if err != nil || got != c.want {
				t.Errorf("FileName(%q) = %q, %v; want %q", c.path, got, err, c.want)
			}
		})
	}
	for _, bad := range []string{"", "incidents/7", "/a/../b", "/a//b", "/a/", `/a\b`} {
		if got, err := FileName(web.Document{Path: bad, ContentType: html}); err == nil {
			t.Errorf("FileName(%q) = %q, want an error", bad, got)
		}
	}
}

func TestFilesPutTheFrontPageLast(t *testing.T) {
	files, err := Files([]web.Document{{Path: "/", ContentType: html}, {Path: "/incidents/7", ContentType: html},
		{Path: "/api/v2/summary.json", ContentType: "application/json"}})
	if err != nil {
		t.Fatal(err)
	}
	if files[len(files)-1].Name != IndexName {
		t.Errorf("the last file is %s, want %s", files[len(files)-1].Name, IndexName)
	}
	if _, err := Files([]web.Document{{Path: "/a", ContentType: html}, {Path: "/a/index.html", ContentType: "application/json"}}); err == nil {
		t.Error("two documents at one file: no error")
	}
}

func names(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel != "." {
			if e.IsDir() {
				rel += "/"
			}
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func TestDirPublishesReplacesAndRemoves(t *testing.T) {
	root := filepath.Join(t.TempDir(), "site")
	d := Dir{Root: root}
	ctx := context.Background()
	first := []File{{Name: "incidents/7/index.html", Body: []byte("seven")}, {Name: "incidents/8/index.html", Body: []byte("eight")},
		{Name: "api/v2/summary.json", Body: []byte("{}")}, {Name: IndexName, Body: []byte("front")}}
	if err := d.Publish(ctx, first); err != nil {
		t.Fatal(err)
	}
	want := []string{MarkerName, "api/", "api/v2/", "api/v2/summary.json", "incidents/", "incidents/7/", "incidents/7/index.html",
		"incidents/8/", "incidents/8/index.html", "index.html"}
	if got := names(t, root); !slices.Equal(got, want) {
		t.Fatalf("after the first copy: %v, want %v", got, want)
	}
	// Incident 8 left the copy: its file and its folder go.
	second := []File{{Name: "incidents/7/index.html", Body: []byte("seven, updated")}, {Name: "api/v2/summary.json", Body: []byte("{}")},
		{Name: IndexName, Body: []byte("front, updated")}}
	if err := d.Publish(ctx, second); err != nil {
		t.Fatal(err)
	}
	want = []string{MarkerName, "api/", "api/v2/", "api/v2/summary.json", "incidents/", "incidents/7/", "incidents/7/index.html", "index.html"}
	if got := names(t, root); !slices.Equal(got, want) {
		t.Fatalf("after the second copy: %v, want %v", got, want)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "incidents/7/index.html")); string(b) != "seven, updated" {
		t.Errorf("incidents/7 holds %q", b)
	}
	if info, err := os.Stat(filepath.Join(root, "index.html")); err != nil || info.Mode().Perm() != 0o644 {
		t.Errorf("index.html: %v, %v; want readable by a web server (0644)", info.Mode(), err)
	}
}

func TestDirRefusesAFolderThatIsNotACopy(t *testing.T) {
	root := t.TempDir()
	precious := filepath.Join(root, "thesis.tex")
	if err := os.WriteFile(precious, []byte("years of work"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Dir{Root: root}.Publish(context.Background(), []File{{Name: IndexName, Body: []byte("x")}})
	if err == nil || !strings.Contains(err.Error(), MarkerName) {
		t.Fatalf("publish into a folder holding other files: %v, want a refusal naming %s", err, MarkerName)
	}
	if b, err := os.ReadFile(precious); err != nil || string(b) != "years of work" {
		t.Errorf("the folder's file: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(root, IndexName)); !os.IsNotExist(err) {
		t.Errorf("index.html was written: %v", err)
	}
}

// A reader reading the files while copies replace them sees one whole
// version of each file or another, never a part of one, and never misses a
// file that is in every copy.
func TestDirReaderNeverSeesAHalfWrittenFile(t *testing.T) {
	root := filepath.Join(t.TempDir(), "site")
	d := Dir{Root: root}
	version := func(i int) []File {
		big := bytes.Repeat([]byte{byte('a' + i%26)}, 256<<10)
		return []File{{Name: "api/v2/summary.json", Body: big}, {Name: IndexName, Body: big}}
	}
	if err := d.Publish(context.Background(), version(0)); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var reads atomic.Int64
	errs := make(chan error, 2)
	var wg sync.WaitGroup
	for _, name := range []string{"api/v2/summary.json", IndexName} {
		wg.Go(func() {
			for !stop.Load() {
				b, err := os.ReadFile(filepath.Join(root, name))
				if err != nil {
					errs <- err
					return
				}
				if len(b) != 256<<10 || bytes.Count(b, b[:1]) != len(b) {
					errs <- errors.New(name + ": a read saw a file that is not one whole version")
					return
				}
				reads.Add(1)
			}
		})
	}
	for i := 1; i <= 40; i++ {
		if err := d.Publish(context.Background(), version(i)); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if reads.Load() == 0 {
		t.Error("the readers read nothing")
	}
}

func TestParse(t *testing.T) {
	o := Options{Stage: "/tmp/stage", SSHKey: "/keys/id", KnownHosts: "/keys/known", S3: S3Options{AccessKey: "a", SecretKey: "b",
		Endpoint: "http://127.0.0.1:7070"}}
	ok := []struct{ spec, want string }{
		{"/var/www/status", "/var/www/status"},
		{"out/", "out"},
		{"file:///srv/status", "/srv/status"},
		{"rsync://web@127.0.0.1:2222/srv/status", "rsync://web@127.0.0.1:2222/srv/status"},
		{"rsync://127.0.0.1/srv/status", "rsync://127.0.0.1/srv/status"},
		{"s3://bucket/site/", "s3://bucket/site/ at 127.0.0.1:7070"},
		{"s3://bucket", "s3://bucket/ at 127.0.0.1:7070"},
	}
	for _, c := range ok {
		tg, err := Parse(c.spec, o)
		if err != nil || tg.String() != c.want {
			t.Errorf("Parse(%q) = %v, %v; want %s", c.spec, tg, err, c.want)
		}
	}
	r, _ := Parse("rsync://web@127.0.0.1:2222/srv/status", o)
	if rs := r.(*Rsync); rs.Port != 2222 || rs.User != "web" || rs.Key != "/keys/id" || rs.KnownHosts != "/keys/known" ||
		!strings.Contains(rs.sshCommand(), "StrictHostKeyChecking=yes") || rs.destination() != "web@127.0.0.1:/srv/status/" {
		t.Errorf("rsync target: %+v, ssh %q, destination %q", rs, rs.sshCommand(), rs.destination())
	}
	bad := []struct {
		spec string
		o    Options
		want string
	}{
		{"", o, "no target"},
		{"ftp://host/x", o, "not a folder"},
		{"rsync://host", o, "want rsync://"},
		{"rsync://user:pw@host/x", o, "no passwords"},
		{"rsync://host:99999/x", o, "bad port"},
		{"rsync://host/my folder", o, "spaces"},
		{"rsync://-oProxyCommand=x/y", o, "leading dash"},
		{"rsync://host/x", Options{}, "staging"},
		{"s3:///prefix", o, "without a bucket"},
		{"s3://bucket/x", Options{S3: S3Options{Endpoint: "http://127.0.0.1:1"}}, "credentials"},
		{"s3://bucket/x", Options{S3: S3Options{Endpoint: "127.0.0.1:1", AccessKey: "a", SecretKey: "b"}}, "endpoint"},
	}
	for _, c := range bad {
		if _, err := Parse(c.spec, c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q) = %v, want an error saying %q", c.spec, err, c.want)
		}
	}
}

// site is a Source whose documents a test changes.
type site struct {
	mu   sync.Mutex
	docs []web.Document
}

func (s *site) ServedAll() []web.PageDocs {
	s.mu.Lock()
	defer s.mu.Unlock()
	return []web.PageDocs{{Docs: slices.Clone(s.docs)}}
}

func (s *site) set(front string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.docs = []web.Document{{Path: "/", ContentType: html, Body: []byte("<main id=\"main\" class=\"wrap\">\n" + front)}}
}

// recorder is a target that records each copy and fails while fail > 0.
type recorder struct {
	mu     sync.Mutex
	copies []string // the front page of each copy received
	fail   int
	calls  chan struct{}
}

func (r *recorder) String() string { return "recorder" }

func (r *recorder) Publish(_ context.Context, files []File) error {
	r.mu.Lock()
	defer func() {
		r.mu.Unlock()
		r.calls <- struct{}{}
	}()
	if r.fail > 0 {
		r.fail--
		return errors.New("the far host is down")
	}
	r.copies = append(r.copies, string(files[len(files)-1].Body))
	return nil
}

// clock is the publisher's Wait: it records each wait and lets it pass
// when the test says so.
type clock struct {
	waits chan time.Duration
	pass  chan bool
}

func (c *clock) wait(ctx context.Context, d time.Duration) bool {
	c.waits <- d
	select {
	case ok := <-c.pass:
		return ok
	case <-ctx.Done():
		return false
	}
}

func newPublisher(t *testing.T, s *site, r *recorder) (*Publisher, *clock, *strings.Builder, func()) {
	t.Helper()
	ck := &clock{waits: make(chan time.Duration), pass: make(chan bool)}
	var logs strings.Builder
	var logMu sync.Mutex
	cfg := config.Config{}
	p := NewPublisher(r, s, func() config.Config { return cfg }, func() time.Time { return time.Date(2026, 12, 3, 11, 2, 0, 0, time.UTC) },
		slogTo(&logs, &logMu))
	p.Wait = ck.wait
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		p.Run(ctx)
		close(done)
	}()
	return p, ck, &logs, func() {
		cancel()
		<-done
	}
}

func expectWait(t *testing.T, ck *clock, want time.Duration) {
	t.Helper()
	select {
	case d := <-ck.waits:
		if d != want {
			t.Fatalf("the publisher waits %s, want %s", d, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the publisher never waited %s", want)
	}
}

func expectCall(t *testing.T, r *recorder) {
	t.Helper()
	select {
	case <-r.calls:
	case <-time.After(10 * time.Second):
		t.Fatal("the target was never called")
	}
}

// Changes in a burst make one copy, at most one every Every; a rebuild
// that changed nothing sends nothing.
func TestPublisherDebounces(t *testing.T) {
	s := &site{}
	s.set("one")
	r := &recorder{calls: make(chan struct{}, 10)}
	p, ck, _, stop := newPublisher(t, s, r)
	defer stop()
	expectCall(t, r) // the copy at start
	expectWait(t, ck, Every)
	// While it waits, three changes come.
	s.set("two")
	p.Notify()
	s.set("three")
	p.Notify()
	p.Notify()
	ck.pass <- true
	expectCall(t, r)
	expectWait(t, ck, Every)
	// A rebuild that changed nothing.
	p.Notify()
	ck.pass <- true
	s.set("four")
	p.Notify()
	expectCall(t, r)
	expectWait(t, ck, Every)
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.copies) != 3 || !strings.HasSuffix(r.copies[0], "one") || !strings.HasSuffix(r.copies[1], "three") || !strings.HasSuffix(r.copies[2], "four") {
		t.Errorf("copies sent: %q, want one, three and four, each once", r.copies)
	}
	if !strings.Contains(r.copies[0], "This is a copy of the status page, made at 11:02 AM UTC on Thursday, December 3, 2026.") {
		t.Errorf("the copy does not say when it was made: %q", r.copies[0])
	}
}

// A failed copy is logged and tried again, after a growing wait, without
// any change; once it goes through, the log says so.
func TestPublisherRetriesFailures(t *testing.T) {
	s := &site{}
	s.set("one")
	r := &recorder{fail: 2, calls: make(chan struct{}, 10)}
	_, ck, logs, stop := newPublisher(t, s, r)
	defer stop()
	expectCall(t, r)
	expectWait(t, ck, Every) // no Notify is let through sooner
	ck.pass <- true
	expectWait(t, ck, 0) // the rest of the first back-off: Every in all
	ck.pass <- true
	expectCall(t, r)
	expectWait(t, ck, Every)
	ck.pass <- true
	expectWait(t, ck, Every) // the second back-off is twice the first
	ck.pass <- true
	expectCall(t, r)
	expectWait(t, ck, Every)
	stop()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.copies) != 1 {
		t.Errorf("copies that went through: %d, want 1", len(r.copies))
	}
	out := logs.String()
	for _, want := range []string{"copy not sent; trying again", "the far host is down", "failures=2", "copy sent again after failures"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log does not say %q:\n%s", want, out)
		}
	}
}

package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/auth"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/customers"
	"github.com/heraldhq/herald/internal/locale"
	"github.com/heraldhq/herald/internal/notify"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
	"github.com/heraldhq/herald/internal/web"
)

// everyAnswer is a request a visitor (or a visitor's program) can make of
// a page, named for the failure messages.
type everyAnswer struct {
	name, method, path string
	body               string
	contentType        string // of the body; "" is a urlencoded form
	accept             string
	times              int // sent this many times, the last answer read (a rate limit); 0 is once
}

// everyPageFixture is one Herald with one page in one language: page:
// in lang, with a private entry of pages: in lang too, incidents,
// maintenance, a customer to look up, and every public handler.
type everyPageFixture struct {
	srv                   *httptest.Server
	site                  *web.Site
	cfg                   config.Config
	clock                 *fixedClock
	resolved, open, maint int64
}

// everyOperatorText is what the fixture's operators wrote (titles, names,
// texts, domains) and proper names: shown as written in every language.
var everyOperatorText = []string{"Web sites on flexo interrupted", "Web sites on mom unreachable", "Customers on flexo saw errors.",
	"Fixed the load balancer.", "Looking into it.", "Kernel update", "Restarts of every server.", "Example Hosting Status",
	"Secret Status", "Web sites", "E-mail", "shop.example", "unknown.example", "flexo", "mom", "zapp",
	"Herald", "Atom", "RSS", "HTML", "Markdown", "README", "JSON", "ms"}

func newEveryPageFixture(t *testing.T, lang string) *everyPageFixture {
	t.Helper()
	t.Setenv(pageKeyEnv, strings.Repeat("k", 40))
	ctx := context.Background()
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, la)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	clock := &fixedClock{t: at("2026-11-25 10:30")}
	b := storetest.SQLite(t)
	svc := service.New(b.Store, clock, nil)
	if err := svc.SyncCatalog(ctx, []store.Group{{ID: "flexo", Name: "flexo"}, {ID: "mom", Name: "mom", Position: 1},
		{ID: "zapp", Name: "zapp", Position: 2}},
		[]store.Component{{ID: "flexo/web", GroupID: "flexo", Name: "Web sites"}, {ID: "flexo/email", GroupID: "flexo", Name: "E-mail", Position: 1},
			{ID: "mom/web", GroupID: "mom", Name: "Web sites"}, {ID: "zapp/web", GroupID: "zapp", Name: "Web sites"}}); err != nil {
		t.Fatal(err)
	}
	f := &everyPageFixture{}
	in, err := svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Web sites on flexo interrupted", Body: "Looking into it.",
		StartedAt: at("2026-10-23 09:48"), Components: map[string]status.ComponentStatus{"flexo/web": status.MajorOutage}})
	if err != nil {
		t.Fatal(err)
	}
	f.resolved = in.ID
	if _, err := svc.ResolveIncident(ctx, "test", in.ID, service.Resolution{Body: "Customers on flexo saw errors.",
		ResolvedAt: at("2026-10-23 09:52"), Postmortem: "Fixed the load balancer."}); err != nil {
		t.Fatal(err)
	}
	in, err = svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Web sites on mom unreachable", Body: "Looking into it.",
		StartedAt: at("2026-11-25 09:00"), Components: map[string]status.ComponentStatus{"mom/web": status.MajorOutage}})
	if err != nil {
		t.Fatal(err)
	}
	f.open = in.ID
	m, err := svc.ScheduleMaintenance(ctx, "test", service.NewMaintenance{Title: "Kernel update", Body: "Restarts of every server.",
		Components: []string{"flexo/web"}, Start: at("2026-11-26 23:00"), End: at("2026-11-26 23:05")})
	if err != nil {
		t.Fatal(err)
	}
	f.maint = m.ID
	dir := customers.New(b.Store, svc)
	if _, err := dir.Import(ctx, "test", strings.NewReader("shop.example,flexo\n"), customers.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	hash, err := auth.HashPassword("correct horse", auth.Params{Memory: 1024, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("test.yaml", []byte(fmt.Sprintf(`
page: {title: Example Hosting Status, zone: America/Los_Angeles, language: %[1]s}
pages:
  - id: secret
    title: Secret Status
    path: /secret
    groups: [zapp]
    language: %[1]s
    private: {password_hash: %[2]q, key_env: %[3]s}
groups:
  - id: flexo
    components: [{id: web, name: Web sites}, {id: email, name: E-mail}]
  - id: mom
    components: [{id: web, name: Web sites}]
  - id: zapp
    components: [{id: web, name: Web sites}]
`, lang, hash, pageKeyEnv)))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Notify.Email = &config.Email{SMTP: "127.0.0.1:1", From: "status@example.net", TLS: "none", RatePerSecond: 1000}
	cfgFn := func() config.Config { return cfg }
	n, remove, err := notify.New(ctx, b.Store, svc, cfgFn, nil, notify.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(remove)
	site := web.NewSite(svc, cfgFn, nil)
	if err := site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	site.Register(mux)
	web.NewSubscriptions(svc, cfgFn, n, dir, nil, clock.Now).Register(mux)
	f.srv = httptest.NewServer(site.Handler(mux))
	t.Cleanup(f.srv.Close)
	f.site, f.cfg, f.clock = site, cfg, clock
	return f
}

// everyAnswers are the requests: every page and every answer a visitor can
// get, each refusal included.
func (f *everyPageFixture) everyAnswers() []everyAnswer {
	get := func(name, path string) everyAnswer {
		return everyAnswer{name: name, method: http.MethodGet, path: path}
	}
	post := func(name, path, body string) everyAnswer {
		return everyAnswer{name: name, method: http.MethodPost, path: path, body: body}
	}
	big := "email=" + strings.Repeat("a", 20<<10)
	var multi bytes.Buffer
	mw := multipart.NewWriter(&multi)
	_ = mw.WriteField("email", "a@example.net")
	_ = mw.WriteField("color", "blue")
	_ = mw.Close()
	return []everyAnswer{
		get("the front page", "/"),
		get("a component page", "/components/flexo/web"),
		get("a resolved incident", fmt.Sprintf("/incidents/%d", f.resolved)),
		get("an open incident", fmt.Sprintf("/incidents/%d", f.open)),
		get("a maintenance", fmt.Sprintf("/maintenance/%d", f.maint)),
		get("the history", "/history"),
		get("a month", "/history/2026-10"),
		get("the Atom feed", "/history.atom"),
		get("the RSS feed", "/history.rss"),
		get("the calendar", "/maintenance.ics"),
		get("a server's Atom feed", "/feeds/flexo.atom"),
		get("a service's RSS feed", "/feeds/flexo/web.rss"),
		get("a feed of nothing", "/feeds/nothing.atom"),
		get("the widget frame", "/widget/flexo"),
		get("the widget frame of nothing", "/widget/nothing"),
		get("the status badge", "/badges/status.svg"),
		get("a server's badge", "/badges/flexo.svg"),
		get("a service's badge", "/badges/flexo/web.svg"),
		get("an uptime badge", "/badges/flexo/web/uptime-30d.svg"),
		get("a page not found", "/incidents/99999"),
		get("the subscribe form", "/subscribe"),
		post("no address", "/subscribe", "email="),
		post("not an address", "/subscribe", "email=not+an+address"),
		post("a long address", "/subscribe", "email="+strings.Repeat("a", 300)+"%40example.net"),
		post("an unknown component", "/subscribe", "email=a%40example.net&component=nope"),
		post("a component of another page", "/subscribe", "email=a%40example.net&component=zapp%2Fweb"),
		post("an unexpected field", "/subscribe", "email=a%40example.net&color=blue"),
		post("a form too big", "/subscribe", big),
		{name: "a form of another type", method: http.MethodPost, path: "/subscribe", body: "{}", contentType: "application/json"},
		{name: "a multipart form with an unexpected field", method: http.MethodPost, path: "/subscribe", body: multi.String(),
			contentType: mw.FormDataContentType()},
		post("a subscription", "/subscribe", "email=a%40example.net&component=flexo%2Fweb"),
		{name: "too many subscriptions", method: http.MethodPost, path: "/subscribe", body: "email=b%40example.net", times: 7},
		get("a bad confirmation link", "/subscribe/confirm?token=nope"),
		post("a bad confirmation", "/subscribe/confirm", "token=nope"),
		post("a confirmation with an unexpected field", "/subscribe/confirm", "token=nope&color=blue"),
		get("a bad manage link", "/manage?token=nope"),
		post("a bad manage form", "/manage", "token=nope&component=flexo%2Fweb"),
		post("a manage form with an unexpected field", "/manage", "token=nope&color=blue"),
		get("a bad unsubscribe link", "/unsubscribe?token=nope"),
		post("a bad unsubscription", "/unsubscribe", "token=nope"),
		post("an unsubscription with an unexpected field", "/unsubscribe", "token=nope&color=blue"),
		get("the look-up", "/lookup"),
		get("a customer looked up", "/lookup?domain=shop.example"),
		get("an unknown domain", "/lookup?domain=unknown.example"),
		get("a look-up with an unexpected parameter", "/lookup?domain=shop.example&color=blue"),
		{name: "a customer looked up by a program", method: http.MethodGet, path: "/lookup?domain=shop.example", accept: "application/json"},
		{name: "an unknown domain looked up by a program", method: http.MethodGet, path: "/lookup?domain=unknown.example&format=json"},
		{name: "a program's look-up with an unexpected parameter", method: http.MethodGet, path: "/lookup?format=json&color=blue"},
		{name: "too many look-ups", method: http.MethodGet, path: "/lookup?domain=unknown.example", times: 25},
		{name: "too many look-ups by a program", method: http.MethodGet, path: "/lookup?domain=unknown.example&format=json", times: 2},
		{name: "a program's subscription", method: http.MethodPost, path: "/api/v2/subscribers.json",
			body: `{"subscriber":{"email":"c@example.net"}}`, contentType: "application/json"},
		{name: "a program's bad address", method: http.MethodPost, path: "/api/v2/subscribers.json",
			body: `{"email":"not an address"}`, contentType: "application/json"},
		{name: "a program's unknown component", method: http.MethodPost, path: "/api/v2/subscribers.json",
			body: `{"email":"c@example.net","components":["nope"]}`, contentType: "application/json"},
		{name: "a program's component of another page", method: http.MethodPost, path: "/api/v2/subscribers.json",
			body: `{"email":"c@example.net","components":["zapp/web"]}`, contentType: "application/json"},
		{name: "a program's body nested too deeply", method: http.MethodPost, path: "/api/v2/subscribers.json",
			body: `{"email":"c@example.net","components":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, contentType: "application/json"},
		{name: "a program's unknown field", method: http.MethodPost, path: "/api/v2/subscribers.json",
			body: `{"email":"c@example.net","color":"blue"}`, contentType: "application/json"},
		{name: "a program's duplicate field", method: http.MethodPost, path: "/api/v2/subscribers.json",
			body: `{"email":"c@example.net","email":"d@example.net"}`, contentType: "application/json"},
		{name: "a program's malformed JSON", method: http.MethodPost, path: "/api/v2/subscribers.json",
			body: `{"email":`, contentType: "application/json"},
		{name: "a program's JSON that is not an object", method: http.MethodPost, path: "/api/v2/subscribers.json",
			body: `["c@example.net"]`, contentType: "application/json"},
		{name: "a program's data after the object", method: http.MethodPost, path: "/api/v2/subscribers.json",
			body: `{"email":"c@example.net"} {}`, contentType: "application/json"},
		{name: "a program's fields twice", method: http.MethodPost, path: "/api/v2/subscribers.json",
			body: `{"email":"c@example.net","subscriber":{"email":"c@example.net"}}`, contentType: "application/json"},
		{name: "a program's phone number", method: http.MethodPost, path: "/api/v2/subscribers.json",
			body: `{"email":"c@example.net","phone_number":"1"}`, contentType: "application/json"},
		{name: "a program's two lists of components", method: http.MethodPost, path: "/api/v2/subscribers.json",
			body: `{"email":"c@example.net","components":[],"component_ids":[]}`, contentType: "application/json"},
		{name: "a program's body too big", method: http.MethodPost, path: "/api/v2/subscribers.json",
			body: `{"email":"` + strings.Repeat("a", 20<<10) + `"}`, contentType: "application/json"},
		{name: "a program's body of another type", method: http.MethodPost, path: "/api/v2/subscribers.json",
			body: "email", contentType: "text/plain"},
		post("a program's form with two addresses", "/api/v2/subscribers.json", "email=c%40example.net&email=d%40example.net"),
		post("a program's form with an unexpected field", "/api/v2/subscribers.json", "email=c%40example.net&color=blue"),
		post("a program's form with an endpoint", "/api/v2/subscribers.json", "email=c%40example.net&subscriber%5Bendpoint%5D=x"),
		post("a program's form too big", "/api/v2/subscribers.json", big),
		{name: "too many subscriptions by a program", method: http.MethodPost, path: "/api/v2/subscribers.json",
			body: `{"email":"e@example.net"}`, contentType: "application/json", times: 7},
		get("the sign-in of a private page", "/secret/"),
		post("a wrong password", "/secret/private/sign-in", "password=wrong"),
		post("a sign-in with an unexpected field", "/secret/private/sign-in", "password=wrong&color=blue"),
		get("a bad access link", "/secret/?access=1.x.y"),
		get("a private page's badge", "/secret/badges/status.svg"),
		get("a private page's feed", "/secret/history.atom"),
		get("a private page's document for programs", "/secret/api/v2/summary.json"),
	}
}

// answer sends a and reads the answer's text as its reader gets it.
func (f *everyPageFixture) answer(t *testing.T, a everyAnswer) (int, string, string) {
	t.Helper()
	code, ct, body := f.answerRaw(t, a)
	return code, ct, readerText(t, ct, []byte(body))
}

// answerRaw sends a and returns the answer as it came.
func (f *everyPageFixture) answerRaw(t *testing.T, a everyAnswer) (int, string, string) {
	t.Helper()
	var code int
	var body []byte
	var ct string
	// A minute between answers: the rate limits refuse only the
	// answers sent to be refused, sent without a pause.
	f.clock.mu.Lock()
	f.clock.t = f.clock.t.Add(time.Minute)
	f.clock.mu.Unlock()
	for range max(a.times, 1) {
		req, err := http.NewRequest(a.method, f.srv.URL+a.path, strings.NewReader(a.body))
		if err != nil {
			t.Fatal(err)
		}
		if a.method == http.MethodPost {
			req.Header.Set("Origin", f.srv.URL)
			if a.contentType == "" {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			} else {
				req.Header.Set("Content-Type", a.contentType)
			}
		}
		if a.accept != "" {
			req.Header.Set("Accept", a.accept)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		code, ct = resp.StatusCode, resp.Header.Get("Content-Type")
	}
	return code, ct, string(body)
}

// readerText is what a reader gets of a document: a page's or a feed's
// text and read-out attributes (visibleText), a badge's words, the
// messages of a JSON answer, a plain answer as it is. Operators' texts and
// proper names are taken out.
func readerText(t *testing.T, contentType string, body []byte) string {
	t.Helper()
	switch {
	case strings.HasPrefix(contentType, "application/json"):
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("JSON answer %q: %v", body, err)
		}
		var b strings.Builder
		jsonMessages(&b, "", v)
		return withoutOperators(b.String())
	case strings.HasPrefix(contentType, "text/html"), strings.HasPrefix(contentType, "image/svg+xml"):
		return visibleText(t, string(body), everyOperatorText)
	case strings.HasPrefix(contentType, "application/atom+xml"), strings.HasPrefix(contentType, "application/rss+xml"):
		// The entries' HTML is escaped in the XML: read it twice. Their
		// addresses, ids and times are for the reader program.
		return visibleText(t, visibleText(t, feedMachinery.ReplaceAllString(string(body), ""), nil), everyOperatorText)
	case strings.HasPrefix(contentType, "text/calendar"):
		var b strings.Builder
		for _, line := range strings.Split(icsUnfolded.Replace(string(body)), "\r\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && (strings.HasPrefix(k, "SUMMARY") || strings.HasPrefix(k, "DESCRIPTION") ||
				strings.HasPrefix(k, "NAME") || strings.HasPrefix(k, "X-WR-CALNAME") || strings.HasPrefix(k, "X-WR-CALDESC")) {
				b.WriteString(strings.ReplaceAll(v, `\n`, "\n") + "\n")
			}
		}
		return withoutOperators(b.String())
	}
	return withoutOperators(string(body))
}

// feedMachinery are a feed's elements for the feed reader, not its
// reader: addresses, ids, times, and the kind of an entry (incident or
// maintenance) readers filter on, the same in every language.
var feedMachinery = regexp.MustCompile(`<(link|guid|pubDate|lastBuildDate|updated|published|id|generator|category)\b[^>]*>[^<]*</(link|guid|pubDate|lastBuildDate|updated|published|id|generator|category)>`)

// jsonMessages are a JSON answer's words for people: its error, message
// and note fields (the rest are ids, addresses, times and the API's
// English enums).
func jsonMessages(b *strings.Builder, key string, v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			jsonMessages(b, k, x)
		}
	case []any:
		for _, x := range v {
			jsonMessages(b, key, x)
		}
	case string:
		if key == "error" || key == "message" || key == "note" {
			b.WriteString(v + "\n")
		}
	}
}

func withoutOperators(s string) string {
	for _, o := range everyOperatorText {
		s = strings.ReplaceAll(s, o, "")
	}
	return s
}

// englishPhrases are the English catalog's phrases: every message's
// English, cut at its arguments, where a piece has two words or more and
// the language l does not write it the same. One of them in a page of l is
// a message that missed its translation.
func englishPhrases(l locale.Lang) []string {
	verb := regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z]`)
	en, tr := locale.For(locale.English), locale.For(l)
	var own strings.Builder
	for _, k := range tr.Keys() {
		own.WriteString(tr.T(k) + "\n")
	}
	seen := map[string]bool{}
	var out []string
	for _, k := range locale.For(locale.German).Keys() {
		for _, piece := range verb.Split(en.T(k), -1) {
			piece = strings.Trim(piece, " .,:;()“”\"'·")
			if len(strings.Fields(piece)) < 2 || seen[piece] || strings.Contains(own.String(), piece) {
				continue
			}
			seen[piece] = true
			out = append(out, piece)
		}
	}
	slices.Sort(out)
	return out
}

// lettered is a line with a word in it (not a number, a time or a sign);
// addresses are not words.
var (
	lettered = regexp.MustCompile(`\p{L}{3,}`)
	address  = regexp.MustCompile(`\S*/\S*`)
	word     = regexp.MustCompile(`\p{L}+`)
)

// alike are the words a language writes as English does, by its catalog
// ("November", "Status" in German).
func alike(l locale.Lang) map[string]bool {
	en, tr := locale.For(locale.English), locale.For(l)
	out := map[string]bool{}
	for _, k := range tr.Keys() {
		if tr.T(k) == en.T(k) {
			for _, w := range word.FindAllString(en.T(k), -1) {
				out[w] = true
			}
		}
	}
	return out
}

// allAlike reports whether every word of line is one l writes as English.
func allAlike(line string, alike map[string]bool) bool {
	for _, w := range word.FindAllString(line, -1) {
		if !alike[w] {
			return false
		}
	}
	return true
}

// TestNoEnglishOnTranslatedPages renders every page and answer a visitor
// can get of a German and of a Spanish page, and of the same page in
// English, and fails on any Herald wrote in English there: a phrase of the
// English catalog (a message that missed its translation), or a line the
// English page has word for word (a message that never went through the
// catalog). Operators' texts and proper names are taken out first. A
// message added later without its translation fails here.
func TestNoEnglishOnTranslatedPages(t *testing.T) {
	english := newEveryPageFixture(t, "en")
	answers := english.everyAnswers()
	inEnglish := map[string]string{}
	for _, a := range answers {
		_, _, text := english.answer(t, a)
		inEnglish[a.name] = text
	}
	inEnglish["the copy"] = copyText(t, english)
	for _, lang := range []locale.Lang{locale.German, locale.Spanish} {
		t.Run(string(lang), func(t *testing.T) {
			f := newEveryPageFixture(t, string(lang))
			phrases, same := englishPhrases(lang), alike(lang)
			if len(phrases) < 200 {
				t.Fatalf("only %d English phrases: the catalog is not read", len(phrases))
			}
			texts := map[string]string{}
			for _, a := range f.everyAnswers() {
				code, ct, text := f.answer(t, a)
				if strings.TrimSpace(text) == "" && code != http.StatusNoContent && !strings.Contains(ct, "json") {
					t.Errorf("%s: %d %s says nothing", a.name, code, ct)
				}
				texts[a.name] = text
			}
			texts["the copy"] = copyText(t, f)
			for name, text := range texts {
				english := map[string]bool{}
				for _, line := range strings.Split(inEnglish[name], "\n") {
					english[strings.TrimSpace(address.ReplaceAllString(line, ""))] = true
				}
				for _, line := range strings.Split(text, "\n") {
					line = strings.TrimSpace(address.ReplaceAllString(line, ""))
					if english[line] && lettered.MatchString(line) && !allAlike(line, same) {
						t.Errorf("%s, %s: %q is the English page's, word for word", lang, name, line)
						continue
					}
					for _, p := range phrases {
						if strings.Contains(line, p) {
							t.Errorf("%s, %s: the English %q in %q", lang, name, p, line)
							break
						}
					}
				}
			}
		})
	}
}

// copyText is the text of a static copy's pages: the copy line on each
// page, and the pages standing in for those that answer per request.
func copyText(t *testing.T, f *everyPageFixture) string {
	t.Helper()
	docs, err := web.Copy(f.site.Served(), f.cfg, time.Date(2026, 11, 25, 18, 30, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, d := range docs {
		if d.Path == "/" || d.Path == "404" || strings.HasPrefix(d.Path, "/subscribe") || d.Path == "/manage" ||
			d.Path == "/unsubscribe" || d.Path == "/lookup" {
			b.WriteString(readerText(t, d.ContentType, d.Body))
		}
	}
	return b.String()
}

// TestDaysInsideSentences: a day named inside a sentence is written as a
// sentence writes it, "(lunes, 1 de junio, …)" in Spanish, not as a
// heading's "Lunes"; German writes a weekday with a capital either way.
// (English, "since monitoring began (Monday, June 1, …)", TestComponentPage.)
func TestDaysInsideSentences(t *testing.T) {
	for _, c := range []struct{ lang, want, not string }{
		{"es", "desde que empezó la monitorización (lunes, 1 de junio, 00:00 (hora del Pacífico))", "(Lunes"},
		{"de", "seit Beginn der Überwachung (Montag, 1. Juni, 00:00 Uhr (Pazifikzeit))", "(montag"},
	} {
		t.Run(c.lang, func(t *testing.T) {
			f := newUptimeFixtureIn(t, false, c.lang)
			for _, path := range []string{"/", "/components/flexo/web"} {
				text := visibleText(t, f.page(t, path), nil)
				if !strings.Contains(text, c.want) || strings.Contains(text, c.not) {
					t.Errorf("%s lacks %q, or has %q", path, c.want, c.not)
				}
			}
		})
	}
}

// TestRefusalsAndCopiesInGermanAndSpanish reads a few of the answers
// TestNoEnglishOnTranslatedPages reads for English, for their wording: a
// form's and a program's refusal as German and Spanish hosting providers'
// customer areas word a form's errors (a sentence with a capital, "Sie",
// "usted"; field names and media types as the program sent them), the 429
// page, and a static copy's line with its weekday and year, as each
// language dates a notice (internal/locale's catalogs say the same).
func TestRefusalsAndCopiesInGermanAndSpanish(t *testing.T) {
	for _, c := range []struct {
		lang  string
		wants map[string]string
	}{
		{"de", map[string]string{
			"an unexpected field":                    `Unerwartetes Formularfeld "color"`,
			"a component of another page":            `Auf dieser Seite gibt es keinen Dienst "zapp/web"`,
			"a program's unknown field":              `Unbekanntes Feld "color"`,
			"a program's duplicate field":            `Der Schlüssel "email" kommt in einem Objekt zweimal vor`,
			"a program's subscription":               "Eine Bestätigungs-E-Mail ist unterwegs; bis ihr Link aufgerufen wird, senden wir nichts anderes.",
			"too many subscriptions":                 "Zu viele Anfragen von Ihrer Adresse. Bitte warten Sie eine Minute und versuchen Sie es erneut.",
			"a customer looked up by a program":      "shop.example liegt auf flexo, und flexo arbeitet normal.",
			"a private page's document for programs": "Diese Seite ist nicht öffentlich.",
			"copy":                                   "Dies ist eine Kopie der Statusseite, erstellt am Mittwoch, 25. November 2026 um 10:30 Uhr (Pazifikzeit). Sie zeigt den Stand von damals.",
		}},
		{"es", map[string]string{
			"an unexpected field":                    `Campo de formulario inesperado: "color"`,
			"a component of another page":            `En esta página no hay ningún servicio "zapp/web"`,
			"a program's unknown field":              `Campo desconocido: "color"`,
			"a program's duplicate field":            `La clave "email" aparece dos veces en un mismo objeto`,
			"a program's subscription":               "Le hemos enviado un correo de confirmación; no se enviará nada más hasta que se abra su enlace.",
			"too many subscriptions":                 "Demasiadas solicitudes desde su dirección. Espere un minuto e inténtelo de nuevo.",
			"a customer looked up by a program":      "shop.example está en flexo, y flexo funciona con normalidad.",
			"a private page's document for programs": "Esta página es privada.",
			"copy":                                   "Esta es una copia de la página de estado, hecha el miércoles, 25 de noviembre de 2026 a las 10:30 (hora del Pacífico). Muestra lo que se sabía entonces.",
		}},
	} {
		t.Run(c.lang, func(t *testing.T) {
			f := newEveryPageFixture(t, c.lang)
			got := map[string]string{}
			for _, a := range f.everyAnswers() {
				if _, ok := c.wants[a.name]; !ok {
					continue
				}
				_, ct, body := f.answerRaw(t, a)
				got[a.name] = body
				if strings.HasPrefix(ct, "application/json") {
					var v any
					if err := json.Unmarshal([]byte(body), &v); err != nil {
						t.Fatalf("%s: %v", a.name, err)
					}
					var b strings.Builder
					jsonMessages(&b, "", v)
					got[a.name] = b.String()
				}
				if strings.HasPrefix(ct, "text/html") && !strings.Contains(body, `<html lang="`+c.lang+`">`) {
					t.Errorf("%s: not lang=%q", a.name, c.lang)
				}
			}
			docs, err := web.Copy(f.site.Served(), f.cfg, time.Date(2026, 11, 25, 18, 30, 0, 0, time.UTC))
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range docs {
				if d.Path == "/" {
					got["copy"] = string(d.Body)
				}
			}
			for name, want := range c.wants {
				if !strings.Contains(html.UnescapeString(got[name]), want) {
					t.Errorf("%s lacks %q: %.600s", name, want, got[name])
				}
			}
		})
	}
}

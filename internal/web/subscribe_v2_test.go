package web

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

func (e *subEnv) post(t *testing.T, path, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "POST", e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Statuspage's public subscribe call, POST /api/v2/subscribers.json, as a
// form or as JSON, starts the same double opt-in as the page's form: one
// confirmation request, nothing else until its link is followed; bad
// requests are refused with a reason and send nothing.
func TestSubscribeV2(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newSubEnv(t, b)
		const path = "/api/v2/subscribers.json"
		const form, js = "application/x-www-form-urlencoded", "application/json"
		for _, tc := range []struct {
			name, ct, body, to string
			want               []string // the subscriber's components once confirmed; nil: everything
		}{
			{"form", form, url.Values{"subscriber[email]": {"ann@example.net"}, "subscriber[component_ids][]": {"flexo/web", "mom/web"}}.Encode(),
				"ann@example.net", []string{"flexo/web", "mom/web"}},
			{"JSON", js, `{"subscriber": {"email": "bob@example.net", "component_ids": ["mom"]}}`, "bob@example.net", []string{"mom/web"}},
			{"JSON at the top, everything", js, `{"email": "carol@example.net"}`, "carol@example.net", nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e.clock.Add(time.Hour) // a fresh allowance
				code, body := e.post(t, path, tc.ct, tc.body)
				var ans struct {
					Subscriber struct {
						Mode, Email string
						Confirmed   bool
					}
				}
				if err := json.Unmarshal([]byte(body), &ans); code != http.StatusCreated || err != nil || ans.Subscriber.Email != tc.to ||
					ans.Subscriber.Mode != "email" || ans.Subscriber.Confirmed {
					t.Fatalf("answer %d %s (%v)", code, body, err)
				}
				before := e.sink.Count()
				e.drain(t)
				if n := e.sink.Count() - before; n != 1 {
					t.Fatalf("%d messages sent, want the one confirmation request", n)
				}
				msgs := e.sink.Messages()
				last := msgs[len(msgs)-1]
				plain, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(last.Data)))
				link := confirmLinkRe.FindString(string(plain))
				if last.To[0] != tc.to || link == "" {
					t.Fatalf("the message to %v carries no confirmation link", last.To)
				}
				if sub, err := e.st.SubscriberByAddress(t.Context(), store.SubEmail, tc.to); err != nil || sub.Active() {
					t.Fatalf("before confirming: %+v, %v; want an unconfirmed subscriber", sub, err)
				}
				u, _ := url.Parse(link)
				if _, _, err := e.n.Confirm(t.Context(), u.Query().Get("token")); err != nil {
					t.Fatal(err)
				}
				sub, err := e.st.SubscriberByAddress(t.Context(), store.SubEmail, tc.to)
				if err != nil || !sub.Active() || sub.All != (tc.want == nil) || strings.Join(sub.Components, ",") != strings.Join(tc.want, ",") {
					t.Errorf("after confirming: %+v, %v; want components %v", sub, err, tc.want)
				}
			})
		}

		for _, tc := range []struct {
			name, ct, body string
			code           int
			says           string
		}{
			{"duplicate key", js, `{"email": "dan@example.net", "email": "eve@example.net"}`, 400, `"email" appears twice`},
			{"duplicate nested key", js, `{"subscriber": {"email": "dan@example.net", "email": "eve@example.net"}}`, 400, "appears twice"},
			// The API's rules, from the same checker: keys match regardless of
			// case (the decoder would take either), and nesting is bounded.
			{"duplicate key in another case", js, `{"email": "dan@example.net", "Email": "eve@example.net"}`, 400, "appears twice"},
			{"nested too deeply", js, `{"x": ` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, 400, "nested too deeply"},
			{"unknown field", js, `{"email": "dan@example.net", "admin": true}`, 400, "unknown field"},
			{"both shapes", js, `{"email": "dan@example.net", "subscriber": {"email": "eve@example.net"}}`, 400, "not both"},
			{"trailing data", js, `{"email": "dan@example.net"} {}`, 400, "after the JSON object"},
			{"malformed", js, `{"email": `, 400, "malformed"},
			{"not an object", js, `["dan@example.net"]`, 400, "not the JSON object"},
			{"webhook", form, "subscriber[endpoint]=https://example.net/hook", 422, "operators"},
			{"webhook JSON", js, `{"subscriber": {"endpoint": "https://example.net/hook"}}`, 422, "operators"},
			{"one incident", form, "subscriber[email]=dan@example.net&subscriber[incident]=3", 422, "single incident"},
			{"unknown form field", form, "subscriber[email]=dan@example.net&subscriber[name]=Dan", 400, "unexpected form field"},
			{"two addresses", form, "subscriber[email]=dan@example.net&email=eve@example.net", 400, "one e-mail address"},
			{"bad address", form, "subscriber[email]=not+an+address", 422, ""},
			{"unknown component", form, "subscriber[email]=dan@example.net&subscriber[component_ids][]=nosuch/thing", 422, "unknown component"},
			{"too large", form, "subscriber[email]=dan@example.net&component=" + strings.Repeat("x", maxForm), 413, "larger than"},
			{"too large JSON", js, `{"email": "` + strings.Repeat("x", maxForm) + `"}`, 413, "larger than"},
			{"text", "text/plain", "dan@example.net", 415, "application/json"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e.clock.Add(time.Hour)
				before := e.sink.Count()
				code, body := e.post(t, path, tc.ct, tc.body)
				var ans struct{ Error string }
				if err := json.Unmarshal([]byte(body), &ans); code != tc.code || err != nil || ans.Error == "" || !strings.Contains(ans.Error, tc.says) {
					t.Errorf("answer %d %s (%v), want %d saying %q", code, body, err, tc.code, tc.says)
				}
				e.drain(t)
				if n := e.sink.Count() - before; n != 0 {
					t.Errorf("a refused request sent %d messages", n)
				}
			})
		}

		// The page's form and this call share one allowance per client.
		e.clock.Add(time.Hour)
		for i := range 5 {
			if code, _, _ := e.do(t, "POST", "/subscribe", url.Values{"email": {"frank@example.net"}}); code != 200 {
				t.Fatalf("form request %d: %d", i, code)
			}
		}
		if code, body := e.post(t, path, js, `{"email": "frank@example.net"}`); code != http.StatusTooManyRequests {
			t.Errorf("after the form's allowance the call answers %d %s, want 429", code, body)
		}
	})
}

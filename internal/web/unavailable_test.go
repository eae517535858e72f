package web

import (
	"bytes"
	"io"
	"mime/quotedprintable"
	"net/url"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// The public forms (subscribe, confirm, manage, unsubscribe) answer 503 with
// the reason while the database takes no writes, refused by the database (a
// read-only file) or by this Herald (a standby, a disk in trouble); a good
// link is not called bad, and nothing answers 500.
func TestFormsAnswer503WithoutWrites(t *testing.T) {
	for _, outage := range []struct {
		name, reason string
		apply        func(t *testing.T, s *store.Store)
	}{
		{"read-only file", "the database file is read-only", func(t *testing.T, s *store.Store) { storetest.ReadOnly(t, s) }},
		{"refused here", store.ReasonStandby, func(_ *testing.T, s *store.Store) { s.RefuseWrites(store.ReasonStandby) }},
	} {
		t.Run(outage.name, func(t *testing.T) {
			b := storetest.SQLite(t)
			e := newSubEnv(t, b)
			if code, _, body := e.do(t, "POST", "/subscribe", url.Values{"email": {"ann@example.net"}}); code != 200 {
				t.Fatalf("POST /subscribe = %d:\n%s", code, body)
			}
			e.drain(t)
			msgs := e.sink.Messages()
			if len(msgs) != 1 {
				t.Fatalf("%d messages, want the confirmation", len(msgs))
			}
			plain, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(msgs[0].Data)))
			link, err := url.Parse(confirmLinkRe.FindString(string(plain)))
			if err != nil || link.Query().Get("token") == "" {
				t.Fatalf("no confirmation link in:\n%s", msgs[0].Data)
			}
			ann, err := e.st.SubscriberByAddress(t.Context(), store.SubEmail, "ann@example.net")
			if err != nil {
				t.Fatal(err)
			}
			manage := e.n.ManageToken(ann.ID)
			outage.apply(t, b.Store)
			for _, f := range []struct {
				path string
				form url.Values
			}{
				{"/subscribe", url.Values{"email": {"bob@example.net"}}},
				{"/subscribe/confirm", url.Values{"token": {link.Query().Get("token")}}},
				{"/manage", url.Values{"token": {manage}, "component": {"flexo/web"}}},
				{"/unsubscribe", url.Values{"token": {manage}}},
			} {
				code, h, body := e.do(t, "POST", f.path, f.form)
				if code != 503 || !strings.Contains(body, outage.reason) || strings.Contains(body, "does not work") {
					t.Errorf("POST %s: %d; want 503 with %q\n%s", f.path, code, outage.reason, body)
				}
				if h.Get("Retry-After") == "" {
					t.Errorf("POST %s: a 503 without Retry-After", f.path)
				}
			}
		})
	}
}

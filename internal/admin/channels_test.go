package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/admin"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// fakeChannels records the tests asked for and answers with the last one.
type fakeChannels struct{ asked []string }

func (c *fakeChannels) TestChannel(_ context.Context, actor, name string) ([]store.DeliveryInfo, error) {
	c.asked = append(c.asked, actor+" "+name)
	return nil, nil
}

func (c *fakeChannels) LastTest(_ context.Context, name string) ([]store.DeliveryInfo, error) {
	if len(c.asked) == 0 || name != "phones" {
		return nil, nil
	}
	return []store.DeliveryInfo{{Kind: "telegram", Address: "https://api.telegram.org?chat_id=-1001234567890", State: store.DeliveryDead,
		LastError: `webhook answered 400 <b>Bad Request</b>`, CreatedAt: time.Date(2026, 11, 25, 11, 0, 0, 0, time.UTC)}}, nil
}

func TestChannelTestButton(t *testing.T) {
	ch := &fakeChannels{}
	f := newFixture(t, storetest.SQLite(t), func(d *admin.Deps) { d.Channels = ch })
	r := f.as(t, "vic").get("/admin/settings")
	wantBody(t, "settings for a viewer", r, "Operator alert channels", "phones", "repeats every 30 minutes", "Never tested")
	if strings.Contains(r.body, "Send a test") {
		t.Error("a viewer is offered the test button")
	}
	wantCode(t, "a viewer testing", f.as(t, "vic").post("/admin/settings/channels/phones/test", url.Values{}), http.StatusForbidden)
	erin := f.as(t, "erin")
	wantBody(t, "settings for an editor", erin.get("/admin/settings"), `action="/admin/settings/channels/phones/test"`, `Send a test<span class="sr"> to phones`)
	wantCode(t, "an editor testing", erin.post("/admin/settings/channels/phones/test", url.Values{}), http.StatusSeeOther)
	if len(ch.asked) != 1 || ch.asked[0] != "user:erin phones" {
		t.Fatalf("tests asked for: %q", ch.asked)
	}
	r = erin.get("/admin/settings")
	wantBody(t, "settings after a test", r, "dead", "webhook answered 400 &lt;b&gt;Bad Request&lt;/b&gt;")
	if strings.Contains(r.body, "<b>Bad Request</b>") {
		t.Error("the recorded error is not escaped")
	}
}

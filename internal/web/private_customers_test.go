package web_test

import (
	"bytes"
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/customers"
	"github.com/heraldhq/herald/internal/notify"
	"github.com/heraldhq/herald/internal/notify/smtpsink"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/web"
)

var signInLinkRe = regexp.MustCompile(`http://127\.0\.0\.1:\d+/secret/\?signin=\S+`)

// mailText is a received message's text, decoded.
func mailText(t *testing.T, m smtpsink.Message) string {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatal(err)
	}
	var r io.Reader = msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		r = quotedprintable.NewReader(msg.Body)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A customer signs in by e-mail: a link that works once, to their own
// server; an unknown address, or a customer of a server the page does not
// show, gets the same answer and no mail.
func TestPrivatePageCustomerSignIn(t *testing.T) {
	t.Setenv(pageKeyEnv, strings.Repeat("k", 40))
	sink, err := smtpsink.Start(smtpsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	yaml := strings.Replace(privateYAML(t, "correct horse"), "    private: {", "    private: {customers: true, ", 1)
	e := newPagesEnv(t, yaml)
	// The page's address is the test server's, and mail goes to the sink.
	e.cfg.Page.URL = e.srv.URL
	e.cfg.Notify.Email = &config.Email{SMTP: sink.Addr, From: "status@example.net", TLS: "none", RatePerSecond: 1000}
	cfgNow := func() config.Config { return *e.cfg }
	e.site.WithCustomerSignIn(web.CustomerSignIn{Directory: customers.New(e.st, e.svc), Mail: notify.SMTP(cfgNow), Once: e.st.UseSignIn})
	now := time.Now()
	if err := e.st.UpsertCustomers(t.Context(), []store.Customer{{Domain: "shop.example", GroupID: "zapp", UpdatedAt: now},
		{Domain: "mom-customer.example", GroupID: "mom", UpdatedAt: now}}); err != nil {
		t.Fatal(err)
	}
	e.open(t, "Zapp hidden trouble", "zapp/web")
	e.open(t, "Elzar hidden trouble", "elzar/web")
	e.rebuild(t)

	code, _, form := e.get(t, "", "/secret/")
	if code != http.StatusUnauthorized || !strings.Contains(form, `name="email"`) {
		t.Fatalf("sign-in page = %d without the e-mail form:\n%s", code, form)
	}
	post := func(field, value string) (*http.Response, string) {
		t.Helper()
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.PostForm(e.srv.URL+"/secret/private/sign-in", url.Values{field: {value}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	answers := map[string]string{}
	for _, addr := range []string{"nobody@unknown.example", "ann@mom-customer.example", "bob@shop.example"} {
		resp, body := post("email", addr)
		if resp.StatusCode != 200 || !strings.Contains(body, "a sign-in link is on its way") {
			t.Errorf("e-mail %s = %d:\n%s", addr, resp.StatusCode, body)
		}
		answers[addr] = strings.ReplaceAll(body, addr, "ADDRESS")
	}
	if answers["nobody@unknown.example"] != answers["bob@shop.example"] || answers["ann@mom-customer.example"] != answers["bob@shop.example"] {
		t.Errorf("the answers tell a customer from an unknown address")
	}
	e.site.WaitMail()
	msgs := sink.Messages()
	if len(msgs) != 1 || len(msgs[0].To) != 1 || msgs[0].To[0] != "bob@shop.example" {
		t.Fatalf("mail sent: %+v, want one to bob@shop.example", msgs)
	}
	link := signInLinkRe.FindString(mailText(t, msgs[0]))
	if link == "" {
		t.Fatalf("no sign-in link in:\n%s", mailText(t, msgs[0]))
	}
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	// Following the link spends nothing: a mail scanner may fetch it.
	for range 2 {
		code, _, body := e.get(t, "", u.RequestURI())
		if code != 200 || !strings.Contains(body, `name="signin"`) {
			t.Fatalf("GET the sign-in link = %d:\n%s", code, body)
		}
	}
	tok := u.Query().Get("signin")
	resp, _ := post("signin", tok)
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 {
		t.Fatalf("using the link = %d with %d cookies", resp.StatusCode, len(resp.Cookies()))
	}
	c := resp.Cookies()[0]
	code, _, body := e.get(t, "", "/secret/", "Cookie", c.Name+"="+c.Value)
	if code != 200 || !strings.Contains(body, "Zapp hidden trouble") || strings.Contains(body, "Elzar hidden") {
		t.Errorf("the customer's view = %d, not zapp alone:\n%s", code, body)
	}
	if code, _, body := e.get(t, "", "/secret/api/v2/components.json", "Cookie", c.Name+"="+c.Value); code != 200 || strings.Contains(body, "elzar") {
		t.Errorf("the customer's components.json = %d:\n%s", code, body)
	}
	if resp, body := post("signin", tok); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "used already") {
		t.Errorf("using the link again = %d", resp.StatusCode)
	}
	if resp, _ := post("signin", tok[:len(tok)-2]+"xx"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a forged link = %d, want 403", resp.StatusCode)
	}
}

package web_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/internal/browsertest"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/customers"
	"github.com/heraldhq/herald/internal/notify"
	"github.com/heraldhq/herald/internal/web"
)

// TestBrowserSeveralAndPrivatePages looks at a host page, a path page, a
// private page's sign-in and the private page signed in, at 1280 and 390
// px wide, and runs axe-core over each. The host name is mapped to
// loopback inside Chromium; nothing else is dialed. HERALD_SAVE_SCREENSHOTS=1
// writes the screenshots to docs/screenshots/pages-<page>-<width>.png.
func TestBrowserSeveralAndPrivatePages(t *testing.T) {
	execPath := browsertest.Chromium(t)
	axe := browsertest.AxeSource(t)
	t.Setenv(pageKeyEnv, strings.Repeat("k", 40))
	yaml := strings.Replace(privateYAML(t, "correct horse"), "    private: {", "    private: {customers: true, ", 1)
	e := newPagesEnv(t, strings.Replace(yaml, "pages:\n", `pages:
  - {id: acme, title: Acme Status, path: /acme, zone: Europe/Berlin, groups: [flexo, mom]}
`, 1))
	// The sign-in page offers the e-mail form too (no mail is sent here).
	e.site.WithCustomerSignIn(web.CustomerSignIn{Directory: customers.New(e.st, e.svc),
		Mail: notify.SMTP(func() config.Config { return *e.cfg }), Once: e.st.UseSignIn})
	e.open(t, "Network trouble on flexo and mom", "flexo/web", "mom/web")
	zapp := e.open(t, "Web sites on zapp are slow", "zapp/web")
	e.rebuild(t)
	u, err := url.Parse(e.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	bctx := browsertest.Start(t, execPath, browserStep, chromedp.Flag("host-resolver-rules", "MAP status.reseller.example 127.0.0.1"))
	look := func(name, addr, want string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(bctx, 2*browserStep)
		defer cancel()
		for _, width := range []int64{1280, 390} {
			var mobile []chromedp.EmulateViewportOption
			if width < 600 {
				mobile = append(mobile, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
			}
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 800, mobile...), chromedp.Navigate(addr)); err != nil {
				t.Fatalf("%s at %d: %v", name, width, err)
			}
			text, err := chromedp.Run(ctx, chromedp.Evaluate[string]("document.body.innerText"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(text, want) {
				t.Errorf("%s at %d lacks %q:\n%s", name, width, want, text)
			}
			if err := browsertest.Screenshot(ctx, fmt.Sprintf("pages-%s-%d.png", name, width)); err != nil {
				t.Fatalf("%s at %d: %v", name, width, err)
			}
			over, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("document.documentElement.scrollWidth > window.innerWidth + 1"))
			if err != nil {
				t.Fatal(err)
			}
			if over {
				t.Errorf("%s at %d px scrolls sideways", name, width)
			}
		}
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
			t.Fatal(err)
		}
		found, err := browsertest.Axe(ctx, axe)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, v := range found {
			t.Errorf("%s: %s", name, v)
		}
	}
	look("host", "http://status.reseller.example:"+u.Port()+"/", "Reseller Status")
	look("path", e.srv.URL+"/acme/", "Acme Status")
	look("path-history", e.srv.URL+"/acme/history", "Network trouble on flexo and mom")
	look("private-sign-in", e.srv.URL+"/secret/", "This page is private")

	ctx, cancel := context.WithTimeout(bctx, browserStep)
	if err := chromedp.Do(ctx, chromedp.Navigate(e.srv.URL+"/secret/"),
		chromedp.SendKeys(chromedp.CSS("#password"), "correct horse")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS("main form button[type=submit]")))); err != nil {
		t.Fatal(err)
	}
	cancel()
	look("private", e.srv.URL+"/secret/", "Web sites on zapp are slow")
	look("private-incident", fmt.Sprintf("%s/secret/incidents/%d", e.srv.URL, zapp), "Web sites on zapp are slow")
}

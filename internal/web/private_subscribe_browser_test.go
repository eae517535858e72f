package web

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald/internal/browsertest"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
)

// TestBrowserPrivatePageSubscribe subscribes in Chromium on a private page
// signed in with a customer's link for zapp: the form (zapp's services
// alone), the answer, and the manage page the mail's link opens without a
// session, at 1280 and 390 px wide, each run through axe-core.
// HERALD_SAVE_SCREENSHOTS=1 writes them to
// docs/screenshots/pages-private-<page>-<width>.png.
func TestBrowserPrivatePageSubscribe(t *testing.T) {
	execPath := browsertest.Chromium(t)
	axe := browsertest.AxeSource(t)
	const step = 30 * time.Second
	e := newPrivSub(t)
	// Cookies expire by the browser's clock: the page's runs with it.
	e.clock.Add(time.Since(e.clock.Now()))
	ctx := t.Context()
	if _, err := e.svc.OpenIncident(ctx, "test", service.NewIncident{Title: "Web sites on zapp are slow", Status: status.Investigating,
		Body: "Looking into it.", Components: map[string]status.ComponentStatus{"zapp/web": status.DegradedPerformance}}); err != nil {
		t.Fatal(err)
	}
	if err := e.site.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	link, err := SignedLink(e.cfg, "secret", "zapp", time.Hour, e.clock.Now(), os.Getenv)
	if err != nil {
		t.Fatal(err)
	}

	bctx := browsertest.Start(t, execPath, step)
	// look screenshots the page at addr ("" the one open) at each width,
	// checks it says want and names no other server, and runs axe-core.
	look := func(name, addr, want string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(bctx, 2*step)
		defer cancel()
		for _, width := range []int64{1280, 390} {
			var mobile []chromedp.EmulateViewportOption
			if width < 600 {
				mobile = append(mobile, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
			}
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 800, mobile...)); err != nil {
				t.Fatal(err)
			}
			if addr != "" {
				if err := chromedp.Do(ctx, chromedp.Navigate(addr)); err != nil {
					t.Fatalf("%s at %d: %v", name, width, err)
				}
			}
			text, err := chromedp.Run(ctx, chromedp.Evaluate[string]("document.body.innerText"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(text, want) || len(names(text, "elzar", "flexo", "Example Hosting")) > 0 {
				t.Errorf("%s at %d lacks %q or names another server:\n%s", name, width, want, text)
			}
			if err := browsertest.Screenshot(ctx, fmt.Sprintf("pages-private-%s-%d.png", name, width)); err != nil {
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

	// The customer's link signs the browser in to zapp.
	sctx, cancel := context.WithTimeout(bctx, step)
	if err := chromedp.Do(sctx, chromedp.Navigate(link)); err != nil {
		t.Fatal(err)
	}
	cancel()
	look("subscribe", e.srv.URL+"/secret/subscribe", "E-mail")

	sctx, cancel = context.WithTimeout(bctx, step)
	if err := chromedp.Do(sctx, chromedp.Navigate(e.srv.URL+"/secret/subscribe"),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), "ann@example.org"),
		chromedp.Click(chromedp.CSS(`input[value="zapp/web"]`))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(sctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS("main form button[type=submit]")))); err != nil {
		t.Fatal(err)
	}
	cancel()
	look("subscribed", "", "ann@example.org")

	// The mail's links open in a browser without the session (another
	// browser context): confirm, then the manage page.
	e.drain()
	mail, _ := e.lastMailTo("ann@example.org")
	confirm := regexp.MustCompile(regexp.QuoteMeta(e.srv.URL) + `/secret/subscribe/confirm\?token=[A-Za-z0-9._%-]+`).FindString(mail)
	if confirm == "" {
		t.Fatalf("no confirmation link in:\n%s", mail)
	}
	incognito, cancelIncognito := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
	defer cancelIncognito()
	if err := chromedp.Do(incognito); err != nil { // its tab, kept open
		t.Fatal(err)
	}
	ictx, cancel := context.WithTimeout(incognito, step)
	if err := chromedp.Do(ictx, chromedp.Navigate(confirm)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ictx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS("main form button[type=submit]")))); err != nil {
		t.Fatal(err)
	}
	manage, err := chromedp.Run(ictx, chromedp.Evaluate[string](`document.querySelector('a[href*="/manage?token="]').href`))
	cancel()
	if err != nil || !strings.HasPrefix(manage, e.srv.URL+"/secret/manage?token=") {
		t.Fatalf("no manage link after confirming (%v): %q", err, manage)
	}
	if u, err := url.Parse(manage); err != nil || u.Query().Get("token") == "" {
		t.Fatalf("manage link %q", manage)
	}
	bctx = incognito
	look("manage", manage, "Your subscription")
}

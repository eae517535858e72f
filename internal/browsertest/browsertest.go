// Package browsertest holds what Herald's browser tests share: finding
// Debian's Chromium (skipping without it, unless HERALD_REQUIRE_BROWSER=1
// makes the lack a failure, as CI does), collecting what a page reports
// to its console, and saving screenshots for people to look at.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// paths are where Debian puts Chromium; the first is the binary itself,
// which avoids the wrapper script's warning.
var paths = []string{"/usr/lib/chromium/chromium", "chromium", "chromium-browser"}

// Chromium returns the browser's path, or skips the test (fails it with
// HERALD_REQUIRE_BROWSER=1) when there is none.
func Chromium(t testing.TB) string {
	t.Helper()
	for _, p := range paths {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	msg := fmt.Sprintf("no Chromium found (looked for %s); install Debian's chromium package to run the browser test", strings.Join(paths, ", "))
	if os.Getenv("HERALD_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg + " (HERALD_REQUIRE_BROWSER=1)")
	}
	t.Skip(msg)
	return ""
}

// Problems collects what pages report to the console (uncaught exceptions,
// console.error calls, error log entries such as CSP violations), from the
// browser's event goroutine, for the test to take.
type Problems struct {
	mu   sync.Mutex
	list []string
}

// Add records one problem.
func (p *Problems) Add(s string) { p.mu.Lock(); p.list = append(p.list, s); p.mu.Unlock() }

// Take returns the problems recorded since the last Take.
func (p *Problems) Take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.list
	p.list = nil
	return l
}

// Start starts headless Chromium at execPath with the flags every
// browser test here uses (and extra ones), within step, and returns the
// context of its first tab; the browser ends with the test.
func Start(t testing.TB, execPath string, step time.Duration, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(execPath), chromedp.UserDataDir(t.TempDir()), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.WindowSize(1280, 800),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("force-color-profile", "srgb")}, extra...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	// The first run starts the browser, which lives as long as its context:
	// bounded by a timer, not a timeout.
	watchdog := time.AfterFunc(step, cancelBrowser)
	err := chromedp.Do(bctx)
	if !watchdog.Stop() || err != nil {
		t.Fatalf("starting %s: %v", execPath, err)
	}
	return bctx
}

// screenshotDir is docs/screenshots from the packages with browser tests
// (internal/web, internal/admin).
var screenshotDir = filepath.Join("..", "..", "docs", "screenshots")

// Screenshot saves a full-page screenshot of what ctx's tab shows as
// docs/screenshots/file when HERALD_SAVE_SCREENSHOTS=1, and takes none otherwise: the
// pictures are for people to look at, no test reads them, and the capture
// (a layout of the whole page and a PNG of it) is Chromium's dearest step.
func Screenshot(ctx context.Context, file string) error {
	if os.Getenv("HERALD_SAVE_SCREENSHOTS") != "1" {
		return nil
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return fmt.Errorf("screenshot %s: %w", file, err)
	}
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(screenshotDir, file), png, 0o644)
}

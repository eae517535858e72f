package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// axePath is where `npm ci` in test/axe (run by .ci/run) puts axe-core,
// relative to the module's root.
const axePath = "test/axe/node_modules/axe-core/axe.min.js"

// AxeSource returns axe-core's script, found from the test's folder up to
// the module's root. Without it the test skips, unless
// HERALD_REQUIRE_BROWSER=1 makes the lack a failure, as for Chromium.
func AxeSource(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
	src, err := os.ReadFile(filepath.Join(dir, axePath))
	if err != nil {
		msg := fmt.Sprintf("axe-core not installed (%v): run `npm ci` in test/axe", err)
		if os.Getenv("HERALD_REQUIRE_BROWSER") == "1" {
			t.Fatal(msg + " (HERALD_REQUIRE_BROWSER=1)")
		}
		t.Skip(msg)
	}
	return string(src)
}

// Schemes are the colour schemes every page is checked in.
var Schemes = []string{"light", "dark"}

// axeRun runs axe-core on the document and gives back its violations as
// JSON, each with the nodes it found and why.
const axeRun = `axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations.map(v => ({
	id: v.id, impact: v.impact, help: v.help,
	nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html.slice(0, 160), summary: n.failureSummary}))
}))))`

type axeViolation struct {
	ID, Impact, Help string
	Nodes            []struct{ Target, HTML, Summary string }
}

// Axe checks the page loaded in ctx with axe-core (src, from AxeSource) in
// each colour scheme, emulating prefers-color-scheme, and returns every
// violation, one readable line each ("dark: color-contrast (serious):
// Elements must meet minimum color contrast ratio thresholds at a.button:
// Fix any of the following: ..."). The emulation is reset afterwards.
func Axe(ctx context.Context, src string) ([]string, error) {
	var out []string
	defer func() {
		_, _ = chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{})
	}()
	for _, scheme := range Schemes {
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}); err != nil {
			return nil, err
		}
		loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof axe === "object"`))
		if err != nil {
			return nil, err
		}
		if !loaded {
			// Run as a script of the page's own: CSP does not apply to
			// what the DevTools protocol evaluates.
			if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](src+"\n;0")); err != nil {
				return nil, fmt.Errorf("load axe-core: %w", err)
			}
		}
		res, err := chromedp.Run(ctx, chromedp.Evaluate[string](axeRun, chromedp.EvalAwaitPromise))
		if err != nil {
			return nil, fmt.Errorf("run axe-core: %w", err)
		}
		var vs []axeViolation
		if err := json.Unmarshal([]byte(res), &vs); err != nil {
			return nil, fmt.Errorf("read axe-core's results: %w", err)
		}
		for _, v := range vs {
			for _, n := range v.Nodes {
				out = append(out, fmt.Sprintf("%s: %s (%s): %s at %s %s: %s", scheme, v.ID, v.Impact, v.Help, n.Target, n.HTML,
					strings.Join(strings.Fields(n.Summary), " ")))
			}
		}
	}
	return out, nil
}

package web_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core, the accessibility checker, from the pages' npm
// packages (web/ui: `npm ci`, which .ci/run does before the tests).
func axeSource(t *testing.T) string {
	t.Helper()
	path := filepath.Join("ui", "node_modules", "axe-core", "axe.min.js")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("axe-core is missing (%v): run `cd web/ui && npm ci` first", err)
	}
	return string(src)
}

// axeViolation is what axe reports of one rule a page breaks.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// checkAccessible runs axe-core on the tab's page as it stands and fails
// the test for every violation of impact serious or critical, naming the
// rule and the elements. Minor and moderate ones are logged.
func checkAccessible(t *testing.T, tb *tab, what string) {
	t.Helper()
	serious, other := axeViolations(t, tb, what)
	for _, v := range other {
		t.Logf("%s: %s", what, v)
	}
	for _, v := range serious {
		t.Errorf("%s: %s", what, v)
	}
}

// axeViolations runs axe-core on the tab's page and returns its
// violations, those of impact serious or critical first.
func axeViolations(t *testing.T, tb *tab, what string) (serious, other []string) {
	t.Helper()
	if loaded := tb.eval(t, `String(typeof window.axe)`); loaded != "object" {
		if _, err := chromedp.Run(tb.ctx, chromedp.Evaluate[any](axeSource(t)+";0")); err != nil {
			t.Fatalf("%s: loading axe-core: %v", what, err)
		}
	}
	raw, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](
		// Finite animations first (a marker fading in, the map zooming): a
		// half-faded label reads as low contrast. The open needs' pulse
		// never ends and touches no text, so it is not waited for.
		`Promise.all(document.getAnimations()
			.filter(a => a.effect && a.effect.getComputedTiming().endTime !== Infinity)
			.map(a => a.finished.catch(() => null)))
		.then(() => axe.run(document, {resultTypes: ['violations']}))
		.then(r => JSON.stringify(r.violations))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: running axe-core: %v", what, err)
	}
	var violations []axeViolation
	if err := json.Unmarshal([]byte(raw), &violations); err != nil {
		t.Fatalf("%s: axe-core's answer %.200s: %v", what, raw, err)
	}
	for _, v := range violations {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, n.HTML)
		}
		msg := v.Impact + " " + v.ID + ": " + v.Help + " — " + strings.Join(where, " | ")
		if v.Impact == "serious" || v.Impact == "critical" {
			serious = append(serious, msg)
		} else {
			other = append(other, msg)
		}
	}
	return serious, other
}

package web_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/liandong/liandong/web"
)

// TestBrowserDemo is a newcomer's first minute: an admin on an empty
// console loads the demo with the button, sees demo needs and responders
// on the live map, with the DEMO marker, and removes them again.
func TestBrowserDemo(t *testing.T) {
	// From the repository's root, as `go run ./cmd/liandong` runs: the
	// demo reads the illustrative areas from configs/areas.
	t.Chdir("..")
	base, admin := browserServer(t, nil)
	browser := startBrowser(t, 1280, 800, 3*time.Minute)
	console := openConsole(t, browser, base)

	console.waitFor(t, "the load button on an empty console", `document.querySelector('#demo-load')`)
	// The button's words come from demo.js's catalogue, in either
	// language (the page's choice of language is tested with the pages).
	if label := console.eval(t, `document.querySelector('#demo-load').textContent`); label != "载入演示数据" && label != "Load the demo" {
		t.Fatalf("load button says %q", label)
	}
	if n := console.eval(t, `String(document.querySelectorAll('#demo-marker, #demo-remove').length)`); n != "0" {
		t.Fatalf("%s demo marker or remove button before the demo", n)
	}
	console.do(t, "load the demo", chromedp.Click(chromedp.CSS("#demo-load")))

	waitLong(t, console, "demo needs and responders on the map, marked DEMO", time.Minute, `(() => {
	  const s = window.liandong.store;
	  const demo = (m) => [...m.keys()].filter((id) => id.startsWith('demo-')).length;
	  return demo(s.needs) >= 1 && demo(s.responders) >= 50
	    && document.querySelectorAll('#map .need-icon, #map .need-cluster-icon').length >= 1
	    && document.querySelectorAll('#map .responder-icon, #map .responder-cell-icon').length >= 1
	    && document.querySelector('#demo-marker') && document.querySelector('#demo-remove')
	    && !document.querySelector('#demo-load');
	})()`)
	var st web.DemoState
	admin.Call("GET", "/api/v1/demo", nil, &st)
	if !st.Running || st.Responders != 300 {
		t.Fatalf("demo state after the button: %+v", st)
	}
	console.screenshot(t, filepath.Join(artifactDir(t), "console-demo.png"))

	console.do(t, "remove the demo", chromedp.Click(chromedp.CSS("#demo-remove")))
	waitLong(t, console, "the demo gone from the map and the load button back", time.Minute, `(() => {
	  const s = window.liandong.store;
	  const demo = (m) => [...m.keys()].filter((id) => id.startsWith('demo-')).length;
	  return demo(s.needs) === 0 && demo(s.responders) === 0
	    && document.querySelectorAll('#map .need-icon, #map .need-cluster-icon, #map .responder-icon, #map .responder-cell-icon').length === 0
	    && !document.querySelector('#demo-marker') && document.querySelector('#demo-load');
	})()`)
	admin.Call("GET", "/api/v1/demo", nil, &st)
	if st.Running || st.Needs+st.Responders+st.Organisations+st.Depots != 0 {
		t.Fatalf("demo state after removal: %+v", st)
	}
	// The console rereads the needs that events touched; one read of a
	// demo need may land after its removal and answer 404, which the
	// browser logs. Nothing else may go wrong.
	var errs []string
	for _, e := range console.errors() {
		if !strings.Contains(e, "404") || !strings.Contains(e, "/api/v1/needs/demo-") {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		t.Fatalf("console errors: %v", errs)
	}
}

// waitLong polls a condition for longer than tab.waitFor does: the demo
// promises its first minute, not fifteen seconds.
func waitLong(t *testing.T, tb *tab, what string, limit time.Duration, expr string) {
	t.Helper()
	start := time.Now()
	_, err := chromedp.Run(tb.ctx, chromedp.Poll[bool]("!!("+expr+")",
		chromedp.WithPollingInterval(250*time.Millisecond), chromedp.WithPollingTimeout(limit)))
	if err != nil {
		t.Fatalf("%s: waiting for %s: %v; page errors: %v", tb.name, what, err, tb.errors())
	}
	t.Logf("%s: %s after %s", tb.name, what, time.Since(start).Round(time.Millisecond))
}

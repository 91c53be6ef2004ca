package web_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/liandong/liandong/internal/testkit"
)

// incidentBox is a GeoJSON polygon over [west, east] x [south, north].
func incidentBox(west, south, east, north float64) map[string]any {
	return map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{west, south}, {east, south}, {east, north}, {west, north}, {west, south}}}}
}

// fileNeedAt files a staff need at a place and returns its id.
func fileNeedAt(t *testing.T, api testkit.Client, lat, lng float64, cat string) string {
	t.Helper()
	var n struct{ ID string }
	api.Call("POST", "/api/v1/needs", map[string]any{"lat": lat, "lng": lng, "category": cat, "urgency": 3,
		"team": []map[string]any{{"role": "volunteer", "count": 1}}}, &n)
	return n.ID
}

// chooseIncident picks an incident (” for all) in the console's selector.
func chooseIncident(t *testing.T, tb *tab, id string) {
	t.Helper()
	tb.eval(t, `(() => { const s = document.querySelector('#incident-select'); s.value = `+jsString(id)+`; s.dispatchEvent(new Event('change')); return 'chosen'; })()`)
}

// idsIn lists the data-id of the elements under sel, sorted.
func idsIn(t *testing.T, tb *tab, sel string) []string {
	t.Helper()
	raw := tb.eval(t, `JSON.stringify([...document.querySelectorAll(`+jsString(sel)+`)].map((e) => e.dataset.id).sort())`)
	var ids []string
	if err := json.Unmarshal([]byte(raw), &ids); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return ids
}

// TestBrowserConsoleIncidents (issue 16, item 1): two incidents with needs
// in each; the console lists them with their kind in Chinese and the
// exercise badge; choosing one leaves only its needs in the list and on
// the map (and "all" brings every need back); its figures show; an
// incident opened through the API after login appears on the 15-second
// read; an operator opens one by drawing its area on the map and closes
// one after confirming, which freezes its figures. axe-core finds nothing
// serious with the panel open.
func TestBrowserConsoleIncidents(t *testing.T) {
	allocCtx := startBrowser(t, 1280, 800, 150*time.Second)
	base, api := browserServer(t, nil)

	var west, east struct{ ID string }
	api.Call("POST", "/api/v1/incidents", map[string]any{"name": "台风海燕", "kind": "typhoon", "area": incidentBox(121.390, 37.450, 121.4025, 37.470)}, &west)
	api.Call("POST", "/api/v1/incidents", map[string]any{"name": "内涝演练", "kind": "flood", "exercise": true, "area": incidentBox(121.4025, 37.450, 121.415, 37.470)}, &east)
	// Two needs in each, a few hundred metres apart across the border, so
	// that one street-level view holds all four.
	westNeeds := []string{fileNeedAt(t, api, 37.460, 121.399, "welfare_check"), fileNeedAt(t, api, 37.462, 121.401, "medicine_delivery")}
	eastNeeds := []string{fileNeedAt(t, api, 37.460, 121.404, "food_delivery"), fileNeedAt(t, api, 37.462, 121.406, "medical")}
	all := slices.Sorted(slices.Values(append(slices.Clone(westNeeds), eastNeeds...)))
	for _, id := range westNeeds {
		var n struct {
			IncidentID string `json:"incident_id"`
		}
		api.Call("GET", "/api/v1/needs/"+id, nil, &n)
		if n.IncidentID != west.ID {
			t.Fatalf("need %s joined incident %q, want %s", id, n.IncidentID, west.ID)
		}
	}

	console := inLanguageH(t, allocCtx, base, "/console", "zh-CN", "console")
	console.do(t, "log in",
		chromedp.SendKeys(chromedp.CSS("#login-form input[name=username]"), "admin"),
		chromedp.SendKeys(chromedp.CSS("#login-form input[name=password]"), browserAdminPassword),
		chromedp.Click(chromedp.CSS("#login-form button[type=submit]")))
	console.waitFor(t, "the live socket", `document.body.dataset.live === '1'`)
	console.waitFor(t, "every need listed", `document.querySelectorAll('.need-row').length === 4`)

	// The selector and the panel list both incidents, the kind in Chinese.
	console.waitFor(t, "both incidents in the selector", `document.querySelectorAll('#incident-select option').length === 3`)
	console.do(t, "open the incidents tab", chromedp.Click(chromedp.CSS("#tab-incidents")))
	console.waitFor(t, "the panel lists both", `document.querySelectorAll('#incidents-panel .incident-row').length === 2`)
	panel := console.eval(t, `document.querySelector('#incidents-panel').innerText`)
	for _, want := range []string{"台风海燕", "台风", "内涝演练", "洪涝", "演练", "需求 2 条"} {
		if !strings.Contains(panel, want) {
			t.Errorf("incidents panel says %q: want %q in it", panel, want)
		}
	}
	if n := console.eval(t, `String(document.querySelectorAll('#incidents-panel .incident-row[data-id=`+jsString(east.ID)+`] .pill.exercise').length)`); n != "1" {
		t.Errorf("the exercise has %s exercise badges, want 1", n)
	}
	checkAccessible(t, console, "console with the incidents panel (zh-CN)")

	// A street-level view over all four needs: every marker drawn alone.
	console.eval(t, `liandong.map.setView([37.461, 121.4025], 16, {animate: false}), 'street level'`)
	markers := `#map .leaflet-marker-pane .need-marker[data-id]`
	console.waitFor(t, "four markers", `document.querySelectorAll(`+jsString(markers)+`).length === 4`)

	// Choosing the western incident leaves only its needs.
	chooseIncident(t, console, west.ID)
	console.waitFor(t, "the list narrowed", `document.querySelectorAll('.need-row').length === 2`)
	console.eval(t, `liandong.map.setView([37.461, 121.4025], 16, {animate: false}), 'street level'`)
	console.waitFor(t, "the map narrowed", `document.querySelectorAll(`+jsString(markers)+`).length === 2`)
	want := slices.Sorted(slices.Values(westNeeds))
	if got := idsIn(t, console, "#needs .need-row"); !slices.Equal(got, want) {
		t.Errorf("list shows %v, want the western incident's %v", got, want)
	}
	if got := idsIn(t, console, markers); !slices.Equal(got, want) {
		t.Errorf("map shows %v, want the western incident's %v", got, want)
	}
	// Its figures are open in the panel.
	console.waitFor(t, "its figures", `document.querySelector('#incident-figures dl.incident-figures') !== null`)
	figs := console.eval(t, `document.querySelector('#incident-figures').innerText`)
	if !strings.Contains(figs, "需求总数") || !strings.Contains(figs, "参与人数") || !strings.Contains(figs, "待响应") {
		t.Errorf("figures say %q: want the totals and the needs by status in Chinese", figs)
	}

	// "All" brings every need back.
	chooseIncident(t, console, "")
	console.waitFor(t, "the list whole again", `document.querySelectorAll('.need-row').length === 4`)
	console.eval(t, `liandong.map.setView([37.461, 121.4025], 16, {animate: false}), 'street level'`)
	console.waitFor(t, "the map whole again", `document.querySelectorAll(`+jsString(markers)+`).length === 4`)
	if got := idsIn(t, console, markers); !slices.Equal(got, all) {
		t.Errorf("map shows %v, want all %v", got, all)
	}

	// An incident opened elsewhere (as a CAP warning would) appears
	// without a reload, on the panel's next read.
	var later struct{ ID string }
	api.Call("POST", "/api/v1/incidents", map[string]any{"name": "高温预警", "kind": "heatwave", "area": incidentBox(121.30, 37.40, 121.32, 37.42)}, &later)
	waitLong(t, console, "the new incident listed", 25*time.Second, `document.querySelector('#incidents-panel .incident-row[data-id=`+jsString(later.ID)+`]') !== null`)

	// An operator opens one by drawing its area on the map.
	console.do(t, "open the form", chromedp.Click(chromedp.CSS("#incident-new")))
	console.do(t, "fill it and draw three corners",
		chromedp.SendKeys(chromedp.CSS(".incident-form input[name=name]"), "森林火灾"),
		chromedp.SetValue(chromedp.CSS(".incident-form select[name=kind]"), "fire"),
		chromedp.MouseClickXY(600, 300), chromedp.MouseClickXY(900, 300), chromedp.MouseClickXY(750, 550))
	console.waitFor(t, "three corners counted", `document.querySelector('.incident-form fieldset').innerText.includes('3')`)
	console.do(t, "send it", chromedp.Click(chromedp.CSS(".incident-form button[type=submit]")))
	console.waitFor(t, "the drawn incident listed", `[...document.querySelectorAll('#incidents-panel .incident-name')].some((e) => e.textContent === '森林火灾')`)
	var list struct {
		Incidents []struct {
			ID, Name, Kind string
			Area           struct{ Type string }
		}
	}
	api.Call("GET", "/api/v1/incidents", nil, &list)
	found := false
	for _, in := range list.Incidents {
		if in.Name == "森林火灾" {
			found = in.Kind == "fire" && in.Area.Type == "MultiPolygon"
		}
	}
	if !found {
		t.Errorf("the server holds %+v: want 森林火灾, a fire, over the drawn area", list.Incidents)
	}

	// Closing asks first; confirmed, the incident leaves the active list
	// and its figures are frozen; its needs stay as they were.
	console.do(t, "show the eastern incident", chromedp.Click(chromedp.CSS(`#incidents-panel .incident-row[data-id="`+east.ID+`"] .incident-pick`)))
	console.waitFor(t, "its figures and the close button", `document.querySelector('#incident-close') !== null`)
	console.do(t, "ask to close", chromedp.Click(chromedp.CSS("#incident-close")))
	console.waitFor(t, "the confirmation", `document.querySelector('#incident-close-yes') !== null`)
	var still struct{ Status string }
	api.Call("GET", "/api/v1/incidents/"+east.ID, nil, &still)
	if still.Status != "active" {
		t.Fatalf("asking to close closed it already (%s)", still.Status)
	}
	console.do(t, "confirm", chromedp.Click(chromedp.CSS("#incident-close-yes")))
	console.waitFor(t, "it left the active list", `document.querySelector('#incidents-panel .incident-row[data-id=`+jsString(east.ID)+`]') === null`)
	console.waitFor(t, "its figures frozen", `document.querySelector('#incident-figures').innerText.includes('定格')`)
	var closed struct {
		Status  string
		Figures struct{ Frozen bool }
	}
	api.Call("GET", "/api/v1/incidents/"+east.ID, nil, &closed)
	if closed.Status != "closed" || !closed.Figures.Frozen {
		t.Errorf("after the close the incident is %+v, want closed with frozen figures", closed)
	}
	for _, id := range eastNeeds {
		var n struct{ Status string }
		api.Call("GET", "/api/v1/needs/"+id, nil, &n)
		if n.Status != "open" && n.Status != "staffing" {
			t.Errorf("need %s of the closed incident is %s, want it left as it was", id, n.Status)
		}
	}
	if errs := console.errors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}

	// The evaluation reads per incident: its selector passes ?incident=.
	ev := newTab(t, console.ctx, "evaluation")
	ev.do(t, "open the evaluation", chromedp.EmulateViewport(1280, 800), chromedp.Navigate(base+"/evaluation"),
		chromedp.WaitVisible(chromedp.CSS("form.login")),
		chromedp.SendKeys(chromedp.CSS("form.login input[name=username]"), "admin"),
		chromedp.SendKeys(chromedp.CSS("form.login input[name=password]"), browserAdminPassword),
		chromedp.Click(chromedp.CSS("form.login button[type=submit]")))
	needsCard := `document.querySelector('#overall .card .value')?.textContent`
	ev.waitFor(t, "every need counted", needsCard+` === '4'`)
	ev.waitFor(t, "the incidents in the selector", `document.querySelector('#incident option[value=`+jsString(west.ID)+`]') !== null`)
	ev.eval(t, `(() => { const s = document.querySelector('#incident'); s.value = `+jsString(west.ID)+`; s.dispatchEvent(new Event('change')); return 'chosen'; })()`)
	ev.waitFor(t, "the western incident's needs counted", needsCard+` === '2' && document.querySelector('#status').textContent.includes('台风海燕')`)
	checkAccessible(t, ev, "evaluation with the incident selector (zh-CN)")
	if errs := ev.errors(); len(errs) > 0 {
		t.Errorf("evaluation page errors: %v", errs)
	}
}

package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// coverageBox is one area of a GeoJSON upload, a box.
func coverageBox(id, name, tier, parent string, minLat, minLng, maxLat, maxLng float64) string {
	p := ""
	if parent != "" {
		p = fmt.Sprintf(`,"parent":%q`, parent)
	}
	return fmt.Sprintf(`{"type":"Feature","properties":{"id":%q,"name":%q,"tier":%q%s},"geometry":{"type":"Polygon","coordinates":[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]}}`,
		id, name, tier, p, minLng, minLat, maxLng, minLat, maxLng, maxLat, minLng, maxLat, minLng, minLat)
}

// TestBrowserCoverageShowsNightGaps: two streets; the social work
// station of 向阳街道 has a social worker on call all day today and
// tomorrow, 东山街道 has nobody. The console's coverage panel warns of
// 东山街道's night and not of 向阳街道's, and its strip counts the one
// on call.
func TestBrowserCoverageShowsNightGaps(t *testing.T) {
	allocCtx := startBrowser(t, 1280, 800, 60*time.Second)
	base, api := browserServer(t, nil)
	areas := `{"type":"FeatureCollection","features":[` + strings.Join([]string{
		coverageBox("yt", "烟台市", "city", "", 37.3, 121.2, 37.6, 121.7),
		coverageBox("d1", "芝罘区", "district", "yt", 37.3, 121.2, 37.6, 121.7),
		coverageBox("s-xy", "向阳街道", "street", "d1", 37.40, 121.35, 37.50, 121.45),
		coverageBox("s-ds", "东山街道", "street", "d1", 37.40, 121.45, 37.50, 121.55),
		coverageBox("c-xy", "向阳社区", "community", "s-xy", 37.44, 121.41, 37.48, 121.45),
		coverageBox("c-ds", "东山社区", "community", "s-ds", 37.44, 121.45, 37.48, 121.49),
	}, ",") + `]}`
	api.Call("POST", "/api/v1/areas", areas, nil)
	api.Call("POST", "/api/v1/organisations", map[string]any{"id": "xy-station", "name": "向阳社工站", "kind": "social_work_station", "home_area": "s-xy"}, nil)
	var sw struct{ ID string }
	api.Call("POST", "/api/v1/responders", map[string]any{"name": "李社工", "role": "social_worker", "org_id": "xy-station"}, &sw)
	zone, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(zone)
	for _, d := range []time.Time{today, today.AddDate(0, 0, 1)} {
		api.Call("PUT", "/api/v1/organisations/xy-station/oncall/"+d.Format("2006-01-02"),
			map[string]any{"entries": []map[string]any{{"responder_id": sw.ID, "role": "social_worker", "from": "00:00", "to": "24:00"}}}, nil)
	}

	console := openConsole(t, allocCtx, base)
	console.do(t, "switch to Chinese", chromedp.Click(chromedp.CSS(`.bar button[data-lang="zh-CN"]`)))
	console.waitFor(t, "the coverage panel in Chinese", `document.querySelector('#coverage .coverage-table') && document.querySelector('#coverage h2').textContent.includes('值班覆盖')`)
	gaps := console.eval(t, `[...document.querySelectorAll('#coverage .coverage-gap')].map(li => li.dataset.street + ':' + li.textContent).join('|')`)
	if !strings.Contains(gaps, "s-ds:") || !strings.Contains(gaps, "东山街道") || !strings.Contains(gaps, "无社工值班") {
		t.Fatalf("gaps %q: want a warning for 东山街道", gaps)
	}
	if strings.Contains(gaps, "s-xy") {
		t.Fatalf("gaps %q: 向阳街道 has a social worker on call", gaps)
	}
	if first := console.eval(t, `document.querySelector('#coverage .streets tr[data-id="s-xy"] td').textContent`); first != "1" {
		t.Fatalf("向阳街道's first hour shows %q, want 1", first)
	}
	if first := console.eval(t, `document.querySelector('#coverage .orgs tr[data-id="xy-station"] td').textContent`); first != "1" {
		t.Fatalf("向阳社工站's first hour shows %q, want 1", first)
	}
	// The tables open, and the page stays accessible with them open.
	console.eval(t, `document.querySelector('#coverage details').open = true, 'opened'`)
	checkAccessible(t, console, "the console with the coverage tables open")
	if words := strayWordsH(t, console, "zh-CN", "#coverage, #coverage *", []string{"xy-station", "s-xy", "s-ds"}); len(words) > 0 {
		t.Errorf("English words in the Chinese coverage panel: %v", words)
	}
	// The panel speaks English when asked.
	console.do(t, "switch to English", chromedp.Click(chromedp.CSS(`.bar button[data-lang="en"]`)))
	console.waitFor(t, "the gap in English", `[...document.querySelectorAll('#coverage .coverage-gap')].some(li => li.textContent.includes('no social worker on call'))`)
	if errs := console.errors(); len(errs) > 0 {
		t.Fatalf("page errors: %v", errs)
	}
}

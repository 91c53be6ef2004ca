package web_test

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserConsoleMapClustersFitsAndNumbers (issue 22, item 9): 300
// needs in one district show as a few clusters at the opening zoom, each
// saying its count and most urgent level in words; a click on one opens
// it; the map fits the needs at login and with the header button; a need
// is named by its short number in the toast, the list and the detail;
// axe-core finds nothing serious with clusters shown, in Chinese.
func TestBrowserConsoleMapClustersFitsAndNumbers(t *testing.T) {
	allocCtx := startBrowser(t, 1280, 800, 120*time.Second)
	base, api := browserServer(t, nil)

	// 300 needs on a 20 x 15 grid in one district (about 3 x 3 km of Zhifu).
	const total = 300
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range total {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			api.Call("POST", "/api/v1/needs", map[string]any{
				"lat": 37.455 + 0.0015*float64(i%20), "lng": 121.425 + 0.002*float64(i/20), "category": "medicine_delivery", "urgency": 1 + i%4,
				"team": []map[string]any{{"role": "volunteer", "count": 1}}}, nil)
		}()
	}
	wg.Wait()

	console := inLanguageH(t, allocCtx, base, "/console", "zh-CN", "console")
	console.do(t, "log in",
		chromedp.SendKeys(chromedp.CSS("#login-form input[name=username]"), "admin"),
		chromedp.SendKeys(chromedp.CSS("#login-form input[name=password]"), browserAdminPassword),
		chromedp.Click(chromedp.CSS("#login-form button[type=submit]")))
	console.waitFor(t, "the live socket", `document.body.dataset.live === '1'`)
	console.waitFor(t, "every need loaded", fmt.Sprintf(`liandong.store.needs.size === %d`, total))
	// Every active need inside the map's bounds, and not the whole world.
	inView := `(() => { const b = liandong.map.getBounds();
		return [...liandong.store.needs.values()].every((n) => b.contains([n.lat, n.lng])) && liandong.map.getZoom() >= 12; })()`
	console.waitFor(t, "the map fitted to the needs at login", inView)
	// Clusters drawn, and the clusterer's zoom animation over.
	drawn := `document.querySelectorAll('#map .need-cluster').length > 0 && !document.querySelector('#map .leaflet-cluster-anim')`
	console.waitFor(t, "clusters drawn", drawn)

	// A few clusters and singles, holding every need between them.
	var clusters, singles, held int
	counts := console.eval(t, `(() => { const cs = [...document.querySelectorAll('#map .need-cluster')];
		return [cs.length, document.querySelectorAll('#map .leaflet-marker-pane .need-marker').length, cs.reduce((s, c) => s + Number(c.dataset.count), 0)].join(' '); })()`)
	if _, err := fmt.Sscan(counts, &clusters, &singles, &held); err != nil {
		t.Fatalf("counts %q: %v", counts, err)
	}
	t.Logf("opening zoom: %d clusters, %d single markers, %d needs in clusters", clusters, singles, held)
	if clusters+singles > total/6 || clusters == 0 {
		t.Errorf("%d clusters and %d single markers for %d needs: want far fewer icons than needs", clusters, singles, total)
	}
	if held+singles != total {
		t.Errorf("clusters hold %d needs and %d show alone, want %d in all", held, singles, total)
	}
	// Each cluster says its count and most urgent level in words, as its
	// name and on its face.
	name := console.eval(t, `document.querySelector('#map .need-cluster-icon').textContent`)
	if !strings.Contains(name, " 个需求，最紧急：") || !strings.ContainsAny(name, "1234") {
		t.Errorf("cluster says %q: want the count and the most urgent level in words", name)
	}
	checkAccessible(t, console, "console with clusters (zh-CN)")

	// A click on a cluster zooms to its needs (or spreads them out).
	before := console.eval(t, `String(liandong.map.getZoom())`)
	// The cluster nearest the middle of the map, clear of the controls.
	console.eval(t, `(() => { const box = document.querySelector('#map').getBoundingClientRect();
		const mid = (el) => { const r = el.getBoundingClientRect(); return Math.hypot(r.x + r.width / 2 - box.x - box.width / 2, r.y + r.height / 2 - box.y - box.height / 2); };
		const c = [...document.querySelectorAll('#map .need-cluster-icon')].sort((a, b) => mid(a) - mid(b))[0];
		c.dataset.pick = '1'; return 'picked'; })()`)
	console.do(t, "click a cluster", chromedp.Click(chromedp.CSS(".need-cluster-icon[data-pick]")))
	console.waitFor(t, "the cluster opened", `(liandong.map.getZoom() > `+before+` || document.querySelector('.leaflet-cluster-spider-leg') !== null) &&
		!document.querySelector('#map .leaflet-zoom-anim, #map .leaflet-cluster-anim') && !liandong.map._animatingZoom`)

	// Away from the needs, the header button brings them all back.
	if got := console.eval(t, `document.querySelector('#tool-fit').textContent`); got != "全部需求" {
		t.Errorf("fit button says %q, want 全部需求", got)
	}
	console.eval(t, `liandong.map.setView([30.0, 110.0], 6, {animate: false}), 'away'`)
	console.do(t, "fit the needs", chromedp.Click(chromedp.CSS("#tool-fit")))
	console.waitFor(t, "the map fitted again", inView)

	// A need filed from the map is named by its number in the toast, its
	// row and its detail; a need filed elsewhere arrives numbered too.
	console.eval(t, `liandong.map.setView([37.60, 121.20], 15, {animate: false}), 'an empty place'`)
	console.do(t, "file a need from the map",
		chromedp.Click(chromedp.CSS("#tool-create")),
		chromedp.MouseClickXY(700, 500),
		chromedp.WaitVisible(chromedp.CSS("form.create-need")),
		chromedp.SendKeys(chromedp.CSS("form.create-need textarea[name=description]"), "numbered"),
		chromedp.Click(chromedp.CSS("form.create-need button[type=submit]")))
	console.waitFor(t, "the filed need in the store", `[...liandong.store.needs.values()].some((n) => n.description === 'numbered')`)
	got := console.eval(t, `(() => { const n = [...liandong.store.needs.values()].find((n) => n.description === 'numbered'); return n.id + ' ' + n.number; })()`)
	id, num, _ := strings.Cut(got, " ")
	if num != strconv.Itoa(total+1) {
		t.Fatalf("the need filed after %d has number %q, want %d", total, num, total+1)
	}
	tag := "#" + num
	console.waitFor(t, "the toast names it by number", `document.querySelector('#toast').textContent.includes(`+jsString(tag)+`)`)
	console.waitFor(t, "its row names it by number", `document.querySelector('.need-row[data-id=`+jsString(id)+`]')?.textContent.includes(`+jsString(tag)+`)`)
	console.waitFor(t, "its detail names it by number", `document.querySelector('#detail-title')?.textContent.includes(`+jsString(tag)+`)`)
	if toast := console.eval(t, `document.querySelector('#toast').textContent`); strings.Contains(toast, id) {
		t.Errorf("toast %q names the need by its raw id", toast)
	}

	var other struct {
		ID     string
		Number int
	}
	api.Call("POST", "/api/v1/needs", map[string]any{"lat": 37.601, "lng": 121.201, "category": "welfare_check", "urgency": 2,
		"team": []map[string]any{{"role": "volunteer", "count": 1}}}, &other)
	if other.Number != total+2 {
		t.Fatalf("the API gave number %d, want %d", other.Number, total+2)
	}
	console.waitFor(t, "the need filed elsewhere listed by number", `document.querySelector('.need-row[data-id=`+jsString(other.ID)+`]')?.textContent.includes('#`+strconv.Itoa(total+2)+`')`)
}

package web_test

import (
	"bytes"
	"image"
	"image/draw"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/liandong/liandong/internal/testkit"
)

// reviewedNeed is what the review test reads back of a need.
type reviewedNeed struct {
	ID                  string
	Status              string
	Urgency             int
	Description         string
	Unplaced            bool
	Lat, Lng            float64
	ReviewReason        string   `json:"review_reason"`
	MergedInto          string   `json:"merged_into"`
	PossibleDuplicateOf []string `json:"possible_duplicate_of"`
}

func readNeed(t *testing.T, api testkit.Client, id string) reviewedNeed {
	t.Helper()
	var n reviewedNeed
	api.Call("GET", "/api/v1/needs/"+id, nil, &n)
	return n
}

// open311Request files a request through the partners' door and returns
// the need it made (found by its description).
func open311Request(t *testing.T, api testkit.Client, key string, form url.Values) reviewedNeed {
	t.Helper()
	form.Set("api_key", key)
	res, err := http.PostForm(api.Base+"/open311/v2/requests.json", form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("Open311 request = %d %s", res.StatusCode, body)
	}
	var list struct{ Needs []reviewedNeed }
	api.Call("GET", "/api/v1/needs?status=pending_review", nil, &list)
	for _, n := range list.Needs {
		if n.Description == form.Get("description") {
			return n
		}
	}
	t.Fatalf("no pending need says %q among %+v", form.Get("description"), list.Needs)
	return reviewedNeed{}
}

// TestBrowserConsoleReviewQueue (issue 16, items 2, 3, 5): an untrusted
// partner's requests wait in the console's review queue (its size on the
// tab's badge), their descriptions shown as text; one is approved at
// urgency 2 with one tap and enters matching; a rejection without a
// reason is refused and changes nothing; an address-only request is
// placed with a click on the map, then rejected with a reason; of two
// needs flagged as duplicates, one merges into the other with one tap.
func TestBrowserConsoleReviewQueue(t *testing.T) {
	allocCtx := startBrowser(t, 1280, 800, 120*time.Second)
	base, api := browserServer(t, nil)

	var typhoon struct{ ID string }
	api.Call("POST", "/api/v1/incidents", map[string]any{"name": "台风“海燕”", "kind": "typhoon", "area": incidentBox(121.38, 37.53, 121.41, 37.57)}, &typhoon)
	var partner struct {
		APIKey string `json:"api_key"`
	}
	api.Call("POST", "/api/v1/partners", map[string]any{"name": "烟台12345热线", "trusted": false}, &partner)
	markup := `<img src=x onerror="window.owned=1"><b>独居老人</b>需要探望`
	pending := open311Request(t, api, partner.APIKey, url.Values{"service_code": {"elderly-checkin"}, "lat": {"37.5392"}, "long": {"121.3914"}, "description": {markup}})
	addressOnly := open311Request(t, api, partner.APIKey, url.Values{"service_code": {"elderly-checkin"}, "address_string": {"芝罘区南大街12号"}, "description": {"只有地址"}})
	if pending.Status != "pending_review" || !addressOnly.Unplaced {
		t.Fatalf("the partner's needs are %+v and %+v: want pending_review, the second unplaced", pending, addressOnly)
	}
	// Two staff needs of one kind a few metres apart: the second is flagged.
	first := fileNeedAt(t, api, 37.5600, 121.4000, "medicine_delivery")
	second := fileNeedAt(t, api, 37.5601, 121.4001, "medicine_delivery")
	if dup := readNeed(t, api, second); len(dup.PossibleDuplicateOf) != 1 || dup.PossibleDuplicateOf[0] != first {
		t.Fatalf("the second need is flagged %v, want [%s]", dup.PossibleDuplicateOf, first)
	}

	console := inLanguageH(t, allocCtx, base, "/console", "zh-CN", "console")
	console.do(t, "log in",
		chromedp.SendKeys(chromedp.CSS("#login-form input[name=username]"), "admin"),
		chromedp.SendKeys(chromedp.CSS("#login-form input[name=password]"), browserAdminPassword),
		chromedp.Click(chromedp.CSS("#login-form button[type=submit]")))
	console.waitFor(t, "the live socket", `document.body.dataset.live === '1'`)
	console.waitFor(t, "the badge counts three", `document.querySelector('#review-badge').textContent === '3' && !document.querySelector('#review-badge').hidden`)
	console.do(t, "open the review tab", chromedp.Click(chromedp.CSS("#tab-review")))
	console.waitFor(t, "the queue shown", `!document.querySelector('#review-panel').hidden && document.querySelector('#needs').hidden`)
	row := func(id string) string { return `#review-panel .review-row[data-id="` + id + `"]` }
	for _, id := range []string{pending.ID, addressOnly.ID, second} {
		console.waitFor(t, "row "+id, `document.querySelector(`+jsString(row(id))+`) !== null`)
	}
	// Newest first.
	if got := strings.Join(idsIn(t, console, "#review-panel .review-row"), " "); got == "" {
		t.Fatal("no rows")
	}
	order := console.eval(t, `[...document.querySelectorAll('#review-panel .review-row')].map((e) => e.dataset.id).join(' ')`)
	if order != second+" "+addressOnly.ID+" "+pending.ID {
		t.Errorf("queue order %q, want newest first: %s %s %s", order, second, addressOnly.ID, pending.ID)
	}
	// The reporter's words are text, never markup; the source is said.
	desc := console.eval(t, `document.querySelector(`+jsString(row(pending.ID)+" .review-description")+`).textContent`)
	if desc != markup {
		t.Errorf("description shows %q, want the text %q", desc, markup)
	}
	if n := console.eval(t, `String(document.querySelectorAll('#review-panel img, #review-panel b').length) + String(window.owned || '')`); n != "0" {
		t.Errorf("the description became markup: %s elements", n)
	}
	if src := console.eval(t, `document.querySelector(`+jsString(row(pending.ID)+" .pill.source")+`).textContent`); src != "合作平台" {
		t.Errorf("source says %q, want 合作平台", src)
	}
	checkAccessible(t, console, "console with the review queue (zh-CN)")
	shootIncidentsAndQueue(t, console, typhoon.ID)

	// In English the queue and the tabs say nothing in Chinese but the
	// reporters' own words and names; axe-core again.
	console.do(t, "switch to English", chromedp.Click(chromedp.CSS(".bar .langs button[lang=en]")))
	console.waitFor(t, "the queue in English", `document.querySelector('#review-panel h2').textContent === 'Review queue'`)
	chrome := `#side-tabs, #incident-picker label, #review-panel h2, #review-panel .pill, #review-panel button, #review-panel .label, #review-panel .dup-why, #review-panel input`
	if words := strayWordsH(t, console, "en", chrome, nil); len(words) > 0 {
		t.Errorf("Chinese words in the English queue: %q", words)
	}
	checkAccessible(t, console, "console with the review queue (en)")
	console.do(t, "back to Chinese", chromedp.Click(chromedp.CSS(".bar .langs button[lang=zh-CN]")))
	console.waitFor(t, "the queue in Chinese", `document.querySelector('#review-panel h2').textContent === '审核队列'`)

	// A rejection needs a reason: without one nothing is sent.
	console.do(t, "reject without a reason", chromedp.Click(chromedp.CSS(row(pending.ID)+" .review-reject button")))
	console.waitFor(t, "the reason asked for", `document.querySelector('#review-panel .review-message').textContent.includes('理由')`)
	if n := readNeed(t, api, pending.ID); n.Status != "pending_review" {
		t.Fatalf("a rejection without a reason changed the need to %s", n.Status)
	}

	// One tap approves at urgency 2: the need leaves the queue and enters
	// matching.
	console.do(t, "approve at urgency 2", chromedp.Click(chromedp.CSS(row(pending.ID)+` .urgency-btn[data-urgency="2"]`)))
	console.waitFor(t, "it left the queue", `document.querySelector(`+jsString(row(pending.ID))+`) === null`)
	console.waitFor(t, "the badge counts two", `document.querySelector('#review-badge').textContent === '2'`)
	if n := readNeed(t, api, pending.ID); n.Status == "pending_review" || n.Status == "rejected" || n.Urgency != 2 {
		t.Errorf("after approval the need is %s at urgency %d, want it in matching at urgency 2", n.Status, n.Urgency)
	}

	// The address-only need: approval waits until it is placed; a click on
	// the map places it.
	if disabled := console.eval(t, `String(document.querySelector(`+jsString(row(addressOnly.ID)+` .urgency-btn[data-urgency="3"]`)+`).disabled)`); disabled != "true" {
		t.Errorf("an unplaced need can be approved (disabled=%s)", disabled)
	}
	if addr := console.eval(t, `document.querySelector(`+jsString(row(addressOnly.ID)+" .address-text")+`).textContent`); addr != "芝罘区南大街12号" {
		t.Errorf("address shows %q", addr)
	}
	console.do(t, "place it", chromedp.Click(chromedp.CSS(row(addressOnly.ID)+" button.place")))
	console.waitFor(t, "the map asks for a click", `document.querySelector('#map').classList.contains('picking')`)
	console.do(t, "click the map", chromedp.MouseClickXY(800, 450))
	console.waitFor(t, "it is placed", `document.querySelector(`+jsString(row(addressOnly.ID))+`) && !document.querySelector(`+jsString(row(addressOnly.ID)+" button.place")+`)`)
	placed := readNeed(t, api, addressOnly.ID)
	if placed.Unplaced || placed.Lat == 0 || placed.Lng == 0 {
		t.Errorf("after the click the need is %+v, want a point", placed)
	}
	console.do(t, "reject it with a reason",
		chromedp.SendKeys(chromedp.CSS(row(addressOnly.ID)+" .review-reject input"), "重复来电，已电话核实"),
		chromedp.Click(chromedp.CSS(row(addressOnly.ID)+" .review-reject button")))
	console.waitFor(t, "it left the queue", `document.querySelector(`+jsString(row(addressOnly.ID))+`) === null`)
	if n := readNeed(t, api, addressOnly.ID); n.Status != "rejected" || n.ReviewReason != "重复来电，已电话核实" {
		t.Errorf("after rejection the need is %s with reason %q", n.Status, n.ReviewReason)
	}

	// An error from the API is said in the page's words: merging into a
	// need that does not exist is refused and changes nothing.
	console.do(t, "merge into an unknown need",
		chromedp.SendKeys(chromedp.CSS(row(second)+" .merge-other input"), "n00000000000000000000"),
		chromedp.Click(chromedp.CSS(row(second)+" .merge-other button")))
	console.waitFor(t, "the error in words", `document.querySelector('#review-panel .review-message').textContent.includes('找不到该项目')`)
	if n := readNeed(t, api, second); n.Status != "open" || len(n.PossibleDuplicateOf) != 1 {
		t.Fatalf("a refused merge changed the duplicate to %s %v", n.Status, n.PossibleDuplicateOf)
	}

	// One tap merges the flagged duplicate into the need it repeats.
	console.do(t, "merge the duplicate", chromedp.Click(chromedp.CSS(row(second)+` button.merge-into[data-into="`+first+`"]`)))
	console.waitFor(t, "the queue is empty", `document.querySelectorAll('#review-panel .review-row').length === 0 && document.querySelector('#review-badge').hidden`)
	if n := readNeed(t, api, second); n.Status != "merged" || n.MergedInto != first {
		t.Errorf("after the merge the duplicate is %s into %q, want merged into %s", n.Status, n.MergedInto, first)
	}
	// The refused merge's 404 is logged by the browser; nothing else may be.
	errs := slices.DeleteFunc(console.errors(), func(e string) bool { return strings.Contains(e, "404") && strings.Contains(e, "/merge") })
	if len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}

// shootIncidentsAndQueue takes the picture of docs/console-incidents-zh.png:
// the console with an incident chosen and its panel open, and beside it
// the side panel with the review queue. With -update-screenshots it is
// copied into docs.
func shootIncidentsAndQueue(t *testing.T, console *tab, incident string) {
	t.Helper()
	console.do(t, "open the incidents tab", chromedp.Click(chromedp.CSS("#tab-incidents")))
	chooseIncident(t, console, incident)
	console.waitFor(t, "its figures", `document.querySelector('#incident-figures dl.incident-figures') !== null && !document.querySelector('#map .leaflet-zoom-anim')`)
	console.do(t, "let the map settle", chromedp.Sleep(300*time.Millisecond))
	full, err := chromedp.Run(console.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	console.do(t, "open the review tab", chromedp.Click(chromedp.CSS("#tab-review")))
	side, err := chromedp.Run(console.ctx, chromedp.Screenshot(chromedp.CSS("#side")))
	if err != nil {
		t.Fatalf("screenshot of the queue: %v", err)
	}
	out := besideEachOther(t, full, side)
	path := filepath.Join(artifactDir(t), "console-incidents-zh.png")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	if *updateScreenshots {
		if err := os.WriteFile("../docs/console-incidents-zh.png", out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	chooseIncident(t, console, "")
}

// besideEachOther puts two PNG pictures side by side, on white.
func besideEachOther(t *testing.T, left, right []byte) []byte {
	t.Helper()
	a, err := png.Decode(bytes.NewReader(left))
	if err != nil {
		t.Fatal(err)
	}
	b, err := png.Decode(bytes.NewReader(right))
	if err != nil {
		t.Fatal(err)
	}
	const gap = 16
	w := a.Bounds().Dx() + gap + b.Bounds().Dx()
	h := max(a.Bounds().Dy(), b.Bounds().Dy())
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(out, out.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(out, a.Bounds().Sub(a.Bounds().Min), a, a.Bounds().Min, draw.Src)
	draw.Draw(out, image.Rect(a.Bounds().Dx()+gap, 0, w, b.Bounds().Dy()), b, b.Bounds().Min, draw.Src)
	var buf bytes.Buffer
	if err := png.Encode(&buf, out); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

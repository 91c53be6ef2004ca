package web_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/liandong/liandong/internal/server"
	"github.com/liandong/liandong/internal/testkit"
)

// The console and the evaluation dashboard speak Chinese first and
// English second (issue 22): each is rendered in both, its key labels
// checked in each, no stray word of the other language left in its
// chrome, the switch in the header flips it without a reload, and
// axe-core finds nothing serious in either.

// inLanguageH opens path in a new tab with the language chosen on the
// device (the switch's remembered choice), as a person who picked it
// before would see it.
func inLanguageH(t *testing.T, browser context.Context, base, path, lang, name string) *tab {
	t.Helper()
	tb := newTab(t, browser, name)
	tb.do(t, "open "+path, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(base+path))
	tb.eval(t, "localStorage.setItem('liandong.lang', "+jsString(lang)+"), 'chosen'")
	tb.do(t, "open it again", chromedp.Navigate(base+path))
	tb.waitFor(t, "the page in "+lang, `document.documentElement.lang === `+jsString(lang))
	return tb
}

// strayWordsH lists the words of the other language in the text and the
// names of the elements under sel: Latin words in a Chinese page, Chinese
// in an English one. Ids and names in the data are allowed (they are
// not words), and so is each language's name on the switch.
func strayWordsH(t *testing.T, tb *tab, lang, sel string, allowed []string) []string {
	t.Helper()
	a, _ := json.Marshal(append(allowed, "中文", "English"))
	pattern := `/[A-Za-z][A-Za-z0-9_.-]+/g`
	if lang == "en" {
		pattern = `/[\u3400-\u9fff]+/g`
	}
	raw := tb.eval(t, `(() => {
  const allowed = `+string(a)+`;
  const found = new Set();
  for (const el of document.querySelectorAll(`+jsString(sel)+`)) {
    const said = [el.textContent, el.getAttribute('aria-label'), el.getAttribute('title'), el.getAttribute('placeholder')];
    for (let s of said) {
      if (!s) continue;
      for (const a of allowed) s = s.split(a).join(' ');
      for (const w of s.match(`+pattern+`) || []) found.add(w);
    }
  }
  return JSON.stringify([...found]);
})()`)
	var words []string
	if err := json.Unmarshal([]byte(raw), &words); err != nil {
		t.Fatal(err)
	}
	return words
}

// consoleChromeH is what the console itself words: the header, the list's
// heading and statuses, the detail's headings, buttons and statuses, the
// legend's headings and the layer switch. Domain words from the shared
// glossary (categories, roles, urgency) are the glossary's to check.
const consoleChromeH = `.bar > .brand, .bar .tools button, .bar .langs, #logout, #user, #conn, #zoomhint, #map > .leaflet-control-container .legend > summary,
  .counter.open, .counter.staffing, .counter.staffed, .counter.median, #needs h2, .need-row .pill, .need-row .slots, .need-row .age,
  #detail h3, #detail th, #detail button, #detail .pill, .legend summary, .legend b,
  .leaflet-control-layers-overlays label, .leaflet-control-zoom a, .leaflet-control-layers-toggle, #login-form h1, #login-form label > span, #login-form button`

func TestBrowserConsoleInBothLanguages(t *testing.T) {
	allocCtx := startBrowser(t, 1280, 800, 150*time.Second)
	base, api := browserServer(t, nil)
	allowed := []string{"admin", "H3"}
	var responders []testkit.Client
	for _, role := range []string{"volunteer", "community_worker"} {
		var r struct{ ID, Token string }
		api.Call("POST", "/api/v1/responders", map[string]any{"name": "Responder", "role": role}, &r)
		responders = append(responders, testkit.Client{T: t, Base: base, Token: r.Token})
		allowed = append(allowed, r.ID)
	}
	var ids []string
	for i, n := range []struct {
		urgency  int
		role     string
		category string
	}{{1, "medic", "medical"}, {2, "social_worker", "mental_health"}, {3, "medic", "medicine_delivery"}} {
		var need struct{ ID string }
		api.Call("POST", "/api/v1/needs", map[string]any{
			"lat": 37.4630 + 0.003*float64(i-1), "lng": 121.4480 - 0.004 + 0.005*float64(i), "category": n.category, "urgency": n.urgency,
			"team": []map[string]any{{"role": n.role, "count": 1 + i%2}},
		}, &need)
		ids = append(ids, need.ID)
		allowed = append(allowed, need.ID)
	}

	console := inLanguageH(t, allocCtx, base, "/console", "zh-CN", "console")
	console.waitFor(t, "the login form in Chinese", `document.querySelector('#login-form button[type=submit]')?.textContent === '登录'`)
	if words := strayWordsH(t, console, "zh-CN", consoleChromeH, allowed); len(words) > 0 {
		t.Errorf("English words on the Chinese login: %q", words)
	}
	console.do(t, "log in",
		chromedp.SendKeys(chromedp.CSS("#login-form input[name=username]"), "admin"),
		chromedp.SendKeys(chromedp.CSS("#login-form input[name=password]"), browserAdminPassword),
		chromedp.Click(chromedp.CSS("#login-form button[type=submit]")))
	console.waitFor(t, "the live socket", `document.body.dataset.live === '1'`)
	console.eval(t, `liandong.map.setView([37.4635, 121.4480], 15, {animate: false}), 'the needs in view'`)
	console.waitFor(t, "the view subscribed", `document.body.dataset.live === '1' && liandong.store.needs.size === 3`)
	// Responders reach the console by their moves (events), once it watches.
	for i, r := range responders {
		id := allowed[2+i]
		r.Call("PUT", "/api/v1/responders/"+id+"/location", map[string]float64{"lat": 37.4640 + 0.002*float64(i), "lng": 121.4470 + 0.003*float64(i)}, nil)
	}
	console.waitFor(t, "three needs listed", `document.querySelectorAll('.need-row').length === 3`)
	console.waitFor(t, "the counters", `document.querySelector('[data-counter=open] b')`)
	console.waitFor(t, "two responders on the map", `document.querySelectorAll('.responder-icon .responder-marker').length === 2`)

	// The labels, in Chinese.
	for sel, want := range map[string]string{
		"#tool-create":                 "新建需求",
		"#tool-area":                   "区域动员",
		"#logout":                      "退出登录",
		"#needs h2":                    "需求 3 条进行中",
		".legend summary":              "图例",
		"[data-counter=open]":          "待响应",
		".langs button[lang=en]":       "English",
		".need-row .pill.status-open":  "待响应",
		"#user":                        "admin（管理员）",
		".leaflet-control-layers-list": "物资点",
	} {
		if got := console.eval(t, `document.querySelector(`+jsString(sel)+`)?.textContent.trim() || ''`); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want it to say %q", sel, got, want)
		}
	}

	// The keyboard: a row takes the focus, Enter opens its detail (the
	// focus follows), Escape closes it and the focus is back on the row,
	// visibly.
	row := `document.querySelector('.need-row[data-id=` + jsString(ids[0]) + `]')`
	console.eval(t, row+`.focus(), 'focused'`)
	console.do(t, "Enter on the row", chromedp.KeyEvent(kb.Enter))
	console.waitFor(t, "the detail open, with the focus", `!document.querySelector('#detail').hidden &&
		document.querySelector('#detail-status')?.textContent === '待响应' && document.activeElement.id === 'detail'`)
	console.waitFor(t, "the shortfall in Chinese", `document.querySelector('#detail tr.shortfall')?.textContent.startsWith('缺员')`)
	console.do(t, "Escape", chromedp.KeyEvent(kb.Escape))
	console.waitFor(t, "the detail closed, the focus on the row", `document.querySelector('#detail').hidden && document.activeElement === `+row)
	if outline := console.eval(t, `getComputedStyle(document.activeElement).outlineStyle`); outline == "none" {
		t.Error("the focused row shows no outline")
	}
	console.do(t, "Enter again", chromedp.KeyEvent(kb.Enter))
	console.waitFor(t, "the detail open again", `document.querySelector('#detail-status')?.textContent === '待响应' && document.querySelector('#detail h3')`)
	console.eval(t, `document.querySelector('.legend').open = true, 'legend open'`)

	// A need staffed is announced, politely, in words.
	var staffed struct{ ID string }
	api.Call("POST", "/api/v1/needs", map[string]any{"lat": 37.4641, "lng": 121.4471, "category": "welfare_check", "urgency": 2,
		"team": []map[string]any{{"role": "volunteer", "count": 1}}}, &staffed)
	var offers struct {
		Offers []struct {
			OfferID string `json:"offer_id"`
		}
	}
	testkit.WaitFor(t, "the volunteer's offer", 10*time.Second, func() bool {
		responders[0].Call("GET", "/api/v1/responders/"+allowed[2]+"/offers", nil, &offers)
		return len(offers.Offers) > 0
	})
	responders[0].Call("POST", "/api/v1/offers/"+offers.Offers[0].OfferID+"/accept", map[string]any{}, nil)
	console.waitFor(t, "the staffing announced", `document.querySelector('#announce[aria-live=polite]').textContent.endsWith('已组队。')`)
	allowed = append(allowed, staffed.ID)

	if words := strayWordsH(t, console, "zh-CN", consoleChromeH, allowed); len(words) > 0 {
		t.Errorf("English words in the Chinese console: %q", words)
	}
	if name := console.eval(t, `document.querySelector('#map').getAttribute('aria-label')`); name != "实时地图" {
		t.Errorf("the map's name = %q", name)
	}
	checkAccessible(t, console, "console in Chinese")
	console.screenshot(t, filepath.Join(artifactDir(t), "console-zh.png"))
	if *updateScreenshots {
		png, _ := os.ReadFile(filepath.Join(artifactDir(t), "console-zh.png"))
		if err := os.WriteFile("../docs/console-zh.png", png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The switch: English at once, the same page, session and socket.
	console.eval(t, `window.sameLoadH = true, 'marked'`)
	console.do(t, "switch to English", chromedp.Click(chromedp.CSS(".bar .langs button[lang=en]")))
	console.waitFor(t, "the console in English", `document.documentElement.lang === 'en' && document.querySelector('#tool-create').textContent === 'New need' &&
		document.querySelector('#detail-status')?.textContent === 'Open' && document.querySelector('.need-row .pill.status-open')?.textContent === 'Open' &&
		document.querySelector('[data-counter=open]').textContent.includes('open') && document.querySelector('.legend summary').textContent === 'Legend'`)
	if same := console.eval(t, `String(window.sameLoadH === true && document.body.dataset.live === '1' && document.querySelector('#login').hidden)`); same != "true" {
		t.Errorf("the switch reloaded the page, lost the socket or asked for a login again (%s)", same)
	}
	if pressed := console.eval(t, `document.querySelector('.bar .langs button[lang=en]').getAttribute('aria-pressed')`); pressed != "true" {
		t.Errorf("English button aria-pressed = %q", pressed)
	}
	if words := strayWordsH(t, console, "en", consoleChromeH, allowed); len(words) > 0 {
		t.Errorf("Chinese words in the English console: %q", words)
	}
	checkAccessible(t, console, "console in English")

	// The choice is remembered on the device.
	console.do(t, "reload", chromedp.Reload())
	console.waitFor(t, "English after a reload, still logged in", `document.documentElement.lang === 'en' &&
		document.querySelector('#logout').textContent === 'Log out' && document.body.dataset.live === '1'`)
	if errs := console.errors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}

// evaluationChromeH is what the dashboard words, apart from the data.
const evaluationChromeH = `.bar, #overall .label, #overall .sub, figcaption, #orgs thead, #orgs-heading, main .small, svg text, form.login`

func TestBrowserEvaluationInBothLanguages(t *testing.T) {
	allocCtx := startBrowser(t, 1280, 900, 90*time.Second)
	base, api := browserServer(t, func(c *server.Config) { c.Evaluation.MinGroupSize = 1 })
	allowed := []string{"zhifu-community", "p95"}
	for i := range 2 {
		api.Call("POST", "/api/v1/needs", map[string]any{"lat": 37.4630 + 0.001*float64(i), "lng": 121.4480, "category": "medicine_delivery", "urgency": 2,
			"org_id": "zhifu-community", "team": []map[string]any{{"role": "volunteer", "count": 1}}}, nil)
	}

	ev := inLanguageH(t, allocCtx, base, "/evaluation", "zh-CN", "evaluation")
	ev.waitFor(t, "the login in Chinese", `document.querySelector('form.login button[type=submit]')?.textContent === '登录'`)
	ev.do(t, "log in",
		chromedp.SendKeys(chromedp.CSS("form.login input[name=username]"), "admin"),
		chromedp.SendKeys(chromedp.CSS("form.login input[name=password]"), browserAdminPassword),
		chromedp.Click(chromedp.CSS("form.login button[type=submit]")))
	ev.waitFor(t, "the organisation table", `document.querySelectorAll('#orgs tbody tr').length === 1`)
	for sel, want := range map[string]string{
		"#refresh":                           "刷新",
		"#logout":                            "退出登录",
		"#orgs-heading":                      "按组织",
		"#orgs thead th":                     "组织",
		"#overall .card .label":              "需求",
		"#cap-distribution":                  "收到的评分",
		"#status":                            "生成于 20",
		".bar .langs button[lang]":           "中文",
		"#chart-distribution svg":            "",
		"#overall .card:nth-child(4) .label": "到位率",
	} {
		if got := ev.eval(t, `document.querySelector(`+jsString(sel)+`)?.textContent.trim() ?? 'missing'`); got == "missing" || !strings.Contains(got, want) {
			t.Errorf("%s = %q, want it to say %q", sel, got, want)
		}
	}
	// Times in the configured zone (Asia/Shanghai by default), in each
	// language's usual form.
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(shanghai)
	zhTime := regexp.MustCompile(`^生成于 (\d{4})年(\d{1,2})月(\d{1,2})日 (\d{2}):\d{2}$`)
	if m := zhTime.FindStringSubmatch(ev.eval(t, `document.querySelector('#status').textContent`)); m == nil {
		t.Errorf("the time is not in the Chinese form: %q", ev.eval(t, `document.querySelector('#status').textContent`))
	} else if m[4] != now.Format("15") && m[4] != now.Add(-time.Minute).Format("15") {
		t.Errorf("the time's hour is %s, not Shanghai's (%s)", m[4], now.Format("15"))
	}
	if name := ev.eval(t, `document.querySelector('#chart-distribution svg').getAttribute('aria-label') || ''`); !strings.HasPrefix(name, "收到的评分") {
		t.Errorf("the chart's name = %q", name)
	}
	if words := strayWordsH(t, ev, "zh-CN", evaluationChromeH, allowed); len(words) > 0 {
		t.Errorf("English words in the Chinese dashboard: %q", words)
	}
	checkAccessible(t, ev, "evaluation in Chinese")

	ev.eval(t, `window.sameLoadH = true, 'marked'`)
	ev.do(t, "switch to English", chromedp.Click(chromedp.CSS(".bar .langs button[lang=en]")))
	ev.waitFor(t, "the dashboard in English", `document.documentElement.lang === 'en' && document.querySelector('#refresh').textContent === 'Refresh' &&
		document.querySelector('#orgs thead th').textContent === 'Organisation' && document.querySelector('#status').textContent.startsWith('Generated')`)
	if status := ev.eval(t, `document.querySelector('#status').textContent`); !regexp.MustCompile(`^Generated \d{1,2} [A-Z][a-z]{2,3} \d{4} \d{2}:\d{2}$`).MatchString(status) {
		t.Errorf("the time is not in the English form: %q", status)
	}
	if same := ev.eval(t, `String(window.sameLoadH === true && document.querySelector('#login').hidden)`); same != "true" {
		t.Error("the switch reloaded the dashboard or asked for a login again")
	}
	if words := strayWordsH(t, ev, "en", evaluationChromeH, allowed); len(words) > 0 {
		t.Errorf("Chinese words in the English dashboard: %q", words)
	}
	checkAccessible(t, ev, "evaluation in English")
	if errs := ev.errors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}

// TestBrowserConsoleNamesTheNeedItEscalates: a toast names a need as
// people do, by its category and community, never by its raw id, the
// detail says its scope in the glossary's tiers, and a toast on screen is
// said again in the other language.
func TestBrowserConsoleNamesTheNeedItEscalates(t *testing.T) {
	allocCtx := startBrowser(t, 1280, 800, 60*time.Second)
	base, api := browserServer(t, func(c *server.Config) { c.Areas.File = "../configs/areas/yantai-illustrative.geojson" })

	console := inLanguageH(t, allocCtx, base, "/console", "zh-CN", "console")
	console.do(t, "log in",
		chromedp.SendKeys(chromedp.CSS("#login-form input[name=username]"), "admin"),
		chromedp.SendKeys(chromedp.CSS("#login-form input[name=password]"), browserAdminPassword),
		chromedp.Click(chromedp.CSS("#login-form button[type=submit]")))
	console.waitFor(t, "the live socket", `document.body.dataset.live === '1'`)
	console.eval(t, `liandong.map.setView([37.57, 121.36], 14, {animate: false}), 'the place in view'`)
	console.waitFor(t, "the view subscribed", `document.body.dataset.live === '1' && liandong.map.getZoom() === 14`)

	// Nobody is available for it: the need widens step by step to the city.
	var need struct{ ID, Community string }
	api.Call("POST", "/api/v1/needs", map[string]any{"lat": 37.57, "lng": 121.36, "category": "evacuation", "urgency": 3,
		"team": []map[string]any{{"role": "medic", "count": 1}}}, &need)
	if !strings.HasPrefix(need.Community, "zhifu-") {
		t.Fatalf("the need is in community %q, want one of Zhifu's", need.Community)
	}
	console.waitFor(t, "the toast of the last step", `document.querySelector('#toast').textContent.includes('扩大到全市')`)
	console.do(t, "switch to English", chromedp.Click(chromedp.CSS(".bar .langs button[lang=en]")))
	console.waitFor(t, "the toast in English", `document.querySelector('#toast').textContent.includes(' · `+need.Community+` widened to the city (City): nobody available in the narrower scope.')`)
	console.do(t, "back to Chinese", chromedp.Click(chromedp.CSS(".bar .langs button[lang=zh-CN]")))
	toast := console.eval(t, `document.querySelector('#toast').textContent`)
	if !strings.HasSuffix(toast, " · "+need.Community+" 扩大到全市（市），较小范围内无人可用。") || strings.Contains(toast, need.ID) {
		t.Errorf("toast %q: want the need named by category and community (%s), the step and tier in words, no id", toast, need.Community)
	}
	console.do(t, "open the need", chromedp.Click(chromedp.CSS(".need-row")))
	console.waitFor(t, "its community and scope", `document.querySelector('#detail-escalation')?.textContent.startsWith('社区 `+need.Community+` · 范围：全市（市，第 5/5 级）')`)
}

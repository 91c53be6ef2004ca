package web_test

// The pages in Chinese and in English (issue 22): the responder page in
// each language with an offer showing, the language switch, the page on a
// small phone with large text, and the build's catalogue check.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/liandong/liandong/internal/server/servertest"
	"github.com/liandong/liandong/internal/testkit"
)

// startBrowserIn starts chromium as startBrowser does, speaking lang
// ("zh-CN" or "en"): --lang sets the browser's own language and
// --accept-lang what pages see (navigator.languages, Accept-Language).
// Tabs opened in it should also call speak, which holds headless
// chromium to the same language whatever the machine's locale.
func startBrowserIn(t *testing.T, lang string, width, height int, limit time.Duration) context.Context {
	t.Helper()
	return launchBrowser(t, width, height, limit, chromedp.Flag("lang", lang), chromedp.Flag("accept-lang", lang))
}

// speak makes a tab's pages see lang as the browser's language
// (navigator.languages and the Accept-Language header). Call it before
// the tab navigates; it also serves tabs of a browser from startBrowser.
func speak(t *testing.T, tb *tab, lang string) {
	t.Helper()
	v, err := chromedp.CallBrowser(tb.ctx, browser.GetVersion, cdp.Empty{})
	if err != nil {
		t.Fatalf("%s: browser version: %v", tb.name, err)
	}
	if _, err := chromedp.Call(tb.ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{
		UserAgent: v.UserAgent, AcceptLanguage: lang,
	}); err != nil {
		t.Fatalf("%s: speak %s: %v", tb.name, lang, err)
	}
}

// responderWithOffer opens a volunteer's page in lang and files a need
// near them, and waits for the offer card.
func responderWithOffer(t *testing.T, allocCtx context.Context, lang string) (*tab, testkit.Client, string) {
	t.Helper()
	base, admin := browserServer(t, nil)
	r := servertest.Register(t, admin, "Wang Fang", "volunteer")
	testkit.Client{T: t, Base: base, Token: r.Token}.Call("PUT", "/api/v1/responders/"+r.ID+"/location",
		map[string]float64{"lat": 37.4631, "lng": 121.4481}, nil)
	phone := newTab(t, allocCtx, "respond-"+lang)
	speak(t, phone, lang)
	phone.do(t, "open the link", chromedp.Navigate(base+"/respond#token="+r.Token))
	phone.waitFor(t, "the socket", `document.body.dataset.connected === '1'`)
	admin.Call("POST", "/api/v1/needs", map[string]any{"lat": 37.4630, "lng": 121.4480, "category": "welfare_check", "urgency": 1,
		"team": []map[string]any{{"role": "volunteer", "count": 1}}, "description": "Flat 3B"}, nil)
	phone.waitFor(t, "the offer", `document.querySelector('.offer-card button.accept')`)
	return phone, admin, base
}

// visibleText is the text a person reads in the header, the offers, the
// jobs and the status card (not the map's tiles and attribution).
const visibleText = `[...document.querySelectorAll('header.top, #offers, #jobs, .status-card, #log, #missed')]
  .filter(e => !e.hidden).map(e => e.innerText).join('\n')`

var (
	latinWord = regexp.MustCompile(`[A-Za-z]{3,}`)
	cjkChar   = regexp.MustCompile(`[\p{Han}]+`)
)

// foreignWords lists what in text is written in the other language than
// lang, leaving out names and ids the page shows as they are.
func foreignWords(text, lang string, allowed ...string) []string {
	for _, a := range allowed {
		text = strings.ReplaceAll(text, a, " ")
	}
	if lang == "zh-CN" {
		return latinWord.FindAllString(text, -1)
	}
	return cjkChar.FindAllString(text, -1)
}

// TestBrowserResponderInChinese and ...InEnglish: a browser in that
// language shows the responder page, with an offer and then the job in
// hand, entirely in it; axe-core finds nothing serious on it.
func TestBrowserResponderInChinese(t *testing.T) {
	testResponderIn(t, "zh-CN", map[string]string{
		"title":   "联动 · 响应者",
		"accept":  "接受",
		"decline": "拒绝",
		"duty":    "可接单",
		"offer":   "上门探视",
		"urgency": "危及生命",
		"role":    "志愿者",
		"metres":  "米",
		"nav":     "导航",
		"status":  "已组队",
		"done":    "完成",
		"staffed": "队伍已齐",
	})
}

func TestBrowserResponderInEnglish(t *testing.T) {
	testResponderIn(t, "en", map[string]string{
		"title":   "Liandong responder",
		"accept":  "Accept",
		"decline": "Decline",
		"duty":    "Available",
		"offer":   "Welfare check",
		"urgency": "Life-threatening",
		"role":    "Volunteer",
		"metres":  " m away",
		"nav":     "Navigate",
		"status":  "Staffed",
		"done":    "Done",
		"staffed": "Team complete",
	})
}

func testResponderIn(t *testing.T, lang string, want map[string]string) {
	allocCtx := startBrowserIn(t, lang, 412, 860, 90*time.Second)
	phone, _, _ := responderWithOffer(t, allocCtx, lang)
	if got := phone.eval(t, `navigator.languages[0]`); got != lang {
		t.Fatalf("navigator.languages[0] = %q, want %q", got, lang)
	}
	if got := phone.eval(t, `document.documentElement.lang`); got != lang {
		t.Errorf("<html lang> = %q, want %q", got, lang)
	}
	// The new offer is announced to a screen reader, politely.
	phone.waitFor(t, "the offer announced", `document.querySelector('#announce[aria-live=polite]').textContent.includes(`+jsString(want["offer"])+`)`)
	if got := phone.eval(t, `document.title`); got != want["title"] {
		t.Errorf("title = %q, want %q", got, want["title"])
	}
	checks := map[string]string{
		"accept":  `document.querySelector('.offer-card button.accept').innerText`,
		"decline": `document.querySelector('.offer-card button.decline').innerText`,
		"duty":    `document.querySelector('#duty-label').innerText`,
		"offer":   `document.querySelector('.offer-card h2').innerText`,
		"urgency": `document.querySelector('.offer-card .facts').innerText`,
		"role":    `document.querySelector('.offer-card .facts').innerText`,
		"metres":  `document.querySelector('.offer-card .distance').innerText`,
	}
	for key, expr := range checks {
		if got := phone.eval(t, expr); !strings.Contains(got, want[key]) {
			t.Errorf("%s: %q does not say %q", key, got, want[key])
		}
	}
	// Names, ids and the switch's own language names are shown as they are.
	allowed := []string{"Wang Fang", "Liandong", "English", "中文", "联动", "CSV"}
	if foreign := foreignWords(phone.eval(t, visibleText), lang, allowed...); len(foreign) > 0 {
		t.Errorf("the %s page shows words of the other language: %q\n%s", lang, foreign, phone.eval(t, visibleText))
	}
	// Every control has a name in the page's language.
	names := phone.eval(t, `[...document.querySelectorAll('button, [role=switch], .conn')].filter(e => e.offsetParent)
	  .map(e => e.getAttribute('aria-label') || e.innerText || (e.labels && e.labels[0] && e.labels[0].innerText) || '').join('\n')`)
	if foreign := foreignWords(names, lang, allowed...); len(foreign) > 0 {
		t.Errorf("control names in the other language: %q\n%s", foreign, names)
	}
	settled(t, phone)
	checkAccessible(t, phone, "responder page with an offer ("+lang+")")

	phone.do(t, "accept", chromedp.Click(chromedp.CSS(".offer-card button.accept")))
	phone.waitFor(t, "the staffed job", `document.querySelector('.job-card.staffed .navigate')`)
	phone.waitFor(t, "the team announced", `document.querySelector('#announce').textContent.includes(`+jsString(want["staffed"])+`)`)
	job := phone.eval(t, `document.querySelector('.job-card').innerText`)
	for _, key := range []string{"nav", "status", "done"} {
		if !strings.Contains(job, want[key]) {
			t.Errorf("the job card does not say %q:\n%s", want[key], job)
		}
	}
	if foreign := foreignWords(phone.eval(t, visibleText), lang, append(allowed, "Flat")...); len(foreign) > 0 {
		t.Errorf("the %s page with a job shows words of the other language: %q", lang, foreign)
	}
	// The map apps: each link carries the place in WGS84, saying the datum
	// where the app takes one, and is labelled with the category only: the
	// description (which may name the person) is not handed to a map
	// provider.
	links := phone.eval(t, `[...document.querySelectorAll('.job-card .nav a')].map(a => a.dataset.app + ' ' + a.getAttribute('href')).join('\n')`)
	label := url.PathEscape(want["offer"])
	for _, want := range []string{
		"amap https://uri.amap.com/navigation?to=121.448000,37.463000," + label + "&mode=car&coordinate=wgs84&callnative=1",
		"baidu baidumap://map/direction?destination=latlng%3A37.463000%2C121.448000%7Cname%3A" + label + "&coord_type=wgs84&mode=driving",
		"tencent https://apis.map.qq.com/uri/v1/routeplan?type=drive&to=" + label + "&tocoord=37.463000,121.448000&referer=liandong",
		"geo geo:37.463000,121.448000?q=37.463000,121.448000(" + label + ")",
	} {
		if !strings.Contains(links, want) {
			t.Errorf("navigation links lack %q:\n%s", want, links)
		}
	}
	if strings.Contains(links, "Flat") {
		t.Errorf("a navigation link carries the need's description:\n%s", links)
	}
	phone.do(t, "open the navigation list", chromedp.Click(chromedp.CSS(".job-card .navigate")))
	settled(t, phone)
	checkAccessible(t, phone, "responder page with the job in hand ("+lang+")")
	if errs := phone.errors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}

// TestBrowserResponderLanguageSwitch: the switch in the header flips the
// page from Chinese to English at once, offers and log included, without
// a reload: the same socket stays open and the offer stays answerable; the
// choice is remembered on the device and outlives a reload.
func TestBrowserResponderLanguageSwitch(t *testing.T) {
	allocCtx := startBrowserIn(t, "zh-CN", 412, 860, 90*time.Second)
	phone, _, _ := responderWithOffer(t, allocCtx, "zh-CN")
	phone.waitFor(t, "the page in Chinese", `document.querySelector('.offer-card button.accept').innerText === '接受'`)
	phone.waitFor(t, "the offer in the log", `document.querySelector('#log li')?.innerText.includes('邀请')`)
	phone.eval(t, `(window.liandong.socket.ws.stayed = 'yes', window.stayed = 'yes')`)

	phone.do(t, "switch to English", chromedp.Click(chromedp.CSS(`#lang-switch button[data-lang="en"]`)))
	phone.waitFor(t, "the offer in English", `document.querySelector('.offer-card button.accept').innerText === 'Accept'`)
	if got := phone.eval(t, `document.documentElement.lang`); got != "en" {
		t.Errorf("<html lang> = %q after the switch", got)
	}
	if got := phone.eval(t, `document.querySelector('#log li').innerText`); !strings.Contains(got, "Offer: Welfare check") {
		t.Errorf("the log was not redrawn in English: %q", got)
	}
	if foreign := foreignWords(phone.eval(t, visibleText), "en", "中文", "联动"); len(foreign) > 0 {
		t.Errorf("Chinese left after the switch: %q", foreign)
	}
	if kept := phone.eval(t, `String(window.stayed) + ' ' + String(window.liandong.socket.ws.stayed) + ' ' + String(window.liandong.socket.ws.readyState)`); kept != "yes yes 1" {
		t.Fatalf("the switch reloaded the page or replaced the socket: %q", kept)
	}
	if pressed := phone.eval(t, `document.querySelector('#lang-switch button[data-lang="en"]').getAttribute('aria-pressed')`); pressed != "true" {
		t.Errorf("the English button is not marked pressed: %q", pressed)
	}
	// The offer is still live: it can be accepted in the new language.
	phone.do(t, "accept", chromedp.Click(chromedp.CSS(".offer-card button.accept")))
	phone.waitFor(t, "the job in English", `document.querySelector('.job-card')?.innerText.includes('Navigate')`)

	// Remembered: a reload stays English although the browser speaks Chinese.
	phone.do(t, "reload", chromedp.Reload())
	phone.waitFor(t, "the job after the reload, in English", `document.querySelector('.job-card')?.innerText.includes('Navigate')`)
	if got := phone.eval(t, `localStorage.getItem('liandong.lang')`); got != "en" {
		t.Errorf("the choice is not remembered: %q", got)
	}
}

// TestBrowserResponderSmallPhoneLargeText: at 360 x 640 CSS pixels with
// the text at 200 %, in both languages, the page with an offer and with a
// job does not scroll sideways and every button is at least 44 x 44 px;
// the offer's buttons work from the keyboard with a visible focus.
func TestBrowserResponderSmallPhoneLargeText(t *testing.T) {
	for _, lang := range []string{"zh-CN", "en"} {
		t.Run(lang, func(t *testing.T) {
			allocCtx := startBrowserIn(t, lang, 360, 640, 90*time.Second)
			phone, _, _ := responderWithOffer(t, allocCtx, lang)
			phone.do(t, "a small phone", chromedp.EmulateViewport(360, 640, chromedp.EmulateMobile))
			// The page's own 17 px text, doubled: what a phone's 200 % text size does.
			phone.eval(t, `(document.documentElement.style.fontSize = '34px', 'large text')`)
			checkFits(t, phone, "with an offer")

			// Keyboard: Tab reaches Accept, the focus is drawn, Enter accepts.
			phone.eval(t, `(document.activeElement && document.activeElement.blur(), 'ok')`)
			reached := false
			for range 20 {
				phone.do(t, "tab", chromedp.KeyEvent("\t"))
				if phone.eval(t, `String(document.activeElement.classList.contains('accept'))`) == "true" {
					reached = true
					break
				}
			}
			if !reached {
				t.Fatal("Tab never reached the offer's Accept button")
			}
			if outline := phone.eval(t, `getComputedStyle(document.activeElement).outlineStyle + ' ' + getComputedStyle(document.activeElement).outlineWidth`); !strings.HasPrefix(outline, "solid") || strings.HasSuffix(outline, " 0px") {
				t.Errorf("the focused Accept button shows no focus ring: %q", outline)
			}
			phone.do(t, "press Enter", chromedp.KeyEvent("\r"))
			phone.waitFor(t, "the job", `document.querySelector('.job-card.staffed')`)
			checkFits(t, phone, "with a job")
		})
	}
}

// settled waits for the cards' arrival animations to end: axe measures
// contrast as drawn, and a card fading in is faint.
func settled(t *testing.T, tb *tab) {
	t.Helper()
	tb.waitFor(t, "animations to end", `document.getAnimations().every(a => a.playState !== 'running')`)
}

// checkFits: no sideways scrolling, and every visible control at least
// 44 x 44 CSS pixels (the duty switch's target is its whole label).
func checkFits(t *testing.T, tb *tab, what string) {
	t.Helper()
	if got := tb.eval(t, `document.documentElement.scrollWidth + ' <= ' + document.documentElement.clientWidth`); func() bool {
		var sw, cw int
		fmt.Sscanf(got, "%d <= %d", &sw, &cw)
		return sw > cw
	}() {
		t.Errorf("%s: the page scrolls sideways: %s", what, got)
	}
	small := tb.eval(t, `[...document.querySelectorAll('button, .button, summary, label.duty')]
	  .filter(e => e.offsetParent && !e.closest('.leaflet-container'))
	  .map(e => [e, e.getBoundingClientRect()]).filter(([, r]) => r.width < 44 || r.height < 44)
	  .map(([e, r]) => (e.innerText || e.className) + ' ' + Math.round(r.width) + 'x' + Math.round(r.height)).join('; ')`)
	if small != "" {
		t.Errorf("%s: controls smaller than 44 x 44 px: %s", what, small)
	}
}

// TestCatalogueCheckCatches: the build's catalogue check (check-i18n.mjs)
// passes on the sources as they are and fails on each kind of slip: a key
// missing from one language, placeholders that differ, a literal left in
// a page script or in the page's HTML, and a glossary word that differs
// from the catalogue's.
func TestCatalogueCheckCatches(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is missing: the pages' build needs it (apt-get install -y nodejs npm)")
	}
	if _, err := os.Stat(filepath.Join("ui", "node_modules", "esbuild")); err != nil {
		t.Fatal("esbuild is missing: run `cd web/ui && npm ci` first")
	}
	script, err := filepath.Abs(filepath.Join("ui", "check-i18n.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	// run copies the sources and the glossary, changes one file, and runs
	// the check on the copy.
	run := func(file, old, new string) (string, bool) {
		t.Helper()
		root := t.TempDir()
		ui := filepath.Join(root, "web", "ui")
		if err := os.CopyFS(filepath.Join(ui, "src"), os.DirFS(filepath.Join("ui", "src"))); err != nil {
			t.Fatal(err)
		}
		glossary, err := os.ReadFile(filepath.Join("..", "docs", "GLOSSARY.md"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(root, "docs"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "docs", "GLOSSARY.md"), glossary, 0o644); err != nil {
			t.Fatal(err)
		}
		if file != "" {
			path := filepath.Join(ui, file)
			if file == "GLOSSARY.md" {
				path = filepath.Join(root, "docs", "GLOSSARY.md")
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), old) {
				t.Fatalf("%s does not contain %q", file, old)
			}
			if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command(node, script, "--root", ui)
		out, err := cmd.CombinedOutput()
		return string(out), err == nil
	}

	if out, ok := run("", "", ""); !ok {
		t.Fatalf("the check fails on the sources as they are:\n%s", out)
	}
	for _, c := range []struct{ name, file, old, new, says string }{
		{"a key missing in Chinese", "src/respond/messages.js", "    'respond.job.you': '您',\n", "", "respond.job.you: missing in zh-CN"},
		{"a key missing in English", "src/lib/words.js", "    'verb.accept': 'Accept',\n", "", "verb.accept: missing in en"},
		{"placeholders that differ", "src/respond/messages.js", "'respond.offer.about': '约 {distance}'", "'respond.offer.about': '约 {dist}'", "respond.offer.about: placeholders differ"},
		{"a literal child of h()", "src/respond/cards.js", "t('verb.decline'))", "'Decline')", `h() child: "Decline"`},
		{"a Chinese literal in textContent", "src/respond/main.js", "$('#where').textContent = mode", "$('#where').textContent = '定位中' || mode", `textContent =: "定位中"`},
		{"a literal in a toast", "src/respond/main.js", "toast(t('respond.position_set'))", "toast('Position set.')", `toast(): "Position set."`},
		{"a literal title attribute", "src/respond/cards.js", "title: t('respond.offer.time_left')", "title: 'time left'", `title attribute: "time left"`},
		{"text in the HTML without data-i18n", "src/respond.html", `<h3 data-i18n="respond.recent">最近动态</h3>`, `<h3>Recent</h3>`, `text without data-i18n in <h3>: "Recent"`},
		{"an aria-label in the HTML", "src/respond.html", `<div id="map" role="region" data-i18n-attr="aria-label:respond.map"></div>`, `<div id="map" role="region" aria-label="map"></div>`, `aria-label="map" on <div>`},
		{"a key no page uses", "src/respond/messages.js", "    'respond.job.you': '您',\n", "    'respond.job.you': '您',\n    'respond.job.spare': '多余',\n", "respond.job.spare: not used"},
		{"a glossary word that drifted", "GLOSSARY.md", "| `role.social_worker` | 社工 |", "| `role.social_worker` | 社会工作者 |", `role.social_worker (zh-CN) is "社会工作者" but the catalogue says "社工"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, ok := run(c.file, c.old, c.new)
			if ok {
				t.Fatalf("the check passed:\n%s", out)
			}
			if !strings.Contains(out, c.says) {
				t.Errorf("the check did not say %q:\n%s", c.says, out)
			}
		})
	}
}

// TestFormatsByLocale: lib/format.js says times in the configured zone,
// relative times, distances, numbers and the glossary's words in each
// language's usual form (run in node on the page's own module).
func TestFormatsByLocale(t *testing.T) {
	const script = `import { build } from 'esbuild';
globalThis.document = { body: { dataset: { timeZone: 'Asia/Shanghai' } }, documentElement: {}, querySelectorAll: () => [] };
globalThis.localStorage = { getItem: () => null, setItem() {} };
const res = await build({ stdin: { contents: "export * from './src/lib/format.js'; export { setLang } from './src/lib/i18n.js';", resolveDir: '.' },
  bundle: true, write: false, format: 'esm', platform: 'neutral', logLevel: 'silent' });
const f = await import('data:text/javascript;base64,' + Buffer.from(res.outputFiles[0].text).toString('base64'));
const at = Date.UTC(2026, 11, 7, 6, 5);
const out = {};
for (const l of ['zh-CN', 'en']) {
  f.setLang(l);
  out[l] = [f.dateTime(at), f.timeOfDay(at), f.relative(at - 180000, at), f.distance(850), f.distance(1234), f.distance(12345),
    f.number(12345), f.duration(3 * 3600e3 + 5 * 60e3), f.roleName('social_worker'), f.urgencyName(2), f.category('medicine_delivery')].join(' | ');
}
console.log(JSON.stringify(out));`
	checkWordsByLanguage(t, script, map[string]string{
		"zh-CN": "2026年12月7日 14:05 | 14:05 | 3分钟前 | 850 米 | 1.2 公里 | 12 公里 | 12,345 | 3 小时 05 分 | 社工 | 紧急 | 送药",
		"en":    "7 Dec 2026 14:05 | 14:05 | 3 minutes ago | 850 m | 1.2 km | 12 km | 12,345 | 3 h 05 | Social worker | Urgent | Medicine delivery",
	})
}

// checkWordsByLanguage runs script, an ES module that prints one JSON
// object of words by language, with node in web/ui (where the pages'
// modules and esbuild are), and compares what it printed with want.
func checkWordsByLanguage(t *testing.T, script string, want map[string]string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is missing: the pages' build needs it (apt-get install -y nodejs npm)")
	}
	cmd := exec.Command(node, "--input-type=module", "-e", script)
	cmd.Dir = "ui"
	raw, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, raw)
	}
	var got map[string]string
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	for lang, w := range want {
		if got[lang] != w {
			t.Errorf("%s:\n got %s\nwant %s", lang, got[lang], w)
		}
	}
}

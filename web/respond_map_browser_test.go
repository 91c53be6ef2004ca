package web_test

// The responder's map after acceptance (issue 22, item 9): at street zoom
// over the offline basemap the job must never be just a dot. Once a job is
// accepted the map draws the way from the phone to it (a line, an arrow
// and the distance and direction in words), fits both points, and follows
// the phone as it moves; the job card says the same words and the page
// announces them once. A scale bar is always there. Before acceptance the
// exact point is nowhere on the map or in the page's state.

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/liandong/liandong/internal/server/servertest"
	"github.com/liandong/liandong/internal/testkit"
)

type point struct{ lat, lng float64 }

var (
	phoneStart = point{37.4631, 121.4481}
	// The need: north-east of the phone, within the first search radius.
	needNE = point{37.4681, 121.4541}
	// Where the phone moves to: further south-west, over a kilometre away.
	phoneMoved = point{37.4581, 121.4421}
)

// wayWords is what the page should say for the way from a to b in lang,
// by the page's own rules: whole metres under a kilometre, else kilometres
// with one decimal; the direction before the distance in Chinese, after
// it in English.
func wayWords(lang string, a, b point, dir map[string]string) string {
	const rad = math.Pi / 180
	dLat, dLng := (b.lat-a.lat)*rad, (b.lng-a.lng)*rad
	s := math.Pow(math.Sin(dLat/2), 2) + math.Cos(a.lat*rad)*math.Cos(b.lat*rad)*math.Pow(math.Sin(dLng/2), 2)
	m := 2 * 6371000 * math.Asin(math.Sqrt(s))
	units := map[string][2]string{"zh-CN": {"米", "公里"}, "en": {"m", "km"}}[lang]
	dist := fmt.Sprintf("%d %s", int(math.Round(m)), units[0])
	if m >= 1000 {
		dist = fmt.Sprintf("%.1f %s", m/1000, units[1])
	}
	if lang == "zh-CN" {
		return dir[lang] + " " + dist
	}
	return dist + " " + dir[lang]
}

var northEast = map[string]string{"zh-CN": "东北", "en": "north-east"}

// phoneAtWithGPS opens a volunteer's page in lang with the phone's GPS
// (emulated) at pos, and waits for the socket and the server to have
// the position.
func phoneAtWithGPS(t *testing.T, allocCtx context.Context, lang string, pos point) (*tab, testkit.Client) {
	t.Helper()
	base, admin := browserServer(t, nil)
	r := servertest.Register(t, admin, "Wang Fang", "volunteer")
	phone := newTab(t, allocCtx, "respond-"+lang)
	speak(t, phone, lang)
	if _, err := chromedp.CallBrowser(phone.ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: "geolocation"}, Setting: browser.PermissionSettingGranted, Origin: base,
	}); err != nil {
		t.Fatalf("grant geolocation: %v", err)
	}
	moveGPS(t, phone, pos)
	phone.do(t, "open the link", chromedp.Navigate(base+"/respond#token="+r.Token))
	phone.waitFor(t, "the socket and a GPS position", `document.body.dataset.connected === '1' && document.body.dataset.location === 'gps'`)
	waitLocated(t, admin, r.ID)
	return phone, admin
}

func moveGPS(t *testing.T, tb *tab, pos point) {
	t.Helper()
	acc := 10.0
	if _, err := chromedp.Call(tb.ctx, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{
		Latitude: &pos.lat, Longitude: &pos.lng, Accuracy: &acc,
	}); err != nil {
		t.Fatalf("geolocation override: %v", err)
	}
}

// fileNeedNE files a one-volunteer need at needNE and waits for its offer.
func fileNeedNE(t *testing.T, phone *tab, admin testkit.Client) {
	t.Helper()
	admin.Call("POST", "/api/v1/needs", map[string]any{"lat": needNE.lat, "lng": needNE.lng, "category": "welfare_check", "urgency": 2,
		"team": []map[string]any{{"role": "volunteer", "count": 1}}, "description": "Flat 3B"}, nil)
	phone.waitFor(t, "the offer", `document.querySelector('.offer-card button.accept')`)
}

// exactPointShown says where the need's exact point appears: in the
// page's state or as any point of any layer on the map.
const exactPointShown = `(() => {
  const lat = %v, lng = %v, near = (p) => p && Math.abs(p.lat - lat) < 1e-6 && Math.abs(p.lng - lng) < 1e-6;
  const found = [];
  if (JSON.stringify(window.liandong.state).includes(String(lng))) found.push('state');
  window.liandong.map.eachLayer((l) => {
    const pts = [];
    if (l.getLatLng) pts.push(l.getLatLng());
    if (l.getLatLngs) pts.push(...l.getLatLngs().flat(3));
    if (pts.some(near)) found.push('layer ' + (l.options.className || l.options.title || 'unnamed'));
  });
  return found.join(', ');
})()`

// TestBrowserResponderMapShowsTheWay, in both languages: before
// acceptance no exact point and no way; after it, the line, the arrow
// pointing north-east and the label "东北 768 米" / "768 m north-east",
// the same words on the job card and announced politely, the map fitted
// to both points; when the phone moves the words follow ("东北 1.5 公里" /
// "1.5 km north-east"), and the language switch says them in the other
// language. The scale bar is there throughout, and axe-core finds
// nothing serious with the job shown.
func TestBrowserResponderMapShowsTheWay(t *testing.T) {
	for _, lang := range []string{"zh-CN", "en"} {
		t.Run(lang, func(t *testing.T) {
			allocCtx := startBrowserIn(t, lang, 412, 860, 90*time.Second)
			phone, admin := phoneAtWithGPS(t, allocCtx, lang, phoneStart)
			// Every polite announcement, as a screen reader hears them.
			phone.eval(t, `(window.said = [], new MutationObserver((ms) => ms.forEach((m) => m.addedNodes.forEach((n) => window.said.push(n.textContent))))
			  .observe(document.querySelector('#announce'), {childList: true, characterData: true, subtree: true}), 'listening')`)

			checkScaleBar(t, phone)
			fileNeedNE(t, phone, admin)
			if shown := phone.eval(t, fmt.Sprintf(exactPointShown, needNE.lat, needNE.lng)); shown != "" {
				t.Errorf("before acceptance the exact point is in: %s", shown)
			}
			if way := phone.eval(t, `String(document.querySelectorAll('.job-way, .job-arrow, .job-heading:not([hidden]), .job-heading p').length)`); way != "0" {
				t.Errorf("before acceptance the map draws a way to the need (%s elements)", way)
			}

			phone.do(t, "accept", chromedp.Click(chromedp.CSS(".offer-card button.accept")))
			want := wayWords(lang, phoneStart, needNE, northEast)
			phone.waitFor(t, "the way on the map", `document.querySelector('.job-heading .words')?.textContent === `+jsString(want))
			if got := phone.eval(t, `String(document.querySelectorAll('path.job-way').length)`); got != "1" {
				t.Errorf("%s lines from the phone to the job, want 1", got)
			}
			deg, err := strconv.Atoi(phone.eval(t, `document.querySelector('.job-heading [data-degrees]').dataset.degrees`))
			if err != nil || deg < 23 || deg > 67 {
				t.Errorf("the arrow points %d° (%v), want north-east", deg, err)
			}
			if got := phone.eval(t, `document.querySelector('.job-card .direction')?.innerText || ''`); !strings.Contains(got, want) {
				t.Errorf("the job card says %q, want %q", got, want)
			}
			checkBothInView(t, phone, phoneStart)
			phone.waitFor(t, "the way announced", `window.said.some((s) => s.includes(`+jsString(want)+`))`)
			checkScaleBar(t, phone)

			// The phone moves south-west: the words follow, on the map and
			// on the card, and the view keeps both points.
			moveGPS(t, phone, phoneMoved)
			moved := wayWords(lang, phoneMoved, needNE, northEast)
			phone.waitFor(t, "the way after the phone moved", `document.querySelector('.job-heading .words')?.textContent === `+jsString(moved))
			if got := phone.eval(t, `document.querySelector('.job-card .direction').innerText`); !strings.Contains(got, moved) {
				t.Errorf("after the move the job card says %q, want %q", got, moved)
			}
			checkBothInView(t, phone, phoneMoved)
			if n := phone.eval(t, `String(window.said.filter((s) => s.includes(`+jsString(northEast[lang])+`)).length)`); n != "1" {
				t.Errorf("the way was announced %s times, want once: %q", n, phone.eval(t, `window.said.join(' | ')`))
			}

			settled(t, phone)
			checkAccessible(t, phone, "responder page with the way to the job ("+lang+")")

			// The language switch says the way again in the other language.
			other := map[string]string{"zh-CN": "en", "en": "zh-CN"}[lang]
			phone.do(t, "switch to "+other, chromedp.Click(chromedp.CSS(`#lang-switch button[data-lang="`+other+`"]`)))
			switched := wayWords(other, phoneMoved, needNE, northEast)
			phone.waitFor(t, "the way in "+other, `document.querySelector('.job-heading .words')?.textContent === `+jsString(switched)+
				` && document.querySelector('.job-card .direction').innerText.includes(`+jsString(switched)+`)`)
			if errs := phone.errors(); len(errs) > 0 {
				t.Errorf("page errors: %v", errs)
			}
		})
	}
}

// TestBrowserResponderWaySmallPhoneLargeText: at 360 x 640 with the text
// at 200 %, in both languages, the page does not scroll sideways, the
// way's words stay inside the map, and the line (both its ends) and the
// scale bar are under neither the words nor the attribution.
func TestBrowserResponderWaySmallPhoneLargeText(t *testing.T) {
	for _, lang := range []string{"zh-CN", "en"} {
		t.Run(lang, func(t *testing.T) {
			allocCtx := startBrowserIn(t, lang, 360, 640, 90*time.Second)
			phone, admin := phoneAtWithGPS(t, allocCtx, lang, phoneMoved)
			phone.do(t, "a small phone", chromedp.EmulateViewport(360, 640, chromedp.EmulateMobile))
			phone.eval(t, `(document.documentElement.style.fontSize = '34px', 'large text')`)
			fileNeedNE(t, phone, admin)
			phone.do(t, "accept", chromedp.Click(chromedp.CSS(".offer-card button.accept")))
			want := wayWords(lang, phoneMoved, needNE, northEast)
			phone.waitFor(t, "the way on the map", `document.querySelector('.job-heading .words')?.textContent === `+jsString(want))
			checkFits(t, phone, "with the way to the job")
			inside := phone.eval(t, `(() => {
			  const m = document.querySelector('#map').getBoundingClientRect(), l = document.querySelector('.job-heading').getBoundingClientRect();
			  return l.left >= m.left && l.right <= m.right ? 'inside' : 'label ' + Math.round(l.left) + '..' + Math.round(l.right) + ', map ' + Math.round(m.left) + '..' + Math.round(m.right);
			})()`)
			if inside != "inside" {
				t.Errorf("the way's label spills out of the map: %s", inside)
			}
			// Both ends of the way and the scale bar are in sight: not under
			// the words or the attribution, which large text makes tall.
			hidden := phone.eval(t, `(() => {
			  const m = window.liandong.map, att = m.attributionControl.getContainer().getBoundingClientRect();
			  const box = m.getContainer().getBoundingClientRect(), way = m.getContainer().querySelector('path.job-way').getBoundingClientRect();
			  const out = [];
			  // The line's box holds both its ends (the stroke adds a few pixels).
			  if (way.bottom > att.top + 4) out.push('the way reaches ' + Math.round(way.bottom) + ', the attribution starts at ' + Math.round(att.top));
			  if (way.top < box.top - 4 || way.left < box.left - 4 || way.right > box.right + 4) out.push('the way leaves the map');
			  const words = document.querySelector('.job-heading').getBoundingClientRect();
			  if (way.top < words.bottom - 4) out.push('the way runs under its words (' + Math.round(way.top) + ' < ' + Math.round(words.bottom) + ')');
			  const sc = document.querySelector('.leaflet-control-scale').getBoundingClientRect();
			  if (sc.bottom > att.top && sc.right > att.left) out.push('the scale bar under the attribution');
			  if (sc.top < box.top || sc.bottom > box.bottom) out.push('the scale bar outside the map');
			  if (sc.left < words.right && sc.top < words.bottom) out.push('the scale bar under the words');
			  return out.join('; ');
			})()`)
			if hidden != "" {
				t.Errorf("out of sight: %s", hidden)
			}
		})
	}
}

// checkScaleBar: a metric scale bar and no imperial one.
func checkScaleBar(t *testing.T, tb *tab) {
	t.Helper()
	tb.waitFor(t, "the scale bar", `/^\d+ k?m$/.test(document.querySelector('.leaflet-control-scale-line')?.textContent || '')`)
	if n := tb.eval(t, `String(document.querySelectorAll('.leaflet-control-scale-line').length)`); n != "1" {
		t.Errorf("%s scale lines, want one (metric only)", n)
	}
}

// checkBothInView: the map's view holds the phone at at and the need.
func checkBothInView(t *testing.T, tb *tab, at point) {
	t.Helper()
	tb.waitFor(t, "the map fitted to the phone and the need", fmt.Sprintf(
		`window.liandong.map.getBounds().contains([%v, %v]) && window.liandong.map.getBounds().contains([%v, %v])`,
		at.lat, at.lng, needNE.lat, needNE.lng))
}

// TestWayInWords: respond/direction.js names the eight points of the
// compass in each language around a point, puts the direction before the
// distance in Chinese and after it in English, says only "right here"
// within a few metres, and says nothing while a position is unknown (run
// in node on the page's own module).
func TestWayInWords(t *testing.T) {
	const script = `import { build } from 'esbuild';
globalThis.document = { body: { dataset: {} }, documentElement: {}, querySelectorAll: () => [] };
globalThis.localStorage = { getItem: () => null, setItem() {} };
const res = await build({ stdin: { contents: "export * from './src/respond/direction.js'; import './src/respond/messages.js'; export { setLang } from './src/lib/i18n.js';", resolveDir: '.' },
  bundle: true, write: false, format: 'esm', platform: 'neutral', logLevel: 'silent' });
const d = await import('data:text/javascript;base64,' + Buffer.from(res.outputFiles[0].text).toString('base64'));
const from = { lat: 37.5, lng: 121.4 };
const to = [[0.01, 0], [0.01, 0.0126], [0, 0.01], [-0.01, 0.0126], [-0.01, 0], [-0.01, -0.0126], [0, -0.01], [0.01, -0.0126],
  [0.0133, 0.0063], [0.00005, 0]].map(([a, b]) => ({ lat: from.lat + a, lng: from.lng + b }));
const out = {};
for (const l of ['zh-CN', 'en']) {
  d.setLang(l);
  out[l] = [...to.map((p) => d.towards(from, p).words), d.towards(null, to[0]).words, d.towards(from, {}).words].join(' | ');
}
console.log(JSON.stringify(out));`
	checkWordsByLanguage(t, script, map[string]string{
		"zh-CN": "北 1.1 公里 | 东北 1.6 公里 | 东 882 米 | 东南 1.6 公里 | 南 1.1 公里 | 西南 1.6 公里 | 西 882 米 | 西北 1.6 公里 | 北 1.6 公里 | 就在附近（6 米） |  | ",
		"en":    "1.1 km north | 1.6 km north-east | 882 m east | 1.6 km south-east | 1.1 km south | 1.6 km south-west | 882 m west | 1.6 km north-west | 1.6 km north | right here (6 m) |  | ",
	})
}

package web_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestBrowserArrivalOnSceneAndTeamThread (issue 20, items 3 and 4): a
// responder who accepted presses "I have arrived" 40 m from the need; the
// console following the need shows them on scene, confirmed by position,
// within a second, and marks them on the map; a message from the command
// centre reaches the phone's team thread as text, never markup; the hours
// of the job run from the arrival.
func TestBrowserArrivalOnSceneAndTeamThread(t *testing.T) {
	allocCtx := startBrowser(t, 1280, 800, 90*time.Second)
	base, api := browserServer(t, nil)
	var responder struct{ ID, Token string }
	api.Call("POST", "/api/v1/responders", map[string]any{"name": "Wang Fang", "role": "volunteer"}, &responder)
	console := openConsole(t, allocCtx, base)

	const needLat, needLng = 37.4630, 121.4480
	phone := newTab(t, console.ctx, "respond")
	speak(t, phone, "en")
	lat, lng, acc := needLat+40.0/111_195, needLng, 10.0
	if _, err := chromedp.CallBrowser(phone.ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: "geolocation"}, Setting: browser.PermissionSettingGranted, Origin: base,
	}); err != nil {
		t.Fatalf("grant geolocation: %v", err)
	}
	if _, err := chromedp.Call(phone.ctx, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{
		Latitude: &lat, Longitude: &lng, Accuracy: &acc,
	}); err != nil {
		t.Fatalf("geolocation override: %v", err)
	}
	phone.do(t, "open the link",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(base+"/respond#token="+responder.Token))
	phone.waitFor(t, "the socket and a GPS position", `document.body.dataset.connected === '1' && document.body.dataset.location === 'gps'`)
	waitLocated(t, api, responder.ID)

	var need struct{ ID string }
	api.Call("POST", "/api/v1/needs", map[string]any{
		"lat": needLat, "lng": needLng, "category": "welfare_check", "urgency": 1,
		"team": []map[string]any{{"role": "volunteer", "count": 1}}, "description": "Flat 3B, 12 Haian Road",
	}, &need)
	console.waitFor(t, "the need's row", fmt.Sprintf(`document.querySelector('.need-row[data-id=%q]')`, need.ID))
	console.do(t, "open the need", chromedp.Click(chromedp.CSS(fmt.Sprintf(`.need-row[data-id=%q]`, need.ID))))
	phone.waitFor(t, "the offer card", `document.querySelector('.offer-card')`)
	phone.do(t, "accept", chromedp.Click(chromedp.CSS(".offer-card button.accept")))
	phone.waitFor(t, "the job card with the arrival button", `document.querySelector('.job-card.staffed .field button.arrive')`)
	console.waitFor(t, "the member en route in the detail", `document.querySelector('#detail .assignments [data-field=en_route]')`)

	// An hour on, still en route (the way of 40 m should take minutes):
	// the detail warns.
	late := console.eval(t, `(() => { const real = Date.now; Date.now = () => real() + 3600000;
		try { liandong.detail.render(); return document.querySelector('#detail .assignments .late')?.textContent || ''; }
		finally { Date.now = real; liandong.detail.render(); } })()`)
	if !strings.Contains(late, "超过预计时间的两倍") && !strings.Contains(late, "more than twice the estimate") {
		t.Errorf("an hour en route for 40 m: the detail says %q, want the warning", late)
	}
	if console.eval(t, `String(document.querySelector('#detail .assignments .late') === null)`) != "true" {
		t.Errorf("the warning shows while the member is within the estimate")
	}

	// The console notes the moment the member shows on scene; the phone
	// the moment it reports (one browser, one clock).
	console.eval(t, `(() => { const seen = () => document.querySelector('#detail .assignments [data-field=on_scene]');
		const obs = new MutationObserver(() => { if (seen() && !window.onSceneAt) { window.onSceneAt = Date.now(); obs.disconnect(); } });
		obs.observe(document.body, { subtree: true, childList: true }); return 'watching'; })()`)
	phone.eval(t, `window.arrivedAt = Date.now(), document.querySelector('.field button.arrive').click(), 'pressed'`)
	phone.waitFor(t, "the phone on scene", `document.querySelector('.field')?.dataset.field === 'on_scene'`)
	console.waitFor(t, "the console shows the member on scene", `window.onSceneAt > 0`)
	pressed, _ := strconv.ParseInt(phone.eval(t, `String(window.arrivedAt)`), 10, 64)
	shown, _ := strconv.ParseInt(console.eval(t, `String(window.onSceneAt)`), 10, 64)
	if d := time.Duration(shown-pressed) * time.Millisecond; d > time.Second {
		t.Errorf("the console showed the arrival %s after it was reported, want within a second", d)
	} else {
		t.Logf("the console showed the arrival %s after the press", d)
	}
	if cell := console.eval(t, `document.querySelector('#detail .assignments .field').innerText`); !strings.Contains(cell, "✓") {
		t.Errorf("the detail does not say the arrival was confirmed by position: %q", cell)
	}
	marker := fmt.Sprintf(`document.querySelector('.responder-marker[data-id=%q]')`, responder.ID)
	console.waitFor(t, "the member marked on scene on the map", marker+`?.dataset.onScene === '1'`)

	// A message from the command centre reaches the thread as text.
	markup := `<img src=x onerror="window.pwned=1">`
	api.Call("POST", "/api/v1/needs/"+need.ID+"/messages", map[string]string{"text": markup}, nil)
	phone.waitFor(t, "the message in the thread", `document.querySelector('.field .thread .msg .text')`)
	if got := phone.eval(t, `document.querySelector('.field .thread .msg .text').textContent`); got != markup {
		t.Errorf("the thread shows %q, want the text %q", got, markup)
	}
	if n := phone.eval(t, `String(document.querySelectorAll('.field .thread img').length + (window.pwned ? 100 : 0))`); n != "0" {
		t.Errorf("the message became markup (%s)", n)
	}

	// Done: the hours run from the arrival.
	phone.do(t, "report done", chromedp.Click(chromedp.CSS(".job-card button.done")))
	phone.waitFor(t, "done", `document.querySelector('.job-card.done')`)
	var hours struct {
		Entries []struct{ Rule string } `json:"entries"`
	}
	api.Call("GET", "/api/v1/responders/"+responder.ID+"/hours", nil, &hours)
	if len(hours.Entries) != 1 || hours.Entries[0].Rule != "arrival" {
		t.Errorf("hours: %+v, want one entry counted from arrival", hours.Entries)
	}
	if errs := console.errors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
	if errs := phone.errors(); len(errs) > 0 {
		t.Errorf("phone errors: %v", errs)
	}
}

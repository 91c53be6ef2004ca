package web_test

// The pages through what a long response brings: sessions that outlive a
// day, and the data store restarting under a console and a phone.

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/internal/server"
	"github.com/liandong/liandong/internal/server/servertest"
	"github.com/liandong/liandong/internal/testkit"
)

// TestBrowserResponderSessionRenews: the responder page renews its session
// before it ends and moves its socket onto the new token, so a phone in
// use outlives its first session token: past the first token's end it is
// still connected, receives an offer and gets the job when it accepts.
// (The session lasts 12 s here instead of a day.)
func TestBrowserResponderSessionRenews(t *testing.T) {
	const sessionTTL = 12 * time.Second
	allocCtx := startBrowser(t, 412, 860, 90*time.Second)
	base, admin := browserServer(t, func(c *server.Config) { c.Auth.SessionTTL = sessionTTL })
	phone := phoneOnline(t, allocCtx, base, admin)
	const token = `JSON.parse(sessionStorage.getItem('liandong.respond.session')).token`
	first := phone.eval(t, token)
	firstEnds := time.Now().Add(sessionTTL)

	phone.waitFor(t, "a renewed session", token+` !== `+jsString(first))
	// The server honours a token until 30 s past its end (web's
	// tokenLeeway, for clocks that differ): wait that out too.
	if left := time.Until(firstEnds.Add(30 * time.Second)); left > 0 {
		time.Sleep(left + time.Second)
	}
	phone.waitFor(t, "the socket on the new token", `document.body.dataset.connected === '1'`)
	if ended := phone.eval(t, `String(!document.querySelector('#nosession').hidden)`); ended != "false" {
		t.Fatal("the page says the session has ended")
	}
	admin.Call("POST", "/api/v1/needs", map[string]any{"lat": 37.4630, "lng": 121.4480, "category": "welfare_check", "urgency": 2,
		"team": []map[string]any{{"role": "volunteer", "count": 1}}}, nil)
	phone.waitFor(t, "an offer after the first session's end", `document.querySelector('.offer-card')`)
	// Accepting goes over the socket, which the server checks against the
	// token it was opened with: only a socket moved onto the new token
	// gets the job.
	phone.do(t, "accept", chromedp.Click(chromedp.CSS(".offer-card button.accept")))
	phone.waitFor(t, "the job card", `document.querySelector('.job-card')`)
	if ended := phone.eval(t, `String(!document.querySelector('#nosession').hidden)`); ended != "false" {
		t.Fatal("the page says the session has ended after accepting")
	}
	if errs := phone.errors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}

// jsString quotes s for a JavaScript expression.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestBrowserConsoleShowsAnOutage: while Redis is down the console says so
// in a banner over the map (its counts go stale), and the banner goes once
// Redis is back.
func TestBrowserConsoleShowsAnOutage(t *testing.T) {
	allocCtx := startBrowser(t, 1280, 800, 90*time.Second)
	srv := redistest.Start(t, redistest.Options{AOF: true})
	m := servertest.Run(t, servertest.OnRealRedis(srv, browserAdminPassword), server.Hooks{})
	console := openConsole(t, allocCtx, pagesBase(t, "http://"+m.Addr()))
	console.waitFor(t, "the counters", `document.querySelector('[data-counter=open] b')`)
	const banner = `document.querySelector('#outage')`
	if shown := console.eval(t, `String(!`+banner+`.hidden)`); shown != "false" {
		t.Fatal("the outage banner shows while Redis answers")
	}

	srv.Kill()
	console.waitFor(t, "the outage banner", `!`+banner+`.hidden && `+banner+`.innerText.match(/not answering|暂无响应/)`)
	console.screenshot(t, filepath.Join(artifactDir(t), "console-outage.png"))
	srv.Restart()
	console.waitFor(t, "the banner gone", banner+`.hidden`)
	if errs := console.errors(); len(errs) > 0 {
		t.Logf("page errors during the outage (the failed requests): %v", errs)
	}
}

// TestBrowserPhoneKeepsAnOfferThroughAnOutage: an offer accepted while
// Redis is down stays on the phone with a "not sent" note (it used to
// vanish after 4 s although it was still open), and accepting it again
// once Redis is back gets the job.
func TestBrowserPhoneKeepsAnOfferThroughAnOutage(t *testing.T) {
	allocCtx := startBrowser(t, 412, 860, 90*time.Second)
	srv := redistest.Start(t, redistest.Options{AOF: true})
	base, admin := browserServer(t, func(c *server.Config) {
		real := servertest.OnRealRedis(srv, browserAdminPassword)
		c.Redis, c.Auth = real.Redis, real.Auth
		c.Offers.TTL = 5 * time.Minute
	})
	phone := phoneOnline(t, allocCtx, base, admin)
	admin.Call("POST", "/api/v1/needs", map[string]any{"lat": 37.4630, "lng": 121.4480, "category": "welfare_check", "urgency": 2,
		"team": []map[string]any{{"role": "volunteer", "count": 1}}}, nil)
	phone.waitFor(t, "the offer", `document.querySelector('.offer-card button.accept')`)

	srv.Kill()
	phone.do(t, "accept during the outage", chromedp.Click(chromedp.CSS(".offer-card button.accept")))
	phone.waitFor(t, "the not-sent note", `document.querySelector('.offer-card .error')?.innerText.includes('Not sent')`)
	time.Sleep(5 * time.Second) // the old page dropped the card after 4 s
	if still := phone.eval(t, `String(!!document.querySelector('.offer-card button.accept'))`); still != "true" {
		t.Fatal("the offer left the phone although it is still open")
	}

	srv.Restart()
	deadline := time.Now().Add(20 * time.Second)
	for phone.eval(t, `String(!!document.querySelector('.job-card'))`) != "true" {
		if time.Now().After(deadline) {
			t.Fatalf("no job after Redis came back; page errors: %v", phone.errors())
		}
		// A connection pooled before the outage may fail once more.
		if phone.eval(t, `String(!!document.querySelector('.offer-card button.accept:not([disabled])'))`) == "true" {
			phone.do(t, "accept again", chromedp.Click(chromedp.CSS(".offer-card button.accept")))
		}
		time.Sleep(time.Second)
	}
}

// phoneOnline registers a volunteer near the test's needs, places them,
// and opens their phone page until its socket is up.
func phoneOnline(t *testing.T, allocCtx context.Context, base string, admin testkit.Client) *tab {
	t.Helper()
	r := servertest.Register(t, admin, "Wang Fang", "volunteer")
	testkit.Client{T: t, Base: base, Token: r.Token}.Call("PUT", "/api/v1/responders/"+r.ID+"/location",
		map[string]float64{"lat": 37.4631, "lng": 121.4481}, nil)
	phone := newTab(t, allocCtx, "respond")
	speak(t, phone, "en") // the tests read the English page
	phone.do(t, "open the link", chromedp.Navigate(base+"/respond#token="+r.Token))
	phone.waitFor(t, "the socket", `document.body.dataset.connected === '1'`)
	return phone
}

// TestBrowserPhoneGivesWayToAnotherScreen: when the same person opens
// more sockets than the server keeps, the page whose socket was closed
// (4001, the oldest) stays closed and says so, instead of reconnecting and
// closing another screen of theirs in turn; "use it here" takes it back.
func TestBrowserPhoneGivesWayToAnotherScreen(t *testing.T) {
	allocCtx := startBrowser(t, 412, 860, 60*time.Second)
	base, admin := browserServer(t, nil)
	r := servertest.Register(t, admin, "Wang Fang", "volunteer")
	phone := newTab(t, allocCtx, "respond")
	phone.do(t, "open the link", chromedp.Navigate(base+"/respond#token="+r.Token))
	phone.waitFor(t, "the socket", `document.body.dataset.connected === '1'`)

	// Three other screens of the same person: the page's socket is the
	// oldest of four and is closed.
	for range 3 {
		testkit.Dial(t, base, r.Token, "").Next("welcome")
	}
	phone.waitFor(t, "the note that another screen took over", `!!document.querySelector('.replaced button')`)
	// A page that reconnects does so within a second (its first backoff).
	time.Sleep(3 * time.Second)
	if open := phone.eval(t, `String(window.liandong.socket.open)`); open != "false" {
		t.Fatal("the page reconnected and took the socket of another screen")
	}

	phone.do(t, "use it here", chromedp.Click(chromedp.CSS(".replaced button")))
	phone.waitFor(t, "the socket again", `document.body.dataset.connected === '1'`)
	if note := phone.eval(t, `String(!!document.querySelector('.replaced'))`); note != "false" {
		t.Fatal("the note stayed after the page took the socket back")
	}
}

// TestBrowserConsoleSaysWhenZoomedOutTooFar: a box larger than the server
// allows is refused (bbox_too_large); the console says so in a quiet note,
// not an error toast at every pan, and the note goes once a box is
// accepted again.
func TestBrowserConsoleSaysWhenZoomedOutTooFar(t *testing.T) {
	allocCtx := startBrowser(t, 1280, 800, 60*time.Second)
	base, _ := browserServer(t, nil) // console.max_box_km2 150,000: about the console at zoom 8
	console := openConsole(t, allocCtx, base)
	console.eval(t, `window.liandong.map.setView([37.46, 121.45], 6, {animate: false}), 'zoomed out to half of China'`)
	console.waitFor(t, "the zoom note", `!document.getElementById('zoomhint').hidden`)
	if toast := console.eval(t, `document.getElementById('toast').className`); toast == "show error" || toast == "error show" {
		t.Fatalf("an error toast for a refused box (%q); the note is enough", console.eval(t, `document.getElementById('toast').innerText`))
	}
	console.eval(t, `window.liandong.map.setView([37.46, 121.45], 13, {animate: false}), 'zoomed in'`)
	console.waitFor(t, "the note gone", `document.getElementById('zoomhint').hidden`)
}

// TestBrowserAxeHarnessFindsAViolation: the accessibility check fails a
// page with a serious violation (an image button without a name), so
// that its silence on the real pages means something.
func TestBrowserAxeHarnessFindsAViolation(t *testing.T) {
	allocCtx := startBrowser(t, 800, 600, 30*time.Second)
	base, _ := browserServer(t, nil)
	page := newTab(t, allocCtx, "blank")
	page.do(t, "open a page", chromedp.Navigate(base+"/healthz"))
	page.eval(t, `document.body.innerHTML = '<main><button><svg width="10" height="10"></svg></button></main>', 'broken'`)
	if serious, _ := axeViolations(t, page, "a nameless button"); len(serious) == 0 {
		t.Fatal("axe-core reported nothing serious for a button without a name")
	}
}

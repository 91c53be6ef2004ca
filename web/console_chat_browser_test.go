package web_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserConsoleWritesInTheTeamThread (issue 20, item 4): an operator
// opens a staffed need in the console and writes in its team thread; the
// member's phone shows the message as text (markup stays literal), reads
// it, and the console's receipt turns to "已读 1/1" without a reload. The
// thread and its compose box pass axe.
func TestBrowserConsoleWritesInTheTeamThread(t *testing.T) {
	allocCtx := startBrowser(t, 1280, 800, 90*time.Second)
	base, api := browserServer(t, nil)
	var responder struct{ ID, Token string }
	api.Call("POST", "/api/v1/responders", map[string]any{"name": "Wang Fang", "role": "volunteer"}, &responder)
	console := openConsole(t, allocCtx, base)

	phone := newTab(t, console.ctx, "respond")
	phone.do(t, "open the link",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(base+"/respond#token="+responder.Token))
	phone.waitFor(t, "the socket", `document.body.dataset.connected === '1'`)
	if r := api.Do("PUT", "/api/v1/responders/"+responder.ID+"/location", map[string]float64{"lat": 37.4631, "lng": 121.4481}); r.Status != 204 {
		t.Fatalf("location: %d %s", r.Status, r.Body)
	}
	waitLocated(t, api, responder.ID)

	var need struct{ ID string }
	api.Call("POST", "/api/v1/needs", map[string]any{
		"lat": 37.4630, "lng": 121.4480, "category": "welfare_check", "urgency": 2,
		"team": []map[string]any{{"role": "volunteer", "count": 1}},
	}, &need)
	phone.waitFor(t, "the offer card", `document.querySelector('.offer-card')`)
	phone.do(t, "accept", chromedp.Click(chromedp.CSS(".offer-card button.accept")))
	phone.waitFor(t, "the job card", `document.querySelector('.job-card.staffed')`)

	console.waitFor(t, "the need's row", fmt.Sprintf(`document.querySelector('.need-row[data-id=%q]')`, need.ID))
	console.do(t, "open the need", chromedp.Click(chromedp.CSS(fmt.Sprintf(`.need-row[data-id=%q]`, need.ID))))
	console.waitFor(t, "the empty thread", `!document.querySelector('#chat').hidden && document.querySelector('#chat-list .muted') && !document.querySelector('#chat-list .muted').textContent.includes('…')`)
	console.waitFor(t, "a message button on the member", fmt.Sprintf(`document.querySelector('#detail [data-responder=%q] .message-member')`, responder.ID))

	markup := `<b>Gate code</b> 4711 <img src=x onerror="window.pwned=1">`
	console.do(t, "write in the thread",
		chromedp.SendKeys(chromedp.CSS("#chat-compose-text"), markup))
	if c := console.eval(t, `document.querySelector('#chat-compose-count').textContent`); !strings.Contains(c, fmt.Sprintf("%d/500", len([]rune(markup)))) {
		t.Errorf("the length shown is %q", c)
	}
	console.do(t, "send", chromedp.Click(chromedp.CSS("#chat-compose-send")))
	console.waitFor(t, "the message in the console's thread", `document.querySelector('#chat-list .chat-msg .chat-text')`)
	if got := console.eval(t, `document.querySelector('#chat-list .chat-msg .chat-text').textContent`); got != markup {
		t.Errorf("the console shows %q, want the text %q", got, markup)
	}

	phone.waitFor(t, "the message on the phone", `document.querySelector('.field .thread .msg .text')`)
	if got := phone.eval(t, `document.querySelector('.field .thread .msg .text').textContent`); got != markup {
		t.Errorf("the phone shows %q, want the text %q", got, markup)
	}
	for name, tb := range map[string]*tab{"console": console, "phone": phone} {
		if n := tb.eval(t, `String(document.querySelectorAll('#chat-list .chat-text *, .field .thread .msg .text *').length + (window.pwned ? 100 : 0))`); n != "0" {
			t.Errorf("%s: the message became markup (%s)", name, n)
		}
	}
	// The phone marks what it showed read; the console's receipt follows.
	console.waitFor(t, "the receipt read 1/1", `['Read 1/1', '已读 1/1'].includes(document.querySelector('#chat-list .chat-receipt')?.textContent)`)
	if title := console.eval(t, `document.querySelector('#chat-list .chat-receipt').title`); title != "Wang Fang" {
		t.Errorf("the receipt names %q, want the reader", title)
	}
	checkAccessible(t, console, "the console with the team thread")

	// A word to the member alone from the team table.
	console.do(t, "message the member", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#detail [data-responder=%q] .message-member`, responder.ID))))
	console.waitFor(t, "the direct box", `document.querySelector('#chat-direct-compose-text')`)
	console.do(t, "write to the member alone",
		chromedp.SendKeys(chromedp.CSS("#chat-direct-compose-text"), "Please call the centre"),
		chromedp.Click(chromedp.CSS("#chat-direct-compose-send")))
	console.waitFor(t, "the direct box closed", `document.querySelector('#chat-direct').hidden`)

	// A message to everyone in a drawn area: one other volunteer stands
	// available inside; the preview counts them, the send reaches them.
	var other struct{ ID, Token string }
	api.Call("POST", "/api/v1/responders", map[string]any{"name": "Li Lei", "role": "volunteer"}, &other)
	if r := api.Do("PUT", "/api/v1/responders/"+other.ID+"/location", map[string]float64{"lat": 37.4629, "lng": 121.4479}); r.Status != 204 {
		t.Fatalf("location: %d %s", r.Status, r.Body)
	}
	waitLocated(t, api, other.ID)
	console.eval(t, `(liandong.map.setView([37.4630, 121.4480], 16, { animate: false }), 'centred')`)
	var box struct{ X, Y, W, H float64 }
	if err := json.Unmarshal([]byte(console.eval(t, `JSON.stringify((() => { const r = document.querySelector('#map').getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; })())`)), &box); err != nil {
		t.Fatal(err)
	}
	cx, cy := box.X+box.W/2, box.Y+box.H/2
	console.do(t, "draw the area",
		chromedp.Click(chromedp.CSS("#tool-area")),
		chromedp.MouseClickXY(cx-150, cy-150), chromedp.MouseClickXY(cx+150, cy-150),
		chromedp.MouseClickXY(cx+150, cy+150), chromedp.MouseClickXY(cx-150, cy+150))
	console.do(t, "finish", chromedp.Click(chromedp.CSS("#area-panel button")))
	console.waitFor(t, "the message choice", `document.querySelector('#area-message')`)
	console.do(t, "choose a message", chromedp.Click(chromedp.CSS("#area-message")))
	console.waitFor(t, "the broadcast form", `document.querySelector('#broadcast-compose-text')`)
	console.do(t, "count", chromedp.Click(chromedp.CSS("#broadcast-count")))
	console.waitFor(t, "the preview", `/\b1\b/.test(document.querySelector('#broadcast-preview').textContent)`)
	console.do(t, "write and send",
		chromedp.SendKeys(chromedp.CSS("#broadcast-compose-text"), "Shelter at No. 2 school"),
		chromedp.Click(chromedp.CSS("#broadcast-compose-send")))
	console.waitFor(t, "the area panel closed", `document.querySelector('#area-panel').hidden`)
	var audit struct {
		Entries []struct{ Action, Target string } `json:"entries"`
	}
	api.Call("GET", "/api/v1/audit", nil, &audit)
	sent := false
	for _, e := range audit.Entries {
		sent = sent || (e.Action == "message.broadcast" && strings.HasSuffix(e.Target, " to 1"))
	}
	if !sent {
		t.Errorf("no broadcast to one person in the audit log: %+v", audit.Entries)
	}

	if errs := console.errors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
	if errs := phone.errors(); len(errs) > 0 {
		t.Errorf("phone errors: %v", errs)
	}
}

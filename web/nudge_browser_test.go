package web_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/liandong/liandong/internal/server/servertest"
	"github.com/liandong/liandong/internal/testkit"
)

// TestBrowserSurgeNudgeGoesOnDuty plays a surge drill on the real server
// and page: a volunteer off duty who opted in has their page open; an
// urgency-1 need near them has nobody in reach, so its cell is in surge
// and the page shows a nudge card (urgency 1: at night too). "Go on duty"
// sets them available, the matcher offers them the place, and the cell
// leaves the surge. The console's heatmap outlines the cell meanwhile.
func TestBrowserSurgeNudgeGoesOnDuty(t *testing.T) {
	allocCtx := startBrowser(t, 412, 860, 90*time.Second)
	base, admin := browserServer(t, nil)
	r := servertest.Register(t, admin, "Wang Fang", "volunteer")
	self := testkit.Client{T: t, Base: base, Token: r.Token}
	self.Call("PUT", "/api/v1/responders/"+r.ID+"/location", map[string]float64{"lat": 37.4631, "lng": 121.4481}, nil)
	self.Call("PUT", "/api/v1/responders/"+r.ID+"/status", map[string]string{"status": "off_duty"}, nil)
	self.Call("PUT", "/api/v1/responders/"+r.ID+"/standby", map[string]bool{"opt_in": true}, nil)
	phone := newTab(t, allocCtx, "respond")
	speak(t, phone, "en")
	phone.do(t, "open the link", chromedp.Navigate(base+"/respond#token="+r.Token))
	phone.waitFor(t, "the socket, off duty", `document.body.dataset.connected === '1' && document.body.dataset.duty === 'off_duty'`)

	admin.Call("POST", "/api/v1/needs", map[string]any{"lat": 37.4630, "lng": 121.4480, "category": "welfare_check", "urgency": 1,
		"team": []map[string]any{{"role": "volunteer", "count": 1}}}, nil)
	phone.waitFor(t, "the nudge card", `document.querySelector('.nudge-card')`)
	if got := phone.eval(t, `document.querySelector('.nudge-card h2').textContent`); got != "1 person near you needs help" {
		t.Errorf("nudge title %q", got)
	}
	checkAccessible(t, phone, "the responder page with a nudge card")
	var surge struct {
		Cells []struct {
			NudgesSent int `json:"nudges_sent"`
		} `json:"cells"`
	}
	admin.Call("GET", "/api/v1/surge", nil, &surge)
	if len(surge.Cells) != 1 || surge.Cells[0].NudgesSent != 1 {
		t.Fatalf("surge while the card shows: %+v", surge)
	}

	console := openConsole(t, phone.ctx, base)
	console.waitFor(t, "the surge cell outlined on the heatmap", `document.querySelector('path.heat-surge')`)

	phone.do(t, "go on duty", chromedp.Click(chromedp.CSS(".nudge-card button.nudge-go")))
	phone.waitFor(t, "on duty and offered the place", `document.body.dataset.duty === 'available' && document.querySelector('.offer-card')`)
	testkit.WaitFor(t, "the cell leaves the surge", 10*time.Second, func() bool {
		admin.Call("GET", "/api/v1/surge", nil, &surge)
		return len(surge.Cells) == 0
	})
	if errs := phone.errors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}

package web_test

import (
	"context"
	"math"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/liandong/liandong/internal/server"
	"github.com/liandong/liandong/internal/server/servertest"
	"github.com/liandong/liandong/internal/testkit"
	"github.com/liandong/liandong/mobilize/reach/sms"
)

// inbox is the SMS provider of the browser test: the code is read from it
// as the resident reads their phone.
type inbox struct {
	mu   sync.Mutex
	sent []sms.Message
}

func (b *inbox) Send(_ context.Context, m sms.Message) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sent = append(b.sent, m)
	return nil
}

func (b *inbox) code(to string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := len(b.sent) - 1; i >= 0; i-- {
		if b.sent[i].To == to {
			return regexp.MustCompile(`^[0-9]{6}`).FindString(b.sent[i].Text)
		}
	}
	return ""
}

// TestBrowserResidentAsksForHelp: on a small phone in Chinese, a resident
// picks a category and describes the need, uses their location (the
// browser's, faked), types their phone and the texted code, and gets the
// link; the link's page says the request waits for review, and after a
// reviewer approves it, that it is being arranged. Every step passes axe.
func TestBrowserResidentAsksForHelp(t *testing.T) {
	allocCtx := startBrowser(t, 360, 740, 120*time.Second)
	cfg := server.Default()
	cfg.Auth.AdminPassword = browserAdminPassword
	cfg.Log.Level = "warn"
	box := &inbox{}
	m := servertest.Run(t, cfg, server.Hooks{Texter: box})
	base := "http://" + m.Addr()
	var login struct{ Token string }
	testkit.Client{T: t, Base: base}.Call("POST", "/api/v1/auth/login", map[string]string{"username": "admin", "password": browserAdminPassword}, &login)
	admin := testkit.Client{T: t, Base: base, Token: login.Token}

	page := newTab(t, allocCtx, "request")
	speak(t, page, "zh-CN")
	lat, lng, acc := 37.5012, 121.4021, 20.0
	if _, err := chromedp.CallBrowser(page.ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: "geolocation"}, Setting: browser.PermissionSettingGranted, Origin: base,
	}); err != nil {
		t.Fatalf("grant geolocation: %v", err)
	}
	if _, err := chromedp.Call(page.ctx, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{
		Latitude: &lat, Longitude: &lng, Accuracy: &acc,
	}); err != nil {
		t.Fatalf("geolocation override: %v", err)
	}
	page.do(t, "open the page",
		chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile),
		chromedp.Navigate(base+"/request"))
	page.waitFor(t, "the categories in Chinese", `document.querySelectorAll('.cat').length === 10 && document.querySelector('[data-category=medicine_delivery]').textContent.includes('送药')`)
	if size := page.eval(t, `getComputedStyle(document.body).fontSize`); size != "20px" {
		t.Errorf("base type is %s, want 20px", size)
	}
	checkAccessible(t, page, "request step 1")
	page.screenshot(t, filepath.Join(artifactDir(t), "request-zh.png"))

	// Next without a category: the page says what is missing, in place.
	page.do(t, "next too early", chromedp.Click(chromedp.CSS("#next")))
	page.waitFor(t, "what is missing", `document.querySelector('#problem').textContent === '请选择一项'`)
	page.do(t, "what",
		chromedp.Click(chromedp.CSS("[data-category=medicine_delivery]")),
		chromedp.SendKeys(chromedp.CSS("#description"), "老伴的降压药吃完了，我腿脚不便"),
		chromedp.Click(chromedp.CSS("#next")))
	page.waitFor(t, "step 2", `document.querySelector('#locate') !== null`)
	// The offline basemap draws without a tile server; a tap chooses a place.
	page.waitFor(t, "the map", `document.querySelector('#map.leaflet-container') !== null`)
	page.do(t, "tap the map", chromedp.Click(chromedp.CSS("#map")))
	page.waitFor(t, "a place chosen on the map", `document.querySelector('#place-note').textContent === '已在地图上选定位置。'`)
	page.do(t, "use my location", chromedp.Click(chromedp.CSS("#locate")))
	page.waitFor(t, "located", `document.querySelector('#place-note').textContent === '已定位。'`)
	page.do(t, "address", chromedp.SendKeys(chromedp.CSS("#address"), "幸福街 3 号 2 单元 401"))
	checkAccessible(t, page, "request step 2")
	page.do(t, "to the phone", chromedp.Click(chromedp.CSS("#next")))
	page.waitFor(t, "step 3", `document.querySelector('#phone') !== null`)
	page.do(t, "ask the code",
		chromedp.SendKeys(chromedp.CSS("#phone"), "139 0535 1234"),
		chromedp.Click(chromedp.CSS("#send-code")))
	page.waitFor(t, "the code sent", `document.body.innerText.includes('验证码已发送')`)
	code := box.code("+8613905351234")
	if code == "" {
		t.Fatal("no code was texted")
	}
	checkAccessible(t, page, "request step 3")
	page.do(t, "the code", chromedp.SendKeys(chromedp.CSS("#code"), code), chromedp.Click(chromedp.CSS("#submit")))
	page.waitFor(t, "the link to keep", `document.querySelector('#status-link') !== null`)
	link := page.eval(t, `document.querySelector('#status-link').getAttribute('href')`)
	if !regexp.MustCompile(`^/request/s/[0-9a-f]{32}$`).MatchString(link) {
		t.Fatalf("status link %q", link)
	}
	checkAccessible(t, page, "request done")

	page.do(t, "open the link", chromedp.Navigate(base+link))
	page.waitFor(t, "waiting for review", `document.querySelector('.status')?.textContent === '已提交，待审核'`)
	checkAccessible(t, page, "request status")
	page.screenshot(t, filepath.Join(artifactDir(t), "request-status-zh.png"))

	var needs struct{ Needs []struct{ ID, Status string } }
	admin.Call("GET", "/api/v1/needs?status=pending_review", nil, &needs)
	if len(needs.Needs) != 1 {
		t.Fatalf("pending needs: %+v", needs)
	}
	var need struct {
		Lat, Lng       float64
		RequesterPhone string `json:"requester_phone"`
		Category       string
	}
	admin.Call("GET", "/api/v1/needs/"+needs.Needs[0].ID, nil, &need)
	if math.Abs(need.Lat-lat) > 1e-5 || math.Abs(need.Lng-lng) > 1e-5 || need.RequesterPhone != "+8613905351234" || need.Category != "medicine_delivery" {
		t.Fatalf("the need filed: %+v; want the phone's location %v,%v", need, lat, lng)
	}
	admin.Do("POST", "/api/v1/needs/"+needs.Needs[0].ID+"/approve", map[string]int{"urgency": 2}).Want(t, 200)
	page.do(t, "reload", chromedp.Reload())
	page.waitFor(t, "being arranged", `document.querySelector('.status')?.textContent === '已受理，正在安排'`)
	if h := page.eval(t, `document.querySelector('.history').innerText`); !strings.Contains(h, "已提交，待审核") || !strings.Contains(h, "已受理，正在安排") {
		t.Errorf("history reads %q", h)
	}
	page.do(t, "switch to English", chromedp.Click(chromedp.CSS("button[data-lang=en]")))
	page.waitFor(t, "the status in English", `document.querySelector('.status')?.textContent === 'Accepted, finding helpers' && document.documentElement.lang === 'en'`)
	checkAccessible(t, page, "request status in English")
	if errs := page.errors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}

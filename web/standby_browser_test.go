package web_test

import (
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/liandong/liandong/internal/server"
	"github.com/liandong/liandong/internal/server/servertest"
	"github.com/liandong/liandong/internal/testkit"
)

// TestBrowserStandbyShowsOnTheResponderPage: a typhoon warning (CAP 1.2,
// Actual, Severe) over a volunteer whose page is open pre-alerts them, and
// the page shows the standby with the warning's headline: before, the
// page dropped the `standby` message unread.
func TestBrowserStandbyShowsOnTheResponderPage(t *testing.T) {
	allocCtx := startBrowser(t, 412, 860, 90*time.Second)
	base, admin := browserServer(t, func(c *server.Config) { c.CAP.PreAlert = true })
	r := servertest.Register(t, admin, "王芳", "volunteer")
	self := testkit.Client{T: t, Base: base, Token: r.Token}
	self.Call("PUT", "/api/v1/responders/"+r.ID+"/location", map[string]float64{"lat": 37.46, "lng": 121.45}, nil)
	phone := newTab(t, allocCtx, "respond")
	speak(t, phone, "zh-CN")
	phone.do(t, "open the link", chromedp.Navigate(base+"/respond#token="+r.Token))
	phone.waitFor(t, "the socket", `document.body.dataset.connected === '1'`)

	raw, err := os.ReadFile("../mobilize/cap/testdata/typhoon-actual.xml")
	if err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(6 * time.Hour).In(time.FixedZone("CST", 8*3600)).Format(time.RFC3339)
	alert := strings.Replace(string(raw), "<expires>2026-09-15T20:00:00+08:00</expires>", "<expires>"+later+"</expires>", 1)
	req, _ := http.NewRequest("POST", base+"/api/v1/cap", strings.NewReader(alert))
	req.Header.Set("Content-Type", "application/cap+xml; charset=utf-8")
	req.Header.Set("Authorization", "Bearer "+admin.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"pre_alerted":1`) {
		t.Fatalf("CAP alert: %d %s; want one responder pre-alerted", res.StatusCode, body)
	}

	phone.waitFor(t, "the standby card", `document.querySelector('.alert-card[data-alert-id^="standby-"]')`)
	got := phone.eval(t, `document.querySelector('.alert-card[data-alert-id^="standby-"]').innerText`)
	for _, want := range []string{"预警待命", "烟台市气象台发布台风橙色预警信号", "有效至"} {
		if !strings.Contains(got, want) {
			t.Errorf("standby card %q: want %q in it", got, want)
		}
	}
	checkAccessible(t, phone, "the responder page with a standby")
	if errs := phone.errors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}

package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/liandong/liandong/internal/testkit"
)

// serverPageLabels are key labels of the pages the server renders, by
// language: a page in one shows its own and none of the other's.
var serverPageLabels = map[string]map[string][]string{
	"feedback": {
		"zh-CN": {"请为您得到的帮助打分。", "留言（可选）", "提交", "此链接只能使用一次。", "English"},
		"en":    {"How was the help you received?", "Comment (optional)", "Send", "This link works once.", "中文"},
	},
	"record": {
		"zh-CN": {"志愿服务记录", "完成时间", "需求类别", "总时长", "评分"},
		"en":    {"Service record", "Completed", "Need category", "Total", "Rating"},
	},
}

// completed is a need a volunteer accepted and completed.
type completed struct {
	FeedbackURL, NeedID, ResponderID, Token string
}

// completedNeed has a volunteer accept and complete a need over the API
// and returns the need's feedback link and the volunteer's id and token.
func completedNeed(t *testing.T, base string, admin testkit.Client) completed {
	t.Helper()
	var r struct{ ID, Token string }
	admin.Call("POST", "/api/v1/responders", map[string]any{"name": "Wang Fang", "role": "volunteer", "org_id": "yantai-red-cross"}, &r)
	phone := testkit.Client{T: t, Base: base, Token: r.Token}
	phone.Call("PUT", "/api/v1/responders/"+r.ID+"/location", map[string]float64{"lat": 37.4631, "lng": 121.4481}, nil)
	var need struct{ ID string }
	admin.Call("POST", "/api/v1/needs", map[string]any{"lat": 37.4630, "lng": 121.4480, "category": "medicine_delivery", "urgency": 2,
		"org_id": "zhifu-community", "description": "insulin for Mr Zhao", "team": []map[string]any{{"role": "volunteer", "count": 1}}}, &need)
	var offers struct {
		Offers []struct {
			OfferID string `json:"offer_id"`
		}
	}
	testkit.WaitFor(t, "an offer", 10*time.Second, func() bool {
		phone.Call("GET", "/api/v1/responders/"+r.ID+"/offers", nil, &offers)
		return len(offers.Offers) > 0
	})
	phone.Call("POST", "/api/v1/offers/"+offers.Offers[0].OfferID+"/accept", map[string]any{}, nil)
	phone.Call("POST", "/api/v1/needs/"+need.ID+"/complete", map[string]any{}, nil)
	var done struct {
		FeedbackURL string `json:"feedback_url"`
	}
	admin.Call("GET", "/api/v1/needs/"+need.ID, nil, &done)
	if !strings.HasPrefix(done.FeedbackURL, "/feedback/") {
		t.Fatalf("no feedback link: %+v", done)
	}
	return completed{FeedbackURL: done.FeedbackURL, NeedID: need.ID, ResponderID: r.ID, Token: r.Token}
}

// withHeaders makes every request of the tab carry headers: the browser's
// languages as Accept-Language, a token for a page behind the API.
func withHeaders(t *testing.T, tb *tab, headers map[string]string) {
	t.Helper()
	h := network.Headers{}
	for k, v := range headers {
		h[k] = v
	}
	if _, err := chromedp.Call(tb.ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("%s: network: %v", tb.name, err)
	}
	if _, err := chromedp.Call(tb.ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: h}); err != nil {
		t.Fatalf("%s: headers: %v", tb.name, err)
	}
}

// pageSpeaks checks the tab's page is in lang, by <html lang> and its
// key labels.
func pageSpeaks(t *testing.T, tb *tab, page, lang string) {
	t.Helper()
	if got := tb.eval(t, `document.documentElement.lang`); got != lang {
		t.Errorf("%s: <html lang=%q>, want %q", tb.name, got, lang)
	}
	text := tb.eval(t, `document.body.innerText`)
	other := "en"
	if lang == "en" {
		other = "zh-CN"
	}
	for _, want := range serverPageLabels[page][lang] {
		if !strings.Contains(text, want) {
			t.Errorf("%s: the %s page in %s lacks %q:\n%s", tb.name, page, lang, want, text)
		}
	}
	for _, bad := range serverPageLabels[page][other] {
		if strings.Contains(text, bad) && !strings.Contains(strings.Join(serverPageLabels[page][lang], " "), bad) {
			t.Errorf("%s: the %s page in %s shows the %s %q", tb.name, page, lang, other, bad)
		}
	}
}

// TestBrowserFeedbackAndRecordInBothLanguages renders the feedback page
// and the HTML service record as a Chinese and an English browser asks
// for them (Accept-Language), switches with the page's link, and runs
// axe-core on each: no serious or critical violation.
func TestBrowserFeedbackAndRecordInBothLanguages(t *testing.T) {
	allocCtx := startBrowser(t, 360, 640, 90*time.Second)
	base, admin := browserServer(t, nil)
	c := completedNeed(t, base, admin)
	link, responder, token := c.FeedbackURL, c.ResponderID, c.Token

	// One browser; each tab asks in its own language.
	browser := newTab(t, allocCtx, "browser")
	browser.do(t, "start", chromedp.Navigate("about:blank"))
	for _, lang := range []string{"zh-CN", "en"} {
		fb := newTab(t, browser.ctx, "feedback "+lang)
		fb.do(t, "open a tab", chromedp.Navigate("about:blank"))
		withHeaders(t, fb, map[string]string{"Accept-Language": lang + ";q=1, fr;q=0.5"})
		fb.do(t, "open the feedback page", chromedp.Navigate(base+link), chromedp.WaitVisible(chromedp.CSS("form")))
		pageSpeaks(t, fb, "feedback", lang)
		checkAccessible(t, fb, "feedback page "+lang)
		fb.screenshot(t, artifactDir(t)+"/feedback-"+lang+".png")

		rec := newTab(t, browser.ctx, "record "+lang)
		rec.do(t, "open a tab", chromedp.Navigate("about:blank"))
		withHeaders(t, rec, map[string]string{"Accept-Language": lang, "Authorization": "Bearer " + token})
		rec.do(t, "open the service record", chromedp.Navigate(base+"/api/v1/responders/"+responder+"/service-record?format=html"),
			chromedp.WaitVisible(chromedp.CSS("table")))
		pageSpeaks(t, rec, "record", lang)
		checkAccessible(t, rec, "service record "+lang)
		rec.screenshot(t, artifactDir(t)+"/service-record-"+lang+".png")
	}

	// A Chinese browser follows the link to English, and keeps it through
	// the form: the thanks come in English.
	fb := newTab(t, browser.ctx, "feedback switch")
	fb.do(t, "open a tab", chromedp.Navigate("about:blank"))
	withHeaders(t, fb, map[string]string{"Accept-Language": "zh-CN"})
	fb.do(t, "switch to English",
		chromedp.Navigate(base+link),
		chromedp.WaitVisible(chromedp.CSS("form")),
		chromedp.Click(chromedp.CSS(`header a[hreflang="en"]`)),
		chromedp.WaitVisible(chromedp.CSS("form")))
	pageSpeaks(t, fb, "feedback", "en")
	fb.do(t, "rate the help by keyboard",
		chromedp.Focus(chromedp.CSS("#s4")),
		chromedp.KeyEvent(" "),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("p.box")))
	fb.waitFor(t, "the thanks in English", `document.documentElement.lang === 'en' && document.body.innerText.includes('Thank you for your feedback.')`)
	checkAccessible(t, fb, "feedback thanks en")
	if errs := fb.errors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}

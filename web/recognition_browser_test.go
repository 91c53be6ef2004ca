package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/liandong/liandong/internal/server"
)

// TestBrowserFeedbackAndEvaluation runs the recognition pages in a real
// browser against the real server: a need is staffed and completed over
// the API, the person served rates it on the feedback page (no login, no
// script), and an evaluator sees the rating on the dashboard.
func TestBrowserFeedbackAndEvaluation(t *testing.T) {
	allocCtx := startBrowser(t, 412, 860, 60*time.Second)
	// Two tiny organisations, shown on purpose: k-anonymity off.
	base, admin := browserServer(t, func(c *server.Config) { c.Evaluation.MinGroupSize = 1 })
	admin.Call("POST", "/api/v1/users", map[string]string{"username": "eval1", "password": "evaluator-password", "role": "evaluator"}, nil)
	c := completedNeed(t, base, admin)

	// The person served: a phone-sized page, four stars, a comment, send.
	fb := newTab(t, allocCtx, "feedback")
	fb.do(t, "rate the help",
		chromedp.Navigate(base+c.FeedbackURL),
		chromedp.WaitVisible(chromedp.CSS("form")),
		chromedp.Click(chromedp.CSS("label[for=s4]")),
		chromedp.SendKeys(chromedp.CSS("#comment"), "来得很快 came quickly"),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("p.box")))
	fb.waitFor(t, "the thanks", `document.body.innerText.includes('Thank you')`)
	if page := fb.eval(t, `document.body.innerText`); strings.Contains(page, "Mr Zhao") || strings.Contains(page, "Wang Fang") {
		t.Errorf("the feedback page shows personal data: %q", page)
	}
	feedbackErrors := fb.errors()
	// The link is spent (the browser logs the 409 as an error; expected).
	fb.do(t, "open the link again", chromedp.Navigate(base+c.FeedbackURL), chromedp.WaitVisible(chromedp.CSS("p.box")))
	fb.waitFor(t, "the used notice", `document.body.innerText.includes('rated already')`)

	// The responder's page shows the service credited.
	resp := newTab(t, fb.ctx, "respond")
	speak(t, resp, "en") // the service card is read in English below
	resp.do(t, "open the responder page", chromedp.Navigate(base+"/respond#token="+c.Token))
	resp.waitFor(t, "the service card", `!document.querySelector('#service').hidden && document.querySelector('#service').innerText.includes('over 1 task')`)
	if errs := resp.errors(); len(errs) > 0 {
		t.Errorf("responder page errors: %v", errs)
	}

	// The evaluator: log in on the dashboard and read the figures.
	ev := newTab(t, fb.ctx, "evaluation")
	ev.do(t, "log in",
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(base+"/evaluation"),
		chromedp.WaitVisible(chromedp.CSS("form.login")),
		chromedp.SendKeys(chromedp.CSS("form.login input[name=username]"), "eval1"),
		chromedp.SendKeys(chromedp.CSS("form.login input[name=password]"), "evaluator-password"),
		chromedp.Click(chromedp.CSS("form.login button[type=submit]")))
	ev.waitFor(t, "the organisation table", `document.querySelectorAll('#orgs tbody tr').length === 2`)
	table := ev.eval(t, `document.querySelector('#orgs').innerText`)
	for _, want := range []string{"yantai-red-cross", "zhifu-community", "4 (1)"} {
		if !strings.Contains(table, want) {
			t.Errorf("the table lacks %q:\n%s", want, table)
		}
	}
	if hidden := ev.eval(t, `String(getComputedStyle(document.querySelector('#login')).display)`); hidden != "none" {
		t.Errorf("the login form is still shown after login (display %s)", hidden)
	}
	cards := ev.eval(t, `document.querySelector('#overall').innerText`)
	if !strings.Contains(cards, "4 / 5") || !strings.Contains(cards, "100%") {
		t.Errorf("overall cards:\n%s", cards)
	}
	if n := ev.eval(t, `String(document.querySelectorAll('svg rect').length)`); n == "0" {
		t.Error("no chart bars drawn")
	}
	page := ev.eval(t, `document.body.innerText`)
	for _, private := range []string{"Wang Fang", "Mr Zhao", c.ResponderID, c.NeedID, "came quickly"} {
		if strings.Contains(page, private) {
			t.Errorf("the dashboard shows %q", private)
		}
	}
	if errs := append(feedbackErrors, ev.errors()...); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
	ev.screenshot(t, artifactDir(t)+"/evaluation.png")
}

package web_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/liandong/liandong/internal/server"
	"github.com/liandong/liandong/internal/server/servertest"
	"github.com/liandong/liandong/internal/testkit"
)

// browserCodes are the phone codes of the browser test: a code is "sent"
// by remembering it.
type browserCodes struct {
	mu    sync.Mutex
	codes map[string][2]string // ticket -> phone, code
}

func (b *browserCodes) SendCode(ctx context.Context, phone, purpose string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.codes == nil {
		b.codes = map[string][2]string{}
	}
	ticket := fmt.Sprintf("t%d", len(b.codes)+1)
	b.codes[ticket] = [2]string{"+86" + strings.ReplaceAll(phone, " ", ""), fmt.Sprintf("%06d", 424240+len(b.codes))}
	return ticket, nil
}

func (b *browserCodes) ConfirmCode(ctx context.Context, ticket, code string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c, ok := b.codes[ticket]; ok && c[1] == code {
		return c[0], nil
	}
	return "", fmt.Errorf("code_wrong")
}

// last is the code of the last ticket.
func (b *browserCodes) last() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.codes[fmt.Sprintf("t%d", len(b.codes))][1]
}

// TestBrowserJoinPageToPendingThenApproval: a volunteer opens an
// invitation's link on a phone in Chinese, asks for a code, fills in
// name, skills and a certificate, and reads that the application awaits
// a coordinator; the page passes axe. The admin then finds the
// application on the roster under 报名申请待审核 and approves it, and the
// responder link is shown; a new invitation shows its link and QR code.
func TestBrowserJoinPageToPendingThenApproval(t *testing.T) {
	allocCtx := startBrowser(t, 412, 860, 90*time.Second)
	codes := &browserCodes{}
	cfg := server.Default()
	cfg.Auth.AdminPassword = browserAdminPassword
	cfg.Log.Level = "warn"
	m := servertest.Run(t, cfg, server.Hooks{PhoneCodes: codes})
	base := pagesBase(t, "http://"+m.Addr())
	var login struct{ Token string }
	testkit.Client{T: t, Base: base}.Call("POST", "/api/v1/auth/login", map[string]string{"username": "admin", "password": browserAdminPassword}, &login)
	admin := testkit.Client{T: t, Base: base, Token: login.Token}
	var inv struct{ URL string }
	admin.Call("POST", "/api/v1/organisations/org-a/invitations",
		map[string]any{"expires_at": time.Now().Add(48 * time.Hour).Format(time.RFC3339), "max_uses": 5}, &inv)

	phone := newTab(t, allocCtx, "phone")
	speak(t, phone, "zh-CN")
	phone.do(t, "open the invitation", chromedp.Navigate(base+inv.URL), chromedp.WaitVisible(chromedp.CSS("#phone")))
	if lang := phone.eval(t, `document.documentElement.lang`); lang != "zh-CN" {
		t.Fatalf("page language %q", lang)
	}
	checkAccessible(t, phone, "join page, phone step")
	phone.do(t, "ask for a code",
		chromedp.SendKeys(chromedp.CSS("#phone"), "138 0000 0001"),
		chromedp.Click(chromedp.CSS("form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#code")))
	if msg := phone.eval(t, `document.querySelector('main p').textContent`); !strings.Contains(msg, "验证码已发送") {
		t.Fatalf("after asking for a code the page says %q", msg)
	}
	checkAccessible(t, phone, "join page, form step")
	phone.do(t, "fill in and send",
		chromedp.SendKeys(chromedp.CSS("#code"), codes.last()),
		chromedp.SendKeys(chromedp.CSS("#name"), "王芳"),
		chromedp.SendKeys(chromedp.CSS("#skills"), "急救、驾驶"),
		chromedp.SendKeys(chromedp.CSS("#cert1_name"), "红十字救护员证"),
		chromedp.SetValue(chromedp.CSS("#cert1_expires"), "2030-06-30"),
		chromedp.Click(chromedp.CSS("form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("p.box")))
	phone.waitFor(t, "pending", `(document.querySelector('[role=status]')||{}).textContent?.includes('等待协调员审核')`)
	checkAccessible(t, phone, "join page, pending")
	if errs := phone.errors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}

	roster := newTab(t, phone.ctx, "roster")
	speak(t, roster, "zh-CN")
	roster.do(t, "log in",
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(base+"/roster"),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.SendKeys(chromedp.CSS("#login-form input[name=username]"), "admin"),
		chromedp.SendKeys(chromedp.CSS("#login-form input[name=password]"), browserAdminPassword),
		chromedp.Click(chromedp.CSS("#login-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#search")))
	roster.do(t, "show the pending applications of org-a",
		chromedp.SetValue(chromedp.CSS("#f-status"), "pending"),
		chromedp.SendKeys(chromedp.CSS("#f-org"), "org-a"),
		chromedp.Click(chromedp.CSS("#search button[type=submit]")))
	roster.waitFor(t, "her application", `document.querySelector('#list tbody th')?.textContent === '王芳'`)
	if row := roster.eval(t, `document.querySelector('#list tbody tr').innerText`); !strings.Contains(row, "+8613800000001") || !strings.Contains(row, "红十字救护员证") {
		t.Errorf("the application reads %q", row)
	}
	roster.do(t, "approve", chromedp.Click(chromedp.CSS("#list tbody button.approve")))
	roster.waitFor(t, "the responder link", `document.querySelector('#approved-link')?.value.includes('/respond#token=')`)
	roster.waitFor(t, "nothing pending", `document.querySelectorAll('#list tbody tr').length === 0`)
	checkAccessible(t, roster, "roster with an approval")
	roster.do(t, "make a new invitation",
		chromedp.Click(chromedp.CSS("#invite-new")),
		chromedp.WaitVisible(chromedp.CSS("#invite-dialog form")),
		chromedp.Click(chromedp.CSS("#invite-dialog button[type=submit]")))
	roster.waitFor(t, "its link and QR code", `document.querySelector('#invite-link')?.value.includes('/join/') && document.querySelector('#invite-qr')?.complete && document.querySelector('#invite-qr').naturalWidth > 0`)
	checkAccessible(t, roster, "the new invitation dialog")
	if errs := roster.errors(); len(errs) > 0 {
		t.Errorf("roster page errors: %v", errs)
	}
}

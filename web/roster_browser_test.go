package web_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserRosterFindAndEdit: staff open the roster in Chinese, find
// one volunteer by part of her name, give her new skills in the form, and
// the server has them; a CSV with a bad row is checked first and its
// problem shown by line, nothing imported; the page passes axe.
func TestBrowserRosterFindAndEdit(t *testing.T) {
	allocCtx := startBrowser(t, 1280, 900, 90*time.Second)
	base, admin := browserServer(t, nil)
	var wang struct{ ID string }
	admin.Call("POST", "/api/v1/responders", map[string]any{"name": "王小红", "role": "volunteer", "skills": []string{"first_aid"}}, &wang)
	admin.Call("POST", "/api/v1/responders", map[string]any{"name": "李明", "role": "volunteer"}, nil)
	admin.Call("POST", "/api/v1/responders", map[string]any{"name": "Zhao Lei", "role": "medic"}, nil)

	roster := newTab(t, allocCtx, "roster")
	speak(t, roster, "zh-CN")
	roster.do(t, "log in",
		chromedp.Navigate(base+"/roster"),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.SendKeys(chromedp.CSS("#login-form input[name=username]"), "admin"),
		chromedp.SendKeys(chromedp.CSS("#login-form input[name=password]"), browserAdminPassword),
		chromedp.Click(chromedp.CSS("#login-form button[type=submit]")))
	roster.waitFor(t, "everyone listed", `document.querySelectorAll('#list tbody tr').length === 3`)
	roster.do(t, "search by name",
		chromedp.SendKeys(chromedp.CSS("#q"), "小红"),
		chromedp.Click(chromedp.CSS("#search button[type=submit]")))
	roster.waitFor(t, "one volunteer found", `document.querySelectorAll('#list tbody tr').length === 1 && document.querySelector('#list tbody th').textContent === '王小红'`)
	if row := roster.eval(t, `document.querySelector('#list tbody tr').innerText`); !strings.Contains(row, "志愿者") || !strings.Contains(row, "first_aid") {
		t.Errorf("the row reads %q; want her role in Chinese and her skill", row)
	}
	roster.do(t, "edit her skills",
		chromedp.Click(chromedp.CSS("#list tbody button.edit")),
		chromedp.WaitVisible(chromedp.CSS("#edit-form")),
		chromedp.SetValue(chromedp.CSS("#edit-form input[name=skills]"), "急救；水上救援"),
		chromedp.Click(chromedp.CSS("#edit-form button[type=submit]")))
	roster.waitFor(t, "saved", `document.querySelector('#edit-form .msg').textContent === '已保存。'`)
	var got struct{ Skills []string }
	admin.Call("GET", "/api/v1/responders/"+wang.ID, nil, &got)
	if !slices.Equal(got.Skills, []string{"急救", "水上救援"}) {
		t.Fatalf("the server has skills %v, want 急救 and 水上救援", got.Skills)
	}
	roster.waitFor(t, "the list shows the new skills", `document.querySelector('#list tbody td.skills').textContent === '急救、水上救援'`)

	// A file with a bad row on line 3: checked, shown, nothing imported.
	csv := filepath.Join(t.TempDir(), "roster.csv")
	if err := os.WriteFile(csv, []byte("姓名,角色,电话\n陈静,志愿者,13800000001\n周强,飞行员,13800000002\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	roster.do(t, "check a CSV", chromedp.SetUploadFiles(chromedp.CSS("#csv"), []string{csv}), chromedp.Click(chromedp.CSS("#check")))
	roster.waitFor(t, "its problem by line", `document.querySelectorAll('#import-errors li').length === 1 && document.querySelector('#import-errors li').textContent.startsWith('第 3 行 role')`)
	if roster.eval(t, `String(!!document.querySelector('#import-go'))`) != "false" {
		t.Error("the import can be confirmed although the check found a problem")
	}
	checkAccessible(t, roster, "roster in Chinese")
	if errs := roster.errors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}

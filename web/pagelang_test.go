package web

import (
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/liandong/liandong/internal/i18n"
	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// Key labels of the server-rendered pages in each language: a page in one
// language shows its own and none of the other's.
var (
	feedbackLabels = map[i18n.Lang][]string{
		i18n.ZhCN: {"请为您得到的帮助打分。", "留言（可选）", "提交", "此链接只能使用一次。", "5 星"},
		i18n.En:   {"How was the help you received?", "Comment (optional)", "Send", "This link works once.", "5 stars", "1 star"},
	}
	recordLabels = map[i18n.Lang][]string{
		i18n.ZhCN: {"志愿服务记录", "完成时间", "需求类别", "总时长 1.50 小时，共 1 次服务", "志愿者"},
		i18n.En:   {"Service record", "Completed", "Need category", "Total 1.50 h over 1 assignment", "Hours"},
	}
)

// speaks checks that a server-rendered page is in lang only, says so in
// its headers, and that caches key it on Accept-Language.
func speaks(t *testing.T, what string, status int, header map[string][]string, body string, lang i18n.Lang, labels map[i18n.Lang][]string) {
	t.Helper()
	if !strings.Contains(body, `<html lang="`+string(lang)+`">`) {
		t.Errorf("%s: not <html lang=%q>", what, lang)
	}
	if got := strings.Join(header["Content-Language"], ","); got != string(lang) {
		t.Errorf("%s: Content-Language %q, want %s", what, got, lang)
	}
	if !strings.Contains(strings.Join(header["Vary"], ","), "Accept-Language") {
		t.Errorf("%s: Vary %q lacks Accept-Language", what, header["Vary"])
	}
	for _, want := range labels[lang] {
		if !strings.Contains(body, html.EscapeString(want)) && !strings.Contains(body, want) {
			t.Errorf("%s (%d): in %s lacks %q", what, status, lang, want)
		}
	}
	for _, other := range labels[lang.Other()] {
		if strings.Contains(body, other) {
			t.Errorf("%s: in %s shows the %s %q", what, lang, lang.Other(), other)
		}
	}
}

func TestFeedbackPageFollowsTheRequestLanguage(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		e := newBackendEnv(t, b)
		f := e.fixture()
		e.completeN2(f, 90*time.Minute) // 13:30 UTC, 21:30 in Shanghai
		link := e.feedbackURLOf(f, f.N2)
		for _, tc := range []struct {
			name, query, accept string
			want                i18n.Lang
		}{
			{"no preference: the default", "", "", i18n.ZhCN},
			{"a Chinese browser", "", "zh-CN,zh;q=0.9", i18n.ZhCN},
			{"a Taiwanese browser", "", "zh-TW", i18n.ZhCN},
			{"an English browser", "", "en-US,en;q=0.9", i18n.En},
			{"q-values, not order", "", "zh;q=0.2, en;q=0.8", i18n.En},
			{"?lang= wins over the browser", "?lang=en", "zh-CN", i18n.En},
			{"?lang=zh-CN wins over the browser", "?lang=zh-CN", "en", i18n.ZhCN},
		} {
			r := e.do("GET", link+tc.query, "", nil, "Accept-Language", tc.accept).Want(t, 200)
			body := string(r.Body)
			speaks(t, tc.name, r.Status, r.Header, body, tc.want, feedbackLabels)
			// A link to the other language keeps the page.
			other := tc.want.Other()
			if !strings.Contains(body, `href="`+html.EscapeString(strings.TrimPrefix(link, "")+"?lang="+string(other))+`"`) {
				t.Errorf("%s: no link to %s: %s", tc.name, other, body)
			}
		}
		// The completion day, in the configured zone, in each language's form.
		if body := string(e.do("GET", link, "", nil).Body); !strings.Contains(body, "2026年11月28日完成") {
			t.Errorf("zh-CN: no completion day: %s", body)
		}
		if body := string(e.do("GET", link+"?lang=en", "", nil).Body); !strings.Contains(body, "completed 28 Nov 2026") {
			t.Errorf("en: no completion day: %s", body)
		}
		// Refusals speak the language too.
		forged := "/feedback/" + f.N2 + "." + strings.Repeat("A", feedbackMACLen)
		zh := e.do("GET", forged, "", nil, "Accept-Language", "zh").Want(t, 404)
		en := e.do("GET", forged, "", nil, "Accept-Language", "en").Want(t, 404)
		if !strings.Contains(string(zh.Body), "这个链接无效") || strings.Contains(string(zh.Body), "not valid") {
			t.Errorf("zh refusal: %s", zh.Body)
		}
		if !strings.Contains(string(en.Body), "This link is not valid") || strings.Contains(string(en.Body), "无效") {
			t.Errorf("en refusal: %s", en.Body)
		}
		// The form keeps the language through its post.
		r := e.do("POST", link+"?lang=en", "", "rating=5", "Content-Type", "application/x-www-form-urlencoded", "Accept-Language", "zh-CN").Want(t, 200)
		if !strings.Contains(string(r.Body), "Thank you for your feedback.") || r.Header.Get("Content-Language") != "en" {
			t.Errorf("thanks: %s %s", r.Header, r.Body)
		}
	})
}

func TestFeedbackPageDefaultLanguageAndZoneAreConfigured(t *testing.T) {
	e := newEmbeddedEnv(t, func(o *APIOptions) { o.DefaultLang, o.TimeZone = "en", "Pacific/Kiritimati" }) // UTC+14
	f := e.fixture()
	e.completeN2(f, 90*time.Minute) // 13:30 UTC: already the 29th at UTC+14
	r := e.do("GET", e.feedbackURLOf(f, f.N2), "", nil).Want(t, 200)
	speaks(t, "default en", r.Status, r.Header, string(r.Body), i18n.En, feedbackLabels)
	if !strings.Contains(string(r.Body), "completed 29 Nov 2026") {
		t.Errorf("the day is not in the configured zone: %s", r.Body)
	}
	for _, bad := range []func(*APIOptions){
		func(o *APIOptions) { o.DefaultLang = "fr" },
		func(o *APIOptions) { o.TimeZone = "Mars/Olympus" },
	} {
		o := APIOptions{Access: e.access, Service: e.svc}
		bad(&o)
		if _, err := NewAPI(t.Context(), o); err == nil {
			t.Errorf("NewAPI accepted %q / %q", o.DefaultLang, o.TimeZone)
		}
	}
}

var signedDiv = regexp.MustCompile(`<div class="sig" lang="en">([^<]*)</div>\s*<p class="sig" lang="en">([^<]*)</p>`)

func TestServiceRecordPageFollowsTheRequestLanguageAndStillVerifies(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		e := newBackendEnv(t, b)
		f := e.fixture()
		e.completeN2(f, 90*time.Minute)
		e.do("POST", "/feedback/"+e.feedbackToken(mobilize.NeedID(f.N2)), "", "rating=5", "Content-Type", "application/x-www-form-urlencoded").Want(t, 200)
		path := "/api/v1/responders/" + f.R1 + "/service-record?format=html"
		signed := map[i18n.Lang]string{}
		for _, tc := range []struct {
			query, accept string
			want          i18n.Lang
		}{{"", "", i18n.ZhCN}, {"", "en-GB", i18n.En}, {"&lang=zh-CN", "en", i18n.ZhCN}, {"&lang=en", "zh-CN", i18n.En}} {
			r := e.do("GET", path+tc.query, f.tokens[cResponder], nil, "Accept-Language", tc.accept).Want(t, 200)
			body := string(r.Body)
			speaks(t, "service record "+tc.query+" "+tc.accept, r.Status, r.Header, body, tc.want, recordLabels)
			m := signedDiv.FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("no signed JSON in %s", body)
			}
			signed[tc.want] = m[1] + "\n" + m[2]
			// The language is presentation: what is signed still verifies.
			var v verifyJSON
			e.do("POST", "/api/v1/service-records/verify", "", `{"record":`+html.UnescapeString(m[1])+`,"signature":"`+html.UnescapeString(m[2])+`"}`).Want(t, 200).Decode(t, &v)
			if !v.Valid {
				t.Errorf("%s: the signed record does not verify: %+v", tc.want, v)
			}
		}
		if signed[i18n.ZhCN] != signed[i18n.En] {
			t.Errorf("the signed content differs by language:\nzh %s\nen %s", signed[i18n.ZhCN], signed[i18n.En])
		}
		// Times in Asia/Shanghai: completed 13:30 UTC is 21:30 there.
		zh := string(e.do("GET", path, f.tokens[cResponder], nil).Body)
		en := string(e.do("GET", path+"&lang=en", f.tokens[cResponder], nil).Body)
		if !strings.Contains(zh, "2026年11月28日 21:30") || !strings.Contains(en, "28 Nov 2026 21:30") {
			t.Errorf("completion times not local:\nzh %s\nen %s", zh, en)
		}
		// The note on corrected hours shows only once hours were corrected.
		if strings.Contains(zh, "经协调员更正") {
			t.Errorf("the correction note shows with no correction")
		}
		var h hoursJSON
		e.do("GET", "/api/v1/responders/"+f.R1+"/hours", f.tokens[cResponder], nil).Want(t, 200).Decode(t, &h)
		e.do("PUT", "/api/v1/responders/"+f.R1+"/hours/"+h.Entries[0].ID, f.tokens[cCoord], map[string]any{"hours": 2, "reason": "stayed longer"}).Want(t, 200)
		if zh := string(e.do("GET", path, f.tokens[cResponder], nil).Body); !strings.Contains(zh, "经协调员更正") || !strings.Contains(zh, "2.00*") {
			t.Errorf("a correction without its note: %s", zh)
		}
	})
}

func TestIndexPageFollowsTheRequestLanguage(t *testing.T) {
	e := newEmbeddedEnv(t)
	labels := map[i18n.Lang][]string{i18n.ZhCN: {"应急动员服务", "指挥中心实时地图"}, i18n.En: {"Emergency-response mobilisation server", "live map"}}
	for accept, want := range map[string]i18n.Lang{"": i18n.ZhCN, "zh-CN": i18n.ZhCN, "en-US": i18n.En} {
		r := e.do("GET", "/", "", nil, "Accept-Language", accept).Want(t, 200)
		speaks(t, "index "+accept, r.Status, r.Header, string(r.Body), want, labels)
	}
	r := e.do("GET", "/?lang=en", "", nil, "Accept-Language", "zh-CN").Want(t, 200)
	speaks(t, "index ?lang=en", r.Status, r.Header, string(r.Body), i18n.En, labels)

	srv := NewServer(Options{Logger: e.srv.log, Store: e.srv.store, Registry: prometheus.NewRegistry(), DefaultLang: "en"})
	rec := fetch(t, srv, "/", nil)
	speaks(t, "index, default en", rec.StatusCode, rec.Header, body(t, rec), i18n.En, labels)
}

func TestPagesCarryTheDefaultLanguageAndZone(t *testing.T) {
	mux := pagesMux(t, PageOptions{DefaultLang: "en", TimeZone: "Europe/Berlin"})
	for _, p := range []string{"/console", "/respond", "/evaluation"} {
		page := body(t, fetch(t, mux, p, nil))
		if !strings.Contains(page, `data-default-lang="en" data-time-zone="Europe/Berlin"`) || !strings.Contains(page, `<html lang="en">`) {
			t.Errorf("%s does not carry the configured language and zone", p)
		}
	}
	page := body(t, fetch(t, pagesMux(t, PageOptions{}), "/console", nil))
	if !strings.Contains(page, `data-default-lang="zh-CN" data-time-zone="Asia/Shanghai"`) {
		t.Errorf("the defaults are not zh-CN, Asia/Shanghai")
	}
	for _, bad := range []PageOptions{{DefaultLang: "zh"}, {TimeZone: "Shanghai"}} {
		if _, err := newPages(bad); err == nil {
			t.Errorf("newPages accepted %+v", bad)
		}
	}
}

// TestPageTextKeysAreUsed keeps the server's catalogue free of keys no
// page says (the catalogue itself checks both languages when built).
func TestPageTextKeysAreUsed(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var src strings.Builder
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "messages.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src.Write(b)
	}
	roles := map[string]bool{}
	for _, r := range []mobilize.Role{mobilize.RoleSocialWorker, mobilize.RoleVolunteer, mobilize.RoleMedic, mobilize.RoleCommunityWorker} {
		roles[string(r)] = true
		if roleWord(i18n.ZhCN, string(r)) == string(r) {
			t.Errorf("role %s has no word", r)
		}
	}
	for _, k := range pageText.Keys() {
		if r, ok := strings.CutPrefix(k, "role."); ok {
			if !roles[r] {
				t.Errorf("%s names no role", k)
			}
			continue
		}
		if !strings.Contains(src.String(), `"`+k+`"`) {
			t.Errorf("key %s is not used by any page", k)
		}
	}
}

package web_test

// The installable responder app as the server serves it (no browser): the
// service worker with the headers a worker needs, everything it keeps for
// offline use, the manifests and their icons; and the words of its
// notifications in both languages, from the catalogues.

import (
	"bytes"
	"encoding/json"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/liandong/liandong/web"
)

func servePages(t *testing.T) *http.ServeMux {
	t.Helper()
	mux := http.NewServeMux()
	if err := web.RegisterPages(mux, web.PageOptions{}); err != nil {
		t.Fatal(err)
	}
	return mux
}

func get(t *testing.T, h http.Handler, path string) (*http.Response, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	res := rec.Result()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

// TestResponderWorkerIsServedAsAWorker: the worker's URL is stable and
// always revalidated (a new deploy must reach phones), may control
// /respond although it lives under /static/, and every URL of the shell
// it keeps is served.
func TestResponderWorkerIsServedAsAWorker(t *testing.T) {
	mux := servePages(t)
	page, html := get(t, mux, "/respond")
	csp := page.Header.Get("Content-Security-Policy")
	for _, want := range []string{"worker-src 'self'", "manifest-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("page CSP %q lacks %q", csp, want)
		}
	}
	version := regexp.MustCompile(`respond\.js\?v=(\w+)`).FindSubmatch(html)
	if version == nil || !bytes.Contains(html, []byte(`<link rel="manifest" href="/static/respond.webmanifest?v=`)) {
		t.Fatalf("the page links no manifest or no versioned script:\n%s", html)
	}
	for _, path := range []string{"/static/respond-sw.js", "/static/respond-sw.js?v=" + string(version[1])} {
		res, body := get(t, mux, path)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
			t.Fatalf("%s = %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
		}
		if got := res.Header.Get("Cache-Control"); got != "no-cache" {
			t.Errorf("%s Cache-Control = %q, want no-cache", path, got)
		}
		if got := res.Header.Get("Service-Worker-Allowed"); got != "/respond" {
			t.Errorf("%s Service-Worker-Allowed = %q", path, got)
		}
		if !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("%s CSP = %q", path, res.Header.Get("Content-Security-Policy"))
		}
		shell := regexp.MustCompile(`\["/respond"(,"/static/[^"]+")+\]`).Find(body)
		var urls []string
		if err := json.Unmarshal(shell, &urls); err != nil || len(urls) < 5 {
			t.Fatalf("the worker's shell %s: %v", shell, err)
		}
		for _, want := range []string{"/static/respond.js", "/static/respond.css", "/static/respond.webmanifest", "/static/icon-192.png"} {
			if !strings.Contains(string(shell), `"`+want+`"`) {
				t.Errorf("the shell lacks %s: %s", want, shell)
			}
		}
		for _, u := range urls {
			if r, _ := get(t, mux, u); r.StatusCode != 200 {
				t.Errorf("the shell's %s = %d", u, r.StatusCode)
			}
		}
	}
	// Other assets keep their long cache and no worker header.
	res, _ := get(t, mux, "/static/respond.js?v="+string(version[1]))
	if res.Header.Get("Service-Worker-Allowed") != "" || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("respond.js headers: %v", res.Header)
	}
}

// TestResponderManifests: one manifest a language, served as
// application/manifest+json, each naming the app in its language, with
// PNG icons of the sizes they claim.
func TestResponderManifests(t *testing.T) {
	mux := servePages(t)
	for file, want := range map[string][2]string{
		"/static/respond.webmanifest":    {"联动 · 响应者", "zh-CN"},
		"/static/respond.en.webmanifest": {"Liandong responder", "en"},
	} {
		res, body := get(t, mux, file)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/manifest+json" {
			t.Fatalf("%s = %d %s", file, res.StatusCode, res.Header.Get("Content-Type"))
		}
		var m struct {
			Name, Lang, Display, Scope string
			StartURL                   string `json:"start_url"`
			Icons                      []struct{ Src, Sizes, Type, Purpose string }
		}
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if m.Name != want[0] || m.Lang != want[1] || m.Display != "standalone" || m.Scope != "/respond" || m.StartURL != "/respond" {
			t.Errorf("%s: %+v", file, m)
		}
		for _, ic := range m.Icons {
			r, img := get(t, mux, ic.Src)
			if r.StatusCode != 200 || r.Header.Get("Content-Type") != ic.Type {
				t.Errorf("%s = %d %s, manifest says %s", ic.Src, r.StatusCode, r.Header.Get("Content-Type"), ic.Type)
				continue
			}
			if ic.Type != "image/png" {
				continue
			}
			cfg, err := png.DecodeConfig(bytes.NewReader(img))
			if err != nil {
				t.Errorf("%s: %v", ic.Src, err)
				continue
			}
			if got := strconv.Itoa(cfg.Width) + "x" + strconv.Itoa(cfg.Height); got != ic.Sizes {
				t.Errorf("%s is %s, manifest says %s", ic.Src, got, ic.Sizes)
			}
		}
	}
}

// TestResponderNotificationWords: the service worker's notification for the
// contract's pushed offer, and its follow-ups, in each language, from the
// catalogues (run in node on the worker's own module): the glossary's
// category, urgency and role, the distance, the deadline in the
// configured zone, Accept and Decline; never an address.
func TestResponderNotificationWords(t *testing.T) {
	const script = `import { build } from 'esbuild';
const res = await build({ stdin: { contents: "export * from './src/respond/notice.js';", resolveDir: '.' },
  bundle: true, write: false, format: 'esm', platform: 'neutral', logLevel: 'silent' });
const n = await import('data:text/javascript;base64,' + Buffer.from(res.outputFiles[0].text).toString('base64'));
const offer = {"type":"offer","responder_id":"r1","offer_id":"o1","need_id":"n1","category":"medicine_delivery","role":"volunteer","urgency":2,"distance_m":800,"expires_at":"2026-12-07T18:00:00Z"};
const out = {};
for (const l of ['zh', 'en']) {
  const o = n.offerNotice(offer, l, 'Asia/Shanghai');
  const far = n.offerNotice({ ...offer, urgency: 4, distance_m: 12345, category: 'sandbags' }, l, 'Asia/Shanghai');
  out[l === 'zh' ? 'zh-CN' : 'en'] = [o.title, o.options.body, o.options.tag, o.options.requireInteraction, o.options.renotify,
    o.options.actions.map((a) => a.action + ':' + a.title).join(','), far.title, far.options.body, far.options.requireInteraction,
    ...['accepted', 'closed', 'not_sent'].map((k) => { const a = n.answerNotice(offer, k, l); return a.title + ' / ' + a.options.body; })].join(' | ');
}
console.log(JSON.stringify(out));`
	checkWordsByLanguage(t, script, map[string]string{
		"zh-CN": "新的求助: 送药 | 紧急 · 志愿者 · 约 800 米 · 请在 02:00 前答复 | o1 | true | true | accept:接受,decline:拒绝 | " +
			"新的求助: sandbags | 常规 · 志愿者 · 约 12 公里 · 请在 02:00 前答复 | false | " +
			"已接受：送药 / 请打开应用查看地址和详情。 | 此求助已结束：送药 / 它已过期、已撤回或人员已满，您的答复没有被记录。 | 未发出：送药 / 无法连接服务器。请打开应用再试。",
		"en": "New request: Medicine delivery | Urgent · as Volunteer · about 800 m away · answer by 02:00 | o1 | true | true | accept:Accept,decline:Decline | " +
			"New request: sandbags | Routine · as Volunteer · about 12 km away · answer by 02:00 | false | " +
			"Accepted: Medicine delivery / Open the app for the address and details. | This request is closed: Medicine delivery / It expired, was withdrawn or is already filled; your answer was not recorded. | " +
			"Not sent: Medicine delivery / The server could not be reached. Open the app to try again.",
	})
}

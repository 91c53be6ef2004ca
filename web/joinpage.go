package web

import (
	"html/template"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/liandong/liandong/internal/i18n"
)

// The join page, /join/{token}: server-rendered like the feedback page,
// no script, large type, one language at a time (?lang=, else
// Accept-Language, else ui.default_lang). Two ordinary forms posted to
// itself: the phone (a code is texted to it), then the code with the
// volunteer's name, skills and certificates. It calls what the JSON
// routes call, so the two doors refuse alike.

// joinPageRoutes are the page's patterns, for the OpenAPI document.
var joinPageRoutes = []string{"GET /join/{token}", "POST /join/{token}"}

func (g *joinGroup) mountJoinPage(s *Server) {
	for _, p := range joinPageRoutes {
		s.handle(p, http.HandlerFunc(g.serveJoinPage))
	}
}

// joinCertRows is how many certificates the page asks for.
const joinCertRows = 2

type joinPageData struct {
	Lang      i18n.Lang
	OtherLang i18n.Lang
	OtherURL  string
	State     string // phone, form, pending, problem
	Message   string
	Phone     string
	Ticket    string
	Name      string
	Skills    string
	Certs     []joinCertification
	ReachLang string
}

// T says a key of the join catalogue in the page's language.
func (d joinPageData) T(key string, params ...any) string { return joinText.T(d.Lang, key, params...) }

// joinPageMessage is the page's word for a refusal's code.
var joinPageMessage = map[string]string{
	"invitation_expired":   "join.expired",
	"invitation_exhausted": "join.exhausted",
	"invitation_revoked":   "join.revoked",
	"invitation_unknown":   "join.unknown",
	"code_wrong":           "join.code_wrong",
	"code_expired":         "join.code_expired",
	"too_many_codes":       "join.too_many",
	"rate_limited":         "join.too_many",
}

// splitSkills reads the skills field: names separated by commas (either
// width), the Chinese enumeration comma, semicolons or new lines.
func splitSkills(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(",，、;；\n\r", r) }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func (g *joinGroup) serveJoinPage(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer") // the path is the capability
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "text/html; charset=utf-8")
	lang := g.lang.pick(w, r)
	render := func(status int, d joinPageData) {
		d.Lang, d.OtherLang, d.OtherURL = lang, lang.Other(), langLink(r, lang.Other())
		d.ReachLang = ReachLang(string(lang))
		for len(d.Certs) < joinCertRows {
			d.Certs = append(d.Certs, joinCertification{})
		}
		w.WriteHeader(status)
		joinPage.Execute(w, d)
	}
	// refused re-renders state with the refusal's words; a refusal of the
	// invitation itself leaves nothing to fill in.
	refused := func(err error, d joinPageData) {
		status, code := ErrorStatusCode(err)
		key, known := joinPageMessage[code]
		switch {
		case status >= 500:
			g.log.Error("join page failed", zap.Error(err))
			key = "join.failed"
		case !known:
			key = "join.bad_input"
		}
		if g.codes == nil {
			key = "join.off"
		}
		if strings.HasPrefix(code, "invitation_") || g.codes == nil {
			d.State = "problem"
		}
		if code == "code_expired" {
			d.State, d.Ticket = "phone", ""
		}
		d.Message = joinText.T(lang, key)
		render(status, d)
	}
	token := r.PathValue("token")
	if r.Method != http.MethodPost {
		if err := g.joinable(r.Context(), r, token); err != nil {
			refused(err, joinPageData{})
			return
		}
		render(http.StatusOK, joinPageData{State: "phone"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		refused(invalid("form too large or malformed"), joinPageData{State: "phone"})
		return
	}
	f := r.PostForm
	d := joinPageData{Phone: f.Get("phone"), Ticket: f.Get("ticket"), Name: f.Get("name"), Skills: f.Get("skills")}
	if f.Get("step") != "join" {
		ticket, err := g.sendCode(r.Context(), r, token, d.Phone)
		if err != nil {
			d.State = "phone"
			refused(err, d)
			return
		}
		d.State, d.Ticket = "form", ticket
		render(http.StatusOK, d)
		return
	}
	req := joinRequest{Ticket: d.Ticket, Code: strings.TrimSpace(f.Get("code")), Name: d.Name, Skills: splitSkills(d.Skills), Lang: f.Get("lang")}
	for i := range joinCertRows {
		c := joinCertification{Name: strings.TrimSpace(f.Get(certField("name", i))), Expires: f.Get(certField("expires", i))}
		d.Certs = append(d.Certs, c)
		if c.Name != "" || c.Expires != "" {
			req.Certifications = append(req.Certifications, c)
		}
	}
	if _, err := g.join(r.Context(), r, token, req); err != nil {
		d.State = "form"
		refused(err, d)
		return
	}
	render(http.StatusAccepted, joinPageData{State: "pending"})
}

func certField(what string, i int) string { return "cert" + string(rune('1'+i)) + "_" + what }

var joinPage = template.Must(template.New("join").Funcs(template.FuncMap{"certField": certField, "inc": func(i int) int { return i + 1 }}).Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.T "join.title"}} — {{.T "brand"}}</title>
<style>
body{font-family:system-ui,-apple-system,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC",sans-serif;font-size:1.2rem;max-width:32rem;margin:0 auto;padding:1rem;line-height:1.6;color:#1d2733}
header{display:flex;justify-content:space-between;align-items:baseline;gap:1rem}
header a{color:#1f5a96;display:inline-block;min-height:44px;min-width:44px;line-height:44px;text-align:center}
h1{font-size:1.5rem;margin:.5rem 0 1rem}
label{display:block;margin-top:1rem;font-weight:600}
input{width:100%;box-sizing:border-box;min-height:48px;font:inherit;padding:.5rem;border:2px solid #4a5562;border-radius:.4rem}
fieldset{border:1px solid #c4ccd6;border-radius:.4rem;margin-top:1rem;padding:.5rem 1rem 1rem}
legend{font-weight:600}
input:focus-visible,button:focus-visible,a:focus-visible{outline:3px solid #1f5a96;outline-offset:2px}
button{margin-top:1.5rem;width:100%;min-height:52px;padding:.8rem;font:inherit;font-size:1.3rem;background:#1f5a96;color:#fff;border:0;border-radius:.4rem}
.muted{color:#4a5562;font-size:1rem}
.box{padding:1rem;border-radius:.4rem;background:#f1f4f8}
.alert{padding:1rem;border-radius:.4rem;background:#fdecea;color:#7a1c12}
</style></head><body>
<header><h1>{{.T "join.title"}}</h1><a href="{{.OtherURL}}" lang="{{.OtherLang}}" hreflang="{{.OtherLang}}">{{.T "lang.other"}}</a></header>
<main>
{{if and .Message (ne .State "problem")}}<p class="alert" role="alert">{{.Message}}</p>{{end}}
{{if eq .State "phone"}}
<p>{{.T "join.intro"}}</p>
<form method="post">
<input type="hidden" name="step" value="code">
<label for="phone">{{.T "join.phone"}}</label>
<input id="phone" name="phone" type="tel" inputmode="tel" autocomplete="tel" required maxlength="40" value="{{.Phone}}">
<button type="submit">{{.T "join.send_code"}}</button>
</form>
{{else if eq .State "form"}}
<p>{{.T "join.code_sent" "phone" .Phone}}</p>
<form method="post">
<input type="hidden" name="step" value="join">
<input type="hidden" name="ticket" value="{{.Ticket}}">
<input type="hidden" name="phone" value="{{.Phone}}">
<input type="hidden" name="lang" value="{{.ReachLang}}">
<label for="code">{{.T "join.code"}}</label>
<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required maxlength="16">
<label for="name">{{.T "join.name"}}</label>
<input id="name" name="name" autocomplete="name" required maxlength="200" value="{{.Name}}">
<label for="skills">{{.T "join.skills"}}</label>
<input id="skills" name="skills" maxlength="2000" value="{{.Skills}}" aria-describedby="skills-hint">
<p class="muted" id="skills-hint">{{.T "join.skills_hint"}}</p>
{{range $i, $c := .Certs}}
<fieldset><legend>{{$.T "join.cert" "n" (inc $i)}}</legend>
<label for="{{certField "name" $i}}">{{$.T "join.cert_name"}}</label>
<input id="{{certField "name" $i}}" name="{{certField "name" $i}}" maxlength="64" value="{{$c.Name}}">
<label for="{{certField "expires" $i}}">{{$.T "join.cert_expires"}}</label>
<input id="{{certField "expires" $i}}" name="{{certField "expires" $i}}" type="date" value="{{$c.Expires}}">
</fieldset>
{{end}}
<button type="submit">{{.T "join.submit"}}</button>
</form>
{{else if eq .State "pending"}}
<p class="box" role="status">{{.T "join.pending"}}</p>
{{else}}
<p class="alert" role="alert">{{.Message}}</p>
{{end}}
</main>
</body></html>
`))

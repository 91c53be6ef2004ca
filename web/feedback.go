package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/liandong/liandong/internal/i18n"
	"github.com/liandong/liandong/mobilize"
)

// Feedback links (评单). A completed need has one link, for the person
// served or the community worker rating on their behalf, with no login:
//
//	/feedback/<need id>.<mac>
//
// where mac is an HMAC-SHA256 of the need id under a key derived from the
// token key. Nothing about the link is stored: the server recomputes it
// to show it to staff (feedback_url on GET need) and to check it. It works
// from the need's completion for RecognitionOptions.FeedbackTTL, and only
// until a rating is stored (the feedback script refuses a second one
// atomically). The link names one need and can do one thing, rate it: it
// is not a bearer token and no other endpoint accepts it.

// feedbackMACLen is the length of the mac part: 32 bytes, base64url.
const feedbackMACLen = 43

// feedbackLinks makes and checks the links: the needs group shows a
// completed need's link, the recognition group takes ratings through it.
type feedbackLinks struct {
	key       []byte // derived from the token key
	publicURL string // the start of feedback_url; empty: a path
}

func newFeedbackLinks(tokenKey []byte, publicURL string) feedbackLinks {
	m := hmac.New(sha256.New, tokenKey)
	m.Write([]byte("liandong feedback link v1"))
	return feedbackLinks{key: m.Sum(nil), publicURL: publicURL}
}

func (l feedbackLinks) mac(need mobilize.NeedID) string {
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte(need))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// token is the link's secret part for a need.
func (l feedbackLinks) token(need mobilize.NeedID) string {
	return string(need) + "." + l.mac(need)
}

// url is where the person served rates the need.
func (l feedbackLinks) url(need mobilize.NeedID) string {
	return l.publicURL + "/feedback/" + l.token(need)
}

// needOf checks a token's mac and returns its need; a token that is
// malformed or forged names no need.
func (l feedbackLinks) needOf(token string) (mobilize.NeedID, bool) {
	i := strings.LastIndexByte(token, '.')
	if i <= 0 || len(token)-i-1 != feedbackMACLen || !idPattern.MatchString(token[:i]) {
		return "", false
	}
	need := mobilize.NeedID(token[:i])
	if !hmac.Equal([]byte(token[i+1:]), []byte(l.mac(need))) {
		return "", false
	}
	return need, true
}

// feedbackRequest is the body of POST /api/v1/feedback/{token}.
type feedbackRequest struct {
	Rating  *int   `json:"rating" api:"required" doc:"1 (poor) .. 5 (excellent)"`
	Comment string `json:"comment" doc:"up to 1000 characters"`
}

type feedbackJSON struct {
	Status string `json:"status" enum:"recorded"`
}

// feedbackRefusal turns a refused rating into the API's error.
func feedbackRefusal(outcome mobilize.FeedbackOutcome) error {
	switch outcome {
	case mobilize.FeedbackExpired:
		return &Error{Kind: errGone, Code: "link_expired", Message: "this feedback link has expired"}
	case mobilize.FeedbackUsed:
		return &Error{Kind: mobilize.ErrConflict, Code: "already_rated", Message: "this help has been rated already; a link works once"}
	}
	return notFound("feedback link")
}

// submitFeedback validates and stores a rating given with a link.
func (g *recognitionGroup) submitFeedback(ctx context.Context, token string, rating int, comment string) error {
	need, ok := g.links.needOf(token)
	if !ok {
		return notFound("feedback link")
	}
	f := mobilize.Feedback{Need: need, Rating: rating, Comment: strings.TrimSpace(comment)}
	if err := f.Validate(); err != nil {
		return invalid(strings.TrimPrefix(err.Error(), "feedback: "))
	}
	outcome, err := g.app.RecordFeedback(ctx, f, g.feedbackTTL)
	if err != nil {
		return err
	}
	if outcome != mobilize.FeedbackOK {
		return feedbackRefusal(outcome)
	}
	g.log.Info("feedback recorded") // no need id: the log is not the evaluation
	return nil
}

// handleFeedback is POST /api/v1/feedback/{token}.
func (g *recognitionGroup) handleFeedback(ctx context.Context, c *call) error {
	var req feedbackRequest
	if err := decodeStrict(c.body, &req); err != nil {
		return err
	}
	if req.Rating == nil {
		return invalid("rating is required")
	}
	if err := g.submitFeedback(ctx, c.r.PathValue("token"), *req.Rating, req.Comment); err != nil {
		return err
	}
	c.json(http.StatusCreated, feedbackJSON{Status: "recorded"})
	return nil
}

// The feedback page: server-rendered, no script, readable on any phone,
// in one language at a time (?lang=, else Accept-Language, else
// ui.default_lang) with a link to the other. It posts an ordinary form to
// itself, keeping ?lang=.

// feedbackPageRoutes are the page's patterns, for the OpenAPI document.
var feedbackPageRoutes = []string{"GET /feedback/{token}", "POST /feedback/{token}"}

func (g *recognitionGroup) mountFeedbackPage(s *Server) {
	s.handle(feedbackPageRoutes[0], http.HandlerFunc(g.serveFeedbackPage))
	s.handle(feedbackPageRoutes[1], http.HandlerFunc(g.serveFeedbackPage))
}

type feedbackPageData struct {
	Lang      i18n.Lang
	OtherLang i18n.Lang
	OtherURL  string
	State     string // form, thanks, problem
	Message   string
	About     string // what was done, and when
	MaxChars  int
}

// T says a key of the page's catalogue in the page's language.
func (d feedbackPageData) T(key string, params ...any) string {
	return pageText.T(d.Lang, key, params...)
}

// Stars says "n stars", the accessible name of a rating.
func (d feedbackPageData) Stars(n int) string { return pageText.N(d.Lang, "feedback.star", n) }

func (g *recognitionGroup) serveFeedbackPage(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer") // the path is the secret
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "text/html; charset=utf-8")
	lang := g.lang.pick(w, r)
	render := func(status int, d feedbackPageData) {
		d.Lang, d.OtherLang, d.OtherURL = lang, lang.Other(), langLink(r, lang.Other())
		d.MaxChars = mobilize.MaxFeedbackRunes
		w.WriteHeader(status)
		feedbackPage.Execute(w, d)
	}
	problem := func(err error) {
		status, _ := ErrorStatusCode(err)
		msg := pageText.T(lang, "feedback.invalid")
		switch {
		case status >= 500:
			g.writeErrorLog(r, err)
			msg = pageText.T(lang, "feedback.failed")
		case status == http.StatusBadRequest:
			msg = pageText.T(lang, "feedback.bad_input", "max", mobilize.MaxFeedbackRunes)
		case status == http.StatusConflict:
			msg = pageText.T(lang, "feedback.rated")
		case status == http.StatusGone:
			msg = pageText.T(lang, "feedback.expired")
		}
		render(status, feedbackPageData{State: "problem", Message: msg})
	}
	if err := g.addresses.allow(clientAddr(r)); err != nil {
		problem(err)
		return
	}
	token := r.PathValue("token")
	need, ok := g.links.needOf(token)
	if !ok {
		problem(notFound("feedback link"))
		return
	}
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		if err := r.ParseForm(); err != nil {
			problem(invalid("form too large or malformed"))
			return
		}
		rating, err := strconv.Atoi(r.PostForm.Get("rating"))
		if err != nil {
			problem(invalid("rating"))
			return
		}
		if err := g.submitFeedback(r.Context(), token, rating, r.PostForm.Get("comment")); err != nil {
			problem(err)
			return
		}
		render(http.StatusOK, feedbackPageData{State: "thanks"})
		return
	}
	st, err := g.app.FeedbackState(r.Context(), need, g.feedbackTTL)
	if err != nil {
		problem(err)
		return
	}
	if st != mobilize.FeedbackOK {
		problem(feedbackRefusal(st))
		return
	}
	n, err := g.app.Need(r.Context(), need)
	if err != nil {
		problem(err)
		return
	}
	var done time.Time
	for _, as := range n.Assignments {
		if as.State == mobilize.AssignCompleted && as.AnsweredAt.After(time.Time{}) {
			done = as.AnsweredAt
		}
	}
	about := ""
	switch {
	case n.Category != "" && !done.IsZero():
		about = pageText.T(lang, "feedback.about", "category", categoryWord(lang, n.Category), "date", i18n.FormatDate(lang, done, g.lang.zone))
	case n.Category != "":
		about = pageText.T(lang, "feedback.about_category", "category", categoryWord(lang, n.Category))
	}
	render(http.StatusOK, feedbackPageData{State: "form", About: about})
}

// writeErrorLog logs a server error of the page the way writeError does.
func (g *recognitionGroup) writeErrorLog(r *http.Request, err error) {
	g.log.Error("feedback page failed", zap.String("method", r.Method), zap.Error(err))
}

var feedbackPage = template.Must(template.New("feedback").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.T "feedback.title"}} — {{.T "brand"}}</title>
<style>
body{font-family:system-ui,-apple-system,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC",sans-serif;max-width:32rem;margin:0 auto;padding:1rem;line-height:1.5;color:#1d2733}
header{display:flex;justify-content:space-between;align-items:baseline;gap:1rem}
header a{color:#1f5a96;display:inline-block;min-height:44px;min-width:44px;line-height:44px;text-align:center}
h1{font-size:1.3rem;margin:.5rem 0 1rem}
.stars{display:flex;flex-direction:row-reverse;justify-content:flex-end;gap:.25rem;margin:.5rem 0 1rem;border:0;padding:0}
.stars input{position:absolute;opacity:0}
.stars label{font-size:2.4rem;color:#6b7480;cursor:pointer;padding:0 .1rem;min-width:44px;min-height:44px;text-align:center}
.stars input:checked~label,.stars label:hover,.stars label:hover~label{color:#a86b00}
.stars input:focus-visible+label{outline:3px solid #1f5a96;outline-offset:2px}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
textarea{width:100%;box-sizing:border-box;min-height:6rem;font:inherit;padding:.5rem}
textarea:focus-visible,button:focus-visible,a:focus-visible{outline:3px solid #1f5a96;outline-offset:2px}
button{margin-top:1rem;width:100%;min-height:44px;padding:.8rem;font:inherit;font-size:1.1rem;background:#1f5a96;color:#fff;border:0;border-radius:.4rem}
.muted{color:#4a5562;font-size:.9rem}
.box{padding:1rem;border-radius:.4rem;background:#f1f4f8}
</style></head><body>
<header><h1>{{.T "brand"}}</h1><a href="{{.OtherURL}}" lang="{{.OtherLang}}" hreflang="{{.OtherLang}}">{{.T "lang.other"}}</a></header>
<main>
{{if eq .State "form"}}
<p>{{.T "feedback.ask"}}{{if .About}}<br><span class="muted">{{.About}}</span>{{end}}</p>
<form method="post">
<fieldset class="stars"><legend class="muted">{{.T "feedback.scale"}}</legend>
<input type="radio" id="s5" name="rating" value="5" required><label for="s5"><span aria-hidden="true">★</span><span class="sr">{{.Stars 5}}</span></label>
<input type="radio" id="s4" name="rating" value="4"><label for="s4"><span aria-hidden="true">★</span><span class="sr">{{.Stars 4}}</span></label>
<input type="radio" id="s3" name="rating" value="3"><label for="s3"><span aria-hidden="true">★</span><span class="sr">{{.Stars 3}}</span></label>
<input type="radio" id="s2" name="rating" value="2"><label for="s2"><span aria-hidden="true">★</span><span class="sr">{{.Stars 2}}</span></label>
<input type="radio" id="s1" name="rating" value="1"><label for="s1"><span aria-hidden="true">★</span><span class="sr">{{.Stars 1}}</span></label>
</fieldset>
<label for="comment">{{.T "feedback.comment"}}</label>
<textarea id="comment" name="comment" maxlength="{{.MaxChars}}"></textarea>
<button type="submit">{{.T "feedback.send"}}</button>
</form>
<p class="muted">{{.T "feedback.once"}}</p>
{{else if eq .State "thanks"}}
<p class="box" role="status">{{.T "feedback.thanks"}}</p>
{{else}}
<p class="box" role="alert">{{.Message}}</p>
{{end}}
</main>
</body></html>
`))

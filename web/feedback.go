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
// in Chinese and English. It posts an ordinary form to itself.

// feedbackPageRoutes are the page's patterns, for the OpenAPI document.
var feedbackPageRoutes = []string{"GET /feedback/{token}", "POST /feedback/{token}"}

func (g *recognitionGroup) mountFeedbackPage(s *Server) {
	s.handle(feedbackPageRoutes[0], http.HandlerFunc(g.serveFeedbackPage))
	s.handle(feedbackPageRoutes[1], http.HandlerFunc(g.serveFeedbackPage))
}

type feedbackPageData struct {
	State    string // form, thanks, problem
	Message  string
	Category string
	Done     string
	MaxChars int
}

func (g *recognitionGroup) serveFeedbackPage(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer") // the path is the secret
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "text/html; charset=utf-8")
	render := func(status int, d feedbackPageData) {
		d.MaxChars = mobilize.MaxFeedbackRunes
		w.WriteHeader(status)
		feedbackPage.Execute(w, d)
	}
	problem := func(err error) {
		status, _ := ErrorStatusCode(err)
		msg := "这个链接无效 · This link is not valid."
		switch {
		case status >= 500:
			g.writeErrorLog(r, err)
			msg = "暂时无法保存，请稍后再试 · Something went wrong; please try again later."
		case status == http.StatusBadRequest:
			msg = "请选择1到5星，留言不超过1000字 · Please choose 1 to 5 stars; comments up to 1000 characters."
		case status == http.StatusConflict:
			msg = "已经评价过了，谢谢 · This help has been rated already. Thank you."
		case status == http.StatusGone:
			msg = "这个链接已过期 · This link has expired."
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
	done := ""
	for _, as := range n.Assignments {
		if as.State == mobilize.AssignCompleted && as.AnsweredAt.After(time.Time{}) {
			done = as.AnsweredAt.Format("2006-01-02")
		}
	}
	render(http.StatusOK, feedbackPageData{State: "form", Category: n.Category, Done: done})
}

// writeErrorLog logs a server error of the page the way writeError does.
func (g *recognitionGroup) writeErrorLog(r *http.Request, err error) {
	g.log.Error("feedback page failed", zap.String("method", r.Method), zap.Error(err))
}

var feedbackPage = template.Must(template.New("feedback").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>评价 · Feedback — Liandong 联动</title>
<style>
body{font-family:system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC",sans-serif;max-width:32rem;margin:0 auto;padding:1rem;line-height:1.5;color:#1d2733}
h1{font-size:1.3rem;margin:.5rem 0 1rem}
.stars{display:flex;flex-direction:row-reverse;justify-content:flex-end;gap:.25rem;margin:.5rem 0 1rem}
.stars input{position:absolute;opacity:0}
.stars label{font-size:2.4rem;color:#c7ccd3;cursor:pointer;padding:0 .1rem}
.stars input:checked~label,.stars label:hover,.stars label:hover~label{color:#f2a007}
.stars input:focus-visible+label{outline:2px solid #2b6cb0}
textarea{width:100%;box-sizing:border-box;min-height:6rem;font:inherit;padding:.5rem}
button{margin-top:1rem;width:100%;padding:.8rem;font:inherit;font-size:1.1rem;background:#2b6cb0;color:#fff;border:0;border-radius:.4rem}
.muted{color:#5b6776;font-size:.9rem}
.box{padding:1rem;border-radius:.4rem;background:#f1f4f8}
</style></head><body>
<h1>联动 · Liandong</h1>
{{if eq .State "form"}}
<p>请为您得到的帮助打分。<br><span class="muted">How was the help you received?{{if .Category}} ({{.Category}}{{if .Done}}, {{.Done}}{{end}}){{end}}</span></p>
<form method="post">
<fieldset class="stars" style="border:0;padding:0"><legend class="muted">1 = 很差 poor · 5 = 很好 excellent</legend>
<input type="radio" id="s5" name="rating" value="5" required><label for="s5" title="5">★</label>
<input type="radio" id="s4" name="rating" value="4"><label for="s4" title="4">★</label>
<input type="radio" id="s3" name="rating" value="3"><label for="s3" title="3">★</label>
<input type="radio" id="s2" name="rating" value="2"><label for="s2" title="2">★</label>
<input type="radio" id="s1" name="rating" value="1"><label for="s1" title="1">★</label>
</fieldset>
<label for="comment">留言（可选）· Comment (optional)</label>
<textarea id="comment" name="comment" maxlength="{{.MaxChars}}"></textarea>
<button type="submit">提交 · Send</button>
</form>
<p class="muted">此链接只能使用一次。· This link works once.</p>
{{else if eq .State "thanks"}}
<p class="box">谢谢您的评价！<br>Thank you for your feedback.</p>
{{else}}
<p class="box">{{.Message}}</p>
{{end}}
</body></html>
`))

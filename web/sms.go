package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/liandong/liandong/internal/i18n"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/reach/sms"
)

// SMS replies come in through the gateway's signed webhook: POST
// /api/v1/sms/inbound {"from","text"} with X-Liandong-Signature over the
// raw body. A verified request is the gateway's word that the text came
// from that phone; the code in the text names the offer, and the answer
// goes through the responder actions like every other door's.

// SMSOptions wire the SMS doors; with no Secret the inbound route refuses
// everything (401) and the receipt route still works.
type SMSOptions struct {
	// Secret verifies the gateway's signature (sms.webhook_secret).
	Secret []byte
	// Records are the reply codes, replies per phone and receipts in
	// Redis (redisstore.Reach).
	Records SMSRecords
	// Sender sends the answer back to the phone and counts and audits SMS
	// (reach.Ladder); nil: answers are only returned to the gateway.
	Sender SMSSender
	// Texts word the answers.
	Texts sms.Texts
	// RepliesPerMinute bounds the replies one phone may send (default 10).
	RepliesPerMinute int
}

// SMSRecords are what the SMS doors keep in Redis.
type SMSRecords interface {
	LookupCode(ctx context.Context, phone, code string, now time.Time) (sms.CodeState, bool, error)
	CountReply(ctx context.Context, phone string, now time.Time) (int64, error)
	Acknowledge(ctx context.Context, offer mobilize.OfferID, how string, ttl time.Duration) error
}

// SMSSender sends an SMS and counts the ones received (reach.Ladder).
type SMSSender interface {
	Send(ctx context.Context, kind, target string, m sms.Message) bool
	Received(ctx context.Context, target, outcome string)
}

// smsGroup serves the SMS and receipt routes.
type smsGroup struct {
	opts    SMSOptions
	app     responderReader
	pending pendingReader
	actions responderActions
	log     *zap.Logger
	now     func() time.Time
	lang    string // the deployment's, for phones nobody registered
}

type pendingReader interface {
	PendingOffer(ctx context.Context, rid mobilize.ResponderID) (po mobilize.PendingOffer, found bool, err error)
}

type smsInboundRequest struct {
	From string `json:"from" api:"required" doc:"the sender's phone in E.164 (+ then 8..15 digits)"`
	Text string `json:"text" api:"required" doc:"what they wrote, e.g. \"123 1\" (1, Y or 接 accept; 2, N or 拒 decline; full-width digits and spaces accepted)"`
}

type smsReplyJSON struct {
	Reply string `json:"reply" doc:"the text sent back to the phone, also sent as an SMS"`
}

// maxSMSBody bounds an inbound webhook body: an SMS is short.
const maxSMSBody = 4 << 10

// handleInbound is POST /api/v1/sms/inbound.
func (g *smsGroup) handleInbound(ctx context.Context, c *call) error {
	if g.opts.Records == nil {
		return notFound("sms gateway")
	}
	if !sms.Verify(g.opts.Secret, c.body, c.r.Header.Get(sms.SignatureHeader)) {
		g.received(ctx, "", "bad_signature")
		g.log.Warn("sms inbound: bad or missing signature", zap.String("addr", clientAddr(c.r)))
		return unauthenticated("the " + sms.SignatureHeader + " signature does not match the body")
	}
	var req smsInboundRequest
	if err := decodeStrict(c.body, &req); err != nil {
		return err
	}
	if !mobilize.ValidE164(req.From) {
		return invalid("from must be a phone in E.164 (+ then 8..15 digits)")
	}
	if len(req.Text) > 1000 {
		return invalid("text is longer than 1000 bytes")
	}
	now := g.now()
	n, err := g.opts.Records.CountReply(ctx, req.From, now)
	if err != nil {
		return err
	}
	if n > int64(g.opts.RepliesPerMinute) {
		g.received(ctx, "", "rate_limited")
		return &Error{Kind: errRateLimited, Message: "too many replies from this phone; retry in a minute", RetryAfter: time.Minute}
	}
	reply, target, outcome, err := g.answer(ctx, req, now)
	if err != nil {
		return err
	}
	g.received(ctx, target, outcome)
	if g.opts.Sender != nil {
		g.opts.Sender.Send(context.WithoutCancel(ctx), "answer", target, sms.Message{To: req.From, Text: reply, Ref: "answer-" + target})
	}
	c.json(http.StatusOK, smsReplyJSON{Reply: reply})
	return nil
}

// answer carries out one reply and words what came of it; target is the
// offer (empty when none was found) and outcome a word for /metrics and
// the audit log.
func (g *smsGroup) answer(ctx context.Context, req smsInboundRequest, now time.Time) (reply, target, outcome string, err error) {
	lang := sms.Lang(g.lang)
	t := g.opts.Texts
	r, perr := sms.ParseReply(req.Text)
	if perr != nil {
		return t.Say(lang, "not_understood"), "", "not_understood", nil
	}
	st, found, err := g.opts.Records.LookupCode(ctx, req.From, r.Code, now)
	if err != nil {
		return "", "", "", err
	}
	if !found {
		return t.UnknownCode(lang, r.Code), "", "unknown_code", nil
	}
	target = string(st.Offer)
	if p, _, err := g.app.Responder(ctx, st.Responder); err == nil && p.Lang != "" {
		lang = sms.Lang(p.Lang)
	}
	if st.Ended != "" {
		return t.Say(lang, endedKey(st.Ended)), target, "ended", nil
	}
	if st.Responder == "" { // the offer is gone, with its need
		return t.Say(lang, "withdrawn"), target, "gone", nil
	}
	id := Identity{Subject: string(st.Responder), Role: RoleResponder}
	a, place, err := g.actions.answer(ctx, id, string(st.Offer), r.Accept)
	var e *Error
	switch {
	case errors.As(err, &e) && e.State != "":
		return t.Say(lang, endedKey(e.State)), target, "ended", nil
	case a.Outcome == mobilize.AnswerExpired:
		return t.Say(lang, "expired"), target, "expired", nil
	case a.Outcome == mobilize.AnswerSlotClosed:
		return t.Say(lang, "filled"), target, "filled", nil
	case errors.Is(err, mobilize.ErrNotFound):
		// The code named it, so it existed: it is gone (withdrawn with
		// its need) before the ladder ended the code.
		return t.Say(lang, "withdrawn"), target, "gone", nil
	case err != nil:
		return "", "", "", err
	case !r.Accept:
		return t.Say(lang, "declined"), target, "declined", nil
	case place == nil:
		return t.Say(lang, "accepted_later"), target, "accepted", nil
	}
	return t.Accepted(lang, place.Lat, place.Lng, place.Description), target, "accepted", nil
}

// endedKey is the answer to a reply to an offer that ended as state.
func endedKey(state string) string {
	switch mobilize.AssignmentState(state) {
	case mobilize.AssignExpired:
		return "expired"
	case mobilize.AssignWithdrawn:
		return "withdrawn"
	}
	return "answered"
}

func (g *smsGroup) received(ctx context.Context, target, outcome string) {
	if g.opts.Sender != nil {
		g.opts.Sender.Received(ctx, target, outcome)
	}
}

// GlossaryWords are the glossary's words for the SMS texts: the
// categories and roles the pages the server renders use.
type GlossaryWords struct{}

// Category says a need category in l.
func (GlossaryWords) Category(l i18n.Lang, code string) string { return categoryWord(l, code) }

// Role says a role in l.
func (GlossaryWords) Role(l i18n.Lang, role string) string { return roleWord(l, role) }

// FeedbackURL is the one-time link where the person served rates need.
func (a *API) FeedbackURL(need mobilize.NeedID) string { return a.needs.links.url(need) }

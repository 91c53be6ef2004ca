package loadtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// The channels an offer reaches a person by: the live page's websocket,
// Web Push to a closed page, SMS to a phone without the app.
const (
	chSocket = "socket"
	chPush   = "push"
	chSMS    = "sms"
)

// channelOf names a person's channel; the empty default is the socket.
func channelOf(p Person) string {
	if p.Channel == "" {
		return chSocket
	}
	return p.Channel
}

// quietKit is what the phones without a websocket share: they live in
// the drill's own process, beside the SMS gateway and the push service
// that deliver to them.
type quietKit struct {
	behaviour Behaviour
	emit      func(Event)
	seed      uint64
	gateway   *smsGateway
	inbound   *inboundClient
}

// quietPhone is the part of an SMS-only or push-only phone that is not
// about its channel: the person's clock and their way of answering.
type quietPhone struct {
	kit *quietKit
	p   Person

	mu      sync.Mutex
	rng     *rand.Rand
	timers  map[*time.Timer]bool
	stopped bool
	ctx     context.Context
	cancel  context.CancelFunc
}

func newQuietPhone(kit *quietKit, p Person) quietPhone {
	ctx, cancel := context.WithCancel(context.Background())
	return quietPhone{
		kit: kit, p: p, rng: rand.New(rand.NewPCG(kit.seed, uint64(p.Index)+1)),
		timers: map[*time.Timer]bool{}, ctx: ctx, cancel: cancel,
	}
}

func (q *quietPhone) emit(ev Event) {
	ev.Responder = q.p.ID
	if ev.At == 0 {
		ev.At = time.Now().UnixNano()
	}
	q.kit.emit(ev)
}

// after runs f after d unless the phone stops first.
func (q *quietPhone) after(d time.Duration, f func()) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.stopped {
		return
	}
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		q.mu.Lock()
		delete(q.timers, t)
		stopped := q.stopped
		q.mu.Unlock()
		if !stopped {
			f()
		}
	})
	q.timers[t] = true
}

// decide draws the person's answer to an offer and their think time, by
// the same behaviour model as the socket phones.
func (q *quietPhone) decide() (kind string, think time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	b := q.kit.behaviour
	u := q.rng.Float64()
	think = b.Think.Sample(q.rng)
	switch {
	case u < b.Accept:
		return evAccept, think
	case u < b.Accept+b.Decline:
		return evDecline, think
	}
	return evIgnore, think
}

// homeEvery refreshes the position of a phone without a socket well
// within the server's stale_after (10 min), so that it stays a candidate.
const homeEvery = staleAfter / 2

// reportHome puts the person at home, as their page did when last open
// (push-only) or as their community worker records it (SMS-only), and
// again every homeEvery. It reports whether the server took it.
func (q *quietPhone) reportHome(ctx context.Context, c *Client) bool {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	body := map[string]float64{"lat": q.p.Home.Lat(), "lng": q.p.Home.Lon()}
	err := c.do(ctx, http.MethodPut, "/api/v1/responders/"+url.PathEscape(q.p.ID)+"/location", nil, body, nil, http.StatusNoContent)
	q.after(homeEvery, func() { q.reportHome(q.ctx, c) })
	return err == nil
}

// stop ends the phone: pending answers are dropped, calls in flight
// cancelled.
func (q *quietPhone) stop() {
	q.mu.Lock()
	q.stopped = true
	for t := range q.timers {
		t.Stop()
	}
	q.timers = map[*time.Timer]bool{}
	q.mu.Unlock()
	q.cancel()
}

// smsPhone is an SMS-only responder's handset: no app, no socket; offers
// come as text from the gateway and answers go back as text.
type smsPhone struct {
	quietPhone
	number string
}

func newSMSPhone(kit *quietKit, p Person) *smsPhone {
	ph := &smsPhone{quietPhone: newQuietPhone(kit, p), number: p.SMSNumber()}
	kit.gateway.attach(ph.number, ph.receive)
	return ph
}

// smsOfferPrefix marks the ledger key of an SMS offer: the text carries
// no offer id (an SMS says what, not which record), so the drill pairs it
// with the server's record after the run (reconcileQuiet).
const smsOfferPrefix = "sms:"

// receive is one SMS reaching the handset. Only offers (a reply code)
// call for an answer; the rest (the answer to an answer, the place sent
// after an accept, a withdrawal) the person just reads.
func (ph *smsPhone) receive(m smsMessage, at time.Time) {
	if ph.ctx.Err() != nil {
		return // hung up: the drill is over
	}
	if m.ReplyCode == "" {
		ph.emit(Event{Kind: evSMSText, At: at.UnixNano(), Info: m.Text})
		return
	}
	key := smsOfferPrefix + ph.p.ID + ":" + m.Ref
	if m.Ref == "" {
		key += strconv.FormatInt(at.UnixNano(), 10)
	}
	ph.emit(Event{Kind: evOffer, At: at.UnixNano(), Offer: key})
	kind, think := ph.decide()
	if kind == evIgnore {
		ph.emit(Event{Kind: evIgnore, Offer: key})
		return
	}
	ph.after(think, func() { ph.answer(key, m.ReplyCode, kind) })
}

// answer texts back "<code> 1" or "<code> 2", in one of the forms people
// write (the server must take them all).
func (ph *smsPhone) answer(key, code, kind string) {
	ph.mu.Lock()
	text := smsAnswerText(ph.rng, code, kind)
	ph.mu.Unlock()
	ctx, cancel := context.WithTimeout(ph.ctx, 20*time.Second)
	defer cancel()
	sent := time.Now()
	reply, err := ph.kit.inbound.send(ctx, ph.number, text)
	ph.kit.gateway.replied(err == nil)
	if err != nil {
		if ph.ctx.Err() == nil {
			ph.emit(Event{Kind: evError, Offer: key, Info: "sms_reply_not_taken"})
		}
		return
	}
	ph.emit(Event{Kind: kind, At: sent.UnixNano(), Offer: key})
	ph.emit(Event{Kind: evReply, Offer: key, Info: reply})
}

// smsAnswerForms are the ways the contract lets a person answer; the
// drill writes each now and then.
var smsAnswerForms = map[string][]string{
	evAccept:  {"%s 1", "%s1", "%s Y", "%s 接", "%s　１"},
	evDecline: {"%s 2", "%s N", "%s 拒", "%s２"},
}

// smsAnswerText is how the person writes their answer: mostly the form
// the SMS asks for, sometimes another accepted one.
func smsAnswerText(r *rand.Rand, code, kind string) string {
	forms := smsAnswerForms[kind]
	form := forms[0]
	if r.Float64() < 0.3 {
		form = forms[r.IntN(len(forms))]
	}
	return fmt.Sprintf(form, code)
}

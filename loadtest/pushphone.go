package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/liandong/liandong/internal/pushtest"
	"github.com/liandong/liandong/realtime/wire"
)

// pushAllowed are the only keys a push may carry before acceptance (the
// fields of wire.PushOffer): no exact position, no description, no
// contact.
var pushAllowed = jsonKeys(wire.PushOffer{})

// pushMessageAllowed are the keys of a message push (wire.PushMessage: a
// team, direct or area message, a standby, a nudge): a preview written
// for the person, nothing of a need's place.
var pushMessageAllowed = jsonKeys(wire.PushMessage{NeedID: "n"})

// jsonKeys lists the JSON keys a value's encoding has.
func jsonKeys(v any) map[string]bool {
	raw, _ := json.Marshal(v)
	var m map[string]json.RawMessage
	_ = json.Unmarshal(raw, &m)
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

// PushCounts is what the drill's push service and its push-only phones
// saw, for the report.
type PushCounts struct {
	Subscribed  int `json:"subscribed"`  // phones whose subscription the server took
	Messages    int `json:"messages"`    // requests the push service received
	Decrypted   int `json:"decrypted"`   // opened with the phone's keys (RFC 8291)
	Undecrypted int `json:"undecrypted"` // could not be opened: the phone sees nothing
	// BadHeaders are pushes without a TTL, with an Urgency other than the
	// contract's for the offer's urgency, or without their Topic (offer,
	// or message for a message, standby or nudge).
	BadHeaders   int `json:"bad_headers"`
	VAPIDInvalid int `json:"vapid_invalid"` // RFC 8292 signature, audience or expiry wrong
	// Leaks are pushes carrying a key their contract does not allow (an
	// offer before acceptance: a position, the description, a contact).
	Leaks          int `json:"leaks"`
	ToUnknown      int `json:"to_unknown"` // to an endpoint no phone of the drill holds
	Receipts       int `json:"receipts"`   // "received" posted back (the service worker's word)
	ReceiptsFailed int `json:"receipts_failed"`
}

// pushHub runs the drill's local push service and hands each message to
// the phone whose endpoint it was sent to.
type pushHub struct {
	svc      *pushtest.Service
	vapidKey string // the server's public key, once known

	mu     sync.Mutex
	phones map[string]*pushPhone // by endpoint name
	counts PushCounts
	done   chan struct{}
	wg     sync.WaitGroup
}

func newPushHub() *pushHub {
	h := &pushHub{svc: pushtest.NewService(), phones: map[string]*pushPhone{}, done: make(chan struct{})}
	h.wg.Add(1)
	go h.dispatch()
	return h
}

// dispatch delivers every message the service records, in order. The
// service hands out a copy of all it holds on each wake, so once it holds
// many the hub waits a moment between wakes to take them in batches
// (pushBatchAfter, pushBatchWait): that wait is part of the push
// channel's measured delivery time in large drills.
func (h *pushHub) dispatch() {
	defer h.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-h.done; cancel() }()
	seen := 0
	for {
		got, err := h.svc.Wait(ctx, seen+1)
		for _, r := range got[seen:] {
			h.deliver(r, time.Now())
		}
		seen = len(got)
		if err != nil {
			return
		}
		if seen > pushBatchAfter && !sleepCtx(ctx, pushBatchWait) {
			return
		}
	}
}

const (
	pushBatchAfter = 1000
	pushBatchWait  = 20 * time.Millisecond
)

func (h *pushHub) deliver(r pushtest.Request, at time.Time) {
	h.mu.Lock()
	h.counts.Messages++
	ph := h.phones[r.Name]
	if ph == nil {
		h.counts.ToUnknown++
	}
	vapid := h.vapidKey
	h.mu.Unlock()
	if ph == nil {
		return
	}
	if vapid != "" && pushtest.VerifyVAPIDFor(r.Authorization, vapid, h.svc.URL()) != nil {
		h.count(func(c *PushCounts) { c.VAPIDInvalid++ })
	}
	go ph.receive(r, at)
}

func (h *pushHub) count(f func(*PushCounts)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f(&h.counts)
}

// Counts returns what the hub saw so far.
func (h *pushHub) Counts() PushCounts {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.counts
}

func (h *pushHub) close() {
	close(h.done)
	h.wg.Wait()
	h.svc.Close()
}

// pushPhone is a responder whose page is closed: offers come as Web Push
// to its service worker, which decrypts them, says they arrived, and
// answers over HTTP with the session token, as the page's worker would.
type pushPhone struct {
	quietPhone
	hub    *pushHub
	keys   pushtest.Keys
	client *Client // the phone's own calls, with its session token
}

func newPushPhone(kit *quietKit, hub *pushHub, client *Client, p Person) (*pushPhone, error) {
	keys, err := pushtest.NewKeys()
	if err != nil {
		return nil, err
	}
	return &pushPhone{quietPhone: newQuietPhone(kit, p), hub: hub, keys: keys, client: client.as(p.Token)}, nil
}

// subscribe trades the link token for a session, as the page does, and
// registers the push subscription.
func (ph *pushPhone) subscribe(ctx context.Context) error {
	var session struct {
		Token string `json:"token"`
	}
	if err := ph.client.do(ctx, http.MethodPost, "/api/v1/auth/exchange", nil, struct{}{}, &session, http.StatusOK); err != nil {
		return err
	}
	if session.Token == "" {
		return errors.New("exchange: no token")
	}
	ph.client = ph.client.as(session.Token)
	name := ph.p.ID
	body := map[string]any{
		"endpoint": ph.hub.svc.Endpoint(name),
		"keys":     map[string]string{"p256dh": ph.keys.P256dh(), "auth": ph.keys.Auth()},
		"lang":     "zh",
	}
	var out struct {
		ID string `json:"id"`
	}
	path := "/api/v1/responders/" + url.PathEscape(ph.p.ID) + "/push-subscriptions"
	if err := ph.client.doWant(ctx, http.MethodPost, path, nil, body, &out, http.StatusCreated, http.StatusOK); err != nil {
		return err
	}
	ph.hub.mu.Lock()
	ph.hub.phones[name] = ph
	ph.hub.counts.Subscribed++
	ph.hub.mu.Unlock()
	return nil
}

// receive is the service worker woken by one push.
func (ph *pushPhone) receive(r pushtest.Request, at time.Time) {
	if ph.ctx.Err() != nil {
		return // hung up: the drill is over
	}
	plain, err := pushtest.Decrypt(ph.keys, r.Body)
	if err != nil {
		ph.hub.count(func(c *PushCounts) { c.Undecrypted++ })
		ph.emit(Event{Kind: evError, Info: "push_undecryptable"})
		return
	}
	var m wire.PushOffer
	var keys map[string]json.RawMessage
	if json.Unmarshal(plain, &m) != nil || json.Unmarshal(plain, &keys) != nil {
		ph.hub.count(func(c *PushCounts) { c.Undecrypted++ })
		ph.emit(Event{Kind: evError, Info: "push_bad_json"})
		return
	}
	allowed, topic := pushAllowed, "offer"
	if m.Type == wire.PushTypeMessage {
		allowed, topic = pushMessageAllowed, "message"
	}
	leak := false
	for k := range keys {
		leak = leak || !allowed[k]
	}
	badHeaders := !pushHeadersOK(r, topic, m.Urgency)
	ph.hub.count(func(c *PushCounts) {
		c.Decrypted++
		if leak {
			c.Leaks++
		}
		if badHeaders {
			c.BadHeaders++
		}
	})
	if m.Type != wire.PushTypeOffer || m.OfferID == "" {
		return // a later kind of push: nothing to answer
	}
	ph.emit(Event{Kind: evOffer, At: at.UnixNano(), Offer: m.OfferID, Need: m.NeedID, Expires: nanos(parseTS(m.ExpiresAt))})
	ph.postReceipt(m.OfferID)
	kind, think := ph.decide()
	if kind == evIgnore {
		ph.emit(Event{Kind: evIgnore, Offer: m.OfferID, Need: m.NeedID})
		return
	}
	ph.after(think, func() { ph.answer(m.OfferID, m.NeedID, kind) })
}

// pushHeadersOK checks the contract's headers: a TTL of at least one
// second and the push's Topic; an offer's Urgency is high for urgency 1-2
// and normal otherwise, a message's normal or high.
func pushHeadersOK(r pushtest.Request, topic string, urgency int) bool {
	ttl, err := strconv.Atoi(r.TTL)
	if err != nil || ttl < 1 || r.Topic != topic {
		return false
	}
	if topic == "message" {
		return r.Urgency == "normal" || r.Urgency == "high"
	}
	want := "normal"
	if urgency == 1 || urgency == 2 {
		want = "high"
	}
	return r.Urgency == want
}

// postReceipt tells the server the push reached the device, which stops
// the SMS fallback.
func (ph *pushPhone) postReceipt(offer string) {
	ctx, cancel := context.WithTimeout(ph.ctx, 20*time.Second)
	defer cancel()
	path := "/api/v1/responders/" + url.PathEscape(ph.p.ID) + "/offers/" + url.PathEscape(offer) + "/received"
	err := ph.client.do(ctx, http.MethodPost, path, nil, struct{}{}, nil, http.StatusNoContent)
	ph.hub.count(func(c *PushCounts) {
		if err == nil {
			c.Receipts++
		} else {
			c.ReceiptsFailed++
		}
	})
	if err == nil {
		ph.emit(Event{Kind: evReceipt, Offer: offer})
	}
}

// answerReply is the answer to POST /api/v1/offers/{id}/accept|decline.
type answerReply struct {
	Outcome string          `json:"outcome"`
	Place   json.RawMessage `json:"place"`
}

// answer accepts or declines over HTTP. An accept's answer carries the
// place (the phone now knows where to go); the team may still be
// incomplete, in which case the page follows its jobs until it is.
func (ph *pushPhone) answer(offer, need, kind string) {
	ctx, cancel := context.WithTimeout(ph.ctx, 30*time.Second)
	defer cancel()
	verb := "accept"
	if kind == evDecline {
		verb = "decline"
	}
	sent := time.Now()
	var out answerReply
	err := ph.client.do(ctx, http.MethodPost, "/api/v1/offers/"+url.PathEscape(offer)+"/"+verb, nil, struct{}{}, &out, http.StatusOK)
	if ph.ctx.Err() != nil {
		return
	}
	ph.emit(Event{Kind: kind, At: sent.UnixNano(), Offer: offer, Need: need})
	if err != nil {
		code := "network"
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			code = apiErr.Code
		}
		ph.emit(Event{Kind: evError, Offer: offer, Need: need, Info: code})
		return
	}
	if kind != evAccept {
		return
	}
	if len(out.Place) > 0 && string(out.Place) != "null" {
		ph.emit(Event{Kind: evPlaced, Offer: offer, Need: need})
	}
	if out.Outcome == "staffed" {
		ph.staffed(need)
		return
	}
	ph.after(jobPoll, func() { ph.followJob(need) })
}

// jobPoll is how often a page without a socket looks at its jobs while
// its team fills.
const jobPoll = 2 * time.Second

// followJob waits for the team to be complete, reading the phone's jobs
// as the page does when it opens.
func (ph *pushPhone) followJob(need string) {
	ctx, cancel := context.WithTimeout(ph.ctx, 20*time.Second)
	defer cancel()
	var jobs struct {
		Jobs []struct {
			NeedID string `json:"need_id"`
			Status string `json:"status"`
		} `json:"jobs"`
	}
	err := ph.client.do(ctx, http.MethodGet, "/api/v1/responders/"+url.PathEscape(ph.p.ID)+"/jobs", nil, nil, &jobs, http.StatusOK)
	if err != nil {
		ph.after(jobPoll, func() { ph.followJob(need) })
		return
	}
	for _, j := range jobs.Jobs {
		if j.NeedID != need {
			continue
		}
		if j.Status == "staffing" {
			ph.after(jobPoll, func() { ph.followJob(need) })
		} else {
			ph.staffed(need)
		}
		return
	}
	// Gone from the jobs: the need was cancelled or ended without us.
}

// staffed is the page learning its team is complete: it does the task
// and reports it done after the task time.
func (ph *pushPhone) staffed(need string) {
	ph.emit(Event{Kind: evAssignment, Need: need})
	ph.mu.Lock()
	task := ph.kit.behaviour.Task.Sample(ph.rng)
	ph.mu.Unlock()
	ph.after(task, func() {
		ctx, cancel := context.WithTimeout(ph.ctx, 20*time.Second)
		defer cancel()
		err := ph.client.do(ctx, http.MethodPost, "/api/v1/needs/"+url.PathEscape(need)+"/complete", nil,
			map[string]string{"note": "drill: done"}, nil, http.StatusNoContent)
		if err == nil {
			ph.emit(Event{Kind: evComplete, Need: need})
		}
	})
}

package loadtest

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// quietSide is the drill's half of the channels without a socket: the
// SMS gateway and the push service it plays, and the phones they reach.
type quietSide struct {
	secret  []byte // the webhook secret, shared with the server
	gateway *smsGateway
	hub     *pushHub
	sms     []*smsPhone
	push    []*pushPhone
}

// usesQuietChannels reports whether the scenario has people without a
// live page.
func (sc *Scenario) usesQuietChannels() bool {
	return sc.Responders.SMSOnlyShare > 0 || sc.Responders.PushOnlyShare > 0
}

// startQuietServices starts the SMS gateway and the push service before
// the server, so that a server the drill starts is pointed at them.
func (d *drill) startQuietServices() error {
	if !d.sc.usesQuietChannels() || d.quiet != nil {
		return nil
	}
	q := &quietSide{secret: []byte(randomHex(32))}
	q.gateway = newSMSGateway(q.secret)
	if err := q.gateway.start(); err != nil {
		return err
	}
	q.hub = newPushHub()
	d.quiet = q
	return nil
}

// channelConfig is the server configuration that points a child server
// at the drill's gateway and push service (the keys of the issue 15
// contract): SMS by signed webhook, push endpoints on plain http.
func (q *quietSide) channelConfig() map[string]any {
	if q == nil {
		return nil
	}
	return map[string]any{
		"sms": map[string]any{
			"provider":       "webhook",
			"webhook_url":    q.gateway.URL(),
			"webhook_secret": string(q.secret),
			// The budget guards an operator's bill; a drill sends a day's
			// texts in minutes and measures delivery, not the budget.
			"max_per_hour": 1000000,
		},
		"push": map[string]any{"insecure_endpoints": true},
	}
}

// subscribeConcurrency bounds push-only phones subscribing at once.
const subscribeConcurrency = 32

// startQuietPhones starts the SMS-only and push-only phones in this
// process: SMS phones answer to their numbers at the gateway, push phones
// open a session and subscribe. Neither keeps a socket.
func (d *drill) startQuietPhones(ctx context.Context, people []Person) error {
	q := d.quiet
	if q == nil || len(people) == 0 {
		return nil
	}
	kit := &quietKit{
		behaviour: d.sc.Behaviour, emit: d.ledger.Apply, seed: d.seed,
		gateway: q.gateway,
		inbound: &inboundClient{url: d.client.base.JoinPath("/api/v1/sms/inbound").String(), secret: q.secret, http: d.client.http},
	}
	for _, p := range d.people {
		if p.Channel != chSMS {
			q.gateway.knowAppPhone(p.registration(time.Now()).Phone)
		}
	}
	var key struct {
		Key string `json:"vapid_public_key"`
	}
	if err := d.client.do(ctx, http.MethodGet, "/api/v1/push/key", nil, nil, &key, http.StatusOK); err == nil {
		q.hub.mu.Lock()
		q.hub.vapidKey = key.Key
		q.hub.mu.Unlock()
	} else {
		d.logf("push: no VAPID key from the server (%v); signatures go unchecked", err)
	}
	var mu sync.Mutex
	var errs []error
	sem := make(chan struct{}, subscribeConcurrency)
	var wg sync.WaitGroup
	start := func(f func()) {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			f()
		}()
	}
	for _, p := range people {
		switch p.Channel {
		case chSMS:
			ph := newSMSPhone(kit, p)
			q.sms = append(q.sms, ph)
			start(func() {
				if !ph.reportHome(ctx, d.client) {
					d.ledger.countError("sms_phone_location")
				}
			})
		case chPush:
			ph, err := newPushPhone(kit, q.hub, d.client, p)
			if err != nil {
				return err
			}
			q.push = append(q.push, ph)
			start(func() {
				sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				defer cancel()
				err := ph.subscribe(sctx)
				if err == nil && !ph.reportHome(ctx, ph.client) {
					d.ledger.countError("push_phone_location")
				}
				if err != nil {
					d.ledger.countError("push_subscribe")
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	if len(errs) > 0 {
		d.logf("push: %d of %d phones could not subscribe; first: %v", len(errs), len(q.push), errs[0])
	}
	d.logf("without a socket: %d SMS-only phones, %d push-only phones (%d subscribed)", len(q.sms), len(q.push), q.hub.Counts().Subscribed)
	if len(errs) == len(q.push) && len(q.push) > 0 {
		return fmt.Errorf("no push-only phone could subscribe: %w", errs[0])
	}
	return nil
}

// stopQuietPhones hangs the phones without a socket up.
func (d *drill) stopQuietPhones() {
	if d.quiet == nil {
		return
	}
	for _, ph := range d.quiet.sms {
		ph.stop()
	}
	for _, ph := range d.quiet.push {
		ph.stop()
	}
}

// closeQuietServices stops the gateway and the push service, after the
// server is gone.
func (d *drill) closeQuietServices() {
	if d.quiet == nil {
		return
	}
	d.quiet.gateway.close()
	d.quiet.hub.close()
}

// socketPeople are the people whose phones keep a websocket.
func (d *drill) socketPeople() []Person {
	var out []Person
	for _, p := range d.people {
		if p.Channel == "" {
			out = append(out, p)
		}
	}
	return out
}

// quietPeople are the people without a socket.
func (d *drill) quietPeople() []Person {
	var out []Person
	for _, p := range d.people {
		if p.Channel != "" {
			out = append(out, p)
		}
	}
	return out
}

// Package sms sends and reads the SMS of the delivery ladder: the offer
// to a phone without the app, the answer to its reply, and the messages
// to the person served. It words them (texts.go), parses replies
// (reply.go), signs and verifies the gateway's webhooks (sign.go) and
// hands messages to a provider: "log" for development, "webhook" for a
// gateway that takes a signed POST.
package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"go.uber.org/zap"
)

// Message is one SMS to send.
type Message struct {
	To        string // E.164
	Text      string
	Ref       string // our id of the message, for the gateway's reports
	ReplyCode string // when a reply is expected
}

// Provider hands an SMS to whatever delivers it. Send blocks until the
// message is accepted or refused for good, or ctx ends.
type Provider interface {
	Send(ctx context.Context, m Message) error
}

// LogProvider writes each message to the log instead of sending it: for
// development and drills. It is the one place an SMS text may be logged;
// the phone is masked even here.
type LogProvider struct{ Log *zap.Logger }

// Send logs m.
func (p LogProvider) Send(_ context.Context, m Message) error {
	log := p.Log
	if log == nil {
		log = zap.NewNop()
	}
	log.Info("sms (log provider, not sent)", zap.String("to", MaskPhone(m.To)), zap.String("ref", m.Ref),
		zap.String("reply_code", m.ReplyCode), zap.String("text", m.Text), zap.Int("segments", Segments(m.Text)))
	return nil
}

// Webhook posts each message, signed, to a gateway: any 2xx is sent, a
// 5xx or a transport error is tried again with growing pauses until the
// attempts or ctx run out (the caller bounds ctx by the offer's life),
// anything else is refused for good.
type Webhook struct {
	URL    string
	Secret []byte
	Client *http.Client // nil: one with Timeout
	// Timeout bounds one attempt (default 5 s); Attempts the tries
	// (default 4); Backoff the first pause (default 500 ms, doubling).
	Timeout  time.Duration
	Attempts int
	Backoff  time.Duration
}

// ErrRefused: the gateway refused the message (not a 2xx nor a 5xx).
var ErrRefused = errors.New("sms: gateway refused the message")

type webhookBody struct {
	To        string `json:"to"`
	Text      string `json:"text"`
	Ref       string `json:"ref"`
	ReplyCode string `json:"reply_code,omitempty"`
}

// Send posts m.
func (w *Webhook) Send(ctx context.Context, m Message) error {
	body, err := json.Marshal(webhookBody{To: m.To, Text: m.Text, Ref: m.Ref, ReplyCode: m.ReplyCode})
	if err != nil {
		return err
	}
	timeout, attempts, pause := w.Timeout, w.Attempts, w.Backoff
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	if attempts <= 0 {
		attempts = 4
	}
	if pause <= 0 {
		pause = 500 * time.Millisecond
	}
	client := w.Client
	if client == nil {
		client = &http.Client{Timeout: timeout}
	}
	var last error
	for i := range attempts {
		if i > 0 {
			t := time.NewTimer(pause)
			select {
			case <-ctx.Done():
				t.Stop()
				return errorf("%w (last: %v)", ctx.Err(), last)
			case <-t.C:
			}
			pause *= 2
		}
		status, err := w.post(ctx, client, timeout, body)
		switch {
		case err != nil:
			last = err
		case status >= 200 && status < 300:
			return nil
		case status >= 500:
			last = errorf("gateway answered %d", status)
		default:
			return errorf("%w: status %d", ErrRefused, status)
		}
	}
	return errorf("not sent after %d attempts: %w", attempts, last)
}

func (w *Webhook) post(ctx context.Context, client *http.Client, timeout time.Duration, body []byte) (int, error) {
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(w.Secret, body))
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

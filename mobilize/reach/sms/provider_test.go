package sms

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestWebhookSignsAndRetriesServerErrors(t *testing.T) {
	secret := []byte("gateway secret")
	var calls atomic.Int32
	var got webhookBody
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !Verify(secret, body, r.Header.Get(SignatureHeader)) {
			t.Errorf("bad signature %q", r.Header.Get(SignatureHeader))
			w.WriteHeader(401)
			return
		}
		if calls.Add(1) < 3 {
			w.WriteHeader(503)
			return
		}
		json.Unmarshal(body, &got)
		w.WriteHeader(202)
	}))
	defer srv.Close()
	w := &Webhook{URL: srv.URL, Secret: secret, Backoff: time.Millisecond}
	m := Message{To: "+8613800000001", Text: "你好", Ref: "m1", ReplyCode: "123"}
	if err := w.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 {
		t.Errorf("%d calls, want 3 (two 503s, then 202)", calls.Load())
	}
	if got != (webhookBody{To: m.To, Text: m.Text, Ref: m.Ref, ReplyCode: "123"}) {
		t.Errorf("gateway got %+v", got)
	}
}

func TestWebhookGivesUp(t *testing.T) {
	status := atomic.Int32{}
	status.Store(400)
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(int(status.Load()))
	}))
	defer srv.Close()
	w := &Webhook{URL: srv.URL, Secret: []byte("k"), Backoff: time.Millisecond, Attempts: 3}
	if err := w.Send(context.Background(), Message{To: "+8613800000001", Text: "x"}); !errors.Is(err, ErrRefused) || calls.Load() != 1 {
		t.Errorf("a 400: err %v after %d calls, want ErrRefused after 1", err, calls.Load())
	}
	status.Store(500)
	calls.Store(0)
	if err := w.Send(context.Background(), Message{To: "+8613800000001", Text: "x"}); err == nil || calls.Load() != 3 {
		t.Errorf("always 500: err %v after %d calls, want an error after 3", err, calls.Load())
	}
	// The offer's life bounds the retries.
	calls.Store(0)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	slow := &Webhook{URL: srv.URL, Secret: []byte("k"), Backoff: time.Hour, Attempts: 5}
	if err := slow.Send(ctx, Message{To: "+8613800000001", Text: "x"}); !errors.Is(err, context.DeadlineExceeded) || calls.Load() != 1 {
		t.Errorf("ctx ended: err %v after %d calls", err, calls.Load())
	}
}

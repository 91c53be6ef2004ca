package push_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/pushtest"
	"github.com/liandong/liandong/mobilize/reach"
	"github.com/liandong/liandong/realtime/wire"
)

// TestPushMessageCarriesTheRoleAndTheFirstWordsOnly: each device decrypts
// the documented fields, the preview and not the rest of the text, under
// the topic "message" so it never replaces an offer's push.
func TestPushMessageCarriesTheRoleAndTheFirstWordsOnly(t *testing.T) {
	r := newRig(t, embedded(t))
	r.subscribe("r1", "phone")
	text := "请到东门集合, 带上手电筒和雨衣, 老人在三楼等候, 门禁码 4711, SECRET-TAIL 到了请说一声"
	sent := time.Now().Truncate(time.Second)
	n := reach.MessageNote{Responder: "r1", Message: "b0123456789abcdef", Scope: "broadcast", FromRole: "operator",
		Preview: reach.Preview(text), SentAt: sent, Expires: time.Now().Add(time.Hour)}
	accepted, err := r.sender.PushMessage(context.Background(), n)
	if err != nil || accepted != 1 {
		t.Fatalf("PushMessage: %d %v", accepted, err)
	}
	reqs := r.svc.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	plain, err := pushtest.Decrypt(r.keys[reqs[0].Name], reqs[0].Body)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(plain, []byte("SECRET-TAIL")) {
		t.Fatalf("the whole text went through the push service: %s", plain)
	}
	var got wire.PushMessage
	dec := json.NewDecoder(bytes.NewReader(plain))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := wire.PushMessage{Type: "message", ResponderID: "r1", MessageID: "b0123456789abcdef", Scope: "broadcast",
		FromRole: "operator", Preview: n.Preview, SentAt: sent.UTC().Format(time.RFC3339)}
	if got != want {
		t.Fatalf("payload %+v, want %+v", got, want)
	}
	if ttl, _ := strconv.Atoi(reqs[0].TTL); reqs[0].Topic != "message" || reqs[0].Urgency != "normal" || ttl < 3500 {
		t.Errorf("headers: topic %q urgency %q ttl %q", reqs[0].Topic, reqs[0].Urgency, reqs[0].TTL)
	}
	// Nobody subscribed: nothing sent, no error.
	if accepted, err := r.sender.PushMessage(context.Background(), reach.MessageNote{Responder: "r9", Message: "x", Expires: time.Now().Add(time.Hour)}); accepted != 0 || err != nil {
		t.Fatalf("no subscription: %d %v", accepted, err)
	}
}

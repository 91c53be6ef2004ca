package notify

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/liandong/liandong/mobilize"
)

// TestWriteMessageStoresBeforeAnswering: the inbox entries of a direct or
// area message are written when WriteMessage returns (the queue is not
// used), the event that follows marked Stored writes none again, and a
// hub that fails makes WriteMessage fail.
func TestWriteMessageStoresBeforeAnswering(t *testing.T) {
	hub := &fakeHub{}
	n := New(hub, Options{Shards: 1, QueueLen: 8})
	defer n.Close(context.Background())
	m := mobilize.TeamMessage{ID: "b0102030405060708", Text: "今晚八点前到东门集合", At: time.Now(),
		From: mobilize.Sender{Kind: mobilize.SenderStaff, ID: "ops1", Role: "operator"}}
	e := mobilize.MessagePosted{Message: m, To: []mobilize.ResponderID{"ra", "rb", "rc"}, Scope: mobilize.ScopeBroadcast}
	if err := n.WriteMessage(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{"ra", "rb", "rc"} {
		got := hub.inboxOf(to)
		if len(got) != 1 || got[0].typ != "message" || !strings.Contains(got[0].data, "东门集合") || !strings.Contains(got[0].data, `"scope":"broadcast"`) {
			t.Fatalf("inbox of %s when WriteMessage returned: %+v", to, got)
		}
	}
	e.Stored = true
	n.Emit(context.Background(), e)
	n.Close(context.Background()) // drains the queue
	if got := len(hub.recorded()); got != 3 {
		t.Fatalf("%d hub calls after the stored event, want the 3 writes only: %+v", got, hub.recorded())
	}

	failing := &fakeHub{deliver: func(_ context.Context, to, _ string) error {
		if to == "rb" {
			return errors.New("redis down")
		}
		return nil
	}}
	f := New(failing, Options{Shards: 1, QueueLen: 8})
	defer f.Close(context.Background())
	if err := f.WriteMessage(context.Background(), mobilize.MessagePosted{Message: m, To: []mobilize.ResponderID{"ra", "rb"}, Scope: mobilize.ScopeDirect}); err == nil || !strings.Contains(err.Error(), "rb") {
		t.Fatalf("a failed inbox write answered %v, want an error naming rb", err)
	}
}

package server

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/realtime/redisrt"
	"github.com/liandong/liandong/realtime/wire"
)

type rememberedOffers struct {
	mu       sync.Mutex
	seen     map[mobilize.OfferID]string
	messages map[string]string // "<responder>/<message>" -> entry
}

func (r *rememberedOffers) RememberMessageEntry(_ context.Context, rid, message, entryID string, _ time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.messages == nil {
		r.messages = map[string]string{}
	}
	r.messages[rid+"/"+message] = entryID
	return nil
}

func (r *rememberedOffers) RememberOfferMessage(_ context.Context, offer mobilize.OfferID, entryID string, _ time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen[offer] = entryID
	return nil
}

// TestLadderSeesTheSocketsAck: the watched inbox remembers the entry of
// each offer (and only of offers), and the floor the ladder reads passes
// that entry once a socket acknowledges it.
func TestLadderSeesTheSocketsAck(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		inner, _ := redisrt.New(b.Client, "t:", redisrt.Options{})
		rec := &rememberedOffers{seen: map[mobilize.OfferID]string{}}
		inbox := watchInbox(inner, rec, time.Hour, nil)
		floor := inboxFloor{inner}

		if got, err := floor.InboxFloor(ctx, "r1"); err != nil || got != "" {
			t.Fatalf("floor of an empty inbox: %q, %v; want none", got, err)
		}
		alert, err := inbox.Append(ctx, "r1", wire.TypeAlert, "2026-12-07T10:00:00Z", []byte(`{"alert_id":"a1"}`))
		if err != nil {
			t.Fatal(err)
		}
		offer, err := inbox.Append(ctx, "r1", wire.TypeOffer, "2026-12-07T10:00:01Z", []byte(`{"offer_id":"o1","need_id":"n1"}`))
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.seen) != 1 || rec.seen["o1"] != offer {
			t.Fatalf("remembered %v; want only o1 at %s", rec.seen, offer)
		}
		msg, err := inbox.Append(ctx, "r1", wire.TypeMessage, "2026-12-07T10:00:02Z", []byte(`{"message_id":"b0123456789abcdef","text":"hi"}`))
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.messages) != 1 || rec.messages["r1/b0123456789abcdef"] != msg || len(rec.seen) != 1 {
			t.Fatalf("remembered messages %v, offers %v; want the message at %s", rec.messages, rec.seen, msg)
		}
		if err := inner.Ack(ctx, "r1", alert); err != nil {
			t.Fatal(err)
		}
		if got, _ := floor.InboxFloor(ctx, "r1"); got != alert {
			t.Fatalf("floor after acking the alert: %q, want %q", got, alert)
		}
		if err := inner.Ack(ctx, "r1", offer); err != nil {
			t.Fatal(err)
		}
		if got, _ := floor.InboxFloor(ctx, "r1"); got != offer {
			t.Fatalf("floor after acking the offer: %q, want %q", got, offer)
		}
	})
}

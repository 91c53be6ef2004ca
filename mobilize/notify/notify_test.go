package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/liandong/liandong/mobilize"
)

// offerTo is an offer event for one responder.
func offerTo(rid mobilize.ResponderID, offer mobilize.OfferID) mobilize.OfferSent {
	return mobilize.OfferSent{Need: fixture(), Role: mobilize.RoleMedic, Offer: offer, Responder: rid, At: t0}
}

// withdraw takes offer back from rid.
func withdraw(rid mobilize.ResponderID, offer mobilize.OfferID) mobilize.NeedClosed {
	return mobilize.NeedClosed{Need: fixture().Need, Status: mobilize.NeedCancelled, At: t0,
		Withdrawn: []mobilize.Withdrawal{{OfferID: offer, Responder: rid}}}
}

func offerIDOf(t *testing.T, c call) string {
	t.Helper()
	var m struct {
		OfferID string `json:"offer_id"`
	}
	if err := json.Unmarshal([]byte(c.data), &m); err != nil {
		t.Fatal(err)
	}
	return c.typ + ":" + m.OfferID
}

// Many emitters at once, each for its own responders, over a hub whose
// calls take varying time: every responder gets its messages in the order
// they were emitted (each offer before its withdrawal, offers in turn).
func TestEachResponderHearsInOrder(t *testing.T) {
	hub := &fakeHub{deliver: func(context.Context, string, string) error {
		time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
		return nil
	}}
	n := New(hub, Options{Shards: 4, QueueLen: 8})
	const emitters, perEmitter, rounds = 8, 5, 20
	var wg sync.WaitGroup
	for e := range emitters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				for p := range perEmitter {
					rid := mobilize.ResponderID(fmt.Sprintf("r%d-%d", e, p))
					offer := mobilize.OfferID(fmt.Sprintf("o%d", r))
					n.Emit(context.Background(), offerTo(rid, offer))
					n.Emit(context.Background(), withdraw(rid, offer))
				}
			}
		}()
	}
	wg.Wait()
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	for e := range emitters {
		for p := range perEmitter {
			rid := fmt.Sprintf("r%d-%d", e, p)
			got := hub.inboxOf(rid)
			if len(got) != 2*rounds {
				t.Fatalf("%s got %d messages, want %d", rid, len(got), 2*rounds)
			}
			for r := range rounds {
				if a, b := offerIDOf(t, got[2*r]), offerIDOf(t, got[2*r+1]); a != fmt.Sprintf("offer:o%d", r) || b != fmt.Sprintf("offer_withdrawn:o%d", r) {
					t.Fatalf("%s message %d, %d: %s then %s; want offer o%d then its withdrawal", rid, 2*r, 2*r+1, a, b, r)
				}
			}
		}
	}
}

// A full queue holds the emitter back until the hub takes work again, or
// until the emitter's context ends; what a given-up Emit could not queue
// is not delivered, and what was queued is.
func TestFullQueueHoldsTheEmitterBack(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 10)
	hub := &fakeHub{deliver: func(context.Context, string, string) error {
		started <- struct{}{}
		<-release
		return nil
	}}
	n := New(hub, Options{Shards: 1, QueueLen: 2})
	ctx := context.Background()
	n.Emit(ctx, mobilize.Alerted{Alert: "a0", To: []mobilize.ResponderID{"r1"}, At: t0})
	<-started // the worker holds a0; the queue is empty
	n.Emit(ctx, mobilize.Alerted{Alert: "a1", To: []mobilize.ResponderID{"r1"}, At: t0})
	n.Emit(ctx, mobilize.Alerted{Alert: "a2", To: []mobilize.ResponderID{"r1"}, At: t0})

	// Held until its context ends: asking the context afterwards, not a
	// stopwatch, so that a slow scheduler cannot fail the test.
	short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	n.Emit(short, mobilize.Alerted{Alert: "dropped", To: []mobilize.ResponderID{"r1"}, At: t0})
	if short.Err() == nil {
		t.Fatal("Emit on a full queue returned before its context ended")
	}

	done := make(chan struct{})
	go func() {
		n.Emit(ctx, mobilize.Alerted{Alert: "a3", To: []mobilize.ResponderID{"r1"}, At: t0})
		close(done)
	}()
	select {
	case <-done:
		t.Fatal("Emit returned while the queue was full")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Emit still held after the hub took work again")
	}
	if err := n.Close(ctx); err != nil {
		t.Fatal(err)
	}
	var alerts []string
	for _, c := range hub.inboxOf("r1") {
		var m struct {
			AlertID string `json:"alert_id"`
		}
		json.Unmarshal([]byte(c.data), &m)
		alerts = append(alerts, m.AlertID)
	}
	if fmt.Sprint(alerts) != "[a0 a1 a2 a3]" {
		t.Fatalf("delivered %v, want [a0 a1 a2 a3]", alerts)
	}
}

// Close waits for everything Emit accepted, however slow the hub; Emit
// after Close still delivers, on the caller.
func TestCloseDrainsEverythingAccepted(t *testing.T) {
	hub := &fakeHub{deliver: func(context.Context, string, string) error {
		time.Sleep(time.Millisecond)
		return nil
	}}
	n := New(hub, Options{Shards: 2, QueueLen: 1000})
	const total = 300
	for i := range total {
		n.Emit(context.Background(), offerTo(mobilize.ResponderID(fmt.Sprintf("r%d", i%7)), mobilize.OfferID(fmt.Sprint(i))))
	}
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	inbox, published := 0, 0
	for _, c := range hub.recorded() {
		if c.to != "" {
			inbox++
		} else {
			published++
		}
	}
	if inbox != total || published != total {
		t.Fatalf("after Close: %d offers delivered and %d console events published, want %d each", inbox, published, total)
	}
	n.Emit(context.Background(), offerTo("late", "o-late"))
	if got := hub.inboxOf("late"); len(got) != 1 {
		t.Fatalf("an offer emitted after Close: %d delivered, want 1", len(got))
	}
}

// An inbox message is retried while the hub fails, and delivered once it
// answers again.
func TestInboxDeliveryRetriesUntilItWorks(t *testing.T) {
	var attempts atomic.Int32
	hub := &fakeHub{deliver: func(context.Context, string, string) error {
		if attempts.Add(1) <= 3 {
			return errors.New("redis: connection refused")
		}
		return nil
	}}
	core, logs := observer.New(zapcore.InfoLevel)
	n := New(hub, Options{Logger: zap.New(core), Backoff: time.Millisecond})
	n.Emit(context.Background(), offerTo("r1", "o1"))
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := hub.inboxOf("r1"); len(got) != 1 || attempts.Load() != 4 {
		t.Fatalf("%d delivered after %d attempts, want 1 after 4", len(got), attempts.Load())
	}
	if logs.FilterMessage("inbox delivery succeeded after retries").Len() != 1 || logs.FilterLevelExact(zapcore.ErrorLevel).Len() != 0 {
		t.Fatalf("logs %v", logs.All())
	}
}

// A hub that stays down makes a delivery give up after GiveUpAfter, with
// an error in the log; the worker then goes on with the next message.
func TestInboxDeliveryGivesUpLoudlyAfterALongOutage(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	hub := &fakeHub{deliver: func(_ context.Context, to, _ string) error {
		if to == "r1" && down.Load() {
			return errors.New("redis: connection refused")
		}
		return nil
	}}
	core, logs := observer.New(zapcore.InfoLevel)
	n := New(hub, Options{Logger: zap.New(core), Shards: 1, Backoff: time.Millisecond, GiveUpAfter: 50 * time.Millisecond})
	n.Emit(context.Background(), offerTo("r1", "o1"))
	n.Emit(context.Background(), offerTo("r2", "o2"))
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(hub.inboxOf("r1")) != 0 || len(hub.inboxOf("r2")) != 1 {
		t.Fatalf("r1 got %d, r2 %d; want the outage to cost r1's offer only", len(hub.inboxOf("r1")), len(hub.inboxOf("r2")))
	}
	lost := logs.FilterMessage("inbox delivery failed; the message is lost").All()
	if len(lost) != 1 || lost[0].Level != zapcore.ErrorLevel || lost[0].ContextMap()["responder_id"] != "r1" {
		t.Fatalf("lost-message log %v", lost)
	}
}

// A Close whose time runs out during an outage stops the retries, logs
// what is lost and says so.
func TestCloseOutOfTimeGivesUp(t *testing.T) {
	hub := &fakeHub{deliver: func(context.Context, string, string) error { return errors.New("redis: connection refused") }}
	core, logs := observer.New(zapcore.InfoLevel)
	n := New(hub, Options{Logger: zap.New(core), Backoff: time.Millisecond})
	n.Emit(context.Background(), offerTo("r1", "o1"))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	begin := time.Now()
	err := n.Close(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(begin) > 5*time.Second {
		t.Fatalf("Close: %v after %v, want the deadline's error soon after it", err, time.Since(begin))
	}
	if logs.FilterMessage("inbox delivery failed; the message is lost").Len() != 1 {
		t.Fatalf("logs %v", logs.All())
	}
}

// What is emitted while Close drains waits for the queue: a withdrawal
// does not overtake the offer still being delivered.
func TestEmitDuringCloseDoesNotOvertakeTheQueue(t *testing.T) {
	release := make(chan struct{})
	hub := &fakeHub{deliver: func(_ context.Context, _, typ string) error {
		if typ == "offer" {
			<-release
		}
		return nil
	}}
	n := New(hub, Options{Shards: 1})
	ctx := context.Background()
	n.Emit(ctx, offerTo("r1", "o1"))
	closed := make(chan error, 1)
	go func() { closed <- n.Close(ctx) }()
	for {
		n.mu.RLock()
		c := n.closed
		n.mu.RUnlock()
		if c {
			break
		}
		time.Sleep(time.Millisecond)
	}
	emitted := make(chan struct{})
	go func() {
		n.Emit(ctx, withdraw("r1", "o1"))
		close(emitted)
	}()
	time.Sleep(30 * time.Millisecond) // time enough to overtake, were it allowed
	close(release)
	<-emitted
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	got := hub.inboxOf("r1")
	if len(got) != 2 || offerIDOf(t, got[0]) != "offer:o1" || offerIDOf(t, got[1]) != "offer_withdrawn:o1" {
		t.Fatalf("r1 got %s, want the offer then its withdrawal", describe(got))
	}
}

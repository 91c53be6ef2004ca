package redisstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/reach/push"
)

func newPushStore(t testing.TB, b redistest.Backend) *PushStore {
	t.Helper()
	ps, err := NewPushStore(b.Client, "t:", "yt")
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// testSubscription is a valid subscription for endpoint number i.
func testSubscription(t testing.TB, i int, at time.Time) push.Subscription {
	t.Helper()
	keys, err := push.GenerateVAPIDKeys() // any P-256 public key will do
	if err != nil {
		t.Fatal(err)
	}
	sub, err := push.Rules{}.NewSubscription(fmt.Sprintf("https://push.example/sub/%d", i), keys.Public, "AAAAAAAAAAAAAAAAAAAAAA", "zh", at)
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

func subIDs(subs []push.Subscription) []string {
	out := make([]string, len(subs))
	for i, s := range subs {
		out[i] = s.ID
	}
	return out
}

// TestPushSubscriptionsKeepTenReplacingTheOldest: a responder keeps at
// most ten devices, an eleventh replaces the one registered longest ago;
// the same endpoint again keeps its id and takes the new keys; delete
// says whether it found one; other responders are untouched.
func TestPushSubscriptionsKeepTenReplacingTheOldest(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		ps := newPushStore(t, b)
		t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
		var want []string
		for i := range push.MaxSubscriptions {
			sub := testSubscription(t, i, t0.Add(time.Duration(i)*time.Minute))
			created, err := ps.AddPushSubscription(ctx, "r1", sub)
			if err != nil || !created {
				t.Fatalf("add %d: created %v, %v", i, created, err)
			}
			want = append(want, sub.ID)
		}
		if _, err := ps.AddPushSubscription(ctx, "r2", testSubscription(t, 99, t0)); err != nil {
			t.Fatal(err)
		}
		eleventh := testSubscription(t, 10, t0.Add(time.Hour))
		if created, err := ps.AddPushSubscription(ctx, "r1", eleventh); err != nil || !created {
			t.Fatalf("add the eleventh: %v %v", created, err)
		}
		subs, err := ps.PushSubscriptions(ctx, "r1")
		if err != nil {
			t.Fatal(err)
		}
		want = append(want[1:], eleventh.ID)
		if got := subIDs(subs); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("after the eleventh: %v, want the first replaced: %v", got, want)
		}

		// The same endpoint again: the same id, new keys and language,
		// and it counts as registered now.
		again := testSubscription(t, 1, t0.Add(2*time.Hour))
		again.Lang = "en"
		if created, err := ps.AddPushSubscription(ctx, "r1", again); err != nil || created {
			t.Fatalf("the same endpoint again: created %v, %v; want the existing one replaced", created, err)
		}
		subs, _ = ps.PushSubscriptions(ctx, "r1")
		last := subs[len(subs)-1]
		if len(subs) != push.MaxSubscriptions || last.ID != again.ID || last.P256dh != again.P256dh || last.Lang != "en" || !last.Created.Equal(again.Created) {
			t.Fatalf("after registering again: %d subscriptions, last %+v; want %+v", len(subs), last, again)
		}

		if found, err := ps.DeletePushSubscription(ctx, "r1", again.ID); err != nil || !found {
			t.Fatalf("delete: %v %v", found, err)
		}
		if found, err := ps.DeletePushSubscription(ctx, "r1", again.ID); err != nil || found {
			t.Fatalf("delete again: %v %v, want not found", found, err)
		}
		if subs, _ := ps.PushSubscriptions(ctx, "r2"); len(subs) != 1 {
			t.Fatalf("r2 has %d subscriptions, want its one", len(subs))
		}
	})
}

// TestPushSubscriptionRefusesBadInput: a bad responder id or an id that
// is not the endpoint's changes nothing.
func TestPushSubscriptionRefusesBadInput(t *testing.T) {
	_, c := redistest.Embedded(t)
	ps := newPushStore(t, redistest.Backend{Client: c})
	ctx := context.Background()
	before := redistest.Snapshot(t, c)
	sub := testSubscription(t, 1, time.Now())
	if _, err := ps.AddPushSubscription(ctx, "bad id", sub); !errors.Is(err, mobilize.ErrInvalid) {
		t.Errorf("bad responder id: %v", err)
	}
	forged := sub
	forged.ID = "0000000000000000"
	if _, err := ps.AddPushSubscription(ctx, "r1", forged); !errors.Is(err, mobilize.ErrInvalid) {
		t.Errorf("forged id: %v", err)
	}
	if after := redistest.Snapshot(t, c); after != before {
		t.Fatalf("refused input changed the store:\n%s", after)
	}
}

// TestPushSubscriptionLimitHoldsUnderConcurrency: thirty devices
// registering at once on a real Redis leave exactly ten: the count and
// the replacement are one atomic step.
func TestPushSubscriptionLimitHoldsUnderConcurrency(t *testing.T) {
	s := redistest.Start(t, redistest.Options{})
	ps := newPushStore(t, redistest.Backend{Client: s.Client(t)})
	ctx := context.Background()
	t0 := time.Now()
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Go(func() {
			if _, err := ps.AddPushSubscription(ctx, "r1", testSubscription(t, i, t0.Add(time.Duration(i)*time.Millisecond))); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	subs, err := ps.PushSubscriptions(ctx, "r1")
	if err != nil || len(subs) != push.MaxSubscriptions {
		t.Fatalf("%d subscriptions (%v), want %d", len(subs), err, push.MaxSubscriptions)
	}
}

// TestVAPIDKeysAreCreatedOnceAndKept: of processes starting at once, one
// pair wins and every process gets it; it survives a restart of Redis
// with persistence.
func TestVAPIDKeysAreCreatedOnceAndKept(t *testing.T) {
	s := redistest.Start(t, redistest.Options{AOF: true})
	ps := newPushStore(t, redistest.Backend{Client: s.Client(t)})
	ctx := context.Background()
	var (
		mu      sync.Mutex
		got     = map[push.VAPIDKeys]int{}
		created int
		wg      sync.WaitGroup
	)
	for range 8 {
		wg.Go(func() {
			fresh, err := push.GenerateVAPIDKeys()
			if err != nil {
				t.Error(err)
				return
			}
			k, c, err := ps.VAPIDKeys(ctx, fresh)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			got[k]++
			if c {
				created++
			}
		})
	}
	wg.Wait()
	if len(got) != 1 || created != 1 {
		t.Fatalf("%d distinct pairs, %d created; want one pair, created once", len(got), created)
	}
	var kept push.VAPIDKeys
	for k := range got {
		kept = k
	}
	if err := kept.Check(); err != nil {
		t.Fatalf("the kept pair: %v", err)
	}
	s.Restart()
	ps = newPushStore(t, redistest.Backend{Client: s.Client(t)})
	other, _ := push.GenerateVAPIDKeys()
	if k, c, err := ps.VAPIDKeys(ctx, other); err != nil || c || k != kept {
		t.Fatalf("after a restart: %+v created %v, %v; want the kept pair", k, c, err)
	}
}

// TestEraseDeletesPushSubscriptions: a refused erasure keeps the erased
// person's devices; an erasure deletes them, and nobody else's.
func TestEraseDeletesPushSubscriptions(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		clock := newTestClock()
		st := newStore(t, b, clock)
		ps := newPushStore(t, b)
		c := &recognitionCity{t: t, ctx: ctx, st: st, clock: clock}
		c.enroll("gone", "org-a")
		c.enroll("stays", "org-a")
		for i, rid := range []mobilize.ResponderID{"gone", "gone", "stays"} {
			if _, err := ps.AddPushSubscription(ctx, rid, testSubscription(t, i, clock.Now())); err != nil {
				t.Fatal(err)
			}
		}
		c.staff("n1", "gone")
		if out, err := st.Erase(ctx, "gone", mobilize.Pseudonym("gone")); err != nil || out != mobilize.EraseAssigned {
			t.Fatalf("erase while assigned: %s %v", out, err)
		}
		if subs, _ := ps.PushSubscriptions(ctx, "gone"); len(subs) != 2 {
			t.Fatalf("a refused erasure left %d subscriptions, want 2", len(subs))
		}
		c.complete("n1", "gone")
		if out, err := st.Erase(ctx, "gone", mobilize.Pseudonym("gone")); err != nil || out != mobilize.EraseOK {
			t.Fatalf("erase: %s %v", out, err)
		}
		if subs, err := ps.PushSubscriptions(ctx, "gone"); err != nil || len(subs) != 0 {
			t.Fatalf("after erasure: %d subscriptions (%v), want none", len(subs), err)
		}
		if subs, _ := ps.PushSubscriptions(ctx, "stays"); len(subs) != 1 {
			t.Fatalf("stays has %d subscriptions, want 1", len(subs))
		}
	})
}

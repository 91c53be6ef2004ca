package redisstore

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
)

func TestAcknowledgements(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, r := context.Background(), newTestReach(t, b)
		if how, err := r.Acknowledged(ctx, "o1"); err != nil || how != "" {
			t.Fatalf("before: %q %v", how, err)
		}
		if err := r.Acknowledge(ctx, "o1", "receipt", time.Minute); err != nil {
			t.Fatal(err)
		}
		if how, err := r.Acknowledged(ctx, "o1"); err != nil || how != "receipt" {
			t.Errorf("after: %q %v", how, err)
		}
		if how, _ := r.Acknowledged(ctx, "o2"); how != "" {
			t.Errorf("another offer acknowledged: %q", how)
		}
		if err := r.RememberOfferMessage(ctx, "o1", "1700000000000-3", time.Minute); err != nil {
			t.Fatal(err)
		}
		id, found, err := r.OfferMessage(ctx, "o1")
		if err != nil || !found || id != "1700000000000-3" {
			t.Errorf("offer message: %q %v %v", id, found, err)
		}
		if _, found, _ := r.OfferMessage(ctx, "o2"); found {
			t.Error("unknown offer's message found")
		}
	})
}

// Two processes share a responder's marker: one closing its last socket
// leaves the other's standing, and a marker not refreshed lapses.
func TestOnlineMarkers(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, r := context.Background(), newTestReach(t, b)
		now := time.Now()
		if on, err := r.Online(ctx, "r1", now); err != nil || on {
			t.Fatalf("before any socket: %v %v", on, err)
		}
		if err := r.MarkOnline(ctx, "p1", []string{"r1", "r2"}, now, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := r.MarkOnline(ctx, "p2", []string{"r1"}, now, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := r.MarkOffline(ctx, "p1", "r1"); err != nil {
			t.Fatal(err)
		}
		if on, _ := r.Online(ctx, "r1", now); !on {
			t.Error("r1 still has a socket on p2")
		}
		if err := r.MarkOffline(ctx, "p2", "r1"); err != nil {
			t.Fatal(err)
		}
		if on, _ := r.Online(ctx, "r1", now); on {
			t.Error("r1 has no socket left")
		}
		if on, _ := r.Online(ctx, "r2", now.Add(2*time.Minute)); on {
			t.Error("a marker not refreshed did not lapse")
		}
		if on, _ := r.Online(ctx, "r2", now.Add(30*time.Second)); !on {
			t.Error("r2's fresh marker not seen")
		}
	})
}

// Two processes claiming due fallbacks at once take each exactly once.
func TestClaimDueOnce(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, r := context.Background(), newTestReach(t, b)
		now := time.Now()
		for i := range 20 {
			if err := r.ScheduleFallback(ctx, "f"+strconv.Itoa(i), now.Add(time.Duration(i-10)*time.Second)); err != nil {
				t.Fatal(err)
			}
		}
		got := map[string]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for {
					due, err := r.ClaimDue(ctx, now, 3)
					if err != nil {
						t.Error(err)
						return
					}
					if len(due) == 0 {
						return
					}
					mu.Lock()
					for _, f := range due {
						got[f]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(got) != 11 { // f0..f10: due by now
			t.Errorf("claimed %d fallbacks, want the 11 due: %v", len(got), got)
		}
		for f, n := range got {
			if n != 1 {
				t.Errorf("%s claimed %d times", f, n)
			}
		}
		if later, _ := r.ClaimDue(ctx, now.Add(time.Minute), 100); len(later) != 9 {
			t.Errorf("the 9 later ones: got %v", later)
		}
	})
}

// The retention sweep forgets the person served's phone with the
// description.
func TestStripNeedForgetsTheRequesterPhone(t *testing.T) {
	data := `{"id":"n1","urgency":2,"category":"medical","team":[],"description":"x","notify_requester":true,"requester_phone":"+8613900000001","lat":37.46,"lng":121.45,"created_at":"2026-12-07T10:00:00Z","assignments":null}`
	out, err := stripNeed(data)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "+8613900000001") || strings.Contains(out, "requester_phone") {
		t.Errorf("stripped need still holds the phone: %s", out)
	}
}

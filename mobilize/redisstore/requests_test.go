package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/redisstore"
)

// TestRequestRecords, on both Redis: counts run for one hour and say how
// long is left; a link answers its need until it expires; a status is
// recorded once however many writers add it at once, in the order first
// seen, and a status already passed is not added again after a later one.
func TestRequestRecords(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		r, err := redisstore.NewRequests(b.Client, "t:", "yt")
		if err != nil {
			t.Fatal(err)
		}
		for want := 1; want <= 3; want++ {
			n, left, err := r.CountRequest(ctx, "phone:abc")
			if err != nil || n != want || left <= 59*time.Minute || left > time.Hour {
				t.Fatalf("count %d: %d, %s left, %v", want, n, left, err)
			}
		}
		if n, _, _ := r.CountRequest(ctx, "place:other"); n != 1 {
			t.Fatalf("another key counts %d", n)
		}

		if err := r.SaveRequestLink(ctx, "hash-1", "n1", 2*time.Second); err != nil {
			t.Fatal(err)
		}
		if id, err := r.RequestLink(ctx, "hash-1"); err != nil || id != "n1" {
			t.Fatalf("link: %q %v", id, err)
		}
		if _, err := r.RequestLink(ctx, "hash-2"); !errors.Is(err, mobilize.ErrNotFound) {
			t.Fatalf("unknown link: %v", err)
		}

		at := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st := mobilize.RequestStep{Status: mobilize.RequestSubmitted, At: at.Add(time.Duration(i) * time.Second)}
				if _, err := r.AddRequestStep(ctx, "n1", st, time.Hour); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		steps, err := r.AddRequestStep(ctx, "n1", mobilize.RequestStep{Status: mobilize.RequestStaffed, At: at.Add(time.Minute)}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		// A late event for an earlier status does not follow the later one twice.
		steps, _ = r.AddRequestStep(ctx, "n1", mobilize.RequestStep{Status: mobilize.RequestSubmitted, At: at.Add(2 * time.Minute)}, time.Hour)
		if got := fmt.Sprint(steps); len(steps) != 2 || steps[0].Status != "submitted" || steps[1].Status != "staffed" || !steps[1].At.Equal(at.Add(time.Minute)) {
			t.Fatalf("steps %s", got)
		}

		if b.FastForward != nil {
			b.FastForward(3 * time.Second)
		} else {
			time.Sleep(2100 * time.Millisecond)
		}
		if _, err := r.RequestLink(ctx, "hash-1"); !errors.Is(err, mobilize.ErrNotFound) {
			t.Fatalf("expired link: %v", err)
		}
	})
}

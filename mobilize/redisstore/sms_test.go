package redisstore

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

func newTestReach(t testing.TB, b redistest.Backend) *Reach {
	t.Helper()
	r, err := NewReach(b.Client, "t:", "yt")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReplyCodes(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, r := context.Background(), newTestReach(t, b)
		now := time.Now()
		exp := now.Add(time.Minute)
		phone := "+8613800000001"
		c1, err := r.AllocateCode(ctx, phone, "n1", "o1", exp, time.Hour, now)
		if err != nil || !smsCode(c1) {
			t.Fatalf("code %q, %v", c1, err)
		}
		if again, err := r.AllocateCode(ctx, phone, "n1", "o1", exp, time.Hour, now); err != nil || again != c1 {
			t.Errorf("the same offer asked again got %q, %v; want %q", again, err, c1)
		}
		c2, err := r.AllocateCode(ctx, phone, "n1", "o2", exp, time.Hour, now)
		if err != nil || c2 == c1 {
			t.Errorf("second open offer got %q (first %q), %v", c2, c1, err)
		}
		st, found, err := r.LookupCode(ctx, phone, c1, now)
		if err != nil || !found || st != (CodeState{Offer: "o1"}) {
			t.Errorf("lookup: %+v %v %v", st, found, err)
		}
		if _, found, _ := r.LookupCode(ctx, "+8613800000002", c1, now); found {
			t.Error("another phone's code found")
		}
		if err := r.EndCode(ctx, "o1", "accepted"); err != nil {
			t.Fatal(err)
		}
		st, found, err = r.LookupCode(ctx, phone, c1, now)
		if err != nil || !found || st != (CodeState{Offer: "o1", Ended: "accepted"}) {
			t.Errorf("after the answer the code tells how it ended: %+v %v %v", st, found, err)
		}
		if err := r.EndCode(ctx, "never-texted", "expired"); err != nil {
			t.Errorf("an offer without a code: %v", err)
		}
		// Past the keep time the code is gone.
		if _, found, _ := r.LookupCode(ctx, phone, c2, exp.Add(time.Hour+time.Second)); found {
			t.Error("a code past its keep time was found")
		}
	})
}

// An ended code is free again: the phone's next offers may take it.
// (A thousand round trips: on the real server only, where they are fast.)
func TestEndedCodeIsFreeAgain(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	{
		ctx := context.Background()
		r, err := NewReach(srv.Client(t), "t:", "yt")
		if err != nil {
			t.Fatal(err)
		}
		now, phone := time.Now(), "+8613800000003"
		seen := map[string]bool{}
		// 1000 codes: allocating and ending 1100 offers one at a time
		// fails before the end if ended codes stay taken.
		for i := range 1100 {
			o := mobilize.OfferID(fmt.Sprintf("o%d", i))
			c, err := r.AllocateCode(ctx, phone, "n1", o, now.Add(time.Minute), time.Hour, now)
			if err != nil {
				t.Fatalf("offer %d: %v", i, err)
			}
			seen[c] = true
			if err := r.EndCode(ctx, o, "declined"); err != nil {
				t.Fatal(err)
			}
		}
		if len(seen) < 500 {
			t.Errorf("only %d distinct codes in 1100 draws", len(seen))
		}
	}
}

// Many processes texting one phone at once never hand out one code twice
// among its open offers: the allocation is one Lua step on a real Redis.
func TestReplyCodesAtomicOnRealRedis(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	ctx := context.Background()
	now, phone := time.Now(), "+8613800000004"
	const offers = 60
	codes := make([]string, offers)
	var wg sync.WaitGroup
	for i := range offers {
		r, err := NewReach(srv.Client(t), "t:", "yt") // a client each, as separate processes
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			c, err := r.AllocateCode(ctx, phone, "n1", mobilize.OfferID(fmt.Sprintf("o%d", i)), now.Add(time.Minute), time.Hour, now)
			if err != nil {
				t.Error(err)
			}
			codes[i] = c
		})
	}
	wg.Wait()
	seen := map[string]int{}
	for i, c := range codes {
		if j, dup := seen[c]; dup {
			t.Errorf("offers %d and %d share code %s", j, i, c)
		}
		seen[c] = i
	}
}

func TestSMSBudgetAcrossProcesses(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	ctx := context.Background()
	a, _ := NewReach(srv.Client(t), "t:", "yt")
	b, _ := NewReach(srv.Client(t), "t:", "yt")
	hour := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	allowed := 0
	for i := range 10 {
		r := a
		if i%2 == 1 {
			r = b
		}
		ok, err := r.TakeSMS(ctx, hour.Add(time.Duration(i)*time.Minute), 6)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			allowed++
		}
	}
	if allowed != 6 {
		t.Errorf("%d of 10 allowed by two processes with a budget of 6 an hour", allowed)
	}
	if ok, _ := a.TakeSMS(ctx, hour.Add(time.Hour), 6); !ok {
		t.Error("the next hour has a budget of its own")
	}
	ttl, err := srv.Client(t).TTL(ctx, "t:{yt}:sms:budget:"+fmt.Sprint(hour.Unix()/3600)).Result()
	if err != nil || ttl <= 0 || ttl > 2*time.Hour {
		t.Errorf("budget key ttl %v, %v", ttl, err)
	}
}

func TestCountReply(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, r := context.Background(), newTestReach(t, b)
		now := time.Date(2026, 12, 7, 10, 0, 5, 0, time.UTC)
		for want := int64(1); want <= 3; want++ {
			if n, err := r.CountReply(ctx, "+8613800000005", now); err != nil || n != want {
				t.Fatalf("count %d, %v; want %d", n, err, want)
			}
		}
		if n, _ := r.CountReply(ctx, "+8613800000005", now.Add(time.Minute)); n != 1 {
			t.Errorf("next minute counted %d", n)
		}
	})
}

func smsCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

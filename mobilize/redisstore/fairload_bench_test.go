package redisstore

import (
	"context"
	"fmt"
	"testing"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// BenchmarkFatigue reads the fatigue record (declines, offers in the last
// hour, hours in the last 24 h) of 20,000 candidates, as one tick with
// 10,000 open slots might, on a real redis-server; half of them have
// offer and service windows to read.
func BenchmarkFatigue(b *testing.B) {
	srv := redistest.Start(b, redistest.Options{})
	rdb := srv.Client(b)
	clock := newTestClock()
	st := newStore(b, redistest.Backend{Client: rdb, Real: true}, clock)
	ctx := context.Background()
	ids := make([]mobilize.ResponderID, 20_000)
	pipe := rdb.Pipeline()
	now := clock.Now().UnixMilli()
	for i := range ids {
		ids[i] = mobilize.ResponderID(fmt.Sprintf("r%d", i))
		if i%2 == 0 {
			pipe.HSet(ctx, st.NeedStore.keys.fairload(), string(ids[i]), fmt.Sprintf("%d,%d|%d:1800", now-2000, now-1000, now-5000))
			pipe.HSet(ctx, st.NeedStore.keys.fatigue(), string(ids[i]), fmt.Sprintf("1|%d|0|0", now-1000))
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		f, err := st.Fatigue(ctx, ids)
		if err != nil || len(f) != 10_000 || f["r0"].OffersLastHour != 2 || f["r0"].HoursLast24h != 0.5 {
			b.Fatalf("%d records (r0 %+v), %v", len(f), f["r0"], err)
		}
	}
}

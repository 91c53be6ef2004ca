package redisstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/liandong/liandong/mobilize"
)

// BenchmarkTick measures one matcher tick with 10,000 open slots against
// 200,000 indexed responders on a real redis-server: candidate retrieval,
// the batch solve and the claims included. It also reports the batch's
// total travel time next to greedy nearest-first on the same candidates.
//
// LIANDONG_BENCH_TICK_RESPONDERS and LIANDONG_BENCH_TICK_SLOTS (either or
// both) run it as sub-benchmarks responders=N/slots=M over each pair, and
// LIANDONG_BENCH_REPEAT repeats each on the loaded city
// (bench_params_test.go).
func BenchmarkTick(b *testing.B) {
	sizes, slotCounts := benchInts(b, envTickResponders), benchInts(b, envTickSlots)
	if sizes == nil && slotCounts == nil {
		benchTick(b, loadCityWith(b, 200_000, "", true), 10_000)
		return
	}
	if sizes == nil {
		sizes = []int{200_000}
	}
	if slotCounts == nil {
		slotCounts = []int{10_000}
	}
	for _, slots := range slotCounts {
		if slots%2 != 0 {
			b.Fatalf("%s: %d slots is odd; the needs have two slots each", envTickSlots, slots)
		}
	}
	repeat := benchRepeat(b)
	for _, n := range sizes {
		b.Run("responders="+sizeName(n), func(b *testing.B) {
			city := loadCityWith(b, n, "", true)
			for _, slots := range slotCounts {
				for range repeat {
					b.Run(fmt.Sprintf("slots=%d", slots), func(b *testing.B) { benchTick(b, city, slots) })
				}
			}
		})
	}
}

var tickRounds atomic.Int64

// benchTick times ticks over slots open slots (slots/2 needs of two
// volunteers each) on city.
func benchTick(b *testing.B, city *benchCity, slots int) {
	ctx := context.Background()
	st := storeOver(city.ix)
	meter := &claimMeter{Store: st, rdb: city.rdb}
	r := rand.New(rand.NewPCG(5, 6))
	var last mobilize.TickReport
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		round := tickRounds.Add(1) // need ids unique across repeats on one city
		// slots/2 needs (5,000 by default) of two volunteers each, spread
		// over the city.
		cfg := mobilize.DefaultMatchConfig()
		cfg.CompareGreedy, cfg.MaxRadiusMeters = true, 5000
		svc := mobilize.NewService(mobilize.ServiceDeps{Store: meter, Now: city.clock.Now}, cfg)
		var ids []mobilize.NeedID
		for j := range slots / 2 {
			n := mobilize.Need{ID: mobilize.NeedID(fmt.Sprintf("b%d-%d", round, j)), Urgency: 1 + r.IntN(4), Category: "bench",
				Point: randomPoint(b, r, cityHalfMeters), Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 2}}}
			created, err := svc.CreateNeed(ctx, n)
			if err != nil {
				b.Fatal(err)
			}
			ids = append(ids, created.ID)
		}
		b.StartTimer()
		rep, err := svc.Matcher().Tick(ctx)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if rep.OpenSlots != slots {
			b.Fatalf("tick saw %d open slots, want %d", rep.OpenSlots, slots)
		}
		last = rep
		b.Logf("tick: load %s, gather %s, solve %s, claim %s", rep.Load, rep.Gather, rep.Solve, rep.Claim)
		for _, id := range ids { // release everyone for the next round
			if _, err := st.Close(ctx, id, mobilize.NeedCancelled); err != nil {
				b.Fatal(err)
			}
		}
		// The clock stands still between rounds: forget this round's
		// offers, or every responder would look offered 10,000 times an
		// hour and each round would start from a busier state.
		if err := city.rdb.Del(ctx, city.ix.keys.base+"fairload").Err(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(last.Offered), "offers/tick")
	// What a claim costs Redis (offer.lua, from INFO commandstats around
	// each OfferMany): commands run, helpers included, and server time.
	b.ReportMetric(meter.callsPerClaim(), "calls/claim")
	b.ReportMetric(meter.usecPerClaim(), "redis-µs/claim")
	b.ReportMetric(last.PlannedTravelSeconds/float64(max(1, last.PlannedFilled)), "travel-s/slot")
	if last.PlannedTravelSeconds > 0 && last.GreedyFilled == last.PlannedFilled {
		b.ReportMetric(100*(last.GreedyTravelSeconds/last.PlannedTravelSeconds-1), "greedy-worse-%")
	}
	b.ReportMetric(float64(last.GreedyFilled-last.PlannedFilled), "greedy-filled-diff")
}

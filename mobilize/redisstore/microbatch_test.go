package redisstore

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// microCity is serviceCity with a long tick (a need that waited for it
// would wait 5 s) and the given micro-batch window, its matcher running.
// ticks hears every tick's report.
func microCity(t *testing.T, b redistest.Backend, window time.Duration) (*testClock, *Store, *recorder, *mobilize.Service, <-chan mobilize.TickReport) {
	t.Helper()
	return microCityTick(t, b, 5*time.Second, window)
}

// microCityTick is microCity with the given tick.
func microCityTick(t *testing.T, b redistest.Backend, tick, window time.Duration) (*testClock, *Store, *recorder, *mobilize.Service, <-chan mobilize.TickReport) {
	t.Helper()
	clock := newTestClock()
	st := newStore(t, b, clock)
	rec := &recorder{}
	cfg := matchConfig()
	cfg.Tick, cfg.MicroBatch = tick, window
	svc := mobilize.NewService(mobilize.ServiceDeps{Store: st, Sink: rec, Now: clock.Now}, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	ticks := make(chan mobilize.TickReport, 100)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		svc.Matcher().Run(ctx, func(rep mobilize.TickReport, err error) {
			if err != nil {
				t.Errorf("tick: %v", err)
			}
			ticks <- rep
		})
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return clock, st, rec, svc, ticks
}

// offerWithin waits up to d for the first offer of need id.
func offerWithin(rec *recorder, id mobilize.NeedID, d time.Duration) (mobilize.OfferSent, bool) {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(2 * time.Millisecond) {
		for _, o := range eventsOf[mobilize.OfferSent](rec) {
			if o.Need.ID == id {
				return o, true
			}
		}
	}
	return mobilize.OfferSent{}, false
}

// TestNewNeedIsOfferedInItsMicroBatch: a need created just after a tick
// gets its offer one window later, not at the next tick 5 s on; with the
// window off (0) it waits for that tick.
func TestNewNeedIsOfferedInItsMicroBatch(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		for _, window := range []time.Duration{50 * time.Millisecond, 0} {
			clock, st, rec, svc, ticks := microCity(t, b, window)
			enrollAt(t, st, clock, "v"+mobilize.ResponderID(window.String()), mobilize.RoleVolunteer, 1, yantaiLat+0.001, yantaiLng)
			svc.Matcher().Wake() // a tick, with nothing to do
			<-ticks
			created := time.Now()
			n := mustCreateNeed(t, svc, mobilize.Need{Urgency: 3, Category: "medicine_delivery", Point: mustPoint(t, yantaiLat, yantaiLng),
				Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}})
			wait := 2 * time.Second // far longer than the window, far shorter than the tick
			if window == 0 {
				wait = time.Second
			}
			_, offered := offerWithin(rec, n.ID, wait)
			took := time.Since(created)
			switch {
			case window > 0 && !offered:
				t.Fatalf("window %v: no offer 2 s after the need (the next tick is 5 s after the last)", window)
			case window > 0 && took < window:
				t.Fatalf("window %v: offered after %v, before the window closed", window, took)
			case window == 0 && offered:
				t.Fatalf("micro-batches off: offered after %v, before the next tick", took)
			}
			t.Logf("window %v: offered %v, after %v", window, offered, took)
		}
	})
}

// TestNeedsOfOneWindowAreSolvedTogether: two needs created within one
// window are matched in one tick, to the batch optimum. Alone, need a
// would take p1 (its nearest) and leave b, whom only p1 can reach, with
// nobody; together a gets p2 and b gets p1.
func TestNeedsOfOneWindowAreSolvedTogether(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		clock, st, rec, svc, ticks := microCity(t, b, 200*time.Millisecond)
		enrollAt(t, st, clock, "p1", mobilize.RoleVolunteer, 1, yantaiLat+0.005, yantaiLng) // 0.6 km from a, 3.9 km from b
		enrollAt(t, st, clock, "p2", mobilize.RoleVolunteer, 1, yantaiLat-0.010, yantaiLng) // 1.1 km from a, 5.6 km from b: out of b's reach
		svc.Matcher().Wake()
		<-ticks
		team := []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}
		na := mustCreateNeed(t, svc, mobilize.Need{Urgency: 3, Category: "medicine_delivery", Point: mustPoint(t, yantaiLat, yantaiLng), Team: team})
		nb := mustCreateNeed(t, svc, mobilize.Need{Urgency: 3, Category: "medicine_delivery", Point: mustPoint(t, yantaiLat+0.040, yantaiLng), Team: team})
		var rep mobilize.TickReport
		select {
		case rep = <-ticks:
		case <-time.After(2 * time.Second):
			t.Fatal("no micro-batch within 2 s")
		}
		if rep.Needs != 2 || rep.Offered != 2 {
			t.Fatalf("the micro-batch saw %d needs and offered %d, want both needs in one batch (%+v)", rep.Needs, rep.Offered, rep)
		}
		want := map[mobilize.NeedID]mobilize.ResponderID{na.ID: "p2", nb.ID: "p1"}
		for _, o := range eventsOf[mobilize.OfferSent](rec) {
			if want[o.Need.ID] != o.Responder {
				t.Errorf("need %s offered to %s, want %s", o.Need.ID, o.Responder, want[o.Need.ID])
			}
		}
		select {
		case rep = <-ticks:
			t.Fatalf("a second tick ran for the same window: %+v", rep)
		case <-time.After(300 * time.Millisecond):
		}
	})
}

// TestMicroBatchPostponesThePeriodicTick: a micro-batch is a full tick,
// so the periodic one comes a period after it, not on its old schedule:
// micro-batches replace periodic ticks rather than add to them.
func TestMicroBatchPostponesThePeriodicTick(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		const tick = 2 * time.Second
		clock, st, rec, svc, ticks := microCityTick(t, b, tick, 20*time.Millisecond)
		enrollAt(t, st, clock, "v1", mobilize.RoleVolunteer, 1, yantaiLat+0.001, yantaiLng)
		started := time.Now()
		time.Sleep(tick / 4) // well before the first periodic tick
		n := mustCreateNeed(t, svc, mobilize.Need{Urgency: 3, Category: "medicine_delivery", Point: mustPoint(t, yantaiLat, yantaiLng),
			Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}})
		select {
		case <-ticks:
		case <-time.After(5 * tick):
			t.Fatal("no tick")
		}
		micro := time.Now()
		if micro.Sub(started) >= tick*3/4 {
			t.Fatalf("the first tick came %v after the start: no micro-batch for the need created at %v", micro.Sub(started), tick/4)
		}
		if _, ok := offerWithin(rec, n.ID, time.Second); !ok {
			t.Fatal("the micro-batch offered nothing")
		}
		<-ticks
		if gap := time.Since(micro); gap < tick*8/10 {
			t.Fatalf("the periodic tick came %v after the micro-batch; want about a period (%v) after it", gap, tick)
		}
	})
}

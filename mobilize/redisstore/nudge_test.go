package redisstore

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// TestNudgeChargeOncePerInterval, on a real redis-server: eight ticks
// charging the same person at once send one nudge; once the interval has
// passed the next is sent only within the alert budget, which the first
// was charged to.
func TestNudgeChargeOncePerInterval(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	b := redistest.Backend{Name: "redis-server", Client: srv.Client(t), Real: true}
	clock := newTestClock()
	st := newStore(t, b, clock)
	ctx := context.Background()
	cell, err := geo.CellAt(mustPoint(t, yantaiLat, yantaiLng), mobilize.SurgeResolution)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetSurge(ctx, []mobilize.SurgeCell{{Cell: cell, PlacesShort: 2, Urgency: 2}}); err != nil {
		t.Fatal(err)
	}
	const interval = 300 * time.Millisecond
	var wg sync.WaitGroup
	got := make([]mobilize.NudgeCharge, 8)
	for i := range got {
		wg.Go(func() {
			c, err := st.ChargeNudge(ctx, "r1", cell, interval, 1)
			if err != nil {
				t.Error(err)
			}
			got[i] = c
		})
	}
	wg.Wait()
	sent := 0
	for _, c := range got {
		switch c {
		case mobilize.NudgeSent:
			sent++
		case mobilize.NudgeRecent:
		default:
			t.Errorf("concurrent charge: %q", c)
		}
	}
	if sent != 1 {
		t.Fatalf("%d of 8 concurrent charges sent, want 1: %v", sent, got)
	}
	time.Sleep(interval + 100*time.Millisecond)
	if c, err := st.ChargeNudge(ctx, "r1", cell, interval, 1); err != nil || c != mobilize.NudgeOver {
		t.Fatalf("after the interval with a budget of 1 spent: %q %v, want over", c, err)
	}
	if c, err := st.ChargeNudge(ctx, "r1", cell, interval, 0); err != nil || c != mobilize.NudgeSent {
		t.Fatalf("after the interval, no budget: %q %v, want sent", c, err)
	}
	cells, err := st.Surge(ctx)
	if err != nil || len(cells) != 1 || cells[0].NudgesSent != 2 || cells[0].PlacesShort != 2 || cells[0].Urgency != 2 {
		t.Fatalf("surge: %+v %v, want the cell with 2 nudges sent", cells, err)
	}
	if _, err := st.ChargeNudge(ctx, "r1", cell, 0, 0); err == nil {
		t.Fatal("a zero interval was accepted")
	}
	// Opting out (as an erasure does) forgets the last nudge.
	if _, err := st.ChargeNudge(ctx, "r2", cell, time.Hour, 0); err != nil {
		t.Fatal(err)
	}
	if err := st.SetStandbyOptIn(ctx, "r2", false); err != nil {
		t.Fatal(err)
	}
	if n, err := b.Client.Exists(ctx, "t:{yt}:nudge:r2").Result(); err != nil || n != 0 {
		t.Fatalf("the nudge key outlived the opt-out: %d %v", n, err)
	}
	if err := st.SetSurge(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if cells, err := st.Surge(ctx); err != nil || len(cells) != 0 {
		t.Fatalf("surge after it ended: %+v %v", cells, err)
	}
	if n, err := b.Client.HLen(ctx, "t:{yt}:surge:sent").Result(); err != nil || n != 0 {
		t.Fatalf("nudge counts kept after the surge ended: %d %v", n, err)
	}
}

// TestSurgeNudgesStopWhenShortfallEnds, on a real redis-server, plays a
// surge end to end through the matcher and the nudger: a place with
// nobody in reach puts its cell in surge; of the off-duty people, the two
// near who opted in get one nudge each across several ticks, not the one
// who did not opt in nor the one far away. Once one of them goes on duty
// and is offered the place, the cell leaves the surge and nobody is
// nudged again, though the interval has passed.
func TestSurgeNudgesStopWhenShortfallEnds(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	b := redistest.Backend{Name: "redis-server", Client: srv.Client(t), Real: true}
	clock := newTestClock()
	st := newStore(t, b, clock)
	rec := &recorder{}
	svc := mobilize.NewService(mobilize.ServiceDeps{Store: st, Sink: rec, Now: clock.Now}, matchConfig())
	ctx := context.Background()
	offDuty := func(id mobilize.ResponderID, lat, lng float64, optIn bool) {
		t.Helper()
		enrollAt(t, st, clock, id, mobilize.RoleVolunteer, 1, lat, lng)
		if _, err := st.SetDuty(ctx, id, false); err != nil {
			t.Fatal(err)
		}
		if err := svc.SetStandbyOptIn(ctx, id, optIn); err != nil {
			t.Fatal(err)
		}
	}
	offDuty("near1", yantaiLat+0.01, yantaiLng, true)
	offDuty("near2", yantaiLat, yantaiLng+0.02, true)
	offDuty("optout", yantaiLat+0.005, yantaiLng, false)
	offDuty("far", yantaiLat+0.2, yantaiLng, true)
	createNeed(t, st, clock, "n1", 2, []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}})

	const interval = 400 * time.Millisecond
	cfg := mobilize.DefaultNudgeConfig()
	cfg.MinInterval, cfg.LookEvery = interval, 0 // every tick looks: the interval alone limits
	nudger := svc.NewNudger(cfg)
	tick := func() mobilize.TickReport {
		t.Helper()
		rep, err := svc.Matcher().Tick(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := nudger.AfterTick(ctx, rep.Short); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	nudged := func() map[mobilize.ResponderID]int {
		out := map[mobilize.ResponderID]int{}
		for _, e := range eventsOf[mobilize.Nudged](rec) {
			for _, rid := range e.To {
				out[rid]++
			}
		}
		return out
	}
	for range 4 {
		rep := tick()
		if len(rep.Short) != 1 || rep.Short[0].Reason != mobilize.ReasonNobodyInRadius {
			t.Fatalf("tick shortfall: %+v, want n1 nobody_in_radius", rep.Short)
		}
		clock.Advance(time.Second)
	}
	if got := nudged(); len(got) != 2 || got["near1"] != 1 || got["near2"] != 1 {
		t.Fatalf("nudged across four ticks: %v, want near1 and near2 once each", got)
	}
	cells, err := svc.Surge(ctx)
	if err != nil || len(cells) != 1 || cells[0].PlacesShort != 1 || cells[0].NudgesSent != 2 {
		t.Fatalf("surge: %+v %v, want one cell, 1 place short, 2 nudges", cells, err)
	}
	e := eventsOf[mobilize.Nudged](rec)[0]
	if e.Needs != 1 || e.Urgency != 2 || e.Cell != cells[0].Cell || e.Nudge == "" {
		t.Fatalf("nudge event: %+v", e)
	}

	// near1 answers the nudge: on duty, offered the place.
	if _, err := st.SetDuty(ctx, "near1", true); err != nil {
		t.Fatal(err)
	}
	time.Sleep(interval + 100*time.Millisecond)
	for range 3 {
		rep := tick()
		if len(rep.Short) != 0 {
			t.Fatalf("shortfall after near1 went on duty: %+v", rep.Short)
		}
		clock.Advance(time.Second)
	}
	if len(rec.offers("near1")) != 1 {
		t.Fatalf("near1 on duty was offered %d times, want 1", len(rec.offers("near1")))
	}
	if got := nudged(); len(got) != 2 || got["near2"] != 1 {
		t.Fatalf("nudged after the shortfall ended: %v, want no more", got)
	}
	if cells, err := svc.Surge(ctx); err != nil || len(cells) != 0 {
		t.Fatalf("surge after the shortfall ended: %+v %v", cells, err)
	}
}

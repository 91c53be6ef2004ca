package redisstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// wavesCity is serviceCity with offer waves adaptive for every urgency.
func wavesCity(t *testing.T, b redistest.Backend) (context.Context, *testClock, *Store, *recorder, *mobilize.Service) {
	t.Helper()
	clock := newTestClock()
	st := newStore(t, b, clock)
	rec := &recorder{}
	cfg := matchConfig()
	for u := range cfg.Waves.Modes {
		cfg.Waves.Modes[u] = mobilize.WaveAdaptive
	}
	svc := mobilize.NewService(mobilize.ServiceDeps{Store: st, Sink: rec, Now: clock.Now, Acceptance: st}, cfg)
	return context.Background(), clock, st, rec, svc
}

func offerStates(t *testing.T, st *Store, id mobilize.NeedID) map[mobilize.ResponderID]mobilize.AssignmentState {
	t.Helper()
	n, err := st.Need(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	out := map[mobilize.ResponderID]mobilize.AssignmentState{}
	for _, a := range n.Assignments {
		out[a.ResponderID] = a.State
	}
	return out
}

// TestWaveOffersOnePlaceToThree: with the prior's 50% acceptance and a
// target of 90%, one place goes to three people at once (the cap); the
// first to accept takes it, the other two are withdrawn as filled, free
// again and charged nothing for the offer.
func TestWaveOffersOnePlaceToThree(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, clock, st, rec, svc := wavesCity(t, b)
		people := []mobilize.ResponderID{"a", "b", "c", "d"}
		for i, id := range people {
			lat, lng := offset(yantaiLat, yantaiLng, 0, float64(100*(i+1)))
			enrollAt(t, st, clock, id, mobilize.RoleVolunteer, 1, lat, lng)
		}
		n := mustCreateNeed(t, svc, mobilize.Need{Urgency: 1, Category: "fall", Point: mustPoint(t, yantaiLat, yantaiLng),
			Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}})
		rep := mustTick(t, svc)
		if rep.Offered != 3 {
			t.Fatalf("offered %d, want a wave of 3", rep.Offered)
		}
		for _, id := range people[:3] {
			o := rec.offers(id)
			if len(o) != 1 || o[0].Wave == nil || o[0].Wave.Size != 3 || o[0].Wave.PAccept != 0.5 {
				t.Fatalf("%s: offers %+v, want one in a wave of 3 at p 0.5", id, o)
			}
		}
		if len(rec.offers("d")) != 0 {
			t.Fatal("d, the fourth nearest, was offered beyond the wave")
		}
		// The wave is out: another tick sends nothing more.
		if rep := mustTick(t, svc); rep.Offered != 0 {
			t.Fatalf("second tick offered %d, want 0", rep.Offered)
		}
		// b takes the place; a and c are withdrawn at once.
		a, err := svc.Respond(ctx, "b", rec.offers("b")[0].Offer, true)
		if err != nil || a.Outcome != mobilize.AnswerStaffed {
			t.Fatalf("accept: %+v %v", a, err)
		}
		staffed := eventsOf[mobilize.TeamStaffed](rec)
		if len(staffed) != 1 || len(staffed[0].Withdrawn) != 2 {
			t.Fatalf("staffed events %+v, want one withdrawing two offers", staffed)
		}
		states := offerStates(t, st, n.ID)
		if states["b"] != mobilize.AssignAccepted || states["a"] != mobilize.AssignWithdrawn || states["c"] != mobilize.AssignWithdrawn {
			t.Fatalf("states %v", states)
		}
		// A late accept of a withdrawn member changes nothing.
		if _, err := svc.Respond(ctx, "a", rec.offers("a")[0].Offer, true); err == nil {
			t.Fatal("a withdrawn wave member's accept succeeded")
		}
		checkWithdrawnAreFree(t, st, "a", "c")
	})
}

// checkWithdrawnAreFree: people whose wave offers were withdrawn are
// available again, with no offer counted against their alert budget and
// no decline against their fatigue or reliability.
func checkWithdrawnAreFree(t *testing.T, st *Store, ids ...mobilize.ResponderID) {
	t.Helper()
	ctx := context.Background()
	f, err := st.Fatigue(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	rel, err := st.Reliability(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if f[id].OffersLastHour != 0 || f[id].RecentDeclines != 0 {
			t.Errorf("%s: fatigue %+v, want no offer nor decline counted", id, f[id])
		}
		if rel[id].Lapsed != 0 {
			t.Errorf("%s: reliability %+v, want no lapse", id, rel[id])
		}
		_, p, err := st.Responder(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != mobilize.StatusAvailable || !p.Indexed {
			t.Errorf("%s: status %s indexed %v, want available in the index", id, p.Status, p.Indexed)
		}
	}
}

// TestWaveOfOneTeamEntryEndsWhenItFills: a need with two entries; the
// first entry's wave ends as soon as its one place is taken (its other
// members told "withdrawn", free), while the need is still staffing.
// A decline in a wave is replaced only up to the wave's size.
func TestWaveOfOneTeamEntryEndsWhenItFills(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, clock, st, rec, svc := wavesCity(t, b)
		for i, id := range []mobilize.ResponderID{"v1", "v2", "v3", "v4", "v5"} {
			lat, lng := offset(yantaiLat, yantaiLng, 0, float64(100*(i+1)))
			enrollAt(t, st, clock, id, mobilize.RoleVolunteer, 1, lat, lng)
		}
		n := mustCreateNeed(t, svc, mobilize.Need{Urgency: 2, Category: "fall", Point: mustPoint(t, yantaiLat, yantaiLng),
			Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}, {Role: mobilize.RoleMedic, Count: 1}}})
		mustTick(t, svc)
		if got := len(rec.offers("v1")) + len(rec.offers("v2")) + len(rec.offers("v3")); got != 3 {
			t.Fatalf("%d offers to the three nearest, want 3", got)
		}
		// v2 declines: the wave is one short, so the next tick sends one.
		if _, err := svc.Respond(ctx, "v2", rec.offers("v2")[0].Offer, false); err != nil {
			t.Fatal(err)
		}
		if rep := mustTick(t, svc); rep.Offered != 1 || len(rec.offers("v4")) != 1 {
			t.Fatalf("after a decline: offered %d (v4: %d), want v4 alone", rep.Offered, len(rec.offers("v4")))
		}
		if len(rec.offers("v5")) != 0 {
			t.Fatal("v5 offered beyond the wave")
		}
		a, err := svc.Respond(ctx, "v3", rec.offers("v3")[0].Offer, true)
		if err != nil || a.Outcome != mobilize.AnswerAccepted || len(a.Withdrawn) != 2 {
			t.Fatalf("accept: %+v %v, want accepted withdrawing two", a, err)
		}
		var told []mobilize.ResponderID
		for _, e := range eventsOf[mobilize.OfferAnswered](rec) {
			if e.State == mobilize.AssignWithdrawn {
				told = append(told, e.Responder)
			}
		}
		if len(told) != 2 {
			t.Fatalf("withdrawn told to %v, want v1 and v4", told)
		}
		states := offerStates(t, st, n.ID)
		if states["v1"] != mobilize.AssignWithdrawn || states["v4"] != mobilize.AssignWithdrawn || states["v2"] != mobilize.AssignDeclined {
			t.Fatalf("states %v", states)
		}
		if got, _ := st.Need(ctx, n.ID); got.Status != mobilize.NeedStaffing {
			t.Fatalf("status %s, want staffing (the medic place is open)", got.Status)
		}
		checkWithdrawnAreFree(t, st, "v1", "v4")
	})
}

// TestWaveClaimRoom: the claim script gives an entry's open places room
// for their wave and no more, and an accept never goes beyond the places.
func TestWaveClaimRoom(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, clock, st, _, svc := serviceCity(t, b)
		for _, id := range []mobilize.ResponderID{"a", "b", "c", "d"} {
			enrollAt(t, st, clock, id, mobilize.RoleVolunteer, 1, yantaiLat, yantaiLng)
		}
		n := mustCreateNeed(t, svc, mobilize.Need{Urgency: 1, Category: "fall", Point: mustPoint(t, yantaiLat, yantaiLng),
			Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}})
		claim := func(id mobilize.ResponderID, wave int) mobilize.OfferOutcome {
			out, err := st.Offer(ctx, mobilize.OfferRequest{OfferID: mobilize.OfferID("o-" + id), Need: n.ID, Responder: id, TTL: 60e9, Wave: wave})
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		if got := claim("a", 0); got != mobilize.OfferOK {
			t.Fatalf("first claim %s", got)
		}
		if got := claim("b", 1); got != mobilize.OfferSlotFull {
			t.Fatalf("second claim without a wave: %s, want slot_full", got)
		}
		if got := claim("b", 2); got != mobilize.OfferOK {
			t.Fatalf("second claim in a wave of 2: %s", got)
		}
		if got := claim("c", 2); got != mobilize.OfferSlotFull {
			t.Fatalf("third claim in a wave of 2: %s, want slot_full", got)
		}
		if got := claim("c", 3); got != mobilize.OfferOK {
			t.Fatalf("third claim in a wave of 3: %s", got)
		}
		if a, err := st.Answer(ctx, "o-c", "c", "accept"); err != nil || a.Outcome != mobilize.AnswerStaffed {
			t.Fatalf("accept: %+v %v", a, err)
		}
		if got := claim("d", 3); got != mobilize.OfferNeedClosed {
			t.Fatalf("claim after the place filled: %s, want need_closed", got)
		}
		for _, id := range []mobilize.OfferID{"o-a", "o-b"} {
			if a, _ := st.Answer(ctx, id, "", "accept"); a.Outcome == mobilize.AnswerAccepted || a.Outcome == mobilize.AnswerStaffed {
				t.Fatalf("%s accepted after the place filled", id)
			}
		}
	})
}

// TestRaceWavesSeveralMatchers: three matchers (each its own service and
// store over one redis-server) offer in waves for every urgency, with
// acceptance low, while thousands of answers arrive from concurrent
// goroutines. No need ever has more accepted than places, nobody holds two
// pending offers or more assignments than their maximum, and the load
// records agree with the assignments (checkInvariants).
func TestRaceWavesSeveralMatchers(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	ctx := context.Background()
	clock := newTestClock()
	var stores []*Store
	var svcs []*mobilize.Service
	for range 3 {
		st := newStore(t, redistest.Backend{Client: srv.Client(t)}, clock)
		stores = append(stores, st)
		cfg := mobilize.DefaultMatchConfig()
		cfg.OfferTTL, cfg.StartRadiusMeters, cfg.MaxRadiusMeters = 20*time.Second, 1000, 4000
		for u := range cfg.Waves.Modes {
			cfg.Waves.Modes[u] = mobilize.WaveAdaptive
		}
		svcs = append(svcs, mobilize.NewService(mobilize.ServiceDeps{Store: st, Sink: &recorder{}, Now: clock.Now, Acceptance: st}, cfg))
	}
	r := rand.New(rand.NewPCG(17, 1))
	const people, needs = 800, 300
	maxOf := map[mobilize.ResponderID]int{}
	var batch []mobilize.Responder
	var locs []mobilize.Location
	for i := range people {
		id := mobilize.ResponderID(fmt.Sprintf("p%04d", i))
		role := mobilize.RoleVolunteer
		if i%5 == 0 {
			role = mobilize.Roles[r.IntN(len(mobilize.Roles))]
		}
		maxOf[id] = 1 + r.IntN(2)
		batch = append(batch, mobilize.Responder{ID: id, Name: "P", Role: role, MaxConcurrent: maxOf[id]})
		locs = append(locs, mobilize.Location{ID: id, Point: randomPoint(t, r, 4000), At: clock.Now()})
	}
	if err := stores[0].EnrollMany(ctx, batch, true); err != nil {
		t.Fatal(err)
	}
	for _, err := range stores[0].LocateMany(ctx, locs) {
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range needs {
		team := []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1 + r.IntN(3)}}
		if r.IntN(4) == 0 {
			team = append(team, mobilize.TeamSlot{Role: mobilize.Roles[r.IntN(4)], Count: 1})
		}
		n := mobilize.Need{Urgency: 1 + r.IntN(4), Category: []string{"fall", "food"}[i%2], Point: randomPoint(t, r, 4000), Team: team}
		switch r.IntN(10) {
		case 0: // a crowd needed soon: it is offered, and ends unstaffed at its deadline
			n.Team = []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 20}}
			n.Deadline = clock.Now().Add(time.Duration(10+r.IntN(20)) * time.Second)
		case 1, 2:
			n.Deadline = clock.Now().Add(time.Duration(30+r.IntN(60)) * time.Second)
		}
		if _, err := svcs[i%3].CreateNeed(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	errs := make(chan error, 3)
	stop := make(chan struct{})
	var ticks atomic.Int64
	var matchers sync.WaitGroup
	for _, svc := range svcs {
		matchers.Add(1)
		go func() {
			defer matchers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := svc.Matcher().Tick(ctx); err != nil {
					errs <- err
					return
				}
				ticks.Add(1)
			}
		}()
	}
	rdb := srv.Client(t)
	var answered, accepted atomic.Int64
	for range 40 {
		// Each round answers what some matcher's latest tick offered.
		deadline := time.Now().Add(time.Minute)
		for seen := ticks.Load(); ticks.Load() == seen; {
			if time.Now().After(deadline) {
				t.Fatal("no matcher ticked for a minute")
			}
			time.Sleep(5 * time.Millisecond)
		}
		pending, err := rdb.HGetAll(ctx, "t:{yt}:offers").Result()
		if err != nil {
			t.Fatal(err)
		}
		var answers sync.WaitGroup
		for oid, nid := range pending {
			raw, err := rdb.HGet(ctx, "t:{yt}:need:"+nid+":asg", oid).Result()
			if err != nil {
				continue // answered or expired meanwhile
			}
			rid := mobilize.ResponderID(strings.SplitN(raw, "|", 2)[0])
			choice, svc, again := r.IntN(10), svcs[r.IntN(3)], svcs[r.IntN(3)]
			if choice >= 7 {
				continue // silence: the offer will lapse
			}
			answers.Add(1)
			go func() {
				defer answers.Done()
				// A quarter accept, the rest decline: low acceptance makes
				// waves wide. Refusals are expected in a race.
				if _, err := svc.Respond(ctx, rid, mobilize.OfferID(oid), choice < 2); err == nil {
					answered.Add(1)
					if choice < 2 {
						accepted.Add(1)
					}
				}
			}()
			// Now and then the same offer is answered twice at once.
			if choice == 0 {
				answers.Add(1)
				go func() {
					defer answers.Done()
					again.Respond(ctx, rid, mobilize.OfferID(oid), true)
				}()
			}
		}
		answers.Wait()
		clock.Advance(3 * time.Second)
	}
	close(stop)
	matchers.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if _, err := svcs[0].Matcher().Tick(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d answers stored, %d of them accepts", answered.Load(), accepted.Load())
	if answered.Load() < 1500 {
		t.Fatalf("only %d answers: the race did not exercise waves", answered.Load())
	}
	// Waves were sent: some entry had more offers than places at once.
	if !sawWave(t, rdb) {
		t.Fatal("no entry ever had more offers than places: waves were not exercised")
	}
	checkInvariants(t, rdb, maxOf)
}

// sawWave reports whether some need's team entry was offered to more
// people than it had places, within one offer's life.
func sawWave(t *testing.T, rdb *redis.Client) bool {
	t.Helper()
	ctx := context.Background()
	keys, err := rdb.Keys(ctx, "t:{yt}:need:*:asg").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range keys {
		offeredAt := map[string][]string{}
		for _, raw := range rdb.HVals(ctx, key).Val() {
			f := strings.Split(raw, "|")
			offeredAt[f[1]+"@"+f[4]] = append(offeredAt[f[1]+"@"+f[4]], f[0])
		}
		for _, who := range offeredAt {
			if len(who) > 1 {
				return true
			}
		}
	}
	return false
}

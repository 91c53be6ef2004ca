package redisstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/mobilizetest"
)

// recorder is the shared event recorder, with the questions these tests
// ask of it.
type recorder struct{ mobilizetest.Recorder }

// eventsOf returns the recorded events of one type, in order.
func eventsOf[T mobilize.Event](r *recorder) []T { return mobilizetest.EventsOf[T](&r.Recorder, nil) }

// offers returns the offers sent to a responder, in order: each is an
// offer message in their inbox.
func (r *recorder) offers(to mobilize.ResponderID) []mobilize.OfferSent {
	var out []mobilize.OfferSent
	for _, o := range eventsOf[mobilize.OfferSent](r) {
		if o.Responder == to {
			out = append(out, o)
		}
	}
	return out
}

// assignments returns the staffed teams a responder is on: each is an
// assignment message in their inbox.
func (r *recorder) assignments(to mobilize.ResponderID) []mobilize.TeamStaffed {
	var out []mobilize.TeamStaffed
	for _, s := range eventsOf[mobilize.TeamStaffed](r) {
		for _, a := range s.Team {
			if a.ResponderID == to {
				out = append(out, s)
			}
		}
	}
	return out
}

// serviceCity is a fresh store on b, a recorder and a service over them
// with the tests' matching settings.
func serviceCity(t *testing.T, b redistest.Backend) (context.Context, *testClock, *Store, *recorder, *mobilize.Service) {
	t.Helper()
	clock := newTestClock()
	st := newStore(t, b, clock)
	rec := &recorder{}
	svc := mobilize.NewService(mobilize.ServiceDeps{Store: st, Sink: rec, Now: clock.Now}, matchConfig())
	return context.Background(), clock, st, rec, svc
}

func matchConfig() mobilize.MatchConfig {
	cfg := mobilize.DefaultMatchConfig()
	cfg.OfferTTL, cfg.StartRadiusMeters, cfg.MaxRadiusMeters = time.Minute, 1000, 5000
	return cfg
}

func TestServiceStaffsATeamLedByItsSocialWorker(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, clock, st, rec, svc := serviceCity(t, b)
		// Volunteers nearer than the social worker; one volunteer lacks the skill.
		enrollAt(t, st, clock, "v1", mobilize.RoleVolunteer, 1, yantaiLat+0.001, yantaiLng)
		enrollAt(t, st, clock, "v2", mobilize.RoleVolunteer, 1, yantaiLat+0.002, yantaiLng)
		enrollAt(t, st, clock, "sw", mobilize.RoleSocialWorker, 1, yantaiLat+0.004, yantaiLng)
		enrollAt(t, st, clock, "far", mobilize.RoleVolunteer, 1, yantaiLat+0.2, yantaiLng) // ~22 km: out of reach
		n := mustCreateNeed(t, svc, mobilize.Need{Urgency: 2, Category: "psychological_support", Point: mustPoint(t, yantaiLat, yantaiLng),
			Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 2}, {Role: mobilize.RoleSocialWorker, Count: 1}}})
		rep, err := svc.Matcher().Tick(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Offered != 3 {
			t.Fatalf("tick offered %d, want 3 (%+v)", rep.Offered, rep)
		}
		if got := rec.offers("far"); len(got) != 0 {
			t.Fatal("a responder beyond the radius got an offer")
		}
		// Accept in the order volunteer, social worker, volunteer: the lead
		// is the social worker even though a volunteer accepted first.
		for _, id := range []mobilize.ResponderID{"v1", "sw", "v2"} {
			offers := rec.offers(id)
			if len(offers) != 1 {
				t.Fatalf("%s has %d offers", id, len(offers))
			}
			if _, err := svc.Respond(ctx, id, offers[0].Offer, true); err != nil {
				t.Fatalf("%s accept: %v", id, err)
			}
		}
		got, err := st.Need(ctx, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != mobilize.NeedStaffed || got.LeadID != "sw" || got.StaffedAt.IsZero() {
			t.Fatalf("need %s lead %q staffed_at %v; want staffed, lead sw", got.Status, got.LeadID, got.StaffedAt)
		}
		for _, id := range []mobilize.ResponderID{"v1", "v2", "sw"} {
			if len(rec.assignments(id)) != 1 {
				t.Fatalf("%s got no assignment message", id)
			}
		}
		// Done: every member completes, hours and status are released.
		for _, id := range []mobilize.ResponderID{"v1", "v2", "sw"} {
			if err := svc.Complete(ctx, n.ID, id); err != nil {
				t.Fatal(err)
			}
		}
		if got, _ := st.Need(ctx, n.ID); got.Status != mobilize.NeedCompleted {
			t.Fatalf("after everyone completed: %s", got.Status)
		}
		if e, _ := st.Get(ctx, "v1"); e.Status != mobilize.StatusAvailable {
			t.Fatalf("v1 after completion: %s", e.Status)
		}
	})
}

func TestUrgentNeedGetsTheOnlyReachablePerson(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		clock := newTestClock()
		st := newStore(t, b, clock)
		svc := mobilize.NewService(mobilize.ServiceDeps{Store: st, Sink: &recorder{}, Now: clock.Now}, matchConfig())
		// The medic stands next to the routine need; the urgent one is 3 km away.
		enrollAt(t, st, clock, "medic", mobilize.RoleMedic, 1, yantaiLat, yantaiLng)
		routine := mustCreateNeed(t, svc, mobilize.Need{Urgency: 4, Category: "medicine_delivery", Point: mustPoint(t, yantaiLat, yantaiLng),
			Team: []mobilize.TeamSlot{{Role: mobilize.RoleMedic, Count: 1}}})
		urgent := mustCreateNeed(t, svc, mobilize.Need{Urgency: 1, Category: "cardiac_arrest", Point: mustPoint(t, yantaiLat+0.027, yantaiLng),
			Team: []mobilize.TeamSlot{{Role: mobilize.RoleMedic, Count: 1}}})
		mustTick(t, svc)
		u, _ := st.Need(ctx, urgent.ID)
		r, _ := st.Need(ctx, routine.ID)
		if len(u.Assignments) != 1 || u.Assignments[0].ResponderID != "medic" {
			t.Fatalf("urgent need assignments %+v, want the medic", u.Assignments)
		}
		if len(r.Assignments) != 0 || r.Shortfalls[0] != mobilize.ReasonTakenByUrgent {
			t.Fatalf("routine need: assignments %+v shortfalls %v; want none and %s", r.Assignments, r.Shortfalls, mobilize.ReasonTakenByUrgent)
		}
	})
}

func TestShortfallReasons(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, clock, st, rec, svc := serviceCity(t, b)
		n := mustCreateNeed(t, svc, mobilize.Need{Urgency: 3, Category: "elderly_checkin", Point: mustPoint(t, yantaiLat, yantaiLng),
			Team: []mobilize.TeamSlot{{Role: mobilize.RoleCommunityWorker, Count: 1}}})
		mustTick(t, svc)
		if got, _ := st.Need(ctx, n.ID); got.Shortfalls[0] != mobilize.ReasonNobodyInRadius {
			t.Fatalf("shortfall %v, want %s", got.Shortfalls, mobilize.ReasonNobodyInRadius)
		}
		enrollAt(t, st, clock, "cw", mobilize.RoleCommunityWorker, 1, yantaiLat, yantaiLng)
		mustTick(t, svc)
		offer := rec.offers("cw")[0].Offer
		if _, err := svc.Respond(ctx, "cw", offer, false); err != nil {
			t.Fatal(err)
		}
		mustTick(t, svc)
		got, _ := st.Need(ctx, n.ID)
		if got.Shortfalls[0] != mobilize.ReasonAllDeclined {
			t.Fatalf("after the only one declined: shortfall %v, want %s", got.Shortfalls, mobilize.ReasonAllDeclined)
		}
		if len(rec.offers("cw")) != 1 {
			t.Fatal("a responder who declined was asked again for the same need")
		}
		// A second answer to the same offer is refused and changes nothing.
		if _, err := svc.Respond(ctx, "cw", offer, true); err == nil {
			t.Fatal("accepting a declined offer succeeded")
		}
	})
}

// TestRaceThreeMatchers runs three matchers with their own Redis clients
// against one redis-server while needs arrive concurrently and simulated
// responders accept, decline or stay silent; then checks that nobody is
// double-booked and no need is over-staffed.
func TestRaceThreeMatchers(t *testing.T) {
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
		svcs = append(svcs, mobilize.NewService(mobilize.ServiceDeps{Store: st, Sink: &recorder{}, Now: clock.Now}, cfg))
	}
	r := rand.New(rand.NewPCG(3, 4))
	const people, needs = 2000, 1000
	maxOf := map[mobilize.ResponderID]int{}
	var batch []mobilize.Responder
	for i := range people {
		id := mobilize.ResponderID(fmt.Sprintf("p%04d", i))
		role := mobilize.RoleVolunteer
		if i%5 == 0 {
			role = mobilize.Roles[r.IntN(len(mobilize.Roles))]
		}
		maxOf[id] = 1 + r.IntN(2)
		batch = append(batch, mobilize.Responder{ID: id, Name: "P", Role: role, MaxConcurrent: maxOf[id]})
	}
	if err := stores[0].EnrollMany(ctx, batch, true); err != nil {
		t.Fatal(err)
	}
	var locs []mobilize.Location
	for _, p := range batch {
		locs = append(locs, mobilize.Location{ID: p.ID, Point: randomPoint(t, r, 4000), At: clock.Now()})
	}
	for _, err := range stores[0].LocateMany(ctx, locs) {
		if err != nil {
			t.Fatal(err)
		}
	}
	// Needs arrive concurrently through all three services.
	var wg sync.WaitGroup
	errs := make(chan error, needs)
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rr := rand.New(rand.NewPCG(uint64(w), 9))
			for i := w; i < needs; i += 3 {
				team := []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1 + rr.IntN(4)}}
				if rr.IntN(4) == 0 {
					team = append(team, mobilize.TeamSlot{Role: mobilize.Roles[rr.IntN(4)], Count: 1})
				}
				n := mobilize.Need{Urgency: 1 + rr.IntN(4), Category: "drill", Point: randomPoint(t, rr, 4000), Team: team}
				switch rr.IntN(10) {
				case 0: // far outside everyone's reach
					n.Point = randomPoint(t, rr, 40_000)
				case 1, 2, 3:
					n.Deadline = clock.Now().Add(time.Duration(30+rr.IntN(60)) * time.Second)
				}
				if _, err := svcs[w].CreateNeed(ctx, n); err != nil {
					errs <- err
				}
			}
		}()
	}
	// Meanwhile the three matchers tick and people answer.
	stop := make(chan struct{})
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
			}
		}()
	}
	rdb := srv.Client(t)
	for round := range 40 {
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
			choice, svc := r.IntN(4), svcs[r.IntN(3)]
			if choice == 3 {
				continue // silence: the offer will expire
			}
			answers.Add(1)
			go func() {
				defer answers.Done()
				svc.Respond(ctx, rid, mobilize.OfferID(oid), choice < 2) // refusals are expected in a race
			}()
		}
		answers.Wait()
		clock.Advance(3 * time.Second)
		if round == 10 {
			wg.Wait()
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	matchers.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// One quiet tick, so that answers that came after the matchers' last
	// round are acted on (the live system ticks forever).
	if _, err := svcs[0].Matcher().Tick(ctx); err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, rdb, maxOf)
}

// checkInvariants reads every need and offer straight from Redis.
func checkInvariants(t *testing.T, rdb *redis.Client, maxOf map[mobilize.ResponderID]int) {
	t.Helper()
	ctx := context.Background()
	ids, err := rdb.Keys(ctx, "t:{yt}:need:*:asg").Result()
	if err != nil {
		t.Fatal(err)
	}
	active := map[mobilize.ResponderID]int{}
	pending := map[mobilize.ResponderID]int{}
	counts := map[string]int{}
	for _, key := range ids {
		nid := strings.TrimSuffix(strings.TrimPrefix(key, "t:{yt}:need:"), ":asg")
		h := rdb.HGetAll(ctx, "t:{yt}:need:"+nid).Val()
		asg := rdb.HGetAll(ctx, key).Val()
		n, err := decodeNeed(h, asg)
		if err != nil {
			t.Fatal(err)
		}
		counts[string(n.Status)]++
		accepted := make([]int, len(n.Team))
		for _, a := range n.Assignments {
			if a.State.Active() {
				active[a.ResponderID]++
			}
			if a.State == mobilize.AssignOffered {
				pending[a.ResponderID]++
			}
			if a.State == mobilize.AssignAccepted || a.State == mobilize.AssignCompleted {
				accepted[a.TeamIndex]++
			}
		}
		filled := 0
		for i, tm := range n.Team {
			if accepted[i] > tm.Count {
				t.Fatalf("need %s team %d: %d accepted for %d places", n.ID, i, accepted[i], tm.Count)
			}
			filled += accepted[i]
		}
		if n.Status == mobilize.NeedStaffed && filled != n.Slots() {
			t.Fatalf("need %s staffed with %d of %d", n.ID, filled, n.Slots())
		}
		if n.Status.Active() {
			hasPending := false
			for _, a := range n.Assignments {
				hasPending = hasPending || a.State == mobilize.AssignOffered
			}
			if !hasPending && len(n.Shortfalls) == 0 {
				t.Fatalf("need %s is %s with no pending offer and no stated reason", n.ID, n.Status)
			}
		}
	}
	for id, n := range active {
		if n > maxOf[id] {
			t.Fatalf("%s holds %d active assignments, max %d", id, n, maxOf[id])
		}
		if pending[id] > 1 {
			t.Fatalf("%s holds %d pending offers", id, pending[id])
		}
	}
	// The load records agree with the assignments.
	for id, raw := range rdb.HGetAll(ctx, "t:{yt}:load").Val() {
		f := strings.Split(raw, "|")
		acc, _ := strconv.Atoi(f[1])
		hasPending := 0
		if f[0] != "" {
			hasPending = 1
		}
		rid := mobilize.ResponderID(id)
		if acc+hasPending != active[rid] {
			t.Fatalf("%s load record %q disagrees with %d active assignments", id, raw, active[rid])
		}
	}
	t.Logf("needs by status: %v", counts)
	for _, st := range []mobilize.NeedStatus{mobilize.NeedStaffed, mobilize.NeedUnstaffed} {
		if counts[string(st)] == 0 {
			t.Fatalf("no need ended %s: the race test did not exercise it", st)
		}
	}
}

// TestFatigueSpreadsTheLoad checks the penalty terms: someone who just
// declined is passed over for a slightly farther person, and completed
// work is credited as hours served today.
func TestFatigueSpreadsTheLoad(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, clock, st, rec, svc := serviceCity(t, b)
		lat100, lng := offset(yantaiLat, yantaiLng, 0, 100)
		enrollAt(t, st, clock, "near", mobilize.RoleVolunteer, 1, lat100, lng)
		first := mustCreateNeed(t, svc, mobilize.Need{Urgency: 3, Category: "medicine_delivery", Point: mustPoint(t, yantaiLat, yantaiLng),
			Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}})
		svc.Matcher().Tick(ctx)
		if _, err := svc.Respond(ctx, "near", rec.offers("near")[0].Offer, false); err != nil {
			t.Fatal(err)
		}
		svc.Cancel(ctx, first.ID)
		// 200 m away: about 100 s more on foot, less than one decline's 2 min.
		lat200, _ := offset(yantaiLat, yantaiLng, 0, -200)
		enrollAt(t, st, clock, "farther", mobilize.RoleVolunteer, 1, lat200, lng)
		second := mustCreateNeed(t, svc, mobilize.Need{Urgency: 3, Category: "medicine_delivery", Point: mustPoint(t, yantaiLat, yantaiLng),
			Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}})
		svc.Matcher().Tick(ctx)
		got, _ := st.Need(ctx, second.ID)
		if len(got.Assignments) != 1 || got.Assignments[0].ResponderID != "farther" {
			t.Fatalf("assignments %+v: want the farther responder, who has not just declined", got.Assignments)
		}
		f, err := st.Fatigue(ctx, []mobilize.ResponderID{"near", "farther"})
		if err != nil || f["near"].RecentDeclines != 1 {
			t.Fatalf("fatigue %+v, %v: want one recent decline for near", f, err)
		}
		// Accept, work for 90 minutes, complete: 1.5 hours served today.
		if _, err := svc.Respond(ctx, "farther", got.Assignments[0].OfferID, true); err != nil {
			t.Fatal(err)
		}
		clock.Advance(90 * time.Minute)
		if err := svc.Complete(ctx, second.ID, "farther"); err != nil {
			t.Fatal(err)
		}
		f, _ = st.Fatigue(ctx, []mobilize.ResponderID{"farther"})
		if h := f["farther"].HoursLast24h; h < 1.49 || h > 1.51 {
			t.Fatalf("hours today %.2f, want 1.5", h)
		}
		// A day later the decline is forgiven.
		clock.Advance(25 * time.Hour)
		f, _ = st.Fatigue(ctx, []mobilize.ResponderID{"near"})
		if f["near"].RecentDeclines != 0 {
			t.Fatalf("a day later: %+v, want the decline forgiven", f["near"])
		}
	})
}

// TestUnreliablePassedOver checks the reliability term: with a record of
// lapsed offers, the nearest person loses to a slightly farther one with
// none; with the term off, distance decides.
func TestUnreliablePassedOver(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		for _, tc := range []struct {
			name    string
			penalty time.Duration
			want    mobilize.ResponderID
		}{{"term on", 10 * time.Minute, "farther"}, {"term off", -1, "near"}} {
			t.Run(tc.name, func(t *testing.T) {
				ctx := context.Background()
				clock := newTestClock()
				st, err := NewStore(b.Client, IndexOptions{Prefix: "t-" + strings.ReplaceAll(tc.name, " ", "") + ":", Region: "yt", StaleAfter: 10 * time.Minute, Now: clock.Now})
				if err != nil {
					t.Fatal(err)
				}
				cfg := matchConfig()
				cfg.PenaltyUnreliable = tc.penalty
				svc := mobilize.NewService(mobilize.ServiceDeps{Store: st, Now: clock.Now}, cfg)
				lat100, lng := offset(yantaiLat, yantaiLng, 0, 100)
				lat200, _ := offset(yantaiLat, yantaiLng, 0, -200)
				enrollAt(t, st, clock, "near", mobilize.RoleVolunteer, 1, lat100, lng)
				enrollAt(t, st, clock, "farther", mobilize.RoleVolunteer, 1, lat200, lng)
				// Ten lapsed offers, long enough ago that fatigue forgot them.
				if err := b.Client.HSet(ctx, st.RecognitionStore.keys.reliability(), "r:near", "0|10|0|0").Err(); err != nil {
					t.Fatal(err)
				}
				n := mustCreateNeed(t, svc, mobilize.Need{Urgency: 3, Category: "medicine_delivery", Point: mustPoint(t, yantaiLat, yantaiLng),
					Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}})
				mustTick(t, svc)
				got, _ := st.Need(ctx, n.ID)
				if len(got.Assignments) != 1 || got.Assignments[0].ResponderID != tc.want {
					t.Fatalf("assignments %+v: want %s", got.Assignments, tc.want)
				}
			})
		}
	})
}

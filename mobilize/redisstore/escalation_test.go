package redisstore

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// linkageFixture loads testTree and these organisations:
//
//	cc1     community committee of c1 (the need's community), no members
//	team-p  volunteer team homed in c3 (another district), partner of cc1
//	team-c2 volunteer team homed in c2 (same street s1)
//	d-org   social organisation homed in district d1
//	far     volunteer team homed in district d2, nobody's partner
func linkageFixture(t testing.TB, st *Store) {
	t.Helper()
	loadAreas(t, st, testTree())
	for _, o := range []mobilize.Organisation{
		{ID: "team-p", Name: "Partner team", Kind: mobilize.KindVolunteerTeam, HomeArea: "c3"},
		{ID: "cc1", Name: "C1 committee", Kind: mobilize.KindCommunityCommittee, HomeArea: "c1", Partners: []string{"team-p"}},
		{ID: "team-c2", Name: "C2 team", Kind: mobilize.KindVolunteerTeam, HomeArea: "c2"},
		{ID: "d-org", Name: "District org", Kind: mobilize.KindSocialOrganisation, HomeArea: "d1"},
		{ID: "far", Name: "Far team", Kind: mobilize.KindVolunteerTeam, HomeArea: "d2"},
	} {
		if _, err := st.PutOrganisation(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
}

// member enrolls a volunteer of org at lat,lng.
func member(t testing.TB, st *Store, clock *testClock, id mobilize.ResponderID, org string, lat, lng float64) {
	t.Helper()
	ctx := context.Background()
	if _, err := st.Enroll(ctx, mobilize.Responder{ID: id, Name: "Volunteer " + string(id), Role: mobilize.RoleVolunteer, OrgID: org}, true); err != nil {
		t.Fatal(err)
	}
	relocate(t, st, clock, id, lat, lng)
}

func relocate(t testing.TB, st *Store, clock *testClock, id mobilize.ResponderID, lat, lng float64) {
	t.Helper()
	if err := st.Locate(context.Background(), mobilize.Location{ID: id, Point: mustPoint(t, lat, lng), At: clock.Now()}); err != nil {
		t.Fatal(err)
	}
}

const c1Lat, c1Lng = 37.46, 121.43 // the middle of community c1

// escalationCity is a store holding the linkage fixture, a recorder and
// a service whose escalator runs on cfg; build, when given, makes the
// escalator instead (a test that wraps its store).
func escalationCity(t *testing.T, b redistest.Backend, cfg mobilize.EscalationConfig,
	build func(*Store, *recorder, *testClock, mobilize.EscalationConfig) *mobilize.Escalator) (context.Context, *testClock, *Store, *recorder, *mobilize.Service) {
	t.Helper()
	clock := newTestClock()
	st := newStore(t, b, clock)
	linkageFixture(t, st)
	rec := &recorder{}
	var esc *mobilize.Escalator
	if build != nil {
		esc = build(st, rec, clock, cfg)
	} else {
		esc = mobilize.NewEscalator(st, rec, cfg, clock.Now)
	}
	svc := mobilize.NewService(mobilize.ServiceDeps{Store: st, Sink: rec, Escalator: esc, Now: clock.Now}, matchConfig())
	return context.Background(), clock, st, rec, svc
}

func TestUnfillableNeedEscalatesThroughEveryTierOnTheClock(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, clock, st, rec, svc := escalationCity(t, b, mobilize.EscalationConfig{Goals: mobilize.DefaultEscalationGoals()}, nil)
		// The only volunteer belongs to no organisation: the city pool.
		lat, lng := offset(c1Lat, c1Lng, 300, 0)
		enrollAt(t, st, clock, "free", mobilize.RoleVolunteer, 1, lat, lng)
		n := mustCreateNeed(t, svc, mobilize.Need{Urgency: 1, Category: "evacuation", Point: mustPoint(t, c1Lat, c1Lng),
			Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}})
		if n.Community != "c1" {
			t.Fatalf("need routed to %q", n.Community)
		}
		tick := func() mobilize.TickReport {
			t.Helper()
			relocate(t, st, clock, "free", lat, lng) // stays fresh
			rep, err := svc.Matcher().Tick(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return rep
		}
		if rep := tick(); rep.Offered != 0 {
			t.Fatalf("step 0 offered %d: an unorganised volunteer is not in the community's scope", rep.Offered)
		}
		// Urgency 1 waits 2 minutes per step; a minute is not enough.
		clock.Advance(time.Minute)
		tick()
		if got := eventsOf[mobilize.NeedEscalated](rec); len(got) != 0 {
			t.Fatalf("escalated before its time goal: %+v", got[0])
		}
		want := []struct {
			name string
			tier mobilize.Tier
		}{{"rings", "community"}, {"partners", "community"}, {"street", "street"}, {"district", "district"}, {"city", "city"}}
		for i, w := range want {
			clock.Advance(time.Minute) // the goal passes at 2 minutes into each step
			rep := tick()
			got := eventsOf[mobilize.NeedEscalated](rec)
			if len(got) != i+1 {
				t.Fatalf("after step %d's goal: %d escalation events, want %d", i, len(got), i+1)
			}
			d := got[i]
			step := mobilize.EscalationSteps[d.Step]
			if d.Step != i+1 || step.Name != w.name || step.Tier != w.tier || d.Need.ID != n.ID || d.Reason == mobilize.EscalatedManually {
				t.Fatalf("escalation %d: %+v, want step %d %s (%s)", i+1, d, i+1, w.name, w.tier)
			}
			if d.Goal.Seconds() != 120.0 || math.Round(d.Waited.Seconds()) != 120.0 {
				t.Fatalf("escalation %d clock: goal %v waited %v, want 120 s each", i+1, d.Goal, d.Waited)
			}
			if !got[i].At.Equal(clock.Now()) || got[i].Need.Point != n.Point {
				t.Fatalf("escalation %d at %v %v", i+1, got[i].At, got[i].Need.Point)
			}
			if w.name == "city" {
				if rep.Offered != 1 || len(rec.offers("free")) != 1 {
					t.Fatalf("in the city pool the free volunteer was not offered (%+v)", rep)
				}
			} else if rep.Offered != 0 {
				t.Fatalf("step %s offered %d to someone out of scope", w.name, rep.Offered)
			}
			clock.Advance(time.Minute)
			tick()
		}
		// At the city pool there is nowhere further to go.
		clock.Advance(time.Hour)
		relocate(t, st, clock, "free", lat, lng)
		mustTick(t, svc)
		if got := eventsOf[mobilize.NeedEscalated](rec); len(got) != 5 {
			t.Fatalf("%d escalations, want 5", len(got))
		}
		// Each was counted for the evaluation by the escalator itself.
		if counts, err := st.Escalations(ctx); err != nil || len(counts) != 1 || counts[n.ID] != 5 {
			t.Fatalf("escalations counted %v %v, want 5 of %s", counts, err, n.ID)
		}
		if _, _, err := svc.Escalate(ctx, n.ID); err == nil {
			t.Fatal("a need in the city pool escalated by hand")
		}
	})
}

func TestPartnerVolunteerFillsTheNeedAfterEscalation(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, clock, st, rec, svc := escalationCity(t, b, mobilize.EscalationConfig{Goals: [4]time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour}}, nil)
		// Nearer people are out of scope until later steps: a street
		// neighbour (step 3), a district organisation (4), a far team (5).
		people := []struct {
			id       mobilize.ResponderID
			org      string
			eastM    float64
			stepFrom int
		}{
			{"neighbour", "team-c2", 100, 3},
			{"district", "d-org", 150, 4},
			{"far", "far", 200, 5},
			{"partner", "team-p", 1500, 2}, // beyond the start radius, too
		}
		for _, p := range people {
			lat, lng := offset(c1Lat, c1Lng, p.eastM, 0)
			member(t, st, clock, p.id, p.org, lat, lng)
		}
		n := mustCreateNeed(t, svc, mobilize.Need{Urgency: 1, Category: "evacuation", Point: mustPoint(t, c1Lat, c1Lng),
			Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}})
		for step := 0; step < 2; step++ {
			if rep, err := svc.Matcher().Tick(ctx); err != nil || rep.Offered != 0 {
				t.Fatalf("step %d: offered %d (%v); nobody is in scope", step, rep.Offered, err)
			}
			clock.Advance(time.Minute)
		}
		// Step 2 reaches the partner organisation: the partner is offered,
		// not the nearer volunteers of unrelated organisations.
		rep, err := svc.Matcher().Tick(ctx)
		if err != nil {
			t.Fatal(err)
		}
		esc := eventsOf[mobilize.NeedEscalated](rec)
		if len(esc) != 2 || mobilize.EscalationSteps[esc[1].Step].Name != "partners" {
			t.Fatalf("escalations %d, last %+v; want rings then partners", len(esc), esc[len(esc)-1])
		}
		if rep.Offered != 1 {
			t.Fatalf("partners step offered %d, want 1", rep.Offered)
		}
		offers := rec.offers("partner")
		if len(offers) != 1 {
			t.Fatalf("the partner got %d offers", len(offers))
		}
		for _, p := range people[:3] {
			if len(rec.offers(p.id)) != 0 {
				t.Fatalf("%s (in scope from step %d) was offered at step 2", p.id, p.stepFrom)
			}
		}
		if _, err := svc.Respond(ctx, "partner", offers[0].Offer, true); err != nil {
			t.Fatal(err)
		}
		got, err := st.Need(ctx, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != mobilize.NeedStaffed || got.LeadID != "partner" {
			t.Fatalf("need %s lead %q, want staffed by the partner", got.Status, got.LeadID)
		}
		// A staffed need does not escalate further.
		clock.Advance(time.Hour)
		mustTick(t, svc)
		if len(eventsOf[mobilize.NeedEscalated](rec)) != 2 {
			t.Fatal("a staffed need escalated")
		}
	})
}

func TestOperatorEscalatesByHand(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, clock, st, rec, svc := escalationCity(t, b, mobilize.EscalationConfig{Goals: mobilize.DefaultEscalationGoals()}, nil)
		lat, lng := offset(c1Lat, c1Lng, 100, 0)
		member(t, st, clock, "neighbour", "team-c2", lat, lng)
		n := mustCreateNeed(t, svc, mobilize.Need{Urgency: 4, Category: "shopping", Point: mustPoint(t, c1Lat, c1Lng),
			Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}})
		for want := 1; want <= 3; want++ {
			clock.Advance(10 * time.Second)
			_, st2, err := svc.Escalate(ctx, n.ID)
			if err != nil || st2.Step != want {
				t.Fatalf("escalate by hand: step %d, %v; want %d", st2.Step, err, want)
			}
		}
		esc := eventsOf[mobilize.NeedEscalated](rec)
		if len(esc) != 3 || esc[2].Reason != mobilize.EscalatedManually || mobilize.EscalationSteps[esc[2].Step].Tier != mobilize.TierStreet || math.Round(esc[2].Waited.Seconds()) != 10.0 {
			t.Fatalf("events %+v", esc[len(esc)-1])
		}
		if counts, err := st.Escalations(ctx); err != nil || counts[n.ID] != 3 {
			t.Fatalf("escalations counted %v %v, want 3 by hand", counts, err)
		}
		// The street step reaches the neighbour's team at the next tick,
		// long before the hour-long goal of urgency 4.
		if rep, err := svc.Matcher().Tick(ctx); err != nil || rep.Offered != 1 || len(rec.offers("neighbour")) != 1 {
			t.Fatalf("after escalating to the street: %+v %v", rep, err)
		}
		// A need outside every community cannot be escalated: it is in the
		// city pool already.
		out := mustCreateNeed(t, svc, mobilize.Need{Urgency: 4, Category: "shopping", Point: mustPoint(t, 37.0, 121.0),
			Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}})
		if _, _, err := svc.Escalate(ctx, out.ID); err == nil {
			t.Fatal("a need outside every community escalated")
		}
		if _, _, err := svc.Escalate(ctx, "nope"); err == nil {
			t.Fatal("an unknown need escalated")
		}
	})
}

// With WidenWhenEmpty a need whose scope has nobody available does not
// wait out its time goal: within one tick it widens step by step, each an
// event saying why, until the partner organisation's volunteer is found,
// and no further.
func TestEmptyScopeWidensAtOnce(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, clock, st, rec, svc := escalationCity(t, b, mobilize.EscalationConfig{Goals: mobilize.DefaultEscalationGoals(), WidenWhenEmpty: true}, nil)
		for _, p := range []struct {
			id    mobilize.ResponderID
			org   string
			eastM float64
		}{{"neighbour", "team-c2", 100}, {"district", "d-org", 150}, {"partner", "team-p", 1500}} {
			lat, lng := offset(c1Lat, c1Lng, p.eastM, 0)
			member(t, st, clock, p.id, p.org, lat, lng)
		}
		if _, err := svc.CreateNeed(ctx, mobilize.Need{Urgency: 3, Category: "elderly_checkin", Point: mustPoint(t, c1Lat, c1Lng),
			Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}}); err != nil {
			t.Fatal(err)
		}
		rep, err := svc.Matcher().Tick(ctx)
		if err != nil {
			t.Fatal(err)
		}
		esc := eventsOf[mobilize.NeedEscalated](rec)
		var steps []string
		for _, e := range esc {
			steps = append(steps, mobilize.EscalationSteps[e.Step].Name)
			if e.Reason != mobilize.EscalatedNobodyInScope || !e.At.Equal(clock.Now()) {
				t.Fatalf("escalation %+v: want reason nobody_in_scope, now", e)
			}
		}
		if len(steps) != 2 || steps[0] != "rings" || steps[1] != "partners" {
			t.Fatalf("steps taken in the first tick: %v, want [rings partners]", steps)
		}
		if rep.Offered != 1 || len(rec.offers("partner")) != 1 {
			t.Fatalf("offered %d; the partner has %d offers, want the partner offered at once", rep.Offered, len(rec.offers("partner")))
		}
		for _, id := range []mobilize.ResponderID{"neighbour", "district"} {
			if len(rec.offers(id)) != 0 {
				t.Fatalf("%s, outside the partners step's scope, was offered", id)
			}
		}
	})
}

// uncounted is a store whose escalation counter fails.
type uncounted struct{ *Store }

func (uncounted) NoteEscalation(context.Context, mobilize.NeedID) error {
	return errors.New("counter unavailable")
}

// A need that widened but could not be counted still widened: the
// failure is reported, not returned.
func TestEscalationStandsWhenItCannotBeCounted(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		var failed []mobilize.NeedID
		ctx, _, _, rec, svc := escalationCity(t, b, mobilize.EscalationConfig{Goals: mobilize.DefaultEscalationGoals()}, func(st *Store, rec *recorder, clock *testClock, cfg mobilize.EscalationConfig) *mobilize.Escalator {
			esc := mobilize.NewEscalator(uncounted{st}, rec, cfg, clock.Now)
			esc.OnCountFailed(func(id mobilize.NeedID, err error) { failed = append(failed, id) })
			return esc
		})
		n := mustCreateNeed(t, svc, mobilize.Need{Urgency: 4, Category: "shopping", Point: mustPoint(t, c1Lat, c1Lng),
			Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}})
		if _, got, err := svc.Escalate(ctx, n.ID); err != nil || got.Step != 1 {
			t.Fatalf("escalate: step %d, %v; want step 1 and no error", got.Step, err)
		}
		if len(eventsOf[mobilize.NeedEscalated](rec)) != 1 || len(failed) != 1 || failed[0] != n.ID {
			t.Fatalf("%d events, count failures %v; want the event and %s reported", len(eventsOf[mobilize.NeedEscalated](rec)), failed, n.ID)
		}
	})
}

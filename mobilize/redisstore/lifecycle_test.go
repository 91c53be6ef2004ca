package redisstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// lifecycleFixture is one need with one volunteer slot and one volunteer
// standing at it.
type lifecycleFixture struct {
	t     *testing.T
	ctx   context.Context
	st    *Store
	clock *testClock
	need  mobilize.NeedID
	rid   mobilize.ResponderID
	offer mobilize.OfferID
}

// mustCreateNeed creates n through the service, as the API does.
func mustCreateNeed(t testing.TB, svc *mobilize.Service, n mobilize.Need) mobilize.NeedState {
	t.Helper()
	created, err := svc.CreateNeed(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	return created
}

// mustTick runs one matcher tick.
func mustTick(t testing.TB, svc *mobilize.Service) mobilize.TickReport {
	t.Helper()
	rep, err := svc.Matcher().Tick(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func enrollAt(t testing.TB, st *Store, clock *testClock, id mobilize.ResponderID, role mobilize.Role, max int, lat, lng float64) {
	t.Helper()
	ctx := context.Background()
	if _, err := st.Enroll(ctx, mobilize.Responder{ID: id, Name: "Responder " + string(id), Role: role, MaxConcurrent: max}, true); err != nil {
		t.Fatal(err)
	}
	if err := st.Locate(ctx, mobilize.Location{ID: id, Point: mustPoint(t, lat, lng), At: clock.Now()}); err != nil {
		t.Fatal(err)
	}
}

func createNeed(t testing.TB, st *Store, clock *testClock, id mobilize.NeedID, urgency int, team []mobilize.TeamSlot) {
	t.Helper()
	n := mobilize.Need{ID: id, Urgency: urgency, Category: "elderly_checkin", Point: mustPoint(t, yantaiLat, yantaiLng),
		Team: team, CreatedAt: clock.Now()}
	if created, err := st.CreateNeed(context.Background(), n); err != nil || !created {
		t.Fatalf("create need: %v %v", created, err)
	}
}

func (f *lifecycleFixture) state() mobilize.AssignmentState {
	f.t.Helper()
	n, err := f.st.Need(f.ctx, f.need)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, a := range n.Assignments {
		if a.OfferID == f.offer {
			return a.State
		}
	}
	f.t.Fatalf("offer %s not on need", f.offer)
	return ""
}

func (f *lifecycleFixture) status() mobilize.Status {
	e, err := f.st.Get(f.ctx, f.rid)
	if err != nil {
		f.t.Fatal(err)
	}
	return e.Status
}

// apply performs ev the way the system would.
func (f *lifecycleFixture) apply(ev mobilize.AssignmentEvent) {
	f.t.Helper()
	var err error
	switch ev {
	case mobilize.EventAccept:
		_, err = f.st.Answer(f.ctx, f.offer, f.rid, "accept")
	case mobilize.EventDecline:
		_, err = f.st.Answer(f.ctx, f.offer, f.rid, "decline")
	case mobilize.EventExpire:
		f.clock.Advance(2 * time.Minute)
		_, err = f.st.ExpireDue(f.ctx, 100)
	case mobilize.EventWithdraw:
		_, err = f.st.Close(f.ctx, f.need, mobilize.NeedCancelled)
	case mobilize.EventComplete:
		_, _, err = f.st.Complete(f.ctx, f.need, f.rid)
	}
	if err != nil {
		f.t.Fatalf("%s: %v", ev, err)
	}
}

// reach drives a fresh offer into state s.
func (f *lifecycleFixture) reach(s mobilize.AssignmentState) {
	f.t.Helper()
	out, err := f.st.Offer(f.ctx, mobilize.OfferRequest{OfferID: f.offer, Need: f.need, Responder: f.rid, TTL: time.Minute, DistanceMeters: 10, Reason: mobilize.ReasonNearest})
	if err != nil || out != mobilize.OfferOK {
		f.t.Fatalf("offer: %q %v", out, err)
	}
	path := map[mobilize.AssignmentState][]mobilize.AssignmentEvent{
		mobilize.AssignOffered:   nil,
		mobilize.AssignAccepted:  {mobilize.EventAccept},
		mobilize.AssignDeclined:  {mobilize.EventDecline},
		mobilize.AssignExpired:   {mobilize.EventExpire},
		mobilize.AssignWithdrawn: {mobilize.EventWithdraw},
		mobilize.AssignCompleted: {mobilize.EventAccept, mobilize.EventComplete},
	}[s]
	for _, ev := range path {
		f.apply(ev)
	}
	if got := f.state(); got != s {
		f.t.Fatalf("setup: reached %s, want %s", got, s)
	}
}

// wantStatus is the responder's status while its one assignment is in s.
func wantStatus(s mobilize.AssignmentState) mobilize.Status {
	switch s {
	case mobilize.AssignOffered:
		return mobilize.StatusOffered
	case mobilize.AssignAccepted:
		return mobilize.StatusBusy
	}
	return mobilize.StatusAvailable
}

// TestAssignmentLifecycleEveryPair drives every (state, event) pair
// through the real scripts and checks the outcome against the domain's
// transition table, and the responder's status against the state.
func TestAssignmentLifecycleEveryPair(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		for _, from := range mobilize.AssignmentStates {
			for _, ev := range mobilize.AssignmentEvents {
				t.Run(fmt.Sprintf("%s+%s", from, ev), func(t *testing.T) {
					clock := newTestClock()
					st := newStore(t, b, clock)
					suffix := fmt.Sprintf("%s-%s", from, ev)
					f := &lifecycleFixture{t: t, ctx: context.Background(), st: st, clock: clock,
						need: mobilize.NeedID("n-" + suffix), rid: mobilize.ResponderID("r-" + suffix), offer: mobilize.OfferID("o-" + suffix)}
					enrollAt(t, st, clock, f.rid, mobilize.RoleVolunteer, 1, yantaiLat, yantaiLng)
					createNeed(t, st, clock, f.need, 2, []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}})
					f.reach(from)
					f.apply(ev)
					want, err := from.Next(ev)
					if err != nil {
						want = from // refused: nothing changes
					}
					if got := f.state(); got != want {
						t.Fatalf("%s + %s = %s, want %s", from, ev, got, want)
					}
					if got := f.status(); got != wantStatus(want) {
						t.Fatalf("responder status %s while assignment %s, want %s", got, want, wantStatus(want))
					}
				})
			}
		}
	})
}

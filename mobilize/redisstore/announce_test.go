package redisstore

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// goneAfterAnswer is a store whose caller goes away the moment its answer
// is stored: the socket of a phone that loses the network right after its
// accept, or an HTTP client that gives up, cancels the request's context.
type goneAfterAnswer struct{ *Store }

type cancelKey struct{}

func (g goneAfterAnswer) Answer(ctx context.Context, oid mobilize.OfferID, rid mobilize.ResponderID, verb string) (mobilize.Answer, error) {
	a, err := g.Store.Answer(ctx, oid, rid, verb)
	if cancel, ok := ctx.Value(cancelKey{}).(context.CancelFunc); ok {
		cancel()
	}
	return a, err
}

// flakyNeedRead is a store whose next need read after a staffed answer
// fails as an unreachable Redis does.
type flakyNeedRead struct {
	*Store
	armed atomic.Bool
}

func (f *flakyNeedRead) Answer(ctx context.Context, oid mobilize.OfferID, rid mobilize.ResponderID, verb string) (mobilize.Answer, error) {
	a, err := f.Store.Answer(ctx, oid, rid, verb)
	if err == nil && a.Outcome == "staffed" {
		f.armed.Store(true)
	}
	return a, err
}

func (f *flakyNeedRead) Need(ctx context.Context, id mobilize.NeedID) (mobilize.NeedState, error) {
	if f.armed.CompareAndSwap(true, false) {
		return mobilize.NeedState{}, fmt.Errorf("need %s: %w", id, unavailableError{fmt.Errorf("connection reset")})
	}
	return f.Store.Need(ctx, id)
}

// offerOf returns the one offer id rec holds for rid.
func offerOf(t *testing.T, rec *recorder, rid mobilize.ResponderID) mobilize.OfferID {
	t.Helper()
	offers := rec.offers(rid)
	if len(offers) != 1 {
		t.Fatalf("%s has %d offers, want 1", rid, len(offers))
	}
	return offers[0].Offer
}

// teamOfFour offers the places of a mass-casualty team (two medics, two
// volunteers, as the earthquake drill has) to the four people standing by.
func teamOfFour(t *testing.T, st *Store, clock *testClock, svc *mobilize.Service) mobilize.NeedState {
	t.Helper()
	members := []mobilize.ResponderID{"m1", "m2", "v1", "v2"}
	for i, id := range members {
		role := mobilize.RoleMedic
		if id[0] == 'v' {
			role = mobilize.RoleVolunteer
		}
		enrollAt(t, st, clock, id, role, 1, yantaiLat+0.001*float64(i+1), yantaiLng)
	}
	n := mustCreateNeed(t, svc, mobilize.Need{Urgency: 1, Category: "mass_casualty_triage", Point: mustPoint(t, yantaiLat, yantaiLng),
		Team: []mobilize.TeamSlot{{Role: mobilize.RoleMedic, Count: 2}, {Role: mobilize.RoleVolunteer, Count: 2}}})
	if rep := mustTick(t, svc); rep.Offered != 4 {
		t.Fatalf("tick offered %d places, want 4 (%+v)", rep.Offered, rep)
	}
	return n
}

// everyoneTold checks that the need was announced staffed exactly once
// (one TeamStaffed is each member's assignment message and the consoles'
// need.staffed), naming the whole team.
func everyoneTold(t *testing.T, rec *recorder, n mobilize.NeedState) {
	t.Helper()
	for _, id := range []mobilize.ResponderID{"m1", "m2", "v1", "v2"} {
		got := rec.assignments(id)
		if len(got) != 1 {
			t.Errorf("%s got %d assignments, want 1: staffed and never told where to go", id, len(got))
			continue
		}
		if len(got[0].Team) != 4 || got[0].Need.ID != n.ID {
			t.Errorf("%s's assignment names need %v and a team of %d, want %s and 4", id, got[0].Need.ID, len(got[0].Team), n.ID)
		}
	}
	staffed := 0
	for _, e := range eventsOf[mobilize.TeamStaffed](rec) {
		if e.Need.ID == n.ID {
			staffed++
		}
	}
	if staffed != 1 {
		t.Errorf("%d need.staffed events, want 1", staffed)
	}
}

// The last two members of a team accept at the same moment, and each
// phone's socket closes as soon as its accept is stored. Whichever accept
// filled the last place must still tell the whole team.
func TestStaffedTeamIsToldWhenTheLastAcceptersGoAway(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		clock := newTestClock()
		st := newStore(t, b, clock)
		rec := &recorder{}
		svc := mobilize.NewService(mobilize.ServiceDeps{Store: goneAfterAnswer{st}, Sink: rec, Now: clock.Now}, matchConfig())
		n := teamOfFour(t, st, clock, svc)
		for _, id := range []mobilize.ResponderID{"m1", "v1"} {
			if _, err := svc.Respond(context.Background(), id, offerOf(t, rec, id), true); err != nil {
				t.Fatalf("%s accept: %v", id, err)
			}
		}
		var wg sync.WaitGroup
		outcomes := make([]mobilize.AnswerOutcome, 2)
		for i, id := range []mobilize.ResponderID{"m2", "v2"} {
			oid := offerOf(t, rec, id)
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				a, err := svc.Respond(context.WithValue(ctx, cancelKey{}, cancel), id, oid, true)
				if err != nil {
					t.Errorf("%s accept: %v", id, err)
				}
				outcomes[i] = a.Outcome
			}()
		}
		wg.Wait()
		if (outcomes[0] == mobilize.AnswerStaffed) == (outcomes[1] == mobilize.AnswerStaffed) {
			t.Fatalf("outcomes %v: exactly one accept should fill the team", outcomes)
		}
		got, err := st.Need(context.Background(), n.ID)
		if err != nil || got.Status != mobilize.NeedStaffed {
			t.Fatalf("need after four accepts: %s, %v; want staffed", got.Status, err)
		}
		everyoneTold(t, rec, n)
	})
}

// Redis blips just after the accept that staffed the team: the accept is
// stored, so the team must still be told (and the phone not told that
// nothing changed).
func TestStaffedTeamIsToldThroughABriefOutage(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		clock := newTestClock()
		st := newStore(t, b, clock)
		rec := &recorder{}
		svc := mobilize.NewService(mobilize.ServiceDeps{Store: &flakyNeedRead{Store: st}, Sink: rec, Now: clock.Now}, matchConfig())
		n := teamOfFour(t, st, clock, svc)
		for _, id := range []mobilize.ResponderID{"m1", "v1", "m2", "v2"} {
			if _, err := svc.Respond(ctx, id, offerOf(t, rec, id), true); err != nil {
				t.Fatalf("%s accept: %v", id, err)
			}
		}
		everyoneTold(t, rec, n)
	})
}

package redisstore

import (
	"context"
	"errors"
	"testing"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
	"github.com/redis/go-redis/v9"
)

// replicaKeys is every key of a Redis as DUMP has it: what a replica holds.
type replicaKeys map[string][]byte

func takeSnapshot(t *testing.T, rdb *redis.Client) replicaKeys {
	t.Helper()
	ctx := context.Background()
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	s := replicaKeys{}
	for _, k := range keys {
		v, err := rdb.Dump(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		s[k] = []byte(v)
	}
	return s
}

// failOverTo makes the Redis hold what the snapshot holds and nothing
// else, as a replica that had replicated up to the snapshot and was then
// promoted: every write acknowledged after it is lost.
func failOverTo(t *testing.T, rdb *redis.Client, s replicaKeys) {
	t.Helper()
	ctx := context.Background()
	if err := rdb.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	for k, v := range s {
		if err := rdb.Restore(ctx, k, 0, string(v)).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAnOfferLostInAFailoverIsWithdrawnAndOfferedAgain: the matcher offers
// a place, the master dies before its replica has the offer; the phone
// still shows it and accepts it. The accept is refused (not found), the
// phone is told to drop the offer (OfferLost, said as offer_withdrawn
// lost_in_failover), and the need, never offered as far as the promoted
// replica knows, is offered again on the next tick.
func TestAnOfferLostInAFailoverIsWithdrawnAndOfferedAgain(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	rdb := srv.Client(t)
	ctx := context.Background()
	clock := newTestClock()
	st := newStore(t, redistest.Backend{Client: rdb, Real: true}, clock)
	rec := &recorder{}
	svc := mobilize.NewService(mobilize.ServiceDeps{Store: st, Sink: rec, Now: clock.Now}, matchConfig())
	enrollAt(t, st, clock, "medic", mobilize.RoleMedic, 1, yantaiLat, yantaiLng)
	n := mustCreateNeed(t, svc, mobilize.Need{Urgency: 1, Category: "cardiac_arrest", Point: mustPoint(t, yantaiLat, yantaiLng),
		Team: []mobilize.TeamSlot{{Role: mobilize.RoleMedic, Count: 1}}})
	replica := takeSnapshot(t, rdb)

	mustTick(t, svc)
	first := rec.offers("medic")
	if len(first) != 1 {
		t.Fatalf("the medic got %d offers, want 1", len(first))
	}
	failOverTo(t, rdb, replica)

	_, err := svc.Respond(ctx, "medic", first[0].Offer, true)
	if !errors.Is(err, mobilize.ErrNotFound) {
		t.Fatalf("accepting the lost offer: %v, want not found", err)
	}
	lost := eventsOf[mobilize.OfferLost](rec)
	if len(lost) != 1 || lost[0].Offer != first[0].Offer || lost[0].Responder != "medic" {
		t.Fatalf("lost offers told %+v, want the medic's %s", lost, first[0].Offer)
	}

	mustTick(t, svc)
	again := rec.offers("medic")
	if len(again) != 2 || again[1].Offer == first[0].Offer || again[1].Need.ID != n.ID {
		t.Fatalf("offers after the failover %+v, want a new offer of need %s", again, n.ID)
	}
	if _, err := svc.Respond(ctx, "medic", again[1].Offer, true); err != nil {
		t.Fatalf("accepting the new offer: %v", err)
	}
	got, err := st.Need(ctx, n.ID)
	if err != nil || got.Status != mobilize.NeedStaffed {
		t.Fatalf("need %+v, %v; want staffed by the medic", got.Status, err)
	}
}

// TestAStrangersAnswerIsToldAsAnyUnknownOffer: answering someone else's
// offer is told exactly as answering one that does not exist, so the
// withdrawal does not reveal that the offer exists; the owner's offer
// stands.
func TestAStrangersAnswerIsToldAsAnyUnknownOffer(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	rdb := srv.Client(t)
	ctx := context.Background()
	clock := newTestClock()
	st := newStore(t, redistest.Backend{Client: rdb, Real: true}, clock)
	rec := &recorder{}
	svc := mobilize.NewService(mobilize.ServiceDeps{Store: st, Sink: rec, Now: clock.Now}, matchConfig())
	enrollAt(t, st, clock, "medic", mobilize.RoleMedic, 1, yantaiLat, yantaiLng)
	enrollAt(t, st, clock, "stranger", mobilize.RoleVolunteer, 1, yantaiLat+0.3, yantaiLng)
	mustCreateNeed(t, svc, mobilize.Need{Urgency: 1, Category: "cardiac_arrest", Point: mustPoint(t, yantaiLat, yantaiLng),
		Team: []mobilize.TeamSlot{{Role: mobilize.RoleMedic, Count: 1}}})
	mustTick(t, svc)
	o := rec.offers("medic")
	if len(o) != 1 {
		t.Fatalf("the medic got %d offers", len(o))
	}
	_, errTheirs := svc.Respond(ctx, "stranger", o[0].Offer, true)
	_, errNone := svc.Respond(ctx, "stranger", "o-never", true)
	if !errors.Is(errTheirs, mobilize.ErrNotFound) || !errors.Is(errNone, mobilize.ErrNotFound) {
		t.Fatalf("stranger's answers: %v / %v, want not found both", errTheirs, errNone)
	}
	lost := eventsOf[mobilize.OfferLost](rec)
	if len(lost) != 2 || lost[0].Responder != "stranger" || lost[1].Responder != "stranger" {
		t.Fatalf("lost offers told %+v, want both to the stranger alone", lost)
	}
	if _, err := svc.Respond(ctx, "medic", o[0].Offer, true); err != nil {
		t.Fatalf("the medic's offer no longer stands: %v", err)
	}
}

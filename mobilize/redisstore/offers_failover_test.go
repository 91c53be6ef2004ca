package redisstore

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// halfOffered is a store whose Redis dies in the middle of an offer batch:
// the first claim is made, the pipeline then fails (as when a cluster
// master is killed between two script calls).
type halfOffered struct{ *Store }

func (h halfOffered) OfferMany(ctx context.Context, os []mobilize.OfferRequest) ([]mobilize.OfferOutcome, error) {
	made, err := h.Store.OfferMany(ctx, os[:1])
	if err != nil {
		return nil, err
	}
	for range os[1:] {
		made = append(made, mobilize.OfferFailed)
	}
	return made, fmt.Errorf("offer batch: %w", unavailableError{errors.New("read: connection reset by peer")})
}

// TestTickTellsTheOffersMadeBeforeRedisFailed: when Redis fails partway
// through a tick's claims, the responder whose claim was made still gets
// the offer (before, the tick returned the error and the claimed
// responder sat out an offer they never saw until it expired); the tick
// reports the outage, and the next tick offers the rest.
func TestTickTellsTheOffersMadeBeforeRedisFailed(t *testing.T) {
	m, c := redistest.Embedded(t)
	clock := newTestClock()
	st := newStore(t, redistest.Backend{Name: "embedded", Client: c, FastForward: m.FastForward}, clock)
	rec := &recorder{}
	ctx := context.Background()
	flaky := mobilize.NewService(mobilize.ServiceDeps{Store: halfOffered{st}, Sink: rec, Now: clock.Now}, matchConfig())
	enrollAt(t, st, clock, "v1", mobilize.RoleVolunteer, 1, yantaiLat+0.001, yantaiLng)
	enrollAt(t, st, clock, "v2", mobilize.RoleVolunteer, 1, yantaiLat+0.002, yantaiLng)
	mustCreateNeed(t, flaky, mobilize.Need{Urgency: 1, Category: "evacuation", Point: mustPoint(t, yantaiLat, yantaiLng),
		Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 2}}})

	rep, err := flaky.Matcher().Tick(ctx)
	if !errors.Is(err, mobilize.ErrUnavailable) {
		t.Fatalf("tick: %v, want the outage reported", err)
	}
	if rep.Offered != 1 {
		t.Fatalf("tick offered %d, want the 1 claim that was made", rep.Offered)
	}
	told := len(rec.offers("v1")) + len(rec.offers("v2"))
	if told != 1 {
		t.Fatalf("%d offers told, want the one made (v1 %d, v2 %d)", told, len(rec.offers("v1")), len(rec.offers("v2")))
	}
	// Redis is back: the next tick offers the other place, once.
	healthy := mobilize.NewService(mobilize.ServiceDeps{Store: st, Sink: rec, Now: clock.Now}, matchConfig())
	if rep, err := healthy.Matcher().Tick(ctx); err != nil || rep.Offered != 1 {
		t.Fatalf("next tick: %+v, %v; want the other place offered", rep, err)
	}
	if len(rec.offers("v1")) != 1 || len(rec.offers("v2")) != 1 {
		t.Fatalf("offers: v1 %d, v2 %d; want one each", len(rec.offers("v1")), len(rec.offers("v2")))
	}
}

// TestPartialOffersKeepsWhatAnswered: of a failed pipeline, the calls
// that answered give their outcomes, the others OfferFailed for each of
// their claims; with no answer at all nothing is known.
func TestPartialOffersKeepsWhatAnswered(t *testing.T) {
	os := make([]mobilize.OfferRequest, maxOfferBatch+2)
	answered := redis.NewCmd(context.Background())
	vals := make([]any, maxOfferBatch)
	for i := range vals {
		vals[i] = "ok"
	}
	vals[1] = "busy"
	answered.SetVal(vals)
	lost := redis.NewCmd(context.Background())
	cut := errors.New("read: connection reset by peer")
	lost.SetErr(cut)

	out, err := partialOffers(os, []*redis.Cmd{answered, lost}, cut)
	if !errors.Is(err, cut) || len(out) != len(os) {
		t.Fatalf("partialOffers: %d outcomes, %v", len(out), err)
	}
	if out[0] != mobilize.OfferOK || out[1] != mobilize.OfferBusy || out[maxOfferBatch] != mobilize.OfferFailed || out[maxOfferBatch+1] != mobilize.OfferFailed {
		t.Fatalf("outcomes %v ... %v", out[:2], out[maxOfferBatch:])
	}
	if out, err := partialOffers(os, []*redis.Cmd{lost, lost}, cut); out != nil || err == nil {
		t.Fatalf("nothing answered: %v, %v; want nil outcomes and the error", out, err)
	}
}

package redisstore

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// TestPreAlertReachesOptedInOffDutyWithinBudget, on a real redis-server:
// a Severe typhoon warning (37.40..37.60 N, 121.30..121.55 E) asks to
// stand by the available inside and the off-duty inside who opted in, by
// their last position; not the off-duty who did not opt in, not anyone
// outside, not someone whose budget of the hour is spent. Each standby
// is charged to the budget, and the update of the same warning tells
// nobody twice.
func TestPreAlertReachesOptedInOffDutyWithinBudget(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	b := redistest.Backend{Name: "redis-server", Client: srv.Client(t), Real: true}
	clock := newTestClock()
	st := newStore(t, b, clock)
	rec := &recorder{}
	cfg := matchConfig()
	cfg.AlertBudgetPerHour = 1
	svc := mobilize.NewService(mobilize.ServiceDeps{Store: st, Sink: rec, Now: clock.Now, CAP: mobilize.CAPConfig{PreAlert: true}}, cfg)
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
	enrollAt(t, st, clock, "avail", mobilize.RoleVolunteer, 1, 37.50, 121.45)
	offDuty("optin", 37.45, 121.40, true)
	offDuty("optout", 37.46, 121.41, false)
	offDuty("outside", 37.80, 121.45, true)
	offDuty("north", 37.65, 121.45, true) // inside the update's area only
	// tired had an offer this hour (declined): the budget of 1 is spent.
	enrollAt(t, st, clock, "tired", mobilize.RoleVolunteer, 1, 37.51, 121.46)
	createNeed(t, st, clock, "n1", 3, []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}})
	if out, err := st.Offer(ctx, mobilize.OfferRequest{OfferID: "o1", Need: "n1", Responder: "tired", TTL: time.Hour, Reason: mobilize.ReasonNearest}); err != nil || out != mobilize.OfferOK {
		t.Fatalf("offer: %s %v", out, err)
	}
	if _, err := st.Answer(ctx, "o1", "tired", "decline"); err != nil {
		t.Fatal(err)
	}
	if on, err := svc.StandbyOptIn(ctx, "optin"); err != nil || !on {
		t.Fatalf("optin's opt-in reads %v %v", on, err)
	}

	out, err := svc.ReceiveCAP(ctx, readCAP(t, "typhoon-actual.xml"))
	if err != nil || out.Action != mobilize.CAPCreated {
		t.Fatalf("warning: %+v %v", out, err)
	}
	if got, want := preAlerted(rec), [][]mobilize.ResponderID{{"avail", "optin"}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("pre-alerted %v, want %v", got, want)
	}
	fat, err := st.Fatigue(ctx, []mobilize.ResponderID{"avail", "optin"})
	if err != nil || fat["avail"].OffersLastHour != 1 || fat["optin"].OffersLastHour != 1 {
		t.Fatalf("budgets after the standby: %+v %v, want one each", fat, err)
	}
	// The update widens the area north: only north is new.
	clock.Advance(2 * time.Hour) // budgets refilled: only "told already" holds the others back
	relocate(t, st, clock, "avail", 37.50, 121.45)
	relocate(t, st, clock, "tired", 37.51, 121.46)
	if _, err := svc.ReceiveCAP(ctx, readCAP(t, "typhoon-update.xml")); err != nil {
		t.Fatal(err)
	}
	if got := preAlerted(rec); len(got) != 2 || !slices.Equal(got[1], []mobilize.ResponderID{"north", "tired"}) {
		t.Fatalf("pre-alerts after the update %v, want the second to north and tired (its budget refilled) only", got)
	}
}

// TestErasureForgetsTheStandbyOptIn: an erased responder is in no list.
func TestErasureForgetsTheStandbyOptIn(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, clock, st, _, svc := serviceCity(t, b)
		enrollAt(t, st, clock, "a", mobilize.RoleVolunteer, 1, yantaiLat, yantaiLng)
		if err := svc.SetStandbyOptIn(ctx, "a", true); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Erase(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		if ids, err := st.StandbyOptedIn(ctx); err != nil || len(ids) != 0 {
			t.Fatalf("opted in after the erasure: %v %v", ids, err)
		}
	})
}

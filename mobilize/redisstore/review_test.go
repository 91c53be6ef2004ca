package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/mobilizetest"
)

// reviewCity is a store, a service with the default duplicate rules and
// a clock, over one backend.
func reviewCity(t *testing.T, b redistest.Backend) (context.Context, *testClock, *Store, *mobilize.Service) {
	t.Helper()
	clock := newTestClock()
	st := newStore(t, b, clock)
	svc := mobilize.NewService(mobilize.ServiceDeps{Store: st, Sink: &mobilizetest.Recorder{}, Now: clock.Now,
		Duplicates: mobilize.DefaultDuplicateConfig()}, matchConfig())
	return context.Background(), clock, st, svc
}

func intakeNeed(t testing.TB, dx, dy float64, urgency int, source mobilize.Source, phone string) mobilize.Need {
	t.Helper()
	lat, lng := offset(yantaiLat, yantaiLng, dx, dy)
	n := mobilize.Need{Urgency: urgency, Category: "flood_rescue", Point: mustPoint(t, lat, lng), Source: source,
		Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}, Description: "water in the ground floor"}
	if phone != "" {
		n.Contacts = []mobilize.Contact{{Name: "Wang", Phone: phone}}
	}
	return n
}

func offersTo(t testing.TB, st *Store, id mobilize.NeedID) []mobilize.Assignment {
	t.Helper()
	n, err := st.Need(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return n.Assignments
}

// TestPendingNeedIsNeverOffered: a need from a resident waits in
// pending_review, out of every matching round, until approved.
func TestPendingNeedIsNeverOffered(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, clock, st, svc := reviewCity(t, b)
		enrollAt(t, st, clock, "v1", mobilize.RoleVolunteer, 1, yantaiLat, yantaiLng)
		n, err := svc.CreateIntake(ctx, intakeNeed(t, 0, 0, 1, mobilize.SourceRequest, ""), false)
		if err != nil {
			t.Fatal(err)
		}
		if n.Status != mobilize.NeedPendingReview {
			t.Fatalf("status %s, want pending_review", n.Status)
		}
		mustTick(t, svc)
		mustTick(t, svc)
		if as := offersTo(t, st, n.ID); len(as) != 0 {
			t.Fatalf("pending need offered: %+v", as)
		}
		if _, err := svc.Approve(ctx, n.ID, 2); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Approve(ctx, n.ID, 0); !errors.Is(err, mobilize.ErrInvalidTransition) {
			t.Fatalf("second approval: %v, want invalid transition", err)
		}
		mustTick(t, svc)
		got, _ := st.Need(ctx, n.ID)
		if got.Urgency != 2 || len(got.Assignments) != 1 {
			t.Fatalf("after approval: urgency %d, %d offers; want 2 and 1", got.Urgency, len(got.Assignments))
		}
	})
}

// TestTrustedPartnerSkipsReview and a rejected need never enters matching.
func TestTrustedPartnerSkipsReviewAndRejectCloses(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, _, _, svc := reviewCity(t, b)
		trusted, err := svc.CreateIntake(ctx, intakeNeed(t, 0, 0, 3, mobilize.SourceOpen311, ""), true)
		if err != nil || trusted.Status != mobilize.NeedOpen {
			t.Fatalf("trusted partner's need: %v %v, want open", trusted.Status, err)
		}
		p, err := svc.CreateIntake(ctx, intakeNeed(t, 2000, 0, 3, mobilize.SourceOpen311, ""), false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Reject(ctx, p.ID, " "); !errors.Is(err, mobilize.ErrInvalid) {
			t.Fatalf("reject without reason: %v", err)
		}
		r, err := svc.Reject(ctx, p.ID, "prank call")
		if err != nil || r.Status != mobilize.NeedRejected || r.ReviewReason != "prank call" {
			t.Fatalf("rejected: %v %q %v", r.Status, r.ReviewReason, err)
		}
		if _, err := svc.Approve(ctx, p.ID, 0); !errors.Is(err, mobilize.ErrInvalidTransition) {
			t.Fatalf("approving a rejected need: %v", err)
		}
	})
}

// TestDuplicatesAreFlaggedNearAndByPhone: 50 m and 5 minutes apart in one
// category flags; farther, later, or another category does not; the same
// phone flags anywhere.
func TestDuplicatesAreFlaggedNearAndByPhone(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, clock, _, svc := reviewCity(t, b)
		first, err := svc.CreateNeed(ctx, intakeNeed(t, 0, 0, 2, mobilize.SourceStaff, "+86 535 1234 5678"))
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(5 * time.Minute)
		near, err := svc.CreateNeed(ctx, intakeNeed(t, 50, 0, 2, mobilize.SourceStaff, ""))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(near.PossibleDuplicateOf, []mobilize.NeedID{first.ID}) || near.DuplicateReason != mobilize.DuplicateNearby {
			t.Fatalf("50 m, 5 min: flagged %v (%q), want [%s] same_category_nearby", near.PossibleDuplicateOf, near.DuplicateReason, first.ID)
		}
		far, _ := svc.CreateNeed(ctx, intakeNeed(t, 260, 0, 2, mobilize.SourceStaff, "")) // within the cells read, beyond the radius of both
		other := intakeNeed(t, 20, 0, 2, mobilize.SourceStaff, "")
		other.Category = "medicine_delivery"
		otherCat, _ := svc.CreateNeed(ctx, other)
		for _, n := range []mobilize.NeedState{far, otherCat} {
			if len(n.PossibleDuplicateOf) != 0 {
				t.Errorf("need %s flagged %v", n.Category, n.PossibleDuplicateOf)
			}
		}
		clock.Advance(31 * time.Minute)
		late, _ := svc.CreateNeed(ctx, intakeNeed(t, 10, 0, 2, mobilize.SourceStaff, ""))
		if len(late.PossibleDuplicateOf) != 0 {
			t.Errorf("31 min later flagged %v", late.PossibleDuplicateOf)
		}
		byPhone, _ := svc.CreateNeed(ctx, intakeNeed(t, 5000, 0, 2, mobilize.SourceStaff, "0535-12345678"))
		if !slices.Contains(byPhone.PossibleDuplicateOf, first.ID) || byPhone.DuplicateReason != mobilize.DuplicateSamePhone {
			t.Errorf("same phone: flagged %v (%q)", byPhone.PossibleDuplicateOf, byPhone.DuplicateReason)
		}
	})
}

// TestFlaggedNeedWaitsUnlessLifeThreatening: a flagged urgency-2 need is
// not matched until kept; a flagged urgency-1 need is matched at once.
func TestFlaggedNeedWaitsUnlessLifeThreatening(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, clock, st, svc := reviewCity(t, b)
		enrollAt(t, st, clock, "v1", mobilize.RoleVolunteer, 1, yantaiLat, yantaiLng)
		enrollAt(t, st, clock, "v2", mobilize.RoleVolunteer, 1, yantaiLat, yantaiLng)
		enrollAt(t, st, clock, "v3", mobilize.RoleVolunteer, 1, yantaiLat, yantaiLng)
		if _, err := svc.CreateNeed(ctx, intakeNeed(t, 0, 0, 2, mobilize.SourceStaff, "")); err != nil {
			t.Fatal(err)
		}
		routine, _ := svc.CreateNeed(ctx, intakeNeed(t, 30, 0, 2, mobilize.SourceStaff, ""))
		urgent, _ := svc.CreateNeed(ctx, intakeNeed(t, 0, 30, 1, mobilize.SourceStaff, ""))
		if len(routine.PossibleDuplicateOf) == 0 || len(urgent.PossibleDuplicateOf) == 0 {
			t.Fatalf("not flagged: %v %v", routine.PossibleDuplicateOf, urgent.PossibleDuplicateOf)
		}
		mustTick(t, svc)
		if len(offersTo(t, st, urgent.ID)) != 1 {
			t.Fatal("flagged urgency-1 need not matched")
		}
		if as := offersTo(t, st, routine.ID); len(as) != 0 {
			t.Fatalf("flagged urgency-2 need matched: %+v", as)
		}
		kept, err := svc.KeepDuplicate(ctx, routine.ID)
		if err != nil || len(kept.PossibleDuplicateOf) != 0 {
			t.Fatalf("keep: %v %v", kept.PossibleDuplicateOf, err)
		}
		mustTick(t, svc)
		if len(offersTo(t, st, routine.ID)) != 1 {
			t.Fatal("kept need not matched")
		}
	})
}

// TestMergeLeavesOneNeedAndNoDoubleOffers: a responder who accepted one
// need and is offered its duplicate holds only the first after the merge,
// and the kept need carries the merged one's contact and description.
func TestMergeLeavesOneNeedAndNoDoubleOffers(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, clock, st, svc := reviewCity(t, b)
		enrollAt(t, st, clock, "v1", mobilize.RoleVolunteer, 2, yantaiLat, yantaiLng)
		a, _ := svc.CreateNeed(ctx, intakeNeed(t, 0, 0, 1, mobilize.SourceStaff, ""))
		mustTick(t, svc)
		if _, err := svc.Respond(ctx, "v1", offersTo(t, st, a.ID)[0].OfferID, true); err != nil {
			t.Fatal(err)
		}
		clock.Advance(5 * time.Minute)
		dup := intakeNeed(t, 50, 0, 1, mobilize.SourceStaff, "13800138000")
		dup.Description = "neighbour says two elderly people upstairs"
		bn, _ := svc.CreateNeed(ctx, dup)
		mustTick(t, svc)
		if as := offersTo(t, st, bn.ID); len(as) != 1 || as[0].ResponderID != "v1" || as[0].State != mobilize.AssignOffered {
			t.Fatalf("setup: v1 not offered the duplicate: %+v", as)
		}
		kept, err := svc.Merge(ctx, bn.ID, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		merged, _ := st.Need(ctx, bn.ID)
		if merged.Status != mobilize.NeedMerged || merged.MergedInto != a.ID {
			t.Fatalf("merged need: %s into %q", merged.Status, merged.MergedInto)
		}
		if merged.Assignments[0].State != mobilize.AssignWithdrawn {
			t.Fatalf("offer of the merged need is %s, want withdrawn", merged.Assignments[0].State)
		}
		if len(kept.Contacts) != 1 || kept.Contacts[0].Phone != "13800138000" || !slices.Contains(kept.Notes, dup.Description) {
			t.Fatalf("kept need: contacts %+v notes %q", kept.Contacts, kept.Notes)
		}
		holding := 0
		for _, id := range []mobilize.NeedID{a.ID, bn.ID} {
			for _, as := range offersTo(t, st, id) {
				if as.ResponderID == "v1" && as.State.Active() {
					holding++
				}
			}
		}
		if holding != 1 {
			t.Fatalf("v1 holds %d live assignments, want 1", holding)
		}
		if _, err := svc.Merge(ctx, bn.ID, a.ID); !errors.Is(err, mobilize.ErrInvalidTransition) {
			t.Fatalf("merging twice: %v", err)
		}
	})
}

// TestPlaceAnAddressOnlyNeed: a need given by address waits unplaced;
// approval is refused until a reviewer places it.
func TestPlaceAnAddressOnlyNeed(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, _, _, svc := reviewCity(t, b)
		n := intakeNeed(t, 0, 0, 2, mobilize.SourceOpen311, "")
		n.Point, n.Unplaced, n.Address = mustPoint(t, 0, 0), true, "芝罘区 南大街 12号"
		p, err := svc.CreateIntake(ctx, n, false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Approve(ctx, p.ID, 0); !errors.Is(err, mobilize.ErrInvalidTransition) {
			t.Fatalf("approving an unplaced need: %v", err)
		}
		placed, err := svc.Place(ctx, p.ID, mustPoint(t, yantaiLat, yantaiLng))
		if err != nil || placed.Unplaced || placed.Address != n.Address {
			t.Fatalf("placed: unplaced %v address %q %v", placed.Unplaced, placed.Address, err)
		}
		if _, err := svc.Approve(ctx, p.ID, 0); err != nil {
			t.Fatal(err)
		}
		if trusted, err := svc.CreateIntake(ctx, n, true); err != nil || trusted.Status != mobilize.NeedPendingReview {
			t.Fatalf("a trusted partner's unplaced need: %v %v, want pending_review", trusted.Status, err)
		}
	})
}

// TestRetentionStripsReporters: a closed need past retention loses its
// reporters' names, phones and emails, the merged notes and the address.
func TestRetentionStripsReporters(t *testing.T) {
	n := intakeNeed(t, 0, 0, 2, mobilize.SourceOpen311, "13800138000")
	n.Contacts[0].Email, n.Notes, n.Address = "li@example.cn", []string{"neighbour upstairs"}, "南大街12号"
	data, err := json.Marshal(storedNeed{Need: n, Lat: yantaiLat, Lng: yantaiLng})
	if err != nil {
		t.Fatal(err)
	}
	stripped, err := stripNeed(string(data))
	if err != nil {
		t.Fatal(err)
	}
	for _, personal := range []string{"13800138000", "li@example.cn", "Wang", "neighbour upstairs", "南大街"} {
		if strings.Contains(stripped, personal) {
			t.Errorf("stripped need still holds %q: %s", personal, stripped)
		}
	}
}

package redisstore

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// TestQueries checks the API's read queries on both backends: summaries by
// status with their times, needs by id, responder counts and the pending
// offer of a responder.
func TestQueries(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		clock := newTestClock()
		st := newStore(t, b, clock)
		// Keys of another prefix and region must not be listed.
		other, _ := NewStore(b.Client, IndexOptions{Prefix: "t:", Region: "elsewhere", Now: clock.Now})
		if created, err := other.CreateNeed(ctx, mobilize.Need{ID: "n-other", Urgency: 1, Category: "c", Point: mustPoint(t, yantaiLat, yantaiLng),
			Team: []mobilize.TeamSlot{{Role: mobilize.RoleMedic, Count: 1}}, CreatedAt: clock.Now()}); err != nil || !created {
			t.Fatal(created, err)
		}

		enrollAt(t, st, clock, "r-a", mobilize.RoleVolunteer, 1, yantaiLat, yantaiLng)
		enrollAt(t, st, clock, "r-b", mobilize.RoleMedic, 1, yantaiLat, yantaiLng)
		if _, err := st.Enroll(ctx, mobilize.Responder{ID: "r-c", Name: "C", Role: mobilize.RoleMedic}, false); err != nil {
			t.Fatal(err)
		}
		createNeed(t, st, clock, "n-open", 2, []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}})
		created := clock.Now()
		createNeed(t, st, clock, "n-gone", 3, []mobilize.TeamSlot{{Role: mobilize.RoleMedic, Count: 1}})
		if _, err := st.Close(ctx, "n-gone", mobilize.NeedCancelled); err != nil {
			t.Fatal(err)
		}

		if _, found, err := st.PendingOffer(ctx, "r-a"); found || err != nil {
			t.Fatalf("pending offer before any: %v %v", found, err)
		}
		if _, _, err := st.PendingOffer(ctx, "nobody"); !errors.Is(err, mobilize.ErrNotFound) {
			t.Fatalf("pending offer of nobody: %v", err)
		}
		if out, err := st.Offer(ctx, mobilize.OfferRequest{OfferID: "o-1", Need: "n-open", Responder: "r-a", TTL: time.Minute, DistanceMeters: 12}); err != nil || out != mobilize.OfferOK {
			t.Fatal(out, err)
		}
		po, found, err := st.PendingOffer(ctx, "r-a")
		if err != nil || !found || po.Need.ID != "n-open" || po.Assignment.OfferID != "o-1" || po.Assignment.DistanceMeters != 12 {
			t.Fatalf("pending offer %+v %v %v", po, found, err)
		}
		clock.Advance(30 * time.Second)
		if _, err := st.Answer(ctx, "o-1", "r-a", "accept"); err != nil {
			t.Fatal(err)
		}
		if _, found, _ := st.PendingOffer(ctx, "r-a"); found {
			t.Fatal("an accepted offer is still pending")
		}

		all, err := st.NeedSummaries(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(all, func(x, y mobilize.NeedSummary) int { return cmp.Compare(x.ID, y.ID) })
		if len(all) != 2 || all[0].ID != "n-gone" || all[0].Status != mobilize.NeedCancelled || all[1].ID != "n-open" ||
			all[1].Status != mobilize.NeedStaffed || !all[1].CreatedAt.Equal(created) || all[1].StaffedAt.Sub(all[1].CreatedAt) != 30*time.Second {
			t.Fatalf("summaries %+v", all)
		}
		if active, err := st.NeedSummaries(ctx, true); err != nil || len(active) != 0 {
			t.Fatalf("active summaries %+v %v", active, err)
		}
		needs, err := st.Needs(ctx, []mobilize.NeedID{"n-open", "n-missing", "n-gone"})
		if err != nil || len(needs) != 2 || needs[0].ID != "n-open" || len(needs[0].Assignments) != 1 || needs[1].ID != "n-gone" {
			t.Fatalf("needs %+v %v", needs, err)
		}

		rc, err := st.CountResponders(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rc.Total != 3 || rc.ByStatus[mobilize.StatusBusy] != 1 || rc.ByStatus[mobilize.StatusAvailable] != 1 || rc.ByStatus[mobilize.StatusOffDuty] != 1 ||
			rc.AvailableByRole[mobilize.RoleMedic] != 1 || rc.IndexedByRole[mobilize.RoleMedic] != 1 || rc.AvailableByRole[mobilize.RoleVolunteer] != 0 {
			t.Fatalf("counts %+v", rc)
		}
	})
}

func TestGlobEscape(t *testing.T) {
	if got := globEscape(`a*b?[c]\{d}:`); got != `a\*b\?\[c\]\\{d}:` {
		t.Fatalf("globEscape = %s", got)
	}
}

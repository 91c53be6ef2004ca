package redisstore

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// TestClaimsOfABatchSeeEachOther: offer.lua reads a batch's records once
// and writes them after its last claim, so within one batch a claim must
// see the claims before it (the person just offered is busy, the place
// just taken is full, the person just asked is asked), a refused claim
// must leave nothing behind (not even in the asked set of a need claimed
// once in the batch), and the index and supply counts must end as if the
// claims had run one by one.
func TestClaimsOfABatchSeeEachOther(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		clock := newTestClock()
		st := newStore(t, b, clock)
		for _, id := range []mobilize.ResponderID{"a", "b", "c", "d"} {
			enrollAt(t, st, clock, id, mobilize.RoleVolunteer, 1, yantaiLat, yantaiLng)
		}
		enrollAt(t, st, clock, "m", mobilize.RoleMedic, 1, yantaiLat, yantaiLng)
		createNeed(t, st, clock, "n1", 2, []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 2}})
		createNeed(t, st, clock, "n2", 2, []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}})
		createNeed(t, st, clock, "n3", 2, []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}})
		req := func(oid mobilize.OfferID, need mobilize.NeedID, rid mobilize.ResponderID) mobilize.OfferRequest {
			return mobilize.OfferRequest{OfferID: oid, Need: need, Responder: rid, TTL: time.Minute, Reason: mobilize.ReasonNearest}
		}
		outs, err := st.OfferMany(ctx, []mobilize.OfferRequest{
			req("o1", "n2", "a"),
			req("o2", "n3", "a"), // a was offered n2 just before
			req("o3", "n1", "b"),
			req("o4", "n1", "b"), // asked just before
			req("o5", "n1", "m"),
			req("o6", "n1", "c"),
			req("o7", "n1", "d"), // both places have an offer out
			req("o8", "gone", "d"),
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []mobilize.OfferOutcome{mobilize.OfferOK, mobilize.OfferBusy, mobilize.OfferOK, mobilize.OfferAlreadyAsked,
			mobilize.OfferWrongRole, mobilize.OfferOK, mobilize.OfferSlotFull, mobilize.OfferNeedClosed}
		if !slices.Equal(outs, want) {
			t.Fatalf("outcomes %v, want %v", outs, want)
		}
		rdb := b.Client
		asked := func(need string) []string {
			m, err := rdb.SMembers(ctx, st.NeedStore.keys.needAsked(need)).Result()
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(m)
			return m
		}
		if got := asked("n1"); !slices.Equal(got, []string{"b", "c"}) {
			t.Errorf("n1 asked %v, want [b c]", got)
		}
		if got := asked("n2"); !slices.Equal(got, []string{"a"}) {
			t.Errorf("n2 asked %v, want [a]", got)
		}
		if got := asked("n3"); len(got) != 0 {
			t.Errorf("n3 asked %v after a refused claim, want nobody", got)
		}
		for _, id := range []string{"a", "b", "c"} {
			if cells := cellHashesHolding(t, rdb, id); len(cells) != 0 {
				t.Errorf("%s, offered, is still a candidate in %v", id, cells)
			}
		}
		for _, id := range []string{"d", "m"} {
			if cells := cellHashesHolding(t, rdb, id); len(cells) != 1 {
				t.Errorf("%s, not offered, is a candidate in %v, want one cell", id, cells)
			}
		}
		supply := func() int {
			box, err := geo.NewBBox(yantaiLng-0.1, yantaiLat-0.1, yantaiLng+0.1, yantaiLat+0.1)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, res := range []int{7, 5} {
				got, err := st.Supply(ctx, box, res)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range got {
					n += c
				}
			}
			return n
		}
		if got := supply(); got != 2*2 {
			t.Errorf("supply counts %d (res 7 and 5), want 2 available twice", got)
		}
		n1, err := st.Need(ctx, "n1")
		if err != nil {
			t.Fatal(err)
		}
		if len(n1.Assignments) != 2 {
			t.Errorf("n1 has %d assignments, want 2: %+v", len(n1.Assignments), n1.Assignments)
		}
		for _, rid := range []mobilize.ResponderID{"a", "b", "c"} {
			if _, found, err := st.PendingOffer(ctx, rid); err != nil || !found {
				t.Errorf("%s has no pending offer (%v)", rid, err)
			}
		}
		// a, free again, may be offered n3: the refused claim left no mark.
		if _, err := st.Answer(ctx, "o1", "a", "decline"); err != nil {
			t.Fatal(err)
		}
		if out, err := st.Offer(ctx, req("o9", "n3", "a")); err != nil || out != mobilize.OfferOK {
			t.Fatalf("offer of n3 to a after the refusal: %s %v, want ok", out, err)
		}
		if got := supply(); got != 2*2 {
			t.Errorf("supply counts %d after a's second offer, want 4", got)
		}
		if _, err := st.Answer(ctx, "o9", "a", "decline"); err != nil {
			t.Fatal(err)
		}
		if out, err := st.Offer(ctx, req("o10", "n3", "a")); err != nil || out != mobilize.OfferAlreadyAsked {
			t.Fatalf("second offer of n3 to a: %s %v, want already_asked", out, err)
		}
	})
}

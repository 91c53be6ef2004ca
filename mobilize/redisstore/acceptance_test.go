package redisstore

import (
	"math"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// TestAcceptanceMeasuredFromAnswers: a decline, a lapse and an accept are
// counted by the answer script under the need's key, the local hour and
// overall; a withdrawn offer is no answer; counts halve over a week.
func TestAcceptanceMeasuredFromAnswers(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, clock, st, rec, svc := serviceCity(t, b)
		shanghai, err := time.LoadLocation("Asia/Shanghai")
		if err != nil {
			t.Fatal(err)
		}
		st.SetTimeZone(shanghai)
		for i, id := range []mobilize.ResponderID{"a", "b", "c"} {
			lat, lng := offset(yantaiLat, yantaiLng, 0, float64(100*(i+1)))
			enrollAt(t, st, clock, id, mobilize.RoleVolunteer, 1, lat, lng)
		}
		n := mustCreateNeed(t, svc, mobilize.Need{Urgency: 2, Category: "fall", Point: mustPoint(t, yantaiLat, yantaiLng),
			Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}})
		key := mobilize.AcceptanceKey{Category: "fall", Role: mobilize.RoleVolunteer, Urgency: 2}
		other := mobilize.AcceptanceKey{Category: "fall", Role: mobilize.RoleMedic, Urgency: 2}

		mustTick(t, svc)
		if _, err := svc.Respond(ctx, "a", rec.offers("a")[0].Offer, false); err != nil {
			t.Fatal(err)
		}
		mustTick(t, svc)
		if len(rec.offers("b")) != 1 {
			t.Fatal("b was not offered the need after a declined")
		}
		clock.Advance(2 * time.Minute) // b stays silent
		mustTick(t, svc)
		if _, err := svc.Respond(ctx, "c", rec.offers("c")[0].Offer, true); err != nil {
			t.Fatal(err)
		}
		if got, _ := st.Need(ctx, n.ID); got.Status != mobilize.NeedStaffed {
			t.Fatalf("status %s, want staffed", got.Status)
		}
		snap, err := st.Acceptance(ctx, []mobilize.AcceptanceKey{key, other})
		if err != nil {
			t.Fatal(err)
		}
		near := func(got mobilize.AcceptanceCounts, acc, ans float64) bool {
			return math.Abs(got.Accepted-acc) < 1e-3 && math.Abs(got.Answered-ans) < 1e-3
		}
		if !near(snap.ByKey[key], 1, 3) || !near(snap.All, 1, 3) || !near(snap.Hour, 1, 3) {
			t.Fatalf("snapshot %+v: want 1 accepted of 3 answered for the key, the hour and all", snap)
		}
		if snap.ByKey[other] != (mobilize.AcceptanceCounts{}) {
			t.Fatalf("a key without answers has counts %+v", snap.ByKey[other])
		}
		// The hour is Shanghai's (12:00 UTC is 20:00 there), not UTC's.
		rdb := b.Client
		if rdb.HExists(ctx, "t:{yt}:acceptance", "h:20").Val() == false || rdb.HExists(ctx, "t:{yt}:acceptance", "h:12").Val() {
			t.Fatalf("hour fields %v: want h:20 only", rdb.HKeys(ctx, "t:{yt}:acceptance").Val())
		}
		// A week later the counts weigh half (and the hour is still 20:00).
		clock.Advance(7 * 24 * time.Hour)
		snap, err = st.Acceptance(ctx, []mobilize.AcceptanceKey{key})
		if err != nil {
			t.Fatal(err)
		}
		if !near(snap.ByKey[key], 0.5, 1.5) || !near(snap.Hour, 0.5, 1.5) {
			t.Fatalf("a week later %+v: want half", snap)
		}
		// A cancelled need's withdrawn offer is no answer.
		enrollAt(t, st, clock, "d", mobilize.RoleVolunteer, 1, yantaiLat, yantaiLng)
		m := mustCreateNeed(t, svc, mobilize.Need{Urgency: 2, Category: "fall", Point: mustPoint(t, yantaiLat, yantaiLng),
			Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}})
		mustTick(t, svc)
		if _, err := svc.Cancel(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
		again, _ := st.Acceptance(ctx, []mobilize.AcceptanceKey{key})
		if again.All != snap.All {
			t.Fatalf("a withdrawn offer was counted: %+v then %+v", snap.All, again.All)
		}
	})
}

func TestParseAcceptanceRefusesDamage(t *testing.T) {
	now := time.UnixMilli(1_000_000)
	for _, raw := range []any{nil, "", "1|2", "x|2|3", "3|2|1000000", "-1|2|1000000", "1|2|x"} {
		if got := parseAcceptance(raw, now); got != (mobilize.AcceptanceCounts{}) {
			t.Errorf("%v: got %+v, want none", raw, got)
		}
	}
	if got := parseAcceptance("1.5|3|1000000", now); got != (mobilize.AcceptanceCounts{Accepted: 1.5, Answered: 3}) {
		t.Errorf("got %+v", got)
	}
}

package web

import (
	"context"
	"testing"
	"time"

	"github.com/liandong/liandong/mobilize"
)

// TestStats staffs needs after known delays and checks the counts, the
// median and the p95, and that an evaluator sees nothing personal.
func TestStats(t *testing.T) {
	e := newEmbeddedEnv(t)
	ctx := context.Background()
	// Five needs staffed after 10, 20, 30, 40 and 100 seconds, each by
	// its own volunteer standing at it.
	for i, delay := range []time.Duration{10, 20, 30, 40, 100} {
		rid := "v" + string(rune('a'+i))
		e.enroll(rid, "", mobilize.RoleVolunteer, 1, true)
		id := e.need("", 2)
		e.clock.Advance(delay * time.Second)
		e.tick()
		if _, err := e.svc.Respond(ctx, mobilize.ResponderID(rid), mobilize.OfferID(e.offerOf(id, rid)), true); err != nil {
			t.Fatal(err)
		}
	}
	// An old one, staffed more than an hour ago, does not count; an open
	// and a cancelled one count only by status.
	e.clock.Advance(2 * time.Hour)
	e.need("", 3)
	cancelled := e.need("", 3)
	if _, err := e.svc.Cancel(ctx, mobilize.NeedID(cancelled)); err != nil {
		t.Fatal(err)
	}
	e.enroll("late", "", mobilize.RoleMedic, 1, false)
	e.enroll("early", "", mobilize.RoleVolunteer, 1, true)
	id := e.need("", 2)
	e.tick() // offers the open needs to "early", the one free volunteer
	e.clock.Advance(5 * time.Second)
	e.svc.Respond(ctx, "early", mobilize.OfferID(e.offerOf(id, "early")), true)

	var s statsJSON
	e.do("GET", "/api/v1/stats", e.token("eval", RoleEvaluator, ""), nil).Want(t, 200).Decode(t, &s)
	wantNeeds := map[string]int{"open": 1, "staffing": 0, "staffed": 6, "completed": 0, "cancelled": 1, "unstaffed": 0}
	for k, v := range wantNeeds {
		if s.Needs[k] != v {
			t.Errorf("needs[%s] = %d, want %d (%v)", k, s.Needs[k], v, s.Needs)
		}
	}
	if s.Responders.Total != 7 || s.Responders.ByStatus["busy"] != 6 || s.Responders.Available["medic"] != 1 || s.Responders.Reachable["medic"] != 0 {
		t.Errorf("responders %+v", s.Responders)
	}
	tts := s.TimeToStaffed
	if tts.Count != 1 || tts.MedianSeconds == nil || *tts.MedianSeconds != 5 || *tts.P95Seconds != 5 {
		t.Errorf("time to staffed %+v", tts)
	}

	// Within the hour of the five: median 30 s, p95 100 s.
	e.clock.Advance(-2*time.Hour + time.Minute)
	e.do("GET", "/api/v1/stats", e.token("op", RoleOperator, ""), nil).Want(t, 200).Decode(t, &s)
	if tts := s.TimeToStaffed; tts.Count != 5 || *tts.MedianSeconds != 30 || *tts.P95Seconds != 100 {
		t.Errorf("time to staffed %+v", tts)
	}
}

func TestPercentiles(t *testing.T) {
	ds := []time.Duration{1, 2, 3, 4}
	if m := medianOf(ds); m != 2 { // (2+3)/2 in integer nanoseconds
		t.Errorf("median %v", m)
	}
	var hundred []time.Duration
	for i := 1; i <= 100; i++ {
		hundred = append(hundred, time.Duration(i))
	}
	if p := nearestRank(hundred, 0.95); p != 95 {
		t.Errorf("p95 of 1..100 = %v", p)
	}
	if p := nearestRank([]time.Duration{7}, 0.95); p != 7 {
		t.Errorf("p95 of one = %v", p)
	}
}

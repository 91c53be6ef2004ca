package redisstore

import (
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// TestShiftsPutPeopleOnAndOffDuty, with an injected clock: at a window's
// start the opted-in go on duty; someone who goes off in the middle stays
// off; at its end they go off duty, except whoever is on a task; a
// deactivated responder is not put on duty and stops nobody else's shift.
func TestShiftsPutPeopleOnAndOffDuty(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, clock, st, _, svc := serviceCity(t, b)
		zone := time.FixedZone("CST", 8*3600)
		start := clock.Now().In(zone)
		minute := start.Hour()*60 + start.Minute()
		window := []mobilize.ShiftWindow{{Day: start.Weekday(), Start: minute + 10, End: minute + 40}}
		for _, id := range []mobilize.ResponderID{"a", "b", "c"} {
			enrollAt(t, st, clock, id, mobilize.RoleVolunteer, 1, yantaiLat, yantaiLng)
			if _, err := st.SetDuty(ctx, id, false); err != nil {
				t.Fatal(err)
			}
			if err := svc.SetShifts(ctx, id, window); err != nil {
				t.Fatal(err)
			}
		}
		if out, err := st.Deactivate(ctx, "c", mobilize.Deactivation{Reason: "left", At: clock.Now()}); err != nil || out != mobilize.DeactivateOK {
			t.Fatalf("deactivate: %s %v", out, err)
		}
		status := func(id mobilize.ResponderID) mobilize.Status {
			p, err := st.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return p.Status
		}
		pass := func(want mobilize.ShiftReport) {
			t.Helper()
			// Positions stay fresh, so that "available" means on duty.
			for _, id := range []mobilize.ResponderID{"a", "b"} {
				if err := st.Locate(ctx, mobilize.Location{ID: id, Point: mustPoint(t, yantaiLat, yantaiLng), At: clock.Now()}); err != nil {
					t.Fatal(err)
				}
			}
			if rep, err := svc.ApplyShifts(ctx, zone); err != nil || rep != want {
				t.Fatalf("at %s: %+v %v, want %+v", clock.Now().In(zone).Format("15:04"), rep, err, want)
			}
		}
		pass(mobilize.ShiftReport{}) // the first pass only records the time
		clock.Advance(5 * time.Minute)
		pass(mobilize.ShiftReport{})
		if status("a") != mobilize.StatusOffDuty {
			t.Fatal("on duty before the window")
		}
		clock.Advance(6 * time.Minute) // 11 minutes in: the window started
		pass(mobilize.ShiftReport{OnDuty: 2})
		if status("a") != mobilize.StatusAvailable || status("b") != mobilize.StatusAvailable || status("c") != mobilize.StatusOffDuty {
			t.Fatalf("after the start: a %s, b %s, c %s", status("a"), status("b"), status("c"))
		}
		if _, err := st.SetDuty(ctx, "a", false); err != nil { // a goes home early
			t.Fatal(err)
		}
		createNeed(t, st, clock, "n1", 2, []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}})
		if out, err := st.Offer(ctx, mobilize.OfferRequest{OfferID: "o1", Need: "n1", Responder: "b", TTL: time.Hour, Reason: mobilize.ReasonNearest}); err != nil || out != mobilize.OfferOK {
			t.Fatalf("offer: %s %v", out, err)
		}
		if _, err := st.Answer(ctx, "o1", "b", "accept"); err != nil {
			t.Fatal(err)
		}
		clock.Advance(5 * time.Minute)
		pass(mobilize.ShiftReport{})
		if status("a") != mobilize.StatusOffDuty {
			t.Fatal("a pass in the middle of the window put a back on duty")
		}
		clock.Advance(25 * time.Minute)                 // 41 minutes in: the window ended
		pass(mobilize.ShiftReport{OffDuty: 2, Kept: 1}) // a and c were off already: told again, no harm
		if status("b") != mobilize.StatusBusy {
			t.Fatalf("b on a task at the window's end: %s, want busy (still on duty)", status("b"))
		}
	})
}

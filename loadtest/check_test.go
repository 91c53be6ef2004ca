package loadtest

import (
	"strings"
	"testing"
	"time"
)

// t0 is the crafted drill's epoch; at(s) is s seconds later.
var t0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func at(s float64) int64 { return t0.Add(time.Duration(s * float64(time.Second))).UnixNano() }

func offerEv(r, offer, need string, recv, expires float64) Event {
	return Event{Kind: evOffer, Responder: r, Offer: offer, Need: need, At: at(recv), ServerTS: at(recv - 0.001), Expires: at(expires), Live: true}
}

func TestDoubleBookings(t *testing.T) {
	for _, tc := range []struct {
		name   string
		max    int
		events []Event
		want   int
	}{
		{"declined, then offered again", 1, []Event{
			offerEv("r", "o1", "n1", 0, 60), {Kind: evDecline, Responder: "r", Offer: "o1", At: at(1)},
			offerEv("r", "o2", "n2", 2, 62),
		}, 0},
		{"offered before the decline left the phone", 1, []Event{
			offerEv("r", "o1", "n1", 0, 60), offerEv("r", "o2", "n2", 1, 61),
			{Kind: evDecline, Responder: "r", Offer: "o1", At: at(2)},
		}, 1},
		{"offered while on a task", 1, []Event{
			offerEv("r", "o1", "n1", 0, 60), {Kind: evAccept, Responder: "r", Offer: "o1", At: at(1)},
			{Kind: evAssignment, Responder: "r", Need: "n1", At: at(2), Team: 1},
			offerEv("r", "o2", "n2", 3, 63),
			{Kind: evComplete, Responder: "r", Need: "n1", At: at(5)},
		}, 1},
		{"offered after completing", 1, []Event{
			offerEv("r", "o1", "n1", 0, 60), {Kind: evAccept, Responder: "r", Offer: "o1", At: at(1)},
			{Kind: evAssignment, Responder: "r", Need: "n1", At: at(2), Team: 1},
			{Kind: evComplete, Responder: "r", Need: "n1", At: at(5)},
			offerEv("r", "o2", "n2", 6, 66),
		}, 0},
		{"ignored offer still held until it expires", 1, []Event{
			offerEv("r", "o1", "n1", 0, 4), {Kind: evIgnore, Responder: "r", Offer: "o1", At: at(0)},
			offerEv("r", "o2", "n2", 3, 63),
			offerEv("r", "o3", "n3", 70, 130),
		}, 1},
		{"ignored offer expired first", 1, []Event{
			offerEv("r", "o1", "n1", 0, 4), {Kind: evIgnore, Responder: "r", Offer: "o1", At: at(0)},
			offerEv("r", "o2", "n2", 5, 65),
		}, 0},
		{"withdrawn, then offered", 1, []Event{
			offerEv("r", "o1", "n1", 0, 60), {Kind: evWithdrawn, Responder: "r", Offer: "o1", At: at(2), Info: "cancelled"},
			offerEv("r", "o2", "n2", 3, 63),
		}, 0},
		{"accept refused, then offered", 1, []Event{
			offerEv("r", "o1", "n1", 0, 60), {Kind: evAccept, Responder: "r", Offer: "o1", At: at(1)},
			{Kind: evError, Responder: "r", Offer: "o1", At: at(2), Info: "not_found"},
			offerEv("r", "o2", "n2", 3, 63),
		}, 0},
		{"max_concurrent 2 allows two", 2, []Event{
			offerEv("r", "o1", "n1", 0, 60), offerEv("r", "o2", "n2", 1, 61),
		}, 0},
		{"max_concurrent 2 refuses a third", 2, []Event{
			offerEv("r", "o1", "n1", 0, 60), offerEv("r", "o2", "n2", 1, 61), offerEv("r", "o3", "n3", 2, 62),
		}, 1},
		{"a replayed offer is not a second one", 1, []Event{
			offerEv("r", "o1", "n1", 0, 60), offerEv("r", "o1", "n1", 5, 60),
		}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := NewLedger()
			l.AddPerson("r", tc.max, "")
			for _, ev := range tc.events {
				l.Apply(ev)
			}
			got := checkDoubleBookings(l.people)
			if len(got) != tc.want {
				t.Fatalf("%d double bookings %+v, want %d", len(got), got, tc.want)
			}
		})
	}
}

func asg(offer, r, role, state string, offeredAt float64) serverAssignment {
	return serverAssignment{OfferID: offer, ResponderID: r, Role: role, State: state, OfferedAt: t0.Add(time.Duration(offeredAt * float64(time.Second))).Format(time.RFC3339Nano)}
}

func TestLostOffers(t *testing.T) {
	l := NewLedger()
	for _, r := range []string{"r1", "r2", "r3", "r4", "r5"} {
		l.AddPerson(r, 1, "")
	}
	l.NeedCreated("n1", NeedSpec{Team: []TeamSlot{{Role: "volunteer", Count: 5}}}, t0, t0)
	for _, ev := range []Event{
		{Kind: evConnected, Responder: "r4", At: at(0)},
		{Kind: evConnected, Responder: "r5", At: at(0)},
		offerEv("r1", "o1", "n1", 1, 60),
		offerEv("r3", "o4", "n1", 1, 60), // the server says o4 went to r2
		offerEv("r5", "", "n1", 1, 60),   // a server that lists no offer ids
		{Kind: evDisconnected, Responder: "r4", At: at(50)},
		{Kind: evRecovered, Responder: "r2", Offer: "o7", Need: "n1", At: at(120)}, // the final sweep found it
	} {
		l.Apply(ev)
	}
	l.SetServerNeed("n1", &serverNeed{ID: "n1", Assignments: []serverAssignment{
		asg("o1", "r1", "volunteer", "accepted", 1),  // received: fine
		asg("o2", "r1", "volunteer", "declined", 10), // never received: lost
		asg("o3", "r3", "volunteer", "offered", 99),  // made as phones hung up: late
		asg("o4", "r2", "volunteer", "offered", 1),   // received by someone else: lost
		asg("o5", "rX", "volunteer", "offered", 1),   // not our phone: ignored
		asg("o6", "r4", "volunteer", "offered", 55),  // r4 was offline since 50 s: late
		asg("", "r5", "volunteer", "accepted", 1),    // matched by need
		asg("o7", "r2", "volunteer", "expired", 5),   // never pushed, replayed on reconnect
	}})
	lost, late, recovered := checkLostOffers(l.needs, l.offers, l.people, t0.Add(98*time.Second))
	if late != 2 || recovered != 1 {
		t.Errorf("late %d, recovered %d; want 2 and 1", late, recovered)
	}
	var ids []string
	for _, v := range lost {
		ids = append(ids, v.Offer)
	}
	if strings.Join(ids, ",") != "o2,o4" {
		t.Fatalf("lost %v, want o2,o4: %+v", ids, lost)
	}
	if !strings.Contains(lost[1].Detail, "r3") {
		t.Errorf("a misrouted offer should name who got it: %q", lost[1].Detail)
	}
}

func TestOverstaffed(t *testing.T) {
	l := NewLedger()
	pair := NeedSpec{Team: []TeamSlot{{Role: "volunteer", Count: 1}, {Role: "medic", Count: 1}}}
	for _, id := range []string{"ok", "server_over", "phones_over", "msg_over"} {
		l.NeedCreated(id, pair, t0, t0)
	}
	team := []serverTeam{{Role: "volunteer", Count: 1}, {Role: "medic", Count: 1}}
	l.SetServerNeed("ok", &serverNeed{Team: team, Assignments: []serverAssignment{
		asg("a", "r1", "volunteer", "completed", 1), asg("b", "r2", "medic", "accepted", 1), asg("c", "r3", "medic", "declined", 1),
	}})
	l.SetServerNeed("server_over", &serverNeed{Team: team, Assignments: []serverAssignment{
		asg("d", "r1", "volunteer", "accepted", 1), asg("e", "r4", "volunteer", "accepted", 1), asg("f", "r2", "medic", "accepted", 1),
	}})
	for _, r := range []string{"r1", "r2", "r3"} {
		l.Apply(Event{Kind: evAssignment, Responder: r, Need: "phones_over", At: at(3), Team: 2})
	}
	l.Apply(Event{Kind: evAssignment, Responder: "r1", Need: "msg_over", At: at(3), Team: 3})
	l.Apply(Event{Kind: evAssignment, Responder: "r1", Need: "ok", At: at(3), Team: 2})
	got := map[string]bool{}
	for _, v := range checkOverstaffed(l.needs) {
		got[v.Need] = true
	}
	if len(got) != 3 || !got["server_over"] || !got["phones_over"] || !got["msg_over"] {
		t.Fatalf("over-staffed %v, want server_over, phones_over, msg_over", got)
	}
}

func TestMissingAssignments(t *testing.T) {
	l := NewLedger()
	for _, r := range []string{"r1", "r2", "r3", "r4", "r5", "r6"} {
		l.AddPerson(r, 1, "")
		l.Apply(Event{Kind: evConnected, Responder: r, At: at(0)})
	}
	staffedAt := func(s float64) *string { v := stamp(t0.Add(time.Duration(s * float64(time.Second)))); return &v }
	team := NeedSpec{Team: []TeamSlot{{Role: "medic", Count: 2}, {Role: "volunteer", Count: 2}}}
	for _, id := range []string{"n1", "n2", "n3"} {
		l.NeedCreated(id, team, t0, t0)
	}
	for _, ev := range []Event{
		offerEv("r2", "o2", "n1", 1, 60),
		{Kind: evAccept, Responder: "r2", Offer: "o2", Need: "n1", At: at(2)},
		{Kind: evAssignment, Responder: "r1", Need: "n1", At: at(5), Team: 4}, // told
		{Kind: evDisconnected, Responder: "r3", At: at(4)},                    // away when staffed, never back
		{Kind: evSweptAssignment, Responder: "r3", Need: "n1", At: at(120)},   // the sweep found it in the inbox
	} {
		l.Apply(ev)
	}
	l.SetServerNeed("n1", &serverNeed{ID: "n1", Status: "staffed", StaffedAt: staffedAt(5), Assignments: []serverAssignment{
		asg("o1", "r1", "medic", "accepted", 1),      // told
		asg("o2", "r2", "medic", "accepted", 1),      // never told: missing
		asg("o3", "r3", "volunteer", "accepted", 1),  // recovered by the sweep
		asg("o4", "r4", "volunteer", "completed", 1), // completed without an assignment: missing
		asg("o5", "r5", "volunteer", "declined", 1),  // not on the team
		asg("o6", "rX", "volunteer", "accepted", 1),  // not our phone
	}})
	// Staffed as phones hung up: not judged. Still staffing: nothing to tell.
	l.SetServerNeed("n2", &serverNeed{ID: "n2", Status: "staffed", StaffedAt: staffedAt(99), Assignments: []serverAssignment{
		asg("o7", "r6", "medic", "accepted", 90)}})
	l.SetServerNeed("n3", &serverNeed{ID: "n3", Status: "staffing", Assignments: []serverAssignment{
		asg("o8", "r6", "medic", "accepted", 3)}})

	missing, recovered := checkMissingAssignments(l.needs, l.people, t0.Add(98*time.Second))
	if recovered != 1 {
		t.Errorf("recovered %d, want 1 (r3's, from the sweep)", recovered)
	}
	var who []string
	for _, v := range missing {
		who = append(who, v.Need+"/"+v.Responder)
		if v.Kind != kindAssignmentMissing || v.At == "" {
			t.Errorf("violation %+v: want kind %s and the staffing time", v, kindAssignmentMissing)
		}
	}
	if strings.Join(who, ",") != "n1/r2,n1/r4" {
		t.Fatalf("missing %v, want n1/r2,n1/r4: %+v", who, missing)
	}
	if !strings.Contains(missing[0].Detail, "accept left the phone") || !strings.Contains(missing[0].Detail, "connected at the end") {
		t.Errorf("detail should say what the phone did and knew: %q", missing[0].Detail)
	}
}

// The verdict: any broken guarantee fails the drill; what was late or
// found only by the final reconnect does not.
func TestFailedGates(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    Report
		want bool
	}{
		{"clean", Report{}, false},
		{"double booking", Report{DoubleBookings: 1}, true},
		{"lost offer", Report{OffersLost: 1}, true},
		{"over-staffed need", Report{OverstaffedNeeds: 1}, true},
		{"missing assignment", Report{AssignmentsMissing: 1}, true},
		{"late, recovered", Report{OffersLate: 3, OffersRecovered: 2, AssignmentsRecovered: 2}, false},
	} {
		if got := tc.r.Failed(); got != tc.want {
			t.Errorf("%s: Failed() = %v, want %v", tc.name, got, tc.want)
		}
	}
	if s := (&Report{AssignmentsMissing: 2}).Summary(); !strings.Contains(s, "FAIL") || !strings.Contains(s, "assignments missing 2") {
		t.Errorf("summary of a drill with missing assignments:\n%s", s)
	}
}

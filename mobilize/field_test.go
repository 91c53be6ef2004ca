package mobilize

import (
	"testing"
	"time"
)

func TestServedHoursCountFromArrivalWhenOneWasReported(t *testing.T) {
	accepted := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	arrived, left, completed := accepted.Add(40*time.Minute), accepted.Add(100*time.Minute), accepted.Add(3*time.Hour)
	for _, c := range []struct {
		name string
		e    ServiceEntry
		want float64
	}{
		{"no arrival: the old rule", ServiceEntry{Rule: HoursFromAcceptance, AcceptedAt: accepted, CompletedAt: completed}, 3},
		{"arrived and left", ServiceEntry{Rule: HoursFromArrival, AcceptedAt: accepted, ArrivedAt: arrived, LeftAt: left, CompletedAt: completed}, 1},
		{"arrived, completed on scene", ServiceEntry{Rule: HoursFromArrival, AcceptedAt: accepted, ArrivedAt: arrived, CompletedAt: completed}, 2.33},
		{"left after completing counts to completion", ServiceEntry{Rule: HoursFromArrival, ArrivedAt: arrived, LeftAt: completed.Add(time.Hour), CompletedAt: completed}, 2.33},
		{"capped", ServiceEntry{Rule: HoursFromArrival, ArrivedAt: arrived, CompletedAt: arrived.Add(30 * time.Hour)}, 12},
	} {
		if got := c.e.ServedHours(DefaultHoursCap); got != c.want {
			t.Errorf("%s: %g hours, want %g", c.name, got, c.want)
		}
	}
}

func TestArrivalRadiusDefaultsTo150Metres(t *testing.T) {
	if r := (FieldConfig{}).radius(); r != 150 {
		t.Fatalf("default radius %g", r)
	}
	if r := (FieldConfig{ArrivalRadiusMeters: 60}).radius(); r != 60 {
		t.Fatalf("configured radius %g", r)
	}
}

func TestTeamButLeavesOutTheWriterAndWhoIsNotOnTheTeam(t *testing.T) {
	n := NeedState{Need: Need{Assignments: []Assignment{
		{ResponderID: "a", State: AssignAccepted}, {ResponderID: "b", State: AssignCompleted},
		{ResponderID: "c", State: AssignDeclined}, {ResponderID: "d", State: AssignOffered},
	}}}
	got := teamBut(n, Sender{Kind: SenderResponder, ID: "a"})
	if len(got) != 1 || got[0] != "b" {
		t.Fatalf("a's message goes to %v, want [b]", got)
	}
	// A staff member named like a responder is not that responder.
	if got := teamBut(n, Sender{Kind: SenderStaff, ID: "a"}); len(got) != 2 {
		t.Fatalf("staff a's message goes to %v, want [a b]", got)
	}
}

package loadtest

import (
	"strings"
	"testing"
	"time"
)

// fieldLedger is a staffed team of five on need n1 (a writes at 10 s):
// b got it, c never did, d joined after it, e has no socket, f got it
// twice; and need n2, whose only member g got a message it was not owed.
func fieldLedger(t *testing.T) *Ledger {
	t.Helper()
	l := NewLedger()
	for _, r := range []string{"a", "b", "c", "d", "f", "g"} {
		l.AddPerson(r, 1, "")
		l.Apply(Event{Kind: evConnected, Responder: r, At: at(0)})
	}
	l.AddPerson("e", 1, chPush)
	spec := NeedSpec{Lat: 37.5, Lng: 121.4, Category: "delivery", Urgency: 2, Team: []TeamSlot{{Role: "volunteer", Count: 5}}}
	l.NeedCreated("n1", spec, t0, t0.Add(10*time.Millisecond))
	l.NeedCreated("n2", spec, t0, t0.Add(10*time.Millisecond))
	answered := func(s float64) string { return stamp(fromNanos(at(s))) }
	var as []serverAssignment
	for _, r := range []string{"a", "b", "c", "e", "f"} {
		as = append(as, serverAssignment{ResponderID: r, State: "accepted", AnsweredAt: answered(5)})
	}
	as = append(as, serverAssignment{ResponderID: "d", State: "accepted", AnsweredAt: answered(12)},
		serverAssignment{ResponderID: "x", State: "declined", AnsweredAt: answered(4)})
	l.SetServerNeed("n1", &serverNeed{ID: "n1", Status: "staffed", Assignments: as, IncidentID: "i1"})
	l.SetServerNeed("n2", &serverNeed{ID: "n2", Status: "open", IncidentID: "i2",
		Assignments: []serverAssignment{{ResponderID: "g", State: "accepted", AnsweredAt: answered(1)}}})
	l.Apply(Event{Kind: evMessagePosted, Responder: "a", Need: "n1", Info: "m1", At: at(9.9), ServerTS: at(10)})
	for _, r := range []string{"b", "f", "f", "g"} {
		l.Apply(Event{Kind: evMessage, Responder: r, Need: "n1", Info: "m1", At: at(10.01), ServerTS: at(10), Live: true})
	}
	return l
}

func TestCheckMessagesFindsTheMemberWhoNeverGotIt(t *testing.T) {
	l := fieldLedger(t)
	r, lost := checkMessages(l, t0.Add(time.Minute))
	if len(lost) != 1 || lost[0].Responder != "c" || lost[0].Kind != kindMessageLost || lost[0].Offer != "m1" {
		t.Fatalf("lost %+v", lost)
	}
	want := MessageReport{Posted: 1, Owed: 3, Delivered: 2, Lost: 1, Duplicates: 1, NotOwed: 1, NotOnSocket: 1}
	if r.Posted != want.Posted || r.Owed != want.Owed || r.Delivered != want.Delivered || r.Lost != want.Lost ||
		r.Duplicates != want.Duplicates || r.NotOwed != want.NotOwed || r.NotOnSocket != want.NotOnSocket || r.ToWriter != 0 {
		t.Errorf("got %+v, want %+v", *r, want)
	}
	if r.DeliveryMs.N != 3 || r.DeliveryMs.P50 != 10 {
		t.Errorf("delivery %+v", r.DeliveryMs)
	}
}

func TestCheckMessagesRecoveredAndLate(t *testing.T) {
	l := fieldLedger(t)
	l.Apply(Event{Kind: evSweptMessage, Responder: "c", Need: "n1", Info: "m1", At: at(70)})
	if r, lost := checkMessages(l, t0.Add(time.Minute)); len(lost) != 0 || r.Recovered != 1 {
		t.Errorf("a message the sweep found: lost %+v, report %+v", lost, r)
	}
	l = fieldLedger(t)
	if r, lost := checkMessages(l, t0.Add(9*time.Second)); len(lost) != 0 || r.Late != 1 || r.Owed != 2 {
		t.Errorf("a message sent as phones hung up: lost %+v, report %+v", lost, r)
	}
	l = fieldLedger(t)
	l.Apply(Event{Kind: evDisconnected, Responder: "c", At: at(8)})
	if r, lost := checkMessages(l, t0.Add(time.Minute)); len(lost) != 0 || r.Late != 1 {
		t.Errorf("a message to a phone offline at the end: lost %+v, report %+v", lost, r)
	}
	l = fieldLedger(t)
	l.Apply(Event{Kind: evMessage, Responder: "a", Need: "n1", Info: "m1", At: at(10.01)})
	if r, _ := checkMessages(l, t0.Add(time.Minute)); r.ToWriter != 1 {
		t.Errorf("a message back to its writer: %+v", r)
	}
}

func TestMessageLostFailsTheDrill(t *testing.T) {
	l, info := craftedRun(t)
	info.scenario.Field = &FieldSpec{TimeScale: 1, MaxTravel: time.Second, OnFootKmh: 4, ArrivalRadiusM: 150}
	l.AddPerson("m-a", 1, "")
	l.AddPerson("m-b", 1, "")
	spec := NeedSpec{Lat: 37.5, Lng: 121.4, Category: "delivery", Urgency: 2, Team: []TeamSlot{{Role: "volunteer", Count: 2}}}
	l.NeedCreated("nm", spec, t0, t0)
	l.SetServerNeed("nm", &serverNeed{ID: "nm", Status: "staffed", Assignments: []serverAssignment{
		{ResponderID: "m-a", State: "accepted", AnsweredAt: stamp(t0)}, {ResponderID: "m-b", State: "accepted", AnsweredAt: stamp(t0)}}})
	l.Apply(Event{Kind: evMessagePosted, Responder: "m-a", Need: "nm", Info: "m9", At: at(1), ServerTS: at(1)})
	rep := analyze(l, info)
	if rep.Messages == nil || rep.Messages.Lost != 1 || !rep.Failed() || rep.Passed {
		t.Fatalf("a lost message must fail the drill: %+v", rep.Messages)
	}
	if !strings.Contains(rep.fieldSummary(), "lost 1") {
		t.Errorf("summary: %s", rep.fieldSummary())
	}
}

func TestIncidentReportCountsNeedsOutside(t *testing.T) {
	l := fieldLedger(t)
	l.Apply(Event{Kind: evStandby, Responder: "a", Info: "i1"})
	l.Apply(Event{Kind: evStandby, Responder: "a", Info: "i1"})
	l.Apply(Event{Kind: evStandby, Responder: "b", Info: "i1"})
	l.Apply(Event{Kind: evAssignment, Responder: "b", Need: "n1", At: at(4)})
	server := &IncidentFigure{Needs: 1, Staffed: 1}
	r, outside := incidentReport(l, IncidentReport{ID: "i1", CAP: &CAPResult{PreAlerted: 2}}, server)
	if r.NeedsInIncident != 1 || r.NeedsOutside != 1 || len(outside) != 1 || outside[0].Need != "n2" || outside[0].Kind != kindNeedOutside {
		t.Fatalf("in %d, outside %d: %+v", r.NeedsInIncident, r.NeedsOutside, outside)
	}
	if r.Drill.Needs != 1 || r.Drill.Staffed != 1 || r.Drill.People != 6 || r.Drill.MedianToStaffed == nil || *r.Drill.MedianToStaffed != 4 {
		t.Errorf("drill figures %+v", r.Drill)
	}
	if r.CAP.StandbyPhones != 2 || r.CAP.StandbyRepeats != 1 || r.Server != server {
		t.Errorf("cap %+v", r.CAP)
	}
	rep := &Report{Incident: r}
	if !rep.Failed() {
		t.Error("a need outside the incident must fail the drill")
	}
}

func TestOnCallCoverage(t *testing.T) {
	l := fieldLedger(t)
	r := onCallCoverage(l, map[string]bool{"x": true, "g": true}, 1)
	// n1 offered x (declined): reached, not covered; n2 has g accepted but
	// is not staffed.
	if r.Needs != 2 || r.Reached != 2 || r.Staffed != 1 || r.Covered != 0 || r.ReachedShare != 1 || r.ShiftsRefused != 1 || r.Responders != 2 {
		t.Errorf("%+v", r)
	}
	r = onCallCoverage(l, map[string]bool{"c": true}, 0)
	if r.Reached != 1 || r.Covered != 1 || r.CoveredShare != 1 || r.ReachedShare != 0.5 {
		t.Errorf("%+v", r)
	}
}

func TestFieldReportArrivals(t *testing.T) {
	l := fieldLedger(t)
	l.Apply(Event{Kind: evAccept, Responder: "b", Offer: "o-b", Need: "n1", At: at(4)})
	l.Apply(Event{Kind: evArrived, Responder: "b", Need: "n1", Info: "near", At: at(7)})
	l.Apply(Event{Kind: evAccept, Responder: "c", Offer: "o-c", Need: "n1", At: at(4)})
	l.Apply(Event{Kind: evArrived, Responder: "c", Need: "n1", Info: "far", At: at(9)})
	l.Apply(Event{Kind: evArrived, Responder: "f", Need: "n1", Info: "near", At: at(9)})
	l.Apply(Event{Kind: evLeft, Responder: "b", Need: "n1", At: at(20)})
	arrived := stamp(fromNanos(at(7)))
	l.needs["n1"].Server.FieldStatus = []serverField{
		{ResponderID: "b", State: "left", ArrivedAt: &arrived, Confirmed: true},
		{ResponderID: "c", State: "on_scene", ArrivedAt: &arrived, Reason: "flooded"},
		{ResponderID: "f", State: "en_route"}, {ResponderID: "a", State: "en_route"}}
	r := fieldReport(l)
	if r.ArrivalsSent != 3 || r.ArrivalsSentFar != 1 || r.LeftSent != 1 || r.OnScene != 2 || r.Confirmed != 1 || r.Unconfirmed != 1 ||
		r.ConfirmedShare != 0.5 || r.ArrivalsNotTaken != 1 {
		t.Errorf("%+v", r)
	}
	// f's accept is unknown: two samples, 3 s and 5 s.
	if q := r.AcceptToArrivalMs; q.N != 2 || q.P50 != 3000 || q.Max != 5000 {
		t.Errorf("accept to arrival %+v", q)
	}
}

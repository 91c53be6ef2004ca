package loadtest

import (
	"bytes"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/liandong/liandong/loadtest/recording"
)

func TestRecordingOfLedgerHasNeedsPeopleAndAnswersWithDelays(t *testing.T) {
	start := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	at := func(ms int) int64 { return start.Add(time.Duration(ms) * time.Millisecond).UnixNano() }
	sc := &Scenario{Name: "t"}
	sc.Needs.Deadline = 10 * time.Minute
	people := []Person{
		{Index: 0, ID: "srvA", Role: "volunteer", Skills: []string{"b"}, Certified: []string{"a"}, MaxConcurrent: 1, Home: orb.Point{121.4, 37.5}},
		{Index: 1, ID: "srvB", Role: "medic", MaxConcurrent: 2, Home: orb.Point{121.41, 37.51}},
	}
	l := NewLedger()
	l.NeedCreated("N1", NeedSpec{Lat: 37.5, Lng: 121.4, Category: "medical", Urgency: 1, Team: []TeamSlot{{Role: "medic", Count: 1}}},
		start.Add(1000*time.Millisecond), start.Add(1100*time.Millisecond))
	l.Apply(Event{Kind: evOffer, Responder: "srvB", Offer: "o1", Need: "N1", At: at(1500), Expires: at(61500)})
	l.Apply(Event{Kind: evDecline, Responder: "srvB", Offer: "o1", Need: "N1", At: at(4500)})
	l.Apply(Event{Kind: evOffer, Responder: "srvA", Offer: "o2", Need: "N1", At: at(5000), Expires: at(65000)})
	l.Apply(Event{Kind: evAccept, Responder: "srvA", Offer: "o2", Need: "N1", At: at(7000)})
	l.Apply(Event{Kind: evAssignment, Responder: "srvA", Need: "N1", At: at(7100), Team: 1})
	l.Apply(Event{Kind: evComplete, Responder: "srvA", Need: "N1", At: at(67000)})
	l.Apply(Event{Kind: evOffer, Responder: "srvB", Offer: "o3", Need: "N1", At: at(8000), Expires: at(68000)})
	l.Apply(Event{Kind: evIgnore, Responder: "srvB", Offer: "o3", Need: "N1", At: at(8000)})
	l.Apply(Event{Kind: evOffer, Responder: "stranger", Offer: "o4", Need: "N1", At: at(8000)})

	rec := recordingOf(sc, 9, people, l, start)
	var buf bytes.Buffer
	if err := recording.Write(&buf, rec); err != nil {
		t.Fatal(err)
	}
	back, err := recording.Read(&buf)
	if err != nil {
		t.Fatalf("the drill's recording does not read back: %v", err)
	}
	byType := map[string][]recording.Record{}
	for _, r := range back.Records {
		byType[r.Type] = append(byType[r.Type], r)
	}
	if len(byType[recording.TypeResponder]) != 2 || len(byType[recording.TypeNeed]) != 1 || len(byType[recording.TypeAnswer]) != 3 {
		t.Fatalf("records %v", byType)
	}
	p0 := byType[recording.TypeResponder][0]
	if p0.Responder != "p00000" || len(p0.Skills) != 2 || p0.Lat != 37.5 {
		t.Fatalf("person %+v", p0)
	}
	n := byType[recording.TypeNeed][0]
	if n.Need != "n000001" || n.T != 1000 || n.DeadlineMs != 600_000 || n.Urgency != 1 {
		t.Fatalf("need %+v", n)
	}
	ans := byType[recording.TypeAnswer]
	want := []struct {
		who, answer string
		t, delay    int64
		task        int64
	}{{"p00001", "decline", 1500, 3000, 0}, {"p00000", "accept", 5000, 2000, 60000}, {"p00001", "silent", 8000, 60000, 0}}
	for i, w := range want {
		a := ans[i]
		if a.Responder != w.who || a.Answer != w.answer || a.T != w.t || a.DelayMs != w.delay || a.TaskMs != w.task {
			t.Errorf("answer %d: %+v, want %+v", i, a, w)
		}
	}
}

func TestSetAcceptKeepsTheOtherAnswersInProportion(t *testing.T) {
	sc := &Scenario{Behaviour: Behaviour{Accept: 0.8, Decline: 0.15, Ignore: 0.05}}
	if err := sc.SetAccept(0.4); err != nil {
		t.Fatal(err)
	}
	b := sc.Behaviour
	if b.Accept != 0.4 || abs(b.Decline-0.45) > 1e-9 || abs(b.Ignore-0.15) > 1e-9 {
		t.Fatalf("%+v", b)
	}
	if sc.SetAccept(1.2) == nil || sc.SetAccept(0) == nil {
		t.Fatal("an acceptance outside (0,1) was taken")
	}
}

func abs(x float64) float64 { return max(x, -x) }

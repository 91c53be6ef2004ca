package loadtest

import (
	"encoding/xml"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

func TestWriteCAPIsAnExerciseOverTheArea(t *testing.T) {
	spec := &CAPSpec{Sender: "37060041600000", SenderName: "烟台市气象台", Event: "台风", EventCode: "11B01",
		Headline: "台风橙色预警 <演练> & 测试", Severity: "Severe", Expires: 36 * time.Hour}
	area := EventArea{Polygon: []LatLng{{37.50, 121.30}, {37.50, 121.40}, {37.45, 121.40}}}
	now := time.Date(2026, 9, 14, 0, 30, 5, 0, time.UTC) // 08:30:05 in Beijing
	a, err := writeCAP(spec, area.areaRing(), now, 3)
	if err != nil {
		t.Fatal(err)
	}
	if a.Identifier != "37060041600000_20260914083005_3" {
		t.Errorf("identifier %q", a.Identifier)
	}
	var back capDoc
	if err := xml.Unmarshal(a.XML, &back); err != nil {
		t.Fatalf("%v\n%s", err, a.XML)
	}
	if back.XMLName.Space != "urn:oasis:names:tc:emergency:cap:1.2" || back.Status != "Exercise" || back.MsgType != "Alert" ||
		back.Sent != "2026-09-14T08:30:05+08:00" || back.Info.Severity != "Severe" || back.Info.Headline != spec.Headline ||
		back.Info.Expires != "2026-09-15T20:30:05+08:00" || back.Info.EventCode == nil || back.Info.EventCode.Value != "11B01" || back.Note == "" {
		t.Errorf("alert %+v", back)
	}
	pts := strings.Fields(back.Info.Area.Polygon)
	if len(pts) != 4 || pts[0] != pts[3] || pts[0] != "37.50000,121.30000" {
		t.Errorf("polygon %q: want lat,lng pairs, closed", back.Info.Area.Polygon)
	}
	if !strings.HasPrefix(string(a.XML), "<?xml") || strings.Contains(string(a.XML), "<演练>") {
		t.Errorf("not an escaped XML document:\n%s", a.XML)
	}
	spec.Status = "Actual"
	a, _ = writeCAP(spec, area.areaRing(), now, 1)
	if !strings.Contains(string(a.XML), "<status>Actual</status>") || strings.Contains(string(a.XML), "<note>") {
		t.Errorf("an Actual alert:\n%s", a.XML)
	}
	if _, err := writeCAP(spec, []LatLng{{1, 1}, {2, 2}}, now, 1); err == nil {
		t.Error("a two-point area was written")
	}
}

func TestCircleRingHoldsTheCircle(t *testing.T) {
	a := EventArea{Circle: &Circle{Lat: 37.505, Lng: 121.405, RadiusM: 6000}}
	ring := a.areaRing()
	if len(ring) != 33 || ring[0] != ring[32] {
		t.Fatalf("ring of %d points", len(ring))
	}
	poly := polygonOf(ring)
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		p, ok := uniformIn(r, a.Bound(), a.Contains, 100)
		if ok && !planar.PolygonContains(poly, p) {
			t.Fatalf("%v lies in the circle but not in its ring", p)
		}
	}
}

func TestTravelTimeAndArrivalPoint(t *testing.T) {
	f := &FieldSpec{TimeScale: 60, MaxTravel: 10 * time.Second, OnFootKmh: 4, ArrivalRadiusM: 150}
	if got := f.travelTime(400, 0); got != 6*time.Second { // 400 m on foot: 360 s, /60
		t.Errorf("on foot: %v", got)
	}
	if got := f.travelTime(400, 24); got != time.Second { // 60 s by car, /60
		t.Errorf("driving: %v", got)
	}
	if got := f.travelTime(5000, 4); got != 10*time.Second {
		t.Errorf("capped: %v", got)
	}
	r := rand.New(rand.NewPCG(3, 4))
	need := orb.Point{121.4, 37.5}
	for range 500 {
		if d := distanceM(need, f.arrivalPoint(r, need, false)); d > 0.61*150 {
			t.Fatalf("near arrival %.0f m away", d)
		}
		if d := distanceM(need, f.arrivalPoint(r, need, true)); d < 1.99*150 || d > 3.51*150 {
			t.Fatalf("far arrival %.0f m away", d)
		}
	}
}

func TestWindowsCoveringCrossBeijingMidnight(t *testing.T) {
	from := time.Date(2026, 12, 7, 15, 30, 20, 0, time.UTC) // Mon 23:30:20 in Beijing
	got := windowsCovering(from, from.Add(2*time.Hour))
	want := []shiftWindow{{"mon", "23:30", "24:00"}, {"tue", "00:00", "01:31"}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("got %+v, want %+v", got, want)
	}
	got = windowsCovering(from, from.Add(20*time.Minute))
	if len(got) != 1 || got[0] != (shiftWindow{"mon", "23:30", "23:51"}) {
		t.Errorf("within a day: %+v", got)
	}
	clock := regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d$|^24:00$`)
	for _, w := range windowsCovering(from, from.Add(26*time.Hour)) {
		if !clock.MatchString(w.Start) || !clock.MatchString(w.End) || w.Start >= w.End {
			t.Errorf("window %+v", w)
		}
	}
}

func TestIncidentAndFieldValidation(t *testing.T) {
	for name, edit := range map[string]func(*Scenario){
		"kind and cap": func(sc *Scenario) { sc.Incident = &IncidentSpec{Kind: "flood", Name: "x", CAP: &CAPSpec{}} },
		"neither":      func(sc *Scenario) { sc.Incident = &IncidentSpec{} },
		"unknown kind": func(sc *Scenario) { sc.Incident = &IncidentSpec{Kind: "storm", Name: "x"} },
		"no name":      func(sc *Scenario) { sc.Incident = &IncidentSpec{Kind: "flood"} },
		"minor warning": func(sc *Scenario) {
			sc.Incident = &IncidentSpec{CAP: &CAPSpec{Sender: "s", Event: "e", Headline: "h", Severity: "Minor"}}
		},
		"sender with comma": func(sc *Scenario) {
			sc.Incident = &IncidentSpec{CAP: &CAPSpec{Sender: "a,b", Event: "e", Headline: "h", Severity: "Severe"}}
		},
		"test status": func(sc *Scenario) {
			sc.Incident = &IncidentSpec{CAP: &CAPSpec{Sender: "s", Event: "e", Headline: "h", Severity: "Severe", Status: "Test"}}
		},
		"pre-alert on an exercise": func(sc *Scenario) {
			sc.Incident = &IncidentSpec{CAP: &CAPSpec{Sender: "s", Event: "e", Headline: "h", Severity: "Severe", PreAlert: true}}
		},
		"no max travel":   func(sc *Scenario) { sc.Field = &FieldSpec{} },
		"share above 1":   func(sc *Scenario) { sc.Field = &FieldSpec{MaxTravel: time.Second, OnCallShare: 1.5} },
		"far without why": func(sc *Scenario) { sc.Field = &FieldSpec{MaxTravel: time.Second, FarShare: 0.1} },
		"nothing to say":  func(sc *Scenario) { sc.Field = &FieldSpec{MaxTravel: time.Second, MessageShare: 0.1} },
		"long message": func(sc *Scenario) {
			sc.Field = &FieldSpec{MaxTravel: time.Second, MessageShare: 0.1, Messages: []string{strings.Repeat("字", 501)}}
		},
	} {
		sc := smallScenario(t, 0, 0)
		edit(sc)
		if err := sc.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	sc := smallScenario(t, 0, 0)
	sc.Incident = &IncidentSpec{CAP: &CAPSpec{Sender: "s", Event: "e", Headline: "h", Severity: "Extreme"}}
	sc.Field = &FieldSpec{MaxTravel: time.Second}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	if sc.Incident.CAP.Status != "Exercise" || sc.Field.TimeScale != 1 || sc.Field.ArrivalRadiusM != 150 || sc.Field.OnFootKmh != 4 {
		t.Errorf("defaults: %+v %+v", sc.Incident.CAP, sc.Field)
	}
}

func TestScaleCompressesTravel(t *testing.T) {
	sc := smallScenario(t, 0, 0)
	sc.Field = &FieldSpec{TimeScale: 10, MaxTravel: time.Minute}
	full := sc.Duration
	sc.Scale(0, full/4)
	if sc.Field.TimeScale != 40 || sc.Field.MaxTravel != full/12 {
		t.Errorf("time scale %v, max travel %v", sc.Field.TimeScale, sc.Field.MaxTravel)
	}
}

package mobilize

import (
	"errors"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/liandong/liandong/mobilize/cap"
)

func box(lng0, lat0, lng1, lat1 float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{lng0, lat0}, {lng1, lat0}, {lng1, lat1}, {lng0, lat1}, {lng0, lat0}}}}
}

func TestIncidentAt(t *testing.T) {
	a := Incident{ID: "a", Status: IncidentActive, Area: box(121.40, 37.40, 121.50, 37.50)}
	b := Incident{ID: "b", Status: IncidentActive, Area: box(121.48, 37.48, 121.55, 37.55)}
	closed := Incident{ID: "c", Status: IncidentClosed, Area: box(121.0, 37.0, 122.0, 38.0)}
	all := []Incident{a, b, closed}
	for _, tc := range []struct {
		name    string
		p       orb.Point
		want    IncidentID
		matches int
	}{
		{"inside one", orb.Point{121.45, 37.45}, "a", 1},
		{"on the border of one", orb.Point{121.40, 37.45}, "a", 1},
		{"inside two: none", orb.Point{121.49, 37.49}, "", 2},
		{"inside only a closed one", orb.Point{121.9, 37.9}, "", 0},
	} {
		id, n := IncidentAt(all, tc.p)
		if id != tc.want || n != tc.matches {
			t.Errorf("%s: IncidentAt = %q, %d; want %q, %d", tc.name, id, n, tc.want, tc.matches)
		}
	}
}

func TestIncidentValidate(t *testing.T) {
	good := Incident{Name: "台风“海燕” Typhoon", Kind: KindTyphoon, Area: box(121.40, 37.40, 121.50, 37.50)}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	open := good
	open.Area = orb.MultiPolygon{{{{121.4, 37.4}, {121.5, 37.4}, {121.5, 37.5}, {121.4, 37.5}}}}
	for name, in := range map[string]Incident{
		"no name":        {Kind: KindFlood, Area: good.Area},
		"unknown kind":   {Name: "x", Kind: "tsunami", Area: good.Area},
		"no area":        {Name: "x", Kind: KindFlood},
		"open ring":      open,
		"invisible name": {Name: "x\u200b", Kind: KindFlood, Area: good.Area},
	} {
		if err := in.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Validate = %v", name, err)
		}
	}
}

func TestComputeFigures(t *testing.T) {
	t0 := time.Date(2026, 9, 14, 1, 0, 0, 0, time.UTC)
	need := func(status NeedStatus, cat string, wait time.Duration, people ...ResponderID) NeedState {
		n := NeedState{Need: Need{Status: status, Category: cat, CreatedAt: t0, Items: []ItemCount{{Item: ItemFoodParcel, Count: 2}}}}
		if wait > 0 {
			n.StaffedAt = t0.Add(wait)
		}
		for _, p := range people {
			n.Assignments = append(n.Assignments, Assignment{ResponderID: p, State: AssignAccepted})
		}
		n.Assignments = append(n.Assignments, Assignment{ResponderID: "decliner", State: AssignDeclined})
		return n
	}
	var needs []NeedState
	for i := 1; i <= 10; i++ {
		needs = append(needs, need(NeedStaffed, "evacuation", time.Duration(i)*time.Minute, "p1", ResponderID(rune('a'+i))))
	}
	needs = append(needs, need(NeedCompleted, "food", 0), need(NeedOpen, "food", 0))
	f := ComputeFigures(needs, t0)
	if f.Needs != 12 || f.ByStatus[NeedStaffed] != 10 || f.ByCategory["food"] != 2 || f.People != 11 || f.Items[ItemFoodParcel] != 2 {
		t.Errorf("figures = %+v", f)
	}
	if f.Staffed != 10 || f.MedianToStaffed != 5*time.Minute || f.P90ToStaffed != 9*time.Minute {
		t.Errorf("time to staffed: %d, median %v, p90 %v", f.Staffed, f.MedianToStaffed, f.P90ToStaffed)
	}
	if z := ComputeFigures(nil, t0); z.MedianToStaffed != 0 || z.Needs != 0 {
		t.Errorf("empty figures = %+v", z)
	}
}

func TestKindOfAlert(t *testing.T) {
	for event, want := range map[string]IncidentKind{
		"台风": KindTyphoon, "暴雨": KindFlood, "Flood": KindFlood, "地震": KindEarthquake,
		"高温": KindHeatwave, "森林火险": KindFire, "大雾": KindOther,
	} {
		a := &cap.Alert{Infos: []cap.Info{{Event: event, Categories: []string{"Met"}}}}
		if got := KindOfAlert(a); got != want {
			t.Errorf("event %q: kind %q, want %q", event, got, want)
		}
	}
	a := &cap.Alert{Infos: []cap.Info{{Event: "Structure", Categories: []string{"Fire"}}}}
	if got := KindOfAlert(a); got != KindFire {
		t.Errorf("category Fire: %q", got)
	}
}

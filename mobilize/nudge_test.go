package mobilize

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/liandong/liandong/geo"
)

const nudgeLat, nudgeLng = 37.46, 121.45

func pt(lat, lng float64) orb.Point { return orb.Point{lng, lat} }

// TestSurgeCellsCountSurgingReasons: places short for want of people are
// summed per res-7 cell with the most urgent urgency; a place taken by a
// more urgent one is no surge.
func TestSurgeCellsCountSurgingReasons(t *testing.T) {
	short := []Shortfall{
		{Need: "a", Point: pt(nudgeLat, nudgeLng), Urgency: 3, Places: 2, Reason: ReasonNobodyInRadius},
		{Need: "b", Point: pt(nudgeLat+0.001, nudgeLng), Urgency: 1, Places: 1, Reason: ReasonAllBusy},
		{Need: "c", Point: pt(nudgeLat+0.3, nudgeLng), Urgency: 2, Places: 1, Reason: ReasonAllDeclined},
		{Need: "d", Point: pt(nudgeLat+0.6, nudgeLng), Urgency: 1, Places: 4, Reason: ReasonTakenByUrgent},
	}
	cells, err := surgeCells(short)
	if err != nil {
		t.Fatal(err)
	}
	if len(cells) != 2 {
		t.Fatalf("cells: %+v, want two", cells)
	}
	home, _ := geo.CellAt(pt(nudgeLat, nudgeLng), SurgeResolution)
	i := slices.IndexFunc(cells, func(c SurgeCell) bool { return c.Cell == home })
	if i < 0 || cells[i].PlacesShort != 3 || cells[i].Urgency != 1 {
		t.Fatalf("home cell: %+v, want 3 places, urgency 1", cells)
	}
}

// TestPlanNudgesRadiusAndNight: people within the radius of a short place
// are nudged for its cell, not those beyond; at night only for a cell
// with an urgency-1 place.
func TestPlanNudgesRadiusAndNight(t *testing.T) {
	short := []Shortfall{
		{Need: "a", Point: pt(nudgeLat, nudgeLng), Urgency: 2, Places: 1, Reason: ReasonNobodyInRadius},
		{Need: "b", Point: pt(nudgeLat+0.3, nudgeLng), Urgency: 1, Places: 1, Reason: ReasonNobodyInRadius},
	}
	cells, err := surgeCells(short)
	if err != nil {
		t.Fatal(err)
	}
	people := []Presence{
		{ID: "nearA", Point: pt(nudgeLat+0.01, nudgeLng)},   // ~1.1 km from a
		{ID: "nearB", Point: pt(nudgeLat+0.31, nudgeLng)},   // ~1.1 km from b
		{ID: "between", Point: pt(nudgeLat+0.15, nudgeLng)}, // ~16 km from both
	}
	whom := func(plans []nudgePlan) map[ResponderID]int {
		out := map[ResponderID]int{}
		for _, p := range plans {
			for _, rid := range p.to {
				out[rid] = p.cell.Urgency
			}
		}
		return out
	}
	day := whom(planNudges(cells, short, people, 3000, false))
	if len(day) != 2 || day["nearA"] != 2 || day["nearB"] != 1 {
		t.Fatalf("by day: %v, want nearA for urgency 2, nearB for urgency 1", day)
	}
	night := whom(planNudges(cells, short, people, 3000, true))
	if len(night) != 1 || night["nearB"] != 1 {
		t.Fatalf("at night: %v, want only nearB (urgency 1)", night)
	}
}

// nudgeFake is a NudgeStore in memory: charges answer as told.
type nudgeFake struct {
	people       map[ResponderID]Presence
	charges      map[ResponderID]NudgeCharge
	surge        []SurgeCell
	writes, gets int
}

func (f *nudgeFake) SetSurge(_ context.Context, c []SurgeCell) error {
	f.surge = c
	f.writes++
	return nil
}
func (f *nudgeFake) Surge(context.Context) ([]SurgeCell, error) { return f.surge, nil }
func (f *nudgeFake) ChargeNudge(_ context.Context, rid ResponderID, _ geo.Cell, _ time.Duration, _ int) (NudgeCharge, error) {
	if c, ok := f.charges[rid]; ok {
		return c, nil
	}
	return NudgeSent, nil
}
func (f *nudgeFake) StandbyOptedIn(context.Context) ([]ResponderID, error) {
	var ids []ResponderID
	for id := range f.people {
		ids = append(ids, id)
	}
	return ids, nil
}
func (f *nudgeFake) Get(_ context.Context, id ResponderID) (Presence, error) {
	f.gets++
	return f.people[id], nil
}
func (f *nudgeFake) Deactivation(context.Context, ResponderID) (*Deactivation, error) {
	return nil, nil
}

// TestNudgerNightZoneAndCharges: the night is read in the configured
// zone (20:00 in Shanghai is 12:00 UTC); on-duty people and those whose
// charge is refused (recent, over budget) get no nudge; an empty tick
// empties the surge.
func TestNudgerNightZoneAndCharges(t *testing.T) {
	zone := time.FixedZone("CST", 8*3600)
	at := time.Date(2026, 11, 28, 12, 30, 0, 0, time.UTC) // 20:30 in CST
	f := &nudgeFake{
		people: map[ResponderID]Presence{
			"ok":     {ID: "ok", Status: StatusOffDuty, Located: true, Point: pt(nudgeLat+0.01, nudgeLng)},
			"recent": {ID: "recent", Status: StatusOffDuty, Located: true, Point: pt(nudgeLat+0.01, nudgeLng)},
			"over":   {ID: "over", Status: StatusOffDuty, Located: true, Point: pt(nudgeLat+0.01, nudgeLng)},
			"onduty": {ID: "onduty", Status: StatusAvailable, Located: true, Point: pt(nudgeLat+0.01, nudgeLng)},
		},
		charges: map[ResponderID]NudgeCharge{"recent": NudgeRecent, "over": NudgeOver},
	}
	var got []Nudged
	sink := EventSinkFunc(func(_ context.Context, e Event) {
		if n, ok := e.(Nudged); ok {
			got = append(got, n)
		}
	})
	cfg := DefaultNudgeConfig()
	cfg.Zone, cfg.LookEvery = zone, 0
	n := NewNudger(f, sink, cfg, func() time.Time { return at })
	ctx := context.Background()
	place := func(urgency int) []Shortfall {
		return []Shortfall{{Need: "a", Point: pt(nudgeLat, nudgeLng), Urgency: urgency, Places: 3, Reason: ReasonAllBusy}}
	}
	if sent, err := n.AfterTick(ctx, place(2)); err != nil || sent != 0 || len(got) != 0 {
		t.Fatalf("urgency 2 at 20:30 local: sent %d %v %+v, want none", sent, err, got)
	}
	if len(f.surge) != 1 {
		t.Fatalf("the cell is in surge even when nobody may be nudged: %+v", f.surge)
	}
	if sent, err := n.AfterTick(ctx, place(1)); err != nil || sent != 1 {
		t.Fatalf("urgency 1 at night: sent %d %v, want 1", sent, err)
	}
	if len(got) != 1 || !slices.Equal(got[0].To, []ResponderID{"ok"}) || got[0].Needs != 3 || got[0].Urgency != 1 {
		t.Fatalf("nudge: %+v, want ok only, 3 needs, urgency 1", got)
	}
	if _, err := n.AfterTick(ctx, nil); err != nil || len(f.surge) != 0 {
		t.Fatalf("a tick without shortfall left the surge %+v %v", f.surge, err)
	}
	cfg.Enabled = false
	off := NewNudger(f, sink, cfg, func() time.Time { return at })
	if sent, _ := off.AfterTick(ctx, place(1)); sent != 0 || len(f.surge) != 1 {
		t.Fatalf("disabled: sent %d, surge %+v; want the surge shown, nobody nudged", sent, f.surge)
	}
}

// TestNudgerSpacesItsWork: ticks four times a second write an unchanged
// surge once (again after a while, for other processes' writes) and read
// the people once per LookEvery; a change is written at once.
func TestNudgerSpacesItsWork(t *testing.T) {
	at := time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC) // noon in CST
	f := &nudgeFake{people: map[ResponderID]Presence{
		"ok": {ID: "ok", Status: StatusOffDuty, Located: true, Point: pt(nudgeLat+0.01, nudgeLng)},
	}, charges: map[ResponderID]NudgeCharge{"ok": NudgeRecent}}
	cfg := DefaultNudgeConfig()
	cfg.Zone = time.FixedZone("CST", 8*3600)
	now := at
	n := NewNudger(f, nil, cfg, func() time.Time { return now })
	ctx := context.Background()
	short := []Shortfall{{Need: "a", Point: pt(nudgeLat, nudgeLng), Urgency: 2, Places: 1, Reason: ReasonNobodyInRadius}}
	for range 8 { // two seconds of ticks
		if _, err := n.AfterTick(ctx, short); err != nil {
			t.Fatal(err)
		}
		now = now.Add(250 * time.Millisecond)
	}
	if f.writes != 1 || f.gets != 1 {
		t.Fatalf("two seconds of ticks: %d writes, %d reads of people; want 1 and 1", f.writes, f.gets)
	}
	now = now.Add(cfg.LookEvery + surgeRewriteEvery)
	if _, err := n.AfterTick(ctx, short); err != nil || f.writes != 2 || f.gets != 2 {
		t.Fatalf("after a while: %d writes, %d reads, %v; want 2 and 2", f.writes, f.gets, err)
	}
	short[0].Places = 2
	if _, err := n.AfterTick(ctx, short); err != nil || f.writes != 3 || f.surge[0].PlacesShort != 2 {
		t.Fatalf("a changed surge: %d writes %+v %v", f.writes, f.surge, err)
	}
}

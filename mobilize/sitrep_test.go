package mobilize

import (
	"fmt"
	"testing"
	"time"
)

// TestComputeSitrep: counts by status, category and community; people
// counted once overall and once per organisation and role; times to the
// first offer and to staffed; items of completed needs per depot; the
// ten longest-waiting needs, oldest first; escalations of the incident's
// needs only.
func TestComputeSitrep(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	at := t0.Add(6 * time.Hour)
	acc := func(rid ResponderID, role Role, offered time.Time, st AssignmentState) Assignment {
		return Assignment{ResponderID: rid, Role: role, State: st, OfferedAt: offered}
	}
	staffed := NeedState{Need: Need{ID: "s", Status: NeedCompleted, Category: "medicine_delivery", Community: "c1", CreatedAt: t0,
		StaffedAt: t0.Add(10 * time.Minute), Items: []ItemCount{{Item: ItemFoodParcel, Count: 2}},
		Assignments: []Assignment{
			acc("a", RoleSocialWorker, t0.Add(2*time.Minute), AssignCompleted),
			acc("b", RoleVolunteer, t0.Add(time.Minute), AssignCompleted),
			acc("x", RoleVolunteer, t0.Add(30*time.Second), AssignDeclined),
		}}, Supplies: &Supplies{State: SupplyConsumed, DepotID: "d1"}}
	second := NeedState{Need: Need{ID: "t", Status: NeedStaffed, Category: "medicine_delivery", Community: "c2", CreatedAt: t0.Add(time.Hour),
		StaffedAt: t0.Add(time.Hour + 30*time.Minute), Items: []ItemCount{{Item: ItemFoodParcel, Count: 5}},
		Assignments: []Assignment{acc("a", RoleSocialWorker, t0.Add(time.Hour+3*time.Minute), AssignAccepted)}},
		Supplies: &Supplies{State: SupplyReserved, DepotID: "d1"}} // not completed: its items are not used yet
	needs := []NeedState{staffed, second}
	for i := range 12 {
		needs = append(needs, NeedState{Need: Need{ID: NeedID(fmt.Sprintf("w%02d", i)), Status: NeedOpen, Category: "elderly_checkin",
			CreatedAt: t0.Add(time.Duration(12-i) * time.Minute)}})
	}
	orgs := map[ResponderID]string{"a": "org1", "b": "org2"}
	steps := map[NeedID]int{"w00": 2, "w01": 1, "elsewhere": 5}
	rep := ComputeSitrep(Incident{ID: "i1"}, needs, orgs, steps, at)

	if rep.Needs != 14 || rep.ByStatus[NeedOpen] != 12 || rep.ByStatus[NeedCompleted] != 1 || rep.ByStatus[NeedStaffed] != 1 {
		t.Errorf("counts: %d %v", rep.Needs, rep.ByStatus)
	}
	if rep.ByCategory["medicine_delivery"] != 2 || rep.ByCategory["elderly_checkin"] != 12 {
		t.Errorf("by category: %v", rep.ByCategory)
	}
	if rep.ByCommunity["c1"] != 1 || rep.ByCommunity["c2"] != 1 || rep.ByCommunity[""] != 12 {
		t.Errorf("by community: %v", rep.ByCommunity)
	}
	if rep.PeopleTotal != 2 {
		t.Errorf("people: %d, want 2 (the one who declined is not engaged)", rep.PeopleTotal)
	}
	wantPeople := []SitrepPeople{{"org1", RoleSocialWorker, 1}, {"org2", RoleVolunteer, 1}}
	if fmt.Sprint(rep.People) != fmt.Sprint(wantPeople) {
		t.Errorf("people by org and role: %v, want %v", rep.People, wantPeople)
	}
	if rep.ToFirstOffer.Count != 2 || rep.ToFirstOffer.Median != 30*time.Second || rep.ToFirstOffer.P90 != 3*time.Minute {
		t.Errorf("to first offer: %+v", rep.ToFirstOffer)
	}
	if rep.ToStaffed.Count != 2 || rep.ToStaffed.Median != 10*time.Minute || rep.ToStaffed.P90 != 30*time.Minute {
		t.Errorf("to staffed: %+v", rep.ToStaffed)
	}
	if want := []SitrepDepotItem{{"d1", ItemFoodParcel, 2}}; fmt.Sprint(rep.DepotItems) != fmt.Sprint(want) {
		t.Errorf("depot items: %v, want %v", rep.DepotItems, want)
	}
	if len(rep.Waiting) != SitrepLongest || rep.Waiting[0].ID != "w11" || rep.Waiting[9].ID != "w02" {
		t.Fatalf("waiting: %+v", rep.Waiting)
	}
	if rep.Waiting[0].Waited != 6*time.Hour-time.Minute {
		t.Errorf("w11 waited %v", rep.Waiting[0].Waited)
	}
	if rep.Escalated != 2 || rep.EscalationSteps != 3 {
		t.Errorf("escalations: %d needs, %d steps; want 2, 3", rep.Escalated, rep.EscalationSteps)
	}
	if rep.Changes != nil {
		t.Error("ComputeSitrep knows of no report before")
	}

	// The next report, an hour later: one new need, one newly staffed,
	// one more completed, one more escalation step.
	prev := rep.Snapshot()
	later := at.Add(time.Hour)
	needs[2].Status, needs[2].StaffedAt = NeedStaffed, at.Add(10*time.Minute)
	needs[1].Status = NeedCompleted
	needs = append(needs, NeedState{Need: Need{ID: "new", Status: NeedOpen, CreatedAt: at.Add(5 * time.Minute)}})
	steps["w01"] = 2
	next := ComputeSitrep(Incident{ID: "i1"}, needs, orgs, steps, later)
	c := next.changesSince(prev, needs)
	if c.PreviousAt != at || c.NewNeeds != 1 || c.NewlyStaffed != 1 || c.Completed != 1 || c.NewEscalations != 1 {
		t.Errorf("changes: %+v", c)
	}
}

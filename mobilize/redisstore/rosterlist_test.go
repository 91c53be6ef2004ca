package redisstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// rosterPeople enrols n responders with names, roles, organisations and
// skills that vary with their number, some with Chinese names.
func rosterPeople(t testing.TB, st *Store, n int) []mobilize.Responder {
	t.Helper()
	rs := make([]mobilize.Responder, n)
	for i := range rs {
		name := fmt.Sprintf("Volunteer %d", i)
		if i%7 == 0 {
			name = fmt.Sprintf("张%d伟", i)
		}
		r := mobilize.Responder{ID: mobilize.ResponderID(fmt.Sprintf("p%05d", i)), Name: name,
			Role: mobilize.Roles[i%len(mobilize.Roles)], OrgID: fmt.Sprintf("org-%d", i%5), MaxConcurrent: 1}
		if i%3 == 0 {
			r.Skills = []mobilize.Skill{{Name: "first_aid"}}
		}
		rs[i] = r
	}
	if err := st.EnrollMany(context.Background(), rs, true); err != nil {
		t.Fatal(err)
	}
	return rs
}

// listAll pages through the roster with the filter, limit at a time.
func listAll(t *testing.T, st *Store, f mobilize.RosterFilter, limit int) []mobilize.ResponderID {
	t.Helper()
	var out []mobilize.ResponderID
	var after mobilize.ResponderID
	for pages := 0; ; pages++ {
		if pages > 10_000 {
			t.Fatal("paging does not end")
		}
		page, err := st.RosterPage(context.Background(), f, after, limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Entries) > limit {
			t.Fatalf("page of %d, limit %d", len(page.Entries), limit)
		}
		for _, e := range page.Entries {
			out = append(out, e.Responder.ID)
		}
		if page.Next == "" {
			return out
		}
		after = page.Next
	}
}

// TestRosterPagesInIDOrderWithFilters: paging through the roster with any
// filter gives exactly the responders a brute-force pass over everyone
// finds, in id order, each once; the zset is rebuilt from the profiles
// when it is missing (data from before it existed).
func TestRosterPagesInIDOrderWithFilters(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		st := newStore(t, b, newTestClock())
		people := rosterPeople(t, st, 600)
		if out, err := st.Deactivate(ctx, "p00010", mobilize.Deactivation{Reason: "moved away", At: time.Now()}); err != nil || out != mobilize.DeactivateOK {
			t.Fatalf("deactivate: %s %v", out, err)
		}
		filters := []mobilize.RosterFilter{
			{},
			{Query: "张"},
			{Query: "VOLUNTEER 11"},
			{Role: mobilize.RoleMedic, Skill: "first_aid"},
			{ByOrg: true, Orgs: []string{"org-2"}},
			{ByOrg: true, Orgs: []string{"org-1", "org-3"}, Query: "张"},
			{ByOrg: true},
			{Status: mobilize.StatusDeactivated},
			{Status: mobilize.StatusAvailable}, // on duty: everyone but the deactivated
			{Status: mobilize.StatusOffDuty},   // the deactivated is off duty in the index, but listed as deactivated
		}
		for _, f := range filters {
			var want []mobilize.ResponderID
			for _, r := range people {
				// On duty, not yet located: available, not indexed.
				e := mobilize.RosterEntry{Responder: r, Presence: mobilize.Presence{Status: mobilize.StatusAvailable}}
				if r.ID == "p00010" {
					e.Deactivated = &mobilize.Deactivation{}
				}
				if (!f.ByOrg || slices.Contains(f.Orgs, r.OrgID)) && f.Matches(e) {
					want = append(want, r.ID)
				}
			}
			for _, limit := range []int{13, 500} {
				if got := listAll(t, st, f, limit); !slices.Equal(got, want) {
					t.Fatalf("filter %+v limit %d: %d listed, want %d (first %v)", f, limit, len(got), len(want), got[:min(3, len(got))])
				}
			}
		}
		// Enrolled after the zset was built: listed, in its place.
		late := mobilize.Responder{ID: "p00000a", Name: "Late", Role: mobilize.RoleMedic, MaxConcurrent: 1}
		if _, err := st.Enroll(ctx, late, true); err != nil {
			t.Fatal(err)
		}
		if got := listAll(t, st, mobilize.RosterFilter{Role: mobilize.RoleMedic}, 500); len(got) < 2 || got[0] != "p00000a" {
			t.Fatalf("medics after a late enrolment: %v, want p00000a first", got[:min(3, len(got))])
		}
		people = append(people, late)
		// The zset and its marker gone (a roster from before them): rebuilt.
		if err := b.Client.Del(ctx, st.NeedStore.keys.roster(), st.NeedStore.keys.rosterBuilt()).Err(); err != nil {
			t.Fatal(err)
		}
		if got := listAll(t, st, mobilize.RosterFilter{}, 500); len(got) != len(people) {
			t.Fatalf("after rebuilding: %d listed, want %d", len(got), len(people))
		}
	})
}

// TestRosterPageOfFiveThousandIsFast: on a real Redis, a page of a 5,000
// roster, filtered by name so that it walks the whole roster, comes back
// well under a second.
func TestRosterPageOfFiveThousandIsFast(t *testing.T) {
	s := redistest.Start(t, redistest.Options{})
	ctx := context.Background()
	st := newStore(t, redistest.Backend{Name: "redis-server", Client: s.Client(t), Real: true}, newTestClock())
	rosterPeople(t, st, 5000)
	start := time.Now()
	page, err := st.RosterPage(ctx, mobilize.RosterFilter{Query: "4999"}, "", 50)
	if took := time.Since(start); err != nil || len(page.Entries) != 1 || took > 500*time.Millisecond {
		t.Fatalf("page %d entries, %v, took %v; want 1 entry well under a second", len(page.Entries), err, took)
	}
}

// TestUpdateProfileMovesMembershipAndSkills: a correction changes the
// organisation's member sets and the skills the index matches on at once;
// an unknown id is not found and creates nothing.
func TestUpdateProfileMovesMembershipAndSkills(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		clock := newTestClock()
		st := newStore(t, b, clock)
		enrollAt(t, st, clock, "li", mobilize.RoleVolunteer, 1, yantaiLat, yantaiLng)
		r, _, err := st.Responder(ctx, "li")
		if err != nil {
			t.Fatal(err)
		}
		r.OrgID, r.Skills = "org-a", []mobilize.Skill{{Name: "boat"}}
		if err := st.UpdateProfile(ctx, r); err != nil {
			t.Fatal(err)
		}
		r.OrgID = "org-b"
		if err := st.UpdateProfile(ctx, r); err != nil {
			t.Fatal(err)
		}
		a, _ := st.MemberCount(ctx, "org-a")
		bm, _ := st.Members(ctx, []string{"org-b"})
		if a != 0 || !bm["li"] {
			t.Fatalf("org-a has %d members, org-b %v; want li moved to org-b", a, bm)
		}
		found, err := st.Nearby(ctx, mobilize.NearbyQuery{Point: mustPoint(t, yantaiLat, yantaiLng), Role: mobilize.RoleVolunteer, Skills: []string{"boat"}, K: 5, MaxRadiusMeters: 1000})
		if err != nil || len(found) != 1 || found[0].ID != "li" {
			t.Fatalf("nearby with the new skill: %v %v", found, err)
		}
		err = st.UpdateProfile(ctx, mobilize.Responder{ID: "nobody", Name: "X", Role: mobilize.RoleVolunteer, MaxConcurrent: 1})
		if !errors.Is(err, mobilize.ErrNotFound) {
			t.Fatalf("update of an unknown id: %v, want not found", err)
		}
		if _, _, err := st.Responder(ctx, "nobody"); !errors.Is(err, mobilize.ErrNotFound) {
			t.Fatalf("the refused update created a profile: %v", err)
		}
	})
}

// TestDeactivateTakesOffEveryIndexAndKeepsRecords: refused while the
// responder holds an offer; once free, they leave the candidates and the
// map (no position), cannot go on duty, keep their profile; reactivated,
// they may go on duty again.
func TestDeactivateTakesOffEveryIndexAndKeepsRecords(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		clock := newTestClock()
		st := newStore(t, b, clock)
		enrollAt(t, st, clock, "wang", mobilize.RoleVolunteer, 1, yantaiLat, yantaiLng)
		createNeed(t, st, clock, "n1", 2, []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}})
		if out, err := st.Offer(ctx, mobilize.OfferRequest{OfferID: "o1", Need: "n1", Responder: "wang", TTL: time.Minute, Reason: mobilize.ReasonNearest}); err != nil || out != mobilize.OfferOK {
			t.Fatalf("offer: %s %v", out, err)
		}
		d := mobilize.Deactivation{Reason: "left the city", At: clock.Now(), By: "admin"}
		if out, err := st.Deactivate(ctx, "wang", d); err != nil || out != mobilize.DeactivateOffered {
			t.Fatalf("deactivate on an offer: %s %v, want offered", out, err)
		}
		if got, _ := st.Deactivation(ctx, "wang"); got != nil {
			t.Fatal("a refused deactivation left a record")
		}
		if _, err := st.Answer(ctx, "o1", "wang", "decline"); err != nil {
			t.Fatal(err)
		}
		if out, err := st.Deactivate(ctx, "wang", d); err != nil || out != mobilize.DeactivateOK {
			t.Fatalf("deactivate: %s %v", out, err)
		}
		if out, _ := st.Deactivate(ctx, "wang", d); out != mobilize.DeactivateAlready {
			t.Fatalf("second deactivate: %s", out)
		}
		cell, _ := geo.CellAt(mustPoint(t, yantaiLat, yantaiLng), 9)
		if found, err := st.AvailableIn(ctx, []geo.Cell{cell}, []mobilize.Role{mobilize.RoleVolunteer}); err != nil || len(found) != 0 {
			t.Fatalf("candidates after deactivation: %v %v", found, err)
		}
		r, p, err := st.Responder(ctx, "wang")
		if err != nil || r.Name == "" || p.Located || p.Indexed || p.Status != mobilize.StatusOffDuty {
			t.Fatalf("after deactivation: %+v %+v %v; want the profile kept, no position, off duty", r, p, err)
		}
		if _, err := st.SetDuty(ctx, "wang", true); !errors.Is(err, mobilize.ErrConflict) {
			t.Fatalf("on duty while deactivated: %v, want a conflict", err)
		}
		if got, _ := st.Deactivation(ctx, "wang"); got == nil || got.Reason != "left the city" {
			t.Fatalf("deactivation record: %+v", got)
		}
		if out, _ := st.Deactivate(ctx, "nobody", d); out != mobilize.DeactivateUnknown {
			t.Fatalf("deactivate unknown: %s", out)
		}
		if was, err := st.Reactivate(ctx, "wang"); err != nil || !was {
			t.Fatalf("reactivate: %v %v", was, err)
		}
		if st, err := st.SetDuty(ctx, "wang", true); err != nil || st != mobilize.StatusAvailable && st != mobilize.StatusOffDuty {
			t.Fatalf("on duty after reactivation: %s %v", st, err)
		}
	})
}

// TestEraseLeavesTheRoster: an erased responder is no longer listed, and
// their deactivation record and weekly windows go with their profile.
func TestEraseLeavesTheRoster(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		clock := newTestClock()
		st := newStore(t, b, clock)
		enrollAt(t, st, clock, "zhou", mobilize.RoleVolunteer, 1, yantaiLat, yantaiLng)
		if err := st.SetShifts(ctx, "zhou", []mobilize.ShiftWindow{{Day: time.Monday, Start: 60, End: 120}}); err != nil {
			t.Fatal(err)
		}
		if out, err := st.Deactivate(ctx, "zhou", mobilize.Deactivation{Reason: "asked to leave", At: clock.Now()}); err != nil || out != mobilize.DeactivateOK {
			t.Fatalf("deactivate: %s %v", out, err)
		}
		if out, err := st.Erase(ctx, "zhou", mobilize.Pseudonym("zhou")); err != nil || out != mobilize.EraseOK {
			t.Fatalf("erase: %s %v", out, err)
		}
		page, err := st.RosterPage(ctx, mobilize.RosterFilter{}, "", 50)
		ws, _ := st.Shifts(ctx, "zhou")
		d, _ := st.Deactivation(ctx, "zhou")
		if err != nil || len(page.Entries) != 0 || ws != nil || d != nil {
			t.Fatalf("after erasure: listed %+v (%v), shifts %v, deactivation %+v", page.Entries, err, ws, d)
		}
		if n, _ := b.Client.ZCard(ctx, st.NeedStore.keys.roster()).Result(); n != 0 {
			t.Fatalf("the roster zset still holds %d ids", n)
		}
	})
}

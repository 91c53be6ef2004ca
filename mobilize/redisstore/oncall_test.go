package redisstore

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

var cst = time.FixedZone("CST", 8*3600)

// enrollIn registers a responder of org in a role, on duty, at c1.
func enrollIn(t testing.TB, st *Store, clock *testClock, id mobilize.ResponderID, org string, role mobilize.Role) {
	t.Helper()
	if _, err := st.Enroll(context.Background(), mobilize.Responder{ID: id, Name: "R " + string(id), Role: role, OrgID: org}, true); err != nil {
		t.Fatal(err)
	}
	relocate(t, st, clock, id, c1Lat, c1Lng)
}

func onCallNow(t testing.TB, st *Store, ids ...mobilize.ResponderID) []mobilize.ResponderID {
	t.Helper()
	on, err := st.OnCallAmong(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	var out []mobilize.ResponderID
	for _, id := range ids {
		if on[id] {
			out = append(out, id)
		}
	}
	return out
}

// TestOnCallRosterCoversTheNightAndRefusesBadEntries: a night duty from
// 18:00 to 08:00 keeps its person on call past midnight and not after;
// a weekly window counts too; a non-member, an unknown organisation, a
// bad date, a person twice or an empty stretch is refused and changes
// nothing. The clock starts on Saturday 28 November 2026, 20:00 CST.
func TestOnCallRosterCoversTheNightAndRefusesBadEntries(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, clock, st, _, svc := serviceCity(t, b)
		linkageFixture(t, st)
		enrollIn(t, st, clock, "sw1", "team-c2", mobilize.RoleSocialWorker)
		enrollIn(t, st, clock, "v1", "team-c2", mobilize.RoleVolunteer)
		enrollIn(t, st, clock, "x", "far", mobilize.RoleVolunteer)
		night := []mobilize.OnCallEntry{{Responder: "sw1", Role: mobilize.RoleSocialWorker, From: 18 * 60, To: 8 * 60}}
		if err := svc.SetOnCall(ctx, "team-c2", "2026-11-28", night, cst); err != nil {
			t.Fatal(err)
		}
		for name, c := range map[string]struct {
			org, date string
			es        []mobilize.OnCallEntry
			want      error
		}{
			"not a member":   {"team-c2", "2026-11-28", []mobilize.OnCallEntry{{Responder: "x", Role: mobilize.RoleVolunteer, From: 0, To: 60}}, mobilize.ErrInvalid},
			"unknown person": {"team-c2", "2026-11-28", []mobilize.OnCallEntry{{Responder: "ghost", Role: mobilize.RoleVolunteer, From: 0, To: 60}}, mobilize.ErrNotFound},
			"unknown org":    {"nobody", "2026-11-28", nil, mobilize.ErrNotFound},
			"bad date":       {"team-c2", "2026-13-01", nil, mobilize.ErrInvalid},
			"twice":          {"team-c2", "2026-11-28", []mobilize.OnCallEntry{night[0], night[0]}, mobilize.ErrInvalid},
			"long ago":       {"team-c2", "2026-11-20", night, mobilize.ErrInvalid},
			"empty stretch":  {"team-c2", "2026-11-28", []mobilize.OnCallEntry{{Responder: "v1", Role: mobilize.RoleVolunteer, From: 60, To: 60}}, mobilize.ErrInvalid},
			"unknown role":   {"team-c2", "2026-11-28", []mobilize.OnCallEntry{{Responder: "v1", Role: "chef", From: 0, To: 60}}, mobilize.ErrInvalid},
		} {
			if err := svc.SetOnCall(ctx, c.org, c.date, c.es, cst); !errors.Is(err, c.want) {
				t.Errorf("%s: %v, want %v", name, err, c.want)
			}
		}
		got, err := svc.OnCallDates(ctx, "team-c2", "2026-11-27", "2026-11-29", cst)
		if err != nil || len(got) != 1 || !slices.Equal(got["2026-11-28"], night) {
			t.Fatalf("rosters after refusals: %v %v, want only 28 Nov's night", got, err)
		}
		// v1 has a weekly window on Sundays 07:00–09:00.
		if err := svc.SetShifts(ctx, "v1", []mobilize.ShiftWindow{{Day: time.Sunday, Start: 7 * 60, End: 9 * 60}}); err != nil {
			t.Fatal(err)
		}
		at := func(h int, want ...mobilize.ResponderID) {
			t.Helper()
			if _, err := svc.RefreshOnCall(ctx, cst); err != nil {
				t.Fatal(err)
			}
			if got := onCallNow(t, st, "sw1", "v1", "x"); !slices.Equal(got, want) {
				t.Fatalf("at %s: on call %v, want %v", clock.Now().In(cst).Format("Mon 15:04"), got, want)
			}
		}
		at(20, "sw1")
		clock.Advance(11 * time.Hour) // Sunday 07:00: past midnight, and v1's window
		at(7, "sw1", "v1")
		clock.Advance(time.Hour) // 08:00: the night duty is over
		at(8, "v1")
		clock.Advance(time.Hour) // 09:00
		at(9)
		// An empty roster removes the date.
		if err := svc.SetOnCall(ctx, "team-c2", "2026-11-28", nil, cst); err != nil {
			t.Fatal(err)
		}
		if orgs, err := st.OnCallOrgs(ctx, "2026-11-28"); err != nil || len(orgs) != 0 {
			t.Fatalf("orgs of an emptied date: %v %v", orgs, err)
		}
	})
}

// TestOnCallRosterExpiresAfterItsDate: nothing is kept for ever.
func TestOnCallRosterExpiresAfterItsDate(t *testing.T) {
	b := redistest.Start(t, redistest.Options{})
	rdb := b.Client(t)
	clock := newTestClock()
	st, err := NewStore(rdb, IndexOptions{Prefix: "t:", Region: "yt", StaleAfter: 10 * time.Minute, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := st.SetOnCall(ctx, "org1", "2026-11-28", []mobilize.OnCallEntry{{Responder: "a", Role: mobilize.RoleVolunteer, From: 0, To: 60}}, time.Hour); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"t:{yt}:oncall:org1:2026-11-28", "t:{yt}:oncall:orgs:2026-11-28"} {
		ttl, err := rdb.TTL(ctx, k).Result()
		if err != nil || ttl <= 0 || ttl > time.Hour {
			t.Errorf("%s: ttl %v %v, want about an hour", k, ttl, err)
		}
	}
}

// TestShiftEdgesTellTheResponder: at a window's start the responder's
// inbox says the shift started, at its end that it ended.
func TestShiftEdgesTellTheResponder(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, clock, st, rec, svc := serviceCity(t, b)
		start := clock.Now().In(cst)
		minute := start.Hour()*60 + start.Minute()
		enrollAt(t, st, clock, "a", mobilize.RoleVolunteer, 1, yantaiLat, yantaiLng)
		if _, err := st.SetDuty(ctx, "a", false); err != nil {
			t.Fatal(err)
		}
		if err := svc.SetShifts(ctx, "a", []mobilize.ShiftWindow{{Day: start.Weekday(), Start: minute + 10, End: minute + 40}}); err != nil {
			t.Fatal(err)
		}
		texts := func() []string {
			var out []string
			for _, e := range eventsOf[mobilize.Alerted](rec) {
				if slices.Equal(e.To, []mobilize.ResponderID{"a"}) {
					out = append(out, e.Message)
				}
			}
			return out
		}
		for _, step := range []struct {
			advance time.Duration
			want    []string
		}{
			{0, nil},
			{11 * time.Minute, []string{mobilize.ShiftStartedText}},
			{10 * time.Minute, []string{mobilize.ShiftStartedText}},
			{20 * time.Minute, []string{mobilize.ShiftStartedText, mobilize.ShiftEndedText}},
		} {
			clock.Advance(step.advance)
			relocate(t, st, clock, "a", yantaiLat, yantaiLng)
			if _, err := svc.ApplyShifts(ctx, cst); err != nil {
				t.Fatal(err)
			}
			if got := texts(); !slices.Equal(got, step.want) {
				t.Fatalf("at %s: told %q, want %q", clock.Now().In(cst).Format("15:04"), got, step.want)
			}
		}
	})
}

// TestMatcherPrefersWhoIsOnCallAtEqualCost: two volunteers stand at the
// same spot; with the bonus the one on call is asked, whichever it is;
// without it the tie goes as it does when nobody is on call.
func TestMatcherPrefersWhoIsOnCallAtEqualCost(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		pick := func(region string, bonus int, onCall ...mobilize.ResponderID) mobilize.ResponderID {
			t.Helper()
			ctx, clock := context.Background(), newTestClock()
			st, err := NewStore(b.Client, IndexOptions{Prefix: "t:", Region: region, StaleAfter: 10 * time.Minute, Now: clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			rec := &recorder{}
			cfg := matchConfig()
			cfg.OnCallBonusMin = bonus
			svc := mobilize.NewService(mobilize.ServiceDeps{Store: st, Sink: rec, Now: clock.Now}, cfg)
			for _, id := range []mobilize.ResponderID{"a", "b"} {
				enrollAt(t, st, clock, id, mobilize.RoleVolunteer, 1, yantaiLat+0.001, yantaiLng)
			}
			if err := st.SetOnCallNow(ctx, onCall); err != nil {
				t.Fatal(err)
			}
			createNeed(t, st, clock, "n1", 2, []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}})
			if _, err := svc.Matcher().Tick(ctx); err != nil {
				t.Fatal(err)
			}
			offers := eventsOf[mobilize.OfferSent](rec)
			if len(offers) != 1 {
				t.Fatalf("%s: %d offers, want 1", region, len(offers))
			}
			return offers[0].Responder
		}
		tie := pick("r0", 5)
		other := mobilize.ResponderID("a")
		if tie == "a" {
			other = "b"
		}
		if got := pick("r1", 5, other); got != other {
			t.Errorf("%s on call, bonus 5 min: %s asked", other, got)
		}
		if got := pick("r2", 5, tie); got != tie {
			t.Errorf("%s on call, bonus 5 min: %s asked", tie, got)
		}
		if got := pick("r3", 0, other); got != tie {
			t.Errorf("bonus 0: %s asked, want %s as with nobody on call", got, tie)
		}
	})
}

// TestCoverageCountsPerStreetAndWarnsOfNightGaps: a social worker of a
// team in street s1 on call through the night leaves s1 covered; street
// s2 has nobody, so its night hours are one gap; a volunteer's weekly
// window counts for its hours and role only.
func TestCoverageCountsPerStreetAndWarnsOfNightGaps(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, clock, st, _, svc := serviceCity(t, b)
		linkageFixture(t, st)
		enrollIn(t, st, clock, "sw1", "team-c2", mobilize.RoleSocialWorker)
		enrollIn(t, st, clock, "v1", "team-p", mobilize.RoleVolunteer)
		if err := svc.SetOnCall(ctx, "team-c2", "2026-11-28", []mobilize.OnCallEntry{{Responder: "sw1", Role: mobilize.RoleSocialWorker, From: 18 * 60, To: 8 * 60}}, cst); err != nil {
			t.Fatal(err)
		}
		if err := svc.SetShifts(ctx, "v1", []mobilize.ShiftWindow{{Day: time.Saturday, Start: 21 * 60, End: 23 * 60}}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.OnCallCoverage(ctx, cst, 0, mobilize.DefaultNightHours); !errors.Is(err, mobilize.ErrInvalid) {
			t.Fatalf("0 hours: %v, want invalid", err)
		}
		cov, err := svc.OnCallCoverage(ctx, cst, 24, mobilize.DefaultNightHours)
		if err != nil {
			t.Fatal(err)
		}
		if len(cov.Hours) != 24 || !cov.Start.Equal(clock.Now()) {
			t.Fatalf("hours %d from %s", len(cov.Hours), cov.Start)
		}
		row := func(rows []mobilize.CoverageRow, id string) mobilize.CoverageRow {
			for _, r := range rows {
				if r.ID == id {
					return r
				}
			}
			t.Fatalf("no row %s", id)
			return mobilize.CoverageRow{}
		}
		s1, s2 := row(cov.Streets, "s1"), row(cov.Streets, "s2")
		for h := range 24 { // 20:00 .. 19:00 the next day; the duty ends at 08:00 (hour 12)
			want := 0
			if h < 12 {
				want = 1
			}
			if got := s1.Hours[h][mobilize.RoleSocialWorker]; got != want {
				t.Errorf("s1 hour %d: %d social workers, want %d", h, got, want)
			}
			wantV := 0
			if h == 1 || h == 2 {
				wantV = 1
			}
			if got := s2.Hours[h][mobilize.RoleVolunteer]; got != wantV {
				t.Errorf("s2 hour %d: %d volunteers, want %d", h, got, wantV)
			}
		}
		if got := row(cov.Orgs, "team-c2").Hours[3][mobilize.RoleSocialWorker]; got != 1 {
			t.Errorf("team-c2 at 23:00: %d social workers", got)
		}
		// s2 has no social worker: 20:00 to 08:00 tonight, and from 20:00
		// on the next evening is past the 24 hours read.
		want := []mobilize.CoverageGap{{Street: "s2", Name: "Street two", From: cov.Hours[0], To: cov.Hours[12]}}
		if len(cov.Gaps) != 1 || cov.Gaps[0].Street != want[0].Street || !cov.Gaps[0].From.Equal(want[0].From) || !cov.Gaps[0].To.Equal(want[0].To) {
			t.Fatalf("gaps %+v, want %+v", cov.Gaps, want)
		}
	})
}

// TestRosterForNowCountsAtOnce: a roster saved for the current hour puts
// its person in the on-call set without waiting for the shift loop.
func TestRosterForNowCountsAtOnce(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, clock, st, _, svc := serviceCity(t, b)
		linkageFixture(t, st)
		enrollIn(t, st, clock, "sw1", "team-c2", mobilize.RoleSocialWorker)
		if err := svc.SetOnCall(ctx, "team-c2", "2026-11-28", []mobilize.OnCallEntry{{Responder: "sw1", Role: mobilize.RoleSocialWorker, From: 19 * 60, To: 21 * 60}}, cst); err != nil {
			t.Fatal(err)
		}
		if got := onCallNow(t, st, "sw1"); len(got) != 1 {
			t.Fatalf("on call right after the roster: %v", got)
		}
	})
}

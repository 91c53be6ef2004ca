package redisstore

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

const day = 24 * time.Hour

// TestRetentionForgetsOldPositionsAndClosedNeedDetails: with the default
// retention (30 days of positions, 180 of closed needs' details), a
// responder silent for 31 days loses its stored position and leaves the
// index while one heard from today keeps it; a need closed 181 days ago
// loses its description, exact place and feedback comment and keeps what
// statistics read; an active need keeps everything. A second sweep
// forgets nothing more (a pass cut short is simply run again).
func TestRetentionForgetsOldPositionsAndClosedNeedDetails(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		clock := newTestClock()
		st := newStore(t, b, clock)
		svc := mobilize.NewService(mobilize.ServiceDeps{Store: st, Now: clock.Now}, matchConfig())
		c := &recognitionCity{t: t, ctx: ctx, st: st, clock: clock}
		c.enroll("quiet", "org-a")
		c.staff("n-closed", "quiet")
		if out := c.complete("n-closed", "quiet"); out != mobilize.CompleteNeedCompleted {
			t.Fatalf("complete: %s", out)
		}
		if out, err := st.RecordFeedback(ctx, mobilize.Feedback{Need: "n-closed", Rating: 5, Comment: "Mrs Li at No. 3 thanks her"}, 14*day); err != nil || out != mobilize.FeedbackOK {
			t.Fatalf("feedback: %s %v", out, err)
		}
		exact := mustPoint(t, yantaiLat+0.0031, yantaiLng+0.0027)
		active := mobilize.Need{ID: "n-active", Urgency: 3, Category: "food", Point: exact, Description: "Mrs Wu, flat 5, needs rice",
			Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}, CreatedAt: clock.Now()}
		if created, err := st.CreateNeed(ctx, active); err != nil || !created {
			t.Fatalf("create: %v %v", created, err)
		}
		ret := mobilize.RetentionConfig{Locations: 30 * day, Needs: 180 * day, Batch: 2}

		clock.Advance(31 * day)
		c.enroll("heard-today", "org-a")
		rep, err := svc.SweepRetention(ctx, ret)
		if err != nil || rep != (mobilize.RetentionReport{Positions: 1}) {
			t.Fatalf("first sweep: %+v %v, want one position forgotten", rep, err)
		}
		if p, err := st.Get(ctx, "quiet"); err != nil || p.Located || p.Indexed {
			t.Fatalf("quiet after the sweep: %+v %v, want no position and out of the index", p, err)
		}
		if p, err := st.Get(ctx, "heard-today"); err != nil || !p.Located {
			t.Fatalf("heard-today after the sweep: %+v %v, want its position kept", p, err)
		}
		cell, _ := geo.CellAt(mustPoint(t, yantaiLat, yantaiLng), 9)
		found, err := st.AvailableIn(ctx, []geo.Cell{cell}, []mobilize.Role{mobilize.RoleVolunteer})
		if err != nil || len(found) != 1 || found[0].ID != "heard-today" {
			t.Fatalf("index cell holds %+v %v, want only heard-today", found, err)
		}

		clock.Advance(150 * day) // n-closed closed 181 days ago
		rep, err = svc.SweepRetention(ctx, ret)
		if err != nil || rep.Needs != 1 {
			t.Fatalf("second sweep: %+v %v, want one need forgotten", rep, err)
		}
		n, err := st.Need(ctx, "n-closed")
		if err != nil {
			t.Fatal(err)
		}
		coarse, _ := geo.CellAt(mustPoint(t, yantaiLat, yantaiLng), 7)
		if n.Description != "" || n.Point != coarse.Centre() || n.Category != "elderly_checkin" || n.Status != mobilize.NeedCompleted || n.Slots() != 1 || len(n.Assignments) != 1 {
			t.Fatalf("forgotten need: %+v, want no description, the res-7 centre, and category, status, team, assignments kept", n.Need)
		}
		fbs, err := st.Feedbacks(ctx, []mobilize.NeedID{"n-closed"})
		if err != nil || fbs["n-closed"].Comment != "" || fbs["n-closed"].Rating != 5 {
			t.Fatalf("feedback after the sweep: %+v %v, want the rating without the comment", fbs, err)
		}
		if a, err := st.Need(ctx, "n-active"); err != nil || a.Description != active.Description || a.Point != exact {
			t.Fatalf("active need after the sweep: %+v %v, want it untouched", a, err)
		}
		if rep, err := svc.SweepRetention(ctx, ret); err != nil || rep != (mobilize.RetentionReport{}) {
			t.Fatalf("third sweep: %+v %v, want nothing more", rep, err)
		}
	})
}

// TestEraseKeepsFiguresUnderThePseudonym: erasure is refused while the
// person is on an assignment (nothing changes), and afterwards moves the
// ledger, reliability, membership and offers' records to the pseudonym,
// names them nowhere, and says "already" when asked again.
func TestEraseKeepsFiguresUnderThePseudonym(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		clock := newTestClock()
		st := newStore(t, b, clock)
		c := &recognitionCity{t: t, ctx: ctx, st: st, clock: clock}
		c.enroll("gone", "org-a")
		c.enroll("stays", "org-a")
		c.staff("n1", "gone", "stays")
		ps := mobilize.Pseudonym("gone")
		before := redistest.Snapshot(t, b.Client)
		if out, err := st.Erase(ctx, "gone", ps); err != nil || out != mobilize.EraseAssigned {
			t.Fatalf("erase while assigned: %s %v, want assigned", out, err)
		}
		if after := redistest.Snapshot(t, b.Client); after != before {
			t.Fatalf("a refused erasure changed the store:\n%s\nthen\n%s", before, after)
		}
		clock.Advance(2 * time.Hour)
		c.complete("n1", "gone")
		c.complete("n1", "stays")
		if _, err := st.RecordFeedback(ctx, mobilize.Feedback{Need: "n1", Rating: 4, Comment: "Person gone was kind"}, 14*day); err != nil {
			t.Fatal(err)
		}
		ledger, err := st.Ledger(ctx, "gone", mobilize.DefaultHoursCap)
		if err != nil || len(ledger) != 1 {
			t.Fatalf("ledger: %+v %v", ledger, err)
		}
		rel, _ := st.Reliability(ctx, []mobilize.ResponderID{"gone"})

		if out, err := st.Erase(ctx, "gone", ps); err != nil || out != mobilize.EraseOK {
			t.Fatalf("erase: %s %v", out, err)
		}
		// The test's offer ids are built from the responder's (real ones
		// are random): leave them out of the search.
		snap := strings.ReplaceAll(redistest.Snapshot(t, b.Client), "o-n1-gone", "o-n1-x")
		if containsAny(snap, "gone") {
			t.Fatalf("the store still names the erased responder:\n%s", snap)
		}
		kept, err := st.Ledger(ctx, ps, mobilize.DefaultHoursCap)
		if err != nil || len(kept) != 1 || kept[0].Hours != ledger[0].Hours || kept[0].Need != "n1" {
			t.Fatalf("ledger under the pseudonym: %+v %v, want %+v", kept, err, ledger)
		}
		if got, _ := st.Reliability(ctx, []mobilize.ResponderID{ps}); got[ps] != rel["gone"] {
			t.Fatalf("reliability under the pseudonym %+v, want %+v", got[ps], rel["gone"])
		}
		if n, err := st.MemberCount(ctx, "org-a"); err != nil || n != 2 {
			t.Fatalf("org-a has %d members (%v), want 2: the pseudonym counts", n, err)
		}
		orgs, _ := st.ResponderOrgs(ctx, []mobilize.ResponderID{ps})
		if orgs[ps] != "org-a" {
			t.Fatalf("the pseudonym's organisation %q, want org-a (the evaluation reads it)", orgs[ps])
		}
		if _, _, err := st.Responder(ctx, "gone"); err == nil {
			t.Fatal("the erased responder can still be read")
		}
		if out, err := st.Erase(ctx, "gone", ps); err != nil || out != mobilize.EraseAlready {
			t.Fatalf("erase again: %s %v, want already", out, err)
		}
		if out, err := st.Erase(ctx, "never-was", mobilize.Pseudonym("never-was")); err != nil || out != mobilize.EraseUnknown {
			t.Fatalf("erase unknown: %s %v", out, err)
		}
	})
}

func containsAny(s string, needles ...string) bool {
	for _, n := range needles {
		if n != "" && strings.Contains(s, n) {
			return true
		}
	}
	return false
}

// TestReplaceIDWholeIDsOnly: erasing r-1 leaves r-10 of the same batch.
func TestReplaceIDWholeIDsOnly(t *testing.T) {
	for in, want := range map[string]string{
		"r-1":          "X",
		"r-10":         "r-10",
		"r-1/1700-0":   "X/1700-0",
		"xr-1":         "xr-1",
		"r-1 and r-1.": "X and X.",
		"r-1*":         "X*",
	} {
		if got := replaceID(in, "r-1", "X"); got != want {
			t.Errorf("replaceID(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPseudonymiseAuditKeepsIDsAndOrder: the rewritten log holds the same
// entries under the same ids in the same order, with the erased id
// replaced where it stands whole, and the entries about it are found
// before and not after.
func TestPseudonymiseAuditKeepsIDsAndOrder(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		a, err := NewAccess(b.Client, "t:", "yt")
		if err != nil {
			t.Fatal(err)
		}
		for _, target := range []string{"r-1", "r-10", "r-1/1700000000000-0", "n-5", "r-1*"} {
			if _, err := a.AppendAudit(ctx, []string{"at", "2026-12-07T10:00:00Z", "actor", "op1", "action", "x", "target", target}, 1000); err != nil {
				t.Fatal(err)
			}
		}
		about, err := a.AuditAbout(ctx, "r-1")
		if err != nil || len(about) != 2 {
			t.Fatalf("entries about r-1: %+v %v, want 2", about, err)
		}
		before, _ := a.AuditPage(ctx, "", 100)
		n, err := a.PseudonymiseAudit(ctx, "r-1", "erased-x")
		if err != nil || n != 3 {
			t.Fatalf("pseudonymise: %d %v, want 3 values changed", n, err)
		}
		after, _ := a.AuditPage(ctx, "", 100)
		want := []string{"erased-x*", "n-5", "erased-x/1700000000000-0", "r-10", "erased-x"}
		if len(after) != len(before) {
			t.Fatalf("%d entries after, %d before", len(after), len(before))
		}
		for i := range after {
			if after[i].ID != before[i].ID || after[i].Fields["target"] != want[i] || after[i].Fields["actor"] != "op1" {
				t.Errorf("entry %d: %+v, want id %s target %s", i, after[i], before[i].ID, want[i])
			}
		}
		if about, _ := a.AuditAbout(ctx, "r-1"); len(about) != 0 {
			t.Fatalf("entries about r-1 after: %+v", about)
		}
		if n, err := a.PseudonymiseAudit(ctx, "r-1", "erased-x"); err != nil || n != 0 {
			t.Fatalf("second pass: %d %v, want nothing left", n, err)
		}
		if keys, _ := b.Client.Keys(ctx, "*rewrite*").Result(); len(keys) != 0 {
			t.Fatalf("left behind: %v", keys)
		}
	})
}

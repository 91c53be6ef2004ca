package redisstore

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// recognitionCity is two volunteers of two organisations who staff one
// need together.
type recognitionCity struct {
	t     *testing.T
	ctx   context.Context
	st    *Store
	clock *testClock
}

func (c *recognitionCity) enroll(id mobilize.ResponderID, org string) {
	c.t.Helper()
	if _, err := c.st.Enroll(c.ctx, mobilize.Responder{ID: id, Name: "Person " + string(id), Role: mobilize.RoleVolunteer, OrgID: org, MaxConcurrent: 3}, true); err != nil {
		c.t.Fatal(err)
	}
	if err := c.st.Locate(c.ctx, mobilize.Location{ID: id, Point: mustPoint(c.t, yantaiLat, yantaiLng), At: c.clock.Now()}); err != nil {
		c.t.Fatal(err)
	}
}

// staff creates a need for the given people and has each accept.
func (c *recognitionCity) staff(need mobilize.NeedID, rids ...mobilize.ResponderID) {
	c.t.Helper()
	createNeed(c.t, c.st, c.clock, need, 2, []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: len(rids)}})
	for _, rid := range rids {
		oid := mobilize.OfferID("o-" + string(need) + "-" + string(rid))
		if err := c.st.Locate(c.ctx, mobilize.Location{ID: rid, Point: mustPoint(c.t, yantaiLat, yantaiLng), At: c.clock.Now()}); err != nil {
			c.t.Fatal(err)
		}
		if out, err := c.st.Offer(c.ctx, mobilize.OfferRequest{OfferID: oid, Need: need, Responder: rid, TTL: time.Minute, Reason: mobilize.ReasonNearest}); err != nil || out != mobilize.OfferOK {
			c.t.Fatalf("offer: %q %v", out, err)
		}
		if a, err := c.st.Answer(c.ctx, oid, rid, "accept"); err != nil || (a.Outcome != mobilize.AnswerAccepted && a.Outcome != mobilize.AnswerStaffed) {
			c.t.Fatalf("accept: %+v %v", a, err)
		}
	}
}

func (c *recognitionCity) complete(need mobilize.NeedID, rid mobilize.ResponderID) mobilize.CompleteOutcome {
	c.t.Helper()
	out, _, err := c.st.Complete(c.ctx, need, rid)
	if err != nil {
		c.t.Fatal(err)
	}
	return out
}

func TestHoursCreditedOnCompletionAndEditsAppend(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		c := &recognitionCity{t: t, ctx: context.Background(), clock: newTestClock()}
		c.st = newStore(t, b, c.clock)
		c.enroll("ra", "org-a")
		c.enroll("rb", "org-b")
		c.staff("n1", "ra", "rb")
		c.clock.Advance(90 * time.Minute)
		if out := c.complete("n1", "ra"); out != mobilize.CompleteDone {
			t.Fatalf("first member: %s", out)
		}
		c.clock.Advance(30 * time.Minute)
		if out := c.complete("n1", "rb"); out != mobilize.CompleteNeedCompleted {
			t.Fatalf("last member: %s", out)
		}
		// A forgotten "done": 20 h, capped at 12.
		c.staff("n2", "ra")
		c.clock.Advance(20 * time.Hour)
		c.complete("n2", "ra")

		ledger, err := c.st.Ledger(c.ctx, "ra", 12*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if len(ledger) != 2 || ledger[0].Hours != 1.5 || ledger[1].Hours != 12 {
			t.Fatalf("ledger of ra: %+v", ledger)
		}
		e := ledger[0]
		if e.Need != "n1" || e.Role != mobilize.RoleVolunteer || e.Category != "elderly_checkin" || e.Edited {
			t.Fatalf("entry: %+v", e)
		}
		if rb, _ := c.st.Ledger(c.ctx, "rb", 12*time.Hour); len(rb) != 1 || rb[0].Hours != 2 {
			t.Fatalf("ledger of rb: %+v", rb)
		}

		edited, err := c.st.EditHours(c.ctx, "ra", e.ID, 3.25, "left the log sheet behind", "coord-a", 12*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if !edited.Edited || edited.Hours != 3.25 || edited.EditReason != "left the log sheet behind" || edited.EditedBy != "coord-a" {
			t.Fatalf("edited: %+v", edited)
		}
		// The credit is kept; the edit is a second entry.
		if n, _ := b.Client.XLen(c.ctx, c.st.RecognitionStore.keys.ledger("ra")).Result(); n != 3 {
			t.Fatalf("ledger stream has %d entries, want 3 (two credits, one edit)", n)
		}
		// Refused edits change nothing.
		for name, try := range map[string]func() error{
			"negative hours": func() error { _, err := c.st.EditHours(c.ctx, "ra", e.ID, -1, "x", "c", 12*time.Hour); return err },
			"too many hours": func() error { _, err := c.st.EditHours(c.ctx, "ra", e.ID, 25, "x", "c", 12*time.Hour); return err },
			"no reason":      func() error { _, err := c.st.EditHours(c.ctx, "ra", e.ID, 2, " ", "c", 12*time.Hour); return err },
			"unknown entry":  func() error { _, err := c.st.EditHours(c.ctx, "ra", "1-1", 2, "x", "c", 12*time.Hour); return err },
		} {
			if err := try(); err == nil {
				t.Fatalf("%s: accepted", name)
			}
		}
		if n, _ := b.Client.XLen(c.ctx, c.st.RecognitionStore.keys.ledger("ra")).Result(); n != 3 {
			t.Fatalf("refused edits wrote: %d entries", n)
		}
	})
}

func TestFeedbackOnceAndReliability(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		c := &recognitionCity{t: t, ctx: context.Background(), clock: newTestClock()}
		c.st = newStore(t, b, c.clock)
		c.enroll("ra", "org-a")
		c.enroll("rb", "org-b")
		ttl := 14 * 24 * time.Hour

		// Before completion there is nothing to rate.
		c.staff("n1", "ra", "rb")
		if out, err := c.st.RecordFeedback(c.ctx, mobilize.Feedback{Need: "n1", Rating: 5}, ttl); err != nil || out != mobilize.FeedbackUnknown {
			t.Fatalf("rating a need in progress: %q %v", out, err)
		}
		c.complete("n1", "ra")
		c.complete("n1", "rb")

		// A decline counts against ra.
		createNeed(t, c.st, c.clock, "n2", 2, []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}})
		c.enroll("ra", "org-a") // fresh position
		if out, _ := c.st.Offer(c.ctx, mobilize.OfferRequest{OfferID: "o-n2", Need: "n2", Responder: "ra", TTL: time.Minute}); out != mobilize.OfferOK {
			t.Fatal(out)
		}
		if _, err := c.st.Answer(c.ctx, "o-n2", "ra", "decline"); err != nil {
			t.Fatal(err)
		}

		// Bad ratings are refused before anything is written.
		for _, bad := range []mobilize.Feedback{{Need: "n1", Rating: 0}, {Need: "n1", Rating: 6}, {Need: "n1", Rating: 3, Comment: strings.Repeat("x", 1001)}} {
			if _, err := c.st.RecordFeedback(c.ctx, bad, ttl); !errors.Is(err, mobilize.ErrInvalid) {
				t.Fatalf("%+v: %v", bad, err)
			}
		}
		if st, _ := c.st.FeedbackState(c.ctx, "n1", ttl); st != mobilize.FeedbackOK {
			t.Fatalf("state after refused ratings: %s", st)
		}
		if out, err := c.st.RecordFeedback(c.ctx, mobilize.Feedback{Need: "n1", Rating: 4, Comment: "kind and quick"}, ttl); err != nil || out != mobilize.FeedbackOK {
			t.Fatalf("first rating: %q %v", out, err)
		}
		if out, _ := c.st.RecordFeedback(c.ctx, mobilize.Feedback{Need: "n1", Rating: 1}, ttl); out != mobilize.FeedbackUsed {
			t.Fatalf("second rating: %q", out)
		}
		fb, _ := c.st.Feedbacks(c.ctx, []mobilize.NeedID{"n1"})
		if fb["n1"].Rating != 4 || fb["n1"].Comment != "kind and quick" {
			t.Fatalf("stored: %+v", fb)
		}

		rel, err := c.st.Reliability(c.ctx, []mobilize.ResponderID{"ra", "rb", "nobody"})
		if err != nil {
			t.Fatal(err)
		}
		want := map[mobilize.ResponderID]mobilize.ReliabilityRecord{
			"ra": {Completed: 1, Lapsed: 1, RatingSum: 4, Ratings: 1},
			"rb": {Completed: 1, RatingSum: 4, Ratings: 1},
		}
		if len(rel) != 2 || rel["ra"] != want["ra"] || rel["rb"] != want["rb"] {
			t.Fatalf("reliability: %+v", rel)
		}
		orgs, _ := c.st.OrgReliability(c.ctx, []string{"org-a", "org-b"})
		if orgs["org-a"] != want["ra"] || orgs["org-b"] != want["rb"] {
			t.Fatalf("organisation reliability: %+v", orgs)
		}
		if rel["ra"].Score() >= rel["rb"].Score() {
			t.Fatalf("a decline should lower ra below rb: %v vs %v", rel["ra"].Score(), rel["rb"].Score())
		}

		// A link expires: a need completed now cannot be rated 14 days on.
		c.staff("n3", "rb")
		c.complete("n3", "rb")
		c.clock.Advance(ttl)
		if st, _ := c.st.FeedbackState(c.ctx, "n3", ttl); st != mobilize.FeedbackExpired {
			t.Fatalf("state after the ttl: %s", st)
		}
		if out, _ := c.st.RecordFeedback(c.ctx, mobilize.Feedback{Need: "n3", Rating: 5}, ttl); out != mobilize.FeedbackExpired {
			t.Fatalf("late rating: %s", out)
		}
		if fb, _ := c.st.Feedbacks(c.ctx, []mobilize.NeedID{"n3"}); len(fb) != 0 {
			t.Fatalf("late rating stored: %+v", fb)
		}
	})
}

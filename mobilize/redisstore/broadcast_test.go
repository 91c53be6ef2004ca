package redisstore

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/paulmach/orb"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// broadcastSquare is a closed ring d degrees either side of (lat, lng).
func broadcastSquare(lat, lng, d float64) orb.MultiPolygon {
	return orb.MultiPolygon{{orb.Ring{{lng - d, lat - d}, {lng + d, lat - d}, {lng + d, lat + d}, {lng - d, lat + d}, {lng - d, lat - d}}}}
}

func TestBroadcastReachesTheIndexedInsideTheAreaByRoleAndOrg(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		c := &recognitionCity{t: t, ctx: t.Context(), clock: newTestClock()}
		c.st = newStore(t, b, c.clock)
		rec := &recorder{}
		svc := mobilize.NewService(mobilize.ServiceDeps{Store: c.st, Sink: rec, Now: c.clock.Now,
			Broadcasts: mobilize.BroadcastConfig{MaxRecipients: 3, PerMinute: 1}}, matchConfig())
		put := func(id mobilize.ResponderID, role mobilize.Role, org string, lat, lng float64) {
			t.Helper()
			if _, err := c.st.Enroll(c.ctx, mobilize.Responder{ID: id, Name: "P " + string(id), Role: role, OrgID: org, MaxConcurrent: 1}, true); err != nil {
				t.Fatal(err)
			}
			if err := c.st.Locate(c.ctx, mobilize.Location{ID: id, Point: mustPoint(t, lat, lng), At: c.clock.Now()}); err != nil {
				t.Fatal(err)
			}
		}
		// Inside the 0.01° square: two volunteers of redcross, one of
		// another org, a social worker of redcross. Just outside its edge
		// (in a cell the cover takes in): one volunteer; far away: another.
		put("in-v1", mobilize.RoleVolunteer, "redcross", yantaiLat, yantaiLng)
		put("in-v2", mobilize.RoleVolunteer, "redcross", yantaiLat+0.005, yantaiLng-0.005)
		put("in-v3", mobilize.RoleVolunteer, "other", yantaiLat-0.005, yantaiLng+0.005)
		put("in-sw", mobilize.RoleSocialWorker, "redcross", yantaiLat, yantaiLng+0.002)
		put("edge-v", mobilize.RoleVolunteer, "redcross", yantaiLat+0.0105, yantaiLng)
		put("far-v", mobilize.RoleVolunteer, "redcross", yantaiLat+0.2, yantaiLng)
		area := broadcastSquare(yantaiLat, yantaiLng, 0.01)
		sorted := func(ids []mobilize.ResponderID) []mobilize.ResponderID { slices.Sort(ids); return ids }

		got, err := svc.Recipients(c.ctx, mobilize.Audience{Area: area, Role: mobilize.RoleVolunteer})
		if want := []mobilize.ResponderID{"in-v1", "in-v2", "in-v3"}; err != nil || !slices.Equal(sorted(got), want) {
			t.Fatalf("volunteers inside: %v %v, want %v", got, err, want)
		}
		got, err = svc.Recipients(c.ctx, mobilize.Audience{Area: area, Org: "redcross"})
		if want := []mobilize.ResponderID{"in-sw", "in-v1", "in-v2"}; err != nil || !slices.Equal(sorted(got), want) {
			t.Fatalf("redcross inside: %v %v, want %v", got, err, want)
		}
		got, err = svc.Recipients(c.ctx, mobilize.Audience{Area: area, Role: mobilize.RoleSocialWorker, Org: "other"})
		if err != nil || len(got) != 0 {
			t.Fatalf("nobody matches: %v %v", got, err)
		}
		// Four people inside, three allowed: refused, nothing sent.
		if _, err := svc.BroadcastMessage(c.ctx, mobilize.Audience{Area: area}, staffOps, "hello", false); !errors.Is(err, mobilize.ErrTooManyRecipients) {
			t.Fatalf("over the cap: %v", err)
		}
		// A dry run counts and sends nothing, spending no budget.
		dry, err := svc.BroadcastMessage(c.ctx, mobilize.Audience{Area: area, Org: "redcross"}, staffOps, "hello", true)
		if err != nil || dry.Recipients != 3 || dry.ID != "" || len(eventsOf[mobilize.MessagePosted](rec)) != 0 {
			t.Fatalf("dry run: %+v %v", dry, err)
		}
		sent, err := svc.BroadcastMessage(c.ctx, mobilize.Audience{Area: area, Org: "redcross"}, staffOps, "Shelter at the school", false)
		if err != nil || sent.Recipients != 3 || len(sent.ID) != 17 || sent.ID[0] != 'b' {
			t.Fatalf("broadcast: %+v %v", sent, err)
		}
		posted := eventsOf[mobilize.MessagePosted](rec)
		if len(posted) != 1 || posted[0].Scope != mobilize.ScopeBroadcast || posted[0].Need.ID != "" || len(posted[0].To) != 3 ||
			posted[0].Message.Text != "Shelter at the school" || posted[0].Message.ID != sent.ID {
			t.Fatalf("events: %+v", posted)
		}
		// One broadcast a minute for this sender.
		if _, err := svc.BroadcastMessage(c.ctx, mobilize.Audience{Area: area, Org: "redcross"}, staffOps, "again", false); !errors.Is(err, mobilize.ErrTooManyMessages) {
			t.Fatalf("second within the minute: %v", err)
		}
		if _, err := svc.BroadcastMessage(c.ctx, mobilize.Audience{Area: area}, staffOps, "  ", false); !errors.Is(err, mobilize.ErrInvalid) {
			t.Fatalf("blank text: %v", err)
		}
	})
}

var staffOps = mobilize.Sender{Kind: mobilize.SenderStaff, ID: "ops1", Role: "operator"}

// inboxWriter is the service's InboxWriter for tests: it records what it
// stored, or fails with err.
type inboxWriter struct {
	err    error
	stored []mobilize.MessagePosted
}

func (w *inboxWriter) WriteMessage(_ context.Context, e mobilize.MessagePosted) error {
	if w.err != nil {
		return w.err
	}
	w.stored = append(w.stored, e)
	return nil
}

// TestStaffMessagesAreStoredBeforeTheAnswer: a direct or area message is
// handed to the inbox writer before the sender is answered, and the event
// after it says so; when the writer fails, the sender gets the error and
// no sink hears of a message that is nowhere.
func TestStaffMessagesAreStoredBeforeTheAnswer(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		c := &recognitionCity{t: t, ctx: t.Context(), clock: newTestClock()}
		c.st = newStore(t, b, c.clock)
		for _, id := range []mobilize.ResponderID{"r1", "r2"} {
			if _, err := c.st.Enroll(c.ctx, mobilize.Responder{ID: id, Name: "P " + string(id), Role: mobilize.RoleVolunteer, MaxConcurrent: 1}, true); err != nil {
				t.Fatal(err)
			}
			if err := c.st.Locate(c.ctx, mobilize.Location{ID: id, Point: mustPoint(t, yantaiLat, yantaiLng), At: c.clock.Now()}); err != nil {
				t.Fatal(err)
			}
		}
		for _, fails := range []bool{false, true} {
			rec := &recorder{}
			w := &inboxWriter{}
			if fails {
				w.err = errors.New("redis down")
			}
			svc := mobilize.NewService(mobilize.ServiceDeps{Store: c.st, Sink: rec, Now: c.clock.Now, Inboxes: w,
				Broadcasts: mobilize.BroadcastConfig{MaxRecipients: 10, PerMinute: 10}, Messages: mobilize.MessageConfig{PerMinute: 10}}, matchConfig())
			_, errDirect := svc.MessageResponder(c.ctx, "r1", staffOps, "请回电")
			_, errArea := svc.BroadcastMessage(c.ctx, mobilize.Audience{Area: broadcastSquare(yantaiLat, yantaiLng, 0.01)}, staffOps, "东门集合", false)
			posted := eventsOf[mobilize.MessagePosted](rec)
			if fails {
				if errDirect == nil || errArea == nil || len(posted) != 0 {
					t.Fatalf("writer failing: direct %v, area %v, %d events; want two errors and no event", errDirect, errArea, len(posted))
				}
				continue
			}
			if errDirect != nil || errArea != nil || len(w.stored) != 2 || len(posted) != 2 {
				t.Fatalf("direct %v, area %v, stored %d, events %d", errDirect, errArea, len(w.stored), len(posted))
			}
			for _, e := range posted {
				if !e.Stored {
					t.Errorf("event %+v not marked stored", e)
				}
			}
		}
	})
}

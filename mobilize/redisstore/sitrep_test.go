package redisstore

import (
	"errors"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// TestSitrepRemembersThePreviousReport: the first report of an incident
// has no changes; the next one says what happened since the first (a new
// need) and when the first was made; a preview changes nothing kept; an
// unknown incident is not found.
func TestSitrepRemembersThePreviousReport(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, clock, _, _, svc := serviceCity(t, b)
		in, err := svc.CreateIncident(ctx, mobilize.Incident{Name: "内涝", Kind: mobilize.KindFlood,
			Area: square(yantaiLat-0.05, yantaiLng-0.05, yantaiLat+0.05, yantaiLng+0.05)})
		if err != nil {
			t.Fatal(err)
		}
		team := []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}
		if _, err := svc.CreateNeed(ctx, mobilize.Need{Urgency: 2, Category: "elderly_checkin", Point: mustPoint(t, yantaiLat, yantaiLng), Team: team}); err != nil {
			t.Fatal(err)
		}
		first, err := svc.GenerateSitrep(ctx, in.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		if first.Needs != 1 || first.Changes != nil {
			t.Fatalf("first report: %d needs, changes %+v", first.Needs, first.Changes)
		}
		clock.Advance(3 * time.Hour)
		if _, err := svc.CreateNeed(ctx, mobilize.Need{Urgency: 1, Category: "evacuation", Point: mustPoint(t, yantaiLat, yantaiLng), Team: team}); err != nil {
			t.Fatal(err)
		}
		second, err := svc.GenerateSitrep(ctx, in.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		if second.Needs != 2 || second.Changes == nil {
			t.Fatalf("second report: %d needs, changes %+v", second.Needs, second.Changes)
		}
		if !second.Changes.PreviousAt.Equal(first.At) || second.Changes.NewNeeds != 1 {
			t.Errorf("changes: %+v, want previous_at %v and one new need", *second.Changes, first.At)
		}
		// A preview compares with the last kept and keeps nothing: the
		// next kept report still compares with the second.
		clock.Advance(time.Minute)
		preview, err := svc.GenerateSitrep(ctx, in.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
		third, err := svc.GenerateSitrep(ctx, in.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		if preview.Changes == nil || !preview.Changes.PreviousAt.Equal(second.At) || third.Changes == nil || !third.Changes.PreviousAt.Equal(second.At) {
			t.Errorf("after a preview: preview %+v, third %+v; want both after %v", preview.Changes, third.Changes, second.At)
		}
		if _, err := svc.GenerateSitrep(ctx, "inope", true); !errors.Is(err, mobilize.ErrNotFound) {
			t.Errorf("unknown incident: %v", err)
		}
	})
}

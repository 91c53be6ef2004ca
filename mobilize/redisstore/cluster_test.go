package redisstore

import (
	"context"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// TestRunsOnRedisCluster drives the index and the offer lifecycle on a
// real three-node Redis Cluster: a script whose keys left its slot would
// fail with CROSSSLOT here.
func TestRunsOnRedisCluster(t *testing.T) {
	cluster := redistest.StartCluster(t)
	ctx := context.Background()
	clock := newTestClock()
	st, err := NewStore(cluster.Client(t), IndexOptions{Prefix: "t:", Region: "yt", StaleAfter: 10 * time.Minute, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	svc := mobilize.NewService(mobilize.ServiceDeps{Store: st, Sink: rec, Now: clock.Now}, matchConfig())
	enrollAt(t, st, clock, "v1", mobilize.RoleVolunteer, 1, yantaiLat, yantaiLng)
	if err := st.EnrollMany(ctx, []mobilize.Responder{{ID: "v2", Name: "V2", Role: mobilize.RoleVolunteer}}, true); err != nil {
		t.Fatal(err)
	}
	if errs := st.LocateMany(ctx, []mobilize.Location{{ID: "v2", Point: mustPoint(t, yantaiLat+0.001, yantaiLng), At: clock.Now()}}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	found, err := st.Nearby(ctx, mobilize.NearbyQuery{Point: mustPoint(t, yantaiLat, yantaiLng), Role: mobilize.RoleVolunteer, K: 5, MaxRadiusMeters: 1000})
	if err != nil || len(found) != 2 {
		t.Fatalf("nearby on cluster: %v, %v", found, err)
	}
	n := mustCreateNeed(t, svc, mobilize.Need{Urgency: 1, Category: "evacuation", Point: mustPoint(t, yantaiLat, yantaiLng),
		Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 2}}})
	if rep, err := svc.Matcher().Tick(ctx); err != nil || rep.Offered != 2 {
		t.Fatalf("tick on cluster: %+v, %v", rep, err)
	}
	for _, id := range []mobilize.ResponderID{"v1", "v2"} {
		offer := rec.offers(id)[0].Offer
		if _, err := svc.Respond(ctx, id, offer, true); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := st.Need(ctx, n.ID); err != nil || got.Status != mobilize.NeedStaffed {
		t.Fatalf("need on cluster: %s, %v", got.Status, err)
	}
	if _, err := st.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Cancel(ctx, n.ID); err != nil {
		t.Fatal(err)
	}
}

package redisstore

import (
	"context"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// TestShortfallDoesNotRecreateAGoneNeed: the matcher records a shortfall
// after its tick read the need; a need deleted meanwhile (a demo removal,
// a retention sweep) must stay deleted, not come back as a husk holding
// only the reason.
func TestShortfallDoesNotRecreateAGoneNeed(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		st := newStore(t, b, newTestClock())
		n := mobilize.Need{ID: "n1", Urgency: 2, Category: "x", Point: mustPoint(t, yantaiLat, yantaiLng),
			Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}, CreatedAt: time.Now().UTC()}
		if created, err := st.CreateNeed(ctx, n); err != nil || !created {
			t.Fatalf("create: %v %v", created, err)
		}
		if err := st.SetShortfall(ctx, "n1", 0, mobilize.ReasonNobodyInRadius); err != nil {
			t.Fatal(err)
		}
		key := st.NeedStore.keys.need("n1")
		if got := b.Client.HGet(ctx, key, "short0").Val(); got != string(mobilize.ReasonNobodyInRadius) {
			t.Fatalf("short0 = %q on an existing need, want %q", got, mobilize.ReasonNobodyInRadius)
		}
		if err := st.SetShortfall(ctx, "n1", 0, ""); err != nil {
			t.Fatal(err)
		}
		if b.Client.HExists(ctx, key, "short0").Val() {
			t.Fatal("an empty reason left short0 in place")
		}
		b.Client.Del(ctx, key)
		if err := st.SetShortfall(ctx, "n1", 0, mobilize.ReasonAllBusy); err != nil {
			t.Fatal(err)
		}
		if n := b.Client.Exists(ctx, key).Val(); n != 0 {
			t.Fatalf("a shortfall brought a deleted need back: %v", b.Client.HGetAll(ctx, key).Val())
		}
	})
}

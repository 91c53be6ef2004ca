package redisstore

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// newStore is the store the tests share: prefix "t:", region "yt".
func newStore(t testing.TB, b redistest.Backend, clock *testClock) *Store {
	t.Helper()
	st, err := NewStore(b.Client, IndexOptions{Prefix: "t:", Region: "yt", StaleAfter: 10 * time.Minute, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestAggregatesStandAloneShareTheStoresKeys: each aggregate built on its
// own over the store's options writes what the store reads, under the key
// names deployments hold their data in; nothing else is written.
func TestAggregatesStandAloneShareTheStoresKeys(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		clock := newTestClock()
		opts := IndexOptions{Prefix: "t:", Region: "yt", StaleAfter: 10 * time.Minute, Now: clock.Now}
		st := newStore(t, b, clock)
		ix, err := NewIndex(b.Client, opts)
		if err != nil {
			t.Fatal(err)
		}
		needs, depots := NewNeedStore(b.Client, opts), NewDepotStore(b.Client, opts)
		recognition, linkage := NewRecognitionStore(b.Client, opts), NewLinkageStore(b.Client, opts)

		areas, err := mobilize.ParseAreaCollection(testTree())
		if err != nil {
			t.Fatal(err)
		}
		if err := linkage.PutAreas(ctx, areas); err != nil {
			t.Fatal(err)
		}
		if _, err := linkage.PutOrganisation(ctx, mobilize.Organisation{ID: "cc1", Name: "C1 committee", Kind: mobilize.KindCommunityCommittee, HomeArea: "c1"}); err != nil {
			t.Fatal(err)
		}
		if got, err := st.Areas(ctx); err != nil || len(got) != len(areas) {
			t.Fatalf("the store reads %d areas, %v; want %d", len(got), err, len(areas))
		}
		if link, err := st.Linkage(ctx); err != nil || link.Orgs["cc1"].HomeArea != "c1" {
			t.Fatalf("the store's linkage: %+v, %v; want cc1 at home in c1", link, err)
		}

		at := mustPoint(t, 37.46, 121.43) // in community c1
		if created, err := needs.Enroll(ctx, mobilize.Responder{ID: "r1", Name: "Responder one", Role: mobilize.RoleVolunteer, MaxConcurrent: 1, OrgID: "cc1"}, true); err != nil || !created {
			t.Fatalf("enroll: %v %v", created, err)
		}
		if err := ix.Locate(ctx, mobilize.Location{ID: "r1", Point: at, At: clock.Now()}); err != nil {
			t.Fatal(err)
		}
		r, p, err := st.Responder(ctx, "r1")
		if err != nil || r.Name != "Responder one" || r.OrgID != "cc1" || p.Status != mobilize.StatusAvailable || !p.Indexed {
			t.Fatalf("the store reads r1 as %+v %+v, %v; want the profile, available and indexed", r, p, err)
		}
		if m, err := linkage.Members(ctx, []string{"cc1"}); err != nil || !m["r1"] || len(m) != 1 {
			t.Fatalf("cc1 members %v, %v; want r1, enrolled through the needs", m, err)
		}

		n := mobilize.Need{ID: "n1", Urgency: 2, Category: "welfare_check", Point: at, CreatedAt: clock.Now(),
			Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}}
		if created, err := needs.CreateNeed(ctx, n); err != nil || !created {
			t.Fatalf("create need: %v %v", created, err)
		}
		if got, err := st.Need(ctx, "n1"); err != nil || got.Status != mobilize.NeedOpen {
			t.Fatalf("the store reads n1 as %+v, %v; want it open", got, err)
		}

		if _, err := depots.PutDepot(ctx, mobilize.Depot{ID: "d1", Name: "Depot one", OrgID: "cc1", Point: at}, map[mobilize.Item]int{mobilize.ItemMedicineKit: 3}); err != nil {
			t.Fatal(err)
		}
		if d, err := st.Depot(ctx, "d1"); err != nil || d.Stock[mobilize.ItemMedicineKit] != 3 {
			t.Fatalf("the store reads d1 as %+v, %v; want 3 kits", d, err)
		}

		if err := recognition.NoteEscalation(ctx, "n1"); err != nil {
			t.Fatal(err)
		}
		if esc, err := st.Escalations(ctx); err != nil || esc["n1"] != 1 {
			t.Fatalf("the store reads escalations %v, %v; want n1 once", esc, err)
		}

		cell, err := geo.CellAt(at, st.Resolution())
		if err != nil {
			t.Fatal(err)
		}
		dup, _ := geo.CellAt(at, dupResolution) // the duplicates index (review.go)
		want := []string{
			"t:{yt}:areas", "t:{yt}:areas:cover", "t:{yt}:depot:d1", "t:{yt}:depot:d1:stock", "t:{yt}:depots",
			"t:{yt}:escalations", "t:{yt}:ix:c:" + cell.String() + ":volunteer", "t:{yt}:ix:pos",
			"t:{yt}:ix:supply:5", "t:{yt}:ix:supply:7", "t:{yt}:linkage:rev", "t:{yt}:load", "t:{yt}:need:n1",
			"t:{yt}:needs:cell:" + dup.String(), "t:{yt}:needs:number", "t:{yt}:needs:open", "t:{yt}:org:cc1:members", "t:{yt}:orgs", "t:{yt}:responders",
			"t:{yt}:roster", // the roster's id order, kept by enroll.lua
		}
		got, err := b.Client.Keys(ctx, "*").Result()
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("keys written:\n%q\nwant\n%q", got, want)
		}
	})
}

// TestAggregatesDefaultToTheIndexsRegion: built with no options, every
// aggregate uses the index's key names and stale limit, so that one built
// alone meets the data a default store wrote.
func TestAggregatesDefaultToTheIndexsRegion(t *testing.T) {
	ix, err := NewIndex(nil, IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ix.keys.base != "ld:{city}:" || ix.staleAfter != 10*time.Minute {
		t.Fatalf("the index defaults to %q and %v; want ld:{city}: and 10m", ix.keys.base, ix.staleAfter)
	}
	for name, r := range map[string]region{
		"needs":       NewNeedStore(nil, IndexOptions{}).region,
		"depots":      NewDepotStore(nil, IndexOptions{}).region,
		"recognition": NewRecognitionStore(nil, IndexOptions{}).region,
		"linkage":     NewLinkageStore(nil, IndexOptions{}).region,
	} {
		if r.keys != ix.keys || r.staleAfter != ix.staleAfter || !slices.Equal(r.scriptKeys, ix.scriptKeys) || r.now == nil {
			t.Errorf("%s: keys %q, stale after %v, script keys %q; want the index's %q, %v, %q and a clock",
				name, r.keys.base, r.staleAfter, r.scriptKeys, ix.keys.base, ix.staleAfter, ix.scriptKeys)
		}
	}
}
